"""Character-level tokenizer: one token per character, the vocabulary is the sorted set of characters."""
from ..functional.checks import check_positive_int
from .base import Tokenizer, check_corpus


class CharTokenizer(Tokenizer):
    """Each character (Unicode code point) of the text is one token.

    Without special tokens the ids are simply the positions of the characters in the sorted
    alphabet of the training text, the classic setup of a character-level GPT. Special tokens,
    if any, come first (ids 0, 1, ...). A character outside the vocabulary raises ValueError,
    unless the tokenizer has an unknown token (`unk_token`), which it then encodes to.

        tok = CharTokenizer.train(shakespeare_text)
        tok.decode(tok.encode("To be")) == "To be"
    """

    type_name = "char"

    @classmethod
    def train(cls, texts, vocab_size=None, special_tokens=(), unk_token=None, pad_token=None):
        """Build the vocabulary from `texts` (a str or a list of str).

        vocab_size: None keeps every character; an int is an upper bound and must leave room for
        every character plus the special tokens (ValueError otherwise).
        special_tokens: extra special tokens (e.g. "<eos>"); unk_token / pad_token add the token with
        that role.
        """
        texts = check_corpus(texts)
        alphabet = sorted(set().union(*map(set, texts)))
        specials = {}
        if pad_token is not None:
            specials["pad"] = pad_token
        if unk_token is not None:
            specials["unk"] = unk_token
        special_list = list(dict.fromkeys(list(specials.values()) + list(special_tokens)))
        if vocab_size is not None:
            vocab_size = check_positive_int("vocab_size", vocab_size)
            needed = len(alphabet) + len(special_list)
            if vocab_size < needed:
                raise ValueError(f"vocab_size={vocab_size} is smaller than the alphabet: the corpus has "
                                 f"{len(alphabet)} distinct characters, plus {len(special_list)} specials")
        return cls(special_list + [c for c in alphabet if c not in special_list], special_list, specials)

    def _encode_piece(self, text):
        ids = []
        unk = self.unk_id
        for position, char in enumerate(text):
            token_id = self._token_to_id.get(char, unk)
            if token_id is None:
                raise ValueError(f"character {char!r} (U+{ord(char):04X}) at position {position} is not in "
                                 f"the vocabulary; train on text that contains it or pass unk_token=")
            ids.append(token_id)
        return ids

    def _decode_tokens(self, tokens):
        return "".join(tokens)

    @classmethod
    def from_dict(cls, d):
        """Rebuild a CharTokenizer from `to_dict()` output."""
        cls._check_dict(d, ["vocab", "special_tokens", "roles"])
        return cls(d["vocab"], d["special_tokens"], d["roles"])

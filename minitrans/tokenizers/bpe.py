"""Byte-level BPE tokenizer (GPT-2 style): merges learned over the UTF-8 bytes of pre-tokenized text.

The base vocabulary is the 256 bytes (token id b is byte b), so every text can be encoded and
`decode(encode(text)) == text` always holds. Training counts adjacent pairs of symbols inside each
pre-tokenized word and merges the most frequent pair, again and again; each merge adds one token.
Encoding replays the merges on a word: at each step the pair that was learned earliest is merged.

    tok = ByteLevelBPETokenizer.train(texts, vocab_size=1000)
    tok.explain(" lower")   # the merges applied to " lower", step by step
"""
import os
import re
from collections import Counter

from ..functional.checks import check_positive_int, is_int
from .base import (SENTINEL_FORMAT, Tokenizer, check_corpus, check_text,
                   special_token_pattern)
from .byte_level import BYTE_TO_CHAR, bytes_to_symbols, symbols_to_bytes
from .byte_level import pretokenize as pretokenize_text
from ..files import atomic_write_json, atomic_write_text
from .files import check_path, is_directory_path, read_json, read_text
from .merges import PairCounts, learn_merges, merge_symbols

END_OF_TEXT = "<|endoftext|>"
_SENTINEL_PATTERN = re.compile(re.escape(SENTINEL_FORMAT).replace(r"\{\}", r"\d+"))


def utf8(text):
    """The UTF-8 bytes of `text`; ValueError (not UnicodeEncodeError) for a lone surrogate."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError(f"text is not valid Unicode: lone surrogate {text[err.start]!r} at position "
                         f"{err.start} cannot be written as UTF-8") from None


class ByteLevelBPETokenizer(Tokenizer):
    """GPT-2 style tokenizer. Build it from (vocab, merges), `train` it, or `load` a saved one.

    vocab: token strings in byte-level spelling (see byte_level.py), id = index; must hold all 256
    byte symbols. merges: (a, b) pairs in the order they were learned; a + b must be in the vocab.
    special_tokens: None marks <|endoftext|> and <extra_id_N> found in `vocab` as special.
    roles: None makes <|endoftext|>, if in `vocab`, both bos and eos (bos_id, eos_id).
    """

    type_name = "byte_bpe"

    def __init__(self, vocab, merges, special_tokens=None, roles=None):
        self._cache = {}
        if isinstance(vocab, str) or not isinstance(vocab, (list, tuple)):
            raise TypeError(f"vocab must be a list of token strings, got {type(vocab).__name__}")
        missing = sorted(set(BYTE_TO_CHAR.values()) - set(vocab))
        if missing:
            raise ValueError(f"a byte-level vocabulary must hold all 256 byte symbols; missing {missing[:5]}")
        if special_tokens is None:
            special_tokens = [t for t in vocab if t == END_OF_TEXT or _SENTINEL_PATTERN.fullmatch(t)]
        if roles is None:
            roles = {"bos": END_OF_TEXT, "eos": END_OF_TEXT} if END_OF_TEXT in vocab else {}
        super().__init__(vocab, special_tokens, roles)
        self.merges = []
        for rank, pair in enumerate(merges):
            if not (isinstance(pair, (list, tuple)) and len(pair) == 2
                    and all(isinstance(s, str) for s in pair)):
                raise ValueError(f"merges[{rank}] must be a pair of strings, got {pair!r}")
            if "".join(pair) not in self._token_to_id:
                raise ValueError(f"merges[{rank}] = {tuple(pair)} makes {''.join(pair)!r}, "
                                 f"which is not in the vocab")
            self.merges.append(tuple(pair))
        # rank of each merge (a pair listed twice keeps its first, earliest rank)
        self._ranks = {pair: rank for rank, pair in reversed(list(enumerate(self.merges)))}

    def _vocab_changed(self):
        self._cache = {}

    @classmethod
    def train(cls, texts, vocab_size, special_tokens=(END_OF_TEXT,), min_frequency=2):
        """Learn merges from `texts` (a str or a list of str) until the vocabulary holds `vocab_size` tokens.

        The vocabulary is the 256 bytes, then one token per merge, then `special_tokens` (so
        <|endoftext|> gets the last id). Each step merges the pair of adjacent symbols seen most
        often in the corpus (ties: the alphabetically smaller pair); training stops early when no
        pair is seen `min_frequency` times. Special tokens in the texts are not learned from.
        """
        texts = check_corpus(texts)
        vocab_size = check_positive_int("vocab_size", vocab_size)
        special_tokens = list(dict.fromkeys(special_tokens))
        base = [BYTE_TO_CHAR[b] for b in range(256)]
        if vocab_size < len(base) + len(special_tokens):
            raise ValueError(f"vocab_size={vocab_size} is smaller than the alphabet: 256 bytes + "
                             f"{len(special_tokens)} special tokens")
        splitter = special_token_pattern(special_tokens)
        word_counts = Counter()
        for text in texts:
            for part in splitter.split(text) if splitter else [text]:
                word_counts.update(bytes_to_symbols(utf8(piece)) for piece in pretokenize_text(part))
        words = sorted(word_counts)
        pair_counts = PairCounts([list(w) for w in words], [word_counts[w] for w in words],
                                 join=lambda a, b: a + b)
        max_new = vocab_size - len(base) - len(special_tokens)
        merges, new_tokens = learn_merges(pair_counts, max_new, base, "frequency", min_frequency)
        return cls(base + new_tokens + special_tokens, merges, special_tokens)

    # ---- encoding ---------------------------------------------------------------------------
    @staticmethod
    def pretokenize(text):
        """The pieces `encode` cuts `text` into before merging, e.g. "Hi there!" -> ["Hi", " there", "!"]."""
        check_text(text)
        return pretokenize_text(text)

    def _apply_merges(self, symbols, steps=None):
        """Merge the earliest-learned pair present until none is left; append each step to `steps`."""
        while len(symbols) > 1:
            best = min(zip(symbols, symbols[1:]), key=lambda pair: self._ranks.get(pair, len(self._ranks)))
            if best not in self._ranks:
                break
            symbols = merge_symbols(symbols, best[0], best[1], best[0] + best[1])
            if steps is not None:
                steps.append({"merge": best, "rank": self._ranks[best], "symbols": symbols})
        return symbols

    def _encode_word(self, word):
        if word not in self._cache:
            if len(self._cache) >= 1 << 16:
                self._cache.clear()
            symbols = self._apply_merges(list(bytes_to_symbols(utf8(word))))
            self._cache[word] = [self._token_to_id[s] for s in symbols]
        return self._cache[word]

    def _encode_piece(self, text):
        return [token_id for word in pretokenize_text(text) for token_id in self._encode_word(word)]

    def encode(self, text):
        """Token ids of `text`; special tokens such as <|endoftext|> written in it become their ids."""
        check_text(text)
        utf8(text)  # a clear error for text that has no UTF-8 form
        return super().encode(text)

    def explain(self, word):
        """The merges that turn one pre-tokenized word into tokens, as a list of steps.

        Step 0 holds the word's bytes, each later step {"merge": (a, b), "rank": r, "symbols": [...]}
        the pair merged (learned as merge number r) and the symbols after it. Symbols are in
        byte-level spelling: "Ġ" is a space. Use `pretokenize(text)` to cut a longer text into words.
        """
        check_text(word)
        pieces = pretokenize_text(word)
        if len(pieces) != 1:
            raise ValueError(f"explain expects one pre-tokenized word such as ' lower', got {word!r} "
                             f"which pre-tokenizes into {len(pieces)} pieces: {pieces}")
        symbols = list(bytes_to_symbols(utf8(word)))
        steps = [{"merge": None, "rank": None, "symbols": symbols}]
        self._apply_merges(symbols, steps)
        return steps

    def _decode_tokens(self, tokens):
        data = bytearray()
        for token in tokens:
            data += utf8(token) if token in self._special_tokens else symbols_to_bytes(token)
        return data.decode("utf-8", errors="replace")  # ids cut inside a character give U+FFFD

    # ---- dict and files ---------------------------------------------------------------------
    def to_dict(self):
        """A JSON-serialisable dict: vocabulary, merges (in order) and special tokens."""
        return {**super().to_dict(), "merges": [list(pair) for pair in self.merges]}

    @classmethod
    def from_dict(cls, d):
        """Rebuild a ByteLevelBPETokenizer from `to_dict()` output."""
        cls._check_dict(d, ["vocab", "merges", "special_tokens", "roles"])
        return cls(d["vocab"], d["merges"], d["special_tokens"], d["roles"])

    def save(self, path):
        """Save atomically: a .json path gets everything in one file; a directory gets the standard
        vocab.json (token -> id) and merges.txt (one "a b" pair per line) and is returned.
        """
        path = check_path(path)
        if path.endswith(".json") or not is_directory_path(path):
            return super().save(path)
        atomic_write_json(os.path.join(path, "vocab.json"), self.get_vocab())
        atomic_write_text(os.path.join(path, "merges.txt"),
                          "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in self.merges))
        return path

    @classmethod
    def _load_other_format(cls, path, special_tokens=None):
        """Read vocab.json + merges.txt: from a directory, or a vocab.json with merges.txt beside it."""
        vocab_path = os.path.join(path, "vocab.json") if os.path.isdir(path) else path
        merges_path = os.path.join(os.path.dirname(vocab_path), "merges.txt")
        token_ids = read_json(vocab_path)
        if not isinstance(token_ids, dict) or not all(is_int(i) for i in token_ids.values()) \
                or sorted(token_ids.values()) != list(range(len(token_ids))):
            raise ValueError(f"{vocab_path!r} must map tokens to the ids 0 .. n-1, each used once")
        merges = []
        for number, line in enumerate(read_text(merges_path).split("\n"), start=1):
            line = line.rstrip("\r")
            if line and not line.startswith("#version"):
                pair = line.split(" ")
                if len(pair) != 2:
                    raise ValueError(f"{merges_path!r} line {number}: expected 'a b', got {line!r}")
                merges.append(tuple(pair))
        try:
            return cls(sorted(token_ids, key=token_ids.get), merges, special_tokens)
        except ValueError as e:           # e.g. a merge making a token the vocabulary lacks
            raise ValueError(f"{vocab_path!r} and {merges_path!r}: {e}") from None

"""WordPiece tokenizer (BERT): basic tokenization, then greedy longest-match-first subwords.

A word is cut into the longest vocabulary entry that starts it, then the longest entry (spelled with
a "##" prefix, meaning "continues a word") that starts the rest, and so on:
    "unaffable" -> un ##aff ##able
A word that cannot be cut this way, or is longer than `max_input_chars_per_word`, becomes [UNK].
The vocabulary file is BERT's vocab.txt: one token per line, the id of a token is its line number.
"""
import os
import re
from collections import Counter

from ..functional.checks import check_positive_int
from .base import (SENTINEL_FORMAT, Tokenizer, check_corpus, check_text,
                   special_token_pattern)
from .basic import BasicTokenizer
from ..files import atomic_write_text
from .files import check_path, is_directory_path, read_text
from .merges import PairCounts, learn_merges

BERT_SPECIALS = {"pad": "[PAD]", "unk": "[UNK]", "cls": "[CLS]", "sep": "[SEP]", "mask": "[MASK]"}
_SENTINEL_PATTERN = re.compile(re.escape(SENTINEL_FORMAT).replace(r"\{\}", r"\d+"))


class WordPieceTokenizer(Tokenizer):
    """BERT's tokenizer. Build it from a token list, `train` it on a corpus, or `load` a vocab.txt.

    vocab: token strings, id = index; must hold "[UNK]". lowercase / strip_accents: see BasicTokenizer.
    special_tokens: None marks [PAD] [UNK] [CLS] [SEP] [MASK] and <extra_id_N> found in `vocab`.
    roles: None gives [PAD] [UNK] [CLS] [SEP] [MASK] (those in `vocab`) their roles (pad_id, unk_id, ...).
    """

    type_name = "wordpiece"

    def __init__(self, vocab, lowercase=True, strip_accents=None, max_input_chars_per_word=100,
                 special_tokens=None, roles=None):
        self._piece_cache = {}
        if isinstance(vocab, str) or not isinstance(vocab, (list, tuple)):
            raise TypeError(f"vocab must be a list of token strings, got {type(vocab).__name__}")
        if BERT_SPECIALS["unk"] not in vocab:
            raise ValueError(f"a WordPiece vocabulary must contain {BERT_SPECIALS['unk']!r}")
        if special_tokens is None:
            special_tokens = [t for t in vocab
                              if t in BERT_SPECIALS.values() or _SENTINEL_PATTERN.fullmatch(t)]
        if roles is None:
            roles = {role: token for role, token in BERT_SPECIALS.items() if token in vocab}
        super().__init__(vocab, special_tokens, roles)
        self.basic = BasicTokenizer(lowercase, strip_accents)
        self.max_input_chars_per_word = check_positive_int("max_input_chars_per_word",
                                                           max_input_chars_per_word)

    def _vocab_changed(self):
        self._piece_cache = {}

    @classmethod
    def train(cls, texts, vocab_size, lowercase=True, strip_accents=None, min_frequency=2,
              max_input_chars_per_word=100, special_tokens=(), score="frequency"):
        """Learn a vocabulary of at most `vocab_size` tokens from `texts` (a str or a list of str).

        The vocabulary starts with [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4 (then `special_tokens`),
        then every character of the corpus both as a word start ("a") and as a continuation ("##a").
        Then the best pair of adjacent pieces in the corpus words is merged into a new piece, again
        and again, until the vocabulary is full or no pair is seen `min_frequency` times. "Best" is
        `score`: "frequency" (the most frequent pair) or "likelihood" (count(ab) / (count(a) * count(b)),
        which favours pieces that rarely occur apart, and spends much of a small vocabulary on rare
        words); see merges.py.
        """
        texts = check_corpus(texts)
        vocab_size = check_positive_int("vocab_size", vocab_size)
        specials = list(dict.fromkeys(list(BERT_SPECIALS.values()) + list(special_tokens)))
        splitter, basic = special_token_pattern(specials), BasicTokenizer(lowercase, strip_accents)
        word_counts = Counter(word for text in texts for part in splitter.split(text)
                              for word in basic.tokenize(part) if len(word) <= max_input_chars_per_word)
        if not word_counts:
            raise ValueError("cannot train WordPiece: the corpus has no words after basic tokenization")
        words = sorted(word_counts)
        characters = sorted(set("".join(words)))
        alphabet = [c for c in characters + ["##" + c for c in characters] if c not in specials]
        if vocab_size < len(specials) + len(alphabet):
            raise ValueError(f"vocab_size={vocab_size} is smaller than the alphabet: {len(specials)} special "
                             f"tokens + {len(alphabet)} characters (each as 'c' and '##c')")
        pieces = PairCounts([[w[0]] + ["##" + c for c in w[1:]] for w in words],
                            [word_counts[w] for w in words], join=lambda a, b: a + b[2:])
        vocab = specials + alphabet
        _, new_pieces = learn_merges(pieces, vocab_size - len(vocab), vocab, score, min_frequency)
        return cls(vocab + new_pieces, lowercase, strip_accents, max_input_chars_per_word,
                   special_tokens=specials, roles=BERT_SPECIALS)

    # ---- tokenizing -------------------------------------------------------------------------
    def basic_tokenize(self, text):
        """The words of `text` before subword splitting: "Héllo, world!" -> ["hello", ",", "world", "!"]."""
        check_text(text)
        return self.basic.tokenize(text)

    def _word_pieces(self, word):
        """The pieces of one word as (id, start, end) spans within the word (cached)."""
        if word not in self._piece_cache:
            if len(self._piece_cache) >= 1 << 16:
                self._piece_cache.clear()
            self._piece_cache[word] = self._greedy_split(word)
        return self._piece_cache[word]

    def _greedy_split(self, word):
        """Greedy longest-match-first split; the whole word is [UNK] if some rest has no match."""
        if len(word) > self.max_input_chars_per_word:
            return [(self.unk_id, 0, len(word))]
        pieces, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self._token_to_id:
                    break
            else:  # no vocabulary entry starts the rest of the word
                return [(self.unk_id, 0, len(word))]
            pieces.append((self._token_to_id[piece], start, end))
            start = end
        return pieces

    def _encode_piece(self, text):
        return [token_id for word in self.basic.tokenize(text) for token_id, _, _ in self._word_pieces(word)]

    def encode(self, text, add_special_tokens=False):
        """Token ids of `text`; with add_special_tokens: [CLS] text [SEP]."""
        ids = super().encode(text)
        return [self.role_id("cls")] + ids + [self.role_id("sep")] if add_special_tokens else ids

    def encode_with_offsets(self, text, add_special_tokens=False):
        """(ids, offsets): offsets[k] = (start, end) such that text[start:end] is what token k came from.

        Added [CLS] and [SEP] get the empty span (0, 0).
        """
        check_text(text)
        ids, offsets = [], []
        for start, piece, is_special in self._split_on_special_tokens(text):
            if is_special:
                ids.append(self._token_to_id[piece])
                offsets.append((start, start + len(piece)))
                continue
            for word, positions in self.basic.words_with_positions(piece):
                for token_id, i, j in self._word_pieces(word):
                    ids.append(token_id)
                    offsets.append((start + positions[i], start + positions[j - 1] + 1))
        if add_special_tokens:
            ids, offsets = [self.role_id("cls")] + ids + [self.role_id("sep")], [(0, 0)] + offsets + [(0, 0)]
        return ids, offsets

    def encode_words(self, words, add_special_tokens=False):
        """(ids, word_index): encode pre-split words (e.g. for NER); token k came from words[word_index[k]].

        Added [CLS] and [SEP] get word index -1. A word may give several tokens (or none, if it is
        only control characters).
        """
        if isinstance(words, str) or not isinstance(words, (list, tuple)):
            raise TypeError(f"words must be a list of str, got {type(words).__name__}")
        ids, word_index = [], []
        for index, word in enumerate(words):
            if not isinstance(word, str):
                raise TypeError(f"words[{index}] must be a str, got {type(word).__name__}")
            word_ids = self.encode(word)
            ids.extend(word_ids)
            word_index.extend([index] * len(word_ids))
        if add_special_tokens:
            ids, word_index = [self.role_id("cls")] + ids + [self.role_id("sep")], [-1] + word_index + [-1]
        return ids, word_index

    def _ids_of(self, name, x):
        """`x` encoded if it is a text, or checked if it is already a list of ids."""
        if isinstance(x, str):
            return self.encode(x)
        if isinstance(x, (list, tuple)):
            return self._check_ids(list(x))
        raise TypeError(f"{name} must be a str or a list of ids, got {type(x).__name__}")

    def encode_single(self, a, max_length=None):
        """(ids, segment_ids) of [CLS] a [SEP], `a` cut to fit `max_length` tokens; segments are all 0."""
        a = self._ids_of("a", a)
        if max_length is not None:
            if check_positive_int("max_length", max_length) < 2:
                raise ValueError(f"max_length must be at least 2 to hold [CLS] and [SEP], got {max_length}")
            a = a[:max_length - 2]
        ids = [self.role_id("cls")] + a + [self.role_id("sep")]
        return ids, [0] * len(ids)

    def encode_pair(self, a, b, max_length=None):
        """(ids, segment_ids) of [CLS] a [SEP] b [SEP] (a, b: texts or lists of ids).

        Segment 0 covers [CLS], a and the first [SEP]; segment 1 covers b and the last [SEP]. If the
        pair is longer than `max_length`, the last token of the longer side (b on a tie) is dropped,
        one at a time, until it fits.
        """
        a, b = self._ids_of("a", a), self._ids_of("b", b)
        if max_length is not None:
            if check_positive_int("max_length", max_length) < 3:
                raise ValueError(f"max_length must be at least 3 to hold [CLS] [SEP] [SEP], got {max_length}")
            while len(a) + len(b) > max_length - 3:
                if len(a) > len(b):
                    a = a[:-1]
                else:
                    b = b[:-1]
        cls_id, sep_id = self.role_id("cls"), self.role_id("sep")
        ids = [cls_id] + a + [sep_id] + b + [sep_id]
        return ids, [0] * (len(a) + 2) + [1] * (len(b) + 1)

    def _decode_tokens(self, tokens):
        words = []
        for token in tokens:
            if token.startswith("##") and words and token not in self._special_tokens:
                words[-1] += token[2:]
            else:
                words.append(token)
        return " ".join(words)

    # ---- dict and files ---------------------------------------------------------------------
    def to_dict(self):
        """A JSON-serialisable dict: vocabulary, special tokens and the basic tokenization settings."""
        return {**super().to_dict(), "lowercase": self.basic.lowercase,
                "strip_accents": self.basic.strip_accents,
                "max_input_chars_per_word": self.max_input_chars_per_word}

    @classmethod
    def from_dict(cls, d):
        """Rebuild a WordPieceTokenizer from `to_dict()` output."""
        keys = ["vocab", "special_tokens", "roles", "lowercase", "strip_accents", "max_input_chars_per_word"]
        cls._check_dict(d, keys)
        return cls(d["vocab"], d["lowercase"], d["strip_accents"], d["max_input_chars_per_word"],
                   d["special_tokens"], d["roles"])

    def save(self, path):
        """Save atomically: a .json path gets everything; a .txt path or a directory gets BERT's vocab.txt.

        vocab.txt holds only the tokens, one per line: pass lowercase= again when loading it.
        """
        path = check_path(path)
        if path.endswith(".json"):
            return super().save(path)
        if is_directory_path(path):
            path = os.path.join(path, "vocab.txt")
        bad = [t for t in self._id_to_token if "\n" in t or "\r" in t]
        if bad:
            raise ValueError(f"tokens with line breaks cannot be written to vocab.txt: {bad[:3]}; "
                             f"save to a .json path instead")
        atomic_write_text(path, "".join(token + "\n" for token in self._id_to_token))
        return path

    @classmethod
    def _load_other_format(cls, path, lowercase=True, strip_accents=None, max_input_chars_per_word=100,
                           special_tokens=None):
        """Read BERT's vocab.txt (a file, or a directory holding one): token = line, id = line number."""
        if os.path.isdir(path):
            path = os.path.join(path, "vocab.txt")
        lines = read_text(path).split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        vocab = [line[:-1] if line.endswith("\r") else line for line in lines]
        first_line = {}                   # token -> the line it is on
        for number, token in enumerate(vocab, start=1):
            if token == "":
                raise ValueError(f"{path!r} line {number} is empty; vocab.txt needs one token per line")
            if token in first_line:
                raise ValueError(f"{path!r} line {number} repeats {token!r} of line {first_line[token]}; "
                                 f"vocab.txt needs each token once (its line number is its id)")
            first_line[token] = number
        try:
            return cls(vocab, lowercase, strip_accents, max_input_chars_per_word, special_tokens)
        except ValueError as e:           # e.g. no [UNK]
            raise ValueError(f"{path!r}: {e}") from None

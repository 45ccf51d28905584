"""Basic tokenization, the first half of WordPiece (BERT): from raw text to a list of words.

Steps, in order:
  1. drop NUL, U+FFFD and control characters (so U+001C..U+001F are dropped, not spaces);
     any other whitespace separates words;
  2. every CJK ideograph becomes a word of its own (Chinese is written without spaces);
  3. optionally lower-case and strip accents (decompose, then drop the combining marks);
  4. every punctuation character becomes a word of its own.
Every character of every word remembers the position in the raw text it came from, so that
WordPiece can give character offsets (needed to point at answers in extractive QA).
"""
import functools
import re
import unicodedata

# Blocks of CJK ideographs (not Hangul, Hiragana or Katakana, which are written with spaces or kana).
CJK_RANGES = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
              (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def is_whitespace(char):
    """Unicode whitespace: space, tab, newlines, the space separators (Zs), line and paragraph separators."""
    return char.isspace()


@functools.lru_cache(maxsize=1 << 16)
def is_control(char):
    """Control and format characters (categories Cc, Cf), except tab and newlines which are whitespace."""
    return char not in "\t\n\r" and unicodedata.category(char) in ("Cc", "Cf")


@functools.lru_cache(maxsize=1 << 16)
def is_punctuation(char):
    """Unicode punctuation (categories P*) plus all non-alphanumeric printable ASCII ($, +, ^, ...)."""
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


@functools.lru_cache(maxsize=1 << 16)
def is_cjk(char):
    """True for a CJK ideograph."""
    code = ord(char)
    return any(low <= code <= high for low, high in CJK_RANGES)


@functools.lru_cache(maxsize=1 << 16)
def strip_accents(char):
    """`char` after canonical decomposition, without the combining marks (Mn): "é" -> "e"."""
    return "".join(c for c in unicodedata.normalize("NFD", char) if unicodedata.category(c) != "Mn")


class BasicTokenizer:
    """Splits text into words; see the module docstring for the steps.

    lowercase: lower-case every word. strip_accents: None follows `lowercase` (the BERT convention),
    True/False force it on or off.
    """

    _CACHE_LIMIT = 1 << 16
    _ASCII_SPACES = re.compile(r"[^ \t\n\r]+")

    def __init__(self, lowercase=True, strip_accents=None):
        if not isinstance(lowercase, bool):          # not cast: bool("false") would be True
            raise TypeError(f"lowercase must be True or False, got {lowercase!r}")
        if strip_accents is not None and not isinstance(strip_accents, bool):
            raise TypeError(f"strip_accents must be True, False or None, got {strip_accents!r}")
        self.lowercase = lowercase
        self.strip_accents = lowercase if strip_accents is None else strip_accents
        self._cache = {}

    def tokenize(self, text):
        """The words of `text`, e.g. "Héllo, World!" -> ["hello", ",", "world", "!"] when lower-casing."""
        return [word for _, chunk_words in self._chunks(text) for word, _ in chunk_words]

    def words_with_positions(self, text):
        """List of (word, positions): positions[k] is where in `text` the character word[k] came from."""
        words = []
        for start, chunk_words in self._chunks(text):
            words.extend((word, [start + p for p in positions]) for word, positions in chunk_words)
        return words

    def _chunks(self, text):
        """Yield (start, words of the chunk) for each chunk of `text` between plain spaces and newlines.

        Those characters always separate words, so each chunk is split (and cached) on its own:
        a corpus repeats the same chunks over and over.
        """
        for match in self._ASCII_SPACES.finditer(text):
            chunk = match.group()
            if chunk not in self._cache:
                if len(self._cache) >= self._CACHE_LIMIT:
                    self._cache.clear()
                self._cache[chunk] = self._split_chunk(chunk)
            yield match.start(), self._cache[chunk]

    def _split_chunk(self, chunk):
        words = []
        for raw_chars, raw_positions in self._split_on_space_and_cjk(chunk):
            chars, positions = self._normalize(raw_chars, raw_positions)
            current_chars, current_positions = [], []
            for char, position in zip(chars, positions):
                if is_punctuation(char):
                    if current_chars:
                        words.append(("".join(current_chars), current_positions))
                    words.append((char, [position]))
                    current_chars, current_positions = [], []
                else:
                    current_chars.append(char)
                    current_positions.append(position)
            if current_chars:
                words.append(("".join(current_chars), current_positions))
        return words

    @staticmethod
    def _split_on_space_and_cjk(text):
        """Steps 1 and 2: list of (characters, positions) pieces."""
        pieces, chars, positions = [], [], []
        for position, char in enumerate(text):
            if char in ("\x00", "\ufffd") or is_control(char):
                continue
            if is_whitespace(char) or is_cjk(char):
                if chars:
                    pieces.append((chars, positions))
                chars, positions = [], []
                if is_cjk(char):
                    pieces.append(([char], [position]))
            else:
                chars.append(char)
                positions.append(position)
        if chars:
            pieces.append((chars, positions))
        return pieces

    def _normalize(self, chars, positions):
        """Step 3: lower-case and strip accents, keeping for each output character its source position."""
        if self.lowercase:
            # Lower the whole word, so that a final Greek sigma becomes "ς". A few characters lower to
            # two (e.g. "İ" -> "i̇"), so each source position is repeated once per character it lowers to.
            positions = [p for char, p in zip(chars, positions) for _ in char.lower()]
            chars = list("".join(chars).lower())
        if self.strip_accents:
            pairs = [(c, p) for char, p in zip(chars, positions) for c in strip_accents(char)]
            chars, positions = [c for c, _ in pairs], [p for _, p in pairs]
        return chars, positions

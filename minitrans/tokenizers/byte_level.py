"""The two fixed pieces of byte-level BPE: the bytes <-> printable characters table and pre-tokenization.

Byte-level BPE works on the UTF-8 bytes of a text, so any text can be encoded with a base vocabulary
of just 256 symbols. To keep the symbols readable (and free of whitespace and control characters),
each byte is shown as a printable Unicode character: printable bytes stand for themselves ("a" is
"a") and the others are moved up past 255 (the space byte 0x20 becomes "Ġ", newline 0x0A becomes "Ċ").

Before merging, text is cut into pieces (words with their leading space, runs of digits, runs of
punctuation, runs of whitespace) so that merges never cross a word boundary.
"""
import functools
import re
import sys
import unicodedata


def bytes_to_unicode():
    """The 256-entry table byte value -> printable character used to spell byte-level tokens."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
                 + list(range(ord("®"), ord("ÿ") + 1)))
    table, shifted = {}, 0
    for byte in range(256):
        if byte in printable:
            table[byte] = chr(byte)
        else:  # whitespace, control and invisible bytes get the next unused code point from 256 on
            table[byte] = chr(256 + shifted)
            shifted += 1
    return table


BYTE_TO_CHAR = bytes_to_unicode()
CHAR_TO_BYTE = {char: byte for byte, char in BYTE_TO_CHAR.items()}


def bytes_to_symbols(data):
    """The printable spelling of a bytes object: one character per byte."""
    return "".join(BYTE_TO_CHAR[b] for b in data)


def symbols_to_bytes(symbols):
    """Inverse of `bytes_to_symbols`."""
    return bytes(CHAR_TO_BYTE[c] for c in symbols)


def _character_ranges(chars):
    """Regex character-class text for a sorted list of characters, with runs written as a-z."""
    parts, start = [], 0
    for i in range(1, len(chars) + 1):
        if i == len(chars) or ord(chars[i]) != ord(chars[i - 1]) + 1:
            first, last = chars[start], chars[i - 1]
            parts.append(re.escape(first) if first == last else f"{re.escape(first)}-{re.escape(last)}")
            start = i
    return "".join(parts)


@functools.lru_cache(maxsize=1)
def pretokenize_pattern():
    """The compiled pre-tokenization pattern (built once, on first use).

    In Unicode-property notation the pattern reads
        's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+
    i.e. English contractions, words with one optional leading space, numbers, punctuation runs, and
    whitespace runs (which leave their last space to the next word). The `re` module has no \\p{..}
    classes, so they are spelled with what it has: letters are word characters that are not digits,
    "_" or other numbers (categories Nl, No: Roman numerals, superscripts, fractions); numbers are
    \\d plus those other numbers; whitespace is \\s without the separators U+001C..U+001F.
    """
    other_numbers = _character_ranges([
        c for c in map(chr, range(sys.maxunicode + 1))
        if c.isnumeric() and not c.isdecimal() and unicodedata.category(c) in ("Nl", "No")])
    letter = rf"[^\W\d_{other_numbers}]"
    number = rf"[\d{other_numbers}]"
    other = r"(?:[^\s\w]|[_\x1c-\x1f])"
    space, not_space = r"[^\S\x1c-\x1f]", r"[\S\x1c-\x1f]"
    return re.compile(rf"'s|'t|'re|'ve|'m|'ll|'d| ?{letter}+| ?{number}+| ?{other}+"
                      rf"|{space}+(?!{not_space})|{space}+")


def pretokenize(text):
    """Cut `text` into the pieces that byte-level BPE merges within; "".join(pieces) == text."""
    return pretokenize_pattern().findall(text)

"""Tokenizers: text <-> token ids. Character level, WordPiece (BERT) and byte-level BPE (GPT).

All share one interface (see base.Tokenizer): train (a classmethod), encode, encode_batch, decode,
save, load, to_dict, special tokens and their ids. `tokenizer_from_dict` rebuilds any of them.
"""
from .base import Tokenizer, tokenizer_from_dict
from .bpe import ByteLevelBPETokenizer
from .char import CharTokenizer
from .wordpiece import WordPieceTokenizer

__all__ = ["Tokenizer", "CharTokenizer", "WordPieceTokenizer", "ByteLevelBPETokenizer", "tokenizer_from_dict"]

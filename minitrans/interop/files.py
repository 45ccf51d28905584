"""The files of a Hugging Face model folder: config.json, model.safetensors, tokenizer files.

Weights are read by minitrans.safetensors_reader, which checks the whole header first
(no torch, no pickle: a folder that holds only pytorch_model.bin is refused with a clear error).
Every file is written atomically: to a temporary file beside it, then renamed over it; save_hf
fills the whole folder aside first and swaps it in.
"""
import os

import numpy as np

from ..files import atomic_write_json, write_safetensors
from ..safetensors_reader import read_safetensors
from ..tokenizers import ByteLevelBPETokenizer, WordPieceTokenizer
from ..tokenizers.files import read_json
from .options import option

WEIGHTS = "model.safetensors"
CONFIG = "config.json"
# The tokenizer files of the ecosystem's folders: a save with a tokenizer replaces them all.
TOKENIZER_FILES = ("vocab.txt", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json",
                   "tokenizer.json", "added_tokens.json", "spiece.model")


def check_directory(directory):
    """The folder as a str; FileNotFoundError naming it if it does not exist."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"no model folder at '{directory}'")
    return directory


def read_config(directory):
    """config.json of the folder as a dict."""
    path = os.path.join(directory, CONFIG)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"'{directory}' holds no {CONFIG}: it is not a Hugging Face model folder")
    config = read_json(path)
    if not isinstance(config, dict):
        raise ValueError(f"'{path}' must hold a JSON object, got {type(config).__name__}")
    return config


def read_tensors(directory):
    """(path, {name: array}) of the folder's model.safetensors, read without torch."""
    path = os.path.join(directory, WEIGHTS)
    if not os.path.isfile(path):
        others = [f for f in ("pytorch_model.bin", "model.safetensors.index.json", "tf_model.h5")
                  if os.path.exists(os.path.join(directory, f))]
        hint = f" (it holds {others}: minitrans reads only a single {WEIGHTS}, never pickle)" if others else ""
        raise FileNotFoundError(f"'{directory}' holds no {WEIGHTS}{hint}")
    return path, read_safetensors(path)[0]


def write_folder(directory, config, tensors):
    """Write config.json and model.safetensors (with the "format": "pt" metadata the ecosystem expects)
    into `directory`, a folder being filled (save_hf writes it aside and swaps it in when complete)."""
    tensors = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    write_safetensors(os.path.join(directory, WEIGHTS), tensors, {"format": "pt"})
    atomic_write_json(os.path.join(directory, CONFIG), config)


# ------------------------------------------------------------------ tokenizers
def read_tokenizer_config(directory):
    """tokenizer_config.json of the folder as a dict, or {} when there is none; ValueError naming the file
    if it is not a JSON object."""
    path = os.path.join(directory, "tokenizer_config.json")
    settings = read_json(path) if os.path.isfile(path) else {}
    if not isinstance(settings, dict):
        raise ValueError(f"'{path}' must hold a JSON object, got {type(settings).__name__}")
    return settings


def load_wordpiece(directory):
    """The WordPieceTokenizer of vocab.txt (ids = line numbers), with the folder's lower-casing
    and accent settings; None when the folder has no vocab.txt."""
    if not os.path.isfile(os.path.join(directory, "vocab.txt")):
        return None
    settings, path = read_tokenizer_config(directory), os.path.join(directory, "tokenizer_config.json")
    if settings.get("tokenize_chinese_chars", True) is not True or settings.get("do_basic_tokenize", True) is not True:
        raise ValueError(f"'{path}' turns off basic tokenization or CJK splitting, which minitrans's WordPiece "
                         f"always does")
    if settings.get("never_split"):
        raise ValueError(f"'{path}' sets never_split, which minitrans's WordPiece lacks")
    return WordPieceTokenizer.load(os.path.join(directory, "vocab.txt"),
                                   lowercase=option(settings, path, "do_lower_case", "flag", True),
                                   strip_accents=option(settings, path, "strip_accents", "flag", None, nullable=True))


def load_bpe(directory):
    """The ByteLevelBPETokenizer of vocab.json + merges.txt, or None when the folder has neither;
    ValueError when it has only one of them (a half-written folder)."""
    present = [f for f in ("vocab.json", "merges.txt") if os.path.isfile(os.path.join(directory, f))]
    if not present:
        return None
    if len(present) == 1:
        missing = "merges.txt" if present == ["vocab.json"] else "vocab.json"
        raise ValueError(f"'{directory}' holds {present[0]} but no {missing}: a byte-level BPE tokenizer needs both")
    settings, path = read_tokenizer_config(directory), os.path.join(directory, "tokenizer_config.json")
    if option(settings, path, "add_prefix_space", "flag", False):
        raise ValueError(f"'{path}' sets add_prefix_space, which minitrans's BPE lacks")
    return ByteLevelBPETokenizer.load(directory)


def save_tokenizer(tokenizer, directory, max_length):
    """Write the tokenizer's standard files and a tokenizer_config.json naming its class."""
    if isinstance(tokenizer, WordPieceTokenizer):
        tokenizer.save(directory)
        settings = {"tokenizer_class": "BertTokenizer", "do_lower_case": tokenizer.basic.lowercase,
                    "strip_accents": tokenizer.basic.strip_accents, "tokenize_chinese_chars": True,
                    **{f"{role}_token": token for role, token in tokenizer.roles.items()}}
    elif isinstance(tokenizer, ByteLevelBPETokenizer):
        tokenizer.save(directory)
        settings = {"tokenizer_class": "GPT2Tokenizer", "add_prefix_space": False,
                    **{f"{role}_token": token for role, token in tokenizer.roles.items()}}
    else:
        raise TypeError(f"save_hf writes WordPiece (vocab.txt) and byte-level BPE (vocab.json + merges.txt) "
                        f"tokenizers, got {type(tokenizer).__name__}")
    settings["model_max_length"] = max_length
    atomic_write_json(os.path.join(directory, "tokenizer_config.json"), settings)


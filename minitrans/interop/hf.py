"""load_hf and save_hf: Hugging Face model folders in, minitrans models out, and back.

    model, tokenizer = load_hf("path/to/bert-folder")    # BERT, GPT-2, T5
    save_hf(model, "runs/my-bert-hf", tokenizer)         # then the ecosystem's from_pretrained loads it

Loading checks everything before filling anything: the config's values must have the right
types and ranges and its options be ones minitrans can express, the model it describes must
not be far larger than the file (checked before the model is built), and the file must hold
exactly the tensors the config implies, each with its shape and as finite floats (known
buffers and tied copies are checked, then skipped). A round trip load_hf(save_hf(model))
gives back every parameter bit for bit.
"""
import os

import numpy as np

from ..files import atomic_write_folder
from ..models import GPT, T5, BertForPreTraining, BertModel
from ..safetensors_reader import check_size, check_weights
from . import bert, gpt2, t5
from .files import (CONFIG, TOKENIZER_FILES, check_directory, load_bpe, load_wordpiece, read_config, read_tensors,
                    save_tokenizer, write_folder)
from .layout import check_tensors, from_hf, hf_shapes, to_hf

ARCHITECTURES = {"bert": bert, "gpt2": gpt2, "t5": t5}
SUPPORTED = ["bert", "gpt2", "t5"]


def load_hf(directory):
    """(model, tokenizer) from a Hugging Face model folder, the model in eval mode.

    BERT gives a BertModel, or a BertForPreTraining when the file holds the pretraining heads
    ("cls."), with or without the "bert." prefix; its tokenizer is vocab.txt's WordPiece.
    GPT-2 gives a GPT and the byte-level BPE of vocab.json + merges.txt. T5 gives a T5
    (models/t5.py) and whichever of those two tokenizers the folder holds (not SentencePiece's
    spiece.model, which minitrans cannot read). The tokenizer is None when the folder has no such files.
    Weights keep their float32 or float64 dtype (float16 becomes float32); integer, bool, complex and
    bfloat16 weights are refused, naming the tensor, and so are weights holding NaN or Inf.
    """
    directory = check_directory(directory)
    config = read_config(directory)
    config_path = os.path.join(directory, CONFIG)
    model_type = config.get("model_type")
    if not isinstance(model_type, str) or model_type not in ARCHITECTURES:
        raise ValueError(f"'{config_path}': model_type {model_type!r} is not one minitrans reads; "
                         f"supported: {SUPPORTED}")
    arch = ARCHITECTURES[model_type]
    model_config = arch.config_from_hf(config, config_path)
    path, tensors = read_tensors(directory)
    if model_type == "t5":
        tensors = t5.untie_head(config, tensors)
    shapes = {name: array.shape for name, array in tensors.items()}
    check_size(f"'{config_path}'", arch.least_parameters(model_config), path, shapes)   # before building
    dtypes = {a.dtype for a in tensors.values() if a.dtype.kind == "f"}
    model_config.dtype = "float64" if dtypes == {np.dtype(np.float64)} else "float32"
    model, entries = arch.build(model_config, list(tensors))
    known = arch.known_extras(tensors, entries, path)
    check_tensors(path, hf_shapes(entries), shapes, known)
    check_weights(path, {hf_name: tensors[hf_name] for _, hf_name, _, _ in entries})
    model.load_state_dict(from_hf(entries, tensors, model_config.dtype))
    if model_type == "bert":
        tokenizer = load_wordpiece(directory)
    elif model_type == "gpt2":
        tokenizer = load_bpe(directory)
    else:
        tokenizer = load_wordpiece(directory)
        tokenizer = load_bpe(directory) if tokenizer is None else tokenizer
    return model.eval(), tokenizer


def save_hf(model, directory, tokenizer=None):
    """Write `model` (BertModel, BertForPreTraining, GPT or T5) as a Hugging Face folder: config.json,
    model.safetensors and, when given, the tokenizer's files. Returns the directory.

    The folder is written aside and swapped in when complete (minitrans.files.atomic_write_folder):
    a failed save leaves the old folder as it was. Other files of an existing folder stay, except
    the old tokenizer's files when a tokenizer is given.

    BertModel loads with transformers' BertModel, BertForPreTraining with BertForPreTraining
    (BertForMaskedLM without NSP), GPT with GPT2LMHeadModel, T5 with T5ForConditionalGeneration.
    """
    if isinstance(model, (BertModel, BertForPreTraining)):
        arch, max_length = bert, (model.config if isinstance(model, BertModel) else model.bert.config).max_position
        config = bert.config_to_hf(model)
    elif isinstance(model, GPT):
        arch, max_length = gpt2, model.config.block_size
        config = gpt2.config_to_hf(model, tokenizer)
    elif isinstance(model, T5):
        arch, max_length = t5, model.config.max_input_length
        config = t5.config_to_hf(model, tokenizer)
    else:
        raise TypeError(f"save_hf writes BertModel, BertForPreTraining, GPT and T5, got {type(model).__name__}"
                        + ("; save its body (head.bert) instead" if hasattr(model, "bert") else ""))
    tensors = to_hf(arch.model_plan(model, arch.save_prefix(model)))

    def write(folder):
        write_folder(folder, config, tensors)
        if tokenizer is not None:
            save_tokenizer(tokenizer, folder, max_length)
    # All the files or none: never new weights beside an old config, nor two tokenizers in one folder.
    atomic_write_folder(directory, write, replaced=TOKENIZER_FILES if tokenizer is not None else ())
    return os.fspath(directory)


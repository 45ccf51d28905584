"""What every recipe does around the Trainer: name the run directory, take the tokenizer of a
run being resumed, run the trainer timed, plot its loss curve, and load the model it wrote."""
from __future__ import annotations

import inspect
import time
from pathlib import Path

from ..checkpoint import load_checkpoint, restore_checkpoint
from ..models import (BertConfig, GPTConfig, LSTMConfig, T5Config, count_bert_parameters, count_gpt_parameters,
                      count_lstm_parameters, count_t5_parameters)
from ..safetensors_reader import check_size
from ..tokenizers import tokenizer_from_dict

CHECKPOINT_NAME = "checkpoint.safetensors"
# config class -> its model's parameter count (BERT: the body, which every BERT checkpoint holds)
PARAMETER_COUNTS = {GPTConfig: count_gpt_parameters, LSTMConfig: count_lstm_parameters, T5Config: count_t5_parameters,
                    BertConfig: count_bert_parameters}


def default_out_dir(family, corpus):
    """runs/<family>-<corpus name>, under the current directory."""
    return str(Path("runs") / f"{family}-{Path(str(corpus)).stem}")


def defaults_of(function):
    """{argument name: default value} of a recipe function: where the command line takes its defaults."""
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


def resumed_tokenizer(out_dir, model_class):
    """The tokenizer stored in out_dir's checkpoint: a resumed run keeps the ids it was trained with,
    even if the corpus changed since (rebuilding the tokenizer could renumber them). The checkpoint must
    hold a model_class: resuming a BERT run from a GPT run's directory is a ValueError saying so."""
    path = Path(out_dir) / CHECKPOINT_NAME if out_dir is not None else None
    if path is None or not path.exists():
        raise FileNotFoundError(f"nothing to resume: no checkpoint at {path}")
    ckpt = load_checkpoint(path)
    check_model_type(ckpt, model_class)
    if ckpt.tokenizer is None:
        raise ValueError(f"checkpoint '{path}' holds no tokenizer, so the run cannot be resumed with the same ids")
    return stored_tokenizer(ckpt)


def check_model_type(ckpt, model_class):
    """ValueError unless the checkpoint holds a model_class (e.g. a GPT checkpoint given where a BERT belongs)."""
    if ckpt.model_type != model_class.__name__:
        raise ValueError(f"checkpoint '{ckpt.path}' holds a {ckpt.model_type}, expected a {model_class.__name__} "
                         f"(a checkpoint of another model family)")


def stored_tokenizer(ckpt):
    """The tokenizer in a checkpoint's metadata; ValueError naming the file if it is missing or malformed."""
    try:
        return tokenizer_from_dict(ckpt.tokenizer)
    except ValueError as e:
        raise ValueError(f"checkpoint '{ckpt.path}': metadata 'tokenizer' is not a valid tokenizer ({e})") from None


def stored_config(ckpt, config_class):
    """The model config in a checkpoint's metadata as a config_class, checked before any model is built:
    ValueError naming the file if a field has the wrong type or range, or if the config describes a model
    far larger than the weights the file holds (safetensors_reader.check_size)."""
    try:
        config = config_class.from_dict(ckpt.config)
    except ValueError as e:
        raise ValueError(f"checkpoint '{ckpt.path}': metadata 'config' is not a valid {config_class.__name__} "
                         f"({e})") from None
    shapes = {name: a.shape for name, a in ckpt.model_state.items()}
    check_size(f"checkpoint '{ckpt.path}': metadata 'config'", PARAMETER_COUNTS[config_class](config),
               ckpt.path, shapes)
    return config


def encode_for_resume(tokenizer, text, corpus):
    """The corpus's ids with a resumed run's tokenizer; ValueError naming the corpus if it no longer encodes."""
    try:
        return tokenizer.encode(text)
    except ValueError as e:
        raise ValueError(f"corpus {corpus} no longer encodes with the tokenizer of the run being resumed "
                         f"({e}); resume with the corpus the run started with, or start a new run") from None


def run_and_plot(trainer, resume=False, until=None):
    """trainer.run(resume, until), timed into trainer.wall_time, then the loss curve out_dir/loss.png."""
    t0 = time.perf_counter()
    trainer.run(resume=resume, until=until)
    trainer.wall_time = time.perf_counter() - t0
    if trainer.cfg.out_dir is not None:
        from ..plot import plot_history     # here, not at the top: matplotlib takes a second to import,
        plot_history(trainer.history, Path(trainer.cfg.out_dir) / "loss.png")   # which `--help` need not wait for
    return trainer


def load_pretrained(path, model_class, config_class, make_model=None):
    """A model of model_class (in eval mode) and its tokenizer from a checkpoint written by a recipe.

    The file is read once, and its tokenizer and config are checked before the model is built
    (make_model(config, ckpt) builds it when the class needs more than its config)."""
    ckpt = load_checkpoint(path)
    check_model_type(ckpt, model_class)
    tokenizer = stored_tokenizer(ckpt)
    config = stored_config(ckpt, config_class)
    if tokenizer.vocab_size > config.vocab_size:
        raise ValueError(f"checkpoint '{ckpt.path}': its tokenizer has {tokenizer.vocab_size} tokens, "
                         f"but the model's vocab_size is {config.vocab_size}")
    model = model_class(config) if make_model is None else make_model(config, ckpt)
    restore_checkpoint(ckpt, model)
    model.eval()
    return model, tokenizer

"""What every recipe does around the Trainer: name the run directory, take the tokenizer of a
run being resumed, run the trainer timed, plot its loss curve, and load the model it wrote."""
from __future__ import annotations

import inspect
import time
from pathlib import Path

from ..checkpoint import load_checkpoint
from ..tokenizers import tokenizer_from_dict

CHECKPOINT_NAME = "checkpoint.safetensors"


def default_out_dir(family, corpus):
    """runs/<family>-<corpus name>, under the current directory."""
    return str(Path("runs") / f"{family}-{Path(str(corpus)).stem}")


def defaults_of(function):
    """{argument name: default value} of a recipe function: where the command line takes its defaults."""
    return {name: p.default for name, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


def resumed_tokenizer(out_dir):
    """The tokenizer stored in out_dir's checkpoint: a resumed run keeps the ids it was trained with,
    even if the corpus changed since (rebuilding the tokenizer could renumber them)."""
    path = Path(out_dir) / CHECKPOINT_NAME if out_dir is not None else None
    if path is None or not path.exists():
        raise FileNotFoundError(f"nothing to resume: no checkpoint at {path}")
    stored = load_checkpoint(path).tokenizer
    if stored is None:
        raise ValueError(f"checkpoint '{path}' holds no tokenizer, so the run cannot be resumed with the same ids")
    return tokenizer_from_dict(stored)


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


def load_pretrained(path, model_class, config_class):
    """A model of model_class (in eval mode) and its tokenizer from a checkpoint written by a recipe."""
    ckpt = load_checkpoint(path)
    if ckpt.model_type != model_class.__name__:
        raise ValueError(f"checkpoint '{path}' holds a {ckpt.model_type}, expected a {model_class.__name__}")
    model = model_class(config_class.from_dict(ckpt.config))
    load_checkpoint(path, model)
    model.eval()
    return model, tokenizer_from_dict(ckpt.tokenizer)

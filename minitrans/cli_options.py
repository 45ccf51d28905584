"""The option types and option groups every `minitrans` command shares.

Every size, count, rate and probability is checked when the arguments are parsed, so a bad
value ends the command at once with one line (exit 2) instead of failing deep inside a run:

    p.add_argument("--batch-size", type=BATCH_SIZE)            # an integer from 1 to MAX_BATCH_SIZE
    p.add_argument("--lr", type=POSITIVE)                      # a finite number > 0
    p.add_argument("--dropout", type=DROPOUT)                  # a number in [0, 1)

cli.py (GPT, BERT, LSTM) and recipes/t5_cli.py (T5) build their commands from these.
"""
from __future__ import annotations

import argparse
import math

from .files import make_directory
from .recipes.runs import default_out_dir

# The TrainConfig fields a pretraining run takes from the command line; those not given keep
# the recipe's value (recipes/causal_lm.py, recipes/bert.py and recipes/t5.py own them, in default_train_config).
RUN_FIELDS = ("lr", "min_lr", "warmup", "grad_accum", "eval_interval", "checkpoint_interval", "seed")

# The largest --batch-size: beyond it one batch of the presets' sizes no longer fits a laptop's
# memory (use --grad-accum for a larger effective batch).
MAX_BATCH_SIZE = 4096


class ArgumentParser(argparse.ArgumentParser):
    """argparse with one-line errors: `minitrans pretrain gpt: error: argument --iters: ... (see --help)`."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def int_in(minimum, maximum=None):
    """An argparse type: an integer >= minimum (and <= maximum if given), or an error saying so."""
    expected = f"an integer >= {minimum}" if maximum is None else f"an integer from {minimum} to {maximum}"

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value
    return parse


def number_in(low, high=math.inf, low_open=False, high_open=False):
    """An argparse type: a finite number in the interval from low to high, or an error saying so.

    low_open / high_open exclude the end: number_in(0, low_open=True) is a number > 0,
    number_in(0, 1, high_open=True) a number in [0, 1). NaN and Inf are never accepted."""
    if high == math.inf:
        expected = f"a finite number {'>' if low_open else '>='} {low}"
    else:
        expected = f"a number in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        inside = math.isfinite(value) and (low < value if low_open else low <= value) and \
            (value < high if high_open else value <= high)
        if not inside:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value
    return parse


POSITIVE_INT = int_in(1)                           # sizes and counts: --iters, --block-size, --n-train
COUNT = int_in(0)                                  # steps that may be none: --warmup, --pretrain-iters
SEED = int_in(0)                                   # numpy's generators take seeds >= 0
BATCH_SIZE = int_in(1, MAX_BATCH_SIZE)
POSITIVE = number_in(0, low_open=True)             # learning rates, temperatures, timeouts
NON_NEGATIVE = number_in(0)                        # a final learning rate, an aux-loss weight
DROPOUT = number_in(0, 1, high_open=True)          # a probability below 1
TOP_P = number_in(0, 1, low_open=True)             # a probability above 0


def add_run_options(p, family, default_train_config):
    """The options every pretraining run has: steps, schedule, evaluation, checkpoints, seed, run directory.

    Their defaults are the recipe's default_train_config; a default that the recipe scales with
    the number of steps is shown for the default --iters."""
    d = default_train_config()
    shorter = default_train_config(max(1, d.iters // 10))

    def recipe(field):
        value = getattr(d, field)
        scaled = f" for --iters {d.iters} (it scales with --iters)" if getattr(shorter, field) != value else ""
        return f"default: the recipe's, {value}{scaled}"
    p.add_argument("--iters", type=POSITIVE_INT, default=d.iters, help=f"optimizer steps (default {d.iters})")
    p.add_argument("--lr", type=POSITIVE, default=None, help=recipe("lr"))
    p.add_argument("--min-lr", type=NON_NEGATIVE, default=None, help=recipe("min_lr"))
    p.add_argument("--warmup", type=COUNT, default=None, help=recipe("warmup"))
    p.add_argument("--eval-interval", type=POSITIVE_INT, default=None,
                   help="steps between evaluations, each with a checkpoint; " + recipe("eval_interval"))
    p.add_argument("--checkpoint-interval", type=COUNT, default=None,
                   help="steps between checkpoints instead (0: only at the end and when stopped); "
                        "default: at every evaluation")
    p.add_argument("--seed", type=SEED, default=None, help=recipe("seed"))
    p.add_argument("--out", default=None, help=f"run directory (default runs/{family}-<corpus>)")
    p.add_argument("--resume", action="store_true",
                   help="continue the run in --out exactly where it stopped (or was stopped by Ctrl-C)")
    p.add_argument("--no-progress", action="store_true")


def run_config(args, default_train_config, family):
    """The run directory (created and checked before any work) and the TrainConfig of a pretraining run."""
    out = make_directory(args.out or default_out_dir(family, args.corpus), "--out")
    given = {f: getattr(args, f) for f in RUN_FIELDS if getattr(args, f, None) is not None}
    return out, default_train_config(args.iters, out_dir=out, progress=not args.no_progress, **given)


def print_run_summary(trainer, out, metrics=()):
    """Where the run's files are, its wall time, and its last validation evaluation."""
    print(f"checkpoint: {trainer.checkpoint_path}  loss curve: {out}/loss.png  log: {out}/log.jsonl")
    print(f"wall time: {trainer.wall_time:.1f} s")
    last = next((r for r in reversed(trainer.history) if r["split"] == "val_eval"), None)
    if last is None:
        print("no validation evaluation was run")
        return
    if any(k in last for k in metrics):
        print(", ".join(f"{k} {last[k]:.4f}" for k in metrics if k in last))
    print(f"final val loss: {last['loss']:.4f}")


def add_finetune_options(p, d):
    """Options every finetuning run has; `d` holds the recipe function's defaults (defaults_of)."""
    p.add_argument("--n-train", type=POSITIVE_INT, default=d["n_train"], help="use only the first N training examples")
    p.add_argument("--epochs", type=POSITIVE_INT, default=d["epochs"])
    p.add_argument("--batch-size", type=BATCH_SIZE, default=d["batch_size"])
    p.add_argument("--lr", type=POSITIVE, default=d["lr"])
    p.add_argument("--seed", type=SEED, default=d["seed"])
    p.add_argument("--out", default=None, help="run directory for the log, loss curve and checkpoint")
    p.add_argument("--no-progress", action="store_true")


def finetune_out(args):
    """--out, created and checked before any work (None when not given)."""
    return None if args.out is None else make_directory(args.out, "--out")


def print_scores(scores):
    """One line per split: `test: accuracy 0.9120, f1 0.9001`."""
    for split, metrics in scores.items():
        print(f"{split}: " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()))

"""The small pretrained GPT and BERT that minitrans ships in data/pretrained/, and the recipes that make them.

    minitrans data pretrained                 # retrain both with the recipes below (minutes each)
    model, tok = load_shipped("gpt")          # a GPT (eval mode) and its byte-level BPE tokenizer
    model, tok = load_shipped("bert")         # a BertForPreTraining (eval mode) and its WordPiece tokenizer

The quickstart and the notebooks start from these, so that they show what pretraining buys without
spending their few minutes on it. A shipped file holds the weights (float32, no optimizer state), the
model config, the tokenizer, the recipe's training settings, the losses of the first FIRST_STEPS steps
and every evaluation of the run: enough for a test to replay the start of the recipe and find the same
losses, bit for bit (retraining all the way takes longer than a test should). The recipes run on one
thread (kernels.threads.one_thread): how many threads a sum is split over changes its last bits, and
the files must come out the same on a machine of any number of cores. They come out the same on a
machine of the same kind (machine_kind: the CPU and NumPy's version); another CPU's BLAS kernels and
vector width sum in another order, so there the last bits differ (the first losses by about 1e-7).
"""
import platform
from dataclasses import asdict
from pathlib import Path

import numpy as np
from llvmlite import binding as llvm

from ..checkpoint import load_checkpoint, save_checkpoint
from ..data.toyworld.io import default_data_dir
from ..kernels.threads import one_thread
from .bert import default_train_config as bert_train_config, load_bert, pretrain_bert
from .causal_lm import default_train_config as gpt_train_config
from .gpt import load_gpt, pretrain_gpt

FIRST_STEPS = 20          # training losses kept in the file, for the replay check
RUN_ONLY = ("out_dir", "progress")   # TrainConfig fields that say where and how loudly, not what is trained


# Every setting is written out (not taken from the recipes' defaults), so that a change of a default
# elsewhere does not silently stop the shipped files from being what these functions make.
def gpt_settings(progress=True):
    """The shipped GPT's TrainConfig: the baby-GPT settings (lr 1e-3 cosine-decayed to 1e-4 over 3000 steps);
    the shipped file is saved at step SHIPPED_STEPS["gpt"] of it."""
    return gpt_train_config(3000, lr=1e-3, min_lr=1e-4, warmup=100, weight_decay=0.1, betas=(0.9, 0.99),
                            eval_interval=250, eval_iters=5, progress=progress)


def bert_settings(progress=True):
    """The shipped BERT's TrainConfig: the BERT recipe's settings (lr 3e-3 cosine-decayed to 3e-4 over 16000
    steps, the long run of docs/models.md); the shipped file is saved at step SHIPPED_STEPS["bert"] of it."""
    return bert_train_config(16000, lr=3e-3, min_lr=3e-4, warmup=100, weight_decay=0.01, betas=(0.9, 0.999),
                             eval_interval=1000, eval_iters=10, progress=progress)


def gpt_recipe(until=None, progress=True):
    """The shipped GPT's run: 'baby' (4 layers, 4 heads, 128 wide, block 64), byte-level BPE of 600 ids,
    batch 16, the baby-GPT training settings, stopped at step `until` (None: the end of the schedule)
    -> (model, tokenizer, trainer)."""
    with one_thread():
        return pretrain_gpt(corpus="toyworld", tokenizer="bpe", preset="baby", batch_size=16, vocab_size=600,
                            block_size=64, train_config=gpt_settings(progress), until=until)


def bert_recipe(until=None, progress=True):
    """The shipped BERT's run: 'tiny' (2 layers, 2 heads, 64 wide), WordPiece of 1000 ids, masked LM
    (80/10/10) + next sentence prediction on batches of 32 pairs, the BERT recipe's training settings,
    stopped at step `until` (None: the end of the schedule) -> (model, tokenizer, trainer)."""
    with one_thread():
        return pretrain_bert("toyworld", "tiny", vocab_size=1000, batch_size=32, max_len=128, passes=4,
                             dropout=0.0, train_config=bert_settings(progress), until=until)


# family: (train it, its TrainConfig, load it)
# The step of its run at which each file is saved: early in each schedule, so that the files stay minutes
# of training away, yet past the point where pretraining clearly beats random initialisation on the probes.
SHIPPED_STEPS = {"gpt": 1250, "bert": 10000}
RECIPES = {"gpt": (gpt_recipe, gpt_settings, load_gpt), "bert": (bert_recipe, bert_settings, load_bert)}


def shipped_path(family, folder=None):
    """data/pretrained/<family>.safetensors (or under another folder)."""
    check_family(family)
    return Path(folder if folder is not None else default_data_dir() / "pretrained") / f"{family}.safetensors"


def check_family(family):
    if family not in RECIPES:
        raise ValueError(f"the shipped models are {sorted(RECIPES)}, got {family!r}")


def training_settings(train_config):
    """A TrainConfig as a JSON-ready dict, without the fields that do not change what is trained."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(train_config).items() if k not in RUN_ONLY}


def machine_kind():
    """What decides the last bits of a run besides the code: the CPU kind (which BLAS kernels NumPy's
    OpenBLAS picks, and the vector width Numba compiles for) and NumPy's version (its BLAS build)."""
    return f"{platform.machine()} {llvm.get_host_cpu_name()}, numpy {np.__version__}"


def write_shipped(path, model, tokenizer, trainer):
    """Save a trained model as a shipped file: weights, config, tokenizer, training settings, the first
    FIRST_STEPS losses, the evaluations and the machine kind that made it (no optimizer state: nobody
    resumes a shipped run)."""
    history = trainer.history
    extra = {"command": "minitrans data pretrained", "made_on": machine_kind(),
             "train_config": training_settings(trainer.cfg),
             "first_losses": [r["loss"] for r in history if r["split"] == "train"][:FIRST_STEPS],
             "evaluations": [r for r in history if r["split"].endswith("_eval")]}
    save_checkpoint(path, model, None, trainer.step, config=trainer.model_config, tokenizer=tokenizer, extra=extra)
    return Path(path)


def make_shipped(family, folder=None):
    """Train `family` ('gpt' or 'bert') with its recipe and write its shipped file -> the path."""
    check_family(family)
    model, tok, trainer = RECIPES[family][0](until=SHIPPED_STEPS[family])
    return write_shipped(shipped_path(family, folder), model, tok, trainer)


def load_shipped(family, folder=None):
    """The shipped pretrained `family` ('gpt': a GPT, 'bert': a BertForPreTraining), in eval mode, and
    its tokenizer. The files are in the repository's data/pretrained/ (`minitrans data pretrained` remakes them)."""
    path = shipped_path(family, folder)
    if not path.exists():
        raise FileNotFoundError(f"no shipped {family} at {path}: run `minitrans data pretrained` to make it")
    return RECIPES[family][2](path)


def shipped_record(family, folder=None):
    """The metadata of a shipped file: extra (command, made_on, train_config, first_losses, evaluations), step,
    config."""
    ckpt = load_checkpoint(shipped_path(family, folder))
    return {"step": ckpt.step, "config": ckpt.config, "tokenizer": ckpt.tokenizer, **ckpt.extra}

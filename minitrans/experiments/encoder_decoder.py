"""encoder-decoder: a GPT and a BERT of the same size and pretraining compute, finetuned on the same tasks.

Same size: both bodies are 4 layers x 128 wide, 4 heads, feed-forward 512 (GPT preset "baby", BERT
preset "mini"); the BERT has about a tenth more parameters (a larger WordPiece vocabulary, segment
embeddings, biases, pooler; the counts are in the notes). Same compute: the same number of steps
over the same number of input tokens a step (GPT 16 windows of 64 tokens; BERT 25 sentence pairs
of about 40 tokens, measured and reported), so the same forward-backward FLOPs to within the size
difference (about 6 x parameters x tokens). The GPT predicts every token it reads, the BERT the 15%
it masks. Both are then finetuned on the five-task suite (suite.py), and so is each family from
scratch, for reference. Each family is pretrained once (seed 0); the seeds are the finetuning runs'.
"""
from pathlib import Path

import numpy as np

from ..checkpoint import load_checkpoint
from ..recipes.bert import load_bert
from ..recipes.gpt import load_gpt
from .bars import plot_table
from .pretrained import pretrained_checkpoint
from .report import StudyResult, runs_bar
from .suite import COLUMNS, SIZES, SUITE, finetune_score

ROWS = {"GPT pretrained": ("GPT", True), "BERT pretrained": ("BERT", True),       # row: (family, pretrained)
        "GPT not pretrained": ("GPT", False), "BERT not pretrained": ("BERT", False)}


def parameter_count(model):
    """The number of trainable numbers in a model."""
    return int(sum(p.data.size for p in model.parameters()))


def pretraining_compute(path):
    """{steps, tokens_per_step}: the mean number of input tokens of a training step, from a checkpoint's history."""
    history = load_checkpoint(path).extra["history"]
    tokens = [r["tokens"] for r in history if r["split"] == "train"]
    return {"steps": len(tokens), "tokens_per_step": float(np.mean(tokens))}


def run(out_dir, quick=False, seeds=None, progress=True):
    """The suite for each row of ROWS and finetuning seed (default seeds 0, 1, 2); one pretraining per family."""
    seeds = ([0] if quick else [0, 1, 2]) if seeds is None else list(seeds)
    result = StudyResult("encoder-decoder", "GPT vs BERT of the same size and pretraining compute, finetuned",
                         COLUMNS + ["average"], seeds, "minitrans experiment encoder-decoder" + (" --quick" if quick else ""))
    root = Path(out_dir).parent
    size = "quick" if quick else "full"
    bar = runs_bar(len(seeds) * len(ROWS), "encoder-decoder runs", progress)
    checkpoints = {"GPT": pretrained_checkpoint("gpt", root, quick, progress),
                   "BERT": pretrained_checkpoint("bert", root, quick, progress, variant="gpt-size")}
    for seed in seeds:
        for row, (family, pretrained) in ROWS.items():
            checkpoint = checkpoints[family] if pretrained else None
            options = {"preset": "mini"} if family == "BERT" and not pretrained else {}
            scores = [finetune_score(family.lower(), task, checkpoint, size, seed, **options) for task in SUITE]
            for column, score in zip(COLUMNS, scores):
                result.add(row, column, score)
            result.add(row, "average", sum(scores) / len(scores))
            bar.update()
    bar.close()
    models = {"GPT": load_gpt(checkpoints["GPT"])[0], "BERT": load_bert(checkpoints["BERT"])[0].bert}
    for family, model in models.items():
        result.extra[family] = {"parameters": parameter_count(model), **pretraining_compute(checkpoints[family])}
    result.notes.append("Parameters (body and embeddings, no task head): " + ", ".join(
        f"{family} {v['parameters']:,}" for family, v in result.extra.items()) + ".")
    result.notes.append("Pretraining compute: " + ", ".join(
        f"{family} {v['steps']} steps x {v['tokens_per_step']:.0f} tokens" for family, v in result.extra.items()) + ".")
    result.notes.append("Finetuned on {n_train} labelled examples for {epochs} epochs, scored on {n_eval} test "
                        "examples.".format(**SIZES[size]))
    result.notes += [result.verdict("BERT pretrained", "GPT pretrained", "average"),
                     result.verdict("GPT pretrained", "GPT not pretrained", "average"),
                     result.verdict("BERT pretrained", "BERT not pretrained", "average")]
    plot_table(result, Path(out_dir) / "suite.png", ylabel="test score")
    return result

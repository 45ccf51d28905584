"""The T5 paper's training regimes on the toy world: `minitrans experiment t5-objectives`.

Three ways to train one tiny T5 on several text-to-text tasks at once (recipes/t5.py):

    span corruption, then multitask   pretrain_t5, then multitask_t5 from its checkpoint
    joint                             multitask_t5(joint=True): span corruption mixed into every batch
    multitask alone                   multitask_t5 from random weights

Each task is scored on its test examples from greedy answers: the exact match of the answer text
and the task's own metric (accuracy, MCC, F1, Pearson, token F1). The joint and multitask-alone runs
take as many steps as the multitask stage of the first regime, which also had its pretraining steps.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .report import StudyResult, runs_bar

TASKS = ("sentiment", "acceptability", "paraphrase", "similarity", "qa")
METRIC = {"sentiment": "accuracy", "acceptability": "mcc", "paraphrase": "f1", "similarity": "pearson", "qa": "f1"}
REGIMES = ("span corruption, then multitask", "joint", "multitask alone")


def columns():
    """'task EM' for every task, and 'task <metric>' where the metric is not exact match itself."""
    out = []
    for task in TASKS:
        out.append(f"{task} EM")
        if METRIC[task] != "accuracy":
            out.append(f"{task} {METRIC[task]}")
    return out


def train_regime(regime, out_dir, pretrain_iters, iters, n_eval, seed=0, progress=False, preset="tiny",
                 batch_size=32):
    """Train one regime and score it -> (scores {task: metrics}, {stage: final val loss})."""
    from ..recipes.t5 import default_train_config, multitask_t5, pretrain_t5
    out = Path(out_dir)
    checkpoint, losses = None, {}
    if regime == REGIMES[0]:
        cfg = default_train_config(pretrain_iters, out_dir=str(out / "pretrain"), progress=progress,
                                   eval_iters=5, seed=seed)
        _, _, pretrainer = pretrain_t5("toyworld", preset, batch_size=batch_size, train_config=cfg, seed=seed)
        checkpoint = str(out / "pretrain" / "checkpoint.safetensors")
        losses["span corruption"] = pretrainer.final_loss()
    scores, _, _, trainer = multitask_t5(TASKS, checkpoint, preset=preset, iters=iters, batch_size=batch_size,
                                         joint=regime == "joint", limit=2000, n_eval=n_eval, seed=seed,
                                         out_dir=str(out / "multitask"), progress=progress)
    losses["multitask"] = trainer.final_loss()
    return scores, losses


def run(out_dir, quick=False, seeds=None, progress=True):
    """Rows: the three regimes; columns: exact match and the task metric per task."""
    seeds = ([0] if quick else [0, 1, 2]) if seeds is None else list(seeds)
    pretrain_iters, iters, n_eval = (10, 10, 8) if quick else (1000, 1000, 200)
    title = "T5 (tiny preset): span corruption then multitask vs joint vs multitask alone"
    result = StudyResult("t5-objectives", title, columns(), seeds,
                         "minitrans experiment t5-objectives" + (" --quick" if quick else ""))
    bar = runs_bar(len(seeds) * len(REGIMES), "t5-objectives: training runs", progress)
    for seed in seeds:
        for k, regime in enumerate(REGIMES):
            scores, losses = train_regime(regime, Path(out_dir) / f"regime{k}-seed{seed}", pretrain_iters, iters,
                                          n_eval, seed)
            for task in TASKS:
                result.add(regime, f"{task} EM", scores[task]["exact_match"])
                if METRIC[task] != "accuracy":
                    result.add(regime, f"{task} {METRIC[task]}", scores[task][METRIC[task]])
            result.extra[f"{regime}, seed {seed}"] = {"scores": scores, "final_val_loss": losses}
            bar.update()
    bar.close()
    result.notes += [f"T5 tiny preset (2+2 layers, 32 wide); span corruption {pretrain_iters} steps, multitask "
                     f"{iters} steps of batch 32 on {', '.join(TASKS)} (examples-proportional mixing, limit 2000; "
                     f"joint: span corruption is one more 'task' of the mixture); greedy answers on {n_eval} test "
                     f"examples per task.",
                     "EM: the answer text equals the target, ignoring case and spaces (qa: SQuAD-normalized); "
                     "sentiment's metric is its EM (accuracy); an unparsed answer counts as wrong."]
    result.plots.append(plot_regimes(result, Path(out_dir) / "t5_objectives.png"))
    return result


def plot_regimes(result, path):
    """Grouped bars: each column's mean per regime."""
    from ..plot import plt, save
    fig, ax = plt.subplots(figsize=(11, 4))
    width = 0.8 / len(result.cells)
    x = np.arange(len(result.columns))
    for k, row in enumerate(result.cells):
        ax.bar(x + k * width, [result.mean(row, c) for c in result.columns], width, label=row)
    ax.set_xticks(x + width * (len(result.cells) - 1) / 2)
    ax.set_xticklabels(result.columns, rotation=30, ha="right", fontsize=8)
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_ylabel("test score")
    ax.set_title("T5 tiny: training regimes per task")
    ax.legend(fontsize=8)
    return save(fig, path)

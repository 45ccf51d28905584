"""small-data: finetuned from a pretrained GPT vs the same GPT trained from scratch, as the
labelled set grows (sentiment, where pretraining helps most at this scale).

Each size n and seed trains on its own random draw of n training examples, as many of each label
(recipes.finetune.sample_balanced; the file's first 30 reviews are 19 positive and 11 negative), with
GPT's finetuning recipe (aux LM loss lambda = 0.5, the GPT's FINETUNING_LEARNING_RATES) for the
whole epochs that make at least min_steps optimizer steps of 16 (gpt-ablation's 300 examples x 10 epochs is 190 steps): a tiny
set is seen many times, a large one a few times, and every size gets about the same training.
"""
import math
from dataclasses import replace
from pathlib import Path

from ..files import make_directory
from ..models import GPT
from ..recipes.gpt import load_gpt
from ..recipes.gpt_finetune import finetune_lm
from .pretrained import FINETUNING_LEARNING_RATES, pretrained_checkpoint
from .report import StudyResult, runs_bar

TASK, METRIC = "sentiment", "accuracy"
ROWS = ("pretrained GPT", "GPT from scratch")
SIZES = {   # labelled set sizes, dev/test examples scored, seeds, fewest optimizer steps of a run
    "full": dict(n_train=[10, 30, 100, 300, 1000], n_eval=200, seeds=[0, 1, 2], min_steps=150),
    "quick": dict(n_train=[4, 16], n_eval=16, seeds=[0], min_steps=1),
}
BATCH = 16


def epochs_for(n, min_steps=SIZES["full"]["min_steps"]):
    """The fewest whole epochs of n examples (batches of BATCH) that make at least min_steps steps."""
    return math.ceil(min_steps / math.ceil(n / BATCH))


def run(out_dir, quick=False, seeds=None, progress=True):
    """Finetune both rows at every size with every seed; the table, its JSON and a learning curve under out_dir."""
    size = SIZES["quick" if quick else "full"]
    seeds = size["seeds"] if seeds is None else list(seeds)
    checkpoint = pretrained_checkpoint("gpt", Path(out_dir).parent, quick, progress)
    columns = [f"n={n}" for n in size["n_train"]]
    result = StudyResult("small-data", f"Pretrained vs from scratch as the labelled set grows ({TASK} {METRIC})",
                         columns, seeds, "minitrans experiment small-data" + (" --quick" if quick else ""))
    bar = runs_bar(len(ROWS) * len(columns) * len(seeds), "small-data", progress)
    for row in ROWS:
        for n, column in zip(size["n_train"], columns):
            for seed in seeds:
                model, tok = load_gpt(checkpoint)
                if row == "GPT from scratch":      # the same architecture and tokenizer, from random weights
                    model = GPT(replace(model.config, seed=seed))
                scores, _ = finetune_lm(model, tok, TASK, n_train=n, n_eval=size["n_eval"], batch_size=BATCH,
                                        epochs=epochs_for(n, size["min_steps"]), lr=FINETUNING_LEARNING_RATES["gpt"],
                                        seed=seed, sample_seed=seed, progress=False, evals=0)
                result.add(row, column, scores["test"][METRIC])
                bar.update()
    bar.close()
    result.extra = {"n_train": size["n_train"], "epochs": [epochs_for(n, size["min_steps"]) for n in size["n_train"]],
                    "n_eval": size["n_eval"]}
    result.notes = notes(result, size)
    from ..plot import plot_curves
    result.plots = [plot_curves(
        {row: (size["n_train"], [result.mean(row, c) for c in columns]) for row in ROWS},
        Path(make_directory(out_dir, "out_dir")) / "learning_curve.png",
        errors={row: [result.std(row, c) for c in columns] for row in ROWS},
        ylabel=f"test {METRIC} (mean ± std over seeds)", title=f"{TASK}: pretrained vs from scratch")]
    return result


def notes(result, size):
    """What the curve shows, in sentences computed from its numbers."""
    gaps = [result.mean(ROWS[0], c) - result.mean(ROWS[1], c) for c in result.columns]
    epochs = dict(zip(size["n_train"], result.extra["epochs"]))
    return [f"Epochs per size {epochs} (at least {size['min_steps']} steps of {BATCH}); scored on the first "
            f"{size['n_eval']} test examples.",
            "Pretrained minus scratch: " + ", ".join(f"{c} {g:+.2f}" for c, g in zip(result.columns, gaps)) + "."] + [
        result.verdict(ROWS[0], ROWS[1], column) for column in result.columns]

"""gpt-ablation: the GPT paper's ablation table on five toy GLUE-like tasks.

Rows (each finetuned with GPT's recipe: its input transformations, a head on the extract
token, lambda = 0.5 for the auxiliary LM loss unless said otherwise, the family's
FINETUNING_LEARNING_RATES):

    Transformer, pretrained + aux LM      the baby GPT pretrained on the toy world
    Transformer, no pretraining           the same GPT from random weights
    Transformer, pretrained, no aux LM    lambda = 0
    LSTM, pretrained + aux LM             an LSTM LM of about the same size, same pretraining
    ELMo (frozen biLM, scalar mix)        forward + backward LSTM LMs frozen, a learned layer mix
                                          and a linear head on the averaged features

Columns: acceptability (Matthews correlation), sentiment (accuracy), paraphrase (F1),
similarity (Pearson), entailment (accuracy) on the test split, and their average.
The pretrained models come from pretrained_checkpoint (once per output root).
"""
from dataclasses import replace
from pathlib import Path

from ..models import GPT, LSTMLM
from ..recipes.elmo import finetune_elmo
from ..recipes.gpt import load_gpt
from ..recipes.gpt_finetune import finetune_lm
from ..recipes.lstm import load_lstm
from .pretrained import FINETUNING_LEARNING_RATES, pretrained_checkpoint
from .bars import plot_table
from .report import StudyResult, runs_bar

TASKS = {"acceptability": "mcc", "sentiment": "accuracy", "paraphrase": "f1", "similarity": "pearson",
         "entailment": "accuracy"}
COLUMNS = [f"{task} ({metric})" for task, metric in TASKS.items()] + ["average"]
ROWS = {   # name: (body, pretrained, lm_weight)
    "Transformer, pretrained + aux LM": ("gpt", True, 0.5),
    "Transformer, no pretraining": ("gpt", False, 0.5),
    "Transformer, pretrained, no aux LM": ("gpt", True, 0.0),
    "LSTM, pretrained + aux LM": ("lstm", True, 0.5),
    "ELMo (frozen biLM, scalar mix)": ("elmo", True, 0.0),
}
SIZES = {   # labelled training examples, dev/test examples scored, epochs, seeds
    # 10 epochs of 300 examples = 190 steps of 16: at 3 epochs (57 steps) even sentiment had not learnt
    "full": dict(n_train=300, n_eval=200, epochs=10, seeds=[0, 1, 2]),
    "quick": dict(n_train=16, n_eval=16, epochs=1, seeds=[0]),
}
ELMO_LR = 3e-3   # only the mix and a linear head learn, on frozen features: a larger step than finetuning


def finetune_row(row, task, checkpoint, size, seed):
    """Test scores of one row of the table on one task with one seed; checkpoint(family) -> a path."""
    body, pretrained, lm_weight = ROWS[row]
    options = dict(n_train=size["n_train"], n_eval=size["n_eval"], epochs=size["epochs"], seed=seed,
                   progress=False, evals=0)
    if body == "elmo":
        scores, _ = finetune_elmo(task, checkpoint("lstm"), checkpoint("lstm-backward"), lr=ELMO_LR, **options)
        return scores["test"]
    model, tok = (load_gpt if body == "gpt" else load_lstm)(checkpoint(body))
    if not pretrained:      # the same architecture and tokenizer, from random weights
        model = (GPT if body == "gpt" else LSTMLM)(replace(model.config, seed=seed))
    scores, _ = finetune_lm(model, tok, task, lm_weight=lm_weight, lr=FINETUNING_LEARNING_RATES[body], **options)
    return scores["test"]


def run(out_dir, quick=False, seeds=None, progress=True):
    """Finetune every row on every task with every seed; the table, its JSON and a bar plot under out_dir."""
    size = SIZES["quick" if quick else "full"]
    seeds = size["seeds"] if seeds is None else list(seeds)
    root = Path(out_dir).parent

    def checkpoint(family):     # pretrained the first time a row needs it
        return pretrained_checkpoint(family, root, quick, progress)
    result = StudyResult("gpt-ablation", "GPT paper's ablation: pretraining, aux LM loss, LSTM, ELMo",
                         COLUMNS, seeds, "minitrans experiment gpt-ablation" + (" --quick" if quick else ""))
    bar = runs_bar(len(ROWS) * len(TASKS) * len(seeds), "gpt-ablation", progress)
    for row in ROWS:
        for seed in seeds:
            values = []
            for task, metric in TASKS.items():
                values.append(finetune_row(row, task, checkpoint, size, seed)[metric])
                result.add(row, f"{task} ({metric})", values[-1])
                bar.update()
            result.add(row, "average", sum(values) / len(values))
    bar.close()
    result.extra = {"size": size}
    result.notes = notes(result, size)
    plot_table(result, Path(out_dir) / "ablation.png", ROWS, COLUMNS, ylabel="test score (mean ± std over seeds)",
               title=f"GPT ablation, {size['n_train']} labelled examples per task")
    return result


def notes(result, size):
    """What the table shows, in sentences computed from its numbers."""
    avg = {row: (result.mean(row, "average"), result.std(row, "average")) for row in ROWS}
    rows = list(ROWS)
    spread = lambda a, b: f" (± {avg[a][1]:.2f} and ± {avg[b][1]:.2f} over seeds)" if len(result.seeds) > 1 else ""
    gain = lambda a, b: f"{avg[a][0] - avg[b][0]:+.2f}" + spread(a, b)
    return [f"{size['n_train']} labelled training examples per task, {size['epochs']} epochs, scored on the "
            f"first {size['n_eval']} test examples; seeds {result.seeds}.",
            f"Pretraining changes the Transformer's average by {gain(rows[0], rows[1])}; the auxiliary LM loss "
            f"by {gain(rows[0], rows[2])}; the Transformer vs the LSTM with the same recipe: {gain(rows[0], rows[3])}; "
            f"finetuning the whole LSTM vs ELMo's frozen biLM: {gain(rows[3], rows[4])}."] + [
        result.verdict(a, b, "average") for a, b in ((rows[0], rows[1]), (rows[0], rows[3]), (rows[3], rows[1]),
                                                      (rows[0], rows[2]))]

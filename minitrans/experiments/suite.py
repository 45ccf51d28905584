"""The finetuning suite the BERT studies share: five GLUE-like toy-world tasks, each with its GLUE metric.

finetune_score(family, task, checkpoint, size, seed) finetunes a GPT (recipes.gpt_finetune) or a
BERT (recipes.bert_finetune), from a pretrained checkpoint or from scratch (None), and returns the
task's metric on the test split.
"""
from ..recipes.bert_finetune import finetune_bert
from ..recipes.gpt_finetune import finetune_gpt
from .pretrained import FINETUNING_LEARNING_RATES

SUITE = {   # task: (its metric, as recipes.finetune.SCORES names it; the table's column)
    "acceptability": ("mcc", "acceptability MCC"),
    "sentiment": ("accuracy", "sentiment acc"),
    "paraphrase": ("f1", "paraphrase F1"),
    "similarity": ("pearson", "similarity Pearson"),
    "entailment": ("accuracy", "entailment acc"),
}
COLUMNS = [column for _, column in SUITE.values()]
SIZES = {   # labelled training examples, test examples scored, epochs: gpt-ablation's finetuning size
    "quick": {"n_train": 32, "n_eval": 32, "epochs": 1},
    "full": {"n_train": 300, "n_eval": 200, "epochs": 10},
}


def finetune_score(family, task, checkpoint, size, seed, **options):
    """The test metric of `family` ('gpt' or 'bert', pretrained from `checkpoint` or from scratch when None)
    finetuned on `task` with the SIZES[size] settings, the family's FINETUNING_LEARNING_RATES and `seed` (no
    dev-loss curve); options go to the finetuning recipe (e.g. preset='mini' for a BERT from scratch)."""
    if task not in SUITE:
        raise ValueError(f"task must be one of {sorted(SUITE)}, got {task!r}")
    finetune = {"gpt": finetune_gpt, "bert": finetune_bert}[family]
    options = {"lr": FINETUNING_LEARNING_RATES[family], **options}
    scores, _ = finetune(task, checkpoint, seed=seed, progress=False, evals=0, **SIZES[size], **options)
    return scores["test"][SUITE[task][0]]

"""bert-choices: BERT's pretraining choices measured. 80/10/10 masking vs [MASK] only; NSP vs none.

Three BERTs pretrained with the same recipe, steps and data, differing in one choice each:
  80/10/10 + NSP      the BERT paper's recipe (pretrained_checkpoint("bert"))
  [MASK] only + NSP   every chosen token becomes [MASK] (variant "mask-only")
  80/10/10, no NSP    B always follows A and there is no NSP loss (variant "no-nsp")
and the same BERT not pretrained. Each is scored on the word-guessing probes and finetuned on the
five-task suite (suite.py), whose sentence-pair tasks (paraphrase, similarity, entailment) are
where NSP, a sentence-pair objective, would help if anywhere. Each variant is pretrained once
(seed 0); the seeds are the finetuning runs' (their initialisation of the task head and order of
the examples), so the probe columns, one pretrained model each, are the same for every seed.
"""
from pathlib import Path

from ..data import load_probes
from ..eval.probes import masked_probe_choice, probe_accuracy
from ..recipes.bert import load_bert, random_init_like
from .bars import plot_table
from .pretrained import pretrained_checkpoint
from .report import StudyResult, runs_bar
from .suite import COLUMNS as SUITE_COLUMNS, SIZES, SUITE, finetune_score

VARIANTS = {"80/10/10 + NSP": None, "[MASK] only + NSP": "mask-only", "80/10/10, no NSP": "no-nsp"}
SCRATCH = "not pretrained"
ROWS = list(VARIANTS) + [SCRATCH]
PROBE_COLUMNS = ["probes syntax", "probes all"]
COLUMNS = PROBE_COLUMNS + SUITE_COLUMNS


def run(out_dir, quick=False, seeds=None, progress=True):
    """Probes and finetuning suite for each row of ROWS and finetuning seed (default seeds 0, 1, 2)."""
    seeds = ([0] if quick else [0, 1, 2]) if seeds is None else list(seeds)
    probes = load_probes()[::20] if quick else load_probes()
    result = StudyResult("bert-choices", "BERT's choices: 80/10/10 vs [MASK] only, NSP vs none",
                         COLUMNS, seeds, "minitrans experiment bert-choices" + (" --quick" if quick else ""))
    root = Path(out_dir).parent
    size = "quick" if quick else "full"
    bar = runs_bar(len(seeds) * len(ROWS), "bert-choices runs", progress)
    for seed in seeds:
        for row in ROWS:
            pretrained = pretrained_checkpoint("bert", root, quick, progress, variant=VARIANTS.get(row))
            model, tok = load_bert(pretrained)
            if row == SCRATCH:      # probed at random initialisation, finetuned from it
                model, checkpoint = random_init_like(model), None
            else:
                checkpoint = pretrained
            accuracy = probe_accuracy(probes, lambda p: masked_probe_choice(model, tok, p))
            result.add(row, "probes syntax", accuracy["syntax"])
            result.add(row, "probes all", accuracy["all"])
            for task, (_, column) in SUITE.items():
                result.add(row, column, finetune_score("bert", task, checkpoint, size, seed))
            bar.update()
    bar.close()
    result.notes.append("Probe columns: fill-mask accuracy on the word-guessing probes (syntax, and all six "
                        "phenomena). The suite: finetuned on {n_train} labelled examples for {epochs} epochs, "
                        "scored on {n_eval} test examples.".format(**SIZES[size]))
    plot_table(result, Path(out_dir) / "choices.png", ylabel="score")
    return result

"""word-guessing: which word fits the blank? Probe accuracy per phenomenon, BERT and GPT, pretrained vs random.

Both families answer the same probes (data/probes.jsonl) with the scoring that fits their training:
BERT fills the blank with [MASK]s and scores each candidate's pieces there (masked_probe_choice);
GPT scores each filled-in sentence by its log-probability (causal_probe_choice). Random
initialisation is the same model (same config and seed) before pretraining: it shows what the
scoring alone gives, which is not always chance (a fresh model prefers some words to others).
Each seed is its own pretraining run of each family.
"""
from pathlib import Path

from ..data import PHENOMENA, load_probes
from ..eval.probes import causal_probe_choice, chance_accuracy, masked_probe_choice, probe_accuracy
from ..models import GPT
from ..recipes.bert import load_bert, random_init_like
from ..recipes.gpt import load_gpt
from .bars import plot_table
from .pretrained import pretrained_checkpoint
from .report import StudyResult, runs_bar

COLUMNS = list(PHENOMENA) + ["all"]
ROWS = ["chance", "BERT random init", "BERT pretrained", "GPT random init", "GPT pretrained"]


def fresh_gpt(model):
    """The same GPT as `model` (config, seed) before any training, in eval mode."""
    fresh = GPT(model.config)
    fresh.eval()
    return fresh


def run(out_dir, quick=False, seeds=None, progress=True):
    """Probe accuracy per phenomenon of each row of ROWS, one pretraining per family and seed.
    quick: every 20th probe and the quick pretrained models."""
    seeds = ([0] if quick else [0, 1, 2]) if seeds is None else list(seeds)
    probes = load_probes()[::20] if quick else load_probes()
    result = StudyResult("word-guessing", "Word guessing: probe accuracy, BERT and GPT, pretrained vs random init",
                         COLUMNS, seeds, "minitrans experiment word-guessing" + (" --quick" if quick else ""))
    root = Path(out_dir).parent
    bar = runs_bar(len(seeds) * 4, "word-guessing runs", progress)
    for seed in seeds:
        for column, value in chance_accuracy(probes).items():
            result.add("chance", column, value)
        bert, bert_tok = load_bert(pretrained_checkpoint("bert", root, quick, progress, seed=seed))
        gpt, gpt_tok = load_gpt(pretrained_checkpoint("gpt", root, quick, progress, seed=seed))
        scorers = {"BERT random init": (random_init_like(bert), bert_tok, masked_probe_choice),
                   "BERT pretrained": (bert, bert_tok, masked_probe_choice),
                   "GPT random init": (fresh_gpt(gpt), gpt_tok, causal_probe_choice),
                   "GPT pretrained": (gpt, gpt_tok, causal_probe_choice)}
        for row, (model, tok, choose) in scorers.items():
            accuracy = probe_accuracy(probes, lambda p: choose(model, tok, p))
            for column in COLUMNS:
                result.add(row, column, accuracy[column])
            bar.update()
    bar.close()
    result.notes.append(f"{len(probes)} probes; BERT scored by fill-mask at [MASK]s, GPT by the log-probability "
                        "of the filled-in sentence; random init = the same model before pretraining.")
    plot_table(result, Path(out_dir) / "probes.png", ylabel="probe accuracy")
    return result

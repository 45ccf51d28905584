"""GPT's recipes: pretraining (recipes/causal_lm.py's loop with a GPT), loading, the word-guessing probes."""
from __future__ import annotations

from ..data import load_probes
from ..eval.probes import causal_probe_choice, chance_accuracy, probe_accuracy
from ..models import GPT, GPTConfig
from .causal_lm import pretrain_causal_lm
from .runs import load_pretrained


def pretrain_gpt(**options):
    """Pretrain a GPT: pretrain_causal_lm(GPT, GPTConfig, **options), with its options and defaults
    (the classic CPU baby GPT: character level, 4 layers, 4 heads, 128 wide, block 64, no dropout);
    an option that is not pretrain_causal_lm's is a GPTConfig field (block_size=, dropout=, seed=).
    Returns (model, tokenizer, trainer)."""
    return pretrain_causal_lm(GPT, GPTConfig, **options)


def load_gpt(path):
    """A GPT and its tokenizer from a checkpoint written by pretrain_gpt."""
    return load_pretrained(path, GPT, GPTConfig)


def probe_report(model, tokenizer, probes=None):
    """Word-guessing probe accuracy per phenomenon (and "all") of chance, of the same GPT at random
    initialisation (its config and seed, untrained) and of the pretrained GPT
    -> {"chance": {...}, "random init": {...}, "pretrained": {...}} (eval.probes.format_report prints it).
    Scoring: eval.probes.causal_probe_choice, the filled-in sentence the GPT finds most likely."""
    probes = load_probes() if probes is None else probes
    fresh = GPT(model.config)
    fresh.eval()
    return {"chance": chance_accuracy(probes),
            "random init": probe_accuracy(probes, lambda p: causal_probe_choice(fresh, tokenizer, p)),
            "pretrained": probe_accuracy(probes, lambda p: causal_probe_choice(model, tokenizer, p))}

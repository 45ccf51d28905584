"""Word-guessing probes: which candidate word does a pretrained model prefer for the blank?

Each probe (minitrans.data.Probe) has a text with one '___', the right answer and
distractors. A causal LM scores each filled-in sentence by its log-probability; a
masked LM scores each candidate's pieces at [MASK] positions. Accuracy is reported
per phenomenon (syntax, coreference, knowledge, commonsense, numbers, sentiment).
"""
from collections import defaultdict

import numpy as np

from .zeroshot import score_continuations


def causal_probe_choice(model, tokenizer, probe, prefix="\n"):
    """Index of the candidate whose filled-in sentence (after `prefix`) a GPT finds most likely."""
    context = tokenizer.encode(prefix)
    filled = [tokenizer.encode(probe.filled(c)) for c in probe.candidates]
    return int(np.argmax(score_continuations(model, context, filled)))


def probe_accuracy(probes, choose):
    """{phenomenon: accuracy} (plus "all") where choose(probe) -> index of the chosen candidate."""
    right, seen = defaultdict(int), defaultdict(int)
    for probe in probes:
        ok = probe.candidates[choose(probe)] == probe.answer
        for key in (probe.phenomenon, "all"):
            right[key] += ok
            seen[key] += 1
    if not seen:
        raise ValueError("probe_accuracy got no probes")
    return {k: right[k] / seen[k] for k in seen}


def chance_accuracy(probes):
    """{phenomenon: expected accuracy of a uniform random guess} (plus "all")."""
    total, seen = defaultdict(float), defaultdict(int)
    for probe in probes:
        for key in (probe.phenomenon, "all"):
            total[key] += 1.0 / len(probe.candidates)
            seen[key] += 1
    return {k: total[k] / seen[k] for k in seen}


def format_table(rows, phenomena=None):
    """A markdown table from {row name: {phenomenon: accuracy}}."""
    phenomena = phenomena or list(next(iter(rows.values())))
    lines = ["| model | " + " | ".join(phenomena) + " |", "|---|" + "---|" * len(phenomena)]
    for name, acc in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{acc.get(p, float('nan')):.2f}" for p in phenomena) + " |")
    return "\n".join(lines)

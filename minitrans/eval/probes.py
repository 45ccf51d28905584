"""Word-guessing probes: which candidate word does a pretrained model prefer for the blank?

Each probe (minitrans.data.Probe) has a text with one '___', the right answer and
distractors. A causal LM scores each filled-in sentence by its log-probability; a
masked LM scores each candidate's pieces at [MASK] positions. Accuracy is reported
per phenomenon (syntax, coreference, knowledge, commonsense, numbers, sentiment).
"""
from collections import defaultdict

import numpy as np

from ..data.batching import pad_batch
from .fill_mask import masked_log_probs
from .zeroshot import score_continuations


def causal_probe_choice(model, tokenizer, probe, prefix="\n"):
    """Index of the candidate whose filled-in sentence (after `prefix`) a GPT finds most likely."""
    context = tokenizer.encode(prefix)
    filled = [tokenizer.encode(probe.filled(c)) for c in probe.candidates]
    return int(np.argmax(score_continuations(model, context, filled)))


def masked_probe_scores(model, tokenizer, probe):
    """Score of each candidate by a masked LM (a BertForPreTraining) -> (n_candidates,) float64.

    The blank becomes as many [MASK]s as the candidate has WordPiece pieces, and the score is the
    sum of the pieces' log-probabilities at those positions, each predicted from the rest of the
    sentence (the masks are filled independently). This is one forward pass for all candidates and
    asks exactly what masked-LM pretraining trains; a candidate of several pieces pays one log-prob
    per piece. (The pseudo-log-likelihood of the whole filled-in sentence, one masked position at
    a time, would cost a forward pass per token and mostly measure the rest of the sentence.)
    """
    mask = tokenizer.id_to_token(tokenizer.mask_id)
    rows, targets = [], []
    for word in probe.candidates:
        pieces = tokenizer.encode(word)
        if not pieces:
            raise ValueError(f"candidate {word!r} of probe {probe.text!r} encodes to no tokens")
        ids, _ = tokenizer.encode_single(probe.masked(" ".join([mask] * len(pieces))))
        rows.append(ids)
        targets.extend(pieces)
    ids, attention_mask = pad_batch(rows, tokenizer.pad_id)
    masked = ids == tokenizer.mask_id
    log_probs = masked_log_probs(model, ids, attention_mask, masked)
    picked = log_probs[np.arange(len(targets)), targets]
    owner = np.nonzero(masked)[0]                  # the candidate (row) of each masked position
    return np.bincount(owner, weights=picked, minlength=len(rows))


def masked_probe_choice(model, tokenizer, probe):
    """Index of the candidate a masked LM scores highest (see masked_probe_scores)."""
    return int(np.argmax(masked_probe_scores(model, tokenizer, probe)))


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


def format_report(report, phenomena):
    """A markdown table of a probe report {"chance": {...}, "random init": {...}, "pretrained": {...}}:
    one row per phenomenon in the given order, then "all"; one column per entry of the report."""
    names = list(report)
    lines = ["| probe | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for phenomenon in [p for p in phenomena if p != "all"] + ["all"]:
        if all(phenomenon in report[n] for n in names):
            lines.append(f"| {phenomenon} | " + " | ".join(f"{report[n][phenomenon]:.2f}" for n in names) + " |")
    return "\n".join(lines)

"""Evaluation metrics for the finetuning tasks.

Classification: accuracy, binary_f1, matthews_corrcoef. Graded similarity:
pearson, spearman. Tagging: entity_scores / entity_f1 over BIO spans.
Question answering: exact_match and token_f1, SQuAD style.
"""
import re
import string
from collections import Counter

import numpy as np


def _paired(predictions, labels):
    """Two 1-D arrays of the same non-zero length, or a clear ValueError."""
    p, y = np.asarray(predictions).reshape(-1), np.asarray(labels).reshape(-1)
    if p.shape != y.shape:
        raise ValueError(f"predictions and labels must have the same length, got {p.size} and {y.size}")
    if p.size == 0:
        raise ValueError("predictions and labels are empty")
    return p, y


# ------------------------------------------------------------- classification
def accuracy(predictions, labels):
    """Fraction of predictions equal to the labels."""
    p, y = _paired(predictions, labels)
    return float(np.mean(p == y))


def binary_f1(predictions, labels, positive=1):
    """F1 of the `positive` class: 2 precision recall / (precision + recall); 0.0 when there are no true positives."""
    p, y = _paired(predictions, labels)
    tp = np.sum((p == positive) & (y == positive))
    fp = np.sum((p == positive) & (y != positive))
    fn = np.sum((p != positive) & (y == positive))
    return float(2 * tp / (2 * tp + fp + fn)) if tp else 0.0


def matthews_corrcoef(predictions, labels):
    """Matthews correlation of two binary (0/1) labelings, in [-1, 1]; 0.0 when either is constant."""
    p, y = _paired(predictions, labels)
    for name, a in (("predictions", p), ("labels", y)):
        if not np.isin(a, (0, 1)).all():
            raise ValueError(f"matthews_corrcoef expects binary 0/1 {name}, got values {np.unique(a)[:5]}")
    tp = float(np.sum((p == 1) & (y == 1)))
    tn = float(np.sum((p == 0) & (y == 0)))
    fp = float(np.sum((p == 1) & (y == 0)))
    fn = float(np.sum((p == 0) & (y == 1)))
    denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return float((tp * tn - fp * fn) / denominator) if denominator else 0.0


# --------------------------------------------------------------- correlation
def pearson(x, y):
    """Pearson correlation of two equally long sequences; nan when either is constant (undefined)."""
    a, b = _paired(x, y)
    a, b = a.astype(np.float64) - a.mean(), b.astype(np.float64) - b.mean()
    denominator = np.sqrt((a * a).sum() * (b * b).sum())
    return float((a * b).sum() / denominator) if denominator else float("nan")


def average_ranks(x):
    """Ranks 1..n of the values of x, ties sharing the mean of their ranks."""
    x = np.asarray(x).reshape(-1)
    ranks = np.empty(x.size)
    ranks[np.argsort(x, kind="stable")] = np.arange(1, x.size + 1)
    _, group = np.unique(x, return_inverse=True)
    return (np.bincount(group, weights=ranks) / np.bincount(group))[group]


def spearman(x, y):
    """Spearman rank correlation: Pearson correlation of the average ranks."""
    a, b = _paired(x, y)
    return pearson(average_ranks(a), average_ranks(b))


# ------------------------------------------------------------------ tagging
def bio_entities(tags):
    """The entities of one BIO-tagged sequence as a set of (type, start, end), end exclusive.

    An entity starts at B-X, or at I-X that does not continue an entity of type X
    (after O or after another type), and runs over the following I-X tags.
    """
    entities, start, kind = set(), None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        if not isinstance(tag, str) or not (tag == "O" or tag[:2] in ("B-", "I-")):
            raise ValueError(f"tags must be 'O', 'B-TYPE' or 'I-TYPE', got {tag!r} at position {i}")
        continues = tag[:2] == "I-" and tag[2:] == kind
        if start is not None and not continues:
            entities.add((kind, start, i))
            start, kind = None, None
        if tag != "O" and not continues:
            start, kind = i, tag[2:]
    return entities


def entity_scores(true_tags, pred_tags):
    """Entity-level precision, recall and F1 over sentences of BIO tags (exact type and boundaries).

    true_tags, pred_tags: lists of sentences, each a list of tags (or one flat list of tags)
    -> {"precision", "recall", "f1"} (0.0 where a denominator is zero).
    """
    if len(true_tags) != len(pred_tags):
        raise ValueError(f"true_tags and pred_tags must hold as many sentences, "
                         f"got {len(true_tags)} and {len(pred_tags)}")
    if len(true_tags) and isinstance(true_tags[0], str):
        true_tags, pred_tags = [true_tags], [pred_tags]
    n_true = n_pred = n_correct = 0
    for k, (t, p) in enumerate(zip(true_tags, pred_tags)):
        if len(t) != len(p):
            raise ValueError(f"sentence {k}: {len(t)} true tags but {len(p)} predicted tags")
        gold, guess = bio_entities(t), bio_entities(p)
        n_true, n_pred, n_correct = n_true + len(gold), n_pred + len(guess), n_correct + len(gold & guess)
    precision = n_correct / n_pred if n_pred else 0.0
    recall = n_correct / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if n_correct else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def entity_f1(true_tags, pred_tags):
    """Entity-level F1 over BIO-tagged sentences (see entity_scores)."""
    return entity_scores(true_tags, pred_tags)["f1"]


# ------------------------------------------------------- question answering
def normalize_answer(text):
    """Lower case, drop punctuation and the articles a/an/the, squeeze whitespace (SQuAD's rule)."""
    text = "".join(ch for ch in text.lower() if ch not in string.punctuation)
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def _answer_tokens(answer):
    """A text becomes its normalized words; a list of tokens (e.g. ids or positions) is taken as it is."""
    if isinstance(answer, str):
        return normalize_answer(answer).split()
    if isinstance(answer, np.ndarray):
        return answer.reshape(-1).tolist()
    if isinstance(answer, (list, tuple)):
        return list(answer)
    raise TypeError(f"an answer must be a str or a list of tokens, got {type(answer).__name__}")


def _truths(truths):
    """The gold answers as a list: a text or a token list is one answer; a list of them, several."""
    if isinstance(truths, (str, np.ndarray)):
        return [truths]
    if not isinstance(truths, (list, tuple)):
        raise TypeError(f"gold answers must be a str, a list of tokens or a list of those, got {type(truths).__name__}")
    if truths and all(isinstance(t, (str, list, tuple, np.ndarray)) for t in truths):
        return list(truths)
    return [truths]


def exact_match(prediction, truths):
    """1.0 if the normalized prediction equals any gold answer, else 0.0.

    prediction: a text or a list of tokens; truths: one answer or a list of answers.
    """
    guess = _answer_tokens(prediction)
    return float(any(guess == _answer_tokens(t) for t in _truths(truths)))


def token_f1(prediction, truths):
    """SQuAD's F1 on the bag of tokens shared by prediction and answer, the best over the gold answers.

    prediction: a text (split into normalized words) or a list of tokens; truths: one answer or a list.
    When either side is empty the score is 1.0 if both are, else 0.0.
    """
    guess = _answer_tokens(prediction)
    best = 0.0
    for truth in _truths(truths):
        gold = _answer_tokens(truth)
        if not guess or not gold:
            best = max(best, float(guess == gold))
            continue
        same = sum((Counter(guess) & Counter(gold)).values())
        if same:
            precision, recall = same / len(guess), same / len(gold)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best

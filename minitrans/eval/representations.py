"""What a GPT's vectors hold: word neighbours, a linear probe on frozen features, a single sentiment unit.

    vectors = word_vectors(model, tok, words)                        # input embeddings, one per word
    vectors = word_vectors(model, tok, words, contexts=lines)        # hidden states in the corpus's sentences
    nearest_neighbours(vectors, "Tarsk", k=5)                        # [(word, cosine), ...]
    features = sentence_features(model, tok, texts)                  # (N, C) mean final hidden state
    probe = train_linear_probe(features, labels); probe.accuracy(test_features, test_labels)
    unit, threshold, sign, acc = sentiment_unit(features, labels)    # the one unit that best separates
    acts = token_activations(model, tok, text, unit)                 # that unit over the tokens of a text

A word of several tokens is represented by the mean over its tokens (input embeddings), or by the
final hidden state at its last token (in context), averaged over the sentences that contain it.
"""
from __future__ import annotations

import re

import numpy as np

from ..data.batching import pad_batch
from ..functional.losses import cross_entropy_backward, cross_entropy_forward
from ..nn import Linear
from ..optim import AdamW
from .metrics import accuracy


def hidden_states(model, tok, texts, batch_size=32):
    """The GPT's final hidden states (after the last layer norm) of each text -> list of (T_i, C) float64.

    Each text is encoded as it is; one longer than the block keeps its first block_size tokens."""
    seqs = [np.asarray(tok.encode(t)[:model.config.block_size]) for t in texts]
    out = []
    with model.evaluating():
        for first in range(0, len(seqs), batch_size):
            chunk = seqs[first:first + batch_size]
            ids, mask = pad_batch(chunk, 0)
            h, _ = model.hidden_forward(ids, attention_mask=mask)              # (B, T, C)
            out.extend(h[i, :len(s)].astype(np.float64) for i, s in enumerate(chunk))
    return out


def word_vectors(model, tok, words, contexts=None, per_word=10):
    """{word: vector (C,)}. contexts=None: the mean input embedding of the tokens of " word".
    contexts (a list of text lines): the final hidden state at the word's last token, averaged over
    the first `per_word` lines that contain the word (a word in no line is an error)."""
    if contexts is None:
        table = model.wte.weight.data.astype(np.float64)
        return {w: table[tok.encode(" " + w)].mean(axis=0) for w in words}
    vectors = {}
    for w in words:
        pattern = re.compile(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])")
        lines = [line for line in contexts if pattern.search(line)][:per_word]
        if not lines:
            raise ValueError(f"no context line contains the word {w!r}")
        prefixes = [line[:pattern.search(line).end()] for line in lines]     # up to and including the word
        vectors[w] = np.mean([h[-1] for h in hidden_states(model, tok, prefixes)], axis=0)
    return vectors


def cosine_matrix(vectors):
    """(words, (N, N) cosine similarities) of a {word: vector} dict."""
    words = list(vectors)
    X = np.stack([vectors[w] for w in words])
    X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    return words, X @ X.T


def nearest_neighbours(vectors, word, k=5):
    """The k words of `vectors` most cosine-similar to `word` (itself left out) -> [(word, cosine)]."""
    if word not in vectors:
        raise ValueError(f"word {word!r} has no vector; the words are {sorted(vectors)[:10]} ...")
    words, sims = cosine_matrix(vectors)
    i = words.index(word)
    order = [j for j in np.argsort(-sims[i], kind="stable") if j != i][:k]
    return [(words[j], float(sims[i, j])) for j in order]


def neighbour_precision(vectors, classes, k=5):
    """The mean over words of the share of its k nearest neighbours in its own class.
    classes: {word: class name}; chance is about (class size - 1) / (number of words - 1)."""
    return float(np.mean([np.mean([classes[n] == classes[w] for n, _ in nearest_neighbours(vectors, w, k)])
                          for w in vectors]))


def sentence_features(model, tok, texts, pool="mean"):
    """Each text's final hidden states pooled over its tokens -> (N, C) float64: pool="mean" their
    mean, pool="last" the last token's (what a left-to-right LM has read of the whole text)."""
    if pool not in ("mean", "last"):
        raise ValueError(f"pool must be 'mean' or 'last', got {pool!r}")
    return np.stack([h.mean(axis=0) if pool == "mean" else h[-1] for h in hidden_states(model, tok, texts)])


class LinearProbe:
    """Logistic regression (softmax over classes) on frozen, standardized features, trained with AdamW."""

    def __init__(self, features, num_classes, seed=0):
        self.mean, self.std = features.mean(axis=0), features.std(axis=0) + 1e-8
        self.linear = Linear(features.shape[1], num_classes, rng=np.random.default_rng(seed), std=0.01,
                             dtype=np.float64)

    def logits(self, features):
        """features: (N, C) -> (logits (N, K), cache)."""
        return self.linear.forward((features - self.mean) / self.std)

    def predict(self, features):
        return self.logits(features)[0].argmax(axis=1)

    def accuracy(self, features, labels):
        return accuracy(self.predict(features), labels)


def train_linear_probe(features, labels, steps=300, lr=0.05, weight_decay=0.01, seed=0):
    """A LinearProbe fitted by full-batch AdamW on the cross-entropy of (features (N, C), labels (N,))."""
    labels = np.asarray(labels)
    if features.ndim != 2 or len(features) != len(labels):
        raise ValueError(f"need features (N, C) and N labels, got {features.shape} and {labels.shape}")
    probe = LinearProbe(features, int(labels.max()) + 1, seed)
    opt = AdamW(probe.linear, lr=lr, weight_decay=weight_decay)
    for _ in range(steps):
        opt.zero_grad()
        logits, cache = probe.logits(features)
        _, loss_cache = cross_entropy_forward(logits, labels)
        probe.linear.backward(cross_entropy_backward(1.0, loss_cache), cache)
        opt.step()
    return probe


def best_threshold_accuracies(features, labels):
    """For every unit (column) of features (N, C), the best accuracy of 'label 1 iff sign * value > threshold'
    over thresholds and both signs -> (accuracy (C,), threshold (C,), sign (C,))."""
    labels = np.asarray(labels).astype(np.int64)
    n, positives = len(labels), labels.sum()
    order = np.argsort(features, axis=0, kind="stable")
    values = np.take_along_axis(features, order, axis=0)                      # (N, C) ascending
    ones_at_or_below = np.cumsum(labels[order], axis=0)                       # label 1s among the first i + 1
    below = np.arange(1, n + 1)[:, None]
    # threshold between value i and i + 1: 'above is 1' is right on the 0s at or below and the 1s above
    up = (below - ones_at_or_below) + (positives - ones_at_or_below)
    up = np.vstack([np.full((1, features.shape[1]), positives), up])          # threshold below every value
    acc_up, acc_down = up / n, 1 - up / n
    best_up, best_down = acc_up.argmax(axis=0), acc_down.argmax(axis=0)
    sign = np.where(acc_up.max(axis=0) >= acc_down.max(axis=0), 1, -1)
    index = np.where(sign > 0, best_up, best_down)
    padded = np.vstack([values[:1] - 1.0, values, values[-1:] + 1.0])
    threshold = (padded[index, np.arange(features.shape[1])] + padded[index + 1, np.arange(features.shape[1])]) / 2
    return np.maximum(acc_up.max(axis=0), acc_down.max(axis=0)), threshold, sign


def sentiment_unit(features, labels):
    """The single unit that best separates the labels by a threshold -> (unit, threshold, sign, accuracy)."""
    acc, threshold, sign = best_threshold_accuracies(features, labels)
    unit = int(np.argmax(acc))
    return unit, float(threshold[unit]), int(sign[unit]), float(acc[unit])


def unit_accuracy(features, labels, unit, threshold, sign):
    """Accuracy of 'label 1 iff sign * (features[:, unit] - threshold) > 0' on new examples."""
    predictions = (sign * (features[:, unit] - threshold) > 0).astype(np.int64)
    return accuracy(predictions, labels)


def token_activations(model, tok, text, unit):
    """(tokens as text, the unit's final hidden-state value at each token (T,))."""
    h = hidden_states(model, tok, [text])[0]
    return [tok.decode([i]) for i in tok.encode(text)[:len(h)]], h[:, unit]

"""What pretraining puts into a GPT's vectors: `minitrans experiment representations`.

The same GPT (baby preset, BPE 600) at its random initialisation and after pretraining
(pretrained_checkpoint) is measured four ways:

    neighbours     precision@5 of a word's nearest neighbours (cosine) among words of five toy-world
                   classes (names, cities, animals, foods, review adjectives): input embeddings, and
                   hidden states of the word in the corpus's own sentences
    linear probe   logistic regression on frozen hidden states of each review -> sentiment: their
                   mean, or the last one of the review written as the corpus writes it
                   ("\n" + review + " Overall, it was"), where the model is about to say the verdict
    finetuned      the whole GPT finetuned on the same reviews (recipes/gpt_finetune.py, the recipe
                   of gpt-ablation), one run per seed
    single unit    the one unit of that last hidden state whose value, cut at one threshold, best
                   separates the reviews (chosen on the training reviews, scored on the test reviews)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data import load_task
from ..data.toyworld import lexicon as lex
from ..eval.representations import (cosine_matrix, nearest_neighbours, neighbour_precision, sentence_features,
                                    sentiment_unit, token_activations, train_linear_probe, unit_accuracy,
                                    word_vectors)
from ..files import make_directory
from ..models import GPT
from ..recipes.corpora import load_corpus_text
from ..recipes.gpt import load_gpt
from ..recipes.gpt_finetune import finetune_gpt
from .pretrained import FINETUNING_LEARNING_RATES, pretrained_checkpoint
from .report import StudyResult, runs_bar

WORD_CLASSES = {
    "name": lex.MALE_NAMES[:8] + lex.FEMALE_NAMES[:8],
    "city": lex.CITIES[:16],
    "animal": tuple(singular for singular, _ in lex.ANIMALS),
    "food": ("soup", "cake", "fish", "rice", "bread", "pizza", "apples", "cookies", "eggs", "plums", "desserts"),
    "adjective": ("tasty", "fresh", "bland", "friendly", "kind", "rude", "slow", "lovely", "clean", "dirty",
                  "awful", "terrible"),
}
COLUMNS = ["neighbours P@5 (embeddings)", "neighbours P@5 (in context)", "linear probe (mean state)",
           "linear probe (last state)", "finetuned", "best single unit"]
PROMPT = " Overall, it was"     # how the corpus closes a review, before its verdict
CONTEXT_LINES = 3000            # corpus lines searched for a word's contexts
SHOWN_WORDS = ("Tarsk", "John", "horse", "soup", "rude")


def word_classes():
    """{word: class} of the words whose neighbours are measured."""
    return {w: c for c, words in WORD_CLASSES.items() for w in words}


def measure(model, tok, lines, train, test):
    """The row of one model: {column: value} without "finetuned", the in-context word vectors, the unit found."""
    classes = word_classes()
    embedded = word_vectors(model, tok, list(classes))
    in_context = word_vectors(model, tok, list(classes), contexts=lines)
    y_train, y_test = [e["label"] for e in train], [e["label"] for e in test]
    row = {COLUMNS[0]: neighbour_precision(embedded, classes), COLUMNS[1]: neighbour_precision(in_context, classes)}
    for column, pool in ((COLUMNS[2], "mean"), (COLUMNS[3], "last")):
        x_train, x_test = (sentence_features(model, tok, ["\n" + e["text"] + PROMPT for e in split], pool)
                           for split in (train, test))
        row[column] = train_linear_probe(x_train, y_train).accuracy(x_test, y_test)
    unit, threshold, sign, train_acc = sentiment_unit(x_train, y_train)      # on the last states
    row[COLUMNS[5]] = unit_accuracy(x_test, y_test, unit, threshold, sign)
    return row, in_context, {"unit": unit, "threshold": threshold, "sign": sign, "train_accuracy": train_acc}


def run(out_dir, quick=False, seeds=None, progress=True):
    """Rows: random init / pretrained; columns: COLUMNS."""
    seeds = ([0] if quick else [0, 1, 2]) if seeds is None else list(seeds)
    n_train, n_test, epochs = (64, 32, 1) if quick else (300, 200, 10)     # gpt-ablation's finetuning size
    result = StudyResult("representations", "Representations of a GPT before and after pretraining (baby, BPE 600)",
                         COLUMNS, seeds, "minitrans experiment representations" + (" --quick" if quick else ""))
    checkpoint = pretrained_checkpoint("gpt", Path(out_dir).parent, quick, progress)
    pretrained, tok = load_gpt(checkpoint)
    models = {"random init": GPT(pretrained.config), "pretrained": pretrained}    # the same initialisation
    lines = ["\n" + line for line in load_corpus_text("toyworld").split("\n") if line][:CONTEXT_LINES]
    train, test = load_task("sentiment", "train")[:n_train], load_task("sentiment", "test")[:n_test]
    make_directory(out_dir, "out_dir")
    vectors = {}
    bar = runs_bar(len(seeds) * 2, "representations: models", progress)
    for row, model in models.items():      # the frozen measures do not depend on the finetuning seed
        values, vectors[row], unit = measure(model, tok, lines, train, test)
        neighbours = {w: [n for n, _ in nearest_neighbours(vectors[row], w, 5)] for w in SHOWN_WORDS}
        result.extra[row] = {"neighbours in context": neighbours, "sentiment unit": unit}
        review = next(e["text"] for e in test if " but " in e["text"])
        path = Path(out_dir) / f"unit_{row.replace(' ', '_')}.png"
        result.plots.append(plot_unit(model, tok, "\n" + review + PROMPT, unit, row, path))
        for seed in seeds:
            scores, _ = finetune_gpt("sentiment", checkpoint if row == "pretrained" else None, n_train=n_train,
                                     n_eval=n_test, epochs=epochs, lr=FINETUNING_LEARNING_RATES["gpt"], seed=seed,
                                     progress=False, evals=0)
            result.add(row, COLUMNS[4], scores["test"]["accuracy"])
            for column, value in values.items():
                result.add(row, column, value)
            bar.update()
    bar.close()
    result.plots.append(plot_similarities(vectors, Path(out_dir) / "similarities.png"))
    classes = word_classes()
    result.notes += [f"Neighbours among {len(classes)} words of 5 classes ({', '.join(WORD_CLASSES)}); chance "
                     f"P@5 is about {np.mean([(len(v) - 1) / (len(classes) - 1) for v in WORD_CLASSES.values()]):.2f}.",
                     f"Sentiment: {n_train} training reviews (probe, unit choice, finetuning for {epochs} epochs), "
                     f"{n_test} test reviews, each read as '\\n' + review + '{PROMPT}'; the frozen measures are "
                     f"one value per model (the seeds are the finetuning runs').",
                     "Neighbours in context (pretrained): " + "; ".join(
                         f"{w}: {', '.join(n)}" for w, n in result.extra["pretrained"]["neighbours in context"].items())]
    return result


def plot_unit(model, tok, text, unit, row, path):
    """The sentiment unit's value at each token of one review."""
    from ..plot import plt, save
    tokens, values = token_activations(model, tok, text, unit["unit"])
    fig, ax = plt.subplots(figsize=(max(6.4, 0.45 * len(tokens)), 3.2))
    ax.bar(np.arange(len(tokens)), unit["sign"] * values, color=["tab:green" if v > 0 else "tab:red"
                                                                 for v in unit["sign"] * (values - unit["threshold"])])
    ax.axhline(unit["sign"] * unit["threshold"], color="gray", linestyle="--", label="threshold")
    ax.set_xticks(np.arange(len(tokens)))
    ax.set_xticklabels([t.replace("\n", "\\n") for t in tokens], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(f"unit {unit['unit']} (x sign)")
    ax.set_title(f"{row}: the best single sentiment unit over one review (green: positive side)")
    ax.legend(fontsize=8)
    return save(fig, path)


def plot_similarities(vectors, path):
    """Cosine similarities between the in-context word vectors, one panel per model: {row: {word: vector}}."""
    from ..plot import plt, save
    fig, axes = plt.subplots(1, len(vectors), figsize=(6 * len(vectors), 5.6))
    for ax, (row, by_word) in zip(np.atleast_1d(axes), vectors.items()):
        words, sims = cosine_matrix(by_word)
        image = ax.imshow(sims, vmin=-1, vmax=1, cmap="RdBu_r")
        ax.set_xticks(np.arange(len(words)))
        ax.set_yticks(np.arange(len(words)))
        ax.set_xticklabels(words, rotation=90, fontsize=5)
        ax.set_yticklabels(words, fontsize=5)
        ax.set_title(f"{row}: cosine of in-context word vectors")
        fig.colorbar(image, ax=ax, fraction=0.046)
    return save(fig, path)

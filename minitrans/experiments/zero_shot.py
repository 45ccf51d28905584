"""Zero-shot behaviour of a GPT and how it appears during pretraining: `minitrans experiment zero-shot`.

A GPT is pretrained on the toy world and, at step 0 and at every evaluation, asked three tasks
with no finetuning (the scoring is minitrans.eval.zeroshot):

    sentiment        the review, then a prompt; the label whose word (" good" / " bad") is more likely
    acceptability    mean log-probability per token >= a threshold chosen on dev sentences
    multiple choice  the choice with the highest log-probability after the context

The sentiment prompt is asked in three forms, one change at a time, from a bare " very" to the exact
form in which the toy corpus closes a review (" Overall, it was good." on the review's line), because a
prompt can only work if the corpus ever shows its words there; and the corpus form once more with
contextual calibration. The GPT is the one every study starts from (pretrained.py's recipe), with
three pretraining seeds by default.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data import load_task
from ..eval.metrics import accuracy
from ..eval.zeroshot import acceptability_scores, choose_threshold, token_logprobs
from ..models import GPT
from .pretrained import pretrain_gpt_recipe
from .report import StudyResult, runs_bar

LABEL_WORDS = {"positive": " good", "negative": " bad"}
# prompt name: what follows the review, on its line (a document is one line); the label word comes next
PROMPTS = {"' very'": " very", "' It was very'": " It was very", "corpus form": " Overall, it was"}
COLUMNS = [f"sentiment {name}" for name in PROMPTS] + ["sentiment corpus form, calibrated", "acceptability",
                                                        "multiple choice"]
CHANCE = {"sentiment": 0.5, "acceptability": 0.5, "multiple choice": 0.25}


def sentiment_prompt(text, prompt):
    """The context for one review in one of PROMPTS' forms (the label word is scored after it): a line
    break (where every document of the corpus starts), the review, the prompt."""
    return "\n" + text + PROMPTS[prompt]


def zero_shot_sentiment(model, tok, examples, prompt="corpus form", calibrate=False):
    """Accuracy of labelling reviews by the more likely label word after the prompt, and the
    fraction labelled positive (a model that always says " good" scores the share of positives).

    calibrate: compare log p(good) - log p(bad) with its value after the prompt alone (an empty
    review), not with 0: the contextual calibration of Zhao et al. (2021), which takes out the
    model's prior preference for one label word and needs no labelled example."""
    contexts = [tok.encode(sentiment_prompt(e["text"], prompt)) for e in examples]
    empty = [tok.encode(sentiment_prompt("", prompt))]

    def preference(contexts):          # log p(" good" | context) - log p(" bad" | context), (n,)
        good, bad = (score_continuations_batched(model, contexts, tok.encode(w)) for w in LABEL_WORDS.values())
        return good - bad

    predictions = (preference(contexts) > (preference(empty)[0] if calibrate else 0.0)).astype(np.int64)
    return accuracy(predictions, [e["label"] for e in examples]), float(predictions.mean())


def score_continuations_batched(model, contexts, continuation):
    """log p(continuation | context) for many contexts in right-padded batches -> (n,) float64;
    a context too long for the block keeps its last tokens."""
    keep = model.config.block_size - len(continuation)
    logps = token_logprobs(model, [c[-keep:] + continuation for c in contexts])
    return np.array([lp[-len(continuation):].sum() for lp in logps])


def zero_shot_acceptability(model, tok, dev, test):
    """Test accuracy of 'mean log-probability per token >= threshold', the threshold chosen on dev."""
    start = tok.encode("\n")
    if len(start) != 1:
        raise ValueError(f"the tokenizer must encode a line break as one token, got {start}")

    def scores(examples):
        return acceptability_scores(model, tok, [e["text"] for e in examples], start_id=start[0])

    threshold = choose_threshold(scores(dev), [e["label"] for e in dev])
    return accuracy((scores(test) >= threshold).astype(np.int64), [e["label"] for e in test])


def zero_shot_choice(model, tok, examples):
    """Accuracy of picking the choice with the highest total log-probability after the context."""
    contexts = [tok.encode("\n" + e["context"]) for e in examples]
    choices = [[tok.encode(" " + c) for c in e["choices"]] for e in examples]
    block = model.config.block_size
    sequences = [(context + choice)[-block:] for context, row in zip(contexts, choices) for choice in row]
    logps = iter(token_logprobs(model, sequences))
    picks = [int(np.argmax([next(logps)[-len(choice):].sum() for choice in row])) for row in choices]
    return accuracy(picks, [e["label"] for e in examples])


def zero_shot_scores(model, tok, n=200, prompts=tuple(PROMPTS)):
    """Every zero-shot measure of this study on the first n test examples of each task (acceptability's
    threshold on the first n dev sentences) -> {column: accuracy}, plus "positive share <prompt>"."""
    result = {}
    sentiment = load_task("sentiment", "test")[:n]
    for prompt in prompts:
        acc, positive = zero_shot_sentiment(model, tok, sentiment, prompt)
        result[f"sentiment {prompt}"], result[f"positive share {prompt}"] = acc, positive
    acc, positive = zero_shot_sentiment(model, tok, sentiment, "corpus form", calibrate=True)
    result["sentiment corpus form, calibrated"], result["positive share corpus form, calibrated"] = acc, positive
    result["acceptability"] = zero_shot_acceptability(model, tok, load_task("acceptability", "dev")[:n],
                                                      load_task("acceptability", "test")[:n])
    result["multiple choice"] = zero_shot_choice(model, tok, load_task("multiple_choice", "test")[:n])
    return result


def pretrain_and_measure(out_dir, every, n, seed=0, quick=False, progress=False):
    """Pretrain a GPT with the recipe of every study (pretrained.py) and measure zero_shot_scores at
    step 0 and every `every` steps -> {step: scores}, the trainer."""
    measured = {}

    def measure(trainer):
        measured[trainer.step] = zero_shot_scores(trainer.model, trainer.tokenizer, n)
        trainer.log({"step": trainer.step, "split": "zero_shot", **measured[trainer.step]})

    model, tok, trainer = pretrain_gpt_recipe(str(out_dir), progress, seed, quick, on_evaluate=measure,
                                              eval_interval=every)
    measured[0] = zero_shot_scores(GPT(trainer.model_config), tok, n)     # the same seed: the step-0 weights
    return dict(sorted(measured.items())), trainer


def run(out_dir, quick=False, seeds=None, progress=True):
    """Zero-shot accuracies at checkpoints through GPT pretraining (rows: steps; columns: tasks)."""
    seeds = ([0] if quick else [0, 1, 2]) if seeds is None else list(seeds)
    every, n = (10, 16) if quick else (250, 200)
    result = StudyResult("zero-shot", "Zero-shot accuracy through GPT pretraining (baby GPT, BPE 600)",
                         COLUMNS, seeds, "minitrans experiment zero-shot" + (" --quick" if quick else ""))
    bar = runs_bar(len(seeds), "zero-shot: pretraining runs", progress)
    curves = {}
    for seed in seeds:
        measured, trainer = pretrain_and_measure(Path(out_dir) / f"gpt-seed{seed}", every, n, seed, quick)
        for step, scores in measured.items():
            for column in COLUMNS:
                result.add(f"step {step}", column, scores[column])
        result.extra[f"seed {seed}"] = {"scores": {str(s): v for s, v in measured.items()},
                                        "final_val_loss": trainer.final_loss("val")}
        curves[seed] = measured
        bar.update()
    bar.close()
    result.notes += [f"Chance: sentiment {CHANCE['sentiment']}, acceptability {CHANCE['acceptability']} "
                     f"(about; a threshold on dev), multiple choice {CHANCE['multiple choice']}; "
                     f"{n} test examples per task.",
                     "Sentiment prompts: a line break, the review, then ' very' / ' It was very' / (corpus form) "
                     "' Overall, it was', as the toy corpus closes a review; then ' good' vs ' bad'. "
                     "Calibrated: the corpus form, with the preference for ' good' over ' bad' measured against "
                     "its value after the prompt alone (contextual calibration)."]
    last = f"step {max(next(iter(curves.values())))}"
    result.notes += [result.verdict(last, "step 0", column) for column in
                     ("sentiment corpus form", "acceptability", "multiple choice")]
    result.plots.append(plot_zero_shot(curves, Path(out_dir) / "zero_shot.png"))
    return result


def plot_zero_shot(curves, path):
    """Accuracy against pretraining steps, one line per column (mean over seeds), chance dashed."""
    from ..plot import plt, save
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    first = next(iter(curves.values()))
    steps = list(first)
    for column in COLUMNS:
        ax = axes[0] if column.startswith("sentiment") else axes[1]
        mean = [np.mean([curves[s][step][column] for s in curves]) for step in steps]
        ax.plot(steps, mean, "o-", label=column.replace("sentiment ", ""))
    axes[0].axhline(CHANCE["sentiment"], color="gray", linestyle="--", label="chance")
    axes[1].axhline(CHANCE["acceptability"], color="gray", linestyle="--", label="chance (acceptability)")
    axes[1].axhline(CHANCE["multiple choice"], color="gray", linestyle=":", label="chance (multiple choice)")
    axes[0].set_title("sentiment by prompt (label words ' good' / ' bad')")
    axes[1].set_title("acceptability (log-prob threshold), multiple choice")
    for ax in axes:
        ax.set_xlabel("pretraining steps")
        ax.set_ylabel("test accuracy")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=8)
    return save(fig, path)

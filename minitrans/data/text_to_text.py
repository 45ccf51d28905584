"""Every toy-world task as text to text (T5): a task prefix and the inputs in, the answer as text out.

    sentiment      "sentiment: The fish is terrible."                        -> "negative"
    acceptability  "acceptability: The fox that likes my sisters is quiet."  -> "acceptable"
    paraphrase     "paraphrase sentence1: ... sentence2: ..."                -> "paraphrase" | "different"
    entailment     "entailment premise: ... hypothesis: ..."                 -> "entailment" | "neutral" | "contradiction"
    similarity     "similarity sentence1: ... sentence2: ..."                -> "3.4" (the 0-5 score to the nearest 0.2)
    qa             "question: Where does Max work? context: ..."             -> "Bank of Kalandor"
    ner            "ner: Nick works at the Red Lantern ."                    -> "person: Nick; organization: Red Lantern"
                                                                                ("none" without entities)
    multiple_choice "choice context: Rose did not eat lunch. option: She went to bed. option: ..."
                                                                             -> "She ate a sandwich." (the right option)

`parse_answer` turns a generated text back into a label (None when it does not parse: it then
counts as wrong, and the number of such answers is reported); `score_task` gives the task's metrics.
"""
import re

import numpy as np

from ..eval.metrics import accuracy, exact_match, pearson, token_f1
from .toyworld import task_info

CLASS_TASKS = ("sentiment", "acceptability", "paraphrase", "entailment")
TEXT_TASKS = CLASS_TASKS + ("similarity", "qa", "ner", "multiple_choice")
PREFIXES = {"sentiment": "sentiment:", "acceptability": "acceptability:", "paraphrase": "paraphrase sentence1:",
            "entailment": "entailment premise:", "similarity": "similarity sentence1:", "qa": "question:",
            "ner": "ner:", "multiple_choice": "choice context:"}
ENTITY_NAMES = {"PER": "person", "LOC": "location", "ORG": "organization"}


def check_task(task):
    if task not in TEXT_TASKS:
        raise ValueError(f"unknown text-to-text task {task!r}; choose from {list(TEXT_TASKS)}")


def task_from_prefix(source):
    """The task a source text asks for, from its prefix; a clear error for an unknown prefix."""
    for task, prefix in PREFIXES.items():
        if source.lower().startswith(prefix):
            return task
    raise ValueError(f"unknown task prefix in {source[:40]!r}: a source must start with one of "
                     f"{sorted(PREFIXES.values())}")


def ner_target(tokens, tags):
    """BIO-tagged words -> "person: Nick; organization: Red Lantern" ("none" without entities)."""
    spans = []
    for token, tag in zip(tokens, tags):
        if tag.startswith("B-") or (tag.startswith("I-") and (not spans or spans[-1][0] != tag[2:])):
            spans.append([tag[2:], [token]])
        elif tag.startswith("I-"):
            spans[-1][1].append(token)
    return "; ".join(f"{ENTITY_NAMES[kind]}: {' '.join(words)}" for kind, words in spans) or "none"


def to_text(task, example):
    """(source, target) texts of one toy-world example."""
    check_task(task)
    if task in ("sentiment", "acceptability"):
        source = f"{PREFIXES[task]} {example['text']}"
    elif task in ("paraphrase", "similarity"):
        source = f"{PREFIXES[task]} {example['sentence1']} sentence2: {example['sentence2']}"
    elif task == "entailment":
        source = f"{PREFIXES[task]} {example['premise']} hypothesis: {example['hypothesis']}"
    elif task == "qa":
        source = f"question: {example['question']} context: {example['context']}"
    elif task == "multiple_choice":
        source = f"{PREFIXES[task]} {example['context']} " + " ".join(f"option: {c}" for c in example["choices"])
    else:
        source = f"ner: {' '.join(example['tokens'])}"
    return source, gold_text(task, example)


def gold_text(task, example):
    """The target text of one example."""
    if task in CLASS_TASKS:
        return task_info(task)["labels"][example["label"]]
    if task == "similarity":
        return f"{round(example['score'] * 5) / 5:.1f}"
    if task == "qa":
        return example["answer"]
    if task == "multiple_choice":
        return example["choices"][example["label"]]
    return ner_target(example["tokens"], example["tags"])


def squeeze(text):
    """Lower case, single spaces, no space before ':' ';' '.' ',' (a tokenizer's decode may add them)."""
    return " ".join(re.sub(r"\s+([:;.,])", r"\1", text.lower()).split())


def parse_answer(task, text, example=None):
    """A generated text -> the label (class index, score, answer text, set of entities, or the index of
    the option it repeats: multiple_choice needs the example), or None."""
    check_task(task)
    text = squeeze(text)
    if task == "multiple_choice":
        if example is None:
            raise ValueError("parsing a multiple_choice answer needs the example (its options)")
        options = [squeeze(c) for c in example["choices"]]
        return options.index(text) if text in options else None
    if task in CLASS_TASKS:
        labels = task_info(task)["labels"]
        return labels.index(text) if text in labels else None
    if task == "similarity":
        try:
            score = float(text.replace(" ", ""))
        except ValueError:
            return None
        return score if 0.0 <= score <= 5.0 else None
    if task == "qa":
        return text
    if text == "none":
        return frozenset()
    entities = []
    names = {v: k for k, v in ENTITY_NAMES.items()}
    for part in text.split(";"):
        kind, sep, words = part.partition(":")
        if not sep or kind.strip() not in names or not words.strip():
            return None
        entities.append((names[kind.strip()], words.strip()))
    return frozenset(entities)


def gold_label(task, example):
    """The label parse_answer should give for a perfect answer."""
    if task in CLASS_TASKS or task == "multiple_choice":
        return example["label"]
    if task == "similarity":
        return float(example["score"])
    return parse_answer(task, gold_text(task, example))


def score_task(task, predictions, examples):
    """Metrics of generated answer texts against the examples; unparsed answers count as wrong.

    -> dict: accuracy (classification, multiple choice), pearson (similarity), exact_match and f1 (qa), f1 (ner),
       and "unparsed", the number of answers that did not parse."""
    check_task(task)
    if len(predictions) != len(examples):
        raise ValueError(f"{len(predictions)} predictions for {len(examples)} examples")
    parsed = [parse_answer(task, p, e) for p, e in zip(predictions, examples)]
    gold = [gold_label(task, e) for e in examples]
    unparsed = sum(p is None for p in parsed)
    if task in CLASS_TASKS or task == "multiple_choice":
        result = {"accuracy": accuracy([-1 if p is None else p for p in parsed], gold)}
    elif task == "similarity":
        # an unparsed answer counts as wrong: the score farthest from the gold one
        guess = [p if p is not None else (0.0 if g > 2.5 else 5.0) for p, g in zip(parsed, gold)]
        result = {"pearson": pearson(np.array(guess), np.array(gold))}
    elif task == "qa":
        result = {"exact_match": float(np.mean([exact_match(p, g) for p, g in zip(parsed, gold)])),
                  "f1": float(np.mean([token_f1(p, g) for p, g in zip(parsed, gold)]))}
    else:
        result = {"f1": entity_set_f1([set() if p is None else p for p in parsed], gold, unparsed_as=parsed)}
    return {**result, "unparsed": float(unparsed)}


def entity_set_f1(predicted, gold, unparsed_as=None):
    """Micro F1 over (type, words) entities; an unparsed answer (None in unparsed_as) predicts nothing
    right, and counts as one wrong prediction."""
    n_pred = n_true = n_correct = 0
    for k, (p, g) in enumerate(zip(predicted, gold)):
        wrong = unparsed_as is not None and unparsed_as[k] is None
        n_pred += 1 if wrong else len(p)
        n_true += len(g)
        n_correct += 0 if wrong else len(set(p) & set(g))
    precision = n_correct / n_pred if n_pred else 0.0
    recall = n_correct / n_true if n_true else 0.0
    return 2 * precision * recall / (precision + recall) if n_correct else 0.0

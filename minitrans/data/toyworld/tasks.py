"""Labelled downstream tasks of the toy world, in the spirit of GLUE and SQuAD.

Each task is a function `make(facts, rng) -> example dict`; `make_splits` draws one
stream of examples and sends each to train, dev or test by a hash of its input, so
the splits are disjoint, the test set does not depend on n_train, and a smaller
training set is a prefix of a larger one (learning curves are nested).
"""
import zlib

from . import events
from . import lexicon as lex
from .facts import capitalize, pick, pronoun
from .entailment import ENTAILMENT_LABELS, make_entailment
from .ner_qa import make_ner, make_qa
from .sentences import review, syntax_frame

SPLITS = ("train", "dev", "test")


def make_sentiment(facts, rng):
    text, label = review(rng)
    return {"text": text, "label": label}


def make_acceptability(facts, rng):
    """Label 1: grammatical; 0: a verb whose number does not agree with its subject."""
    frame = syntax_frame(rng)
    if rng.random() < 0.5:
        return {"text": frame.render(), "label": 1}
    break_middle = frame.middle_verb is not None and rng.random() < 0.3
    return {"text": frame.render(break_main=not break_middle, break_middle=break_middle), "label": 0}


def make_paraphrase(facts, rng):
    """Label 1 when both sentences say the same event; hard negatives swap who did what to whom.

    The two sentences always use different wordings (active / passive, 'gave' / 'got from'),
    so only the roles decide the label, not the surface form.
    """
    event = events.role_event(facts, rng)
    forms = rng.permutation(events.n_forms(event))
    if rng.random() < 0.5:
        return {"sentence1": event.render(forms[0]), "sentence2": event.render(forms[1]), "label": 1}
    other = event.swapped() if rng.random() < 0.7 else events.changed_role_event(facts, rng, event)
    return {"sentence1": event.render(forms[0]), "sentence2": other.render(forms[1]), "label": 0}


def make_similarity(facts, rng):
    """Two scenes said in different ways; score 0-5 = the weights of the slots they share."""
    base = events.scene(facts, rng)
    n_changed = int(rng.integers(len(events.SCENE_WEIGHTS) + 1))
    slots = [tuple(events.SCENE_WEIGHTS)[i] for i in rng.permutation(len(events.SCENE_WEIGHTS))[:n_changed]]
    other = events.changed_scene(facts, rng, base, slots)
    form1, form2 = int(rng.integers(3)), int(rng.integers(3))
    return {"sentence1": base.render(form1), "sentence2": other.render(form2),
            "score": events.scene_similarity(base, other)}


def make_multiple_choice(facts, rng, n_choices=4):
    """A situation and `n_choices` (2 to 4) continuations; one follows (a cause-effect chain or arithmetic)."""
    if n_choices not in (2, 3, 4):
        raise ValueError(f"n_choices must be 2, 3 or 4, got {n_choices!r}")
    p = pick(rng, facts.people)
    he, his = pronoun(p.gender, "subj"), pronoun(p.gender, "pos")
    setting = f"{p.name} went to {pick(rng, tuple(facts.country_of_city))}. " if rng.random() < 0.5 else ""
    if rng.random() < 0.5:
        states = [tuple(lex.CAUSES)[i] for i in rng.permutation(len(lex.CAUSES))[:n_choices]]
        cause = pick(rng, lex.CAUSES[states[0]]).format(pos=his)
        context = f"{setting}{p.name} {cause}."
        choices = [f"{capitalize(he)} {lex.ACTIONS[s].format(pos=his)}." for s in states]
    else:
        item, start, k = pick(rng, lex.FOOD_ITEMS), int(rng.integers(5, 10)), int(rng.integers(1, 4))
        ate = rng.random() < 0.5
        context = f"{setting}{p.name} had {start} {item} and {'ate' if ate else 'bought'} {k}."
        right = start - k if ate else start + k
        wrong = []
        for x in (start + k if ate else start - k, start, k, right + 1, right - 1, right + 2):
            if x >= 2 and x != right and x not in wrong:     # at least 2: 'has 1 apples' is not English
                wrong.append(x)
        counts = [right] + [wrong[i] for i in rng.permutation(len(wrong))[:n_choices - 1]]
        choices = [f"Now {he} has {x} {item}." for x in counts]
    order = rng.permutation(n_choices)
    return {"context": context, "choices": [choices[i] for i in order], "label": int(order.tolist().index(0))}


TASKS = {
    "sentiment": dict(make=make_sentiment, inputs=("text",), kind="classification", labels=("negative", "positive")),
    "acceptability": dict(make=make_acceptability, inputs=("text",), kind="classification",
                          labels=("unacceptable", "acceptable")),
    "paraphrase": dict(make=make_paraphrase, inputs=("sentence1", "sentence2"), kind="classification",
                       labels=("different", "paraphrase")),
    "entailment": dict(make=make_entailment, inputs=("premise", "hypothesis"), kind="classification",
                       labels=ENTAILMENT_LABELS),
    "similarity": dict(make=make_similarity, inputs=("sentence1", "sentence2"), kind="regression", labels=None),
    "multiple_choice": dict(make=make_multiple_choice, inputs=("context",), kind="multiple_choice", labels=None),
    "ner": dict(make=make_ner, inputs=("tokens",), kind="tagging", labels=("O", "B-PER", "I-PER", "B-LOC", "I-LOC",
                                                                          "B-ORG", "I-ORG")),
    "qa": dict(make=make_qa, inputs=("context", "question"), kind="extractive_qa", labels=None),
}


def task_info(name):
    """What a task's examples hold: input fields, kind (classification, regression, ...) and label names."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {sorted(TASKS)}")
    spec = TASKS[name]
    return {"name": name, "inputs": list(spec["inputs"]), "kind": spec["kind"],
            "labels": list(spec["labels"]) if spec["labels"] else None}


def split_of(key):
    """'test' for a tenth of the keys, 'dev' for another tenth, else 'train' (a hash, not the rng)."""
    bucket = zlib.crc32(key.encode("utf-8")) % 10
    return "test" if bucket == 0 else "dev" if bucket == 1 else "train"


def make_splits(name, facts, rng, n_train, n_dev, n_test, **options):
    """{'train': [...], 'dev': [...], 'test': [...]} of distinct examples; splits disjoint in their inputs.

    `options` go to the task's example maker (only multiple_choice takes one: n_choices).
    """
    spec = TASKS[name]
    sizes = {"train": n_train, "dev": n_dev, "test": n_test}
    out = {split: [] for split in SPLITS}
    seen, attempts, limit = set(), 0, 100 * (n_train + n_dev + n_test) + 1000
    while any(len(out[s]) < sizes[s] for s in SPLITS):
        attempts += 1
        if attempts > limit:
            got = {s: len(out[s]) for s in SPLITS}
            raise ValueError(f"task {name!r} ran out of distinct examples: made {got}, asked for {sizes}")
        example = spec["make"](facts, rng, **options)
        key = "\t".join(" ".join(example[f]) if f == "tokens" else example[f] for f in spec["inputs"])
        if key in seen:
            continue
        seen.add(key)
        split = split_of(key)
        if len(out[split]) < sizes[split]:
            out[split].append(example)
    return out

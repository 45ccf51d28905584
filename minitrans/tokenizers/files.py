"""Reading tokenizer files, with clear errors for missing or broken files (writes: minitrans/files.py)."""
import json
import os


def check_path(path):
    """Return `path` as a str, or raise TypeError naming what came instead of a path."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    return os.fspath(path)


def read_text(path):
    """Return the UTF-8 text of the file at `path`; a missing file (FileNotFoundError) or
    another encoding (ValueError) gives an error naming the file."""
    path = check_path(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"tokenizer file not found: {path!r}")
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()
    except UnicodeDecodeError as err:
        raise ValueError(f"tokenizer file {path!r} is not UTF-8 text (byte {err.start}: {err.reason}); "
                         "save it as UTF-8") from None


def read_json(path):
    """Return the parsed JSON content of `path`; broken JSON raises ValueError naming the file."""
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path!r} is not valid JSON: {err}") from None


def is_directory_path(path):
    """True if `path` names a directory (an existing one, or a new path without a file suffix)."""
    return os.path.isdir(path) or os.path.splitext(path)[1] == ""

"""Reading and writing tokenizer files: atomic writes and clear errors for missing or broken files."""
import json
import os
import tempfile


def atomic_write_text(path, text):
    """Write `text` (UTF-8) to `path` so that a crash never leaves a half-written file behind.

    The text goes to a temporary file in the same directory, which then replaces `path` in one step.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temp_path = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.remove(temp_path)
        raise


def atomic_write_json(path, data):
    """Write `data` as pretty-printed JSON to `path` atomically."""
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def check_path(path):
    """Return `path` as a str, or raise TypeError naming what came instead of a path."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    return os.fspath(path)


def read_text(path):
    """Return the UTF-8 text of the file at `path`; a missing file raises FileNotFoundError naming it."""
    path = check_path(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"tokenizer file not found: {path!r}")
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


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

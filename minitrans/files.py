"""Atomic file writes: the one place where minitrans writes a file that must never be half-written.

    atomic_write(path, lambda temp_path: save_file(tensors, temp_path))   # any writer that takes a path
    atomic_write_text(path, text)                                          # UTF-8 text
    atomic_write_json(path, data)                                          # pretty-printed JSON
    write_safetensors(path, tensors, metadata)                             # weights, the same bytes every time
    atomic_write_folder("hf-gpt", lambda temp_dir: ...)                    # a folder of files, all or nothing
    make_directory("runs/gpt", what="--out")                               # checked before a run starts

The content goes to a temporary file beside `path` (named `.<name>.<pid>.<random>.tmp`),
is flushed to disk and then renamed over `path` in one step (os.replace), so a reader
sees the old file or the new one, never a mixture. The new file gets the permissions
the user's umask gives an ordinary file (tempfile would leave it readable by its owner
only). A save killed before the rename (SIGKILL, power cut) leaves its temporary file
behind: the next write to the same path removes the temporary files whose process is gone.
"""
from __future__ import annotations

import json
import os
import shutil
import struct
import tempfile

import numpy as np

# numpy dtype -> the safetensors format's name for it
SAFETENSORS_DTYPES = {np.dtype(np.float64): "F64", np.dtype(np.float32): "F32", np.dtype(np.float16): "F16",
                      np.dtype(np.int64): "I64", np.dtype(np.int32): "I32", np.dtype(np.int16): "I16",
                      np.dtype(np.int8): "I8", np.dtype(np.uint8): "U8", np.dtype(np.bool_): "BOOL"}


def atomic_write(path, write):
    """Call `write(temp_path)` to fill a temporary file, then move it over `path` atomically.

    Creates the directory if needed. If `write` fails (or the process is interrupted), the
    temporary file is removed and `path` keeps its previous content. Returns `path` as a str.
    """
    path = os.fspath(path)
    directory, name = os.path.split(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    remove_stale_temp_files(directory, name)
    handle, temp_path = tempfile.mkstemp(prefix=f".{name}.{os.getpid()}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(handle, 0o666 & ~current_umask())
        os.close(handle)
        write(temp_path)
        with open(temp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.remove(temp_path)
        raise
    return path


def write_safetensors(path, tensors, metadata=None):
    """Write {name: array} and {key: str} metadata as one safetensors file, atomically.

    The header is JSON with sorted keys and the tensors follow in name order, so the same
    tensors and metadata give the same bytes every time (the safetensors package writes its
    metadata in a random order). A float tensor holding NaN or Inf is refused, naming it:
    a file minitrans writes never holds a non-finite weight. Returns `path` as a str.
    """
    header, arrays, offset = {}, [], 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        if array.dtype.newbyteorder("=") not in SAFETENSORS_DTYPES:
            raise TypeError(f"tensor '{name}' has dtype {array.dtype}, which safetensors cannot hold")
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ValueError(f"tensor '{name}' holds NaN or Inf; refusing to write '{path}' "
                             "(the file there, if any, is left as it was)")
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)    # the format is little-endian
        header[name] = {"dtype": SAFETENSORS_DTYPES[array.dtype.newbyteorder("=")], "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        arrays.append(array)
        offset += array.nbytes
    if metadata:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
            raise TypeError("safetensors metadata must map str to str")
        header["__metadata__"] = metadata
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)                       # the data starts 8-byte aligned

    def write(temp_path):
        with open(temp_path, "wb") as f:
            f.write(struct.pack("<Q", len(text)))
            f.write(text)
            for array in arrays:
                f.write(memoryview(array.reshape(-1)).cast("B"))
    return atomic_write(path, write)


def atomic_write_folder(directory, write, replaced=()):
    """Call `write(temp_dir)` to fill a fresh folder beside `directory`, then swap it in for `directory`.

    Files of an existing `directory` that `write` does not write are carried over (a model folder's
    README stays), except those named in `replaced`, so the result is the old folder with the new
    files in place of the old ones. If `write` fails (a full disk, Ctrl-C) the temporary folder is
    removed and `directory` is as it was:
    never a half-written folder, never a new config.json beside old weights. The swap is two renames
    (the old folder aside, the new one in), so a reader may briefly find no folder, never a mixture.
    Returns `directory` as a str.
    """
    directory = os.path.abspath(os.fspath(directory))
    parent, name = os.path.split(directory)
    os.makedirs(parent, exist_ok=True)
    restore_after_killed_swap(parent, name)
    remove_stale_temp_files(parent, name)
    temp_dir = tempfile.mkdtemp(prefix=f".{name}.{os.getpid()}.", suffix=".tmp", dir=parent)
    old_dir = temp_dir[:-len(".tmp")] + ".old.tmp"
    try:
        os.chmod(temp_dir, 0o777 & ~current_umask())
        write(temp_dir)
        if os.path.isdir(directory):
            carry_over(directory, temp_dir, replaced)
            os.rename(directory, old_dir)
        os.rename(temp_dir, directory)
    except BaseException:
        shutil.rmtree(temp_dir, ignore_errors=True)
        if os.path.isdir(old_dir) and not os.path.exists(directory):    # stopped between the two renames
            os.rename(old_dir, directory)
        raise
    shutil.rmtree(old_dir, ignore_errors=True)
    return directory


def restore_after_killed_swap(parent, name):
    """Put back the folder `name` that a save killed between its two renames left aside as `.<name>.<pid>.*.old.tmp`."""
    if os.path.exists(os.path.join(parent, name)):
        return
    for entry in sorted(os.listdir(parent)):
        if entry.endswith(".old.tmp") and left_by_ended_process(entry, name):
            os.rename(os.path.join(parent, entry), os.path.join(parent, name))
            return


def carry_over(source, target, replaced=()):
    """Hard-link (or copy) into `target` every entry of `source` that `target` does not have (but not `replaced`)."""
    for entry in os.listdir(source):
        if entry in replaced or os.path.lexists(os.path.join(target, entry)):
            continue
        src, dst = os.path.join(source, entry), os.path.join(target, entry)
        if os.path.isdir(src) and not os.path.islink(src):
            shutil.copytree(src, dst, symlinks=True, copy_function=link_or_copy)
        else:
            link_or_copy(src, dst)


def link_or_copy(src, dst):
    """A hard link of `src` at `dst` (instant, no space), or a copy where links are not possible."""
    try:
        os.link(src, dst, follow_symlinks=False)
    except OSError:
        shutil.copy2(src, dst, follow_symlinks=False)


def atomic_write_text(path, text):
    """Write `text` as UTF-8 to `path` atomically (line endings kept as given)."""
    def write(temp_path):
        with open(temp_path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return atomic_write(path, write)


def atomic_write_json(path, data):
    """Write `data` as pretty-printed JSON to `path` atomically."""
    return atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=1) + "\n")


def make_directory(path, what="directory"):
    """Create the directory `path` (and its parents) if needed and check that files can be written in it.

    Raises ValueError naming `what` and the path when `path` is a file, lies under a file,
    or cannot be created or written to. Returns `path` as a str.
    """
    path = os.fspath(path)
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        reasons = {FileExistsError: "a file of that name exists", NotADirectoryError: "a part of the path is a file"}
        reason = reasons.get(type(e), e.strerror)
        raise ValueError(f"{what} '{path}': expected a directory that can be created and written to "
                         f"({reason})") from None
    return path


def current_umask():
    """The process's umask (os.umask can only read it by setting it, so it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale_temp_files(directory, name):
    """Remove `.<name>.<pid>.*.tmp` files (and folders) in `directory` left by a process that no longer runs."""
    for entry in os.listdir(directory):
        if left_by_ended_process(entry, name):
            path = os.path.join(directory, entry)
            try:
                if os.path.isdir(path) and not os.path.islink(path):
                    shutil.rmtree(path)
                else:
                    os.remove(path)
            except FileNotFoundError:     # another process cleaned it up first
                pass


def left_by_ended_process(entry, name):
    """Whether `entry` is a temporary `.<name>.<pid>.*.tmp` of a write to `name` whose process no longer runs."""
    prefix = f".{name}."
    if not (entry.startswith(prefix) and entry.endswith(".tmp")):
        return False
    pid = entry[len(prefix):].split(".", 1)[0]
    return pid.isdigit() and not process_is_running(int(pid))


def process_is_running(pid):
    """True if a process with this id exists (signal 0 checks without sending anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:               # it exists, but belongs to another user
        return True
    return True

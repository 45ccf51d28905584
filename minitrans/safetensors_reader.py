"""Reading safetensors files with every byte of the header checked: the reading side of
minitrans.files.write_safetensors, used by load_checkpoint and load_hf.

    tensors, metadata = read_safetensors(path)
    check_weights(path, tensors)          # finite floats only, or an error naming the tensor
    check_size("'config.json'", count_gpt_parameters(config), path, shapes)   # before building the model

A safetensors file is an 8-byte little-endian length N, N bytes of JSON (for each tensor its
dtype, shape and data_offsets, plus an optional "__metadata__" of str -> str), then the data.
A damaged or hostile file gets one ValueError naming the file and what is wrong with it: too
short, a length larger than the file, a header that is not JSON, offsets that overlap, leave
gaps or run past the end, a dtype minitrans does not read (bfloat16, complex). Nothing is
allocated for the data before the whole header has been checked against the size of the file.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import struct

import numpy as np

from .files import SAFETENSORS_DTYPES
from .functional.checks import is_int

READ_DTYPES = {name: dtype for dtype, name in SAFETENSORS_DTYPES.items()}   # "F32" -> float32, ...
FLOAT_DTYPES = ("F16", "F32", "F64")      # the dtypes a weight may have (it is then converted to the model's)


@dataclasses.dataclass
class Entry:
    """One tensor as the header describes it: its dtype name ("F32"), shape and byte range in the data."""

    dtype: str
    shape: tuple
    begin: int
    end: int


def read_header(f, path):
    """({name: Entry}, metadata, the byte where the data starts) of the open safetensors file `f`, checked
    in full: ValueError naming `path` for a file too short to hold its header, a header that is not a
    JSON object, an entry without a valid dtype, shape or data_offsets, a dtype minitrans does not read,
    offsets that overlap, leave a gap or disagree with the shape, and data that ends before or after the file."""
    size = os.fstat(f.fileno()).st_size
    if size < 8:
        raise corrupt(path, f"{size} bytes, but a safetensors file starts with the 8-byte length of its header")
    (length,) = struct.unpack("<Q", f.read(8))
    if length > size - 8:
        raise corrupt(path, f"its first 8 bytes say the header is {length} bytes long, but only {size - 8} follow")
    try:
        header = json.loads(f.read(length).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise corrupt(path, f"its header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise corrupt(path, f"its header is a JSON {type(header).__name__}, expected an object")
    metadata = header.pop("__metadata__", None)
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError(f"'{path}': the header's __metadata__ must map str to str, got {metadata!r:.200}")
    entries = {name: _entry(path, name, value) for name, value in header.items()}
    _check_layout(path, entries, size - 8 - length)
    return entries, metadata, 8 + length


def corrupt(path, reason):
    """The ValueError for a file whose bytes do not form a safetensors file."""
    return ValueError(f"'{path}' is truncated or corrupt (not a valid safetensors file): {reason}")


def _entry(path, name, value):
    """The Entry of one header item; ValueError naming the tensor unless it is well formed."""
    if not isinstance(value, dict) or not {"dtype", "shape", "data_offsets"} <= set(value):
        raise ValueError(f"'{path}': header entry '{name}' must hold dtype, shape and data_offsets, "
                         f"got {value!r:.200}")
    dtype, shape, offsets = value["dtype"], value["shape"], value["data_offsets"]
    if dtype not in READ_DTYPES:
        hint = " (bfloat16: save the model as float32 first)" if dtype == "BF16" else ""
        raise ValueError(f"'{path}': tensor '{name}' has dtype {dtype!r}, which minitrans cannot read; "
                         f"it reads {sorted(READ_DTYPES)}{hint}")
    if not isinstance(shape, list) or not all(is_int(n) and n >= 0 for n in shape):
        raise ValueError(f"'{path}': tensor '{name}' has shape {shape!r}, expected a list of integers >= 0")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(is_int(n) and n >= 0 for n in offsets) \
            or offsets[0] > offsets[1]:
        raise ValueError(f"'{path}': tensor '{name}' has data_offsets {offsets!r}, expected [begin, end] "
                         f"with 0 <= begin <= end")
    needed = math.prod(shape) * READ_DTYPES[dtype].itemsize
    if offsets[1] - offsets[0] != needed:
        raise ValueError(f"'{path}': tensor '{name}' has data_offsets {offsets} ({offsets[1] - offsets[0]} bytes), "
                         f"but a {dtype} tensor of shape {shape} takes {needed} bytes")
    return Entry(dtype, tuple(shape), offsets[0], offsets[1])


def _check_layout(path, entries, data_size):
    """The tensors must fill the data one after the other: no overlap, no gap, nothing past the end."""
    position, previous = 0, None
    for name, e in sorted(entries.items(), key=lambda item: (item[1].begin, item[1].end)):
        if e.begin < position:
            raise corrupt(path, f"tensor '{name}' (bytes {e.begin} to {e.end}) overlaps tensor '{previous}' "
                                f"(which ends at byte {position})")
        if e.begin > position:
            raise corrupt(path, f"bytes {position} to {e.begin} of its data belong to no tensor")
        position, previous = e.end, name
    if position > data_size:
        raise corrupt(path, f"its tensors take {position} bytes of data, but the file holds {data_size}")
    if position < data_size:
        raise corrupt(path, f"{data_size - position} bytes follow its last tensor")


def read_safetensors(path):
    """({name: array}, metadata) of the safetensors file at `path` (FileNotFoundError if there is none).

    The whole header is checked against the size of the file (read_header) before any data is read, and
    header and data come through one open file, so a file replaced meanwhile (an atomic save) is read
    whole, old or new. Arrays come back in the machine's byte order and the file's dtype (nothing is cast)."""
    path = os.fspath(path)
    tensors = {}
    with open(path, "rb") as f:
        entries, metadata, data_start = read_header(f, path)
        for name, e in entries.items():
            dtype = READ_DTYPES[e.dtype]
            f.seek(data_start + e.begin)
            data = np.fromfile(f, dtype=dtype.newbyteorder("<"), count=math.prod(e.shape))
            tensors[name] = data.astype(dtype, copy=False).reshape(e.shape)
    return tensors, metadata


def check_weights(path, tensors):
    """ValueError naming the first of {name: array} that is not a float (F16, F32 or F64) or holds NaN
    or Inf: a weight is never cast from an integer or bool dtype, nor loaded non-finite."""
    for name, array in tensors.items():
        dtype = SAFETENSORS_DTYPES.get(array.dtype, str(array.dtype))
        if dtype not in FLOAT_DTYPES:
            raise ValueError(f"'{path}': tensor '{name}' has dtype {dtype}, but weights must be floats "
                             f"({', '.join(FLOAT_DTYPES)}); minitrans does not cast it")
        finite = np.isfinite(array)
        if not finite.all():
            nan = int(np.isnan(array).sum())
            raise ValueError(f"'{path}': tensor '{name}' holds {nan} NaN and {array.size - int(finite.sum()) - nan} "
                             f"Inf values; minitrans does not load non-finite weights")


def check_size(what, parameters, path, shapes):
    """ValueError before a model is built if `what` (a config) describes a model of more than twice as many
    parameters as the file holds values ({name: shape}): a config saying vocab_size 10**9 over a 100-row
    embedding is refused without allocating anything for it. Smaller differences are left to the check of
    each tensor's name and shape, which needs the model built and can name them."""
    held = sum(math.prod(shape) for shape in shapes.values())
    if parameters > 2 * held:
        raise ValueError(f"{what} describes a model of {parameters:,} parameters, but '{path}' holds only "
                         f"{held:,} values: the sizes in the config do not match the tensors")

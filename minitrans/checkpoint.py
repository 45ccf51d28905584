"""Checkpoints: one safetensors file with the weights, the optimizer state and JSON metadata.

A checkpoint is a single `.safetensors` file (an open format: no pickle, readable
by any safetensors reader):

    tensors   "model/<param name>"                 model weights, e.g. "model/blocks.0.attn.q.weight"
              "optimizer/<buffer>/<param name>"    optimizer buffers ("m", "v" for Adam, "momentum" for SGD)
    metadata  "format"            "minitrans-checkpoint"
              every other key holds JSON text: "format_version", "model_type" (class name),
              "step", "config", "rng_state", "model_rng_states", "tokenizer", "extra",
              "optimizer" (type, step, hyperparameters, buffer names)

Saving goes through minitrans.files.write_safetensors (sorted, so the same save gives the same bytes;
non-finite weights refused) and atomic_write (a temporary file in the same
directory, flushed to disk and renamed over `path`), so an interrupted save leaves
the previous checkpoint intact. Loading reads and checks the whole file before it
changes the model or the optimizer. The states of the model's own random generators (dropout) are
saved and restored automatically, so training resumes exactly.
"""
from __future__ import annotations

import dataclasses
import json
import numbers
import os

import numpy as np

from .files import write_safetensors
from .functional.checks import is_int
from .nn.module import Module
from .safetensors_reader import check_weights, read_safetensors

FORMAT = "minitrans-checkpoint"
FORMAT_VERSION = 1


@dataclasses.dataclass
class Checkpoint:
    """Everything read back from a checkpoint file."""

    path: str
    model_type: str
    step: int
    model_state: dict                    # param name -> array
    optimizer_state: dict | None         # as Optimizer.state_dict() returns it, or None
    config: object = None                # JSON values (a dataclass config comes back as a dict)
    rng_state: object = None             # e.g. a data-order generator's bit_generator.state
    model_rng_states: list = dataclasses.field(default_factory=list)
    tokenizer: object = None             # the tokenizer's to_dict(), or the dict given
    extra: object = None                 # anything JSON-able, e.g. the log history


# ------------------------------------------------------------------ rng states
def get_rng_states(model: Module) -> list:
    """JSON-able states of every np.random.Generator held by the model, in module order."""
    return [to_jsonable(g.bit_generator.state, "model rng state") for _, g in model.named_generators()]


def set_rng_states(model: Module, states: list):
    """Restore generator states taken by `get_rng_states` from a model of the same structure.

    Every state is checked before any generator changes."""
    gens = check_rng_states(model, states)
    for g, state in zip(gens, states):
        g.bit_generator.state = state


def check_rng_states(model: Module, states) -> list:
    """ValueError unless `states` holds one valid state per generator of `model`; returns the generators."""
    named = list(model.named_generators())
    if not isinstance(states, list) or len(states) != len(named):
        got = f"{len(states)} rng states" if isinstance(states, list) else type(states).__name__
        raise ValueError(f"got {got}, but {type(model).__name__} holds {len(named)} generators")
    for (name, g), state in zip(named, states):
        check_generator_state(g, state, f"rng state of '{name}'")
    return [g for _, g in named]


def check_generator_state(generator, state, what="rng state"):
    """ValueError unless `state` could be assigned to `generator.bit_generator.state` (nothing changes).

    The state is tried on a scratch bit generator of the same kind, which checks its keys and values."""
    kind = type(generator.bit_generator)
    if not isinstance(state, dict) or state.get("bit_generator") != kind.__name__:
        got = state.get("bit_generator") if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"{what}: expected a {kind.__name__} state, got {got}")
    try:
        kind().state = state
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"{what}: not a valid {kind.__name__} state ({type(e).__name__}: {e})") from None


# ---------------------------------------------------------------------- JSON
def to_jsonable(obj, field: str):
    """Turn configs, tokenizers and rng states into plain JSON values; TypeError if impossible.

    Understands dataclasses, objects with `to_dict()`, np.random.Generator (its state),
    numpy arrays, scalars and dtypes; dict keys must be strings.
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        obj = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    elif hasattr(obj, "to_dict") and not isinstance(obj, dict):
        obj = obj.to_dict()
    elif isinstance(obj, np.random.Generator):
        obj = obj.bit_generator.state
    if obj is None or isinstance(obj, (str, bool, int, float)):
        return obj
    if isinstance(obj, dict):
        bad = [k for k in obj if not isinstance(k, str)]
        if bad:
            raise TypeError(f"checkpoint field '{field}': dict keys must be str, got {bad[0]!r}")
        return {k: to_jsonable(v, field) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v, field) for v in obj]
    if isinstance(obj, (np.ndarray, np.generic)):
        return obj.tolist()
    if isinstance(obj, np.dtype) or (isinstance(obj, type) and issubclass(obj, np.generic)):
        return np.dtype(obj).name
    raise TypeError(f"checkpoint field '{field}' must be JSON-able (dict, list, str, number, dataclass "
                    f"or an object with to_dict()), got {type(obj).__name__}")


# ---------------------------------------------------------------------- save
def save_checkpoint(path, model: Module, optimizer=None, step: int = 0, config=None, rng_state=None,
                    tokenizer=None, extra=None) -> str:
    """Write model weights, optimizer state and metadata to the single file `path`, atomically.

    rng_state: a np.random.Generator (its state is stored) or a JSON-able dict.
    config, tokenizer, extra: dataclass, object with to_dict(), or JSON-able values.
    Returns the path written.
    """
    if not isinstance(model, Module):
        raise TypeError(f"save_checkpoint expects a minitrans Module, got {type(model).__name__}")
    if not isinstance(step, numbers.Integral) or step < 0:
        raise ValueError(f"step must be an integer >= 0, got {step!r}")
    tensors = {"model/" + name: np.ascontiguousarray(p.data) for name, p in model.named_parameters()}
    meta = {
        "format_version": FORMAT_VERSION,
        "model_type": type(model).__name__,
        "step": int(step),
        "config": to_jsonable(config, "config"),
        "rng_state": to_jsonable(rng_state, "rng_state"),
        "model_rng_states": get_rng_states(model),
        "tokenizer": to_jsonable(tokenizer, "tokenizer"),
        "extra": to_jsonable(extra, "extra"),
        "optimizer": None,
    }
    if optimizer is not None:
        state = optimizer.state_dict()
        meta["optimizer"] = {"type": state["type"], "step": state["step"],
                             "hyperparameters": to_jsonable(state["hyperparameters"], "optimizer"),
                             "buffers": list(state["buffers"])}
        for buffer, arrays in state["buffers"].items():
            for name, value in arrays.items():
                tensors[f"optimizer/{buffer}/{name}"] = np.ascontiguousarray(value)
    metadata = {key: json.dumps(value) for key, value in meta.items()}
    metadata["format"] = FORMAT
    return write_safetensors(path, tensors, metadata)


# ---------------------------------------------------------------------- load
def load_checkpoint(path, model: Module | None = None, optimizer=None) -> Checkpoint:
    """Read a checkpoint; if given, restore `model` (weights and rng states) and `optimizer`.

    Everything is checked before anything is changed. Raises FileNotFoundError for
    a missing file, ValueError for a corrupt or truncated file (safetensors_reader), a file
    that is not a minitrans checkpoint, malformed metadata (a step that is not an integer >= 0,
    an optimizer entry without its step, an invalid generator state), a weight or optimizer
    buffer that is not a float or holds NaN or Inf, another model type, or weights that do not
    fit the model.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint file at '{path}'")
    try:
        tensors, metadata = read_safetensors(path)
    except ValueError as e:
        raise ValueError(f"checkpoint {e}") from None
    if metadata.get("format") != FORMAT:
        raise ValueError(f"'{path}' is not a minitrans checkpoint: metadata 'format' is "
                         f"{metadata.get('format')!r}, expected {FORMAT!r}")
    meta = _parse_metadata(path, metadata)
    try:
        check_weights(path, tensors)             # weights and optimizer buffers alike
    except ValueError as e:
        raise ValueError(f"checkpoint {e}") from None
    ckpt = Checkpoint(path=path, model_type=meta["model_type"], step=meta["step"],
                      model_state=_tensors_under(tensors, "model/"), optimizer_state=None,
                      config=meta["config"], rng_state=meta["rng_state"],
                      model_rng_states=meta["model_rng_states"], tokenizer=meta["tokenizer"],
                      extra=meta["extra"])
    if meta["optimizer"] is not None:
        opt = meta["optimizer"]
        ckpt.optimizer_state = {
            "type": opt["type"], "step": opt["step"], "hyperparameters": opt["hyperparameters"],
            "buffers": {b: _tensors_under(tensors, f"optimizer/{b}/") for b in opt["buffers"]},
        }
    restore_checkpoint(ckpt, model, optimizer)
    return ckpt


def restore_checkpoint(ckpt: Checkpoint, model: Module | None = None, optimizer=None):
    """Copy a checkpoint read by load_checkpoint into `model` and `optimizer` (either may be None).

    Checks that the weights and generator states fit the model and that an optimizer
    state is present before changing anything; the optimizer checks its own state in
    full before it changes (Optimizer.load_state_dict)."""
    if model is not None:
        _check_fits(ckpt, model)
    if optimizer is not None:
        if ckpt.optimizer_state is None:
            raise ValueError(f"checkpoint '{ckpt.path}' holds no optimizer state, but an optimizer was given")
        optimizer.load_state_dict(ckpt.optimizer_state)
    if model is not None:
        model.load_state_dict(ckpt.model_state)
        set_rng_states(model, ckpt.model_rng_states)


# the JSON type each metadata field must have (None: JSON null is allowed too)
JSON_NAMES = {str: "a string", dict: "an object", list: "a list", type(None): "null"}
METADATA_TYPES = {"model_type": (str,), "config": (dict, type(None)), "rng_state": (dict, type(None)),
                  "model_rng_states": (list,), "tokenizer": (dict, type(None)), "optimizer": (dict, type(None))}


def _parse_metadata(path, metadata):
    """The metadata fields parsed from JSON and checked for their structure; ValueError naming the field."""
    meta = {}
    for key in ("format_version", "model_type", "step", "config", "rng_state", "model_rng_states",
                "tokenizer", "extra", "optimizer"):
        if key not in metadata:
            raise ValueError(f"checkpoint '{path}' is missing metadata '{key}'")
        try:
            meta[key] = json.loads(metadata[key])
        except json.JSONDecodeError as e:
            raise ValueError(f"checkpoint '{path}': metadata '{key}' is not valid JSON ({e})") from e
    if meta["format_version"] != FORMAT_VERSION:
        raise ValueError(f"checkpoint '{path}' has format version {meta['format_version']}, "
                         f"this minitrans reads version {FORMAT_VERSION}")
    if not _is_step(meta["step"]):
        raise ValueError(f"checkpoint '{path}': metadata 'step' must be an integer >= 0, got {meta['step']!r}")
    for key, types in METADATA_TYPES.items():
        if not isinstance(meta[key], types):
            expected = " or ".join(JSON_NAMES[t] for t in types)
            raise ValueError(f"checkpoint '{path}': metadata '{key}' must be {expected}, "
                             f"got {json.dumps(meta[key])[:100]}")
    opt = meta["optimizer"]
    if opt is not None:
        keys = ("type", "step", "hyperparameters", "buffers")
        if not all(k in opt for k in keys):
            raise ValueError(f"checkpoint '{path}': metadata 'optimizer' needs the keys {list(keys)}, "
                             f"got {sorted(opt)}")
        if not _is_step(opt["step"]):
            raise ValueError(f"checkpoint '{path}': the optimizer's 'step' must be an integer >= 0, "
                             f"got {opt['step']!r}")
        if not isinstance(opt["buffers"], list) or not all(isinstance(b, str) for b in opt["buffers"]):
            raise ValueError(f"checkpoint '{path}': the optimizer's 'buffers' must be a list of names, "
                             f"got {opt['buffers']!r:.100}")
    _check_training_extra(path, meta["extra"])
    return meta


def _check_training_extra(path, extra):
    """A Trainer's extra holds train_config (an object with iters) and history (a list of records, each
    an object with an integer step and a split name): ValueError naming the field if either is malformed."""
    if not isinstance(extra, dict):
        return
    train_config = extra.get("train_config")
    if "train_config" in extra and not (isinstance(train_config, dict) and _is_step(train_config.get("iters"))):
        raise ValueError(f"checkpoint '{path}': extra 'train_config' must be an object with an integer "
                         f"'iters' >= 0, got {json.dumps(train_config)[:100]}")
    history = extra.get("history", [])
    if not isinstance(history, list):
        raise ValueError(f"checkpoint '{path}': extra 'history' must be a list of records, "
                         f"got {json.dumps(history)[:100]}")
    for i, record in enumerate(history):
        if not (isinstance(record, dict) and _is_step(record.get("step")) and isinstance(record.get("split"), str)):
            raise ValueError(f"checkpoint '{path}': extra 'history' must be a list of records with an integer "
                             f"'step' and a 'split' name; record {i} is {json.dumps(record)[:100]}")


def _is_step(value):
    """A step count: an int >= 0 (JSON gives int or float; True is not a step)."""
    return is_int(value) and value >= 0


def _tensors_under(tensors, prefix):
    return {key[len(prefix):]: value for key, value in tensors.items() if key.startswith(prefix)}


def _check_fits(ckpt, model):
    """ValueError naming every difference between the checkpoint and the model (changes nothing)."""
    if ckpt.model_type != type(model).__name__:
        raise ValueError(f"checkpoint '{ckpt.path}' holds a {ckpt.model_type}, "
                         f"but the model given is a {type(model).__name__}")
    own = dict(model.named_parameters())
    missing = [n for n in own if n not in ckpt.model_state]
    extra = [n for n in ckpt.model_state if n not in own]
    shapes = [f"'{n}': checkpoint {ckpt.model_state[n].shape}, model {p.data.shape}"
              for n, p in own.items() if n in ckpt.model_state and ckpt.model_state[n].shape != p.data.shape]
    if missing or extra or shapes:
        raise ValueError(f"checkpoint '{ckpt.path}' does not fit this {type(model).__name__}: "
                         f"missing weights {missing[:10]}, unexpected weights {extra[:10]}, "
                         f"shape mismatches {shapes[:10]}")
    try:
        check_rng_states(model, ckpt.model_rng_states)
    except ValueError as e:
        raise ValueError(f"checkpoint '{ckpt.path}': {e}") from None

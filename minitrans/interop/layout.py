"""Name and layout rules between minitrans parameters and Hugging Face tensors.

A layout is an ordered list of rules `(pattern, hf_name, kind)`: `pattern` is a regular
expression over a minitrans parameter name (as `Module.named_parameters()` gives it),
`hf_name` its Hugging Face name with the pattern's groups filled in (`\\1`), and `kind`
how the arrays relate:

    "same"          the same array (embeddings, LayerNorm gains and shifts, biases)
    "transpose"     minitrans Linear stores W as (in, out); torch's nn.Linear as (out, in)
    "linear"        a torch nn.Linear's weight ("transpose") or bias ("same")
    ("part", k, n)  the k-th of n equal slices along the last axis of one fused tensor
                    (GPT-2 keeps q, k and v side by side in one (C, 3C) matrix)

Every parameter of the model must match a rule, so a parameter this file does not know
about is an error, never a tensor left out of the file.
"""
import re

import numpy as np


def plan(model, rules, prefix=""):
    """[(minitrans name, hf name, kind, Parameter)] for every parameter of `model`, in model order.

    prefix: replaces "{p}" in the hf names (e.g. "bert." for BERT's body under its pretraining heads).
    """
    entries = []
    for name, param in model.named_parameters():
        for pattern, hf_name, kind in rules:
            match = re.fullmatch(pattern, name)
            if match:
                if kind == "linear":
                    kind = "transpose" if param.data.ndim == 2 else "same"
                entries.append((name, match.expand(hf_name).replace("{p}", prefix), kind, param))
                break
        else:
            raise ValueError(f"{type(model).__name__} parameter '{name}' has no Hugging Face name in this "
                             f"layout: minitrans cannot write it without dropping it")
    return entries


def hf_shapes(entries):
    """{hf name: shape} that the file must hold for these entries (fused tensors counted once)."""
    shapes = {}
    for _, hf_name, kind, param in entries:
        shape = param.data.shape
        if kind == "transpose":
            shape = shape[::-1]
        elif isinstance(kind, tuple):
            shape = shape[:-1] + (shape[-1] * kind[2],)
        shapes[hf_name] = tuple(shape)
    return shapes


def to_hf(entries):
    """{hf name: array} in the Hugging Face layout, from the parameters of the entries."""
    tensors, parts = {}, {}
    for _, hf_name, kind, param in entries:
        if kind == "same":
            tensors[hf_name] = np.ascontiguousarray(param.data)
        elif kind == "transpose":
            tensors[hf_name] = np.ascontiguousarray(param.data.T)
        else:
            parts.setdefault(hf_name, {})[kind[1]] = param.data
    for hf_name, pieces in parts.items():
        tensors[hf_name] = np.ascontiguousarray(np.concatenate([pieces[k] for k in sorted(pieces)], axis=-1))
    return tensors


def from_hf(entries, tensors, dtype):
    """{minitrans name: array} read from `tensors` (hf name -> array), cast to `dtype`.

    The shapes must already have been checked (see check_tensors).
    """
    state = {}
    for name, hf_name, kind, _ in entries:
        array = tensors[hf_name]
        if kind == "transpose":
            array = array.T
        elif isinstance(kind, tuple):
            _, k, n = kind
            width = array.shape[-1] // n
            array = array[..., k * width:(k + 1) * width]
        state[name] = np.ascontiguousarray(array, dtype=dtype)
    return state


def check_tensors(path, expected, found, ignored=()):
    """ValueError naming every missing tensor, unexpected tensor and shape mismatch.

    expected: {hf name: shape}; found: {hf name: shape} of the file; ignored: names of the file
    that are known not to be parameters (buffers, tied copies checked elsewhere).
    """
    missing = [n for n in expected if n not in found]
    extra = [n for n in found if n not in expected and n not in ignored]
    shapes = [f"'{n}': file {tuple(found[n])}, expected {tuple(s)}"
              for n, s in expected.items() if n in found and tuple(found[n]) != tuple(s)]
    if missing or extra or shapes:
        problems = [f"{what} {names[:10]}" + (f" and {len(names) - 10} more" if len(names) > 10 else "")
                    for what, names in (("missing tensors", missing), ("unexpected tensors", extra)) if names]
        if shapes:
            problems.append(f"shape mismatches {shapes[:10]}")
        raise ValueError(f"'{path}' does not fit the model its config.json describes: " + "; ".join(problems))

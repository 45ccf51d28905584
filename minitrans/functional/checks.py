"""Input checks shared by the whole package (the functional pairs, the objectives, batching and the
tokenizers): each error names what was expected and what came."""
import math

import numpy as np


def check_float(name, x):
    """Raise TypeError unless `x` is a floating ndarray."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{name} must be a floating array (float32 or float64), got dtype {x.dtype}")


def check_ndim(name, x, ndim):
    """Raise ValueError unless `x` has `ndim` dimensions (an int or a tuple of allowed ints)."""
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if x.ndim not in allowed:
        raise ValueError(f"{name} must have {' or '.join(map(str, allowed))} dimensions, got shape {x.shape}")


def check_last_dim(name, x, size):
    """Raise ValueError unless the last axis of `x` has length `size`."""
    if x.shape[-1] != size:
        raise ValueError(f"{name} must have last dimension {size}, got shape {x.shape}")


def check_ids(name, ids, vocab_size):
    """Raise unless `ids` is an integer array with every value in [0, vocab_size)."""
    if not isinstance(ids, np.ndarray) or ids.dtype.kind not in "iu":
        got = ids.dtype if isinstance(ids, np.ndarray) else type(ids).__name__
        raise TypeError(f"{name} must be an integer numpy array, got {got}")
    if ids.size and (ids.min() < 0 or ids.max() >= vocab_size):
        raise ValueError(
            f"{name} must lie in [0, {vocab_size}), got values from {ids.min()} to {ids.max()}"
        )


def check_broadcast(name, x, shape):
    """Raise ValueError unless `x` broadcasts to `shape` without changing it."""
    try:
        out = np.broadcast_shapes(x.shape, tuple(shape))
    except ValueError:
        out = None
    if out != tuple(shape):
        raise ValueError(f"{name} of shape {x.shape} does not broadcast to {tuple(shape)}")


def sum_to_shape(g, shape):
    """Sum a broadcast gradient `g` back down to `shape` (the inverse of broadcasting)."""
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g


def is_int(value):
    """An integer, and not a bool (Python's True is an int, and JSON's true would pass as 1)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value):
    """A finite int or float, and not a bool (a string such as "0.1" is not a number)."""
    return (is_int(value) or isinstance(value, (float, np.floating))) and math.isfinite(value)


def check_positive_int(name, value):
    """Raise unless `value` is an int >= 1."""
    if not is_int(value):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


def check_id_array(name, ids, ndim=None, vocab_size=None):
    """`ids` as an int64 array; raise unless it holds integers (of `ndim` dims, in [0, vocab_size))."""
    array = np.asarray(ids)
    if array.size and array.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer token ids, got dtype {array.dtype}")
    array = array.astype(np.int64)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and array.ndim not in allowed:
        raise ValueError(f"{name} must have {' or '.join(map(str, allowed))} dimensions, got shape {array.shape}")
    if array.size and array.min() < 0:
        raise ValueError(f"{name} must be non-negative token ids, got {array.min()}")
    if vocab_size is not None and array.size and array.max() >= vocab_size:
        raise ValueError(f"{name} must lie in [0, {vocab_size}), got a maximum of {array.max()}")
    return array


def check_probability(name, value, low_open=False):
    """Raise unless `value` is a number in [0, 1] (in (0, 1] when low_open)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not (0 < value <= 1 if low_open else 0 <= value <= 1):
        raise ValueError(f"{name} must lie in {'(0, 1]' if low_open else '[0, 1]'}, got {value}")
    return float(value)


def check_token_batch(ids, vocab_size, max_length, length_name, past_length=0):
    """Raise a clear error unless `ids` is a (B, T) integer array with B, T >= 1,
    past_length + T <= max_length (named `length_name` in the message) and every id in [0, vocab_size)."""
    if not isinstance(ids, np.ndarray) or ids.dtype.kind not in "iu":
        raise TypeError(f"ids must be an integer numpy array of shape (B, T), got {getattr(ids, 'dtype', type(ids))}")
    if ids.ndim != 2 or 0 in ids.shape:
        raise ValueError(f"ids must have shape (B, T) with B >= 1 and T >= 1, got {ids.shape}")
    T = past_length + ids.shape[1]
    if T > max_length:
        raise ValueError(f"sequence length {T} is longer than {length_name} {max_length}")
    if ids.min() < 0 or ids.max() >= vocab_size:
        raise ValueError(f"token ids must lie in [0, {vocab_size}), got values from {ids.min()} to {ids.max()}")


def check_compute_dtype(model_name, dtype):
    """Raise unless a model's parameters are float32 or float64, the dtypes the kernels compute in."""
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"{model_name} computes in float32 or float64, but its parameters are {dtype}: "
                        "convert it with model.astype(np.float32)")


def check_padding_mask(name, mask, ids_name, shape):
    """Raise a clear error unless mask is None or a boolean array of `shape` (the shape of ids_name)."""
    if mask is None:
        return
    if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_:
        got = getattr(mask, "dtype", type(mask))
        raise TypeError(f"{name} must be a boolean numpy array (True = real token), got {got}")
    if mask.shape != shape:
        raise ValueError(f"{name} must have the shape of {ids_name} {shape}, got {mask.shape}")

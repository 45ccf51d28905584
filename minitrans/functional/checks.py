"""Input checks shared by the functional pairs: each error names what was expected and what came."""
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

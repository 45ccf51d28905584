"""Input checks for the pretraining objectives and batching: each error names what was expected and what came."""
import numpy as np


def check_positive_int(name, value):
    """Raise unless `value` is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
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

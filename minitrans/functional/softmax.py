"""Softmax and log-softmax over the last axis, with an optional boolean mask."""
import numpy as np

from .checks import check_broadcast, check_float


def softmax_forward(x, mask=None):
    """p = softmax(x) over the last axis.   x: (..., N), mask: bool broadcastable to x, True = keep.

    Masked entries get probability exactly 0 (never a large negative number a
    model could learn around). A row with every entry masked gives all zeros.
    """
    check_float("x", x)
    if mask is not None:
        if mask.dtype != np.bool_:
            raise TypeError(f"mask must be a boolean array (True = keep), got dtype {mask.dtype}")
        check_broadcast("mask", mask, x.shape)
        x = np.where(mask, x, -np.inf)
    m = x.max(axis=-1, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)          # fully masked rows: avoid inf - inf
    e = np.exp(x - m)
    s = e.sum(axis=-1, keepdims=True)
    p = e / np.where(s == 0, 1.0, s)
    return p, p


def softmax_backward(dout, cache):
    """dout: (..., N), the gradient at p -> dx: (..., N), the gradient at x (0 at masked entries)."""
    ### BEGIN SOLUTION
    p = cache                                       # (..., N), the forward's output
    # in the forward pass p_i = e^x_i / sum_j e^x_j, so dp_i/dx_k = p_i (delta_ik - p_k): every output
    # of a row depends on every input of it. The chain rule sums over the outputs i:
    #   dx_k = sum_i dout_i p_i (delta_ik - p_k) = p_k (dout_k - sum_i dout_i p_i)
    # A masked entry has p_k = 0, so its gradient is 0 too.
    return p * (dout - (dout * p).sum(axis=-1, keepdims=True))
    ### END SOLUTION


def log_softmax_forward(x):
    """log(softmax(x)) over the last axis, computed stably.   x: (..., N) -> (..., N)."""
    check_float("x", x)
    m = x.max(axis=-1, keepdims=True)
    shifted = x - m
    out = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return out, out


def log_softmax_backward(dout, cache):
    """dout: (..., N) -> dx: (..., N);  dx = dout - softmax * sum(dout)."""
    out = cache
    return dout - np.exp(out) * dout.sum(axis=-1, keepdims=True)

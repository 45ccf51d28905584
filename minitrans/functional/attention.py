"""Scaled dot-product attention: the NumPy reference that a student reads first.

The Numba kernels in minitrans/kernels/ compute exactly this, faster.
"""
import math

import numpy as np

from .checks import check_broadcast, check_float, check_ndim, sum_to_shape
from .softmax import softmax_backward, softmax_forward


def causal_mask(Tq, Tk):
    """Boolean (Tq, Tk): query i may attend key j when j <= i + (Tk - Tq).

    With Tq < Tk (incremental decoding with a key-value cache) the queries are
    the last Tq positions of the sequence.
    """
    return np.tril(np.ones((Tq, Tk), dtype=bool), k=Tk - Tq)


def check_attention_inputs(q, k, v, mask, bias):
    """Validate shapes and dtypes; returns the (B, H, Tq, Tk) score shape."""
    for name, t in (("q", q), ("k", k), ("v", v)):
        check_float(name, t)
        check_ndim(name, t, 4)
    B, H, Tq, D = q.shape
    if k.shape[:2] != (B, H) or k.shape[3] != D:
        raise ValueError(f"k must have shape ({B}, {H}, Tk, {D}) to match q {q.shape}, got {k.shape}")
    if v.shape[:3] != k.shape[:3]:
        raise ValueError(f"v must have shape ({B}, {H}, {k.shape[2]}, Dv) to match k {k.shape}, got {v.shape}")
    if not (q.dtype == k.dtype == v.dtype):
        raise TypeError(f"q, k, v must share one dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    shape = (B, H, Tq, k.shape[2])
    if mask is not None:
        if mask.dtype != np.bool_:
            raise TypeError(f"mask must be boolean (True = may attend), got dtype {mask.dtype}")
        check_broadcast("mask", mask, shape)
    if bias is not None:
        check_float("bias", bias)
        check_broadcast("bias", bias, shape)
    return shape


def combined_mask(mask, causal, Tq, Tk):
    """The padding mask and the causal mask together (None when there is neither)."""
    if causal:
        c = causal_mask(Tq, Tk)
        return c if mask is None else (mask & c)
    return mask


def attention_forward(q, k, v, mask=None, causal=False, bias=None, dropout_p=0.0, rng=None, scale=None):
    """softmax(q k^T * scale + bias, masked) @ v.

    q: (B, H, Tq, D), k: (B, H, Tk, D), v: (B, H, Tk, Dv)
    mask: bool broadcastable to (B, H, Tq, Tk), True = may attend; causal: bool
    bias: float broadcastable to (B, H, Tq, Tk) (T5's relative positions)
    scale: defaults to 1/sqrt(D); T5 uses 1.0
    -> out: (B, H, Tq, Dv), cache (a dict; cache["probs"] holds the attention map)
    """
    shape = check_attention_inputs(q, k, v, mask, bias)
    Tq, Tk = shape[2], shape[3]
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    scores = (q @ k.swapaxes(-1, -2)) * q.dtype.type(scale)
    if bias is not None:
        scores = scores + bias
    probs, _ = softmax_forward(scores, combined_mask(mask, causal, Tq, Tk))
    keep = None
    if dropout_p > 0.0:
        if rng is None:
            raise ValueError("attention dropout needs an rng (np.random.Generator)")
        keep = (rng.random(probs.shape) >= dropout_p).astype(q.dtype) / q.dtype.type(1.0 - dropout_p)
    dropped = probs if keep is None else probs * keep
    out = dropped @ v
    cache = {"q": q, "k": k, "v": v, "probs": probs, "keep": keep, "scale": scale,
             "bias_shape": None if bias is None else bias.shape}
    return out, cache


def attention_backward(dout, cache):
    """dout: (B, H, Tq, Dv) -> dq, dk, dv (shapes of q, k, v), dbias (shape of bias, or None)."""
    q, k, v, probs, keep = cache["q"], cache["k"], cache["v"], cache["probs"], cache["keep"]
    scale = q.dtype.type(cache["scale"])
    dropped = probs if keep is None else probs * keep        # (B, H, Tq, Tk): the weights that multiplied v
    ### BEGIN SOLUTION
    # in the forward pass out = dropped @ v, so (as for a linear layer)
    dv = dropped.swapaxes(-1, -2) @ dout            # (B, H, Tk, Dv)
    dprobs = dout @ v.swapaxes(-1, -2)              # (B, H, Tq, Tk), the gradient at dropped
    if keep is not None:                            # dropped = probs * keep: the dropped entries get 0
        dprobs = dprobs * keep
    # probs = softmax(scores) row by row; masked entries have probs 0, so they get no gradient
    dscores = softmax_backward(dprobs, probs)       # (B, H, Tq, Tk)
    # scores = (q @ k^T) * scale + bias: a product of two inputs, each gets dscores times the other
    dq = (dscores @ k) * scale                      # (B, H, Tq, D)
    dk = (dscores.swapaxes(-1, -2) @ q) * scale     # (B, H, Tk, D)
    # the bias was broadcast to the scores' shape: sum dscores back over the axes it was broadcast along
    dbias = None if cache["bias_shape"] is None else sum_to_shape(dscores, cache["bias_shape"])
    return dq, dk, dv, dbias
    ### END SOLUTION

"""Scaled dot-product attention with Numba row kernels: same math and signatures as
minitrans.functional.attention (read that first).

Where the time goes, measured on 2 cores (B*H=48, T=256, D=32, float32): the
NumPy reference spends about 40% of its time in the six matrix products and
the rest in the elementwise passes around them (scale, bias, mask, softmax,
their backward). So the products stay with BLAS (a product written as Numba
loops ran 3-4x slower than BLAS here), and everything between two products is
one Numba kernel with a `prange` over (batch, head, query row):

    forward:  scores = q k^T  (BLAS)
              probs  = softmax(scores * scale + bias, mask, causal)   (masked_softmax_rows)
              out    = (probs * keep) v  (BLAS)
    backward: dv = (probs * keep)^T dout,  dprobs = dout v^T  (BLAS)
              dscores = probs * (g - sum(g * probs)), g = dprobs * keep   (softmax_backward_rows)
              dq = dscores k * scale,  dk = dscores^T q * scale  (BLAS)

The caches are the reference's, so either backend's backward accepts either
backend's cache. How the two thread pools (BLAS's and Numba's) share the cores
is explained in threads.py.
"""
import math

import numpy as np

from ..functional import attention as reference
from ..functional.attention import check_attention_inputs
from ..functional.checks import sum_to_shape
from .softmax import KERNEL_DTYPES, rows_of, run_rows


def transposed(x):
    """x^T over the last two axes as a contiguous copy: BLAS multiplies by it faster than by a
    transposed view (0.15 ms instead of 0.2 ms per product at T=64; the copy is cheap)."""
    return np.ascontiguousarray(x.swapaxes(-1, -2))


def dropout_keep(shape, dropout_p, rng, dtype):
    """The dropout keep-mask scaled by 1/(1-p), drawn exactly as the reference draws it (or None)."""
    if dropout_p <= 0.0:
        return None
    if rng is None:
        raise ValueError("attention dropout needs an rng (np.random.Generator)")
    return (rng.random(shape) >= dropout_p).astype(dtype) / dtype.type(1.0 - dropout_p)


def attention_forward(q, k, v, mask=None, causal=False, bias=None, dropout_p=0.0, rng=None, scale=None):
    """softmax(q k^T * scale + bias, masked) @ v.

    q: (B, H, Tq, D), k: (B, H, Tk, D), v: (B, H, Tk, Dv)
    mask: bool broadcastable to (B, H, Tq, Tk), True = may attend; causal: bool
    (with Tq < Tk the queries are the last Tq positions, as in decoding with a key-value cache)
    bias: float broadcastable to (B, H, Tq, Tk); scale: defaults to 1/sqrt(D)
    -> out: (B, H, Tq, Dv), cache (a dict; cache["probs"] holds the attention map)
    """
    shape = check_attention_inputs(q, k, v, mask, bias)
    if q.dtype not in KERNEL_DTYPES or (bias is not None and bias.dtype != q.dtype):
        return reference.attention_forward(q, k, v, mask, causal, bias, dropout_p, rng, scale)
    dtype = q.dtype
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    Tk = shape[3]
    mask4 = rows_of(mask, Tk, bool)
    bias4 = np.zeros((1, 1, 1, Tk), dtype) if bias is None else rows_of(bias, Tk, dtype)
    scores = q @ transposed(k)                                            # (B, H, Tq, Tk)
    run_rows("masked_softmax_rows", scores.size, scores, mask4, bias4, dtype.type(scale), bool(causal), scores)
    probs = scores
    keep = dropout_keep(shape, dropout_p, rng, dtype)
    out = (probs if keep is None else probs * keep) @ v                    # (B, H, Tq, Dv)
    cache = {"q": q, "k": k, "v": v, "probs": probs, "keep": keep, "scale": scale,
             "bias_shape": None if bias is None else bias.shape}
    return out, cache


def attention_backward(dout, cache):
    """dout: (B, H, Tq, Dv) -> dq, dk, dv (shapes of q, k, v), dbias (shape of bias, or None)."""
    q, k, v, probs, keep = cache["q"], cache["k"], cache["v"], cache["probs"], cache["keep"]
    dtype = q.dtype
    if dtype not in KERNEL_DTYPES or getattr(dout, "dtype", None) != dtype or probs.dtype != dtype:
        return reference.attention_backward(dout, cache)
    scale = dtype.type(cache["scale"])
    keep4 = rows_of(keep, probs.shape[-1], dtype)
    dv = (probs if keep is None else probs * keep).swapaxes(-1, -2) @ dout       # (B, H, Tk, Dv)
    dscores = dout @ transposed(v)                                               # (B, H, Tq, Tk)
    run_rows("softmax_backward_rows", dscores.size, dscores, np.ascontiguousarray(probs), keep4, dscores)
    dq = (dscores @ k) * scale                                                   # (B, H, Tq, D)
    dk = (dscores.swapaxes(-1, -2) @ q) * scale                                  # (B, H, Tk, D)
    dbias = None if cache["bias_shape"] is None else sum_to_shape(dscores, cache["bias_shape"])
    return dq, dk, dv, dbias

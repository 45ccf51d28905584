"""Scaled dot-product attention with Numba row kernels: same math and signatures as
minitrans.functional.attention (read that first; tests/test_kernels.py proves they agree).

The matrix products stay with BLAS, and everything between two products (scale,
bias, mask, softmax, dropout and their backward, most of the reference's time) is
one Numba row kernel, working in place on the product's output: in the forward,
attention_part_softmax between q k^T and the product with v; in the backward,
attention_part_softmax_backward between the two products on each side of it.

Each pass works on one part of the batch (or of the heads) at a time, and the
parts run in parallel, one per core (threads.run_parts): products and kernels
of one part stay together, in one thread. A part goes through in blocks of
about 512 KiB of scores, so that the row kernel and the next product find the
scores still in the core's cache.

The caches are the reference's, so either backend's backward accepts either
backend's cache.
"""
import math

import numpy as np

from ..functional import attention as reference
from ..functional.attention import check_attention_inputs
from ..functional.checks import sum_to_shape
from .softmax import KERNEL_DTYPES, attention_part_softmax, rows_of, attention_part_softmax_backward
from .threads import run_parts


def transposed(x):
    """x^T over the last two axes as a contiguous copy: BLAS multiplies by it faster than by a
    transposed view, and the copy is cheap."""
    return np.ascontiguousarray(x.swapaxes(-1, -2))


def dropout_keep(shape, dropout_p, rng, dtype):
    """The dropout keep-mask scaled by 1/(1-p), drawn exactly as the reference draws it (or None)."""
    if dropout_p <= 0.0:
        return None
    if rng is None:
        raise ValueError("attention dropout needs an rng (np.random.Generator)")
    return (rng.random(shape) >= dropout_p).astype(dtype) / dtype.type(1.0 - dropout_p)


def part(x, b, h):
    """The (b, h) part of a 4-D array whose batch or head axis may be broadcast (length 1)."""
    return x[b if x.shape[0] > 1 else slice(None), h if x.shape[1] > 1 else slice(None)]


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
    B, H, Tq, Tk = shape
    mask4 = rows_of(mask, Tk, bool)
    bias4 = np.zeros((1, 1, 1, Tk), dtype) if bias is None else rows_of(bias, Tk, dtype)
    keep = dropout_keep(shape, dropout_p, rng, dtype)
    kT = transposed(k)                                                        # (B, H, D, Tk)
    probs = np.empty(shape, dtype)                                            # (B, H, Tq, Tk)
    out = np.empty((B, H, Tq, v.shape[3]), dtype)                             # (B, H, Tq, Dv)

    def forward_part(b, h):                          # b, h: slices of the batch and head axes (threads.run_parts)
        np.matmul(q[b, h], kT[b, h], out=probs[b, h])                        # scores: (b, h, Tq, Tk)
        attention_part_softmax(probs[b, h], part(mask4, b, h), part(bias4, b, h), dtype.type(scale),
                                    bool(causal))                             # now the probabilities
        weights = probs[b, h] if keep is None else probs[b, h] * keep[b, h]
        np.matmul(weights, v[b, h], out=out[b, h])                            # (b, h, Tq, Dv)

    run_parts(forward_part, B, H, probs.size)
    cache = {"q": q, "k": k, "v": v, "probs": probs, "keep": keep, "scale": scale,
             "bias_shape": None if bias is None else bias.shape}
    return out, cache


def attention_backward(dout, cache):
    """dout: (B, H, Tq, Dv) -> dq, dk, dv (shapes of q, k, v), dbias (shape of bias, or None)."""
    ### BEGIN SOLUTION
    q, k, v, probs, keep = cache["q"], cache["k"], cache["v"], cache["probs"], cache["keep"]
    dtype = q.dtype
    if dtype not in KERNEL_DTYPES or getattr(dout, "dtype", None) != dtype or probs.dtype != dtype:
        return reference.attention_backward(dout, cache)
    scale = dtype.type(cache["scale"])
    B, H, Tq, Tk = probs.shape
    keep4 = rows_of(keep, Tk, dtype)
    vT = transposed(v)                                                        # (B, H, Dv, Tk)
    dq, dk, dv = np.empty_like(q), np.empty_like(k), np.empty_like(v)
    dscores = np.empty(probs.shape, dtype)                                    # (B, H, Tq, Tk)

    def backward_part(b, h):                         # b, h: slices of the batch and head axes (threads.run_parts)
        p = probs[b, h]
        weights = p if keep is None else p * keep[b, h]
        np.matmul(weights.swapaxes(-1, -2), dout[b, h], out=dv[b, h])        # (b, h, Tk, Dv)
        np.matmul(dout[b, h], vT[b, h], out=dscores[b, h])                   # dweights: (b, h, Tq, Tk)
        attention_part_softmax_backward(dscores[b, h], p, part(keep4, b, h))   # now dscores
        np.matmul(dscores[b, h], k[b, h], out=dq[b, h])                       # (b, h, Tq, D)
        np.matmul(dscores[b, h].swapaxes(-1, -2), q[b, h], out=dk[b, h])     # (b, h, Tk, D)
        dq[b, h] *= scale
        dk[b, h] *= scale

    run_parts(backward_part, B, H, probs.size)
    dbias = None if cache["bias_shape"] is None else sum_to_shape(dscores, cache["bias_shape"])
    return dq, dk, dv, dbias
    ### END SOLUTION

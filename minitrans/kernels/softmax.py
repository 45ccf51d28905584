"""Softmax in Numba: one parallel loop over rows, each row done in a few passes that stay in cache.

Same math and signatures as minitrans.functional.softmax (read that first;
tests/test_kernels.py proves they agree). The row kernels below are shared with the
attention kernels in attention.py.

Every kernel works on 4-D arrays (B, H, rows, N). A mask, bias or dropout-keep
array may be smaller along the first three axes: it is broadcast by index
instead of being copied to full size (`pick(i, n)` is i along an axis of length
n > 1 and 0 along an axis of length 1). Along the last axis it has full length,
so that the inner loops read it element by element and the compiler can
vectorize them.
"""
import math

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from ..functional import softmax as reference
from ..functional.checks import check_broadcast, check_float
from .compile import KERNEL_OPTIONS, row_kernel

KERNEL_DTYPES = (np.float32, np.float64)


# e**x for x <= 0, written so that the compiler can vectorize it (math.exp is a library call it cannot).
# e**x = 2**k * e**r with k = round(x / ln 2) and |r| <= ln(2) / 2: e**r by its Taylor series (to r**7
# for float32, r**12 for float64: the error is below rounding), 2**k by writing k into the exponent bits.
# Below the smallest normal number (about e**-87 for float32, e**-708 for float64) the result is 0,
# and so is e**-inf. ln 2 is split in two parts so that k * LN2_HIGH is exact.
LN2_HIGH, LN2_LOW = 0.693145751953125, 1.4286068203094173e-06      # LN2_LOW = ln 2 - LN2_HIGH
TAYLOR_FLOAT32 = tuple(1.0 / math.factorial(n) for n in range(7, -1, -1))     # 1/7!, ..., 1/1!, 1/0!
TAYLOR_FLOAT64 = tuple(1.0 / math.factorial(n) for n in range(12, -1, -1))


@njit(inline="always")
def exp_float32(x):
    """e**x for a float32 x <= 0 (see the comment above)."""
    if x < np.float32(-87.0):
        return np.float32(0.0)
    k = np.floor(x * np.float32(1.0 / math.log(2.0)) + np.float32(0.5))
    r = (x - k * np.float32(LN2_HIGH)) - k * np.float32(LN2_LOW)
    poly = np.float32(0.0)
    for c in TAYLOR_FLOAT32:                     # Horner's rule
        poly = poly * r + np.float32(c)
    return poly * np.int32((np.int32(k) + np.int32(127)) << np.int32(23)).view(np.float32)


@njit(inline="always")
def exp_float64(x):
    """e**x for a float64 x <= 0 (see the comment above)."""
    if x < -708.0:
        return 0.0
    k = np.floor(x * (1.0 / math.log(2.0)) + 0.5)
    r = (x - k * LN2_HIGH) - k * LN2_LOW
    poly = 0.0
    for c in TAYLOR_FLOAT64:
        poly = poly * r + c
    return poly * np.int64((np.int64(k) + 1023) << 52).view(np.float64)


def exp_nonpositive(x):
    """e**x for x <= 0, float32 or float64 (this Python version runs when called from Python,
    or inside the kernels when NUMBA_DISABLE_JIT=1)."""
    return exp_float32(x) if isinstance(x, np.float32) else exp_float64(x)


@overload(exp_nonpositive, inline="always")
def exp_nonpositive_compiled(x):
    """The compiled exp_nonpositive: Numba picks the implementation from the type of x."""
    if x == types.float32:
        return lambda x: exp_float32(x)
    return lambda x: exp_float64(x)


@njit(inline="always")
def pick(i, n):
    """Index i along an axis of length n, or 0 when that axis is broadcast (length 1)."""
    return i if n > 1 else 0


@njit(inline="always")
def row_max(p, n):
    """max(p[:n]), kept in four running maxima so that the CPU can compare four at once."""
    m0 = m1 = m2 = m3 = p.dtype.type(-np.inf)
    for j in range(0, n - 3, 4):
        m0, m1, m2, m3 = max(m0, p[j]), max(m1, p[j + 1]), max(m2, p[j + 2]), max(m3, p[j + 3])
    for j in range(n - n % 4, n):
        m0 = max(m0, p[j])
    return max(max(m0, m1), max(m2, m3))


@njit(inline="always")
def masked_softmax_row(row, x, mask, bias, scale, causal, probs):
    """One row of masked_softmax_rows: row = (b * H + h) * Tq + i."""
    B, H, Tq, Tk = x.shape
    b, h, i = row // (H * Tq), (row // Tq) % H, row % Tq
    seen = i + Tk - Tq + 1 if causal else Tk    # causal: keys j < seen are visible
    x_row, p = x[b, h, i], probs[b, h, i]
    m_row = mask[pick(b, mask.shape[0]), pick(h, mask.shape[1]), pick(i, mask.shape[2])]
    b_row = bias[pick(b, bias.shape[0]), pick(h, bias.shape[1]), pick(i, bias.shape[2])]
    for j in range(Tk):                         # scores, masked to -inf
        s = x_row[j] * scale + b_row[j]
        p[j] = s if m_row[j] and j < seen else -np.inf
    top = row_max(p, Tk)
    if top == -np.inf:                          # everything masked: all zeros, never NaN
        for j in range(Tk):
            p[j] = 0.0
        return
    total = p.dtype.type(0.0)
    for j in range(Tk):                         # exponentials (e**-inf = 0) and their sum
        e = exp_nonpositive(p[j] - top)
        p[j] = e
        total += e
    inverse = p.dtype.type(1.0) / total
    for j in range(Tk):
        p[j] *= inverse


@row_kernel
def masked_softmax_rows(x, mask, bias, scale, causal, probs):
    """probs = softmax(x * scale + bias) over the last axis, masked; probs may be x itself.

    x, probs: (B, H, Tq, Tk); mask (bool, True = keep), bias: (b, h, q, Tk) with b, h, q each 1 or full.
    causal: query row i sees keys j <= i + Tk - Tq. A row with nothing to see gets all zeros.
    """
    for row in prange(x.shape[0] * x.shape[1] * x.shape[2]):
        masked_softmax_row(row, x, mask, bias, scale, causal, probs)


@njit(nogil=True, **KERNEL_OPTIONS)
def attention_part_softmax(scores, mask, bias, scale, causal):
    """masked_softmax_rows for one part of attention (kernels/attention.py), in the calling thread,
    writing the probabilities over the scores.

    One array passed once lets the compiler vectorize the row loops; the same array passed as
    both x and probs does not (it must then assume the two may overlap in any way).
    """
    for row in range(scores.shape[0] * scores.shape[1] * scores.shape[2]):
        masked_softmax_row(row, scores, mask, bias, scale, causal, scores)


@njit(inline="always")
def softmax_backward_row(row, dprobs, probs, keep, dx):
    """One row of softmax_backward_rows: row = (b * H + h) * Tq + i."""
    B, H, Tq, Tk = probs.shape
    b, h, i = row // (H * Tq), (row // Tq) % H, row % Tq
    ### BEGIN SOLUTION
    g, p, out = dprobs[b, h, i], probs[b, h, i], dx[b, h, i]
    k_row = keep[pick(b, keep.shape[0]), pick(h, keep.shape[1]), pick(i, keep.shape[2])]
    dot = p.dtype.type(0.0)
    for j in range(Tk):
        dot += g[j] * k_row[j] * p[j]
    for j in range(Tk):
        out[j] = p[j] * (g[j] * k_row[j] - dot)
    ### END SOLUTION


@row_kernel
def softmax_backward_rows(dprobs, probs, keep, dx):
    """dx: the gradient at softmax's input, given the gradient dprobs * keep at its output, row by row;
    dx may be dprobs itself.

    dprobs, probs, dx: (B, H, Tq, Tk); keep: (b, h, q, Tk) with b, h, q each 1 or full
    (the dropout keep-mask, or ones).
    """
    for row in prange(probs.shape[0] * probs.shape[1] * probs.shape[2]):
        softmax_backward_row(row, dprobs, probs, keep, dx)


@njit(nogil=True, **KERNEL_OPTIONS)
def attention_part_softmax_backward(dprobs, probs, keep):
    """softmax_backward_rows for one part of attention, in the calling thread, writing dx over dprobs
    (see attention_part_softmax)."""
    for row in range(probs.shape[0] * probs.shape[1] * probs.shape[2]):
        softmax_backward_row(row, dprobs, probs, keep, dprobs)


def rows_of(x, n, dtype):
    """x (or ones when x is None) as the 4-D array the kernels take: 1s prepended to 4 dimensions,
    the last axis spread to its full length n, C-contiguous and writable (copied only when needed)."""
    if x is None:
        return np.ones((1, 1, 1, n), dtype)
    x = x.reshape((1,) * (4 - x.ndim) + x.shape)
    if x.shape[3] != n:
        x = np.broadcast_to(x, x.shape[:3] + (n,))
    return np.require(x, dtype, requirements=("C", "W"))


def rows_4d(shape):
    """A 4-D shape with the same last three axes (leading axes merged or padded with 1s)."""
    if len(shape) <= 4:
        return (1,) * (4 - len(shape)) + tuple(shape)
    return (-1,) + tuple(shape[-3:])


def check_mask(mask, shape):
    """The reference's mask checks: a boolean array (True = keep) that broadcasts to `shape`."""
    if mask.dtype != np.bool_:
        raise TypeError(f"mask must be a boolean array (True = keep), got dtype {mask.dtype}")
    check_broadcast("mask", mask, shape)


def softmax_forward(x, mask=None):
    """p = softmax(x) over the last axis.   x: (..., N), mask: bool broadcastable to x, True = keep.

    Masked entries get probability exactly 0; a fully masked row gives all zeros.
    Returns (p, cache) with cache = p, exactly like the reference.
    """
    check_float("x", x)
    if mask is not None:
        check_mask(mask, x.shape)
    if x.dtype not in KERNEL_DTYPES or x.ndim == 0:
        return reference.softmax_forward(x, mask)
    shape4 = rows_4d(x.shape)
    x4 = np.ascontiguousarray(x).reshape(shape4)
    if mask is not None and x.ndim > 4:          # leading axes were merged: spread the mask out first
        mask = np.broadcast_to(mask, x.shape).reshape(x4.shape)
    mask4 = rows_of(mask, x.shape[-1], bool)
    zeros = np.zeros((1, 1, 1, x.shape[-1]), x.dtype)
    p = np.empty(x4.shape, dtype=x.dtype)
    masked_softmax_rows(x4, mask4, zeros, x.dtype.type(1.0), False, p)
    p = p.reshape(x.shape)
    return p, p


def softmax_backward(dout, cache):
    """dout: (..., N) -> dx: (..., N)."""
    ### BEGIN SOLUTION
    p = cache
    if p.dtype not in KERNEL_DTYPES or p.ndim == 0 or getattr(dout, "dtype", None) != p.dtype \
            or dout.shape != p.shape:
        return reference.softmax_backward(dout, cache)
    shape4 = rows_4d(p.shape)
    p4 = np.ascontiguousarray(p).reshape(shape4)
    dout4 = np.ascontiguousarray(dout).reshape(shape4)
    dx = np.empty(p4.shape, dtype=p.dtype)
    ones = rows_of(None, p.shape[-1], p.dtype)                 # no dropout keep-mask
    softmax_backward_rows(dout4, p4, ones, dx)
    return dx.reshape(p.shape)
    ### END SOLUTION

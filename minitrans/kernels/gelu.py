"""GELU in Numba: one parallel pass over the elements instead of NumPy's ten.

Same math, signatures and caches as minitrans.functional.activations (read that
first): in NumPy, gelu's backward makes about ten passes over a (B, T, 4C) array,
each allocating a temporary; here each element is read once and written once.
"""
import math

import numpy as np
from numba import njit, prange

from ..functional.checks import check_float
from .threads import kernel_lock

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2 = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@njit(parallel=True, cache=True)
def gelu_tanh_rows(x, out, s):
    """out = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3); s = tanh(u).  x, out, s: (N,)."""
    for i in prange(x.shape[0]):
        v = x[i]
        t = math.tanh(SQRT_2_OVER_PI * (v + 0.044715 * v * v * v))
        s[i] = t
        out[i] = 0.5 * v * (1.0 + t)


@njit(parallel=True, cache=True)
def gelu_erf_rows(x, out, s):
    """out = x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2; s = Phi(x).  x, out, s: (N,)."""
    for i in prange(x.shape[0]):
        v = x[i]
        c = 0.5 * (1.0 + math.erf(v * INV_SQRT_2))
        s[i] = c
        out[i] = v * c


@njit(parallel=True, cache=True)
def gelu_tanh_backward_rows(dout, x, s, dx):
    """dx = dout (0.5 (1 + s) + 0.5 x (1 - s^2) du/dx).  all: (N,)."""
    for i in prange(x.shape[0]):
        v, t = x[i], s[i]
        du = SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * v * v)
        dx[i] = dout[i] * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * du)


@njit(parallel=True, cache=True)
def gelu_erf_backward_rows(dout, x, s, dx):
    """dx = dout (Phi(x) + x phi(x)).  all: (N,)."""
    for i in prange(x.shape[0]):
        v = x[i]
        dx[i] = dout[i] * (s[i] + v * INV_SQRT_2PI * math.exp(-0.5 * v * v))


def gelu_forward(x, approximate="none"):
    """GELU.   approximate="none": x * Phi(x) with erf (BERT); "tanh": GPT-2's form.  x: (...) -> (...)."""
    check_float("x", x)
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    flat = np.ascontiguousarray(x).reshape(-1)
    out, s = np.empty_like(flat), np.empty_like(flat)
    with kernel_lock:
        (gelu_tanh_rows if approximate == "tanh" else gelu_erf_rows)(flat, out, s)
    return out.reshape(x.shape), (x, s.reshape(x.shape), approximate)


def gelu_backward(dout, cache):
    """dout: (...) -> dx: (...)."""
    x, s, kind = cache
    flat_x = np.ascontiguousarray(x).reshape(-1)
    dx = np.empty_like(flat_x)
    d = np.ascontiguousarray(dout, dtype=x.dtype).reshape(-1)
    with kernel_lock:
        (gelu_tanh_backward_rows if kind == "tanh" else gelu_erf_backward_rows)(d, flat_x, s.reshape(-1), dx)
    return dx.reshape(x.shape)


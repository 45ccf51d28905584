"""GELU in Numba: one pass over the elements (parallel for big arrays) instead of NumPy's ten.

Same math, signatures and caches as minitrans.functional.activations (read that
first; tests/test_kernels_elementwise.py proves they agree): in NumPy, gelu's
backward makes about ten passes over a (B, T, 4C) array, each allocating a
temporary; here each element is read once and written once.

The exact GELU needs Phi(x) = (1 + erf(x / sqrt 2)) / 2. math.erf is a library
call that the compiler cannot vectorize, so in float32 Phi is computed from the
classic rational-exponential formula for erfc (Abramowitz and Stegun 7.1.26,
absolute error below 1.5e-7, about float32's rounding): with z = |x| / sqrt 2 and
t = 1 / (1 + p z), erfc(z) = t (a1 + t (a2 + ... + t a5)) e**(-z**2).
float64 (used for gradient checks) keeps math.erf, exact to rounding.

GPT-2's tanh form needs tanh, also a library call; in float32 it is computed from
e**(-2|u|) with the vectorizable exp of softmax.py.
"""
import math

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from ..functional.checks import check_float
from .compile import row_kernel
from .softmax import exp_nonpositive

SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
INV_SQRT_2 = 1.0 / math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
ERFC_P = 0.3275911
ERFC_A = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)    # a5, a4, ..., a1


@njit(inline="always")
def normal_cdf_float32(x):
    """Phi(x) for a float32 x by the erfc formula above (absolute error below 1e-7)."""
    z = abs(x) * np.float32(INV_SQRT_2)
    t = np.float32(1.0) / (np.float32(1.0) + np.float32(ERFC_P) * z)
    poly = np.float32(0.0)
    for a in ERFC_A:                                  # Horner's rule
        poly = poly * t + np.float32(a)
    tail = np.float32(0.5) * poly * t * exp_nonpositive(-z * z)     # Phi(-|x|) = erfc(z) / 2
    return tail if x < 0 else np.float32(1.0) - tail


def normal_cdf(x):
    """Phi(x), the standard normal CDF: the formula in float32, math.erf in float64."""
    if isinstance(x, np.float32):
        return normal_cdf_float32(x)
    return 0.5 * (1.0 + math.erf(x * INV_SQRT_2))


@overload(normal_cdf, inline="always")
def normal_cdf_compiled(x):
    """The compiled normal_cdf: Numba picks the implementation from the type of x."""
    if x == types.float32:
        return lambda x: normal_cdf_float32(x)
    return lambda x: 0.5 * (1.0 + math.erf(x * INV_SQRT_2))


@njit(inline="always")
def tanh_float32(u):
    """tanh(u) for a float32 u from e = e**(-2|u|): tanh(|u|) = (1 - e) / (1 + e) (absolute error about 1e-7)."""
    e = exp_nonpositive(np.float32(-2.0) * abs(u))
    t = (np.float32(1.0) - e) / (np.float32(1.0) + e)
    return t if u >= 0 else -t


def tanh(u):
    """tanh(u): the formula in float32, math.tanh in float64."""
    if isinstance(u, np.float32):
        return tanh_float32(u)
    return math.tanh(u)


@overload(tanh, inline="always")
def tanh_compiled(u):
    """The compiled tanh: Numba picks the implementation from the type of u."""
    if u == types.float32:
        return lambda u: tanh_float32(u)
    return lambda u: math.tanh(u)


@njit
def gelu_erf_at(x, out, s, i):
    """out = x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2; s = Phi(x), at element i."""
    v = x[i]
    c = normal_cdf(v)
    s[i] = c
    out[i] = v * c


@njit
def gelu_tanh_at(x, out, s, i):
    """out = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3); s = tanh(u), at element i."""
    one, c, k = x.dtype.type(1.0), x.dtype.type(SQRT_2_OVER_PI), x.dtype.type(0.044715)
    v = x[i]
    t = tanh(c * (v + k * v * v * v))
    s[i] = t
    out[i] = x.dtype.type(0.5) * v * (one + t)


@njit
def gelu_erf_backward_at(dout, x, s, dx, i):
    """dx[i] from dout[i], x[i] and the forward's s[i] = Phi(x[i]) (exact form), at element i."""
    ### BEGIN SOLUTION
    v = x[i]
    half, inv_sqrt_2pi = x.dtype.type(0.5), x.dtype.type(INV_SQRT_2PI)
    dx[i] = dout[i] * (s[i] + v * inv_sqrt_2pi * exp_nonpositive(-half * v * v))
    ### END SOLUTION


@njit
def gelu_tanh_backward_at(dout, x, s, dx, i):
    """dx[i] from dout[i], x[i] and the forward's s[i] = tanh(u) (tanh form), at element i."""
    ### BEGIN SOLUTION
    one, half = x.dtype.type(1.0), x.dtype.type(0.5)
    v, t = x[i], s[i]
    du = x.dtype.type(SQRT_2_OVER_PI) * (one + x.dtype.type(3.0 * 0.044715) * v * v)
    dx[i] = dout[i] * (half * (one + t) + half * v * (one - t * t) * du)
    ### END SOLUTION


# Each kernel has one loop per form: a test inside a single loop would stop it from vectorizing.
# The *_at helpers are plain @njit functions, which the compiler inlines into the loops; with
# Numba's inline="always" the serial loops did not vectorize.
@row_kernel
def gelu_rows(x, out, s, tanh_form):
    """GELU of every element (tanh_form=True: GPT-2's tanh form, else exact with Phi).  x, out, s: (N,)."""
    if tanh_form:
        for i in prange(x.shape[0]):
            gelu_tanh_at(x, out, s, i)
    else:
        for i in prange(x.shape[0]):
            gelu_erf_at(x, out, s, i)


@row_kernel
def gelu_backward_rows(dout, x, s, tanh_form, dx):
    """dx from dout, x and the forward's s.  all: (N,)."""
    if tanh_form:
        for i in prange(x.shape[0]):
            gelu_tanh_backward_at(dout, x, s, dx, i)
    else:
        for i in prange(x.shape[0]):
            gelu_erf_backward_at(dout, x, s, dx, i)


def gelu_forward(x, approximate="none"):
    """GELU.   approximate="none": x * Phi(x) with erf (BERT); "tanh": GPT-2's form.  x: (...) -> (...)."""
    check_float("x", x)
    if approximate not in ("none", "tanh"):
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    flat = np.ascontiguousarray(x).reshape(-1)
    out, s = np.empty_like(flat), np.empty_like(flat)
    gelu_rows(flat, out, s, approximate == "tanh")
    return out.reshape(x.shape), (x, s.reshape(x.shape), approximate)


def gelu_backward(dout, cache):
    """dout: (...) -> dx: (...)."""
    ### BEGIN SOLUTION
    x, s, kind = cache
    flat_x = np.ascontiguousarray(x).reshape(-1)
    dx = np.empty_like(flat_x)
    d = np.ascontiguousarray(dout, dtype=x.dtype).reshape(-1)
    gelu_backward_rows(d, flat_x, s.reshape(-1), kind == "tanh", dx)
    return dx.reshape(x.shape)
    ### END SOLUTION


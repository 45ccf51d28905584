"""LayerNorm in Numba: a loop over rows (parallel for big arrays), each row normalised in two passes.

Same math, signatures and caches as minitrans.functional.norm (read that first;
tests/test_kernels_elementwise.py proves they agree).
The backward's parameter gradients are sums over all rows: each thread adds its
rows into its own partial sum, and the partial sums are added at the end.
"""
import numpy as np
from numba import get_num_threads, njit, prange

from ..functional.checks import check_float, check_last_dim
from .compile import row_kernel


@njit(inline="always")
def layernorm_row(x, gamma, beta, eps, out, xhat, rstd, i):
    """Row i of layernorm_rows, in two passes (mean, then variance) and a third that writes."""
    C, zero = x.shape[1], x.dtype.type(0.0)        # sums in x's own precision, as NumPy's mean does
    inv_c = x.dtype.type(1.0 / C)                   # multiplying is much cheaper than dividing
    mean = zero
    for j in range(C):
        mean += x[i, j]
    mean *= inv_c
    var = zero
    for j in range(C):
        d = x[i, j] - mean
        var += d * d
    r = x.dtype.type(1.0) / np.sqrt(var * inv_c + eps)
    rstd[i] = r
    for j in range(C):
        h = (x[i, j] - mean) * r
        xhat[i, j] = h
        out[i, j] = h * gamma[j] + beta[j]


@row_kernel
def layernorm_rows(x, gamma, beta, eps, out, xhat, rstd):
    """Row-wise layernorm.  x, out, xhat: (N, C); gamma, beta: (C,); rstd: (N,)."""
    for i in prange(x.shape[0]):
        layernorm_row(x, gamma, beta, eps, out, xhat, rstd, i)


@njit(inline="always")
def layernorm_backward_part(dout, xhat, rstd, gamma, dx, dgamma_parts, dbeta_parts, p):
    """dx on the rows of part p (of dgamma_parts.shape[0] equal parts); their sums go into
    dgamma_parts[p] and dbeta_parts[p]."""
    ### BEGIN SOLUTION
    N, C = dout.shape
    n_parts = dgamma_parts.shape[0]
    rows_per_part = (N + n_parts - 1) // n_parts
    inv_c, zero = dout.dtype.type(1.0 / C), dout.dtype.type(0.0)
    for i in range(p * rows_per_part, min(N, (p + 1) * rows_per_part)):
        mean_g = zero
        mean_gh = zero
        for j in range(C):
            g = dout[i, j] * gamma[j]
            mean_g += g
            mean_gh += g * xhat[i, j]
            dgamma_parts[p, j] += dout[i, j] * xhat[i, j]
            dbeta_parts[p, j] += dout[i, j]
        mean_g *= inv_c
        mean_gh *= inv_c
        for j in range(C):
            dx[i, j] = rstd[i] * (dout[i, j] * gamma[j] - mean_g - xhat[i, j] * mean_gh)
    ### END SOLUTION


@row_kernel
def layernorm_backward_rows(dout, xhat, rstd, gamma, dx, dgamma_parts, dbeta_parts):
    """dx: (N, C); dgamma_parts, dbeta_parts: (n_parts, C) partial sums over rows, one part per thread."""
    for p in prange(dgamma_parts.shape[0]):
        layernorm_backward_part(dout, xhat, rstd, gamma, dx, dgamma_parts, dbeta_parts, p)


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Normalise the last axis.   x: (..., C), gamma, beta: (C,) -> out: (..., C)."""
    check_float("x", x)
    check_last_dim("x", x, gamma.shape[0])
    C = x.shape[-1]
    x2 = np.ascontiguousarray(x).reshape(-1, C)
    out, xhat = np.empty_like(x2), np.empty_like(x2)
    rstd = np.empty((x2.shape[0], 1), dtype=x.dtype)
    layernorm_rows(x2, gamma.astype(x.dtype, copy=False), beta.astype(x.dtype, copy=False), x.dtype.type(eps),
                   out, xhat, rstd[:, 0])
    shape = x.shape
    return out.reshape(shape), (xhat.reshape(shape), rstd.reshape(shape[:-1] + (1,)), gamma)


def layernorm_backward(dout, cache):
    """dout: (..., C) -> dx: (..., C), dgamma: (C,), dbeta: (C,)."""
    ### BEGIN SOLUTION
    xhat, rstd, gamma = cache
    C = xhat.shape[-1]
    d2 = np.ascontiguousarray(dout, dtype=xhat.dtype).reshape(-1, C)
    dx = np.empty_like(d2)
    n_parts = get_num_threads()          # the serial kernel goes through the same parts, so both sum alike
    dgamma_parts = np.zeros((n_parts, C), dtype=xhat.dtype)
    dbeta_parts = np.zeros((n_parts, C), dtype=xhat.dtype)
    layernorm_backward_rows(d2, np.ascontiguousarray(xhat).reshape(-1, C), rstd.reshape(-1),
                            gamma.astype(xhat.dtype, copy=False), dx, dgamma_parts, dbeta_parts)
    return dx.reshape(xhat.shape), dgamma_parts.sum(axis=0), dbeta_parts.sum(axis=0)
    ### END SOLUTION

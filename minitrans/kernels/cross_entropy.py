"""Cross-entropy in Numba: log-softmax in three passes per row, and its gradient in one.

Same math, signatures and caches as minitrans.functional.losses (read that
first; tests/test_kernels_elementwise.py proves they agree). NumPy's version makes
about six passes over the (N, V) logits, each allocating a temporary; with a
vocabulary of thousands that is most of the loss's time.
"""
import math

import numpy as np
from numba import njit, prange

from ..functional import losses as reference
from ..functional.losses import check_cross_entropy_inputs
from .compile import row_kernel
from .softmax import KERNEL_DTYPES, exp_nonpositive, row_max


@njit(inline="always")
def log_softmax_row(x, logp, i):
    """Row i of log_softmax_rows."""
    row, out = x[i], logp[i]
    V = row.shape[0]
    top = row_max(row, V)
    total = row.dtype.type(0.0)
    for j in range(V):
        total += exp_nonpositive(row[j] - top)
    shift = top + math.log(total)
    for j in range(V):
        out[j] = row[j] - shift


@row_kernel
def log_softmax_rows(x, logp):
    """logp = x - max - log(sum(exp(x - max))) row by row.  x, logp: (N, V)."""
    for i in prange(x.shape[0]):
        log_softmax_row(x, logp, i)


@njit(inline="always")
def cross_entropy_grad_row(logp, targets, keep, scale, d, i):
    """Row i of cross_entropy_grad_rows."""
    ### BEGIN SOLUTION
    out = d[i]
    if not keep[i]:
        out[:] = 0.0
        return
    row = logp[i]
    for j in range(row.shape[0]):
        out[j] = scale * exp_nonpositive(row[j])
    out[targets[i]] -= scale
    ### END SOLUTION


@row_kernel
def cross_entropy_grad_rows(logp, targets, keep, scale, d):
    """d: (N, V), the gradient of the loss (scaled by `scale`) with respect to the logits of each row,
    0 on ignored rows.  logp: (N, V) log-probabilities, targets: (N,), keep: (N,) bool."""
    for i in prange(logp.shape[0]):
        cross_entropy_grad_row(logp, targets, keep, scale, d, i)


def cross_entropy_forward(logits, targets, ignore_index=-100):
    """Mean cross-entropy over the targets that are not `ignore_index`.

    logits: (..., V) float, targets: (...) int in [0, V) or ignore_index -> loss: float, cache.
    """
    flat_logits, flat_t, keep, n = check_cross_entropy_inputs(logits, targets, ignore_index)
    if logits.dtype not in KERNEL_DTYPES:
        return reference.cross_entropy_forward(logits, targets, ignore_index)
    logp = np.empty(flat_logits.shape, logits.dtype)
    log_softmax_rows(np.ascontiguousarray(flat_logits), logp)
    rows = np.nonzero(keep)[0]
    loss = -logp[rows, flat_t[rows]].sum() / max(n, 1)
    return float(loss), (logp, flat_t, keep, n, logits.shape)


def cross_entropy_backward(dloss, cache):
    """dloss: float (usually 1.0) -> dlogits: same shape as logits."""
    ### BEGIN SOLUTION
    logp, flat_t, keep, n, shape = cache
    if logp.dtype not in KERNEL_DTYPES:
        return reference.cross_entropy_backward(dloss, cache)
    d = np.empty_like(logp)
    cross_entropy_grad_rows(logp, flat_t, keep, logp.dtype.type(dloss / max(n, 1)), d)
    return d.reshape(shape)
    ### END SOLUTION

"""The embedding's backward in Numba: a plain loop adding each gradient row into its table row.

Same math, signature and cache as minitrans.functional.linear.embedding_backward
(read that first; tests/test_kernels_elementwise.py proves they agree). NumPy's
np.add.at, which the reference uses so that repeated ids add up, handles one
element at a time through a generic path; this loop is much faster. It runs in
order, in one thread, so the sums are the same every run.
"""
import numpy as np
from numba import njit

from ..functional import linear as reference


@njit(cache=True, nogil=True)
def add_rows(ids, dout, dW):
    """dW[ids[i]] += dout[i] for every i, in order.  ids: (N,), dout: (N, C), dW: (V, C)."""
    for i in range(ids.shape[0]):
        row = dW[ids[i]]
        for j in range(dout.shape[1]):
            row[j] += dout[i, j]


def embedding_backward(dout, cache):
    """dout: (..., C) -> dW: (V, C); repeated ids add up."""
    ids, shape = cache
    if dout.dtype not in (np.float32, np.float64) or dout.shape != ids.shape + (shape[1],):
        return reference.embedding_backward(dout, cache)
    dW = np.zeros(shape, dtype=dout.dtype)
    add_rows(ids.reshape(-1), np.ascontiguousarray(dout).reshape(-1, shape[1]), dW)
    return dW

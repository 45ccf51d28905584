"""Adam and AdamW's update in Numba: one pass over each parameter instead of NumPy's ten.

Same math and signature as minitrans.functional.adam.adam_step (read that first;
tests/test_optim.py proves they agree). In NumPy the update walks each parameter's
arrays about ten times (m, v, the square root, the division, ...); here each
element of p, grad, m and v is read once and written once.

One loop handles both forms of weight decay: `l2` (Adam's, on the gradient; 0 for AdamW)
and `shrink` (AdamW's factor on p; 1 for Adam).
"""
import numpy as np
from numba import njit

from ..functional import adam as reference
from .compile import KERNEL_OPTIONS
from .softmax import KERNEL_DTYPES


@njit(nogil=True, **KERNEL_OPTIONS)
def adam_rows(p, grad, m, v, l2, shrink, beta1, beta2, step_size, inv_sqrt_bias2, eps):
    """One Adam step, element by element, in place on p, m and v.  p, grad, m, v: (N,).

    l2, shrink: the two forms of weight decay (module docstring); step_size, inv_sqrt_bias2: the
    learning rate and the second moment's bias correction of this step, as adam_step computes them.
    """
    ### BEGIN SOLUTION
    one = p.dtype.type(1.0)
    for i in range(p.shape[0]):          # new values in local variables: reading m[i] back after writing
        p_i = p[i]                       # it would keep the loop from vectorizing
        g = grad[i] + l2 * p_i
        m_i = beta1 * m[i] + (one - beta1) * g
        v_i = beta2 * v[i] + (one - beta2) * g * g
        m[i], v[i] = m_i, v_i
        p[i] = p_i * shrink - step_size * m_i / (np.sqrt(v_i) * inv_sqrt_bias2 + eps)
    ### END SOLUTION


def can_run(*arrays):
    """True when the kernel can update these arrays in place: one float dtype, same shape, C-contiguous."""
    first = arrays[0]
    return first.dtype in KERNEL_DTYPES and all(
        a.dtype == first.dtype and a.shape == first.shape and a.flags.c_contiguous and a.flags.writeable
        for a in arrays)


def adam_step(p, grad, m, v, lr, beta1, beta2, eps, t, decay=0.0, decoupled=False):
    """Step t (1, 2, ...) of Adam (or AdamW with decoupled=True), in place on p, m and v, in one pass."""
    ### BEGIN SOLUTION
    if not can_run(p, grad, m, v):
        return reference.adam_step(p, grad, m, v, lr, beta1, beta2, eps, t, decay, decoupled)
    dtype = p.dtype.type
    l2, shrink = (0.0, 1.0 - lr * decay) if decoupled else (decay, 1.0)
    adam_rows(p.reshape(-1), grad.reshape(-1), m.reshape(-1), v.reshape(-1), dtype(l2), dtype(shrink),
              dtype(beta1), dtype(beta2), dtype(lr / (1.0 - beta1 ** t)), dtype(1.0 / np.sqrt(1.0 - beta2 ** t)),
              dtype(eps))
    ### END SOLUTION

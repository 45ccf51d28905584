"""LayerNorm (BERT, GPT) and RMSNorm (T5: no mean, no bias)."""
import numpy as np

from .checks import check_float, check_last_dim


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Normalise the last axis.   x: (..., C), gamma, beta: (C,) -> out: (..., C)."""
    check_float("x", x)
    check_last_dim("x", x, gamma.shape[0])
    mean = x.mean(axis=-1, keepdims=True)
    xc = x - mean
    var = (xc * xc).mean(axis=-1, keepdims=True)
    rstd = 1.0 / np.sqrt(var + eps)
    xhat = xc * rstd
    return xhat * gamma + beta, (xhat, rstd, gamma)


def layernorm_backward(dout, cache):
    """dout: (..., C) -> dx: (..., C), dgamma: (C,), dbeta: (C,)."""
    ### BEGIN SOLUTION
    xhat, rstd, gamma = cache                       # xhat: (..., C), rstd: (..., 1), gamma: (C,)
    C = xhat.shape[-1]
    # in the forward pass out = xhat * gamma + beta, with gamma and beta shared by every row, so their
    # gradients are sums over the rows: (C,) each
    dgamma = (dout * xhat).reshape(-1, C).sum(axis=0)
    dbeta = dout.reshape(-1, C).sum(axis=0)
    dxhat = dout * gamma                            # and the gradient at xhat: (..., C)
    # xhat = (x - mean) * rstd, and both mean and rstd depend on every x of the row, so dx has three terms:
    #   directly through x:   rstd * dxhat
    #   through the mean:     d(mean)/dx = 1/C for each x, giving -rstd * mean(dxhat)
    #   through rstd:         d(rstd)/dx = -rstd**2 * xhat / C, giving -rstd * xhat * mean(dxhat * xhat)
    dx = rstd * (dxhat - dxhat.mean(axis=-1, keepdims=True)
                 - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True))
    return dx, dgamma, dbeta
    ### END SOLUTION


def rmsnorm_forward(x, gamma, eps=1e-6):
    """x / rms(x) * gamma.   x: (..., C), gamma: (C,) -> out: (..., C).

    Below float32 (float16) the mean of squares is taken in float32, as T5 does: squares of
    float16 overflow above 256 and their sum loses the small terms."""
    check_float("x", x)
    check_last_dim("x", x, gamma.shape[0])
    wide = x.astype(np.float32) if x.dtype.itemsize < 4 else x
    rrms = (1.0 / np.sqrt((wide * wide).mean(axis=-1, keepdims=True) + eps)).astype(x.dtype)
    xhat = x * rrms
    return xhat * gamma, (xhat, rrms, gamma)


def rmsnorm_backward(dout, cache):
    """dout: (..., C) -> dx: (..., C), dgamma: (C,)."""
    ### BEGIN SOLUTION
    xhat, rrms, gamma = cache                       # xhat: (..., C), rrms: (..., 1), gamma: (C,)
    C = xhat.shape[-1]
    # in the forward pass out = xhat * gamma with gamma shared by every row: its gradient sums the rows
    dgamma = (dout * xhat).reshape(-1, C).sum(axis=0)
    dxhat = dout * gamma                            # (..., C)
    # xhat = x * rrms, where rrms depends on every x of the row (there is no mean): two terms,
    #   directly through x:   rrms * dxhat
    #   through rrms:         d(rrms)/dx = -rrms**2 * xhat / C, giving -rrms * xhat * mean(dxhat * xhat)
    dx = rrms * (dxhat - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True))
    return dx, dgamma
    ### END SOLUTION

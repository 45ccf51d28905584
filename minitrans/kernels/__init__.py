"""The backend switch for the hot pairs: Numba kernels ("numba", the default) or the NumPy reference ("numpy").

    >>> import minitrans
    >>> minitrans.set_backend("numpy")      # softmax and attention now run minitrans.functional
    >>> minitrans.get_backend()
    'numpy'

The environment variable MINITRANS_BACKEND=numba|numpy sets the default when
minitrans is imported. Both backends check their inputs the same way, return
the same arrays (equal up to rounding) and build the same caches, so a cache
from one backend's forward works with the other backend's backward.
"""
import os

from ..functional import activations as numpy_activations
from ..functional import attention as numpy_attention
from ..functional import linear as numpy_linear
from ..functional import losses as numpy_losses
from ..functional import norm as numpy_norm
from ..functional import softmax as numpy_softmax
from . import attention as numba_attention
from . import cross_entropy as numba_cross_entropy
from . import embedding as numba_embedding
from . import gelu as numba_gelu
from . import layernorm as numba_layernorm
from . import softmax as numba_softmax
from .threads import choose_threading_layer, shorten_blas_spin, threading_layer

choose_threading_layer()
shorten_blas_spin()

BACKENDS = ("numba", "numpy")


def checked_backend(name, source="backend"):
    """`name` if it is a known backend, else a ValueError naming the choices."""
    if name not in BACKENDS:
        raise ValueError(f"{source} must be 'numba' or 'numpy', got {name!r}")
    return name


_backend = checked_backend(os.environ.get("MINITRANS_BACKEND", "numba"), "MINITRANS_BACKEND")


def set_backend(name):
    """Choose who runs softmax and attention: "numba" (compiled kernels) or "numpy" (the reference)."""
    global _backend
    _backend = checked_backend(name)


def get_backend():
    """The backend in use: "numba" or "numpy"."""
    return _backend


def softmax_forward(x, mask=None):
    """p = softmax(x) over the last axis, by the current backend.   x: (..., N) -> p: (..., N), cache."""
    impl = numba_softmax if _backend == "numba" else numpy_softmax
    return impl.softmax_forward(x, mask)


def softmax_backward(dout, cache):
    """dout: (..., N) -> dx: (..., N), by the current backend."""
    impl = numba_softmax if _backend == "numba" else numpy_softmax
    return impl.softmax_backward(dout, cache)


def attention_forward(q, k, v, mask=None, causal=False, bias=None, dropout_p=0.0, rng=None, scale=None):
    """softmax(q k^T * scale + bias, masked) @ v, by the current backend.

    q: (B, H, Tq, D), k: (B, H, Tk, D), v: (B, H, Tk, Dv) -> out: (B, H, Tq, Dv), cache
    (see minitrans.functional.attention.attention_forward for every argument).
    """
    impl = numba_attention if _backend == "numba" else numpy_attention
    return impl.attention_forward(q, k, v, mask, causal, bias, dropout_p, rng, scale)


def attention_backward(dout, cache):
    """dout: (B, H, Tq, Dv) -> dq, dk, dv, dbias (dbias is None without a bias), by the current backend."""
    impl = numba_attention if _backend == "numba" else numpy_attention
    return impl.attention_backward(dout, cache)


def gelu_forward(x, approximate="none"):
    """GELU (erf or tanh form), by the current backend.   x: (...) -> (...), cache."""
    impl = numba_gelu if _backend == "numba" else numpy_activations
    return impl.gelu_forward(x, approximate)


def gelu_backward(dout, cache):
    """dout: (...) -> dx: (...), by the current backend."""
    impl = numba_gelu if _backend == "numba" else numpy_activations
    return impl.gelu_backward(dout, cache)


def cross_entropy_forward(logits, targets, ignore_index=-100):
    """Mean cross-entropy over the targets that are not ignored, by the current backend.
    logits: (..., V), targets: (...) -> loss, cache."""
    impl = numba_cross_entropy if _backend == "numba" else numpy_losses
    return impl.cross_entropy_forward(logits, targets, ignore_index)


def cross_entropy_backward(dloss, cache):
    """dloss: float -> dlogits: (..., V), by the current backend."""
    impl = numba_cross_entropy if _backend == "numba" else numpy_losses
    return impl.cross_entropy_backward(dloss, cache)


def embedding_backward(dout, cache):
    """dout: (..., C) -> dW: (V, C) of an embedding lookup, by the current backend."""
    impl = numba_embedding if _backend == "numba" else numpy_linear
    return impl.embedding_backward(dout, cache)


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """LayerNorm over the last axis, by the current backend.   x: (..., C) -> (..., C), cache."""
    impl = numba_layernorm if _backend == "numba" else numpy_norm
    return impl.layernorm_forward(x, gamma, beta, eps)


def layernorm_backward(dout, cache):
    """dout: (..., C) -> dx, dgamma, dbeta, by the current backend."""
    impl = numba_layernorm if _backend == "numba" else numpy_norm
    return impl.layernorm_backward(dout, cache)


__all__ = ["BACKENDS", "set_backend", "get_backend", "threading_layer", "softmax_forward", "softmax_backward",
           "gelu_forward", "gelu_backward", "embedding_backward",
           "cross_entropy_forward", "cross_entropy_backward", "layernorm_forward", "layernorm_backward",
           "attention_forward", "attention_backward"]

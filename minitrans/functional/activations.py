"""Element-wise activations and dropout."""
import math

import numba
import numpy as np

from .checks import check_float


@numba.vectorize(["float32(float32)", "float64(float64)"])
def erf(x):
    """The error function as a NumPy ufunc (NumPy has none; Numba compiles math.erf)."""
    return math.erf(x)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu_forward(x, approximate="none"):
    """GELU.   approximate="none": x * Phi(x) with erf (BERT); "tanh": GPT-2's form.  x: (...) -> (...)."""
    check_float("x", x)
    if approximate == "tanh":
        u = _SQRT_2_OVER_PI * (x + 0.044715 * (x * x * x))   # x * x * x: np.power is ~25x slower
        t = np.tanh(u)
        return 0.5 * x * (1.0 + t), (x, t, "tanh")
    if approximate == "none":
        cdf = 0.5 * (1.0 + erf(x / math.sqrt(2.0)))
        return x * cdf, (x, cdf, "none")
    raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")


def gelu_backward(dout, cache):
    """dout: (...) -> dx: (...)."""
    ### BEGIN SOLUTION
    x, s, kind = cache                              # x: (...); s: tanh(u) or Phi(x) from the forward
    if kind == "tanh":
        # in the forward pass out = 0.5 x (1 + tanh(u)) with u = sqrt(2/pi) (x + 0.044715 x^3); the product
        # rule gives 0.5 (1 + tanh u) + 0.5 x tanh'(u) du/dx, with tanh'(u) = 1 - tanh(u)^2
        du = _SQRT_2_OVER_PI * (1.0 + 3 * 0.044715 * x * x)
        return dout * (0.5 * (1.0 + s) + 0.5 * x * (1.0 - s * s) * du)
    # out = x Phi(x): the product rule gives Phi(x) + x phi(x), phi the normal density (Phi's derivative)
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return dout * (s + x * pdf)
    ### END SOLUTION


def relu_forward(x):
    """max(x, 0).   x: (...) -> (...)."""
    check_float("x", x)
    out = np.maximum(x, 0)
    return out, out > 0


def relu_backward(dout, cache):
    """dout: (...) -> dx: (...)."""
    return dout * cache


def tanh_forward(x):
    """tanh(x) (BERT's pooler).   x: (...) -> (...)."""
    check_float("x", x)
    out = np.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    """dout: (...) -> dx: (...)."""
    return dout * (1.0 - cache * cache)


def dropout_forward(x, p, rng=None, train=True):
    """Inverted dropout: zero each entry with probability p, scale the rest by 1/(1-p).

    x: (...) -> (...). With train=False or p=0 it is the identity. `rng` is a
    np.random.Generator so that a run is reproducible.
    """
    check_float("x", x)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout p must be in [0, 1), got {p}")
    if not train or p == 0.0:
        return x, None
    if rng is None:
        raise ValueError("dropout_forward with p > 0 in training needs an rng (np.random.Generator)")
    keep = (rng.random(x.shape) >= p).astype(x.dtype) / x.dtype.type(1.0 - p)
    return x * keep, keep


def dropout_backward(dout, cache):
    """dout: (...) -> dx: (...)."""
    return dout if cache is None else dout * cache

"""The simple layers: Linear, Embedding, LayerNorm, RMSNorm, Dropout, GELU, ReLU, Tanh.

Each wraps a functional pair of minitrans.ops; forward returns (out, cache),
backward(dout, cache) returns the input gradient and adds into the Parameters' .grad.
Constructor arguments after the sizes are keyword-only.
"""
import numpy as np

from .. import ops
from .module import Module, Parameter


def normal_init(rng, shape, std, dtype):
    """Weights drawn from N(0, std^2) with a np.random.Generator."""
    return (rng.standard_normal(shape) * std).astype(dtype)


class Linear(Module):
    """y = x @ W + b with W of shape (in_features, out_features)."""

    def __init__(self, in_features, out_features, *, bias=True, rng=None, std=0.02, dtype=np.float32):
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng(0)
        self.weight = Parameter(normal_init(rng, (in_features, out_features), std, dtype))
        self.bias = Parameter(np.zeros(out_features, dtype=dtype)) if bias else None

    def forward(self, x):
        """x: (..., in) -> (..., out)."""
        b = None if self.bias is None else self.bias.data
        return ops.linear_forward(x, self.weight.data, b)

    def backward(self, dout, cache):
        """dout: (..., out) -> dx: (..., in)."""
        dx, dW, db = ops.linear_backward(dout, cache)
        self.weight.grad += dW
        if self.bias is not None:
            self.bias.grad += db
        return dx


class Embedding(Module):
    """A table of `num_embeddings` vectors of size `dim`, looked up by integer id.

    padding_idx: the id of the padding token (BERT's [PAD]); its row starts at zero and
    never receives a gradient, so padding stays a fixed vector however long one trains.
    """

    def __init__(self, num_embeddings, dim, *, rng=None, std=0.02, dtype=np.float32, padding_idx=None):
        super().__init__()
        rng = rng if rng is not None else np.random.default_rng(0)
        if padding_idx is not None and not 0 <= padding_idx < num_embeddings:
            raise ValueError(f"padding_idx must lie in [0, {num_embeddings}), got {padding_idx}")
        self.padding_idx = padding_idx
        self.weight = Parameter(normal_init(rng, (num_embeddings, dim), std, dtype))
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0

    def forward(self, ids):
        """ids: (...) ints -> (..., dim)."""
        return ops.embedding_forward(ids, self.weight.data)

    def backward(self, dout, cache):
        """dout: (..., dim) -> None (ids have no gradient); adds into weight.grad (not the padding row)."""
        dW = ops.embedding_backward(dout, cache)
        if self.padding_idx is not None:
            dW[self.padding_idx] = 0
        self.weight.grad += dW
        return None


class LayerNorm(Module):
    """LayerNorm over the last axis with a learned scale and (unless bias=False) a learned shift."""

    def __init__(self, dim, *, eps=1e-5, bias=True, dtype=np.float32):
        super().__init__()
        self.eps = eps
        self.weight = Parameter(np.ones(dim, dtype=dtype))
        self.bias = Parameter(np.zeros(dim, dtype=dtype)) if bias else None

    def forward(self, x):
        """x: (..., dim) -> (..., dim)."""
        shift = self.bias.data if self.bias is not None else np.zeros_like(self.weight.data)
        return ops.layernorm_forward(x, self.weight.data, shift, self.eps)

    def backward(self, dout, cache):
        """dout: (..., dim) -> dx: (..., dim)."""
        dx, dgamma, dbeta = ops.layernorm_backward(dout, cache)
        self.weight.grad += dgamma
        if self.bias is not None:
            self.bias.grad += dbeta
        return dx


class RMSNorm(Module):
    """T5's norm: x / rms(x) * weight, with no mean subtraction and no bias."""

    def __init__(self, dim, *, eps=1e-6, dtype=np.float32):
        super().__init__()
        self.eps = eps
        self.weight = Parameter(np.ones(dim, dtype=dtype))

    def forward(self, x):
        """x: (..., dim) -> (..., dim)."""
        return ops.rmsnorm_forward(x, self.weight.data, self.eps)

    def backward(self, dout, cache):
        """dout: (..., dim) -> dx: (..., dim)."""
        dx, dgamma = ops.rmsnorm_backward(dout, cache)
        self.weight.grad += dgamma
        return dx


class Dropout(Module):
    """Inverted dropout, active only in training mode; draws masks from its own Generator."""

    def __init__(self, p=0.0, *, rng=None):
        super().__init__()
        self.p = float(p)
        self.rng = rng if rng is not None else np.random.default_rng(0)

    def forward(self, x):
        """x: (...) -> (...)."""
        return ops.dropout_forward(x, self.p, self.rng, self.training)

    def backward(self, dout, cache):
        """dout: (...) -> dx: (...)."""
        return ops.dropout_backward(dout, cache)


class Activation(Module):
    """A parameter-free element-wise activation: 'gelu' (erf), 'gelu_tanh', 'relu' or 'tanh'."""

    PAIRS = {
        "gelu": (lambda x: ops.gelu_forward(x, "none"), ops.gelu_backward),
        "gelu_tanh": (lambda x: ops.gelu_forward(x, "tanh"), ops.gelu_backward),
        "relu": (ops.relu_forward, ops.relu_backward),
        "tanh": (ops.tanh_forward, ops.tanh_backward),
    }

    def __init__(self, name="gelu"):
        super().__init__()
        if name not in self.PAIRS:
            raise ValueError(f"activation must be one of {sorted(self.PAIRS)}, got {name!r}")
        self.name = name

    def forward(self, x):
        """x: (...) -> (...)."""
        return self.PAIRS[self.name][0](x)

    def backward(self, dout, cache):
        """dout: (...) -> dx: (...)."""
        return self.PAIRS[self.name][1](dout, cache)


def GELU(approximate="none"):
    """GELU as a module: the erf form (BERT) or approximate='tanh' (GPT-2)."""
    return Activation("gelu_tanh" if approximate == "tanh" else "gelu")

"""The one seam between the math and the speed: every layer, model and optimizer calls `ops.<name>`.

    from minitrans import ops
    out, cache = ops.layernorm_forward(x, gamma, beta)
    dx, dgamma, dbeta = ops.layernorm_backward(dout, cache)

`ops` offers every function of minitrans.functional under the same name and
signature. Who runs it is decided by the backend, at each call:

- "numpy": the reference in minitrans/functional/, the textbook formulas. With
  this backend nothing else runs: a student who rewrites `layernorm_backward`
  there trains GPT with their own code.
- "numba" (the default): for the names in the KERNELS table below, the compiled
  kernel in minitrans/kernels/, which takes the same arguments, checks them the
  same way and builds the same cache (so a cache of one backend's forward works
  with the other's backward); the tests named in the table prove the two agree.
  The other names run the reference on both backends.

    minitrans.set_backend("numpy")             # from now on
    with minitrans.use_backend("numpy"):       # inside this block only
        ...

MINITRANS_BACKEND=numpy|numba sets the default when minitrans is imported.
"""
import functools
import os
from contextlib import contextmanager

from . import functional
from .kernels import adam, attention, cross_entropy, embedding, gelu, layernorm, softmax

# name -> the Numba kernel that replaces the reference on the "numba" backend.
# Each agrees with the reference of the same name, proved by:
#   softmax, attention: tests/test_kernels.py;  gelu, layernorm, cross_entropy, embedding:
#   tests/test_kernels_elementwise.py;  adam_step: tests/test_optim.py
KERNELS = {
    "softmax_forward": softmax.softmax_forward,
    "softmax_backward": softmax.softmax_backward,
    "attention_forward": attention.attention_forward,
    "attention_backward": attention.attention_backward,
    "gelu_forward": gelu.gelu_forward,
    "gelu_backward": gelu.gelu_backward,
    "layernorm_forward": layernorm.layernorm_forward,
    "layernorm_backward": layernorm.layernorm_backward,
    "cross_entropy_forward": cross_entropy.cross_entropy_forward,
    "cross_entropy_backward": cross_entropy.cross_entropy_backward,
    "embedding_backward": embedding.embedding_backward,
    "adam_step": adam.adam_step,
}

BACKENDS = ("numba", "numpy")


def checked_backend(name, source="backend"):
    """`name` if it is a known backend, else a ValueError naming the choices."""
    if name not in BACKENDS:
        raise ValueError(f"{source} must be 'numba' or 'numpy', got {name!r}")
    return name


_backend = checked_backend(os.environ.get("MINITRANS_BACKEND", "numba"), "MINITRANS_BACKEND")


def set_backend(name):
    """Choose who runs the operations in KERNELS: "numba" (compiled kernels) or "numpy" (the reference)."""
    global _backend
    _backend = checked_backend(name)


def get_backend():
    """The backend in use: "numba" or "numpy"."""
    return _backend


@contextmanager
def use_backend(name):
    """Run the block with backend `name`, then restore the one before (also on an error)."""
    before = get_backend()
    set_backend(name)
    try:
        yield
    finally:
        set_backend(before)


REFERENCES = {name: getattr(functional, name) for name in functional.__all__}


def dispatched(reference):
    """ops.<name> for the reference function of minitrans.functional with that name: the reference
    itself, or (for a name in KERNELS) a function that picks, at each call, the entry of KERNELS or
    of REFERENCES by the backend."""
    name = reference.__name__
    if name not in KERNELS:
        return REFERENCES[name]

    @functools.wraps(REFERENCES[name])
    def op(*args, **kwargs):
        return (KERNELS if _backend == "numba" else REFERENCES)[name](*args, **kwargs)
    return op


# Every operation, one line each, so that an editor's go-to-definition on ops.<name> lands here and,
# one step further, on the reference in minitrans/functional/ (whose signature and docstring it has).
# tests/test_kernels.py checks that every public name of ops is written out in this file.
# linear and embedding
linear_forward = dispatched(functional.linear_forward)
linear_backward = dispatched(functional.linear_backward)
embedding_forward = dispatched(functional.embedding_forward)
embedding_backward = dispatched(functional.embedding_backward)
# norms
layernorm_forward = dispatched(functional.layernorm_forward)
layernorm_backward = dispatched(functional.layernorm_backward)
rmsnorm_forward = dispatched(functional.rmsnorm_forward)
rmsnorm_backward = dispatched(functional.rmsnorm_backward)
# activations and dropout
gelu_forward = dispatched(functional.gelu_forward)
gelu_backward = dispatched(functional.gelu_backward)
relu_forward = dispatched(functional.relu_forward)
relu_backward = dispatched(functional.relu_backward)
tanh_forward = dispatched(functional.tanh_forward)
tanh_backward = dispatched(functional.tanh_backward)
dropout_forward = dispatched(functional.dropout_forward)
dropout_backward = dispatched(functional.dropout_backward)
erf = dispatched(functional.erf)
# softmax and losses
softmax_forward = dispatched(functional.softmax_forward)
softmax_backward = dispatched(functional.softmax_backward)
log_softmax_forward = dispatched(functional.log_softmax_forward)
log_softmax_backward = dispatched(functional.log_softmax_backward)
cross_entropy_forward = dispatched(functional.cross_entropy_forward)
cross_entropy_backward = dispatched(functional.cross_entropy_backward)
mse_forward = dispatched(functional.mse_forward)
mse_backward = dispatched(functional.mse_backward)
# attention
attention_forward = dispatched(functional.attention_forward)
attention_backward = dispatched(functional.attention_backward)
causal_mask = dispatched(functional.causal_mask)
# the optimizer's update
adam_step = dispatched(functional.adam_step)

__all__ = ["BACKENDS", "KERNELS", "REFERENCES", "set_backend", "get_backend", "use_backend", *functional.__all__]

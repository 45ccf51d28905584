"""Backend switch (placeholder until the Numba kernels land): NumPy reference only."""
from ..functional import attention_backward, attention_forward, softmax_backward, softmax_forward

_backend = "numpy"


def set_backend(name):
    global _backend
    if name not in ("numpy", "numba"):
        raise ValueError(f"backend must be 'numba' or 'numpy', got {name!r}")
    _backend = name


def get_backend():
    return _backend

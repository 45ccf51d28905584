"""minitrans: BERT, T5, GPT and an LSTM baseline in pure NumPy with hand-written backprop."""
__version__ = "0.1.0"

from .memory import keep_freed_memory  # noqa: E402

keep_freed_memory()

from .kernels import get_backend, set_backend  # noqa: E402

__all__ = ["get_backend", "set_backend", "__version__"]

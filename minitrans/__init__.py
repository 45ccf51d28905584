"""minitrans: BERT, T5, GPT and an LSTM baseline in pure NumPy with hand-written backprop, for teaching.

Importing it changes nothing outside minitrans; `minitrans.tune_cpu()` makes the
process-wide settings that speed up training (the command line and the Trainer call it).
"""
__version__ = "0.1.0"

from .ops import get_backend, set_backend, use_backend
from .tuning import tune_cpu

__all__ = ["get_backend", "set_backend", "use_backend", "tune_cpu", "__version__"]

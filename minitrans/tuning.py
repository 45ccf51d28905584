"""tune_cpu(): the process-wide settings that make minitrans fast, made only when asked.

Importing minitrans changes nothing outside minitrans. Three settings outside it
make training faster on a CPU; `tune_cpu()` makes them, and the command line,
the Trainer and the benchmarks call it (docs/performance.md has the measurements):

- Numba's "workqueue" threading layer, whose workers sleep as soon as a parallel
  loop ends instead of spinning on the core the next BLAS product needs
  (kernels/threads.py). It must be chosen before the first parallel kernel runs.
- OpenBLAS's idle threads sleep after about 0.1 ms instead of about 0.1 s (kernels/threads.py).
- glibc's malloc keeps freed memory for the next step instead of returning it
  to the kernel and faulting it back in (memory.py).

Each one leaves alone a choice you made yourself (NUMBA_THREADING_LAYER,
OPENBLAS_THREAD_TIMEOUT, MALLOC_* or MINITRANS_KEEP_MEMORY=0).
"""
from .kernels.threads import choose_threading_layer, shorten_blas_spin
from .memory import keep_freed_memory

_done = None


def tune_cpu():
    """Make the three settings above, once per process -> dict of which ones were made (True/False)."""
    global _done
    if _done is None:
        _done = {"numba_workqueue": choose_threading_layer(), "blas_spin_shortened": shorten_blas_spin(),
                 "malloc_keeps_memory": keep_freed_memory()}
    return dict(_done)

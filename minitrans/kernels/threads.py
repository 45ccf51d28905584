"""Keeping Numba's worker threads and the BLAS worker threads from fighting over the cores.

Every attention call alternates: a matrix product (BLAS, with its own thread
pool), then a Numba kernel (Numba's thread pool), then a product again. Numba's
default threading layer on Linux is OpenMP, whose workers keep spinning for a
few milliseconds after each parallel loop, waiting for more work. On a 2-core
machine they spin on exactly the core that the next multi-threaded BLAS product
needs. Measured on 2 cores (float32, B*H=48, T=256, D=32, causal attention
forward+backward): 42 ms with the OpenMP layer, 26 ms with Numba's "workqueue"
layer, whose workers go to sleep as soon as a loop ends. (Limiting BLAS to one
thread around the kernels did not help: the spinning still hurt, and switching
the BLAS thread count back and forth costs time itself.)

So minitrans selects the workqueue layer, unless NUMBA_THREADING_LAYER is set
(then your choice stands). The choice must be made before the first parallel
kernel runs in the process; benchmarks/bench_kernels.py shows the effect.

A sleeping worker takes about 0.1-0.2 ms to wake up on the test machine, so
small arrays are done in the calling thread instead (softmax.run_rows).

The workqueue layer must not be entered by two Python threads at once (Numba
stops the process if it is), so every parallel kernel launch holds `kernel_lock`.
"""
import os
import threading

import numba

kernel_lock = threading.Lock()


def choose_threading_layer():
    """Select Numba's workqueue threading layer unless the user chose one with NUMBA_THREADING_LAYER."""
    if not os.environ.get("NUMBA_THREADING_LAYER"):
        numba.config.THREADING_LAYER = "workqueue"


def threading_layer():
    """The threading layer Numba is using ("workqueue", "omp", "tbb"), or the one it will use before the first kernel."""
    try:
        return numba.threading_layer()
    except ValueError:                       # no parallel kernel has run yet
        return str(numba.config.THREADING_LAYER)

"""How the kernels and BLAS share the cores (docs/performance.md has the measurements).

- Numba's threads and BLAS's threads take turns in a training step: a product, a kernel, a
  product. `choose_threading_layer` picks Numba's "workqueue" layer, whose workers sleep as
  soon as a loop ends, and `shorten_blas_spin` makes OpenBLAS's idle threads sleep after
  about 0.1 ms, so that neither spins on the core the other needs. Both are made by
  minitrans.tune_cpu(), never by importing minitrans.
- `run_kernel` runs a kernel in the calling thread when its array is small (waking the
  worker threads would cost more than the work) and in parallel otherwise; `kernel_lock`
  keeps two Python threads from entering the workqueue layer at once, which Numba forbids.
- Attention is many small products, which a multi-threaded BLAS splits badly. `run_parts`
  cuts attention's (batch, head) grid into one part per core and runs each part, products
  and row kernels together, in a thread of its own with BLAS set to one thread meanwhile
  (`blas_threads`); each part goes through its heads in cache-sized blocks (`blocks_of`).
"""
import ctypes
import os
import threading
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numba

kernel_lock = threading.Lock()


def choose_threading_layer():
    """Select Numba's workqueue threading layer; True when done. Nothing is done when you chose a layer
    with NUMBA_THREADING_LAYER, or when a parallel kernel already ran (the layer is then fixed)."""
    if os.environ.get("NUMBA_THREADING_LAYER"):
        return False
    try:
        numba.threading_layer()
        return False                             # already started: too late to choose
    except ValueError:
        numba.config.THREADING_LAYER = "workqueue"
        return True


# Below this many elements a kernel runs in the calling thread (see the module docstring).
PARALLEL_MIN_SIZE = 1 << 19


def run_kernel(parallel, serial, size, *args):
    """parallel(*args) when `size` (elements) is at least PARALLEL_MIN_SIZE, else serial(*args)."""
    if size < PARALLEL_MIN_SIZE:
        serial(*args)
        return
    with kernel_lock:
        parallel(*args)


def threading_layer():
    """The threading layer Numba is using ("workqueue", "omp", "tbb"), or the one it will use before the first kernel."""
    try:
        return numba.threading_layer()
    except ValueError:                       # no parallel kernel has run yet
        return str(numba.config.THREADING_LAYER)


OpenBLAS = namedtuple("OpenBLAS", "lib set_num_threads get_num_threads")


def find_openblas():
    """The OpenBLAS library in this process (an OpenBLAS tuple), or None.

    NumPy's wheels bring OpenBLAS; with another BLAS (or off Linux) this returns None
    and the thread count of BLAS is left alone.
    """
    try:
        with open("/proc/self/maps") as f:
            paths = sorted({line.split()[-1] for line in f if "openblas" in line.lower() and "/" in line})
    except OSError:
        return None
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix in ("scipy_openblas", "openblas"):
            for suffix in ("64_", ""):
                set_threads = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                get_threads = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                if set_threads is not None and get_threads is not None:
                    return OpenBLAS(lib, set_threads, get_threads)
    return None


_openblas = find_openblas()

# OpenBLAS's idle threads spin for 2**BLAS_THREAD_TIMEOUT clock cycles before they sleep (its
# default, 2**28, is about 0.1 s); 2**18 is about 0.1 ms, enough to carry them from one product
# to the next one close behind it.
BLAS_THREAD_TIMEOUT = 18


def shorten_blas_spin(timeout=BLAS_THREAD_TIMEOUT):
    """Make OpenBLAS's idle threads sleep after 2**timeout cycles instead of 2**28; True when done.

    OpenBLAS reads OPENBLAS_THREAD_TIMEOUT once, when it starts its threads. So the variable is
    set for a moment, OpenBLAS re-reads its environment, and its threads are stopped; the next
    product starts them again with the new timeout. Nothing is done when you set
    OPENBLAS_THREAD_TIMEOUT yourself (your value stands; 28 is OpenBLAS's default) or BLAS is
    not OpenBLAS.
    """
    if _openblas is None or "OPENBLAS_THREAD_TIMEOUT" in os.environ:
        return False
    read_env = getattr(_openblas.lib, "openblas_read_env", None)
    stop_threads = getattr(_openblas.lib, "blas_thread_shutdown_", None)
    if read_env is None or stop_threads is None:
        return False
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(timeout)
    try:
        read_env()
    finally:
        del os.environ["OPENBLAS_THREAD_TIMEOUT"]
    stop_threads()
    return True


@contextmanager
def blas_threads(n):
    """Within the block, BLAS uses n threads (when it is OpenBLAS; else nothing changes)."""
    if _openblas is None:
        yield
        return
    _, set_threads, get_threads = _openblas
    before = get_threads()
    set_threads(n)
    try:
        yield
    finally:
        set_threads(before)


@contextmanager
def one_thread():
    """Within the block, Numba's kernels and BLAS each run on one thread. How many threads a sum is
    split over changes its last bits, so a run that must give the same bits on any machine (the
    shipped pretrained models) runs inside this block."""
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        with blas_threads(1):
            yield
    finally:
        numba.set_num_threads(before)


# Below this many attention scores (B*H*Tq*Tk) run_parts works in the calling thread alone:
# handing parts to the pool costs a few tens of microseconds.
PARTS_MIN_SIZE = 1 << 15
_pool = None


def parts_of(B, H, n):
    """n (batch slice, head slice) parts of the (B, H) grid: along the batch when B >= n, else the heads."""
    if B >= n:
        bounds = [B * i // n for i in range(n + 1)]
        return [(slice(bounds[i], bounds[i + 1]), slice(None)) for i in range(n)]
    n = min(n, H)
    bounds = [H * i // n for i in range(n + 1)]
    return [(slice(None), slice(bounds[i], bounds[i + 1])) for i in range(n)]


# A part is worked through in blocks of about this many scores (512 KiB in float32), so that a
# block's scores are still in the core's own cache (L2) when its row kernel and next product read them.
BLOCK_SIZE = 1 << 17


def blocks_of(b, h, B, H, per_head):
    """The part (b, h) of the (B, H) grid cut into blocks of about BLOCK_SIZE scores (per_head each):
    whole batch items when one fits, else runs of heads within one batch item."""
    b0, b1, _ = b.indices(B)
    h0, h1, _ = h.indices(H)
    heads = max(1, BLOCK_SIZE // per_head)
    if heads >= h1 - h0:
        items = heads // (h1 - h0)
        return [(slice(i, min(i + items, b1)), h) for i in range(b0, b1, items)]
    return [(slice(i, i + 1), slice(j, min(j + heads, h1))) for i in range(b0, b1) for j in range(h0, h1, heads)]


def run_parts(work, B, H, size):
    """Call work(b, h) on parts of the (B, H) grid, one part per core, in parallel (see the module docstring).

    work(b, h) must only write its own part of the outputs; b and h are slices.
    size (the number of attention scores) decides whether parallel work pays off.
    """
    global _pool
    n = numba.get_num_threads()

    def in_blocks(b, h):
        for block in blocks_of(b, h, B, H, size // (B * H)):
            work(*block)

    if n == 1 or size < PARTS_MIN_SIZE or B * H == 1:
        in_blocks(slice(None), slice(None))
        return
    parts = parts_of(B, H, n)
    with kernel_lock, blas_threads(1):
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=n - 1, thread_name_prefix="minitrans")
        futures = [_pool.submit(in_blocks, *part) for part in parts[1:]]
        try:
            in_blocks(*parts[0])
        finally:
            for future in futures:      # wait for every part (and raise its error, if any)
                future.result()

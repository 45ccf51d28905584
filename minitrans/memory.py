"""Keeping freed memory for reuse, so that a training step does not pay the kernel for it every step.

Every step allocates and frees the same large arrays (activations, gradients,
attention maps). glibc's malloc takes each large array straight from the
kernel (mmap) and gives it back when it is freed, so the next step waits for
the kernel to map and zero those pages again, one page fault per 4 KiB.

keep_freed_memory() asks malloc (mallopt) to take arrays up to 32 MiB from its
own heap and to keep freed memory there for the next step: the process keeps its
peak memory mapped instead of shrinking between steps. minitrans.tune_cpu() calls
it; it does nothing off Linux with glibc, when you set one of glibc's MALLOC_*
variables yourself, or with MINITRANS_KEEP_MEMORY=0. docs/performance.md has the
measurements.
"""
import ctypes
import os
import sys

M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3      # mallopt's parameter numbers (malloc.h)
MMAP_THRESHOLD = 32 << 20                       # the largest glibc accepts on 64-bit systems
TRIM_THRESHOLD = 1 << 30


def keep_freed_memory():
    """Tell glibc's malloc to keep freed memory for reuse; True when it was done."""
    if not sys.platform.startswith("linux") or os.environ.get("MINITRANS_KEEP_MEMORY", "1") == "0":
        return False
    if any(name.startswith("MALLOC_") for name in os.environ):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:                                   # not glibc
        return False
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))

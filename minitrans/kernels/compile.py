"""How a kernel is compiled: one loop over independent rows, written once with prange, compiled twice.

    @row_kernel
    def gelu_rows(x, out, s, tanh_form):
        for i in prange(x.shape[0]):
            ...
    gelu_rows(x, out, s, True)      # parallel threads for big arrays, the calling thread for small ones

The parallel version spreads the rows over Numba's threads; the serial one runs
them in the calling thread (prange is range there), because waking sleeping
worker threads costs more than a small array takes (threads.run_kernel decides by
the size of the first argument). The serial version is compiled from a copy of the
loop under its own name, so that Numba's on-disk cache keeps the two apart.
"""
import types

from numba import njit

from .threads import run_kernel

FASTMATH = {"reassoc", "contract"}   # lets row sums vectorize; never assumes "no inf" (masks use -inf)
# Every kernel is compiled with these. error_model="numpy": x / 0 gives inf as in NumPy instead of
# raising ZeroDivisionError, whose check in every division keeps a loop from vectorizing.
KERNEL_OPTIONS = dict(cache=True, fastmath=FASTMATH, error_model="numpy")


def renamed_copy(function, name):
    """The same Python function under another name (its code and globals shared)."""
    copy = types.FunctionType(function.__code__, function.__globals__, name, function.__defaults__,
                              function.__closure__)
    copy.__qualname__ = function.__qualname__ + "_serial"
    copy.__doc__ = function.__doc__
    return copy


class RowKernel:
    """A loop compiled as `parallel` (prange over Numba's threads) and `serial` (the calling thread)."""

    def __init__(self, loop):
        self.__name__, self.__doc__ = loop.__name__, loop.__doc__
        self.parallel = njit(parallel=True, **KERNEL_OPTIONS)(loop)
        self.serial = njit(nogil=True, **KERNEL_OPTIONS)(renamed_copy(loop, loop.__name__ + "_serial"))

    def __call__(self, *args):
        """Run the loop on args, in parallel when the first argument is big (threads.run_kernel)."""
        run_kernel(self.parallel, self.serial, args[0].size, *args)


def row_kernel(loop):
    """Decorator: a RowKernel from a loop written with prange."""
    return RowKernel(loop)

"""Fixtures shared by the kernel tests."""
import pytest

from minitrans.kernels import threads


@pytest.fixture(params=["serial", "parallel"])
def kernel_path(request, monkeypatch):
    """Runs a test once with the kernels in the calling thread and once with the parallel ones
    (test arrays are small, so the parallel kernels and attention's parallel parts are forced by
    lowering the size thresholds, and attention's blocks are made one head each)."""
    if request.param == "parallel":
        monkeypatch.setattr(threads, "PARALLEL_MIN_SIZE", 0)
        monkeypatch.setattr(threads, "PARTS_MIN_SIZE", 0)
        monkeypatch.setattr(threads, "BLOCK_SIZE", 1)
    return request.param

"""Fixtures shared by the kernel tests; the suite runs with minitrans.tune_cpu(), as training does."""
import pytest

import minitrans
from minitrans.course.parts import PARTS
from minitrans.kernels import threads


def pytest_configure(config):
    minitrans.tune_cpu()
    for part in PARTS:               # the homework parts' markers (tests/test_parts.py), one per part
        config.addinivalue_line("markers", f"{part.marker}: the hidden tests of the homework part {part.name}")


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


@pytest.fixture(scope="session")
def experiments_root(tmp_path_factory):
    """One folder for the studies' --quick tests, so that they share its pretrained/ models
    (experiments.pretrained_checkpoint makes each once per folder)."""
    return tmp_path_factory.mktemp("experiments")

"""minitrans.memory: malloc keeps freed memory for reuse, unless the user decides otherwise."""
import ctypes.util
import os
import sys

import pytest

from minitrans.memory import keep_freed_memory


def test_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("MINITRANS_KEEP_MEMORY", "0")
    assert keep_freed_memory() is False


def test_users_own_malloc_settings_win(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "131072")
    assert keep_freed_memory() is False


@pytest.mark.skipif(not sys.platform.startswith("linux") or ctypes.util.find_library("c") != "libc.so.6",
                    reason="needs Linux with glibc")
def test_glibc_accepts_the_settings(monkeypatch):
    for name in [n for n in os.environ if n.startswith("MALLOC_") or n == "MINITRANS_KEEP_MEMORY"]:
        monkeypatch.delenv(name)
    assert keep_freed_memory() is True

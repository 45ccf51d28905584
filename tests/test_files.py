"""The atomic writers: all or nothing (files and folders), the umask's permissions, leftovers of killed saves removed."""
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from minitrans.files import atomic_write, atomic_write_folder, atomic_write_text, make_directory

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_saved_files_get_the_umask_permissions(tmp_path, umask_027):
    path = Path(atomic_write_text(tmp_path / "a.txt", "hello"))
    assert path.read_text() == "hello"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640          # 0o666 & ~0o027, not tempfile's 0o600


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "a.txt"
    atomic_write_text(path, "old")

    def fails(temp_path):
        Path(temp_path).write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, fails)
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["a.txt"]


def test_temp_file_of_a_killed_save_is_removed_by_the_next_save(tmp_path):
    """A child process stops inside its write (the temp file exists) and is SIGKILLed; the next
    write to the same path removes the orphan, and keeps a temp file whose process still runs."""
    path, ready = tmp_path / "ckpt.bin", tmp_path / "ready"
    child = ("import sys, time; from pathlib import Path; from minitrans.files import atomic_write\n"
             "def write(temp):\n"
             "    Path(temp).write_bytes(b'partial'); Path(sys.argv[2]).touch(); time.sleep(60)\n"
             "atomic_write(sys.argv[1], write)\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", child, str(path), str(ready)], env=env)
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the child never reached its write"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    orphans = [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
    assert len(orphans) == 1 and orphans[0].startswith(f".ckpt.bin.{proc.pid}.")
    alive = tmp_path / f".ckpt.bin.{os.getpid()}.another-save.tmp"     # a save still under way
    alive.write_bytes(b"in progress")

    atomic_write(path, lambda temp: Path(temp).write_bytes(b"complete"))
    assert path.read_bytes() == b"complete"
    assert sorted(os.listdir(tmp_path)) == sorted(["ckpt.bin", "ready", alive.name])


@pytest.mark.parametrize("where, reason", [("file", "a file of that name exists"),
                                           ("file/run", "a part of the path is a file")])
def test_make_directory_names_the_argument_and_the_reason(tmp_path, where, reason):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match=f"--out '.*{where}': expected a directory that can be created "
                                         rf"and written to \({reason}\)"):
        make_directory(tmp_path / where, "--out")
    assert make_directory(tmp_path / "new" / "run", "--out") == str(tmp_path / "new" / "run")


def dead_pid():
    """The id of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_folder_is_written_aside_and_swapped_in_keeping_the_files_it_does_not_write(tmp_path, umask_027):
    folder = tmp_path / "model"
    atomic_write_folder(folder, lambda d: [Path(d, n).write_text("old " + n) for n in ("a", "b", "vocab.json")])
    (folder / "README.md").write_text("mine")
    atomic_write_folder(folder, lambda d: [Path(d, n).write_text("new " + n) for n in ("a", "vocab.txt")],
                        replaced=("vocab.json",))
    assert {p.name: p.read_text() for p in folder.iterdir()} == \
        {"a": "new a", "b": "old b", "vocab.txt": "new vocab.txt", "README.md": "mine"}
    assert stat.S_IMODE(folder.stat().st_mode) == 0o750 and os.listdir(tmp_path) == ["model"]


def test_a_failed_folder_write_leaves_the_old_folder_and_no_temp_folder(tmp_path):
    folder = tmp_path / "model"
    atomic_write_folder(folder, lambda d: Path(d, "config.json").write_text("old"))

    def disk_full(d):
        Path(d, "config.json").write_text("new")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        atomic_write_folder(folder, disk_full)
    assert os.listdir(tmp_path) == ["model"] and (folder / "config.json").read_text() == "old"


def test_a_folder_left_aside_by_a_killed_swap_is_put_back_and_temp_folders_removed(tmp_path):
    pid = dead_pid()
    aside = tmp_path / f".model.{pid}.x1.old.tmp"          # killed between its two renames: no model/ now
    aside.mkdir()
    (aside / "config.json").write_text("old")
    half = tmp_path / f".model.{pid}.x2.tmp"               # killed while writing
    half.mkdir()
    (half / "config.json").write_text("half")
    atomic_write_folder(tmp_path / "model", lambda d: Path(d, "vocab.txt").write_text("new"))
    assert os.listdir(tmp_path) == ["model"]
    assert {p.name: p.read_text() for p in (tmp_path / "model").iterdir()} == {"config.json": "old", "vocab.txt": "new"}

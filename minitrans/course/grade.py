"""grade: score a submission part by part, so that nothing in it but its answers can change a score.

Each part is graded in a fresh temporary folder of its own (trusted.py builds it): the teacher's
minitrans package, with that part's places removed as in a handout and the submission's function
bodies spliced into them, the teacher's tests, and the teacher's minitrans/functional as the
reference. None of the submission's files is copied, so its conftest.py, plugins, tests and result
files are never seen. pytest runs in a subprocess started with `python -I -S` (no environment
variables, no site hooks, no current folder on the path: only the temporary folder, the standard
library and the site-packages holding numpy, numba and pytest), with plugin autoloading off and
conftest files ignored, in a process group of its own that is killed at the time limit, with its
output limited in size. The grader's plugin (plugin.py) reports each test, signed with a key the
submission never sees; a run that ends early, writes no valid report or changes numpy's or the
tests' functions scores 0 on its part, with the reason. A part scores its points times the share of
its tests that pass.
"""
import hashlib
import hmac
import json
import os
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .handout import ASSIGNMENT_FILE, reference_root
from .parts import PARTS, find_parts
from .trusted import SpliceError, build_trusted_copy

DEFAULT_TIMEOUT = 300.0        # seconds per part
OUTPUT_LIMIT = 4 * 2 ** 20     # bytes any file the tests write may reach (their printed output among them)
BOOT = "import json, sys; sys.path[:0] = json.loads(sys.argv[1]); import pytest; sys.exit(pytest.main(sys.argv[2:]))"


def assignment_parts(directory):
    """The parts a handout asks for (its assignment.json), or every part for a folder without one."""
    path = Path(directory) / ASSIGNMENT_FILE
    if not path.is_file():
        return list(PARTS)
    names = json.loads(path.read_text()).get("parts")
    if not isinstance(names, list):
        raise ValueError(f"{path}: expected a list of part names under 'parts', got {names!r}")
    return find_parts(names)


def teacher_install(name):
    """True for a site-packages entry that would lead to the teacher's minitrans (the package, its
    metadata, an editable install's hook)."""
    name = name.lower()
    return name == "minitrans" or name.startswith(("minitrans-", "minitrans.", "__editable__")) or name.endswith(
        (".pth", ".egg-link"))


def library_paths(work):
    """The import paths of this interpreter without any way to the teacher's minitrans: a path holding
    a minitrans/ is left out, and a site-packages that knows of one (its metadata, an editable hook) is
    replaced by work/lib/<n>, a folder of links to all its other entries."""
    paths = []
    for n, entry in enumerate(p for p in sys.path if p and Path(p).is_dir()):
        folder = Path(entry)
        if (folder / "minitrans").exists():
            continue
        names = [child.name for child in folder.iterdir()]
        if not any(teacher_install(name) for name in names):
            paths.append(entry)
            continue
        shadow = work / "lib" / str(n)
        shadow.mkdir(parents=True)
        for name in names:
            if not teacher_install(name):
                (shadow / name).symlink_to(folder / name)
        paths.append(str(shadow))
    return paths


def limit_output():
    """In the child, before Python starts: no file it writes grows past OUTPUT_LIMIT (SIGXFSZ ends it)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_LIMIT, OUTPUT_LIMIT))


def run_pytest(part, work, timeout):
    """Run the part's tests in `work` (a folder built by build_trusted_copy): (results, why not)."""
    result_file = work / f"{secrets.token_hex(12)}.json"
    settings = {"key": secrets.token_hex(32), "nonce": secrets.token_hex(8), "result": str(result_file),
                "marker": part.marker, "reference": str(work / "reference")}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "TMPDIR": str(work / "tmp"),
           "MINITRANS_BACKEND": "numpy", "MPLBACKEND": "Agg",
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "NUMBA_CACHE_DIR": str(work / "tmp" / "numba"),
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    (work / "tmp").mkdir()
    paths = [str(work), str(work / "plugin")] + library_paths(work)
    command = [sys.executable, "-I", "-S", "-c", BOOT, json.dumps(paths), "-q", "-p", "no:cacheprovider",
               "-p", "grading_plugin", "--noconftest", "-c", str(work / "pytest.ini"), "--rootdir", str(work),
               "-m", part.marker, "-W", "ignore::pytest.PytestUnknownMarkWarning", str(work / "tests")]
    (work / "pytest.ini").write_text("[pytest]\n")
    log = work.parent / "output.txt"
    with open(log, "wb") as output:
        process = subprocess.Popen(command, cwd=work, env=env, stdin=subprocess.PIPE, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=limit_output)
        try:
            process.communicate((json.dumps(settings) + "\n").encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return None, f"stopped after the time limit of {timeout:g} s"
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    if process.returncode == -signal.SIGXFSZ:
        return None, f"stopped: it wrote more than {OUTPUT_LIMIT // 2 ** 20} MB of output"
    results, why = read_results(result_file, settings)
    if results is None:
        tail = last_lines(log)
        return None, f"the tests did not finish (exit code {process.returncode}): {why}" + (f"; {tail}" if tail else "")
    return results, None


def read_results(path, settings):
    """The plugin's results from `path`, checked: (results, None), or (None, why they are refused)."""
    try:
        signed = json.loads(Path(path).read_text())
        payload = signed["payload"]
        expected = hmac.new(settings["key"].encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signed["signature"]):
            return None, "the result file is not the grader's (its signature does not match)"
        results = json.loads(payload)
    except FileNotFoundError:
        return None, "the process ended before the grader's plugin wrote its results"
    except (ValueError, KeyError, TypeError) as e:
        return None, f"the result file is not the grader's ({type(e).__name__})"
    if results.get("nonce") != settings["nonce"]:
        return None, "the result file is not the grader's (another run's)"
    return results, None


def last_lines(log, n=3, limit=600):
    """The last lines of the subprocess's output (at most `limit` characters): why it stopped."""
    with open(log, "rb") as f:
        f.seek(max(0, os.path.getsize(log) - limit))
        text = f.read().decode("utf-8", "replace")
    return " | ".join(line.strip() for line in text.strip().split("\n")[-n:] if line.strip())


def run_part(part, directory, tests, timeout):
    """Grade one part of the submission in `directory`: a dict with its score, counts and messages."""
    result = {"part": part.name, "points": part.points, "score": 0.0, "passed": 0, "failed": 0, "skipped": 0,
              "error": None, "failures": [], "hint": part.hint}
    with tempfile.TemporaryDirectory(prefix="minitrans-grade-") as temp:
        work = Path(temp) / secrets.token_hex(8)
        try:
            build_trusted_copy(part, directory, tests, work)
        except SpliceError as e:
            result["error"] = str(e)
            return result
        results, why = run_pytest(part, work, timeout)
    if results is None:
        result["error"] = why
        return result
    outcomes = results["results"]
    passed = [n for n, r in outcomes.items() if r["outcome"] == "passed"]
    failed = {n: r["message"] for n, r in outcomes.items() if r["outcome"] in ("failed", "not run")}
    result.update(passed=len(passed), failed=len(failed),
                  skipped=sum(r["outcome"] == "skipped" for r in outcomes.values()),
                  failures=[f"{n.split('::')[-1]}: {m or 'did not run'}" for n, m in failed.items()])
    if any("File too large" in m for m in failed.values()):      # Python ignores SIGXFSZ: writes fail instead
        result["error"] = f"scored 0: it wrote more than {OUTPUT_LIMIT // 2 ** 20} MB of output"
    elif results["tampered"]:
        result["error"] = "scored 0: the submission changed the grader's tools (" + results["tampered"][0] + ")"
    elif not passed and not failed:
        result["error"] = f"no test of {part.marker} ran"
    else:
        result["score"] = round(part.points * len(passed) / (len(passed) + len(failed)), 2)
    return result


def grade(directory, part_names=None, timeout=DEFAULT_TIMEOUT, tests=None, progress=None):
    """Grade the submission (a handout with answers, or the reference) in `directory` on the given parts
    (default: those of its assignment.json, or every part). -> {"directory", "parts": [per-part dicts],
    "score", "points"}.

    tests: the teacher's part tests (default: tests/test_parts.py of this minitrans's repository).
    progress: called with each part's result as it is graded."""
    directory = Path(directory).resolve()
    if not (directory / "minitrans" / "__init__.py").is_file():
        raise ValueError(f"expected a handout (a folder holding minitrans/), got {directory}")
    if timeout <= 0:
        raise ValueError(f"timeout must be positive seconds, got {timeout}")
    tests = Path(tests).resolve() if tests is not None else reference_root() / "tests" / "test_parts.py"
    if not tests.is_file():
        raise ValueError(f"expected the part tests at {tests}, found no such file (by default they come from "
                         "the repository of the minitrans that grades: run the grader outside the handout, "
                         "or pass --tests)")
    parts = find_parts(part_names) if part_names else assignment_parts(directory)
    results = []
    for part in parts:
        results.append(run_part(part, directory, tests, timeout))
        if progress is not None:
            progress(results[-1])
    return {"directory": str(directory), "parts": results,
            "score": round(sum(r["score"] for r in results), 2), "points": sum(r["points"] for r in results)}


def format_line(result, details=True):
    """One part's report: name, score, test counts, why it got nothing; then (details) each failed
    check's one-line message and the part's hint."""
    line = (f"{result['part']:<30} {result['score']:>6g} / {result['points']:<4} "
            f"({result['passed']} passed, {result['failed']} failed)")
    line += f"  {result['error']}" if result["error"] else ""
    if details and result["failures"]:
        line += "".join(f"\n    failed {f}" for f in result["failures"][:6])
        line += f"\n    hint: {result['hint']}" if result["hint"] else ""
    return line


def format_report(report):
    """The whole report as text: a line per part, then the total."""
    lines = [format_line(r) for r in report["parts"]]
    lines.append(f"{'total':<30} {report['score']:>6g} / {report['points']}")
    return "\n".join(lines)

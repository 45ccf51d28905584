"""grade: run each part's hidden tests against a handout, one subprocess per part.

The tests are the teacher's (tests/test_parts.py of the repository this minitrans runs
from, marked `part_<name>`); the package they import is the handout's: the subprocess runs
in the handout's folder with it first on PYTHONPATH, and with the "numpy" backend, so what
runs is the student's code. A part that crashes, hangs past the time limit or fails its
tests costs that part only. A part's score is its points times the share of its tests
that pass.
"""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from .handout import ASSIGNMENT_FILE, reference_root
from .parts import PARTS, find_parts

DEFAULT_TIMEOUT = 300.0        # seconds per part


def assignment_parts(directory):
    """The parts a handout asks for (its assignment.json), or every part for a folder without one."""
    path = Path(directory) / ASSIGNMENT_FILE
    if not path.is_file():
        return list(PARTS)
    names = json.loads(path.read_text()).get("parts")
    if not isinstance(names, list):
        raise ValueError(f"{path}: expected a list of part names under 'parts', got {names!r}")
    return find_parts(names)


def test_outcomes(junit_xml):
    """(passed, failed, skipped) counted from pytest's JUnit XML report."""
    passed = failed = skipped = 0
    for case in ElementTree.parse(junit_xml).getroot().iter("testcase"):
        tags = {child.tag for child in case}
        if "skipped" in tags:
            skipped += 1
        elif tags & {"failure", "error"}:
            failed += 1
        else:
            passed += 1
    return passed, failed, skipped


def last_lines(text, n=5):
    """The last n lines of a subprocess's output: why it stopped."""
    return "\n".join(text.strip().split("\n")[-n:])


def run_part(part, directory, tests, timeout):
    """Run one part's tests against the handout in `directory`: a dict with its score and counts."""
    result = {"part": part.name, "points": part.points, "score": 0.0, "passed": 0, "failed": 0, "skipped": 0,
              "error": None}
    root = tests.parents[1]
    env = dict(os.environ, MINITRANS_BACKEND="numpy",
               PYTHONPATH=os.pathsep.join(filter(None, [str(directory), os.environ.get("PYTHONPATH")])))
    with tempfile.TemporaryDirectory() as temp:
        report = Path(temp) / "report.xml"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(root / "setup.cfg"),
                   "--rootdir", str(root), "-m", part.marker, f"--junitxml={report}", str(tests)]
        try:
            done = subprocess.run(command, cwd=directory, env=env, timeout=timeout, capture_output=True, text=True)
        except subprocess.TimeoutExpired:
            result["error"] = f"stopped after the time limit of {timeout:g} s"
            return result
        if not report.is_file():
            why = last_lines(done.stdout + done.stderr)
            result["error"] = f"the tests did not run (exit code {done.returncode}): {why}"
            return result
        passed, failed, skipped = test_outcomes(report)
    result.update(passed=passed, failed=failed, skipped=skipped)
    if passed + failed == 0:
        result["error"] = f"no test of {part.marker} ran"
        return result
    result["score"] = round(part.points * passed / (passed + failed), 2)
    return result


def grade(directory, part_names=None, timeout=DEFAULT_TIMEOUT, tests=None, progress=None):
    """Grade the handout (or the reference) in `directory` on the given parts (default: those of its
    assignment.json, or every part). -> {"directory", "parts": [per-part dicts], "score", "points"}.

    tests: the part tests (default: tests/test_parts.py of this minitrans's repository).
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


def format_line(result):
    """One part's line of the report: name, score, test counts, and why it got nothing, if it did."""
    line = (f"{result['part']:<30} {result['score']:>6g} / {result['points']:<4} "
            f"({result['passed']} passed, {result['failed']} failed)")
    return line + (f"  {result['error']}" if result["error"] else "")


def format_report(report):
    """The whole report as text: a line per part, then the total."""
    lines = [format_line(r) for r in report["parts"]]
    lines.append(f"{'total':<30} {report['score']:>6g} / {report['points']}")
    return "\n".join(lines)

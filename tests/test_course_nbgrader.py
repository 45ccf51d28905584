"""The assignment notebooks (notebooks/assignments/) go through nbgrader as in any nbgrader course: in a
temporary course, `generate_assignment` writes release versions with no solution and no hidden test,
and `autograde` gives the reference submission (the source notebook itself) full points. No network,
no Jupyter server: nbgrader's Python API in one subprocess, a local kernel for the autograder."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytest.importorskip("nbgrader", reason="nbgrader is not installed: pip install -e '.[course]'")

ROOT = Path(__file__).parents[1]
ASSIGNMENTS = sorted(p for p in (ROOT / "notebooks" / "assignments").iterdir() if p.is_dir())
MARKERS = {"### BEGIN SOLUTION": "### END SOLUTION", "### BEGIN HIDDEN TESTS": "### END HIDDEN TESTS"}

NBGRADER = """
import json, sys
from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from traitlets.config import Config, PyFileConfigLoader

root, student, names = sys.argv[1], sys.argv[2], sys.argv[3:]
config = PyFileConfigLoader("nbgrader_config.py", path=root).load_config()
api = NbGraderAPI(config=config)
for name in names:
    done = api.generate_assignment(name)
    assert done["success"], done.get("error")
for name in names:
    done = api.autograde(name, student)
    assert done["success"], done.get("error")
with Gradebook(api.coursedir.db_url) as gradebook:
    scores = {name: [gradebook.find_submission(name, student).score,
                     gradebook.find_submission(name, student).max_score] for name in names}
print(json.dumps(scores))
"""


def hidden_lines(notebook):
    """The code lines between nbgrader's solution and hidden-test markers of a notebook's cells."""
    lines = set()
    for cell in nbformat.read(notebook, as_version=4).cells:
        inside = None
        for line in cell.source.split("\n"):
            if inside is not None and line.strip() == inside:
                inside = None
            elif inside is not None and len(line.strip()) >= 12:
                lines.add(line.strip())
            elif line.strip() in MARKERS:
                inside = MARKERS[line.strip()]
    return lines


def test_assignments_have_graded_cells_and_solutions():
    assert {a.name for a in ASSIGNMENTS} >= {"layernorm_attention", "mlm_masking"}
    for assignment in ASSIGNMENTS:
        cells = nbformat.read(assignment / f"{assignment.name}.ipynb", as_version=4).cells
        graded = [c.metadata["nbgrader"] for c in cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert graded and all(g["points"] > 0 for g in graded)
        assert any(c.metadata.get("nbgrader", {}).get("solution") for c in cells)
        assert hidden_lines(assignment / f"{assignment.name}.ipynb")


@pytest.mark.slow
def test_nbgrader_releases_without_solutions_and_gives_the_reference_full_points(tmp_path):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.CourseDirectory.course_id = 'minitrans'\n"
        "c.ExecutePreprocessor.timeout = 600\n")
    for assignment in ASSIGNMENTS:
        shutil.copytree(assignment, course / "source" / assignment.name)
        shutil.copytree(assignment, course / "submitted" / "reference" / assignment.name)   # the reference submits
    env = {**os.environ, "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-c", NBGRADER, str(course), "reference", *[a.name for a in ASSIGNMENTS]],
                          cwd=course, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    scores = json.loads(done.stdout.strip().split("\n")[-1])
    for assignment in ASSIGNMENTS:
        score, max_score = scores[assignment.name]
        assert max_score > 0 and score == max_score, assignment.name
        release = (course / "release" / assignment.name / f"{assignment.name}.ipynb").read_text()
        released = "\n".join(c.source for c in nbformat.reads(release, as_version=4).cells)
        assert "### BEGIN" not in released and "raise NotImplementedError()" in released
        assert [line for line in hidden_lines(assignment / f"{assignment.name}.ipynb") if line in released] == []

"""The teacher's and the student's commands around grading: `course check` in a handout, `course
grade-all` into one CSV, and README's list of parts kept equal to PARTS."""
import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from minitrans.cli import main
from minitrans.course import make_assignment
from minitrans.course.cli import readme_parts

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    return make_assignment("norms", ["layernorm_backward"], tmp_path_factory.mktemp("workflow") / "norms")


def test_readme_lists_the_parts_as_the_command_prints_them(capsys):
    assert main(["course", "parts", "--readme"]) == 0
    printed = capsys.readouterr().out.strip()
    assert printed == readme_parts() and printed in (ROOT / "README.md").read_text()


def test_check_tells_the_student_what_is_missing_and_passes_the_reference(handout, capsys):
    done = subprocess.run([sys.executable, "-m", "minitrans", "course", "check", "layernorm_backward"], cwd=handout,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(handout)})
    assert done.returncode == 1 and "not written yet" in done.stdout and "hint: dx has three terms" in done.stdout
    assert main(["course", "check", "layernorm_backward"]) == 0
    assert "1 of 1 visible checks pass" in capsys.readouterr().out


def test_grade_all_writes_a_row_per_student_and_a_column_per_part(tmp_path, handout, capsys):
    submissions = tmp_path / "submissions"
    for student in ("ada", "bob"):
        shutil.copytree(handout / "minitrans", submissions / student / "minitrans")
        shutil.copy(handout / "assignment.json", submissions / student / "assignment.json")
    shutil.copy(ROOT / "minitrans" / "functional" / "norm.py", submissions / "ada" / "minitrans" / "functional")
    assert main(["course", "grade-all", str(submissions), "--out", str(tmp_path / "grades.csv")]) == 0
    rows = list(csv.reader((tmp_path / "grades.csv").open()))
    assert rows == [["student", "layernorm_backward", "total"], ["ada", "10", "10"], ["bob", "0", "0"]]
    assert "grades written to" in capsys.readouterr().out
    (submissions / "bob" / "assignment.json").write_text(json.dumps({"name": "norms", "parts": []}))
    assert main(["course", "grade-all", str(submissions), "--out", str(tmp_path / "again.csv")]) == 2
    assert "give --parts" in capsys.readouterr().err

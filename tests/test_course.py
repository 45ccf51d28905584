"""Homework (minitrans/course): every part marked and tested, handouts without the chosen parts in which
nothing of their solutions survives, and the grader's scores on the reference, on a fresh handout and on
a handout with one part filled in (and one that crashes, and one that hangs)."""
import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from minitrans import ops
from minitrans.cli import main
from minitrans.course import PARTS, find_parts, grade, make_assignment
from minitrans.course.grade import assignment_parts
from minitrans.course.handout import LeakError, copy_tree, find_leaks, handout_source
from minitrans.course.regions import package_regions, solution_statements

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "minitrans"
REGIONS = package_regions(PACKAGE)
ALL_PARTS = [part.name for part in PARTS]
# graded below: two parts with kernels that delegate (layernorm, attention) and a random objective
GRADED_PARTS = ["layernorm_backward", "attention_backward", "mlm_masking"]


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    """A handout without any of the parts: every guarantee must hold for all of them at once."""
    return make_assignment("everything", ALL_PARTS, tmp_path_factory.mktemp("course") / "everything")


def solution_lines(part_names):
    places = {place for part in find_parts(part_names) for place in part.places}
    return solution_statements(PACKAGE, [REGIONS[p] for p in places])


def function_node(path, qualname):
    nodes = ast.parse(Path(path).read_text()).body
    for name in qualname.split("."):
        node = next(n for n in nodes if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name)
        nodes = node.body
    return node


def test_every_part_is_marked_in_the_source_and_has_registered_tests():
    assert {place for part in PARTS for place in part.places} == set(REGIONS)   # no region without a part
    tests = (ROOT / "tests" / "test_parts.py").read_text()
    for part in PARTS:
        assert solution_lines([part.name]), part.name          # the scan below has something to look for
        assert f"@pytest.mark.{part.marker}\n" in tests, part.marker     # (tests/conftest.py registers it)
        for kernel in part.kernels:                            # a kernel that delegates is one of its places
            assert kernel in ops.KERNELS
            assert any(p.startswith("kernels/") and p.endswith("::" + kernel) for p in part.places)


def test_the_scan_finds_the_solutions_in_the_reference():
    found = find_leaks(PACKAGE, solution_lines(ALL_PARTS))
    for region in REGIONS.values():
        assert any(f.startswith(region.path + ":") for f in found), region.path


def test_handout_holds_the_package_without_the_parts_tests_or_caches(handout):
    assert json.loads((handout / "assignment.json").read_text()) == {"name": "everything", "parts": ALL_PARTS}
    assert assignment_parts(handout) == list(PARTS)           # what the grader grades by default
    notes = (handout / "HANDOUT.md").read_text()
    assert all(f"## {name} (10 points)" in notes for name in ALL_PARTS)
    assert not (handout / "tests").exists() and not (handout / "notebooks" / "assignments").exists()
    assert sorted(p.name for p in (handout / "notebooks").glob("*.ipynb")) == \
        sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    left = [p for p in handout.rglob("*") if p.name in (".git", "runs", "__pycache__", ".pytest_cache")
            or p.suffix in (".pyc", ".nbi", ".nbc")]
    assert not left
    markers = [p for p in (handout / "minitrans").rglob("*.py")
               if any(line.strip() in ("### BEGIN SOLUTION", "### END SOLUTION") for line in p.read_text().split("\n"))]
    assert not markers                                         # the parts left in have lost their markers too
    assert find_leaks(handout, solution_lines(ALL_PARTS)) == []


def test_removed_parts_keep_their_signature_and_docstring(handout):
    for part in PARTS:
        for place in part.places:
            path, qualname = place.split("::")
            reference, student = function_node(PACKAGE / path, qualname), function_node(handout / "minitrans" / path,
                                                                                      qualname)
            assert ast.dump(student.args) == ast.dump(reference.args)
            assert ast.get_docstring(student) == ast.get_docstring(reference)
            body = ast.unparse(student)
            if path.startswith("kernels/") and qualname in part.kernels:
                assert f"return functional.{qualname}(" in body                 # the kernel runs the student's code
            else:
                assert "raise NotImplementedError(" in body and f"part {part.name}: write" in body


HANDOUT_RUNS = """
import numpy as np, minitrans
from minitrans import functional as F, ops
from minitrans.gradcheck import assert_gradients_close, check_pair
from minitrans.models.gpt import GPT, GPTConfig
assert minitrans.__file__.startswith({root!r}), minitrans.__file__
rng = np.random.default_rng(0)
x, g = rng.standard_normal((2, 3, 4)), rng.standard_normal(4)
assert_gradients_close(check_pair(F.log_softmax_forward, F.log_softmax_backward, {{"x": x}}))   # not a part
with minitrans.use_backend("numpy"):          # (the numba backend would compile every kernel anew here)
    model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=8))
    logits, cache = model.forward(rng.integers(0, 11, size=(2, 8)))    # the forward passes are intact
out, c = F.layernorm_forward(x, np.ones(4), np.zeros(4))
for backend in ("numba", "numpy"):                  # on both, the student's layernorm_backward runs
    with minitrans.use_backend(backend):
        try:
            ops.layernorm_backward(out, c)
        except NotImplementedError as e:
            assert "part layernorm_backward" in str(e)
        else:
            raise AssertionError("the kernel still holds the solution")
print("handout runs")
"""


def test_handout_imports_and_its_other_parts_run(handout):
    done = subprocess.run([sys.executable, "-c", HANDOUT_RUNS.format(root=str(handout))], cwd=handout,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(handout)})
    assert done.returncode == 0, done.stderr
    assert "handout runs" in done.stdout


def fill_in(handout, part_name):
    """Put the reference's solution of one part back into the handout, the others left as they are."""
    removed = {place: [part] for part in PARTS if part.name != part_name for place in part.places}
    for place in find_parts([part_name])[0].places:
        path = place.split("::")[0]
        regions = [r for r in REGIONS.values() if r.path == path]
        (handout / "minitrans" / path).write_text(handout_source((PACKAGE / path).read_text(), regions, removed))


@pytest.mark.slow
def test_grades_of_a_fresh_handout_and_of_one_with_a_part_filled_in(handout, monkeypatch):
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)            # the graded code could leave bytecode
    fresh = grade(handout, GRADED_PARTS)
    assert [r["part"] for r in fresh["parts"]] == GRADED_PARTS
    assert fresh["score"] == 0 and fresh["points"] == 30
    assert all(r["failed"] > 0 and r["error"] is None for r in fresh["parts"])   # tests ran, and failed
    # grading ran the handout's functions in a folder of its own: nothing was written into the handout
    assert find_leaks(handout, solution_lines(ALL_PARTS)) == []
    assert not list(handout.rglob("*.pyc"))

    fill_in(handout, "layernorm_backward")
    crash = handout / "minitrans" / "functional" / "attention.py"
    crash.write_text(crash.read_text().replace("raise NotImplementedError('part attention_backward:",
                                               "import os; os.abort(); raise NotImplementedError('"))
    report = grade(handout, GRADED_PARTS)
    scores = {r["part"]: r for r in report["parts"]}
    assert scores["layernorm_backward"]["score"] == 10 and scores["layernorm_backward"]["failed"] == 0
    assert scores["attention_backward"]["score"] == 0 and "did not finish" in scores["attention_backward"]["error"]
    assert scores["mlm_masking"]["score"] == 0
    assert report["score"] == 10


def test_reference_scores_full_marks_through_the_command_line(tmp_path, capsys):
    assert main(["course", "grade", str(ROOT), "--parts", "mlm_masking", "--json", str(tmp_path / "g.json")]) == 0
    report = json.loads((tmp_path / "g.json").read_text())
    assert report["score"] == report["points"] == 10 and report["parts"][0]["passed"] >= 2
    assert "total" in capsys.readouterr().out


HANGING_TESTS = """
import time
import pytest

@pytest.mark.part_linear_backward
def test_hangs():
    while True:
        time.sleep(1)

@pytest.mark.part_gelu_backward
def test_passes():
    assert True
"""


@pytest.mark.slow
def test_a_part_that_hangs_costs_only_that_part(tmp_path):
    (tmp_path / "tests").mkdir()
    shutil.copy(ROOT / "setup.cfg", tmp_path / "setup.cfg")
    (tmp_path / "tests" / "test_hang.py").write_text(HANGING_TESTS)
    report = grade(ROOT, ["linear_backward", "gelu_backward"], timeout=10, tests=tmp_path / "tests" / "test_hang.py")
    hung, passed = report["parts"]
    assert hung["score"] == 0 and "time limit of 10 s" in hung["error"]
    assert passed["score"] == 10


def test_solution_lines_are_stripped_from_copied_docs_and_notebooks(tmp_path):
    source = tmp_path / "source"
    copy_tree(ROOT, source)
    shutil.copytree(ROOT / "tests", source / "tests")
    line = next(iter(solution_lines(["layernorm_backward"])))
    (source / "docs" / "notes.md").write_text(f"LayerNorm's backward:\n\n    {line}\n\nthe end\n")
    notebook = {"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                           "source": ["x = 1\n", line + "\n"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (source / "notebooks" / "notes.ipynb").write_text(json.dumps(notebook))
    out = make_assignment("norms", ["layernorm_backward"], tmp_path / "out", source=source)
    assert (out / "docs" / "notes.md").read_text() == "LayerNorm's backward:\n\n\nthe end\n"
    assert json.loads((out / "notebooks" / "notes.ipynb").read_text())["cells"][0]["source"] == ["x = 1\n"]


def test_bad_requests_are_refused_with_what_was_expected(tmp_path, capsys):
    with pytest.raises(ValueError, match="unknown part 'layernorm'; the parts are: linear_backward"):
        find_parts("layernorm")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    assert main(["course", "make-assignment", "hw", "--parts", "linear_backward", "--out", str(tmp_path / "full")]) == 2
    assert "--out must be a new or empty folder" in capsys.readouterr().err
    assert main(["course", "grade", str(tmp_path)]) == 2
    assert "expected a handout (a folder holding minitrans/)" in capsys.readouterr().err


def test_a_three_part_handout_holds_no_statement_of_them_and_no_derivation(tmp_path):
    names = ["layernorm_backward", "attention_backward", "softmax_backward"]
    out = make_assignment("three", names, tmp_path / "three")
    statements = solution_statements(PACKAGE, [REGIONS[p] for p in REGIONS if any(p in part.places
                                                                                  for part in find_parts(names))])
    assert any("rrms" in s for s in statements)                   # rmsnorm_backward gives LayerNorm's away
    assert find_leaks(out, statements) == []
    norm = (out / "minitrans" / "functional" / "norm.py").read_text()
    assert "through the mean" not in norm and "dgamma = (dout * xhat)" not in norm
    assert "in the forward pass" not in (out / "minitrans" / "functional" / "attention.py").read_text()


def test_a_statement_anywhere_even_reformatted_stops_the_handout(tmp_path):
    source = tmp_path / "source"
    copy_tree(ROOT, source)
    (source / "tools").mkdir(exist_ok=True)
    (source / "tools" / "crib.py").write_text("def crib(dout, p):\n    return p * (dout -\n"
                                               "        (dout * p).sum(axis=-1,\n keepdims=True))\n")
    with pytest.raises(LeakError, match=r"tools/crib.py:2: returnp\*\(dout-"):
        make_assignment("crib", ["softmax_backward"], tmp_path / "out", source=source)
    assert not (tmp_path / "out").exists()

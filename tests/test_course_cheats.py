"""The grader against careless and cheating submissions: each cheat sits in one part's function (or
beside the submission's files) and scores 0 on that part with a line saying why, while the honest
part graded with it keeps its full points; subtly wrong answers get partial or no credit with a
message naming the tensor or the statistic that is off."""
import shutil
from pathlib import Path

import pytest

from minitrans.course import grade, make_assignment

ROOT = Path(__file__).parents[1]
HONEST = "layernorm_backward"          # filled with the reference's answer in every submission below


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    return make_assignment("cheats", [HONEST, "attention_backward", "mlm_masking"],
                           tmp_path_factory.mktemp("cheats") / "handout")


def submission(tmp_path, handout, path, part, body):
    """A copy of the handout's minitrans/ with the honest part answered and `body` (source lines at the
    function's indent) in place of the `raise NotImplementedError` of `part` in minitrans/`path`."""
    folder = tmp_path / "submission"
    shutil.copytree(handout / "minitrans", folder / "minitrans")
    shutil.copy(ROOT / "minitrans" / "functional" / "norm.py", folder / "minitrans" / "functional" / "norm.py")
    target = folder / "minitrans" / path
    lines = target.read_text().split("\n")
    at = next(i for i, line in enumerate(lines) if "NotImplementedError(" in line and f"part {part}:" in line)
    indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
    lines[at:at + 1] = [indent + line for line in body.strip("\n").split("\n")]
    target.write_text("\n".join(lines))
    return folder


def graded(folder, part, timeout=120):
    report = grade(folder, [HONEST, part], timeout=timeout)
    honest, other = report["parts"]
    assert honest["score"] == 10 and honest["error"] is None, honest
    return other


REFERENCE_ATTENTION = (ROOT / "minitrans" / "functional" / "attention.py").read_text()
ANSWER = REFERENCE_ATTENTION.split("### BEGIN SOLUTION\n")[1].split("    ### END SOLUTION")[0]
ANSWER = "\n".join(line[4:] for line in ANSWER.split("\n"))

CHEATS = {     # name: (the body of attention_backward, what the grader's line must say)
    "exits the process": ("import os\nos._exit(0)", "did not finish"),
    "raises SystemExit": ("import sys\nsys.exit(0)", "SystemExit"),
    "loops forever": ("while True:\n    pass", "time limit of 20 s"),
    "prints megabytes": ("for _ in range(20):\n    print('x' * 2 ** 20)\nraise ValueError", "more than 4 MB"),
    "returns NaN": ("import numpy as np\nnan = lambda a: np.full(np.shape(a), np.nan)\n"
                    "return nan(cache['q']), nan(cache['k']), nan(cache['v']), None", "nan"),
    "patches numpy and the helpers": (
        "import sys, numpy as np\nimport minitrans.gradcheck as g\n"
        "np.testing.assert_allclose = g.assert_gradients_close = lambda *a, **k: None\n"
        "for m in list(sys.modules.values()):\n"
        "    if hasattr(m, 'assert_same'):\n        m.assert_same = m.assert_gradients_close = lambda *a, **k: None\n"
        "return cache['q'], cache['k'], cache['v'], None", "changed the grader's tools"),
    "imports the reference": (
        "import importlib.metadata, importlib.util, os, sys, pathlib\n"
        "found = [m for n, m in sys.modules.items() if n.startswith('reference_functional')]\n"
        "places = [pathlib.Path(p) / 'minitrans' for p in sys.path] + [pathlib.Path(os.getcwd()) / 'reference']\n"
        "try:\n    places += [pathlib.Path(f.locate()).parent for f in importlib.metadata.files('minitrans')]\n"
        "except Exception:\n    pass\n"
        "for place in places:\n    f = place / 'functional' / 'attention.py'\n"
        "    if f.is_file() and 'NotImplementedError' not in f.read_text():\n"
        "        spec = importlib.util.spec_from_file_location('teacher', f)\n"
        "        found.append(importlib.util.module_from_spec(spec))\n        spec.loader.exec_module(found[-1])\n"
        "if found:\n    return found[-1].attention_backward(dout, cache)\n"
        "raise RuntimeError('no reference found')", "no reference found"),
    "fakes the result file": (
        "import json, os, glob\nfake = json.dumps({'payload': '{}', 'signature': 'x'})\n"
        "for name in glob.glob('*.json') + glob.glob('../*.json') + ['results.json', 'report.xml']:\n"
        "    open(name, 'w').write(fake)\nos._exit(0)", "did not finish"),
}


@pytest.mark.parametrize("cheat", CHEATS)
def test_a_cheat_scores_zero_on_its_part_and_leaves_the_others(tmp_path, handout, cheat):
    body, why = CHEATS[cheat]
    folder = submission(tmp_path, handout, "functional/attention.py", "attention_backward", body)
    result = graded(folder, "attention_backward", timeout=20 if cheat == "loops forever" else 120)
    assert result["score"] == 0
    assert why in (result["error"] or "") + " ".join(result["failures"]), result


def test_the_submissions_own_pytest_files_and_tests_are_never_run(tmp_path, handout):
    folder = submission(tmp_path, handout, "functional/attention.py", "attention_backward", "raise ValueError('no')")
    passing = "import pytest\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n" \
              "    outcome = yield\n    outcome.get_result().outcome = 'passed'\n"
    for place in (folder, folder / "minitrans", folder / "tests"):
        place.mkdir(exist_ok=True)
        (place / "conftest.py").write_text(passing)
    (folder / "cheat_plugin.py").write_text(passing)
    (folder / "pytest.ini").write_text("[pytest]\naddopts = -p cheat_plugin\n")
    (folder / "tests" / "test_parts.py").write_text("def test_ok():\n    pass\n")
    result = graded(folder, "attention_backward")
    assert result["score"] == 0 and result["failed"] == 3 and "ValueError: no" in result["failures"][0]


def test_the_reference_answer_in_the_submission_scores_full_marks(tmp_path, handout):
    folder = submission(tmp_path, handout, "functional/attention.py", "attention_backward", ANSWER)
    assert graded(folder, "attention_backward")["score"] == 10


def test_layernorm_without_the_mean_term_is_told_which_tensor_is_off(tmp_path, handout):
    folder = submission(tmp_path, handout, "functional/attention.py", "attention_backward", ANSWER)
    norm = folder / "minitrans" / "functional" / "norm.py"
    norm.write_text(norm.read_text().replace("dxhat - dxhat.mean(axis=-1, keepdims=True)\n", "dxhat\n", 1))
    report = grade(folder, [HONEST])["parts"][0]
    assert report["score"] == 0 and "differences (tolerance 1e-06) of x: " in report["failures"][0] and "output 0" in report["failures"][1]
    assert "through the mean" in report["hint"]


def test_attention_that_ignores_the_mask_gets_no_credit_and_the_tensors_named(tmp_path, handout):
    unmasked = ANSWER.replace(
        "dscores = softmax_backward(dprobs, probs)",
        "from .softmax import softmax_forward\nprobs, _ = softmax_forward((q @ k.swapaxes(-1, -2)) * scale)\n"
        "dscores = softmax_backward(dprobs, probs)")
    folder = submission(tmp_path, handout, "functional/attention.py", "attention_backward", unmasked)
    result = graded(folder, "attention_backward")
    assert result["score"] < 10 and any(" of q: " in f for f in result["failures"]), result


def test_masking_90_5_5_is_told_which_share_is_off(tmp_path, handout):
    answer = (ROOT / "minitrans" / "data" / "objectives.py").read_text().split("### BEGIN SOLUTION\n")[1]
    answer = answer.split("    ### END SOLUTION")[0].replace("u < 1 - random_prob - keep_prob",
                                                                         "u < 1 - (random_prob + keep_prob) / 2") \
        .replace("u < 1 - keep_prob", "u < 1 - keep_prob / 2")               # 90/5/5
    body = "\n".join(line[4:] for line in answer.split("\n"))
    folder = submission(tmp_path, handout, "data/objectives.py", "mlm_masking", body)
    result = graded(folder, "mlm_masking")
    assert result["score"] == 5
    assert "replaced by [MASK]: expected 0.80 ± 0.02, got 0.9" in result["failures"][0]

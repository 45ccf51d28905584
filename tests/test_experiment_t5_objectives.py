"""The T5 regimes study (--quick), and T5's task scores: finetuning's MCC and F1, exact match of the answer text."""
import pytest

from experiment_checks import check_study
from minitrans.data import load_task
from minitrans.data.text_to_text import to_text
from minitrans.eval.metrics import binary_f1, matthews_corrcoef
from minitrans.experiments import run_experiment
from minitrans.experiments.t5_objectives import REGIMES, columns
from minitrans.recipes import t5


@pytest.mark.slow
def test_quick_run_scores_every_regime_on_every_task(tmp_path):
    result = run_experiment("t5-objectives", out_dir=tmp_path, quick=True, progress=False)
    saved = check_study(result, tmp_path, low=-1.0, high=1.0, rows=list(REGIMES))
    assert result.columns == columns()
    scores = saved["extra"][f"{REGIMES[0]}, seed 0"]["scores"]
    assert {"accuracy", "mcc", "exact_match", "unparsed"} <= set(scores["acceptability"])
    assert {"accuracy", "f1", "exact_match"} <= set(scores["paraphrase"])


@pytest.mark.parametrize("task, metric, function", [("acceptability", "mcc", matthews_corrcoef),
                                                     ("paraphrase", "f1", binary_f1)])
def test_evaluate_task_reports_the_finetuning_metrics(monkeypatch, task, metric, function):
    examples = load_task(task, "dev")[:12]
    answers = [to_text(task, e)[1] for e in examples]
    labels = [e["label"] for e in examples]
    answers[0] = "maybe"                        # unparsed: wrong for accuracy, label 0 for MCC and F1
    flipped = 1 - labels[1]
    answers[1] = to_text(task, {**examples[1], "label": flipped})[1]      # the wrong label
    monkeypatch.setattr(t5, "answer", lambda model, tok, sources, beam_size=None: answers)
    scores = t5.evaluate_task(None, None, task, examples)
    predictions = [0, flipped] + labels[2:]
    assert scores[metric] == pytest.approx(function(predictions, labels))
    assert scores["accuracy"] == pytest.approx(10 / 12) and scores["unparsed"] == 1
    assert scores["exact_match"] == pytest.approx(10 / 12)
    assert t5.same_text("3 . 4", "3.4") and not t5.same_text("3.2", "3.4")

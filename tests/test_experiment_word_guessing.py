"""`minitrans experiment word-guessing --quick`: the table, JSON and plot, with accuracies in [0, 1]."""
import pytest

from experiment_checks import check_study
from minitrans.data import load_probes
from minitrans.eval.probes import chance_accuracy
from minitrans.experiments import run_experiment
from minitrans.experiments.word_guessing import COLUMNS, ROWS


@pytest.mark.slow
def test_word_guessing_quick(experiments_root):
    out = experiments_root / "word-guessing"
    result = run_experiment("word-guessing", out_dir=out, quick=True, progress=False)
    check_study(result, out, low=0.0, high=1.0, rows=ROWS)
    assert result.columns == COLUMNS
    chance = chance_accuracy(load_probes()[::20])
    assert result.cells["chance"] == {c: [chance[c]] for c in COLUMNS}

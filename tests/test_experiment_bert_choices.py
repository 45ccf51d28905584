"""`minitrans experiment bert-choices --quick`: the table, JSON and plot, scores in their ranges."""
import pytest

from experiment_checks import check_study
from minitrans.experiments import run_experiment
from minitrans.experiments.bert_choices import COLUMNS, ROWS


@pytest.mark.slow
def test_bert_choices_quick(experiments_root):
    out = experiments_root / "bert-choices"
    result = run_experiment("bert-choices", out_dir=out, quick=True, seeds=[0], progress=False)
    check_study(result, out, low=-1.0, high=1.0, rows=ROWS)         # MCC and Pearson can be negative
    assert result.columns == COLUMNS
    for row in ROWS:
        assert all(0.0 <= v <= 1.0 for v in result.cells[row]["probes all"])
    made = {p.name for p in (experiments_root / "pretrained").iterdir()}
    assert {"bert-quick", "bert-mask-only-quick", "bert-no-nsp-quick"} <= made

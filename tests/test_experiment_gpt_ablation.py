"""gpt-ablation --quick: every row (GPT with and without pretraining or aux LM, LSTM, ELMo) on every task."""
import pytest

from experiment_checks import check_study
from minitrans.experiments import run_experiment
from minitrans.experiments.gpt_ablation import COLUMNS, ROWS


@pytest.mark.slow
def test_gpt_ablation_quick(tmp_path):
    out = tmp_path / "gpt-ablation"
    result = run_experiment("gpt-ablation", out_dir=str(out), quick=True, progress=False)
    saved = check_study(result, out, low=-1.0, high=1.0, rows=list(ROWS))
    assert result.columns == COLUMNS and saved["extra"]["size"]["n_train"] == 16
    for row in ROWS:                           # the average column is the mean of the five tasks
        assert abs(result.mean(row, "average") - sum(result.mean(row, c) for c in COLUMNS[:-1]) / 5) < 1e-9
    assert (tmp_path / "pretrained" / "lstm-backward-quick" / "checkpoint.safetensors").exists()

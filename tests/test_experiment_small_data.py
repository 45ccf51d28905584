"""small-data --quick: pretrained vs scratch accuracies at two labelled-set sizes, and the epochs rule."""
from experiment_checks import check_study
from minitrans.experiments import run_experiment
from minitrans.experiments.small_data import ROWS, epochs_for


def test_small_data_quick(tmp_path):
    out = tmp_path / "small-data"
    result = run_experiment("small-data", out_dir=str(out), quick=True, progress=False)
    check_study(result, out, low=0.0, high=1.0, rows=list(ROWS))
    assert result.columns == ["n=4", "n=16"]


def test_every_size_gets_at_least_150_steps_in_whole_epochs():
    assert [epochs_for(n) for n in (10, 30, 100, 300, 1000)] == [150, 75, 22, 8, 3]
    for n in (10, 30, 100, 300, 1000):
        batches = -(-n // 16)
        assert epochs_for(n) * batches >= 150 > (epochs_for(n) - 1) * batches

"""small-data --quick: pretrained vs scratch accuracies at two labelled-set sizes, and the epochs rule."""
from experiment_checks import check_study
from minitrans.experiments import run_experiment
from minitrans.experiments.small_data import MAX_STEPS, ROWS, epochs_for


def test_small_data_quick(tmp_path):
    out = tmp_path / "small-data"
    result = run_experiment("small-data", out_dir=str(out), quick=True, progress=False)
    check_study(result, out, low=0.0, high=1.0, rows=list(ROWS))
    assert result.columns == ["n=4", "n=16"]


def test_epochs_give_enough_steps_but_not_too_many():
    assert [epochs_for(n) for n in (10, 30, 100, 300, 1000, 2000)] == [30, 15, 5, 3, 1, 1]
    for n in (10, 30, 100, 300, 1000):
        assert 30 <= epochs_for(n) * -(-n // 16) <= MAX_STEPS

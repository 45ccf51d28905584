"""small-data --quick: pretrained vs scratch accuracies at two labelled-set sizes, and the epochs rule."""
import pytest

from experiment_checks import check_study
from minitrans.data import load_task
from minitrans.experiments import run_experiment
from minitrans.experiments.small_data import ROWS, epochs_for
from minitrans.recipes.finetune import sample_balanced


@pytest.mark.slow
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


def test_each_seed_draws_its_own_balanced_labelled_set():
    train = load_task("sentiment", "train")
    draws = [sample_balanced(train, 30, seed) for seed in (0, 1)]
    for draw in draws:
        assert len(draw) == 30 and sum(e["label"] for e in draw) == 15
        assert all(e in train for e in draw)
        assert len({e["text"] for e in draw}) == 30         # no example twice
    assert draws[0] != draws[1]
    assert sample_balanced(train, 30, 0) == draws[0]        # the same seed, the same set
    assert sum(e["label"] for e in sample_balanced(train, 7, 3)) in (3, 4)


def test_a_balanced_sample_larger_than_a_label_allows_is_refused():
    examples = [{"label": 0}] * 5 + [{"label": 1}] * 2
    with pytest.raises(ValueError, match="at least 3 examples of each label"):
        sample_balanced(examples, 6, 0)

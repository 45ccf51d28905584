"""The representations study (--quick) and its tools: neighbours, the best single unit, a linear probe."""
import numpy as np
import pytest

from experiment_checks import check_study
from minitrans.eval.representations import (best_threshold_accuracies, nearest_neighbours, neighbour_precision,
                                            sentiment_unit, train_linear_probe, unit_accuracy)
from minitrans.experiments import run_experiment


@pytest.mark.slow
def test_quick_run_fills_both_rows(tmp_path):
    out = tmp_path / "representations"
    result = run_experiment("representations", out_dir=out, quick=True, progress=False)
    saved = check_study(result, out, low=0.0, high=1.0, rows=["random init", "pretrained"])
    unit = saved["extra"]["pretrained"]["sentiment unit"]
    assert 0 <= unit["unit"] < 128 and unit["sign"] in (-1, 1)


def test_nearest_neighbours_and_precision():
    vectors = {"a": np.array([1.0, 0.0]), "b": np.array([0.9, 0.1]), "c": np.array([0.0, 1.0]),
               "d": np.array([0.1, 0.9])}
    (first, cos), (second, _) = nearest_neighbours(vectors, "a", k=2)
    assert first == "b" and cos == pytest.approx(0.9 / np.sqrt(0.82)) and second == "d"
    assert neighbour_precision(vectors, {"a": 0, "b": 0, "c": 1, "d": 1}, k=1) == 1.0
    assert neighbour_precision(vectors, {"a": 0, "b": 1, "c": 0, "d": 1}, k=1) == 0.0
    with pytest.raises(ValueError, match="word 'z' has no vector"):
        nearest_neighbours(vectors, "z")


def brute_force_best(values, labels):
    """The best accuracy of 'label 1 iff sign * (value - t) > 0' over every midpoint threshold."""
    points = np.sort(np.unique(values))
    thresholds = np.concatenate([[points[0] - 1], (points[:-1] + points[1:]) / 2, [points[-1] + 1]])
    return max(np.mean((s * (values - t) > 0) == labels) for t in thresholds for s in (1, -1))


def test_best_threshold_per_unit_equals_brute_force():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 60)
    features = rng.standard_normal((60, 5))
    features[:, 3] += 1.5 * labels              # unit 3 tracks the label (positive side up)
    features[:, 1] -= 1.0 * labels              # unit 1 too, negatively
    acc, threshold, sign = best_threshold_accuracies(features, labels)
    for u in range(5):
        assert acc[u] == pytest.approx(brute_force_best(features[:, u], labels))
        assert unit_accuracy(features, labels, u, threshold[u], sign[u]) == pytest.approx(acc[u])
    unit, _, unit_sign, _ = sentiment_unit(features, labels)
    assert (unit, unit_sign) == (3, 1)


def test_linear_probe_learns_a_linearly_separable_task():
    rng = np.random.default_rng(1)
    direction = rng.standard_normal(16)
    x = rng.standard_normal((400, 16)) * 3.0 + 5.0
    y = ((x - 5.0) @ direction > 0).astype(np.int64)
    probe = train_linear_probe(x[:300], y[:300])
    assert probe.accuracy(x[:300], y[:300]) >= 0.97 and probe.accuracy(x[300:], y[300:]) >= 0.93
    with pytest.raises(ValueError, match="need features"):
        train_linear_probe(x, y[:10])

"""Evaluation metrics: hand-worked values, edge cases and bad input."""
import numpy as np
import pytest

from minitrans.eval.metrics import (accuracy, average_ranks, binary_f1, bio_entities, entity_f1, entity_scores,
                                    exact_match, matthews_corrcoef, normalize_answer, pearson, spearman, token_f1)


def test_classification_metrics_by_hand():
    pred = [1, 1, 0, 0, 1, 0]
    gold = [1, 0, 0, 1, 1, 0]       # tp 2, fp 1, fn 1, tn 2
    assert accuracy(pred, gold) == 4 / 6
    assert binary_f1(pred, gold) == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert binary_f1(pred, gold, positive=0) == pytest.approx(2 / 3)
    assert matthews_corrcoef(pred, gold) == pytest.approx((2 * 2 - 1 * 1) / np.sqrt(3 * 3 * 3 * 3))
    assert matthews_corrcoef(gold, gold) == pytest.approx(1.0)
    assert matthews_corrcoef([1 - g for g in gold], gold) == pytest.approx(-1.0)
    assert matthews_corrcoef([1] * 6, gold) == 0.0           # a constant prediction: 0 by convention
    assert binary_f1([0, 0], [1, 1]) == 0.0


def test_correlations():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(50), rng.standard_normal(50)
    assert pearson(x, 2 * x + 1) == pytest.approx(1.0)
    assert pearson(x, y) == pytest.approx(np.corrcoef(x, y)[0, 1], abs=1e-12)
    assert spearman(x, np.exp(x)) == pytest.approx(1.0)       # any increasing map: rank correlation 1
    assert average_ranks([10, 20, 20, 5]).tolist() == [2.0, 3.5, 3.5, 1.0]
    # spearman with ties: Pearson of the ranks [1, 2.5, 2.5, 4] and [1, 2, 3, 4]
    r1, r2 = np.array([1, 2.5, 2.5, 4]), np.array([1, 2, 3, 4.0])
    assert spearman([1, 2, 2, 3], [1, 2, 3, 4]) == pytest.approx(np.corrcoef(r1, r2)[0, 1])
    assert np.isnan(pearson([1, 1, 1], [1, 2, 3]))            # undefined for a constant input


def test_bio_entities_and_entity_f1():
    tags = ["B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-LOC", "B-ORG", "I-PER"]
    assert bio_entities(tags) == {("PER", 0, 2), ("LOC", 3, 5), ("LOC", 5, 6), ("ORG", 6, 7), ("PER", 7, 8)}
    true = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "O"]]      # PER boundary wrong: 2 of 3 right
    scores = entity_scores(true, pred)
    assert scores == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3})
    assert entity_f1(true[0], true[0]) == 1.0                  # a single flat sentence works too
    assert entity_f1([["B-PER"]], [["B-LOC"]]) == 0.0           # the type must match
    with pytest.raises(ValueError, match="'B-TYPE'"):
        bio_entities(["PER"])
    with pytest.raises(ValueError, match="sentence 0: 2 true tags but 1"):
        entity_f1([["O", "O"]], [["O"]])


def test_squad_exact_match_and_token_f1():
    assert normalize_answer("The  Eiffel Tower!") == "eiffel tower"
    assert exact_match("the Eiffel tower.", ["Eiffel Tower", "Paris"]) == 1.0
    assert exact_match("Eiffel", "Eiffel Tower") == 0.0
    # prediction "eiffel tower in paris" vs gold "eiffel tower": precision 2/4, recall 1 -> 2/3
    assert token_f1("Eiffel tower in Paris", "the Eiffel Tower") == pytest.approx(2 / 3)
    assert token_f1("Paris", ["Eiffel Tower", "in Paris"]) == pytest.approx(2 / 3)   # best gold answer
    assert token_f1("", "") == 1.0 and token_f1("a", "Paris") == 0.0
    assert exact_match([3, 4], [3, 4]) == 1.0 and token_f1([3, 4, 5], [[4, 5], [9]]) == pytest.approx(0.8)


def test_metric_errors():
    with pytest.raises(ValueError, match="same length"):
        accuracy([1, 0], [1])
    with pytest.raises(ValueError, match="empty"):
        pearson([], [])
    with pytest.raises(ValueError, match="binary 0/1"):
        matthews_corrcoef([0, 2], [0, 1])
    with pytest.raises(TypeError, match="gold answers"):
        exact_match("x", 3)

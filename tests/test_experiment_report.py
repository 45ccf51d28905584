"""StudyResult's 'shown' standard: the worst seed of the better row above the best seed of the other."""
import pytest

from minitrans.experiments.report import StudyResult


def result_with(a, b):
    result = StudyResult("demo", "demo", ["average"], [0, 1, 2], "minitrans experiment demo")
    for value in a:
        result.add("A", "average", value)
    for value in b:
        result.add("B", "average", value)
    return result


def test_a_claim_is_shown_only_without_overlap():
    assert result_with([0.50, 0.55, 0.49], [0.37, 0.33, 0.37]).beats("A", "B", "average")
    overlapping = result_with([0.50, 0.60, 0.70], [0.30, 0.40, 0.55])      # higher mean, one seed overlaps
    assert not overlapping.beats("A", "B", "average")
    assert overlapping.verdict("A", "B", "average") == \
        "A > B on average: not shown (worst seed 0.50 vs best seed 0.55)"
    assert result_with([0.5], [0.4]).verdict("A", "B", "average").endswith(": shown (worst seed 0.50 vs best seed 0.40)")


def test_a_missing_row_is_a_clear_error():
    with pytest.raises(ValueError, match="no values for 'A' or 'C'"):
        result_with([0.5], [0.4]).beats("A", "C", "average")

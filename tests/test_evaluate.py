"""Tie-aware ranking figures on hand-checkable cases."""

import pandas as pd
import pytest

from pipeline.evaluate_ranking import _auc, expected_found


def test_expected_found_without_ties_counts_places_once():
    scores = pd.Series([9.0, 8.0, 7.0, 6.0, 5.0])
    places = pd.Series(["A", None, "A", "B", None])
    assert expected_found(scores, places, 2, [1, 2, 3, 4, 5]) == {1: 1.0, 2: 1.0, 3: 1.0, 4: 2.0, 5: 2.0}


def test_expected_found_in_a_tie_is_the_hypergeometric_expectation():
    # four premises tied, one planted: drawing 1 of 4 finds it with probability 1/4
    scores = pd.Series([1.0, 1.0, 1.0, 1.0])
    places = pd.Series(["A", None, None, None])
    got = expected_found(scores, places, 1, [1, 2, 4])
    assert got[1] == pytest.approx(0.25) and got[2] == pytest.approx(0.5) and got[4] == pytest.approx(1.0)
    # a place with two premises in a tie of four: P(found in 1 draw) = 1/2, in 2 draws = 1 − (2·1)/(4·3)
    places2 = pd.Series(["A", "A", None, None])
    got2 = expected_found(scores, places2, 1, [1, 2])
    assert got2[1] == pytest.approx(0.5) and got2[2] == pytest.approx(1 - 2 / 12)


def test_unlisted_premises_are_never_visited():
    scores = pd.Series([2.0, None])
    places = pd.Series([None, "A"])
    assert expected_found(scores, places, 1, [1, 2]) == {1: 0.0, 2: 0.0}


def test_auc_counts_ties_half():
    import numpy as np
    assert _auc(np.array([3.0, 1.0, 1.0]), np.array([True, False, False])) == 1.0
    assert _auc(np.array([1.0, 1.0]), np.array([True, False])) == 0.5

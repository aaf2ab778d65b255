"""Numbers as a person would say them (``simulation.analysis.headlines``): rounded, words and
signs that agree, intervals in order, chances over the runs behind them, no "nan"."""

from __future__ import annotations

import pytest

from simulation.analysis.headlines import chance_words, change_words, money


@pytest.mark.parametrize("mean, low, high, said", [
    (-189, -200, -178, "about 190 fewer (between 180 and 200 fewer)"),
    (-8, -12, -4, "about 8 fewer (between 4 and 12 fewer)"),
    (12, -5, 28, "about 12 more (between 5 fewer and 28 more: the model cannot tell this from no change)"),
    (-0.3, -0.6, 0.1, "about 0.3 fewer (between 0.6 fewer and 0.1 more: the model cannot tell this from no change)"),
    (0.0, 0.0, 0.0, "no change (the same in every simulated future)"),
    (-1e-13, -2e-13, 1e-13, "no measurable change"),
    (1234, 1500, 1000, "about 1,200 more (between 1,000 and 1,500 more)"),
])
def test_changes_are_said_with_words_that_match_their_signs(mean, low, high, said):
    assert change_words(mean, low, high) == said


def test_never_zero_fewer_between_minus_zero_and_plus_zero():
    for mean, low, high in ((-0.2, -0.4, 0.3), (0.01, -0.3, 0.4), (-0.001, -0.002, 0.0)):
        text = change_words(mean, low, high)
        assert "-0" not in text and "+0" not in text and "about 0 " not in text, text
    assert "percentage points lower" in change_words(-1.2, -2.0, -0.4, "percentage points")


def test_chances_are_said_over_the_runs_behind_them():
    assert chance_words(1.0, 50) == "in 50 of 50 simulated futures"
    assert chance_words(0.7, 10) == "in 7 of 10 simulated futures"
    assert chance_words(0.56, 200) == "in about 56 of every 100 simulated futures (112 of 200)"
    assert "nan" not in chance_words(float("nan"), 0)


def test_money_has_a_minus_sign_that_does_not_break_and_no_noise():
    assert money(-540_000) == "\u2212£0.54m"
    assert money(41_319) == "£41,000" and money(1.3) == "£0" and money(-10) == "£0"
    assert money(float("nan")) == "n/a"
    assert change_words(-1.3, -1.6, -1.0) == "about 1.3 fewer (between 1.0 and 1.6 fewer)"

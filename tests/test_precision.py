"""How many replications: the confidence-interval arithmetic against hand-worked numbers."""

import math

import numpy as np
import pytest

from simulation.analysis import precision

# Hand-worked example: values 10, 12, 14, 16, 18.
#   n = 5, mean = 14, s^2 = (16 + 4 + 0 + 4 + 16) / 4 = 10, s = 3.16228
#   t(4, 0.975) = 2.776445 (tables), half-width = 2.776445 * 3.16228 / sqrt(5) = 3.92649
#   relative half-width = 3.92649 / 14 = 0.280463
# For +/-10% of the mean the half-width must be <= 1.4, i.e. sqrt(n) / t(n-1) >= 3.16228 / 1.4
# = 2.258771:  n = 22: 4.690416 / 2.079614 = 2.255422 (not enough)
#              n = 23: 4.795832 / 2.073873 = 2.312490 (enough)   -> 23 replications.
# The normal approximation (1.96 * 3.16228 / 1.4)^2 = 19.6 would say 20: too few.
PILOT = [10, 12, 14, 16, 18]


@pytest.mark.unit
def test_pilot_precision_matches_hand_worked_numbers():
    """Mean, s, t half-width and relative half-width of a 5-replication pilot."""
    est = precision.estimate(PILOT, 0.10)
    for name, expected, observed in (("mean", 14.0, est.mean), ("std", 3.16228, est.std),
                                     ("halfwidth", 3.92649, est.halfwidth),
                                     ("relative", 0.280463, est.relative_halfwidth)):
        assert observed == pytest.approx(expected, abs=1e-5), \
            f"{name}: expected {expected}, observed {observed}"


@pytest.mark.unit
def test_required_replications_uses_t_not_the_normal_approximation():
    """+/-10% needs 23 replications (22 give 2.2554 < 2.2588); the z formula's 20 is too few."""
    est = precision.estimate(PILOT, 0.10)
    assert est.required == 23, f"expected 23 replications, observed {est.required}"


@pytest.mark.unit
def test_required_replications_edge_cases():
    """No spread needs the minimum of 2; a zero mean has no relative precision (infinite)."""
    assert precision.required_replications(0.0, 5.0, 0.02) == 2, "zero spread: 2 replications"
    assert math.isinf(precision.required_replications(1.0, 0.0, 0.02)), "zero mean: infinite"
    # s = 1, mean = 100, +/-50%: t(1)/sqrt(2) * 1 = 8.98 > 50 is false -> 2 are enough.
    assert precision.required_replications(1.0, 100.0, 0.5) == 2, "easy target: 2 replications"
    with pytest.raises(ValueError, match="precision"):
        precision.required_replications(1.0, 1.0, 0.0)


@pytest.mark.unit
def test_paired_difference_matches_hand_worked_numbers():
    """Common random numbers: the difference of a correlated pair varies far less.

    base 10, 12, 14, 16, 18 and alt 11, 13.5, 15, 17.5, 19 give differences 1, 1.5, 1, 1.5, 1:
    mean 1.2, s^2 = (3 * 0.04 + 2 * 0.09) / 4 = 0.075, s = 0.273861; +/-10% of 1.2 needs
    sqrt(n)/t(n-1) >= 0.273861 / 0.12 = 2.282177 -> 23 paired replications (as above).
    Independent runs: s^2 = 10 + 10.075 (alt: squares 17.64, 2.89, 0.04, 5.29, 14.44 over 4),
    s = 4.480513, needs sqrt(n)/t(n-1) >= 37.33761; with t ~ 1.96039, n >= 5357.7 -> 5358.
    """
    paired = precision.estimate_paired(PILOT, [11, 13.5, 15, 17.5, 19], 0.10)
    diff = paired.difference
    assert diff.mean == pytest.approx(1.2) and diff.std == pytest.approx(0.273861, abs=1e-6), \
        f"difference mean 1.2 and s 0.273861 expected, observed {diff.mean}, {diff.std}"
    assert diff.required == 23, f"paired: expected 23, observed {diff.required}"
    assert paired.required_independent == 5358, \
        f"independent: expected 5358, observed {paired.required_independent}"
    assert paired.correlation > 0.99, f"correlation of the pair: {paired.correlation}"


@pytest.mark.unit
def test_missing_values_are_left_out():
    """A NaN replication (no denominator that year) is dropped, pairs on both sides."""
    est = precision.estimate(PILOT + [np.nan], 0.10)
    assert est.n == 5, f"expected 5 values counted, observed {est.n}"
    paired = precision.estimate_paired(PILOT + [1.0], [11, 13.5, 15, 17.5, 19, np.nan], 0.10)
    assert paired.difference.n == 5, f"expected 5 pairs, observed {paired.difference.n}"
    with pytest.raises(ValueError, match="at least 2"):
        precision.estimate([1.0, np.nan], 0.1)

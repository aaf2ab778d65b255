"""How many replications: the confidence-interval method, for one KPI or a paired difference.

Pure functions of arrays; no simulation, no files (the ``cssim replications`` command runs the
pilot and calls these).

Covers
------
- ``estimate(values, precision)``: from a pilot of n replications, the mean, standard deviation,
  95% t half-width and relative half-width, and the number of replications whose expected
  relative half-width is at most ``precision``.
- ``estimate_paired(base, alt, precision)``: the same for the per-replication difference
  ``alt - base`` (common random numbers: replication r of both scenarios uses the same seeds, so
  the difference varies less than either), and, for comparison, the replications two
  independent runs would need for the same half-width.

Method
------
The confidence-interval method of Hoad, Robinson & Davies (2010, "Automated selection of the
number of replications for a discrete-event simulation", JORS 61(11)): the relative half-width
after n replications is ``d_n = t(n-1, 0.975) * s / (sqrt(n) * |mean|)``; the number needed for a
target precision p is the smallest n with ``t(n-1, 0.975) * s / sqrt(n) <= p * |mean|``, with the
pilot's s and mean standing in for the true values. Because t depends on n, n is found by search,
not by the normal-approximation formula ``(1.96 s / (p mean))^2``, which is too small for small n.

Assumptions
-----------
- Replications are independent and identically distributed; the pilot's mean and spread are
  good enough estimates (Hoad et al. recommend at least about 10 pilot replications and then
  checking the precision actually reached, which the command reports).
- Missing values (NaN, e.g. a percentage with no denominator) are left out.
- A mean (or mean difference) of zero has no relative precision: the required number is reported
  as infinite, and the absolute half-width should be read instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
#: Search limit: beyond this the answer is "more than MAX_REPLICATIONS".
MAX_REPLICATIONS = 1_000_000


@dataclass(frozen=True)
class PrecisionEstimate:
    """What a pilot says about precision (``required`` may be ``math.inf``)."""

    n: int
    mean: float
    std: float
    halfwidth: float
    relative_halfwidth: float
    precision: float
    required: float


def t_critical(n: int, confidence: float = CONFIDENCE) -> float:
    """Two-sided Student t critical value with n - 1 degrees of freedom (n >= 2)."""
    return float(stats.t.ppf(0.5 + confidence / 2, n - 1))


def halfwidth(std: float, n: int, confidence: float = CONFIDENCE) -> float:
    """Half-width of the t-interval on a mean of n replications with standard deviation ``std``."""
    return t_critical(n, confidence) * std / math.sqrt(n)


def required_replications(std: float, mean: float, precision: float,
                          confidence: float = CONFIDENCE) -> float:
    """Smallest n >= 2 with ``t(n-1) * std / sqrt(n) <= precision * |mean|``.

    Parameters
    ----------
    std, mean : float
        Standard deviation and mean of the quantity (from a pilot).
    precision : float
        Target relative half-width, e.g. 0.02 for +/-2% of the mean.
    confidence : float
        Confidence level of the interval (0.95).

    Returns
    -------
    float
        The number of replications (a whole number), 2 when ``std`` is 0, ``math.inf`` when the
        mean is 0 or more than ``MAX_REPLICATIONS`` would be needed.
    """
    if not precision > 0:
        raise ValueError(f"precision must be positive, got {precision!r}")
    target = precision * abs(mean)
    if std == 0:
        return 2.0
    if target == 0 or not math.isfinite(target):
        return math.inf

    def enough(n: int) -> bool:
        return halfwidth(std, n, confidence) <= target

    # The normal approximation is a lower bound (t > z); double up to a bracket, then bisect.
    z = stats.norm.ppf(0.5 + confidence / 2)
    low = max(2, math.floor((z * std / target) ** 2))
    if enough(low):
        while low > 2 and enough(low - 1):  # only when the bound was not tight (tiny n)
            low -= 1
        return float(low)
    high = low * 2
    while not enough(high):
        if high > MAX_REPLICATIONS:
            return math.inf
        low, high = high, high * 2
    while high - low > 1:  # invariant: not enough(low), enough(high)
        middle = (low + high) // 2
        low, high = (low, middle) if enough(middle) else (middle, high)
    return float(high)


def _clean(values) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return array[~np.isnan(array)]


def estimate(values, precision: float, confidence: float = CONFIDENCE) -> PrecisionEstimate:
    """Precision reached by a pilot and replications needed for ``precision`` (see module)."""
    sample = _clean(values)
    if len(sample) < 2:
        raise ValueError(f"a pilot needs at least 2 replications with a value, got {len(sample)}")
    n, mean, std = len(sample), float(sample.mean()), float(sample.std(ddof=1))
    half = halfwidth(std, n, confidence)
    relative = half / abs(mean) if mean != 0 else math.inf
    return PrecisionEstimate(n, mean, std, half, relative, precision,
                             required_replications(std, mean, precision, confidence))


@dataclass(frozen=True)
class PairedEstimate:
    """A paired difference (alt - base) and what independent runs would need instead."""

    difference: PrecisionEstimate
    base_mean: float
    alt_mean: float
    correlation: float
    required_independent: float


def estimate_paired(base, alt, precision: float,
                    confidence: float = CONFIDENCE) -> PairedEstimate:
    """Replications for a paired difference ``alt - base`` to reach ``precision`` of its mean.

    ``base[i]`` and ``alt[i]`` must be the same replication number (same seeds). Pairs with a
    missing value on either side are dropped. ``required_independent`` is the number each of two
    independent runs would need for the same half-width, from the variance of a difference of
    independent means (``s_base^2 + s_alt^2`` in place of ``s_diff^2``): the gain from common
    random numbers is the ratio of the two.
    """
    base, alt = np.asarray(base, dtype=float), np.asarray(alt, dtype=float)
    if base.shape != alt.shape:
        raise ValueError(f"paired values need equal lengths, got {base.shape} and {alt.shape}")
    keep = ~(np.isnan(base) | np.isnan(alt))
    base, alt = base[keep], alt[keep]
    difference = estimate(alt - base, precision, confidence)
    spread = math.sqrt(base.var(ddof=1) + alt.var(ddof=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        correlation = float(np.corrcoef(base, alt)[0, 1]) if base.std() and alt.std() else math.nan
    return PairedEstimate(difference, float(base.mean()), float(alt.mean()), correlation,
                          required_replications(spread, difference.mean, precision, confidence))


__all__ = ["PairedEstimate", "PrecisionEstimate", "estimate", "estimate_paired", "halfwidth",
           "required_replications", "t_critical"]

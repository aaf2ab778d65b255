"""Samplers that turn one uniform into a draw, so every draw is one slot of a child's block.

Inverse-CDF sampling keeps common random numbers exact: the same uniform gives the same child the
same assessment length or plan ending in every scenario, whatever else changes.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Callable

from simulation.scenario.vocabulary import AGE_BAND_BOUNDS

try:
    # What ``NormalDist().inv_cdf(p)`` returns once it has checked p and sigma, without its
    # Python frame (about 17,500 lognormal draws a replication): in CPython the C function of
    # ``_statistics``. ``lognormal`` keeps p inside (0, 1) and sigma is 1, so the checks never fail.
    from statistics import _normal_dist_inv_cdf
except ImportError:  # a Python without it: the public method, the same numbers
    def _normal_dist_inv_cdf(p: float, mu: float, sigma: float) -> float:
        return NormalDist(mu, sigma).inv_cdf(p)


def age_band(age_years: float) -> str:
    """The age band (``0-4``, ``5-9``, ``10-15``, ``16-17``) of an age in years."""
    for band, (low, high) in AGE_BAND_BOUNDS.items():
        if low <= age_years < high:
            return band
    return "16-17" if age_years >= 16 else "0-4"


def lognormal(median: float, sigma: float, uniform: float) -> float:
    """Inverse-CDF lognormal draw from one uniform (so a draw is one slot of a child's block)."""
    # ``min(max(uniform, 1e-12), 1 - 1e-12)`` written as comparisons (the same value: ``max(a, b)``
    # is b only when b > a): in Python 3.11 a call of the builtin min or max packs its arguments
    # into a tuple and iterates over it, about 60 ns, more than the rest of this function.
    if 1e-12 > uniform:
        uniform = 1e-12
    if 1 - 1e-12 < uniform:
        uniform = 1 - 1e-12
    return median * math.exp(sigma * _normal_dist_inv_cdf(uniform, 0.0, 1.0))


def exponential(mean: float, uniform: float) -> float:
    """Inverse-CDF exponential draw."""
    return -mean * math.log1p(-uniform)


def cumulative(table: dict[str, float]) -> list[tuple[str, float]]:
    """A probability table as (key, cumulative probability) pairs, for inverse-CDF choice.

    Keys are taken in sorted order, not file order, so a scenario that restates a table with its
    keys in another order gives the same children the same outcomes.
    """
    total, pairs = 0.0, []
    for key in sorted(table):
        total += table[key]
        pairs.append((key, total))
    return pairs


def choose(pairs: list[tuple[str, float]], uniform: float) -> str:
    """Pick a key from cumulative pairs with one uniform."""
    for key, upper in pairs:
        if uniform < upper:
            return key
    return pairs[-1][0]


def age_from_uniform(uniform: float, band_probabilities: dict[str, float]) -> float:
    """An age in years from one uniform: the band by inverse CDF, the age within it uniformly.

    Bands are taken youngest first whatever the order in the file; the position of the uniform
    inside its band's slice is itself uniform, so one draw gives both.
    """
    lower = 0.0
    bands = [band for band in AGE_BAND_BOUNDS if band_probabilities.get(band, 0.0) > 0]
    for band in bands:
        probability = band_probabilities[band]
        if uniform < lower + probability:
            low, high = AGE_BAND_BOUNDS[band]
            return low + (uniform - lower) / probability * (high - low)
        lower += probability
    low, high = AGE_BAND_BOUNDS[bands[-1]]
    return high - 1e-6


def age_sampler(band_probabilities: dict[str, float]) -> Callable[[float], float]:
    """``age_from_uniform`` with the band table prepared once, for use on the hot path.

    Gives exactly the same age as ``age_from_uniform(uniform, band_probabilities)`` for every
    uniform (the same additions in the same order), without rebuilding the band list per child.
    """
    bands = [band for band in AGE_BAND_BOUNDS if band_probabilities.get(band, 0.0) > 0]
    steps, lower = [], 0.0
    for band in bands:
        probability = band_probabilities[band]
        low, high = AGE_BAND_BOUNDS[band]
        steps.append((lower + probability, lower, probability, low, high - low))
        lower += probability
    oldest = AGE_BAND_BOUNDS[bands[-1]][1] - 1e-6

    def sample(uniform: float) -> float:
        for upper, band_lower, probability, low, width in steps:
            if uniform < upper:
                return low + (uniform - band_lower) / probability * width
        return oldest

    return sample

"""Levers in the engine: a scenario's multiplier paths applied to arrivals, probabilities and capacity.

The paths themselves (``LeverSchedule``: one per target parameter, from the scenario's
``[interventions]`` items) are ``simulation.scenario.lever_schedule``. Every use is O(1) in the
run length.

How a target is applied (``simulation.scenario.interventions.LEVER_TARGETS`` says which kind)
---------------------------------------------------------------------------------------------
* ``arrival_rate`` (``lever_arrivals``): the baseline's arrivals are drawn as usual; each is kept
  with probability ``min(m(t), 1)`` using a uniform from a stream of its own (for referrals,
  one minus the child's need: the threshold keeps the referrals of highest need), and when
  ``m(t) > 1`` extra arrivals come from a separate stream (rate ``(max m - 1) x rate``, thinned to
  ``m(t) - 1``). Kept children keep their index, hence their id and their own draws: a scenario
  that refers fewer children refers a subset of the baseline's children (common random numbers).
* ``probability`` (``Probability``-valued parameters): the model compares the child's own uniform
  with ``min(p x m(now), 1)`` at the time of use, via ``schedule.function(target)``.
* ``capacity`` (``capacity_steps``): a simpy process changes the number of places at the path's
  change days; ``places_at`` rounds, and the spend derived from capacity uses the same steps.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from simulation.scenario.lever_schedule import LeverSchedule, places_at

#: Index offset of extra arrivals (multiplier > 1) so their ids never meet the baseline's.
EXTRA_ARRIVAL_INDEX_OFFSET = 5_000_000
#: Streams of each arrival-rate target: (thinning uniforms, extra arrivals).
ARRIVAL_STREAMS: dict[str, tuple[str, str]] = {
    "referrals.external_rate_per_year": ("referral.lever_thinning", "referral.lever_extra_arrivals"),
    "early_help.partner_requests_per_year": ("early_help.lever_thinning",
                                             "early_help.lever_extra_arrivals"),
}


def capacity_steps(env, schedule: LeverSchedule, target: str, base_places: float,
                   resize: Callable[[int], None]):
    """A simpy process: resize a pool of places at each change of the target's path."""
    for day, multiplier in schedule.steps(target):
        if day > env.now:
            yield env.timeout(day - env.now)
        resize(places_at(base_places, multiplier))


def lever_arrivals(streams, target: str, schedule: LeverSchedule, base_days: np.ndarray,
                   rate_per_year: float, draw_arrivals: Callable,
                   thinning_uniforms: Callable[[np.ndarray], np.ndarray] | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Arrival days and indices after applying the target's multiplier path.

    Parameters
    ----------
    streams : Streams
        The replication's streams (the two of ``ARRIVAL_STREAMS[target]`` are used).
    target : str
        An ``arrival_rate`` lever target.
    schedule : LeverSchedule
        The scenario's schedule.
    base_days : ndarray
        The baseline arrivals (drawn from the process's own stream, as with no lever).
    rate_per_year : float
        The baseline rate, for the extra arrivals when the multiplier exceeds 1.
    draw_arrivals : callable
        ``(rng, rate_per_year) -> days``: the model's Poisson arrival sampler.
    thinning_uniforms : callable, optional
        ``indices -> uniforms`` compared with the multiplier to keep an arrival, in place of the
        target's thinning stream: a rule that ranks arrivals (by need) rather than picking at random.

    Returns
    -------
    days, indices : ndarray
        Sorted arrival days and each arrival's index (baseline arrivals keep theirs; extra ones
        start at ``EXTRA_ARRIVAL_INDEX_OFFSET``).
    """
    base_days = np.asarray(base_days, dtype=float)
    indices = np.arange(len(base_days))
    if not schedule.has(target):
        return base_days, indices
    thinning_stream, extra_stream = ARRIVAL_STREAMS[target]
    multipliers = schedule.multipliers(target, base_days)
    uniforms = (streams.get(thinning_stream).random(len(base_days)) if thinning_uniforms is None
                else thinning_uniforms(indices))
    keep = uniforms < np.minimum(multipliers, 1.0)
    days, indices = base_days[keep], indices[keep]
    _, highest = schedule.extreme_multipliers(target)
    if highest > 1.0:
        rng = streams.get(extra_stream)
        extra = np.asarray(draw_arrivals(rng, rate_per_year * (highest - 1.0)), dtype=float)
        wanted = np.maximum(schedule.multipliers(target, extra) - 1.0, 0.0) / (highest - 1.0)
        extra_keep = rng.random(len(extra)) < wanted
        extra_indices = EXTRA_ARRIVAL_INDEX_OFFSET + np.arange(len(extra))
        days = np.concatenate([days, extra[extra_keep]])
        indices = np.concatenate([indices, extra_indices[extra_keep]])
        order = np.argsort(days, kind="stable")
        days, indices = days[order], indices[order]
    return days, indices


__all__ = ["ARRIVAL_STREAMS", "EXTRA_ARRIVAL_INDEX_OFFSET", "capacity_steps", "lever_arrivals"]

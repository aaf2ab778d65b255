"""The lever schedule: multiplier paths over time on named parameters, from a scenario's interventions.

Parameters have no time dimension; interventions do (a start date and a phase-in). This module
turns a scenario's ``[interventions]`` items into one multiplier path per target parameter.
Every use is O(1) in the run length: a path is a
product of at most a few step functions, evaluated by arithmetic.

The path of one intervention on one target, with full multiplier ``M`` and phase-in ``n`` months
from day ``t0``::

    m(t) = 1                               t < t0
    m(t) = 1 + (M - 1) * min(k, n) / n     k = floor((t - t0) / month) + 1, for t >= t0
    m(t) = M                               n = 0 (effect in full from t0)

so 1/n of the effect shows in the first month, 2/n in the second and all of it from month n.
(A month is 365.25 / 12 days.) Several interventions on one target multiply.

How the engine applies a path (arrivals, probabilities, capacity) is ``simulation.engine.levers``;
the intervention spend reads the same paths (``places_at``), so cost and effect never disagree.

Reusing it (workforce, placements)
---------------------------------
Add the parameter to ``LEVER_TARGETS`` with its kind; read it with
``LeverSchedule.for_scenario(scenario).function("<section>.<name>")`` (``None`` when no
intervention moves it, so the hot path pays nothing), or use the engine's
``capacity_steps`` / ``lever_arrivals``. Register any new stream name in ``streams.STREAM_NAMES``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from simulation.records.calendar import DAYS_PER_MONTH
from simulation.scenario.interventions import LEVER_TARGETS

#: A month of a lever's phase-in: a twelfth of the model's year (``records.calendar``).
MONTH_DAYS = DAYS_PER_MONTH


@dataclass(frozen=True)
class Ramp:
    """One intervention's multiplier path on one target (see the module notes)."""

    start_day: float
    phase_in_months: int
    full_multiplier: float

    def at(self, day: float) -> float:
        """The multiplier on ``day`` (days from the scenario start)."""
        if day < self.start_day:
            return 1.0
        if self.phase_in_months == 0:
            return self.full_multiplier
        month = min(int((day - self.start_day) // MONTH_DAYS) + 1, self.phase_in_months)
        return 1.0 + (self.full_multiplier - 1.0) * month / self.phase_in_months

    def change_days(self) -> list[float]:
        """Days on which the multiplier changes."""
        return [self.start_day + k * MONTH_DAYS for k in range(max(self.phase_in_months, 1))]


class LeverSchedule:
    """Multiplier paths by target parameter, for one scenario.

    Parameters
    ----------
    ramps : dict
        Target name -> the ramps of the interventions that move it.
    """

    def __init__(self, ramps: dict[str, tuple[Ramp, ...]]):
        self.ramps = {target: tuple(found) for target, found in ramps.items() if found}

    @classmethod
    def for_scenario(cls, scenario) -> "LeverSchedule":
        """The schedule of a scenario's interventions (empty without an ``[interventions]``)."""
        section = getattr(scenario, "interventions", None)
        ramps: dict[str, list[Ramp]] = {}
        for item in (section.items.values() if section is not None else ()):
            start_day = float((item.start_date - scenario.start_date).days)
            for target, multiplier in item.levers.items():
                ramps.setdefault(target, []).append(
                    Ramp(start_day, item.phase_in_months, multiplier.value))
        return cls({target: tuple(found) for target, found in ramps.items()})

    def has(self, target: str) -> bool:
        """True when some intervention moves ``target``."""
        return target in self.ramps

    def multiplier(self, target: str, day: float) -> float:
        """The product of the target's ramps on ``day`` (1 when nothing moves it)."""
        value = 1.0
        for ramp in self.ramps.get(target, ()):
            value *= ramp.at(day)
        return value

    def multipliers(self, target: str, days: np.ndarray) -> np.ndarray:
        """``multiplier`` for an array of days."""
        return np.array([self.multiplier(target, float(day)) for day in np.asarray(days)],
                        dtype=float).reshape(np.shape(days))

    def function(self, target: str) -> Callable[[float], float] | None:
        """A callable ``day -> multiplier`` for the hot path, or ``None`` when nothing moves it."""
        if target not in LEVER_TARGETS:
            raise KeyError(f"unknown lever target {target!r}; add it to LEVER_TARGETS")
        if not self.has(target):
            return None
        ramps = self.ramps[target]
        if len(ramps) == 1:
            return ramps[0].at
        return lambda day: math.prod(ramp.at(day) for ramp in ramps)

    def steps(self, target: str) -> list[tuple[float, float]]:
        """(day, multiplier from that day) at every change of the target's path, in order."""
        days = sorted({day for ramp in self.ramps.get(target, ()) for day in ramp.change_days()})
        return [(day, self.multiplier(target, day)) for day in days]

    def extreme_multipliers(self, target: str) -> tuple[float, float]:
        """Lowest and highest multiplier the path takes (1 included: the path starts there)."""
        values = [1.0] + [value for _, value in self.steps(target)]
        return min(values), max(values)


def places_at(base_places: float, multiplier: float) -> int:
    """Whole places from a base and a multiplier; at multiplier 1, ``int(base)`` as the model does."""
    return int(base_places * multiplier + 1e-9)


__all__ = ["LeverSchedule", "MONTH_DAYS", "Ramp", "places_at"]

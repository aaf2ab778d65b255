"""The run budget: how long, how many and how wide a run may be, checked before anything starts.

Owns the limits on a run's arguments that the command line states in its options and the runner
checks again (a library caller gets the same refusal as a user): simulated years, replications,
worker processes and the seed. A run inside them can still run away if a scenario makes children
loop through events; the engine's watchdog (``simulation.engine.watchdog``) stops that one.

Assumptions
-----------
- Years: at least one month (a run shorter than its first month end writes no KPI at all) and at
  most 30 (a child born at the start has left care by then; the published series the model
  starts from say nothing that far ahead). Finite, so ``nan`` and ``inf`` are refused.
- Replications: at most 10,000 (about 100 times what a 2% interval on the headline KPIs needs;
  see ``cssim replications``).
- Workers on this machine: at most the CPUs this process may use (at least 2): the model is
  CPU-bound, so more processes only add memory and switching. A running cluster's size is its own.
- Scale (``--scale``, the authority's size in Southends): above 0 and at most 32. A 16x
  authority (about 620,000 children, more than any English county: a regional commissioning
  group) needs under 0.5 GB a replication; 32x (about 1.2 million children, a large English
  region) about 0.9 GB. The scenario's plausibility bounds on counts (up to 50,000 children in
  need) stop a little under 39x in any case.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import os

from simulation.records.calendar import DAYS_PER_MONTH, DAYS_PER_YEAR

MIN_YEARS = DAYS_PER_MONTH / DAYS_PER_YEAR  # one month of the model
MAX_YEARS = 30.0
MAX_REPLICATIONS = 10_000
MAX_SEED = 2**63 - 1
MAX_SCALE = 32.0


def scale_problem(scale) -> str | None:
    """What is wrong with ``scale`` (None when it is a usable size in Southends)."""
    if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not math.isfinite(scale):
        return f"a finite number of times Southend's size, got {scale!r}"
    if not 0 < scale <= MAX_SCALE:
        return (f"a number of times Southend's size above 0 and at most {MAX_SCALE:g} (e.g. 4 or "
                f"16; 1 is Southend), got {scale:g}")
    return None


def max_local_workers() -> int:
    """The most worker processes a run may start on this machine: its usable CPUs (at least 2)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cpus = os.cpu_count() or 1
    return max(2, cpus)


class BudgetError(ValueError):
    """A run argument outside the budget (one line naming the argument and the limit)."""


def years_problem(years) -> str | None:
    """What is wrong with ``years`` (None when it is a usable number of simulated years)."""
    if isinstance(years, bool) or not isinstance(years, numbers.Real) or not math.isfinite(years):
        return f"a finite number of years, got {years!r}"
    if years < MIN_YEARS - 1e-12:
        return (f"at least one month ({MIN_YEARS:.4f} years; a shorter run has no month end to "
                f"report), got {years:g}")
    if years > MAX_YEARS:
        return f"at most {MAX_YEARS:g} years, got {years:g}"
    return None


def first_month_end_inside(start: dt.date, years: float) -> dt.date | None:
    """The first month end of a run from ``start``, or None when the run ends before it.

    The run covers ``years`` whole calendar years and the fraction in days of 365.25, as the
    engine counts them (``simulation.engine.model.horizon_days``).
    """
    following = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    first_end = following - dt.timedelta(days=1)
    whole = int(years)
    try:
        end = start.replace(year=start.year + whole)
    except ValueError:  # 29 February
        end = start.replace(year=start.year + whole, day=28)
    horizon = (end - start).days + (years - whole) * DAYS_PER_YEAR
    return first_end if (first_end - start).days + 1 <= horizon else None


def check_run(replications, workers, seed, years) -> tuple[int, int, int, float]:
    """The run's arguments as plain numbers, or a ``BudgetError`` naming the first one wrong."""
    for name, value, least, most in (("replications", replications, 1, MAX_REPLICATIONS),
                                     ("workers", workers, 1, None), ("seed", seed, 0, MAX_SEED)):
        if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < least:
            raise BudgetError(f"{name} must be an integer >= {least}, got {value!r}")
        if most is not None and value > most:
            raise BudgetError(f"{name} must be at most {most:,}, got {value:,}")
    problem = years_problem(years)
    if problem:
        raise BudgetError(f"years: expected {problem}")
    # Plain Python numbers, so 5 and 5.0 (or numpy integers) give the same manifest.
    return int(replications), int(workers), int(seed), float(years)


__all__ = ["BudgetError", "MAX_REPLICATIONS", "MAX_SEED", "MAX_YEARS", "MIN_YEARS", "check_run",
           "first_month_end_inside", "max_local_workers", "years_problem"]

"""KPI group: early help and intervention spend, month by month, from the scenario's plan.

Owns ``spend_early_help_gbp``, ``spend_intervention_gbp`` and ``early_help_capacity``. These do
not depend on what children did, only on the funded places and the interventions' costs and
dates, so they are computed from the scenario and the lever schedule (the same steps the model
used), not from the event log.

Covers
------
- ``spend_early_help_gbp``: funded early help places (``early_help.capacity_families``, moved by
  levers) x ``interventions.early_help_cost_per_family_year_gbp``, spread over the days of each
  financial year. Places are paid for whether or not a family fills them (staff are employed).
- ``spend_intervention_gbp``: each intervention item's ``annual_cost_gbp`` from its
  ``start_date`` up to its ``cost_end_date`` (or the end of the run), spread the same way.
- ``early_help_capacity``: funded places at month end.

Assumptions
-----------
Money in 2023-24 prices (the price base of the scenario's unit costs). A scenario with no
``[interventions]`` section has none of these KPIs.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from simulation.records.calendar import days_in_financial_year, financial_year_of
from simulation.scenario.lever_schedule import LeverSchedule, places_at

CAPACITY_TARGET = "early_help.capacity_families"


def daily_places(scenario, schedule: LeverSchedule, n_days: int) -> np.ndarray:
    """Funded early help places on each day of the run (day 0 = start date)."""
    base = scenario.early_help.capacity_families.value
    places = np.full(n_days, places_at(base, 1.0), dtype=float)
    for day, multiplier in schedule.steps(CAPACITY_TARGET):
        # The model resizes at time ``day``; a day's places are those at its start (rounded up
        # to whole days, matching a step during the day from the next day on).
        first = max(int(np.ceil(day - 1e-9)), 0)
        places[first:] = places_at(base, multiplier)
    return places


def financial_year_days(start_date: dt.date, n_days: int) -> np.ndarray:
    """Days (365 or 366) in the financial year of each day of the run (day 0 = ``start_date``),
    as floats: ``daily_cost_of_annual``'s divisor, a year at a time instead of a date per day."""
    days = np.empty(n_days)
    day = 0
    while day < n_days:
        year = financial_year_of(start_date + dt.timedelta(days=day))
        next_year = (dt.date(year + 1, 4, 1) - start_date).days
        days[day:next_year] = days_in_financial_year(year)
        day = next_year
    return days


def add_intervention_spend(builder) -> None:
    """Register the early help and intervention spend lines on a ``metrics.KpiBuilder``."""
    scenario = builder.scenario
    section = getattr(scenario, "interventions", None)
    if section is None:
        return
    n_days = int(builder.edges[-1]) if len(builder.edges) > 1 else 0
    # Days in each day's financial year: a yearly cost's daily share is the cost over them
    # (``calendar.daily_cost_of_annual``, divided here once per cost line without a date per day).
    year_days = financial_year_days(scenario.start_date, n_days)
    per_month = lambda daily: np.add.reduceat(daily, builder.edges[:-1].astype(int)) if n_days else daily  # noqa: E731
    schedule = LeverSchedule.for_scenario(scenario)
    places = daily_places(scenario, schedule, n_days)
    unit = section.early_help_cost_per_family_year_gbp.value / year_days
    builder.add_flow("spend_early_help_gbp", per_month(places * unit))
    builder.add_stock("early_help_capacity", places[builder.edges[1:].astype(int) - 1] if n_days else places)
    intervention = np.zeros(n_days)
    days = np.arange(n_days)
    for item in section.items.values():
        start = (item.start_date - scenario.start_date).days
        end = (item.cost_end_date - scenario.start_date).days if item.cost_end_date else n_days
        active = (days >= start) & (days < end)
        intervention += np.where(active, item.annual_cost_gbp.value / year_days, 0.0)
    builder.add_flow("spend_intervention_gbp", per_month(intervention))


__all__ = ["add_intervention_spend", "daily_places", "financial_year_days"]

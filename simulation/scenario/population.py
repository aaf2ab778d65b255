"""The child population (ONS mid-year, 0-17) by the DfE convention, and what scales with it.

Rates per 10,000 for a financial year use the mid-year population of the calendar year in which
that year starts (for 2022-23, mid-2022: "the previous calendar year" of its 31 March). After the
last published year the population follows the scenario's growth assumption.
"""

from __future__ import annotations

import datetime as dt

from simulation.scenario.schema import Scenario


def financial_year_start(day: dt.date) -> int:
    """Calendar year in which the financial year (April-March) containing ``day`` starts."""
    return day.year if day.month >= 4 else day.year - 1


def children_0_17(scenario: Scenario, mid_year: int) -> float:
    """ONS mid-year 0-17 population, extended past the last published year by the growth assumption."""
    published = {int(year): count for year, count in scenario.population.children_0_17_by_mid_year.value.items()}
    if mid_year in published:
        return published[mid_year]
    last = max(published)
    if mid_year < min(published):
        return published[min(published)]
    growth = scenario.population.growth_after_last_year_pct_per_year.value / 100
    return published[last] * (1 + growth) ** (mid_year - last)


def population_for_rates(scenario: Scenario, day: dt.date) -> float:
    """Population used for rates per 10,000 on ``day`` (DfE convention)."""
    return children_0_17(scenario, financial_year_start(day))


def population_scale_by_month(scenario: Scenario, start_date: dt.date, horizon_days: float):
    """(start day, end day, population relative to the stock year) for each month of the run.

    Arrival rates in the scenario are those of the year the stock was published for; they scale
    with the population so that a rate per child, not a count, is held.
    """
    stock_year_population = population_for_rates(scenario, start_date - dt.timedelta(days=1))
    months = []
    month_start = start_date
    while (month_start - start_date).days < horizon_days:
        next_month = (month_start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        begin = float((month_start - start_date).days)
        end = min(float((next_month - start_date).days), horizon_days)
        months.append((begin, end, population_for_rates(scenario, month_start) / stock_year_population))
        month_start = next_month
    return months

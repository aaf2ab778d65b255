"""The calendar every wing counts in: days in a year and a month, and financial years.

Financial years run 1 April to 31 March and are labelled ``FY2023-24``. A cost that runs across
31 March (a placement, an intervention) is split by days (``split_by_financial_year``); an annual
cost is spread evenly over the days of each financial year (``daily_cost_of_annual``), so a full
year costs exactly the annual figure, leap year or not.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np

#: The model's year and month, in days (a month is a twelfth of a year, whatever the calendar).
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12

_FY = re.compile(r"^FY(\d{4})-(\d{2})$")


def financial_year_of(day: dt.date) -> int:
    """The calendar year in which the financial year holding ``day`` starts."""
    return day.year if day.month >= 4 else day.year - 1


def label_of(first_year: int) -> str:
    """``2023`` -> ``"FY2023-24"``."""
    return f"FY{first_year}-{(first_year + 1) % 100:02d}"


def first_year_of(label: str) -> int:
    """``"FY2023-24"`` -> ``2023``."""
    match = _FY.match(label)
    if not match:
        raise ValueError(f"not a financial year label like FY2023-24: {label!r}")
    return int(match.group(1))


def days_in_financial_year(first_year: int) -> int:
    """365, or 366 when the year holds a 29 February."""
    return (dt.date(first_year + 1, 4, 1) - dt.date(first_year, 4, 1)).days


def split_by_financial_year(start: dt.date, end: dt.date, cost_per_day_gbp: float) -> dict[str, float]:
    """Spend of something costing ``cost_per_day_gbp`` from ``start`` up to (not including) ``end``.

    A weekly cost is ``cost_per_day_gbp * 7``. Returns ``{financial year label: spend}`` for each
    year the interval touches, in order.
    """
    if end < start:
        raise ValueError(f"end {end} before start {start}")
    spend: dict[str, float] = {}
    cursor = start
    while cursor < end:
        year = financial_year_of(cursor)
        year_end = min(dt.date(year + 1, 4, 1), end)
        spend[label_of(year)] = (year_end - cursor).days * cost_per_day_gbp
        cursor = year_end
    return spend


def daily_cost_of_annual(dates: list[dt.date], annual_cost_gbp: float) -> np.ndarray:
    """Cost on each date of something costing ``annual_cost_gbp`` a year (days of its own FY)."""
    return np.array([annual_cost_gbp / days_in_financial_year(financial_year_of(day)) for day in dates])

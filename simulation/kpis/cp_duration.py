"""CP plans open at a date by time on the plan so far: the DfE CIN census table D5 bands.

Derived in bulk from the state intervals of the event log (``KpiBuilder.state_stocks``), so the
plans counted are exactly those of ``cp_plans_open`` and the five shares sum to 100 wherever a
plan is open. Children of the starting stock have their ``cp_plan_started`` back-dated by the
time already spent on the plan (``initial_stock``: a length-biased elapsed time), so their time on
plan at each month end is honest from month 1.

Bands (DfE table D5, "CPPs at 31 March by length of time on plan"; the same boundaries as table
D7's published variable names, and as ``cp_open_at_31mar_duration_*`` in the shared data):

=================================== ====================================== =====================
KPI                                 DfE band                               time on plan ``d``
=================================== ====================================== =====================
``cp_open_duration_3m_or_less_pct`` 3 months or less                       ``d <= 91``
``cp_open_duration_3_6m_pct``       more than 3 months, up to 6 months     ``91 < d <= 182``
``cp_open_duration_6_12m_pct``      more than 6 months, less than 1 year   ``182 < d < 365``
``cp_open_duration_1_2y_pct``       1 year but less than 2 years           ``365 <= d < 730``
``cp_open_duration_2y_or_more_pct`` 2 years or more                        ``d >= 730``
=================================== ====================================== =====================

Months are counted in days as the scenario counts CP reviews (first review at 91 days, then every
182) and as ``metrics`` counts ``cp_ended_under_3m_pct`` (91) and ``cp_ended_over_2y_pct`` (730).
Plan starts are continuous in time, so the choice of ``<`` or ``<=`` at a boundary moves almost no
plan; it is kept to follow the DfE wording. ``d`` is measured at the end of the month's last day,
the instant month-end stocks are taken at.

Values are stocks ("at the date"): every month end, and 31 March in the annual file. NaN when no
CP plan is open.
"""

from __future__ import annotations

import numpy as np

THREE_MONTHS_DAYS = 91.0
SIX_MONTHS_DAYS = 182.0
ONE_YEAR_DAYS = 365.0
TWO_YEARS_DAYS = 730.0

#: KPI names in band order (shortest first).
CP_OPEN_DURATION_KPIS = (
    "cp_open_duration_3m_or_less_pct",
    "cp_open_duration_3_6m_pct",
    "cp_open_duration_6_12m_pct",
    "cp_open_duration_1_2y_pct",
    "cp_open_duration_2y_or_more_pct",
)


def open_duration_counts(starts: np.ndarray, ends: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Plans open just before each time in ``at``, by band of time on plan (bands x times).

    A plan [start, end) is open at ``t`` when ``start < t <= end`` (``metrics.count_open``'s
    convention); its time on plan is ``t - start``. One plans x times table: the cost is one pass
    over plans per band, not a loop over months.
    """
    starts = np.asarray(starts, dtype=float)[:, None]
    ends = np.asarray(ends, dtype=float)[:, None]
    at = np.asarray(at, dtype=float)[None, :]
    is_open = (starts < at) & (ends >= at)
    elapsed = at - starts
    bands = (
        elapsed <= THREE_MONTHS_DAYS,
        (elapsed > THREE_MONTHS_DAYS) & (elapsed <= SIX_MONTHS_DAYS),
        (elapsed > SIX_MONTHS_DAYS) & (elapsed < ONE_YEAR_DAYS),
        (elapsed >= ONE_YEAR_DAYS) & (elapsed < TWO_YEARS_DAYS),
        elapsed >= TWO_YEARS_DAYS,
    )
    return np.array([(is_open & band).sum(axis=0) for band in bands], dtype=float)


def open_duration_shares(starts: np.ndarray, ends: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Percentages of open plans in each band (bands x times); NaN where no plan is open."""
    counts = open_duration_counts(starts, ends, at)
    total = counts.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, 100.0 * counts / np.maximum(total, 1.0), np.nan)


def add_cp_open_duration_kpis(builder) -> None:
    """Register the five ``cp_open_duration_*_pct`` stocks on a ``metrics.KpiBuilder``.

    Uses the state intervals ``state_stocks`` keeps (``builder.state_spells``); the plans are
    the intervals in state ``cp_plan``.
    """
    starts, ends = builder.state_spells("cp_plan")
    shares = open_duration_shares(starts, ends, builder.at)
    for kpi, values in zip(CP_OPEN_DURATION_KPIS, shares):
        builder.add_stock(kpi, values)


__all__ = ["CP_OPEN_DURATION_KPIS", "add_cp_open_duration_kpis", "open_duration_counts",
           "open_duration_shares"]

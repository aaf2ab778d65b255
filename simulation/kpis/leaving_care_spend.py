"""KPI group: spend on care leavers, staying put and special guardianship / child arrangements
order allowances, month by month, from the event log and ``[cost_base]``.

Called once from ``metrics.KpiBuilder.build``; pure functions of the log and the scenario.

Covers
------
* ``spend_care_leavers_gbp``: the personal advisers (``capacity.leaving_care_personal_adviser_fte``
  x ``cost_base.personal_adviser_cost_gbp_per_fte_per_year``, a fixed pool), support for each care
  leaver 18-21 (care-leaver days x ``care_leaver_support_gbp_per_year`` / 365) and staying-put
  payments to carers (staying-put days x ``staying_put_weekly_gbp`` / 7).
* ``spend_sgo_cao_allowances_gbp``: allowances for children who left care on a special
  guardianship or child arrangements order, for the share ``sgo_cao_allowance_paid_prob``, from
  the order to the child's 18th birthday or the order's breakdown (the child's next entry to care),
  at ``sgo_cao_allowance_weekly_gbp``; plus the allowances already in payment at the start
  (``sgo_cao_allowances_in_payment_at_start``), running off exponentially with mean
  ``sgo_cao_allowance_stock_mean_years`` (children reaching 18).

Assumptions
-----------
Money in 2023-24 prices; these payments are set by the council and held in real terms. A
scenario without ``[cost_base]`` has neither line.
"""

from __future__ import annotations

import numpy as np

from simulation.kpis.placements import overlap_days
from simulation.records.calendar import DAYS_PER_YEAR


def sgo_order_spells(builder) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) days of each special guardianship or child arrangements order from care:
    from the order (``cla_ceased`` with reason ``sgo_cao``) to the child's 18th birthday, or to
    its next entry to care if the order broke down first."""
    ceased = builder.rows("cla_ceased", "sgo_cao")
    starts = builder.times[ceased]
    children = builder.child_ids[ceased]
    births = builder.rows("date_of_birth_recorded")
    birth_of = dict(zip(builder.child_ids[births].tolist(), builder.values[births].tolist()))
    eighteen = np.array([birth_of.get(child, np.nan) for child in children.tolist()], dtype=float) + 18 * DAYS_PER_YEAR
    entries = builder.rows("cla_started")
    reentry = np.full(len(ceased), np.inf)
    if len(ceased) and len(entries):
        entry_child, entry_time = builder.child_ids[entries], builder.times[entries]
        order = np.lexsort((entry_time, entry_child))
        entry_child, entry_time = entry_child[order], entry_time[order]
        for i, (child, start) in enumerate(zip(children.tolist(), starts.tolist())):
            lo, hi = np.searchsorted(entry_child, child, "left"), np.searchsorted(entry_child, child, "right")
            later = entry_time[lo:hi][entry_time[lo:hi] > start]
            if len(later):
                reentry[i] = later[0]
    ends = np.fmin(np.where(np.isnan(eighteen), np.inf, eighteen), reentry)
    return starts, np.maximum(ends, starts)


def add_leaving_care_spend(builder) -> None:
    """Register ``spend_care_leavers_gbp`` and ``spend_sgo_cao_allowances_gbp``."""
    scenario = builder.scenario
    costs = getattr(scenario, "cost_base", None)
    if costs is None:
        return
    edges = builder.edges
    month_days = np.diff(edges)
    advisers = (scenario.capacity.leaving_care_personal_adviser_fte.value
                * costs.personal_adviser_cost_gbp_per_fte_per_year.value / DAYS_PER_YEAR * month_days)
    leaver_starts, leaver_ends = builder.state_spells("care_leaver")
    leaver_days = overlap_days(np.maximum(leaver_starts, 0.0), leaver_ends, edges).sum(axis=0)
    staying, staying_ends = builder.spells("staying_put_started", "staying_put_ended")
    staying_days = overlap_days(builder.times[staying], staying_ends, edges).sum(axis=0)
    builder.add_flow("spend_care_leavers_gbp", advisers
                     + leaver_days * costs.care_leaver_support_gbp_per_year.value / DAYS_PER_YEAR
                     + staying_days * costs.staying_put_weekly_gbp.value / 7.0)

    daily = costs.sgo_cao_allowance_weekly_gbp.value / 7.0
    starts, ends = sgo_order_spells(builder)
    new_order_days = overlap_days(starts, ends, edges).sum(axis=0) * costs.sgo_cao_allowance_paid_prob.value
    # The stock in payment at the start: N0 exp(-t / m) allowances, integrated over each month.
    mean_days = max(costs.sgo_cao_allowance_stock_mean_years.value, 1e-9) * DAYS_PER_YEAR
    stock_days = (costs.sgo_cao_allowances_in_payment_at_start.value * mean_days
                  * (np.exp(-edges[:-1] / mean_days) - np.exp(-edges[1:] / mean_days)))
    builder.add_flow("spend_sgo_cao_allowances_gbp", daily * (new_order_days + stock_days))


__all__ = ["add_leaving_care_spend", "sgo_order_spells"]

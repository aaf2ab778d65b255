"""Fostering and placement KPIs and spend, derived in bulk from one replication's event log.

Called once from ``metrics.KpiBuilder.build`` (``add_placement_kpis(builder)``); pure functions of
the log and the scenario, no simpy.

Covers
------
* In-house fostering: ``foster_households``, ``foster_beds`` (approved beds of approved
  households, as Ofsted counts them),
  ``foster_beds_occupied`` (children and staying-put young people), ``foster_occupancy_pct``,
  and the flows ``foster_enquiries``, ``foster_applications``, ``foster_approvals`` (the starting
  supply excluded), ``foster_deregistrations``.
* ``emergency_placement_days`` (child-days in the month) and ``placement_step_downs``.
* Spend in the month, 2023-24 prices: ``spend_placements_<type>_gbp`` for bought placements
  (agency, children's home, supported, emergency) at their weekly price;
  ``spend_fostering_fees_allowances_gbp``: allowances by age (at mid-month) and fees for in-house
  and kinship placements, times the fee lever's payment multiplier at mid-month, so an uplift
  applies to every placement from its start; ``spend_fostering_support_gbp``: support per
  household-day (plus a support lever's extra cost), assessments per application, marketing, and
  transition support per planned step-down.

In-house and kinship placements cost their fees and allowances, which appear once, in
``spend_fostering_fees_allowances_gbp``; no ``spend_placements_foster_inhouse_gbp`` or
``..._foster_kinship_gbp`` line is written, so the total counts them once. Placements with
parents and for adoption carry no placement price here.
"""

from __future__ import annotations

import numpy as np

from simulation.records.calendar import DAYS_PER_MONTH, DAYS_PER_YEAR
from simulation.scenario.placements import lever_share, payment_multiplier
from simulation.scenario.vocabulary import AGE_BAND_BOUNDS

BOUGHT_TYPES = ("foster_ifa", "residential", "supported", "emergency")
PAID_CARER_TYPES = ("foster_inhouse", "foster_kinship")


def weighted_open(starts: np.ndarray, ends: np.ndarray, weights: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Sum of ``weights`` of intervals [start, end) open just before each time in ``at``.

    The month-end convention of ``metrics.count_open``: an event at exactly ``at`` belongs to the
    next month.
    """
    order_s, order_e = np.argsort(starts), np.argsort(ends)
    cum_s = np.concatenate([[0.0], np.cumsum(weights[order_s])])
    cum_e = np.concatenate([[0.0], np.cumsum(weights[order_e])])
    return (cum_s[np.searchsorted(starts[order_s], at, side="left")]
            - cum_e[np.searchsorted(ends[order_e], at, side="left")])


def overlap_days(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Days each interval spends in each month: shape (intervals, months)."""
    low, high = edges[:-1][None, :], edges[1:][None, :]
    return np.clip(np.minimum(ends[:, None], high) - np.maximum(starts[:, None], low), 0.0, None)


def add_placement_kpis(builder) -> None:
    """Register the fostering and placement KPIs and spend lines on a ``metrics.KpiBuilder``."""
    at, edges = builder.at, builder.edges
    times, values, details = builder.times, builder.values, builder.details
    scenario = builder.scenario
    fostering, market = scenario.fostering, scenario.placement_market

    # Spells (``KpiBuilder.spells``): the opening events' rows, each ending at the time of the
    # key's next opening or closing event.
    households, ends = builder.spells("household_approved", "household_deregistered")
    starts = times[households]
    beds = values[households]
    builder.add_stock("foster_households", weighted_open(starts, ends, np.ones(len(starts)), at))
    approved_beds = builder.add_stock("foster_beds", weighted_open(starts, ends, beds, at))
    taken, taken_ends = builder.spells("foster_bed_taken", "foster_bed_freed")
    occupied = builder.add_stock("foster_beds_occupied", weighted_open(
        times[taken], taken_ends, np.ones(len(taken)), at))
    builder.add_stock("foster_occupancy_pct", builder.percent(occupied, approved_beds))
    builder.flow("foster_enquiries", builder.rows("fostering_enquiry"))
    applications = builder.flow("foster_applications", builder.rows("fostering_application"))
    approved = builder.rows("household_approved")
    builder.flow("foster_approvals", approved[details[approved] != "initial"])
    builder.flow("foster_deregistrations", builder.rows("household_deregistered"))
    step_downs = builder.flow("placement_step_downs", builder.rows("step_down"))

    placements, placement_ends = builder.spells("placement_started", "placement_ended")
    kinds = details[placements]
    days = overlap_days(times[placements], placement_ends, edges)
    emergency = kinds == "emergency"
    builder.add_flow("emergency_placement_days", days[emergency].sum(axis=0))
    for kind in BOUGHT_TYPES:
        daily_price = market.price_weekly_gbp(kind) / 7.0
        builder.add_flow(f"spend_placements_{kind}_gbp", daily_price * days[kinds == kind].sum(axis=0))

    # Fees and allowances: the allowance for the child's age at mid-month, plus the fee.
    middle = (edges[:-1] + edges[1:]) / 2
    # Each child's recorded date of birth (the last record if several; NaN if none).
    births = builder.rows("date_of_birth_recorded")
    birth_of = dict(zip(builder.child_ids[births].tolist(), values[births].tolist()))
    paid = np.isin(kinds, PAID_CARER_TYPES)
    paid_children = builder.child_ids[placements[paid]]
    birth_days = np.array([birth_of.get(child, np.nan) for child in paid_children.tolist()], dtype=float)
    allowance_table = fostering.allowance_weekly_gbp_by_age.value
    ages = (middle[None, :] - birth_days[:, None]) / DAYS_PER_YEAR
    by_band = np.array([allowance_table[band] for band in AGE_BAND_BOUNDS])
    upper_bounds = [high for _, high in list(AGE_BAND_BOUNDS.values())[:-1]]
    allowance = by_band[np.digitize(ages, upper_bounds)]
    fee = np.where(kinds[paid] == "foster_inhouse", fostering.inhouse_fee_weekly_gbp.value,
                   fostering.kinship_fee_weekly_gbp.value)
    multiplier = np.array([payment_multiplier(fostering, day) for day in middle])
    weekly = (allowance + fee[:, None]) * multiplier[None, :]
    builder.add_flow("spend_fostering_fees_allowances_gbp", (weekly / 7.0 * days[paid]).sum(axis=0))

    household_days = overlap_days(starts, ends, edges).sum(axis=0)
    support_on = np.array([lever_share(day, fostering.support_starts_after_months.value, 0.0) for day in middle])
    per_household_day = (fostering.support_cost_per_household_per_year_gbp.value
                         + support_on * fostering.support_extra_cost_per_household_per_year_gbp.value) / DAYS_PER_YEAR
    month_days = np.diff(edges)
    support = (household_days * per_household_day
               + applications * fostering.assessment_cost_per_application_gbp.value
               + fostering.marketing_cost_per_year_gbp.value * month_days / DAYS_PER_YEAR
               + step_downs * market.step_down_support_cost_gbp.value)
    builder.add_flow("spend_fostering_support_gbp", support)


__all__ = ["add_placement_kpis", "weighted_open", "overlap_days", "DAYS_PER_MONTH"]

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
  (agency, children's home, supported, emergency) at their weekly price, times the line's real
  price index of the financial year (``cost_base.real_price_growth_pct_per_year``; emergency
  placements follow children's homes);
  ``spend_fostering_fees_allowances_gbp``: allowances by age (at mid-month) and fees for in-house
  and kinship placements, times the fee lever's payment multiplier at mid-month, so an uplift
  applies to every placement from its start;
  ``spend_fostering_support_gbp``: the fostering service's non-staff costs (support, training and
  groups per household-day, plus a support lever's extra cost), assessments per application,
  marketing, and the step-down programme (the enhanced fee and wraparound support over the
  enhanced period, transition support per step-down, the programme's yearly cost from its start
  date: the programme's whole cost in one line). The supervising
  social workers are in the workforce's non-case-holding posts (the staff lines): the fostering
  service is costed once.
* Lever costs (memo flows, ``lever_cost_<lever>_gbp``; parts of the spend lines above, not added
  to the total): ``fee_uplift`` (the uplift on fees and allowances), ``fostering_support`` (the
  support lever's extra cost), ``step_down`` (everything the step-down programme pays for).

In-house and kinship placements cost their fees and allowances, which appear once, in
``spend_fostering_fees_allowances_gbp``; no ``spend_placements_foster_inhouse_gbp`` or
``..._foster_kinship_gbp`` line is written, so the total counts them once. Placements with
parents and for adoption carry no placement price here.
"""

from __future__ import annotations

import numpy as np

from simulation.records.calendar import DAYS_PER_MONTH, DAYS_PER_YEAR
from simulation.scenario.costs import price_index
from simulation.scenario.placements import lever_share, payment_multiplier
from simulation.scenario.population import financial_year_start
from simulation.scenario.vocabulary import AGE_BAND_BOUNDS

BOUGHT_TYPES = ("foster_ifa", "residential", "supported", "emergency")
#: The price line (``cost_base.real_price_growth_pct_per_year``) each bought placement follows.
PRICE_LINE_OF = {"foster_ifa": "foster_ifa", "residential": "residential", "supported": "supported",
                 "emergency": "residential"}


def price_index_by_month(builder, line: str) -> np.ndarray:
    """The real price index of ``line`` in each month's financial year (1.0 in 2023-24)."""
    cost_base = getattr(builder.scenario, "cost_base", None)
    return np.array([price_index(cost_base, line, financial_year_start(end)) for end in builder.ends])
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
        daily_price = market.price_weekly_gbp(kind) / 7.0 * price_index_by_month(builder, PRICE_LINE_OF[kind])
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
    base_fees = ((allowance + fee[:, None]) / 7.0 * days[paid]).sum(axis=0)
    uplift = base_fees * (multiplier - 1.0)
    enhanced_days = step_down_enhanced_days(builder, placements, placement_ends, kinds, step_downs)
    enhanced_fee = enhanced_days * market.step_down_enhanced_fee_weekly_gbp.value / 7.0
    builder.add_flow("spend_fostering_fees_allowances_gbp", base_fees + uplift)

    household_days = overlap_days(starts, ends, edges).sum(axis=0)
    support_on = np.array([lever_share(day, fostering.support_starts_after_months.value, 0.0) for day in middle])
    support_lever = household_days * support_on * fostering.support_extra_cost_per_household_per_year_gbp.value / DAYS_PER_YEAR
    month_days = np.diff(edges)
    step_down_support = (enhanced_fee + step_downs * market.step_down_support_cost_gbp.value
                         + enhanced_days * market.step_down_support_weekly_gbp.value / 7.0
                         + step_down_programme(builder) * month_days / DAYS_PER_YEAR)
    support = (household_days * fostering.support_cost_per_household_per_year_gbp.value / DAYS_PER_YEAR
               + support_lever
               + applications * fostering.assessment_cost_per_application_gbp.value
               + fostering.marketing_cost_per_year_gbp.value * month_days / DAYS_PER_YEAR
               + step_down_support)
    builder.add_flow("spend_fostering_support_gbp", support)
    builder.add_flow("lever_cost_fee_uplift_gbp", uplift)
    builder.add_flow("lever_cost_fostering_support_gbp", support_lever)
    builder.add_flow("lever_cost_step_down_gbp", step_down_support)


def step_down_enhanced_days(builder, placements, placement_ends, kinds, step_downs) -> np.ndarray:
    """Days in each month of the step-down programme's enhanced period: from each step-down for
    ``step_down_enhanced_weeks``, or until the foster placement it began ends if sooner."""
    weeks = builder.scenario.placement_market.step_down_enhanced_weeks.value
    rows = builder.rows("step_down")
    if not len(rows) or weeks <= 0:
        return np.zeros(len(builder.edges) - 1)
    inhouse = kinds == "foster_inhouse"
    end_of = dict(zip(zip(builder.child_ids[placements[inhouse]].tolist(),
                          builder.times[placements[inhouse]].tolist()), placement_ends[inhouse].tolist()))
    starts = builder.times[rows]
    ends = np.array([end_of.get(key, np.inf) for key in zip(builder.child_ids[rows].tolist(), starts.tolist())])
    return overlap_days(starts, np.minimum(ends, starts + weeks * 7.0), builder.edges).sum(axis=0)


def step_down_programme(builder) -> np.ndarray:
    """Share of each month's days the step-down programme runs (its yearly cost's weight):
    from its start date, when the scenario pulls the lever (``step_down_ready_prob`` above 0)."""
    market = builder.scenario.placement_market
    if market.step_down_ready_prob.value <= 0:
        return np.zeros(len(builder.edges) - 1)
    start = float((market.step_down_start_date.value - builder.scenario.start_date).days)
    edges = builder.edges
    running = np.clip(edges[1:] - np.maximum(edges[:-1], start), 0.0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(np.diff(edges) > 0, running / np.diff(edges), 0.0)
    return market.step_down_programme_cost_gbp_per_year.value * share


__all__ = ["add_placement_kpis", "weighted_open", "overlap_days", "price_index_by_month",
           "step_down_enhanced_days", "DAYS_PER_MONTH"]

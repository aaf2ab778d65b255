"""Workforce KPIs and staff spend, derived in bulk from the event log (pure pandas/numpy).

Definitions (census, design.md section 3; stocks at month end, "last 12 months" roll):

* ``sw_fte``: FTE employed by the council (employed + ASYE, every team); ``sw_agency_fte``: agency.
* ``sw_vacancy_pct`` = (establishment - employed FTE) / establishment; ``sw_agency_pct`` = agency /
  (employed + agency).
* ``sw_turnover_pct`` = employed leavers' FTE in the last 12 months / mean month-end employed FTE
  over those months (annualised in the first 11 months, as other rolling rates).
* ``sw_caseload_mean`` = (children allocated in the case-holding teams + the cases the model does
  not follow, ``workforce.other_cases_held``) / FTE of case holders (employed + agency in the
  case-holding teams, as the census counts agency case holders).
* ``children_awaiting_allocation``: children in a social work team with no worker.
* ``sw_changes_per_child``: changes of social worker during open cases (after a leaver, or on a
  move between teams) in the last 12 months per child-year allocated (the mean month-end number
  of children allocated over the window).
* ``visits_in_time_pct``: statutory visits in time, from each team's month-end caseload: an
  allocated child's visit is in time with ``visits_in_time_at_reference_prob`` less
  ``visits_strength`` x the relative excess caseload; a child awaiting allocation's is not.
  Derived per child-month in bulk (no event per visit).
* Extra: ``sw_case_holders_fte``, ``sw_vacancies_fte``, ``sw_leavers_fte``, ``sw_starters_fte``.

Spend (2023-24 prices, monthly flows): ``spend_staff_permanent_gbp`` (salary + on-costs by
employed FTE-day, ASYE at their salary for the protected year, plus retention payments),
``spend_staff_agency_gbp`` (the employed cost x (1 + premium)), ``spend_staff_recruitment_gbp``
(per hire, plus a faster-recruitment lever's yearly cost).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.kpis.intervals import count_open
from simulation.kpis.placements import price_index_by_month
from simulation.records.calendar import DAYS_PER_MONTH
from simulation.records.eventlog import LEVER_POST_ID, MAX_OCCUPANTS, WORKER_ID_BASE
from simulation.scenario.vocabulary import CASE_HOLDING_TEAMS, EMPLOYED_KINDS


def open_sum(starts: np.ndarray, ends: np.ndarray, weights: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Sum of ``weights`` over intervals [start, end) containing each time in ``at``."""
    def cumulative(times):
        order = np.argsort(times, kind="stable")
        sums = np.concatenate([[0.0], np.cumsum(weights[order])])
        return sums[np.searchsorted(times[order], at, side="right")]
    return cumulative(starts) - cumulative(ends)


def overlap_days(starts: np.ndarray, ends: np.ndarray, weights: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Weighted days each interval spends in each month [edges[i], edges[i+1])."""
    low, high = edges[:-1][None, :], edges[1:][None, :]
    days = np.clip(np.minimum(ends[:, None], high) - np.maximum(starts[:, None], low), 0.0, None)
    return (days * weights[:, None]).sum(axis=0) if len(starts) else np.zeros(len(edges) - 1)


def worker_spells(events: pd.DataFrame) -> pd.DataFrame:
    """One row per worker: team, kind, fte, start and end days (inf while in post), initial flag."""
    event = events["event"]
    joined = events[(event == "worker_joined").to_numpy()]
    left = events[(event == "worker_left").to_numpy()]
    return _worker_spells(joined["child_id"].to_numpy(), joined["detail"].to_numpy(dtype=object),
                          joined["value"].to_numpy(dtype=float), joined["time_days"].to_numpy(dtype=float),
                          left["child_id"].to_numpy(), left["time_days"].to_numpy(dtype=float))


def _worker_spells(worker_ids, details, fte, starts, leaver_ids, leaving_days) -> pd.DataFrame:
    """``worker_spells`` from the arrays of the joined and left events.

    The ``team:kind[:initial]`` details split in Python (a few hundred workers): a string split
    on a Series cost more than the rest of the workforce KPIs' set-up.
    """
    parts = [(detail.split(":") + [None, None, None])[:3] if isinstance(detail, str) else [np.nan] * 3
             for detail in details.tolist()]
    left = pd.Series(leaving_days, index=leaver_ids)
    spells = pd.DataFrame({
        "worker_id": worker_ids,
        "team": np.array([part[0] for part in parts], dtype=object),
        "kind": np.array([part[1] for part in parts], dtype=object),
        "initial": np.array([part[2] == "initial" for part in parts], dtype=bool),
        "fte": fte,
        "start": starts,
    })
    spells["end"] = spells["worker_id"].map(left).fillna(np.inf).to_numpy(dtype=float)
    return spells


def add_workforce_kpis(builder) -> None:
    """Register the workforce KPIs and staff spend on a ``metrics.KpiBuilder``."""
    at, scenario = builder.at, builder.scenario
    wf, effects = scenario.workforce, scenario.caseload_effects
    joined, leavers = builder.rows("worker_joined"), builder.rows("worker_left")
    spells = _worker_spells(builder.child_ids[joined], builder.details[joined], builder.values[joined],
                            builder.times[joined], builder.child_ids[leavers], builder.times[leavers])
    employed = spells["kind"].isin(EMPLOYED_KINDS).to_numpy()
    agency = (spells["kind"] == "agency").to_numpy()
    case_holding = spells["team"].isin(CASE_HOLDING_TEAMS).to_numpy()
    starts, ends, fte = spells["start"].to_numpy(), spells["end"].to_numpy(), spells["fte"].to_numpy()

    def stock(mask):
        return open_sum(starts[mask], ends[mask], fte[mask], at)

    employed_fte, agency_fte = stock(employed), stock(agency)
    posts = builder.rows_of(("post_added", "post_removed"))  # in log order: the sums' order
    added = builder.event_codes.equals_at(posts, "post_added")
    signed = np.where(added, 1.0, -1.0) * builder.values[posts]
    post_times = builder.times[posts]
    establishment = np.array([signed[post_times <= t].sum() for t in at])
    vacant = np.maximum(establishment - employed_fte, 0.0)
    builder.add_stock("sw_fte", employed_fte)
    builder.add_stock("sw_agency_fte", agency_fte)
    builder.add_stock("sw_vacancies_fte", vacant)
    builder.add_stock("sw_vacancy_pct", builder.percent(vacant, establishment))
    builder.add_stock("sw_agency_pct", builder.percent(agency_fte, employed_fte + agency_fte))

    left_employed = employed & np.isfinite(ends)
    leavers = builder.add_flow("sw_leavers_fte", np.histogram(ends[left_employed], bins=builder.edges,
                                                              weights=fte[left_employed])[0])
    hired = employed & ~spells["initial"].to_numpy()
    builder.add_flow("sw_starters_fte", np.histogram(starts[hired], bins=builder.edges, weights=fte[hired])[0])
    mean_employed = pd.Series(employed_fte).rolling(12, min_periods=1).mean().to_numpy()
    annualise = 365.0 / builder.covered_days()
    builder.add_stock("sw_turnover_pct", builder.percent(builder.rolling(leavers) * annualise, mean_employed))

    # Allocation: held and waiting children per team at each month end. Each team's rows are
    # taken on their own (the allocation events' details compared with the team), so a row's
    # successor is found on the child's numeric id alone: the same intervals as keying by
    # (child, team), without sorting strings. The intervals of ``metrics.intervals`` (same
    # order, same ends), on arrays (``KpiBuilder.intervals_at``): no frame is copied per team
    # and per kind.
    codes = builder.event_codes
    allocation = builder.rows_of(("allocation_requested", "allocated", "deallocated"))
    teams = builder.details[allocation]
    times = builder.times
    held, waiting = {}, {}
    for team in CASE_HOLDING_TEAMS:
        rows, ended = builder.intervals_at(allocation[teams == team])
        began = times[rows]
        for kind, store in (("allocated", held), ("allocation_requested", waiting)):
            is_kind = codes.equals_at(rows, kind)
            store[team] = count_open(began[is_kind], ended[is_kind], at).astype(float)
    held_total, waiting_total = sum(held.values()), sum(waiting.values())
    holders_fte = stock(case_holding & (employed | agency))
    builder.add_stock("sw_case_holders_fte", holders_fte)
    builder.add_stock("children_awaiting_allocation", waiting_total)
    with np.errstate(divide="ignore", invalid="ignore"):
        builder.add_stock("sw_caseload_mean", np.where(
            holders_fte > 0, (held_total + wf.other_cases_held.value) / holders_fte, np.nan))

    changes = builder.add_flow("sw_worker_changes", builder.per_month(builder.rows("worker_changed")),
                               publish=False)
    allocated_years = pd.Series(held_total).rolling(12, min_periods=1).mean().to_numpy()
    builder.add_stock("sw_changes_per_child", np.where(
        allocated_years > 0, builder.rolling(changes) * annualise / np.maximum(allocated_years, 1e-12), np.nan))

    builder.add_stock("visits_in_time_pct", visits_in_time(held, waiting, spells, at, wf, effects))
    add_staff_spend(builder, spells, wf, scenario.workforce_levers)


def visits_in_time(held, waiting, spells, at, wf, effects) -> np.ndarray:
    """% of the month's statutory visits in time, from each team's caseload at month end."""
    starts, ends, fte = spells["start"].to_numpy(), spells["end"].to_numpy(), spells["fte"].to_numpy()
    teams = spells["team"].to_numpy()
    team_fte = {}
    for team in CASE_HOLDING_TEAMS:
        in_team = teams == team
        team_fte[team] = open_sum(starts[in_team], ends[in_team], fte[in_team], at)
    total_fte = sum(team_fte.values())
    reference, floor = effects.reference_caseload.value, effects.no_further_gain_below_caseload.value
    base = effects.visits_in_time_at_reference_prob.value
    strength = effects.visits_strength.value if effects.enabled else 0.0
    in_time = np.zeros(len(at))
    children = np.zeros(len(at))
    with np.errstate(divide="ignore", invalid="ignore"):
        for team in CASE_HOLDING_TEAMS:
            caseload = np.where(team_fte[team] > 0, held[team] / team_fte[team]
                                + wf.other_cases_held.value / np.maximum(total_fte, 1e-12), np.inf)
            excess = (np.maximum(caseload, floor) - reference) / reference
            probability = np.clip(base - strength * excess, 0.0, 1.0)
            in_time += held[team] * probability
            children += held[team] + waiting[team]
    return np.where(children > 0, 100.0 * in_time / np.maximum(children, 1e-12), np.nan)


def add_staff_spend(builder, spells: pd.DataFrame, wf, levers) -> None:
    """Monthly staff spend lines from FTE-days by kind, hires and lever costs.

    Pay follows the real price index of ``staff`` (``cost_base``). The levers' own costs are also
    written as memo flows (parts of these lines, not added to the total): ``lever_cost_retention_gbp``
    (the payments), ``lever_cost_extra_posts_gbp`` (pay of whoever fills or covers a post the lever
    added: a worker's post is read from its id) and ``lever_cost_faster_recruitment_gbp``.
    """
    edges = builder.edges
    start_date = builder.scenario.start_date
    pay_index = price_index_by_month(builder, "staff")
    loaded = wf.salary_employed_gbp_per_year.value * (1 + wf.on_cost_share.value) / 365.0 * pay_index
    asye_loaded = wf.salary_asye_gbp_per_year.value * (1 + wf.on_cost_share.value) / 365.0 * pay_index
    starts, ends, fte = spells["start"].to_numpy(), spells["end"].to_numpy(), spells["fte"].to_numpy()
    kind = spells["kind"].to_numpy()
    asye = kind == "asye"
    protected_end = np.minimum(ends, starts + wf.asye_protected_days.value)
    employed_days = overlap_days(starts[kind == "employed"], ends[kind == "employed"], fte[kind == "employed"], edges)
    asye_protected = overlap_days(starts[asye], protected_end[asye], fte[asye], edges)
    asye_after = overlap_days(protected_end[asye], ends[asye], fte[asye], edges)
    agency_days = overlap_days(starts[kind == "agency"], ends[kind == "agency"], fte[kind == "agency"], edges)
    permanent_days = employed_days + asye_protected + asye_after
    # Retention payments on employed FTE-days, ramped in as the lever phases in (month midpoints).
    retention = levers.retention
    retention_day = float((retention.start_date.value - start_date).days)
    middle = (edges[:-1] + edges[1:]) / 2
    phase = retention.phase_in_months.value * DAYS_PER_MONTH
    ramp = np.where(middle < retention_day, 0.0,
                    1.0 if phase <= 0 else np.clip((middle - retention_day) / max(phase, 1e-9), 0.0, 1.0))
    retention_cost = retention.payment_gbp_per_fte_per_year.value / 365.0 * permanent_days * ramp
    permanent_pay = (employed_days + asye_after) * loaded + asye_protected * asye_loaded
    agency_pay = agency_days * loaded * (1 + wf.agency_premium_share.value)
    builder.add_flow("spend_staff_permanent_gbp", permanent_pay + retention_cost)
    builder.add_flow("spend_staff_agency_gbp", agency_pay)
    builder.add_flow("lever_cost_retention_gbp", retention_cost)
    # The extra posts' pay: the same sums over the workers in posts the lever added.
    post_ids = (spells["worker_id"].to_numpy() - WORKER_ID_BASE) // MAX_OCCUPANTS
    lever_post = post_ids >= LEVER_POST_ID
    employed, agency, asye_lever = (lever_post & (kind == "employed"), lever_post & (kind == "agency"),
                                    lever_post & asye)
    builder.add_flow("lever_cost_extra_posts_gbp", (
        overlap_days(starts[employed], ends[employed], fte[employed], edges) * loaded
        + overlap_days(starts[asye_lever], protected_end[asye_lever], fte[asye_lever], edges) * asye_loaded
        + overlap_days(protected_end[asye_lever], ends[asye_lever], fte[asye_lever], edges) * loaded))
    builder.add_flow("lever_cost_extra_posts_agency_gbp", overlap_days(
        starts[agency], ends[agency], fte[agency], edges) * loaded * (1 + wf.agency_premium_share.value))
    hires = np.isin(kind, ("employed", "asye")) & ~spells["initial"].to_numpy()
    hire_counts = np.histogram(starts[hires], bins=edges)[0]
    faster = levers.faster_recruitment
    faster_day = float((faster.start_date.value - start_date).days)
    lever_days = np.clip(edges[1:] - np.maximum(edges[:-1], faster_day), 0.0, None)
    faster_cost = faster.cost_gbp_per_year.value / 365.0 * lever_days
    builder.add_flow("spend_staff_recruitment_gbp", hire_counts * wf.recruitment_cost_gbp_per_hire.value + faster_cost)
    builder.add_flow("lever_cost_faster_recruitment_gbp", faster_cost)


__all__ = ["add_workforce_kpis", "worker_spells", "open_sum"]

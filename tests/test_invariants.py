"""Invariants of every run: children are conserved, stocks match the log, capacity is never exceeded.

Users read stocks (CIN, CP, CLA) and flows off the KPI files; these tests check them against the
event log, which is the model's only record, and check that no team, bed pool or early help
offer ever holds more than its capacity.
"""

import numpy as np
import pytest

SEED = 20240401
YEARS = 2

TIGHT = {
    # Few workers, beds and early help places, so queues really form.
    "capacity.assessment_team_case_holding_fte": 8,
    "capacity.family_support_team_case_holding_fte": 15,
    "capacity.children_in_care_team_case_holding_fte": 8,
    "capacity.leaving_care_personal_adviser_fte": 3,
    "fostering.initial_households": 10,
    "early_help.capacity_families": 100,
}


@pytest.fixture(scope="module")
def baseline_run(baseline, simulate):
    return simulate(baseline, SEED, 0, YEARS)


@pytest.fixture(scope="module")
def tight_run(baseline, make_variant, simulate):
    return simulate(make_variant(baseline, TIGHT, "tight capacity"), SEED, 0, YEARS)


@pytest.mark.invariant
def test_every_child_is_in_one_state_and_stocks_match_the_kpis(baseline_run, invariants):
    """At every month end each child known to the log is in exactly one state, and the CLA, CP,
    CIN plan, children-in-need, early help and care leaver KPIs equal the counts derived from the
    log (latest state event at or before the month end)."""
    invariants.conservation(baseline_run)


@pytest.mark.invariant
def test_state_events_are_time_ordered_and_follow_the_pathway(baseline_run, invariants):
    """Each child's state events are written in time order (back-dated stock events come first)
    and every change of state is one the pathway allows (e.g. nobody leaves care into a CIN plan
    without a new referral, nobody returns after leaving at 21)."""
    invariants.transitions(baseline_run)


@pytest.mark.invariant
def test_cla_and_cp_stocks_change_by_exactly_their_flows(baseline_run, invariants):
    """CLA at each month end = CLA a month earlier + cla_started - cla_ceased (from the start of
    the run), and the same for CP plans; so the flow and stock KPIs tell one story."""
    invariants.flow_balance(baseline_run)


@pytest.mark.invariant
def test_kpi_flows_count_the_logged_events(baseline_run):
    """The summed monthly flows equal the events in the log from time 0 to the last month end
    (starting-stock events are back-dated and are not flows)."""
    events = baseline_run.events
    end = baseline_run.month_end_days()[-1]
    in_run = events[(events["time_days"] >= 0) & (events["time_days"] <= end)]
    for kpi, event in (("referrals", "referral"), ("s47_enquiries", "s47_started"),
                       ("cp_plans_started", "cp_plan_started"), ("cla_started", "cla_started"),
                       ("cla_ceased", "cla_ceased"), ("icpcs", "icpc")):
        logged = int((in_run["event"] == event).sum())
        summed = baseline_run.kpi(kpi).sum()
        assert summed == logged, f"{kpi}: KPI months sum to {summed}, the log has {logged} {event} events"


@pytest.mark.invariant
def test_baseline_capacity_is_never_exceeded(baseline_run, invariants):
    """Replaying allocations in log order, no team holds more children than FTE x caseload limit
    (personal advisers for leaving care); no in-house household ever holds more children (and
    staying-put young people) than its approved beds, and households are conserved; no family
    starts early help while the places are full."""
    invariants.team_capacity(baseline_run)
    invariants.foster_beds(baseline_run)
    invariants.early_help_capacity(baseline_run)


@pytest.mark.invariant
def test_tight_capacity_forms_queues_and_keeps_every_invariant(tight_run, invariants):
    """With few social workers, beds and early help places, children wait for allocation, foster
    searches fall back to agencies, families wait for early help, and still every invariant holds."""
    awaiting = tight_run.kpi("children_awaiting_allocation")
    assert awaiting.max() > 0, f"expected children awaiting allocation, observed max {awaiting.max()}"
    fallbacks = int((tight_run.events["event"] == "placement_fallback").sum())
    assert fallbacks > 0, f"expected placement_fallback events with 10 households, observed {fallbacks}"
    waiting = tight_run.kpi("early_help_waiting")
    assert waiting.max() > 0, f"expected families waiting for early help, observed max {waiting.max()}"
    invariants.check_all(tight_run)


@pytest.mark.invariant
def test_tight_capacity_holds_teams_at_their_slots(tight_run):
    """When children wait, the team is full: at the last month end, with children waiting for the
    assessment team, the team holds exactly the sum of its workers' caseload limits (no idle
    capacity while children queue). Social workers are named workers since the workforce issue,
    so "slots" are the workers' limits, read from the log."""
    from simulation.engine.workforce import scenario_caseload_limit
    events, scenario = tight_run.events, tight_run.scenario
    end = tight_run.month_end_days()[-1]
    before = events[events["time_days"] < end]
    joined = before[(before["event"] == "worker_joined") & before["detail"].str.startswith("assessment:")]
    left = set(before.loc[before["event"] == "worker_left", "child_id"])
    in_post = joined[~joined["child_id"].isin(left)]
    protected_days = scenario.workforce.asye_protected_days.value
    limits = sum(scenario_caseload_limit(scenario, row.value, row.detail.split(":")[1]
                                         if end < row.time_days + protected_days else "employed")
                 for row in in_post.itertuples())
    rows = before[(before["detail"] == "assessment")
                  & before["event"].isin(["allocation_requested", "allocated", "deallocated"])]
    held, waiting = set(), set()
    for kind, child in zip(rows["event"].astype(str), rows["child_id"]):
        held.discard(child)
        waiting.discard(child)
        (held if kind == "allocated" else waiting if kind == "allocation_requested" else set()).add(child)
    assert waiting, "the tight variant should leave children waiting for the assessment team"
    assert len(held) == limits, (f"assessment team holds {len(held)} at the end, expected all {limits} "
                                 f"places of its {len(in_post)} workers while {len(waiting)} children wait")


@pytest.mark.invariant
def test_kpis_are_finite_and_never_negative(baseline_run, tight_run, invariants):
    """No KPI is infinite or a negative count, percentages lie in 0-100, and values are missing
    only where a denominator can be zero (percentages)."""
    invariants.kpis_sane(baseline_run)
    invariants.kpis_sane(tight_run)
    assert np.all(baseline_run.kpi("cla") > 0), "baseline CLA should stay positive"


@pytest.mark.invariant
def test_an_event_exactly_at_a_month_end_is_counted_in_one_month(baseline, make_variant, simulate, invariants):
    """An event that happens exactly at a month-end boundary is counted in the same month by the
    stock and the flow KPIs. A one-slot assessment team with a fixed 5-day s.47 enquiry leading to
    care makes children enter care at whole days from time 0, some exactly on a month end; such
    an event belongs to the next month (the stock is taken at the end of the last day)."""
    scenario = make_variant(baseline, {
        "capacity.assessment_team_case_holding_fte": 1, "capacity.caseload_limit_cases_per_fte": 1,
        # One full-time worker holding one child who stays all year: no part-time posts, no cases
        # outside the model, (almost) no leaving, no ASYE intake.
        "workforce.part_time_post_prob": 0.0, "workforce.other_cases_held": 0.0,
        "workforce.employed_leaving_rate_per_year": 1e-9, "workforce.asye_intake_per_year": 0.0,
        "assessment.s47_prob": 1.0, "protection.s47_to_icpc_days": 5.0,
        "protection.icpc_after_s47_prob": 0.0, "assessment.outcome_prob": {"care": 1.0},
    }, "whole-day event times")
    run = simulate(scenario, 1, 0, 1)
    ties = invariants.events_on_month_ends(run)
    assert ties > 0, f"the set-up should put CLA starts exactly on a month end, observed {ties}"
    invariants.flow_balance(run)
    invariants.conservation(run)

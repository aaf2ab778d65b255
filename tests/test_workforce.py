"""Social workers as entities, allocation and the caseload loop.

Replications here are short (2-3 years) and few; tolerances come from the paired standard error
over replications (common random numbers make the pairs tight).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.engine.caseload_loop import CaseloadLoop
from simulation.engine.model import CareSystemModel
from simulation.engine.workforce import worker_caseload_limit
from simulation.kpis.metrics import replication_kpis
from simulation.scenario.loading import load_scenario
from simulation.scenario.vocabulary import CASE_HOLDING_TEAMS

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SEED = 20230401


def scenario(name: str, loop: bool = True):
    loaded = load_scenario(SCENARIOS / f"{name}.toml")
    if not loop:
        effects = loaded.caseload_effects.model_copy(update={"enabled": False})
        loaded = loaded.model_copy(update={"caseload_effects": effects})
    return loaded


def run(name_or_scenario, replication: int, years: float):
    chosen = scenario(name_or_scenario) if isinstance(name_or_scenario, str) else name_or_scenario
    model = CareSystemModel(chosen, SEED, replication, years)
    result = model.run()
    return model, result, chosen


def monthly_kpis(chosen, result) -> pd.DataFrame:
    monthly, _ = replication_kpis(result, chosen)
    return monthly.pivot(index="month_end", columns="kpi", values="value")


@pytest.fixture(scope="module")
def baseline_run():
    return run("baseline", 0, 3)


# --------------------------------------------------------------------------------- unit
@pytest.mark.unit
def test_loop_multiplier_is_one_at_reference_and_bounded():
    """At the reference caseload every effect is 1; below the floor no further gain; capped."""
    effects = scenario("baseline").caseload_effects
    loop = CaseloadLoop(effects, caseload_of=lambda team: 15.9)
    ref, floor = effects.reference_caseload.value, effects.no_further_gain_below_caseload.value
    assert loop.multiplier(0.5, ref) == pytest.approx(1.0), "multiplier at the reference caseload"
    assert loop.multiplier(0.5, 2.0) == pytest.approx(loop.multiplier(0.5, floor)), "floor"
    assert loop.multiplier(0.5, ref * 1.2) == pytest.approx(1.1), "1 + 0.5 x 20% excess"
    assert loop.multiplier(5.0, 1e6) == pytest.approx(effects.max_multiplier.value), "cap"
    off = CaseloadLoop(effects.model_copy(update={"enabled": False}), caseload_of=lambda team: 40.0)
    assert off.assessment("assessment") == 1.0 and off.turnover(40.0) == 1.0, "loop switched off"


@pytest.mark.unit
def test_escalated_endings_keep_a_probability_table():
    """Raising escalation keeps the ending table summing to 1 and raises only escalations."""
    effects = scenario("baseline").caseload_effects
    loop = CaseloadLoop(effects, caseload_of=lambda team: 15.9 * 1.5)
    table = {"closed": 0.74, "early_help": 0.12, "s47": 0.10, "care": 0.04}
    pairs = loop.escalated_endings(table, "cin", "family_support", default=[])
    probabilities = dict(zip([key for key, _ in pairs], np.diff([0.0, *[c for _, c in pairs]])))
    assert pairs[-1][1] == pytest.approx(1.0), f"cumulative ends at {pairs[-1][1]}, expected 1"
    factor = loop.at_team(effects.escalation_strength.value, "family_support")
    assert probabilities["s47"] == pytest.approx(0.10 * factor), "s.47 escalation x multiplier"
    assert probabilities["closed"] < 0.74, f"closures fall to make room, got {probabilities['closed']}"


@pytest.mark.unit
def test_worker_limit_nets_off_cases_not_modelled():
    """A full-time worker holds limit - other cases per FTE; ASYE less; part-time pro rata."""
    assert worker_caseload_limit(20, 2.5, 1.0) == 17, "full-time"
    assert worker_caseload_limit(20, 2.5, 1.0, protected_share=0.8) == 13, "ASYE"
    assert worker_caseload_limit(20, 2.5, 0.6) == 10, "part-time 0.6 FTE"


# --------------------------------------------------------------------------------- invariants
@pytest.mark.invariant
def test_workers_conserved(baseline_run):
    """Every worker who joined has left or is in post at the end (joined = left + in post)."""
    model, result, _ = baseline_run
    events = result.events
    joined = set(events.loc[events["event"] == "worker_joined", "child_id"])
    left = set(events.loc[events["event"] == "worker_left", "child_id"])
    in_post = {worker.worker_id for team in model.workforce.teams.values() for worker in team.workers}
    assert left <= joined, f"{len(left - joined)} workers left without joining"
    assert not (left & in_post), f"{len(left & in_post)} workers both left and in post"
    assert len(joined) == len(left) + len(in_post), (
        f"joined {len(joined)} != left {len(left)} + in post {len(in_post)}")
    posts = model.workforce.posts.values()
    holders = sum(post.holder is not None for post in posts if post.open)
    covers = sum(post.cover is not None for post in posts if post.open)
    assert holders + covers == len(in_post), f"posts held {holders} + covered {covers} != {len(in_post)}"


@pytest.mark.invariant
def test_no_worker_exceeds_caseload_limit_at_any_event(baseline_run):
    """Replaying allocation events, no worker ever holds more children than their limit."""
    model, result, _ = baseline_run
    events = result.events
    workforce = model.workforce
    spells = events[events["event"] == "worker_joined"]
    limit, start, protected = {}, {}, {}
    for row in spells.itertuples():
        team, kind = row.detail.split(":")[:2]
        limit[row.child_id] = 0 if team not in CASE_HOLDING_TEAMS else workforce.limit_for(row.value, "employed")
        protected[row.child_id] = workforce.limit_for(row.value, "asye") if kind == "asye" else None
        start[row.child_id] = row.time_days
    protected_days = workforce.scenario.workforce.asye_protected_days.value
    rows = events[events["event"].isin(["allocation_requested", "allocated", "deallocated"])
                  & events["detail"].isin(CASE_HOLDING_TEAMS)]
    load, holder, worst = defaultdict(int), {}, 0.0
    for row in rows.itertuples():
        key = (row.child_id, row.detail)
        previous = holder.pop(key, None)
        if previous is not None:
            load[previous] -= 1
        if row.event == "allocated":
            worker = int(row.value)
            holder[key] = worker
            load[worker] += 1
            cap = limit[worker]
            if protected[worker] is not None and row.time_days < start[worker] + protected_days:
                cap = protected[worker]
            assert load[worker] <= cap, (
                f"worker {worker} holds {load[worker]} > limit {cap} at day {row.time_days:.1f}")
            worst = max(worst, load[worker] / cap)
    assert worst > 0.5, f"workers should carry real caseloads (max load/limit {worst:.2f})"


@pytest.mark.invariant
def test_worker_changes_are_logged_for_reallocations(baseline_run):
    """Each worker_changed event names a worker the child was just allocated to."""
    _, result, _ = baseline_run
    events = result.events
    changes = events[events["event"] == "worker_changed"]
    assert len(changes) > 0, "workers leave, so some children change worker"
    allocated = events[events["event"] == "allocated"]
    pairs = set(zip(allocated["child_id"], allocated["time_days"], allocated["value"]))
    missing = [row for row in changes.itertuples() if (row.child_id, row.time_days, row.value) not in pairs]
    assert not missing, f"{len(missing)} changes without a matching allocation, e.g. {missing[:1]}"
    reasons = set(changes["detail"])
    assert reasons <= {"worker_left", "transfer"}, f"unexpected reasons {reasons}"


@pytest.mark.invariant
def test_workforce_kpis_follow_census_definitions(baseline_run):
    """agency % = agency / (employed + agency); caseload = (held + other) / case-holder FTE."""
    _, result, chosen = baseline_run
    kpis = monthly_kpis(chosen, result)
    expected_agency = 100 * kpis["sw_agency_fte"] / (kpis["sw_fte"] + kpis["sw_agency_fte"])
    assert np.allclose(kpis["sw_agency_pct"], expected_agency), "sw_agency_pct definition"
    # The starting establishment (day 0) is the census's, to within a part-time post per team.
    events = result.events
    initial = events[(events["event"] == "worker_joined") & events["detail"].str.endswith(":initial")]
    kind = initial["detail"].str.split(":").str[1]
    employed, agency = initial.loc[kind != "agency", "value"].sum(), initial.loc[kind == "agency", "value"].sum()
    posts = events.loc[(events["event"] == "post_added") & (events["time_days"] == 0), "value"].sum()
    census = scenario("baseline").workforce  # the 30 September 2023 census: 101, 36, 41 FTE
    want_employed, want_agency = census.employed_fte_at_start.value, census.agency_fte_at_start.value
    want_vacancy = 100 * census.vacancies_fte_at_start.value / (want_employed + census.vacancies_fte_at_start.value)
    assert abs(employed - want_employed) < 3, f"employed FTE at start {employed:.1f}, census {want_employed}"
    assert abs(agency - want_agency) < 3, f"agency FTE at start {agency:.1f}, census {want_agency}"
    vacancy = 100 * (posts - employed) / posts
    assert abs(vacancy - want_vacancy) < 2, f"vacancy % at start {vacancy:.1f}, census {want_vacancy:.1f}"
    for line in ("spend_staff_permanent_gbp", "spend_staff_agency_gbp", "spend_staff_recruitment_gbp"):
        assert (kpis[line] >= 0).all() and kpis[line].sum() > 0, f"{line} present and non-negative"


# --------------------------------------------------------------------------------- direction
def paired(first: str, second, kpis: list[str], replications: int, years: float, window=None,
           reducer="mean") -> dict[str, tuple[float, float]]:
    """Mean and standard error over replications of (second - first) for each KPI."""
    diffs = defaultdict(list)
    for replication in range(replications):
        values = []
        for name in (first, second):
            _, result, chosen = run(name, replication, years)
            frame = monthly_kpis(chosen, result)
            if window is not None:
                frame = frame.loc[window[0]:window[1]]
            values.append(getattr(frame[kpis], reducer)())
        for kpi in kpis:
            diffs[kpi].append(values[1][kpi] - values[0][kpi])
    return {kpi: (float(np.mean(d)), float(np.std(d, ddof=1) / np.sqrt(len(d)))) for kpi, d in diffs.items()}


@pytest.mark.direction
def test_more_permanent_posts_lower_caseloads_delays_and_changes():
    """10 more permanent posts: lower caseload, fewer waits, no fewer assessments in time,
    fewer changes of worker per child (paired over replications, common random numbers)."""
    result = paired("baseline", "recruit_10_permanent",
                    ["sw_caseload_mean", "sw_fte", "sw_changes_per_child", "assessments_within_45wd_pct",
                     "children_awaiting_allocation"], replications=5, years=4, window=("2025-04-30", "2027-03-31"))
    mean, se = result["sw_caseload_mean"]
    assert mean < -3 * se and mean < 0, f"caseload change {mean:.2f} (se {se:.2f}), expected < 0"
    mean, se = result["sw_fte"]
    assert mean > 3 * se, f"employed FTE change {mean:.2f} (se {se:.2f}), expected > 0"
    mean, se = result["sw_changes_per_child"]
    assert mean < 0, f"changes of worker per child change {mean:.3f} (se {se:.3f}), expected < 0"
    mean, se = result["assessments_within_45wd_pct"]
    assert mean > -2 * se - 1e-9, f"assessments in time change {mean:.2f} (se {se:.2f}), expected >= 0"


@pytest.mark.direction
def test_agency_cap_without_posts_raises_caseloads():
    """Capping agency cover at 10% of posts, with no new posts, raises caseloads."""
    result = paired("baseline", "agency_cap", ["sw_caseload_mean", "sw_agency_pct"], replications=4, years=3,
                    window=("2024-10-31", "2026-03-31"))
    mean, se = result["sw_agency_pct"]
    assert mean < -3 * se and mean < 0, f"agency % change {mean:.2f} (se {se:.2f}), expected < 0"
    mean, se = result["sw_caseload_mean"]
    assert mean > 3 * se and mean > 0, f"caseload change {mean:.2f} (se {se:.2f}), expected > 0"


@pytest.mark.direction
def test_shock_raises_caseloads_and_delays_and_loop_off_removes_knock_on_effects():
    """Losing 30% of permanent staff (April 2024) raises caseloads and waits; with the loop on,
    assessments slow and more CIN plans stay open; with the loop off those knock-on effects vanish
    (paired differences within 3 standard errors of zero) while the caseload rise remains."""
    window = ("2024-04-30", "2025-09-30")
    kpis = ["sw_caseload_mean", "children_awaiting_allocation", "assessments_within_45wd_pct", "cin_plans_open"]
    on = paired("baseline", "workforce_shock", kpis, replications=5, years=2.5, window=window)
    off = paired(scenario("baseline", loop=False), scenario("workforce_shock", loop=False), kpis,
                 replications=5, years=2.5, window=window)
    for name, results in (("on", on), ("off", off)):
        mean, se = results["sw_caseload_mean"]
        assert mean > 3 * se and mean > 0, f"loop {name}: caseload change {mean:.2f} (se {se:.2f}) > 0"
        mean, se = results["children_awaiting_allocation"]
        assert mean > 0, f"loop {name}: children awaiting allocation change {mean:.2f} (se {se:.2f}) > 0"
    mean, se = on["assessments_within_45wd_pct"]
    assert mean < 0, f"loop on: assessments in time change {mean:.2f} (se {se:.2f}), expected < 0"
    for kpi in ("assessments_within_45wd_pct", "cin_plans_open"):
        mean_off, se_off = off[kpi]
        mean_on, _ = on[kpi]
        assert abs(mean_off) <= 3 * se_off + 0.05 * abs(mean_on) + 1e-9, (
            f"loop off: {kpi} change {mean_off:.3f} (se {se_off:.3f}) should vanish (loop on {mean_on:.3f})")


@pytest.mark.reproducibility
def test_extra_posts_keep_existing_workers_draws():
    """A scenario adding posts does not shift the baseline's workers' own draws (keyed by id)."""
    _, base, _ = run("baseline", 1, 0.5)
    _, more, _ = run("recruit_10_permanent", 1, 0.5)
    joined = lambda events: events[events["event"] == "worker_joined"][["time_days", "child_id", "detail", "value"]]  # noqa: E731
    pd.testing.assert_frame_equal(joined(base.events).reset_index(drop=True),
                                  joined(more.events).reset_index(drop=True),
                                  obj="workers joining before the lever starts")

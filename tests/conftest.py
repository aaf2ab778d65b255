"""Shared fixtures for the model's tests: the baseline, scenario variants, cached runs, invariant checks.

* ``baseline``: the Southend baseline scenario, loaded once per session.
* ``make_variant``: a validated variant of a scenario from ``{"section.parameter": value}``; each
  changed parameter is replaced whole, with a ``source`` saying it is a test value (so a value
  outside the baseline's assumed range is allowed, as in a real scenario file that restates it).
* ``simulate``: runs one replication (cached per session by scenario hash, seed, replication and
  years) and returns the result, its raw records in the order they were written, and the KPIs.
* ``invariants``: checks of conservation, state transitions, capacity and KPI sanity that the
  invariant, extreme and property tests share.

Hypothesis profiles: ``ci`` (default: few examples, no deadline, derandomised so the suite is
deterministic) and ``dev`` (more examples, random); choose with ``HYPOTHESIS_PROFILE``.
"""

from __future__ import annotations

import copy
import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

from simulation.engine.fostering import HOUSEHOLD_ID_BASE
from simulation.engine.model import CareSystemModel, ReplicationResult
from simulation.engine.workforce import scenario_caseload_limit
from simulation.kpis.metrics import replication_kpis
from simulation.records.eventlog import (
    CIN_CENSUS_STATES,
    COLUMNS,
    STATES,
    WORKFORCE_EVENTS,
    flat_rows,
)
from simulation.scenario.loading import load_scenario, scenario_hash
from simulation.scenario.schema import Scenario
from simulation.scenario.vocabulary import CASE_HOLDING_TEAMS

REPO = Path(__file__).resolve().parents[1]
BASELINE_PATH = REPO / "scenarios" / "baseline.toml"

settings.register_profile("ci", max_examples=12, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("dev", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ---------------------------------------------------------------------------- scenarios
def variant(scenario: Scenario, changes: dict[str, Any], why: str = "test variant") -> Scenario:
    """A validated copy of ``scenario`` with ``changes`` applied.

    Keys are dotted paths (``fostering.initial_households``,
    ``initial_stock.2023-03-31.cla``). A path naming a parameter table gets ``{"value": v,
    "source": "test: <why>"}`` (the whole table replaced, as a scenario delta does); a path naming a
    plain field (``name``, ``start_date``) is set directly. The result is validated, so an invalid
    variant fails loudly here rather than inside the model.
    """
    data = copy.deepcopy(scenario.model_dump(mode="python"))
    for path, value in changes.items():
        parts = path.split(".")
        node = data
        for part in parts[:-1]:
            node = node[part]
        if isinstance(node.get(parts[-1]), dict) and "value" in node[parts[-1]]:
            node[parts[-1]] = {"value": value, "source": f"test: {why}"}
        else:
            node[parts[-1]] = value
    return Scenario.model_validate(data)


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    """The Southend baseline scenario."""
    return load_scenario(BASELINE_PATH)


@pytest.fixture(scope="session")
def make_variant():
    """``make_variant(scenario, {"section.parameter": value, ...}) -> Scenario`` (validated)."""
    return variant


# ---------------------------------------------------------------------------- runs
@dataclass
class Run:
    """One replication with everything the tests read."""

    scenario: Scenario
    result: ReplicationResult
    raw: pd.DataFrame  # records in the order they were written (before the log's time sort)
    monthly: pd.DataFrame  # long: month_end, kpi, value
    annual: pd.DataFrame

    @property
    def events(self) -> pd.DataFrame:
        return self.result.events

    def kpi(self, name: str) -> np.ndarray:
        """A monthly KPI as an array in month order."""
        rows = self.monthly[self.monthly["kpi"] == name]
        return rows["value"].to_numpy(dtype=float)

    def month_end_days(self) -> np.ndarray:
        """Simulation time of each month end (the end of the month's last day)."""
        ends = pd.to_datetime(self.monthly["month_end"].drop_duplicates()).dt.date
        return np.array([(end - self.scenario.start_date).days + 1 for end in ends], dtype=float)

    def annual_kpi(self, name: str, financial_year: str) -> float:
        rows = self.annual[(self.annual["kpi"] == name) & (self.annual["financial_year"] == financial_year)]
        assert len(rows) == 1, f"expected one annual value of {name} for {financial_year}, got {len(rows)}"
        return float(rows["value"].iloc[0])


def run_model(scenario: Scenario, seed: int, replication: int, years: float) -> Run:
    """Run one replication through ``CareSystemModel`` (as ``run_replication`` does), keeping the raw log."""
    model = CareSystemModel(scenario, seed, replication, years)
    # The list the model writes to, taken before the run: ``run`` hands the log's fields to the
    # event frame and gives the log a new, empty list (``EventLog.to_frame(release=True)``), so
    # ``model.log.fields`` read afterwards would be empty and the raw-log checks vacuous.
    fields = model.log.fields
    result = model.run()
    records = flat_rows(fields)
    assert len(records) == len(result.events), (
        f"raw log has {len(records)} records, the event frame {len(result.events)}")
    raw = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    monthly, annual = replication_kpis(result, scenario)
    return Run(scenario, result, raw, monthly, annual)


_RUNS: dict[tuple, Run] = {}


def cached_run(scenario: Scenario, seed: int, replication: int, years: float) -> Run:
    key = (scenario_hash(scenario), seed, replication, years)
    if key not in _RUNS:
        _RUNS[key] = run_model(scenario, seed, replication, years)
    return _RUNS[key]


@pytest.fixture(scope="session")
def simulate():
    """``simulate(scenario, seed, replication, years) -> Run``, cached for the session."""
    return cached_run


def team_slots(scenario: Scenario) -> dict[str, int]:
    """Slots per team if capacity were FTE x limit. Only leaving care still works this way (social
    workers are named workers with their own limits: see ``check_worker_caseloads``)."""
    cap = scenario.capacity
    limit = cap.caseload_limit_cases_per_fte.value
    return {
        "assessment": int(cap.assessment_team_case_holding_fte.value * limit),
        "family_support": int(cap.family_support_team_case_holding_fte.value * limit),
        "children_in_care": int(cap.children_in_care_team_case_holding_fte.value * limit),
        "leaving_care": int(cap.leaving_care_personal_adviser_fte.value
                            * cap.personal_adviser_caseload_limit_per_fte.value),
    }


# ---------------------------------------------------------------------------- invariants
#: Which state may follow which (design.md section 1); ``None`` is "not yet known to the council".
ALLOWED_NEXT: dict[str | None, set[str]] = {
    None: {"early_help_waiting", "early_help", "assessment", "cin_plan", "cp_plan", "care", "care_leaver",
           "closed"},
    "early_help_waiting": {"early_help", "closed"},
    "early_help": {"closed"},
    "assessment": {"s47", "cin_plan", "cp_plan", "care", "early_help_waiting", "closed"},
    "s47": {"cin_plan", "cp_plan", "care", "early_help_waiting", "closed"},
    "cin_plan": {"s47", "care", "early_help_waiting", "closed"},
    "cp_plan": {"cin_plan", "care", "closed"},
    "care": {"care_leaver", "closed"},
    "care_leaver": {"left"},
    # A return home (or a special guardianship) that breaks down: straight back into care.
    "closed": {"assessment", "care", "closed"},
    "left": set(),
}
STOCK_KPIS = {"cla": ("care",), "cp_plans_open": ("cp_plan",), "cin_plans_open": ("cin_plan",),
              "children_in_need": CIN_CENSUS_STATES, "early_help_open": ("early_help",),
              "early_help_waiting": ("early_help_waiting",), "care_leavers": ("care_leaver",)}


#: A month-end stock is taken at the end of the month's last day, just before the month-end time t
#: (the first instant of the next month): an event at exactly t belongs to the next month, in the
#: stocks as in the flows (see test_invariants.test_an_event_exactly_at_a_month_end_...).
MONTH_END_INCLUDES_EVENTS_AT_T = False


def states_at(events: pd.DataFrame, t: float, inclusive: bool | None = None) -> pd.Series:
    """Each child's state at time ``t``: its latest state event at or before ``t`` (log order on ties).

    ``inclusive=False`` takes only events strictly before ``t``; the default follows
    ``MONTH_END_INCLUDES_EVENTS_AT_T``.
    """
    inclusive = MONTH_END_INCLUDES_EVENTS_AT_T if inclusive is None else inclusive
    before = events["time_days"] <= t if inclusive else events["time_days"] < t
    state_events = events[(events["state"] != "") & before]
    latest = state_events.groupby("child_id", sort=False).tail(1)
    return latest.set_index("child_id")["state"]


def check_conservation(run: Run) -> None:
    """Every child is in exactly one known state at every month end; stocks match the KPIs."""
    events = run.events
    for t, month_end in zip(run.month_end_days(), run.monthly["month_end"].drop_duplicates()):
        state = states_at(events, t)
        assert state.index.is_unique, f"{month_end}: a child has more than one state"
        unknown = set(state.unique()) - set(STATES)
        assert not unknown, f"{month_end}: states outside STATES: {unknown}"
        seen = events["time_days"] <= t if MONTH_END_INCLUDES_EVENTS_AT_T else events["time_days"] < t
        # Fostering households, posts and workers share the log's id column; they are not children.
        seen &= ~events["event"].isin(WORKFORCE_EVENTS)
        known_children = set(events.loc[seen & (events["child_id"] < HOUSEHOLD_ID_BASE), "child_id"].unique())
        stateless = known_children - set(state.index)
        assert not stateless, (f"{month_end}: {len(stateless)} children have events but no state, "
                               f"e.g. {sorted(stateless)[:5]}")
        counts = state.value_counts()
        month = run.monthly[run.monthly["month_end"] == month_end].set_index("kpi")["value"]
        for kpi, members in STOCK_KPIS.items():
            expected = int(sum(counts.get(s, 0) for s in members))
            assert month[kpi] == expected, (f"{month_end} {kpi}: KPI {month[kpi]} but the log gives "
                                            f"{expected} children in {members}")


def check_transitions(run: Run) -> None:
    """Per child, state events are written in time order and each follows an allowed state."""
    raw = run.raw[run.raw["state"] != ""]
    backwards = raw.groupby("child_id", sort=False)["time_days"].diff() < -1e-9
    assert not backwards.any(), (f"{int(backwards.sum())} state events written with a time before the "
                                 f"child's previous state event, e.g.\n{raw[backwards].head()}")
    ordered = run.events[run.events["state"] != ""]
    previous = ordered.groupby("child_id", sort=False)["state"].shift(1)
    pairs = pd.DataFrame({"from": previous.where(previous.notna(), None), "to": ordered["state"]})
    bad = [(f, t) for (f, t), _ in pairs.groupby(["from", "to"], dropna=False)
           if t not in ALLOWED_NEXT[None if pd.isna(f) else f]]
    assert not bad, f"state transitions outside the pathway (from, to): {bad}"


def check_flow_balance(run: Run) -> None:
    """CLA and CP stocks change month by month by exactly the flows: stock[m] = stock[m-1] + in - out."""
    start = states_at(run.events, 0.0).value_counts()
    for stock, state, inflow, outflow in (("cla", "care", "cla_started", "cla_ceased"),
                                          ("cp_plans_open", "cp_plan", "cp_plans_started", "cp_plans_ended")):
        levels = np.concatenate([[float(start.get(state, 0))], run.kpi(stock)])
        change = np.diff(levels)
        net = run.kpi(inflow) - run.kpi(outflow)
        mismatch = np.flatnonzero(change != net)
        assert len(mismatch) == 0, (f"{stock}: month {mismatch[0] + 1} changed by {change[mismatch[0]]} but "
                                    f"{inflow} - {outflow} = {net[mismatch[0]]}")
        total = levels[0] + run.kpi(inflow).sum() - run.kpi(outflow).sum()
        assert levels[-1] == total, (f"{stock} at the end: expected start {levels[0]} + in - out = {total}, "
                                     f"observed {levels[-1]}")


def check_team_capacity(run: Run) -> None:
    """Replaying allocations: leaving-care advisers never hold more than their slots; in the social
    work teams no worker ever holds more than their limit, children move only from a worker who has
    left, and nobody waits at the end of an instant while a worker in the team has room."""
    slots = team_slots(run.scenario)["leaving_care"]
    rows = run.events[run.events["event"].isin(["allocation_requested", "allocated", "deallocated"])]
    advisers = rows[rows["detail"] == "leaving_care"]
    holders: set[int] = set()
    for t, kind, child in zip(advisers["time_days"], advisers["event"].astype(str), advisers["child_id"]):
        if kind == "allocated":
            holders.add(child)
        elif kind == "deallocated":
            holders.discard(child)
        assert len(holders) <= slots, f"leaving_care: {len(holders)} allocated at day {t:.2f} > {slots} slots"
    check_worker_caseloads(run)


def check_worker_caseloads(run: Run) -> None:
    """The social work teams' part of ``check_team_capacity`` (named workers with limits)."""
    scenario = run.scenario
    protected_days = scenario.workforce.asye_protected_days.value
    events = run.events
    wanted = events["event"].isin(["allocation_requested", "allocated", "deallocated", "worker_joined",
                                   "worker_left"])
    rows = events[wanted & (events["detail"].str.split(":").str[0].isin(CASE_HOLDING_TEAMS))]
    workers: dict[int, tuple] = {}  # in post: worker -> (team, full limit, protected limit, start)
    load: dict[int, int] = defaultdict(int)
    holder: dict[int, int] = {}
    waiting: dict[str, set] = {team: set() for team in CASE_HOLDING_TEAMS}
    times = rows["time_days"].to_numpy()
    kinds = rows["event"].astype(str).to_numpy()
    for i, (t, kind, who, detail, value) in enumerate(zip(times, kinds, rows["child_id"], rows["detail"],
                                                          rows["value"])):
        if kind == "worker_joined":
            team, worker_kind = detail.split(":")[:2]
            workers[who] = (team, scenario_caseload_limit(scenario, value, "employed"),
                            scenario_caseload_limit(scenario, value, worker_kind), t)
        elif kind == "worker_left":
            workers.pop(who, None)
        else:
            team, previous = detail, holder.pop(who, None)
            if previous is not None:
                load[previous] -= 1
            if kind == "deallocated":
                assert previous is not None or who in waiting[team], f"{team}: child {who} released at {t} unheld"
                waiting[team].discard(who)
            elif kind == "allocation_requested":
                assert previous is None or previous not in workers, (
                    f"{team}: child {who} re-queued at {t} while its worker {previous} is in post")
                assert who not in waiting[team], f"{team}: child {who} asked twice at {t}"
                waiting[team].add(who)
            else:
                worker = int(value)
                # A request is logged only when the child has to wait, so a child allocated without
                # one was allocated on asking, which is only allowed when nobody in the team waits.
                assert previous is not None or who in waiting[team] or not waiting[team], (
                    f"{team}: child {who} allocated on asking at {t} ahead of {len(waiting[team])} waiting")
                assert previous is None or previous not in workers, (
                    f"{team}: child {who} moved at {t} from worker {previous}, who is still in post")
                assert worker in workers and workers[worker][0] == team, f"{team}: worker {worker} not in post at {t}"
                waiting[team].discard(who)
                holder[who] = worker
                load[worker] += 1
                _, full, protected, start = workers[worker]
                limit = protected if t < start + protected_days else full
                assert load[worker] <= limit, f"{team}: worker {worker} holds {load[worker]} > {limit} at {t:.2f}"
        last_at_time = i + 1 == len(times) or times[i + 1] != t
        if last_at_time:
            for team, queue in waiting.items():
                if not queue:
                    continue
                # A worker's protection ends at the monthly review after its year: allow a month.
                idle = [w for w, (w_team, full, protected, start) in workers.items() if w_team == team
                        and load[w] < (protected if t < start + protected_days + 31 else full)]
                assert not idle, (f"{team}: {len(queue)} children waiting at day {t:.2f} while workers "
                                  f"{idle[:3]} have room")


def check_foster_beds(run: Run) -> None:
    """Replaying the raw log, no in-house household ever holds more children (and staying-put
    young people) than its approved beds, nobody takes a bed in a household not approved, every
    in-house placement holds a bed, and households are conserved (approved = deregistered + open)."""
    raw = run.raw
    rows = raw[raw["event"].isin(["household_approved", "household_deregistered", "foster_bed_taken",
                                  "foster_bed_freed"])]
    beds: dict[int, int] = {}
    occupants: dict[int, set] = {}
    approved = deregistered = 0
    for t, child, kind, value in zip(rows["time_days"], rows["child_id"], rows["event"], rows["value"]):
        if kind == "household_approved":
            beds[child], occupants[child] = int(value), set()
            approved += 1
        elif kind == "household_deregistered":
            assert child in beds, f"household {child} deregistered at day {t:.2f} without approval"
            del beds[child]
            deregistered += 1
        elif kind == "foster_bed_taken":
            household = int(value)
            assert household in beds, f"child {child} took a bed in household {household} (not approved) at {t:.2f}"
            occupants[household].add(child)
            assert len(occupants[household]) <= beds[household], (
                f"household {household} holds {len(occupants[household])} at day {t:.2f}, "
                f"expected at most its {beds[household]} approved beds")
        else:
            occupants.get(int(value), set()).discard(child)
    assert approved == deregistered + len(beds), (f"households not conserved: approved {approved}, "
                                                  f"deregistered {deregistered}, open {len(beds)}")
    placed = int(((raw["event"] == "placement_started") & (raw["detail"] == "foster_inhouse")).sum())
    taken = int((raw["event"] == "foster_bed_taken").sum())
    assert taken >= placed, f"{placed} in-house placements started but only {taken} beds taken"


def check_early_help_capacity(run: Run) -> None:
    """No family starts early help (after the starting stock) while the families helped fill the places."""
    places = int(run.scenario.early_help.capacity_families.value)
    events = run.events
    rows = events[events["event"].isin(["early_help_started", "early_help_ended"])]
    helped = 0
    for kind, detail, t in zip(rows["event"].astype(str), rows["detail"], rows["time_days"]):
        if kind == "early_help_started":
            if detail != "initial":
                assert helped < places, (f"a family started early help at day {t:.2f} with {helped} families "
                                         f"helped, expected fewer than {places} places")
            helped += 1
        else:
            helped -= 1
        assert helped >= 0, f"families helped went negative at day {t:.2f}"


def check_kpis_sane(run: Run) -> None:
    """No KPI is infinite or a negative count; missing values only where a denominator can be zero."""
    values = run.monthly["value"].to_numpy(dtype=float)
    assert not np.isinf(values).any(), f"infinite KPIs: {run.monthly[np.isinf(values)].kpi.unique()}"
    missing = run.monthly[np.isnan(values)]["kpi"].unique()
    # Ratios whose denominator can be zero: caseload (no case holders), changes per child (none allocated).
    allowed = [k for k in missing if not (k.endswith("_pct") or k in ("sw_caseload_mean", "sw_changes_per_child"))]
    assert not allowed, f"KPIs missing where a value is always defined: {allowed}"
    negative = run.monthly[values < 0]
    assert negative.empty, f"negative KPI values: {negative.head().to_dict('records')}"
    for kpi in run.monthly["kpi"].unique():
        if kpi.endswith("_pct"):
            pct = run.kpi(kpi)
            pct = pct[~np.isnan(pct)]
            # Turnover is a rate, not a share: a year's leavers over the mean FTE in post passes
            # 100% when a service shrinks (DfE's own rate does where posts are cut).
            top = np.inf if kpi in RATES_THAT_MAY_PASS_100 else 100 + 1e-9
            assert ((pct >= 0) & (pct <= top)).all(), f"{kpi} outside 0-{top:g}: {pct.min()}..{pct.max()}"


#: ``_pct`` KPIs that are rates of a flow over a stock, so may exceed 100 (``check_kpis_sane``).
RATES_THAT_MAY_PASS_100 = frozenset({"sw_turnover_pct"})


def events_on_month_ends(run: Run, events=("cla_started", "cla_ceased", "cp_plan_started", "cp_plan_ended")) -> int:
    """How many of ``events`` fall exactly on a month-end time (the first instant of the next month)."""
    rows = run.events[run.events["event"].isin(events)]
    return int(rows["time_days"].isin(run.month_end_days()).sum())


def check_all(run: Run) -> None:
    """Every invariant, in one call."""
    check_conservation(run)
    check_transitions(run)
    check_flow_balance(run)
    check_team_capacity(run)
    check_foster_beds(run)
    check_early_help_capacity(run)
    check_kpis_sane(run)


@pytest.fixture(scope="session")
def invariants():
    """The invariant checks as a namespace (``invariants.check_all(run)`` etc.)."""
    return SimpleNamespace(
        check_all=check_all, conservation=check_conservation, transitions=check_transitions,
        flow_balance=check_flow_balance, team_capacity=check_team_capacity, foster_beds=check_foster_beds,
        early_help_capacity=check_early_help_capacity, kpis_sane=check_kpis_sane, states_at=states_at,
        team_slots=team_slots, events_on_month_ends=events_on_month_ends,
    )

"""One replication of the care system: wires environment, streams, capacity, stock and arrivals.

Covers
------
* Arrivals: referrals from outside the model, children coming straight into care (UASC and
  adolescents accommodated under s.20) and families brought to early help by partners, as
  Poisson processes whose monthly rate follows the child population (rates per child are held at
  the stock year's). Arrival times are drawn in bulk at the start.
* The starting stock published for the day before the start date: looked-after children by
  placement type, CP and CIN plans, open assessments, care leavers and early help families, each
  with time already spent and some history (see ``initial_stock``).
* ``run_replication`` returns the event log; it computes no summaries (``metrics`` does).

Child ids say where a child came from: the stock from 0, external referrals from
``EXTERNAL_ID_BASE``, early help families from ``EARLY_HELP_ID_BASE``, direct entries to care
from ``DIRECT_CARE_ID_BASE``. Ids, and so each child's
draws, are the same in every scenario that shares those arrivals.
"""

from __future__ import annotations

import datetime as dt
import gc
import time
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.engine.capacity import CaseloadTeam, EarlyHelpPlaces
from simulation.engine.distributions import age_sampler
from simulation.engine.entities import Child
from simulation.engine.event_queue import CareEnvironment
from simulation.engine.fostering import FosteringService
from simulation.engine.initial_stock import seed_initial_stock
from simulation.engine.levers import capacity_steps, lever_arrivals
from simulation.engine.pathway import Journeys
from simulation.engine.schedule import arrivals, run_until
from simulation.engine.watchdog import Watchdog
from simulation.engine.workforce import Workforce
from simulation.records.calendar import DAYS_PER_YEAR
from simulation.records.eventlog import EventLog
from simulation.records.streams import Streams
from simulation.scenario.lever_schedule import LeverSchedule
from simulation.scenario.population import population_scale_by_month
from simulation.scenario.schema import Scenario

EXTERNAL_ID_BASE = 10_000_000
EARLY_HELP_ID_BASE = 20_000_000
DIRECT_CARE_ID_BASE = 30_000_000


@dataclass
class ReplicationResult:
    """What one replication produced: the event log and how long it took."""

    scenario_name: str
    replication: int
    events: pd.DataFrame
    event_count: int
    wall_seconds: float
    horizon_days: float


def horizon_days(start_date: dt.date, years: float) -> float:
    """Days from the start date to the same calendar day ``years`` later (fractional years in days)."""
    whole = int(years)
    try:
        end = start_date.replace(year=start_date.year + whole)
    except ValueError:  # 29 February
        end = start_date.replace(year=start_date.year + whole, day=28)
    return float((end - start_date).days) + (years - whole) * DAYS_PER_YEAR


def poisson_arrival_days(rng: np.random.Generator, rate_per_year: float, start_date: dt.date,
                         horizon: float, scenario: Scenario) -> np.ndarray:
    """Arrival days of a Poisson process whose rate follows the population month by month."""
    months = population_scale_by_month(scenario, start_date, horizon)
    days: list[np.ndarray] = []
    for month_start, month_end, scale in months:
        expected = rate_per_year * scale * (month_end - month_start) / DAYS_PER_YEAR
        count = rng.poisson(expected)
        days.append(np.sort(rng.uniform(month_start, month_end, size=count)))
    return np.concatenate(days) if days else np.empty(0)


#: Records above which a replication gives its freed memory back before the frame is built: a
#: 4x authority writes about 480,000 (Southend about 120,000, with little to give back).
TRIM_AFTER_RECORDS = 400_000


def give_back_freed_memory() -> None:
    """Return the C heap's free memory to the system (glibc's ``malloc_trim``; elsewhere nothing).

    A 16x replication frees about 250 MB of model objects at its end, but the C allocator keeps
    most of it mapped, so the event frame and the KPIs built next would raise the worker's peak
    above the run's own (560 MB where the run needed 460). Trimming then costs a few
    milliseconds and lowers that peak to the run's.
    """
    # The cycles the run left, about 23,000 objects at 16x. The youngest generation holds every
    # object the run made (the collector was paused), so collecting it alone finds them all
    # without walking the imports' 76,000 objects in the oldest (50-75 ms against 78-88).
    gc.collect(0)
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl): nothing to trim
        pass


@contextmanager
def cyclic_gc_paused():
    """Pause Python's cyclic garbage collector for the duration of a simulation run.

    A run allocates millions of short-lived objects (events, tuples, generator frames); each
    allocation burst triggers a collection that walks every young object, and the full
    collections walk the growing event log too. Almost nothing the run discards is cyclic (plain
    reference counting frees it), so pausing the collector costs little memory and saves about
    15% of a replication's CPU time (measured; see docs/performance.md). The model's own object
    graph, which is cyclic, is collected after the run by the next automatic collection.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class CareSystemModel:
    """A replication of the care system for one scenario, seed and replication number."""

    def __init__(self, scenario: Scenario, seed: int, replication: int, years: float):
        self.scenario = scenario
        self.replication = replication
        self.horizon = horizon_days(scenario.start_date, years)
        self.env = CareEnvironment()
        self.log = EventLog()
        self.streams = Streams(seed, replication)
        cap = scenario.capacity
        # Social workers are entities (``workforce``); leaving-care personal advisers, who are
        # usually not social workers and not in the census, stay a fixed pool of slots.
        self.workforce = Workforce(self.env, self.log, self.streams, scenario, self.horizon)
        adviser_slots = (cap.leaving_care_personal_adviser_fte.value
                         * cap.personal_adviser_caseload_limit_per_fte.value)
        self.teams = {**self.workforce.case_teams(),
                      "leaving_care": CaseloadTeam(self.env, self.log, "leaving_care", int(adviser_slots))}
        self.early_help = EarlyHelpPlaces(self.env, int(scenario.early_help.capacity_families.value))
        self.fostering = FosteringService(self.env, self.log, self.streams, scenario.fostering, self.horizon)
        self.journeys = Journeys(self.env, self.log, self.streams, scenario, self.teams,
                                 self.early_help, self.fostering, workforce=self.workforce)
        # A plain float for ``_new_child``: an attribute of a pydantic model is read through its
        # ``__getattr__`` hook, several times dearer than a plain attribute (three a child).
        self._p_prior_cp_plan = scenario.referrals.prior_cp_plan_prob.value

    def _new_child(self, child_id: int, sample_age) -> tuple[Child, object]:
        draws = self.streams.episode_block(child_id, 0)
        age = sample_age(draws.uniform("age"))
        # ``env._now``: the clock without the ``now`` property's call (see ``pathway``). The birth
        # day given by position: a class called with a keyword argument takes a slower path in
        # Python 3.11 (about 60 ns more a child).
        child = Child(child_id, self.env._now - age * DAYS_PER_YEAR)
        child.need = draws.uniform("need")
        if draws.uniform("prior_cp") < self._p_prior_cp_plan:
            child.cp_plans_before = 1
        return child, draws

    # Arrivals: one timeout each (``schedule.arrivals``); a referral's front door and first stage
    # run at once, with no process of its own.
    def _referral_arrival(self, index: int) -> None:
        child, draws = self._new_child(EXTERNAL_ID_BASE + index, self._referral_ages)
        if self.journeys.diverted_to_early_help(child, draws):
            self.journeys.early_help(child, draws)
        else:
            self.journeys.referral(child, draws)

    def _threshold_uniforms(self, indices: np.ndarray) -> np.ndarray:
        """One minus each arriving child's need: a referral is kept when this is below the
        threshold lever's multiplier, so the lowest-need referrals go first."""
        return 1.0 - self.streams.first_episode_uniforms(EXTERNAL_ID_BASE + indices, "need")

    def _early_help_arrival(self, index: int) -> None:
        child, draws = self._new_child(EARLY_HELP_ID_BASE + index, self._referral_ages)
        self.journeys.early_help(child, draws)

    def _direct_care_arrival(self, index: int) -> None:
        child, _ = self._new_child(DIRECT_CARE_ID_BASE + index, self._direct_care_ages)
        child.referral_episodes = 1
        child.last_referral_day = self.env.now
        self.log.record(self.env.now, child.child_id, "referral", detail="first")
        self.env.process(self.journeys.care_episode(child))

    def run(self) -> ReplicationResult:
        """Run to the horizon and return the event log (the model stays whole, to inspect)."""
        started = time.perf_counter()
        event_count = self.simulate()
        return _result(self.scenario.name, self.replication, self.log, event_count, started,
                       self.horizon)

    def simulate(self) -> int:
        """Run to the horizon, recording into ``self.log``; returns the engine's event count."""
        scenario = self.scenario
        self.fostering.start()
        seed_initial_stock(self)
        referral_days = poisson_arrival_days(
            self.streams.get("referral.arrivals"), scenario.referrals.external_rate_per_year.value,
            scenario.start_date, self.horizon, scenario)
        early_help_days = poisson_arrival_days(
            self.streams.get("early_help.arrivals"), scenario.early_help.partner_requests_per_year.value,
            scenario.start_date, self.horizon, scenario)
        direct_care_days = poisson_arrival_days(
            self.streams.get("care.direct_arrivals"), scenario.care.direct_entries_per_year.value,
            scenario.start_date, self.horizon, scenario)
        # Levers (interventions with a start date and phase-in) thin or add to the arrivals
        # above, keeping each baseline child's index; see simulation.engine.levers.
        levers = LeverSchedule.for_scenario(scenario)
        sampler = lambda rng, rate: poisson_arrival_days(  # noqa: E731
            rng, rate, scenario.start_date, self.horizon, scenario)
        # The threshold lever ranks referrals by need: the lowest-need children are not referred
        # (``need``), unless the scenario says it acts at random.
        need_ranks = (self._threshold_uniforms if scenario.referrals.threshold_acts_on_need else None)
        referrals = lever_arrivals(self.streams, "referrals.external_rate_per_year", levers,
                                   referral_days, scenario.referrals.external_rate_per_year.value, sampler,
                                   need_ranks)
        partner_requests = lever_arrivals(self.streams, "early_help.partner_requests_per_year", levers,
                                          early_help_days, scenario.early_help.partner_requests_per_year.value,
                                          sampler)
        if levers.has("early_help.capacity_families"):
            self.env.process(capacity_steps(self.env, levers, "early_help.capacity_families",
                                            scenario.early_help.capacity_families.value,
                                            self.early_help.resize))
        self._referral_ages = age_sampler(scenario.referrals.age_band_prob.value)
        self._direct_care_ages = age_sampler(scenario.care.direct_entry_age_band_prob.value)
        referral_days, referral_indices = referrals
        arrivals(self.env, referral_days, self._referral_arrival, referral_indices)
        arrivals(self.env, direct_care_days, self._direct_care_arrival)
        partner_days, partner_indices = partner_requests
        arrivals(self.env, partner_days, self._early_help_arrival, partner_indices)
        # env.run(until=...), one call fewer per event; the watchdog stops a runaway replication.
        run_until(self.env, self.horizon, watch=Watchdog(self.env, self.log))
        # simpy numbers every scheduled event from one counter; reading it after the run gives the
        # engine's event count without instrumenting the hot path.
        event_count = next(self.env._eid)  # noqa: SLF001
        # The events still pending at the horizon each refer to the environment, which refers to
        # them: a cycle that only the garbage collector frees, walking the children, closures and
        # processes they hold (about 20,000 objects, 5% of a replication). Emptying the queue lets
        # reference counting free most of it at once; the run is over, nothing will step again.
        # A pending event's callbacks go too: a waiting process and the event it waits for refer
        # to each other (``_target``, ``_resume``), one more cycle per open care episode.
        for _, _, _, pending in self.env.pending():
            pending.callbacks = None
        self.env.clear()
        return int(event_count)

    def dismantle(self) -> None:
        """Drop the references among the model's parts, once the run is over.

        The parts refer to one another (workforce and teams, journeys, services, their bound
        methods and closures): about 15,000 objects that only the cyclic garbage collector could
        free, and it took about 12 ms (2.5% of a replication) to walk them after each run.
        Emptying the parts' attributes lets reference counting free most of the graph instead
        (about 5 ms with the collection of what is left; measured in
        ``docs/performance.md``, "Ninth pass, continued"). ``run_replication`` calls it; a caller that
        inspects the model after ``run``, as tests do, does not. Nothing runs afterwards: the
        engine's queue is empty and no model process has a ``finally`` to run on closing.
        """
        parts = [self.workforce, *self.workforce.teams.values(), self.workforce.loop, self.early_help,
                 self.fostering, self.journeys, self.journeys.loop]
        for part in parts:
            if hasattr(part, "__dict__"):
                vars(part).clear()
        vars(self).clear()


def _result(scenario_name: str, replication: int, log: EventLog, event_count: int,
            started: float, horizon: float) -> ReplicationResult:
    """The replication's result from its event log (emptied: the frame holds the only copy)."""
    events = log.to_frame(release=True)
    return ReplicationResult(scenario_name, replication, events, int(event_count),
                             time.perf_counter() - started, horizon)


def run_replication(scenario: Scenario, seed: int, replication: int, years: float) -> ReplicationResult:
    """Run one replication; results depend only on (scenario, seed, replication, years).

    The model is dismantled before the event log becomes a frame, so its children, processes
    and random-number chunks are freed first; for a large authority the freed memory is given
    back to the system (``give_back_freed_memory``), so the frame and the KPIs are built in
    memory the run no longer holds and a worker's peak is the run's own.
    """
    with cyclic_gc_paused():
        started = time.perf_counter()
        model = CareSystemModel(scenario, seed, replication, years)
        log, horizon = model.log, model.horizon
        try:
            event_count = model.simulate()
        finally:
            model.dismantle()
        if len(log) > TRIM_AFTER_RECORDS:
            give_back_freed_memory()
        return _result(scenario.name, replication, log, event_count, started, horizon)


__all__ = ["CareSystemModel", "ReplicationResult", "run_replication", "horizon_days"]

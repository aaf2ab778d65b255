"""Social work teams: named workers holding children's cases, allocation and reallocation.

Covers
------
* ``SocialWorkTeam``: a team's social workers and the children they hold. A child asking for
  allocation goes to the least-loaded worker with room (load = cases / limit); with nobody free
  the child waits, first come first served. When a worker leaves, each of their children goes to
  another worker with room or waits at the front of the queue. Every allocation is logged with
  the worker's id; every change of worker during an open case is logged as ``worker_changed``.
* ``Workforce``: the three case-holding teams, the non-case-holding posts (managers, IROs,
  fostering and adoption workers: counted by the census, hold no children's cases), the posts
  (establishment) and the caseload measure the caseload loop reads. The flows that move workers
  in and out (leavers, recruitment, agency cover, ASYE intake, levers) are in
  ``workforce_flows``.

Children waiting for allocation still progress (plans go on unallocated), except at assessment,
which starts only when a worker is allocated (see ``pathway``).

Assumptions
-----------
* Each worker's limit is ``caseload_limit_cases_per_fte x FTE`` (x the ASYE share in the first
  year) less their share of the cases the model does not follow (``other_cases_held`` spread over
  the starting case-holding FTE), rounded down: the census caseload counts those cases too.
* Allocation balances caseloads within a team, so the caseload loop reads the team's figure.
"""

from __future__ import annotations

import math
from heapq import heapify, heappop, heappush

import simpy

from simulation.engine.caseload_loop import CaseloadLoop
from simulation.engine.entities import SocialWorker
from simulation.engine.workforce_flows import WorkforceFlows
from simulation.records.eventlog import EventLog
from simulation.scenario.vocabulary import ALL_TEAMS, CASE_HOLDING_TEAMS


def worker_caseload_limit(limit_per_fte: float, other_per_fte: float, fte: float,
                          protected_share: float = 1.0) -> int:
    """Most children a worker may hold: (limit x share - other cases per FTE) x FTE, rounded down."""
    return max(math.floor((limit_per_fte * protected_share - other_per_fte) * fte + 1e-9), 0)


def scenario_caseload_limit(scenario, fte: float, kind: str) -> int:
    """A worker's limit under ``scenario`` (as ``Workforce.limit_for``), for checks from the log."""
    cap, wf = scenario.capacity, scenario.workforce
    holders = sum(getattr(cap, f"{team}_team_case_holding_fte").value for team in CASE_HOLDING_TEAMS)
    other = wf.other_cases_held.value / holders if holders > 0 else 0.0
    share = wf.asye_protected_caseload_share.value if kind == "asye" else 1.0
    return worker_caseload_limit(cap.caseload_limit_cases_per_fte.value, other, fte, share)


#: The workers' heap is rebuilt without its stale entries when it holds more than
#: factor x workers + margin entries (see ``SocialWorkTeam.compact``).
_COMPACT_FACTOR, _COMPACT_MARGIN = 2, 8


class SocialWorkTeam:
    """One team's workers and the children they hold; same interface as ``capacity.CaseloadTeam``.

    Parameters
    ----------
    env, log
        The simulation environment and the event log.
    name
        Team name, written as the detail of allocation events.
    last_worker
        Shared ``child_id -> worker id`` of each open case's latest worker (across teams), so a
        change of worker is counted whether it follows a leaver or a move between teams.
    """

    def __init__(self, env: simpy.Environment, log: EventLog, name: str, last_worker: dict[int, int]):
        self.env, self.log, self.name = env, log, name
        self.last_worker = last_worker
        # The team's workers in order of joining, as a dict (values unused): a leaver is removed
        # in O(1), where a list's ``remove`` scanned the team (quadratic in a large authority).
        self.workers: dict[SocialWorker, None] = {}
        self.holder_of: dict[int, SocialWorker] = {}
        self.waiting: dict[int, simpy.Event | None] = {}
        self.rewaiting: dict[int, None] = {}  # lost their worker: served before new requests
        self.fte = 0.0
        # Workers with room keyed by (load, join order): a heap with stale entries skipped lazily,
        # so finding the least-loaded worker is O(log n) instead of a scan of the team.
        self.with_room: list[tuple[float, int, int, SocialWorker]] = []
        self.joined = 0

    def compact(self) -> None:
        """Drop the heap's stale entries (an old load, or a worker gone), keeping its least entry.

        Every allocation and release pushes the worker's new load and leaves the old entry to be
        skipped: left alone the heap grew to 300-900 entries for 15-60 workers, and the stale
        entries were popped one at a time (about 36,000 pops a replication at 8-10 tuple
        comparisons each). Rebuilt when it holds more than twice the team plus a margin, it
        stays a few levels shallower, and the least live entry (the worker chosen) is the same.
        """
        live = [entry for entry in self.with_room if entry[2] == entry[3].version and entry[3].in_post]
        heapify(live)
        self.with_room = live

    @property
    def demand(self) -> int:
        """Children held or waiting."""
        return len(self.holder_of) + len(self.waiting) + len(self.rewaiting)

    def least_loaded(self) -> SocialWorker | None:
        """The worker with room and the lowest cases / limit (earliest to join on a tie)."""
        heap = self.with_room
        while heap:
            _, _, version, worker = heap[0]
            if version == worker.version and worker.in_post:
                return worker
            heappop(heap)
        return None

    def changed(self, worker: SocialWorker) -> None:
        """The worker's load or limit changed: invalidate its old entry, re-enter it if it has room."""
        worker.version = version = worker.version + 1
        held, limit = len(worker.cases), worker.caseload_limit
        if worker.in_post and held < limit:
            heappush(self.with_room, (held / limit, worker.order, version, worker))
            if len(self.with_room) > _COMPACT_FACTOR * len(self.workers) + _COMPACT_MARGIN:
                self.compact()

    def allocate(self, child_id: int, worker: SocialWorker, reason: str) -> None:
        cases = worker.cases
        cases.add(child_id)
        # ``changed`` inlined: this runs on every allocation (about 22,000 a replication).
        worker.version = version = worker.version + 1
        held, limit = len(cases), worker.caseload_limit
        if worker.in_post and held < limit:
            heap = self.with_room
            heappush(heap, (held / limit, worker.order, version, worker))
            if len(heap) > _COMPACT_FACTOR * len(self.workers) + _COMPACT_MARGIN:
                self.compact()
        self.holder_of[child_id] = worker
        # ``env._now``: simpy's clock without the ``now`` property's Python call (a read on each
        # allocation and release; see ``pathway``).
        now, wid = self.env._now, worker.worker_id
        append = self.log.append
        append((now, child_id, "allocated", "", self.name, wid))
        last_worker = self.last_worker
        last = last_worker.get(child_id)
        if last is not None and last != wid:
            append((now, child_id, "worker_changed", "", reason, wid))
        last_worker[child_id] = wid

    def request(self, child_id: int, wait: bool = False) -> simpy.Event | None:
        """Ask for a worker; returns an event to wait for only when ``wait`` and nobody has room.

        ``allocation_requested`` is logged only when the child has to wait: an allocation with no
        request before it was immediate (no KPI counts a zero-length wait).
        """
        if not self.waiting and not self.rewaiting:
            # ``least_loaded`` inlined (about 18,000 requests a replication).
            heap = self.with_room
            while heap:
                worker = heap[0][3]
                if heap[0][2] == worker.version and worker.in_post:
                    self.allocate(child_id, worker, "transfer")
                    return None
                heappop(heap)
        self.log.append((self.env._now, child_id, "allocation_requested", "", self.name, 0.0))
        event = self.env.event() if wait else None
        self.waiting[child_id] = event
        return event

    def release(self, child_id: int) -> None:
        """The child leaves the team: free the worker's room or drop it from the queue."""
        worker = self.holder_of.pop(child_id, None)
        if worker is None:
            # Not held: waiting (or not in the team at all).
            queue = self.waiting if child_id in self.waiting else self.rewaiting
            if child_id in queue:
                del queue[child_id]
                self.log.append((self.env._now, child_id, "deallocated", "", self.name, 0.0))
            return
        worker.cases.discard(child_id)
        # ``changed`` called, not inlined as in ``allocate``: a third copy of the heap rule for
        # about 0.15% of a replication was not worth keeping in step.
        self.changed(worker)
        self.log.append((self.env._now, child_id, "deallocated", "", self.name, 0.0))
        if self.waiting or self.rewaiting:
            self.serve()

    def serve(self) -> None:
        """Give waiting children (those who lost a worker first) to workers with room."""
        while self.rewaiting or self.waiting:
            worker = self.least_loaded()
            if worker is None:
                return
            if self.rewaiting:
                child_id = next(iter(self.rewaiting))
                del self.rewaiting[child_id]
                self.allocate(child_id, worker, "worker_left")
            else:
                child_id = next(iter(self.waiting))
                event = self.waiting.pop(child_id)
                self.allocate(child_id, worker, "transfer")
                if event is not None:
                    event.succeed()

    def add_worker(self, worker: SocialWorker, serve: bool = True) -> None:
        self.workers[worker] = None
        self.fte += worker.fte
        self.joined += 1
        worker.order = self.joined
        self.changed(worker)
        if serve:
            self.serve()

    def remove_worker(self, worker: SocialWorker, successor: SocialWorker | None = None) -> None:
        """Take a worker out; their children go to ``successor`` first, then anyone with room."""
        del self.workers[worker]
        self.fte = max(self.fte - worker.fte, 0.0) if self.workers else 0.0
        children = sorted(worker.cases)
        worker.cases.clear()
        worker.version += 1  # out of the heap (in_post is cleared by the caller as well)
        now = self.env.now
        for child_id in children:
            del self.holder_of[child_id]
            target = successor if successor is not None and successor.room > 0 else self.least_loaded()
            if target is not None:
                self.allocate(child_id, target, "worker_left")
            else:
                self.log.record(now, child_id, "allocation_requested", detail=self.name)
                self.rewaiting[child_id] = None


class _TeamCaseloadLoop(CaseloadLoop):
    """The caseload loop of a workforce: ``at_team`` reads the teams' caseloads itself.

    ``Workforce.team_caseload`` inlined into ``at_team`` (the same arithmetic, the same order):
    the stage hooks ask for a multiplier about 30,000 times a replication, and the second Python
    call cost about as much as the arithmetic.
    """

    def __init__(self, effects, workforce: "Workforce"):
        super().__init__(effects, workforce.team_caseload)
        self.workforce = workforce
        self.min_multiplier = 1.0 / self.max

    def at_team(self, strength: float, team: str | None) -> float:
        if not self.enabled or strength == 0 or team is None:
            return 1.0
        workforce = self.workforce
        own = workforce.case_team_of.get(team)
        if own is None:
            return 1.0
        assessment, family_support, in_care = workforce.case_team_list
        total_fte = assessment.fte + family_support.fte + in_care.fte
        if own.fte <= 0 or total_fte <= 0:
            caseload = math.inf
        else:
            caseload = len(own.holder_of) / own.fte + workforce.other_cases / total_fte
        # ``clip`` as in ``multiplier``, with ``max(a, b)`` written as ``b if b > a else a`` and
        # ``min(a, b)`` as ``b if b < a else a`` (what the builtins return): three builtin calls
        # fewer on each call.
        floor = self.floor
        excess = ((floor if floor > caseload else caseload) - self.reference) / self.reference
        value = 1.0 + strength * excess
        low, high = self.min_multiplier, self.max
        value = low if low > value else value
        return high if high < value else value


class Workforce(WorkforceFlows):
    """Every social work team, post and worker of one replication.

    Parameters
    ----------
    env, log, streams
        Environment, event log and random streams of the replication.
    scenario
        The scenario (``workforce``, ``workforce_levers``, ``caseload_effects``, ``capacity``).
    horizon_days
        Run length, for the monthly workforce review.
    """

    def __init__(self, env, log: EventLog, streams, scenario, horizon_days: float):
        self.env, self.log, self.streams, self.scenario = env, log, streams, scenario
        self.last_worker: dict[int, int] = {}
        self.teams = {name: SocialWorkTeam(env, log, name, self.last_worker) for name in ALL_TEAMS}
        self.case_team_list = [self.teams[name] for name in CASE_HOLDING_TEAMS]
        self.case_team_of = {name: self.teams[name] for name in CASE_HOLDING_TEAMS}
        self.loop = _TeamCaseloadLoop(scenario.caseload_effects, self)
        cap, wf = scenario.capacity, scenario.workforce
        self.case_holding_fte_at_start = sum(
            getattr(cap, f"{team}_team_case_holding_fte").value for team in CASE_HOLDING_TEAMS)
        self.other_cases = wf.other_cases_held.value
        # Other cases take the same room from every case-holding FTE, fixed at the start's ratio.
        self.other_per_fte = (self.other_cases / self.case_holding_fte_at_start
                              if self.case_holding_fte_at_start > 0 else 0.0)
        self.limit_per_fte = cap.caseload_limit_cases_per_fte.value
        self.setup_flows(horizon_days)

    def case_teams(self) -> dict[str, SocialWorkTeam]:
        """The case-holding teams, for ``pathway.Journeys``."""
        return {name: self.teams[name] for name in CASE_HOLDING_TEAMS}

    def case_closed(self, child_id: int) -> None:
        """The child's case closed: a later referral starts with no worker history."""
        self.last_worker.pop(child_id, None)

    def limit_for(self, fte: float, kind: str) -> int:
        share = self.scenario.workforce.asye_protected_caseload_share.value if kind == "asye" else 1.0
        return worker_caseload_limit(self.limit_per_fte, self.other_per_fte, fte, share)

    def team_caseload(self, team: str) -> float | None:
        """The team's cases held per case-holding FTE in post, plus the cases not modelled.

        The census measure (cases held / case-holder FTE). Children waiting for allocation are
        not counted: counting them made the loop a death spiral (longer stages at a full team
        grow the queue, which lengthens stages further without bound), whereas held cases are
        capped by the limits. ``None`` for teams that hold no cases (leaving care, non-case-holding).
        """
        own = self.case_team_of.get(team)
        if own is None:
            return None
        assessment, family_support, in_care = self.case_team_list
        total_fte = assessment.fte + family_support.fte + in_care.fte
        if own.fte <= 0 or total_fte <= 0:
            return math.inf
        return len(own.holder_of) / own.fte + self.other_cases / total_fte


__all__ = ["SocialWorkTeam", "Workforce", "scenario_caseload_limit", "worker_caseload_limit"]

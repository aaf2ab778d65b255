"""Capacity that children compete for: fixed caseload slots and early help places.

Covers
------
* ``CaseloadTeam``: a pool of case-holding slots (FTE x caseload limit), used for leaving-care
  personal advisers; social work teams are named workers (``workforce.SocialWorkTeam``, same
  interface). A child
  either holds a slot or waits, first come first served. Plain counters and an ordered dict of
  waiters: a ``simpy.Resource`` with hundreds of slots slows as it grows (release scans holders).
* ``EarlyHelpPlaces``: families early help holds at once. (In-house foster beds belong to the
  fostering households of ``fostering``.)

Every allocation and release is written to the event log, so the rule "never more children
allocated than slots" is checked from the record, not trusted.

Assumptions
-----------
Personal advisers are a fixed headcount (they are not in the social work census).
"""

from __future__ import annotations

from typing import Callable

import simpy

from simulation.records.eventlog import EventLog


class CaseloadTeam:
    """Case-holding capacity of one team.

    Parameters
    ----------
    env, log
        The simulation environment and the event log.
    name
        Team name, written as the event detail (``assessment``, ``family_support``, ...).
    slots
        Children the team can hold at once.
    """

    def __init__(self, env: simpy.Environment, log: EventLog, name: str, slots: int):
        self.env = env
        self.log = log
        self.name = name
        self.slots = int(slots)
        self.holders: set[int] = set()
        self.waiting: dict[int, simpy.Event | None] = {}

    def request(self, child_id: int, wait: bool = False) -> simpy.Event | None:
        """Ask for a slot; returns an event to yield on only when ``wait`` and none is free.

        Children who need not wait (a plan goes on while they are unallocated) are still queued
        and get a worker when one frees up. ``allocation_requested`` is logged only for a child
        who has to wait (as ``workforce.SocialWorkTeam.request``).
        """
        now = self.env.now
        if len(self.holders) < self.slots and not self.waiting:
            self.holders.add(child_id)
            self.log.record(now, child_id, "allocated", detail=self.name)
            return None
        self.log.record(now, child_id, "allocation_requested", detail=self.name)
        event = self.env.event() if wait else None
        self.waiting[child_id] = event
        return event

    def release(self, child_id: int) -> None:
        """The child leaves the team: free its slot or drop it from the queue."""
        if child_id in self.waiting:
            del self.waiting[child_id]
            self.log.record(self.env.now, child_id, "deallocated", detail=self.name)
            return
        if child_id not in self.holders:
            return
        self.holders.remove(child_id)
        self.log.record(self.env.now, child_id, "deallocated", detail=self.name)
        while self.waiting and len(self.holders) < self.slots:
            next_child = next(iter(self.waiting))
            event = self.waiting.pop(next_child)
            self.holders.add(next_child)
            self.log.record(self.env.now, next_child, "allocated", detail=self.name)
            if event is not None:
                event.succeed()


class EarlyHelpPlaces:
    """Families early help can hold at once, with a first-come-first-served queue.

    A waiting family is queued with the call that starts its help (``start``); when a place frees,
    the longest-waiting family takes it and its help starts at that moment, with no event of its
    own. Families who wait too long leave the queue (``cancel``); the pathway decides what happens
    to them. Early help families are not social work cases, so no allocation events are logged.
    """

    def __init__(self, env: simpy.Environment, places: int):
        self.env = env
        self.places = int(places)
        self.helped: set[int] = set()
        self.waiting: dict[int, Callable[[], None]] = {}

    def has_room(self) -> bool:
        """A place is free now and nobody is waiting for one."""
        return len(self.helped) < self.places and not self.waiting

    def request(self, child_id: int, start: Callable[[], None]) -> bool:
        """Take a place now (``True``), or queue; ``start()`` is called when a place frees up."""
        if len(self.helped) < self.places and not self.waiting:
            self.helped.add(child_id)
            return True
        self.waiting[child_id] = start
        return False

    def occupy(self, child_id: int) -> None:
        """Seat a family of the starting stock (the stock may exceed places; nobody is evicted)."""
        self.helped.add(child_id)

    def resize(self, places: int) -> None:
        """Change the places (a lever); waiting families take new places at once, none evicted."""
        self.places = int(places)
        self._seat_waiting()

    def queued_with(self, child_id: int, start: Callable[[], None]) -> bool:
        """Is the family waiting, queued with this ``start`` (not helped, not queued again since)?"""
        return self.waiting.get(child_id) is start

    def cancel(self, child_id: int) -> bool:
        """A waiting family gives up; ``False`` if it was not waiting (it has a place already)."""
        return self.waiting.pop(child_id, None) is not None

    def release(self, child_id: int) -> None:
        """A family's help ends; the longest-waiting family takes the place."""
        self.helped.discard(child_id)
        self._seat_waiting()

    def _seat_waiting(self) -> None:
        while self.waiting and len(self.helped) < self.places:
            next_child = next(iter(self.waiting))
            start = self.waiting.pop(next_child)
            self.helped.add(next_child)
            start()

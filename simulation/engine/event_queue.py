"""The engine's clock and queue: simpy's ``Environment`` with the far future parked by day.

Covers
------
* ``CareEnvironment``: a ``simpy.Environment`` whose queue is in two levels. Events due before
  the end of the current day (``_edge``) are on simpy's heap (``_queue``) as usual; events due
  later wait in a bucket per day (``_parked``), and a day's bucket becomes the heap when the
  heap runs dry. ``schedule``, ``step`` and ``peek`` are simpy's, with the bucket step added.
* ``push(env, entry)``: put a ready-made queue entry on the right level (for the engine's own
  event builders in ``schedule``).

Why: simpy keeps every pending event on one binary heap of ``(time, priority, id, event)``
tuples. A child in care or on a plan holds a timer years ahead, so the heap holds about 2,100
entries for a Southend and 33,000 for a 16x region; each pop then walks 11 or 15 levels of
tuples scattered in memory, and at region size the walk no longer fits the CPU caches (a pop
cost about twice as much at 16x as at 1x; docs/performance.md, "A region"). Parked by day, the
heap holds about a day's events at any size.

The order is simpy's exactly: the heap holds every entry due before ``_edge`` and the buckets
only entries due at or after it, so the least entry on the heap is the least of all, and the
entries compare as simpy's do (time, priority, event id). A replication's event log is the same
bit for bit (``tests/test_event_queue.py`` runs random schedules against plain simpy).
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush
from itertools import chain

import simpy
from simpy.core import EmptySchedule, Infinity
from simpy.events import NORMAL

#: Days per bucket. One day keeps a Southend's heap at a median of 8 entries and a 16x region's
#: at 101 (narrower buckets were slower: more of them to keep than levels saved).
BUCKET_DAYS = 1.0


class CareEnvironment(simpy.Environment):
    """simpy's environment with events due after today parked in day buckets until their day."""

    def __init__(self, initial_time: float = 0):
        super().__init__(initial_time)
        #: Entries due at or after ``_edge`` wait here, by ``int(time // BUCKET_DAYS)``.
        self._parked: dict[int, list] = {}
        #: The keys of ``_parked``, as a heap (a few thousand at most: one per day with an event).
        self._parked_days: list[int] = []
        #: Everything on the heap (``_queue``) is due before this time; nothing parked is.
        self._edge = (initial_time // BUCKET_DAYS + 1) * BUCKET_DAYS

    def schedule(self, event, priority=NORMAL, delay=0) -> None:
        """As simpy's ``schedule``: the entry goes on the heap if due before the edge, else parked."""
        time = self._now + delay
        entry = (time, priority, next(self._eid), event)
        if time < self._edge:
            heappush(self._queue, entry)
        else:
            self._park(entry)

    def _park(self, entry: tuple) -> None:
        day = int(entry[0] // BUCKET_DAYS)
        bucket = self._parked.get(day)
        if bucket is None:
            self._parked[day] = [entry]
            heappush(self._parked_days, day)
        else:
            bucket.append(entry)

    def refill(self) -> bool:
        """Move the next day's bucket onto the (empty) heap; False if nothing is parked.

        Called when the heap is empty, so the bucket's entries are the least pending; the heap
        list keeps its identity (callers hold it).
        """
        if not self._parked_days:
            return False
        day = heappop(self._parked_days)
        queue = self._queue
        queue.extend(self._parked.pop(day))
        heapify(queue)
        self._edge = (day + 1) * BUCKET_DAYS
        return True

    def step(self) -> None:
        """As simpy's ``step``, taking the next bucket when the heap runs dry."""
        if not self._queue and not self.refill():
            raise EmptySchedule
        super().step()

    def peek(self) -> float:
        """The time of the next event (``Infinity`` if none), as simpy's ``peek``."""
        if self._queue:
            return self._queue[0][0]
        if self._parked_days:
            return min(self._parked[self._parked_days[0]])[0]
        return Infinity

    def pending(self):
        """Every pending entry, heap and buckets, in no particular order."""
        return chain(self._queue, *self._parked.values())

    def pending_count(self) -> int:
        return len(self._queue) + sum(map(len, self._parked.values()))

    def clear(self) -> None:
        """Drop every pending event (the run is over)."""
        self._queue.clear()
        self._parked.clear()
        self._parked_days.clear()


def push(env: CareEnvironment, entry: tuple) -> None:
    """Put a ``(time, priority, id, event)`` entry on the environment's queue, at its level."""
    if entry[0] < env._edge:  # noqa: SLF001 (the queue's own module)
        heappush(env._queue, entry)  # noqa: SLF001
    else:
        env._park(entry)  # noqa: SLF001


__all__ = ["BUCKET_DAYS", "CareEnvironment", "push"]

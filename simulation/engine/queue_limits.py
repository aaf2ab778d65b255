"""Time limits of a first-come-first-served queue where everyone waits the same limit: one timer.

Covers
------
* ``HeadTimer``: the early help queue's time limits. Every family waits at most the same number
  of days and families are seated in arrival order, so the family at the head of the queue always
  has the earliest limit. One pending event, set for the head's limit, replaces a timeout per
  waiting family (most of which found the family already helped and did nothing: about 5,000 of
  a replication's 56,000 events, see docs/performance.md, "Fifth pass").

When the timer fires, families at the head whose limit has come give up in queue order; families
already helped are dropped from the list; the timer is set again for the new head's limit.

Assumptions
-----------
* The limit is the same for every family and fixed for the run (``early_help.max_wait_days``).
* A family gives up at exactly the day it would have with a timeout of its own (the timer is
  scheduled at the stored day, not at ``now + (day - now)``, which can round differently), so
  the log and the KPIs are unchanged. Only simultaneous events at that exact day could run in
  another order.
"""

from __future__ import annotations

from collections import deque
from typing import Callable

from simulation.engine.schedule import at

# The clock is read as ``env._now`` (simpy's attribute, not the ``now`` property; see ``pathway``).


class HeadTimer:
    """One timer for the head of a queue with a common time limit.

    Parameters
    ----------
    env
        The simulation environment.
    limit_days
        How long anyone may wait.
    still_waiting
        ``still_waiting(key, token)``: is the entry queued with ``token`` still waiting?
    expire
        ``expire(*payload)``: the entry's limit has come and it is still waiting.
    """

    def __init__(self, env, limit_days: float, still_waiting: Callable, expire: Callable):
        self.env, self.limit_days = env, limit_days
        self.still_waiting, self.expire = still_waiting, expire
        self.pending: deque[tuple] = deque()
        self.armed = False

    def add(self, key, token, *payload) -> None:
        """Someone starts waiting now (queued with ``token``); they wait until now + the limit."""
        deadline = self.env._now + self.limit_days
        self.pending.append((deadline, key, token, payload))
        if not self.armed:
            self.armed = True
            at(self.env, deadline, self._fire)

    def _fire(self) -> None:
        now, pending = self.env._now, self.pending
        while pending:
            deadline, key, token, payload = pending[0]
            if not self.still_waiting(key, token):
                pending.popleft()  # helped (or left) already
                continue
            if deadline > now:
                at(self.env, deadline, self._fire)  # still armed: for the new head
                return
            pending.popleft()
            self.expire(*payload)
        self.armed = False


__all__ = ["HeadTimer"]

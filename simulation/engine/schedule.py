"""Scheduling a state change without a simpy process: one event, one callback.

Covers
------
* ``after(env, days, then, *args)``: call ``then(*args)`` ``days`` from now. One timer event
  (``_Timer``) carrying the call.
* ``soon(env, then, *args)``: call ``then(*args)`` at the current time, before the ordinary
  events already due now, exactly when a process started now would run its first step. The
  starting stock uses it so that its children start in the order they were created, after the
  stock is complete (as their processes did).
* ``at(env, day, then)``: call ``then()`` at simulation day ``day`` exactly (the engine's queue
  is given the stored day, not ``now + (day - now)``, which can differ in the last bit).
* ``arrivals(env, days, arrive)``: call ``arrive(index)`` at each arrival day; each arrival
  schedules the next, so the engine's queue holds one pending arrival per stream.

Why: a simpy process costs an ``Initialize`` event to start, a process-ended event when its
generator returns, and a generator resume (``Process._resume``) on every event it waits for. Most
of a child's stages are "wait d days, then decide": with a callback the wait is one event and the
decision a plain call, which halves the engine's work per stage (see docs/performance.md, "Third
pass"). Processes remain where a child waits for the first of several things (a care episode:
breakdown, retry, step-down, carers leaving, exit).

Every function here takes the engine's ``event_queue.CareEnvironment`` (its queue is in two
levels, today's heap and day buckets; a plain ``simpy.Environment`` has no buckets).

Simultaneous events keep simpy's order: timers and ``soon`` schedule like the events they
replace (a ``Timeout``, a process's start), so a replication's event log is unchanged.

The timers of ``after`` and ``arrivals`` are built by ``_timeout``: not simpy's ``Timeout``
(creating an instance of a class with a Python ``__init__`` enters the interpreter afresh from C,
about 700 machine instructions in Python 3.11, on each of about 28,000 timeouts a replication),
and since issue 22 not a simpy event at all, but a slotted object with what the engine's loop
reads of an event (see ``_Timer``). simpy is pinned (4.1.2): its ``step`` reads the same two
attributes.
"""

from __future__ import annotations

from heapq import heappop, heappush
from itertools import repeat
from typing import Callable

import numpy as np
from simpy.events import NORMAL, URGENT, Event

from simulation.engine.event_queue import push
from simulation.engine.watchdog import WATCH_EVERY


class _Timer:
    """A timeout that makes one call: every event of ``after`` and ``arrivals``.

    What the engine's loop (``run_until``, simpy's ``step``) reads of an event, ``callbacks``
    and ``_ok``, and the call's own ``_value`` and ``args``, in one slotted object. A simpy
    ``Timeout`` with its callback took five blocks of memory (the event, its attribute values,
    the callbacks list and that list's items, the call's tuple); this takes one, and every timer
    of a kind shares its ``callbacks`` tuple. About three timers in four of a replication's
    events are these: at region size, where an event's objects have left the CPU's caches by
    the time it fires, each block is a trip to main memory (docs/performance.md, "A region").
    Nothing yields these timers or adds callbacks to them: a process waits on simpy's own.
    """

    __slots__ = ("callbacks", "_value", "args")
    #: Triggered and successful from the start, as a ``Timeout`` is.
    _ok = True

    def __repr__(self) -> str:
        return f"<_Timer {self._value!r}{self.args!r}>"


_new_timer = _Timer.__new__


def _timeout(env, delay: float, callbacks: tuple, value, args: tuple = ()) -> None:
    """Schedule a ``_Timer`` due ``delay`` from now: as a ``Timeout``, but one object.

    The same entry on the engine's queue as simpy's ``Timeout`` (time ``now + delay``, normal
    priority, the next event id), so the order of events, and the event log, are unchanged.
    """
    if delay < 0:
        raise ValueError(f"Negative delay {delay}")
    timer = _new_timer(_Timer)
    timer.callbacks = callbacks
    timer._value = value  # noqa: SLF001
    timer.args = args
    # ``event_queue.push`` written in place (one Python call fewer on every timeout).
    time = env._now + delay  # noqa: SLF001
    if time < env._edge:  # noqa: SLF001
        heappush(env._queue, (time, NORMAL, next(env._eid), timer))  # noqa: SLF001
    else:
        env._park((time, NORMAL, next(env._eid), timer))  # noqa: SLF001


def _call(timer: _Timer) -> None:
    timer._value(*timer.args)  # noqa: SLF001 (the call ``after`` gave the timer)


#: The callbacks of every ``after`` timer (one tuple, shared).
_AFTER_CALLBACKS = (_call,)


def after(env, days: float, then: Callable, *args) -> None:
    """Call ``then(*args)`` when ``days`` have passed (one timer event).

    The call travels in the timer and one module-level callback makes it, rather than a new
    closure per stage (about 33,000 a replication). It calls ``_timeout`` rather than repeating
    its statements: a second copy would save about 0.35% of a replication, too little to keep
    two copies in step.
    """
    _timeout(env, days, _AFTER_CALLBACKS, then, args)


class _Soon(Event):
    """An event due now with urgent priority, as simpy's own ``Initialize`` of a new process."""

    def __init__(self, env, callback: Callable):
        # As simpy.events.Initialize: triggered at creation, scheduled before ordinary events.
        self.env = env
        self.callbacks = [callback]
        self._value = None
        self._ok = True
        env.schedule(self, URGENT)


def soon(env, then: Callable, *args) -> None:
    """Call ``then(*args)`` at the current time, where a process started now would first run."""
    _Soon(env, lambda _event: then(*args))


def at(env, day: float, then: Callable[[], None]) -> None:
    """Call ``then()`` at simulation day ``day`` (not before now), as an ordinary event then.

    What ``env.schedule`` does, with the day given rather than a delay: a ``Timeout`` set at
    another time for a day computed earlier (``now + (day - now)``) can land an ulp away from it.
    """
    if day < env.now:
        raise ValueError(f"day {day} is in the past (now {env.now})")
    event = Event(env)
    event._ok, event._value = True, None  # noqa: SLF001 (triggered, as a Timeout is)
    event.callbacks.append(lambda _event: then())
    push(env, (day, NORMAL, next(env._eid), event))  # noqa: SLF001


def arrivals(env, days: np.ndarray, arrive: Callable[[int], None],
             indices: np.ndarray | None = None) -> None:
    """Call ``arrive(index)`` at each of ``days`` (ascending); ``indices`` default to 0, 1, ...

    One timeout per arrival; each arrival, once handled, schedules the next.
    """
    pending = iter(zip(range(len(days)) if indices is None else indices.tolist(), days.tolist()))

    def next_arrival(timer: _Timer | None = None) -> None:
        if timer is not None:
            arrive(timer._value)  # noqa: SLF001 (the arrival's index)
        upcoming = next(pending, None)
        if upcoming is not None:
            index, day = upcoming
            # ``env._now`` rather than the ``now`` property (a Python call per arrival). The
            # delay is ``day - now``, which the queue turns back into ``now + (day - now)``, as
            # a ``Timeout`` did: keeping the arithmetic keeps every arrival's time to the bit.
            _timeout(env, day - env._now, callbacks, index)

    callbacks = (next_arrival,)
    next_arrival()


def run_until(env, day: float, watch: Callable[[], None] | None = None,
              every: int = WATCH_EVERY) -> None:
    """``env.run(until=day)``, with ``Environment.step`` written into the loop.

    simpy's ``run`` calls ``step`` once per event (about 48,000 a replication), a Python call
    each; this loop does what ``step`` does in place (simpy 4.1.2, pinned): pop the next event,
    set the clock, run its callbacks, raise a failure nobody defused. The run stops as simpy's
    does, at an urgent event due at ``day`` (before the ordinary events due then), which takes
    the same place on the queue and the same event ids, so the engine cannot tell the difference.

    ``watch()`` (the model's ``watchdog.Watchdog``), if given, is called after every ``every``
    events: the events run in blocks of ``every`` (a C iterator counts them), so watching costs
    nothing per event, and a runaway replication is stopped within one block.
    """
    if day <= env._now:  # noqa: SLF001
        raise ValueError(f"until ({day}) must be greater than the current simulation time")
    stop = Event(env)
    stop._ok, stop._value = True, None  # noqa: SLF001 (triggered, as ``run`` makes it)
    env.schedule(stop, URGENT, day - env._now)  # noqa: SLF001
    queue = env._queue  # noqa: SLF001
    while True:
        for _ in repeat(None, every):
            try:
                env._now, _, _, event = heappop(queue)  # noqa: SLF001
            except IndexError:
                # Today's heap has run dry: the next day's bucket becomes the heap.
                if not env.refill():
                    raise RuntimeError(f"no scheduled events left before day {day}") from None
                env._now, _, _, event = heappop(queue)  # noqa: SLF001
            if event is stop:
                # As simpy when its ``until`` event stops a run: the event goes back on the
                # queue (priority -1), where a later run would resume. That takes an event id
                # too, so the engine's event count (``next(env._eid)`` after the run) is simpy's.
                stop.callbacks = []
                env.schedule(stop, -1)
                return
            callbacks, event.callbacks = event.callbacks, None
            for callback in callbacks:
                callback(event)
            if not event._ok and not hasattr(event, "_defused"):  # noqa: SLF001
                # As ``step``: a failed event nobody handled crashes the run, with a fresh
                # traceback.
                error = type(event._value)(*event._value.args)  # noqa: SLF001
                error.__cause__ = event._value  # noqa: SLF001
                raise error
        if watch is not None:
            watch()


__all__ = ["after", "at", "soon", "arrivals", "run_until"]

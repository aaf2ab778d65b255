"""The append-only event log: the model's only record. Stocks, flows and durations derive from it.

Each record is ``(time_days, child_id, event, state, detail, value)``:

* ``state`` is set when the event moves the child into a new state (one of ``STATES``); the child
  stays there until its next state event. Non-state events (a referral, an ICPC, a placement, an
  allocation) leave it empty.
* ``detail`` qualifies the event (a placement type, an end reason, a team, ``initial`` for the
  starting stock); ``value`` carries a number (a duration in days, prior CP plans, placement
  flags: 1 = out of area, 2 = over 20 miles, summed).

Allocation events carry the team in ``detail``; ``allocation_requested`` is logged only when
the child has to wait for a worker (an ``allocated`` with no request before it was immediate); ``allocated`` and ``worker_changed`` carry the
social worker's id in ``value`` (``worker_changed``'s detail says why: ``worker_left``,
``transfer``). Workforce events use the ``child_id`` column for the post or worker id (ids from
``workforce.POST_ID_BASE`` / ``WORKER_ID_BASE``, never a child's): ``post_added``/``post_removed``
(detail the team, value the FTE), ``worker_joined`` (detail ``team:kind``, value the FTE) and
``worker_left`` (detail ``team:kind:reason``, value the FTE).

Children in the starting stock have their entry events back-dated (negative times), so durations
and "time already spent" are honest and month 1 is already realistic; flows count only times >= 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STATES = (
    "early_help_waiting", "early_help", "assessment", "s47", "cin_plan", "cp_plan", "care",
    "care_leaver", "closed", "left",
)
#: States counted by the CIN census as an open episode of need.
CIN_CENSUS_STATES = ("assessment", "s47", "cin_plan", "cp_plan", "care")

EVENTS = (
    "referral", "early_help_queued", "early_help_started", "early_help_ended", "early_help_unserved",
    "assessment_started", "assessment_completed", "s47_started", "icpc",
    "cin_plan_started", "cin_plan_ended", "cp_plan_started", "cp_plan_ended",
    "cla_started", "cla_ceased", "placement_started", "placement_ended", "placement_fallback",
    "care_leaver_started", "staying_put_started", "staying_put_ended", "case_closed", "left",
    "allocation_requested", "allocated", "deallocated", "worker_changed",
    "post_added", "post_removed", "worker_joined", "worker_left",
    # Placements and fostering (``fostering``, ``placement_market``): household events carry the
    # household id in the child_id column (ids from fostering.HOUSEHOLD_ID_BASE).
    "date_of_birth_recorded", "step_down", "foster_bed_taken", "foster_bed_freed",
    "fostering_enquiry", "fostering_application", "household_approved",
    "household_deregistered", "step_down_breakdown",
)

#: Id ranges of the workforce's posts and workers (``engine.workforce_flows``), here so the spend
#: KPIs can tell a lever's posts from the establishment's: a worker's post is
#: ``(worker_id - WORKER_ID_BASE) // MAX_OCCUPANTS``, and posts a lever adds have ids from
#: ``LEVER_POST_ID``.
POST_ID_BASE = 80_000_000
WORKER_ID_BASE = 90_000_000
LEVER_POST_ID = 5_000
MAX_OCCUPANTS = 1_000

#: Events about posts and workers (their ``child_id`` column holds a post or worker id).
WORKFORCE_EVENTS = ("post_added", "post_removed", "worker_joined", "worker_left")

COLUMNS = ("time_days", "child_id", "event", "state", "detail", "value")
OUT_OF_AREA_FLAG = 1
OVER_20_MILES_FLAG = 2


class EventLog:
    """Collects records during a run; converted to a DataFrame once, at the end.

    Two ways to write a record: ``record(time, child, event, state=..., detail=..., value=...)``,
    and ``append((time, child, event, state, detail, value))`` with every column given, in
    ``COLUMNS`` order. ``append`` is the list's own ``extend`` (no Python call of ours), for the
    stages and allocations that write most of a replication's 134,000 records: ``record`` costs
    about 90 ns a call more.

    The records are kept flat, ``fields``, six entries a record in ``COLUMNS`` order, rather
    than as a list of tuples: each record's tuple is freed as soon as it is written (and reused
    by the interpreter for the next), and the frame's columns are slices of ``fields``. Walking
    134,000 tuples scattered over 12 MB to flatten them at the end cost about 9 ms a replication
    (2%); writing flat costs about 2 ms more during the run. ``rows()`` gives the records as
    tuples.

    ``pack()`` moves the records written so far into column arrays (numbers as numpy arrays,
    event names as codes, states and details as object arrays of the strings the model wrote):
    about 41 bytes a record where the flat list and its number objects take about 120. The
    engine packs once every ``watchdog.WATCH_EVERY`` events, so a 16 times larger authority's
    two million records fit in a worker's memory; the frame is the same whether or when the log
    was packed.
    """

    __slots__ = ("fields", "append", "_packed")

    def __init__(self):
        #: Every record's six fields, one record after another (since the last ``pack``).
        self.fields: list = []
        #: Append one complete record (a tuple of six fields) to ``fields``.
        self.append = self.fields.extend
        #: Records packed by ``pack``, oldest first: one tuple of column arrays a pack.
        self._packed: list[tuple[np.ndarray, ...]] = []

    def record(self, time_days: float, child_id: int, event: str, state: str = "",
               detail: str = "", value: float = 0.0) -> None:
        """Append one record (the hot path: one extend, nothing else)."""
        self.append((time_days, child_id, event, state, detail, value))

    def __len__(self) -> int:
        return sum(len(columns[_TIME]) for columns in self._packed) + len(self.fields) // len(COLUMNS)

    def rows(self) -> list[tuple]:
        """The records so far, as ``(time, child, event, state, detail, value)`` tuples, in the
        order they were written (a packed record's value comes back as a float)."""
        packed = []
        for times, children, codes, states, details, values in self._packed:
            packed.extend(zip(times.tolist(), children.tolist(), [EVENTS[code] for code in codes.tolist()],
                              states.tolist(), details.tolist(), values.tolist()))
        return packed + flat_rows(self.fields)

    def pack(self) -> None:
        """Move the records written so far into column arrays (see the class notes)."""
        if not self.fields:
            return
        # States and details stay object arrays: they are the model's shared string constants
        # (a Southend's 99,000 records hold 11 state and about 1,700 detail objects), so coding
        # them, as an earlier version did, saved 4 bytes a record and cost about 3% of a 16x
        # replication (pandas' factorize on every pack, and the decoding in ``to_frame``).
        self._packed.append(_columns(self.fields))
        # A new list, and its extend: callers look ``append`` up at each write, never keep it.
        self.fields = []
        self.append = self.fields.extend

    def to_frame(self, release: bool = False) -> pd.DataFrame:
        """The log as a DataFrame, ordered by time then by the order events happened.

        ``release=True`` empties the log once the frame is built. The model does so at the end
        of a run: the frame then holds the only copy, and the fields are freed at once.

        Columns are built one at a time (numpy for numbers, a categorical for event names), from
        the packs and a slice of the flat fields, which is several times faster than
        ``DataFrame.from_records`` followed by a frame sort, and gives the same frame: ``event``
        categorical over ``EVENTS``, ``state`` and ``detail`` as objects, a stable time order.
        """
        parts = self._packed + ([_columns(self.fields)] if self.fields else [])
        if not parts:
            frame = pd.DataFrame.from_records([], columns=list(COLUMNS))
            frame["event"] = pd.Categorical(frame["event"], categories=EVENTS)
            return frame.astype({"state": object, "detail": object})
        if release:
            # New empty lists (and extend): the frame will hold the only copy. Callers look
            # ``append`` up on the log at each write, never keep it.
            self.fields, self._packed = [], []
            self.append = self.fields.extend
        # Column by column, each part's arrays dropped once joined, and the frame built without
        # a copy: a large authority's log is then about twice its packed size at the peak.
        by_column = [list(arrays) for arrays in zip(*parts)]
        del parts

        def joined(column: int) -> np.ndarray:
            arrays = by_column[column]
            whole = arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
            by_column[column].clear()
            return whole

        times = joined(_TIME)
        order = np.argsort(times, kind="stable")  # stable: ties keep the order events happened
        by_column[_TIME] = [times]
        del times
        data = {}
        for column, name in enumerate(COLUMNS):
            values = joined(column)[order]
            if name == "event":
                values = pd.Categorical.from_codes(values, categories=EVENTS)
            elif name in ("state", "detail"):
                # dtype=object said explicitly: pandas 3 would otherwise infer its string dtype.
                values = pd.Series(values, dtype=object, copy=False)
            data[name] = values
        return pd.DataFrame(data, copy=False)


def _columns(flat: list) -> tuple[np.ndarray, ...]:
    """Flat record fields as column arrays in ``COLUMNS`` order (events as codes), unsorted."""
    width = len(COLUMNS)
    if len(flat) % width:  # a record with a field missing or extra (every writer gives all six)
        raise ValueError(f"event records must have {width} fields ({', '.join(COLUMNS)}); the "
                         f"log holds {len(flat)} fields, not a multiple of {width}")
    count = len(flat) // width
    try:
        times = np.fromiter(flat[_TIME::width], dtype=float, count=count)
        codes = np.fromiter(map(_EVENT_CODES.__getitem__, flat[_EVENT::width]), dtype=np.int8,
                            count=count)
    except (KeyError, ValueError, TypeError) as error:
        # An event name the registry lacks, or a record of the wrong width that shifted
        # every later record's fields (the total can still be a multiple of six).
        found = f"{error} in the event column is not an event of eventlog.EVENTS" if isinstance(
            error, KeyError) else f"a time is not a number ({error})"
        raise ValueError(f"event log: {found}: an unregistered event, or a record without "
                         f"exactly {width} fields ({', '.join(COLUMNS)})") from None
    return (times, np.fromiter(flat[_CHILD_ID::width], dtype=np.int64, count=count), codes,
            np.array(flat[_STATE::width], dtype=object), np.array(flat[_DETAIL::width], dtype=object),
            np.fromiter(flat[_VALUE::width], dtype=float, count=count))


def flat_rows(fields: list) -> list[tuple]:
    """Flat record fields (``EventLog.fields``) as one tuple per record."""
    width = len(COLUMNS)
    return list(zip(*(fields[column::width] for column in range(width))))


#: Each column's position in a record.
_TIME, _CHILD_ID, _EVENT, _STATE, _DETAIL, _VALUE = range(len(COLUMNS))
_EVENT_CODES = {name: code for code, name in enumerate(EVENTS)}

"""The event log: what a run writes is what the frame holds, ordered by time, nothing lost.

Every stock, flow and duration derives from this frame, so users rely on it holding each record
exactly once, with its fields in the right columns, ordered by time (ties in the order written).
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.records.eventlog import COLUMNS, EVENTS, STATES, EventLog

_RECORDS = st.lists(
    st.tuples(st.sampled_from([-30.0, 0.0, 1.5, 1.5, 2.0, 365.25]),  # repeated times: ties
              st.integers(min_value=0, max_value=10**8),
              st.sampled_from(EVENTS),
              st.sampled_from(("",) + STATES),
              st.sampled_from(("", "initial", "transfer", "foster_inhouse")),
              st.floats(allow_nan=False, allow_infinity=False, width=64)),
    max_size=40)


@pytest.mark.unit
@settings(max_examples=60, deadline=None)
@given(records=_RECORDS, by_record=st.booleans())
def test_frame_holds_every_record_in_time_order(records, by_record):
    """The frame is the records written, stably sorted by time, with the contract's dtypes."""
    log = EventLog()
    for rec in records:
        if by_record:
            log.record(*rec)
        else:
            log.append(rec)
    assert len(log) == len(records) and log.rows() == records
    frame = log.to_frame(release=True)
    assert len(log) == 0  # released: the frame holds the only copy
    expected = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    expected = expected.iloc[np.argsort(expected["time_days"].to_numpy(dtype=float), kind="stable")]
    assert list(frame.columns) == list(COLUMNS)
    assert list(frame["event"].cat.categories) == list(EVENTS)
    assert frame["state"].dtype == object and frame["detail"].dtype == object
    assert frame["time_days"].tolist() == expected["time_days"].astype(float).tolist()
    assert frame["child_id"].tolist() == expected["child_id"].tolist()
    assert frame["event"].astype(str).tolist() == expected["event"].tolist()
    assert frame["state"].tolist() == expected["state"].tolist()
    assert frame["detail"].tolist() == expected["detail"].tolist()
    assert frame["value"].tolist() == expected["value"].tolist()


@pytest.mark.unit
@settings(max_examples=60, deadline=None)
@given(records=_RECORDS, packs=st.lists(st.integers(0, 40), max_size=4))
def test_packing_at_any_points_gives_the_same_frame(records, packs):
    """The engine packs the log every block of events (a large authority's memory): wherever the
    packs fall, the records, their count and the frame are those of a log never packed."""
    plain, packed = EventLog(), EventLog()
    for position, rec in enumerate(records):
        if position in packs:
            packed.pack()
        plain.append(rec)
        packed.append(rec)
    assert len(packed) == len(records)
    assert packed.rows() == [rec[:5] + (float(rec[5]),) for rec in records]
    expected, frame = plain.to_frame(), packed.to_frame(release=True)
    pd.testing.assert_frame_equal(frame, expected, check_exact=True)
    assert len(packed) == 0 and packed.to_frame().empty


@pytest.mark.unit
def test_a_record_of_the_wrong_width_is_refused_not_misread():
    """A writer that gives five or seven fields cannot shift the later records' columns silently."""
    short = EventLog()
    short.append((1.0, 7, "referral", "", "first"))  # no value
    with pytest.raises(ValueError, match="6 fields"):
        short.to_frame()
    shifted = EventLog()
    shifted.append((1.0, 7, "referral", "", "first", 0.0, "extra"))
    shifted.append((2.0, 7, "referral", "", "first"))  # the total is a multiple of six again
    with pytest.raises(ValueError, match="without exactly 6 fields"):
        shifted.to_frame()


@pytest.mark.unit
def test_an_unregistered_event_is_refused():
    log = EventLog()
    log.record(1.0, 7, "referal")
    with pytest.raises(ValueError, match="'referal' in the event column is not an event"):
        log.to_frame()

"""The KPI builder's array paths give what the frame functions they replace give.

``KpiBuilder.intervals_of`` / ``spells`` / ``rows`` are ``metrics.intervals`` and event masks on
arrays (with a quick sort of unique keys when the log is in time order); ``financial_year_days``
is ``calendar.daily_cost_of_annual``'s divisor. If either side changes, these fail.
"""
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from simulation.kpis.intervals import intervals
from simulation.kpis.intervention_spend import financial_year_days
from simulation.kpis.metrics import KpiBuilder
from simulation.records.calendar import daily_cost_of_annual


def _log(rng, rows: int, time_ordered: bool) -> pd.DataFrame:
    names = ["placement_started", "placement_ended", "referral", "cla_started"]
    times = np.round(rng.uniform(-50, 400, rows), 0)  # rounded: many ties in time
    frame = pd.DataFrame({
        "time_days": np.sort(times) if time_ordered else times,
        "child_id": rng.integers(0, 30, rows),
        "event": rng.choice(names, rows),
        "state": rng.choice(["", "care", "cin_plan"], rows),
        "detail": rng.choice(["", "rereferral", "foster_ifa", "initial"], rows),
        "value": rng.uniform(0, 3, rows),
    })
    return frame


@pytest.mark.unit
@pytest.mark.parametrize("time_ordered", [True, False])
@pytest.mark.parametrize("seed", range(5))
def test_array_intervals_equal_the_frame_intervals(baseline, seed, time_ordered):
    """Rows in (child, time, seq) order with the same ends, event rows and spells as the frames."""
    events = _log(np.random.default_rng(seed), 600, time_ordered)
    builder = KpiBuilder(events, baseline, 400.0)
    assert builder._time_ordered == time_ordered
    names = ("placement_started", "placement_ended")
    expected = intervals(builder.events[builder.events["event"].isin(names)], ["child_id"])
    rows, ends = builder.intervals_of(*names)
    assert rows.tolist() == expected["seq"].tolist()
    assert ends.tobytes() == expected["end_days"].to_numpy().tobytes()
    opening, opening_ends = builder.spells(*names)
    started = expected[expected["event"] == "placement_started"]
    assert opening.tolist() == started["seq"].tolist()
    assert opening_ends.tobytes() == started["end_days"].to_numpy().tobytes()
    states = intervals(builder.events[builder.events["state"] != ""], ["child_id"])
    builder.state_stocks()
    assert builder.state_positions.tolist() == states["seq"].tolist()
    cin = states[states["state"] == "cin_plan"]
    pd.testing.assert_frame_equal(builder.state_rows("cin_plan"), cin)
    referrals = (builder.events["event"] == "referral") & (builder.events["detail"] == "rereferral")
    assert builder.rows("referral", "rereferral").tolist() == np.flatnonzero(referrals).tolist()
    assert builder.event_mask("referral", "rereferral").tolist() == referrals.tolist()
    assert builder.rows("no_such_event").tolist() == []


@pytest.mark.unit
def test_financial_year_days_divide_as_daily_cost_of_annual():
    start = dt.date(2023, 4, 1)
    n_days = 5 * 366
    dates = [start + dt.timedelta(days=day) for day in range(n_days)]
    for annual in (7_000, 65_000.0, 123_456.789):
        assert (annual / financial_year_days(start, n_days)).tobytes() == \
            daily_cost_of_annual(dates, annual).tobytes()
    later = dt.date(2024, 2, 10)
    assert financial_year_days(later, 100).tolist() == [366.0] * 51 + [365.0] * 49

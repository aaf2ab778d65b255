"""CP plans open at 31 March by time on plan (DfE table D5): the ``cp_open_duration_*_pct`` KPIs.

Users compare these shares with Southend's published D5 figures (a calibration target), so the
bands must follow the DfE boundaries, cover every open plan exactly once, and count the starting
stock's time already on plan.
"""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from simulation.kpis.cp_duration import CP_OPEN_DURATION_KPIS, add_cp_open_duration_kpis
from simulation.kpis.metrics import KpiBuilder
from simulation.records.contract import KPI_NAMES

SEED = 20240401  # as test_invariants, so the cached run is shared
YEARS = 2


def _plan(child_id: int, start: float, end: float | None = None) -> list[tuple]:
    """Event rows of one CP plan: started at ``start`` (back-dated if negative), closed at ``end``."""
    rows = [(start, child_id, "cp_plan_started", "cp_plan", "initial" if start < 0 else "", 0.0)]
    if end is not None:
        rows.append((end, child_id, "case_closed", "closed", "plan", 0.0))
    return rows


@pytest.mark.unit
def test_hand_worked_plans_land_in_their_dfe_bands(baseline):
    """Ten plans open at 31 March 2024 with known times on plan, two to a band, and two closed.

    The run starts 1 April 2023, so 31 March 2024 ends at t = 366 days (2024 is a leap year).
    Times on plan at t = 366: 30 and 91 days (3 months or less: 91 is the boundary, inside);
    91.5 and 182 (over 3, up to 6 months); 182.5 and 364 (over 6 months, under a year); 365
    (exactly a year) and 500 (1 to 2 years); 730 and 900 (2 years or more). The plans started
    before the run (negative times) are back-dated like the starting stock's. Two plans that
    closed before 31 March are not counted. Expected: 20% in every band.
    """
    at_march = 366.0
    on_plan = [30, 91, 91.5, 182, 182.5, 364, 365, 500, 730, 900]
    rows = [row for child, days in enumerate(on_plan) for row in _plan(child, at_march - days)]
    rows += _plan(100, -400.0, 200.0) + _plan(101, 10.0, 365.0)
    events = pd.DataFrame(rows, columns=["time_days", "child_id", "event", "state", "detail", "value"])
    # The hand-worked days below count from 1 April 2023 (the 31 March 2023 stock is published).
    from_2023 = baseline.model_copy(update={"start_date": dt.date(2023, 4, 1)})
    builder = KpiBuilder(events, from_2023, 366.0)
    builder.state_stocks()
    add_cp_open_duration_kpis(builder)
    march = builder.ends.index(pd.Timestamp("2024-03-31").date())
    assert builder.monthly["cp_plans_open"][march] == 10, "ten plans open at 31 March 2024"
    observed = {kpi: builder.monthly[kpi][march] for kpi in CP_OPEN_DURATION_KPIS}
    expected = dict.fromkeys(CP_OPEN_DURATION_KPIS, 20.0)
    assert observed == pytest.approx(expected), f"expected {expected}, observed {observed}"
    # At 30 April 2023 (t = 30) the open plans are those started before day 30: on plan 28, 29
    # (started days 2 and 1), 164, 394, 564 (back-dated), 430 (child 100, closed later) and 20
    # (child 101): 3 of 7 in 3 months or less, 1 in 3-6 months, 3 in 1-2 years.
    open_april = {kpi: builder.monthly[kpi][0] for kpi in CP_OPEN_DURATION_KPIS}
    want = dict(zip(CP_OPEN_DURATION_KPIS, (300 / 7, 100 / 7, 0.0, 300 / 7, 0.0)))
    assert open_april == pytest.approx(want), f"30 April 2023: expected {want}, observed {open_april}"


@pytest.mark.unit
def test_no_open_plan_gives_no_share(baseline):
    """With no CP plan open the shares are missing (NaN), not 0%: there is nothing to share out."""
    events = pd.DataFrame(_plan(1, 5.0, 20.0), columns=["time_days", "child_id", "event", "state",
                                                       "detail", "value"])
    builder = KpiBuilder(events, baseline, 61.0)
    builder.state_stocks()
    add_cp_open_duration_kpis(builder)
    values = [builder.monthly[kpi][0] for kpi in CP_OPEN_DURATION_KPIS]
    assert all(np.isnan(values)), f"expected NaN shares with no plan open, observed {values}"


def test_shares_sum_to_100_and_count_the_starting_stock(baseline, simulate):
    """On a baseline run the five shares sum to 100 at every month end and 31 March with plans open.

    Each share times ``cp_plans_open`` is a whole number of plans (the bands split the same plans
    ``cp_plans_open`` counts). At the first month end (30 April 2023) any plan over 3 months on
    plan started before the run: the starting stock, back-dated by its time already spent. Its
    plans are a length-biased sample (most of the stock is past its first review), so with ~110
    plans a share over 3 months of zero would mean the back-dating was lost.
    """
    run = simulate(baseline, SEED, 0, YEARS)
    shares = np.array([run.kpi(kpi) for kpi in CP_OPEN_DURATION_KPIS])
    open_plans = run.kpi("cp_plans_open")
    has_plans = open_plans > 0
    assert has_plans.all(), "the baseline always has CP plans open"
    total = shares.sum(axis=0)
    assert np.allclose(total, 100.0), f"shares should sum to 100, observed {total}"
    counts = shares * open_plans / 100
    assert np.allclose(counts, np.round(counts)), "each band should hold a whole number of plans"
    for year in ("FY2024-25", "FY2025-26"):
        annual = sum(run.annual_kpi(kpi, year) for kpi in CP_OPEN_DURATION_KPIS)
        assert annual == pytest.approx(100.0), f"{year}: shares at 31 March sum to {annual}, not 100"
    over_3m_first_month = 100 - shares[0, 0]
    assert over_3m_first_month > 0, "the starting stock's plans should carry their time on plan"
    assert shares[3, 0] + shares[4, 0] > 0, "some starting plans should already be a year old"


@pytest.mark.unit
def test_bands_are_in_the_contract():
    """The five KPI names are registered in the output contract."""
    missing = [kpi for kpi in CP_OPEN_DURATION_KPIS if kpi not in KPI_NAMES]
    assert not missing, f"not in the contract registry: {missing}"

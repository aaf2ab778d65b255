"""Finance arithmetic against hand-worked examples (simulation.analysis.finance)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from simulation.analysis import finance
from simulation.records import calendar

pytestmark = pytest.mark.unit
YEARS = ["FY2023-24", "FY2024-25", "FY2025-26", "FY2026-27"]


def test_npv_hand_worked():
    """-100, +50, +60 at 3.5%: -100 + 50/1.035 + 60/1.035^2 = -100 + 48.309179 + 56.010642 = 4.319821 (year 0 undiscounted)."""
    expected = -100 + 50 / 1.035 + 60 / 1.035 ** 2
    observed = finance.npv([-100, 50, 60], YEARS[:3])
    assert observed == pytest.approx(4.319821, abs=1e-6), f"expected {expected:.6f}, got {observed:.6f}"


def test_npv_of_cash_deflates_before_discounting():
    """Cash flows inflated at 2% and deflated again give the NPV of the real flows."""
    real = np.array([-100.0, 30.0, 40.0, 50.0])
    cash = finance.to_cash(real, YEARS, 2.0)
    assert cash[2] == pytest.approx(40 * 1.02 ** 2), f"expected {40 * 1.0404}, got {cash[2]}"
    observed, expected = finance.npv_of_cash(cash, YEARS, 2.0), finance.npv(real, YEARS)
    assert observed == pytest.approx(expected), f"expected {expected}, got {observed}"
    # Discounting cash at 3.5% without deflating would be wrong: check the two differ.
    assert finance.npv(cash, YEARS) != pytest.approx(expected)


def test_inflation_round_trip_and_base_year():
    """GBP 1,000 of 2023-24 prices is GBP 1,000 cash in 2023-24 and GBP 1,040.40 in 2025-26 at 2%."""
    cash = finance.to_cash([1000, 1000], ["FY2023-24", "FY2025-26"], 2.0)
    assert cash.tolist() == pytest.approx([1000.0, 1040.4]), f"got {cash.tolist()}"
    back = finance.to_real(cash, ["FY2023-24", "FY2025-26"], 2.0)
    assert back.tolist() == pytest.approx([1000.0, 1000.0]), f"got {back.tolist()}"


@pytest.mark.parametrize("flows, expected", [
    ([-100, 30, 40, 50], "FY2026-27"),   # cumulative -100, -70, -30, +20
    ([-100, 10, 10, 10], None),          # never recovers within the horizon
    ([50, -100, 60, 0], "FY2025-26"),    # +50, -50, +10, +10: the later dip counts
    ([5, 10, 10, 10], "FY2023-24"),      # never below zero
    ([0, 0, 10, 10], "FY2025-26"),       # the scheme starts in the third year and pays at once
    ([0, 0, 0, 0], "FY2023-24"),         # nothing changes: nothing to pay back
])
def test_payback_year(flows, expected):
    """The payback year is the first from which cumulative net savings stay >= 0."""
    observed = finance.payback_year(YEARS, flows)
    assert observed == expected, f"flows {flows}: expected {expected}, got {observed}"


def test_placement_crossing_31_march_is_split_by_days():
    """GBP 700 a week from 20 March to 10 April 2024: 12 days in 2023-24, 9 days in 2024-25."""
    split = calendar.split_by_financial_year(dt.date(2024, 3, 20), dt.date(2024, 4, 10), 700 / 7)
    assert split == pytest.approx({"FY2023-24": 1200.0, "FY2024-25": 900.0}), f"got {split}"


def test_annual_cost_spreads_to_exactly_one_year_in_a_leap_year():
    """An annual cost spread over FY2023-24 (366 days, 29 February 2024) sums to the annual cost."""
    days = [dt.date(2023, 4, 1) + dt.timedelta(days=d) for d in range(366 + 365)]
    daily = calendar.daily_cost_of_annual(days, 36_500.0)
    assert daily[:366].sum() == pytest.approx(36_500.0), f"FY2023-24 sum {daily[:366].sum()}"
    assert daily[366:].sum() == pytest.approx(36_500.0), f"FY2024-25 sum {daily[366:].sum()}"


def _annual(scenario: str, lines: dict[str, float], replication: int = 0, year: str = "FY2024-25"):
    rows = [(scenario, replication, year, f"spend_{line}_gbp", value) for line, value in lines.items()]
    rows.append((scenario, replication, year, "spend_total_gbp", sum(lines.values())))
    rows.append((scenario, replication, year, "referrals", 10.0))
    return pd.DataFrame(rows, columns=["scenario", "replication", "financial_year", "kpi", "value"])


def test_savings_split_into_cashable_and_capacity_released():
    """Hand-worked: placements -200, agency -50, permanent -50, early help +50, intervention +100.

    Gross saving 300; intervention cost 150 (interventions and early help places); net 150;
    capacity released 50 (the fall in permanent staff); cashable 100.
    """
    base = _annual("baseline", {"placements_residential": 1000, "staff_agency": 200,
                                "staff_permanent": 500, "early_help": 300, "intervention": 0})
    alt = _annual("alt", {"placements_residential": 800, "staff_agency": 150,
                          "staff_permanent": 450, "early_help": 350, "intervention": 100})
    row = finance.savings_by_replication(base, alt).iloc[0]
    expected = {"gross_saving_gbp": 300, "intervention_cost_gbp": 150, "net_saving_gbp": 150,
                "capacity_released_gbp": 50, "cashable_net_saving_gbp": 100}
    observed = {key: row[key] for key in expected}
    assert observed == pytest.approx(expected), f"expected {expected}, got {observed}"


def test_rise_in_permanent_staff_is_a_cash_cost_not_negative_capacity():
    """Agency -200 replaced by permanent +150: net saving 50, all cashable, no capacity released."""
    base = _annual("baseline", {"staff_agency": 400, "staff_permanent": 1000})
    alt = _annual("alt", {"staff_agency": 200, "staff_permanent": 1150})
    row = finance.savings_by_replication(base, alt).iloc[0]
    observed = (row["net_saving_gbp"], row["capacity_released_gbp"], row["cashable_net_saving_gbp"])
    assert observed == pytest.approx((50, 0, 50)), f"expected (50, 0, 50), got {observed}"


def test_cumulative_discounted_savings_and_target_probability():
    """Two years, four replications: cumulative and discounted sums, and P(saving >= target)."""
    frames_base, frames_alt = [], []
    for rep, (first, second) in enumerate([(-10, 30), (-10, 20), (-10, 10), (-10, 0)]):
        for year, saving in (("FY2023-24", first), ("FY2024-25", second)):
            frames_base.append(_annual("baseline", {"placements_foster_ifa": 100}, rep, year))
            frames_alt.append(_annual("alt", {"placements_foster_ifa": 100 - saving}, rep, year))
    per_rep = finance.savings_by_replication(pd.concat(frames_base), pd.concat(frames_alt))
    last = per_rep[per_rep["financial_year"] == "FY2024-25"].sort_values("replication")
    assert last["cumulative_net_saving_gbp"].tolist() == pytest.approx([20, 10, 0, -10])
    assert last["cumulative_discounted_net_saving_gbp"].iloc[0] == pytest.approx(-10 + 30 / 1.035)
    summary = finance.finance_summary(per_rep, target_gbp=15, target_year="FY2024-25")
    assert summary["target"]["probability"] == pytest.approx(0.5), f"got {summary['target']}"
    assert summary["target"]["ci95_low"] < 0.5 < summary["target"]["ci95_high"]
    assert summary["payback"]["share_within_horizon"] == pytest.approx(0.75), summary["payback"]
    assert summary["npv_gbp"]["mean"] == pytest.approx(-10 + 15 / 1.035), summary["npv_gbp"]

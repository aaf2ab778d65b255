"""The top-down spend check is made at one price base: 2024-25 prices.

A finance officer reading the calibration report must be able to trust that the model's spend
(2023-24 prices) and the 2024-25 RO3 outturn (cash) are compared like for like, through the
deflator stated in the scenario's ``[finance]`` section.
"""

import numpy as np
import pandas as pd
import pytest

from simulation.calibration import calibrate, price_base

SPEND_CHECKS = ("spend_cla_gbp@2024-25", "spend_staff_agency_gbp@2024-25")


def _spend_rows() -> pd.DataFrame:
    targets = calibrate.load_targets()
    rows = targets[targets["target_id"].isin(SPEND_CHECKS)].reset_index(drop=True)
    assert len(rows) == len(SPEND_CHECKS), f"expected the checks {SPEND_CHECKS}, found {rows['target_id'].tolist()}"
    return rows


@pytest.mark.unit
def test_spend_checks_are_uprated_by_the_deflator():
    """Each spend check's expression multiplies the model's spend by the deflator, so its
    simulated value with deflator d is exactly d times its value in 2023-24 prices (d = 1)."""
    rows = _spend_rows()
    spend = {"spend_placements_foster_ifa_gbp": 9e6, "spend_placements_residential_gbp": 1.2e7,
             "spend_placements_supported_gbp": 4e6, "spend_placements_emergency_gbp": 5e5,
             "spend_fostering_fees_allowances_gbp": 3e6, "spend_fostering_support_gbp": 4e5,
             "spend_staff_agency_gbp": 2.5e6}
    annual = pd.DataFrame({"financial_year": "FY2023-24", "kpi": list(spend), "value": list(spend.values())})
    monthly = pd.DataFrame(columns=["month_end", "kpi", "value"])
    real = calibrate.target_values(monthly, annual, rows, {price_base.DEFLATOR: 1.0})
    uprated = calibrate.target_values(monthly, annual, rows, {price_base.DEFLATOR: 1.037})
    expected_real = [9e6 + 1.2e7 + 4e6 + 5e5 + 3e6 + 4e5, 2.5e6]
    assert real.tolist() == pytest.approx(expected_real), f"2023-24 prices: expected {expected_real}, got {real}"
    assert (uprated / real).tolist() == pytest.approx([1.037, 1.037], rel=1e-12), \
        f"expected a ratio of exactly 1.037, got {uprated / real}"
    missing = calibrate.target_values(monthly, annual, rows)
    assert np.isnan(missing).all(), "without a deflator the check must be missing, not unconverted"


def test_deflator_changes_only_the_spend_checks(baseline, make_variant):
    """Simulated with common random numbers, a scenario differing only in the deflator (1.05
    against the baseline's 1.03) gives spend checks exactly 1.05/1.03 times the baseline's, and
    every other target unchanged: the model never reads the price base."""
    targets = calibrate.compared(calibrate.load_targets())
    uprated = make_variant(baseline, {"finance.gdp_deflator_2023_24_to_2024_25_multiplier": 1.05},
                           "deflator at the top of its range")
    base = calibrate.simulate_targets(baseline, targets, replications=1, seed=7)[0]
    other = calibrate.simulate_targets(uprated, targets, replications=1, seed=7)[0]
    is_spend = targets["target_id"].isin(SPEND_CHECKS).to_numpy()
    factor = 1.05 / baseline.finance.gdp_deflator_2023_24_to_2024_25_multiplier.value
    assert other[is_spend] == pytest.approx(base[is_spend] * factor, rel=1e-12), \
        f"expected spend x {factor:.6f}: baseline {base[is_spend]}, uprated {other[is_spend]}"
    same = np.isclose(base[~is_spend], other[~is_spend], equal_nan=True)
    assert same.all(), f"targets moved by the deflator: {targets.loc[~is_spend].loc[~same, 'target_id'].tolist()}"


@pytest.mark.unit
def test_report_states_the_price_base(baseline):
    """The report's sentence names the price base and the deflator's value."""
    text = price_base.note(baseline)
    assert "2024-25 prices" in text and "1.03" in text, text

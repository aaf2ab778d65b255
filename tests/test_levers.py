"""Levers (multiplier paths with a start date and phase-in) and the spend they imply."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.engine.capacity import EarlyHelpPlaces
from simulation.engine.event_queue import CareEnvironment
from simulation.engine.levers import EXTRA_ARRIVAL_INDEX_OFFSET, lever_arrivals
from simulation.kpis.intervention_spend import add_intervention_spend
from simulation.kpis.metrics import KpiBuilder
from simulation.records.calendar import financial_year_of, label_of
from simulation.records.streams import Streams
from simulation.scenario.lever_schedule import MONTH_DAYS, LeverSchedule, Ramp
from simulation.scenario.loading import ScenarioError, load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TARGET = "referrals.external_rate_per_year"


@pytest.mark.unit
def test_ramp_phases_in_month_by_month():
    """x0.8 over 4 months from day 10: 1 before, then 0.95, 0.90, 0.85, 0.80 and 0.80 after."""
    ramp = Ramp(10.0, 4, 0.8)
    days = [9.99, 10.0, 10 + MONTH_DAYS, 10 + 2.5 * MONTH_DAYS, 10 + 3 * MONTH_DAYS, 10 + 40 * MONTH_DAYS]
    observed = [ramp.at(day) for day in days]
    expected = [1.0, 0.95, 0.90, 0.85, 0.80, 0.80]
    assert observed == pytest.approx(expected), f"expected {expected}, got {observed}"
    assert Ramp(10.0, 0, 0.8).at(10.0) == 0.8, "no phase-in means full effect from the start day"


@pytest.mark.unit
def test_two_interventions_on_one_target_multiply():
    """x0.9 and x0.8 in full give x0.72; steps are listed in day order."""
    schedule = LeverSchedule({TARGET: (Ramp(0.0, 0, 0.9), Ramp(30.0, 0, 0.8))})
    assert schedule.multiplier(TARGET, 100.0) == pytest.approx(0.72)
    assert schedule.steps(TARGET) == [(0.0, 0.9), (30.0, pytest.approx(0.72))]
    assert schedule.function("referrals.nfa_at_referral_prob") is None, "an unmoved target costs nothing"


@pytest.mark.badinput
def test_unknown_lever_target_is_refused(tmp_path):
    """A lever on a parameter the model cannot move is a one-line error naming the field."""
    text = (SCENARIOS / "threshold_refresh.toml").read_text().replace(
        '"referrals.nfa_at_referral_prob"', '"referrals.nfa_at_referal_prob"')
    (tmp_path / "baseline.toml").write_text((SCENARIOS / "baseline.toml").read_text())
    (tmp_path / "typo.toml").write_text(text)
    with pytest.raises(ScenarioError, match="lever targets from"):
        load_scenario(tmp_path / "typo.toml")


@pytest.mark.unit
def test_thinning_keeps_a_subset_of_the_same_arrivals():
    """x0.5: kept arrivals keep their index (same children); about half are kept (4 s.e.)."""
    base = np.sort(np.random.default_rng(1).uniform(0, 365, 4000))
    schedule = LeverSchedule({TARGET: (Ramp(0.0, 0, 0.5),)})
    days, indices = lever_arrivals(Streams(3, 0), TARGET, schedule, base, 4000.0, None)
    assert np.array_equal(days, base[indices]), "a kept arrival must keep its day and index"
    tolerance = 4 * np.sqrt(4000 * 0.25)
    assert abs(len(days) - 2000) < tolerance, f"expected 2000 +/- {tolerance:.0f}, kept {len(days)}"


@pytest.mark.unit
def test_multiplier_above_one_adds_arrivals_and_keeps_every_baseline_one():
    """x1.5 from day 0: all baseline arrivals stay; extra ones (~half as many) get new indices."""
    base = np.sort(np.random.default_rng(2).uniform(0, 365, 2000))
    schedule = LeverSchedule({TARGET: (Ramp(0.0, 0, 1.5),)})

    def draw(rng, rate):
        return np.sort(rng.uniform(0, 365, rng.poisson(rate)))

    days, indices = lever_arrivals(Streams(3, 0), TARGET, schedule, base, 2000.0, draw)
    assert set(range(2000)) <= set(indices.tolist()), "every baseline arrival must remain"
    extra = int(np.sum(indices >= EXTRA_ARRIVAL_INDEX_OFFSET))
    tolerance = 4 * np.sqrt(1000)
    assert abs(extra - 1000) < tolerance, f"expected 1000 +/- {tolerance:.0f} extra, got {extra}"
    assert np.all(np.diff(days) >= 0), "arrivals must be in time order"


@pytest.mark.unit
def test_more_places_admit_waiting_families_at_once():
    """Resizing from 1 to 3 places seats the two families waiting, first come first served."""
    env = CareEnvironment()
    places = EarlyHelpPlaces(env, 1)
    started = []
    assert places.request(1, lambda: started.append(1)), "the first family should take the free place"
    assert not places.request(2, lambda: started.append(2)) and not places.request(3, lambda: started.append(3))
    places.resize(3)
    assert started == [2, 3], f"waiting families should start in arrival order, got {started}"
    assert places.helped == {1, 2, 3}, f"got {places.helped}"


def _spend(scenario, years: int = 5) -> pd.DataFrame:
    events = pd.DataFrame({"time_days": [], "child_id": [], "event": [], "state": [], "detail": [], "value": []})
    horizon = (scenario.start_date.replace(year=scenario.start_date.year + years) - scenario.start_date).days
    builder = KpiBuilder(events, scenario, float(horizon))
    add_intervention_spend(builder)
    monthly = pd.DataFrame(builder.monthly, index=[label_of(financial_year_of(end)) for end in builder.ends])
    annual = monthly.groupby(level=0).sum()
    annual["early_help_capacity"] = monthly["early_help_capacity"].groupby(level=0).last()
    return annual


@pytest.mark.unit
def test_intervention_and_early_help_spend_by_financial_year():
    """Hand-worked threshold_refresh costs and early help places by year (2023-24 prices).

    FY2024-25 (365 days): training GBP 60,000 and lead GBP 65,000 from 1 October 2024, 182 days
    each: 125,000 x 182/365 = 62,328.77. FY2026-27 (365 days): training to 30 September 2026 (183
    days): 60,000 x 183/365 = 30,082.19, plus the lead 65,000. Early help: 450 places x GBP 7,000.
    """
    spend = _spend(load_scenario(SCENARIOS / "threshold_refresh.toml"))
    observed = spend["spend_intervention_gbp"].to_dict()
    expected = {"FY2024-25": 125_000 * 182 / 365, "FY2025-26": 125_000.0,
                "FY2026-27": 60_000 * 183 / 365 + 65_000, "FY2027-28": 65_000.0, "FY2028-29": 65_000.0}
    assert observed == pytest.approx(expected), f"expected {expected}, got {observed}"
    assert spend["spend_early_help_gbp"].tolist() == pytest.approx([3_150_000.0] * 5)


@pytest.mark.unit
def test_early_help_spend_follows_the_capacity_lever():
    """more_early_help: 540 places in full years after the 6-month phase-in; between during it."""
    spend = _spend(load_scenario(SCENARIOS / "more_early_help.toml"))
    early_help = spend["spend_early_help_gbp"]
    assert early_help["FY2024-25"] == pytest.approx(450 * 7000), early_help.to_dict()
    assert 450 * 7000 < early_help["FY2025-26"] < 540 * 7000, early_help.to_dict()
    assert early_help["FY2026-27"] == pytest.approx(540 * 7000), early_help.to_dict()
    assert spend["early_help_capacity"]["FY2026-27"] == 540


@pytest.mark.unit
def test_package_repeats_its_parts_exactly():
    """The package's interventions equal those of more_early_help and threshold_refresh (numbers)."""
    package = load_scenario(SCENARIOS / "early_help_and_thresholds.toml").interventions.items
    for part in ("more_early_help", "threshold_refresh"):
        for key, item in load_scenario(SCENARIOS / f"{part}.toml").interventions.items.items():
            mine = package[key]
            numbers = lambda it: (it.start_date, it.phase_in_months, it.cost_end_date, it.annual_cost_gbp.value,  # noqa: E731
                                  {t: (lv.value, lv.range) for t, lv in it.levers.items()})
            assert numbers(mine) == numbers(item), f"{key} differs from {part}: {numbers(mine)} vs {numbers(item)}"


@pytest.mark.reproducibility
def test_same_children_before_an_intervention_starts():
    """more_early_help starts in April 2025: its first year's referrals are the baseline's, event for event."""
    from simulation.engine.model import run_replication
    base = run_replication(load_scenario(SCENARIOS / "baseline.toml"), 5, 0, 1.0).events
    alt = run_replication(load_scenario(SCENARIOS / "more_early_help.toml"), 5, 0, 1.0).events
    pick = lambda frame: frame[frame["event"] == "referral"][["time_days", "child_id"]].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(pick(base), pick(alt))
    assert dt.date(2025, 4, 1) > load_scenario(SCENARIOS / "baseline.toml").start_date

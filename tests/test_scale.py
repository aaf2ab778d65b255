"""A larger authority: every count scales together, rates per child stay as they were."""

import datetime as dt
from pathlib import Path

import pytest

from simulation.scenario.loading import load_scenario
from simulation.scenario.scale import SCALED_FIELDS, ScaleError, scale_scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(BASELINE)


def _values(scenario, path):
    """The values ``path`` points at (``*``: every key, in order)."""
    nodes = [scenario.model_dump(mode="json")]
    for part in path.split("."):
        nodes = [node[key] for node in nodes for key in (node if part == "*" else [part])]
    return [node["value"] for node in nodes]


@pytest.mark.unit
def test_scaled_scenario_multiplies_every_declared_count():
    """Each path in SCALED_FIELDS is 4 times larger (interventions' lump sums included: the
    combined package has them); the result is a valid, frozen Scenario."""
    package = load_scenario(BASELINE.parent / "combined_package.toml")
    big = scale_scenario(package, 4)
    assert type(big) is type(package) and big.name == "combined_package_x4", f"got {big.name}"
    for path in SCALED_FIELDS:
        for before, after in zip(_values(package, path), _values(big, path), strict=True):
            if isinstance(before, dict):
                for key in before:
                    assert after[key] == pytest.approx(4 * before[key]), f"{path}[{key}]"
            else:
                assert after == pytest.approx(4 * before), f"{path}: {before} -> {after}"
    assert package.interventions.items and big.interventions.items, "no interventions to check"
    with pytest.raises(Exception):
        big.name = "changed"  # frozen like a loaded scenario


@pytest.mark.unit
def test_scale_one_is_the_scenario_itself(baseline):
    """Southend at Southend's size: the same object, so a run at --scale 1 is a plain run."""
    assert scale_scenario(baseline, 1) is baseline
    assert scale_scenario(baseline, 1.0) is baseline


@pytest.mark.unit
def test_money_per_child_is_not_scaled_but_spend_is_by_the_children(baseline):
    """A finance officer reads a 16x region's spend as 16 Southends': prices per child, fees and
    salaries stay; lump sums (marketing, adoption services) are 16 times larger."""
    big = scale_scenario(baseline, 16)
    assert big.placement_market.weekly_price_gbp == baseline.placement_market.weekly_price_gbp
    assert big.fostering.inhouse_fee_weekly_gbp == baseline.fostering.inhouse_fee_weekly_gbp
    assert big.workforce.salary_employed_gbp_per_year == baseline.workforce.salary_employed_gbp_per_year
    assert big.finance.adoption_services_gbp_per_year.value == pytest.approx(
        16 * baseline.finance.adoption_services_gbp_per_year.value)
    assert big.fostering.marketing_cost_per_year_gbp.value == pytest.approx(
        16 * baseline.fostering.marketing_cost_per_year_gbp.value)


@pytest.mark.unit
def test_rates_per_child_and_durations_are_unchanged(baseline):
    """Probabilities, durations and caseload limits describe practice, not size."""
    big = scale_scenario(baseline, 16)
    assert big.referrals.rereferral_after_nfa_prob == baseline.referrals.rereferral_after_nfa_prob
    assert big.cin_plans == baseline.cin_plans and big.protection == baseline.protection
    assert big.capacity.caseload_limit_cases_per_fte == baseline.capacity.caseload_limit_cases_per_fte
    assert big.stock.rereferral_pct == baseline.stock.rereferral_pct
    referrals_per_child = (big.referrals.external_rate_per_year.value
                           / big.population.children_0_17_by_mid_year.value["2023"])
    expected = (baseline.referrals.external_rate_per_year.value
                / baseline.population.children_0_17_by_mid_year.value["2023"])
    assert referrals_per_child == pytest.approx(expected), "referrals per child must not change"


@pytest.mark.badinput
def test_bad_factor_and_unknown_path_are_refused(baseline):
    """A renamed field must not silently stop scaling; nonsense factors are refused."""
    for factor in (0, -2, float("nan")):
        with pytest.raises(ScaleError, match="positive"):
            scale_scenario(baseline, factor)
    with pytest.raises(ScaleError, match="no field"):
        scale_scenario(baseline, 2, fields=("capacity.no_such_team_fte",))


@pytest.mark.smoke
def test_a_scaled_authority_runs(baseline):
    """A 4x authority runs a quarter of a year and starts with 4x the looked-after children."""
    from simulation.engine.model import run_replication

    big = scale_scenario(baseline, 4)
    result = run_replication(big, 1, 0, 0.25)
    started = result.events[(result.events["event"] == "cla_started")
                            & (result.events["detail"] == "initial")]
    expected = round(4 * baseline.stock.cla.value)
    assert abs(len(started) - expected) <= 1, \
        f"starting looked-after children: expected {expected}, observed {len(started)}"
    assert big.start_date == dt.date(2024, 4, 1)

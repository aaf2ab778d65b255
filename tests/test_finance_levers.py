"""Issue 18's finance: every cost a lever causes is investment, the step-down programme costed in
full, care leavers and SGO allowances costed, savings split into cashable and avoided, targets in
cash or real terms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.analysis import finance
from simulation.scenario.loading import load_scenario

from conftest import REPO

SEED = 20230401
YEARS = 2.5
REPS = 3


def annual_of(run, name: str, replication: int) -> pd.DataFrame:
    return run.annual.assign(scenario=name, replication=replication)


def savings(simulate, base, alt, reps=REPS, years=YEARS) -> pd.DataFrame:
    """Savings by replication of ``alt`` against ``base`` from paired single replications."""
    base_frames = [annual_of(simulate(base, SEED, rep, years), base.name, rep) for rep in range(reps)]
    alt_frames = [annual_of(simulate(alt, SEED, rep, years), alt.name, rep) for rep in range(reps)]
    return finance.savings_by_replication(pd.concat(base_frames), pd.concat(alt_frames))


@pytest.mark.unit
def test_fee_uplift_cost_is_investment_equal_to_the_extra_spend(baseline, make_variant, simulate):
    """With carers not responding to fees (both elasticities 0) the uplift changes nothing but the
    fees: the intervention cost equals the rise in fees and allowances, and the gross saving is 0."""
    uplift = load_scenario(REPO / "scenarios" / "foster_fee_uplift.toml")
    inert = make_variant(uplift, {"fostering.recruitment_payment_elasticity": 0.0,
                                  "fostering.retention_payment_elasticity": 0.0}, "carers do not respond")
    per_rep = savings(simulate, baseline, inert)
    late = per_rep[per_rep["financial_year"] == "FY2025-26"]
    base = pd.concat([annual_of(simulate(baseline, SEED, r, YEARS), "b", r) for r in range(REPS)])
    alt = pd.concat([annual_of(simulate(inert, SEED, r, YEARS), "a", r) for r in range(REPS)])
    pick = lambda frame: frame[(frame["kpi"] == "spend_fostering_fees_allowances_gbp")  # noqa: E731
                               & (frame["financial_year"] == "FY2025-26")].sort_values("replication")["value"].to_numpy()
    extra = pick(alt) - pick(base)
    cost = late.sort_values("replication")["intervention_cost_gbp"].to_numpy()
    assert (cost > 0).all(), f"expected a positive intervention cost, got {cost}"
    assert cost == pytest.approx(extra, rel=1e-9), f"intervention cost {cost} vs extra fees {extra}"
    assert late["gross_saving_gbp"].to_numpy() == pytest.approx(np.zeros(REPS), abs=1e-6), late["gross_saving_gbp"]


@pytest.mark.unit
def test_retention_payment_cost_is_investment_equal_to_the_extra_spend(baseline, make_variant, simulate):
    """A retention payment that changes no one's leaving: the intervention cost equals the rise in
    permanent staff spend (the payments), and the gross saving is 0."""
    payment = load_scenario(REPO / "scenarios" / "retention_payment.toml")
    inert = make_variant(payment, {"workforce_levers.retention.leaving_rate_multiplier": 1.0}, "no effect")
    per_rep = savings(simulate, baseline, inert)
    late = per_rep[per_rep["financial_year"] == "FY2025-26"].sort_values("replication")
    assert (late["intervention_cost_gbp"] > 0).all(), late["intervention_cost_gbp"].tolist()
    assert late["net_saving_gbp"].to_numpy() == pytest.approx(-late["intervention_cost_gbp"].to_numpy(), rel=1e-9)
    assert late["gross_saving_gbp"].to_numpy() == pytest.approx(np.zeros(REPS), abs=1e-6)


@pytest.mark.unit
@pytest.mark.parametrize("name", ["foster_fee_uplift", "recruitment_and_retention", "residential_step_down"])
def test_standard_scenarios_show_their_levers_cost_as_investment(baseline, simulate, name):
    """Each scenario's intervention cost is positive from its levers' start and equals the rise in
    its levers' own costs (the lever_cost_* flows), which are inside its spend lines."""
    scenario = load_scenario(REPO / "scenarios" / f"{name}.toml")
    per_rep = savings(simulate, baseline, scenario, reps=2)
    late = per_rep[per_rep["financial_year"] == "FY2025-26"].sort_values("replication")
    lever_cost = []
    for rep in range(2):
        annual = simulate(scenario, SEED, rep, YEARS).annual
        rows = annual[annual["kpi"].str.startswith("lever_cost_") & (annual["financial_year"] == "FY2025-26")]
        lever_cost.append(rows["value"].sum())
    assert (late["intervention_cost_gbp"] > 0).all(), f"{name}: {late['intervention_cost_gbp'].tolist()}"
    assert late["intervention_cost_gbp"].to_numpy() == pytest.approx(np.array(lever_cost), rel=1e-9)
    identity = late["cashable_saving_gbp"] + late["cost_avoidance_gbp"] + late["capacity_released_gbp"]
    assert identity.to_numpy() == pytest.approx(late["gross_saving_gbp"].to_numpy(), abs=1e-6)


@pytest.mark.unit
def test_step_down_programme_cost_is_what_the_log_implies(simulate):
    """The step-down lever cost = enhanced fee and support over each move's enhanced period (or
    until the placement ends) + transition support per move + the programme's yearly cost."""
    scenario = load_scenario(REPO / "scenarios" / "residential_step_down.toml")
    run = simulate(scenario, SEED, 0, YEARS)
    market = scenario.placement_market
    events = run.events
    moves = events[events["event"] == "step_down"]
    assert len(moves) > 0, "expected step-downs"
    ends = events[events["event"] == "placement_ended"]
    enhanced = 0.0
    for child, day in zip(moves["child_id"], moves["time_days"]):
        later = ends[(ends["child_id"] == child) & (ends["time_days"] > day)]["time_days"]
        end = min(day + market.step_down_enhanced_weeks.value * 7, later.min() if len(later) else np.inf,
                  run.month_end_days()[-1])
        enhanced += end - day
    start = (market.step_down_start_date.value - scenario.start_date).days
    programme = market.step_down_programme_cost_gbp_per_year.value * (run.month_end_days()[-1] - start) / 365.25
    expected = (enhanced * (market.step_down_enhanced_fee_weekly_gbp.value + market.step_down_support_weekly_gbp.value) / 7
                + len(moves) * market.step_down_support_cost_gbp.value + programme)
    observed = run.kpi("lever_cost_step_down_gbp").sum()
    assert observed == pytest.approx(expected, rel=1e-6), f"expected {expected:,.0f}, observed {observed:,.0f}"


@pytest.mark.direction
def test_step_down_saving_is_lower_than_the_old_costing(baseline, make_variant, simulate):
    """The old step-down (40% ready from the start, standard fee, no support, programme or
    breakdown) saved more than the programme costed in full: the paired net saving falls."""
    new = load_scenario(REPO / "scenarios" / "residential_step_down.toml")
    old = make_variant(new, {
        "placement_market.step_down_ready_prob": 0.4, "placement_market.step_down_start_date": scenario_start(new),
        "placement_market.step_down_phase_in_months": 0, "placement_market.step_down_enhanced_fee_weekly_gbp": 0,
        "placement_market.step_down_support_weekly_gbp": 0, "placement_market.step_down_breakdown_prob": 0,
        "placement_market.step_down_programme_cost_gbp_per_year": 0}, "the costing before issue 18")
    total = lambda per_rep: per_rep.groupby("replication")["net_saving_gbp"].sum().to_numpy()  # noqa: E731
    difference = total(savings(simulate, baseline, old)) - total(savings(simulate, baseline, new))
    mean, se = difference.mean(), difference.std(ddof=1) / np.sqrt(len(difference))
    assert mean > 2 * se, f"old minus new net saving: expected above 2 SE ({se:,.0f}), observed {mean:,.0f}"


def scenario_start(scenario):
    return scenario.start_date


@pytest.mark.unit
def test_care_leavers_and_sgo_lines_present_and_positive(baseline, simulate):
    """``spend_care_leavers_gbp`` (advisers, support, staying put) and the SGO/CAO allowance line
    are written every month and positive; care leavers cost more than the advisers alone."""
    run = simulate(baseline, SEED, 0, YEARS)
    care_leavers, sgo = run.kpi("spend_care_leavers_gbp"), run.kpi("spend_sgo_cao_allowances_gbp")
    advisers = (baseline.capacity.leaving_care_personal_adviser_fte.value
                * baseline.cost_base.personal_adviser_cost_gbp_per_fte_per_year.value / 12)
    assert (care_leavers > advisers * 0.9).all(), f"care leavers {care_leavers[:3]} vs advisers {advisers:,.0f}"
    assert (sgo > 0).all(), f"SGO/CAO allowances {sgo[:3]}"
    total = run.kpi("spend_total_gbp")
    lines = [name for name in run.monthly["kpi"].unique() if name.startswith("spend_") and name != "spend_total_gbp"]
    assert total == pytest.approx(sum(run.kpi(name) for name in lines)), "total = sum of lines (lever costs not added)"


def _frames(spend_by_year: dict[str, tuple[float, float]], line: str = "placements_residential"):
    base, alt = [], []
    for year, (b, a) in spend_by_year.items():
        base.append({"scenario": "b", "replication": 0, "financial_year": year, "kpi": f"spend_{line}_gbp", "value": b})
        alt.append({"scenario": "a", "replication": 0, "financial_year": year, "kpi": f"spend_{line}_gbp", "value": a})
    return pd.DataFrame(base), pd.DataFrame(alt)


@pytest.mark.unit
def test_cashable_below_the_starting_budget_avoidance_above():
    """Baseline 100 then 120; scenario 100 then 110: a saving of 10, all cost avoidance (growth not
    incurred). Scenario 90 in the second year: 30 saved, 10 cashable (below the 100 budget), 20
    avoided. A rise is a cash cost."""
    rows = finance.savings_by_replication(*_frames({"FY2024-25": (100, 100), "FY2025-26": (120, 110)}))
    second = rows.iloc[1]
    assert (second["cashable_saving_gbp"], second["cost_avoidance_gbp"]) == pytest.approx((0, 10))
    rows = finance.savings_by_replication(*_frames({"FY2024-25": (100, 100), "FY2025-26": (120, 90)}))
    second = rows.iloc[1]
    assert (second["cashable_saving_gbp"], second["cost_avoidance_gbp"]) == pytest.approx((10, 20))
    assert second["cashable_net_saving_gbp"] == pytest.approx(10)
    rows = finance.savings_by_replication(*_frames({"FY2024-25": (100, 100), "FY2025-26": (120, 130)}))
    assert rows.iloc[1]["cashable_saving_gbp"] == pytest.approx(-10)


@pytest.mark.unit
def test_savings_target_is_tested_in_the_terms_it_is_set_in():
    """A real net saving of 100 in FY2026-27 is 100 x 1.03 x 1.02 x 1.02 = 107.16 in cash under
    the path 3%, 2%, ...: a target of 105 is missed in real terms and met in cash terms."""
    per_rep = finance.savings_by_replication(*_frames({"FY2024-25": (0, 0), "FY2025-26": (0, 0),
                                                       "FY2026-27": (100, 0)}))
    real = finance.finance_summary(per_rep, 105, "FY2026-27", "real", (3, 2))
    cash = finance.finance_summary(per_rep, 105, "FY2026-27", "cash", (3, 2))
    assert real["target"]["probability"] == 0.0 and cash["target"]["probability"] == 1.0, (real, cash)
    assert finance.to_cash([100], ["FY2026-27"], (3, 2))[0] == pytest.approx(107.1612)
    assert finance.to_cash([100], ["FY2026-27"], 2)[0] == pytest.approx(100 * 1.02 ** 3)

"""Lever uncertainty: each pulled lever's effect drawn per replication (triangular on its range)
from the named stream ``lever.effect``, shared by compared scenarios, identical on any number of
workers; it widens the spread of the net saving, and the report splits the spread three ways."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from simulation.analysis import uncertainty_split
from simulation.records.streams import STREAM_NAMES
from simulation.runs.comparison import compare
from simulation.runs.runner import run_experiment
from simulation.scenario import lever_effects
from simulation.scenario.lever_effects import LeverUncertainty
from simulation.scenario.loading import load_scenario

from conftest import REPO

SEED = 20230401


def scenario(name: str):
    return load_scenario(REPO / "scenarios" / f"{name}.toml")


@pytest.mark.unit
def test_triangular_quantiles_are_analytic():
    """Triangular on [0, 1, 2]: median 1, P(X <= 0.5) = 0.125; on [0, 0, 1]: P10 = 1 - sqrt(0.9)."""
    assert lever_effects.triangular_ppf(0.5, 0, 1, 2) == pytest.approx(1.0)
    assert lever_effects.triangular_ppf(0.125, 0, 1, 2) == pytest.approx(0.5)
    assert lever_effects.triangular_ppf(0.1, 0, 0, 1) == pytest.approx(1 - np.sqrt(0.9))
    assert "lever.effect" in STREAM_NAMES and "placement.step_down" in STREAM_NAMES


@pytest.mark.reproducibility
def test_draws_depend_on_seed_replication_and_name_only():
    """The fee elasticities drawn for replication r are the same in the fee scenario and in the
    combined package (common random numbers), differ between replications, lie in their range,
    and the baseline (no lever pulled) draws nothing."""
    uplift, package, base = scenario("foster_fee_uplift"), scenario("combined_package"), scenario("baseline")
    assert lever_effects.for_replication(base, SEED, 0) == (base, None)
    draws = [lever_effects.for_replication(uplift, SEED, r)[1] for r in range(4)]
    name = "fostering.recruitment_payment_elasticity"
    for r in range(4):
        shared = lever_effects.for_replication(package, SEED, r)[1]
        assert shared[name] == draws[r][name], f"replication {r}: {shared[name]} vs {draws[r][name]}"
    values = [row[name] for row in draws]
    assert len(set(values)) == 4, values
    low, high = uplift.fostering.recruitment_payment_elasticity.range
    assert all(low <= v <= high for v in values), values
    drawn, _ = lever_effects.for_replication(uplift, SEED, 2)
    assert drawn.fostering.recruitment_payment_elasticity.value == values[2]


@pytest.mark.reproducibility
def test_lever_draws_identical_whatever_the_number_of_workers(tmp_path):
    """The step-down scenario, 2 replications, 1 and 2 workers: the same KPI files byte for byte
    and the same lever draws in the manifest."""
    step_down = scenario("residential_step_down")
    for workers in (1, 2):
        run_experiment(step_down, replications=2, seed=SEED, years=1.25, workers=workers,
                       out_dir=tmp_path / f"w{workers}", progress=False)
    for name in ("kpis_annual.csv", "kpis_monthly.csv"):
        assert (tmp_path / "w1" / name).read_bytes() == (tmp_path / "w2" / name).read_bytes(), name
    draws = [json.loads((tmp_path / f"w{w}" / "manifest.json").read_text())["lever_draws_per_replication"]
             for w in (1, 2)]
    assert draws[0] == draws[1] and all(draws[0]), draws


@pytest.mark.direction
def test_lever_uncertainty_widens_the_net_saving_interval_and_is_split_three_ways(tmp_path):
    """The fee uplift (whose effect, the carers' response, ranges over a factor of ten) against the
    baseline, 8 paired replications of 2.5 years, with lever uncertainty on and off (the same
    children, the same parameter sets): the P10-P90 width of the cumulative net saving is wider
    with it, and the split gives the lever effect a share and sums to 1 (with 8 replications the
    calibration's 15 sets cannot be separated from chance)."""
    names = ("baseline", "foster_fee_uplift")
    widths, splits = {}, {}
    for enabled in (True, False):
        chosen = [scenario(n).model_copy(update={"lever_uncertainty": LeverUncertainty(enabled=enabled)})
                  for n in names]
        result = compare(chosen, replications=8, seed=SEED, years=2.5, out_dir=tmp_path / str(enabled),
                         workers=2, pack=False)
        per_rep = result.savings_by_replication
        last = per_rep[per_rep["financial_year"] == per_rep["financial_year"].max()]
        widths[enabled] = float(np.ptp(np.percentile(last["cumulative_net_saving_gbp"], [10, 90])))
        splits[enabled] = result.uncertainty_split.iloc[0]
    assert widths[True] > widths[False], f"width with {widths[True]:,.0f} vs without {widths[False]:,.0f}"
    on = splits[True]
    shares = [on["share_chance"], on["share_calibration"], on["share_lever_effect"]]
    assert sum(shares) == pytest.approx(1.0) and on["share_lever_effect"] > 0, shares
    assert splits[False]["share_lever_effect"] == pytest.approx(0.0), splits[False]


@pytest.mark.unit
def test_split_recovers_a_known_lever_effect():
    """y = 1000 x (lever draw) + set effect (0 or 500) + small noise: the lever's share dominates,
    the calibration's is next, the driver for the lever has the largest swing."""
    rng = np.random.default_rng(1)
    n = 60
    lever = rng.uniform(0, 1, n)
    sets = rng.integers(0, 2, n).tolist()
    y = 1000 * lever + 500 * np.array(sets) + rng.normal(0, 20, n)
    row, drivers = uncertainty_split.split("s", y, sets, [{"lever.x": v} for v in lever])
    assert row["share_lever_effect"] > row["share_calibration"] > row["share_chance"], row
    assert drivers[0]["driver"] == "lever.x", drivers
    assert isinstance(pd.DataFrame(drivers), pd.DataFrame)

"""Parameter uncertainty: plausible sets drawn per replication, refused overrides, write-back.

Users rely on: a run's numbers depending on (scenario, seed, replication) only, even with
parameter sets; two scenarios compared with one seed using the same set in replication r; a
scenario that quietly changes a calibrated parameter being refused rather than overridden; the
calibration writing its values into the scenario file without losing the file's comments,
ranges or table sums; and the chance/parameter split being exact where it can be checked.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tomlkit

from simulation.calibration import calibrate, plausible_sets, uncertainty
from simulation.runs.replication import compute_replication
from simulation.scenario import parameter_sets
from simulation.scenario.loading import ScenarioError, load_scenario
from simulation.scenario.scale import scale_scenario

ROOT = Path(__file__).resolve().parents[1]
RATE = "referrals.external_rate_per_year"
HOMES = "care.placement_choice_prob_under_16.residential"


def make_scenarios(tmp_path: Path, sets: list[dict[str, float]]) -> Path:
    """A copy of the scenarios folder whose baseline names a sets file in ``tmp_path``; the point
    is the baseline's own values. Returns the copied baseline's path."""
    folder = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios", folder)
    baseline = folder / "baseline.toml"
    names = tuple(sets[0])
    point = calibrate.current_values(baseline, names)
    parameter_sets.write_sets_file(tmp_path / "sets.csv", point, pd.DataFrame(sets))
    document = tomlkit.parse(baseline.read_text(encoding="utf-8"))
    section = document.get("parameter_uncertainty") or tomlkit.table()
    section["enabled"] = True
    section["sets_file"] = "../sets.csv"
    document["parameter_uncertainty"] = section
    baseline.write_text(tomlkit.dumps(document), encoding="utf-8")
    return baseline


@pytest.mark.unit
def test_set_value_keeps_tables_summing_to_one_and_counts_whole():
    """A table entry rescales the others in proportion; an integer parameter stays an integer."""
    data = {"care": {"table": {"value": {"a": 0.5, "b": 0.3, "c": 0.2}},
                     "count": {"value": 18}}}
    parameter_sets.set_value(data, "care.table.b", 0.5)
    table = data["care"]["table"]["value"]
    assert table["b"] == 0.5 and abs(sum(table.values()) - 1) < 1e-12, f"got {table}"
    assert abs(table["a"] / table["c"] - 2.5) < 1e-12, f"a:c should stay 5:2, got {table}"
    parameter_sets.set_value(data, "care.count", 21.6)
    assert data["care"]["count"]["value"] == 22 and isinstance(data["care"]["count"]["value"], int)
    with pytest.raises(KeyError, match="not a scalar parameter"):
        parameter_sets.set_value(data, "care.table", 0.1)


@pytest.mark.unit
def test_set_index_depends_on_seed_and_replication_only_and_covers_every_set():
    """Replication r of seed s always uses the same set; over many replications every set is
    used about equally (a uniform draw: chi-square at the 0.1% level)."""
    picks = [parameter_sets.set_index(7, r, 5) for r in range(1000)]
    assert picks == [parameter_sets.set_index(7, r, 5) for r in range(1000)]
    counts = np.bincount(picks, minlength=5)
    chi2 = ((counts - 200) ** 2 / 200).sum()
    assert chi2 < 18.47, f"set counts {counts.tolist()} are not uniform (chi2 {chi2:.1f})"
    assert picks != [parameter_sets.set_index(8, r, 5) for r in range(1000)]


def test_runner_uses_the_drawn_set_and_records_it(tmp_path):
    """A replication runs with its drawn set (400 more external referrals a year show in the
    referrals) and its record names the set."""
    baseline = make_scenarios(tmp_path, [{RATE: 1500.0}, {RATE: 1900.0}])
    scenario = load_scenario(baseline)
    used = {}
    for replication in range(6):
        drawn, index = parameter_sets.for_replication(scenario, 3, replication)
        assert drawn.referrals.external_rate_per_year.value == (1500.0, 1900.0)[index]
        used.setdefault(index, replication)
    assert set(used) == {0, 1}, f"6 replications used only sets {set(used)}"

    def referrals(frame_text: str) -> float:
        frame = pd.read_csv(pd.io.common.StringIO(frame_text))
        return frame[frame["kpi"] == "referrals"]["value"].sum()

    low = compute_replication(scenario, 3, used[0], 1.0)
    high = compute_replication(scenario, 3, used[1], 1.0)
    assert low["record"]["parameter_set"] == 0 and high["record"]["parameter_set"] == 1
    # Expected about +400 (more with re-referrals); the difference of two independent Poisson
    # years of ~2,400 has a standard deviation of about 70, so +200 is ~3 SD below expectation.
    assert referrals(high["annual"]) > referrals(low["annual"]) + 200, (
        f"referrals with 1,900 external a year ({referrals(high['annual'])}) should clearly "
        f"exceed those with 1,500 ({referrals(low['annual'])})")


def test_a_scenario_that_sets_a_calibrated_parameter_is_refused(tmp_path):
    """The sets would override it in every replication, so loading names the field, the value
    and what was expected, and says how to change it instead."""
    baseline = make_scenarios(tmp_path, [{RATE: 1600.0}])
    point = calibrate.current_values(baseline, (RATE,))[RATE]
    other = 1550 if point != 1550 else 1560
    changed = baseline.parent / "changed.toml"
    changed.write_text('extends = "baseline.toml"\nname = "changed"\n[referrals]\n'
                       f'external_rate_per_year = {{ value = {other}, assumption = "test", '
                       'range = [1000, 2000] }\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=rf"external_rate_per_year: got {other}, expected the "
                                            rf"calibrated {point:g}.*change it with a lever"):
        load_scenario(changed)
    changed.write_text(changed.read_text() + "[parameter_uncertainty]\nenabled = false\n")
    assert load_scenario(changed).referrals.external_rate_per_year.value == other
    missing = baseline.parent / "missing.toml"
    missing.write_text('extends = "baseline.toml"\nname = "missing"\n[parameter_uncertainty]\n'
                       'sets_file = "nowhere.csv"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="sets_file: 'nowhere.csv' not found"):
        load_scenario(missing)


def test_scaling_an_authority_scales_its_counted_parameter_sets(tmp_path):
    """A 4x authority's sets carry 4x the referral rate; probabilities are left alone."""
    baseline = make_scenarios(tmp_path, [{RATE: 1600.0, "assessment.s47_prob": 0.31}])
    scaled = scale_scenario(load_scenario(baseline), 4)
    section = scaled.parameter_uncertainty
    assert section.sets[0] == (6400.0, 0.31), f"got {section.sets[0]}"
    drawn, _ = parameter_sets.for_replication(scaled, 1, 0)
    assert drawn.referrals.external_rate_per_year.value == 6400.0


def test_write_back_keeps_comments_ranges_and_sums(tmp_path):
    """The fitted values land in the file with the calibration as their source, the prior
    assumption kept in its text, the range unchanged, the comments intact and tables summing to
    1; the file then loads with its sets file."""
    folder = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios", folder)
    baseline = folder / "baseline.toml"
    text_before = baseline.read_text(encoding="utf-8")
    values = {RATE: 1712.46, HOMES: 0.0913, "care.direct_entries_per_year": 21.4}
    point = plausible_sets.rounded(baseline, values)
    assert point == {RATE: 1712.0, HOMES: 0.0913, "care.direct_entries_per_year": 21.0}
    sets = pd.DataFrame([{RATE: 1650.0, HOMES: 0.1, "care.direct_entries_per_year": 20.0}])
    parameter_sets.write_sets_file(tmp_path / "plausible_sets.csv", point, sets)
    plausible_sets.write_back(baseline, point, sets_file=tmp_path / "plausible_sets.csv",
                                note="test")
    text = baseline.read_text(encoding="utf-8")
    comments = [line for line in text_before.splitlines() if line.startswith("#")]
    assert all(line in text for line in comments), "a comment of the file was lost"
    scenario = load_scenario(baseline)
    rate = scenario.referrals.external_rate_per_year
    assert rate.value == 1712.0 and rate.source.startswith("calibration:"), rate
    assert "Prior:" in rate.source and tuple(rate.range) == (900.0, 1900.0)
    table = scenario.care.placement_choice_prob_under_16.value
    assert table["residential"] == 0.0913 and abs(sum(table.values()) - 1) < 1e-9, table
    assert scenario.care.direct_entries_per_year.value == 21
    assert scenario.parameter_uncertainty.sets == ((1650.0, 0.1, 20.0),)


@pytest.mark.parametrize("fitted", [0.5811, 0.6137, 0.7003, 0.4449])
def test_write_back_keeps_a_fitted_table_entry_exactly_when_it_is_the_largest(tmp_path, fitted):
    """Rounding a probability table back to 1 must not land on the fitted entry: the file then
    holds another value than the sets file's point and refuses to load (a calibration once
    failed this way after 18 minutes: supported 0.5812 against the point's 0.5811)."""
    folder = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios", folder)
    baseline = folder / "baseline.toml"
    name = "care.placement_choice_prob_16_17.supported"  # the table's largest entry
    point = plausible_sets.rounded(baseline, {name: fitted})
    parameter_sets.write_sets_file(tmp_path / "sets.csv", point, pd.DataFrame([point]))
    plausible_sets.write_back(baseline, point, sets_file=tmp_path / "sets.csv", note="test")
    table = load_scenario(baseline).care.placement_choice_prob_16_17.value
    assert table["supported"] == fitted and abs(sum(table.values()) - 1) < 1e-9, table


def test_write_back_keeps_every_fitted_entry_of_one_table(tmp_path):
    """Three entries of one table fitted together all land (each write once rebuilt the table
    from the file as it was read, so only the last entry survived and the file no longer
    matched its sets file)."""
    folder = tmp_path / "scenarios"
    shutil.copytree(ROOT / "scenarios", folder)
    baseline = folder / "baseline.toml"
    values = {f"care.exit_mean_days_by_entry_age.{band}": days
              for band, days in (("0-4", 1059.5), ("5-9", 2934.6), ("10-15", 3712.0))}
    before = tomllib.loads(baseline.read_text(encoding="utf-8"))["care"]["exit_mean_days_by_entry_age"]["value"]
    point = plausible_sets.rounded(baseline, values)
    parameter_sets.write_sets_file(tmp_path / "sets.csv", point, pd.DataFrame([point]))
    plausible_sets.write_back(baseline, point, sets_file=tmp_path / "sets.csv", note="test")
    fitted = load_scenario(baseline).care.exit_mean_days_by_entry_age
    table = fitted.value
    assert {band: table[band] for band in ("0-4", "5-9", "10-15")} == \
        {"0-4": 1059.5, "5-9": 2934.6, "10-15": 3712.0}, table
    # The source says what each fitted entry was before, not only the last one written.
    listed = ", ".join(f"{band} = {before[band]:g}" for band in ("0-4", "5-9", "10-15"))
    assert f"Before: {listed}." in fitted.source, fitted.source


def test_the_parameter_share_is_zero_when_every_set_is_the_point(tmp_path):
    """With common random numbers, sets equal to the point change nothing: the paired
    difference is exactly zero, so all of the interval is chance. Sets that differ add spread."""
    point = calibrate.current_values(ROOT / "scenarios" / "baseline.toml", (RATE,))[RATE]
    baseline = make_scenarios(tmp_path, [{RATE: point}, {RATE: point}])
    same = uncertainty.decompose(load_scenario(baseline), replications=3, seed=5, years=1.0)
    assert (same["sd_parameters"] == 0).all(), same[["measure", "sd_parameters"]]
    assert (same["parameter_share"] == 0).all()
    spread = make_scenarios(tmp_path / "spread", [{RATE: 1500.0}, {RATE: 1900.0}])
    differ = uncertainty.decompose(load_scenario(spread), replications=4, seed=5, years=1.0)
    assert (differ["sd_parameters"] > 0).all(), differ[["measure", "sd_parameters"]]



"""One description of a scenario from every lever it pulls (``simulation.scenario.describe``).

The description is what the report, slides, workbook and console say a scenario does, so these
tests hold it to the data: every parameter a scenario changes against the baseline is stated,
whatever section it lives in, including one no lever family knows; the combined package states
all of its parts' levers; evidence written "as scenarios/<file>.toml" is quoted from that file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.scenario.describe import changed_parameters, describe, unstated
from simulation.scenario.loading import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BASELINE = load_scenario(SCENARIOS / "baseline.toml")
ALL_FILES = sorted(path.stem for path in SCENARIOS.glob("*.toml") if path.stem != "baseline")


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_parameter_a_scenario_changes_is_in_its_description(name):
    scenario = load_scenario(SCENARIOS / f"{name}.toml")
    description = describe(scenario, BASELINE)
    changed = changed_parameters(scenario, BASELINE)
    assert changed, f"{name} changes nothing against the baseline?"
    assert unstated(description, scenario, BASELINE) == set()
    for lever in description.levers:
        assert lever.what and lever.start.startswith("from ") and lever.phase_in and lever.cost
        for setting in lever.settings:
            assert setting.evidence.startswith(("Source: ", "Assumption: ")), setting
            assert "nan" not in f"{setting.value} {setting.range}".lower()


def test_a_parameter_no_lever_family_knows_is_still_described(tmp_path):
    # A new lever cannot go unstated: a change anywhere becomes a lever line of its own.
    (tmp_path / "odd.toml").write_text(
        f'extends = "{(SCENARIOS / "baseline.toml").as_posix()}"\nname = "odd"\ndescription = "x"\n[care]\n'
        'staying_put_prob = { value = 0.5, assumption = "a test", range = [0.1, 0.9] }\n')
    scenario = load_scenario(tmp_path / "odd.toml")
    description = describe(scenario, BASELINE)
    assert changed_parameters(scenario, BASELINE) == {"care.staying_put_prob"}
    assert [lever.key for lever in description.levers] == ["care.staying_put_prob"]
    assert description.levers[0].settings[0].value == "50%"
    assert description.levers[0].group == "placements"


def test_the_combined_package_states_every_lever_of_its_five_parts():
    package = describe(load_scenario(SCENARIOS / "combined_package.toml"), BASELINE)
    parts = set()
    for name in ("more_early_help", "threshold_refresh", "foster_fee_uplift",
                 "recruitment_and_retention", "residential_step_down"):
        keys = describe(load_scenario(SCENARIOS / f"{name}.toml"), BASELINE).lever_keys
        assert keys <= package.lever_keys, name
        parts |= keys
    assert parts == package.lever_keys
    assert set(package.groups) == {"front_door", "workforce", "placements"}
    step_down = next(lever for lever in package.levers if lever.key == "step_down")
    # "as scenarios/residential_step_down.toml" is followed to that file's evidence.
    ready = next(s for s in step_down.settings if s.path.endswith("step_down_ready_prob"))
    assert "step-down and step-across schemes" in ready.evidence and ready.is_effect
    assert ready.range == "10% to 40%"


def test_a_placement_scenario_is_about_placements_and_its_effects_must_hold():
    description = describe(load_scenario(SCENARIOS / "foster_fee_uplift.toml"), BASELINE)
    assert description.groups == ["placements"]
    (lever,) = description.levers
    assert lever.start == "from October 2024" and "6 months" in lever.phase_in
    # The carers' response to pay (the baseline's elasticities) is what must be true.
    assert any("elasticity" in point and "Marinescu" in point for point in lever.must_be_true)


def test_the_baseline_has_no_levers():
    assert describe(BASELINE, BASELINE).levers == ()

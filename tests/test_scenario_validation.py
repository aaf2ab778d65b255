"""Invalid scenario files are refused when loaded, with one line naming the file, field and expectation.

Users write scenario files by hand; they rely on a mistake (a typo, a negative rate, a table that
does not sum to 1, a value without provenance) stopping the run at once with a message that says
where to look, instead of a crash deep in the model or, worse, a run with silently wrong numbers.
"""

from pathlib import Path

import pytest

from simulation.scenario.loading import ScenarioError, load_scenario

BASELINE_PATH = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"

# (id, TOML after the extends line, field path the message must name, words of what was expected)
CASES = [
    ("unknown key", '[capacity]\ncaseload_limt = { value = 20, source = "x" }',
     "capacity.caseload_limt", ["unknown key"]),
    ("negative rate", '[referrals]\nexternal_rate_per_year = { value = -5, source = "x" }',
     "referrals.external_rate_per_year.value", ["-5", "greater than or equal to 0"]),
    ("probabilities not summing to 1",
     '[assessment]\noutcome_prob = { value = { not_in_need = 0.5, early_help = 0.1, in_need_closed = 0.1, '
     'cin_plan = 0.1, care = 0.1 }, source = "x" }',
     "assessment.outcome_prob", ["summing to 1", "0.9"]),
    ("probability above 1", '[referrals]\nnfa_at_referral_prob = { value = 1.5, source = "x" }',
     "referrals.nfa_at_referral_prob.value", ["1.5", "less than or equal to 1"]),
    ("value outside its stated range",
     '[fostering]\ninitial_households = { value = 500, assumption = "x", range = [38, 65] }',
     "fostering.initial_households", ["inside its range", "65"]),
    ("parameter without source or assumption", '[fostering]\ninitial_households = { value = 50 }',
     "fostering.initial_households", ["'source' or 'assumption'"]),
    ("assumption without a range", '[fostering]\ninitial_households = { value = 50, assumption = "x" }',
     "fostering.initial_households", ["range"]),
    ("unknown category in a closed table",
     '[care]\nplacement_choice_prob_16_17 = { value = { foster = 0.5, hotel = 0.5 }, source = "x" }',
     "care.placement_choice_prob_16_17.value.hotel", []),
    ("wrong type", '[fostering]\ninitial_households = { value = "many", source = "x" }',
     "fostering.initial_households.value", ["many", "number"]),
    pytest.param(
        "start_date = 2020-04-01",
        "start_date", ["2020-03-31", "published stock"], id="start date with no published stock"),
    pytest.param(
        '[assessment]\nduration_median_days = { value = inf, source = "x" }',
        "assessment.duration_median_days.value", ["finite"], id="infinite positive duration"),
    pytest.param(
        '[population]\ngrowth_after_last_year_pct_per_year = { value = nan, source = "x" }',
        "population.growth_after_last_year_pct_per_year.value", ["finite"], id="not-a-number growth"),
    pytest.param(
        '[care]\nexit_mean_days_by_entry_age = { value = { "0-4" = 800, "5-9" = 2400, "10-15" = 3400 }, '
        'source = "x" }',
        "care.exit_mean_days_by_entry_age", ["16-17"], id="by-key table missing a key"),
]


def write_variant(tmp_path, body, name="bad.toml"):
    path = tmp_path / name
    path.write_text(f'extends = "{BASELINE_PATH.as_posix()}"\n{body}\n')
    return path


PARAMS = [c if hasattr(c, "marks") else pytest.param(*c[1:], id=c[0]) for c in CASES]


@pytest.mark.badinput
@pytest.mark.parametrize("body, field, words", PARAMS)
def test_invalid_scenario_is_refused_with_a_one_line_message(tmp_path, body, field, words):
    """Loading refuses the file with ``ScenarioError``; the message is one line of the form
    '<file>: <field path>: ...' and says what was expected."""
    path = write_variant(tmp_path, body)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "\n" not in message, f"expected one line, got {message!r}"
    assert message.startswith(f"{path}: {field}"), f"expected '{path}: {field}...', got {message!r}"
    for word in words:
        assert word in message, f"expected {word!r} in the message, got {message!r}"


@pytest.mark.badinput
def test_missing_base_scenario_names_the_extends_field(tmp_path):
    """``extends`` naming a file that is not there is refused, naming the file, the field and the
    path that was looked for."""
    path = tmp_path / "orphan.toml"
    path.write_text('extends = "no_such_base.toml"\n')
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: extends:"), f"expected '{path}: extends: ...', got {message!r}"
    assert "no_such_base.toml" in message and "not found" in message, f"got {message!r}"
    assert "\n" not in message, f"expected one line, got {message!r}"


@pytest.mark.badinput
def test_malformed_toml_is_refused_naming_the_file(tmp_path):
    """A file that is not valid TOML is refused with the file name and the parser's position."""
    path = tmp_path / "broken.toml"
    path.write_text(f'extends = "{BASELINE_PATH.as_posix()}"\n[capacity\nfoo = 1\n')
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: not valid TOML"), f"got {message!r}"
    assert "line 2" in message, f"expected the line of the error, got {message!r}"
    assert "\n" not in message, f"expected one line, got {message!r}"


@pytest.mark.badinput
def test_extends_cycle_is_refused(tmp_path):
    """Two files that extend each other are refused (no infinite recursion)."""
    (tmp_path / "a.toml").write_text('extends = "b.toml"\n')
    (tmp_path / "b.toml").write_text('extends = "a.toml"\n')
    with pytest.raises(ScenarioError, match="extends"):
        load_scenario(tmp_path / "a.toml")


@pytest.mark.unit
def test_a_valid_delta_loads_and_changes_only_what_it_states(tmp_path, baseline):
    """A delta that restates one parameter with its provenance loads; everything else is the
    baseline's (the control case for the refusals above)."""
    path = write_variant(tmp_path, '[fostering]\ninitial_households = { value = 60, source = "test" }',
                         "good.toml")
    scenario = load_scenario(path)
    assert scenario.fostering.initial_households.value == 60, "the stated value was not applied"
    assert scenario.fostering.initial_households.range is None, "the base's range leaked into the delta"
    assert scenario.referrals == baseline.referrals, "an unchanged section differs from the baseline"


@pytest.mark.unit
def test_scenarios_are_frozen(baseline):
    """The loaded scenario cannot be changed in place (nothing mutates a scenario for the next)."""
    with pytest.raises(Exception):
        baseline.fostering.initial_households.value = 1  # type: ignore[misc]

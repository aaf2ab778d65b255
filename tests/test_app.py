"""The leaders' page: its levers, the scenario files it builds, and the page in Streamlit's AppTest.

The logic is tested as plain functions (``simulation.app``): every standard lever has a control
with a unit, range and evidence from the scenario files; each standard scenario, loaded as a
preset, builds a scenario with the file's numbers; a saved file passes the loader and loads back
to the same controls; impossible combinations come back as the loader's one-line message. The
page itself runs in Streamlit's own harness (``streamlit.testing.v1.AppTest``) on a 1-year, 2
replication horizon: every lever's control is on the page, moving a lever changes the numbers,
and a bad combination shows a message, never an exception. The browser test is
``tests/test_app_browser.py``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import pytest

from simulation.app import building, controls
from simulation.app.catalogue import SAVED_MARKER, Catalogue, is_saved_by_page, saved_files
from simulation.app.settings import AppSettings
from simulation.cli import run_cli
from simulation.cli.app import PAGE, streamlit_command
from simulation.scenario.loading import ScenarioError, load_scenario

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"

#: The standard levers of the issue and a parameter or lever target each must reach.
STANDARD_LEVERS = {
    "early help places": "early_help.capacity_families",
    "threshold": "referrals.external_rate_per_year",
    "NFA at the front door": "referrals.nfa_at_referral_prob",
    "diversion": "early_help.diversion_prob",
    "foster fee and allowance": "fostering.fee_uplift_pct",
    "carer recruitment": "fostering.enquiries_per_year",
    "social worker posts": "workforce_levers.extra_posts.fte",
    "retention": "workforce_levers.retention.leaving_rate_multiplier",
    "agency cap": "workforce_levers.agency_cap.share_of_establishment",
    "step-down": "placement_market.step_down_ready_prob",
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue(SCENARIOS)


def _copy_scenarios(tmp_path: Path) -> Path:
    """The scenario files and the calibration's parameter sets they name, in a scratch folder."""
    shutil.copytree(SCENARIOS, tmp_path / "scenarios")
    (tmp_path / "calibration").mkdir()
    shutil.copy(REPO / "calibration" / "parameter_sets.csv", tmp_path / "calibration")
    return tmp_path / "scenarios"


def _numbers(scenario) -> dict:
    """A scenario's values without names, descriptions or provenance text."""
    def strip(node):
        if isinstance(node, dict):
            return {key: strip(value) for key, value in node.items()
                    if key not in ("source", "assumption", "description", "name")}
        return node
    return strip(scenario.model_dump(mode="json"))


# --- the catalogue ------------------------------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize("lever, target", sorted(STANDARD_LEVERS.items()))
def test_every_standard_lever_has_a_control_with_unit_range_and_evidence(catalogue, lever, target):
    """Each standard lever reaches its parameter, with a unit, a range and evidence from a file."""
    found = [setting for setting in catalogue.settings().values()
             if setting.key.endswith(f":lever:{target}") or setting.key == f"param:{target}"]
    assert found, f"no control for {lever} ({target})"
    for setting in found:
        assert setting.unit and setting.unit != "number", f"{setting.key}: unit {setting.unit!r}"
        assert setting.low < setting.high, f"{setting.key}: range {setting.low}-{setting.high}"
        assert setting.low <= setting.baseline <= setting.high, f"{setting.key}: no change outside"
        assert setting.evidence_file.startswith("scenarios/"), setting.evidence_file
        assert ("Source:" in setting.help() or "Assumption:" in setting.help()), setting.help()


@pytest.mark.unit
def test_levers_with_a_start_have_start_date_and_phase_in(catalogue):
    """Items and dated levers (extra posts, the step-down programme) offer their start and
    phase-in; undated ones say so on the page."""
    for lever in catalogue.levers:
        names = {setting.key.rsplit(":", 1)[-1].rsplit(".", 1)[-1] for setting in lever.settings}
        if lever.kind == "item":
            assert {"start_date", "phase_in_months"} <= names, (lever.key, names)
    posts = next(lever for lever in catalogue.levers if lever.key == "extra_posts")
    assert posts.has_start()
    step_down = next(lever for lever in catalogue.levers if lever.key == "step_down")
    assert step_down.has_start(), "step-down has a start date and a phase-in (issue 18)"


@pytest.mark.unit
def test_ranges_and_evidence_come_from_the_scenario_files(catalogue):
    """The fee uplift's range and words are foster_fee_uplift.toml's; the item's multiplier range
    is more_early_help.toml's, widened to 1 (no change)."""
    fee = catalogue.settings()["param:fostering.fee_uplift_pct"]
    assert (fee.low, fee.high, fee.proposed) == (0, 50, 10)
    assert fee.evidence_file == "scenarios/foster_fee_uplift.toml"
    assert "the proposal tested" in fee.help()
    places = catalogue.settings()["item:early_help_places:lever:early_help.capacity_families"]
    assert (places.low, places.high, places.proposed) == (1.0, 1.33, 1.2)


@pytest.mark.unit
@pytest.mark.parametrize("preset", ["more_early_help", "threshold_refresh", "foster_fee_uplift",
                                    "recruitment_and_retention", "residential_step_down",
                                    "combined_package"])
def test_a_preset_builds_the_scenario_files_numbers(catalogue, preset):
    """Loading a standard scenario as controls and building it gives the file's numbers exactly."""
    values, missed = controls.values_of(catalogue, catalogue.presets[preset])
    assert missed == [], f"{preset}: changes without a control: {missed}"
    built = building.build(catalogue, values, "from_the_page", 5)
    assert built.error is None, built.error
    expected = _numbers(load_scenario(catalogue.presets[preset]))
    assert _numbers(built.scenario) == expected


# --- building, saving, errors -------------------------------------------------------------------
@pytest.mark.unit
def test_a_saved_scenario_passes_the_loader_carries_provenance_and_loads_back(tmp_path):
    """Saved in scenarios/, the file loads; every changed value has a source or an assumption with
    a range; loading it gives the same controls; a moved value outside the evidence's range says
    so."""
    catalogue = Catalogue(_copy_scenarios(tmp_path))
    values = controls.initial_values(catalogue) | {
        "param:fostering.fee_uplift_pct": 20,
        "param:placement_market.step_down_ready_prob": 0.05,  # below residential_step_down's range
        "item:threshold_training:on": True,
    }
    built = building.build(catalogue, values, "page_test", 5)
    assert built.error is None, built.error
    path = building.save(built.text, catalogue, "page_test")
    assert path == catalogue.root / "page_test.toml" and is_saved_by_page(path)
    assert saved_files(catalogue.root) == [path]
    text = path.read_text(encoding="utf-8")
    assert text.startswith(SAVED_MARKER)
    assert "set on the leaders' page between no change (0)" in text
    assert load_scenario(path).placement_market.step_down_ready_prob.value == 0.05
    again, missed = controls.values_of(Catalogue(catalogue.root), path)
    assert missed == []
    assert {key: again[key] for key in values} == values


@pytest.mark.badinput
def test_saving_never_overwrites_a_file_the_page_did_not_write(tmp_path):
    catalogue = Catalogue(_copy_scenarios(tmp_path))
    built = building.build(catalogue, controls.initial_values(catalogue), "foster_fee_uplift", 5)
    before = (catalogue.root / "foster_fee_uplift.toml").read_text(encoding="utf-8")
    with pytest.raises(ScenarioError, match="not written by this page"):
        building.save(built.text, catalogue, "foster_fee_uplift")
    assert (catalogue.root / "foster_fee_uplift.toml").read_text(encoding="utf-8") == before


def _after_cost_ends(catalogue) -> dict:
    """Threshold training switched on and started the day after its cost ends (impossible)."""
    cost_end = catalogue.settings()["item:threshold_training:cost_end_date"].proposed
    return {"item:threshold_training:on": True,
            "item:threshold_training:start_date": cost_end + dt.timedelta(days=1)}


@pytest.mark.badinput
@pytest.mark.parametrize("change, name, expected", [
    ("after_cost_ends", "late_training",
     "late_training.toml: interventions.items.threshold_training: got a table, expected: "
     "cost_end_date after start_date"),
    ({}, "Bad Name", "Bad Name.toml: name: got \"Bad Name\", expected: String should match"),
    ({"param:fostering.fee_uplift_pct": 10}, "baseline", "a name other than 'baseline'"),
])
def test_an_impossible_combination_is_the_loaders_one_line_message(catalogue, change, name,
                                                                     expected):
    change = _after_cost_ends(catalogue) if change == "after_cost_ends" else change
    built = building.build(catalogue, controls.initial_values(catalogue) | change, name, 5)
    assert built.scenario is None
    assert expected in built.error and "\n" not in built.error, built.error


@pytest.mark.unit
def test_a_lever_starting_after_the_run_is_a_warning(catalogue):
    after = catalogue.start_date + dt.timedelta(days=round(5 * 365.25) + 1)
    values = controls.initial_values(catalogue) | {
        "item:early_help_places:on": True, "item:early_help_places:start_date": after}
    built = building.build(catalogue, values, "late", 5)
    assert built.error is None
    assert built.warnings and "after the run ends" in built.warnings[0]


# --- the command ----------------------------------------------------------------------------------
@pytest.mark.badinput
def test_cssim_app_refuses_a_scenarios_folder_without_a_baseline(tmp_path, capsys):
    assert run_cli(["app", "--scenarios", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cssim: error: no baseline.toml") and err.count("\n") == 1, err


@pytest.mark.unit
def test_cssim_app_serves_the_page_headless_without_usage_statistics():
    command = streamlit_command(8501, "127.0.0.1")
    assert command[1:5] == ["-m", "streamlit", "run", str(PAGE)]
    pairs = dict(zip(command[5::2], command[6::2]))
    assert pairs["--server.headless"] == "true"
    assert pairs["--browser.gatherUsageStats"] == "false"
    assert pairs["--server.address"] == "127.0.0.1"


# --- the page in Streamlit's harness --------------------------------------------------------------
@pytest.fixture
def page(tmp_path, monkeypatch):
    """The page in AppTest: 1 year, 2 replications (first answer 1), one worker process."""
    from streamlit.testing.v1 import AppTest

    settings = AppSettings(years=1, replications=2, first_replications=1, workers=1,
                           scenarios_dir=_copy_scenarios(tmp_path), work_dir=tmp_path / "work")
    for key, value in settings.environment().items():
        monkeypatch.setenv(key, value)
    app = AppTest.from_file(str(PAGE), default_timeout=300)
    app.run()
    assert not app.exception, app.exception
    return app


def _final_answer(app, replications: int = 2, timeout: float = 240) -> str:
    """Rerun the page until its answer has ``replications``; returns the headline text."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.run()
        assert not app.exception, app.exception
        if any(f"Final answer: {replications} replications" in c.value for c in app.caption):
            return "\n".join(text.value for text in app.text)
        # Each run lays the page out in this process, beside the worker's thread: poll gently.
        time.sleep(1.0)
    raise AssertionError(f"no final answer in {timeout} s: {[c.value for c in app.caption]}")


@pytest.mark.smoke
def test_the_page_has_a_control_for_every_lever(page, catalogue):
    """Every setting of every lever is a widget on the page (slider, date, or a fixed caption),
    every intervention has its switch, and the presets are offered; nothing is computed yet."""
    keys = {widget.key for kind in (page.slider, page.date_input, page.toggle) for widget in kind}
    for lever in catalogue.levers:
        if lever.kind == "item":
            assert lever.on_key in keys, lever.on_key
        for setting in lever.settings:
            if setting.low != setting.high:
                assert setting.key in keys, f"no widget for {setting.key}"
    assert set(catalogue.presets) <= set(page.selectbox(key="preset").options)
    assert any("No lever is moved" in info.value for info in page.info)


@pytest.mark.smoke
def test_moving_a_lever_changes_the_numbers(page):
    """The fee uplift at 20% and at 40% give different net savings, each a complete answer."""
    page.slider(key="param:fostering.fee_uplift_pct").set_value(20)
    first = _final_answer(page)
    assert "net saving FY" in first and "NPV at 3.5%" in first, first
    page.slider(key="param:fostering.fee_uplift_pct").set_value(40)
    second = _final_answer(page)
    assert first != second, "moving the fee uplift changed nothing"
    assert any("Chance of a net saving" in md.value for md in page.markdown)


@pytest.mark.smoke
def test_the_scrutiny_pack_is_made_and_offered_for_download(page):
    """After an answer, the pack button makes the zip that ``cssim compare`` would write (report,
    workbook, slides, charts, tables) and the page offers it."""
    import zipfile

    page.slider(key="param:fostering.fee_uplift_pct").set_value(20)
    _final_answer(page)
    page.button(key="pack_button").click().run()
    packs = Path(os.environ["CSSIM_APP_WORK_DIR"]) / "packs"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not list(packs.glob("*.zip")):
        time.sleep(0.5)  # the worker makes the pack in this process: leave it the CPU
    page.run()
    assert not page.exception, page.exception
    assert any(button.key == "pack_download" for button in page.get("download_button"))
    zips = list(packs.glob("*.zip"))
    assert len(zips) == 1, zips
    names = {Path(name).name for name in zipfile.ZipFile(zips[0]).namelist()}
    assert {"report.html", "scrutiny_workbook.xlsx", "slides.pptx", "finance_summary.csv",
            "comparison_annual.csv"} <= names, names
    assert any(name.endswith(".png") for name in names), names


@pytest.mark.badinput
def test_a_bad_combination_shows_a_message_not_a_traceback(page):
    late = _after_cost_ends(Catalogue(SCENARIOS))
    page.toggle(key="item:threshold_training:on").set_value(True).run()
    page.date_input(key="item:threshold_training:start_date").set_value(
        late["item:threshold_training:start_date"])
    page.run()
    assert not page.exception, page.exception
    messages = [error.value for error in page.error]
    assert any("cannot be run" in message and "cost_end_date after start_date" in message
               for message in messages), messages


@pytest.mark.smoke
def test_loading_a_preset_sets_its_levers(page):
    page.selectbox(key="preset").set_value("foster_fee_uplift").run()
    page.button(key="load").click().run()
    assert page.slider(key="param:fostering.fee_uplift_pct").value == 10
    assert page.text_input(key="name").value == "foster_fee_uplift"


# --- the worker ---------------------------------------------------------------------------------
def _wait(worker, key, replications, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.error(key) is None, worker.error(key)
        answer = worker.answer(key, replications)
        if answer is not None and answer.replications == replications:
            return answer
        time.sleep(0.05)
    raise AssertionError(f"no answer with {replications} replications in {timeout} s")


@pytest.mark.reproducibility
def test_the_worker_reuses_the_baseline_and_answers_at_the_replications_asked(catalogue, tmp_path):
    """The baseline's replication files are computed once and linked into every comparison; the
    answer is ``compare``'s own (the same paired differences as a direct comparison); asking
    for fewer replications than computed gives the comparison at that number."""
    from simulation.app.jobs import Request, Worker
    from simulation.runs.comparison import compare

    worker = Worker(load_scenario(catalogue.baseline_path), tmp_path / "work", workers=1)
    scenarios = []
    for uplift in (15, 25):
        values = controls.initial_values(catalogue) | {"param:fostering.fee_uplift_pct": uplift}
        scenarios.append(building.build(catalogue, values, f"fee_{uplift}", 1).scenario)
    first = _wait(worker, worker.submit(Request("a", scenarios[0], 7, 1.0, 1, 2)), 2)
    store = next((tmp_path / "work" / "reps").glob("baseline-*")) / "reps"
    inode = (store / "rep_0000_monthly.csv").stat().st_ino
    second = _wait(worker, worker.submit(Request("a", scenarios[1], 7, 1.0, 1, 2)), 2)
    linked = second.folder / "baseline" / "reps" / "rep_0000_monthly.csv"
    assert linked.stat().st_ino == inode, "the baseline's replication was computed again"
    direct = compare([worker.base, scenarios[1]], replications=2, seed=7, years=1.0,
                     out_dir=tmp_path / "direct", pack=False)
    assert second.comparison.differences_annual.equals(direct.differences_annual)
    assert first.replications == 2 and first.name == "fee_15"
    fewer = _wait(worker, worker.submit(Request("a", scenarios[1], 7, 1.0, 1, 1)), 1)
    assert fewer.replications == 1

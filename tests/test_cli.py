"""The cssim command line: one-line errors, exit codes, and run folders that are whole or absent."""

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
import runner_fakes
from runner_fakes import folder_bytes

from simulation import cli
from simulation.records import contract
from simulation.runs import replication, runner

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"


def all_bytes(folder):
    """Every file under ``folder`` with its bytes, to prove a folder was left untouched."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


@pytest.fixture
def fake_model(monkeypatch, tmp_path):
    """CLI runs use the fake model, and any existing scenario file loads as FakeScenario."""
    import simulation.scenario.loading

    monkeypatch.setattr(replication, "run_replication", runner_fakes.fake_run_replication)
    monkeypatch.setattr(replication, "replication_kpis", runner_fakes.fake_replication_kpis)
    monkeypatch.setattr(simulation.scenario.loading, "load_scenario",
                        lambda path: runner_fakes.FakeScenario())
    scenario_file = tmp_path / "fake.toml"
    scenario_file.write_text('name = "fake"\n')
    return scenario_file


def cssim(capsys, *args):
    """Run the CLI in-process; returns (exit code, stdout lines, stderr lines)."""
    code = cli.run_cli([str(arg) for arg in args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def run_args(scenario, out, *extra, replications=2, years=2, seed=5):
    return ["run", scenario, "--years", years, "--replications", replications, "--seed", seed,
            "--out", out, "--no-progress", *extra]


def assert_one_line_error(code, err, expected_code, *words):
    assert code == expected_code, f"exit code: expected {expected_code}, got {code}; stderr {err}"
    assert len(err) == 1, f"expected one line on stderr, got {len(err)}: {err}"
    assert err[0].startswith("cssim: error: "), f"stderr should start 'cssim: error: ': {err}"
    for word in words:
        assert word in err[0], f"stderr should mention {word!r}: {err[0]}"


@pytest.mark.badinput
def test_missing_scenario_file_is_one_line_exit_2_and_no_folder(tmp_path, capsys):
    """A mistyped scenario path says so on one line, exits 2 and creates nothing."""
    out = tmp_path / "run"
    code, _, err = cssim(capsys, *run_args(tmp_path / "nope.toml", out))
    assert_one_line_error(code, err, 2, "not found", "nope.toml")
    assert not out.exists() and not Path(f"{out}.partial").exists(), "no folder may be created"


@pytest.mark.badinput
@pytest.mark.parametrize("content, words", [
    ('extends = "{base}"\nname = "typo"\ncaseload_limt = 3\n', ["caseload_limt", "bad.toml"]),
    ('name = "broken\n', ["bad.toml", "TOML"]),
])
def test_malformed_scenario_is_one_line_exit_2_and_no_folder(tmp_path, capsys, content, words):
    """An unknown key or broken TOML is named in one line; nothing is written."""
    bad = tmp_path / "bad.toml"
    bad.write_text(content.format(base=BASELINE.as_posix()))
    out = tmp_path / "run"
    code, _, err = cssim(capsys, *run_args(bad, out))
    assert_one_line_error(code, err, 2, *words)
    assert not out.exists() and not Path(f"{out}.partial").exists(), "no folder may be created"


BAD_OPTIONS = [
    ("--replications", "-1"), ("--replications", "0"), ("--years", "0"), ("--years", "-2"),
    ("--years", "ten"), ("--seed", "-1"), ("--workers", "0"),
]


@pytest.mark.badinput
@pytest.mark.parametrize("option, value", BAD_OPTIONS)
def test_invalid_option_values_exit_2_and_leave_an_earlier_run_intact(
        tmp_path, capsys, fake_model, option, value):
    """Bad numbers are refused on one line naming the option; earlier outputs are untouched."""
    earlier = tmp_path / "earlier"
    assert cssim(capsys, *run_args(fake_model, earlier))[0] == 0, "setting up the earlier run"
    before = all_bytes(earlier)
    args = run_args(fake_model, earlier) + [option, value]
    code, _, err = cssim(capsys, *args)
    assert_one_line_error(code, err, 2, option)
    assert all_bytes(earlier) == before, "the earlier run folder must be left intact"
    fresh = tmp_path / "fresh"
    code, _, err = cssim(capsys, *run_args(fake_model, fresh) + [option, value])
    assert code == 2 and not fresh.exists(), f"no folder for bad options: {code}, {err}"


@pytest.mark.badinput
def test_a_completed_run_is_never_overwritten(tmp_path, capsys, fake_model):
    """Running again into a finished run's folder is refused and the run stays as it was."""
    out = tmp_path / "run"
    assert cssim(capsys, *run_args(fake_model, out))[0] == 0, "first run should succeed"
    before = all_bytes(out)
    code, _, err = cssim(capsys, *run_args(fake_model, out, seed=6))
    assert_one_line_error(code, err, 2, "already holds a completed run")
    code, _, err = cssim(capsys, *run_args(fake_model, out, "--resume"))
    assert_one_line_error(code, err, 2, "already holds a completed run")
    assert all_bytes(out) == before, "the completed run must be left intact"


@pytest.mark.badinput
def test_a_non_empty_folder_that_is_not_a_run_is_refused(tmp_path, capsys, fake_model):
    """cssim will not write a run into a folder holding other files."""
    out = tmp_path / "notes"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    code, _, err = cssim(capsys, *run_args(fake_model, out))
    assert_one_line_error(code, err, 2, "not an empty folder")
    assert all_bytes(out) == {"mine.txt": b"keep me"}, "other files must be left alone"


@pytest.mark.badinput
def test_resume_needs_an_explicit_out(tmp_path, capsys, fake_model):
    """The default folder is new each time, so --resume without --out cannot mean anything."""
    code, _, err = cssim(capsys, "run", fake_model, "--years", 1, "--replications", 1,
                         "--seed", 1, "--resume", "--no-progress")
    assert_one_line_error(code, err, 2, "--resume needs --out")


@pytest.mark.smoke
def test_a_run_prints_a_short_summary_and_writes_a_valid_folder(tmp_path, capsys, fake_model):
    """After a run users see a few plain lines of headline results and a folder that validates."""
    out = tmp_path / "run"
    code, lines, err = cssim(capsys, *run_args(fake_model, out, replications=3))
    assert code == 0, f"exit code 0 expected, got {code}: {err}"
    assert 5 <= len(lines) <= 8, f"expected a 5-8 line summary, got {len(lines)}: {lines}"
    assert any(line.startswith("Children looked after:") and "95% CI" in line
               for line in lines), f"looked-after children line missing: {lines}"
    assert any(line.startswith("Referrals a year:") for line in lines), f"no referrals: {lines}"
    assert lines[-1] == f"Results: {out}", f"last line should give the folder: {lines[-1]}"
    assert contract.validate_run_folder(out) == [], "the run folder should meet the contract"
    assert not Path(f"{out}.partial").exists(), "the .partial folder should have been moved"


@pytest.mark.smoke
def test_default_out_folder_is_named_after_scenario_and_time(tmp_path, capsys, fake_model,
                                                              monkeypatch):
    """Without --out a run goes to outputs/<scenario>-<YYYYmmdd-HHMMSS>/."""
    monkeypatch.chdir(tmp_path)
    code, _, err = cssim(capsys, "run", fake_model, "--years", 1, "--replications", 1,
                         "--seed", 1, "--no-progress")
    assert code == 0, f"exit code 0 expected, got {code}: {err}"
    made = [p.name for p in (tmp_path / "outputs").iterdir()]
    assert len(made) == 1 and made[0].startswith("fake-") and len(made[0]) == len("fake-") + 15, \
        f"expected one folder named fake-YYYYmmdd-HHMMSS, got {made}"


@pytest.mark.reproducibility
def test_an_interrupted_run_is_kept_and_resumes_to_identical_bytes(tmp_path, capsys, fake_model,
                                                                   monkeypatch):
    """A failed run leaves <out>.partial (not <out>); --resume finishes it exactly."""
    out = tmp_path / "run"
    monkeypatch.setattr(replication, "replicate_with_model", runner_fakes.failing_replicate)
    monkeypatch.setattr(runner.run_experiment, "__kwdefaults__",
                        {**runner.run_experiment.__kwdefaults__,
                         "replicate": runner_fakes.failing_replicate})
    code, _, err = cssim(capsys, *run_args(fake_model, out, replications=4))
    assert_one_line_error(code, err, 1, "replication 2 failed", "--resume")
    assert not out.exists() and Path(f"{out}.partial").is_dir(), "work kept only in .partial"
    monkeypatch.undo()
    monkeypatch.setattr(replication, "run_replication", runner_fakes.fake_run_replication)
    monkeypatch.setattr(replication, "replication_kpis", runner_fakes.fake_replication_kpis)
    import simulation.scenario.loading
    monkeypatch.setattr(simulation.scenario.loading, "load_scenario", lambda p: runner_fakes.FakeScenario())

    code, _, err = cssim(capsys, *run_args(fake_model, out, replications=4))
    assert_one_line_error(code, err, 2, "interrupted run", "--resume")
    code, _, err = cssim(capsys, *run_args(fake_model, out, "--resume", replications=4))
    assert code == 0, f"resume should succeed, got {code}: {err}"
    fresh = tmp_path / "fresh"
    assert cssim(capsys, *run_args(fake_model, fresh, replications=4))[0] == 0, "fresh run failed"
    assert folder_bytes(out) == folder_bytes(fresh), "resumed run should equal a fresh run"


@pytest.mark.smoke
def test_charts_are_written_when_a_report_module_exists(tmp_path, capsys, fake_model, monkeypatch):
    """The CLI hands the summary to simulation.reports.run_charts.write_charts and lists the charts."""
    seen = {}

    def write_charts(out_dir, summary_df, scenario):
        seen["args"] = (Path(out_dir), len(summary_df), scenario.name)
        (Path(out_dir) / "cla.png").write_bytes(b"png")

    monkeypatch.setitem(sys.modules, "simulation.reports.run_charts",
                        types.SimpleNamespace(write_charts=write_charts))
    out = tmp_path / "run"
    assert cssim(capsys, *run_args(fake_model, out))[0] == 0, "run should succeed"
    assert seen["args"][0] == Path(f"{out}.partial") and seen["args"][2] == "fake", \
        f"write_charts should get the run folder before it is moved: {seen}"
    assert (out / "cla.png").is_file(), "chart should be in the finished folder"
    files = json.loads((out / "manifest.json").read_text())["files"]
    assert "cla.png" in files, f"manifest should list the chart, got {files}"


@pytest.mark.smoke
def test_python_dash_m_simulation_shows_help():
    """`python -m simulation` is the same command line as `cssim`."""
    done = subprocess.run([sys.executable, "-m", "simulation", "run", "--help"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"exit code {done.returncode}: {done.stderr}"
    assert "--replications" in done.stdout, f"help should list options: {done.stdout}"


@pytest.mark.smoke
def test_real_baseline_runs_end_to_end(tmp_path):
    """The shipped baseline runs through the installed CLI and meets the contract."""
    out = tmp_path / "baseline"
    done = subprocess.run([sys.executable, "-m", "simulation", "run", str(BASELINE), "--years",
                           "1", "--replications", "2", "--seed", "20230401", "--workers", "2",
                           "--out", str(out), "--no-progress"],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"exit code {done.returncode}: {done.stderr[-2000:]}"
    problems = contract.validate_run_folder(out)
    assert problems == [], f"baseline run breaks the contract: {problems}"


@pytest.mark.smoke
def test_replications_command_reports_how_many_are_needed(fake_model, capsys):
    """`cssim replications` runs a pilot and answers with the number for the asked precision."""
    code, out, err = cssim(capsys, "replications", fake_model, "--kpi", "cla", "--period",
                           "FY2023-24", "--precision", "0.01", "--pilot", "5", "--seed", "3",
                           "--no-progress")
    assert code == 0, f"exit code {code}; stderr {err}"
    assert out[0].startswith("cla in FY2023-24 (fake): mean"), f"first line: {out}"
    assert "from a pilot of 5 replications" in out[0], f"pilot size reported: {out[0]}"
    assert out[1].startswith("For +/-1% of the mean: "), f"answer line: {out}"


@pytest.mark.badinput
def test_replications_command_refuses_an_unknown_kpi_and_period(fake_model, capsys):
    """A KPI or period the contract does not have is one line naming it, exit code 2."""
    code, _, err = cssim(capsys, "replications", fake_model, "--kpi", "no_such_kpi", "--period",
                         "FY2023-24", "--pilot", "3", "--no-progress")
    assert_one_line_error(code, err, 2, "no_such_kpi")
    code, _, err = cssim(capsys, "replications", fake_model, "--kpi", "cla", "--period",
                         "2024", "--pilot", "3", "--no-progress")
    assert_one_line_error(code, err, 2, "period")


@pytest.mark.direction
def test_paired_pilot_needs_fewer_replications_than_independent_runs(capsys):
    """Common random numbers: a paired difference between two real scenarios needs fewer
    replications than two independent runs would (the pair is positively correlated)."""
    from simulation.runs.replication_count import run_pilot
    from simulation.scenario.loading import load_scenario

    base = load_scenario(BASELINE)
    more = base.model_copy(update={"name": "more_help", "early_help": base.early_help.model_copy(
        update={"capacity_families": base.early_help.capacity_families.model_copy(
            update={"value": 600.0})})})
    # Referrals, not families open: early help is full in both scenarios, so its stock does not
    # vary; the extra places divert first-time referrals of the same children.
    answer = run_pilot(base, "referrals", "FY2024-25", 0.05, 6, 9, against=more,
                       progress=False)
    paired = answer.paired
    assert paired.correlation > 0.5, f"the pair should be correlated, got {paired.correlation}"
    assert paired.difference.mean < 0, f"more places should divert referrals: {paired}"
    assert paired.difference.required < paired.required_independent, \
        f"paired {paired.difference.required} vs independent {paired.required_independent}"

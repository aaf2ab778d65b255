"""The runner: per-replication files, resumability, and identical outputs however it is run."""

import json
from pathlib import Path

import pandas as pd
import pytest
import runner_fakes
from runner_fakes import (
    FakeScenario,
    assert_resume_matches_fresh,
    fake_replicate,
    folder_bytes,
    make_run,
)

from simulation.records import contract
from simulation.runs import replication, runner

CSV_FILES = (contract.MONTHLY_FILE, contract.ANNUAL_FILE, contract.SUMMARY_FILE)


def manifest_without_timing(folder):
    """The manifest minus the part allowed to differ between identical runs."""
    manifest = json.loads((Path(folder) / contract.MANIFEST_FILE).read_text())
    manifest.pop("timing")
    return manifest


@pytest.mark.unit
def test_default_path_calls_run_replication_then_replication_kpis(tmp_path, monkeypatch):
    """The runner drives the model through run_replication and replication_kpis, in that order."""
    calls = []

    def fake_run(scenario, seed, replication, years):
        calls.append(("run", replication))
        return runner_fakes.fake_run_replication(scenario, seed, replication, years)

    def fake_kpis(result, scenario, years):
        calls.append(("kpis", result.replication))
        return runner_fakes.fake_replication_kpis(result, scenario, years)

    monkeypatch.setattr(replication, "run_replication", fake_run)
    monkeypatch.setattr(replication, "replication_kpis", fake_kpis)
    summary = runner.run_experiment(FakeScenario(), replications=2, seed=1, years=1.0,
                                    out_dir=tmp_path / "run", progress=False)
    assert calls == [("run", 0), ("kpis", 0), ("run", 1), ("kpis", 1)], f"got {calls}"
    assert summary.problems == (), f"contract problems: {summary.problems}"
    event_counts = json.loads((tmp_path / "run/manifest.json").read_text())["timing"]["event_counts"]
    assert event_counts == [runner_fakes.fake_run_replication(None, 1, r, 1).event_count
                            for r in (0, 1)], f"event counts not recorded: {event_counts}"


@pytest.mark.unit
def test_run_folder_has_the_contract_files_and_columns(tmp_path):
    """Users and the report read four files with fixed columns, plus reps/ per replication."""
    make_run(tmp_path / "run", replications=3)
    folder = tmp_path / "run"
    for name, columns in contract.CSV_COLUMNS.items():
        header = (folder / name).read_text().splitlines()[0]
        assert header == ",".join(columns), f"{name}: header {header!r}, expected {columns}"
    monthly = pd.read_csv(folder / contract.MONTHLY_FILE)
    assert monthly["replication"].unique().tolist() == [0, 1, 2], \
        f"replications should be 0..2 in order, got {monthly['replication'].unique().tolist()}"
    for replication in range(3):
        for path in runner.rep_paths(folder / "reps", replication).values():
            assert path.is_file(), f"missing replication file {path}"
    leftovers = [p.name for p in folder.rglob(".*")]
    assert leftovers == [], f"temporary files left behind: {leftovers}"


@pytest.mark.unit
def test_floats_are_written_with_the_documented_format(tmp_path):
    """Values are written with %.10g: binary noise is gone and whole numbers have no '.0'."""
    make_run(tmp_path / "run", replications=1)
    text = (tmp_path / "run" / contract.MONTHLY_FILE).read_text()
    assert ".0," not in text and not any(line.endswith(".0") for line in text.splitlines()), \
        "whole numbers should be written without a trailing .0"
    values = [line.rsplit(",", 1)[1] for line in text.splitlines()[1:]]
    longest = max(len(v.replace(".", "").replace("-", "").lstrip("0")) for v in values if v)
    assert longest <= 10, f"expected at most 10 significant digits, got {longest}"
    recorded = json.loads((tmp_path / "run/manifest.json").read_text())["float_format"]
    assert recorded == "%.10g", f"manifest should record the float format, got {recorded!r}"


@pytest.mark.unit
def test_manifest_records_what_reproduces_the_run(tmp_path):
    """The manifest holds the resolved scenario, its hash, seed, years, code version and files."""
    make_run(tmp_path / "run", replications=2, seed=9, years=1.5)
    text = (tmp_path / "run/manifest.json").read_text()
    manifest = json.loads(text)
    assert text == json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n", \
        "manifest must be written with sorted keys"
    expected = {"seed": 9, "replications": 2, "years": 1.5, "start_date": "2023-04-01",
                "scenario_name": "fake", "scenario": FakeScenario().model_dump(mode="json")}
    for key, value in expected.items():
        assert manifest[key] == value, f"manifest[{key!r}]: expected {value!r}, got {manifest[key]!r}"
    assert manifest["code_version"]["cssim"], f"code version missing: {manifest['code_version']}"
    assert "kpis_summary.csv" in manifest["files"] and "manifest.json" in manifest["files"], \
        f"files written should be listed, got {manifest['files']}"
    timing = manifest["timing"]
    assert len(timing["wall_seconds_per_replication"]) == 2, f"per-replication times: {timing}"


@pytest.mark.reproducibility
def test_same_seed_gives_identical_bytes_and_manifest(tmp_path):
    """Two runs with the same scenario and seed give byte-identical CSVs; only timing differs."""
    make_run(tmp_path / "a")
    make_run(tmp_path / "b")
    assert folder_bytes(tmp_path / "a") == folder_bytes(tmp_path / "b"), "CSV files differ"
    assert manifest_without_timing(tmp_path / "a") == manifest_without_timing(tmp_path / "b"), \
        "manifests differ outside timing"


@pytest.mark.reproducibility
def test_different_seeds_give_different_numbers(tmp_path):
    """The seed matters: a test that cannot fail proves nothing, so check the opposite too."""
    make_run(tmp_path / "a", seed=5)
    make_run(tmp_path / "b", seed=6)
    assert folder_bytes(tmp_path / "a") != folder_bytes(tmp_path / "b"), \
        "different seeds should give different KPIs"


@pytest.mark.reproducibility
def test_one_worker_and_two_workers_give_identical_bytes(tmp_path):
    """Results depend on (scenario, seed, replication) only, never on the number of workers."""
    make_run(tmp_path / "serial", replications=4, workers=1)
    make_run(tmp_path / "parallel", replications=4, workers=2)
    assert folder_bytes(tmp_path / "serial") == folder_bytes(tmp_path / "parallel"), \
        "CSV files differ between 1 and 2 workers"
    assert manifest_without_timing(tmp_path / "serial") == \
        manifest_without_timing(tmp_path / "parallel"), "manifests differ outside timing"


@pytest.mark.reproducibility
def test_resume_after_losing_a_replication_gives_identical_bytes(tmp_path):
    """An interrupted run, resumed, equals an uninterrupted one; only the lost work is redone."""
    make_run(tmp_path / "whole", replications=4)
    make_run(tmp_path / "resumed", replications=4)
    reference = folder_bytes(tmp_path / "whole")
    for path in (tmp_path / "resumed").glob("kpis_*.csv"):
        path.unlink()
    runner.rep_paths(tmp_path / "resumed/reps", 2)["monthly"].unlink()  # one file lost
    summary = make_run(tmp_path / "resumed", replications=4, resume=True)
    assert summary.replications_run == (2,), f"only replication 2 should rerun, got {summary}"
    assert summary.replications_reused == (0, 1, 3), f"reused: {summary.replications_reused}"
    assert folder_bytes(tmp_path / "resumed") == reference, "resumed CSVs differ from whole run"


@pytest.mark.reproducibility
def test_resume_can_extend_a_run_with_more_replications(tmp_path):
    """Asking for more replications on resume keeps 0..R-1 and adds the rest, as a fresh run."""
    make_run(tmp_path / "grown", replications=2)
    assert_resume_matches_fresh(tmp_path / "grown", 4, "2 + 2 replications should equal 4 in one go")


@pytest.mark.badinput
def test_resume_refuses_a_folder_from_another_seed(tmp_path):
    """Resuming must never mix replications of different runs."""
    make_run(tmp_path / "run", seed=5)
    with pytest.raises(runner.RunFolderError, match="different seed"):
        make_run(tmp_path / "run", seed=6, resume=True)


@pytest.mark.badinput
def test_a_fresh_run_refuses_a_non_empty_folder(tmp_path):
    """Without resume the runner never writes over an existing folder's files."""
    make_run(tmp_path / "run")
    before = folder_bytes(tmp_path / "run")
    with pytest.raises(runner.RunFolderError, match="not empty"):
        make_run(tmp_path / "run")
    assert folder_bytes(tmp_path / "run") == before, "the earlier run must be left intact"


@pytest.mark.badinput
@pytest.mark.parametrize("field, value", [("replications", 0), ("replications", -1),
                                          ("workers", 0), ("seed", -1), ("years", 0.0)])
def test_invalid_arguments_are_refused_before_any_file_is_written(tmp_path, field, value):
    """Invalid counts are refused with a message naming the argument, and nothing is created."""
    arguments = {"replications": 2, "seed": 1, "years": 1.0, "workers": 1, field: value}
    with pytest.raises(ValueError, match=field):
        runner.run_experiment(FakeScenario(), out_dir=tmp_path / "run", progress=False,
                              replicate=fake_replicate, **arguments)
    assert not (tmp_path / "run").exists(), "no folder should be created for invalid arguments"


@pytest.mark.unit
def test_a_failed_replication_keeps_finished_ones_for_resume(tmp_path):
    """A model error names the replication; finished replications survive for --resume."""
    with pytest.raises(runner.ReplicationError, match="replication 2 failed"):
        make_run(tmp_path / "run", replications=4, replicate=runner_fakes.failing_replicate)
    done = sorted(p.name for p in (tmp_path / "run/reps").glob("rep_*.json"))
    assert done == ["rep_0000.json", "rep_0001.json"], f"finished replications kept: {done}"
    assert_resume_matches_fresh(tmp_path / "run", 4,
                                "resuming after a failure should give the same bytes as a clean run")


@pytest.mark.reproducibility
def test_real_model_gives_identical_bytes_with_one_and_two_workers(tmp_path):
    """The real model does not depend on the worker count either."""
    from simulation.scenario.loading import load_scenario

    scenario = load_scenario(Path(__file__).parents[1] / "scenarios" / "baseline.toml")
    for name, workers in (("serial", 1), ("parallel", 2)):
        runner.run_experiment(scenario, replications=2, seed=20230401, years=1.0,
                              workers=workers, out_dir=tmp_path / name, progress=False)
    assert folder_bytes(tmp_path / "serial") == folder_bytes(tmp_path / "parallel"), \
        "real model: CSV files differ between 1 and 2 workers"
    problems = contract.validate_run_folder(tmp_path / "serial")
    assert problems == [], f"real model run breaks the contract: {problems}"


@pytest.mark.reproducibility
def test_scenarios_reach_worker_processes_with_key_order_intact():
    """Workers rebuild the scenario from its resolved JSON; table order must survive.

    pydantic's == ignores dict order, but a model drawing categories in table order does not,
    so the runner checks the JSON text, order included.
    """
    scenario = runner_fakes.TableScenario(outcome_prob={"care": 0.2, "nfa": 0.5, "cin_plan": 0.3})
    rebuilt = replication.unpack_scenario(replication.pack_scenario(scenario))
    assert list(rebuilt.outcome_prob) == ["care", "nfa", "cin_plan"], \
        f"key order changed on the way to a worker: {list(rebuilt.outcome_prob)}"
    assert type(rebuilt) is runner_fakes.TableScenario, f"rebuilt as {type(rebuilt)}"


@pytest.mark.unit
def test_duplicate_kpi_rows_from_metrics_are_refused(tmp_path, monkeypatch):
    """A KPI reported twice for one month would pose as an extra replication; it is an error."""
    def doubled_kpis(result, scenario, years):
        monthly, annual = runner_fakes.fake_replication_kpis(result, scenario, years)
        return pd.concat([monthly, monthly.head(1)]), annual

    monkeypatch.setattr(replication, "run_replication", runner_fakes.fake_run_replication)
    monkeypatch.setattr(replication, "replication_kpis", doubled_kpis)
    with pytest.raises(runner.ReplicationError, match="sharing a period and KPI"):
        runner.run_experiment(FakeScenario(), replications=1, seed=1, years=1.0,
                              out_dir=tmp_path / "run", progress=False)


@pytest.mark.reproducibility
def test_scenarios_sharing_one_pool_write_the_folders_each_would_write_alone(tmp_path):
    """``compare`` runs its scenarios through one executor (``run_experiments``): each folder
    must equal, byte for byte, the run of that scenario on its own, and a scenario whose
    replications are all reused from an interrupted run is still completed."""
    scenarios = [FakeScenario(name="base"), FakeScenario(name="alt", referrals_per_month=230.0)]
    for scenario in scenarios:
        make_run(tmp_path / "alone" / scenario.name, replications=3, scenario=scenario)
    # The second scenario has all its replications already: only its combined files are missing.
    make_run(tmp_path / "shared" / "alt", replications=3, scenario=scenarios[1])
    for name in CSV_FILES + (contract.MANIFEST_FILE,):
        (tmp_path / "shared" / "alt" / name).unlink()
    summaries = runner.run_experiments(
        scenarios, replications=3, seed=5, years=2.0, workers=2, progress=False,
        out_dirs=[tmp_path / "shared" / s.name for s in scenarios], resume=[False, True],
        replicate=fake_replicate)
    assert [s.scenario_name for s in summaries] == ["base", "alt"], "summaries in scenario order"
    assert summaries[1].replications_reused == (0, 1, 2), summaries[1].replications_reused
    for scenario in scenarios:
        alone, shared = tmp_path / "alone" / scenario.name, tmp_path / "shared" / scenario.name
        assert folder_bytes(alone) == folder_bytes(shared), \
            f"{scenario.name}: CSV files differ between a shared pool and a run of its own"
        assert manifest_without_timing(alone) == manifest_without_timing(shared), \
            f"{scenario.name}: manifests differ outside timing"


@pytest.mark.reproducibility
def test_a_failure_in_one_scenario_keeps_the_finished_scenarios(tmp_path):
    """When a later scenario's replication fails, the earlier scenario's folder is complete, the
    failed one keeps its finished replications for --resume, and the error names both the
    scenario and the replication."""
    scenarios = [FakeScenario(name="base"), FakeScenario(name="broken")]
    folders = [tmp_path / s.name for s in scenarios]
    with pytest.raises(runner.ReplicationError, match="replication 1 of broken failed"):
        runner.run_experiments(scenarios, replications=3, seed=5, years=2.0, workers=1,
                               progress=False, out_dirs=folders,
                               replicate=runner_fakes.failing_in_broken_scenario)
    assert contract.validate_run_folder(folders[0]) == [], "the finished scenario's folder"
    done = sorted(p.name for p in (folders[1] / "reps").glob("rep_*.json"))
    assert done == ["rep_0000.json"], f"finished replications of the failed scenario: {done}"

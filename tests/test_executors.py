"""Executors: the same bytes whether replications run serially, in a pool or on Dask."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import runner_fakes
from runner_fakes import assert_resume_matches_fresh, folder_bytes, make_run

from simulation import cli
from simulation.records import contract
from simulation.runs import runner
from simulation.runs.executors import SerialExecutor, open_executor

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"


def _double(value):
    if value == 3:
        raise RuntimeError("three is bad")
    return 2 * value


@pytest.mark.unit
def test_executors_return_every_result_keyed_by_task():
    """Serial and pooled executors give the same results for the same tasks."""
    tasks = {key: (key,) for key in (0, 1, 2, 4)}
    for workers in (1, 2):
        with open_executor(workers) as executor:
            found = {outcome.key: outcome.value for outcome in executor.run(_double, tasks)}
        assert found == {0: 0, 1: 2, 2: 4, 4: 8}, f"workers={workers}: {found}"


@pytest.mark.unit
def test_a_failed_task_is_reported_with_its_key():
    """A failure comes back as an outcome naming the task, not as a lost exception."""
    with open_executor(1) as executor:
        assert isinstance(executor, SerialExecutor)
        outcomes = list(executor.run(_double, {2: (2,), 3: (3,), 5: (5,)}))
    assert [outcome.key for outcome in outcomes] == [2, 3], f"stops after the failure: {outcomes}"
    assert "three is bad" in str(outcomes[-1].error), f"error kept: {outcomes[-1]}"


@pytest.mark.badinput
def test_bad_executor_options_are_refused():
    """Zero workers or an empty scheduler address are errors, not silent defaults."""
    with pytest.raises(ValueError, match="workers"):
        with open_executor(0):
            pass
    with pytest.raises(ValueError, match="scheduler"):
        with open_executor(1, " "):
            pass


def _touch(path: str) -> str:
    Path(path).touch()
    return path


@pytest.mark.unit
def test_the_local_pool_starts_tasks_before_their_outcomes_are_asked_for(tmp_path):
    """run() submits at once, so a caller can work while the pool runs (the pack's charts)."""
    flag = tmp_path / "started"
    with open_executor(2) as pool:
        outcomes = pool.run(_touch, {"only": (str(flag),)})
        waited = 0.0
        while not flag.exists() and waited < 30:
            time.sleep(0.05)
            waited += 0.05
        assert flag.exists(), "the task did not run before its outcome was asked for"
        assert [(o.key, o.error) for o in outcomes] == [("only", None)]


@pytest.mark.reproducibility
def test_pool_failure_keeps_finished_replications(tmp_path):
    """With 2 workers a failure still leaves every other finished replication for --resume."""
    with pytest.raises(runner.ReplicationError, match="replication 2 failed"):
        make_run(tmp_path / "run", replications=4, workers=2,
                 replicate=runner_fakes.failing_replicate)
    assert_resume_matches_fresh(tmp_path / "run", 4,
                                "resumed after a pool failure: CSVs differ from a clean run")


@pytest.mark.reproducibility
def test_real_model_on_a_dask_local_cluster_gives_the_serial_bytes(tmp_path):
    """A real Dask LocalCluster of 2 worker processes gives the serial run's bytes exactly."""
    from simulation.scenario.loading import load_scenario

    scenario = load_scenario(BASELINE)
    settings = dict(replications=3, seed=11, years=0.5, progress=False)
    runner.run_experiment(scenario, out_dir=tmp_path / "serial", **settings)
    summary = runner.run_experiment(scenario, out_dir=tmp_path / "dask", workers=2,
                                    scheduler="local", **settings)
    assert folder_bytes(tmp_path / "serial") == folder_bytes(tmp_path / "dask"), \
        "Dask LocalCluster: CSV files differ from the serial run"
    assert summary.problems == (), f"contract problems: {summary.problems}"
    timing = json.loads((tmp_path / "dask" / contract.MANIFEST_FILE).read_text())["timing"]
    assert timing["executor"]["kind"] == "dask", f"executor recorded: {timing['executor']}"
    memory = timing["peak_memory_mb_per_replication"]
    assert all(isinstance(mb, float) and mb > 0 for mb in memory), f"worker memory: {memory}"


@pytest.mark.reproducibility
def test_sigkill_halfway_then_resume_gives_identical_csvs(tmp_path):
    """Kill a real `cssim run` with SIGKILL halfway, resume it: the CSVs equal an unbroken run's.

    The killed run is a separate process (2 workers, 24 replications of 1 year); it is killed
    once some replications are on disk and before all are, which the test checks rather than
    assumes. Twenty-four, not eight: on a quiet machine eight one-year replications could all
    land between two looks at the folder, leaving nothing to resume.
    """
    replications = 24
    common = [str(BASELINE), "--years", "1", "--replications", str(replications), "--seed", "3",
              "--no-progress"]
    killed_out = tmp_path / "killed"
    partial = killed_out.with_name("killed.partial")
    process = subprocess.Popen([sys.executable, "-m", "simulation", "run", *common,
                                "--out", str(killed_out), "--workers", "2"],
                               cwd=tmp_path, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    done = []
    try:
        while time.monotonic() < deadline and process.poll() is None:
            done = sorted((partial / "reps").glob("rep_*.json"))
            if len(done) >= 2:
                os.kill(process.pid, signal.SIGKILL)
                break
            time.sleep(0.02)
    finally:
        if process.poll() is None and not done:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        try:  # the pool's workers lose their parent; end them too (their group only)
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert process.returncode == -signal.SIGKILL, \
        f"the run should have been killed halfway; exit {process.returncode}, " \
        f"stderr {process.stderr.read().decode()[-500:]}"
    left = len(list((partial / "reps").glob("rep_*.json")))
    assert 2 <= left < replications and not killed_out.exists(), \
        f"expected a part-finished run, found {left} of {replications} replications"

    assert cli.run_cli(["run", *common, "--out", str(killed_out), "--resume"]) == 0
    assert cli.run_cli(["run", *common, "--out", str(tmp_path / "whole")]) == 0
    assert folder_bytes(killed_out) == folder_bytes(tmp_path / "whole"), \
        "resumed run's CSV files differ from the uninterrupted run's"
    reused = json.loads((killed_out / contract.MANIFEST_FILE).read_text())["timing"][
        "replications_reused"]
    assert len(reused) == left, f"resume should reuse the {left} finished, reused {reused}"

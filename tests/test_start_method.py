"""How pool workers start (fork or spawn) and where charts are drawn never change a byte."""

import json
import multiprocessing
import threading
from pathlib import Path

import pytest
from runner_fakes import folder_bytes

from simulation.records import contract
from simulation.reports import chart_tasks, run_charts
from simulation.runs import runner
from simulation.runs.executors import (
    START_METHOD_VARIABLE,
    ExecutorError,
    LocalPoolExecutor,
    pool_start_method,
)

REPO = Path(__file__).resolve().parents[1]
BASELINE = REPO / "scenarios" / "baseline.toml"
METHODS = [method for method in ("fork", "spawn") if method in multiprocessing.get_all_start_methods()]


@pytest.mark.reproducibility
def test_real_model_gives_the_same_bytes_whatever_the_start_method(tmp_path):
    """The real model on a forked and on a spawned pool writes the serial run's CSVs exactly.

    A forked worker inherits this process's state; a spawned one starts clean. Equal bytes show
    that a replication depends on its arguments only, never on what the parent had loaded.
    """
    from simulation.scenario.loading import load_scenario

    scenario = load_scenario(BASELINE)
    settings = dict(replications=3, seed=7, years=0.5, progress=False)
    runner.run_experiment(scenario, out_dir=tmp_path / "serial", **settings)
    serial = folder_bytes(tmp_path / "serial")
    for method in METHODS:
        pool = LocalPoolExecutor(2, method)
        try:
            runner.run_experiment(scenario, out_dir=tmp_path / method, executor=pool, **settings)
        finally:
            pool.close()
        assert folder_bytes(tmp_path / method) == serial, \
            f"start method {method}: CSV files differ from the serial run"
        timing = json.loads((tmp_path / method / contract.MANIFEST_FILE).read_text())["timing"]
        assert timing["executor"]["start_method"] == method, \
            f"manifest should record start method {method}, got {timing['executor']}"


@pytest.mark.unit
def test_fork_only_on_linux_with_no_other_python_thread(monkeypatch):
    """Fork is chosen on Linux when only the main thread runs; another thread means spawn."""
    monkeypatch.delenv(START_METHOD_VARIABLE, raising=False)
    monkeypatch.setattr("sys.platform", "darwin")
    assert pool_start_method() == "spawn", "macOS keeps spawn"
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert pool_start_method() == "fork", "Linux with one thread forks"
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert pool_start_method() == "spawn", "a second thread alive (e.g. a progress bar) means spawn"


@pytest.mark.badinput
def test_the_start_method_can_be_forced_and_a_wrong_one_is_refused(monkeypatch):
    """CSSIM_START_METHOD forces a method of this system; anything else is a one-line error."""
    monkeypatch.setenv(START_METHOD_VARIABLE, "spawn")
    assert pool_start_method() == "spawn", "the variable forces spawn"
    monkeypatch.setenv(START_METHOD_VARIABLE, "teleport")
    with pytest.raises(ExecutorError, match="teleport"):
        pool_start_method()


@pytest.mark.unit
def test_chart_tasks_know_every_figure_of_the_report():
    """The stems the pool draws are exactly the report's figures, in its order."""
    assert chart_tasks.FIGURE_STEMS == tuple(run_charts.FIGURES), \
        f"chart_tasks {chart_tasks.FIGURE_STEMS} vs report {tuple(run_charts.FIGURES)}"


@pytest.mark.reproducibility
def test_charts_drawn_on_the_pool_equal_those_drawn_here(tmp_path):
    """Charts drawn on pool workers (after an idle warm-up) are byte-identical to write_charts'."""
    from test_report import synthetic_summary

    from simulation.scenario.loading import load_scenario

    summary, scenario = synthetic_summary(), load_scenario(BASELINE)
    here = run_charts.write_charts(tmp_path / "here", summary, scenario)
    (tmp_path / "pool").mkdir()
    pool = LocalPoolExecutor(2)
    try:
        warmed = list(pool.run(chart_tasks.draw_figure, {}, idle=chart_tasks.warm_up))
        written = chart_tasks.write_charts_on(pool, tmp_path / "pool", summary, scenario)
    finally:
        pool.close()
    assert warmed == [], f"idle tasks yield no outcomes, got {warmed}"
    assert [path.name for path in written] == [path.name for path in here], \
        f"files: pool {[p.name for p in written]} vs here {[p.name for p in here]}"
    different = [path.name for path in here
                 if path.read_bytes() != (tmp_path / "pool" / path.name).read_bytes()]
    assert different == [], f"charts drawn on the pool differ from those drawn here: {different}"

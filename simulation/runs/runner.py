"""Replications of one scenario, serial or parallel, resumable, written to the output contract.

Owns the order of work: per-replication files in ``reps/``, then ``kpis_monthly.csv``,
``kpis_annual.csv``, ``kpis_summary.csv`` and ``manifest.json`` built from them
(``simulation.records.contract`` owns the names; ``simulation.runs.runfolder`` how files are written).

Covers
------
- Replication r (numbered 0 to R-1) runs ``run_replication`` then ``replication_kpis`` and writes
  ``reps/rep_000r_monthly.csv``, ``..._annual.csv`` and ``rep_000r.json`` (timing; written last,
  so it marks the replication complete), each atomically.
- ``resume=True`` skips replications already complete, after checking the folder belongs to the
  same scenario (hash), seed and years.
- The combined files are always rebuilt by reading the replication files in replication order, so
  they are byte-identical whatever the worker count and whether or not the run was resumed.

Assumptions
-----------
- Results depend only on (scenario, seed, replication): the model derives its random streams
  from those, never from the process or worker it runs in.
- Floats are written with ``FLOAT_FORMAT`` (``%.10g``); see ``simulation.runs.runfolder``.
- Where replications run (this process, a local process pool, a Dask cluster) is chosen in one
  place, ``simulation.runs.executors``. Workers compute a replication and return its files' text;
  only this process writes the run folder, so a cluster needs no shared filesystem and a
  replication's files appear (atomically) as soon as it finishes, whichever worker ran it.
"""

from __future__ import annotations

import json
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd

from simulation.records import contract
from simulation.runs.budget import check_run
from simulation.runs.executors import describe, open_executor
from simulation.runs.progress import replication_bar
from simulation.runs.replication import (
    compute_packed,
    compute_replication,
    pack_scenario,
    replicate_with_model,
    scenario_hash,
    write_replication,
)
from simulation.runs import resume as resuming
from simulation.runs.runfolder import (  # re-exported: the CLI and tests use them as runner.<name>
    FLOAT_FORMAT,
    RunFolderError,
    code_version,
    file_sha256,
    json_text,
    list_run_files,
    prepare_folder,
    read_rep,
    rep_paths,
    update_manifest_files,
    write_atomic,
    write_csv_atomic,
)


class ReplicationError(RuntimeError):
    """A replication failed; completed replications are kept so the run can be resumed."""


@dataclass(frozen=True)
class RunSummary:
    """What ``run_experiment`` did and where; ``summary`` is the ``kpis_summary.csv`` frame."""

    out_dir: Path
    scenario_name: str
    replications: int
    seed: int
    years: float
    replications_run: tuple[int, ...]
    replications_reused: tuple[int, ...]
    total_wall_seconds: float
    problems: tuple[str, ...]
    summary: pd.DataFrame = field(repr=False, compare=False)


def _run_config(scenario, seed: int, years: float) -> dict:
    return {"scenario_name": scenario.name, "scenario_hash": scenario_hash(scenario),
            "seed": seed, "years": years}


@dataclass
class _PlannedRun:
    """One scenario's run folder, prepared: the replications already complete and those to run.

    ``started_at`` and ``clock`` are when the command planned the run: when scenarios share an
    executor (``run_experiments``), a scenario's ``total_wall_seconds`` runs from the command's
    start to its own files being written.
    """

    scenario: object
    out_dir: Path
    config: dict
    reps_dir: Path
    done: list[int]
    todo: list[int]
    started_at: str
    clock: float
    maker: dict
    scale: float = 1.0


def _plan_run(scenario, replications: int, seed: int, years: float, out_dir, resume: bool,
              say: Callable[[str], None] | None = None, scale: float = 1.0) -> _PlannedRun:
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    clock = time.perf_counter()
    out_dir = Path(out_dir)
    config = _run_config(scenario, seed, years)
    reps_dir = prepare_folder(out_dir, config, resume)
    maker = resuming.made_by(code_version())
    done: list[int] = []
    if resume:
        # Reused only when proved: checksums, arguments and code (simulation.runs.resume).
        found = resuming.plan(reps_dir, replications, config, maker)
        resuming.remove_strays(reps_dir, found.strays)
        for replication in found.redo:  # unfinished until rewritten whole, record last
            rep_paths(reps_dir, replication)["record"].unlink(missing_ok=True)
        done = found.reused
        if say is not None:
            say(resuming.notice(found))
    todo = sorted(set(range(replications)) - set(done))
    return _PlannedRun(scenario, out_dir, config, reps_dir, done, todo, started_at, clock, maker,
                       scale)


def _execute(executor, plans: list[_PlannedRun], seed, years, replicate, bar, finish,
             warm_up=None) -> None:
    """Run every plan's replications on ``executor``, writing each as it finishes.

    The tasks of all plans go to the executor at once, so the workers never wait while this
    process combines a finished scenario's files: ``finish(index)`` is called as soon as plan
    ``index`` has all its replications, while the workers carry on with the next scenario's.
    On a failure, replications already running still finish and are written (nothing is lost
    for ``--resume``); then the first failure is raised as ``ReplicationError``.
    """
    serial = executor.workers == 1 and executor.name == "serial"
    # Other processes rebuild a scenario from its resolved JSON (packed once per scenario).
    function = compute_replication if serial else compute_packed
    task_scenarios = [plan.scenario if serial else pack_scenario(plan.scenario) for plan in plans]
    tasks = {(index, replication): (task_scenarios[index], seed, replication, years, replicate)
             for index, plan in enumerate(plans) for replication in plan.todo}
    left = [len(plan.todo) for plan in plans]
    for index, count in enumerate(left):
        if count == 0:  # every replication reused from an earlier, interrupted run
            finish(index)
    failures = []
    for outcome in executor.run(function, tasks, warm_up):
        if outcome.error is not None:
            failures.append(outcome)
            continue
        index, replication = outcome.key
        plan = plans[index]
        write_replication(plan.reps_dir, replication, outcome.value, plan.config, plan.maker)
        bar.update(1)
        left[index] -= 1
        if left[index] == 0:
            finish(index)
    if failures:
        first = min(failures, key=lambda outcome: outcome.key)
        name = plans[first.key[0]].scenario.name
        where = f"replication {first.key[1]}" + (f" of {name}" if len(plans) > 1 else "")
        # An error may have no message (MemoryError()): its kind is then the message.
        what = str(first.error).strip() or type(first.error).__name__
        raise ReplicationError(f"{where} failed: {what}") from first.error


def run_experiment(scenario, *, replications: int, seed: int, years: float, workers: int = 1,
                   out_dir, resume: bool = False, progress: bool = True,
                   replicate: Callable = replicate_with_model, scheduler: str | None = None,
                   executor=None, warm_up: Callable | None = None,
                   then: Callable | None = None, say: Callable[[str], None] | None = None,
                   scale: float = 1.0) -> RunSummary:
    """Run replications 0..R-1 of ``scenario`` and write a run folder meeting the contract.

    Parameters
    ----------
    scenario : Scenario
        Frozen, validated scenario (needs ``name``, ``start_date`` and ``model_dump``).
    replications : int
        Number of replications R (at least 1); they are numbered 0 to R-1.
    seed : int
        Base seed (non-negative); replication r draws from streams derived from (seed, r).
    years : float
        Simulated years (positive).
    workers : int
        Processes to use; 1 runs in this process. Results do not depend on it.
    out_dir : str or Path
        Folder to write; must be absent or empty unless ``resume``.
    resume : bool
        Reuse complete replications already in ``out_dir`` (same scenario hash, seed, years).
    progress : bool
        Show a tqdm bar of replications done and time left on stderr.
    replicate : callable
        ``(scenario, seed, replication, years) -> (monthly, annual, info)``; a module-level
        function when ``workers > 1``. Defaults to the model and metrics.
    scheduler : str or None
        None for this machine; ``"local"`` for a Dask LocalCluster of ``workers`` processes; or
        a Dask scheduler address (see ``simulation.runs.executors.open_executor``).
    executor : optional
        An executor already open (from ``open_executor``), e.g. shared by the scenarios of one
        command; when given, ``workers`` and ``scheduler`` are not used.
    warm_up : callable, optional
        A module-level function of no arguments that each pool worker runs once it has no
        replication left (``Executor.run``'s ``idle``), e.g. importing what ``then`` needs.
    then : callable, optional
        ``then(executor, summaries)``, called once every folder is written and before the
        executor is closed, so the caller's own work can use the running workers (the CLI
        draws its charts on them).
    say : callable, optional
        ``say(line)`` is given one line on what a resumed run reuses and recomputes (the CLI
        prints it).
    scale : float
        The authority's size in Southends that ``scenario`` was made for
        (``simulation.scenario.scale.scale_scenario``, which the caller applies); recorded in the
        manifest as ``scale``.

    Returns
    -------
    RunSummary
        Including ``problems`` from ``contract.validate_run_folder`` (empty when all is well).

    Raises
    ------
    ValueError, RunFolderError, ReplicationError
        Bad arguments; an unusable folder; a failed replication (finished ones are kept).
    """
    return run_experiments([scenario], replications=replications, seed=seed, years=years,
                           workers=workers, out_dirs=[out_dir], resume=resume, progress=progress,
                           replicate=replicate, scheduler=scheduler, executor=executor,
                           warm_up=warm_up, then=then, say=say, scale=scale)[0]


def run_experiments(scenarios: list, *, replications: int, seed: int, years: float,
                    out_dirs: list, workers: int = 1, resume: bool | list[bool] = False,
                    progress: bool = True, replicate: Callable = replicate_with_model,
                    scheduler: str | None = None, executor=None, warm_up: Callable | None = None,
                    then: Callable | None = None,
                    each_finished: Callable | None = None,
                    say: Callable[[str], None] | None = None,
                    scale: float = 1.0) -> list[RunSummary]:
    """``run_experiment`` for several scenarios at once, sharing one executor (``compare``).

    Every folder is the one ``run_experiment`` would write for its scenario alone (byte for
    byte, apart from ``timing``). Sharing saves starting a pool for each scenario, and the workers
    run the next scenario while this process combines the files of one that has finished. One
    progress bar counts the replications of all the scenarios, so its time left is the whole
    command's. ``resume`` may be one flag for all folders or one per folder. ``warm_up`` and
    ``then`` are as for ``run_experiment``. ``each_finished(executor, index)``, if given, is
    called in this process as soon as scenario ``index``'s folder is written, while the workers
    carry on with the other scenarios' replications (``compare`` reads each scenario's files
    then). ``scale`` (the scenarios' size in Southends, as for ``run_experiment``) goes in
    every manifest. Returns the summaries in the order of ``scenarios``.
    """
    replications, workers, seed, years = check_run(replications, workers, seed, years)
    if len(out_dirs) != len(scenarios):
        raise ValueError(f"{len(scenarios)} scenarios but {len(out_dirs)} output folders")
    resumes = [resume] * len(scenarios) if isinstance(resume, bool) else list(resume)
    plans = [_plan_run(scenario, replications, seed, years, out_dir, again, say, scale)
             for scenario, out_dir, again in zip(scenarios, out_dirs, resumes)]
    summaries: list[RunSummary | None] = [None] * len(plans)
    todo = sum(len(plan.todo) for plan in plans)
    label = scenarios[0].name if len(scenarios) == 1 else f"{len(scenarios)} scenarios"
    if executor is not None:
        opened = nullcontext(executor)
    else:
        # No pool for one replication (or none left): starting processes would cost more.
        local = workers if scheduler is not None or todo > 1 else 1
        opened = open_executor(min(local, max(todo, 1)) if scheduler is None else local,
                               scheduler)
    # The pool opens before the progress bar: a forking pool then forks before tqdm starts its
    # monitor thread (see simulation.runs.executors).
    with opened as running:
        # Loaded now, while the workers run, rather than after the last replication, when the
        # summary needs them: analysis and the scipy.special function its t-intervals use
        # (imported lazily there, so spawned workers, which import this module, never load scipy).
        from scipy.special import stdtrit  # noqa: F401

        import simulation.analysis.summaries  # noqa: F401
        ran_on = describe(running)

        def finish(index: int) -> None:
            summaries[index] = _finish_run(plans[index], replications, seed, years,
                                           workers, ran_on)
            if each_finished is not None:
                each_finished(running, index)

        with replication_bar(replications * len(plans), label,
                             initial=replications * len(plans) - todo, enabled=progress) as bar:
            _execute(running, plans, seed, years, replicate, bar, finish, warm_up)
        if then is not None:
            then(running, summaries)
    return summaries


def _finish_run(plan: _PlannedRun, replications: int, seed: int, years: float, workers: int,
                ran_on) -> RunSummary:
    """Combine a run's replication files into the contract's files and write its manifest."""
    from simulation.analysis.summaries import summarise

    scenario, out_dir, reps_dir = plan.scenario, plan.out_dir, plan.reps_dir
    wanted = range(replications)
    records = [json.loads(rep_paths(reps_dir, r)["record"].read_text(encoding="utf-8"))
               for r in wanted]
    monthly = pd.concat([read_rep(rep_paths(reps_dir, r)["monthly"], "month_end")
                         for r in wanted], ignore_index=True)
    annual = pd.concat([read_rep(rep_paths(reps_dir, r)["annual"], "financial_year")
                        for r in wanted], ignore_index=True)
    summary = pd.concat([summarise(monthly, "month_end"),
                         summarise(annual, "financial_year")], ignore_index=True)
    summary = summary.sort_values(["scenario", "period", "kpi"], kind="mergesort",
                                  ignore_index=True)
    write_csv_atomic(monthly[list(contract.MONTHLY_COLUMNS)], out_dir / contract.MONTHLY_FILE)
    write_csv_atomic(annual[list(contract.ANNUAL_COLUMNS)], out_dir / contract.ANNUAL_FILE)
    write_csv_atomic(summary, out_dir / contract.SUMMARY_FILE)
    # Every CSV's SHA-256, the replications' from their sealed records (the same for the same
    # scenario and seed, so outside ``timing``).
    checksums = {name: file_sha256(out_dir / name) for name in contract.CSV_COLUMNS}
    for rec in records:
        paths = rep_paths(reps_dir, rec["replication"])
        for kind in ("monthly", "annual"):
            checksums[paths[kind].relative_to(out_dir).as_posix()] = rec["sha256"][kind]

    total_wall_seconds = time.perf_counter() - plan.clock
    manifest = {
        **plan.config,
        # The authority's size in Southends (``--scale``); the scenario below is already scaled.
        "scale": plan.scale,
        "scenario": scenario.model_dump(mode="json"),
        "replications": replications,
        "start_date": scenario.start_date.isoformat(),
        "code_version": code_version(),
        "float_format": FLOAT_FORMAT,
        "checksums": checksums,
        # Which calibrated parameter set each replication used (None: no parameter uncertainty).
        "parameter_set_per_replication": [rec.get("parameter_set") for rec in records],
        # Each replication's lever effects, {parameter: value} (None: no lever uncertainty).
        "lever_draws_per_replication": [rec.get("lever_draws") for rec in records],
        "files": sorted(set(list_run_files(out_dir)) | {contract.MANIFEST_FILE}),
        "timing": {  # the only part allowed to differ between identical runs
            "started_at": plan.started_at,
            "total_wall_seconds": total_wall_seconds,
            "wall_seconds_per_replication": [rec.get("wall_seconds") for rec in records],
            "model_wall_seconds_per_replication": [rec.get("model_wall_seconds")
                                                   for rec in records],
            "event_counts": [rec.get("event_count") for rec in records],
            "peak_memory_mb_per_replication": [rec.get("peak_memory_mb") for rec in records],
            "workers": workers,
            "executor": ran_on,
            "replications_reused": plan.done,
        },
    }
    write_atomic(out_dir / contract.MANIFEST_FILE, json_text(manifest))
    return RunSummary(out_dir=out_dir, scenario_name=scenario.name, replications=replications,
                      seed=seed, years=years, replications_run=tuple(plan.todo),
                      replications_reused=tuple(plan.done), total_wall_seconds=total_wall_seconds,
                      problems=tuple(contract.validate_run_folder(out_dir)), summary=summary)

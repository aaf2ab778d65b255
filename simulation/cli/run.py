"""``cssim run`` (one scenario into a run folder) and ``cssim replications`` (how many a precision needs).

Owns the choice of output folder, the charts of a finished run and the short plain-English
summary printed after it. The work itself is ``simulation.runs.runner.run_experiment`` and
``simulation.runs.replication_count.run_pilot``.

Assumptions (output folder rules; cssim never deletes or overwrites a completed run)
----------------------------------------------------------------------------------------
- ``--out`` must not exist, or be an empty folder. A folder holding a completed run (it has
  ``manifest.json``) or anything else is refused: choose another ``--out``.
- If ``<out>.partial/`` exists, an earlier run was interrupted: without ``--resume`` cssim refuses
  (and says so); with ``--resume`` it reuses the replications already there, after checking they
  come from the same scenario, seed and years. ``--resume`` needs ``--out``, since the default
  folder name holds a new timestamp each time.
- ``--resume`` reuses a replication only when its files match their checksums and were made
  with the same arguments, code and libraries; the rest are recomputed, and one line says so
  (``simulation.runs.resume``). Replications beyond ``--replications`` are dropped.
- Exit codes: 0 success; 1 a replication failed (finished ones are kept in ``.partial`` for
  ``--resume``), the output broke the contract, or a fault in cssim; 2 bad input (including a
  runaway replication stopped by the engine's watchdog, a full disk); 130 interrupted; 143
  terminated.
"""

from __future__ import annotations

import importlib
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import click
import pandas as pd

from simulation.cli.common import (
    REPLICATIONS,
    SCALE,
    SEED,
    WORKERS,
    YEARS,
    CliFailure,
    FiniteFloat,
    at_scale,
    check_out_folder,
    check_run_covers_a_month,
    check_scheduler,
    load_scenario_file,
    one_line,
)
from simulation.cli.errors import replication_failure
from simulation.cli.workfolder import WorkFolder
from simulation.records import contract
from simulation.runs import runner
from simulation.runs.executors import ExecutorError

# (kpi, label) of the stocks reported after one year and at the end, in the order printed.
HEADLINE_STOCKS = (
    ("cla", "Children looked after"),
    ("cp_plans_open", "Children on child protection plans"),
    ("children_in_need", "Children in need"),
)


def _interval(row: pd.Series, fmt: str) -> str:
    if row["n"] <= 1:
        return f"{row['mean']:{fmt}} (one replication, no interval)"
    return f"{row['mean']:{fmt}} (95% CI {row['ci95_low']:{fmt}} to {row['ci95_high']:{fmt}})"


def _one_year_on(start: date) -> date:
    """The last day of the first simulated year (calendar arithmetic; 29 February -> 28th)."""
    try:
        return start.replace(year=start.year + 1) - timedelta(days=1)
    except ValueError:
        return start.replace(year=start.year + 1, day=28)


def _row_nearest(rows: pd.DataFrame, target: date) -> pd.Series:
    gaps = rows["period"].map(lambda text: abs((date.fromisoformat(text) - target).days))
    return rows.loc[gaps.idxmin()]  # idxmin keeps the first (earliest) on a tie


def _covers_financial_year(label: str, start: date, last_day: date) -> bool:
    """True when the run spans the whole of financial year ``label`` (1 April to 31 March)."""
    first_year = int(label[2:6])
    return start <= date(first_year, 4, 1) and date(first_year + 1, 3, 31) <= last_day


def headline_lines(summary: pd.DataFrame, start: date) -> list[str]:
    """Plain-English headline results from a summary frame; KPIs not present are left out.

    Parameters
    ----------
    summary : DataFrame
        ``kpis_summary.csv`` as a frame.
    start : date
        Scenario start date.

    Returns
    -------
    list of str
        Stocks after one year and at the last month end, then referrals a year in the first and
        last financial years the run covers in full. Periods are read from the data, so the
        lines do not depend on how the model counts the length of a year.
    """
    lines = []
    counted = summary[summary["n"] > 0]
    monthly = counted[counted["period"].map(contract.is_month_end)]
    if not monthly.empty:
        last_day = date.fromisoformat(monthly["period"].max())
        year_one = _one_year_on(start)
        for kpi, label in HEADLINE_STOCKS:
            rows = monthly[monthly["kpi"] == kpi]
            if rows.empty:
                continue
            # A separate year-one figure only when the run is clearly longer than a year.
            targets = [year_one, last_day] if (last_day - year_one).days > 180 else [last_day]
            parts = [f"{_interval(row, ',.0f')} at {row['period']}"
                     for row in (_row_nearest(rows, target) for target in targets)]
            lines.append(f"{label}: " + "; ".join(parts) + ".")
        referrals = counted[(counted["kpi"] == "referrals")
                            & counted["period"].map(contract.is_financial_year)]
        # A boolean Series: on a run with no annual rows the map would give an empty object
        # Series, which selects columns (none), not rows.
        covered = pd.Series([_covers_financial_year(label, start, last_day)
                             for label in referrals["period"]], index=referrals.index, dtype=bool)
        full = referrals[covered].sort_values("period")
        if not full.empty:
            chosen = full.iloc[[0, -1]] if len(full) > 1 else full
            parts = [f"{_interval(row, ',.0f')} in {row['period']}" for _, row in chosen.iterrows()]
            lines.append("Referrals a year: " + "; ".join(parts) + ".")
    return lines or ["No headline KPIs (cla, cp_plans_open, children_in_need, referrals) found."]


def _write_charts(folder: Path, summary: pd.DataFrame, scenario, executor=None) -> None:
    """Draw the charts: on the local pool's workers when there is one (in parallel, with
    matplotlib already imported there, see ``simulation.reports.chart_tasks``), else in this process."""
    try:
        if getattr(executor, "name", None) == "local-pool":
            from simulation.reports.chart_tasks import write_charts_on
            write_charts_on(executor, folder, summary, scenario)
        else:
            # Imported here, not at the top: matplotlib is slow to import and only a finished
            # run needs it.
            importlib.import_module("simulation.reports.run_charts").write_charts(folder, summary, scenario)
    except Exception as exc:  # a failed chart must not lose a finished run
        from simulation.reports.chart_tasks import warn_charts_not_written
        warn_charts_not_written(exc)
        return
    runner.update_manifest_files(folder)


def _choose_folders(out: Path | None, scenario_name: str, resume: bool) -> tuple[Path, Path]:
    if out is None:
        if resume:
            raise CliFailure("--resume needs --out: the folder of the run to continue")
        safe_name = re.sub(r"[^A-Za-z0-9_.-]+", "_", scenario_name) or "scenario"
        out = Path("outputs") / f"{safe_name}-{datetime.now():%Y%m%d-%H%M%S}"
    check_out_folder(out)
    partial = out.with_name(out.name + ".partial")
    if (out / contract.MANIFEST_FILE).is_file():
        raise CliFailure(f"{out} already holds a completed run; choose another --out "
                         "(cssim never overwrites a run)")
    if out.exists() and not (out.is_dir() and not any(out.iterdir())):
        raise CliFailure(f"{out} already exists and is not an empty folder; choose another --out")
    if partial.exists() and not partial.is_dir():
        raise CliFailure(f"{partial} is a file, where cssim builds the run; choose another --out")
    if partial.exists() and not resume:
        raise CliFailure(f"an interrupted run is in {partial}; add --resume to continue it, "
                         "or choose another --out")
    return out, partial


def say(line: str) -> None:
    """A one-line notice from the library (what a resumed run reuses), on stderr."""
    click.echo(f"cssim: {line}", err=True)


@click.command("run")
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(path_type=Path))
@click.option("--years", type=YEARS, required=True,
              help="Simulated years from the scenario's start date (one month to 30 years).")
@click.option("--replications", type=REPLICATIONS, required=True,
              help="Independent replications (numbered 0 to R-1; at most 10,000).")
@click.option("--seed", type=SEED, required=True,
              help="Base seed; replication r uses streams derived from (seed, r).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder [default: outputs/<scenario>-<YYYYmmdd-HHMMSS>].")
@click.option("--workers", type=WORKERS, default=1, show_default=True,
              help="Worker processes (at most the CPUs of this machine); results do not "
                   "depend on it.")
@click.option("--scheduler", default=None, metavar="ADDRESS", callback=check_scheduler,
              help="Run on Dask: 'local' for a LocalCluster of --workers processes, or a "
                   "scheduler address such as tcp://host:8786. Results do not depend on it.")
@click.option("--resume", is_flag=True, help="Continue the interrupted run in <out>.partial, "
              "reusing the replications whose files check out.")
@click.option("--scale", type=SCALE, default=1.0, show_default=True,
              help="An authority this many times Southend's size (a region: children, stocks, "
                   "arrivals, staff, carers and lump-sum costs multiplied; rates per child not).")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
@click.option("--parameter-uncertainty/--no-parameter-uncertainty", default=True,
              show_default=True,
              help="Draw each replication's calibrated parameter set (when the scenario has "
                   "them); off runs every replication at the calibrated point (chance alone).")
def run_command(scenario_path: Path, years: float, replications: int, seed: int,
                out: Path | None, workers: int, scheduler: str | None, resume: bool,
                progress: bool, parameter_uncertainty: bool, scale: float) -> int:
    """Run SCENARIO (a TOML file) and write the run folder."""
    scenario = load_scenario_file(scenario_path)
    check_run_covers_a_month(scenario, years)
    if not parameter_uncertainty:
        from simulation.scenario.parameter_sets import without_uncertainty
        scenario = without_uncertainty(scenario)
    scenario = at_scale(scenario, scale)
    out, partial = _choose_folders(out, scenario.name, resume)
    from simulation.reports import chart_tasks

    def charts(executor, summaries) -> None:  # while the pool is still open
        _write_charts(partial, summaries[0].summary, scenario, executor)

    with WorkFolder(partial, out, resume) as work:
        try:
            result = runner.run_experiment(scenario, replications=replications, seed=seed,
                                           years=years, workers=workers, out_dir=partial,
                                           resume=resume, progress=progress,
                                           scheduler=scheduler, warm_up=chart_tasks.warm_up,
                                           then=charts, say=say, scale=scale)
        except (runner.RunFolderError, ExecutorError, ValueError) as exc:
            raise CliFailure(one_line(exc)) from None
        except runner.ReplicationError as exc:
            raise replication_failure(exc, work) from None
        work.finish()  # the whole run appears at once, or not at all

    took = result.total_wall_seconds
    took_text = f"{took:.0f} s" if took < 90 else f"{took / 60:.1f} min"
    click.echo(f"Scenario {scenario.name}: {replications} replication(s) of {years:g} years "
               f"from {scenario.start_date.isoformat()}, seed {seed}, in {took_text}.")
    sets = getattr(scenario, "parameter_uncertainty", None)
    if sets is not None and sets.enabled:
        click.echo(f"Intervals include parameter uncertainty: each replication used one of "
                   f"{len(sets.sets)} calibrated parameter sets.")
    for line in headline_lines(result.summary, scenario.start_date):
        click.echo(line)
    click.echo(f"Results: {out}")
    for problem in result.problems:
        click.echo(f"cssim: warning: output breaks the contract: {problem}", err=True)
    return 1 if result.problems else 0


@click.command("replications")
@click.argument("scenario_path", metavar="SCENARIO", type=click.Path(path_type=Path))
@click.option("--kpi", required=True, help="KPI name from the output contract, e.g. cla.")
@click.option("--period", required=True,
              help="Financial year (FY2027-28) or month end (2028-03-31) of the KPI.")
@click.option("--precision", "target", type=FiniteFloat(0, 0.999, low_open=True),
              default=0.02, show_default=True,
              help="Wanted 95% CI half-width as a fraction of the mean (0.02 = +/-2%).")
@click.option("--pilot", type=click.IntRange(3, 10_000), default=20, show_default=True,
              help="Pilot replications to estimate the spread from.")
@click.option("--against", "against_path", type=click.Path(path_type=Path), default=None,
              metavar="OTHER_SCENARIO",
              help="Size the paired difference OTHER minus SCENARIO (common random numbers).")
@click.option("--seed", type=SEED, default=20230401, show_default=True,
              help="Base seed of the pilot.")
@click.option("--years", type=YEARS, default=None,
              help="Simulated years [default: the fewest whole years covering --period].")
@click.option("--workers", type=WORKERS, default=1, show_default=True,
              help="Worker processes.")
@click.option("--scheduler", default=None, metavar="ADDRESS", callback=check_scheduler,
              help="Dask scheduler: 'local' or an address (as for run).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Keep the pilot runs in this folder [default: a temporary folder].")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
def replications_command(scenario_path: Path, kpi: str, period: str, target: float, pilot: int,
                         against_path: Path | None, seed: int, years: float | None, workers: int,
                         scheduler: str | None, out: Path | None, progress: bool) -> int:
    """How many replications of SCENARIO give the chosen precision on one KPI."""
    from simulation.runs.replication_count import PilotError, answer_lines, run_pilot

    scenario = load_scenario_file(scenario_path)
    against = load_scenario_file(against_path) if against_path is not None else None
    if years is not None:
        check_run_covers_a_month(scenario, years)
    if out is not None:
        check_out_folder(out)
        if out.exists() and any(out.iterdir()):
            raise CliFailure(f"{out} already exists and is not empty; choose another --out")
    try:
        answer = run_pilot(scenario, kpi, period, target, pilot, seed, years=years,
                           against=against, workers=workers, scheduler=scheduler, out_dir=out,
                           progress=progress)
    except (PilotError, runner.RunFolderError, ExecutorError, ValueError) as exc:
        raise CliFailure(one_line(exc)) from None
    except runner.ReplicationError as exc:
        raise replication_failure(exc, None) from None
    for line in answer_lines(answer):
        click.echo(line)
    return 0

"""``cssim compare BASELINE SCENARIO...``: the scenarios with the same children, and their pack.

The work is ``simulation.runs.comparison.compare``; this module checks the arguments, builds the
folder as ``<out>.partial`` (locked, and removed if the command fails before any replication is
finished; ``simulation.cli.workfolder``) and moves it to ``<out>`` when whole (cssim never
overwrites), and prints the headline changes. A ``--target-year`` must be a financial year the
run covers in full.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from pathlib import Path

import click

from simulation.analysis.comparison import headline_changes, spend_lines_present
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
from simulation.cli.run import say
from simulation.cli.workfolder import WorkFolder
from simulation.engine.model import horizon_days
from simulation.records import contract
from simulation.records.calendar import label_of
from simulation.runs import runner
from simulation.runs.comparison import compare
from simulation.runs.executors import ExecutorError


def whole_financial_years(start: dt.date, years: float) -> list[str]:
    """The financial years (1 April to 31 March) a run from ``start`` covers in full."""
    last_day = start + dt.timedelta(days=horizon_days(start, years) - 1)
    first = start.year if start <= dt.date(start.year, 4, 1) else start.year + 1
    labels = []
    while dt.date(first + 1, 3, 31) <= last_day:
        labels.append(label_of(first))
        first += 1
    return labels


def check_target_year(target_year: str | None, savings_target, start: dt.date,
                      years: float) -> None:
    """Refuse a target year outside the run (or a target when the run has no whole year)."""
    if target_year is None and savings_target is None:
        return
    whole = whole_financial_years(start, years)
    if not whole:
        raise CliFailure(f"--savings-target and --target-year need a run covering a whole "
                         f"financial year (April to March); --years {years:g} from {start} "
                         "covers none")
    if target_year is not None and target_year not in whole:
        raise CliFailure(f"--target-year {target_year} is not a whole financial year of the run "
                         f"(from {start}, {years:g} years): expected {whole[0]} to {whole[-1]}")


@click.command("compare")
@click.argument("scenario_paths", metavar="BASELINE SCENARIO...", nargs=-1, required=True,
                type=click.Path(path_type=Path))
@click.option("--years", type=YEARS, required=True,
              help="Simulated years from the scenarios' start date (one month to 30 years).")
@click.option("--replications", type=REPLICATIONS, required=True,
              help="Replications per scenario (the same seeds in each; at most 10,000).")
@click.option("--seed", type=SEED, required=True, help="Base seed, shared.")
@click.option("--workers", type=WORKERS, default=1, show_default=True,
              help="Worker processes (at most the CPUs of this machine); results do not "
                   "depend on it.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Comparison folder [default: outputs/compare-<YYYYmmdd-HHMMSS>].")
@click.option("--savings-target", "savings_target", type=FiniteFloat(), default=None,
              help="A net saving (GBP, in --target-terms) wanted in --target-year.")
@click.option("--target-terms", type=click.Choice(["real", "cash"]), default="real", show_default=True,
              help="Terms the savings target is set in and tested in: real (2023-24 prices) or "
              "cash (under the inflation path, as medium-term financial plans are).")
@click.option("--target-year", default=None, help="Financial year of the target, e.g. FY2027-28 "
              "[default: the last full year].")
@click.option("--inflation-pct", default="3,2", show_default=True,
              help="Inflation path for cash figures: % a year from 2024-25, comma-separated, the "
              "last repeated (\"2\" is a flat 2%).")
@click.option("--scheduler", default=None, metavar="ADDRESS", callback=check_scheduler,
              help="Dask scheduler: 'local' or an address (as for run). Results do not depend on it.")
@click.option("--resume", is_flag=True, help="Continue the interrupted comparison in <out>.partial.")
@click.option("--scale", type=SCALE, default=1.0, show_default=True,
              help="Every scenario for an authority this many times Southend's size (as for run).")
@click.option("--progress/--no-progress", default=True, help="Show progress bars.")
@click.option("--pdf/--no-pdf", default=False, show_default=True,
              help="Also print the report to report.pdf with headless Chromium (make run does; skipped with a "
                   "warning when Chromium is missing).")
def compare_command(scenario_paths, years, replications, seed, workers, out, savings_target,
                    target_terms, target_year, inflation_pct, scheduler, resume, progress,
                    pdf, scale) -> int:
    """Run BASELINE and each SCENARIO with the same children; report differences and savings."""
    if len(scenario_paths) < 2:
        raise CliFailure("compare needs a baseline and at least one other scenario file")
    if target_year is not None and not contract.is_financial_year(target_year):
        raise CliFailure(f"--target-year must look like FY2027-28, got {target_year!r}")
    try:
        inflation = tuple(float(rate) for rate in str(inflation_pct).split(","))
    except ValueError:
        raise CliFailure(f"--inflation-pct must be numbers separated by commas, got {inflation_pct!r}") from None
    if not inflation or not all(-5 <= rate <= 20 for rate in inflation):
        raise CliFailure(f"--inflation-pct rates must lie in [-5, 20], got {inflation_pct!r}")
    inflation_pct = inflation[0] if len(inflation) == 1 else inflation
    scenarios = [at_scale(load_scenario_file(path), scale) for path in scenario_paths]
    names = [scenario.name for scenario in scenarios]
    if len(set(names)) != len(names):
        raise CliFailure(f"scenario names must differ (got {', '.join(names)})")
    check_run_covers_a_month(scenarios[0], years)
    check_target_year(target_year, savings_target, scenarios[0].start_date, years)
    if out is None:
        if resume:
            raise CliFailure("--resume needs --out: the folder of the comparison to continue")
        out = Path("outputs") / f"compare-{datetime.now():%Y%m%d-%H%M%S}"
    check_out_folder(out)
    partial = out.with_name(out.name + ".partial")
    if out.exists():
        raise CliFailure(f"{out} already exists; choose another --out (cssim never overwrites)")
    if partial.exists() and not partial.is_dir():
        raise CliFailure(f"{partial} is a file, where cssim builds the comparison; choose "
                         "another --out")
    if partial.exists() and not resume:
        raise CliFailure(f"an interrupted comparison is in {partial}; add --resume to continue "
                         "it, or choose another --out")
    with WorkFolder(partial, out, resume) as work:
        try:
            comparison = compare(scenarios, replications=replications, seed=seed, years=years,
                                 out_dir=partial, workers=workers, inflation_pct=inflation_pct,
                                 savings_target_gbp=savings_target, target_year=target_year,
                                 progress=progress, scheduler=scheduler, say=say,
                                 target_terms=target_terms, scale=scale, pdf=pdf)
        except (runner.RunFolderError, ExecutorError, ValueError) as exc:
            raise CliFailure(one_line(exc)) from None
        except runner.ReplicationError as exc:
            raise replication_failure(exc, work) from None
        if comparison.pdf_warning:
            click.echo(f"cssim: warning: {comparison.pdf_warning}", err=True)
        pdf_written = pdf and comparison.pdf_warning is None
        work.finish()
    click.echo(f"Compared {len(names) - 1} scenario(s) with {names[0]}: {replications} paired "
               f"replication(s) of {years:g} years, seed {seed}. Money in 2023-24 prices; spend "
               f"lines counted: {', '.join(spend_lines_present(comparison)) or 'none'}.")
    for name in names[1:]:
        click.echo(f"{name}:")
        for line in headline_changes(comparison, name):
            click.echo(f"  {line}")
    click.echo(f"Results: {out} (workbook, charts, report.html{', report.pdf' if pdf_written else ''}, "
               "slides.pptx)")
    for problem in comparison.problems:
        click.echo(f"cssim: warning: output breaks the contract: {problem}", err=True)
    return 1 if comparison.problems else 0


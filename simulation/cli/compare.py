"""``cssim compare BASELINE SCENARIO...``: the scenarios with the same children, and their pack.

The work is ``simulation.runs.comparison.compare``; this module checks the arguments, builds the
folder as ``<out>.partial`` and moves it to ``<out>`` when whole (cssim never overwrites), and
prints the headline changes.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import click

from simulation.analysis.comparison import headline_changes, spend_lines_present
from simulation.cli.common import CliFailure, load_scenario_file, one_line
from simulation.records import contract
from simulation.runs import runner
from simulation.runs.comparison import compare


@click.command("compare")
@click.argument("scenario_paths", metavar="BASELINE SCENARIO...", nargs=-1, required=True,
                type=click.Path(path_type=Path))
@click.option("--years", type=click.FloatRange(min=0, min_open=True), required=True,
              help="Simulated years from the scenarios' start date.")
@click.option("--replications", type=click.IntRange(min=1), required=True,
              help="Replications per scenario (the same seeds in each).")
@click.option("--seed", type=click.IntRange(min=0), required=True, help="Base seed, shared.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes; results do not depend on it.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Comparison folder [default: outputs/compare-<YYYYmmdd-HHMMSS>].")
@click.option("--savings-target", "savings_target", type=float, default=None,
              help="A net saving (GBP, 2023-24 prices) wanted in --target-year.")
@click.option("--target-year", default=None, help="Financial year of the target, e.g. FY2027-28 "
              "[default: the last full year].")
@click.option("--inflation-pct", type=click.FloatRange(min=-5, max=20), default=2.0,
              show_default=True, help="Inflation a year after 2023-24 for cash figures.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler: 'local' or an address (as for run). Results do not depend on it.")
@click.option("--resume", is_flag=True, help="Continue the interrupted comparison in <out>.partial.")
@click.option("--progress/--no-progress", default=True, help="Show progress bars.")
def compare_command(scenario_paths, years, replications, seed, workers, out, savings_target,
                    target_year, inflation_pct, scheduler, resume, progress) -> int:
    """Run BASELINE and each SCENARIO with the same children; report differences and savings."""
    if len(scenario_paths) < 2:
        raise CliFailure("compare needs a baseline and at least one other scenario file")
    if target_year is not None and not contract.is_financial_year(target_year):
        raise CliFailure(f"--target-year must look like FY2027-28, got {target_year!r}")
    scenarios = [load_scenario_file(path) for path in scenario_paths]
    names = [scenario.name for scenario in scenarios]
    if len(set(names)) != len(names):
        raise CliFailure(f"scenario names must differ (got {', '.join(names)})")
    if out is None:
        out = Path("outputs") / f"compare-{datetime.now():%Y%m%d-%H%M%S}"
    partial = out.with_name(out.name + ".partial")
    if out.exists():
        raise CliFailure(f"{out} already exists; choose another --out (cssim never overwrites)")
    if partial.exists() and not resume:
        raise CliFailure(f"an interrupted comparison is in {partial}; add --resume to continue "
                         "it, or choose another --out")
    try:
        comparison = compare(scenarios, replications=replications, seed=seed, years=years,
                             out_dir=partial, workers=workers, inflation_pct=inflation_pct,
                             savings_target_gbp=savings_target, target_year=target_year,
                             progress=progress, scheduler=scheduler)
    except (runner.RunFolderError, ValueError) as exc:
        raise CliFailure(one_line(exc)) from None
    except runner.ReplicationError as exc:
        raise CliFailure(f"{one_line(exc)} (finished replications are kept in {partial}; rerun "
                         f"with --resume --out {out})", exit_code=1) from None
    os.replace(partial, out)
    click.echo(f"Compared {len(names) - 1} scenario(s) with {names[0]}: {replications} paired "
               f"replication(s) of {years:g} years, seed {seed}. Money in 2023-24 prices; spend "
               f"lines counted: {', '.join(spend_lines_present(comparison)) or 'none'}.")
    for name in names[1:]:
        click.echo(f"{name}:")
        for line in headline_changes(comparison, name):
            click.echo(f"  {line}")
    click.echo(f"Results: {out} (workbook, charts, report.html, slides.pptx)")
    for problem in comparison.problems:
        click.echo(f"cssim: warning: output breaks the contract: {problem}", err=True)
    return 1 if comparison.problems else 0


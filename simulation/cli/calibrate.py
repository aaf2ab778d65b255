"""``cssim calibrate``: fit the baseline to Southend's published figures and write the report.

The workflow is ``simulation.calibration.run.calibrate_baseline``; this module holds its options.
"""

from __future__ import annotations

from pathlib import Path

import click

from simulation.calibration import calibrate
from simulation.calibration.run import DEFAULT_OUT, DEFAULT_SCENARIO, calibrate_baseline


@click.command("calibrate")
@click.option("--scenario", "scenario_path", type=click.Path(path_type=Path, exists=True),
              default=DEFAULT_SCENARIO, show_default=True, help="Scenario to calibrate.")
@click.option("--targets", "targets_path", type=click.Path(path_type=Path, exists=True),
              default=calibrate.TARGETS_CSV, show_default=True, help="Targets file.")
@click.option("--replications", type=click.IntRange(min=1), default=12, show_default=True,
              help="Replications per evaluation (common random numbers). Each gives the mean "
                   "of model years 2-3, about as steady as two single years, so 12 is about as "
                   "precise as the 20 one-year replications used before, in 60% of the time.")
@click.option("--seed", type=click.IntRange(min=0), default=20230401, show_default=True)
@click.option("--fit/--no-fit", default=False, show_default=True,
              help="Fit calibrate.FIT_PARAMETERS inside their ranges and keep plausible sets.")
@click.option("--max-evaluations", type=click.IntRange(min=1), default=200, show_default=True,
              help="Most evaluations each fit's search may use (the Jacobian adds one per "
                   "fitted parameter).")
@click.option("--candidates", type=click.IntRange(min=1), default=40, show_default=True,
              help="Candidate parameter sets tried in the search for plausible sets.")
@click.option("--write/--no-write", default=None,
              help="Write the fitted values into the scenario file and the sets into --out "
                   "[default: with --fit, except --quick].")
@click.option("--validate/--no-validate", default=True, show_default=True,
              help="Rolling-origin validation: project 2022-23 and 2023-24 from the stocks "
                   "before them (with --fit, each from a fit on the data to its origin only).")
@click.option("--uncertainty-replications", type=click.IntRange(min=0), default=40,
              show_default=True, help="Paired replications for the chance/parameter split (0: skip).")
@click.option("--holdout-replications", type=click.IntRange(min=0), default=40,
              show_default=True,
              help="Replications of seed + 1 (never seen by the fit) to judge the hit rate on "
                   "(0: skip).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
@click.option("--quick", is_flag=True,
              help="Check the machinery in seconds: 1 replication, a few evaluations, no write.")
@click.option("--out", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="Folder for report.md, the CSVs and parameter_sets.csv.")
def calibrate_command(scenario_path: Path, targets_path: Path, replications: int, seed: int,
                      fit: bool, max_evaluations: int, candidates: int, write: bool | None,
                      validate: bool, uncertainty_replications: int,
                      holdout_replications: int, workers: int,
                      progress: bool, quick: bool, out: Path) -> int:
    """Evaluate (and fit) the baseline against Southend's published figures; write the report."""
    if write and not fit:
        raise click.UsageError("--write needs --fit (there is nothing fitted to write)")
    return calibrate_baseline(scenario_path, targets_path, replications, seed, fit,
                              max_evaluations, candidates, write, validate,
                              uncertainty_replications, holdout_replications, workers, progress,
                              quick, out)

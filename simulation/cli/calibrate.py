"""``cssim calibrate``: fit the baseline to Southend's published figures and write the report.

The workflow is ``simulation.calibration.run.calibrate_baseline``; this module holds its options.

``--quick`` checks the machinery with one replication: its numbers mean nothing, so it never
writes where the committed calibration lives. Without ``--out`` it writes to
``outputs/calibrate-quick-<YYYYmmdd-HHMMSS>/``; ``--out calibration`` and ``--write`` are refused
with it, so ``git status`` stays clean after a quick check.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from simulation.calibration import calibrate
from simulation.calibration.run import DEFAULT_OUT, DEFAULT_SCENARIO, calibrate_baseline
from simulation.cli.common import REPLICATIONS, SEED, WORKERS, CliFailure, check_out_folder


@click.command("calibrate")
@click.option("--scenario", "scenario_path", type=click.Path(path_type=Path, exists=True),
              default=DEFAULT_SCENARIO, show_default=True, help="Scenario to calibrate.")
@click.option("--targets", "targets_path", type=click.Path(path_type=Path, exists=True),
              default=calibrate.TARGETS_CSV, show_default=True, help="Targets file.")
@click.option("--replications", type=REPLICATIONS, default=12, show_default=True,
              help="Replications per evaluation (common random numbers). Each gives the mean "
                   "of model years 1-3, steadier than a single year.")
@click.option("--seed", type=SEED, default=20230401, show_default=True)
@click.option("--fit/--no-fit", default=False, show_default=True,
              help="Fit calibrate.FIT_PARAMETERS inside their ranges and keep plausible sets.")
@click.option("--max-evaluations", type=click.IntRange(1, 10_000), default=200, show_default=True,
              help="Most evaluations each fit's search may use (the Jacobian adds one per "
                   "fitted parameter).")
@click.option("--candidates", type=click.IntRange(1, 10_000), default=40, show_default=True,
              help="Candidate parameter sets tried in the search for plausible sets.")
@click.option("--write/--no-write", default=None,
              help="Write the fitted values into the scenario file and the sets into --out "
                   "[default: with --fit, except --quick].")
@click.option("--validate/--no-validate", default=True, show_default=True,
              help="Rolling-origin validation: project 2022-23 and 2023-24 from the stocks "
                   "before them (with --fit, each from a fit on the data to its origin only).")
@click.option("--uncertainty-replications", type=click.IntRange(0, 10_000), default=40,
              show_default=True, help="Paired replications for the chance/parameter split (0: skip).")
@click.option("--holdout-replications", type=click.IntRange(0, 10_000), default=40,
              show_default=True,
              help="Replications of seed + 1 (never seen by the fit) to judge the hit rate on "
                   "(0: skip).")
@click.option("--workers", type=WORKERS, default=1, show_default=True)
@click.option("--progress/--no-progress", default=True, help="Show a progress bar.")
@click.option("--quick", is_flag=True,
              help="Check the machinery in seconds: 1 replication, a few evaluations, no write; "
                   "into outputs/calibrate-quick-<time>/ unless --out says otherwise.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help=f"Folder for report.md, the CSVs and parameter_sets.csv [default: {DEFAULT_OUT}; "
                   "with --quick, outputs/calibrate-quick-<YYYYmmdd-HHMMSS>].")
def calibrate_command(scenario_path: Path, targets_path: Path, replications: int, seed: int,
                      fit: bool, max_evaluations: int, candidates: int, write: bool | None,
                      validate: bool, uncertainty_replications: int,
                      holdout_replications: int, workers: int,
                      progress: bool, quick: bool, out: Path | None) -> int:
    """Evaluate (and fit) the baseline against Southend's published figures; write the report."""
    if write and not fit:
        raise click.UsageError("--write needs --fit (there is nothing fitted to write)")
    if quick and write:
        raise CliFailure("--quick runs one replication, whose numbers mean nothing: it never "
                         "writes fitted values (drop --write)")
    if out is None:
        out = (Path("outputs") / f"calibrate-quick-{datetime.now():%Y%m%d-%H%M%S}" if quick
               else DEFAULT_OUT)
    elif quick and out.resolve() == DEFAULT_OUT.resolve():
        raise CliFailure(f"--quick would overwrite the committed calibration in {DEFAULT_OUT} "
                         "with one-replication numbers; choose another --out")
    check_out_folder(out)
    return calibrate_baseline(scenario_path, targets_path, replications, seed, fit,
                              max_evaluations, candidates, write, validate,
                              uncertainty_replications, holdout_replications, workers, progress,
                              quick, out)

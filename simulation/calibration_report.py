"""``cssim calibrate``: evaluate (and optionally fit) the baseline, validate one year ahead, report.

Writes into ``--out`` (default ``calibration/``):

- ``report.md``: the hit rate and distance, the method in plain English, every target beside the
  simulated mean and its 95% interval (hit, miss, input or check), the fitted parameters (with
  ``--fit``), the first guess by arithmetic, and the one-year-ahead validation.
- ``figures/*.png``: the targets beside the simulation and the validation's errors
  (``simulation.calibration_charts``), linked from the report's "Charts" section.
- ``evaluation.csv``: the target table with the simulated columns; ``validation.csv``; with
  ``--fit``, ``fit_trace.csv`` (every parameter set tried, its distance and hit rate).

The one-year-ahead validation starts the scenario on 1 April 2022 from the published 31 March
2022 stock and projects to 31 March 2023; each 2022-23 figure (and the September 2022 census) is
set beside the projection with its error.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd

from simulation import calibrate, calibration_charts, price_base
from simulation.scenario import load_scenario

DEFAULT_SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "calibration"
VALIDATION_START = dt.date(2022, 4, 1)
VALIDATION_PERIODS = ("2022-23", "30 Sep 2022")


# ----------------------------------------------------------------------------- validation
def run_validation(scenario_path: Path, targets: pd.DataFrame, *, replications: int, seed: int,
             workers: int = 1, values: dict[str, float] | None = None) -> pd.DataFrame:
    """Project 2022-23 from the 31 March 2022 stock and set it beside the published year.

    Every 2022-23 and September 2022 figure is compared, including the 31 March 2023 stocks
    (inputs of the baseline, but projections here). The workforce starts from the September 2022
    census values in April 2022 (the scenario's workforce start is not dated), so the September
    2022 stocks are close to inputs; the table says so.
    """
    scenario = calibrate.with_values(scenario_path, values or {}, start_date=VALIDATION_START)
    rows = calibrate.compared(targets)
    rows = rows[rows["period"].isin(VALIDATION_PERIODS)].reset_index(drop=True)
    simulated = calibrate.simulate_targets(scenario, rows, replications=replications, seed=seed,
                                           years=1.0, workers=workers)
    table = calibrate.score(rows, simulated)
    table["error"] = table["gap"]
    table["error_pct"] = 100 * table["gap"] / table["value"].where(table["value"] != 0)
    table["note"] = np.where(table["kpi"].isin(("sw_fte", "sw_agency_fte", "sw_vacancies_fte",
                                                 "sw_agency_pct", "sw_vacancy_pct",
                                                 "sw_case_holders_fte", "sw_caseload_mean")),
                             "starts from this census", "")
    return table


# ----------------------------------------------------------------------------- Markdown
def _num(value: float, unit: str) -> str:
    if value != value:
        return "–"
    if unit == "GBP":
        return f"£{value / 1e6:,.1f}m"
    return f"{value:,.0f}" if unit == "count" else f"{value:,.1f}"


def _verdict(row) -> str:
    if row["role"] == "input":
        return "input"
    if row["sim_mean"] != row["sim_mean"]:
        return "not simulated"
    mark = "hit" if row["hit"] else ("miss, above" if row["gap"] > 0 else "miss, below")
    return mark if row["role"] == "target" else f"check: {mark}"


def target_table(table: pd.DataFrame) -> str:
    """Markdown table: measure, period, published, tolerance, simulated mean (95% interval), verdict."""
    lines = ["| Measure | Period | Published | Tolerance | Simulated mean (95% interval) | Result |",
             "|---|---|---|---|---|---|"]
    for _, row in table.iterrows():
        unit = row["unit"]
        sim = (f"{_num(row['sim_mean'], unit)} ({_num(row['sim_low'], unit)}–"
               f"{_num(row['sim_high'], unit)})")
        lines.append(f"| {row['label']} | {row['period']} | {_num(row['value'], unit)} | "
                     f"±{_num(row['tolerance'], unit)} | {sim} | {_verdict(row)} |")
    return "\n".join(lines)


def validation_table(table: pd.DataFrame) -> str:
    lines = ["| Measure | Period | Published | Projected mean (95% interval) | Error | Error % | "
             "Within tolerance | Note |", "|---|---|---|---|---|---|---|---|"]
    for _, row in table.iterrows():
        unit = row["unit"]
        pct = "–" if row["error_pct"] != row["error_pct"] else f"{row['error_pct']:+.0f}%"
        error = "–" if row["error"] != row["error"] else (
            f"{row['error']:+,.0f}" if unit == "count" else f"{row['error']:+,.1f}")
        lines.append(f"| {row['label']} | {row['period']} | {_num(row['value'], unit)} | "
                     f"{_num(row['sim_mean'], unit)} ({_num(row['sim_low'], unit)}–"
                     f"{_num(row['sim_high'], unit)}) | {error} | {pct} | "
                     f"{'yes' if row['hit'] else 'no'} | {row['note']} |")
    return "\n".join(lines)


METHOD = """## Method in plain English

- **Targets** (`calibration/targets.csv`, written by `calibration/build_targets.py` from the
  published figures): every Southend figure the model can reproduce for the years ending March
  2020 to 2023 (workforce census September 2019 to 2022), each with its source and a tolerance by
  one rule: counts, the larger of two Poisson standard errors (`2*sqrt(N)`) and half the published
  2019-2023 range; rates, the same carried to the rate; percentages, half the range and at least
  2 points. Starting stocks, population and the census values the workforce starts from are
  **inputs** and never count as hits. Figures outside the window, quoted second-hand (the
  November 2022 deep dive) or top-down (the 2024-25 spend outturn) are **checks**: shown, not counted.
- **Simulation**: the scenario is run R times (replications 0..R-1 of one seed: common random
  numbers, so two parameter sets differ by their effect, not by chance). Its first year, April
  2023 to March 2024 (workforce: 30 September 2023), is set beside every published year: the
  baseline is a status-quo projection, so it should sit inside the band the recent years vary in.
- **Scores**: a target is *hit* when the simulated mean lies within its tolerance. The *hit rate*
  is the share of counted targets hit; the *distance* is the mean of the squared gaps measured in
  tolerances (0 is perfect; 1 is one tolerance away on average).
- **Fitting** (`--fit`): a few uncertain parameters are moved inside the ranges the scenario
  gives them, by Nelder-Mead (a derivative-free search) on the distance with the same seeds at
  every step. Nothing is fitted by setting an output directly.
- **Validation**: the model starts on 1 April 2022 from the published 31 March 2022 stock and
  projects to March 2023; the table gives the error for each 2022-23 figure.
"""


def render(evaluation: calibrate.Evaluation, validation: pd.DataFrame | None, first_guess: str,
           scenario_path: Path, fitted: calibrate.Fit | None = None,
           baseline_before: calibrate.Evaluation | None = None, wall_seconds: float = 0.0) -> str:
    """The whole report as Markdown."""
    table = evaluation.table
    parts = [
        "# Calibration report",
        "",
        f"Scenario `{Path(scenario_path).name}`, {evaluation.replications} replication(s), seed "
        f"{evaluation.seed}; this run took {wall_seconds:.0f} s. Rerun with `cssim calibrate`.",
        "",
        f"**Hit rate: {evaluation.hits} of {evaluation.counted} targets "
        f"({100 * evaluation.hit_rate:.0f}%) within tolerance; distance {evaluation.distance:.2f}.**"
        " (The issue asks for at least 80% once calibrated.)",
        "",
    ]
    if fitted is not None and baseline_before is not None:
        parts += [
            "## Fitted parameters",
            "",
            f"Nelder-Mead, {len(fitted.trace)} evaluations of {evaluation.replications} "
            f"replication(s), {fitted.wall_seconds:.0f} s. Before: hit rate "
            f"{100 * baseline_before.hit_rate:.0f}%, distance {baseline_before.distance:.2f}; after: "
            f"{100 * evaluation.hit_rate:.0f}%, distance {evaluation.distance:.2f}. The fitted "
            "values are **not** written back into the scenario file yet.",
            "",
            "| Parameter | Range | Baseline | Fitted |",
            "|---|---|---|---|",
        ]
        before = calibrate.current_values(scenario_path, tuple(fitted.best))
        for name, value in fitted.best.items():
            low, high = calibrate.parameter_range(scenario_path, name)
            parts.append(f"| `{name}` | {low:g}–{high:g} | {before[name]:.4g} | {value:.4g} |")
        parts.append("")
    parts += [METHOD, "## Targets", "",
              "Counted targets and inputs (simulated: first year of the run; interval: 2.5th-97.5th "
              "percentile of replications).", "",
              target_table(table[table["role"] != "check"]), "",
              "## Checks (not counted)", "", price_base.note(load_scenario(scenario_path)), "",
              target_table(table[table["role"] == "check"]), "",
              first_guess]
    if validation is not None:
        hits = int(validation["hit"].sum())
        parts += ["## One-year-ahead validation", "",
                  f"Start 1 April 2022 from the 31 March 2022 stock, project to 31 March 2023 "
                  f"({evaluation.replications} replication(s)): {hits} of {len(validation)} "
                  "figures within tolerance. The parameters were set with 2022-23 figures in view, "
                  "so this is not yet out of sample (fitting on the years to March 2022 alone is "
                  "still to do).", "", validation_table(validation), ""]
    return "\n".join(parts)


# ----------------------------------------------------------------------------- command
@click.command("calibrate")
@click.option("--scenario", "scenario_path", type=click.Path(path_type=Path, exists=True),
              default=DEFAULT_SCENARIO, show_default=True, help="Scenario to calibrate.")
@click.option("--targets", "targets_path", type=click.Path(path_type=Path, exists=True),
              default=calibrate.TARGETS_CSV, show_default=True, help="Targets file.")
@click.option("--replications", type=click.IntRange(min=1), default=20, show_default=True,
              help="Replications per evaluation (common random numbers).")
@click.option("--seed", type=click.IntRange(min=0), default=20230401, show_default=True)
@click.option("--fit/--no-fit", default=False, show_default=True,
              help="Fit calibrate.FIT_PARAMETERS inside their ranges.")
@click.option("--max-evaluations", type=click.IntRange(min=1), default=30, show_default=True,
              help="Most evaluations the fit may use.")
@click.option("--validate/--no-validate", default=True, show_default=True,
              help="Run the one-year-ahead validation from 31 March 2022.")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--quick", is_flag=True,
              help="Check the machinery in seconds: 1 replication, 2 fit evaluations.")
@click.option("--out", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="Folder for report.md and the CSVs.")
def calibrate_command(scenario_path: Path, targets_path: Path, replications: int, seed: int,
                      fit: bool, max_evaluations: int, validate: bool, workers: int, quick: bool,
                      out: Path) -> int:
    """Evaluate the baseline against Southend's published figures and write the report."""
    clock = time.perf_counter()
    if quick:
        replications, max_evaluations = 1, 2
    targets = calibrate.load_targets(targets_path)
    from simulation.scenario import load_scenario
    from simulation.first_guess import markdown as first_guess_markdown
    before = calibrate.evaluate(load_scenario(scenario_path), targets, replications=replications,
                                seed=seed, workers=workers)
    evaluation, fitted, values = before, None, None
    if fit:
        fitted = calibrate.fit(scenario_path, targets, replications=replications, seed=seed,
                               max_evaluations=max_evaluations, workers=workers)
        evaluation, values = fitted.evaluation, fitted.best
    validation = (run_validation(scenario_path, targets, replications=replications, seed=seed,
                                 workers=workers, values=values) if validate else None)
    out.mkdir(parents=True, exist_ok=True)
    evaluation.table.to_csv(out / "evaluation.csv", index=False, float_format="%.6g")
    if validation is not None:
        validation.to_csv(out / "validation.csv", index=False, float_format="%.6g")
    if fitted is not None:
        fitted.trace.to_csv(out / "fit_trace.csv", index=False, float_format="%.6g")
    wall = time.perf_counter() - clock
    text = render(evaluation, validation, first_guess_markdown(targets, scenario_path),
                  scenario_path, fitted, before if fit else None, wall)
    # Charts beside the report (out/figures/*.png), linked from a section at its end.
    text += "\n" + calibration_charts.markdown(
        calibration_charts.write_charts(out, evaluation.table, validation))
    (out / "report.md").write_text(text, encoding="utf-8")
    click.echo(f"Calibration of {scenario_path.name}: {evaluation.hits} of {evaluation.counted} "
               f"targets within tolerance ({100 * evaluation.hit_rate:.0f}%), distance "
               f"{evaluation.distance:.2f}, {replications} replication(s), {wall:.0f} s.")
    if validation is not None:
        click.echo(f"Validation 2022-23 from 31 March 2022: {int(validation['hit'].sum())} of "
                   f"{len(validation)} figures within tolerance.")
    click.echo(f"Report: {out / 'report.md'}")
    return 0

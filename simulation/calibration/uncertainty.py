"""How much of a projection's interval is chance, and how much is parameter uncertainty.

A baseline run with parameter uncertainty draws replication r's parameter set from (seed, r)
(``simulation.scenario.parameter_sets``). The same replication run at the calibrated point differs from it
only by the parameters: the random numbers are common. So, for a measure X (children looked after
at the last 31 March, total spend over the run):

- **chance**: the variance of X over replications at the calibrated point, ``Var(X_point)``;
- **parameters**: the variance of the paired difference ``D = X_sets - X_point``, which removes
  the chance both share and leaves the spread the parameter sets add (plus their small
  interaction with chance);
- **total**: the variance of ``X_sets``, which a run with parameter uncertainty reports.

The share of the parameters is ``Var(D) / (Var(D) + Var(X_point))``. Pairing makes this far less
noisy than subtracting two variances from independent runs.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

from simulation.scenario import parameter_sets

#: Measures decomposed: (label, how it is read from a replication's annual KPIs).
MEASURES = ("Children looked after at the last 31 March", "Total spend over the run (GBP)")


def _measures(annual: pd.DataFrame) -> tuple[float, float]:
    years = sorted(annual["financial_year"].unique())
    cla = annual[(annual["kpi"] == "cla") & (annual["financial_year"] == years[-1])]["value"]
    spend = annual[annual["kpi"] == "spend_total_gbp"]["value"].sum()
    return float(cla.iloc[0]) if len(cla) else float("nan"), float(spend)


def _pair(args) -> tuple[float, float, float, float]:
    packed, seed, replication, years = args
    from simulation.runs.replication import replicate_with_model, unpack_scenario
    scenario = unpack_scenario(packed)
    drawn, _ = parameter_sets.for_replication(scenario, seed, replication)
    point = parameter_sets.without_uncertainty(scenario)
    _, annual_sets, _ = replicate_with_model(drawn, seed, replication, years)
    _, annual_point, _ = replicate_with_model(point, seed, replication, years)
    return (*_measures(annual_sets), *_measures(annual_point))


def decompose(scenario, *, replications: int, seed: int, years: float = 5.0,
              workers: int = 1, executor=None) -> pd.DataFrame:
    """One row per measure: mean, 95% interval with parameter sets and at the point, and the
    variance shares of chance and parameters. Requires a scenario with parameter uncertainty."""
    if getattr(scenario, "parameter_uncertainty", None) is None:
        raise ValueError(f"scenario {scenario.name!r} has no parameter uncertainty to decompose")
    from simulation.runs.replication import pack_scenario
    jobs = [(pack_scenario(scenario), seed, r, years) for r in range(replications)]
    if executor is not None:
        rows = list(executor.map(_pair, jobs))
    elif workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            rows = list(pool.map(_pair, jobs))
    else:
        rows = [_pair(job) for job in jobs]
    values = np.array(rows)
    out = []
    for i, label in enumerate(MEASURES):
        with_sets, point = values[:, i], values[:, i + len(MEASURES)]
        chance, parameters = np.var(point, ddof=1), np.var(with_sets - point, ddof=1)
        out.append({
            "measure": label, "replications": replications,
            "mean_with_parameter_sets": with_sets.mean(),
            "p2_5_with_parameter_sets": np.percentile(with_sets, 2.5),
            "p97_5_with_parameter_sets": np.percentile(with_sets, 97.5),
            "mean_at_point": point.mean(),
            "p2_5_at_point": np.percentile(point, 2.5),
            "p97_5_at_point": np.percentile(point, 97.5),
            "sd_total": np.std(with_sets, ddof=1), "sd_chance": np.sqrt(chance),
            "sd_parameters": np.sqrt(parameters),
            "parameter_share": parameters / (parameters + chance) if parameters + chance > 0 else np.nan,
        })
    return pd.DataFrame(out)


def markdown(table: pd.DataFrame, years: float) -> str:
    """The decomposition as a short Markdown section."""
    lines = [
        "## Chance and parameter uncertainty",
        "",
        f"The baseline over {years:g} years, {int(table['replications'].iloc[0])} replications, "
        "each run twice with the same random numbers: with its drawn parameter set and at the "
        "calibrated point. Chance is the spread at the point; the parameters' part is the spread "
        "of the paired difference (`simulation/calibration/uncertainty.py`).",
        "",
        "| Measure | Mean (95% interval) with parameter sets | At the point (chance alone) | "
        "SD chance | SD parameters | Parameters' share of the variance |",
        "|---|---|---|---|---|---|",
    ]
    for _, row in table.iterrows():
        money = "GBP" in row["measure"]
        fmt = (lambda v: f"£{v / 1e6:,.1f}m") if money else (lambda v: f"{v:,.0f}")
        lines.append(
            f"| {row['measure']} | {fmt(row['mean_with_parameter_sets'])} "
            f"({fmt(row['p2_5_with_parameter_sets'])}–{fmt(row['p97_5_with_parameter_sets'])}) | "
            f"{fmt(row['mean_at_point'])} ({fmt(row['p2_5_at_point'])}–{fmt(row['p97_5_at_point'])}) | "
            f"{fmt(row['sd_chance'])} | {fmt(row['sd_parameters'])} | "
            f"{100 * row['parameter_share']:.0f}% |")
    return "\n".join(lines) + "\n"


__all__ = ["MEASURES", "decompose", "markdown"]

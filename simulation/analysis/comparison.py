"""The comparison of scenarios against a baseline, from their run folders (no model runs).

Owns the paired differences against the first scenario (the baseline), the finance of each against
it, and the plain-English headline changes printed after ``cssim compare``. Running the scenarios
and writing the comparison folder is ``simulation.runs.comparison``.

Covers
------
- ``Comparison``: everything a comparison produced, for the tables, workbook, charts, report and
  slides.
- ``ComparisonParts`` / ``analyse``: each scenario's annual, monthly and summary frames read from
  ``<folder>/<scenario name>/``; paired differences (scenario minus baseline) per period and KPI
  with 95% t-intervals (``summaries.paired_differences``); savings by replication, their summary,
  spend by line (2023-24 prices, and cash under an inflation rate) and the finance summary (NPV,
  cumulative net saving, payback, probability of a savings target).

Assumptions
-----------
- The first scenario named is the baseline every other is compared with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from simulation.analysis import finance, summaries, uncertainty_split
from simulation.analysis.headlines import (  # noqa: F401 - the console's lines, named here too
    headline_changes,
    headline_differences,
    headline_label,
    money,
)
from simulation.records import contract
from simulation.records.calendar import first_year_of
from simulation.scenario import lever_effects

COMPARISON_FILES = {
    "annual": "comparison_annual.csv",
    "monthly": "comparison_monthly.csv",
    "savings_by_replication": "finance_savings_by_replication.csv",
    "savings": "finance_savings.csv",
    "spend_by_line": "finance_spend_by_line.csv",
    "summary": "finance_summary.csv",
    "uncertainty_split": "finance_uncertainty_split.csv",
    "drivers": "finance_drivers.csv",
    "manifest": "comparison.json",
}
#: The front door's headline measures (``headlines.HEADLINES`` chooses by a scenario's levers).
HEADLINE_KPIS = (
    ("referrals", "referrals", "flow"),
    ("children_in_need", "children in need", "stock"),
    ("cla", "children looked after", "stock"),
)


def spend_lines_present(comparison) -> list[str]:
    """Spend lines (``spend_<line>_gbp``) the baseline's run produced, without the total."""
    kpis = comparison.annual[comparison.base.name]["kpi"].unique()
    lines = sorted(kpi[len("spend_"):-len("_gbp")] for kpi in kpis
                   if kpi.startswith("spend_") and kpi.endswith("_gbp") and kpi != "spend_total_gbp")
    return lines


@dataclass
class Comparison:
    """Everything a comparison produced, for the outputs (workbook, charts, report, slides)."""

    folder: Path
    scenarios: list
    seed: int
    replications: int
    years: float
    inflation_pct: object
    savings_target_gbp: float | None
    target_year: str | None
    annual: dict[str, pd.DataFrame] = field(repr=False)
    monthly: dict[str, pd.DataFrame] = field(repr=False)
    summaries: dict[str, pd.DataFrame] = field(repr=False)
    differences_annual: pd.DataFrame = field(repr=False)
    differences_monthly: pd.DataFrame = field(repr=False)
    savings_by_replication: pd.DataFrame = field(repr=False)
    savings: pd.DataFrame = field(repr=False)
    spend_by_line: pd.DataFrame = field(repr=False)
    finance: dict[str, dict] = field(repr=False)
    problems: list[str] = field(default_factory=list)
    target_terms: str = "real"
    #: Why report.pdf was asked for and not printed (no Chromium, or it failed); else None.
    pdf_warning: str | None = None
    uncertainty_split: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)
    drivers: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def base(self):
        """The baseline scenario (the first named)."""
        return self.scenarios[0]

    @property
    def alternatives(self) -> list:
        """The scenarios compared with the baseline."""
        return self.scenarios[1:]


def _read(folder: Path, name: str, period: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype={"scenario": str, "kpi": str, period: str})


def finance_summary_frame(finance: dict[str, dict]) -> pd.DataFrame:
    """One row per scenario of ``finance.finance_summary`` results (flat, for CSV and the workbook)."""
    rows = []
    for name, result in finance.items():
        row = {"scenario": name, "first_year": result["horizon"]["first"],
               "last_year": result["horizon"]["last"]}
        for measure in ("npv_gbp", "cumulative_net_saving_gbp", "cumulative_gross_saving_gbp",
                        "cumulative_intervention_cost_gbp", "cumulative_cashable_net_saving_gbp",
                        "cumulative_cost_avoidance_gbp", "cumulative_capacity_released_gbp"):
            for key, value in result.get(measure, {}).items():
                row[f"{measure}_{key}"] = value
        row["payback_median_year"] = result["payback"]["median_year"] or "not within horizon"
        row["payback_share_within_horizon"] = result["payback"]["share_within_horizon"]
        target = result.get("target")
        if target:
            row |= {"target_gbp": target["gbp"], "target_year": target["financial_year"],
                    "target_probability": target["probability"],
                    "target_probability_ci95_low": target["ci95_low"],
                    "target_probability_ci95_high": target["ci95_high"],
                    "target_terms": target.get("terms", "real"), "target_prices": target.get("prices", "")}
        rows.append(row)
    return pd.DataFrame(rows)


class ComparisonParts:
    """``analyse``'s work one scenario at a time, baseline first.

    ``compare`` adds each scenario as soon as its run folder is written, while the workers run
    the later scenarios' replications, so that little is left to do after the last replication.
    The parts are the same pure functions of the same files, in the same order, as ``analyse``
    (which uses this class), so the comparison is the same to the last bit.
    """

    def __init__(self, folder: Path, names: list[str], inflation_pct=2.0,
                 savings_target_gbp: float | None = None, target_year: str | None = None,
                 target_terms: str = "real"):
        self.folder, self.names = Path(folder), list(names)
        self.inflation_pct, self.target_terms = inflation_pct, target_terms
        self.savings_target_gbp, self.target_year = savings_target_gbp, target_year
        self.annual, self.monthly, self.summaries = {}, {}, {}
        self.diff_annual, self.diff_monthly, self.per_rep, self.spend = [], [], [], []
        self.finance = {}

    @property
    def added(self) -> int:
        """How many scenarios (the first ones named) have been added."""
        return len(self.summaries)

    def add_next(self) -> str:
        """Read the next scenario's run folder and derive its share; returns its name."""
        name = self.names[self.added]
        folder = self.folder / name
        self.annual[name] = _read(folder, contract.ANNUAL_FILE, "financial_year")
        self.monthly[name] = _read(folder, contract.MONTHLY_FILE, "month_end")
        self.summaries[name] = _read(folder, contract.SUMMARY_FILE, "period")
        base = self.names[0]
        if name != base:
            self.diff_annual.append(summaries.paired_differences(
                self.annual[base], self.annual[name], "financial_year"))
            self.diff_monthly.append(summaries.paired_differences(
                self.monthly[base], self.monthly[name], "month_end"))
            savings = finance.savings_by_replication(self.annual[base], self.annual[name])
            if not savings.empty:
                self.per_rep.append(savings)
                self.finance[name] = finance.finance_summary(savings, self.savings_target_gbp,
                                                           self.target_year, self.target_terms,
                                                           self.inflation_pct)
        self.spend.append(finance.spend_by_line_summary(self.annual[name], self.inflation_pct))
        return name

    def comparison(self, scenarios: list, *, seed: int, replications: int,
                   years: float) -> Comparison:
        """The whole comparison, once every scenario has been added."""
        if self.added != len(self.names):
            raise RuntimeError(f"only {self.added} of {len(self.names)} scenarios analysed")
        empty = pd.DataFrame(columns=list(summaries.DIFFERENCE_COLUMNS))
        per_rep = self.per_rep
        savings_by_rep = pd.concat(per_rep, ignore_index=True) if per_rep else pd.DataFrame(
            columns=["scenario", "replication", "financial_year", *finance.SAVINGS_MEASURES])
        savings = (finance.summarise_measures(savings_by_rep, finance.SAVINGS_MEASURES) if per_rep
                   else pd.DataFrame())
        split, drivers = lever_split(self.folder, scenarios, savings_by_rep)
        return Comparison(
            folder=self.folder, scenarios=list(scenarios), seed=seed, replications=replications,
            years=years, inflation_pct=self.inflation_pct,
            savings_target_gbp=self.savings_target_gbp, target_year=self.target_year,
            annual=self.annual, monthly=self.monthly, summaries=self.summaries,
            differences_annual=(pd.concat(self.diff_annual, ignore_index=True)
                                if self.diff_annual else empty),
            differences_monthly=(pd.concat(self.diff_monthly, ignore_index=True)
                                 if self.diff_monthly else empty),
            savings_by_replication=savings_by_rep, savings=savings,
            spend_by_line=pd.concat(self.spend, ignore_index=True), finance=self.finance,
            target_terms=self.target_terms, uncertainty_split=split, drivers=drivers)


def lever_split(folder: Path, scenarios: list, savings_by_rep: pd.DataFrame):
    """The three-way split of each scenario's net-saving spread and its drivers
    (``uncertainty_split``), from the run manifests' draws."""
    manifests, quantiles = {}, {}
    for scenario in scenarios[1:]:
        path = Path(folder) / scenario.name / contract.MANIFEST_FILE
        if path.exists():
            manifests[scenario.name] = json.loads(path.read_text())
            draws = [row for row in manifests[scenario.name].get("lever_draws_per_replication") or [] if row]
            names = sorted({name for row in draws for name in row})
            quantiles[scenario.name] = {name: lever_effects.quantiles(scenario, name) for name in names}
    if savings_by_rep.empty:
        return (pd.DataFrame(columns=list(uncertainty_split.SPLIT_COLUMNS)),
                pd.DataFrame(columns=list(uncertainty_split.DRIVER_COLUMNS)))
    return uncertainty_split.split_frames(savings_by_rep, manifests, quantiles)


def analyse(folder: Path, scenarios: list, *, seed: int, replications: int, years: float,
            inflation_pct=2.0, savings_target_gbp: float | None = None,
            target_year: str | None = None, target_terms: str = "real") -> Comparison:
    """Read the scenarios' run folders under ``folder`` and derive the comparison (no model runs).

    Parameters
    ----------
    folder : Path
        Holds one run folder per scenario, named by scenario.
    scenarios : list of Scenario
        Baseline first.
    seed, replications, years : int, int, float
        As run (recorded in ``comparison.json``).
    inflation_pct : float or sequence of float
        Inflation a year after 2023-24 for the cash view of spend (a path: rates from 2024-25,
        the last repeated).
    target_terms : {"real", "cash"}
        The terms the savings target is set in, and tested in.
    savings_target_gbp, target_year : optional
        A net saving wanted in a financial year; its probability is reported.
    """
    parts = ComparisonParts(folder, [scenario.name for scenario in scenarios], inflation_pct,
                            savings_target_gbp, target_year, target_terms)
    while parts.added < len(scenarios):
        parts.add_next()
    return parts.comparison(scenarios, seed=seed, replications=replications, years=years)


__all__ = ["COMPARISON_FILES", "Comparison", "ComparisonParts", "HEADLINE_KPIS", "analyse",
           "finance_summary_frame", "headline_changes", "headline_differences", "headline_label",
           "money", "spend_lines_present"]

"""Comparing scenarios: ``cssim compare BASELINE SCENARIO...`` and its library form ``compare``.

Owns running several scenarios with common random numbers, the paired differences against the
first scenario (the baseline), the finance of each against it, and the comparison folder.

Covers
------
- Each scenario runs into ``<out>/<scenario name>/`` (a complete run folder of the output
  contract, as ``runner.run_experiment`` writes it), all with the same seed: replication r of
  every scenario sees the same children, so differences are paired and tight. The scenarios share
  one executor (``runner.run_experiments``): one pool start, and no idle workers while a
  finished scenario's files are combined.
- ``comparison_annual.csv`` and ``comparison_monthly.csv``: paired differences (scenario minus
  baseline) per period and KPI with 95% t-intervals (``analysis.paired_differences``).
- ``finance_savings_by_replication.csv``, ``finance_savings.csv`` (mean, interval, P10/P50/P90 per
  year and measure), ``finance_spend_by_line.csv`` (2023-24 prices, and cash under
  ``--inflation-pct``), ``finance_summary.csv`` (NPV, cumulative net saving, payback, probability
  of a savings target) and ``comparison.json`` (what was run; files).
- The scrutiny pack (workbook, charts, HTML report, slides) from ``simulation.scrutiny_pack``.
  On a local pool its charts are drawn on the workers (``simulation.chart_tasks``), which
  import matplotlib once they have no replication left, while this process writes the tables
  and the workbook; the files are the same byte for byte as when drawn here.

Assumptions
-----------
- The first scenario named is the baseline every other is compared with.
- A scenario that fails stops the comparison; finished replications stay in ``<out>.partial``
  and ``--resume`` continues (each scenario's run folder checks scenario, seed and years).
- Like ``cssim run``, the folder is built as ``<out>.partial`` and moved to ``<out>`` when whole.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click
import pandas as pd

from simulation import analysis, chart_tasks, contract, costs, runner

COMPARISON_FILES = {
    "annual": "comparison_annual.csv",
    "monthly": "comparison_monthly.csv",
    "savings_by_replication": "finance_savings_by_replication.csv",
    "savings": "finance_savings.csv",
    "spend_by_line": "finance_spend_by_line.csv",
    "summary": "finance_summary.csv",
    "manifest": "comparison.json",
}
HEADLINE_KPIS = (
    ("referrals", "referrals", "flow"),
    ("children_in_need", "children in need", "stock"),
    ("cla", "children looked after", "stock"),
)


#: The standard scenarios of the scrutiny pack, baseline first (``make run`` compares these; a test
#: keeps the Makefile's list the same).
STANDARD_SCENARIOS = (
    "baseline", "more_early_help", "threshold_refresh", "foster_fee_uplift",
    "recruitment_and_retention", "residential_step_down", "combined_package",
)


def headline_label(label: str, kind: str, financial_year: str) -> str:
    """"referrals in FY2027-28" for a flow; "children in need at 31 March 2028" for a stock."""
    if kind == "flow":
        return f"{label} in {financial_year}"
    return f"{label} at 31 March {costs.first_year_of(financial_year) + 1}"


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
    inflation_pct: float
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
    """One row per scenario of ``costs.finance_summary`` results (flat, for CSV and the workbook)."""
    rows = []
    for name, result in finance.items():
        row = {"scenario": name, "first_year": result["horizon"]["first"],
               "last_year": result["horizon"]["last"]}
        for measure in ("npv_gbp", "cumulative_net_saving_gbp"):
            for key, value in result[measure].items():
                row[f"{measure}_{key}"] = value
        row["payback_median_year"] = result["payback"]["median_year"] or "not within horizon"
        row["payback_share_within_horizon"] = result["payback"]["share_within_horizon"]
        target = result.get("target")
        if target:
            row |= {"target_gbp": target["gbp"], "target_year": target["financial_year"],
                    "target_probability": target["probability"],
                    "target_probability_ci95_low": target["ci95_low"],
                    "target_probability_ci95_high": target["ci95_high"]}
        rows.append(row)
    return pd.DataFrame(rows)


class ComparisonParts:
    """``analyse``'s work one scenario at a time, baseline first.

    ``compare`` adds each scenario as soon as its run folder is written, while the workers run
    the later scenarios' replications, so that little is left to do after the last replication.
    The parts are the same pure functions of the same files, in the same order, as ``analyse``
    (which uses this class), so the comparison is the same to the last bit.
    """

    def __init__(self, folder: Path, names: list[str], inflation_pct: float = 2.0,
                 savings_target_gbp: float | None = None, target_year: str | None = None):
        self.folder, self.names = Path(folder), list(names)
        self.inflation_pct = inflation_pct
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
            self.diff_annual.append(analysis.paired_differences(
                self.annual[base], self.annual[name], "financial_year"))
            self.diff_monthly.append(analysis.paired_differences(
                self.monthly[base], self.monthly[name], "month_end"))
            savings = costs.savings_by_replication(self.annual[base], self.annual[name])
            if not savings.empty:
                self.per_rep.append(savings)
                self.finance[name] = costs.finance_summary(savings, self.savings_target_gbp,
                                                           self.target_year)
        self.spend.append(costs.spend_by_line_summary(self.annual[name], self.inflation_pct))
        return name

    def comparison(self, scenarios: list, *, seed: int, replications: int,
                   years: float) -> Comparison:
        """The whole comparison, once every scenario has been added."""
        if self.added != len(self.names):
            raise RuntimeError(f"only {self.added} of {len(self.names)} scenarios analysed")
        empty = pd.DataFrame(columns=list(analysis.DIFFERENCE_COLUMNS))
        per_rep = self.per_rep
        savings_by_rep = pd.concat(per_rep, ignore_index=True) if per_rep else pd.DataFrame(
            columns=["scenario", "replication", "financial_year", *costs.SAVINGS_MEASURES])
        savings = (costs.summarise_measures(savings_by_rep, costs.SAVINGS_MEASURES) if per_rep
                   else pd.DataFrame())
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
            spend_by_line=pd.concat(self.spend, ignore_index=True), finance=self.finance)


def analyse(folder: Path, scenarios: list, *, seed: int, replications: int, years: float,
            inflation_pct: float = 2.0, savings_target_gbp: float | None = None,
            target_year: str | None = None) -> Comparison:
    """Read the scenarios' run folders under ``folder`` and derive the comparison (no model runs).

    Parameters
    ----------
    folder : Path
        Holds one run folder per scenario, named by scenario.
    scenarios : list of Scenario
        Baseline first.
    seed, replications, years : int, int, float
        As run (recorded in ``comparison.json``).
    inflation_pct : float
        Inflation a year after 2023-24 for the cash view of spend.
    savings_target_gbp, target_year : optional
        A net saving wanted in a financial year; its probability is reported.
    """
    parts = ComparisonParts(folder, [scenario.name for scenario in scenarios], inflation_pct,
                            savings_target_gbp, target_year)
    while parts.added < len(scenarios):
        parts.add_next()
    return parts.comparison(scenarios, seed=seed, replications=replications, years=years)


def write_tables(comparison: Comparison) -> list[str]:
    """Write the comparison CSV files and ``comparison.json``; returns the file names."""
    folder = comparison.folder
    tables = {
        "annual": comparison.differences_annual, "monthly": comparison.differences_monthly,
        "savings_by_replication": comparison.savings_by_replication, "savings": comparison.savings,
        "spend_by_line": comparison.spend_by_line,
        "summary": finance_summary_frame(comparison.finance),
    }
    for key, frame in tables.items():
        runner.write_csv_atomic(frame, folder / COMPARISON_FILES[key])
    return [COMPARISON_FILES[key] for key in tables]


def write_manifest(comparison: Comparison, files: list[str]) -> None:
    """``comparison.json``: the scenarios (baseline first), seed, replications, options, files."""
    manifest = {
        "baseline": comparison.base.name,
        "scenarios": [scenario.name for scenario in comparison.scenarios],
        "seed": comparison.seed, "replications": comparison.replications, "years": comparison.years,
        "price_base": costs.PRICE_BASE_YEAR, "discount_rate": costs.GREEN_BOOK_RATE,
        "inflation_pct_for_cash": comparison.inflation_pct,
        "savings_target_gbp": comparison.savings_target_gbp, "target_year": comparison.target_year,
        "code_version": runner.code_version(),
        "files": sorted(files + [COMPARISON_FILES["manifest"]]),
    }
    runner.write_atomic(comparison.folder / COMPARISON_FILES["manifest"], runner.json_text(manifest))


class _HeadStart:
    """``compare``'s head start on its own work, done while the workers still run replications.

    Each scenario is analysed (``ComparisonParts``) as soon as its run folder is written,
    baseline first, and on a local pool its fan chart is started (``chart_tasks.PackCharts``).
    Any problem here and ``ok`` turns false: ``analyse`` then reads everything after the last
    replication, as it always did, and raises the problem there.
    """

    def __init__(self, parts: ComparisonParts, pack: bool):
        self.parts, self.pack = parts, pack
        self.written: set[int] = set()
        self.ok = True
        self.charts = None

    def scenario_written(self, executor, index: int) -> None:
        """``run_experiments``' ``each_finished``: scenario ``index``'s folder is complete."""
        self.written.add(index)
        if not self.ok:
            return
        names = self.parts.names
        try:
            if self.pack and executor.name == "local-pool" and self.charts is None:
                self.charts = chart_tasks.PackCharts(executor, names)
            # Scenarios may finish out of order; they are analysed in order, baseline first.
            while self.parts.added < len(names) and self.parts.added in self.written:
                name = self.parts.add_next()
                if self.charts is not None:
                    self.charts.start_fan(name, self.parts.summaries)
        except Exception:  # noqa: BLE001 - only a head start: analyse() redoes it and raises
            self.ok = False


def compare(scenarios: list, *, replications: int, seed: int, years: float, out_dir,
            workers: int = 1, inflation_pct: float = 2.0, savings_target_gbp: float | None = None,
            target_year: str | None = None, progress: bool = False, pack: bool = True,
            scheduler: str | None = None) -> Comparison:
    """Run scenarios with common random numbers and compare each with the first.

    Parameters
    ----------
    scenarios : list of Scenario
        Baseline first; names must differ.
    replications, seed, years, workers
        As for ``runner.run_experiment``; the same seed for every scenario.
    out_dir : path
        The comparison folder (absent or empty).
    inflation_pct, savings_target_gbp, target_year
        See ``analyse``.
    progress : bool
        One progress bar over all the scenarios' replications.
    pack : bool
        Also write the workbook, charts, HTML report and slides.
    scheduler : str, optional
        Dask scheduler for the replications (as for ``cssim run --scheduler``).

    Returns
    -------
    Comparison
    """
    names = [scenario.name for scenario in scenarios]
    if len(names) < 2:
        raise ValueError("compare needs a baseline and at least one other scenario")
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must differ, got {names}")
    if target_year is not None and not contract.is_financial_year(target_year):
        raise ValueError(f"target year must look like FY2027-28, got {target_year!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    folders = [out_dir / scenario.name for scenario in scenarios]
    head_start = _HeadStart(ComparisonParts(out_dir, names, inflation_pct, savings_target_gbp,
                                            target_year), pack)
    finished = {}

    def finish_comparison(executor, _summaries) -> None:
        """The comparison's own files, while the executor is still open: on a local pool the
        workers draw the pack's charts while this process writes the tables and the workbook."""
        if head_start.ok:
            comparison = head_start.parts.comparison(scenarios, seed=seed,
                                                     replications=replications, years=years)
        else:
            comparison = analyse(out_dir, scenarios, seed=seed, replications=replications,
                                 years=years, inflation_pct=inflation_pct,
                                 savings_target_gbp=savings_target_gbp, target_year=target_year)
        charts_on_pool = None
        if pack and executor.name == "local-pool":
            charts_on_pool = head_start.charts if head_start.ok else None
            if charts_on_pool is None:
                charts_on_pool = chart_tasks.PackCharts(executor, names)
            charts_on_pool.start_rest(comparison)
        files = write_tables(comparison)
        if pack:
            from simulation.scrutiny_pack import write_pack
            files += write_pack(comparison, charts_on_pool=charts_on_pool)
        write_manifest(comparison, files)
        finished["comparison"] = comparison

    results = runner.run_experiments(scenarios, replications=replications, seed=seed, years=years,
                                     workers=workers, out_dirs=folders,
                                     resume=[folder.exists() for folder in folders],
                                     progress=progress, scheduler=scheduler,
                                     warm_up=chart_tasks.warm_up_pack if pack else None,
                                     then=finish_comparison,
                                     each_finished=head_start.scenario_written)
    comparison = finished["comparison"]
    comparison.problems = [f"{result.scenario_name}: {problem}" for result in results
                           for problem in result.problems]
    return comparison


# --- the printed summary -----------------------------------------------------------------------
def _money(value: float) -> str:
    if value != value:
        return "n/a"
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}£{value / 1e6:.2f}m" if value >= 1e5 else f"{sign}£{value:,.0f}"


def headline_differences(comparison: Comparison, name: str) -> list[tuple[str, pd.Series]]:
    """(plain-English label, paired-difference row) of the headline KPIs in the last full year."""
    diffs = comparison.differences_annual
    diffs = diffs[diffs["alt_scenario"] == name]
    if diffs.empty:
        return []
    last_year = max(diffs["period"], key=costs.first_year_of)
    found = []
    for kpi, label, kind in HEADLINE_KPIS:
        row = diffs[(diffs["kpi"] == kpi) & (diffs["period"] == last_year)]
        if not row.empty:
            found.append((headline_label(label, kind, last_year), row.iloc[0]))
    return found


def headline_changes(comparison: Comparison, name: str) -> list[str]:
    """Plain-English headline changes of one scenario against the baseline, with intervals."""
    lines = [f"{label}: {row['mean_difference']:+,.0f} "
             f"(95% CI {row['ci95_low']:+,.0f} to {row['ci95_high']:+,.0f}; "
             f"baseline {row['base_mean']:,.0f})"
             for label, row in headline_differences(comparison, name)]
    finance = comparison.finance.get(name)
    if finance:
        cumulative, npv = finance["cumulative_net_saving_gbp"], finance["npv_gbp"]
        horizon = f"{finance['horizon']['first']} to {finance['horizon']['last']}"
        lines.append(f"net saving {horizon}: {_money(cumulative['mean'])} (95% CI "
                     f"{_money(cumulative['ci95_low'])} to {_money(cumulative['ci95_high'])}; "
                     f"P10 {_money(cumulative['p10'])}, P90 {_money(cumulative['p90'])}); "
                     f"NPV at 3.5% {_money(npv['mean'])}; payback "
                     f"{finance['payback']['median_year'] or 'not within the horizon'}")
        target = finance.get("target")
        if target:
            lines.append(f"chance of a net saving of at least {_money(target['gbp'])} in "
                         f"{target['financial_year']}: {100 * target['probability']:.0f}% "
                         f"({target['n']} replications)")
    return lines


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
    from simulation.cli import CliFailure, _load, _one_line
    if len(scenario_paths) < 2:
        raise CliFailure("compare needs a baseline and at least one other scenario file")
    if target_year is not None and not contract.is_financial_year(target_year):
        raise CliFailure(f"--target-year must look like FY2027-28, got {target_year!r}")
    scenarios = [_load(path) for path in scenario_paths]
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
        raise CliFailure(_one_line(exc)) from None
    except runner.ReplicationError as exc:
        raise CliFailure(f"{_one_line(exc)} (finished replications are kept in {partial}; rerun "
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


__all__ = ["COMPARISON_FILES", "Comparison", "analyse", "compare", "compare_command",
           "finance_summary_frame", "headline_changes", "headline_differences"]

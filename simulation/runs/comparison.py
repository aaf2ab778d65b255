"""Comparing scenarios: the library form of ``cssim compare BASELINE SCENARIO...``.

Owns running several scenarios with common random numbers and writing the comparison folder; the
differences and finance themselves are ``simulation.analysis.comparison``.

Covers
------
- Each scenario runs into ``<out>/<scenario name>/`` (a complete run folder of the output
  contract, as ``runner.run_experiment`` writes it), all with the same seed: replication r of
  every scenario sees the same children, so differences are paired and tight. The scenarios share
  one executor (``runner.run_experiments``): one pool start, and no idle workers while a
  finished scenario's files are combined.
- ``comparison_annual.csv`` and ``comparison_monthly.csv``: paired differences (scenario minus
  baseline) per period and KPI with 95% t-intervals (``simulation.analysis.summaries.paired_differences``).
- ``finance_savings_by_replication.csv``, ``finance_savings.csv`` (mean, interval, P10/P50/P90 per
  year and measure), ``finance_spend_by_line.csv`` (2023-24 prices, and cash under
  ``--inflation-pct``), ``finance_summary.csv`` (NPV, cumulative net saving, payback, probability
  of a savings target) and ``comparison.json`` (what was run; files).
- The scrutiny pack (workbook, charts, HTML report, slides) from ``simulation.reports.scrutiny_pack``.
  On a local pool its charts are drawn on the workers (``simulation.reports.chart_tasks``), which
  import matplotlib once they have no replication left, while this process writes the tables
  and the workbook; the files are the same byte for byte as when drawn here.

Assumptions
-----------
- The first scenario named is the baseline every other is compared with.
- A scenario that fails stops the comparison; finished replications stay in ``<out>.partial``
  and ``--resume`` continues (each scenario's run folder checks scenario, seed and years).
- ``cssim compare`` (``simulation.cli.compare``) builds the folder as ``<out>.partial`` and moves
  it to ``<out>`` when whole, as ``cssim run`` does.
"""

from __future__ import annotations

from pathlib import Path

from simulation.analysis import finance
from simulation.analysis.comparison import (
    COMPARISON_FILES,
    Comparison,
    ComparisonParts,
    analyse,
    finance_summary_frame,
)
from simulation.records import contract
from simulation.reports import chart_tasks
from simulation.runs import runfolder, runner

#: The standard scenarios of the scrutiny pack, baseline first (``make run`` compares these; a test
#: keeps the Makefile's list the same).
STANDARD_SCENARIOS = (
    "baseline", "more_early_help", "threshold_refresh", "foster_fee_uplift",
    "recruitment_and_retention", "residential_step_down", "combined_package",
)


def write_tables(comparison: Comparison) -> list[str]:
    """Write the comparison CSV files and ``comparison.json``; returns the file names."""
    folder = comparison.folder
    tables = {
        "annual": comparison.differences_annual, "monthly": comparison.differences_monthly,
        "savings_by_replication": comparison.savings_by_replication, "savings": comparison.savings,
        "spend_by_line": comparison.spend_by_line,
        "summary": finance_summary_frame(comparison.finance),
        "uncertainty_split": comparison.uncertainty_split, "drivers": comparison.drivers,
    }
    for key, frame in tables.items():
        runner.write_csv_atomic(frame, folder / COMPARISON_FILES[key])
    return [COMPARISON_FILES[key] for key in tables]


def write_run_charts(comparison: Comparison, executor=None) -> None:
    """Each scenario folder's projection and placement-mix charts, as ``cssim run`` draws them
    (on the pool's workers when there is one), listed in its manifest. A chart that fails warns
    and never loses the comparison."""
    try:
        for scenario in comparison.scenarios:
            folder = comparison.folder / scenario.name
            summary = comparison.summaries[scenario.name]
            if executor is not None and executor.name == "local-pool":
                chart_tasks.write_charts_on(executor, folder, summary, scenario)
            else:
                from simulation.reports.run_charts import write_charts
                write_charts(folder, summary, scenario)
            runfolder.update_manifest_files(folder)
    except Exception as exc:  # noqa: BLE001 - a failed chart must not lose a finished comparison
        chart_tasks.warn_charts_not_written(exc)


def write_manifest(comparison: Comparison, files: list[str], scale: float = 1.0) -> None:
    """``comparison.json``: the scenarios (baseline first), seed, replications, options, files,
    and the authority's size in Southends (``scale``)."""
    manifest = {
        "baseline": comparison.base.name,
        "scale": scale,
        "scenarios": [scenario.name for scenario in comparison.scenarios],
        "seed": comparison.seed, "replications": comparison.replications, "years": comparison.years,
        "price_base": finance.PRICE_BASE_YEAR, "discount_rate": finance.GREEN_BOOK_RATE,
        "inflation_pct_for_cash": comparison.inflation_pct,
        "savings_target_gbp": comparison.savings_target_gbp, "target_year": comparison.target_year,
        "target_terms": comparison.target_terms,
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


def _print_report(comparison: Comparison) -> list[str]:
    """``report.pdf`` beside the report (its file name in a list), or none and the reason in
    ``comparison.pdf_warning``."""
    from simulation.reports.html_report import REPORT_FILE
    from simulation.reports.pdf import PDF_FILE, PdfUnavailable, write_pdf
    try:
        write_pdf(comparison.folder / REPORT_FILE)
    except PdfUnavailable as exc:
        comparison.pdf_warning = str(exc)
        return []
    return [PDF_FILE]


def compare(scenarios: list, *, replications: int, seed: int, years: float, out_dir,
            workers: int = 1, inflation_pct=2.0, savings_target_gbp: float | None = None,
            target_year: str | None = None, progress: bool = False, pack: bool = True,
            scheduler: str | None = None, executor=None, say=None,
            target_terms: str = "real", scale: float = 1.0, pdf: bool = False) -> Comparison:
    """Run scenarios with common random numbers and compare each with the first.

    Parameters
    ----------
    scenarios : list of Scenario
        Baseline first; names must differ.
    replications, seed, years, workers
        As for ``runner.run_experiment``; the same seed for every scenario.
    out_dir : path
        The comparison folder (absent or empty).
    inflation_pct, savings_target_gbp, target_year, target_terms
        See ``analyse``.
    progress : bool
        One progress bar over all the scenarios' replications.
    pack : bool
        Also write the workbook, charts, HTML report and slides.
    pdf : bool
        With the pack, also print the report to ``report.pdf`` (headless Chromium), listed in
        ``comparison.json`` like every other file; when it cannot be printed the rest is kept
        and ``Comparison.pdf_warning`` says why.
    scheduler : str, optional
        Dask scheduler for the replications (as for ``cssim run --scheduler``).
    executor : optional
        An executor already open (``runs.executors.open_executor``) that the caller keeps open
        between comparisons (the leaders' page keeps its pool warm); ``workers`` and
        ``scheduler`` are then not used. Results do not depend on it.
    say : callable, optional
        ``say(line)``: what each resumed scenario's folder reuses (``runner.run_experiments``).
    scale : float
        The size in Southends the scenarios were scaled to (``scale_scenario``, applied by the
        caller to every one alike); recorded in every manifest and in ``comparison.json``.

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
                                            target_year, target_terms), pack)
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
                                 savings_target_gbp=savings_target_gbp, target_year=target_year,
                                 target_terms=target_terms)
        charts_on_pool = None
        if pack and executor.name == "local-pool":
            charts_on_pool = head_start.charts if head_start.ok else None
            if charts_on_pool is None:
                charts_on_pool = chart_tasks.PackCharts(executor, names)
            charts_on_pool.start_rest(comparison)
        files = write_tables(comparison)
        if pack:
            from simulation.reports.scrutiny_pack import write_pack
            files += write_pack(comparison, charts_on_pool=charts_on_pool)
            write_run_charts(comparison, executor)
            if pdf:
                files += _print_report(comparison)
        write_manifest(comparison, files, scale)
        finished["comparison"] = comparison

    results = runner.run_experiments(scenarios, replications=replications, seed=seed, years=years,
                                     workers=workers, out_dirs=folders,
                                     resume=[folder.exists() for folder in folders],
                                     progress=progress, scheduler=scheduler, executor=executor,
                                     warm_up=chart_tasks.warm_up_pack if pack else None,
                                     then=finish_comparison,
                                     each_finished=head_start.scenario_written, say=say,
                                     scale=scale)
    comparison = finished["comparison"]
    comparison.problems = [f"{result.scenario_name}: {problem}" for result in results
                           for problem in result.problems]
    return comparison


__all__ = ["STANDARD_SCENARIOS", "compare", "write_manifest", "write_run_charts", "write_tables"]

"""The finance officers' Excel workbook of a comparison (openpyxl): numbers, not pictures.

Owns ``scrutiny_workbook.xlsx``: one sheet per view, each a plain table with a header row, money
as numbers formatted in pounds, so a finance officer can filter, sum and re-use them.

Sheets
------
- ``Read me``: what was run, the price base, discounting, inflation, what each measure means.
- ``Summary``: per scenario, net present value, cumulative net saving, payback, target probability.
- ``Savings``: per scenario, financial year and measure: mean, 95% interval, P10/P50/P90.
- ``Spend real`` and ``Spend cash``: spend by budget line and year (2023-24 prices; cash).
- ``Uncertainty split`` and ``Drivers``: where the spread of the net saving comes from.
- ``Reconciliation`` and ``Bridge``: the baseline's 2024-25 spend beside the RO3 outturn.
- ``KPI differences``: paired differences against the baseline per year, with 95% intervals.
- ``Interventions``: each scenario's interventions: dates, phase-in, cost, levers and evidence.
- ``Assumptions``: every parameter of the baseline with its source or assumption and range, and
  each scenario's changes to it.

The tables are the comparison's CSV files, so the workbook's totals equal the CSV's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from simulation.analysis.comparison import finance_summary_frame
from simulation.analysis import reconciliation
from simulation.analysis.finance import PRICE_BASE_YEAR, cash_label, inflation_path
from simulation.records.files import save_atomic

WORKBOOK_FILE = "scrutiny_workbook.xlsx"
MONEY_FORMAT = '#,##0;[Red]-#,##0'
NUMBER_FORMAT = '#,##0.0'
STAT_COLUMNS = ("mean", "ci95_low", "ci95_high", "p10", "p50", "p90")


def parameter_rows(scenario) -> list[dict]:
    """Every parameter of a scenario as rows: name, value, source or assumption, range."""
    rows = []

    def walk(node, path):
        if isinstance(node, dict) and "value" in node and ("source" in node or "assumption" in node):
            value = node["value"]
            rows.append({"parameter": path, "value": value if isinstance(value, (int, float)) else json.dumps(value),
                         "source": node.get("source") or "", "assumption": node.get("assumption") or "",
                         "range": "" if node.get("range") is None else json.dumps(node["range"])})
        elif isinstance(node, dict):
            for key, child in node.items():
                walk(child, f"{path}.{key}" if path else key)

    walk(scenario.model_dump(mode="json"), "")
    return rows


def intervention_rows(scenario) -> list[dict]:
    """A scenario's intervention items and levers, one row per lever (or per item without one)."""
    section = getattr(scenario, "interventions", None)
    rows = []
    for key, item in (section.items.items() if section is not None else ()):
        common = {"scenario": scenario.name, "intervention": key, "description": item.description,
                  "start_date": item.start_date.isoformat(), "phase_in_months": item.phase_in_months,
                  "annual_cost_gbp": item.annual_cost_gbp.value,
                  "cost_end_date": item.cost_end_date.isoformat() if item.cost_end_date else "",
                  "cost_basis": item.annual_cost_gbp.source or item.annual_cost_gbp.assumption}
        levers = item.levers.items() or [(None, None)]
        for target, lever in levers:
            rows.append(common | {
                "lever": target or "", "multiplier": lever.value if lever else "",
                "range": json.dumps(lever.range) if lever and lever.range else "",
                "evidence": (lever.source or lever.assumption) if lever else ""})
    return rows


def _sheet(book: Workbook, title: str, frame: pd.DataFrame, money: tuple[str, ...] = (),
           numbers: tuple[str, ...] = (), note: str | None = None) -> None:
    sheet = book.create_sheet(title)
    row = 1
    if note:
        sheet.cell(row=1, column=1, value=note).font = Font(italic=True)
        row = 3
    for col, name in enumerate(frame.columns, start=1):
        cell = sheet.cell(row=row, column=col, value=str(name))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
    for values in frame.itertuples(index=False):
        row += 1
        for col, value in enumerate(values, start=1):
            if isinstance(value, float) and value != value:
                value = None
            cell = sheet.cell(row=row, column=col, value=value.item() if hasattr(value, "item") else value)
            name = frame.columns[col - 1]
            if name in money or any(name.startswith(prefix) for prefix in money if prefix.endswith("_")):
                cell.number_format = MONEY_FORMAT
            elif name in numbers:
                cell.number_format = NUMBER_FORMAT
    sheet.freeze_panes = sheet.cell(row=(3 if note else 1) + 1, column=1)
    for col, name in enumerate(frame.columns, start=1):
        width = max([len(str(name))] + [len(str(v)) for v in frame.iloc[:200, col - 1].tolist()])
        sheet.column_dimensions[get_column_letter(col)].width = min(max(10, width + 2), 60)


def read_me(comparison) -> pd.DataFrame:
    """The ``Read me`` sheet as two columns."""
    lines = [
        ("What", "Scenarios compared with the baseline by cssim, a simulation of Southend-on-Sea's "
                 "children's social care; each scenario saw the same simulated children (common random numbers)."),
        ("Baseline", comparison.base.name),
        ("Scenarios", ", ".join(s.name for s in comparison.alternatives)),
        ("Replications", comparison.replications), ("Seed", comparison.seed), ("Years", comparison.years),
        ("Price base", f"{PRICE_BASE_YEAR} prices (real terms) unless a sheet says cash"),
        ("Cash figures", "2023-24 prices inflated from 2024-25 at "
                         + ", ".join(f"{rate:g}%" for rate in inflation_path(comparison.inflation_pct))
                         + " a year (the last repeated; a stated path, not a forecast)"),
        ("Real price growth", "children's homes, agency foster care, supported accommodation and pay rise faster "
                              "than inflation by the rates in [cost_base] (Assumptions sheet); real figures include it"),
        ("Discounting", "HM Treasury Green Book 3.5% a year, real; first financial year is year 0 (not discounted)"),
        ("Saving", "baseline spend minus scenario spend; positive means money saved"),
        ("Intervention cost", "investment: every cost the scenario's levers cause - interventions, early help places, "
                              "the fee uplift, retention payments, extra posts, support, the step-down programme"),
        ("Gross saving", "what the levers' effects save = net saving + intervention cost"),
        ("Net saving", "gross saving less intervention cost = the fall in total spend"),
        ("Cashable", "the part of a line's gross saving that takes its spend below its budget at the start "
                     "(the baseline's first-year spend): a budget that can be taken out; a rise is a cash cost"),
        ("Cost avoidance", "the rest of a line's gross saving: growth above that budget not incurred"),
        ("Capacity released", "a fall in permanent social worker spend: time freed, cash only if posts are removed"),
        ("Savings target", f"tested in {comparison.target_terms} terms"),
        ("Reconciliation", "sheet Reconciliation: modelled 2024-25 spend beside the RO3 outturn with the bridge"),
        ("Intervals", "95% interval: where the average over replications lies; P10-P90: where 8 in 10 simulated futures fall"),
        ("Caution", "Intervals show chance, the calibration's parameter sets and each lever's effect drawn from its range "
                    "(sheet Uncertainty split); unit costs are held at their stated values (see Assumptions)"),
        ("Files", "The same tables are in the comparison folder as CSV files (finance_*.csv, comparison_*.csv)"),
    ]
    return pd.DataFrame(lines, columns=["item", "explanation"])


def _reconciliation_sheets(book: Workbook, comparison) -> None:
    """The baseline's 2024-25 spend beside the RO3 outturn, with the bridge (when the run has it)."""
    annual = comparison.annual.get(comparison.base.name)
    if annual is None or "FY2024-25" not in set(annual["financial_year"]) or not comparison.base.finance.outturn_overheads_share:
        return
    table = reconciliation.reconciliation_table(comparison.base, {"FY2024-25": annual})
    bridge = reconciliation.bridge_table(comparison.base, table)
    _sheet(book, "Reconciliation", table, money=("modelled_gbp_2024_25_prices", "outturn_gbp", "difference_gbp"),
           numbers=("difference_pct",),
           note="Baseline spend 2024-25 by RO3 line (2024-25 prices) beside the outturn (RO3 2024-25, cash).")
    _sheet(book, "Bridge", bridge, money=("gbp",),
           note="From the children looked after outturn to the outturn on the model's scope, and what is left.")


def write_workbook(comparison, path: Path | None = None) -> str:
    """Write the workbook into the comparison folder; returns its file name."""
    path = path or comparison.folder / WORKBOOK_FILE
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "Read me", read_me(comparison))
    summary = finance_summary_frame(comparison.finance)
    _sheet(book, "Summary", summary, money=("npv_gbp_", "cumulative_", "target_gbp"),
           note="Per scenario against the baseline, 2023-24 prices; npv = net present value at 3.5%.")
    if not comparison.savings.empty:
        _sheet(book, "Savings", comparison.savings, money=STAT_COLUMNS,
               note="Savings against the baseline by financial year (2023-24 prices).")
    spend = comparison.spend_by_line
    for prices, title in (("real_2023_24", "Spend real"), (cash_label(comparison.inflation_pct), "Spend cash")):
        rows = spend[spend["prices"] == prices].drop(columns="prices")
        if len(rows):
            _sheet(book, title, rows, money=STAT_COLUMNS,
                   note=f"Spend by budget line and financial year ({prices.replace('_', ' ')}).")
    if comparison.uncertainty_split is not None and not comparison.uncertainty_split.empty:
        _sheet(book, "Uncertainty split", comparison.uncertainty_split, numbers=(),
               money=("p10", "p90", "width_p10_p90", "width_without_lever_effect"),
               note="Spread of the cumulative net saving: variance shares of chance, calibration and lever effect.")
        _sheet(book, "Drivers", comparison.drivers, money=("net_saving_at_low", "net_saving_at_high", "swing"),
               note="What moves the net saving most: each driver's P10 and P90 (the tornado chart's numbers).")
    _reconciliation_sheets(book, comparison)
    _sheet(book, "KPI differences", comparison.differences_annual,
           numbers=("base_mean", "alt_mean", "mean_difference", "ci95_low", "ci95_high"),
           note="Scenario minus baseline per financial year, paired by replication, with 95% intervals.")
    interventions = [row for scenario in comparison.scenarios for row in intervention_rows(scenario)]
    if interventions:
        _sheet(book, "Interventions", pd.DataFrame(interventions), money=("annual_cost_gbp",))
    base_rows = {row["parameter"]: row for row in parameter_rows(comparison.base)}
    assumptions = [{"scenario": comparison.base.name, **row} for row in base_rows.values()]
    for scenario in comparison.alternatives:
        assumptions += [{"scenario": scenario.name, **row} for row in parameter_rows(scenario)
                        if base_rows.get(row["parameter"]) != row]
    _sheet(book, "Assumptions", pd.DataFrame(assumptions),
           note="Every baseline parameter with its source or assumption and range; then what each scenario changes.")
    save_atomic(path, book.save)
    return Path(path).name


__all__ = ["WORKBOOK_FILE", "intervention_rows", "parameter_rows", "write_workbook"]

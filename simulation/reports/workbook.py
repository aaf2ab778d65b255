"""The finance officers' Excel workbook of a comparison (openpyxl): numbers, not pictures.

Owns ``scrutiny_workbook.xlsx``: one sheet per view, each a plain table with a header row, money
as numbers formatted in pounds, so a finance officer can filter, sum and re-use them.

Sheets
------
- ``Read me``: what was run, the price base, discounting, inflation, what each measure means.
- ``Summary``: per scenario, net present value, cumulative net saving, payback, target probability.
- ``Savings``: per scenario, financial year and measure: mean, 95% interval, P10/P50/P90.
- ``Spend real`` and ``Spend cash``: spend by budget line and year (2023-24 prices; cash).
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
from simulation.analysis.finance import PRICE_BASE_YEAR
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
        ("Cash figures", f"2023-24 prices inflated at {comparison.inflation_pct:g}% a year from 2024-25 (a stated assumption)"),
        ("Discounting", "HM Treasury Green Book 3.5% a year, real; first financial year is year 0 (not discounted)"),
        ("Saving", "baseline spend minus scenario spend; positive means money saved"),
        ("Intervention cost", "change in spend on interventions and early help places (the investment)"),
        ("Net saving", "gross saving (all other lines) less intervention cost = change in total spend"),
        ("Cashable", "placements, agency staff, recruitment, fostering, early help, care leavers, interventions"),
        ("Capacity released", "a fall in permanent social worker spend: time freed, cash only if posts are removed"),
        ("Intervals", "95% interval: where the average over replications lies; P10-P90: where 8 in 10 simulated futures fall"),
        ("Caution", "Intervals show chance under the stated assumptions, not doubt about the assumptions (see Assumptions)"),
        ("Files", "The same tables are in the comparison folder as CSV files (finance_*.csv, comparison_*.csv)"),
    ]
    return pd.DataFrame(lines, columns=["item", "explanation"])


def write_workbook(comparison, path: Path | None = None) -> str:
    """Write the workbook into the comparison folder; returns its file name."""
    path = path or comparison.folder / WORKBOOK_FILE
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "Read me", read_me(comparison))
    summary = finance_summary_frame(comparison.finance)
    _sheet(book, "Summary", summary, money=("npv_gbp_", "cumulative_net_saving_gbp_", "target_gbp"),
           note="Per scenario against the baseline, 2023-24 prices; npv = net present value at 3.5%.")
    if not comparison.savings.empty:
        _sheet(book, "Savings", comparison.savings, money=STAT_COLUMNS,
               note="Savings against the baseline by financial year (2023-24 prices).")
    spend = comparison.spend_by_line
    for prices, title in (("real_2023_24", "Spend real"), (f"cash_{comparison.inflation_pct:g}pct", "Spend cash")):
        rows = spend[spend["prices"] == prices].drop(columns="prices")
        if len(rows):
            _sheet(book, title, rows, money=STAT_COLUMNS,
                   note=f"Spend by budget line and financial year ({prices.replace('_', ' ')}).")
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

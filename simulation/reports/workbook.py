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
from simulation.records.glossary import GLOSSARY, column_label, kpi_label, line_label, plain_text
from simulation.reports.scenario_text import lever_rows
from simulation.scenario.describe import title_of
from simulation.scenario.labels import label_of

WORKBOOK_FILE = "scrutiny_workbook.xlsx"
MONEY_FORMAT = '£#,##0;[Red]-£#,##0'
PERCENT_FORMAT = '0%'
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


#: Columns holding a share from 0 to 1 (shown as %).
SHARES = {"target_probability", "target_probability_ci95_low", "target_probability_ci95_high",
          "payback_share_within_horizon", "share_chance", "share_calibration", "share_lever_effect"}
#: Text columns whose values are code names, and the words to show instead.
VALUE_WORDS = {"scenario": title_of, "alt_scenario": title_of, "base_scenario": title_of,
               "kpi": kpi_label, "line": line_label, "measure": column_label, "driver": plain_text}


def _is_money(name: str, money: tuple[str, ...]) -> bool:
    return (name in money or name.endswith("_gbp") or "_gbp_" in name
            or any(name.startswith(prefix) for prefix in money if prefix.endswith("_")))


def _sheet(book: Workbook, title: str, frame: pd.DataFrame, money: tuple[str, ...] = (),
           numbers: tuple[str, ...] = (), note: str | None = None) -> None:
    """A table with a note, plain headers with units, £ and % formats, a frozen header row and a
    filter; code names in the text columns are shown as words (the CSV files keep them)."""
    sheet = book.create_sheet(title)
    row = 1
    if note:
        sheet.cell(row=1, column=1, value=note).font = Font(italic=True)
        row = 3
    header_row = row
    for col, name in enumerate(frame.columns, start=1):
        cell = sheet.cell(row=row, column=col, value=column_label(str(name)))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for values in frame.itertuples(index=False):
        row += 1
        for col, value in enumerate(values, start=1):
            name = frame.columns[col - 1]
            if isinstance(value, float) and value != value:
                value = None
            if name in VALUE_WORDS and isinstance(value, str):
                value = VALUE_WORDS[name](value)
            cell = sheet.cell(row=row, column=col, value=value.item() if hasattr(value, "item") else value)
            if name in SHARES:
                cell.number_format = PERCENT_FORMAT
            elif _is_money(name, money):
                cell.number_format = MONEY_FORMAT
            elif name in numbers:
                cell.number_format = NUMBER_FORMAT
            if isinstance(value, str) and len(value) > 60:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=2 if len(frame.columns) > 4 else 1)
    if len(frame.columns):
        sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(frame.columns))}{max(row, header_row)}"
    for col, name in enumerate(frame.columns, start=1):
        width = max([len(column_label(str(name))) // 2] + [len(str(v)) for v in frame.iloc[:200, col - 1].tolist()])
        sheet.column_dimensions[get_column_letter(col)].width = min(max(12, width + 2), 60)


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


def _cash_words(comparison) -> str:
    rates = inflation_path(comparison.inflation_pct)
    path = ", then ".join(f"{rate:g}%" for rate in rates)
    return f"cash: inflation of {path} a year from 2024-25, the last repeated"


#: The sheets, in order, and what each holds (the Contents sheet).
SHEETS = (
    ("Read me", "what was run, the price base, and what each measure means"),
    ("Glossary", "the few terms that must stay (NPV, P10, cashable...) explained"),
    ("Summary", "per scenario over the run: gross saving, investment, net saving with its interval, NPV, payback, chance of the target"),
    ("Summary detail", "every summary statistic of every finance measure"),
    ("Savings", "savings against the baseline by financial year, with intervals"),
    ("Spend real", "spend by budget line and financial year, 2023-24 prices"),
    ("Spend cash", "the same in cash under the stated inflation path"),
    ("Uncertainty split", "where the spread of the net saving comes from: chance, calibration, lever effect"),
    ("Drivers", "what moves each net saving most (the tornado charts' numbers)"),
    ("Reconciliation", "the baseline's 2024-25 spend beside the RO3 outturn"),
    ("Bridge", "from the outturn to the model's scope"),
    ("KPI differences", "every measure's change against the baseline by year, with 95% intervals"),
    ("Levers", "every lever of every scenario: what changes, when, cost, value, range, evidence"),
    ("Assumptions", "every parameter of the baseline with its source or assumption, then each scenario's changes"),
)
SUMMARY_COLUMNS = (
    "scenario", "cumulative_gross_saving_gbp_mean", "cumulative_intervention_cost_gbp_mean",
    "cumulative_net_saving_gbp_mean", "cumulative_net_saving_gbp_ci95_low", "cumulative_net_saving_gbp_ci95_high",
    "cumulative_net_saving_gbp_p10", "cumulative_net_saving_gbp_p90", "npv_gbp_mean", "payback_median_year",
    "payback_share_within_horizon", "cumulative_cashable_net_saving_gbp_mean",
    "cumulative_cost_avoidance_gbp_mean", "cumulative_capacity_released_gbp_mean", "target_probability",
)


def _contents(book: Workbook) -> None:
    sheet = book.create_sheet("Contents", 0)
    sheet.cell(row=1, column=1, value="Sheet").font = Font(bold=True)
    sheet.cell(row=1, column=2, value="What it holds").font = Font(bold=True)
    row = 1
    for title, what in SHEETS:
        if title not in book.sheetnames:
            continue
        row += 1
        cell = sheet.cell(row=row, column=1, value=title)
        cell.hyperlink = f"#'{title}'!A1"
        cell.font = Font(color="1A3D6D", underline="single")
        sheet.cell(row=row, column=2, value=what).alignment = Alignment(wrap_text=True)
    sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = 22, 100
    sheet.freeze_panes = "A2"


def write_workbook(comparison, path: Path | None = None) -> str:
    """Write the workbook into the comparison folder; returns its file name."""
    path = path or comparison.folder / WORKBOOK_FILE
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "Read me", read_me(comparison))
    _sheet(book, "Glossary", pd.DataFrame(GLOSSARY, columns=["item", "explanation"]))
    summary = finance_summary_frame(comparison.finance)
    if not summary.empty:
        _sheet(book, "Summary", summary[[c for c in SUMMARY_COLUMNS if c in summary.columns]],
               note="Per scenario against the baseline over the run, 2023-24 prices; negative = a net cost.")
    _sheet(book, "Summary detail", summary,
           note="Every statistic of every finance measure, per scenario (2023-24 prices).")
    if not comparison.savings.empty:
        _sheet(book, "Savings", comparison.savings, money=STAT_COLUMNS,
               note="Savings against the baseline by financial year (2023-24 prices).")
    spend = comparison.spend_by_line
    for prices, title, words in (("real_2023_24", "Spend real", "2023-24 prices"),
                                 (cash_label(comparison.inflation_pct), "Spend cash", _cash_words(comparison))):
        rows = spend[spend["prices"] == prices].drop(columns="prices")
        if len(rows):
            _sheet(book, title, rows, money=STAT_COLUMNS,
                   note=f"Spend by budget line and financial year ({words}).")
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
    levers = [row for scenario in comparison.alternatives for row in lever_rows(comparison, scenario)]
    if levers:
        _sheet(book, "Levers", pd.DataFrame(levers).map(plain_text),
               note="Every lever of every scenario, whatever section of the scenario file it lives in.")
    base_rows = {row["parameter"]: row for row in parameter_rows(comparison.base)}
    assumptions = [{"scenario": comparison.base.name, **row} for row in base_rows.values()]
    for scenario in comparison.alternatives:
        assumptions += [{"scenario": scenario.name, **row} for row in parameter_rows(scenario)
                        if base_rows.get(row["parameter"]) != row]
    frame = pd.DataFrame(assumptions)
    frame.insert(1, "setting", [label_of(name) for name in frame["parameter"]])
    _sheet(book, "Assumptions", frame,
           note="Every baseline parameter with its source or assumption and range; then what each scenario changes.")
    _contents(book)
    save_atomic(path, book.save)
    return Path(path).name


__all__ = ["WORKBOOK_FILE", "intervention_rows", "parameter_rows", "write_workbook"]

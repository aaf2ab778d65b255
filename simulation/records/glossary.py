"""Plain-English names for the output contract's code names: one mapping for every reader.

The CSV files keep the contract's code names (``ci95_low``, ``spend_fostering_fees_allowances_gbp``:
an interface other tools read); the report, the workbook and the slides show these labels, with
units, instead. ``kpi_label`` and ``column_label`` always return words (a name not listed here is
spelt out from its parts), so no snake_case reaches a reader. ``GLOSSARY`` explains the few terms
that must stay (NPV, P10, cashable...); the report and the workbook print it.
"""

from __future__ import annotations

import re

#: KPI -> (label, unit, kind): kind is "flow" (counted over a year), "stock" (at 31 March) or
#: "pct" (a percentage over the year).
KPIS = {
    "referrals": ("referrals", "referrals", "flow"),
    "children_in_need": ("children in need", "children", "stock"),
    "cla": ("children looked after", "children", "stock"),
    "cp_plans_open": ("children on child protection plans", "children", "stock"),
    "cin_plans_open": ("children on child in need plans", "children", "stock"),
    "assessments_completed": ("assessments completed", "assessments", "flow"),
    "early_help_waiting": ("families waiting for early help", "families", "stock"),
    "early_help_open": ("families in early help", "families", "stock"),
    "cla_placement_residential": ("children in children's homes", "children", "stock"),
    "cla_placement_foster_inhouse": ("children with the council's own foster carers", "children", "stock"),
    "cla_placement_foster_ifa": ("children with agency foster carers", "children", "stock"),
    "foster_households": ("the council's foster households", "households", "stock"),
    "placement_step_downs": ("step-downs from children's homes", "moves", "flow"),
    "sw_caseload_mean": ("cases per case-holding social worker", "cases", "stock"),
    "sw_turnover_pct": ("social worker turnover", "percentage points", "pct"),
    "sw_agency_pct": ("agency share of social workers", "percentage points", "pct"),
    "sw_fte": ("employed social workers (FTE)", "FTE", "stock"),
    "children_awaiting_allocation": ("children waiting for a social worker", "children", "stock"),
    "rereferral_pct": ("re-referrals within 12 months", "percentage points", "pct"),
}
#: Column code names -> headers with units.
COLUMNS = {
    "scenario": "Scenario", "kpi": "Measure", "period": "Year", "financial_year": "Financial year",
    "mean": "Mean", "ci95_low": "95% interval, low", "ci95_high": "95% interval, high",
    "p10": "P10", "p50": "P50 (median)", "p90": "P90", "n": "Simulated futures",
    "base_scenario": "Baseline", "alt_scenario": "Scenario", "base_mean": "Baseline mean",
    "alt_mean": "Scenario mean", "mean_difference": "Change (scenario minus baseline)",
    "line": "Budget line", "measure": "Measure", "prices": "Prices", "value": "Value",
    "first_year": "First year", "last_year": "Last year",
    "payback_median_year": "Payback year (median)",
    "payback_share_within_horizon": "Share of futures that pay back (%)",
    "target_gbp": "Savings target (£)", "target_year": "Target year",
    "target_probability": "Chance of meeting the target (%)",
    "target_probability_ci95_low": "Chance of meeting the target, 95% interval low (%)",
    "target_probability_ci95_high": "Chance of meeting the target, 95% interval high (%)",
    "target_terms": "Target terms", "target_prices": "Target prices",
    "npv_gbp": "Net present value at 3.5% (£)",
    "net_saving_gbp": "Net saving (£)", "gross_saving_gbp": "Gross saving (£)",
    "intervention_cost_gbp": "Investment (£)", "cashable_saving_gbp": "Cashable saving (£)",
    "cashable_net_saving_gbp": "Cashable net saving (£)", "cost_avoidance_gbp": "Cost avoidance (£)",
    "capacity_released_gbp": "Capacity released (£)",
    "cumulative_net_saving_gbp": "Cumulative net saving (£)",
    "cumulative_gross_saving_gbp": "Cumulative gross saving (£)",
    "cumulative_intervention_cost_gbp": "Cumulative investment (£)",
    "cumulative_cashable_net_saving_gbp": "Cumulative cashable net saving (£)",
    "cumulative_cost_avoidance_gbp": "Cumulative cost avoidance (£)",
    "cumulative_capacity_released_gbp": "Cumulative capacity released (£)",
    "cumulative_discounted_net_saving_gbp": "Cumulative discounted net saving (£)",
    "replication": "Simulated future", "parameter": "Parameter (name in the scenario file)", "setting": "Setting", "source": "Source",
    "assumption": "Assumption", "range": "Range", "item": "Item", "explanation": "Explanation",
    "swing": "Swing (£)", "driver": "Driver", "kind": "Kind",
    "net_saving_at_low": "Net saving at the driver's P10 (£)",
    "net_saving_at_high": "Net saving at the driver's P90 (£)",
    "net_saving_mean": "Mean net saving (£)",
    "share_chance": "Share from chance (%)", "share_calibration": "Share from calibration (%)",
    "share_lever_effect": "Share from lever effect (%)",
    "width_p10_p90": "Width P10 to P90 (£)",
    "width_without_lever_effect": "Width without lever uncertainty (£)",
    "calibration_separated": "Calibration separated",
    "modelled_gbp_2024_25_prices": "Modelled, 2024-25 prices (£)", "outturn_gbp": "Outturn (£)",
    "difference_gbp": "Difference (£)", "difference_pct": "Difference (%)",
    "ro3_line": "RO3 line", "model_lines": "Model lines", "gbp": "Amount (£)", "basis": "Basis",
}
#: Terms that stay in the pack, explained once.
GLOSSARY = (
    ("Baseline", "the council's current regime projected forward: what happens if nothing changes"),
    ("Simulated future", "one run of the model: the same children in every scenario, different in each run"),
    ("95% interval", "where the average result lies, given the number of simulated futures run"),
    ("P10, P50, P90", "the 10th, 50th and 90th percentiles: 8 in 10 simulated futures fall between P10 and P90"),
    ("Gross saving", "what the levers' effects save on spend, before paying for the levers"),
    ("Investment", "every cost the scenario's levers cause (posts, payments, fees, programmes)"),
    ("Net saving", "gross saving less investment: the fall in total spend (negative: a net cost)"),
    ("Cashable", "spend falling below a line's budget at the start: money that can be taken out"),
    ("Cost avoidance", "growth above the budget at the start not incurred: no budget to take out"),
    ("Capacity released", "social worker time freed; cash only if posts are removed"),
    ("NPV", "net present value: net savings discounted at 3.5% a year (HM Treasury Green Book)"),
    ("Payback year", "the first financial year from which the cumulative net saving stays at or above zero"),
    ("Real terms", "2023-24 prices; cash figures add a stated inflation path"),
    ("CIN, CP, CLA", "child in need (s.17), child protection plan (s.47), child looked after (in care)"),
    ("FTE", "full-time equivalent social workers"),
    ("Step-down", "a planned move from a children's home to a foster family"),
    ("RO3", "the revenue outturn return in which councils report what they spent"),
)
_UNITS = {"gbp": "(£)", "pct": "(%)", "prob": "(share)", "fte": "(FTE)", "days": "(days)",
          "months": "(months)", "weeks": "(weeks)"}


def _spell(name: str) -> str:
    words = [word if word.isupper() else word.lower() for word in name.split("_") if word]
    unit = _UNITS.get(words[-1]) if words else None
    if unit:
        words = words[:-1]
    text = " ".join(words)
    text = re.sub(r"\bcla\b", "children looked after", text)
    text = re.sub(r"\bsw\b", "social worker", text)
    text = re.sub(r"\bci95\b", "95% interval", text)
    text = re.sub(r"\bifa\b", "agency", text)
    text = re.sub(r"\binhouse\b", "in-house", text)
    text = re.sub(r"\bsgo cao\b", "SGO/CAO", text)
    text = re.sub(r"\b(\d+)plus\b", r"\1 or more", text)
    text = re.sub(r"\b(\d+) (\d+)(m|y)\b", lambda m: f"{m.group(1)}-{m.group(2)} {'months' if m.group(3) == 'm' else 'years'}", text)
    text = (text[:1].upper() + text[1:]) if text else name
    return f"{text} {unit}" if unit else text


def kpi_label(kpi: str) -> str:
    """A KPI in words ("children in children's homes"; "Spend: placements residential (£)")."""
    if kpi in KPIS:
        return KPIS[kpi][0]
    if kpi.startswith("spend_") and kpi.endswith("_gbp"):
        return f"Spend: {_spell(kpi[6:-4]).lower()} (£)"
    if kpi.startswith("lever_cost_") and kpi.endswith("_gbp"):
        return f"Lever cost: {_spell(kpi[11:-4]).lower()} (£)"
    if kpi.startswith("cla_placement_"):
        return f"Children looked after: {_spell(kpi[14:]).lower()}"
    return _spell(kpi)


def column_label(column: str) -> str:
    """A column's header in words with its unit."""
    if column in COLUMNS:
        return COLUMNS[column]
    for measure, label in COLUMNS.items():
        for stat in ("mean", "ci95_low", "ci95_high", "p10", "p50", "p90", "n"):
            if column == f"{measure}_{stat}":
                return f"{label.removesuffix(' (£)')}: {COLUMNS[stat].lower()}" + (
                    " (£)" if label.endswith("(£)") and stat != "n" else "")
    return _spell(column)


def line_label(line: str) -> str:
    """A spend line (``fostering_fees_allowances``) in words."""
    return _spell(line).replace("Placements ", "Placements: ")





_FILE = re.compile(r"(?:scenarios/)?\b([a-z0-9]+(?:_[a-z0-9]+)+)\.toml\b")
_SNAKE = re.compile(r"\b[a-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+\b")


def plain_text(text: str) -> str:
    """Text for a reader: a scenario file named by its title ("the Residential step down scenario
    file") and any other code name spelt out ("referrals_assessed_not_in_need_pct" ->
    "referrals assessed not in need (%)"), so evidence quoted from the files reads as words."""
    text = _FILE.sub(lambda m: f"the {m.group(1).replace('_', ' ').capitalize()} scenario file", str(text))
    return _SNAKE.sub(lambda m: kpi_label(m.group(0)) if m.group(0) in KPIS else _spell(m.group(0)).lower()
                      if not m.group(0).endswith(("_gbp", "_pct")) else _spell(m.group(0)), text)

__all__ = ["COLUMNS", "GLOSSARY", "KPIS", "column_label", "kpi_label", "line_label", "plain_text"]

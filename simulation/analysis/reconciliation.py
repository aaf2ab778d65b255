"""The reconciliation of modelled spend with the published outturn, and the bridge between them.

Pure functions of a run's annual KPIs and its scenario: no model runs (the script that runs them
is ``simulation.calibration.reconciliation``; the workbook and the README use the same table).

Covers
------
- ``reconciliation_table``: modelled spend by RO3 line for each financial year given (mean over
  replications, converted to 2024-25 prices by the scenario's GDP deflator so it sits beside the
  2024-25 cash outturn), the outturn where published, the difference, and what each line holds.
- ``bridge_table``: from the published children looked after outturn to the outturn on the
  model's scope: the items the outturn holds that the model does not carry (overheads, adoption
  services), each with its basis, then the modelled total and the remaining difference.
- ``inhouse_fostering_rates``: the marginal and full weekly cost of an in-house placement, kept
  apart: the marginal rate (allowance and fee) is what a scenario moving one child saves or
  costs; the full rate adds the fostering service (its team, support, assessments, marketing),
  costed once, for benchmarking against the published full costs.

Assumptions
-----------
- RO3 charges staff to service lines; the model keeps social work staff in its own lines. The
  children looked after share (``finance.cla_share_of_social_work_staff``) is moved into the
  children looked after lines: the fostering team (``finance.fostering_team_fte`` of the posts) to
  fostering services, the rest to other children looked after services.
- Which RO3 line holds supported accommodation, care leavers and SGO allowances differs between
  councils; here they are "other children looked after services". The total is the tested figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.records.outturn import OUTTURN_YEAR, outturn_gbp

TOLERANCE = 0.10
STAFF_LINES = ("staff_permanent", "staff_agency", "staff_recruitment")
#: RO3 line -> (label, the model's spend lines in it, share of CLA staff moved into it: "fostering"
#: for the fostering team, "other" for the rest).
RO3_MAPPING = (
    ("spend_CLA_residential_care_gross", "Residential care", ("placements_residential", "placements_emergency"), None),
    ("spend_CLA_fostering_services_gross", "Fostering services",
     ("placements_foster_ifa", "fostering_fees_allowances", "fostering_support"), "fostering"),
    ("spend_CLA_other_gross", "Other children looked after services",
     ("placements_supported", "care_leavers", "sgo_cao_allowances"), "other"),
)


def line_means(annual: pd.DataFrame, financial_year: str) -> pd.Series:
    """Mean over replications of each ``spend_<line>_gbp`` in one year, indexed by line."""
    rows = annual[(annual["financial_year"] == financial_year) & annual["kpi"].str.match(r"^spend_.+_gbp$")]
    means = rows.groupby("kpi")["value"].mean()
    means.index = [name[len("spend_"):-len("_gbp")] for name in means.index]
    return means


def staff_shares(scenario) -> dict[str, float]:
    """Shares of the model's social work staff spend moved into the CLA lines."""
    finance = scenario.finance
    posts = (scenario.workforce.employed_fte_at_start.value + scenario.workforce.vacancies_fte_at_start.value)
    fostering = (finance.fostering_team_fte.value if finance.fostering_team_fte else 0.0) / max(posts, 1e-9)
    cla = finance.cla_share_of_social_work_staff.value if finance.cla_share_of_social_work_staff else 0.0
    return {"fostering": fostering, "other": max(cla - fostering, 0.0)}


def reconciliation_table(scenario, annual_by_year: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Modelled spend by RO3 line per financial year (2024-25 prices) beside the outturn.

    ``annual_by_year``: financial year label (``FY2024-25``) -> the ``kpis_annual`` frame of the
    run that holds that year (a run from the 31 March before it).
    """
    deflator = scenario.finance.gdp_deflator_2023_24_to_2024_25_multiplier.value
    shares = staff_shares(scenario)
    rows = []
    for year, annual in annual_by_year.items():
        means = line_means(annual, year)
        staff = float(sum(means.get(line, 0.0) for line in STAFF_LINES))
        published = year == f"FY{OUTTURN_YEAR}"
        total = 0.0
        for measure, label, lines, staff_part in RO3_MAPPING:
            model = float(sum(means.get(line, 0.0) for line in lines))
            moved = staff * shares[staff_part] if staff_part else 0.0
            modelled = (model + moved) * deflator
            total += modelled
            holds = " + ".join(lines) + (f" + {shares[staff_part]:.0%} of social work staff" if staff_part else "")
            rows.append(_row(year, label, measure, modelled, published, holds))
        rows.append(_row(year, "Children looked after, total", "spend_CLA_total_gross", total, published,
                         "the three lines above"))
        rows.append(_row(year, "Agency staff (memo)", "spend_agency_staff_memo",
                         float(means.get("staff_agency", 0.0)) * deflator, published,
                         "staff_agency (social workers only; the memo counts all agency staff)"))
        rows.append(_row(year, "Family support services (context)", "spend_family_support_services_gross",
                         float(means.get("early_help", 0.0)) * deflator, published,
                         "early_help (funded places; the outturn also pays for other family support)"))
        rows.append(_row(year, "Safeguarding services (context)", "spend_safeguarding_services_gross",
                         staff * (1 - sum(shares.values())) * deflator, published,
                         "social work staff not serving children looked after (the outturn also holds "
                         "legal, contact and other costs)"))
    return pd.DataFrame(rows)


def _row(year, label, measure, modelled, published, holds) -> dict:
    outturn = outturn_gbp(measure) if published else np.nan
    return {"financial_year": year, "ro3_line": label, "measure": measure,
            "modelled_gbp_2024_25_prices": modelled, "outturn_gbp": outturn,
            "difference_gbp": modelled - outturn, "difference_pct": 100 * (modelled - outturn) / outturn,
            "model_lines": holds}


def bridge_table(scenario, table: pd.DataFrame) -> pd.DataFrame:
    """From the children looked after outturn to the outturn on the model's scope, and the gap."""
    finance = scenario.finance
    year = f"FY{OUTTURN_YEAR}"
    outturn = outturn_gbp("spend_CLA_total_gross")
    overheads = outturn * (finance.outturn_overheads_share.value if finance.outturn_overheads_share else 0.0)
    adoption = finance.adoption_services_gbp_per_year.value if finance.adoption_services_gbp_per_year else 0.0
    modelled = float(table[(table["financial_year"] == year)
                           & (table["measure"] == "spend_CLA_total_gross")]["modelled_gbp_2024_25_prices"].iloc[0])
    in_scope = outturn - overheads - adoption
    gap = modelled - in_scope
    rows = [
        ("Children looked after outturn 2024-25 (RO3, gross)", outturn, "published"),
        ("less: overheads recharged to the lines", -overheads,
         f"not modelled (fixed support services); finance.outturn_overheads_share {_basis(finance.outturn_overheads_share)}"),
        ("less: adoption services", -adoption,
         f"not modelled (adoption is an exit from care); finance.adoption_services_gbp_per_year {_basis(finance.adoption_services_gbp_per_year)}"),
        ("Outturn on the model's scope", in_scope, "what the model should reproduce"),
        ("Modelled (2024-25 prices)", modelled, "mean over replications; staff moved in by their CLA share"),
        ("Difference (modelled - outturn on scope)", gap,
         f"{100 * gap / in_scope:+.1f}% (tolerance ±{TOLERANCE:.0%}): unit prices and line coding"),
    ]
    return pd.DataFrame(rows, columns=["item", "gbp", "basis"])


def _basis(quantity) -> str:
    if quantity is None:
        return "(not set)"
    if quantity.source:
        return f"(source: {quantity.source})"
    return f"(assumption, range {quantity.range[0]:g}-{quantity.range[1]:g})"


def within_tolerance(bridge: pd.DataFrame) -> bool:
    """Is the modelled total within ``TOLERANCE`` of the outturn on the model's scope?"""
    in_scope = float(bridge.loc[bridge["item"] == "Outturn on the model's scope", "gbp"].iloc[0])
    gap = float(bridge.loc[bridge["item"].str.startswith("Difference"), "gbp"].iloc[0])
    return abs(gap) <= TOLERANCE * in_scope


def inhouse_fostering_rates(scenario, annual: pd.DataFrame, financial_year: str) -> pd.DataFrame:
    """Marginal and full weekly cost of an in-house foster placement (2023-24 prices).

    Marginal: the allowance at the looked-after age mix plus the fee (what one more or one fewer
    child costs). Full: the in-house share of fees and allowances plus the fostering service
    (support, assessments, marketing, the fostering team's pay), per in-house placement week.
    """
    fostering, workforce = scenario.fostering, scenario.workforce
    ages = scenario.stock.cla_age_band_prob.value
    allowance = sum(ages[band] * fostering.allowance_weekly_gbp_by_age.value[band] for band in ages)
    marginal = allowance + fostering.inhouse_fee_weekly_gbp.value
    rows = annual[annual["financial_year"] == financial_year]
    mean = lambda kpi: float(rows.loc[rows["kpi"] == kpi, "value"].mean())  # noqa: E731
    inhouse_weeks = mean("cla_placement_foster_inhouse") * 365.25 / 7
    loaded = workforce.salary_employed_gbp_per_year.value * (1 + workforce.on_cost_share.value)
    team = (scenario.finance.fostering_team_fte.value if scenario.finance.fostering_team_fte else 0.0) * loaded
    service = mean("spend_fostering_support_gbp") + team
    full = marginal + service / max(inhouse_weeks, 1e-9)
    return pd.DataFrame([
        {"rate": "marginal", "weekly_gbp_2023_24": marginal,
         "holds": "allowance at the looked-after age mix + fee (what one placement more or fewer costs)"},
        {"rate": "full", "weekly_gbp_2023_24": full,
         "holds": "marginal + fostering service (team pay, support, assessments, marketing) per placement week"},
        {"rate": "published full cost (PSSRU 2016-17 prices)", "weekly_gbp_2023_24": 646.0,
         "holds": "data: foster_care_cost_per_child_per_week_PSSRU (allowances, admin, social workers; older prices)"},
        {"rate": "published full cost (Thurrock FOI, undated)", "weekly_gbp_2023_24": 706.0,
         "holds": "data: inhouse_foster_avg_weekly_cost (c. 2016-18 cash)"},
    ])


__all__ = ["RO3_MAPPING", "TOLERANCE", "bridge_table", "inhouse_fostering_rates", "line_means",
           "reconciliation_table", "staff_shares", "within_tolerance"]

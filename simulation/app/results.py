"""What the page shows of a comparison: chart data, money by year, payback, the savings target.

Pure functions of a ``Comparison`` (``simulation.analysis.comparison``), the object ``cssim
compare`` builds, and of the published figures (``simulation.records.actuals``). Nothing here
recomputes an interval or a saving in a new way: the headline lines are ``headline_changes``
(what ``cssim compare`` prints), the savings are the comparison's ``finance_savings`` rows, and
the chance of a target is ``analysis.finance.finance_summary`` on the comparison's savings by
replication, as ``cssim compare --savings-target`` computes it.

Covers
------
- ``FANS``: the fan charts (children looked after, CP, CIN, referrals, caseload, workforce),
  each a KPI, its period (month ends or financial years) and whether history is published.
- ``fan_frame``: median and 10th-90th percentile bands of baseline and scenario for a KPI
  (from each run's ``kpis_summary.csv`` rows); ``history_frame``: Southend's published values.
- ``placement_frame``: children by placement type; ``placement_share_frame``: the DfE groups as
  a share of children looked after per replication, summarised, with the published shares.
- ``money_table``: spend of baseline and scenario, investment, gross and net saving and the
  cumulative net saving by financial year, each with its 95% interval.
- ``payback``, ``target_chance``, ``difference_table``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.analysis import finance
from simulation.analysis.comparison import headline_changes, money
from simulation.records import actuals, contract
from simulation.records.calendar import first_year_of

BASELINE, SCENARIO, PUBLISHED = "Baseline", "Scenario", "Southend, published"
#: (title, kpi, period kind): the fan charts, in the page's order.
FANS = (
    ("Children looked after", "cla", "month_end"),
    ("Children on child protection plans", "cp_plans_open", "month_end"),
    ("Children in need (DfE count)", "children_in_need", "month_end"),
    ("Referrals in the financial year", "referrals", "financial_year"),
    ("Caseload: cases per case-holding FTE", "sw_caseload_mean", "month_end"),
    ("Case-holding social workers (FTE)", "sw_case_holders_fte", "month_end"),
    ("Employed social workers (FTE)", "sw_fte", "month_end"),
    ("Agency social workers (FTE)", "sw_agency_fte", "month_end"),
)
PLACEMENT_TYPES = ("foster_inhouse", "foster_ifa", "foster_kinship", "residential", "supported",
                   "with_parents", "placed_for_adoption", "emergency")
DIFFERENCE_KPIS = (
    ("referrals", "Referrals in the year"), ("children_in_need", "Children in need at 31 March"),
    ("cp_plans_open", "CP plans at 31 March"), ("cla", "Children looked after at 31 March"),
    ("cla_placement_residential", "In children's homes at 31 March"),
    ("sw_caseload_mean", "Caseload at 31 March"), ("sw_agency_fte", "Agency FTE at 31 March"),
    ("spend_total_gbp", "Total spend in the year (£)"),
)


def _dates(periods: pd.Series, kind: str) -> pd.Series:
    if kind == "month_end":
        return pd.to_datetime(periods)
    # A financial year is drawn at its 31 March, where the published year's figure sits.
    return pd.to_datetime([f"{first_year_of(label) + 1}-03-31" for label in periods])


def _periods(summary: pd.DataFrame, kind: str) -> pd.DataFrame:
    is_kind = (summary["period"].map(contract.is_month_end) if kind == "month_end"
               else summary["period"].map(contract.is_financial_year)).astype(bool)
    return summary[is_kind]


def fan_frame(comparison, name: str, kpi: str, kind: str = "month_end") -> pd.DataFrame:
    """Columns ``date, series, low, median, high, mean`` for the baseline and scenario ``name``."""
    frames = []
    for scenario, label in ((comparison.base.name, BASELINE), (name, SCENARIO)):
        summary = comparison.summaries[scenario]
        rows = _periods(summary[summary["kpi"] == kpi], kind)
        rows = rows[rows["n"] > 0]
        frames.append(pd.DataFrame({"date": _dates(rows["period"], kind), "series": label,
                                    "low": rows["p10"].to_numpy(),
                                    "median": rows["p50"].to_numpy(),
                                    "high": rows["p90"].to_numpy(),
                                    "mean": rows["mean"].to_numpy()}))
    return pd.concat(frames, ignore_index=True).sort_values(["series", "date"], ignore_index=True)


def history_frame(kpi: str) -> pd.DataFrame:
    """Southend's published values of ``kpi`` (by KPI name, or a measure of that name)."""
    try:
        rows = actuals.actuals("southend")
        rows = rows[rows["kpi"] == kpi]
        if rows.empty:
            found = actuals.measure_series(kpi)
            rows = pd.DataFrame({"date": [actuals.year_end(year) for year in found.index],
                                 "value": found.to_numpy()})
    except (FileNotFoundError, KeyError):
        return pd.DataFrame(columns=["date", "value", "series"])
    return pd.DataFrame({"date": pd.to_datetime(rows["date"]), "value": rows["value"].to_numpy(),
                         "series": PUBLISHED}).sort_values("date", ignore_index=True)


def placement_frame(comparison, name: str) -> pd.DataFrame:
    """Children by placement type at month ends: ``type`` added to ``fan_frame``'s columns."""
    frames = [fan_frame(comparison, name, f"cla_placement_{kind}").assign(type=kind)
              for kind in PLACEMENT_TYPES]
    return pd.concat(frames, ignore_index=True)


def _shares(monthly: pd.DataFrame) -> pd.DataFrame:
    wide = monthly.pivot_table(index=["replication", "month_end"], columns="kpi", values="value")
    rows = []
    for group, types in actuals.PLACEMENT_GROUPS.items():
        columns = [f"cla_placement_{kind}" for kind in types if f"cla_placement_{kind}" in wide]
        if not columns or group not in actuals.PLACEMENT_GROUP_MEASURES:
            continue
        share = 100 * wide[columns].sum(axis=1) / wide["cla"].replace(0, np.nan)
        rows.append(share.rename("value").reset_index().assign(group=group))
    return pd.concat(rows, ignore_index=True)


def placement_share_frame(comparison, name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each DfE placement group as % of children looked after, at 31 March of each year.

    Returns the bands (``date, series, group, low, median, high``), computed per replication
    and then summarised, and the published shares (``date, group, value``).
    """
    frames = []
    for scenario, label in ((comparison.base.name, BASELINE), (name, SCENARIO)):
        monthly = comparison.monthly[scenario]
        march = monthly[monthly["month_end"].str.endswith("-03-31")]
        shares = _shares(march)
        summary = shares.groupby(["group", "month_end"])["value"].quantile([0.1, 0.5, 0.9])
        summary = summary.unstack().reset_index()
        frames.append(pd.DataFrame({"date": pd.to_datetime(summary["month_end"]), "series": label,
                                    "group": summary["group"], "low": summary[0.1],
                                    "median": summary[0.5], "high": summary[0.9]}))
    history = []
    for group in actuals.PLACEMENT_GROUP_MEASURES:
        try:
            found = actuals.group_share_series(group)
        except (FileNotFoundError, KeyError):
            continue
        history.append(pd.DataFrame({"date": pd.to_datetime([actuals.year_end(y)
                                                             for y in found.index]),
                                     "group": group, "value": found.to_numpy()}))
    published = (pd.concat(history, ignore_index=True) if history
                 else pd.DataFrame(columns=["date", "group", "value"]))
    return pd.concat(frames, ignore_index=True), published


def headline(comparison, name: str) -> list[str]:
    """The lines ``cssim compare`` prints for scenario ``name``, word for word."""
    return headline_changes(comparison, name)


def _interval(row) -> str:
    return f"{money(row['mean'])} ({money(row['ci95_low'])} to {money(row['ci95_high'])})"


def money_table(comparison, name: str) -> pd.DataFrame:
    """Spend, investment and savings by financial year, each "mean (95% interval)", real terms."""
    spend = comparison.spend_by_line
    spend = spend[(spend["line"] == "total") & (spend["prices"] == "real_2023_24")]
    savings = comparison.savings
    savings = savings[savings["scenario"] == name] if len(savings) else savings
    years = sorted(spend["financial_year"].unique(), key=first_year_of)
    rows = []
    for year in years:
        row = {"Financial year": year}
        for scenario, label in ((comparison.base.name, "Baseline spend"),
                                (name, "Scenario spend")):
            found = spend[(spend["scenario"] == scenario) & (spend["financial_year"] == year)]
            row[label] = _interval(found.iloc[0]) if len(found) else "n/a"
        for measure, label in (("intervention_cost_gbp", "Investment"),
                               ("gross_saving_gbp", "Gross saving"),
                               ("net_saving_gbp", "Net saving"),
                               ("cumulative_net_saving_gbp", "Cumulative net saving")):
            found = savings[(savings["measure"] == measure) & (savings["financial_year"] == year)] \
                if len(savings) else savings
            row[label] = _interval(found.iloc[0]) if len(found) else "n/a"
        rows.append(row)
    return pd.DataFrame(rows)


def savings_frame(comparison, name: str) -> pd.DataFrame:
    """Net and cumulative net saving by year with intervals (for the savings chart)."""
    savings = comparison.savings
    if not len(savings):
        return pd.DataFrame(columns=["financial_year", "measure", "mean", "ci95_low", "ci95_high",
                                     "p10", "p90"])
    rows = savings[(savings["scenario"] == name)
                   & savings["measure"].isin(["net_saving_gbp", "cumulative_net_saving_gbp",
                                              "intervention_cost_gbp"])]
    return rows[["financial_year", "measure", "mean", "ci95_low", "ci95_high", "p10", "p90"]]


def payback(comparison, name: str) -> dict:
    """Median payback year (None: not within the horizon), share paying back, NPV and horizon."""
    result = comparison.finance.get(name)
    if not result:
        return {}
    return {"median_year": result["payback"]["median_year"],
            "share_within_horizon": result["payback"]["share_within_horizon"],
            "npv": result["npv_gbp"], "cumulative": result["cumulative_net_saving_gbp"],
            "horizon": result["horizon"]}


def financial_years(comparison, name: str) -> list[str]:
    per_rep = comparison.savings_by_replication
    years = per_rep.loc[per_rep["scenario"] == name, "financial_year"].unique()
    return sorted(years, key=first_year_of)


def target_chance(comparison, name: str, target_gbp: float, year: str | None) -> dict | None:
    """Chance the net saving in ``year`` reaches ``target_gbp``, with its 95% Wilson interval."""
    per_rep = comparison.savings_by_replication
    per_rep = per_rep[per_rep["scenario"] == name]
    if per_rep.empty:
        return None
    return finance.finance_summary(per_rep, target_gbp, year)["target"]


def difference_table(comparison, name: str) -> pd.DataFrame:
    """Scenario minus baseline for the main measures by financial year, with 95% intervals."""
    diffs = comparison.differences_annual
    diffs = diffs[diffs["alt_scenario"] == name]
    rows = []
    for kpi, label in DIFFERENCE_KPIS:
        found = diffs[diffs["kpi"] == kpi]
        for _, row in found.iterrows():
            rows.append({"Measure": label, "Financial year": row["period"],
                         "Baseline": row["base_mean"], "Change": row["mean_difference"],
                         "95% interval, low": row["ci95_low"],
                         "95% interval, high": row["ci95_high"]})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    order = {label: index for index, (_, label) in enumerate(DIFFERENCE_KPIS)}
    return table.sort_values(["Measure", "Financial year"],
                             key=lambda col: col.map(order) if col.name == "Measure"
                             else col.map(first_year_of), ignore_index=True)


__all__ = ["BASELINE", "FANS", "PUBLISHED", "SCENARIO", "difference_table", "fan_frame",
           "financial_years", "headline", "history_frame", "money_table", "payback",
           "placement_frame", "placement_share_frame", "savings_frame", "target_chance"]

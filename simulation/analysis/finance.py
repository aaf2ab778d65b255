"""Money: spend by financial year, prices, savings against a baseline, NPV and payback.

Pure functions of numbers and data frames; no simulation. ``docs/finance.md`` explains the
conventions for finance officers; the numbers here follow it.

Covers
------
- Financial years are ``FY2023-24`` labels (``simulation.records.calendar`` owns them and the
  splitting of a cost across 31 March).
- Prices: every model spend line is in 2023-24 prices (real terms; lines whose prices rise
  faster than inflation carry their real growth, ``[cost_base]``). ``to_cash`` applies a stated
  inflation path from 2023-24 on (a rate, or rates by year from 2024-25 with the last repeated);
  ``to_real`` removes it.
- Discounting at the HM Treasury Green Book rate of 3.5% a year, applied to real flows
  (``npv``; ``npv_of_cash`` deflates cash flows first). Year 0 is the first financial year of the
  appraisal and is not discounted.
- Savings against a baseline, per replication and year, split into investment (every cost the
  scenario's levers cause), gross saving, net saving, and the gross saving's cashable part, cost
  avoidance and capacity released (``savings_by_replication``); summaries with intervals and
  percentiles, the payback year, and the probability that a savings target is met, in cash or
  real terms (``finance_summary``).

Assumptions
-----------
- Savings are baseline spend minus scenario spend: positive is money saved. The *intervention
  cost* (investment) is the rise in the investment lines (``spend_intervention_gbp``,
  ``spend_early_help_gbp``) plus the rise in the levers' own costs (``lever_cost_<lever>_gbp``:
  fee uplift, support, step-down programme, retention payments, extra posts, faster recruitment),
  which sit inside other spend lines; the *net saving* is the fall in total spend; the *gross
  saving* is net saving plus intervention cost (what the levers' effects save).
- Each line's gross saving (its saving with the levers' own costs taken out) is *cashable* up to
  the fall below the line's budget at the start (the baseline's first-year spend): a budget that
  can be taken out. The rest is *cost avoidance*: growth above that budget not incurred. A rise in
  a line is a cash cost. A fall in permanent social worker pay is *capacity released* (time freed,
  cash only if posts are deleted). ``cashable_net_saving_gbp`` = cashable saving - intervention
  cost; net saving = cashable net saving + cost avoidance + capacity released.
- Replications describe chance (which children arrive, how long they stay), the calibration's
  plausible parameter sets and, with ``[lever_uncertainty]``, each lever's effect drawn from its
  range (``analysis.uncertainty_split`` divides the spread between them).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd

from simulation.analysis import summaries
from simulation.records.calendar import first_year_of, label_of

PRICE_BASE_YEAR = "FY2023-24"
GREEN_BOOK_RATE = 0.035
#: Lines that are the scenario's investment: its interventions and the early help places it
#: funds. A change in these is the cost of the scenario, not a saving.
INVESTMENT_LINES = ("intervention", "early_help")
TOTAL_LINE = "total"
CAPACITY_RELEASED_LINES = ("staff_permanent",)
#: The spend line each lever's own cost sits in (``lever_cost_<lever>_gbp``, memo flows).
LEVER_COST_LINES = {
    "fee_uplift": "fostering_fees_allowances", "fostering_support": "fostering_support",
    "step_down": "fostering_support", "retention": "staff_permanent",
    "extra_posts": "staff_permanent", "extra_posts_agency": "staff_agency",
    "faster_recruitment": "staff_recruitment",
}
SAVINGS_MEASURES = (
    "gross_saving_gbp", "intervention_cost_gbp", "net_saving_gbp", "cumulative_net_saving_gbp",
    "discounted_net_saving_gbp", "cumulative_discounted_net_saving_gbp", "cashable_net_saving_gbp",
    "capacity_released_gbp", "cashable_saving_gbp", "cost_avoidance_gbp",
    "cumulative_cashable_net_saving_gbp", "cumulative_cost_avoidance_gbp",
)
_SPEND = re.compile(r"^spend_(.+)_gbp$")
_LEVER_COST = re.compile(r"^lever_cost_(.+)_gbp$")


# --- prices and discounting -------------------------------------------------------------------
def years_from(labels, base: str) -> np.ndarray:
    """Whole years from ``base`` to each financial year label."""
    return np.array([first_year_of(label) - first_year_of(base) for label in labels], dtype=float)


def inflation_path(inflation_pct) -> tuple[float, ...]:
    """An inflation path as rates (%) a year from the year after the base: a number is a flat
    path; a sequence gives 2024-25, 2025-26, ... with its last rate repeated."""
    if isinstance(inflation_pct, (int, float)):
        return (float(inflation_pct),)
    path = tuple(float(rate) for rate in inflation_pct)
    if not path:
        raise ValueError("an inflation path needs at least one rate")
    return path


def cash_label(inflation_pct) -> str:
    """The ``prices`` label of cash figures: ``cash_2pct`` (flat) or ``cash_3_2pct`` (a path)."""
    return "cash_" + "_".join(f"{rate:g}" for rate in inflation_path(inflation_pct)) + "pct"


def cash_factors(labels, inflation_pct, base: str = PRICE_BASE_YEAR) -> np.ndarray:
    """Cash per real pound in each financial year under the path (1.0 in the base year)."""
    path = inflation_path(inflation_pct)
    factors = []
    for years in years_from(labels, base).astype(int):
        rates = [path[min(i, len(path) - 1)] for i in range(max(years, 0))]
        factors.append(float(np.prod([1 + rate / 100 for rate in rates])) if years >= 0
                       else (1 + path[0] / 100) ** years)
    return np.array(factors, dtype=float)


def to_cash(real_gbp, labels, inflation_pct, base: str = PRICE_BASE_YEAR) -> np.ndarray:
    """Real (2023-24 prices) amounts to cash under the inflation path from the base year."""
    return np.asarray(real_gbp, dtype=float) * cash_factors(labels, inflation_pct, base)


def to_real(cash_gbp, labels, inflation_pct, base: str = PRICE_BASE_YEAR) -> np.ndarray:
    """Cash amounts back to real terms (the inverse of ``to_cash``)."""
    return np.asarray(cash_gbp, dtype=float) / cash_factors(labels, inflation_pct, base)


def discount_factors(labels, rate: float = GREEN_BOOK_RATE, first: str | None = None) -> np.ndarray:
    """Green Book discount factors 1/(1+r)^t, t = 0 in ``first`` (default: the earliest label)."""
    first = first or min(labels, key=first_year_of)
    return 1.0 / (1 + rate) ** years_from(labels, first)


def npv(real_flows, labels, rate: float = GREEN_BOOK_RATE, first: str | None = None) -> float:
    """Net present value of real (constant-price) flows by financial year."""
    return float(np.sum(np.asarray(real_flows, dtype=float) * discount_factors(labels, rate, first)))


def npv_of_cash(cash_flows, labels, inflation_pct: float, rate: float = GREEN_BOOK_RATE,
                first: str | None = None, base: str = PRICE_BASE_YEAR) -> float:
    """NPV of cash flows: deflate to real terms first, then discount at the real rate."""
    return npv(to_real(cash_flows, labels, inflation_pct, base), labels, rate, first)


def payback_year(labels, net_flows) -> str | None:
    """First year from which cumulative net savings stay at or above zero to the end.

    ``None`` when cumulative net savings end below zero (no payback within the horizon).
    Years before the scenario first moves any money (a lever that starts in a later year) are
    not counted: a scheme that starts in April 2025 and saves more than it costs from then pays
    back in 2025-26, not in the run's first year. Undiscounted, as finance officers usually
    quote it; ``docs/finance.md`` says so.
    """
    order = np.argsort([first_year_of(label) for label in labels])
    ordered = [list(labels)[i] for i in order]
    flows = np.asarray(net_flows, dtype=float)[order]
    cumulative = np.cumsum(flows)
    if not len(cumulative) or cumulative[-1] < 0:
        return None
    below = np.flatnonzero(cumulative < 0)
    if len(below):
        return ordered[below[-1] + 1]
    moved = np.flatnonzero(flows != 0)
    return ordered[moved[0]] if len(moved) else ordered[0]


# --- savings against a baseline -------------------------------------------------------------
def spend_lines(annual: pd.DataFrame) -> pd.DataFrame:
    """Spend rows of a ``kpis_annual`` frame as ``scenario, replication, financial_year, line, value``."""
    lines = annual["kpi"].str.extract(_SPEND, expand=False)
    spend = annual.loc[lines.notna()].assign(line=lines[lines.notna()])
    return spend[["scenario", "replication", "financial_year", "line", "value"]].reset_index(drop=True)


def lever_costs(annual: pd.DataFrame) -> pd.DataFrame:
    """Lever cost rows (``lever_cost_<lever>_gbp``) as ``replication, financial_year, line, value``,
    ``line`` being the spend line the cost sits in."""
    levers = annual["kpi"].str.extract(_LEVER_COST, expand=False)
    found = annual.loc[levers.notna()].assign(lever=levers[levers.notna()])
    found = found.assign(line=found["lever"].map(LEVER_COST_LINES))
    found = found.loc[found["line"].notna(), ["replication", "financial_year", "line", "value"]]
    # Several levers may sit in one line: one row per line, so pairing never multiplies rows.
    return found.groupby(["replication", "financial_year", "line"], as_index=False, sort=False)["value"].sum()


def _split_gross(paired: pd.DataFrame) -> pd.DataFrame:
    """Each line's gross saving split into cashable, cost avoidance and capacity released.

    ``paired``: one row per (replication, financial_year, line) with ``value_base``,
    ``value_alt`` (scenario spend less the levers' own costs in the line) and ``budget`` (the
    baseline's spend on the line in the first year).
    """
    gross = paired["value_base"] - paired["value_alt"]
    capacity = paired["line"].isin(CAPACITY_RELEASED_LINES) & (gross > 0)
    below_budget = (np.minimum(paired["value_base"], paired["budget"]) - paired["value_alt"]).clip(lower=0)
    cashable = np.where(gross <= 0, gross, np.minimum(below_budget, gross))
    cashable = np.where(capacity, 0.0, cashable)
    avoidance = np.where(capacity | (gross <= 0), 0.0, gross - cashable)
    return paired.assign(cashable=cashable, avoidance=avoidance,
                         capacity=np.where(capacity, gross, 0.0))


def savings_by_replication(base_annual: pd.DataFrame, alt_annual: pd.DataFrame,
                           rate: float = GREEN_BOOK_RATE) -> pd.DataFrame:
    """Savings of a scenario against the baseline, per replication and financial year.

    Parameters
    ----------
    base_annual, alt_annual : DataFrame
        ``kpis_annual`` frames of the baseline and the scenario, run with the same seed.
    rate : float
        Real discount rate (Green Book 3.5%).

    Returns
    -------
    DataFrame
        Columns ``scenario, replication, financial_year`` and one per ``SAVINGS_MEASURES``, all
        in 2023-24 prices. Year 0 for discounting is the first financial year present.
    """
    base, alt = spend_lines(base_annual), spend_lines(alt_annual)
    keys = ["replication", "financial_year", "line"]
    paired = base[keys + ["value"]].merge(alt[keys + ["value"]], on=keys, how="outer",
                                          suffixes=("_base", "_alt")).fillna(0.0)
    paired = paired[paired["line"] != TOTAL_LINE]
    paired["saving"] = paired["value_base"] - paired["value_alt"]
    is_intervention = paired["line"].isin(INVESTMENT_LINES)
    group = ["replication", "financial_year"]
    # The levers' own costs: the scenario's rise in each, by the line it sits in.
    lines = paired[~is_intervention].set_index(keys)
    alt_levers, base_levers = lever_costs(alt_annual), lever_costs(base_annual)
    if len(alt_levers) or len(base_levers):
        levers = alt_levers.merge(base_levers, on=keys, how="outer", suffixes=("_alt", "_base")).fillna(0.0)
        levers["extra"] = levers["value_alt"] - levers["value_base"]
        extra_by_line = levers.groupby(keys)["extra"].sum().reindex(lines.index).fillna(0.0)
        extra_by_year = levers.groupby(group)["extra"].sum()
    else:  # a run without lever cost flows (older runs, synthetic frames): nothing to take out
        extra_by_line, extra_by_year = 0.0, pd.Series(dtype=float)
    lines["value_alt"] = lines["value_alt"] - extra_by_line
    first_year = min(paired["financial_year"], key=first_year_of) if len(paired) else None
    budget = lines.xs(first_year, level="financial_year")["value_base"] if first_year else None
    lines = lines.reset_index()
    lines["budget"] = (lines.set_index(["replication", "line"]).index.map(budget) if first_year else 0.0)
    split = _split_gross(lines).groupby(group)[["cashable", "avoidance", "capacity"]].sum()
    net = paired.groupby(group)["saving"].sum()
    invested = (-paired[is_intervention].groupby(group)["saving"].sum()).reindex(net.index).fillna(0.0)
    frame = pd.DataFrame({
        "net_saving_gbp": net,
        "intervention_cost_gbp": invested + extra_by_year.reindex(net.index).fillna(0.0),
        "cashable_saving_gbp": split["cashable"],
        "cost_avoidance_gbp": split["avoidance"],
        # A fall in permanent staff spend is time released; a rise is a cash cost.
        "capacity_released_gbp": split["capacity"],
    }).fillna(0.0).reset_index()
    frame["gross_saving_gbp"] = frame["net_saving_gbp"] + frame["intervention_cost_gbp"]
    frame["cashable_net_saving_gbp"] = frame["cashable_saving_gbp"] - frame["intervention_cost_gbp"]
    frame = frame.sort_values(["replication", "financial_year"],
                              key=lambda col: col.map(first_year_of) if col.name == "financial_year" else col,
                              kind="mergesort").reset_index(drop=True)
    factors = discount_factors(frame["financial_year"], rate) if len(frame) else np.array([])
    frame["discounted_net_saving_gbp"] = frame["net_saving_gbp"] * factors
    by_rep = frame.groupby("replication", sort=False)
    frame["cumulative_net_saving_gbp"] = by_rep["net_saving_gbp"].cumsum()
    frame["cumulative_discounted_net_saving_gbp"] = by_rep["discounted_net_saving_gbp"].cumsum()
    frame["cumulative_cashable_net_saving_gbp"] = by_rep["cashable_net_saving_gbp"].cumsum()
    frame["cumulative_cost_avoidance_gbp"] = by_rep["cost_avoidance_gbp"].cumsum()
    scenario = alt_annual["scenario"].iloc[0] if len(alt_annual) else ""
    frame.insert(0, "scenario", scenario)
    return frame[["scenario", "replication", "financial_year", *SAVINGS_MEASURES]]


def summarise_measures(per_rep: pd.DataFrame, measures) -> pd.DataFrame:
    """Mean with 95% t-interval and P10/P50/P90 over replications, per financial year and measure."""
    long = per_rep.melt(id_vars=["scenario", "replication", "financial_year"], value_vars=list(measures),
                        var_name="kpi", value_name="value")
    summary = summaries.summarise(long, "financial_year")
    return summary.rename(columns={"period": "financial_year", "kpi": "measure"})


def probability_at_least(values, threshold: float) -> tuple[float, float, float]:
    """Share of replications with a value >= threshold, with a 95% Wilson interval."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    share = float(np.mean(values >= threshold))
    z = 1.959963984540054
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return share, max(0.0, centre - half), min(1.0, centre + half)


TARGET_TERMS = ("real", "cash")


def finance_summary(per_rep: pd.DataFrame, target_gbp: float | None = None,
                    target_year: str | None = None, target_terms: str = "real",
                    inflation_pct=2.0) -> dict:
    """Headline finance of one scenario: NPV, cumulative net saving, payback, target probability.

    Parameters
    ----------
    per_rep : DataFrame
        From ``savings_by_replication``.
    target_gbp, target_year : optional
        A savings target: the net saving the user wants in ``target_year``.
    target_terms : {"real", "cash"}
        The terms the target is set in: ``real`` (2023-24 prices) or ``cash`` (the year's cash
        under ``inflation_pct``, as medium-term financial plans are set); the net saving is
        tested in the same terms.

    Returns
    -------
    dict
        ``npv_gbp``, ``cumulative_net_saving_gbp``, ``cumulative_gross_saving_gbp``,
        ``cumulative_intervention_cost_gbp``, ``cumulative_cashable_net_saving_gbp`` and
        ``cumulative_cost_avoidance_gbp`` (each a dict of mean, ci95_low, ci95_high, p10, p50,
        p90, n), ``payback`` (median year or None, and the share of replications paying
        back within the horizon), ``horizon`` (first and last year) and ``target`` (when given).
    """
    years = sorted(per_rep["financial_year"].unique(), key=first_year_of)
    last = per_rep[per_rep["financial_year"] == years[-1]].sort_values("replication")
    npv_by_rep = last["cumulative_discounted_net_saving_gbp"].to_numpy()

    def stats(values) -> dict:
        frame = pd.DataFrame({"scenario": "x", "financial_year": "FY", "kpi": "k", "value": values})
        row = summaries.summarise(frame, "financial_year").iloc[0]
        return {key: float(row[key]) for key in ("mean", "ci95_low", "ci95_high", "p10", "p50", "p90")} | {
            "n": int(row["n"])}

    paybacks = [payback_year(group["financial_year"].tolist(), group["net_saving_gbp"].to_numpy())
                for _, group in per_rep.groupby("replication", sort=True)]
    ranks = sorted(first_year_of(year) if year else math.inf for year in paybacks)
    median = ranks[(len(ranks) - 1) // 2] if ranks else math.inf
    totals = per_rep.groupby("replication", sort=True)[
        ["gross_saving_gbp", "intervention_cost_gbp", "capacity_released_gbp"]].sum()
    result = {
        "horizon": {"first": years[0], "last": years[-1]},
        "npv_gbp": stats(npv_by_rep),
        "cumulative_net_saving_gbp": stats(last["cumulative_net_saving_gbp"].to_numpy()),
        "cumulative_gross_saving_gbp": stats(totals["gross_saving_gbp"].to_numpy()),
        "cumulative_intervention_cost_gbp": stats(totals["intervention_cost_gbp"].to_numpy()),
        "cumulative_cashable_net_saving_gbp": stats(last["cumulative_cashable_net_saving_gbp"].to_numpy()),
        "cumulative_cost_avoidance_gbp": stats(last["cumulative_cost_avoidance_gbp"].to_numpy()),
        "cumulative_capacity_released_gbp": stats(totals["capacity_released_gbp"].to_numpy()),
        "payback": {"median_year": None if math.isinf(median) else label_of(int(median)),
                    "share_within_horizon": float(np.mean([year is not None for year in paybacks]))},
    }
    if target_gbp is not None:
        if target_terms not in TARGET_TERMS:
            raise ValueError(f"target terms must be one of {', '.join(TARGET_TERMS)}, got {target_terms!r}")
        year = target_year or years[-1]
        if year not in years:
            # A year outside the run has no replications: refuse it, never report "nan%".
            raise ValueError(f"target year {year} is not a financial year of the run: expected "
                             f"{years[0]} to {years[-1]}")
        in_year = per_rep.loc[per_rep["financial_year"] == year, "net_saving_gbp"]
        if target_terms == "cash":
            in_year = in_year * cash_factors([year], inflation_pct)[0]
        share, low, high = probability_at_least(in_year, target_gbp)
        result["target"] = {"gbp": float(target_gbp), "financial_year": year, "probability": share,
                            "ci95_low": low, "ci95_high": high, "n": int(in_year.notna().sum()),
                            "terms": target_terms,
                            "prices": "2023-24 prices" if target_terms == "real" else cash_label(inflation_pct)}
    return result


def spend_by_line_summary(annual: pd.DataFrame, inflation_pct: float | None = None) -> pd.DataFrame:
    """Spend by line and year over replications, in 2023-24 prices and (optionally) cash."""
    spend = spend_lines(annual).rename(columns={"line": "kpi"})
    frames = [summaries.summarise(spend, "financial_year").assign(prices="real_2023_24")]
    if inflation_pct is not None:
        cash = spend.assign(value=to_cash(spend["value"], spend["financial_year"], inflation_pct))
        frames.append(summaries.summarise(cash, "financial_year").assign(prices=cash_label(inflation_pct)))
    out = pd.concat(frames, ignore_index=True).rename(columns={"period": "financial_year", "kpi": "line"})
    return out[["scenario", "financial_year", "line", "prices", "mean", "ci95_low", "ci95_high",
                "p10", "p50", "p90", "n"]]


__all__ = [
    "GREEN_BOOK_RATE", "LEVER_COST_LINES", "PRICE_BASE_YEAR", "SAVINGS_MEASURES", "TARGET_TERMS",
    "cash_factors", "cash_label", "discount_factors", "inflation_path", "lever_costs",
    "finance_summary", "npv", "npv_of_cash", "payback_year", "probability_at_least",
    "savings_by_replication", "spend_by_line_summary", "spend_lines",
    "summarise_measures", "to_cash", "to_real", "years_from",
]

"""What the pack says about each scenario, once, for the report, the slides and the workbook.

Owns the sentences of a scenario's projections (headline measures chosen by its levers, the money
with the reconciling words between one year's chance and the whole run's net saving), its levers
as rows (``lever_rows``: every lever of ``scenario.describe``, whatever section it lives in) and
the package against the sum of its parts (``combination_rows``): the parts are the other
scenarios of the comparison whose levers the package contains, chosen by lever, disjoint, the
smallest first; their paired effects (same children, same seeds) are added and set beside the
package's, with the difference's 95% interval said in words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from simulation.analysis.headlines import (
    chance_words,
    change_words,
    headline_differences,
    headline_kpis,
    money,
)
from simulation.records.calendar import first_year_of
from simulation.records.glossary import KPIS
from simulation.scenario.describe import describe, title_of

GROUP_WORDS = {"front_door": "the front door and early help", "workforce": "social workers",
               "placements": "placements and foster carers", "other": "other settings"}


def descriptions(comparison) -> dict:
    """Every scenario's description against the comparison's baseline (cached on it)."""
    cached = getattr(comparison, "_descriptions", None)
    if cached is None:
        pool = comparison.scenarios
        cached = {s.name: describe(s, comparison.base, pool) for s in comparison.scenarios}
        try:
            comparison._descriptions = cached
        except AttributeError:  # a frozen comparison: describe again next time
            pass
    return cached


def _unit(kpi: str) -> str:
    return KPIS.get(kpi, ("", "", ""))[1]


def projections(comparison, name: str) -> list[str]:
    """Plain-English projections of one scenario: its headline measures, then the money."""
    sentences = []
    for label, row in headline_differences(comparison, name):
        kpi = row["kpi"]
        words = change_words(row["mean_difference"], row["ci95_low"], row["ci95_high"], _unit(kpi))
        base = row["base_mean"]
        base_text = f"{base:,.1f}" if abs(base) < 100 else f"{base:,.0f}"
        sentences.append(f"{label[:1].upper()}{label[1:]}: {words}, against the baseline's "
                         f"{base_text}{'%' if _unit(kpi) == 'percentage points' else ''}.")
    finance = comparison.finance.get(name)
    if finance:
        cumulative, npv = finance["cumulative_net_saving_gbp"], finance["npv_gbp"]
        horizon = f"{finance['horizon']['first']} to {finance['horizon']['last']}"
        verb = "saves" if cumulative["mean"] >= 0 else "costs"
        sentences.append(
            f"Money ({horizon}, 2023-24 prices, after paying for the levers): the scenario {verb} about "
            f"{money(abs(cumulative['mean']))} in total against the baseline (the average lies between "
            f"{money(cumulative['ci95_low'])} and {money(cumulative['ci95_high'])}; in 8 of 10 simulated "
            f"futures between {money(cumulative['p10'])} and {money(cumulative['p90'])}, a negative figure "
            f"being a net cost). Net present value at 3.5% a year: {money(npv['mean'])}.")
        payback = finance["payback"]
        sentences.append(
            f"It pays back in {payback['median_year']} in a typical simulated future." if payback["median_year"]
            else "It does not pay back within the period modelled in a typical simulated future: savings "
                 "arrive slowly because children already in care stay for years.")
        target = finance.get("target")
        if target:
            text = (f"A net saving of at least {money(target['gbp'])} in {target['financial_year']} alone "
                    f"({target.get('terms', 'real')} terms) is met {chance_words(target['probability'], target['n'])}.")
            in_year = comparison.savings
            row = in_year[(in_year["scenario"] == name) & (in_year["financial_year"] == target["financial_year"])
                          & (in_year["measure"] == "net_saving_gbp")] if not in_year.empty else in_year
            if not row.empty and (row["mean"].iloc[0] >= 0) != (cumulative["mean"] >= 0):
                text += (f" That year's saving ({money(row['mean'].iloc[0])} on average) is one year; over "
                         f"the whole run the scenario {verb} {money(abs(cumulative['mean']))}, because "
                         + ("the levers are paid for from the start while savings build up slowly."
                            if cumulative["mean"] < 0 else "the later years save less than they cost."))
            sentences.append(text)
    return sentences


def what_must_be_true(comparison, scenario) -> list[str]:
    """Conditions for the scenario to work: each lever's effects, with evidence and range."""
    description = descriptions(comparison)[scenario.name]
    points = [point for lever in description.levers for point in lever.must_be_true]
    if description.levers:
        points.append("The effects last for the whole period, and the rest of the service works as in the "
                      "baseline (the same children, the same ways through the system).")
    return points


def lever_rows(comparison, scenario) -> list[dict]:
    """One row per setting of every lever: what changes, when, cost, value, range, evidence."""
    rows = []
    for lever in descriptions(comparison)[scenario.name].levers:
        for setting in lever.settings:
            rows.append({"Scenario": title_of(scenario.name), "Lever": lever.title,
                         "Acts on": GROUP_WORDS.get(lever.group, lever.group),
                         "What changes": lever.what, "From": lever.start.removeprefix("from "),
                         "Phase-in": lever.phase_in, "Cost": lever.cost, "Setting": setting.label,
                         "Value": setting.value, "Baseline": setting.baseline,
                         "Range the evidence allows": setting.range or "stated value",
                         "Drawn from its range": "yes" if setting.is_effect else "no",
                         "Evidence": setting.evidence})
    return rows


def parts_of(comparison, package_name: str) -> list[str]:
    """The scenarios that are parts of a package: their levers all in it, disjoint, smallest first."""
    found = descriptions(comparison)
    keys = found[package_name].lever_keys
    candidates = sorted((s.name for s in comparison.alternatives if s.name != package_name
                         and found[s.name].lever_keys and found[s.name].lever_keys < keys),
                        key=lambda name: len(found[name].lever_keys))
    parts, covered = [], set()
    for name in candidates:
        if not found[name].lever_keys & covered:
            parts.append(name)
            covered |= found[name].lever_keys
    return parts if len(parts) >= 2 else []


def _effects(comparison, name: str, kpi: str, year: str) -> pd.Series:
    base = comparison.base.name

    def values(scenario):
        frame = comparison.annual[scenario]
        return frame[(frame["kpi"] == kpi) & (frame["financial_year"] == year)].set_index("replication")["value"]
    return values(name) - values(base)


def _interval(values: pd.Series) -> tuple[float, float, float]:
    values = values.dropna()
    n = len(values)
    half = stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / np.sqrt(n) if n > 1 else 0.0
    return float(values.mean()), float(values.mean() - half), float(values.mean() + half)


def combination_rows(comparison, package_name: str) -> pd.DataFrame:
    """A package beside the sum of its parts, per headline measure in the last full year and for
    the cumulative net saving: ``interaction`` = package - sum of parts, paired by replication,
    with its 95% interval. Empty when the package has fewer than two parts in the comparison."""
    parts = parts_of(comparison, package_name)
    if not parts:
        return pd.DataFrame()
    last = max(comparison.annual[comparison.base.name]["financial_year"], key=first_year_of)
    rows = []
    for kpi in dict.fromkeys(headline_kpis(comparison, package_name) + ["assessments_completed", "early_help_waiting"]):
        package = _effects(comparison, package_name, kpi, last)
        summed = sum(_effects(comparison, part, kpi, last) for part in parts)
        if package.dropna().empty:
            continue
        rows.append(_row(kpi, last, package_name, parts, package, summed))
    per_rep = comparison.savings_by_replication
    if not per_rep.empty:
        final = per_rep[per_rep["financial_year"] == last].set_index(["scenario", "replication"])["cumulative_net_saving_gbp"]
        if all(name in final.index.get_level_values(0) for name in [package_name, *parts]):
            rows.append(_row("cumulative_net_saving_gbp", last, package_name, parts, final[package_name],
                             sum(final[part] for part in parts)))
    return pd.DataFrame(rows)


def _row(kpi, year, package_name, parts, package, summed) -> dict:
    mean, low, high = _interval(package - summed)
    return {"kpi": kpi, "financial_year": year, "package": package_name, "parts": " + ".join(parts),
            "package_effect": float(package.mean()), "sum_of_parts": float(summed.mean()),
            "interaction": mean, "ci95_low": low, "ci95_high": high, "n": int((package - summed).notna().sum())}


def combination_sentence(row) -> str:
    """One row of ``combination_rows`` in words: is the package more or less than its parts?"""
    if row["kpi"] == "cumulative_net_saving_gbp":
        label, unit = "cumulative net saving", "£"
    else:
        label, unit = KPIS.get(row["kpi"], (row["kpi"], "", ""))[0], _unit(row["kpi"])
    package, summed = row["package_effect"], row["sum_of_parts"]
    if row["ci95_low"] <= 0 <= row["ci95_high"]:
        verdict = "about the sum of its parts (the difference cannot be told from none)"
    elif abs(package) < abs(summed):
        verdict = "less than the sum of its parts"
    else:
        verdict = "more than the sum of its parts"
    if unit == "£":
        return (f"{label[:1].upper()}{label[1:]}: the package {money(package)}, its parts added together "
                f"{money(summed)}; difference {money(row['interaction'])} (between {money(row['ci95_low'])} and "
                f"{money(row['ci95_high'])}): {verdict}.")
    return (f"{label[:1].upper()}{label[1:]}: the package {change_words(package, package, package, unit).split(' (')[0]}, "
            f"its parts added together {change_words(summed, summed, summed, unit).split(' (')[0]}; the difference is "
            f"{change_words(row['interaction'], row['ci95_low'], row['ci95_high'], unit)}: {verdict}.")


__all__ = ["combination_rows", "combination_sentence", "descriptions", "lever_rows", "parts_of",
           "projections", "what_must_be_true"]

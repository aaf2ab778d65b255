"""What a scenario changes, said as a person would: headlines chosen by the scenario's levers,
numbers rounded, signs and words that agree, chances said over the runs behind them.

Owns the headline measures (``HEADLINES``: a placement scenario leads with placements, a
workforce one with caseloads and turnover, the front door with referrals), the wording of a
change with its interval (``change_words``), of a chance (``chance_words``) and of money
(``money``), and the console's headline lines (``headline_changes``), which the leaders' page
shows too.
"""

from __future__ import annotations

import math

import pandas as pd

from simulation.records.calendar import first_year_of
from simulation.records.glossary import KPIS
from simulation.scenario.describe import describe

#: What each kind of lever moves, in the order a headline says it.
HEADLINES = {
    "front_door": ("referrals", "children_in_need", "cla"),
    "placements": ("cla_placement_residential", "cla_placement_foster_inhouse", "foster_households"),
    "workforce": ("sw_caseload_mean", "sw_turnover_pct", "children_in_need"),
    "other": ("referrals", "children_in_need", "cla"),
}
MOST_HEADLINES = 5


def money(value: float) -> str:
    """£ in a committee's words: "£0.54m", "−£41,000" (a minus sign, no hyphen to break at)."""
    if value is None or value != value:
        return "n/a"
    sign = "\u2212" if value < -0.5 else ""
    value = abs(value)
    if value >= 1e5:
        return f"{sign}£{value / 1e6:.2f}m"
    rounded = _round(value, 1000 if value >= 1e4 else 100)
    return f"{sign if rounded else ''}£{rounded:,.0f}"


def _round(value: float, step: float) -> float:
    return round(value / step) * step


def _step(scale: float) -> float:
    """A rounding step as a person would say ``scale``: two significant figures from 10 up
    (190, 1,200), one below (8, 0.3, 0.04)."""
    if scale <= 0 or not math.isfinite(scale):
        return 1.0
    digits = math.floor(math.log10(scale))
    return max(1e-3, 10.0 ** (digits - 1 if scale >= 10 else digits))


def _fine_step(scale: float, low: float, high: float) -> float:
    """``_step(scale)``, finer where that step would swallow the interval (a caseload down 1.3,
    between 1.0 and 1.6, is not "1, between 1 and 1")."""
    step = _step(scale)
    width = abs(high - low)
    return min(step, _step(width)) if 0 < width < 2 * step else step


def _number(value: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    return f"{abs(_round(value, step)):,.{decimals}f}"


def change_words(mean: float, low: float, high: float, unit: str = "") -> str:
    """A paired change with its 95% interval: "about 190 fewer (between 180 and 200 fewer)";
    "no measurable change (between 0.6 fewer and 0.1 more)". ``unit`` "percentage points" says
    higher/lower instead of more/fewer."""
    if any(value != value for value in (mean, low, high)):
        return "not measured"
    low, high = min(low, high), max(low, high)
    if low == high == mean == 0:
        return "no change (the same in every simulated future)"
    step = _fine_step(abs(mean) if abs(mean) >= 1 or (low < 0) == (high < 0) and low != 0
                      else max(abs(low), abs(high)), low, high)
    up, down = ("higher", "lower") if unit == "percentage points" else ("more", "fewer")
    suffix = " percentage points" if unit == "percentage points" else ""

    def end(value):
        if _round(value, step) == 0:
            return "no change"
        return f"{_number(value, step)}{suffix} {up if value > 0 else down}"

    interval = f"between {end(low)} and {end(high)}"
    if end(low) == end(high) == "no change":
        return "no measurable change"
    if low <= 0 <= high:
        if _round(mean, step) == 0:
            return f"no measurable change ({interval})"
        return (f"about {end(mean)} ({interval}: the model cannot tell this from no change)")
    if (low < 0) == (high < 0):  # same side: say the magnitudes in order, smaller first
        near, far = sorted((abs(low), abs(high)))
        word = down if mean < 0 else up
        interval = f"between {_number(near, step)} and {_number(far, step)}{suffix} {word}"
    return f"about {end(mean)} ({interval})"


def chance_words(probability: float, n: int) -> str:
    """A share of runs as the runs behind it: "in 9 of 10 simulated futures"."""
    if n <= 0 or probability != probability:
        return "not measured (no simulated futures in that year)"
    hits = int(round(probability * n))
    if n > 100:
        return f"in about {round(100 * probability)} of every 100 simulated futures ({hits:,} of {n:,})"
    return f"in {hits} of {n} simulated futures"


def headline_label(label: str, kind: str, financial_year: str) -> str:
    """"referrals in FY2027-28" for a flow; "children in need at 31 March 2028" for a stock."""
    if kind in ("flow", "pct"):
        return f"{label} in {financial_year}"
    return f"{label} at 31 March {first_year_of(financial_year) + 1}"


def headline_kpis(comparison, name: str) -> list[str]:
    """The measures a scenario's headlines use: those its levers move, front door first."""
    scenario = next(s for s in comparison.scenarios if s.name == name)
    groups = describe(scenario, comparison.base).groups or ["other"]
    order = [group for group in ("front_door", "placements", "workforce", "other") if group in groups]
    chosen: list[str] = []
    for rank in range(3):
        for group in order:
            kpi = HEADLINES[group][rank]
            if kpi not in chosen:
                chosen.append(kpi)
    return chosen[:MOST_HEADLINES if len(order) > 1 else 3]


def headline_differences(comparison, name: str) -> list[tuple[str, pd.Series]]:
    """(plain-English label, paired-difference row) of the scenario's headline measures in the
    last full year."""
    diffs = comparison.differences_annual
    diffs = diffs[diffs["alt_scenario"] == name]
    if diffs.empty:
        return []
    last_year = max(diffs["period"], key=first_year_of)
    found = []
    for kpi in headline_kpis(comparison, name):
        row = diffs[(diffs["kpi"] == kpi) & (diffs["period"] == last_year)]
        if not row.empty:
            label, _unit, kind = KPIS[kpi]
            found.append((headline_label(label, kind, last_year), row.iloc[0]))
    return found


def _signed(value: float, step: float) -> str:
    text = _number(value, step)
    return "0" if _round(value, step) == 0 else f"{'+' if value > 0 else chr(0x2212)}{text}"


def headline_changes(comparison, name: str) -> list[str]:
    """The console's lines for one scenario: headline changes with intervals, then the money."""
    lines = []
    for label, row in headline_differences(comparison, name):
        mean, low, high = row["mean_difference"], row["ci95_low"], row["ci95_high"]
        step = _fine_step(abs(mean) if abs(mean) >= 1 else max(abs(low), abs(high), 1e-9), low, high)
        base_step = _step(abs(row["base_mean"]))
        lines.append(f"{label}: {_signed(mean, step)} (95% CI {_signed(low, step)} to {_signed(high, step)}; "
                     f"baseline {_number(row['base_mean'], min(base_step, 1.0) if abs(row['base_mean']) < 100 else 1)})")
    finance = comparison.finance.get(name)
    if finance:
        cumulative, npv = finance["cumulative_net_saving_gbp"], finance["npv_gbp"]
        horizon = f"{finance['horizon']['first']} to {finance['horizon']['last']}"
        lines.append(f"net saving {horizon}: {money(cumulative['mean'])} (95% CI "
                     f"{money(cumulative['ci95_low'])} to {money(cumulative['ci95_high'])}; "
                     f"P10 {money(cumulative['p10'])}, P90 {money(cumulative['p90'])}); "
                     f"NPV at 3.5% {money(npv['mean'])}; payback "
                     f"{finance['payback']['median_year'] or 'not within the horizon'}")
        if "cumulative_gross_saving_gbp" in finance:
            part = lambda key: money(finance[key]["mean"])  # noqa: E731
            lines.append(f"of which: gross saving {part('cumulative_gross_saving_gbp')} less "
                         f"investment (intervention cost) {part('cumulative_intervention_cost_gbp')}; "
                         f"cashable net {part('cumulative_cashable_net_saving_gbp')}, cost avoidance "
                         f"{part('cumulative_cost_avoidance_gbp')}, capacity released "
                         f"{part('cumulative_capacity_released_gbp')}")
        target = finance.get("target")
        if target:
            lines.append(f"chance of a net saving of at least {money(target['gbp'])} "
                         f"({target.get('terms', 'real')} terms, {target.get('prices', '2023-24 prices')}) in "
                         f"{target['financial_year']} alone: "
                         f"{chance_words(target['probability'], target['n'])}")
    return lines


__all__ = ["HEADLINES", "chance_words", "change_words", "headline_changes", "headline_differences",
           "headline_kpis", "headline_label", "money"]

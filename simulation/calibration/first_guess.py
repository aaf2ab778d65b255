"""The first guess by arithmetic: durations and transition probabilities from published figures.

Before any simulation, the published stocks and flows pin down much of the model:

- **Little's law**: in a steady state the mean number open equals the rate of starts times the
  mean time open, ``L = lambda * W``, so ``W = L / lambda``. With ``L`` the mean of the 31 March
  2022 and 2023 stocks and ``lambda`` the 2022-23 starts, this gives the mean CP plan and care
  episode lengths.
- **Stage ratios**: the chance of moving on from one stage is the ratio of the flows, e.g. ICPCs
  per s.47 enquiry.

Each row sets the arithmetic beside the baseline's current value (``scenarios/baseline.toml``)
and, where the baseline value implies the same quantity, the implied figure; the calibration
report prints the table (``markdown()``). Nothing here changes the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulation.calibration.calibrate import current_values


@dataclass(frozen=True)
class Guess:
    quantity: str
    arithmetic: str
    first_guess: float
    parameter: str
    baseline: float
    unit: str


def _value(targets: pd.DataFrame, kpi: str, period: str) -> float:
    rows = targets[(targets["kpi"] == kpi) & (targets["period"] == period)]
    return float(rows["value"].iloc[0]) if len(rows) else float("nan")


def cp_plan_mean_days(protection) -> float:
    """Mean CP plan length implied by the review structure of ``[protection]`` (days).

    A plan ends before its first review with chance e (assumed half-way, at ~45 days); else at
    the first review (day 91) with chance p1; else at each later review (every 182 days) with
    chance p2, a geometric number of intervals with mean 1/p2.
    """
    e = protection["ended_before_first_review_prob"]
    p1 = protection["end_at_first_review_prob"]
    p2 = protection["end_at_later_review_prob"]
    first, interval = protection["first_review_days"], protection["review_interval_days"]
    return e * first / 2 + (1 - e) * (first + (1 - p1) * interval / p2)


def guesses(targets: pd.DataFrame, scenario_path: Path) -> list[Guess]:
    """The first-guess rows for 2022-23 (stocks: mean of 31 March 2022 and 2023)."""
    v = lambda kpi, period="2022-23": _value(targets, kpi, period)  # noqa: E731
    names = ("protection.ended_before_first_review_prob", "protection.end_at_first_review_prob",
             "protection.end_at_later_review_prob", "protection.first_review_days",
             "protection.review_interval_days", "protection.icpc_after_s47_prob",
             "protection.cp_plan_after_icpc_prob", "assessment.s47_prob",
             "workforce.employed_leaving_rate_per_year", "workforce.agency_cover_prob",
             "referrals.external_rate_per_year")
    base = current_values(scenario_path, names)
    protection = {name.split(".")[1]: value for name, value in base.items()
                  if name.startswith("protection.")}
    cp_stock = (v("cp_plans_open", "2021-22") + v("cp_plans_open")) / 2
    cla_stock = (v("cla", "2021-22") + v("cla")) / 2
    leavers = [v("sw_leavers_fte", f"30 Sep {y}") for y in (2019, 2020, 2021, 2022)]
    in_post = [v("sw_fte", f"30 Sep {y}") for y in (2019, 2020, 2021, 2022)]
    agency = [v("sw_agency_fte", f"30 Sep {y}") for y in (2019, 2020, 2021, 2022)]
    vacant = [v("sw_vacancies_fte", f"30 Sep {y}") for y in (2019, 2020, 2021, 2022)]
    return [
        Guess("Mean CP plan length", f"Little's law: mean stock {cp_stock:.1f} / {v('cp_plans_started'):.0f} "
              "starts a year x 365", 365 * cp_stock / v("cp_plans_started"),
              "protection review chances (implied mean)", cp_plan_mean_days(protection), "days"),
        Guess("Mean care episode", f"Little's law: mean stock {cla_stock:.1f} / {v('cla_ceased'):.0f} "
              "ceased a year", cla_stock / v("cla_ceased"),
              "care.exit_mean_days_by_entry_age with leaving at 18 (not computed here)",
              float("nan"), "years"),
        Guess("ICPC per s.47 enquiry", f"{v('icpcs'):.0f} / {v('s47_enquiries'):.0f}",
              v("icpcs") / v("s47_enquiries"), "protection.icpc_after_s47_prob",
              base["protection.icpc_after_s47_prob"], "probability"),
        Guess("CP plan per ICPC", f"{v('cp_plans_started'):.0f} / {v('icpcs'):.0f}",
              v("cp_plans_started") / v("icpcs"), "protection.cp_plan_after_icpc_prob",
              base["protection.cp_plan_after_icpc_prob"], "probability"),
        Guess("s.47 enquiries per referral", f"{v('s47_enquiries'):.0f} / {v('referrals'):.0f} "
              "(the model also starts s.47 from CIN plans, so its s47_prob sits below this)",
              v("s47_enquiries") / v("referrals"), "assessment.s47_prob",
              base["assessment.s47_prob"], "probability"),
        Guess("First-time referrals a year", f"{v('referrals'):.0f} x (1 - {v('rereferral_pct'):.1f}%) "
              "(the model also generates early-help escalations, so its external rate sits below)",
              v("referrals") * (1 - v("rereferral_pct") / 100), "referrals.external_rate_per_year",
              base["referrals.external_rate_per_year"], "referrals a year"),
        Guess("Social worker leaving rate", "mean leavers / mean FTE in post, Sep 2019-2022: "
              f"{sum(leavers) / 4:.1f} / {sum(in_post) / 4:.1f}", sum(leavers) / sum(in_post),
              "workforce.employed_leaving_rate_per_year",
              base["workforce.employed_leaving_rate_per_year"], "per year"),
        Guess("Agency cover of vacancies", "mean agency FTE / vacant FTE, Sep 2019-2022",
              sum(a / b for a, b in zip(agency, vacant)) / 4, "workforce.agency_cover_prob",
              base["workforce.agency_cover_prob"], "share"),
    ]


def markdown(targets: pd.DataFrame, scenario_path: Path) -> str:
    """The first-guess section of the calibration report."""
    lines = [
        "## First guess by arithmetic",
        "",
        "Little's law (mean time open = mean number open / starts a year) and ratios between "
        "stages, from the 2022-23 figures (stocks: mean of 31 March 2022 and 2023), beside the "
        "baseline's current value. A gap says where simulation must do the rest (feedback, "
        "routes the arithmetic leaves out) or where the baseline departs from the arithmetic.",
        "",
        "| Quantity | Arithmetic | First guess | Baseline parameter | Baseline value | Unit |",
        "|---|---|---|---|---|---|",
    ]
    for g in guesses(targets, scenario_path):
        base = "–" if g.baseline != g.baseline else f"{g.baseline:,.3g}"
        lines.append(f"| {g.quantity} | {g.arithmetic} | {g.first_guess:,.3g} | `{g.parameter}` "
                     f"| {base} | {g.unit} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m simulation.calibration.first_guess [SCENARIO]
    import sys

    from simulation.calibration.calibrate import load_targets

    default = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml"
    print(markdown(load_targets(), Path(sys.argv[1]) if len(sys.argv) > 1 else default))

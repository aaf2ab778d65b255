"""Plausibility bounds: a physical or policy limit on every parameter, sourced or assumed.

A ``range`` states what an assumption may plausibly be for Southend; a ``source`` states where a
number came from, and so carries no range. Neither stops a typo (``1e12`` FTE, a population
falling 150% a year, a median duration of 1e300 days) that the model cannot run: such values used
to pass validation and then fail deep in numpy, or run for hours. These bounds are wider than
any English authority (the benchmark scales Southend 16-fold, a large county) and are checked on
every parameter whatever its provenance, when a scenario is validated.

Covers
------
- ``RULES``: (pattern on the parameter's name, lowest, highest, what the limit is), first match
  wins. The pattern is matched against the field's name (``search_wait_days``), so a new
  parameter with a unit in its name gets the unit's bounds; a name no rule matches is an error
  in ``tests/test_robustness_scenarios.py`` (every parameter must have a stated limit).
- ``check(name, value)``: what was expected (one line) when a value, or any value of a table,
  is outside its bounds; None when plausible.
- ``check_lognormal_means(values)``: a lognormal duration of a child's stage
  (``<x>_median_days`` with ``<x>_lognormal_sigma``) whose mean, median x exp(sigma^2 / 2),
  is longer than childhood (18 years). Each is plausible alone, but the starting stock is
  sized from the mean (a stock of open assessments is referrals a day times the mean length),
  so such a pair would build a stock of millions before the first event.

Assumptions (the limits, each wide of any authority in England)
---------------------------------------------------------------
- Durations: at least a day (the model's clock counts days; a shorter wait, review or stay
  makes a child loop through events) and under 100 years.
- Counts of children or families in a starting stock: at most 50,000 (the largest
  authorities have about 12,000 children in need; England about 400,000 in all); foster
  households at most 50,000 (England has about 45,000; the engine numbers a starting
  household below 100,000). Arrivals a year: at most 100,000 (England has about 650,000
  referrals a year across 153 authorities).
- Staff: at most 10,000 FTE in a team or a lever (England's local authorities employ about
  33,000 children's social workers in all).
- Money: weekly prices up to £100,000; yearly sums up to £1bn (a large council's whole budget).
- Population change after the last published year: -50% to +50% a year.
"""

from __future__ import annotations

import math
import re

#: (regex on the field name, lowest, highest, the limit in words). First match wins.
RULES: tuple[tuple[str, float, float, str], ...] = (
    (r"_prob$|_prob_|_mix$", 0.0, 1.0, "a probability"),
    # The cost base and the reconciliation (issue 18).
    (r"^real_price_growth_pct_per_year$", -20.0, 50.0, "a real price change in % a year"),
    (r"^sgo_cao_allowances_in_payment_at_start$", 0.0, 50_000.0, "a count of allowances in payment"),
    (r"^sgo_cao_allowance_stock_mean_years$", 0.1, 18.0, "years until a child reaches 18"),
    (r"_weeks$", 0.0, 5_200.0, "a number of weeks, under 100 years"),
    (r"^cla_share_of_social_work_staff$", 0.0, 1.0, "a share"),
    (r"^growth_.*_pct_per_year$", -50.0, 50.0, "a population change in % a year"),
    (r"^fee_uplift_pct$", 0.0, 200.0, "a fee uplift in %"),
    (r"_pct$", 0.0, 100.0, "a percentage"),
    (r"^break_after_placement_days$", 0.0, 36_500.0, "a break in days, under 100 years"),
    (r"_days$|_days_by_", 1.0, 36_500.0, "a duration in days, at least a day and under 100 years"),
    (r"_months$", 0.0, 1_200.0, "a number of months, under 100 years"),
    (r"^asye_intake_month$", 1.0, 12.0, "a month number"),
    (r"^leaving_care_support_until_age_years$", 18.0, 25.0,
     "an age (care leavers are supported to 21, or to 25 on request)"),
    (r"_gbp_by_age$|weekly_gbp$|weekly_price_gbp$", 0.0, 100_000.0, "a weekly price in GBP"),
    (r"_gbp$|_gbp_per_year$|_gbp_per_hire$|_gbp_per_fte_per_year$|_year_gbp$", 0.0, 1e9,
     "GBP, at most a large council's whole budget"),
    (r"^part_time_post_fte$", 0.1, 1.0, "the FTE of one part-time post"),
    (r"_per_fte$|caseload$", 1.0, 1_000.0, "cases held by one FTE"),
    (r"^fte$", -10_000.0, 10_000.0,
     "FTE (councils in England employ about 33,000 children's social workers in all)"),
    (r"_fte$|_fte_at_start$", 0.0, 10_000.0,
     "FTE (councils in England employ about 33,000 children's social workers in all)"),
    (r"^(breakdown|deregistration|employed_leaving)_rate_per_year", 0.0, 12.0,
     "a rate a year (at most once a month)"),
    (r"_per_year$|^referrals_in_year$", 0.0, 100_000.0,
     "a number a year (England has about 650,000 referrals a year in all)"),
    (r"_per_month$", 0.0, 10_000.0, "a number a month"),
    (r"^children_0_17_by_mid_year$", 100.0, 2_000_000.0, "a child population"),
    (r"^initial_households$", 0.0, 50_000.0,
     "a number of foster households (England has about 45,000 in all)"),
    (r"^(children_in_need|cp_plans_open|cla|care_leavers|staying_put|early_help_open_families"
     r"|other_cases_held)$", 0.0, 50_000.0,
     "a count of children or families (the largest authorities have about 12,000 children "
     "in need)"),
    (r"^capacity_families$", 0.0, 1_000_000.0, "a number of places"),
    (r"_lognormal_sigma$", 0.01, 3.0, "a lognormal sigma"),
    (r"^(on_cost|agency_premium)_share$", 0.0, 5.0, "a share of pay"),
    (r"_share$|^share_of_", 0.0, 1.0, "a share"),
    (r"_elasticity$", 0.0, 5.0, "an elasticity"),
    (r"_strength$", 0.0, 10.0, "a strength"),
    (r"^max_multiplier$", 1.0, 100.0, "a largest multiplier"),
    (r"_multiplier$|^levers$", 0.01, 10.0, "a multiplier"),
    (r"_uprating_to_\d{4}_\d{2}$", 0.5, 2.0, "an uprating factor"),
)
_COMPILED = tuple((re.compile(pattern), low, high, words) for pattern, low, high, words in RULES)


def rule_for(name: str) -> tuple[float, float, str] | None:
    """The bounds of parameter ``name`` (lowest, highest, the limit in words), or None."""
    for pattern, low, high, words in _COMPILED:
        if pattern.search(name):
            return low, high, words
    return None


def _numbers(value) -> list[tuple[object, float]]:
    if isinstance(value, dict):
        return [(key, number) for key, number in value.items()
                if isinstance(number, (int, float))]
    return [(None, value)] if isinstance(value, (int, float)) else []


def check(name: str, value) -> str | None:
    """What was expected of ``value`` (a number or a table of numbers), or None when plausible.

    A name with no rule is held only to being finite: ``tests`` make sure every parameter of the
    shipped scenarios has a rule.
    """
    rule = rule_for(name)
    for key, number in _numbers(value):
        where = "" if key is None else f" ({key} is {number:g})"
        if not math.isfinite(number):
            return f"a finite number{where}"
        if rule is not None and not rule[0] <= number <= rule[1]:
            low, high, words = rule
            return f"{words}, from {low:g} to {high:g}{where}"
    return None


#: A child's stage (early help, assessment, a plan) cannot outlast childhood: 18 years.
MAX_MEAN_DAYS = 18 * 365.25


def check_lognormal_means(values: dict[str, float]) -> str | None:
    """What was expected of the lognormal durations among ``values`` (field name -> number), or
    None when every mean is under 100 years."""
    for name, median in values.items():
        if not name.endswith("_median_days"):
            continue
        sigma = values.get(name.replace("_median_days", "_lognormal_sigma"))
        if sigma is None or not (math.isfinite(median) and math.isfinite(sigma)):
            continue
        mean = median * math.exp(min(sigma, 30.0) ** 2 / 2)
        if mean > MAX_MEAN_DAYS:
            return (f"{name} and its lognormal sigma giving a mean duration within childhood "
                    f"(18 years, {MAX_MEAN_DAYS:,.0f} days); they give {mean:,.0f} days")
    return None


__all__ = ["MAX_MEAN_DAYS", "RULES", "check", "check_lognormal_means", "rule_for"]

"""Units, labels and slider steps from parameter names (the schema puts units in names).

A parameter's unit is the end of its name (``_gbp``, ``_pct``, ``_prob``, ``_days``, ``_fte``...;
see ``design.md`` section 2), so the page reads it from there rather than keeping a table of
units that would drift from the schema.
"""

from __future__ import annotations

import math

#: Name endings and the unit they state, longest first.
SUFFIX_UNITS = (
    ("_gbp_per_fte_per_year", "£ per FTE a year"),
    ("_weekly_gbp", "£ a week (2023-24 prices)"),
    ("_weeks", "weeks"),
    ("_per_household_per_year_gbp", "£ per household a year"),
    ("_cost_per_year_gbp", "£ a year"),
    ("_gbp_per_year", "£ a year"),
    ("annual_cost_gbp", "£ a year (2023-24 prices)"),
    ("_gbp", "£ (2023-24 prices)"),
    ("_pct", "%"),
    ("_prob", "share, 0 to 1"),
    ("_multiplier", "times the baseline's rate"),
    ("multiplier", "times the baseline's value"),
    ("_months", "months"),
    ("_days", "days"),
    ("_fte", "FTE"),
    ("fte", "FTE"),
    ("_per_year", "a year"),
    ("_of_establishment", "share of the establishment, 0 to 1"),
    ("_families", "families"),
    ("_date", "date"),
)
#: Plain words for some names; others are the name with spaces.
LABELS = {
    "fee_uplift_pct": "Uplift on fees and allowances",
    "fee_uplift_starts_after_months": "Starts after (months from the run's start)",
    "fee_uplift_phase_in_months": "Phase-in",
    "support_starts_after_months": "Starts after (months from the run's start)",
    "phase_in_months": "Phase-in",
    "start_date": "Start date",
    "fte": "Extra posts",
    "diversion_prob": "Share of first-time referrals diverted when a place is free",
    "enquiries_per_year": "Enquiries from would-be carers",
    "marketing_cost_per_year_gbp": "Recruitment marketing",
    "step_down_ready_prob": "Share of children in homes ready to step down",
    "step_down_after_days": "Considered for step-down after",
    "step_down_support_cost_gbp": "Transition support to carers per step-down",
    "step_down_start_date": "Programme starts",
    "step_down_phase_in_months": "Readiness phased in over",
    "step_down_enhanced_fee_weekly_gbp": "Enhanced fee to the receiving carers",
    "step_down_support_weekly_gbp": "Wraparound support while enhanced",
    "step_down_enhanced_weeks": "Enhanced fee and support last",
    "step_down_breakdown_prob": "Share of step-downs that break down back to a home",
    "step_down_programme_cost_gbp_per_year": "Programme cost",
    "payment_gbp_per_fte_per_year": "Retention payment",
    "leaving_rate_multiplier": "Leaving rate of employed social workers",
    "share_of_establishment": "Most agency cover",
    "success_prob": "Chance a recruitment campaign fills a post",
    "cost_gbp_per_year": "Extra recruitment spend",
    "extra_per_year": "Extra newly qualified social workers",
}


def unit_of(name: str) -> str:
    """The unit a parameter's name states (``"annual_cost_gbp"`` -> pounds a year)."""
    for suffix, unit in SUFFIX_UNITS:
        if name.endswith(suffix):
            return unit
    return "number"


def label_of(name: str) -> str:
    """A plain label for a parameter or section name."""
    last = name.rsplit(".", 1)[-1]
    return LABELS.get(last, last.replace("_", " ").capitalize())


def nice_step(low: float, high: float) -> float:
    """A round slider step giving about 100 to 1,000 steps across ``[low, high]``."""
    span = float(high) - float(low)
    if span <= 0:
        return 1.0
    return 10.0 ** math.floor(math.log10(span / 100))


__all__ = ["label_of", "nice_step", "unit_of"]

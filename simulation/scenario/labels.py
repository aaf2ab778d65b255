"""Units, labels and values in words from parameter names (the schema puts units in names).

A parameter's unit is the end of its name (``_gbp``, ``_pct``, ``_prob``, ``_days``, ``_fte``...;
see ``design.md`` section 2), so the leaders' page and the scrutiny pack read it from there rather
than keeping a table of units that would drift from the schema. ``format_value`` says a value as a
person would write it ("25%", "£3,000 a year per FTE", "x0.85 (15% lower)", "April 2025").
"""

from __future__ import annotations

import datetime as dt
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
    "recruitment_payment_elasticity": "Response of carer enquiries to payment (elasticity)",
    "retention_payment_elasticity": "Response of carers staying to payment (elasticity)",
    "support_deregistration_reduction_pct": "Fewer carers deregistering",
    "support_extra_cost_per_household_per_year_gbp": "Extra support per household",
    "permanent_leavers_share": "Share of permanent social workers who leave at once",
    "date": "Date",
    "capacity_families": "Early help places (families helped at once)",
    "external_rate_per_year": "First-time referrals",
    "partner_requests_per_year": "Families partners bring to early help",
    "nfa_at_referral_prob": "Referrals closed at the front door (no further action)",
    "annual_cost_gbp": "Annual cost",
    "cost_end_date": "Cost ends",
}


#: Lever families: key, title, what it acts on (the pack's headlines follow it), and the parameter
#: paths (prefixes ending in "_" or ".") it gathers. Groups: front_door, workforce, placements.
FAMILIES = (
    ("fee_uplift", "Foster carers' fees and allowances", "placements",
     ("fostering.fee_uplift_", "fostering.recruitment_payment_elasticity",
      "fostering.retention_payment_elasticity")),
    ("carer_support", "Support for foster carers", "placements", ("fostering.support_",)),
    ("carer_recruitment", "Foster carer recruitment", "placements",
     ("fostering.enquiries_per_year", "fostering.marketing_cost_per_year_gbp")),
    ("step_down", "Step-down from children's homes to foster care", "placements",
     ("placement_market.step_down_",)),
    ("diversion", "Diversion to early help at the front door", "front_door", ("early_help.diversion_",)),
    ("extra_posts", "Extra social worker posts", "workforce", ("workforce_levers.extra_posts.",)),
    ("retention", "Social worker retention payment", "workforce", ("workforce_levers.retention.",)),
    ("faster_recruitment", "Faster social worker recruitment", "workforce",
     ("workforce_levers.faster_recruitment.",)),
    ("agency_cap", "Cap on agency social workers", "workforce", ("workforce_levers.agency_cap.",)),
    ("asye_places", "More newly qualified (ASYE) places", "workforce", ("workforce_levers.asye_places.",)),
    ("shock", "Staff-loss shock (a stress test)", "workforce", ("workforce_levers.shock.",)),
)
#: The section a parameter no family claims acts on.
SECTION_GROUPS = {"referrals": "front_door", "early_help": "front_door", "assessment": "front_door",
                  "protection": "front_door", "cin_plans": "front_door", "workforce": "workforce",
                  "capacity": "workforce", "caseload_effects": "workforce", "fostering": "placements",
                  "placement_market": "placements", "care": "placements"}
NOT_LEVERS = ("name", "description")
TARGET_WORDS = {
    "referrals.external_rate_per_year": "first-time referrals to children's social care",
    "early_help.partner_requests_per_year": "families that partners bring to early help",
    "referrals.nfa_at_referral_prob": "referrals closed at the front door with no further action",
    "early_help.capacity_families": "early help places (families helped at once)",
}


def money_words(value: float) -> str:
    """£ as written in a committee paper: "£3,000", "£0.63m", "-£1.2m" (a minus sign, never a
    hyphen that a browser may break after)."""
    sign = "\u2212" if value < 0 else ""
    value = abs(float(value))
    if value >= 1e6:
        return f"{sign}£{value / 1e6:.2f}m"
    return f"{sign}£{value:,.0f}"


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3g}"


def format_value(name: str, value) -> str:
    """A parameter's value in words, from the unit its name states."""
    if isinstance(value, dt.date):
        return f"{value.day} {value:%B %Y}"
    if isinstance(value, bool):
        return "on" if value else "off"
    if not isinstance(value, (int, float)):
        return str(value)
    last = name.rsplit(".", 1)[-1]
    if last.endswith("multiplier") or last == "multiplier":
        change = 100 * (value - 1)
        if abs(change) < 0.05:
            return "x1 (no change)"
        return f"x{value:g} ({abs(change):.0f}% {'higher' if change > 0 else 'lower'})"
    if last.endswith("_pct"):
        return f"{value:g}%"
    if last.endswith("_prob") or last.endswith("_of_establishment") or last == "share_of_establishment":
        return f"{100 * value:.3g}%"
    if "gbp" in last:
        unit = unit_of(last)
        per = unit.replace("(2023-24 prices)", "").replace("£", "", 1).strip()
        return f"{money_words(value)} {per}".strip()
    for suffix, word in (("_months", "months"), ("_days", "days"), ("_weeks", "weeks"),
                         ("fte", "FTE"), ("_families", "families"), ("_per_year", "a year")):
        if last.endswith(suffix):
            return f"{_number(value)} {word}"
    return _number(value)


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


__all__ = ["FAMILIES", "LABELS", "NOT_LEVERS", "SECTION_GROUPS", "TARGET_WORDS", "SUFFIX_UNITS", "format_value", "label_of", "money_words", "nice_step",
           "unit_of"]

"""Scenario sections for placement sufficiency: the in-house fostering service and the market.

Kept apart from ``parameters`` so the placement issue adds two section classes and two lines to
``Scenario``. Every field is a parameter with provenance (see ``parameters.Quantity``); money is
in 2023-24 prices once multiplied by its uprating factor.

Covers
------
* ``Fostering``: the starting supply of mainstream in-house households, what each household is
  approved for (beds, ages, sibling groups), the recruitment funnel (enquiry, application,
  assessment, approval), the deregistration hazard, fees and allowances, support and recruitment
  costs, and the levers (fee and allowance uplift, extra support) with their start and phase-in.
* ``PlacementMarket``: independent fostering agencies, children's homes and supported
  accommodation: weekly price and its uprating to 2023-24, the chance a place is found within a
  search wait; emergency placements; sibling groups; breakdown rates by type; planned step-down
  from residential care.
"""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from simulation.records.calendar import DAYS_PER_MONTH
from simulation.scenario.fields import (
    NonNegative,
    Positive,
    PositiveByKey,
    Probability,
    ProbabilityByKey,
    ProbabilityTable,
    Quantity,
    _Section,
)
from simulation.scenario.vocabulary import AgeBand
from simulation.scenario.workforce import DateParameter

#: Most the fee lever may multiply fostering enquiries by: the engine draws candidates at this
#: multiple of the base rate and thins them (``simulation.engine.fostering``).
ENQUIRY_CEILING = 3.0
MarketType = Literal["foster_ifa", "residential", "supported"]
MARKET_TYPES = ("foster_ifa", "residential", "supported")
BedsApproved = Literal["1", "2", "3"]
#: Age ranges a household is approved for, as "youngest-oldest" in whole years (inclusive).
AgeRange = Literal["0-10", "0-17", "8-17", "11-17"]
BreakdownType = Literal["foster_inhouse", "foster_ifa", "foster_kinship", "residential", "supported",
                        "with_parents"]


def age_range_bounds(label: str) -> tuple[float, float]:
    """``"0-10"`` -> (0.0, 11.0): the ages (years, half-open) a household takes."""
    youngest, oldest = label.split("-")
    return float(youngest), float(oldest) + 1.0


class Fostering(_Section):
    """Southend's own (mainstream) foster carers; connected carers are kinship placements."""

    initial_households: NonNegative
    beds_approved_prob: ProbabilityTable[BedsApproved]
    age_range_prob: ProbabilityTable[AgeRange]
    takes_sibling_groups_prob: Probability
    needs_match_prob: Probability
    break_after_placement_days: NonNegative
    enquiries_per_year: NonNegative
    enquiry_to_application_prob: Probability
    application_to_approval_prob: Probability
    enquiry_to_application_days: Positive
    assessment_min_days: Positive
    assessment_max_days: Positive
    deregistration_rate_per_year_first_year: NonNegative
    deregistration_rate_per_year_later: NonNegative
    allowance_weekly_gbp_by_age: PositiveByKey[AgeBand]
    inhouse_fee_weekly_gbp: NonNegative
    kinship_fee_weekly_gbp: NonNegative
    support_cost_per_household_per_year_gbp: NonNegative
    assessment_cost_per_application_gbp: NonNegative
    marketing_cost_per_year_gbp: NonNegative
    # Levers: a fee and allowance uplift (real terms) and extra support for carers.
    fee_uplift_pct: NonNegative
    fee_uplift_starts_after_months: NonNegative
    fee_uplift_phase_in_months: NonNegative
    recruitment_payment_elasticity: NonNegative
    retention_payment_elasticity: NonNegative
    support_deregistration_reduction_pct: NonNegative
    support_extra_cost_per_household_per_year_gbp: NonNegative
    support_starts_after_months: NonNegative

    @model_validator(mode="after")
    def _coherent(self):
        if self.assessment_min_days.value > self.assessment_max_days.value:
            raise ValueError("assessment_min_days <= assessment_max_days")
        if self.support_deregistration_reduction_pct.value >= 100:
            raise ValueError("support_deregistration_reduction_pct below 100")
        # The engine draws candidate enquiries at ENQUIRY_CEILING times the base rate and thins
        # them; a lever that would need more is refused here, not part-way through a run.
        most = (1.0 + self.fee_uplift_pct.value / 100.0) ** self.recruitment_payment_elasticity.value
        if most > ENQUIRY_CEILING:
            raise ValueError(f"fee_uplift_pct and recruitment_payment_elasticity raising enquiries "
                             f"at most {ENQUIRY_CEILING:g}-fold (they raise them {most:.3g}-fold)")
        return self


class PlacementMarket(_Section):
    """Placements the council buys, and the rules of matching and moving."""

    weekly_price_gbp: PositiveByKey[MarketType]
    price_uprating_to_2023_24: PositiveByKey[MarketType]
    found_within_wait_prob: ProbabilityByKey[MarketType]
    search_wait_days: Positive
    emergency_weekly_price_gbp: Positive
    sibling_group_prob: Probability
    breakdown_rate_multiplier: PositiveByKey[BreakdownType]
    step_down_ready_prob: Probability
    step_down_after_days: Positive
    step_down_support_cost_gbp: NonNegative
    # The step-down programme (a lever): from its start date, readiness phased in over months;
    # the receiving carers paid an enhanced fee with wraparound support for a stated period; a
    # chance the move breaks down within it and the child returns to a children's home; and the
    # programme's own yearly cost (``kpis.placements``).
    step_down_start_date: DateParameter
    step_down_phase_in_months: NonNegative
    step_down_enhanced_fee_weekly_gbp: NonNegative
    step_down_support_weekly_gbp: NonNegative
    step_down_enhanced_weeks: NonNegative
    step_down_breakdown_prob: Probability
    step_down_programme_cost_gbp_per_year: NonNegative

    @model_validator(mode="after")
    def _every_market_type(self):
        for name in ("weekly_price_gbp", "price_uprating_to_2023_24", "found_within_wait_prob"):
            missing = set(MARKET_TYPES) - set(getattr(self, name).value)
            if missing:
                raise ValueError(f"{name} for every market type (missing {sorted(missing)})")
        return self

    def price_weekly_gbp(self, placement: str) -> float:
        """Weekly price of a bought placement in 2023-24 prices."""
        if placement == "emergency":
            return self.emergency_weekly_price_gbp.value
        return self.weekly_price_gbp.value[placement] * self.price_uprating_to_2023_24.value[placement]


# --- the fee and support levers' paths (read by the engine and by the spend KPIs) -------------
def lever_share(day: float, starts_after_months: float, phase_in_months: float) -> float:
    """How much of a lever applies on ``day``: 0 before its start, rising linearly to 1."""
    start = starts_after_months * DAYS_PER_MONTH
    if day < start:
        return 0.0
    if phase_in_months <= 0:
        return 1.0
    return min(1.0, (day - start) / (phase_in_months * DAYS_PER_MONTH))


def payment_multiplier(params: Fostering, day: float) -> float:
    """Fees and allowances on ``day`` relative to the baseline (1.10 = 10% higher)."""
    share = lever_share(day, params.fee_uplift_starts_after_months.value, params.fee_uplift_phase_in_months.value)
    return 1.0 + params.fee_uplift_pct.value / 100.0 * share


def recruitment_multiplier(params: Fostering, day: float) -> float:
    """Enquiries relative to the baseline: payment multiplier ** recruitment elasticity."""
    return payment_multiplier(params, day) ** params.recruitment_payment_elasticity.value


def deregistration_multiplier(params: Fostering, day: float) -> float:
    """Deregistration hazard relative to the baseline, from the fee and support levers."""
    fee = payment_multiplier(params, day) ** (-params.retention_payment_elasticity.value)
    support_on = day >= params.support_starts_after_months.value * DAYS_PER_MONTH
    support = 1.0 - params.support_deregistration_reduction_pct.value / 100.0 if support_on else 1.0
    return fee * support


__all__ = ["ENQUIRY_CEILING", "Fostering", "MARKET_TYPES", "PlacementMarket", "Quantity", "age_range_bounds",
           "deregistration_multiplier", "lever_share", "payment_multiplier", "recruitment_multiplier"]

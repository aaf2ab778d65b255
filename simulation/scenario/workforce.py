"""Scenario sections for the social work workforce, its levers and the caseload loop.

Imported by ``simulation.scenario.schema`` (which registers the sections in ``Scenario``); kept apart so
the workforce schema can grow without touching the shared parameters module.

Covers
------
* ``Workforce``: the census starting point (30 September 2022), the flows (leaving rates,
  recruitment, agency cover, ASYE intake) and the unit costs (2023-24 prices).
* ``WorkforceLevers``: extra posts, retention payments, faster recruitment, an agency cap, more
  ASYE places and a staff-loss shock, each with a start date (and a phase-in where it matters).
* ``CaseloadEffects``: how team caseload, relative to a reference, scales assessment length, plan
  drift, re-referral, escalation, visits and turnover; ``enabled = false`` switches them all off.
"""

from __future__ import annotations

import datetime as dt

from typing import Annotated

from pydantic import Field, model_validator

from simulation.scenario.fields import (
    NonNegative,
    Positive,
    Probability,
    Quantity,
    _Provenance,
    _Section,
)


class DateParameter(_Provenance):
    """A calendar date with provenance (a lever's start date); inside ``range`` when given."""

    value: dt.date
    range: tuple[dt.date, dt.date] | None = None

    @model_validator(mode="after")
    def _in_range(self):
        if self.range is not None and not self.range[0] <= self.value <= self.range[1]:
            raise ValueError(f"date inside its range [{self.range[0]}, {self.range[1]}]")
        return self


class Workforce(_Section):
    """The children's social work workforce: starting point, flows and unit costs."""

    employed_fte_at_start: NonNegative
    agency_fte_at_start: NonNegative
    vacancies_fte_at_start: NonNegative
    part_time_post_prob: Probability
    part_time_post_fte: Positive
    other_cases_held: NonNegative
    employed_leaving_rate_per_year: Positive
    agency_mean_stay_days: Positive
    agency_cover_prob: Probability
    agency_start_delay_mean_days: Positive
    agency_starts_max_per_month: Positive
    recruitment_campaign_days: Positive
    recruitment_success_prob: Probability
    asye_intake_per_year: NonNegative
    asye_intake_month: Positive
    asye_protected_caseload_share: Probability
    asye_protected_days: Positive
    salary_employed_gbp_per_year: Positive
    salary_asye_gbp_per_year: Positive
    on_cost_share: NonNegative
    agency_premium_share: NonNegative
    recruitment_cost_gbp_per_hire: NonNegative

    @model_validator(mode="after")
    def _month(self):
        month = self.asye_intake_month.value
        if month != int(month) or not 1 <= month <= 12:
            raise ValueError(f"asye_intake_month a whole month number 1-12 (got {month})")
        return self


class ExtraPosts(_Section):
    fte: Quantity
    start_date: DateParameter
    phase_in_months: NonNegative


class Retention(_Section):
    payment_gbp_per_fte_per_year: NonNegative
    leaving_rate_multiplier: Positive
    start_date: DateParameter
    phase_in_months: NonNegative


class FasterRecruitment(_Section):
    success_prob: Probability
    cost_gbp_per_year: NonNegative
    start_date: DateParameter


class AgencyCap(_Section):
    share_of_establishment: Probability
    start_date: DateParameter


class AsyePlaces(_Section):
    extra_per_year: NonNegative
    start_date: DateParameter


class StaffShock(_Section):
    permanent_leavers_share: Probability
    date: DateParameter


class WorkforceLevers(_Section):
    """Scenario levers on the workforce; the baseline sets them all to "no change"."""

    extra_posts: ExtraPosts
    retention: Retention
    faster_recruitment: FasterRecruitment
    agency_cap: AgencyCap
    asye_places: AsyePlaces
    shock: StaffShock


class CaseloadEffects(_Section):
    """The caseload loop: each effect scales with (caseload - reference) / reference.

    ``enabled = false`` sets every multiplier to 1 (so the loop's contribution can be shown);
    a single effect is switched off by its strength 0.
    """

    enabled: Annotated[bool, Field(strict=True)] = True
    reference_caseload: Positive
    no_further_gain_below_caseload: Positive
    max_multiplier: Positive
    assessment_duration_strength: NonNegative
    cin_plan_duration_strength: NonNegative
    cp_plan_drift_strength: NonNegative
    rereferral_strength: NonNegative
    escalation_strength: NonNegative
    turnover_strength: NonNegative
    visits_in_time_at_reference_prob: Probability
    visits_strength: NonNegative


__all__ = ["Workforce", "WorkforceLevers", "CaseloadEffects", "DateParameter"]

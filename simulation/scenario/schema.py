"""The parameters object: a frozen pydantic schema of everything a scenario can set.

Every parameter carries its provenance: a ``source`` or an ``assumption`` with a plausible
``range``. Units are in the names (``_days``, ``_per_year``, ``_prob``, ``_fte``). Categories
(placement types, outcomes, exit reasons) are closed sets, so a typo is an error, not a new
category.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field, ValidationInfo, field_validator, model_validator

from simulation.scenario.fields import (
    _STRICT,
    CountByYear,
    Flag,
    NonNegative,
    Positive,
    PositiveByKey,
    Probability,
    ProbabilityByKey,
    ProbabilityTable,
    Quantity,
    _Section,
)
from simulation.scenario.costs import CostBase
from simulation.scenario.finance import Finance
from simulation.scenario.interventions import Interventions
from simulation.scenario.lever_effects import LeverUncertainty
from simulation.scenario.parameter_sets import ParameterUncertainty
from simulation.scenario.placements import Fostering, PlacementMarket
from simulation.scenario.vocabulary import (
    AgeBand,
    AssessmentOutcome,
    CeasedReason,
    CinPlanEnd,
    CpPlanEnd,
    PlacementChoice,
    PlacementType,
)
from simulation.scenario.workforce import CaseloadEffects, Workforce, WorkforceLevers


class Population(_Section):
    children_0_17_by_mid_year: CountByYear
    growth_after_last_year_pct_per_year: Quantity


class Referrals(_Section):
    external_rate_per_year: NonNegative
    nfa_at_referral_prob: Probability
    age_band_prob: ProbabilityTable[AgeBand]
    prior_cp_plan_prob: Probability
    rereferral_after_nfa_prob: Probability
    rereferral_after_plan_prob: Probability
    rereferral_delay_mean_days: Positive
    # How far a child's own need decides its referral episodes (``engine.need``).
    need_persistence_prob: Probability
    # The threshold lever (``external_rate_per_year`` below 1) stops the lowest-need referrals;
    # ``false`` (stated in a scenario) removes referrals at random instead.
    threshold_acts_on_need: Flag = True


class EarlyHelp(_Section):
    capacity_families: NonNegative
    partner_requests_per_year: NonNegative
    duration_median_days: Positive
    duration_lognormal_sigma: Positive
    escalation_to_referral_prob: Probability
    max_wait_days: Positive
    unserved_referral_prob: Probability
    diversion_prob: Probability
    # Diversion takes children whose need early help can meet; ``false`` diverts at random.
    diversion_acts_on_need: Flag = True


class Assessment(_Section):
    duration_median_days: Positive
    duration_lognormal_sigma: Positive
    s47_prob: Probability
    outcome_prob: ProbabilityTable[AssessmentOutcome]


class Protection(_Section):
    s47_to_icpc_days: Positive
    icpc_after_s47_prob: Probability
    cp_plan_after_icpc_prob: Probability
    ended_before_first_review_prob: Probability
    first_review_days: Positive
    review_interval_days: Positive
    end_at_first_review_prob: Probability
    end_at_later_review_prob: Probability
    end_prob: ProbabilityTable[CpPlanEnd]


class ChildInNeedPlans(_Section):
    duration_median_days: Positive
    duration_lognormal_sigma: Positive
    end_prob: ProbabilityTable[CinPlanEnd]


class Care(_Section):
    direct_entries_per_year: NonNegative
    direct_entry_age_band_prob: ProbabilityTable[AgeBand]
    placement_choice_prob_under_16: ProbabilityTable[PlacementChoice]
    placement_choice_prob_16_17: ProbabilityTable[PlacementChoice]
    exit_mean_days_by_entry_age: PositiveByKey[AgeBand]
    exit_reason_prob_under_5: ProbabilityTable[CeasedReason]
    exit_reason_prob_5_to_17: ProbabilityTable[CeasedReason]
    placed_for_adoption_before_order_days: Positive
    out_of_area_prob: ProbabilityByKey[PlacementType]
    over_20_miles_prob: ProbabilityByKey[PlacementType]
    unstable_child_prob: Probability
    breakdown_rate_per_year_unstable: NonNegative
    breakdown_rate_per_year_stable: NonNegative
    staying_put_prob: Probability
    staying_put_mean_days: Positive
    leaving_care_support_until_age_years: Positive
    # Returns home, and special guardianship or child arrangements orders, that break down: the
    # child comes back into care after a delay (exponential with the stated mean).
    reentry_after_return_home_prob: Probability
    reentry_after_return_home_mean_days: Positive
    reentry_after_sgo_cao_prob: Probability
    reentry_after_sgo_cao_mean_days: Positive

    @model_validator(mode="after")
    def _far_placements_are_out_of_area(self):
        for placement, far in self.over_20_miles_prob.value.items():
            if far > self.out_of_area_prob.value.get(placement, 0.0):
                raise ValueError(f"over_20_miles_prob[{placement}] <= out_of_area_prob[{placement}] "
                                 "(every placement over 20 miles is out of area)")
        return self


class Capacity(_Section):
    """Capacity. The ``*_team_case_holding_fte`` are case-holding FTE in post at the start
    (employed + agency), which ``workforce`` turns into posts and workers; personal advisers are a
    fixed pool (in-house foster beds live in ``fostering``: households recruited and lost)."""

    assessment_team_case_holding_fte: NonNegative
    family_support_team_case_holding_fte: NonNegative
    children_in_care_team_case_holding_fte: NonNegative
    leaving_care_personal_adviser_fte: NonNegative
    caseload_limit_cases_per_fte: Positive
    personal_adviser_caseload_limit_per_fte: Positive


class PublishedStock(_Section):
    """Stocks published for one 31 March, from which a run starting the next day begins."""

    children_in_need: NonNegative
    referrals_in_year: NonNegative
    rereferral_pct: NonNegative
    cp_plans_open: NonNegative
    cp_prior_plan_prob: Probability
    cla: NonNegative
    cla_placement_mix: ProbabilityTable[PlacementType]
    cla_age_band_prob: ProbabilityTable[AgeBand]
    cla_elapsed_mean_days: Positive
    care_leavers: NonNegative
    staying_put: NonNegative
    early_help_open_families: NonNegative


class Scenario(BaseModel):
    """The resolved, validated and frozen parameters of one scenario."""

    model_config = _STRICT
    name: Annotated[str, Field(pattern=r"^[a-z0-9_\-]+$")]
    description: str
    # Declared before start_date so that start_date's check can see which stocks are published.
    initial_stock: dict[str, PublishedStock]
    start_date: dt.date
    population: Population
    referrals: Referrals
    early_help: EarlyHelp
    assessment: Assessment
    protection: Protection
    cin_plans: ChildInNeedPlans
    care: Care
    capacity: Capacity
    fostering: Fostering
    placement_market: PlacementMarket
    interventions: Interventions | None = None
    workforce: Workforce
    workforce_levers: WorkforceLevers
    caseload_effects: CaseloadEffects
    finance: Finance
    # Unit costs of care leavers, staying put and SGO/CAO allowances; real price growth by line.
    cost_base: CostBase | None = None
    # Last: the calibration's plausible parameter sets, one drawn per replication by the runner.
    parameter_uncertainty: ParameterUncertainty | None = None
    # Each pulled lever's effect drawn per replication from its range (scenario.lever_effects).
    lever_uncertainty: LeverUncertainty | None = None

    @field_validator("start_date")
    @classmethod
    def _stock_for_start(cls, start_date: dt.date, info: ValidationInfo) -> dt.date:
        stocks = info.data.get("initial_stock")
        wanted = (start_date - dt.timedelta(days=1)).isoformat()
        if stocks is not None and wanted not in stocks:
            known = ", ".join(sorted(stocks)) or "none"
            raise ValueError(f"a date the day after a published stock: no published stock for {wanted} "
                             f"(have {known})")
        return start_date

    @property
    def stock(self) -> PublishedStock:
        """The published stock the run starts from."""
        return self.initial_stock[(self.start_date - dt.timedelta(days=1)).isoformat()]

"""The parameters object: a frozen pydantic schema of everything a scenario can set.

Every parameter carries its provenance: a ``source`` or an ``assumption`` with a plausible
``range``. Units are in the names (``_days``, ``_per_year``, ``_prob``, ``_fte``). Categories
(placement types, outcomes, exit reasons) are closed sets, so a typo is an error, not a new
category.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Generic, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

PLACEMENT_TYPES = (
    "foster_inhouse", "foster_ifa", "foster_kinship", "residential", "supported",
    "with_parents", "placed_for_adoption", "emergency",
)
PlacementType = Literal[
    "foster_inhouse", "foster_ifa", "foster_kinship", "residential", "supported",
    "with_parents", "placed_for_adoption", "emergency",
]
# What a child in care is first looked for: "foster" means in-house if a bed is free, else IFA.
PlacementChoice = Literal["foster_kinship", "foster", "residential", "supported", "with_parents"]
CeasedReason = Literal["returned_home", "sgo_cao", "adopted", "other"]
AssessmentOutcome = Literal["not_in_need", "early_help", "in_need_closed", "cin_plan", "care"]
CinPlanEnd = Literal["closed", "early_help", "s47", "care"]
CpPlanEnd = Literal["cin_plan", "closed", "care"]
AgeBand = Literal["0-4", "5-9", "10-15", "16-17"]
AGE_BAND_BOUNDS = {"0-4": (0.0, 5.0), "5-9": (5.0, 10.0), "10-15": (10.0, 16.0), "16-17": (16.0, 18.0)}

Key = TypeVar("Key")

_STRICT = ConfigDict(extra="forbid", frozen=True)


class _Provenance(BaseModel):
    """Shared rule: a source, or an assumption with a range."""

    model_config = _STRICT
    source: str | None = None
    assumption: str | None = None

    @model_validator(mode="after")
    def _has_provenance(self):
        if bool(self.source) == bool(self.assumption):
            raise ValueError("exactly one of 'source' or 'assumption' (with a 'range')")
        if self.assumption and getattr(self, "range", None) is None:
            raise ValueError("an assumption needs a plausible 'range'")
        return self


Finite = Annotated[float, Field(allow_inf_nan=False)]
UnitInterval = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]
PositiveFinite = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Quantity(_Provenance):
    """A number with provenance; ``value`` must lie within ``range`` when one is given."""

    value: Finite
    range: tuple[float, float] | None = None

    @model_validator(mode="after")
    def _in_range(self):
        if self.range is not None:
            low, high = self.range
            if not low <= self.value <= high:
                raise ValueError(f"value inside its range [{low}, {high}]")
        return self


class NonNegative(Quantity):
    value: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Positive(Quantity):
    value: PositiveFinite


class Probability(Quantity):
    value: UnitInterval


class ProbabilityTable(_Provenance, Generic[Key]):
    """Probabilities over a closed set of outcomes; they must sum to 1 (missing keys are 0)."""

    value: dict[Key, UnitInterval]
    range: dict[Key, tuple[float, float]] | None = None

    @model_validator(mode="after")
    def _sums_to_one(self):
        total = sum(self.value.values())
        if not math.isclose(total, 1.0, abs_tol=1e-9):
            raise ValueError(f"probabilities summing to 1 (they sum to {total:.6g})")
        return self


class _EveryKey(_Provenance):
    """Tables that need a value for every key of their closed set."""

    @model_validator(mode="after")
    def _has_every_key(self):
        (key_type,) = type(self).__pydantic_generic_metadata__["args"] or (None,)
        missing = sorted(set(get_args(key_type)) - set(self.value)) if key_type is not None else []
        if missing:
            raise ValueError(f"a value for every key; missing {', '.join(missing)}")
        return self


class ProbabilityByKey(_EveryKey, Generic[Key]):
    """A probability for each key of a closed set (they need not sum to 1); all keys required."""

    value: dict[Key, UnitInterval]
    range: dict[Key, tuple[float, float]] | None = None


class PositiveByKey(_EveryKey, Generic[Key]):
    """A positive number for each key of a closed set; all keys required."""

    value: dict[Key, PositiveFinite]
    range: dict[Key, tuple[float, float]] | None = None


class CountByYear(_Provenance):
    """Counts by calendar year, e.g. the ONS mid-year population."""

    value: dict[str, PositiveFinite]
    range: tuple[float, float] | None = None


class _Section(BaseModel):
    model_config = _STRICT


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


class EarlyHelp(_Section):
    capacity_families: NonNegative
    partner_requests_per_year: NonNegative
    duration_median_days: Positive
    duration_lognormal_sigma: Positive
    escalation_to_referral_prob: Probability
    max_wait_days: Positive
    unserved_referral_prob: Probability
    diversion_prob: Probability


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


# Sections kept in their own modules; imported here, after the shared base classes they use.
from simulation.parameter_sets import ParameterUncertainty  # noqa: E402
from simulation.parameters_interventions import Interventions  # noqa: E402
# The placement sections build on the classes above, so their module is imported here, after
# them; ``from package import module`` tolerates the cycle, and pydantic resolves the annotations
# below when a scenario is first validated.
from simulation import placement_parameters as _placement  # noqa: E402
# Imported here, after the base types it builds on, so the workforce schema lives in its own module.
from simulation.workforce_parameters import CaseloadEffects, Workforce, WorkforceLevers  # noqa: E402
# Price-base conversions for finance views and the calibration's spend check (own module).
from simulation.finance_parameters import Finance  # noqa: E402


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
    fostering: _placement.Fostering
    placement_market: _placement.PlacementMarket
    interventions: Interventions | None = None
    workforce: Workforce
    workforce_levers: WorkforceLevers
    caseload_effects: CaseloadEffects
    finance: Finance
    # Last: the calibration's plausible parameter sets, one drawn per replication by the runner.
    parameter_uncertainty: ParameterUncertainty | None = None

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

"""Property-based tests: the invariants hold for any valid scenario and seed.

Users will write scenarios nobody has tried (zero capacity, extreme rates, odd probability
tables); they rely on every such run still conserving children, respecting capacity, keeping
events in order and giving finite, non-negative KPIs. Hypothesis generates valid variants of the
baseline; the "ci" profile keeps the number of examples small.
"""

import math

import pytest
from conftest import BASELINE_PATH, check_all, run_model, variant
from hypothesis import given
from hypothesis import strategies as st

from simulation.scenario.loading import load_scenario
from simulation.scenario.vocabulary import AGE_BAND_BOUNDS

#: Loaded here rather than as a fixture, so a failing example prints only the changes.
BASELINE = load_scenario(BASELINE_PATH)


def table(keys, allow_zero_total_keys=True):
    """A probability table over ``keys`` that sums to 1 (integer weights, at least one positive)."""
    weights = st.lists(st.integers(0, 6), min_size=len(keys), max_size=len(keys)).filter(lambda w: sum(w) > 0)
    return weights.map(lambda w: {k: v / sum(w) for k, v in zip(keys, w) if v > 0})


def fixed_sum(values):
    """Renormalise so the float sum is within 1e-9 of 1 (the schema's tolerance)."""
    total = math.fsum(values.values())
    return {k: v / total for k, v in values.items()}


probability = st.floats(0, 1)
AGE_BANDS = list(AGE_BAND_BOUNDS)


@st.composite
def scenario_changes(draw):
    """A random but valid set of changes to the baseline."""
    return {
        "referrals.external_rate_per_year": draw(st.floats(0, 3000)),
        "referrals.nfa_at_referral_prob": draw(probability),
        "referrals.age_band_prob": fixed_sum(draw(table(AGE_BANDS))),
        "referrals.rereferral_after_nfa_prob": draw(probability),
        "referrals.rereferral_after_plan_prob": draw(probability),
        "referrals.rereferral_delay_mean_days": draw(st.floats(10, 400)),
        "early_help.capacity_families": draw(st.integers(0, 800)),
        "early_help.partner_requests_per_year": draw(st.floats(0, 1500)),
        "early_help.duration_median_days": draw(st.floats(20, 300)),
        "early_help.duration_lognormal_sigma": draw(st.floats(0.1, 1.5)),
        "early_help.escalation_to_referral_prob": draw(probability),
        "early_help.max_wait_days": draw(st.floats(1, 200)),
        "early_help.unserved_referral_prob": draw(probability),
        "assessment.duration_median_days": draw(st.floats(5, 80)),
        "assessment.duration_lognormal_sigma": draw(st.floats(0.1, 1.5)),
        "assessment.s47_prob": draw(probability),
        "assessment.outcome_prob": fixed_sum(draw(table(
            ["not_in_need", "early_help", "in_need_closed", "cin_plan", "care"]))),
        "protection.s47_to_icpc_days": draw(st.floats(5, 40)),
        "protection.icpc_after_s47_prob": draw(probability),
        "protection.cp_plan_after_icpc_prob": draw(probability),
        "protection.ended_before_first_review_prob": draw(probability),
        "protection.end_at_first_review_prob": draw(probability),
        # Not 0: end_at_later_review_prob = 0 crashes the model (see
        # test_extreme_and_analytic.test_cp_plans_that_never_end_at_later_reviews_run_until_18).
        "protection.end_at_later_review_prob": draw(st.floats(0.01, 1)),
        "protection.end_prob": fixed_sum(draw(table(["cin_plan", "closed", "care"]))),
        "cin_plans.duration_median_days": draw(st.floats(20, 400)),
        "cin_plans.duration_lognormal_sigma": draw(st.floats(0.1, 1.5)),
        "cin_plans.end_prob": fixed_sum(draw(table(["closed", "early_help", "s47", "care"]))),
        "care.direct_entries_per_year": draw(st.floats(0, 60)),
        "care.placement_choice_prob_under_16": fixed_sum(draw(table(
            ["foster_kinship", "foster", "residential", "with_parents"]))),
        "care.placement_choice_prob_16_17": fixed_sum(draw(table(
            ["foster_kinship", "foster", "residential", "supported", "with_parents"]))),
        "care.exit_mean_days_by_entry_age": {band: draw(st.floats(100, 5000)) for band in AGE_BANDS},
        "care.unstable_child_prob": draw(probability),
        "care.breakdown_rate_per_year_unstable": draw(st.floats(0, 6)),
        "care.breakdown_rate_per_year_stable": draw(st.floats(0, 1)),
        "care.staying_put_prob": draw(probability),
        "care.staying_put_mean_days": draw(st.floats(30, 1000)),
        "capacity.assessment_team_case_holding_fte": draw(st.floats(0, 40)),
        "capacity.family_support_team_case_holding_fte": draw(st.floats(0, 60)),
        "capacity.children_in_care_team_case_holding_fte": draw(st.floats(0, 40)),
        "capacity.leaving_care_personal_adviser_fte": draw(st.floats(0, 12)),
        "capacity.caseload_limit_cases_per_fte": draw(st.floats(1, 30)),
        "capacity.personal_adviser_caseload_limit_per_fte": draw(st.floats(1, 30)),
        "fostering.initial_households": draw(st.integers(0, 120)),
    }


@pytest.mark.property
@given(changes=scenario_changes(), seed=st.integers(0, 2**31 - 1), years=st.sampled_from([1, 2]))
def test_invariants_hold_for_any_valid_scenario(changes, seed, years):
    """For any valid variant and seed: every child is in one state and stocks match the KPIs,
    state events are time-ordered and follow the pathway, CLA and CP stocks change by their flows,
    no team, bed pool or early help offer exceeds capacity, and KPIs are finite and non-negative."""
    scenario = variant(BASELINE, changes, "hypothesis")
    check_all(run_model(scenario, seed, 0, years))

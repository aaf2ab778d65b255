"""Direction: scenarios move results the way evidence and common sense say.

Users compare a scenario with the baseline; they rely on a lever moving the outcomes it should
(more early help, fewer referrals; fewer social workers, longer waits; fewer in-house beds, more
agency and out-of-area placements). Each test pairs the scenario with the baseline replication by
replication under common random numbers and requires the mean paired difference to have the
expected sign with |t| > 2 (t = mean / (sd / sqrt(n)) over the paired replications).
"""

import math

import numpy as np
import pytest

SEED = 99
REPLICATIONS = 6


def paired_t(baseline, variant, simulate, years, measure):
    """Paired differences (variant - baseline) of ``measure(run)``; returns (differences, mean, t)."""
    diffs = np.array([measure(simulate(variant, SEED, r, years)) - measure(simulate(baseline, SEED, r, years))
                      for r in range(REPLICATIONS)])
    sd = diffs.std(ddof=1)
    t = diffs.mean() / (sd / math.sqrt(len(diffs))) if sd > 0 else math.copysign(math.inf, diffs.mean()) \
        if diffs.mean() != 0 else 0.0
    return diffs, float(diffs.mean()), float(t)


def expect(sign, name, diffs, mean, t):
    """Assert the mean paired difference has ``sign`` (+1 or -1) with |t| > 2."""
    assert sign * t > 2, (f"{name}: expected a {'rise' if sign > 0 else 'fall'} with |t| > 2; observed mean "
                          f"difference {mean:.3g}, t = {t:.2f}, differences {np.round(diffs, 3).tolist()}")


def total_referrals(run):
    return run.kpi("referrals").sum()


def mean_awaiting(run):
    return run.kpi("children_awaiting_allocation").mean()


def within_45_working_days_pct(run):
    """% of assessments completed in the run that took at most 45 working days (63 calendar days)."""
    events = run.events
    done = events[(events["event"] == "assessment_completed") & (events["time_days"] >= 0)]
    return 100.0 * float((done["value"] <= 63.0).mean())


@pytest.mark.direction
def test_more_early_help_capacity_means_fewer_referrals(baseline, make_variant, simulate):
    """Doubling early help places (450 -> 900 families) lowers referrals over 3 years."""
    more = make_variant(baseline, {"early_help.capacity_families": 900}, "double early help")
    expect(-1, "referrals over 3 years", *paired_t(baseline, more, simulate, 3, total_referrals))


@pytest.mark.direction
def test_less_early_help_capacity_means_more_referrals(baseline, make_variant, simulate):
    """Cutting early help places (450 -> 200 families) leaves families unhelped, some of whom are
    referred: referrals over 3 years rise."""
    fewer = make_variant(baseline, {"early_help.capacity_families": 200}, "early help cut")
    expect(+1, "referrals over 3 years", *paired_t(baseline, fewer, simulate, 3, total_referrals))


@pytest.mark.direction
def test_forty_percent_fewer_assessment_workers_means_longer_waits(baseline, make_variant, simulate):
    """With 40% fewer assessment-team FTE, more children await allocation and fewer assessments
    finish within 45 working days (2 years). (Restated by the workforce issue: the baseline team is
    now 14.2 FTE of named workers, so the cut is 40% of the baseline's value rather than 25 -> 15,
    which had become an increase; with the caseload loop and per-worker limits it now holds.)"""
    cut = 0.6 * baseline.capacity.assessment_team_case_holding_fte.value
    fewer = make_variant(baseline, {"capacity.assessment_team_case_holding_fte": cut}, "40% fewer workers")
    expect(+1, "children awaiting allocation", *paired_t(baseline, fewer, simulate, 2, mean_awaiting))
    expect(-1, "assessments within 45 working days %",
           *paired_t(baseline, fewer, simulate, 2, within_45_working_days_pct))


@pytest.mark.direction
def test_a_binding_cut_in_assessment_workers_means_longer_waits(baseline, make_variant, simulate):
    """With assessment-team places (8 FTE x 17 = 136 after cases not modelled) below the team's
    usual caseload (~190), more
    children await allocation and fewer assessments finish within 45 working days (2 years)."""
    fewer = make_variant(baseline, {"capacity.assessment_team_case_holding_fte": 8}, "binding cut")
    expect(+1, "children awaiting allocation", *paired_t(baseline, fewer, simulate, 2, mean_awaiting))
    expect(-1, "assessments within 45 working days %",
           *paired_t(baseline, fewer, simulate, 2, within_45_working_days_pct))


@pytest.mark.direction
def test_fewer_inhouse_beds_means_more_agency_and_out_of_area_placements(baseline, make_variant, simulate):
    """With fewer in-house fostering households at the start (50 -> 25, about 95 -> 48 beds), more
    looked-after children are in IFA placements and a higher share are placed out of area
    (month-end means over 2 years)."""
    fewer = make_variant(baseline, {"fostering.initial_households": 25}, "fewer beds")
    expect(+1, "IFA placements", *paired_t(baseline, fewer, simulate, 2,
                                           lambda run: run.kpi("cla_placement_foster_ifa").mean()))
    expect(+1, "out-of-area %", *paired_t(baseline, fewer, simulate, 2,
                                          lambda run: np.nanmean(run.kpi("cla_out_of_area_pct"))))

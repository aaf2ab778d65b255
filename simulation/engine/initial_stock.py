"""The starting stock: children already known on the day before the start date.

How elapsed times and histories are drawn (all from the ``initial.stock`` stream):

* **Looked-after children**: the published count, placement mix and age profile. Time already in
  care is exponential with the stated mean, capped by the child's age. Exits are memoryless, so
  the remaining time is a fresh draw (``care.care_episode``).
* **CP plans, CIN plans, assessments, early help**: for a stable system, the plans open on a given
  day are a length-biased sample of plan lengths, and the time already spent is uniform over the
  plan's length. Lengths are drawn from the model's own duration distributions (for a lognormal,
  the length-biased law is lognormal with ``mu + sigma^2``), so the stock is consistent with the
  flows the model then runs.
* **How many of each**: CLA and CP plans are published. Open assessments follow Little's law
  (referrals in the stock year x mean time to an assessment decision). CIN plans are the published
  children in need less those in care, on CP plans and in assessment.
* **History**: children on plans or in care were last referred when their episode began; a share
  of those on CP plans (the published second-plan rate) have had a plan before.
* **Need** (``need``): a child on a CIN plan has a need in the CIN-plan band, one on a CP plan in
  the s.47 band, one in care from the care band up, one in assessment from the assessed bands up
  (past the front door); the others (early help, children about to return) are drawn as new
  referrals are. The position in the band is the child's own
  ``need`` draw, so the stock stream's draws are as they were.
* **Children about to return**: children closed before the start who will be referred again,
  sized by Little's law (published re-referrals a year x mean delay), each with a remaining delay
  drawn from the (memoryless) delay law and a last referral within the year.
"""

from __future__ import annotations

import math

import numpy as np

from simulation.engine.distributions import age_sampler
from simulation.engine.entities import Child
from simulation.engine.schedule import soon
from simulation.records.calendar import DAYS_PER_YEAR

FOSTER_KINDS = ("foster_inhouse", "foster_ifa", "foster_kinship")


def length_biased_lognormal(rng: np.random.Generator, median: float, sigma: float, size: int) -> np.ndarray:
    """Lengths of spells open on a given day when spell lengths are lognormal(median, sigma)."""
    return np.exp(math.log(median) + sigma**2 + sigma * rng.standard_normal(size))


def length_biased_sample(rng: np.random.Generator, lengths: np.ndarray, size: int) -> np.ndarray:
    """Resample ``size`` values from ``lengths`` with probability proportional to length."""
    weights = lengths / lengths.sum()
    return lengths[rng.choice(len(lengths), size=size, p=weights)]


def expected_assessment_days(journeys) -> float:
    """Mean time from referral to the assessment decision (s.47 or single assessment)."""
    single = journeys.assess_median * math.exp(journeys.assess_sigma**2 / 2)
    return journeys.p_s47 * journeys.s47_days + (1 - journeys.p_s47) * single


def seed_initial_stock(model) -> None:
    """Create the starting stock's children and start their processes at time 0."""
    scenario, journeys, env = model.scenario, model.journeys, model.env
    stock = scenario.stock
    rng = model.streams.get("initial.stock")
    next_id = iter(range(10_000_000))
    referral_age = age_sampler(scenario.referrals.age_band_prob.value)
    cla_age = age_sampler(stock.cla_age_band_prob.value)

    need_scale = journeys.need_scale

    def child_aged(age_years: float, elapsed_days: float, band: str | None = None,
                   from_band: bool = False) -> Child:
        child = Child(next(next_id), birth_day=-age_years * DAYS_PER_YEAR)
        child.last_referral_day = -elapsed_days
        child.referral_episodes = 1
        own = model.streams.episode_block(child.child_id, 0).uniform("need")
        if band is None:
            child.need = own
        else:
            child.need = need_scale.from_band(band, own) if from_band else need_scale.within(band, own)
        child.episode_need = child.need
        return child

    def open_spell(lengths_days: np.ndarray) -> tuple[float, float, float]:
        """(length, time already spent, age now) of one open spell, length-biased.

        A spell that would have begun before the child was referred young enough to still be
        under 18 now is redrawn: plans close at 18, so such spells cannot be open.
        """
        for _ in range(100):
            total = float(lengths_days[int(rng.integers(len(lengths_days)))])
            elapsed = float(rng.random()) * total
            age = referral_age(float(rng.random())) + elapsed / DAYS_PER_YEAR
            if age < 17.99:
                return total, elapsed, age
        return total, 0.0, 17.0

    # Looked-after children first, so in-house beds go to them before care leavers staying put.
    n_cla = round(stock.cla.value)
    placements = sorted(stock.cla_placement_mix.value)  # sorted: file order must not matter
    shares = np.array([stock.cla_placement_mix.value[placement] for placement in placements])
    chosen = rng.choice(len(placements), size=n_cla, p=shares / shares.sum())
    for placement_index in chosen.tolist():
        age = cla_age(float(rng.random()))
        elapsed = min(float(rng.exponential(stock.cla_elapsed_mean_days.value)), age * DAYS_PER_YEAR * 0.999)
        child = child_aged(age, elapsed, "care", from_band=True)
        child.cp_plans_before = int(rng.random() < stock.cp_prior_plan_prob.value)
        placement = placements[placement_index]
        if placement == "foster_inhouse":
            # Take the bed now, not when the process starts, so care leavers seeded below cannot
            # take it first; a child with no bed left falls back when its process starts.
            model.fostering.take_initial(child.child_id, age)
        env.process(journeys.care_episode(child, placement, elapsed))

    n_cp = round(stock.cp_plans_open.value)
    # Plans end at 18 at the latest, so lengths are capped there (a plan may otherwise never end).
    n_candidates = max(50 * n_cp, 1)
    uniforms = _PreDrawnUniforms(rng, _CP_PLAN_UNIFORMS * n_candidates)
    candidates = np.minimum([journeys.cp_plan_days(uniforms) for _ in range(n_candidates)], 18 * DAYS_PER_YEAR)
    uniforms.check_used_up()
    cp_lengths = length_biased_sample(rng, candidates, max(20 * n_cp, 1))
    for _ in range(n_cp):
        total, elapsed, age = open_spell(cp_lengths)
        child = child_aged(age, elapsed + journeys.s47_days, "s47")
        child.cp_plans_before = int(rng.random() < stock.cp_prior_plan_prob.value)
        draws = model.streams.episode_block(child.child_id, 0)
        soon(env, journeys.cp_plan, child, draws, elapsed, total)

    referrals_per_day = stock.referrals_in_year.value / 365.0 * (1 - journeys.p_nfa_at_referral)
    n_assessment = round(referrals_per_day * expected_assessment_days(journeys))
    n_cin = max(round(stock.children_in_need.value - stock.cla.value - stock.cp_plans_open.value) - n_assessment, 0)
    cin_lengths = length_biased_lognormal(rng, journeys.cin_median, journeys.cin_sigma, max(20 * n_cin, 1))
    for _ in range(n_cin):
        total, elapsed, age = open_spell(cin_lengths)
        child = child_aged(age, elapsed + 30.0, "cin_plan")
        draws = model.streams.episode_block(child.child_id, 0)
        soon(env, journeys.cin_plan, child, draws, elapsed, total)

    assessment_lengths = length_biased_lognormal(rng, journeys.assess_median, journeys.assess_sigma,
                                                 max(20 * n_assessment, 1))
    for _ in range(n_assessment):
        total, elapsed, age = open_spell(assessment_lengths)
        # Past the front door already: a need from the assessed bands up.
        child = child_aged(age, elapsed, "not_in_need", from_band=True)
        draws = model.streams.episode_block(child.child_id, 0)
        soon(env, journeys.assessment, child, draws, elapsed, total)

    n_leavers = round(stock.care_leavers.value)
    n_staying = min(round(stock.staying_put.value), n_leavers)
    mix = stock.cla_placement_mix.value
    foster_weights = np.array([mix.get(kind, 0.0) for kind in FOSTER_KINDS])
    leaving_age = journeys.leaving_care_age
    for index in range(n_leavers):
        age = 18 + float(rng.random()) * (leaving_age - 18)
        child = child_aged(age, (age - 18) * DAYS_PER_YEAR + 365.0)
        staying_with, stay_days = None, 0.0
        if index < n_staying and foster_weights.sum() > 0:
            staying_with = FOSTER_KINDS[int(rng.choice(3, p=foster_weights / foster_weights.sum()))]
            if staying_with == "foster_inhouse" and not model.fostering.take_initial(child.child_id, 17.5):
                staying_with = "foster_ifa"
            stay_days = float(rng.exponential(journeys.staying_put_mean))
        env.process(journeys.care_leaver(child, staying_with, stay_days,
                                         elapsed_days=(age - 18) * DAYS_PER_YEAR))

    # Children closed shortly before the start who will be referred again: without them the first
    # months would miss their re-referrals. Little's law: returns a year x mean delay.
    returns_per_day = stock.referrals_in_year.value * stock.rereferral_pct.value / 100 / 365.0
    for _ in range(round(returns_per_day * journeys.rereferral_delay_mean)):
        delay = float(rng.exponential(journeys.rereferral_delay_mean))
        age = referral_age(float(rng.random()))
        if age + delay / DAYS_PER_YEAR >= 18:
            continue
        # Last referred within the year, so the return counts as a re-referral when it is one.
        child = child_aged(age, float(rng.uniform(0, 365.0 - delay)) if delay < 365 else 365.0)
        journeys.refer_later(child, delay)

    n_families = round(stock.early_help_open_families.value)
    family_lengths = length_biased_lognormal(rng, journeys.eh_median, journeys.eh_sigma, max(20 * n_families, 1))
    for _ in range(n_families):
        total, elapsed, age = open_spell(family_lengths)
        child = child_aged(age, elapsed)
        child.last_referral_day = None
        child.referral_episodes = 0
        draws = model.streams.episode_block(child.child_id, 0)
        soon(env, journeys.early_help, child, draws, elapsed, total)


#: Uniforms ``Journeys.cp_plan_days`` takes for one plan: whether it ends before the first review,
#: then either when it ends or the review at which it ends.
_CP_PLAN_UNIFORMS = 2


class _PreDrawnUniforms:
    """The ``uniform(purpose)`` interface of episode draws over uniforms drawn in one call.

    ``rng.random(count)`` gives the same numbers as ``count`` calls of ``rng.random()``, without
    a numpy call for each of the starting stock's CP plan candidates (about 11,000 uniforms a
    replication). ``check_used_up`` says if the count was wrong, which would shift every later
    draw of the stream.
    """

    def __init__(self, rng: np.random.Generator, count: int):
        self._count = count
        self._values = iter(rng.random(count).tolist())

    def uniform(self, purpose: str) -> float:  # noqa: ARG002 - purpose is irrelevant here
        value = next(self._values, None)
        if value is None:
            raise RuntimeError(f"more than the {self._count} pre-drawn uniforms taken: "
                               f"update _CP_PLAN_UNIFORMS to what cp_plan_days takes")
        return value

    def check_used_up(self) -> None:
        """Raise if fewer uniforms were taken than were drawn."""
        left = sum(1 for _ in self._values)
        if left:
            raise RuntimeError(f"{left} of {self._count} pre-drawn uniforms unused: "
                               f"update _CP_PLAN_UNIFORMS to what cp_plan_days takes")


__all__ = ["seed_initial_stock", "length_biased_lognormal", "expected_assessment_days"]

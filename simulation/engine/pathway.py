"""The simpy processes of a child's journey: referral, early help, assessment, s.47, plans, care.

Covers
------
* A referral episode runs through stages (assessment, s.47, CIN plan, CP plan, care, early help).
  Each stage is a method that starts it (records, allocation, the decisions taken at its start)
  and schedules its end with ``schedule.after``; the method that ends it picks the next stage and
  enters it (``enter``), so a child's path reads as the flow diagram in design.md section 1.
  No simpy process per referral: a stage costs one event (see ``schedule`` for why). A care
  episode, which waits for the first of several things, is a process (``care``).
* Routing and intended durations come from the child's own episode draws (``streams``), so the
  same children make the same choices in every scenario (common random numbers).
* Records are written as whole tuples with ``log.append((time, child, event, state, detail,
  value))`` (``eventlog.COLUMNS``): the cheapest write, on the path of most of a replication's records.
* The clock is read as ``env._now``, simpy's own attribute: ``env.now`` is a Python property, a
  function call on each of about 180,000 reads a replication (as in ``workforce``).
* Only events that change a child's state are scheduled: one timeout per stage, one per placement
  move, one per re-referral delay. Stocks and rates are derived from the event log afterwards, never polled.

Assumptions
-----------
* Assessment starts when a social worker is allocated; its length counts from referral, so a wait
  for allocation shows as a slower assessment. Plans and care go on while a child is unallocated.
* A child referred for s.47 is assessed alongside the enquiry (its assessment completes at the
  conference decision).
* Plans close at 18; care ends at 18 and the young person becomes a care leaver to 21.
* The caseload loop (``caseload_loop``) rescales a new stage's own pre-drawn length, or the
  chance a uniform is compared with, by the team's caseload when the stage starts (or when the
  plan ends, for escalation and re-referral); the stock's stages already under way are not
  rescaled.
* Exits from care other than at 18 follow a constant hazard by age at entry (so the time already
  spent by children in the starting stock needs no adjustment: it is memoryless).
"""

from __future__ import annotations

import math

from simulation.engine.capacity import CaseloadTeam, EarlyHelpPlaces
from simulation.engine.care import CareJourneys
from simulation.engine.caseload_loop import CaseloadLoop
from simulation.engine.distributions import choose, cumulative, exponential, lognormal
from simulation.engine.early_help import EarlyHelpJourneys
from simulation.engine.entities import Child
from simulation.engine.need import NeedScale
from simulation.engine.queue_limits import HeadTimer
from simulation.engine.schedule import after
from simulation.records.calendar import DAYS_PER_YEAR
from simulation.records.eventlog import EventLog
from simulation.records.streams import EpisodeDraws, Streams
from simulation.scenario.lever_schedule import LeverSchedule
from simulation.scenario.schema import Scenario

YEAR_DAYS = 365.0
_DAYS_TO_18 = 18 * DAYS_PER_YEAR  # 6574.5, as ``Child.day_of_birthday(18)`` computes it
#: The stage a CIN plan's ending leads to (a key of ``Journeys.stages``).
_CIN_ESCALATION = {"early_help": "early_help", "s47": "s47_cin", "care": "care"}


class Journeys(EarlyHelpJourneys, CareJourneys):
    """The processes children run through, bound to one replication's environment and capacity."""

    def __init__(self, env, log: EventLog, streams: Streams, scenario: Scenario,
                 teams: dict[str, CaseloadTeam], early_help: EarlyHelpPlaces, fostering,
                 workforce=None):
        self.env, self.log, self.streams = env, log, streams
        self.workforce = workforce
        self.loop = workforce.loop if workforce is not None else CaseloadLoop(scenario.caseload_effects)
        self.teams, self.early_help_places = teams, early_help
        self.setup_placements(scenario, fostering)
        self.team_of: dict[int, str] = {}
        # Plain floats and lists for the hot path; the frozen scenario stays the source of truth.
        ref, eh, ass, pro, cin, care = (scenario.referrals, scenario.early_help, scenario.assessment,
                                        scenario.protection, scenario.cin_plans, scenario.care)
        self.p_nfa_at_referral = ref.nfa_at_referral_prob.value
        levers = LeverSchedule.for_scenario(scenario)
        # A lever on the front door's NFA rate (None unless an intervention moves it).
        self.nfa_multiplier = levers.function("referrals.nfa_at_referral_prob")
        # The threshold lever on later referrals (re-referrals, early help's): the lowest-need
        # referrals are not made (new arrivals are thinned by the same rule in ``model``).
        self.threshold = (levers.function("referrals.external_rate_per_year")
                          if ref.threshold_acts_on_need else None)
        self.need_scale = NeedScale(ref.nfa_at_referral_prob.value, scenario.assessment.s47_prob.value,
                                    scenario.assessment.outcome_prob.value)
        self.p_need_decides = ref.need_persistence_prob.value
        self.s47_from = self.need_scale.s47_from
        self.p_rereferral = {"nfa": ref.rereferral_after_nfa_prob.value,
                             "plan": ref.rereferral_after_plan_prob.value}
        self.rereferral_delay_mean = ref.rereferral_delay_mean_days.value
        self.eh_median, self.eh_sigma = eh.duration_median_days.value, eh.duration_lognormal_sigma.value
        self.p_eh_escalation = eh.escalation_to_referral_prob.value
        self.eh_max_wait = eh.max_wait_days.value
        self.eh_time_limits = HeadTimer(env, self.eh_max_wait, early_help.queued_with, self.early_help_gave_up)
        self.p_eh_unserved_referral = eh.unserved_referral_prob.value
        self.p_eh_diversion = eh.diversion_prob.value
        # Diversion takes children early help can help (``need``): as many as ``diversion_prob``
        # of first-time referrals, drawn from the eligible share only.
        self.diversion_need_below = (self.need_scale.early_help_can_meet_below
                                     if eh.diversion_acts_on_need else 1.0)
        # No band early help can meet (every referral needs more): nobody is diverted.
        self.p_eh_diversion_eligible = (min(1.0, self.p_eh_diversion / self.diversion_need_below)
                                        if self.diversion_need_below > 0 else 0.0)
        self.assess_median, self.assess_sigma = ass.duration_median_days.value, ass.duration_lognormal_sigma.value
        self.p_s47 = ass.s47_prob.value
        self.s47_days = pro.s47_to_icpc_days.value
        self.p_icpc, self.p_cp_after_icpc = pro.icpc_after_s47_prob.value, pro.cp_plan_after_icpc_prob.value
        self.p_cp_early = pro.ended_before_first_review_prob.value
        self.cp_first_review, self.cp_interval = pro.first_review_days.value, pro.review_interval_days.value
        self.p_cp_end_first, self.p_cp_end_later = pro.end_at_first_review_prob.value, pro.end_at_later_review_prob.value
        self.cp_end_table = pro.end_prob.value
        self.cp_endings = cumulative(self.cp_end_table)
        self.cin_median, self.cin_sigma = cin.duration_median_days.value, cin.duration_lognormal_sigma.value
        self.cin_end_table = cin.end_prob.value
        self.cin_endings = cumulative(self.cin_end_table)
        self.choice_under_16 = cumulative(care.placement_choice_prob_under_16.value)
        self.choice_16_17 = cumulative(care.placement_choice_prob_16_17.value)
        self.care_exit_mean = care.exit_mean_days_by_entry_age.value
        self.exit_reason_under_5 = cumulative(care.exit_reason_prob_under_5.value)
        self.exit_reason_5_17 = cumulative(care.exit_reason_prob_5_to_17.value)
        self.pfa_days = care.placed_for_adoption_before_order_days.value
        self.p_out_of_area, self.p_over_20 = care.out_of_area_prob.value, care.over_20_miles_prob.value
        self.p_unstable = care.unstable_child_prob.value
        self.move_rate = {True: care.breakdown_rate_per_year_unstable.value / YEAR_DAYS,
                          False: care.breakdown_rate_per_year_stable.value / YEAR_DAYS}
        self.p_staying_put, self.staying_put_mean = care.staying_put_prob.value, care.staying_put_mean_days.value
        self.leaving_care_age = care.leaving_care_support_until_age_years.value
        self.stages = {"assessment": self.assessment, "s47_referral": self.s47_from_referral,
                       "s47_cin": self.s47_from_plan, "cin_plan": self.cin_plan,
                       "cp_plan": self.cp_plan, "care": self.care_from_plan,
                       "early_help": self.step_down_to_early_help}

    # ----------------------------------------------------------------- team membership
    def join_team(self, child: Child, team: str | None, wait: bool = False):
        """Move the child's case to ``team`` (or out of social work when ``None``)."""
        current = self.team_of.get(child.child_id)
        if current == team:
            return None
        if current is not None:
            self.teams[current].release(child.child_id)
            del self.team_of[child.child_id]
        if team is None:
            if self.workforce is not None:
                # ``Workforce.case_closed`` inlined (about 11,000 closures a replication).
                self.workforce.last_worker.pop(child.child_id, None)
            return None
        self.team_of[child.child_id] = team
        return self.teams[team].request(child.child_id, wait=wait)

    # ----------------------------------------------------------------- referral episodes
    def enter(self, stage: str | None, child: Child, draws: EpisodeDraws) -> None:
        """Start ``stage`` (a key of ``stages``) now; ``None`` means the case has closed."""
        if stage is not None:
            self.stages[stage](child, draws)

    def refer_later(self, child: Child, delay_days: float) -> None:
        """The child is referred again ``delay_days`` from now (one timeout)."""
        after(self.env, delay_days, self.referral, child)

    def referral(self, child: Child, draws: EpisodeDraws | None = None) -> None:
        """A referral now: front door decision, then stages until the case closes.

        ``draws``: the block of the child's first episode when the caller already holds it (a new
        child's arrival, which read only its age, prior plans and diversion slots from it).
        """
        now = self.env._now
        # ``child.age_years(now) >= 18``, the same arithmetic without a method call (a referral
        # is the commonest event).
        if (now - child.birth_day) / DAYS_PER_YEAR >= 18:
            return
        if draws is None or child.referral_episodes != 0:
            draws = self.streams.episode_block(child.child_id, child.referral_episodes)
        if self.threshold is not None and 1.0 - child.need >= self.threshold(now):
            return  # a referral the refreshed threshold stops: the child's need is too low
        child.referral_episodes += 1
        repeat = child.last_referral_day is not None and now - child.last_referral_day <= YEAR_DAYS
        self.log.append((now, child.child_id, "referral", "", "rereferral" if repeat else "first", 0.0))
        child.last_referral_day = now
        need = self.episode_need(child, draws)
        if self.nfa_multiplier is None:
            closed = need < self.p_nfa_at_referral
        else:
            closed = need < self.need_scale.nfa_limit(self.p_nfa_at_referral * self.nfa_multiplier(now))
        if closed:
            self.close(child, "nfa_at_referral", "nfa", draws)
            return
        self.assessment(child, draws)

    def episode_need(self, child: Child, draws: EpisodeDraws) -> float:
        """The need that decides this referral episode (``need``): the child's own, or with
        probability ``1 - need_persistence_prob`` the circumstances of the moment."""
        if draws.uniform("need_applies") < self.p_need_decides:
            child.episode_need = child.need
        else:
            child.episode_need = draws.uniform("circumstances")
        return child.episode_need

    def close(self, child: Child, reason: str, kind: str | None, draws_uniforms) -> None:
        """Close the case; the child may be referred again later (``kind`` picks the chance)."""
        now = self.env._now
        rereferral_factor = self.loop.rereferral(self.team_of.get(child.child_id))
        self.join_team(child, None)
        self.log.append((now, child.child_id, "case_closed", "closed", reason, 0.0))
        if kind is None:
            return
        take = draws_uniforms.uniform if isinstance(draws_uniforms, EpisodeDraws) else None
        u_return = take("rereferral") if take else float(draws_uniforms.random())
        if u_return < self.p_rereferral[kind] * rereferral_factor:
            u_delay = take("rereferral_delay") if take else float(draws_uniforms.random())
            delay = exponential(self.rereferral_delay_mean, u_delay)
            if child.age_years(now + delay) < 18:
                self.refer_later(child, delay)

    def assessment(self, child: Child, draws: EpisodeDraws, elapsed_days: float = 0.0,
                   total_days: float | None = None) -> None:
        """Assessment from referral: wait for a social worker, then assess or start a s.47."""
        referred = self.env._now - elapsed_days
        self.log.append((referred, child.child_id, "assessment_started", "assessment",
                         "initial" if elapsed_days else "", 0.0))
        allocation = self.join_team(child, "assessment", wait=True)
        if allocation is None:
            self.assess(child, draws, referred, elapsed_days, total_days)
        else:
            allocation.callbacks.append(
                lambda _event: self.assess(child, draws, referred, elapsed_days, total_days))

    def assess(self, child: Child, draws: EpisodeDraws, referred: float, elapsed_days: float,
               total_days: float | None) -> None:
        """A worker is allocated: a s.47 enquiry, or an assessment to its outcome."""
        if child.episode_need >= self.s47_from:
            self.enter("s47_referral", child, draws)
            return
        if total_days is None:
            total_days = (lognormal(self.assess_median, self.assess_sigma, draws.uniform("assessment_duration"))
                          * self.loop.assessment("assessment"))
        # ``max(left, 0.0)`` as a comparison, the same value (``0.0`` only when ``0.0 > left``):
        # a call of the builtin min or max costs about 60 ns in Python 3.11 (see ``lognormal``).
        left = total_days - elapsed_days
        after(self.env, 0.0 if 0.0 > left else left, self.assessment_ended, child, draws, referred)

    def assessment_ended(self, child: Child, draws: EpisodeDraws, referred: float) -> None:
        outcome = self.assessment_outcome(child, draws, referred, self.need_scale.outcome(child.episode_need))
        if outcome is not None:
            self.stages[outcome](child, draws)

    def assessment_outcome(self, child: Child, draws: EpisodeDraws, referred: float,
                           outcome: str | None = None) -> str | None:
        """Record the assessment's outcome; close the case, or return the stage that follows.

        ``outcome``: the band of the episode's need; ``None`` after a s.47 enquiry with no
        conference, whose outcome the episode's own draw picks (the need band was the s.47's).
        """
        if outcome is None:
            outcome = choose(self.need_scale.outcomes, draws.uniform("assessment_outcome"))
        now = self.env._now
        self.log.append((now, child.child_id, "assessment_completed", "", outcome, now - referred))
        if outcome in ("not_in_need", "in_need_closed"):
            self.close(child, outcome, "nfa", draws)
            return None
        return outcome

    def s47_enquiry(self, child: Child, draws: EpisodeDraws, then) -> None:
        """Strategy discussion and enquiry to the conference decision, then ``then(child, draws, to_plan)``.

        ``to_plan`` is None when no conference is held, else True when a CP plan follows.
        """
        self.log.append((self.env._now, child.child_id, "s47_started", "s47", "", 0.0))
        after(self.env, self.s47_days, self.conference, child, draws, then)

    def conference(self, child: Child, draws: EpisodeDraws, then) -> None:
        """The end of a s.47 enquiry: an initial conference or not, and its decision."""
        if draws.uniform("icpc") >= self.p_icpc:
            then(child, draws, None)
            return
        self.log.append((self.env._now, child.child_id, "icpc", "", "", 0.0))
        then(child, draws, draws.uniform("cp_after_icpc") < self.p_cp_after_icpc)

    def s47_from_referral(self, child: Child, draws: EpisodeDraws) -> None:
        referred = child.last_referral_day

        def decided(child: Child, draws: EpisodeDraws, to_plan: bool | None) -> None:
            if to_plan is None:
                self.enter(self.assessment_outcome(child, draws, referred), child, draws)
                return
            now = self.env._now
            self.log.append((now, child.child_id, "assessment_completed", "",
                             "cp_plan" if to_plan else "cin_plan", now - referred))
            (self.cp_plan if to_plan else self.cin_plan)(child, draws)

        self.s47_enquiry(child, draws, decided)

    def s47_from_plan(self, child: Child, draws: EpisodeDraws) -> None:
        self.s47_enquiry(child, draws, self.s47_from_plan_decided)

    def s47_from_plan_decided(self, child: Child, draws: EpisodeDraws, to_plan: bool | None) -> None:
        (self.cp_plan if to_plan else self.cin_plan)(child, draws)

    def _until_18(self, child: Child, duration: float) -> tuple[float, bool]:
        # ``child.day_of_birthday(18)`` (birth day + 18 x 365.25, exactly) without a method call:
        # every plan and early help episode asks (about 11,000 a replication).
        left = child.birth_day + _DAYS_TO_18 - self.env._now
        return (left, True) if duration >= left else (duration, False)

    def cin_plan(self, child: Child, draws: EpisodeDraws, elapsed_days: float = 0.0,
                 total_days: float | None = None) -> None:
        """A Child in Need plan (s.17); ``elapsed_days``/``total_days`` for the starting stock."""
        now = self.env._now
        self.join_team(child, "family_support")
        self.log.append((now - elapsed_days, child.child_id, "cin_plan_started", "cin_plan",
                         "initial" if elapsed_days else "", 0.0))
        if total_days is None:
            total_days = (lognormal(self.cin_median, self.cin_sigma, draws.uniform("cin_duration"))
                          * self.loop.cin_plan("family_support"))
        remaining, aged_out = self._until_18(child, total_days - elapsed_days)
        after(self.env, 0.0 if 0.0 > remaining else remaining,  # max(remaining, 0.0), see ``assess``
              self.cin_plan_ended, child, draws, now, elapsed_days, aged_out)

    def cin_plan_ended(self, child: Child, draws: EpisodeDraws, started_now: float, elapsed_days: float,
                       aged_out: bool) -> None:
        """The plan's review ends it: closed, stepped down, or escalated (s.47, care)."""
        endings = self.loop.escalated_endings(self.cin_end_table, "cin", "family_support", self.cin_endings)
        ending = "age_18" if aged_out else choose(endings, draws.uniform("cin_end"))
        now = self.env._now
        self.log.append((now, child.child_id, "cin_plan_ended", "", ending, now - started_now + elapsed_days))
        if ending in ("closed", "age_18"):
            self.close(child, ending, None if aged_out else "plan", draws)
            return
        self.stages[_CIN_ESCALATION[ending]](child, draws)

    def cp_plan_days(self, draws: EpisodeDraws, drift: float = 1.0) -> float:
        """A CP plan's length: it ends at a review conference (3 months, then 6-monthly), or early.

        ``drift`` (the caseload loop) divides the chance that a review ends the plan.
        """
        if draws.uniform("cp_early") < self.p_cp_early:
            return draws.uniform("cp_early_time") * self.cp_first_review
        u_reviews = draws.uniform("cp_reviews")
        # min and max below written as comparisons, the same values (see ``assess``); the
        # starting stock computes about 5,600 candidate plans a replication.
        end_first, end_later = self.p_cp_end_first / drift, self.p_cp_end_later / drift
        if 1.0 < end_later:
            end_later = 1.0
        if u_reviews < end_first:
            return self.cp_first_review
        if self.p_cp_end_later <= 0:
            return math.inf  # no plan ends at a later review: it runs until the child is 18
        # Conditional uniform for the later reviews: geometric number of 6-monthly reviews.
        u_later = (u_reviews - end_first) / (1 - end_first)
        later = 1
        if not end_later >= 1:
            reviews = math.ceil(math.log1p(-u_later) / math.log1p(-end_later))
            later = reviews if reviews > 1 else 1  # max(1, reviews)
        return self.cp_first_review + later * self.cp_interval

    def cp_plan(self, child: Child, draws: EpisodeDraws, elapsed_days: float = 0.0,
                total_days: float | None = None) -> None:
        """A Child Protection plan from the initial conference to the conference that ends it."""
        now = self.env._now
        self.join_team(child, "family_support")
        self.log.append((now - elapsed_days, child.child_id, "cp_plan_started", "cp_plan",
                         "initial" if elapsed_days else "", child.cp_plans_before))
        child.cp_plans_before += 1
        if total_days is None:
            total_days = self.cp_plan_days(draws, self.loop.cp_plan("family_support"))
        remaining, aged_out = self._until_18(child, total_days - elapsed_days)
        after(self.env, 0.0 if 0.0 > remaining else remaining,  # max(remaining, 0.0), see ``assess``
              self.cp_plan_ended, child, draws, now, elapsed_days, aged_out)

    def cp_plan_ended(self, child: Child, draws: EpisodeDraws, started_now: float, elapsed_days: float,
                      aged_out: bool) -> None:
        """The conference that ends the plan: closed, stepped down to CIN, or care."""
        endings = self.loop.escalated_endings(self.cp_end_table, "cp", "family_support", self.cp_endings)
        ending = "age_18" if aged_out else choose(endings, draws.uniform("cp_end"))
        now = self.env._now
        self.log.append((now, child.child_id, "cp_plan_ended", "", ending, now - started_now + elapsed_days))
        if ending in ("closed", "age_18"):
            self.close(child, ending, None if aged_out else "plan", draws)
            return
        self.stages[ending](child, draws)

    def step_down_to_early_help(self, child: Child, draws: EpisodeDraws) -> None:
        self.join_team(child, None)
        self.early_help(child, draws)

    def care_from_plan(self, child: Child, draws: EpisodeDraws) -> None:
        """Into care: the episode is a process of its own (``care.CareJourneys.care_episode``)."""
        self.env.process(self.care_episode(child))

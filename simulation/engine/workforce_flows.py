"""Workforce flows: posts, leavers, recruitment, agency cover, ASYE intake and scenario levers.

Covers
------
* The starting establishment from the census (employed, agency-covered and vacant posts in every
  team in the same proportions), posts part-time with a stated chance.
* A monthly review (one simpy process, first day of each calendar month): each worker's leaving
  rate for the month is its base rate (agency higher) x the caseload loop's multiplier for its
  team's caseload x any retention lever; a worker leaves when the integral of its rate reaches
  its own unit-exponential draw, so only actual departures are scheduled. The review also ends
  ASYE protection, takes the September ASYE intake, phases in extra posts, applies the shock and
  re-tries agency cover held back by a cap or by the locum market (at most
  ``agency_starts_max_per_month`` new locums a month).
* A vacancy runs recruitment campaigns (fixed length, each succeeding with a chance) until a new
  employed worker starts; with the vacancy's cover decision, agency locums cover it after a short
  delay, one after another, until the post is filled (the locum's children pass to the new
  worker).

Reproducibility: each post draws from ``workforce.post`` keyed by (post id, vacancy number) and
each worker from ``workforce.worker`` keyed by its id (post id x 1000 + occupant number); posts a
lever adds have ids from ``LEVER_POST_ID`` so the baseline's posts and workers keep their draws.

Assumptions
-----------
* Agency locums cover only vacancies left by leavers (not sickness, not a lever's new posts,
  which are recruited to); a locum's children pass to the permanent recruit when one starts. Non-case-holding posts churn and are covered like the others.
* The caseload loop raises non-case-holding staff's leaving rate with the mean case-holding
  caseload (managers feel their teams' pressure).
"""

from __future__ import annotations

import datetime as dt
import math

from simulation.engine.entities import Post, SocialWorker
from simulation.records.eventlog import LEVER_POST_ID, MAX_OCCUPANTS, POST_ID_BASE, WORKER_ID_BASE
from simulation.scenario.vocabulary import (
    ALL_TEAMS,
    CASE_HOLDING_TEAMS,
    EMPLOYED_KINDS,
    NON_CASE_HOLDING,
)

VACANCY_DRAWS = 40  # uniforms per vacancy: 1 cover decision, then campaigns and locum delays


def month_starts(start: dt.date, horizon_days: float) -> list[float]:
    """Simulation days of the first of each month from the start to the horizon."""
    days, month = [0.0], start.replace(day=1)
    while True:
        month = (month + dt.timedelta(days=32)).replace(day=1)
        day = float((month - start).days)
        if day > horizon_days:
            return days
        days.append(day)


class _Vacancy:
    """The draws of one vacancy: cover decision, campaign outcomes, locum start delays."""

    __slots__ = ("serial", "uniforms", "next_campaign", "next_delay", "covered")

    def __init__(self, serial: int, uniforms: list[float], cover_prob: float):
        self.serial, self.uniforms = serial, uniforms
        self.covered = uniforms[0] < cover_prob
        self.next_campaign, self.next_delay = 1, VACANCY_DRAWS // 2

    def campaign_uniform(self) -> float:
        index = self.next_campaign
        self.next_campaign = index + 1 if index + 1 < VACANCY_DRAWS // 2 else 1
        return self.uniforms[index]

    def delay_uniform(self) -> float:
        index = self.next_delay
        self.next_delay = index + 1 if index + 1 < VACANCY_DRAWS else VACANCY_DRAWS // 2
        return self.uniforms[index]


class WorkforceFlows:
    """Mixed into ``workforce.Workforce``, which holds the teams and the caseload measure."""

    def setup_flows(self, horizon_days: float) -> None:
        scenario, wf = self.scenario, self.scenario.workforce
        levers = scenario.workforce_levers
        self.start_date = scenario.start_date
        day_of = lambda date: float((date - self.start_date).days)  # noqa: E731
        self.posts: dict[int, Post] = {}
        self.vacancies: dict[int, _Vacancy] = {}
        self.capped: dict[int, Post] = {}
        self.protected: list[SocialWorker] = []
        self.agency_fte = 0.0
        self.locum_starts = 0  # this month's, against the market's limit
        self.establishment_fte = 0.0
        self.employed_rate_per_day = wf.employed_leaving_rate_per_year.value / 365.0
        self.agency_rate_per_day = 1.0 / wf.agency_mean_stay_days.value
        self.extra_posts = levers.extra_posts
        self.extra_posts_day = day_of(levers.extra_posts.start_date.value)
        self.extra_posts_added = {team: 0.0 for team in CASE_HOLDING_TEAMS}
        self.lever_posts = 0
        self.retention_day = day_of(levers.retention.start_date.value)
        self.recruit_faster_day = day_of(levers.faster_recruitment.start_date.value)
        self.cap_day = day_of(levers.agency_cap.start_date.value)
        self.asye_extra_day = day_of(levers.asye_places.start_date.value)
        self.shock_day = day_of(levers.shock.date.value)
        self.ticks = month_starts(self.start_date, horizon_days)
        self.build_establishment()
        self.env.process(self.monthly_review())

    # ----------------------------------------------------------------- establishment
    def build_establishment(self) -> None:
        """Posts and workers on day 0, every team with the census mix of employed/agency/vacant."""
        wf, cap = self.scenario.workforce, self.scenario.capacity
        employed, agency, vacant = (wf.employed_fte_at_start.value, wf.agency_fte_at_start.value,
                                    wf.vacancies_fte_at_start.value)
        establishment, in_post = employed + vacant, employed + agency
        in_post_by_team = {team: getattr(cap, f"{team}_team_case_holding_fte").value
                           for team in CASE_HOLDING_TEAMS}
        in_post_by_team[NON_CASE_HOLDING] = max(in_post - sum(in_post_by_team.values()), 0.0)
        employed_share = employed / establishment if establishment else 0.0
        agency_share = agency / establishment if establishment else 0.0
        next_id = 0
        for team in ALL_TEAMS:
            target = in_post_by_team[team] * establishment / in_post if in_post else 0.0
            filled = 0.0
            while target - filled > 0.3:
                post = self.new_post(next_id, team)
                next_id += 1
                position = (filled + post.fte / 2) / target
                filled += post.fte
                if position < employed_share:
                    self.start_worker(post, "employed", initial=True)
                else:
                    covered = position < employed_share + agency_share
                    self.open_vacancy(post, covered=covered, initial=True)

    def new_post(self, post_id: int, team: str) -> Post:
        wf = self.scenario.workforce
        u_part_time = float(self.streams.child_generator("workforce.post", post_id, 0).random())
        fte = wf.part_time_post_fte.value if u_part_time < wf.part_time_post_prob.value else 1.0
        post = Post(post_id, team, fte)
        self.posts[post_id] = post
        self.establishment_fte += fte
        self.log.record(self.env.now, POST_ID_BASE + post_id, "post_added", detail=team, value=fte)
        return post

    # ----------------------------------------------------------------- workers in and out
    def start_worker(self, post: Post, kind: str, initial: bool = False) -> SocialWorker:
        """A worker takes (or covers) the post; an employed starter relieves the post's locum."""
        post.occupants += 1
        worker_id = WORKER_ID_BASE + post.post_id * MAX_OCCUPANTS + post.occupants % MAX_OCCUPANTS
        u_leave = float(self.streams.child_generator("workforce.worker", worker_id, 0).random())
        now = self.env.now
        worker = SocialWorker(worker_id, post, kind, post.fte, now,
                              self.limit_for(post.fte, kind) if post.team != NON_CASE_HOLDING else 0,
                              leave_budget=-math.log1p(-u_leave))
        team = self.teams[post.team]
        self.log.record(now, worker_id, "worker_joined",
                        detail=f"{post.team}:{kind}{':initial' if initial else ''}", value=post.fte)
        if kind == "agency":
            post.cover = worker
            self.agency_fte += post.fte
            self.locum_starts += 0 if initial else 1
            team.add_worker(worker)
            return worker
        if kind == "asye":
            worker.protected_until_day = now + self.scenario.workforce.asye_protected_days.value
            self.protected.append(worker)
        post.holder = worker
        locum = post.cover
        team.add_worker(worker, serve=locum is None)
        if locum is not None:
            self.depart(locum, "released", successor=worker)
        return worker

    def depart(self, worker: SocialWorker, reason: str, successor: SocialWorker | None = None) -> None:
        """The worker leaves; their children are reallocated and the post falls vacant."""
        if not worker.in_post:
            return
        worker.in_post = False
        post, team = worker.post, self.teams[worker.post.team]
        self.log.record(self.env.now, worker.worker_id, "worker_left",
                        detail=f"{post.team}:{worker.kind}:{reason}", value=worker.fte)
        team.remove_worker(worker, successor)
        if worker.kind == "agency":
            post.cover = None
            self.agency_fte -= worker.fte
            vacancy = self.vacancies.get(post.post_id)
            if post.holder is None and post.open and vacancy is not None and vacancy.covered:
                self.env.process(self.engage_locum(post, vacancy))
        else:
            post.holder = None
            if post.open:
                self.open_vacancy(post)
        team.serve()

    def open_vacancy(self, post: Post, covered: bool | None = None, initial: bool = False) -> None:
        """The post is vacant: recruit to it and, if the vacancy is covered, bring in a locum."""
        post.vacancy_serial += 1
        rng = self.streams.child_generator("workforce.post", post.post_id, post.vacancy_serial)
        vacancy = _Vacancy(post.vacancy_serial, rng.random(VACANCY_DRAWS).tolist(),
                           self.scenario.workforce.agency_cover_prob.value)
        if covered is not None:
            vacancy.covered = covered
        self.vacancies[post.post_id] = vacancy
        self.env.process(self.recruit(post, vacancy))
        if vacancy.covered:
            if initial:
                self.start_worker(post, "agency", initial=True)
            else:
                self.env.process(self.engage_locum(post, vacancy))

    def vacancy_live(self, post: Post, vacancy: _Vacancy) -> bool:
        return post.open and post.holder is None and post.vacancy_serial == vacancy.serial

    def recruit(self, post: Post, vacancy: _Vacancy):
        """Recruitment campaigns until one fills the post (or the post is filled another way)."""
        wf = self.scenario.workforce
        while True:
            yield self.env.timeout(wf.recruitment_campaign_days.value)
            if not self.vacancy_live(post, vacancy):
                return
            chance = (self.scenario.workforce_levers.faster_recruitment.success_prob.value
                      if self.env.now >= self.recruit_faster_day else wf.recruitment_success_prob.value)
            if vacancy.campaign_uniform() < chance:
                self.start_worker(post, "employed")
                return

    def engage_locum(self, post: Post, vacancy: _Vacancy):
        """A locum starts after a delay, unless the post is filled, closed or the cap is reached."""
        delay = -self.scenario.workforce.agency_start_delay_mean_days.value * math.log1p(-vacancy.delay_uniform())
        yield self.env.timeout(delay)
        if not self.vacancy_live(post, vacancy) or post.cover is not None:
            return
        if self.over_agency_cap(post) or self.locum_market_full():
            self.capped[post.post_id] = post
            return
        self.start_worker(post, "agency")

    def locum_market_full(self) -> bool:
        return self.locum_starts >= self.scenario.workforce.agency_starts_max_per_month.value

    def over_agency_cap(self, post: Post) -> bool:
        if self.env.now < self.cap_day:
            return False
        share = self.scenario.workforce_levers.agency_cap.share_of_establishment.value
        return self.agency_fte + post.fte > share * self.establishment_fte + 1e-9

    # ----------------------------------------------------------------- the monthly review
    def monthly_review(self):
        ticks = self.ticks
        for index, day in enumerate(ticks):
            if day > self.env.now:
                yield self.env.timeout(day - self.env.now)
            month_days = (ticks[index + 1] if index + 1 < len(ticks) else day + 30.0) - day
            date = self.start_date + dt.timedelta(days=int(day))
            self.locum_starts = 0
            self.end_asye_protection()
            self.phase_in_posts()
            if date.month == int(self.scenario.workforce.asye_intake_month.value):
                self.asye_intake()
            if day <= self.shock_day < day + month_days:
                self.shock(month_days)
            self.retry_capped()
            self.schedule_leavers(month_days)

    def retention_multiplier(self) -> float:
        levers = self.scenario.workforce_levers.retention
        if self.env.now < self.retention_day:
            return 1.0
        phase_days = levers.phase_in_months.value * 365.25 / 12
        ramp = 1.0 if phase_days <= 0 else min((self.env.now - self.retention_day) / phase_days, 1.0)
        return 1.0 - (1.0 - levers.leaving_rate_multiplier.value) * ramp

    def schedule_leavers(self, month_days: float) -> None:
        """Spend each worker's leaving budget for the month; schedule those who run out."""
        caseloads = {team: self.team_caseload(team) for team in CASE_HOLDING_TEAMS}
        finite = [c for c in caseloads.values() if c is not None and math.isfinite(c)]
        caseloads[NON_CASE_HOLDING] = sum(finite) / len(finite) if finite else None
        retention = self.retention_multiplier()
        for team_name in ALL_TEAMS:
            caseload = caseloads[team_name]
            pressure = self.loop.turnover(caseload) if caseload is not None else 1.0
            for worker in list(self.teams[team_name].workers):
                if worker.leaving:
                    continue
                base = self.agency_rate_per_day if worker.kind == "agency" else self.employed_rate_per_day * retention
                rate = base * pressure
                if worker.leave_budget <= rate * month_days:
                    self.schedule_departure(worker, worker.leave_budget / rate, "resigned")
                else:
                    worker.leave_budget -= rate * month_days

    def schedule_departure(self, worker: SocialWorker, after_days: float, reason: str) -> None:
        worker.leaving = True
        self.env.timeout(after_days).callbacks.append(lambda _event: self.depart(worker, reason))

    def shock(self, month_days: float) -> None:
        """Lose the lever's share of employed staff during this month (each worker's own draws)."""
        share = self.scenario.workforce_levers.shock.permanent_leavers_share.value
        if share <= 0:
            return
        for team_name in ALL_TEAMS:
            for worker in list(self.teams[team_name].workers):
                if worker.kind in EMPLOYED_KINDS and not worker.leaving:
                    u_shock, u_when = self.streams.child_generator(
                        "workforce.worker", worker.worker_id, 1).random(2).tolist()
                    if u_shock < share:
                        self.schedule_departure(worker, u_when * month_days, "shock")

    def end_asye_protection(self) -> None:
        now, still = self.env.now, []
        for worker in self.protected:
            if not worker.in_post:
                continue
            if worker.protected_until_day <= now:
                worker.caseload_limit = self.limit_for(worker.fte, "employed")
                self.teams[worker.post.team].changed(worker)
                self.teams[worker.post.team].serve()
            else:
                still.append(worker)
        self.protected = still

    def asye_intake(self) -> None:
        """Newly qualified workers fill vacant case-holding posts (lowest post id in a team first)."""
        places = self.scenario.workforce.asye_intake_per_year.value
        if self.env.now >= self.asye_extra_day:
            places += self.scenario.workforce_levers.asye_places.extra_per_year.value
        vacant = {team: [post for post in self.posts.values()
                         if post.open and post.holder is None and post.team == team]
                  for team in CASE_HOLDING_TEAMS}
        for _ in range(round(places)):
            # Each newly qualified worker goes to the team under most pressure with a vacancy.
            open_teams = [team for team in CASE_HOLDING_TEAMS if vacant[team]]
            if not open_teams:
                return
            team = max(open_teams, key=lambda name: self.team_caseload(name))
            self.start_worker(vacant[team].pop(0), "asye")

    def retry_capped(self) -> None:
        for post_id in sorted(self.capped):
            post = self.capped[post_id]
            vacancy = self.vacancies.get(post_id)
            if vacancy is None or not self.vacancy_live(post, vacancy) or post.cover is not None:
                del self.capped[post_id]
            elif not self.over_agency_cap(post) and not self.locum_market_full():
                del self.capped[post_id]
                self.start_worker(post, "agency")

    def phase_in_posts(self) -> None:
        """Add (or remove vacant) case-holding posts towards the lever's target, month by month."""
        lever = self.extra_posts
        target_fte = lever.fte.value
        if target_fte == 0 or self.env.now < self.extra_posts_day:
            return
        months = lever.phase_in_months.value
        elapsed = (self.env.now - self.extra_posts_day) / (365.25 / 12) + 1
        wanted = target_fte * (1.0 if months <= 0 else min(elapsed / months, 1.0))
        done = sum(self.extra_posts_added.values())
        shares = {team: getattr(self.scenario.capacity, f"{team}_team_case_holding_fte").value
                  for team in CASE_HOLDING_TEAMS}
        total = sum(shares.values()) or 1.0
        if wanted > 0:
            while wanted - done > 0.3:
                # The team furthest below its share of the added posts gets the next one.
                team = max(CASE_HOLDING_TEAMS, key=lambda t: shares[t] / total * wanted - self.extra_posts_added[t])
                post = self.new_post(LEVER_POST_ID + self.lever_posts, team)
                self.lever_posts += 1
                self.extra_posts_added[team] += post.fte
                done += post.fte
                # New posts are recruited to, not covered by locums: they add permanent capacity.
                self.open_vacancy(post, covered=False)
            return
        vacant = sorted((post for post in self.posts.values()
                         if post.open and post.holder is None and post.team in CASE_HOLDING_TEAMS),
                        key=lambda post: -post.post_id)
        for post in vacant:
            if done - wanted <= 0.3:
                return
            self.remove_post(post)
            self.extra_posts_added[post.team] -= post.fte
            done -= post.fte

    def remove_post(self, post: Post) -> None:
        post.open = False
        self.establishment_fte -= post.fte
        self.log.record(self.env.now, POST_ID_BASE + post.post_id, "post_removed", detail=post.team, value=post.fte)
        if post.cover is not None:
            self.depart(post.cover, "post_removed")


__all__ = ["POST_ID_BASE", "WORKER_ID_BASE", "WorkforceFlows", "month_starts"]

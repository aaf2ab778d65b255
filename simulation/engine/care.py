"""Care: entry, placements found in search order, moves, step-down, exits, and care leavers to 21.

Covers
------
* A care episode draws, at entry and from the child's own care-journey stream, its intended exit
  (time and reason), its stability, whether it comes with a sibling group, whether it could step
  down from residential care, and each placement's need and location; then it schedules only what
  changes state: placement moves, retries from an emergency placement, a planned step-down, a move
  to adopters before an adoption order, the exit.
* Placement search (``placement_market``): kinship, in-house household, agency, children's home,
  else an emergency placement, searched again every ``search_wait_days``. Each placement is in or
  out of area, and over 20 miles or not, by type.
* Moves: placement breakdowns at a constant hazard, higher for the share of children whose
  placements are unstable and scaled by placement type; each breakdown is a new search. A child
  whose in-house carers deregister moves too (a new search for foster care).
* Planned step-down (a lever): a child ready to step down who has been in a children's home for
  ``step_down_after_days`` (and is under 16) waits for an in-house bed, and moves when one frees.
  Readiness starts at the programme's start date and phases in (the child's own readiness
  uniform decides when in the phase-in it counts); a step-down breaks down back to a children's
  home within the enhanced period with ``step_down_breakdown_prob`` (its own stream,
  ``placement.step_down``, drawn only for children who step down).
* Leaving care at 18: a care leaver with a personal adviser to 21; some foster placements
  become "staying put", which keeps an in-house bed from a younger child.
* Re-entry: a return home, or a special guardianship or child arrangements order, may break
  down; the child comes back into care after a delay (``breaks_down``), keeping its need.

The clock is read as ``env._now`` (simpy's attribute, not the ``now`` property's Python call; see
``pathway``).

Assumptions
-----------
* Non-age exits follow a constant hazard by age at entry; reasons by age at entry.
* Out-of-area and over-20-miles use one uniform, so a placement over 20 miles is always out of
  area (Southend placed none over 20 miles inside its boundary in 2022-23).
* A child's need is persistent: after a breakdown it is read again from the same entry uniform
  but with the table for the child's age then (so at 16 some children's need becomes supported
  accommodation). A child who stepped down keeps a foster need.
"""

from __future__ import annotations

import math

from simulation.engine.distributions import age_band, choose, exponential
from simulation.engine.entities import Child
from simulation.engine.placement_market import PlacementSearch
from simulation.engine.schedule import after
from simulation.records.calendar import DAYS_PER_MONTH
from simulation.records.eventlog import OUT_OF_AREA_FLAG, OVER_20_MILES_FLAG

_NO_MOVE = math.inf
FOSTER_TYPES = frozenset({"foster_inhouse", "foster_ifa", "foster_kinship"})
#: What a child of the starting stock is searched for after an emergency placement.
_NEED_OF_PLACEMENT = {"foster_inhouse": "foster", "foster_ifa": "foster", "emergency": "foster"}
_STEP_DOWN_BEFORE_AGE = 16.0


class CareJourneys:
    """Care-episode processes; mixed into ``pathway.Journeys``, which holds the parameters."""

    def setup_placements(self, scenario, fostering) -> None:
        """Bind the fostering service and the market rules (called by ``Journeys``)."""
        market = scenario.placement_market
        self.fostering = fostering
        self.search = PlacementSearch(self.log, fostering, market)
        self.search_wait = market.search_wait_days.value
        self.breakdown_multiplier = dict(market.breakdown_rate_multiplier.value)
        self.p_sibling_group = market.sibling_group_prob.value
        self.p_step_down_ready = market.step_down_ready_prob.value
        self.step_down_after = market.step_down_after_days.value
        self.step_down_start = float((market.step_down_start_date.value - scenario.start_date).days)
        self.step_down_phase = market.step_down_phase_in_months.value * DAYS_PER_MONTH
        self.step_down_back_prob = market.step_down_breakdown_prob.value
        self.step_down_enhanced_days = market.step_down_enhanced_weeks.value * 7.0
        care = scenario.care
        #: Exit reason -> (chance the exit breaks down, mean days until the child comes back).
        self.reentry = {"returned_home": (care.reentry_after_return_home_prob.value,
                                          care.reentry_after_return_home_mean_days.value),
                        "sgo_cao": (care.reentry_after_sgo_cao_prob.value,
                                    care.reentry_after_sgo_cao_mean_days.value)}

    def start_placement(self, child: Child, placement: str, uniform_area: float) -> str:
        """Log the start of a placement (its bed, if in-house, is already taken)."""
        flags = 0
        if uniform_area < self.p_out_of_area[placement]:
            flags |= OUT_OF_AREA_FLAG
        if uniform_area < self.p_over_20[placement]:
            flags |= OVER_20_MILES_FLAG
        self.log.record(self.env._now, child.child_id, "placement_started", detail=placement, value=flags)
        return placement

    def place(self, child: Child, need: str, uniform_area: float, search_rng) -> str:
        """Search for the child's need and start what is found; returns the placement type."""
        found = self.search.search(child, need, self.env._now, search_rng)
        return self.start_placement(child, found, uniform_area)

    def end_placement(self, child: Child, placement: str, keep_bed: bool = False) -> None:
        self.log.record(self.env._now, child.child_id, "placement_ended", detail=placement)
        self.fostering.cancel_step_down(child.child_id)
        if placement == "foster_inhouse" and not keep_bed:
            self.fostering.free(child.child_id)

    def choose_placement(self, child: Child, uniform: float) -> str:
        table = self.choice_16_17 if child.age_years(self.env._now) >= 16 else self.choice_under_16
        return choose(table, uniform)

    def _first_placement(self, child: Child, initial_placement: str | None, u_choice: float,
                         u_area: float, search_rng) -> tuple[str, str]:
        """(need, placement) at entry, or for a child of the starting stock its published placement."""
        if initial_placement is None:
            need = self.choose_placement(child, u_choice)
            return need, self.place(child, need, u_area, search_rng)
        need = _NEED_OF_PLACEMENT.get(initial_placement, initial_placement)
        # The starting stock seats its in-house children before the processes start
        # (initial_stock); one left without a bed is searched for now.
        if initial_placement == "foster_inhouse" and child.child_id not in self.fostering.household_of:
            return need, self.place(child, need, u_area, search_rng)
        return need, self.start_placement(child, initial_placement, u_area)

    def care_episode(self, child: Child, initial_placement: str | None = None,
                     elapsed_days: float = 0.0, reentry: bool = False):
        """A care episode from entry (or from the start, for the stock) to exit."""
        env = self.env
        now = env._now
        child.care_episodes += 1
        rng = self.streams.child_generator("child.care_journey", child.child_id, child.care_episodes)
        search_rng = self.streams.child_generator("placement.search", child.child_id, child.care_episodes)
        u_exit, u_reason, u_unstable, u_choice, u_area, u_sibling, u_ready, u_step_needs = rng.random(8).tolist()
        child.sibling_group = u_sibling < self.p_sibling_group
        ready_to_step_down = u_ready < self.p_step_down_ready
        # Readiness phases in: the child counts once the phase-in has reached its own uniform.
        ready_from = (self.step_down_start + self.step_down_phase * u_ready / self.p_step_down_ready
                      if ready_to_step_down else _NO_MOVE)
        entry_day = now - elapsed_days
        entry_age = child.age_years(entry_day)
        # Memoryless exits: a stock child's remaining time is a fresh draw from its entry band.
        exit_day = now + exponential(self.care_exit_mean[age_band(entry_age)], u_exit)
        reason = choose(self.exit_reason_under_5 if entry_age < 5 else self.exit_reason_5_17, u_reason)
        day_18 = child.day_of_birthday(18)
        if exit_day >= day_18:
            exit_day, reason = day_18, "age_18"
        move_rate = self.move_rate[u_unstable < self.p_unstable]
        adoption_day = exit_day - self.pfa_days if reason == "adopted" else _NO_MOVE

        self.join_team(child, "children_in_care")
        self.log.record(entry_day, child.child_id, "cla_started", state="care",
                        detail="initial" if elapsed_days else "reentry" if reentry else "")
        # Allowances depend on age: the metrics need the date of birth of children in care.
        self.log.record(entry_day, child.child_id, "date_of_birth_recorded", value=child.birth_day)
        need, placement = self._first_placement(child, initial_placement, u_choice, u_area, search_rng)
        placed_at, step_down, stepped_down = env._now, None, False
        back_day, stepped_at = _NO_MOVE, None  # a step-down's breakdown back, while it lasts

        while True:
            now = env._now
            rate = move_rate * self.breakdown_multiplier.get(placement, 0.0)
            next_move = now + rng.exponential(1 / rate) if rate > 0 else _NO_MOVE
            retry = now + self.search_wait if placement == "emergency" else _NO_MOVE
            step_due = _NO_MOVE
            if (ready_to_step_down and placement == "residential" and step_down is None
                    and child.age_years(now) < _STEP_DOWN_BEFORE_AGE):
                step_due = max(placed_at + self.step_down_after, now, ready_from)
            milestone = min(adoption_day, exit_day)
            back = back_day if placed_at == stepped_at else _NO_MOVE
            wake = min(next_move, retry, step_due, milestone, back)
            notice = self.fostering.notice(child.child_id) if placement == "foster_inhouse" else None
            waits = [env.timeout(max(wake - now, 0.0))] + [e for e in (step_down, notice) if e is not None]
            yield waits[0] if len(waits) == 1 else env.any_of(waits)
            if notice is not None and notice.triggered:
                # The carers stopped fostering: an unplanned ending, and a new search.
                self.end_placement(child, placement)
                placement, placed_at = self.place(child, "foster", float(rng.random()), search_rng), env._now
                continue
            if step_down is not None and step_down.triggered:
                # A bed freed and was given to this child: a planned move, not a breakdown.
                self.end_placement(child, placement)
                self.log.record(env._now, child.child_id, "step_down", detail="residential>foster_inhouse")
                need, placement = "foster", self.start_placement(child, "foster_inhouse", float(rng.random()))
                placed_at, step_down, stepped_down = env._now, None, True
                back_day, stepped_at = self.step_down_breakdown_day(child), placed_at
                continue
            if wake == back:
                # The step-down broke down: back to a children's home, not ready again.
                self.end_placement(child, placement)
                self.log.record(env._now, child.child_id, "step_down_breakdown", detail="foster_inhouse>residential")
                need, stepped_down, ready_to_step_down, back_day = "residential", False, False, _NO_MOVE
                placement, placed_at = self.place(child, need, float(rng.random()), search_rng), env._now
                continue
            if wake == step_due:
                step_down = self.fostering.wait_for_step_down(child.child_id, child.age_years, child.sibling_group,
                                                              u_step_needs)
                continue
            if wake == retry:
                found = self.search.search(child, need, env._now, search_rng)
                if found != "emergency":
                    self.end_placement(child, placement)
                    placement = self.start_placement(child, found, float(rng.random()))
                    placed_at = env._now
                continue
            if wake == next_move:
                self.end_placement(child, placement)
                step_down = None
                u_area = float(rng.random())
                if not stepped_down:
                    need = self.choose_placement(child, u_choice)
                placement, placed_at = self.place(child, need, u_area, search_rng), env._now
                continue
            if wake == adoption_day:
                self.end_placement(child, placement)
                step_down = None
                placement = self.start_placement(child, "placed_for_adoption", float(rng.random()))
                adoption_day, move_rate = _NO_MOVE, 0.0
                continue
            break

        staying_put = (reason == "age_18" and placement in FOSTER_TYPES
                       and rng.random() < self.p_staying_put)
        if staying_put:
            self.fostering.staying_put(child.child_id)
        self.end_placement(child, placement, keep_bed=staying_put)
        self.log.record(env._now, child.child_id, "cla_ceased", detail=reason, value=env._now - entry_day)
        if reason == "age_18":
            stay_days = exponential(self.staying_put_mean, float(rng.random())) if staying_put else 0.0
            yield from self.care_leaver(child, placement if staying_put else None, stay_days)
        elif not self.breaks_down(child, reason, rng):
            # Children who go home may be referred again: the same chance as after a plan closes.
            self.close(child, reason, "plan" if reason == "returned_home" else None, rng)

    def step_down_breakdown_day(self, child: Child) -> float:
        """When a step-down that has just happened breaks down (``inf``: it holds), uniform over
        the enhanced period, from the child's own ``placement.step_down`` stream."""
        if self.step_down_back_prob <= 0.0:
            return _NO_MOVE
        u_back, u_when = self.streams.child_generator("placement.step_down", child.child_id,
                                                      child.care_episodes).random(2).tolist()
        if u_back >= self.step_down_back_prob:
            return _NO_MOVE
        return self.env._now + u_when * self.step_down_enhanced_days

    def breaks_down(self, child: Child, reason: str, rng) -> bool:
        """Does a return home (or a special guardianship or child arrangements order) break down?

        If so the case closes now and the child comes back into care after the delay (unless 18
        by then): a care episode of its own, recorded as a re-entry.
        """
        chance, mean_days = self.reentry.get(reason, (0.0, 0.0))
        if chance <= 0.0 or rng.random() >= chance:
            return False
        delay = exponential(mean_days, float(rng.random()))
        self.join_team(child, None)
        self.log.record(self.env._now, child.child_id, "case_closed", state="closed", detail=reason)
        if child.age_years(self.env._now + delay) < 18:
            after(self.env, delay, self.reenter_care, child)
        return True

    def reenter_care(self, child: Child) -> None:
        self.env.process(self.care_episode(child, reentry=True))

    def care_leaver(self, child: Child, staying_put_with: str | None, stay_days: float,
                    elapsed_days: float = 0.0):
        """A care leaver supported by a personal adviser until 21 (optionally staying put)."""
        env = self.env
        self.join_team(child, "leaving_care")
        self.log.record(env._now - elapsed_days, child.child_id, "care_leaver_started", state="care_leaver",
                        detail="initial" if elapsed_days else "")
        support_ends = child.day_of_birthday(self.leaving_care_age)
        if staying_put_with is not None:
            self.log.record(env._now, child.child_id, "staying_put_started", detail=staying_put_with)
            stay_ends = min(env._now + stay_days, support_ends)
            yield env.timeout(max(stay_ends - env._now, 0.0))
            self.log.record(env._now, child.child_id, "staying_put_ended", detail=staying_put_with)
            if staying_put_with == "foster_inhouse":
                self.fostering.free(child.child_id)
        yield env.timeout(max(support_ends - env._now, 0.0))
        self.join_team(child, None)
        self.log.record(env._now, child.child_id, "left", state="left", detail="age_21")

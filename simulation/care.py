"""Care: entry, placements matched to age, moves, exits, and care leavers to 21.

Covers
------
* A care episode draws, at entry and from the child's own care-journey stream, its intended exit
  (time and reason), its stability, and each placement; then it schedules only what changes
  state: placement moves, a move to adopters before an adoption order, the exit.
* Placement search: kinship, then foster (in-house when a bed is free, else an independent
  fostering agency, recorded as a fallback), residential, supported accommodation (16+), placed
  with parents. Each placement is in or out of area, and over 20 miles or not, by type.
* Leaving care at 18: a care leaver with a personal adviser to 21; some foster placements
  become "staying put", which keeps an in-house bed from a younger child.

Assumptions
-----------
* Non-age exits follow a constant hazard by age at entry; reasons by age at entry.
* Moves follow a constant hazard, higher for the share of children whose placements are unstable.
* Out-of-area and over-20-miles use one uniform, so a placement over 20 miles is always out of
  area (Southend placed none over 20 miles inside its boundary in 2022-23).
"""

from __future__ import annotations

import math

from simulation.distributions import age_band, choose, exponential
from simulation.entities import Child
from simulation.eventlog import OUT_OF_AREA_FLAG, OVER_20_MILES_FLAG

_NO_MOVE = math.inf
FOSTER_TYPES = frozenset({"foster_inhouse", "foster_ifa", "foster_kinship"})


class CareJourneys:
    """Care-episode processes; mixed into ``pathway.Journeys``, which holds the parameters."""

    def place(self, child: Child, choice: str, uniform_area: float) -> str:
        """Start a placement of the chosen kind and log it; returns the placement type."""
        now = self.env.now
        if choice == "foster":
            if self.beds.take(child.child_id):
                placement = "foster_inhouse"
            else:
                placement = "foster_ifa"
                self.log.record(now, child.child_id, "placement_fallback", detail="foster_inhouse>foster_ifa")
        else:
            placement = choice
        flags = 0
        if uniform_area < self.p_out_of_area[placement]:
            flags |= OUT_OF_AREA_FLAG
        if uniform_area < self.p_over_20[placement]:
            flags |= OVER_20_MILES_FLAG
        self.log.record(now, child.child_id, "placement_started", detail=placement, value=flags)
        return placement

    def end_placement(self, child: Child, placement: str, keep_bed: bool = False) -> None:
        self.log.record(self.env.now, child.child_id, "placement_ended", detail=placement)
        if placement == "foster_inhouse" and not keep_bed:
            self.beds.free(child.child_id)

    def choose_placement(self, child: Child, uniform: float) -> str:
        table = self.choice_16_17 if child.age_years(self.env.now) >= 16 else self.choice_under_16
        return choose(table, uniform)

    def care_episode(self, child: Child, initial_placement: str | None = None,
                     elapsed_days: float = 0.0):
        """A care episode from entry (or from the start, for the stock) to exit."""
        env = self.env
        now = env.now
        child.care_episodes += 1
        rng = self.streams.child_generator("child.care_journey", child.child_id, child.care_episodes)
        u_exit, u_reason, u_unstable, u_choice, u_area = rng.random(5).tolist()
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
                        detail="initial" if elapsed_days else "")
        if initial_placement is None:
            placement = self.place(child, self.choose_placement(child, u_choice), u_area)
        elif (initial_placement == "foster_inhouse" and child.child_id not in self.beds.occupants
              and not self.beds.take(child.child_id)):
            placement = self.place(child, "foster", u_area)
        else:
            placement = self.place(child, initial_placement, u_area)

        while True:
            next_move = env.now + rng.exponential(1 / move_rate) if move_rate > 0 else _NO_MOVE
            milestone = min(adoption_day, exit_day)
            if next_move < milestone:
                yield env.timeout(next_move - env.now)
                self.end_placement(child, placement)
                u_choice, u_area = rng.random(2).tolist()
                placement = self.place(child, self.choose_placement(child, u_choice), u_area)
                continue
            if milestone == adoption_day:
                yield env.timeout(max(adoption_day - env.now, 0.0))
                self.end_placement(child, placement)
                placement = self.place(child, "placed_for_adoption", float(rng.random()))
                adoption_day, move_rate = _NO_MOVE, 0.0
                continue
            yield env.timeout(max(exit_day - env.now, 0.0))
            break

        staying_put = (reason == "age_18" and placement in FOSTER_TYPES
                       and rng.random() < self.p_staying_put)
        self.end_placement(child, placement, keep_bed=staying_put)
        self.log.record(env.now, child.child_id, "cla_ceased", detail=reason, value=env.now - entry_day)
        if reason == "age_18":
            stay_days = exponential(self.staying_put_mean, float(rng.random())) if staying_put else 0.0
            yield from self.care_leaver(child, placement if staying_put else None, stay_days)
        else:
            # Children who go home may come back: the same chance as after a plan closes.
            self.close(child, reason, "plan" if reason == "returned_home" else None, rng)

    def care_leaver(self, child: Child, staying_put_with: str | None, stay_days: float,
                    elapsed_days: float = 0.0):
        """A care leaver supported by a personal adviser until 21 (optionally staying put)."""
        env = self.env
        self.join_team(child, "leaving_care")
        self.log.record(env.now - elapsed_days, child.child_id, "care_leaver_started", state="care_leaver",
                        detail="initial" if elapsed_days else "")
        support_ends = child.day_of_birthday(self.leaving_care_age)
        if staying_put_with is not None:
            self.log.record(env.now, child.child_id, "staying_put_started", detail=staying_put_with)
            stay_ends = min(env.now + stay_days, support_ends)
            yield env.timeout(max(stay_ends - env.now, 0.0))
            self.log.record(env.now, child.child_id, "staying_put_ended", detail=staying_put_with)
            if staying_put_with == "foster_inhouse":
                self.beds.free(child.child_id)
        yield env.timeout(max(support_ends - env.now, 0.0))
        self.join_team(child, None)
        self.log.record(env.now, child.child_id, "left", state="left", detail="age_21")

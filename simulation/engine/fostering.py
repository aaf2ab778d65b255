"""The council's own fostering service: households recruited, matched with children, and lost.

Covers
------
* **Starting supply**: ``initial_households`` mainstream households, each with its beds (1-3),
  the ages it takes and whether it takes sibling groups, drawn from the household's own stream
  (``fostering.household`` keyed by household id), so adding a household in one scenario never
  moves another's draws.
* **Recruitment pipeline**: enquiries arrive as a Poisson process; a share become applications
  after a delay; a share of applications are approved after an assessment of 6-8 months. The
  candidates are drawn once, at a fixed ceiling rate (``ENQUIRY_CEILING`` times the base rate),
  and thinned by the fee lever's recruitment multiplier with each candidate's own uniform: every
  scenario sees the same candidates, and a higher multiplier only adds enquiries (common random
  numbers). A recruit's household id comes from its candidate number.
* **Retention**: each household draws one unit exponential at approval and leaves when its
  cumulative deregistration hazard reaches it. The hazard is higher in the first year after
  approval and is scaled by the levers (payment multiplier to the power minus the retention
  elasticity; a support reduction), so the same household stays longer under a lever. Children
  living with a household that deregisters must move (``notice`` events, which ``care`` waits
  on): Southend's 2018-19 return counted 35 unplanned endings with its own carers. A
  staying-put young person stays on (staying put is not fostering) but no longer holds a foster
  bed.
* **Matching**: the first household, in order of approval, that takes the child's age, has a bed
  free (two for a sibling group), takes sibling groups when needed, and can meet the child's
  needs (``needs_match_prob``: a window on a circle of needs, see ``FosterHousehold``). Searches
  walk only the households with a free bed (``free_beds.FreeBedIndex``), in the same order. A bed
  rests for ``break_after_placement_days`` after a child leaves it (carers' break, training,
  their own family), which with matching leaves in-house occupancy below 100%. Staying-put young people
  keep their bed. With the step-down lever, a freed bed (or a new household) goes first to a
  child waiting to step down from residential care.

Every household event goes to the log with the household id in the ``child_id`` column (ids from
``HOUSEHOLD_ID_BASE``): ``household_approved`` (value: beds; detail ``initial`` for the starting
supply), ``household_deregistered`` (value: beds), ``fostering_enquiry``,
``fostering_application``; and per child ``foster_bed_taken`` / ``foster_bed_freed`` (value: the
household id). ``simulation.kpis.placements`` derives the KPIs from them.

Assumptions
-----------
* Households in the starting supply have been approved for an exponential time with the later
  hazard's mean (most are past their first year).
* The pipeline is already running at the start: candidates are drawn from a year before it
  (``PIPELINE_LEAD_DAYS``), and only their events from the start on are kept.
* The fee lever moves enquiries (recruitment elasticity) and the deregistration hazard (retention
  elasticity); conversion rates and assessment times do not change.

The clock is read as ``env._now`` (simpy's attribute, not the ``now`` property; see ``pathway``).
"""

from __future__ import annotations

import math

import simpy

from simulation.engine.distributions import choose, cumulative
from simulation.engine.entities import FosterHousehold
from simulation.engine.free_beds import FreeBedIndex
from simulation.records.calendar import DAYS_PER_MONTH, DAYS_PER_YEAR
from simulation.records.eventlog import EventLog
from simulation.records.streams import Streams
from simulation.scenario.placements import (  # ENQUIRY_CEILING: re-exported, checked there
    ENQUIRY_CEILING,
    Fostering,
    age_range_bounds,
    deregistration_multiplier,
    lever_share,
    payment_multiplier,
    recruitment_multiplier,
)

HOUSEHOLD_ID_BASE = 40_000_000
RECRUIT_ID_OFFSET = 100_000
#: Longer than enquiry-to-approval, so applications in assessment at the start are represented.
PIPELINE_LEAD_DAYS = 400.0
_STEP_DAYS = DAYS_PER_MONTH


class FosteringService:
    """The in-house households of one replication, their pipeline and their matching.

    Parameters
    ----------
    env, log, streams
        The replication's environment, event log and streams.
    params
        The scenario's ``fostering`` section.
    horizon_days
        Run length; recruitment candidates are drawn up to it.
    """

    def __init__(self, env: simpy.Environment, log: EventLog, streams: Streams, params: Fostering,
                 horizon_days: float):
        self.env, self.log, self.streams, self.params = env, log, streams, params
        self.horizon = horizon_days
        self.households: dict[int, FosterHousehold] = {}
        self._approvals = 0  # households approved so far, starting supply included
        # The registered households with a free bed, in approval order: what matching walks.
        self.with_free_bed = FreeBedIndex()
        self.household_of: dict[int, int] = {}
        # Children in residential care ready to step down: child id -> (event, age fn, sibling
        # group, needs point).
        self.step_down_queue: dict[int, tuple[simpy.Event, object, bool, float]] = {}
        # Children in care in a household, told to move if it deregisters (staying-put young
        # people have none).
        self.notices: dict[int, simpy.Event] = {}
        self._beds_table = cumulative(params.beds_approved_prob.value)
        self._ages_table = cumulative(params.age_range_prob.value)
        self.match_window = params.needs_match_prob.value
        # Deregistration multipliers by (fee lever share, support lever on): see
        # ``_deregistration_multiplier``.
        self._fee_lever = (params.fee_uplift_starts_after_months.value, params.fee_uplift_phase_in_months.value)
        self._support_starts_day = params.support_starts_after_months.value * DAYS_PER_MONTH
        self._deregistration_by_lever: dict[tuple[float, bool], float] = {}
        ceiling = payment_multiplier(params, math.inf) ** params.recruitment_payment_elasticity.value
        if ceiling > ENQUIRY_CEILING:
            raise ValueError(f"the fee uplift raises enquiries {ceiling:.2f}-fold, above the model's "
                             f"ceiling of {ENQUIRY_CEILING}")

    # ------------------------------------------------------------------ households
    def _new_household(self, household_id: int, approved_day: float, initial: bool) -> FosterHousehold:
        rng = self.streams.child_generator("fostering.household", household_id, 0)
        u_beds, u_ages, u_siblings, u_tenure, u_leave, u_skills = rng.random(6).tolist()
        later = self.params.deregistration_rate_per_year_later.value
        if initial and later > 0:
            approved_day = -(-math.log1p(-u_tenure) / later) * DAYS_PER_YEAR
        youngest, oldest = age_range_bounds(choose(self._ages_table, u_ages))
        household = FosterHousehold(
            household_id, int(choose(self._beds_table, u_beds)), youngest, oldest,
            u_siblings < self.params.takes_sibling_groups_prob.value, approved_day, u_skills)
        household.approval_rank = self._approvals
        self._approvals += 1
        self.households[household_id] = household
        self.with_free_bed.refresh(household)
        self.log.record(self.env._now, household_id, "household_approved", detail="initial" if initial else "",
                        value=household.beds)
        leave_day = self.deregistration_day(household, -math.log1p(-u_leave))
        if leave_day < self.horizon:
            self.env.process(self._deregister_at(household, leave_day))
        return household

    def deregistration_day(self, household: FosterHousehold, unit_exponential: float) -> float:
        """The day the household's cumulative hazard from now reaches ``unit_exponential``.

        The hazard is piecewise constant over monthly steps (evaluated mid-step), which follows a
        lever's phase-in closely enough; ``inf`` beyond the horizon.
        """
        first = self.params.deregistration_rate_per_year_first_year.value / DAYS_PER_YEAR
        later = self.params.deregistration_rate_per_year_later.value / DAYS_PER_YEAR
        first_year_ends = household.approved_day + DAYS_PER_YEAR
        day, remaining = self.env._now, unit_exponential
        while day < self.horizon:
            step_end = day + _STEP_DAYS
            if day < first_year_ends < step_end:
                step_end = first_year_ends
            middle = (day + step_end) / 2
            rate = (first if middle < first_year_ends else later) * self._deregistration_multiplier(middle)
            used = rate * (step_end - day)
            if used >= remaining:
                return day + remaining / rate
            remaining -= used
            day = step_end
        return math.inf

    def _deregistration_multiplier(self, day: float) -> float:
        """``deregistration_multiplier(params, day)``, computed once per distinct lever state.

        It depends on the day only through the fee lever's share and whether the support lever
        has started, both constant outside a phase-in: this saves two calls and six parameter
        reads on each of about 2,000 monthly steps a replication (the same numbers).
        """
        key = (lever_share(day, *self._fee_lever), day >= self._support_starts_day)
        multiplier = self._deregistration_by_lever.get(key)
        if multiplier is None:
            multiplier = self._deregistration_by_lever[key] = deregistration_multiplier(self.params, day)
        return multiplier

    def _deregister_at(self, household: FosterHousehold, leave_day: float):
        yield self.env.timeout(max(leave_day - self.env._now, 0.0))
        self.deregister(household)

    def deregister(self, household: FosterHousehold) -> None:
        """The household stops fostering now; children living there must move."""
        del self.households[household.household_id]
        self.with_free_bed.remove(household)
        self.log.record(self.env._now, household.household_id, "household_deregistered", value=household.beds)
        for child_id in sorted(household.occupants):
            notice = self.notices.pop(child_id, None)
            if notice is not None:
                notice.succeed(household.household_id)  # the child's process ends the placement
            else:
                self.free(child_id)

    def notice(self, child_id: int) -> simpy.Event:
        """The event a child placed in-house waits on: it fires if the household deregisters."""
        if child_id not in self.notices:
            self.notices[child_id] = self.env.event()
        return self.notices[child_id]

    def staying_put(self, child_id: int) -> None:
        """The child turned 18 and stays on: no longer moved if the household stops fostering."""
        self.notices.pop(child_id, None)

    def start(self) -> None:
        """Create the starting supply and start the recruitment pipeline."""
        for index in range(round(self.params.initial_households.value)):
            self._new_household(HOUSEHOLD_ID_BASE + index, 0.0, initial=True)
        self.env.process(self._pipeline(self._recruitment_events()))

    # ------------------------------------------------------------------ recruitment
    def _recruitment_events(self) -> list[tuple[float, int, str, int]]:
        """(day, order, event, candidate) for every enquiry, application and approval in the run."""
        params, rng = self.params, self.streams.get("fostering.recruitment")
        expected = params.enquiries_per_year.value * ENQUIRY_CEILING * self.horizon / DAYS_PER_YEAR
        expected *= (self.horizon + PIPELINE_LEAD_DAYS) / self.horizon
        count = int(rng.poisson(expected))
        days = rng.uniform(-PIPELINE_LEAD_DAYS, self.horizon, size=count)
        days.sort()
        # One row of uniforms a candidate: accept, apply, approve, application delay, assessment.
        draws = rng.random((count, 5)).tolist()
        low, high = params.assessment_min_days.value, params.assessment_max_days.value
        p_apply, p_approve = params.enquiry_to_application_prob.value, params.application_to_approval_prob.value
        apply_days = params.enquiry_to_application_days.value
        starts, phase_in = params.fee_uplift_starts_after_months.value, params.fee_uplift_phase_in_months.value
        # The recruitment multiplier depends on the day only through the fee lever's share, which
        # is constant outside its phase-in: one multiplier per distinct share rather than three
        # calls for each of about 6,600 candidates a replication (the same numbers).
        accept_below: dict[float, float] = {}
        events = []
        for candidate, (day, (u_accept, u_apply, u_approve, u_delay, u_assess)) in enumerate(zip(days.tolist(), draws)):
            share = lever_share(day, starts, phase_in)
            threshold = accept_below.get(share)
            if threshold is None:
                threshold = accept_below[share] = recruitment_multiplier(params, day) / ENQUIRY_CEILING
            if u_accept >= threshold:
                continue
            events.append((day, 0, "fostering_enquiry", candidate))
            if u_apply >= p_apply:
                continue
            applied = day + apply_days * (0.5 + u_delay)
            events.append((applied, 1, "fostering_application", candidate))
            if u_approve < p_approve:
                events.append((applied + low + (high - low) * u_assess, 2, "household_approved", candidate))
        return sorted(event for event in events if 0.0 <= event[0] < self.horizon)

    def _pipeline(self, events: list[tuple[float, int, str, int]]):
        for day, _, event, candidate in events:
            yield self.env.timeout(day - self.env._now)
            household_id = HOUSEHOLD_ID_BASE + RECRUIT_ID_OFFSET + candidate
            if event == "household_approved":
                household = self._new_household(household_id, self.env._now, initial=False)
                self._offer_beds(household)
            else:
                self.log.record(self.env._now, household_id, event)

    # ------------------------------------------------------------------ matching
    def find(self, age_years: float, sibling_group: bool, needs_point: float | None = None) -> FosterHousehold | None:
        """The first household (by approval) that can take this child now, or ``None``.

        ``needs_point`` (a uniform) places the child's needs; ``None`` matches any household.
        """
        window = self.match_window if needs_point is not None else 1.0
        point = needs_point or 0.0
        # ``FosterHousehold.takes`` (and its ``free_beds``) inlined, the same tests in the same
        # order: two method calls a household cost more than the tests they make. Households
        # without a free bed cannot match, so only the index of those with one is walked (in
        # approval order, as ``households``): the same household is found.
        needed = 2 if sibling_group else 1
        half_window = window / 2
        for household in self.with_free_bed.households:
            if sibling_group and not household.takes_sibling_groups:
                continue
            if (household.beds - len(household.occupants) - household.resting < needed
                    or not household.youngest_years <= age_years < household.oldest_years):
                continue
            distance = abs(point - household.skills_point)
            if min(distance, 1.0 - distance) < half_window:
                return household
        return None

    def take(self, child_id: int, household: FosterHousehold) -> None:
        """Place the child in the household (a bed must be free)."""
        household.occupants.add(child_id)
        self.with_free_bed.refresh(household)
        self.household_of[child_id] = household.household_id
        self.log.record(self.env._now, child_id, "foster_bed_taken", detail="", value=household.household_id)

    def take_initial(self, child_id: int, age_years: float) -> bool:
        """Seat a child of the starting stock: a matching household, else any free bed."""
        household = self.find(age_years, False)
        if household is None:
            household = self.with_free_bed.first()
        if household is None:
            return False
        self.take(child_id, household)
        return True

    def free(self, child_id: int) -> None:
        """The child leaves its household's bed (a no-op for children not in one)."""
        household_id = self.household_of.pop(child_id, None)
        self.notices.pop(child_id, None)
        if household_id is None:
            return
        self.log.record(self.env._now, child_id, "foster_bed_freed", value=household_id)
        household = self.households.get(household_id)
        if household is None:  # deregistered: its beds are gone
            return
        household.occupants.discard(child_id)
        rest = self.params.break_after_placement_days.value
        if rest > 0:
            household.resting += 1
            self.env.timeout(rest).callbacks.append(lambda _event: self._rested(household))
        else:
            self.with_free_bed.refresh(household)
            self._offer_beds(household)

    def _rested(self, household: FosterHousehold) -> None:
        household.resting -= 1
        if household.household_id in self.households:
            self.with_free_bed.refresh(household)
            self._offer_beds(household)

    # ------------------------------------------------------------------ step-down
    def wait_for_step_down(self, child_id: int, age_of, sibling_group: bool, needs_point: float) -> simpy.Event:
        """Queue a child in residential care for the next suitable bed; the event gives the household."""
        event = self.env.event()
        self.step_down_queue[child_id] = (event, age_of, sibling_group, needs_point)
        # Only households with a free bed can place anyone (for the others ``_offer_beds`` tests
        # one child, fails on beds and stops), so only they are offered, in approval order.
        for household in list(self.with_free_bed.households):
            if self._offer_beds(household) and event.triggered:
                break
        return event

    def cancel_step_down(self, child_id: int) -> None:
        """The child left residential care another way."""
        self.step_down_queue.pop(child_id, None)

    def _offer_beds(self, household: FosterHousehold) -> bool:
        """Give the household's free beds to children waiting to step down; True if any was placed."""
        placed = False
        for child_id in list(self.step_down_queue):
            event, age_of, sibling_group, needs_point = self.step_down_queue[child_id]
            if household.takes(age_of(self.env._now), sibling_group, needs_point, self.match_window):
                del self.step_down_queue[child_id]
                self.take(child_id, household)
                event.succeed(household.household_id)
                placed = True
            if household.free_beds() == 0:
                break
        return placed


__all__ = ["ENQUIRY_CEILING", "FosteringService", "HOUSEHOLD_ID_BASE"]

"""Early help in a child's journey: diversion at the front door, waiting for a place, help, and after.

A mixin of ``pathway.Journeys`` (as ``care.CareJourneys`` is), kept apart because early help is
its own service: the council coordinates it, partners provide it, and its places are a capacity of
their own (``capacity.EarlyHelpPlaces``). The methods use the journeys' clock, log, streams and
probabilities (``p_eh_*``), set in ``Journeys.__init__``.
"""

from __future__ import annotations

from simulation.engine.distributions import lognormal
from simulation.engine.entities import Child
from simulation.engine.schedule import after
from simulation.records.streams import EpisodeDraws


class EarlyHelpJourneys:
    """The early help stages of ``Journeys`` (see the module notes)."""

    def diverted_to_early_help(self, child: Child, draws: EpisodeDraws) -> bool:
        """Is a first-time referral helped in early help instead, because a place is free now?

        Early help takes children whose needs it can meet (``need``: below the CIN-plan band),
        as many as ``diversion_prob`` of all first-time referrals; the child's own draw decides
        which of them (common random numbers), capacity whether it happens.
        """
        return (child.need < self.diversion_need_below
                and draws.uniform("early_help_diversion") < self.p_eh_diversion_eligible
                and self.early_help_places.has_room())

    def early_help(self, child: Child, draws: EpisodeDraws, elapsed_days: float = 0.0,
                   total_days: float | None = None) -> None:
        """Early help: wait for a place (up to a limit), be helped, then close or escalate.

        A waiting family starts when a place frees (``EarlyHelpPlaces`` calls it then); the time
        limit is the queue's one timer (``queue_limits.HeadTimer``), set for the head of the queue.
        """
        if not elapsed_days:
            self.log.append((self.env._now, child.child_id, "early_help_queued", "early_help_waiting", "", 0.0))
            start = lambda: self.early_help_starts(child, draws, 0.0, None)  # noqa: E731
            if not self.early_help_places.request(child.child_id, start):
                # One timer for the head of the queue (``queue_limits``), not one per family.
                self.eh_time_limits.add(child.child_id, start, child, draws)
                return
        else:
            self.early_help_places.occupy(child.child_id)
        self.early_help_starts(child, draws, elapsed_days, total_days)

    def early_help_gave_up(self, child: Child, draws: EpisodeDraws) -> None:
        """The family's time limit, while it waits: it leaves the queue (perhaps to a referral)."""
        if not self.early_help_places.cancel(child.child_id):
            return  # helped before the limit
        self.log.append((self.env._now, child.child_id, "early_help_unserved", "closed", "", 0.0))
        if draws.uniform("early_help_unserved") < self.p_eh_unserved_referral:
            self.referral(child)

    def early_help_starts(self, child: Child, draws: EpisodeDraws, elapsed_days: float,
                          total_days: float | None) -> None:
        start = self.env._now - elapsed_days
        self.log.append((start, child.child_id, "early_help_started", "early_help",
                         "initial" if elapsed_days else "", 0.0))
        if total_days is None:
            total_days = lognormal(self.eh_median, self.eh_sigma, draws.uniform("early_help_duration"))
        remaining, _ = self._until_18(child, total_days - elapsed_days)
        after(self.env, 0.0 if 0.0 > remaining else remaining,  # max(remaining, 0.0), see ``assess``
              self.early_help_ended, child, draws)

    def early_help_ended(self, child: Child, draws: EpisodeDraws) -> None:
        """Help ends: the place goes to the next family; the case closes or escalates to a referral."""
        escalates = draws.uniform("early_help_escalation") < self.p_eh_escalation
        self.log.append((self.env._now, child.child_id, "early_help_ended", "closed",
                         "escalated" if escalates else "closed", 0.0))
        # After the record: the next family's help starts now, in this call, so the log shows this
        # family leaving before the next one takes its place.
        self.early_help_places.release(child.child_id)
        if escalates:
            self.referral(child)

"""A child's need, and how it decides what happens at the front door.

Why
---
A threshold or consent lever works by stopping referrals whose need is low; diversion to early
help works for families whose needs early help can meet. Removing referrals at random (as the
model once did) makes "8% fewer referrals" remove 8% of the care starts that come through
referrals, which no evidence supports: in 2023-24 Southend's referrals fell 34% (2,406 to 1,589)
while its care starts fell 14% (94 to 81) and its children in need 18% (1,248 to 1,025).

The need scale
--------------
Every child has a need ``u`` in (0, 1), drawn once (the first episode's ``need`` draw) and kept
across referral episodes, re-referrals, early help and returns home. At a referral the outcome
bands are laid end to end in order of need, each as wide as its published conversion rate::

    0 | closed at the front door (NFA) | assessed: not in need | early help | in need, closed
      | CIN plan | care | s.47 enquiry | 1

so a child whose need decides its episode takes the band its need falls in. In an episode, with
probability ``need_persistence_prob`` the child's own need decides; otherwise the circumstances
of the moment do (a fresh uniform, the episode's ``circumstances`` draw). Either way the episode's
uniform is uniform on (0, 1), so the share of referrals in each band is the published rate
whatever the persistence: the conversion rates the model was calibrated to still come out, for
first referrals exactly; re-referrals of the same children now tend to repeat their outcome.

Levers on need (``simulation.engine.levers`` and ``pathway``)
-----------------------------------------------------------
* The threshold lever (``referrals.external_rate_per_year`` below 1): of the referrals partners
  would have made, those with the lowest need are not made: a child is referred only when its
  need is above ``1 - m(t)``. The same rule applies to re-referrals and to referrals from early help.
* The front-door NFA lever (``referrals.nfa_at_referral_prob``): the band closed at the front
  door widens into the "not in need" band above it, never into the bands that lead to a plan.
* Diversion to early help takes children whose need sits below the CIN-plan band (no social care
  need, early help, or in need and closed after assessment), as many as ``diversion_prob`` of all
  first-time referrals, when a place is free.

A scenario may say otherwise, explicitly: ``referrals.threshold_acts_on_need = false`` makes
the threshold lever remove referrals at random, ``early_help.diversion_acts_on_need = false``
diverts at random (both ``true`` by default).
"""

from __future__ import annotations

from simulation.engine.distributions import choose

#: Assessment outcomes in order of need (the bands' order on the need scale).
OUTCOMES_BY_NEED = ("not_in_need", "early_help", "in_need_closed", "cin_plan", "care")
#: The outcomes early help can meet instead of social care (diversion's eligible bands).
EARLY_HELP_CAN_MEET = ("not_in_need", "early_help", "in_need_closed")


class NeedScale:
    """The bands of the need scale for one scenario's front-door rates.

    Parameters
    ----------
    p_nfa : float
        Share of referrals closed at the front door (no further action).
    p_s47 : float
        Share of the rest that start with a s.47 enquiry.
    outcome_prob : dict
        Assessment outcomes of the rest (``OUTCOMES_BY_NEED`` keys).
    """

    def __init__(self, p_nfa: float, p_s47: float, outcome_prob: dict[str, float]):
        self.p_nfa = p_nfa
        self.assessed_width = (1.0 - p_nfa) * (1.0 - p_s47)
        #: Need at and above which a referral starts with a s.47 enquiry.
        self.s47_from = p_nfa + self.assessed_width
        table = {outcome: outcome_prob.get(outcome, 0.0) for outcome in OUTCOMES_BY_NEED}
        total = sum(table.values()) or 1.0
        # Cumulative shares in order of need (``distributions.cumulative`` sorts by name).
        self.outcomes: list[tuple[str, float]] = []
        share, lower = 0.0, p_nfa
        self.bands: dict[str, tuple[float, float]] = {"nfa": (0.0, p_nfa)}
        for outcome in OUTCOMES_BY_NEED:
            share += table[outcome] / total
            self.outcomes.append((outcome, share))
            upper = p_nfa + self.assessed_width * share
            self.bands[outcome] = (lower, upper)
            lower = upper
        self.bands["s47"] = (self.s47_from, 1.0)
        #: Need below which early help can meet a child's needs (top of "in need, closed").
        self.early_help_can_meet_below = self.bands[EARLY_HELP_CAN_MEET[-1]][1]

    def outcome(self, need: float) -> str:
        """The assessment outcome of an episode whose need is ``need`` (below ``s47_from``).

        A need below the assessed bands (a child of the starting stock already in assessment, or
        every referral going to s.47 so that the bands have no width) takes the lowest outcome.
        """
        if need <= self.p_nfa or self.assessed_width <= 0.0:
            return choose(self.outcomes, 0.0)
        return choose(self.outcomes, (need - self.p_nfa) / self.assessed_width)

    def nfa_limit(self, p_nfa_now: float) -> float:
        """The need below which a referral is closed at the front door, at the rate ``p_nfa_now``.

        Never above the top of the "not in need" band: the front door closes only children an
        assessment would have found not in need.
        """
        ceiling = self.bands["not_in_need"][1]
        return p_nfa_now if p_nfa_now < ceiling else ceiling

    def within(self, band: str, u: float) -> float:
        """A need in ``band``, at the position ``u`` (0-1) along it: the starting stock's children
        get a need consistent with where they are (a CIN plan, a CP plan, care)."""
        lower, upper = self.bands[band]
        return lower + (upper - lower) * u

    def from_band(self, band: str, u: float) -> float:
        """A need from the bottom of ``band`` to the top of the scale, at the position ``u``."""
        lower = self.bands[band][0]
        return lower + (1.0 - lower) * u


__all__ = ["EARLY_HELP_CAN_MEET", "NeedScale", "OUTCOMES_BY_NEED"]

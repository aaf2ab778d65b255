"""The caseload loop: how a team's caseload changes the course of children's plans.

Covers
------
* ``CaseloadLoop.multiplier(strength, caseload)``: ``clip(1 + strength x (max(c, floor) - ref)
  / ref, 1/max, max)``. At the reference caseload every multiplier is 1, so the baseline keeps
  the rates it was calibrated to; a scenario that moves caseloads moves the effects.
* Hooks the pathway calls when a stage starts: assessment and CIN plan lengths (the child's own
  pre-drawn length x m), CP plan drift (chance a review conference ends the plan / m), re-referral
  after closure (chance x m), escalation of CIN and CP plans (chance x m, other endings scaled
  down), and the workforce's leaving rate (x m).

Common random numbers stay intact: an effect rescales a child's own draw (a duration, or the
threshold a uniform is compared with); it never takes a new draw.

Assumptions
-----------
* "Caseload" is the team's when the stage starts: children held plus the team's share of the
  cases the model does not follow, per case-holding FTE in post (the census measure;
  ``workforce.Workforce.team_caseload``). Waiting children are not counted (see there why). Allocation balances caseloads within a
  team, so the team figure stands for the worker's.
* Below ``no_further_gain_below_caseload`` (Troncoso 2017's ~10 CIN cases) lower caseloads bring
  no further gain.
"""

from __future__ import annotations

from functools import partial

ESCALATIONS = {"cin": ("s47", "care"), "cp": ("care",)}
#: Escalated tables kept at once (a bound on memory; a replication uses a few hundred).
_ESCALATED_CACHE_SIZE = 4096


class CaseloadLoop:
    """Caseload effects bound to one scenario and one workforce.

    Parameters
    ----------
    effects
        The scenario's ``caseload_effects`` section.
    caseload_of
        ``team -> caseload`` now (``Workforce.team_caseload``); ``None`` disables the loop.
    """

    def __init__(self, effects, caseload_of=None):
        self.enabled = bool(effects.enabled) and caseload_of is not None
        self.caseload_of = caseload_of
        self.reference = effects.reference_caseload.value
        self.floor = effects.no_further_gain_below_caseload.value
        self.max = effects.max_multiplier.value
        self.assessment_strength = effects.assessment_duration_strength.value
        self.cin_strength = effects.cin_plan_duration_strength.value
        self.cp_strength = effects.cp_plan_drift_strength.value
        self.rereferral_strength = effects.rereferral_strength.value
        self.escalation_strength = effects.escalation_strength.value
        self.turnover_strength = effects.turnover_strength.value
        self._tables: dict[str, tuple] = {}
        if self.enabled:
            # The stage hooks as C-level partials of ``at_team`` (the same arithmetic), so each
            # of about 60,000 calls a replication is one Python call, not two.
            self.assessment = partial(self.at_team, self.assessment_strength)
            self.cin_plan = partial(self.at_team, self.cin_strength)
            self.cp_plan = partial(self.at_team, self.cp_strength)
            self.rereferral = partial(self.at_team, self.rereferral_strength)
        self._escalated: dict[tuple[str, float], tuple] = {}

    def multiplier(self, strength: float, caseload: float) -> float:
        """The effect multiplier at ``caseload`` for an effect of ``strength``."""
        if not self.enabled or strength == 0:
            return 1.0
        excess = (max(caseload, self.floor) - self.reference) / self.reference
        return min(max(1.0 + strength * excess, 1.0 / self.max), self.max)

    def at_team(self, strength: float, team: str | None) -> float:
        """The multiplier for ``team``'s caseload now (1 when the loop is off or no team)."""
        if not self.enabled or strength == 0 or team is None:
            return 1.0
        caseload = self.caseload_of(team)
        if caseload is None:
            return 1.0
        # ``multiplier`` inlined (about 30,000 calls a replication); the same arithmetic.
        excess = (max(caseload, self.floor) - self.reference) / self.reference
        return min(max(1.0 + strength * excess, 1.0 / self.max), self.max)

    def assessment(self, team: str | None) -> float:
        """Multiplier on a new assessment's length."""
        return self.at_team(self.assessment_strength, team)

    def cin_plan(self, team: str | None) -> float:
        """Multiplier on a new CIN plan's length (drift)."""
        return self.at_team(self.cin_strength, team)

    def cp_plan(self, team: str | None) -> float:
        """Divisor of the chance that a CP review conference ends the plan (drift)."""
        return self.at_team(self.cp_strength, team)

    def rereferral(self, team: str | None) -> float:
        """Multiplier on the chance a closed case is referred again."""
        return self.at_team(self.rereferral_strength, team)

    def turnover(self, caseload: float) -> float:
        """Multiplier on a worker's leaving rate at the team's ``caseload``."""
        return self.multiplier(self.turnover_strength, caseload)

    def escalated_endings(self, table: dict[str, float], plan: str, team: str | None,
                          default: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """Cumulative ending table with escalation chances x m (others scaled to keep the sum 1).

        Returns ``default`` (the precomputed table) when the multiplier is 1, so the hot path
        allocates nothing at the reference caseload.
        """
        factor = self.at_team(self.escalation_strength, team)
        if factor == 1.0:
            return default
        # The factor takes few distinct values (a team's cases held and FTE change in steps), so
        # each table is built once per (plan, factor, table) and reused: the same pairs, without
        # the three passes over the table on each of about 5,000 plan endings a replication.
        key = (plan, factor)
        cached = self._escalated.get(key)
        if cached is not None and cached[0] is table:
            return cached[1]
        pairs = self._escalate(table, plan, factor)
        if len(self._escalated) >= _ESCALATED_CACHE_SIZE:
            self._escalated.clear()
        self._escalated[key] = (table, pairs)
        return pairs

    def _escalate(self, table: dict[str, float], plan: str, factor: float) -> list[tuple[str, float]]:
        """The cumulative ending table with escalation chances x ``factor`` (see ``escalated_endings``)."""
        items, rest = self._sorted_table(table, plan)
        raised = [min(prob * factor, 1.0) if up else prob for _, prob, up in items]
        room = max(1.0 - sum(value for value, (_, _, up) in zip(raised, items) if up), 0.0)
        scale = room / rest if rest > 0 else 0.0
        total, pairs = 0.0, []
        for value, (key, _, up) in zip(raised, items):
            total += value if up else value * scale
            pairs.append((key, total))
        return pairs

    def _sorted_table(self, table: dict[str, float], plan: str):
        """The table in sorted key order (as ``distributions.cumulative``), cached per plan."""
        cached = self._tables.get(plan)
        if cached is None or cached[0] is not table:
            up = ESCALATIONS[plan]
            items = [(key, table[key], key in up) for key in sorted(table)]
            rest = sum(prob for _, prob, is_up in items if not is_up)
            cached = (table, items, rest)
            self._tables[plan] = cached
        return cached[1], cached[2]

__all__ = ["CaseloadLoop"]

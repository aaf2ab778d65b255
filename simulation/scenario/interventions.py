"""The ``[interventions]`` section of a scenario: what a scenario changes, from when, at what cost.

Owns the schema of interventions: named items, each with a start date, a phase-in, an annual cost
in 2023-24 prices (with provenance) and the *levers* it pulls. A lever is a multiplier on one
named parameter of the scenario (``"referrals.external_rate_per_year" = { value = 0.92, ... }``);
``simulation.engine.levers`` turns the items into a multiplier path over time that the model reads when
it uses the parameter. The section also holds the unit cost of early help places, from which
``spend_early_help_gbp`` is derived.

Covers
------
- ``InterventionItem``: ``description``, ``start_date``, ``phase_in_months``, ``annual_cost_gbp``,
  optional ``cost_end_date`` (one-off programmes such as training), ``levers``.
- ``Interventions``: ``early_help_cost_per_family_year_gbp`` and ``items`` (default: none).
- ``LEVER_TARGETS``: the parameters a lever may move and how the model applies the multiplier
  (see ``simulation.engine.levers``). Other branches add their targets here, one line each.

Assumptions
-----------
- The section is optional: a scenario without it has no interventions and no early help spend
  line. ``scenarios/baseline.toml`` states it, so every standard scenario has both.
- Costs run at their full annual rate from ``start_date`` (posts are filled and paid before the
  effect shows); effects phase in (see ``simulation.engine.levers``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, model_validator

from simulation.scenario.fields import NonNegative, Positive, _Section

#: Parameter a lever may move -> how the model applies its multiplier at the time of use.
#: ``arrival_rate``: a Poisson arrival rate, by thinning (multiplier < 1) or by extra arrivals
#: (multiplier > 1), so that the children who arrive in the baseline arrive in every scenario.
#: ``probability``: a probability, multiplied and capped at 1 when the child's own draw is compared.
#: ``capacity``: a number of places, changed in steps at phase-in month boundaries.
LEVER_TARGETS: dict[str, str] = {
    "referrals.external_rate_per_year": "arrival_rate",
    "early_help.partner_requests_per_year": "arrival_rate",
    "referrals.nfa_at_referral_prob": "probability",
    "early_help.capacity_families": "capacity",
}


class LeverMultiplier(Positive):
    """A multiplier on a named parameter at full effect (1 = no change), with its evidence."""


class InterventionItem(_Section):
    """One thing a scenario does: when it starts, how fast it takes effect, what it costs."""

    description: str
    start_date: dt.date
    phase_in_months: Annotated[int, Field(strict=True, ge=0, le=60)]
    annual_cost_gbp: NonNegative
    cost_end_date: dt.date | None = None
    levers: dict[str, LeverMultiplier] = {}

    @model_validator(mode="after")
    def _known_targets(self):
        unknown = sorted(set(self.levers) - set(LEVER_TARGETS))
        if unknown:
            raise ValueError(f"lever targets from {sorted(LEVER_TARGETS)} (unknown: {unknown})")
        if self.cost_end_date is not None and self.cost_end_date <= self.start_date:
            raise ValueError("cost_end_date after start_date")
        return self


class Interventions(_Section):
    """Unit cost of early help and the scenario's interventions (none in the baseline)."""

    early_help_cost_per_family_year_gbp: NonNegative
    items: dict[str, InterventionItem] = {}


__all__ = ["LEVER_TARGETS", "InterventionItem", "Interventions", "LeverMultiplier"]

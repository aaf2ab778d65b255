"""Finding a placement: kinship, the council's own carers, then the market, else an emergency bed.

Covers
------
* The search order for a child's need at the time (drawn by ``care``: kinship, foster,
  residential, supported, with parents):

  - **kinship** (connected carers assessed for this child) and **with parents** are always
    available: the child's own network, not a supply the council holds;
  - **foster**: an in-house household that takes the child's age (and sibling group), else an
    independent fostering agency if one is found within the search wait, else a children's home
    if one is found, else an emergency placement;
  - **residential** (a share of children need it): a children's home if one is found, else an
    emergency placement;
  - **supported** accommodation (16-17): if a place is found, else an emergency placement.

  A child in an emergency placement is searched for again every ``search_wait_days`` (from
  ``care``), in the same order, until something is found; the days are counted.
* Each search takes exactly four uniforms (needs, agency, home, supported) from the child's own
  ``placement.search`` stream, whatever the path, so a child's later searches line up across
  scenarios (common random numbers).
* Weekly prices of bought placements, uprated to 2023-24 prices, for ``simulation.kpis.placements``.

Every step down the search order that was not the child's need is logged as
``placement_fallback`` with detail ``wanted>got``.

Assumptions
-----------
* Whether the market has a place is a fixed chance per search (the market is large beside
  Southend's demand); it does not depend on Southend's own numbers.
"""

from __future__ import annotations

from simulation.engine.entities import Child
from simulation.engine.fostering import FosteringService
from simulation.scenario.placements import PlacementMarket

ALWAYS_AVAILABLE = frozenset({"foster_kinship", "with_parents"})
DRAWS_PER_SEARCH = 4


class PlacementSearch:
    """The search order of one replication, over its fostering service and the market."""

    def __init__(self, log, fostering: FosteringService, market: PlacementMarket):
        self.log, self.fostering = log, fostering
        found = market.found_within_wait_prob.value
        self.p_ifa, self.p_home, self.p_supported = found["foster_ifa"], found["residential"], found["supported"]
        self.wait_days = market.search_wait_days.value

    def _fallback(self, now: float, child: Child, wanted: str, got: str) -> str:
        self.log.record(now, child.child_id, "placement_fallback", detail=f"{wanted}>{got}")
        return got

    def search(self, child: Child, need: str, now: float, uniforms) -> str:
        """The placement the child gets now for its ``need``; ``emergency`` when nothing is found.

        ``uniforms`` is the child's ``placement.search`` generator (four draws a search). An
        in-house placement has already taken its bed when this returns.
        """
        u_needs, u_agency, u_home, u_supported = uniforms.random(DRAWS_PER_SEARCH).tolist()
        if need in ALWAYS_AVAILABLE:
            return need
        if need == "supported":
            return "supported" if u_supported < self.p_supported else self._fallback(now, child, need, "emergency")
        if need == "residential":
            return "residential" if u_home < self.p_home else self._fallback(now, child, need, "emergency")
        household = self.fostering.find(child.age_years(now), child.sibling_group, u_needs)
        if household is not None:
            self.fostering.take(child.child_id, household)
            return "foster_inhouse"
        if u_agency < self.p_ifa:
            return self._fallback(now, child, "foster_inhouse", "foster_ifa")
        if u_home < self.p_home:
            return self._fallback(now, child, "foster_inhouse", "residential")
        return self._fallback(now, child, "foster_inhouse", "emergency")


def weekly_price_gbp(market: PlacementMarket) -> dict[str, float]:
    """Weekly price by bought placement type (agency, home, supported, emergency), 2023-24 prices."""
    return {kind: market.price_weekly_gbp(kind) for kind in ("foster_ifa", "residential", "supported", "emergency")}


__all__ = ["PlacementSearch", "weekly_price_gbp", "DRAWS_PER_SEARCH"]

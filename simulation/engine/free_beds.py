"""The in-house fostering households with a free bed, in order of approval: matching's index.

Covers
------
* ``FreeBedIndex``: the registered households that have at least one bed neither occupied nor
  resting, kept in approval order (``FosterHousehold.approval_rank``). ``fostering`` tells it
  whenever a household's beds change (``refresh``) or it stops fostering (``remove``).

Why: matching takes the *first household in approval order* that can take the child. Walking
every household made a search cost grow with the authority's size, and the searches grow with
it too: 31,000 household tests a replication at Southend's size, 8 million at 16 times. Only
about one household in twenty has a free bed at any time, and a household without one can never
match, so walking this index instead tests the same households in the same order, minus those
that would have failed on their beds: it returns exactly the household the full walk returned.
``tests/test_free_beds.py`` checks that against the full walk over random sequences of
approvals, placements, departures and deregistrations.

Assumptions
-----------
* A household's free beds change only through ``fostering`` (``take``, ``free``, the end of a
  carers' break, approval, deregistration), which refreshes the index each time.
* Insertion keeps the list sorted by ``approval_rank`` with a binary search; the list holds only
  the free households (a few per cent of all), so the shift on insertion is short.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from operator import attrgetter

from simulation.engine.entities import FosterHousehold

_RANK = attrgetter("approval_rank")


class FreeBedIndex:
    """Registered households with at least one free bed, in approval order."""

    __slots__ = ("households", "_listed")

    def __init__(self):
        #: The households with a free bed, sorted by ``approval_rank`` (read it, do not change it).
        self.households: list[FosterHousehold] = []
        self._listed: set[int] = set()

    def refresh(self, household: FosterHousehold) -> None:
        """The household's beds changed: list it if it has a free bed, else unlist it."""
        free = household.beds - len(household.occupants) - household.resting > 0
        listed = household.household_id in self._listed
        if free and not listed:
            insort(self.households, household, key=_RANK)
            self._listed.add(household.household_id)
        elif listed and not free:
            self._unlist(household)

    def remove(self, household: FosterHousehold) -> None:
        """The household stopped fostering: never offer its beds again."""
        if household.household_id in self._listed:
            self._unlist(household)

    def first(self) -> FosterHousehold | None:
        """The earliest-approved household with a free bed, or ``None``."""
        return self.households[0] if self.households else None

    def __len__(self) -> int:
        return len(self.households)

    def _unlist(self, household: FosterHousehold) -> None:
        position = bisect_left(self.households, household.approval_rank, key=_RANK)
        if self.households[position] is not household:  # two households with one rank: a bug
            raise RuntimeError(f"free-bed index out of order at household {household.household_id}")
        del self.households[position]
        self._listed.discard(household.household_id)


__all__ = ["FreeBedIndex"]

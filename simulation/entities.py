"""The people the model follows: attributes only, no simpy.

Covers
------
* ``Child``: identity, date of birth (as a simulation day), and the history that repeat measures
  need (last referral day, CP plans so far, episodes so far).

Time is in days from the scenario's start date; a child's age comes from its birth day.
"""

from __future__ import annotations

from dataclasses import dataclass

DAYS_PER_YEAR = 365.25


@dataclass(slots=True)
class Child:
    """A child known to children's social care.

    Attributes
    ----------
    child_id
        Unique within a replication; its range says where the child came from (see ``model``).
    birth_day
        Simulation day of birth (negative for children born before the start).
    last_referral_day
        Day of the most recent referral, or ``None`` if never referred.
    cp_plans_before
        Child protection plans the child has had (for "second or subsequent" plans).
    referral_episodes
        Referral episodes started so far; indexes the child's episode draws.
    care_episodes
        Care episodes started so far; indexes the child's care-journey stream.
    """

    child_id: int
    birth_day: float
    last_referral_day: float | None = None
    cp_plans_before: int = 0
    referral_episodes: int = 0
    care_episodes: int = 0

    def age_years(self, day: float) -> float:
        """Age in years on simulation day ``day``."""
        return (day - self.birth_day) / DAYS_PER_YEAR

    def day_of_birthday(self, age_years: float) -> float:
        """Simulation day on which the child reaches ``age_years``."""
        return self.birth_day + age_years * DAYS_PER_YEAR

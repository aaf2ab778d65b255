"""The people the model follows: attributes only, no simpy.

Covers
------
* ``Child``: identity, date of birth (as a simulation day), and the history that repeat measures
  need (last referral day, CP plans so far, episodes so far).
* ``FosterHousehold``: one of the council's own (mainstream) fostering households: what it is
  approved for and who lives there. Connected (family and friends) carers are not households
  here: they are assessed per child and counted once, as kinship placements.
* ``Post``: a funded social work post in a team (the establishment), filled by an employed
  worker, covered by an agency worker, or vacant.
* ``SocialWorker``: a worker in a post: employed, agency or newly qualified (ASYE), FTE, start
  day, caseload limit and the children held.

Time is in days from the scenario's start date; a child's age comes from its birth day.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulation.records.calendar import DAYS_PER_YEAR


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
    sibling_group
        Whether the child comes into care with a brother or sister to be placed with (drawn at
        each care entry); such a child needs a household that takes sibling groups and has two
        beds free.
    need
        The child's own need on the scale of ``need.NeedScale`` (0-1, higher is more), drawn once
        and kept for life.
    episode_need
        The need that decides the current referral episode (the child's own, or the
        circumstances of the moment; ``Journeys.episode_need``).
    """

    child_id: int
    birth_day: float
    last_referral_day: float | None = None
    cp_plans_before: int = 0
    referral_episodes: int = 0
    care_episodes: int = 0
    sibling_group: bool = False
    need: float = 0.5
    episode_need: float = 0.5

    def age_years(self, day: float) -> float:
        """Age in years on simulation day ``day``."""
        return (day - self.birth_day) / DAYS_PER_YEAR

    def day_of_birthday(self, age_years: float) -> float:
        """Simulation day on which the child reaches ``age_years``."""
        return self.birth_day + age_years * DAYS_PER_YEAR


@dataclass(slots=True)
class FosterHousehold:
    """An approved in-house fostering household.

    Attributes
    ----------
    household_id
        Unique within a replication (``fostering.HOUSEHOLD_ID_BASE`` and up), and the key of the
        household's own random draws.
    beds
        Children it is approved for at once (1-3).
    youngest_years, oldest_years
        Ages it takes, as a half-open range in years.
    takes_sibling_groups
        Whether it takes brothers and sisters together.
    approved_day
        Simulation day of approval (negative for households approved before the start).
    skills_point
        Where the household's skills sit on a circle of children's needs (0-1): it can meet the
        needs of children within ``match_window / 2`` of it, a one-dimensional stand-in for
        matching on needs that leaves some beds empty, as in practice.
    occupants
        Ids of the children (or staying-put young people) in its beds.
    resting
        Beds left empty for a while after a child moved on (carers' break, see ``fostering``).
    approval_rank
        Its place in the order of approval within the replication (0 for the first household of
        the starting supply): matching walks households in this order (``free_beds``).
    """

    household_id: int
    beds: int
    youngest_years: float
    oldest_years: float
    takes_sibling_groups: bool
    approved_day: float
    skills_point: float = 0.0
    occupants: set[int] = field(default_factory=set)
    resting: int = 0
    approval_rank: int = 0

    def free_beds(self) -> int:
        """Beds neither occupied nor resting after a placement ended."""
        return self.beds - len(self.occupants) - self.resting

    def takes(self, age_years: float, sibling_group: bool, needs_point: float = 0.0,
              match_window: float = 1.0) -> bool:
        """Whether the household can take this child now."""
        needed = 2 if sibling_group else 1
        if sibling_group and not self.takes_sibling_groups:
            return False
        if self.free_beds() < needed or not self.youngest_years <= age_years < self.oldest_years:
            return False
        distance = abs(needs_point - self.skills_point)
        return min(distance, 1.0 - distance) < match_window / 2


@dataclass(slots=True, eq=False)
class Post:
    """A funded social work post (part of the establishment).

    Attributes
    ----------
    post_id
        Unique within a replication; posts added by a scenario lever get ids from a separate
        range, so the draws of the baseline's posts are the same in every scenario.
    team
        ``assessment``, ``family_support``, ``children_in_care`` or ``non_case_holding``.
    fte
        The post's FTE (part-time posts are < 1); its holder works that FTE.
    holder
        The employed (or ASYE) worker in the post, or ``None`` when the post is vacant.
    cover
        The agency worker covering the vacancy, if any.
    vacancy_serial
        How many times the post has fallen vacant; keys the vacancy's own draws and lets a
        recruitment that finishes after the post was filled another way see it is stale.
    occupants
        Workers (employed or agency) who have held or covered the post; keys worker ids.
    open
        ``False`` once a lever has removed the post.
    """

    post_id: int
    team: str
    fte: float
    holder: "SocialWorker | None" = None
    cover: "SocialWorker | None" = None
    vacancy_serial: int = 0
    occupants: int = 0
    open: bool = True


@dataclass(slots=True, eq=False)
class SocialWorker:
    """A social worker (or agency locum) holding children's cases.

    Attributes
    ----------
    worker_id
        Unique within a replication (from the post id and the post's occupant number).
    post
        The post held or covered.
    kind
        ``employed``, ``agency`` or ``asye`` (newly qualified, employed, protected caseload).
    fte
        Full-time equivalent.
    start_day
        Simulation day the worker started.
    caseload_limit
        Most children the worker may hold at once (already net of the cases the model does not
        follow; see ``workforce.worker_caseload_limit``).
    protected_until_day
        For ASYE workers, the day their protected caseload ends.
    leave_budget
        Remaining unit-exponential "cumulative hazard" before the worker leaves: the worker
        leaves when the integral of its (caseload-dependent) leaving rate reaches its own draw.
    cases
        Child ids held now.
    """

    worker_id: int
    post: Post
    kind: str
    fte: float
    start_day: float
    caseload_limit: int
    protected_until_day: float = -1.0
    leave_budget: float = 1.0
    cases: set = None  # type: ignore[assignment]
    leaving: bool = False
    in_post: bool = True
    order: int = 0  # join order within the team: the tie-break when loads are equal
    version: int = 0  # bumped on every change of load or limit (invalidates heap entries)

    def __post_init__(self):
        if self.cases is None:
            self.cases = set()

    @property
    def team(self) -> str:
        """The team of the worker's post."""
        return self.post.team

    @property
    def room(self) -> int:
        """Children the worker can still take."""
        return self.caseload_limit - len(self.cases)

"""The watchdog: stops a replication that runs away, naming the parameter most likely to blame.

A scenario inside the plausibility bounds (``simulation.scenario.plausibility``) can still make
the model loop: a search repeated every day that never finds a place for hundreds of children,
arrivals and durations that are each plausible but together swamp memory. Without a watchdog
such a replication runs for hours or dies with an empty ``MemoryError``; with it, it stops with
one line saying what ran away and which parameter drives it.

Covers
------
- ``Watchdog(env, log)``: called by ``schedule.run_until`` every ``WATCH_EVERY`` events (the
  engine's loop counts them in blocks, so the hot path pays nothing per event). It stops the
  replication (``RunawayReplication``) when
  * the events so far exceed ``EVENT_ALLOWANCE + EVENTS_PER_YEAR`` x simulated years so far, or
  * the process holds more than ``memory_ceiling_mb()`` of memory.
- The message names the kind of record the replication wrote most in its last stretch and the
  parameters that drive it (``LIKELY_PARAMETERS``).
- After each look it has the event log pack the records written since the last one into column
  arrays (``EventLog.pack``): this is the engine's one call per block, and packing there keeps a
  large authority's log at about a third of the memory at no cost per event.

Assumptions
-----------
- Southend's baseline schedules about 10,000 events a simulated year; a 16-fold authority (the
  benchmark's largest) about 160,000. ``EVENTS_PER_YEAR`` is 2,000,000, over ten times that, and
  the allowance of 500,000 covers the starting stock of the largest authority, so no plausible
  scenario is stopped. A runaway is stopped after about ten seconds of looping.
- Memory: half the machine's memory, at most 8 GB, for one replication (the baseline needs about
  150 MB for five years).
- Everything here depends on the events of the replication only, never on the clock, so a
  stopped replication stops at the same event every time (memory aside).
"""

from __future__ import annotations

import os
import sys
from collections import Counter

from simulation.records.calendar import DAYS_PER_YEAR

WATCH_EVERY = 65_536
EVENT_ALLOWANCE = 500_000
EVENTS_PER_YEAR = 2_000_000
#: Records looked at to name what ran away.
CENSUS_RECORDS = 20_000

#: Kind of record -> the parameters that drive how many of them a replication writes.
LIKELY_PARAMETERS = {
    "referral": "referrals.external_rate_per_year or the re-referral probabilities",
    "early_help_queued": "early_help.partner_requests_per_year or early_help.capacity_families",
    "early_help_started": "early_help.partner_requests_per_year or early_help.duration_median_days",
    "early_help_ended": "early_help.duration_median_days",
    "early_help_unserved": "early_help.max_wait_days or early_help.capacity_families",
    "assessment_started": "assessment.duration_median_days or the arrival rates",
    "assessment_completed": "assessment.duration_median_days or the arrival rates",
    "cin_plan_started": "cin_plans.duration_median_days",
    "cin_plan_ended": "cin_plans.duration_median_days",
    "cp_plan_started": "protection.first_review_days or protection.review_interval_days",
    "cp_plan_ended": "protection.first_review_days or protection.review_interval_days",
    "placement_started": "placement_market.search_wait_days or the breakdown rates",
    "placement_ended": "care.breakdown_rate_per_year_* or placement_market.breakdown_rate_multiplier",
    "placement_fallback": "placement_market.search_wait_days or placement_market.found_within_wait_prob",
    "foster_bed_taken": "fostering.break_after_placement_days or the breakdown rates",
    "foster_bed_freed": "fostering.break_after_placement_days or the breakdown rates",
    "allocation_requested": "capacity.*_case_holding_fte or capacity.caseload_limit_cases_per_fte",
    "allocated": "capacity.caseload_limit_cases_per_fte or workforce.agency_mean_stay_days",
    "deallocated": "capacity.caseload_limit_cases_per_fte or workforce.agency_mean_stay_days",
    "worker_changed": "workforce.agency_mean_stay_days or workforce.employed_leaving_rate_per_year",
    "worker_joined": "workforce.agency_mean_stay_days or workforce.recruitment_campaign_days",
    "worker_left": "workforce.agency_mean_stay_days or workforce.employed_leaving_rate_per_year",
    "post_added": "workforce_levers.extra_posts",
    "post_removed": "workforce_levers.extra_posts",
    "fostering_enquiry": "fostering.enquiries_per_year",
    "household_approved": "fostering.enquiries_per_year",
    "household_deregistered": "fostering.deregistration_rate_per_year_*",
}
#: When the events write (almost) nothing, something waits and retries without recording.
SILENT_EVENTS = ("placement_market.search_wait_days, protection.review_interval_days or "
                 "workforce.recruitment_campaign_days (a wait that repeats without recording)")


class RunawayReplication(RuntimeError):
    """A replication stopped by the watchdog (one line naming the likely parameter)."""


def memory_ceiling_mb() -> float:
    """Most memory (MB) one replication may hold: half the machine's, at most 8 GB."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    except (AttributeError, ValueError, OSError):  # not POSIX
        total = 16_384.0
    return min(8_192.0, total / 2)


def memory_mb() -> float:
    """Memory this process holds now (resident set, MB); its peak where that is all there is."""
    try:
        with open("/proc/self/statm", "rb") as stream:
            resident_pages = int(stream.read().split()[1])
        return resident_pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource
    except ImportError:  # Windows: no cheap figure; the event budget still applies
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


class Watchdog:
    """Looks at a replication every ``WATCH_EVERY`` events (see the module notes)."""

    def __init__(self, env, log, memory_limit_mb: float | None = None):
        self.env = env
        self.log = log
        self.events = 0
        self.records_before = 0
        self.memory_limit_mb = memory_ceiling_mb() if memory_limit_mb is None else memory_limit_mb

    def __call__(self) -> None:
        self.events += WATCH_EVERY
        day = max(self.env._now, 0.0)  # noqa: SLF001 (the clock without the property's call)
        allowed = EVENT_ALLOWANCE + EVENTS_PER_YEAR * day / DAYS_PER_YEAR
        if self.events > allowed:
            self._stop(f"more than {self.events:,} events by day {day:,.1f} (at most "
                       f"{allowed:,.0f} expected)")
        held = memory_mb()
        if held > self.memory_limit_mb:
            self._stop(f"{held:,.0f} MB of memory by day {day:,.1f} (at most "
                       f"{self.memory_limit_mb:,.0f} MB for one replication)")
        self.log.pack()
        self.records_before = len(self.log.fields)  # nothing left unpacked: the next stretch starts here

    def likely_parameter(self) -> str:
        """The parameters behind the records the replication wrote most since the last look
        (the starting stock when the clock has not yet moved)."""
        stock = "the starting stock (initial_stock.*), or " if self.env._now <= 0 else ""  # noqa: SLF001
        return stock + self._behind_records()

    def _behind_records(self) -> str:
        fields = self.log.fields
        width = 6
        recent = fields[max(self.records_before, len(fields) - CENSUS_RECORDS * width):]
        if len(recent) // width < WATCH_EVERY // 50:  # under one record per 50 events
            return SILENT_EVENTS
        # Records are six fields; the event name is the third.
        kind, _ = Counter(recent[2::width]).most_common(1)[0]
        return f"{LIKELY_PARAMETERS.get(kind, 'the scenario')} (mostly '{kind}' records)"

    def _stop(self, what: str) -> None:
        raise RunawayReplication(f"stopped a runaway replication: {what}; likely cause: "
                                 f"{self.likely_parameter()}; check the scenario's values")


__all__ = ["EVENTS_PER_YEAR", "EVENT_ALLOWANCE", "LIKELY_PARAMETERS", "RunawayReplication",
           "WATCH_EVERY", "Watchdog", "memory_ceiling_mb", "memory_mb"]

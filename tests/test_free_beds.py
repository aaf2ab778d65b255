"""Matching's index of households with a free bed finds what the walk over every household found.

The calibrated baseline and every published figure rest on which household a child is matched
with, so the index must return exactly the household of the original search: the first, in
approval order, that ``FosterHousehold.takes`` accepts. Hypothesis drives a fostering service
through random sequences of approvals, placements, departures (with carers' breaks),
deregistrations and time passing, and compares every search with that brute-force walk.
Deregistrations come either from the test (a run whose horizon is 0, so the service schedules
none of its own) or from the service's own retention clock as time passes.
"""

import pytest
from conftest import BASELINE_PATH
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.engine.event_queue import CareEnvironment
from simulation.engine.fostering import HOUSEHOLD_ID_BASE, FosteringService
from simulation.records.eventlog import EventLog
from simulation.records.streams import Streams
from simulation.scenario.loading import load_scenario

FOSTERING = load_scenario(BASELINE_PATH).fostering

_age = st.floats(0.0, 18.0, allow_nan=False)
_place = st.tuples(st.just("place"), _age, st.booleans(), st.floats(0.0, 0.999, allow_nan=False))
_place_anywhere = st.tuples(st.just("place_anywhere"), _age, st.booleans())
_leave = st.tuples(st.just("leave"), st.integers(0, 10_000))
_wait = st.tuples(st.just("wait"), st.floats(0.5, 120.0, allow_nan=False))
# Placements, departures and waits weighted up: households must fill, empty, rest and refill
# for the index to be tested where it can go wrong.
_operation = st.one_of(
    st.tuples(st.just("approve"), st.integers(1, 3)),
    _place, _place, _place_anywhere, _place_anywhere, _place_anywhere,
    _leave, _leave, _leave, _wait, _wait,
    st.tuples(st.just("deregister"), st.integers(0, 10_000)),
)


def brute_force(service: FosteringService, age: float, sibling_group: bool, point):
    """The original search: every registered household in approval order, ``takes`` on each."""
    window = service.match_window if point is not None else 1.0
    return next((household for household in service.households.values()
                 if household.takes(age, sibling_group, point or 0.0, window)), None)


def check_index(service: FosteringService) -> None:
    listed = [household.household_id for household in service.with_free_bed.households]
    expected = [household.household_id for household in service.households.values()
                if household.free_beds() > 0]
    assert listed == expected, f"index {listed} but households with a free bed {expected}"


@pytest.mark.property
@settings(max_examples=150)
@given(initial=st.integers(0, 30), rest_days=st.sampled_from([0.0, 14.0]),
       horizon=st.sampled_from([0.0, 2_000.0]), operations=st.lists(_operation, max_size=120))
def test_index_finds_the_household_the_full_walk_finds(initial, rest_days, horizon, operations):
    env = CareEnvironment()
    params = FOSTERING.model_copy(update={
        "initial_households": FOSTERING.initial_households.model_copy(update={"value": initial}),
        "break_after_placement_days": FOSTERING.break_after_placement_days.model_copy(
            update={"value": rest_days})})
    service = FosteringService(env, EventLog(), Streams(7, 0), params, horizon_days=horizon)
    for index in range(initial):
        service._new_household(HOUSEHOLD_ID_BASE + index, 0.0, initial=True)
    recruits, next_child, placed = 0, 0, []
    check_index(service)
    for operation in operations:
        kind = operation[0]
        if kind == "approve":
            recruits += 1
            service._new_household(HOUSEHOLD_ID_BASE + 100_000 + recruits, env.now, initial=False)
        elif kind in ("place", "place_anywhere"):
            age, sibling_group = operation[1], operation[2]
            point = operation[3] if kind == "place" else None
            found = service.find(age, sibling_group, point)
            assert found is brute_force(service, age, sibling_group, point), operation
            if found is not None:
                next_child += 1
                service.take(next_child, found)
                placed.append(next_child)
        elif kind == "leave" and placed:
            service.free(placed.pop(operation[1] % len(placed)))
        elif kind == "deregister" and service.households and horizon == 0:
            households = list(service.households.values())
            service.deregister(households[operation[1] % len(households)])
        elif kind == "wait":
            env.run(until=env.now + operation[1])
        check_index(service)

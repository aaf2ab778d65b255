"""The engine's two-level queue must run events in exactly simpy's order.

``CareEnvironment`` parks events due after today in day buckets; simpy keeps one heap. Same
schedule, same order: every callback at the same time, in the same sequence, with the same
event ids, whatever the delays (zero, fractions of a day, whole days landing on a bucket's edge,
years ahead, past the end of the run) and priorities.
"""

import pandas as pd
import pytest
import simpy
from conftest import BASELINE_PATH
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.engine import event_queue
from simulation.engine.event_queue import CareEnvironment
from simulation.engine.model import run_replication
from simulation.scenario.loading import load_scenario

#: Delays chosen to land on and beside bucket edges, within a day, and far beyond the run.
_delay = st.one_of(st.sampled_from([0.0, 1.0, 2.0, 0.5, 0.999999, 1.000001, 7.0, 365.25, 5000.0]),
                   st.floats(0.0, 60.0, allow_nan=False))
_step = st.tuples(_delay, st.sampled_from(["wait", "signal", "listen", "spawn"]))


def _world(env: simpy.Environment, plans: list[list[tuple[float, str]]], trace: list) -> None:
    """Processes that wait, signal a shared event, wait for it, and start new processes."""
    shared = {"event": env.event()}

    def actor(name: int, plan: list[tuple[float, str]]):
        for step, (delay, action) in enumerate(plan):
            trace.append((env.now, name, step, action))
            if action == "wait":
                yield env.timeout(delay)
            elif action == "signal":
                if not shared["event"].triggered:
                    shared["event"].succeed(name)
                shared["event"] = env.event()
                yield env.timeout(delay)
            elif action == "listen":
                yield shared["event"] | env.timeout(delay)
            else:  # a new process starts now (simpy schedules its start as an urgent event)
                env.process(actor(100 * name + step, [(delay, "wait")]))
                yield env.timeout(delay)

    for name, plan in enumerate(plans):
        env.process(actor(name, plan))


@pytest.mark.property
@settings(max_examples=150, deadline=None)
@given(plans=st.lists(st.lists(_step, min_size=1, max_size=12), min_size=1, max_size=8),
       until=st.sampled_from([3.0, 30.0, 400.0]))
def test_same_order_as_simpy(plans, until):
    runs = []
    for env in (simpy.Environment(), CareEnvironment()):
        trace: list = []
        _world(env, plans, trace)
        env.run(until=until)
        pending = (env.pending_count() if isinstance(env, CareEnvironment)
                   else len(env._queue))  # noqa: SLF001
        runs.append((trace, env.now, env.peek(), next(env._eid), pending))  # noqa: SLF001
    assert runs[0] == runs[1]


@pytest.mark.unit
def test_parked_events_wait_for_their_day_and_peek_sees_them():
    env = CareEnvironment()
    seen = []
    for delay in (3.5, 3.0, 0.25, 900.0):
        env.timeout(delay).callbacks.append(lambda event, d=delay: seen.append((env.now, d)))
    assert env.peek() == 0.25
    assert len(env._queue) == 1, "only the event due today should be on the heap"  # noqa: SLF001
    env.run(until=4.0)
    assert seen == [(0.25, 0.25), (3.0, 3.0), (3.5, 3.5)]
    # simpy puts the run's stop event back on the queue, due now; the far event waits parked.
    assert env.peek() == 4.0 and env.pending_count() == 2
    env.step()
    assert env.peek() == 900.0 and env.pending_count() == 1
    env.clear()
    assert env.pending_count() == 0 and env.peek() == float("inf")
    with pytest.raises(simpy.core.EmptySchedule):
        env.step()


@pytest.mark.reproducibility
def test_a_replication_is_the_same_with_one_heap(monkeypatch):
    """Buckets so wide that every event sits on the heap is simpy's single queue: same log."""
    scenario = load_scenario(BASELINE_PATH)
    bucketed = run_replication(scenario, 20230401, 0, 1.5)
    monkeypatch.setattr(event_queue, "BUCKET_DAYS", 1e9)
    one_heap = run_replication(scenario, 20230401, 0, 1.5)
    assert bucketed.event_count == one_heap.event_count
    pd.testing.assert_frame_equal(bucketed.events, one_heap.events)

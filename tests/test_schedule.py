"""``schedule.run_until`` must run a model exactly as simpy's ``env.run(until=...)`` does."""

import pytest

from simulation.engine.event_queue import CareEnvironment
from simulation.engine.schedule import after, run_until


def _toy(env: CareEnvironment, seen: list) -> None:
    """Stages through ``after``, a process and events due exactly at the horizon (day 10)."""

    def stage(name: str, left: int) -> None:
        seen.append((env.now, name))
        if left:
            after(env, 2.5, stage, name, left - 1)

    def process():
        for _ in range(6):
            yield env.timeout(2.0)
            seen.append((env.now, "process"))

    after(env, 0.0, stage, "a", 5)
    after(env, 1.0, stage, "b", 5)
    env.process(process())


def test_run_until_matches_simpy_run():
    """Same callbacks in the same order, same clock and same engine event count as ``env.run``.

    Events due at the horizon itself must not run (simpy stops before ordinary events due then).
    """
    runs = []
    for runner in (lambda env: env.run(until=10.0), lambda env: run_until(env, 10.0)):
        env, seen = CareEnvironment(), []
        _toy(env, seen)
        runner(env)
        runs.append((seen, env.now, next(env._eid), env.pending_count()))  # noqa: SLF001
    assert runs[0] == runs[1], f"env.run gave {runs[0]}, run_until gave {runs[1]}"
    assert all(day < 10.0 for day, _ in runs[1][0]), f"an event at the horizon ran: {runs[1][0]}"


def test_run_until_raises_an_undefused_failure_and_rejects_a_past_horizon():
    """A failed event nobody handled stops the run with its error, as in simpy."""
    env = CareEnvironment()
    env.event().fail(KeyError("lost"))
    with pytest.raises(KeyError, match="lost"):
        run_until(env, 5.0)
    with pytest.raises(ValueError, match="greater than"):
        run_until(CareEnvironment(initial_time=3.0), 2.0)

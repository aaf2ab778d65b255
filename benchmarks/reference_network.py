"""A bare simpy queueing network of the model's shape: the yardstick the benchmark divides by.

Arrivals at 3,500 a year (Poisson) pass four stages in series, as a child passes assessment,
plan, protection and care; each stage is a ``simpy.Resource`` (a team of limited size) with
exponential service. Written the plain way simpy's own examples are: one process per arrival, a
``with resource.request()`` block per stage, stdlib ``random`` for draws, the garbage collector
left as it is. Nothing here is tuned; it measures what this machine does with simpy.

Events are counted as the model counts them: simpy's event id counter after the run (every
scheduled event: timeouts, process starts, requests, releases).

Shape (per year): 3,500 arrivals; stage means 2, 4, 6 and 8 days on 24, 45, 65 and 85 servers,
so each stage runs at about 80-90% of capacity and queues form, as in a busy service.
"""

from __future__ import annotations

import random
import time

import simpy

ARRIVALS_PER_YEAR = 3_500.0
DAYS_PER_YEAR = 365.25
#: (mean service days, servers) of the four stages in series.
STAGES = ((2.0, 24), (4.0, 45), (6.0, 65), (8.0, 85))


def _journey(env, stages, rng, done):
    for resource, mean_days in stages:
        with resource.request() as slot:
            yield slot
            yield env.timeout(rng.expovariate(1.0 / mean_days))
    done.append(env.now)


def _arrivals(env, stages, rng, done, rate_per_day):
    while True:
        yield env.timeout(rng.expovariate(rate_per_day))
        env.process(_journey(env, stages, rng, done))


def run_reference(seed: int, replication: int, years: float = 10.0) -> dict:
    """One replication of the reference network: events, wall and CPU seconds, completions."""
    rng = random.Random(f"{seed}-{replication}")  # str seeds are hashed stably (SHA-512)
    wall, cpu = time.perf_counter(), time.process_time()
    env = simpy.Environment()
    stages = [(simpy.Resource(env, capacity=servers), mean) for mean, servers in STAGES]
    done: list[float] = []
    env.process(_arrivals(env, stages, rng, done, ARRIVALS_PER_YEAR / DAYS_PER_YEAR))
    env.run(until=years * DAYS_PER_YEAR)
    events = next(env._eid)  # noqa: SLF001 - the same counter the model reports
    return {"events": int(events), "completed": len(done),
            "wall_seconds": time.perf_counter() - wall, "cpu_seconds": time.process_time() - cpu}


__all__ = ["ARRIVALS_PER_YEAR", "STAGES", "run_reference"]

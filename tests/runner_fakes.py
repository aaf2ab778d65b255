"""Fakes of the model interface for the runner, analysis and CLI tests.

Module-level (importable) on purpose: worker processes may be started with "spawn" (macOS,
Windows, or ``CSSIM_START_METHOD=spawn``), and then see only what they can import, never a
test's monkeypatch. Everything here depends only on (seed, replication), as the real model must.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from simulation.records.contract import financial_year_label


class FakeScenario(BaseModel):
    """The part of a Scenario the runner uses: a name, a start date, a JSON dump."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = "fake"
    start_date: dt.date = dt.date(2023, 4, 1)
    referrals_per_month: float = 200.0


@dataclass
class FakeResult:
    """Stands in for ``simulation.engine.model.ReplicationResult``."""

    events: pd.DataFrame
    event_count: int
    wall_seconds: float
    seed: int
    replication: int


def month_ends(start: dt.date, years: float) -> list[dt.date]:
    """Month ends from the start date to the end of the simulated span."""
    # Whole calendar years, then the fraction at 365.25 days a year.
    whole = int(years)
    end = start.replace(year=start.year + whole) + dt.timedelta(days=round((years - whole) * 365.25))
    end -= dt.timedelta(days=1)
    ends, year, month = [], start.year, start.month
    while True:
        following = dt.date(year + (month == 12), month % 12 + 1, 1)
        last = following - dt.timedelta(days=1)
        if last > end:
            return ends
        ends.append(last)
        year, month = following.year, following.month


def fake_run_replication(scenario, seed, replication, years):
    """A fake model run: an empty event log whose count depends on (seed, replication)."""
    rng = np.random.default_rng([seed, replication])
    return FakeResult(events=pd.DataFrame(), event_count=int(rng.integers(1000, 2000)),
                      wall_seconds=0.001, seed=seed, replication=replication)


def fake_replication_kpis(result, scenario, years):
    """Monthly and annual KPI frames drawn from streams keyed by (seed, replication)."""
    rng = np.random.default_rng([result.seed, result.replication, 1])
    ends = month_ends(scenario.start_date, years)
    count = len(ends)
    referrals = rng.poisson(getattr(scenario, "referrals_per_month", 200.0), count).astype(float)
    cla = 300 + np.cumsum(rng.integers(-5, 6, count)).astype(float)
    rereferral_pct = 100 * rng.beta(20, 70, count)
    rereferral_pct[0] = np.nan  # no 12-month history yet: a KPI may be missing in a month
    spend = 1_000_000 * rng.random(count) + 0.1 + 0.2  # pennies and binary noise on big sums
    monthly = pd.DataFrame({
        "month_end": np.repeat([d.isoformat() for d in ends], 5),
        "kpi": ["referrals", "cla", "cp_plans_open", "rereferral_pct", "spend_total_gbp"] * count,
        "value": np.column_stack([referrals, cla, cla / 2, rereferral_pct, spend]).ravel(),
    })
    years_of = [financial_year_label(d) for d in ends]
    frame = pd.DataFrame({"fy": years_of, "referrals": referrals, "cla": cla,
                          "rereferral_pct": rereferral_pct, "spend": spend})
    grouped = frame.groupby("fy", sort=True)
    annual = pd.concat([
        grouped["referrals"].sum().rename("referrals"),
        grouped["cla"].last().rename("cla"),
        grouped["rereferral_pct"].mean().rename("rereferral_pct"),
        grouped["spend"].sum().rename("spend_total_gbp"),
    ], axis=1).rename_axis("financial_year").reset_index()
    annual = annual.melt(id_vars="financial_year", var_name="kpi", value_name="value")
    # Metrics may emit rows in any order; the runner must not depend on it.
    return monthly.sample(frac=1, random_state=3), annual


def fake_replicate(scenario, seed, replication, years):
    """``replicate`` for ``run_experiment`` built from the two fakes above (picklable)."""
    result = fake_run_replication(scenario, seed, replication, years)
    monthly, annual = fake_replication_kpis(result, scenario, years)
    return monthly, annual, {"event_count": result.event_count, "model_wall_seconds": 0.001}


def failing_replicate(scenario, seed, replication, years):
    """Like ``fake_replicate`` but replication 2 fails, as a model bug would."""
    if replication == 2:
        raise RuntimeError("simulated model failure in replication 2")
    return fake_replicate(scenario, seed, replication, years)


def failing_in_broken_scenario(scenario, seed, replication, years):
    """Like ``fake_replicate`` but replication 1 of the scenario named "broken" fails."""
    if scenario.name == "broken" and replication == 1:
        raise RuntimeError("simulated model failure in the broken scenario")
    return fake_replicate(scenario, seed, replication, years)


def make_run(out_dir, replications=3, seed=5, years=2.0, workers=1, resume=False,
             scenario=None, replicate=fake_replicate):
    """A run folder written by the real runner with the fake model (quiet)."""
    from simulation.runs.runner import run_experiment

    return run_experiment(scenario or FakeScenario(), replications=replications, seed=seed,
                          years=years, workers=workers, out_dir=out_dir, resume=resume,
                          progress=False, replicate=replicate)


def folder_bytes(folder, pattern="*.csv"):
    """{relative path: bytes} of the files matching ``pattern`` directly in ``folder``."""
    from pathlib import Path

    return {path.name: path.read_bytes() for path in sorted(Path(folder).glob(pattern))}


def assert_resume_matches_fresh(folder, replications: int, message: str) -> None:
    """Resume the run in ``folder`` and check its CSVs equal a fresh run's, byte for byte."""
    from pathlib import Path

    make_run(folder, replications=replications, resume=True)
    fresh = Path(folder).parent / f"{Path(folder).name}-fresh"
    make_run(fresh, replications=replications)
    assert folder_bytes(folder) == folder_bytes(fresh), message


class TableScenario(FakeScenario):
    """A scenario with a probability table whose key order a model might draw in."""

    outcome_prob: dict[str, float] = {"nfa": 0.5, "cin_plan": 0.3, "care": 0.2}

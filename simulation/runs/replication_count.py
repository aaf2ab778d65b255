"""``cssim replications``: run a pilot and say how many replications give a chosen precision.

Owns the pilot (one scenario, or two with the same seeds for a paired difference), reading one
KPI at one period from the pilot's run folders, and the plain-English answer. The arithmetic is
``simulation.analysis.precision`` (Hoad, Robinson & Davies 2010, confidence-interval method).

Assumptions
-----------
- A period is a financial year (``FY2027-28``, from ``kpis_annual.csv``) or a month end
  (``2028-03-31``, from ``kpis_monthly.csv``); without ``years`` the pilot runs the fewest whole
  years that cover it.
- A paired pilot runs both scenarios with the same seed and replication numbers, so replication
  r of each sees the same children (common random numbers).
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from simulation.analysis import precision
from simulation.records import contract
from simulation.runs import runner
from simulation.runs.executors import open_executor


class PilotError(ValueError):
    """A request the pilot cannot answer (bad period, unknown KPI); one line for the user."""


def period_end(period: str) -> dt.date:
    """Last day of a period label: 31 March for ``FY2027-28``, the day itself for a month end."""
    if contract.is_financial_year(period):
        return dt.date(int(period[2:6]) + 1, 3, 31)
    if contract.is_month_end(period):
        return dt.date.fromisoformat(period)
    raise PilotError(f"period {period!r} is neither a financial year like FY2027-28 nor a month "
                     "end like 2028-03-31")


def years_to_cover(start: dt.date, period: str) -> int:
    """The fewest whole simulated years from ``start`` whose last day is on or after the period's."""
    end = period_end(period)
    if end < start:
        raise PilotError(f"period {period} ends before the scenario starts ({start})")
    years = max(end.year - start.year, 1)
    while _years_on(start, years) <= end:
        years += 1
    while years > 1 and _years_on(start, years - 1) > end:
        years -= 1
    return years


def _years_on(start: dt.date, years: int) -> dt.date:
    """The first day after ``years`` whole years from ``start`` (28 Feb for a 29 Feb start)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def kpi_values(run_dir: Path, kpi: str, period: str) -> pd.Series:
    """Values of ``kpi`` at ``period`` by replication, from a finished run folder."""
    annual = contract.is_financial_year(period)
    name, column = ((contract.ANNUAL_FILE, "financial_year") if annual
                    else (contract.MONTHLY_FILE, "month_end"))
    frame = runner.read_rep(Path(run_dir) / name, column)
    rows = frame[(frame["kpi"] == kpi) & (frame[column] == period)]
    if rows.empty:
        known_kpis = sorted(frame["kpi"].unique())
        if kpi not in known_kpis:
            raise PilotError(f"KPI {kpi!r} is not in {name}; known: {', '.join(known_kpis)}")
        raise PilotError(f"no {kpi} value for {period} in {name} (periods run "
                         f"{frame[column].min()} to {frame[column].max()})")
    return rows.set_index("replication")["value"].sort_index()


@dataclass(frozen=True)
class PilotAnswer:
    """The pilot's figures: one estimate, or a paired estimate when ``against`` was given."""

    kpi: str
    period: str
    scenario: str
    against: str | None
    single: precision.PrecisionEstimate | None
    paired: precision.PairedEstimate | None


def run_pilot(scenario, kpi: str, period: str, target: float, pilot: int, seed: int,
              years: float | None = None, against=None, workers: int = 1,
              scheduler: str | None = None, out_dir: Path | None = None,
              progress: bool = True) -> PilotAnswer:
    """Run the pilot replications and estimate the replications needed (see module)."""
    if not 0 < target < 1:
        raise PilotError(f"precision is a fraction of the mean between 0 and 1, got {target}")
    if pilot < 3:
        raise PilotError(f"a pilot needs at least 3 replications, got {pilot}")
    period_end(period)
    if against is not None and against.start_date != scenario.start_date:
        raise PilotError("paired scenarios must share a start date "
                         f"({scenario.start_date} and {against.start_date})")
    if against is not None and against.name == scenario.name:
        raise PilotError(f"--against names the same scenario ({scenario.name}); pick another")
    years = float(years) if years is not None else float(years_to_cover(scenario.start_date,
                                                                         period))
    with tempfile.TemporaryDirectory(prefix="cssim-pilot-") as scratch:
        root = Path(out_dir) if out_dir is not None else Path(scratch)
        values = {}
        with open_executor(workers, scheduler) as executor:
            for each in [scenario] + ([against] if against is not None else []):
                folder = root / each.name
                runner.run_experiment(each, replications=pilot, seed=seed, years=years,
                                      out_dir=folder, progress=progress, executor=executor)
                values[each.name] = kpi_values(folder, kpi, period)
    base = values[scenario.name]
    if against is None:
        return PilotAnswer(kpi, period, scenario.name, None, precision.estimate(base, target),
                           None)
    alt = values[against.name].reindex(base.index)
    paired = precision.estimate_paired(base.to_numpy(), alt.to_numpy(), target)
    return PilotAnswer(kpi, period, scenario.name, against.name, None, paired)


def _count(n: float) -> str:
    return "more than a million" if math.isinf(n) else f"{int(n):,}"


def answer_lines(answer: PilotAnswer) -> list[str]:
    """The pilot's answer in plain English, one line per figure."""
    if answer.single is not None:
        est = answer.single
        lines = [f"{answer.kpi} in {answer.period} ({answer.scenario}): mean {est.mean:,.4g}, "
                 f"95% CI +/-{est.halfwidth:,.3g} (+/-{100 * est.relative_halfwidth:.2f}% of the "
                 f"mean) from a pilot of {est.n} replications."]
        if math.isinf(est.required) and est.mean == 0:
            lines.append("The mean is zero, so a relative precision has no meaning: read the "
                         "half-width instead.")
        else:
            enough = " (the pilot already reaches it)" if est.required <= est.n else ""
            lines.append(f"For +/-{100 * est.precision:g}% of the mean: "
                         f"{_count(est.required)} replications{enough}.")
        return lines
    paired = answer.paired
    diff = paired.difference
    lines = [f"{answer.kpi} in {answer.period}: {answer.against} minus {answer.scenario} is "
             f"{diff.mean:,.4g} on average ({paired.alt_mean:,.4g} vs {paired.base_mean:,.4g}), "
             f"95% CI +/-{diff.halfwidth:,.3g} from {diff.n} paired replications (common "
             f"random numbers; correlation between the pair {paired.correlation:.2f})."]
    if diff.mean == 0 or math.isinf(diff.required) and math.isinf(paired.required_independent):
        lines.append("The difference is too close to zero for a relative precision; read its "
                     "half-width, or ask for a larger precision.")
        return lines
    enough = " (the pilot already reaches it)" if diff.required <= diff.n else ""
    lines.append(f"For +/-{100 * diff.precision:g}% of the difference: "
                 f"{_count(diff.required)} paired replications{enough}; two independent runs "
                 f"would need {_count(paired.required_independent)} each.")
    return lines


__all__ = ["PilotAnswer", "PilotError", "answer_lines", "kpi_values", "period_end",
           "run_pilot", "years_to_cover"]

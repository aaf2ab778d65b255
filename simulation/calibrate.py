"""Calibration: the baseline beside Southend's published figures, the distance, and a small fit.

Owns reading ``calibration/targets.csv`` (written by ``calibration.build_targets``), simulating
each target from R replications with common random numbers, the tolerance-weighted distance and
hit rate, and an optional derivative-free fit of a few uncertain parameters. The report is written
by ``simulation.calibration_report``; ``cssim calibrate`` ties them together.

Method in plain words
---------------------
- Each target is read from a replication's KPIs with its ``model_expr`` at its ``model_when``:
  ``fy`` is the run's first complete financial year (flows in it, stocks at its 31 March);
  ``sep``/``nov`` the month end of 30 September / 30 November in that year.
- The baseline starts on 1 April 2023, so its first year (to March 2024) is compared with every
  published year 2019-20 to 2022-23: the model is a status-quo projection, and a target is hit
  when the simulated mean is within the target's tolerance (which includes half the published
  range, the year-to-year variation the model is not asked to reproduce).
- ``distance`` = mean over counted targets of ``((simulated mean - published) / tolerance)**2``;
  ``hit_rate`` = share of counted targets (``role == "target"``; never inputs or checks) with
  ``|simulated mean - published| <= tolerance``.
- Common random numbers: every evaluation uses the same seed and replications 0..R-1, so two
  parameter sets differ by their effect, not by chance; the optimiser sees a deterministic function.

Assumptions
-----------
- Only scalar parameters (``value`` a number) are fitted, inside the ``range`` the scenario gives.
- Replications run in this process or a local process pool; results do not depend on which.
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulation import price_base
from simulation.parameters import Scenario
from simulation.scenario import _resolve

TARGETS_CSV = Path(__file__).resolve().parents[1] / "calibration" / "targets.csv"

#: Uncertain parameters the fit may move (dotted path in the scenario; range from the scenario).
#: Chosen because each drives one group of targets the first guess cannot pin down alone.
FIT_PARAMETERS: tuple[str, ...] = (
    "referrals.external_rate_per_year",          # referrals, s.47, ICPCs
    "referrals.rereferral_after_nfa_prob",       # re-referral %
    "protection.end_at_first_review_prob",       # CP plans open (mean CP plan length)
    "care.direct_entries_per_year",              # CLA starts
    "workforce.employed_leaving_rate_per_year",  # turnover, leavers, vacancies
)


# ----------------------------------------------------------------------------- targets
def load_targets(path: Path | str = TARGETS_CSV) -> pd.DataFrame:
    """The targets file with typed columns (``value``, ``tolerance`` float; ``is_model_input`` bool)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["value"] = pd.to_numeric(frame["value"])
    frame["tolerance"] = pd.to_numeric(frame["tolerance"], errors="coerce")
    frame["is_model_input"] = frame["is_model_input"].map({"True": True, "False": False})
    return frame


def compared(targets: pd.DataFrame) -> pd.DataFrame:
    """Targets the model is compared on (those with a model expression)."""
    return targets[targets["model_expr"] != ""].reset_index(drop=True)


# ----------------------------------------------------------------------------- one replication
def _eval(expr: str, values: dict[str, float]) -> float:
    """Value of a sum/ratio of KPI names; ``nan`` when a KPI is missing or a ratio divides by 0."""
    try:
        # Only arithmetic on KPI values: no builtins, names resolve to KPI numbers only.
        result = eval(compile(expr, "<model_expr>", "eval"), {"__builtins__": {}}, _Values(values))
    except (ZeroDivisionError, KeyError, NameError):  # NameError: how eval reports a missing name
        return float("nan")
    return float(result)


class _Values(dict):
    def __missing__(self, key):  # an absent KPI (e.g. no children in a placement type) counts 0
        if key.startswith("cla_placement_") or key.startswith("spend_"):
            return 0.0
        raise KeyError(key)


def target_values(monthly: pd.DataFrame, annual: pd.DataFrame, targets: pd.DataFrame,
                  constants: dict[str, float] | None = None) -> np.ndarray:
    """The simulated value of each target (row order of ``targets``) in one replication.

    ``constants``: names besides KPIs that expressions may use (``price_base.constants``).
    """
    years = sorted(annual["financial_year"].unique())
    first = annual[annual["financial_year"] == years[0]] if years else annual.iloc[0:0]
    at = {"fy": dict(zip(first["kpi"], first["value"]))}
    ends = pd.to_datetime(pd.Series(monthly["month_end"].unique()))
    for when, month in (("sep", 9), ("nov", 11)):
        chosen = ends[ends.dt.month == month]
        if len(chosen):
            day = chosen.iloc[0].strftime("%Y-%m-%d")
            rows = monthly[monthly["month_end"].astype(str) == day]
            at[when] = dict(zip(rows["kpi"], rows["value"]))
        else:
            at[when] = {}
    return np.array([_eval(expr, {**at.get(when, {}), **(constants or {})}) for expr, when
                     in zip(targets["model_expr"], targets["model_when"])], dtype=float)


def _replicate(args) -> np.ndarray:
    packed, seed, replication, years, targets = args
    from simulation.runner import _unpack_scenario, replicate_with_model
    scenario = _unpack_scenario(packed)  # parametrised pydantic generics do not pickle
    monthly, annual, _ = replicate_with_model(scenario, seed, replication, years)
    return target_values(monthly, annual, targets, price_base.constants(scenario))


def simulate_targets(scenario: Scenario, targets: pd.DataFrame, *, replications: int, seed: int,
                     years: float = 1.0, workers: int = 1) -> np.ndarray:
    """Array (replications x targets) of simulated values, replications 0..R-1 of ``seed``."""
    from simulation.runner import _pack_scenario
    packed = _pack_scenario(scenario)
    jobs = [(packed, seed, r, years, targets) for r in range(replications)]
    if workers > 1 and replications > 1:
        with ProcessPoolExecutor(max_workers=min(workers, replications)) as pool:
            rows = list(pool.map(_replicate, jobs))
    else:
        rows = [_replicate(job) for job in jobs]
    return np.vstack(rows)


# ----------------------------------------------------------------------------- scoring
@dataclass
class Evaluation:
    """Targets beside their simulated mean and 95% interval, with the distance and hit rate."""

    table: pd.DataFrame
    distance: float
    hit_rate: float
    hits: int
    counted: int
    replications: int
    seed: int
    wall_seconds: float = 0.0
    parameters: dict[str, float] = field(default_factory=dict)


def score(targets: pd.DataFrame, simulated: np.ndarray) -> pd.DataFrame:
    """Per-target mean, 95% interval of replications, standardised gap and hit/miss.

    ``simulated`` is replications x targets. The interval is the 2.5th-97.5th percentile of the
    replications (with few replications it is the range, and rough).
    """
    table = targets.copy()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan columns: a target not simulated
        table["sim_mean"] = np.nanmean(simulated, axis=0) if len(simulated) else np.nan
        table["sim_low"] = np.nanpercentile(simulated, 2.5, axis=0)
        table["sim_high"] = np.nanpercentile(simulated, 97.5, axis=0)
    table["gap"] = table["sim_mean"] - table["value"]
    table["z"] = table["gap"] / table["tolerance"]
    table["hit"] = table["gap"].abs() <= table["tolerance"]
    table.loc[table["sim_mean"].isna(), "hit"] = False
    return table


def distance_and_hits(table: pd.DataFrame) -> tuple[float, float, int, int]:
    """(distance, hit rate, hits, counted) over rows with ``role == "target"``.

    A target the model could not produce (``nan``) counts as a miss and adds ``z = 3`` to the
    distance, so a parameter set cannot improve its score by breaking a KPI.
    """
    counted = table[table["role"] == "target"]
    if counted.empty:
        return float("nan"), float("nan"), 0, 0
    z = counted["z"].to_numpy(dtype=float)
    z = np.where(np.isnan(z), 3.0, z)
    hits = int(counted["hit"].sum())
    return float(np.mean(z ** 2)), hits / len(counted), hits, len(counted)


def evaluate(scenario: Scenario, targets: pd.DataFrame, *, replications: int, seed: int,
             years: float = 1.0, workers: int = 1) -> Evaluation:
    """Simulate, score and summarise ``scenario`` against ``targets``."""
    clock = time.perf_counter()
    targets = compared(targets)
    simulated = simulate_targets(scenario, targets, replications=replications, seed=seed,
                                 years=years, workers=workers)
    table = score(targets, simulated)
    distance, hit_rate, hits, counted = distance_and_hits(table)
    return Evaluation(table, distance, hit_rate, hits, counted, replications, seed,
                      time.perf_counter() - clock)


# ----------------------------------------------------------------------------- parameters
def _node(data: dict, dotted: str) -> dict:
    node = data
    for part in dotted.split("."):
        node = node[part]
    if not (isinstance(node, dict) and "value" in node):
        raise KeyError(f"{dotted} is not a parameter table")
    return node


def parameter_range(scenario_path: Path, dotted: str) -> tuple[float, float]:
    """The ``range`` the scenario file gives a scalar parameter."""
    node = _node(_resolve(Path(scenario_path)), dotted)
    low, high = node.get("range", (None, None))
    if low is None or not isinstance(node["value"], (int, float)):
        raise ValueError(f"{dotted}: only scalar parameters with a range can be fitted")
    return float(low), float(high)


def with_values(scenario_path: Path, values: dict[str, float], start_date=None) -> Scenario:
    """The scenario of ``scenario_path`` with ``values`` put in (and optionally another start date).

    Integers stay integers when the file's value is an integer (counts like entries a year are
    rounded), so the schema's types hold.
    """
    data = copy.deepcopy(_resolve(Path(scenario_path)))
    for dotted, value in values.items():
        node = _node(data, dotted)
        node["value"] = int(round(value)) if isinstance(node["value"], int) else float(value)
    if start_date is not None:
        data["start_date"] = start_date
    return Scenario.model_validate(data)


def current_values(scenario_path: Path, names: tuple[str, ...] = FIT_PARAMETERS) -> dict[str, float]:
    """The scenario file's values of ``names``."""
    data = _resolve(Path(scenario_path))
    return {name: float(_node(data, name)["value"]) for name in names}


# ----------------------------------------------------------------------------- fitting
@dataclass
class Fit:
    """Result of a fit: best values, its evaluation, and every point tried (a trace)."""

    best: dict[str, float]
    evaluation: Evaluation
    trace: pd.DataFrame
    wall_seconds: float


def fit(scenario_path: Path, targets: pd.DataFrame, *, names: tuple[str, ...] = FIT_PARAMETERS,
        replications: int, seed: int, years: float = 1.0, max_evaluations: int = 40,
        workers: int = 1, method: str = "Nelder-Mead") -> Fit:
    """Minimise the distance over ``names`` inside their ranges, with fixed seeds.

    The parameters are scaled to [0, 1] on their ranges, so one simplex step means the same share
    of each range; Nelder-Mead with bounds (scipy) then needs no derivatives, which a simulation
    with integer counts does not have. ``max_evaluations`` caps simulation calls (each one is R
    replications), so the time is known in advance.
    """
    from scipy.optimize import minimize

    clock = time.perf_counter()
    ranges = np.array([parameter_range(scenario_path, name) for name in names])
    start = np.array([current_values(scenario_path, names)[name] for name in names])
    unit_start = (start - ranges[:, 0]) / (ranges[:, 1] - ranges[:, 0])
    trace = []

    def to_values(unit) -> dict[str, float]:
        unit = np.clip(unit, 0.0, 1.0)
        return dict(zip(names, ranges[:, 0] + unit * (ranges[:, 1] - ranges[:, 0])))

    def objective(unit) -> float:
        values = to_values(unit)
        evaluation = evaluate(with_values(scenario_path, values), targets,
                              replications=replications, seed=seed, years=years, workers=workers)
        trace.append({**values, "distance": evaluation.distance, "hit_rate": evaluation.hit_rate})
        return evaluation.distance if math.isfinite(evaluation.distance) else 1e9

    minimize(objective, unit_start, method=method, bounds=[(0.0, 1.0)] * len(names),
             options={"maxfev": max_evaluations, "xatol": 0.01, "fatol": 0.01,
                      "initial_simplex": _simplex(unit_start)} if method == "Nelder-Mead"
             else {"maxfev": max_evaluations})
    frame = pd.DataFrame(trace)
    best_row = frame.loc[frame["distance"].idxmin()]
    best = {name: float(best_row[name]) for name in names}
    evaluation = evaluate(with_values(scenario_path, best), targets, replications=replications,
                          seed=seed, years=years, workers=workers)
    evaluation.parameters = best
    return Fit(best, evaluation, frame, time.perf_counter() - clock)


def _simplex(unit_start: np.ndarray, step: float = 0.15) -> np.ndarray:
    """Start simplex: the current values and one step of 15% of a range along each axis (inward)."""
    points = [unit_start]
    for axis in range(len(unit_start)):
        point = unit_start.copy()
        point[axis] += step if point[axis] + step <= 1.0 else -step
        points.append(point)
    return np.array(points)


__all__ = ["FIT_PARAMETERS", "Evaluation", "Fit", "compared", "current_values", "distance_and_hits",
           "evaluate", "fit", "load_targets", "parameter_range", "score", "simulate_targets",
           "target_values", "with_values"]

"""The fit: the uncertain parameters moved inside their ranges until the targets are met.

``fit`` minimises ``calibrate.fit_loss`` (how far the counted targets fall outside their
tolerances, each narrowed by its noise margin) by a bounded Powell search over the parameters
scaled to [0, 1], then takes the Jacobian at the best point for the Laplace standard deviations
(``laplace_sd``) from which the plausible parameter sets are searched. Evaluations use common
random numbers, so the search sees a deterministic function.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.calibration.calibrate import (
    COMPARED_YEARS,
    FIT_PARAMETERS,
    Evaluation,
    compared,
    counted_gaps,
    current_values,
    evaluate,
    fit_loss,
    parameter_range,
    with_values,
)
from simulation.scenario import parameter_sets


@dataclass
class Fit:
    """Result of a fit: best values, its evaluation, every point tried (a trace), and the
    Jacobian of the standardised gaps at the best point (targets x parameters, per unit of each
    parameter's range), from which ``laplace_sd`` is derived."""

    best: dict[str, float]
    evaluation: Evaluation
    trace: pd.DataFrame
    wall_seconds: float
    jacobian: np.ndarray | None = None
    laplace_sd: dict[str, float] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    start_values: dict[str, float] = field(default_factory=dict)
    #: Counted targets, and how many of them share one simulated measure (published years).
    counted: int = 0
    years_per_measure: float = 1.0


class _Budget(Exception):
    """The fit has used its evaluations."""


class Objective:
    """The standardised gaps of the counted targets as a function of parameters on [0, 1].

    Each call simulates replications 0..R-1 of one seed (common random numbers) at the values
    ``low + unit * (high - low)``; every call is recorded in ``trace`` and the best (least
    ``fit_loss``, the fit's own objective) kept. Raises ``_Budget`` after ``max_evaluations``
    calls.
    """

    def __init__(self, scenario_path, targets, names, *, replications, seed, model_years, workers,
                 max_evaluations, start_date=None, executor=None, progress=None):
        self.scenario_path, self.names = Path(scenario_path), tuple(names)
        self.targets = compared(targets)
        self.ranges = np.array([parameter_range(scenario_path, name) for name in names])
        self.options = dict(replications=replications, seed=seed, model_years=model_years,
                            workers=workers, executor=executor, progress=progress)
        self.start_date, self.max_evaluations = start_date, max_evaluations
        self.trace: list[dict] = []
        self.best: tuple[float, np.ndarray, Evaluation] | None = None

    def values(self, unit) -> dict[str, float]:
        unit = np.clip(np.asarray(unit, dtype=float), 0.0, 1.0)
        return dict(zip(self.names, self.ranges[:, 0] + unit * (self.ranges[:, 1] - self.ranges[:, 0])))

    def unit(self, values: dict[str, float]) -> np.ndarray:
        point = np.array([values[name] for name in self.names])
        return (point - self.ranges[:, 0]) / (self.ranges[:, 1] - self.ranges[:, 0])

    def evaluation(self, unit) -> Evaluation:
        scenario = with_values(self.scenario_path, self.values(unit), start_date=self.start_date)
        return evaluate(scenario, self.targets, **self.options)

    def _record(self, unit) -> tuple[np.ndarray, float]:
        """One evaluation at ``unit``, recorded: its standardised gaps and its ``fit_loss``."""
        if len(self.trace) >= self.max_evaluations:
            raise _Budget
        evaluation = self.evaluation(unit)
        loss = fit_loss(evaluation.table)
        # The trace's column keeps its name: this is the robust loss, with the noise margins.
        self.trace.append({**self.values(unit), "distance": evaluation.distance,
                           "robust_loss": loss, "hit_rate": evaluation.hit_rate})
        if self.best is None or loss < self.best[0]:
            self.best = (loss, np.clip(np.asarray(unit, float), 0, 1), evaluation)
        return counted_gaps(evaluation.table), loss

    def gaps(self, unit) -> np.ndarray:
        """The standardised gaps of the counted targets (one evaluation, recorded)."""
        return self._record(unit)[0]

    def loss(self, unit) -> float:
        """``fit_loss`` at ``unit`` (one evaluation, recorded): what the search minimises."""
        return self._record(unit)[1]

    def jacobian(self, unit, step: float = 0.05) -> np.ndarray:
        """Forward differences of the standardised gaps (all of them: a target hit still tells
        the parameters apart), ``step`` of each range (inward at a bound)."""
        base = self.gaps(unit)
        columns = []
        for axis in range(len(unit)):
            moved = np.array(unit, dtype=float)
            h = step if moved[axis] + step <= 1.0 else -step
            moved[axis] += h
            columns.append((self.gaps(moved) - base) / h)
        return np.column_stack(columns)


def laplace_sd(jacobian: np.ndarray, names: tuple[str, ...], ranges: np.ndarray,
               years_per_measure: float = 1.0) -> dict[str, float]:
    """Approximate posterior standard deviations of the parameters (in their own units).

    Treats the standardised gaps as independent normal errors with a standard deviation of one
    tolerance, so the curvature of the distance is ``J'J`` (Laplace approximation). The same
    simulated figure is compared with up to four published years, which are not four independent
    pieces of information: the curvature is divided by ``years_per_measure``. A parameter the
    targets do not inform (a zero column) gets an infinite deviation.
    """
    information = jacobian.T @ jacobian / max(years_per_measure, 1.0)
    covariance = np.linalg.pinv(information)
    variance = np.diag(covariance).copy()
    variance[np.abs(jacobian).sum(axis=0) == 0] = np.inf
    span = ranges[:, 1] - ranges[:, 0]
    return dict(zip(names, np.sqrt(np.maximum(variance, 0.0)) * span))


def prior_values(scenario_path: Path) -> dict[str, float]:
    """The fitted parameters' values before any calibration: the ``prior`` row of the scenario's
    sets file when it has been calibrated before, else the file's current values."""
    from simulation.scenario.loading import _resolve

    current = current_values(scenario_path)
    section = _resolve(Path(scenario_path)).get("parameter_uncertainty") or {}
    if "sets_file" in section:  # found as the loader finds it: beside the file that names it
        path = (Path(section["_declared_in"]) / section["sets_file"]).resolve()
        if path.exists() and (prior := parameter_sets.read_prior(path)) is not None:
            return {**current, **prior}
    return current


def fit(scenario_path: Path, targets: pd.DataFrame, *, names: tuple[str, ...] = FIT_PARAMETERS,
        replications: int, seed: int, model_years: tuple[int, ...] = COMPARED_YEARS,
        max_evaluations: int = 200,
        workers: int = 1, start_date=None, executor=None, progress=None,
        start_values: dict[str, float] | None = None) -> Fit:
    """Minimise how far the targets fall outside their tolerances, each narrowed by its noise
    margin (``fit_loss``), over ``names``.

    The parameters are scaled to [0, 1] on their ranges. The search is Powell's direction-set
    method (scipy ``minimize``, ``method="Powell"``, bounded to the ranges): line searches along
    each parameter in turn, then along the directions that paid. It needs no derivatives, which
    matters here: the criterion is flat while a parameter's targets stay inside their
    tolerances, and a finite-difference Jacobian costs a simulation per parameter at every step.
    A trust-region least-squares search (``least_squares``, ``soft_l1``) was used before and
    stalled within three steps of its start (103 of 131 targets before and after; Powell, from
    the same start and seeds, 107 in 150 evaluations). Common random numbers make the criterion
    a deterministic, piecewise smooth function of the parameters. ``max_evaluations`` caps
    simulation calls (each one is R replications), so the time is known in advance; the best
    point seen is kept. The Jacobian at the best point (``len(names)`` further calls, forward
    differences of 5% of each range) gives the Laplace standard deviations that the plausible
    parameter sets are searched within. The search starts from ``start_values`` where given,
    else from the scenario file's values.
    """
    from scipy.optimize import minimize

    clock = time.perf_counter()
    objective = Objective(scenario_path, targets, names, replications=replications, seed=seed,
                          model_years=model_years, workers=workers,
                          max_evaluations=max_evaluations,
                          start_date=start_date, executor=executor, progress=progress)
    start_values = {**current_values(scenario_path, names), **(start_values or {})}
    start = np.clip(objective.unit(start_values), 0.0, 1.0)
    try:
        # xtol: a line search stops within 2% of a range, finer than the evaluations' noise.
        minimize(lambda unit: objective.loss(unit), start, method="Powell",
                 bounds=[(0.0, 1.0)] * len(names),
                 options={"maxfev": max_evaluations, "xtol": 0.02, "ftol": 1e-3})
    except _Budget:
        pass
    _, best_unit, evaluation = objective.best
    objective.max_evaluations += len(names) + 1
    jacobian = objective.jacobian(best_unit)
    # A step of the Jacobian may itself land lower: keep it (the Jacobian, 5% of a range away at
    # most, still describes the curvature there).
    _, best_unit, evaluation = objective.best
    counted_rows = objective.targets["role"] == "target"
    measures = objective.targets.loc[counted_rows, "kpi"].nunique()
    counted = int(counted_rows.sum())
    sd = laplace_sd(jacobian, objective.names, objective.ranges,
                    years_per_measure=counted / max(measures, 1))
    best = objective.values(best_unit)
    ranges = {name: tuple(map(float, span)) for name, span in zip(names, objective.ranges)}
    return Fit(best, evaluation, pd.DataFrame(objective.trace), time.perf_counter() - clock,
               jacobian, sd, ranges, start_values, counted, counted / max(measures, 1))


__all__ = ["Fit", "Objective", "fit", "laplace_sd", "prior_values"]

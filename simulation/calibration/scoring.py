"""Scoring a calibration: each target's simulated mean beside the published figure, the
standardised gaps, the hit rate and the fit's loss.

Split from ``calibrate`` (which re-exports every name here) so that each module stays short
enough to read: ``calibrate`` owns the targets and the simulation, this module what a set of
simulated values scores. The rules are in ``calibrate``'s module docstring.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

def score(targets: pd.DataFrame, simulated: np.ndarray) -> pd.DataFrame:
    """Per-target mean, 95% interval of replications, standard error of the mean, standardised
    gap and hit/miss.

    ``simulated`` is replications x targets. The interval is the 2.5th-97.5th percentile of the
    replications (with few replications it is the range, and rough); ``sim_se`` is the standard
    error of the mean (``nan`` with one replication).
    """
    table = targets.copy()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan columns: a target not simulated
        table["sim_mean"] = np.nanmean(simulated, axis=0) if len(simulated) else np.nan
        table["sim_low"] = np.nanpercentile(simulated, 2.5, axis=0)
        table["sim_high"] = np.nanpercentile(simulated, 97.5, axis=0)
        produced = np.sum(~np.isnan(simulated), axis=0) if len(simulated) else 0
        table["sim_se"] = np.nanstd(simulated, axis=0, ddof=1) / np.sqrt(produced)
    table["gap"] = table["sim_mean"] - table["value"]
    table["z"] = table["gap"] / _fit_scale(table)
    table["hit"] = table["gap"].abs() <= table["tolerance"]
    table.loc[table["sim_mean"].isna(), "hit"] = False
    return table


def _fit_scale(table: pd.DataFrame) -> pd.Series:
    """The tolerance each gap is measured in: ``fit_tolerance`` where ``current_regime`` set it."""
    return table["fit_tolerance"] if "fit_tolerance" in table else table["tolerance"]


def counted_gaps(table: pd.DataFrame) -> np.ndarray:
    """The standardised gaps ``z`` of the counted targets (``role == "target"``), in row order.

    A target the model could not produce (``nan``) counts as 3 tolerances off, so a parameter set
    cannot improve its score by breaking a KPI.
    """
    z = table.loc[table["role"] == "target", "z"].to_numpy(dtype=float)
    return np.where(np.isnan(z), 3.0, z)


def noise_margins(table: pd.DataFrame, cap: float = 0.5) -> np.ndarray:
    """How far inside its tolerance each counted target's simulated mean should sit (in
    tolerances) for the hit to survive replications the fit never saw.

    The fit sees one set of R replications. A mean that sits just inside a tolerance on them is
    a coin toss on a fresh set: the difference between two independent means of R replications
    has a standard deviation of ``sqrt(2) * sim_se``. So the fit treats a target as safely hit
    only when it is that far inside (one standard deviation: about five in six such hits hold).
    The hit rate itself is still judged on the tolerance alone. Capped at half a tolerance (a
    target noisier than that is left to the tolerance); 0 where the standard error is unknown
    (one replication).
    """
    counted = table.loc[table["role"] == "target"]
    margin = np.sqrt(2.0) * counted["sim_se"].to_numpy(float) / _fit_scale(counted).to_numpy(float)
    return np.clip(np.nan_to_num(margin, nan=0.0), 0.0, cap)


def outside_tolerance(z: np.ndarray, margin: np.ndarray | float = 0.0) -> np.ndarray:
    """How far each gap lies outside its tolerance less ``margin``, in tolerances (0 inside).

    The calibration's criterion is "within tolerance", so a gap inside it costs nothing and the
    fit spends its effort on the targets it misses. ``margin`` (``noise_margins``) narrows the
    dead zone so that the fit does not park a mean on the edge of a tolerance, where chance
    alone decides whether it is hit.
    """
    return np.sign(z) * np.maximum(0.0, np.abs(z) - (1.0 - np.asarray(margin, dtype=float)))


def robust_loss(z: np.ndarray, margin: np.ndarray | float = 0.0,
                weights: np.ndarray | float = 1.0) -> float:
    """``sum(2 * (sqrt(1 + e**2) - 1))`` of ``e = outside_tolerance(z, margin)`` (scipy's
    ``soft_l1`` with a scale of one tolerance); the fit minimises it (``fit_loss``).

    Just outside a tolerance it is the squared excess; far outside it grows like ``2|e|``, so a
    target the model cannot reach (two published years far apart in opposite directions, a
    census year the workforce started far from) pulls on the fit less than a squared gap would.
    """
    excess = outside_tolerance(z, margin)
    return float(np.sum(np.asarray(weights, dtype=float) * 2.0 * (np.sqrt(1.0 + excess ** 2) - 1.0)))


#: Weight of the squared gaps (in tolerances) in the fit's loss: the fit centres the current
#: regime's figures, where tolerances (half the 2019-24 range) also hold levels since left behind.
CENTRE_WEIGHT = 0.5


def fit_loss(table: pd.DataFrame) -> float:
    """The fit's objective for one evaluation: ``robust_loss`` of the counted gaps (each target's
    dead zone narrowed by its ``noise_margins``) plus ``CENTRE_WEIGHT`` times their squares,
    weighted by recency (``current_regime``)."""
    weights = (table.loc[table["role"] == "target", "weight"].to_numpy(float)
               if "weight" in table else 1.0)
    z = counted_gaps(table)
    return (robust_loss(z, noise_margins(table), weights)
            + CENTRE_WEIGHT * float(np.sum(np.asarray(weights, dtype=float) * z ** 2)))


def distance_and_hits(table: pd.DataFrame) -> tuple[float, float, int, int]:
    """(distance, hit rate, hits, counted) over rows with ``role == "target"`` (``counted_gaps``)."""
    counted = table[table["role"] == "target"]
    if counted.empty:
        return float("nan"), float("nan"), 0, 0
    z = counted_gaps(table)
    hits = int(counted["hit"].sum())
    return float(np.mean(z ** 2)), hits / len(counted), hits, len(counted)


__all__ = ["CENTRE_WEIGHT", "counted_gaps", "distance_and_hits", "fit_loss", "noise_margins", "outside_tolerance", "robust_loss", "score"]

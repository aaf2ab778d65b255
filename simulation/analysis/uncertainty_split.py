"""Where the spread of a scenario's net saving comes from: chance, calibration and lever effect.

Pure functions of a comparison's savings by replication and each replication's draws (the run
manifest's ``parameter_set_per_replication`` and ``lever_draws_per_replication``).

Method
------
The cumulative net saving of replication r over the horizon, y_r, is regressed (least squares)
on the replication's lever-effect draws (one column each) and on indicators of its calibrated
parameter set:

    y_r = a + sum_j b_j x_rj + sum_k c_k [set_r = k] + e_r.

Because the three kinds of draw are independent (separate named streams), the variance of y
splits into the variance of the lever part (sum_j b_j x_rj), of the calibration part
(sum_k c_k [set_r = k]) and of the residual, chance (its variance corrected for the fitted
terms). Each share is its variance over their sum. Variances add, widths do not: the P10-P90
width is split in proportion to the shares, and the width *without* lever uncertainty is
estimated as the P10-P90 of y less its lever part (a run with ``[lever_uncertainty] enabled =
false`` measures it directly; ``tests/test_lever_uncertainty.py`` does).

Separating K parameter sets takes K - 1 indicators: with too few replications for them (n no
more than 1 + levers + K), the calibration's share is left in chance and
``calibration_separated`` is false; use more replications (50 or more with 15 sets).

Drivers (the tornado chart): for each lever effect, the net saving at its 10th and 90th
percentile with everything else at its mean (b_j times the triangular's P10 and P90); for the
calibration, the lowest and highest set's mean effect; for chance, the residuals' P10 and P90.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SPLIT_COLUMNS = ("scenario", "measure", "p10", "p90", "width_p10_p90", "share_chance",
                 "share_calibration", "share_lever_effect", "width_without_lever_effect", "n",
                 "calibration_separated")
DRIVER_COLUMNS = ("scenario", "driver", "kind", "low_input", "high_input", "net_saving_at_low",
                  "net_saving_at_high", "swing", "net_saving_mean")


def _design(sets, draws) -> tuple[np.ndarray, list[str], np.ndarray, list]:
    """Lever columns (names) and set indicators from the per-replication draws."""
    names = sorted({name for row in draws if row for name in row})
    lever = np.array([[float((row or {}).get(name, np.nan)) for name in names] for row in draws], dtype=float)
    lever = lever.reshape(len(draws), len(names))
    keep = [j for j in range(len(names)) if np.all(np.isfinite(lever[:, j])) and np.ptp(lever[:, j]) > 0]
    lever, names = lever[:, keep], [names[j] for j in keep]
    labels = sorted({s for s in sets if s is not None})
    indicators = np.array([[1.0 if s == k else 0.0 for k in labels[1:]] for s in sets], dtype=float)
    return lever, names, indicators.reshape(len(sets), max(len(labels) - 1, 0)), labels


def split(scenario: str, net_saving: np.ndarray, sets, draws, quantiles: dict | None = None):
    """(split row, driver rows) for one scenario.

    ``net_saving``: cumulative net saving per replication (in replication order); ``sets``: each
    replication's parameter set (None without parameter uncertainty); ``draws``: each
    replication's lever draws ({name: value} or None); ``quantiles``: name -> (P10, P90) of each
    lever effect's distribution (default: the draws' own P10 and P90).
    """
    y = np.asarray(net_saving, dtype=float)
    n = len(y)
    lever, names, indicators, labels = _design(sets, draws)
    if n <= 1 + lever.shape[1] + indicators.shape[1] + 1:
        # Too few replications to separate every parameter set: the calibration's share stays
        # in chance (``calibration_separated`` says so); the levers are still fitted if they can be.
        indicators, labels = indicators[:, :0], labels[:1]
        if n <= lever.shape[1] + 2:
            lever, names = lever[:, :0], []
    columns = np.column_stack([np.ones(n), lever - lever.mean(axis=0), indicators - indicators.mean(axis=0)])
    p = columns.shape[1]
    coef, *_ = np.linalg.lstsq(columns, y, rcond=None)
    lever_part = columns[:, 1:1 + lever.shape[1]] @ coef[1:1 + lever.shape[1]]
    cal_part = columns[:, 1 + lever.shape[1]:] @ coef[1 + lever.shape[1]:]
    residual = y - columns @ coef
    v_lever, v_cal = float(np.var(lever_part, ddof=1)) if n > 1 else 0.0, float(np.var(cal_part, ddof=1)) if n > 1 else 0.0
    v_chance = float(np.sum(residual ** 2) / max(n - p, 1))
    total = v_lever + v_cal + v_chance
    shares = [v / total if total > 0 else np.nan for v in (v_chance, v_cal, v_lever)]
    p10, p90 = (np.percentile(y, [10, 90]) if n else (np.nan, np.nan))
    without = y - lever_part
    row = {"scenario": scenario, "measure": "cumulative_net_saving_gbp", "p10": p10, "p90": p90,
           "width_p10_p90": p90 - p10, "share_chance": shares[0], "share_calibration": shares[1],
           "share_lever_effect": shares[2],
           "width_without_lever_effect": float(np.ptp(np.percentile(without, [10, 90]))) if n else np.nan,
           "n": n, "calibration_separated": bool(indicators.shape[1] > 0)}
    centre = float(np.mean(y)) if n else np.nan
    drivers = []
    for j, name in enumerate(names):
        low, high = (quantiles or {}).get(name) or tuple(np.percentile(lever[:, j], [10, 90]))
        slope = coef[1 + j]
        mean_input = float(lever[:, j].mean())
        at_low, at_high = centre + slope * (low - mean_input), centre + slope * (high - mean_input)
        drivers.append({"scenario": scenario, "driver": name, "kind": "lever effect", "low_input": low,
                        "high_input": high, "net_saving_at_low": at_low, "net_saving_at_high": at_high,
                        "swing": abs(at_high - at_low)})
    if len(labels) > 1:
        effects = [centre + float(np.mean(cal_part[[s == k for s in sets]])) for k in labels if k in sets]
        drivers.append({"scenario": scenario, "driver": "calibrated parameter set", "kind": "calibration",
                        "low_input": np.nan, "high_input": np.nan, "net_saving_at_low": min(effects),
                        "net_saving_at_high": max(effects), "swing": max(effects) - min(effects)})
    if n:
        low, high = np.percentile(residual, [10, 90])
        drivers.append({"scenario": scenario, "driver": "chance (P10-P90 of the rest)", "kind": "chance",
                        "low_input": np.nan, "high_input": np.nan, "net_saving_at_low": centre + low,
                        "net_saving_at_high": centre + high, "swing": high - low})
    drivers.sort(key=lambda row: -row["swing"])
    for found in drivers:
        found["net_saving_mean"] = centre
    return row, drivers


def split_frames(per_rep: pd.DataFrame, manifests: dict[str, dict], quantiles: dict | None = None):
    """(split frame, drivers frame) for every scenario in ``per_rep`` with a manifest."""
    rows, drivers = [], []
    for name, group in per_rep.groupby("scenario", sort=False):
        manifest = manifests.get(name)
        if manifest is None:
            continue
        last = group[group["financial_year"] == group["financial_year"].iloc[-1]].sort_values("replication")
        reps = last["replication"].astype(int).tolist()
        sets = [manifest.get("parameter_set_per_replication", [None] * (max(reps) + 1))[r] for r in reps]
        draws_all = manifest.get("lever_draws_per_replication") or [None] * (max(reps) + 1)
        draws = [draws_all[r] for r in reps]
        row, found = split(name, last["cumulative_net_saving_gbp"].to_numpy(), sets, draws,
                           (quantiles or {}).get(name))
        rows.append(row)
        drivers += found
    return (pd.DataFrame(rows, columns=list(SPLIT_COLUMNS)), pd.DataFrame(drivers, columns=list(DRIVER_COLUMNS)))


__all__ = ["DRIVER_COLUMNS", "SPLIT_COLUMNS", "split", "split_frames"]

"""After a fit: the plausible parameter sets, and the fitted values written back into the scenario.

Plausible sets (approximate Bayesian computation by rejection)
--------------------------------------------------------------
One fitted point hides how sure the fit is. The targets tell some parameters apart sharply (the
ICPC ratio moves ICPCs and nothing else) and others hardly at all. So:

1. **Where to look**: around the fitted point, a box of ``width`` Laplace standard deviations a
   side (``fitting.laplace_sd``: the curvature of the distance at the fit), clipped to each
   parameter's plausible range. Outside it, a set is so far from the data that it is practically
   never accepted, so searching there would only waste simulations.
2. **Candidates**: a Latin hypercube sample of the box (scipy ``qmc.LatinHypercube``, seeded from
   the calibration seed, so the search is reproducible). With the uniform prior that the ranges
   express, a uniform sample of the box is a sample of the prior restricted to the box.
3. **Acceptance**: simulated with the same replications as the fit (common random numbers), a
   candidate is *plausible* when it lies inside the fit's 95% likelihood-ratio region: reading
   each standardised gap as a normal error of one tolerance (the same reading as the Laplace
   deviations), its sum of squared gaps exceeds the fitted point's by at most the 95th
   percentile of chi-square with as many degrees of freedom as fitted parameters (Wilks), after
   dividing by the number of published years that share one simulated figure (four years
   compared with one simulated year are not four independent pieces of evidence). The fit's own
   criterion (how far targets fall outside tolerance) chooses the point; it is no likelihood, as
   every set inside all tolerances would score alike, so it does not judge plausibility. This is
   rejection ABC (Pritchard et al. 1999; Beaumont et al. 2002), so the kept sets are draws from
   the prior restricted to the parameters the data do not rule out. The fitted point itself is
   candidate 0 and is always kept.

Write-back
----------
``write_back`` edits the scenario file in place with ``tomlkit`` (comments and layout kept): each
fitted parameter gets its fitted value, keeps its range, and its provenance becomes a ``source``
naming the calibration, with the prior assumption kept in the text. It also adds (or updates) the
``[parameter_uncertainty]`` section that names the sets file.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.calibration import calibrate, fitting

#: Confidence level of the likelihood-ratio region a plausible set must lie in.
from simulation.scenario import parameter_sets

LEVEL = 0.95


# ----------------------------------------------------------------------------- plausible sets
def search_box(fit: fitting.Fit, width: float = 3.0) -> dict[str, tuple[float, float]]:
    """``best +- width * Laplace sd`` for each parameter, clipped to its range."""
    box = {}
    for name, value in fit.best.items():
        low, high = fit.ranges[name]
        sd = fit.laplace_sd.get(name, np.inf)
        half = width * sd if np.isfinite(sd) else high - low
        box[name] = (max(low, value - half), min(high, value + half))
    return box


def candidates(box: dict[str, tuple[float, float]], count: int, seed: int) -> pd.DataFrame:
    """``count`` Latin hypercube points of ``box`` (reproducible from ``seed``)."""
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(box), rng=np.random.default_rng(seed)).random(count)
    lows = np.array([span[0] for span in box.values()])
    highs = np.array([span[1] for span in box.values()])
    return pd.DataFrame(lows + unit * (highs - lows), columns=list(box))


def plausible_sets(scenario_path: Path, targets: pd.DataFrame, fit: fitting.Fit, *,
                   count: int, replications: int, seed: int,
                   model_years: tuple[int, ...] = calibrate.COMPARED_YEARS,
                   workers: int = 1, executor=None, width: float = 3.0, level: float = LEVEL,
                   start_date=None, progress=None) -> pd.DataFrame:
    """Every candidate (the fitted point first) with its distance, hit rate, likelihood-ratio
    excess and whether it was accepted as plausible."""
    from scipy.stats import chi2

    frame = pd.concat([pd.DataFrame([fit.best]),
                       candidates(search_box(fit, width), count, seed)], ignore_index=True)
    scores = []
    for row in frame.to_dict("records"):
        evaluation = calibrate.evaluate(
            calibrate.with_values(scenario_path, row, start_date=start_date), targets,
            replications=replications, seed=seed, model_years=model_years, workers=workers,
            executor=executor,
            progress=progress)
        loss = calibrate.fit_loss(evaluation.table)
        scores.append((evaluation.distance, loss, evaluation.hit_rate))
    frame["distance"] = [d for d, _, _ in scores]
    frame["robust_loss"] = [r for _, r, _ in scores]
    frame["hit_rate"] = [h for _, _, h in scores]
    # Sum of squared gaps above the fitted point's, in independent pieces of evidence.
    frame["lr_excess"] = ((frame["distance"] - frame["distance"].iloc[0]) * fit.counted
                          / max(fit.years_per_measure, 1.0))
    frame["accepted"] = frame["lr_excess"] <= chi2.ppf(level, len(fit.best))
    return frame


# ----------------------------------------------------------------------------- write-back
def rounded(scenario_path: Path, values: dict[str, float]) -> dict[str, float]:
    """Fitted values as they will be written: counts whole, table entries to 4 decimals, other
    numbers to 4 significant figures (more would be false precision for a fit with simulation
    noise)."""
    data = calibrate._resolved_for_fit(scenario_path)
    out = {}
    for name, value in values.items():
        node, key = parameter_sets._locate(data, name)
        if key is not None:  # a table entry: 4 decimals, as the table is written
            out[name] = round(float(value), 4)
        elif isinstance(node["value"], int):
            out[name] = float(round(value))
        else:
            out[name] = float(f"{value:.4g}")
    return out


def _prior_text(table) -> str:
    """The provenance before this calibration (a previous calibration's 'Prior:' part if any)."""
    text = str(table.get("assumption") or table.get("source") or "")
    return text.split("Prior: ", 1)[1] if text.startswith("calibration:") and "Prior: " in text else text


def write_back(scenario_path: Path, values: dict[str, float], *, sets_file: Path | None,
               note: str, today: dt.date | None = None) -> None:
    """Write fitted ``values`` (and the sets file's name) into ``scenario_path`` in place.

    Only parameters defined in that file itself can be written (a value inherited through
    ``extends`` belongs to the base file). Table entries rescale the table's other entries as in
    the fit, rounded to 4 decimals with the rounding put on the largest other entry, so it sums
    to 1 and the fitted entry is exactly the sets file's point.
    """
    import tomlkit

    path = Path(scenario_path)
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    when = (today or dt.date.today()).isoformat()
    plain = document.unwrap()  # kept in step with the document: two entries of one table build up
    original = document.unwrap()  # for the "Before:" of each value
    befores: dict[str, list[str]] = {}  # by table: every fitted entry's value before the fit
    for name, value in rounded(path, values).items():
        try:
            node, key = parameter_sets._locate(plain, name)
        except KeyError:
            raise ValueError(f"{path.name}: {name} is not defined in this file; fit it where it "
                             "is defined") from None
        table = document
        for part in name.split(".")[: len(name.split(".")) - (key is not None)]:
            table = table[part]
        before = parameter_sets.get_value(original, name)
        if key is None:
            table["value"] = int(value) if isinstance(node["value"], int) else value
        else:
            scratch = {"value": dict(node["value"])}
            parameter_sets.set_value({"x": scratch}, f"x.{key}", value)
            entries = {k: round(v, 4) for k, v in scratch["value"].items()}
            if abs(sum(node["value"].values()) - 1.0) < 1e-6:  # keep a probability table at 1
                # The rounding goes on the largest of the *other* entries: the fitted entry must
                # stay the value the sets file records as the point (``check_point``).
                others = [entry for entry in entries if entry != key] or [key]
                largest = max(others, key=entries.get)
                entries[largest] = round(entries[largest] + 1.0 - sum(entries.values()), 4)
            for entry, number in entries.items():
                table["value"][entry] = number
            node["value"] = entries
        prior = _prior_text(node)
        # A table with several fitted entries lists each one's value before (one source each).
        shown_so_far = befores.setdefault(name.rsplit(".", 1)[0] if key else name, [])
        shown_so_far.append(f"{key} = {before:g}" if key else f"{before:g}")
        shown = ", ".join(shown_so_far)
        if "assumption" in table:
            del table["assumption"]
        table["source"] = (f"calibration: fitted by `cssim calibrate --fit` on {when} within the "
                           f"range ({note}; calibration/report.md). Before: {shown}. Prior: {prior}")
    if sets_file is not None:
        relative = os.path.relpath(Path(sets_file).resolve(), path.parent.resolve())
        if "parameter_uncertainty" not in document:
            section = tomlkit.table()
            section.add(tomlkit.comment(
                "Replication r of a run uses one plausible parameter set of the calibration, drawn "
                "from (seed, r): projections carry parameter uncertainty as well as chance. "
                "See simulation/scenario/parameter_sets.py; enabled = false runs the calibrated point."))
            document.add(tomlkit.nl())
            document["parameter_uncertainty"] = section
        document["parameter_uncertainty"]["enabled"] = True
        document["parameter_uncertainty"]["sets_file"] = relative
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


__all__ = ["LEVEL", "candidates", "plausible_sets", "rounded", "search_box", "write_back"]

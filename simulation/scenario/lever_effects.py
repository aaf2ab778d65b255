"""Lever uncertainty: each lever's effect drawn per replication from its stated range.

Owns the ``[lever_uncertainty]`` section and the draws. A scenario's lever effects are assumptions
with a ``range`` (or a source with one); a projection that holds them at their central value
covers chance and calibration only, not the largest doubt: whether the lever works as assumed.

Rules
-----
- Which parameters are lever effects, and when (only while the lever is pulled, so the baseline
  never changes): the fee uplift's recruitment and retention elasticities (``fee_uplift_pct`` > 0);
  the support lever's deregistration reduction (> 0); the step-down programme's readiness and
  breakdown back (``step_down_ready_prob`` > 0); the retention lever's leaving-rate multiplier
  (not 1); the faster-recruitment lever's success chance (a cost > 0); and every multiplier of an
  intervention item (``interventions.items.<item>.levers.<target>``).
- Distribution: **triangular** on ``[low, value, high]`` (the range's ends, the stated value as
  the mode), by inverse CDF from one uniform. Its mean is (low + value + high) / 3, so a skewed
  range moves the average effect: that is what the range says.
- The uniform of parameter ``name`` in replication r is the first draw of the named stream
  ``lever.effect`` for (seed, r, crc32(name)): it depends on (seed, replication, name) only, so
  two scenarios compared with the same seed draw the same effect for a lever they share (common
  random numbers), adding a lever never moves another's draw, and results do not depend on the
  number of workers.
- ``runs.replication.compute_replication`` applies the draws after the calibrated parameter set
  and records them (the run manifest's ``lever_draws_per_replication``).
"""

from __future__ import annotations

import math
import zlib

from pydantic import BaseModel, ConfigDict

from simulation.records.streams import Streams

STREAM = "lever.effect"
DISTRIBUTION = "triangular"


class LeverUncertainty(BaseModel):
    """``[lever_uncertainty]``: ``enabled`` draws each pulled lever's effect per replication."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    enabled: bool = True


def _scalar(data: dict, path: tuple[str, ...]):
    node = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    return node if isinstance(node, dict) and isinstance(node.get("value"), (int, float)) else None


def effect_parameters(data: dict) -> list[tuple[str, tuple[str, ...]]]:
    """(name, path) of the lever effects the scenario (resolved data) pulls, in a fixed order."""
    value = lambda *path: (_scalar(data, path) or {}).get("value", 0.0)  # noqa: E731
    found = []
    if value("fostering", "fee_uplift_pct") > 0:
        found += [("fostering", "recruitment_payment_elasticity"), ("fostering", "retention_payment_elasticity")]
    if value("fostering", "support_deregistration_reduction_pct") > 0:
        found.append(("fostering", "support_deregistration_reduction_pct"))
    if value("placement_market", "step_down_ready_prob") > 0:
        found += [("placement_market", "step_down_ready_prob"), ("placement_market", "step_down_breakdown_prob")]
    if value("workforce_levers", "retention", "leaving_rate_multiplier") not in (0.0, 1.0):
        found.append(("workforce_levers", "retention", "leaving_rate_multiplier"))
    if value("workforce_levers", "faster_recruitment", "cost_gbp_per_year") > 0:
        found.append(("workforce_levers", "faster_recruitment", "success_prob"))
    for item, body in sorted(((data.get("interventions") or {}).get("items") or {}).items()):
        for target in sorted((body.get("levers") or {})):
            found.append(("interventions", "items", item, "levers", target))
    return [(".".join(path), path) for path in found if _has_range(_scalar(data, path))]


def _has_range(node) -> bool:
    span = node.get("range") if node else None
    return bool(span) and float(span[1]) > float(span[0])


def triangular_ppf(u: float, low: float, mode: float, high: float) -> float:
    """Inverse CDF of the triangular distribution on [low, high] with the given mode."""
    if high <= low:
        return mode
    cut = (mode - low) / (high - low)
    if u < cut:
        return low + math.sqrt(u * (high - low) * (mode - low))
    return high - math.sqrt((1 - u) * (high - low) * (high - mode))


def uniform(seed: int, replication: int, name: str) -> float:
    """The uniform behind parameter ``name``'s draw in replication ``replication``."""
    key = zlib.crc32(name.encode())
    return float(Streams(seed, replication).child_generator(STREAM, key, 0).random())


def for_replication(scenario, seed: int, replication: int):
    """``(scenario with replication r's lever effects, {name: value})``; ``(scenario, None)``
    without ``[lever_uncertainty]``, when it is off, or when no lever is pulled."""
    section = getattr(scenario, "lever_uncertainty", None)
    if section is None or not section.enabled:
        return scenario, None
    data = scenario.model_dump(mode="json")
    effects = effect_parameters(data)
    if not effects:
        return scenario, None
    draws = {}
    for name, path in effects:
        node = _scalar(data, path)
        low, high = (float(end) for end in node["range"])
        drawn = triangular_ppf(uniform(seed, replication, name), low, float(node["value"]), high)
        node["value"] = drawn
        draws[name] = drawn
    return type(scenario).model_validate(data), draws


def quantiles(scenario, name: str, probabilities=(0.1, 0.9)) -> tuple[float, ...]:
    """The triangular's quantiles of lever effect ``name`` in ``scenario`` (for driver charts)."""
    data = scenario.model_dump(mode="json")
    node = _scalar(data, tuple(dict(effect_parameters(data))[name]))
    low, high = (float(end) for end in node["range"])
    return tuple(triangular_ppf(p, low, float(node["value"]), high) for p in probabilities)


__all__ = ["DISTRIBUTION", "LeverUncertainty", "STREAM", "effect_parameters", "for_replication",
           "quantiles", "triangular_ppf", "uniform"]

"""One replication, wherever it runs: the model, its KPIs, and the text of its files.

``compute_replication`` runs in this process, a pool worker or a Dask worker and writes nothing:
it returns the replication's CSV text and timing record, which ``write_replication`` writes
atomically (the record last: it marks the replication complete). Other processes receive the
scenario packed as its resolved JSON (``pack_scenario``): parametrised pydantic generics do not
pickle. The model and KPI functions are looked up at call time, so tests can replace them.
"""

from __future__ import annotations

import importlib
import json
import resource
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Callable

import pandas as pd

from simulation.records.csv_text import csv_text
from simulation.runs import resume
from simulation.runs.runfolder import RUN_CONFIG_FILE, code_version, json_text, rep_paths, write_atomic
from simulation.scenario import lever_effects, parameter_sets


# --- the model interface, imported lazily so this module loads before the model exists and so
# tests can replace these names with fakes (monkeypatch simulation.runs.replication.<name>).
def run_replication(scenario, seed: int, replication: int, years: float):
    """Run one replication of the model (``simulation.engine.model.run_replication``)."""
    from simulation.engine.model import run_replication as model_run_replication
    return model_run_replication(scenario, seed, replication, years)


def replication_kpis(result, scenario, years: float):
    """Monthly and annual KPI frames of one replication (``simulation.kpis.metrics``)."""
    from simulation.kpis.metrics import replication_kpis as metrics_replication_kpis
    return metrics_replication_kpis(result, scenario, years)


def scenario_hash(scenario) -> str:
    """Hex digest of the resolved scenario (``simulation.scenario.loading.scenario_hash``)."""
    from simulation.scenario.loading import scenario_hash as resolved_hash
    return resolved_hash(scenario)


def replicate_with_model(scenario, seed: int, replication: int, years: float):
    """Run the model and derive KPIs: returns ``(monthly, annual, info)``.

    ``info`` holds ``event_count`` and ``model_wall_seconds``. This is the default ``replicate``
    of ``run_experiment``; it looks the model functions up at call time (see above).
    """
    result = run_replication(scenario, seed, replication, years)
    monthly, annual = replication_kpis(result, scenario, years)
    # Plain Python numbers: json cannot write numpy integers.
    event_count, wall_seconds = (getattr(result, name, None) for name in ("event_count",
                                                                          "wall_seconds"))
    info = {"event_count": None if event_count is None else int(event_count),
            "model_wall_seconds": None if wall_seconds is None else float(wall_seconds)}
    return monthly, annual, info


# --- files --------------------------------------------------------------------------------------
def _tidy_kpis(frame: pd.DataFrame, period_col: str, scenario_name: str, replication: int):
    wanted = [period_col, "kpi", "value"]
    missing = [col for col in wanted if col not in frame.columns]
    if missing:
        raise ValueError(f"replication_kpis returned a frame without columns {missing}; "
                         f"it has {list(frame.columns)}")
    tidy = frame[wanted].copy()
    if pd.api.types.is_datetime64_any_dtype(tidy[period_col]):
        tidy[period_col] = tidy[period_col].dt.strftime("%Y-%m-%d")
    tidy[period_col] = tidy[period_col].astype(str)
    tidy["kpi"] = tidy["kpi"].astype(str)
    tidy["value"] = tidy["value"].astype(float)
    repeated = tidy[tidy.duplicated([period_col, "kpi"], keep=False)]
    if len(repeated):  # a second row would count as an extra replication in the summary
        first = repeated.iloc[0]
        raise ValueError(f"replication_kpis returned {len(repeated)} rows sharing a period and "
                         f"KPI, e.g. {first['kpi']} at {first[period_col]}")
    tidy.insert(0, "replication", replication)
    tidy.insert(0, "scenario", scenario_name)
    # A fixed row order inside each file keeps the combined files independent of metrics' order.
    return tidy.sort_values([period_col, "kpi"], kind="mergesort").reset_index(drop=True)


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far, in MB (``ru_maxrss``: KB on Linux, bytes on
    macOS). In a worker it is the worker's peak: the figure that must fit the machine."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def compute_replication(scenario, seed: int, replication: int, years: float,
                        replicate: Callable = replicate_with_model) -> dict:
    """Run replication ``replication`` and return its files' text and timing record.

    Runs wherever the executor puts it (this process, a pool worker, a Dask worker) and writes
    nothing: ``{"monthly": csv text, "annual": csv text, "record": dict}``. A scenario with
    parameter uncertainty runs with the parameter set drawn for (seed, replication); the record
    says which (``parameter_set``; None without parameter uncertainty), and the lever effects
    drawn for it (``lever_draws``; None without lever uncertainty or levers).
    """
    started = time.perf_counter()
    scenario, parameter_set = parameter_sets.for_replication(scenario, seed, replication)
    scenario, lever_draws = lever_effects.for_replication(scenario, seed, replication)
    monthly, annual, info = replicate(scenario, seed, replication, years)
    # ``csv_text``: to_csv's text (no float format: pandas' default float text), byte for byte,
    # in about a third of the time (it runs in the workers, for every replication).
    texts = {name: csv_text(_tidy_kpis(frame, period_col, scenario.name, replication), None)
             for name, frame, period_col in (("monthly", monthly, "month_end"),
                                             ("annual", annual, "financial_year"))}
    record = {"replication": replication, "wall_seconds": time.perf_counter() - started,
              "peak_memory_mb": round(peak_memory_mb(), 1), "parameter_set": parameter_set,
              "lever_draws": lever_draws, **info}
    return {**texts, "record": record}


def write_replication(reps_dir: Path, replication: int, result: dict, config: dict | None = None,
                      maker: dict | None = None) -> dict:
    """Write one replication's files atomically, the record last (it marks it complete).

    The record is sealed (``simulation.runs.resume.seal``) with the checksums of the two CSV
    files, the run's arguments ``config`` (default: the folder's ``run_config.json``) and the code
    that computed it ``maker`` (default: this process's), so a resumed run can prove it may reuse
    them.
    """
    reps_dir = Path(reps_dir)
    paths = rep_paths(reps_dir, replication)
    if config is None:
        config_path = reps_dir / RUN_CONFIG_FILE
        config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.is_file() else {}
    maker = resume.made_by(code_version()) if maker is None else maker
    record = resume.seal(result["record"], result, config, maker)
    write_atomic(paths["monthly"], result["monthly"])
    write_atomic(paths["annual"], result["annual"])
    write_atomic(paths["record"], json_text(record))
    return record


def run_one_replication(scenario, seed: int, replication: int, years: float, reps_dir: Path,
                        replicate: Callable = replicate_with_model) -> dict:
    """Run replication ``replication`` and write its files; returns its timing record."""
    return write_replication(reps_dir, replication,
                             compute_replication(scenario, seed, replication, years, replicate))


def pack_scenario(scenario) -> tuple[str, str, str]:
    """The scenario as (module, class name, resolved JSON) for worker processes.

    Workers rebuild it from its resolved JSON rather than unpickling it: parametrised pydantic
    generics do not pickle. Key order is kept (no sort_keys) and checked, because a model that
    draws categories in table order gives different numbers for a reordered table even though
    pydantic's ``==`` calls the two scenarios equal.
    """
    kind = type(scenario)
    resolved = json.dumps(scenario.model_dump(mode="json"))
    packed = (kind.__module__, kind.__qualname__, resolved)
    if json.dumps(unpack_scenario(packed).model_dump(mode="json")) != resolved:
        raise ValueError(f"scenario {scenario.name!r} does not survive model_dump/model_validate "
                         "unchanged, so it cannot be sent to worker processes; use workers=1")
    return packed


@lru_cache(maxsize=4)
def unpack_scenario(packed: tuple[str, str, str]):
    module, qualname, resolved = packed
    kind = importlib.import_module(module)
    for part in qualname.split("."):
        kind = getattr(kind, part)
    return kind.model_validate(json.loads(resolved))


def compute_packed(packed, seed, replication, years, replicate) -> dict:
    return compute_replication(unpack_scenario(packed), seed, replication, years, replicate)


__all__ = ["compute_packed", "compute_replication", "pack_scenario", "peak_memory_mb",
           "replicate_with_model", "replication_kpis", "run_one_replication", "run_replication",
           "scenario_hash", "unpack_scenario", "write_replication"]

"""Benchmark of cssim on the machine it runs on, reported beside a bare simpy reference network.

Run ``python benchmarks/bench_model.py`` (``make bench``), or add ``--quick`` for a short check.
It measures, in one run:

1. One replication of the baseline (5 years): wall and CPU seconds for the model and for the
   KPIs, model events, events per second and microseconds per event; medians over ``--repeats``
   replications in a fresh worker process, whose peak memory is reported.
2. The same for the bare simpy reference network (``reference_network.py``, 10 years), so that
   the model's figures can be read as ratios that survive a busy or slow machine.
3. Throughput: one scenario, ``--replications`` replications of 5 years, through the real runner
   (``run_experiment``: files, summary and all) with 1 and with 2 workers, giving replications
   per second and the scaling efficiency from 1 to 2 workers; and the same for the reference
   network on the same local process pool. Peak memory per worker comes from the manifest.
4. Cost curve: one replication of a Southend, a 4x and a 16x authority (``simulation.scenario.scale``:
   referrals, stocks, staff and foster places scaled together), each in a fresh worker, with
   its wall time, events and peak memory; and the baseline over 2.5, 5 and 10 years.

Results go to ``outputs/benchmarks/bench-<time>.md`` and ``.json`` (and ``latest.md``), and
the Markdown is printed. Wall time is what a user waits for; CPU time is shown beside it because
on a shared machine other work inflates wall time but hardly CPU time: read both.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
# The code beside this script first: the virtualenv's editable install points at one checkout,
# so a benchmark run from another worktree would otherwise measure that checkout's code (spawned
# workers inherit this path).
sys.path.insert(0, str(REPO))
BASELINE = REPO / "scenarios" / "baseline.toml"

#: The issue's targets (on a 2-core machine): name -> (limit, unit).
TARGETS = {
    "replication_wall_seconds": (0.5, "s per 5-year baseline replication (model + KPIs)"),
    "thirty_replications_two_workers_seconds": (10.0, "s for 30 replications, 2 workers"),
    "standard_comparison_minutes": (3.0, "min for the standard comparison, 2 workers"),
    "peak_memory_mb_per_worker": (300.0, "MB peak memory per worker"),
}


# --------------------------------------------------------------------------- in worker processes
def _peak_mb() -> float:
    """Peak resident memory of this process in MB (as ``simulation.runs.runner.peak_memory_mb``,
    without importing the model, so the reference network's figure is its own)."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def measure_model(factor: float, years: float, repeats: int, seed: int) -> dict:
    """In a fresh process: ``repeats`` replications of the baseline scaled by ``factor``."""
    from simulation.engine.model import run_replication
    from simulation.kpis.metrics import replication_kpis
    from simulation.scenario.loading import load_scenario
    from simulation.scenario.scale import scale_scenario

    scenario = load_scenario(BASELINE)
    if factor != 1:
        scenario = scale_scenario(scenario, factor)
    after_imports_mb = _peak_mb()
    rows = []
    for replication in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run_replication(scenario, seed, replication, years)
        model_wall, model_cpu = time.perf_counter() - wall, time.process_time() - cpu
        replication_kpis(result, scenario, years)
        rows.append({"model_wall": model_wall, "model_cpu": model_cpu,
                     "total_wall": time.perf_counter() - wall,
                     "total_cpu": time.process_time() - cpu,
                     "events": result.event_count, "records": len(result.events)})
    return {"rows": rows, "peak_memory_mb": _peak_mb(), "after_imports_mb": after_imports_mb}


def measure_reference(years: float, repeats: int, seed: int) -> dict:
    """In a fresh process: ``repeats`` replications of the reference network."""
    from reference_network import run_reference

    after_imports_mb = _peak_mb()
    rows = [run_reference(seed, replication, years) for replication in range(repeats)]
    return {"rows": rows, "peak_memory_mb": _peak_mb(), "after_imports_mb": after_imports_mb}


def reference_task(seed: int, replication: int, years: float) -> dict:
    from reference_network import run_reference
    return {**run_reference(seed, replication, years), "peak_memory_mb": _peak_mb()}


def _fresh(function, *args):
    """Run ``function(*args)`` in a new spawned process, so its peak memory is its own."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


# --------------------------------------------------------------------------- measurements
def write_results(folder: Path, kind: str, results: dict, text: str) -> Path:
    """Write ``results`` as ``folder/<kind>-<time>.json`` and ``text`` beside it as ``.md``."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"{kind}-{datetime.now():%Y%m%d-%H%M%S}"
    stem.with_suffix(".json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    stem.with_suffix(".md").write_text(text)
    return stem


def _median(rows, key):
    return statistics.median(row[key] for row in rows)


def single_replications(repeats: int, reference_years: float, seed: int) -> dict:
    model = _fresh(measure_model, 1.0, 5.0, repeats, seed)
    reference = _fresh(measure_reference, reference_years, repeats, seed)
    rows, ref_rows = model["rows"], reference["rows"]
    out = {
        "model": {
            "replications": repeats, "years": 5.0,
            "total_wall_seconds": _median(rows, "total_wall"),
            "total_cpu_seconds": _median(rows, "total_cpu"),
            "model_wall_seconds": _median(rows, "model_wall"),
            "model_cpu_seconds": _median(rows, "model_cpu"),
            "events": _median(rows, "events"), "log_records": _median(rows, "records"),
            "peak_memory_mb": model["peak_memory_mb"],
            "after_imports_mb": model["after_imports_mb"],
        },
        "reference": {
            "replications": repeats, "years": reference_years,
            "wall_seconds": _median(ref_rows, "wall_seconds"),
            "cpu_seconds": _median(ref_rows, "cpu_seconds"),
            "events": _median(ref_rows, "events"),
            "peak_memory_mb": reference["peak_memory_mb"],
        },
    }
    for part, wall_key, cpu_key in (("model", "model_wall_seconds", "model_cpu_seconds"),
                                    ("reference", "wall_seconds", "cpu_seconds")):
        figures = out[part]
        figures["events_per_second"] = figures["events"] / figures[wall_key]
        figures["us_per_event_wall"] = 1e6 * figures[wall_key] / figures["events"]
        figures["us_per_event_cpu"] = 1e6 * figures[cpu_key] / figures["events"]
    return out


def throughput(replications: int, reference_replications: int, reference_years: float,
               seed: int) -> dict:
    from simulation.runs.executors import open_executor
    from simulation.runs.runner import run_experiment
    from simulation.scenario.loading import load_scenario

    scenario = load_scenario(BASELINE)
    found = {"model": {}, "reference": {}}
    with tempfile.TemporaryDirectory(prefix="cssim-bench-") as scratch:
        for workers in (1, 2):
            summary = run_experiment(scenario, replications=replications, seed=seed, years=5.0,
                                     workers=workers, out_dir=Path(scratch) / f"w{workers}",
                                     progress=False)
            manifest = json.loads((summary.out_dir / "manifest.json").read_text())
            peaks = manifest["timing"]["peak_memory_mb_per_replication"]
            found["model"][workers] = {
                "seconds": summary.total_wall_seconds,
                "replications_per_second": replications / summary.total_wall_seconds,
                "peak_memory_mb_per_worker": max(peaks)}
    for workers in (1, 2):
        tasks = {r: (seed, r, reference_years) for r in range(reference_replications)}
        started = time.perf_counter()
        with open_executor(workers) as executor:
            results = [outcome.value for outcome in executor.run(reference_task, tasks)]
        seconds = time.perf_counter() - started
        found["reference"][workers] = {
            "seconds": seconds, "replications_per_second": reference_replications / seconds,
            "peak_memory_mb_per_worker": max(row["peak_memory_mb"] for row in results)}
    for part in found.values():
        part["efficiency_1_to_2"] = (part[2]["replications_per_second"]
                                     / part[1]["replications_per_second"] / 2)
    found["model"]["replications"] = replications
    found["reference"]["replications"] = reference_replications
    return found


def command_run(replications: int, workers: int, repeats: int, seed: int) -> dict:
    """Time the real command, ``cssim run`` of the baseline for 5 years, as a user waits for it.

    A fresh process each time (``python -m simulation run``), so the wall time counts what the
    in-process throughput figures leave out: the interpreter and imports of the command, the
    workers' start-up (forked on Linux, spawned elsewhere), the combined files, the charts (drawn
    on the workers) and the move of the folder.
    Median of ``repeats`` runs.
    """
    walls = []
    with tempfile.TemporaryDirectory(prefix="cssim-bench-") as scratch:
        for repeat in range(repeats):
            command = [sys.executable, "-m", "simulation", "run", str(BASELINE), "--years", "5",
                       "--replications", str(replications), "--seed", str(seed),
                       "--workers", str(workers), "--no-progress",
                       "--out", str(Path(scratch) / f"run{repeat}")]
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, cwd=REPO)
            walls.append(time.perf_counter() - started)
    return {"replications": replications, "workers": workers, "repeats": repeats,
            "wall_seconds": statistics.median(walls), "walls": walls}


def standard_comparison(replications: int, seed: int, workers: int = 2) -> dict:
    """Time the real ``cssim compare`` of the standard scenarios (tables and report pack included).

    Measured rather than projected: the projection from a short run's rate counts the pool's
    start-up against every replication, while ``compare`` starts one pool for all scenarios.
    """
    from simulation.runs.comparison import compare
    from simulation.scenario.loading import load_scenario

    scenarios = [load_scenario(REPO / "scenarios" / f"{name}.toml") for name in standard_scenarios()]
    with tempfile.TemporaryDirectory(prefix="cssim-bench-") as scratch:
        started = time.perf_counter()
        compare(scenarios, replications=replications, seed=seed, years=5.0, workers=workers,
                out_dir=Path(scratch) / "compare", progress=False, pack=True)
        seconds = time.perf_counter() - started
        # Every scenario's manifest times it from the command's start: the last one to finish
        # marks the end of the replications.
        manifests = [json.loads((Path(scratch) / "compare" / s.name / "manifest.json").read_text())
                     for s in scenarios]
    replications_seconds = max(m["timing"]["total_wall_seconds"] for m in manifests)
    return {"scenarios": len(scenarios), "replications": replications, "workers": workers,
            "seconds": seconds, "replications_seconds": replications_seconds}


def cost_curve(factors, year_spans, seed: int) -> dict:
    sizes = []
    for factor in factors:
        measured = _fresh(measure_model, float(factor), 5.0, 1, seed)
        row = measured["rows"][0]
        sizes.append({"factor": factor, "wall_seconds": row["total_wall"],
                      "cpu_seconds": row["total_cpu"], "events": row["events"],
                      "us_per_event_cpu": 1e6 * row["model_cpu"] / row["events"],
                      "peak_memory_mb": measured["peak_memory_mb"]})
    spans = []
    for years in year_spans:
        measured = _fresh(measure_model, 1.0, float(years), 1, seed)
        row = measured["rows"][0]
        spans.append({"years": years, "wall_seconds": row["total_wall"],
                      "cpu_seconds": row["total_cpu"], "events": row["events"],
                      "peak_memory_mb": measured["peak_memory_mb"]})
    return {"sizes": sizes, "years": spans}


# --------------------------------------------------------------------------- report
def standard_scenarios() -> list[str]:
    """The scenarios ``make run`` compares (not every file in scenarios/: some are test variants)."""
    from simulation.runs.comparison import STANDARD_SCENARIOS
    return list(STANDARD_SCENARIOS)


def verdicts(results: dict) -> dict:
    single, flow = results["single"], results["throughput"]
    two = flow["model"][2]
    per_replication = 1 / two["replications_per_second"]
    scenarios = len(results["standard_scenarios"]) or 1
    comparison = results.get("standard_comparison")
    measured = {
        "replication_wall_seconds": single["model"]["total_wall_seconds"],
        # The real command's wall when it was timed (start-up and charts included), else the
        # in-process rate scaled to 30 replications.
        "thirty_replications_two_workers_seconds": (
            results["command_run"]["wall_seconds"] if results.get("command_run")
            else 30 * per_replication),
        "standard_comparison_minutes": (comparison["seconds"] / 60 if comparison else
                                        scenarios * 100 * per_replication / 60),
        "peak_memory_mb_per_worker": max(two["peak_memory_mb_per_worker"],
                                         single["model"]["peak_memory_mb"]),
    }
    return {name: {"measured": value, "limit": TARGETS[name][0],
                   "met": bool(value < TARGETS[name][0])} for name, value in measured.items()}


def markdown(results: dict) -> str:
    single, flow, curve = results["single"], results["throughput"], results["cost_curve"]
    model, ref = single["model"], single["reference"]
    lines = [f"# cssim benchmark, {results['when']}", "",
             f"Machine: {results['machine']['cpus']} CPUs, Python "
             f"{results['machine']['python']}, load average before the run "
             f"{results['machine']['load_before']}. Mode: {results['mode']}.", "",
             "## One replication (medians)", "",
             "| | model (baseline, 5 years) | bare simpy reference (10 years) | ratio |",
             "|---|---|---|---|",
             f"| wall s per replication | {model['total_wall_seconds']:.3f} (model "
             f"{model['model_wall_seconds']:.3f} + KPIs) | {ref['wall_seconds']:.3f} | "
             f"{model['total_wall_seconds'] / ref['wall_seconds']:.2f} |",
             f"| CPU s per replication | {model['total_cpu_seconds']:.3f} (model "
             f"{model['model_cpu_seconds']:.3f}) | {ref['cpu_seconds']:.3f} | "
             f"{model['total_cpu_seconds'] / ref['cpu_seconds']:.2f} |",
             f"| simpy events | {model['events']:,.0f} | {ref['events']:,.0f} | "
             f"{model['events'] / ref['events']:.2f} |",
             f"| events per second (wall) | {model['events_per_second']:,.0f} | "
             f"{ref['events_per_second']:,.0f} | "
             f"{model['events_per_second'] / ref['events_per_second']:.2f} |",
             f"| microseconds per event (wall) | {model['us_per_event_wall']:.2f} | "
             f"{ref['us_per_event_wall']:.2f} | "
             f"{model['us_per_event_wall'] / ref['us_per_event_wall']:.2f} |",
             f"| microseconds per event (CPU) | {model['us_per_event_cpu']:.2f} | "
             f"{ref['us_per_event_cpu']:.2f} | "
             f"{model['us_per_event_cpu'] / ref['us_per_event_cpu']:.2f} |",
             f"| peak memory of the worker, MB | {model['peak_memory_mb']:.0f} (after imports "
             f"{model['after_imports_mb']:.0f}) | {ref['peak_memory_mb']:.0f} | |",
             "", f"Model event log: {model['log_records']:,.0f} records a replication.", "",
             "## Throughput (real runner, files and summary included)", "",
             "| | workers | seconds | replications/s | peak MB per worker |",
             "|---|---|---|---|---|"]
    for part, label in (("model", "model, 5 years"), ("reference", "reference, "
                                                                   f"{ref['years']:g} years")):
        for workers in (1, 2):
            row = flow[part][workers]
            lines.append(f"| {label}, {flow[part]['replications']} replications | {workers} | "
                         f"{row['seconds']:.2f} | {row['replications_per_second']:.2f} | "
                         f"{row['peak_memory_mb_per_worker']:.0f} |")
    lines += ["", f"Scaling efficiency from 1 to 2 workers: model "
              f"{100 * flow['model']['efficiency_1_to_2']:.0f}%, reference "
              f"{100 * flow['reference']['efficiency_1_to_2']:.0f}%.", "",
              "## Cost curve", "", "| authority | wall s | CPU s | events | us/event (CPU) | "
              "peak MB |", "|---|---|---|---|---|---|"]
    for row in curve["sizes"]:
        lines.append(f"| {row['factor']:g}x Southend, 5 years | {row['wall_seconds']:.2f} | "
                     f"{row['cpu_seconds']:.2f} | {row['events']:,} | "
                     f"{row['us_per_event_cpu']:.2f} | {row['peak_memory_mb']:.0f} |")
    lines += ["", "| years (Southend) | wall s | CPU s | events | peak MB |", "|---|---|---|---|---|"]
    for row in curve["years"]:
        lines.append(f"| {row['years']:g} | {row['wall_seconds']:.2f} | {row['cpu_seconds']:.2f} "
                     f"| {row['events']:,} | {row['peak_memory_mb']:.0f} |")
    lines += ["", "## Targets (issue 7)", "", "| target | limit | measured | met |",
              "|---|---|---|---|"]
    for name, verdict in results["verdicts"].items():
        lines.append(f"| {TARGETS[name][1]} | {verdict['limit']:g} | "
                     f"{verdict['measured']:.2f} | {'yes' if verdict['met'] else 'NO'} |")
    command = results.get("command_run")
    if command:
        lines += ["", f"`cssim run` of the baseline, {command['replications']} replications of 5 "
                  f"years, {command['workers']} workers, timed as a user waits for it (a fresh "
                  f"process: start-up, files and charts included): median "
                  f"{command['wall_seconds']:.2f} s of {command['repeats']} runs "
                  f"({', '.join(f'{wall:.2f}' for wall in command['walls'])})."]
    comparison = results.get("standard_comparison")
    if comparison:
        lines += ["", f"The standard comparison was run: `compare` of the "
                  f"{comparison['scenarios']} standard scenarios "
                  f"({', '.join(results['standard_scenarios'])}) x {comparison['replications']} "
                  f"replications, {comparison['workers']} workers, tables and report pack "
                  f"included: {comparison['seconds']:.0f} s, of which replications "
                  f"{comparison['replications_seconds']:.0f} s.", ""]
    else:
        lines += ["", f"The standard comparison is projected from the 2-worker rate for the "
                  f"{len(results['standard_scenarios'])} standard scenarios "
                  f"({', '.join(results['standard_scenarios'])}) x 100 replications (it counts "
                  "the pool's start-up against every replication, so it is pessimistic; "
                  "`--standard-comparison` runs the real thing, about 4 minutes).", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer replications and no 16x authority (about a minute)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="replications per single-replication median [5; quick 3]")
    parser.add_argument("--seed", type=int, default=20230401)
    parser.add_argument("--standard-comparison", action="store_true",
                        help="also run the real standard comparison (7 scenarios x 100 "
                             "replications, 2 workers, about 4 minutes) instead of projecting it")
    parser.add_argument("--out", type=Path, default=REPO / "outputs" / "benchmarks")
    args = parser.parse_args(argv)
    quick = args.quick
    repeats = args.repeats or (3 if quick else 5)
    started = time.perf_counter()
    results = {
        "when": datetime.now().isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_before": [round(x, 2) for x in os.getloadavg()]},
        "standard_scenarios": standard_scenarios(),
    }
    reference_years = 3.0 if quick else 10.0
    results["single"] = single_replications(repeats, reference_years, args.seed)
    results["throughput"] = throughput(8 if quick else 30, 4 if quick else 8, reference_years,
                                       args.seed)
    results["command_run"] = command_run(30, 2, 1 if quick else 3, args.seed)
    results["cost_curve"] = cost_curve((1, 4) if quick else (1, 4, 16),
                                       (2.5, 5) if quick else (2.5, 5, 10), args.seed)
    if args.standard_comparison:
        results["standard_comparison"] = standard_comparison(100, args.seed)
    results["verdicts"] = verdicts(results)
    results["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    results["benchmark_seconds"] = time.perf_counter() - started
    text = markdown(results) + (f"Load average after: {results['machine']['load_after']}; "
                                f"the benchmark took {results['benchmark_seconds']:.0f} s.\n")
    stem = write_results(args.out, "bench", results, text)
    (args.out / "latest.md").write_text(text)
    print(text)
    print(f"Written: {stem}.md and .json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

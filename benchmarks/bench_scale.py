"""Cost of a region: a Southend, a 4x and a 16x authority side by side, in one run.

Run ``python benchmarks/bench_scale.py`` (``make bench-scale``; about two minutes on an idle
2-core machine). For each size (``--factors``, default 1, 4 and 16) it runs replications of the
baseline scaled by ``simulation.scenario.scale.scale_scenario`` (what ``cssim run --scale K``
runs), 5 years each, in a fresh spawned worker process of its own, and reports per replication:

- microseconds of CPU per model event (simpy events, model only): the figure that must stay
  flat as the authority grows (the issue's limit: 16x within 1.3 times 1x);
- wall and CPU seconds of a replication, model and KPIs (the limit: 16x under 7 s);
- peak memory of the worker: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of that fresh
  process, so imports are included and nothing of another size is (the limit: 16x under
  500 MB);
- each figure's ratio to 1x.

The sizes run in rounds (1x, 4x, 16x, then again), so a busy machine weighs on all of them alike;
medians over the rounds are reported, with the range. Results go to
``outputs/benchmarks/scale-<time>.md`` and ``.json`` and are printed. Timings are never
asserted in tests: read them here, on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
# The code beside this script first: the virtualenv's editable install points at one checkout,
# so a benchmark run from another worktree would otherwise measure that checkout's code (spawned
# workers inherit this path).
sys.path.insert(0, str(REPO))

from bench_model import _fresh, measure_model, write_results  # noqa: E402 (the benchmarks folder, added above)

#: The issue's limits: a 16x authority against Southend.
US_PER_EVENT_RATIO_LIMIT = 1.3
SECONDS_16X_LIMIT = 7.0
PEAK_MB_16X_LIMIT = 500.0


def measure(factors, rounds: int, repeats: dict, seed: int) -> dict:
    """Per factor, one row per replication: (us/event CPU, wall s, CPU s, events, peak MB)."""
    found = {factor: [] for factor in factors}
    for _ in range(rounds):
        for factor in factors:
            measured = _fresh(measure_model, float(factor), 5.0, repeats.get(factor, 1), seed)
            for row in measured["rows"]:
                found[factor].append({
                    "us_per_event_cpu": 1e6 * row["model_cpu"] / row["events"],
                    "wall_seconds": row["total_wall"], "cpu_seconds": row["total_cpu"],
                    "events": row["events"], "peak_memory_mb": measured["peak_memory_mb"]})
    return found


def summary(found: dict) -> dict:
    out = {}
    for factor, rows in found.items():
        out[factor] = {key: {"median": statistics.median(row[key] for row in rows),
                             "low": min(row[key] for row in rows),
                             "high": max(row[key] for row in rows)}
                       for key in ("us_per_event_cpu", "wall_seconds", "cpu_seconds", "events",
                                   "peak_memory_mb")}
        out[factor]["replications"] = len(rows)
    return out


def markdown(results: dict) -> str:
    sizes = results["sizes"]
    first = min(sizes, key=float)
    lines = [f"# cssim at region size, {results['when']}", "",
             f"{results['machine']['cpus']} CPUs; load average before "
             f"{results['machine']['load_before']}, after {results['machine']['load_after']}. "
             f"Baseline, 5 years, seed {results['seed']}; each size in a fresh worker per round, "
             f"{results['rounds']} round(s). Medians (range).", "",
             "| authority | replications | events | us/event (CPU) | ratio to 1x | wall s | CPU s "
             "| peak MB (worker) |", "|---|---|---|---|---|---|---|---|"]
    base = sizes[first]["us_per_event_cpu"]["median"]
    for factor, row in sizes.items():
        figure = lambda key, fmt: (f"{row[key]['median']:{fmt}} ({row[key]['low']:{fmt}}-"  # noqa: E731
                                   f"{row[key]['high']:{fmt}})")
        lines.append(f"| {float(factor):g}x | {row['replications']} | "
                     f"{row['events']['median']:,.0f} | {figure('us_per_event_cpu', '.2f')} | "
                     f"{row['us_per_event_cpu']['median'] / base:.2f} | "
                     f"{figure('wall_seconds', '.2f')} | {figure('cpu_seconds', '.2f')} | "
                     f"{figure('peak_memory_mb', '.0f')} |")
    big = sizes.get(max(sizes, key=float))
    if big is not None and float(max(sizes, key=float)) == 16:
        ratio = big["us_per_event_cpu"]["median"] / base
        checks = [("us/event at 16x / at 1x", ratio, US_PER_EVENT_RATIO_LIMIT),
                  ("wall s of a 16x replication", big["wall_seconds"]["median"], SECONDS_16X_LIMIT),
                  ("peak MB of a 16x worker", big["peak_memory_mb"]["median"], PEAK_MB_16X_LIMIT)]
        lines += ["", "| limit (issue 22) | measured | limit | met |", "|---|---|---|---|"]
        lines += [f"| {name} | {value:.2f} | {limit:g} | {'yes' if value < limit else 'NO'} |"
                  for name, value, limit in checks]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", default="1,4,16", help="sizes in Southends [1,4,16]")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over the sizes [2]")
    parser.add_argument("--seed", type=int, default=20230401)
    parser.add_argument("--out", type=Path, default=REPO / "outputs" / "benchmarks")
    args = parser.parse_args(argv)
    factors = [float(text) for text in args.factors.split(",")]
    # Small authorities are quick and noisy: more replications each round.
    repeats = {factor: 5 if factor <= 1 else 2 if factor <= 4 else 1 for factor in factors}
    load_before = [round(x, 2) for x in os.getloadavg()]
    started = time.perf_counter()
    found = measure(factors, args.rounds, repeats, args.seed)
    results = {"when": datetime.now().isoformat(timespec="seconds"), "seed": args.seed,
               "rounds": args.rounds,
               "machine": {"cpus": os.cpu_count(), "load_before": load_before,
                           "load_after": [round(x, 2) for x in os.getloadavg()]},
               "sizes": {f"{factor:g}": row for factor, row in summary(found).items()},
               "rows": {f"{factor:g}": rows for factor, rows in found.items()},
               "seconds": time.perf_counter() - started}
    text = markdown(results)
    stem = write_results(args.out, "scale", results, text)
    print(text)
    print(f"Written: {stem}.md and .json ({results['seconds']:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

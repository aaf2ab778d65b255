"""Where a region's extra cost per event goes: instructions and cache misses per event, 1x and 16x.

Run ``python benchmarks/cache_scale.py`` (``make bench-cache``; about 10 minutes on 2 cores:
valgrind's cachegrind runs the model some 50 times slower). For each size it runs the baseline
model under cachegrind, with the last-level cache simulated at this machine's size (read from
``/sys``; valgrind's own guess here was 512 MB), and once more with only the imports and the
scenario loaded, whose counts it subtracts. Per model event it reports:

- instructions: the work the interpreter does (what the indexes of issue 22 keep flat);
- first-level data-cache misses;
- last-level data-cache misses: each goes to main memory, about 80-100 ns on this machine,
  which is what makes an event dearer when the authority's objects no longer fit the cache;
- the C functions whose last-level misses per event grew most from the first size to the last.

Unlike CPU time, these counts do not move with the machine's load (``bench_scale.py`` gives the
time itself). Instructions repeat to within 0.1%. Last-level misses repeat exactly for one
checkout, but move by a few percent with the memory layout: the same code gave 66.4 and 69.1
misses per event at 16x from checkouts at paths of other lengths. So read a change of misses
under about 5% as layout, and compare trees at paths of the same length. The model runs in
``PYTHONHASHSEED=0`` with one BLAS thread, as in ``instructions.sh``. Results go to
``outputs/benchmarks/cache-<time>.md`` and ``.json`` and are printed. The sizes run as
``FACTOR:REPLICATIONS`` (default ``1:4,16:1``, about the same number of events each).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))
from bench_model import write_results  # noqa: E402 (the benchmarks folder, added above)

SEED = 20230401
#: Where the machine's last-level cache is described (size, ways, line).
_LL_SYSFS = Path("/sys/devices/system/cpu/cpu0/cache")
#: Where ``/sys`` says nothing (macOS, some containers): this machine's own, 32 MB 16-way.
_FALLBACK_LL = (32 * 2**20, 16, 64)
#: Functions listed in the report: the ones whose last-level misses per event grew most.
TOP_FUNCTIONS = 15


def run_child(factor: float, replications: int) -> None:
    """In the process under valgrind: load the scenario, run the replications, print the events."""
    sys.path.insert(0, str(REPO))
    from simulation.engine.model import run_replication
    from simulation.scenario.loading import load_scenario
    from simulation.scenario.scale import scale_scenario

    scenario = load_scenario(REPO / "scenarios" / "baseline.toml")
    if factor != 1:
        scenario = scale_scenario(scenario, factor)
    events = sum(run_replication(scenario, SEED, replication, 5.0).event_count
                 for replication in range(replications))
    print(json.dumps({"events": events}))


def last_level_cache() -> tuple[int, int, int]:
    """(bytes, ways, line bytes) of the highest cache level ``/sys`` describes."""
    best = None
    for index in sorted(_LL_SYSFS.glob("index*")):
        try:
            level = int((index / "level").read_text())
            size = (index / "size").read_text().strip()
            ways = int((index / "ways_of_associativity").read_text())
            line = int((index / "coherency_line_size").read_text())
        except (OSError, ValueError):
            continue
        units = {"K": 2**10, "M": 2**20, "G": 2**30}
        size_bytes = int(size[:-1]) * units[size[-1]] if size[-1] in units else int(size)
        if best is None or level > best[0]:
            best = (level, size_bytes, ways, line)
    return best[1:] if best is not None else _FALLBACK_LL


def cachegrind(factor: float, replications: int, ll: tuple[int, int, int], folder: Path) -> dict:
    """Run the child under cachegrind; its counts in total and per C function, and its events."""
    out = folder / f"cachegrind-{factor:g}-{replications}.out"
    env = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    command = ["valgrind", "--tool=cachegrind", "--cache-sim=yes", f"--LL={ll[0]},{ll[1]},{ll[2]}",
               f"--cachegrind-out-file={out}", sys.executable, str(Path(__file__).resolve()),
               "--child", f"{factor:g}", str(replications)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"cachegrind of {factor:g}x failed:\n{done.stderr[-2000:]}")
    events = json.loads(done.stdout.strip().splitlines()[-1])["events"]
    totals, functions = parse_cachegrind(out.read_text())
    return {"factor": factor, "replications": replications, "events": events,
            "totals": totals, "functions": functions}


def parse_cachegrind(text: str) -> tuple[dict, dict]:
    """Totals and per-function sums of a cachegrind output file, by event name (Ir, D1mr, ...)."""
    names, totals, functions = [], {}, {}
    current_file, current = "", None
    for line in text.splitlines():
        if line.startswith("events:"):
            names = line.split()[1:]
        elif line.startswith("fl="):
            current_file = line[3:]
        elif line.startswith("fn="):
            key = f"{current_file.rsplit('/', 1)[-1]}:{line[3:]}"
            current = functions.setdefault(key, [0] * len(names))
        elif line.startswith("summary:"):
            totals = dict(zip(names, map(int, line.split()[1:])))
        elif line[:1].isdigit() and current is not None:
            counts = line.split()[1:]
            for position, count in enumerate(counts):
                current[position] += int(count)
    return totals, {key: dict(zip(names, counts)) for key, counts in functions.items()}


def per_event(run: dict, imports: dict) -> dict:
    """The run's counts less the imports-only run's, per model event."""
    events = run["events"]
    total = lambda counts, *keys: sum(counts.get(key, 0) for key in keys)  # noqa: E731
    figures = {"instructions": ("Ir",), "d1_misses": ("D1mr", "D1mw"), "ll_misses": ("DLmr", "DLmw")}
    return {name: (total(run["totals"], *keys) - total(imports["totals"], *keys)) / events
            for name, keys in figures.items()}


def grown_functions(first: dict, last: dict) -> list[tuple[str, float, float]]:
    """The C functions whose last-level misses per event grew most, from ``first`` to ``last``."""
    def misses(run, key):
        counts = run["functions"].get(key, {})
        return (counts.get("DLmr", 0) + counts.get("DLmw", 0)) / run["events"]
    keys = set(first["functions"]) | set(last["functions"])
    rows = [(key, misses(first, key), misses(last, key)) for key in keys]
    rows.sort(key=lambda row: row[2] - row[1], reverse=True)
    return rows[:TOP_FUNCTIONS]


def markdown(results: dict) -> str:
    ll = results["last_level_cache"]
    sizes = results["sizes"]
    first = sizes[0]
    lines = [f"# Cost per event by cache level, {results['when']}", "",
             f"cachegrind, last-level cache simulated at {ll[0] // 2**20} MB, {ll[1]}-way, "
             f"{ll[2]} B lines; baseline, 5 years, seed {SEED}; imports subtracted.", "",
             "| authority | replications | events | instructions / event | L1 data misses / event "
             "| last-level misses / event | ratio to first size (instructions, last-level) |",
             "|---|---|---|---|---|---|---|"]
    for size in sizes:
        figures = size["per_event"]
        lines.append(
            f"| {size['factor']:g}x | {size['replications']} | {size['events']:,} | "
            f"{figures['instructions']:,.0f} | {figures['d1_misses']:.0f} | "
            f"{figures['ll_misses']:.1f} | "
            f"{figures['instructions'] / first['per_event']['instructions']:.3f}, "
            f"{figures['ll_misses'] / first['per_event']['ll_misses']:.2f} |")
    lines += ["", f"C functions whose last-level misses per event grew most "
                  f"({first['factor']:g}x to {sizes[-1]['factor']:g}x):", "",
              "| function | misses / event, first | last | growth |", "|---|---|---|---|"]
    lines += [f"| `{name}` | {low:.2f} | {high:.2f} | {high - low:+.2f} |"
              for name, low, high in results["grown_functions"]]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1:4,16:1",
                        help="FACTOR:REPLICATIONS, comma-separated [1:4,16:1]")
    parser.add_argument("--jobs", type=int, default=2, help="cachegrind runs at once [2]")
    parser.add_argument("--out", type=Path, default=REPO / "outputs" / "benchmarks")
    parser.add_argument("--child", nargs=2, metavar=("FACTOR", "REPLICATIONS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        run_child(float(args.child[0]), int(args.child[1]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt install valgrind)", file=sys.stderr)
        return 2
    try:
        sizes = [(float(factor), int(count)) for factor, count in
                 (item.split(":") for item in args.sizes.split(","))]
    except ValueError:
        parser.error(f"--sizes {args.sizes!r}: expected FACTOR:REPLICATIONS pairs, e.g. 1:4,16:1")
    ll = last_level_cache()
    with tempfile.TemporaryDirectory() as folder, ThreadPoolExecutor(args.jobs) as pool:
        imports = pool.submit(cachegrind, 1.0, 0, ll, Path(folder))
        runs = [pool.submit(cachegrind, factor, count, ll, Path(folder)) for factor, count in sizes]
        imports, runs = imports.result(), [run.result() for run in runs]
    results = {"when": datetime.now().isoformat(timespec="seconds"), "last_level_cache": ll,
               "sizes": [{"factor": run["factor"], "replications": run["replications"],
                          "events": run["events"], "per_event": per_event(run, imports)}
                         for run in runs],
               "grown_functions": grown_functions(runs[0], runs[-1])}
    text = markdown(results)
    stem = write_results(args.out, "cache", results, text)
    print(text)
    print(f"Written: {stem}.md and .json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

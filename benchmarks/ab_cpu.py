"""A/B CPU time of two source trees, run alternately so both see the same machine load.

Usage: python benchmarks/ab_cpu.py TREE [TREE ...] [--rounds 5] [--runs 3]
Each tree is a source checkout (``git archive REV | tar -x -C DIR``) with this benchmarks folder.
Each round runs ``benchmarks/cpu_time.py --runs RUNS`` once under each tree in turn (PYTHONPATH
first on sys.path) and the medians of the per-round medians are printed.
"""
import argparse
import re
import statistics
import subprocess
import sys


def one(tree: str, runs: int) -> float:
    out = subprocess.run([sys.executable, f"{tree}/benchmarks/cpu_time.py", "--runs", str(runs)],
                         cwd=tree, env={"PYTHONPATH": tree, "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, check=True).stdout
    return tuple(float(x) for x in re.search(r"model ([\d.]+) kpis ([\d.]+) total ([\d.]+)", out).groups())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = {tree: [] for tree in args.trees}
    for _ in range(args.rounds):
        for tree in args.trees:
            results[tree].append(one(tree, args.runs))
    for tree, rows in results.items():
        model, kpis, total = (statistics.median(col) for col in zip(*rows))
        print(f"{tree}: CPU s model {model:.3f} kpis {kpis:.3f} total {total:.3f} "
              f"(rounds: {' '.join(f'{r[2]:.3f}' for r in rows)})")


if __name__ == "__main__":
    main()

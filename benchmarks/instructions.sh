#!/bin/bash
# Instructions (valgrind callgrind) of one 5-year baseline replication, model and KPIs, in TREE.
# Usage: benchmarks/instructions.sh TREE [PYTHON]   (TREE: a source checkout, e.g. git archive REV)
# Counts ``replicate.py 1`` minus ``replicate.py 0`` (imports, scenario load), hash seed fixed.
# Unlike CPU time, the count does not move with the machine's load: on this shared machine it
# resolves a 1% change that CPU time cannot. About 2 minutes (valgrind runs ~50x slower).
# Both counts read byte code compiled beforehand into a private cache (PYTHONPYCACHEPREFIX), so
# they run under the same conditions: a tree whose .pyc files appeared between the two counts
# (another run writing them) gave a count 0.26 bn too high. Counts of one tree with and without
# cached byte code differ by up to 0.7% (memory layout), so compare trees with one method.
# One BLAS/OpenMP thread: with numpy's default thread pool, runs of one tree on the loaded machine
# differed by up to 2% (likely idle pool threads spinning, which valgrind counts); with one
# thread two runs of a tree agreed to within 0.1 million instructions (26 Nov 2026).
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
tree=$(cd "$1" && pwd); python=${2:-python3}
cache=$(mktemp -d); trap 'rm -rf "$cache"' EXIT
(cd "$tree" && env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX="$cache" PYTHONHASHSEED=0 \
   PYTHONPATH="$tree" "$python" "$tree/benchmarks/replicate.py" 1)
count() {
  (cd "$tree" && PYTHONDONTWRITEBYTECODE=1 PYTHONPYCACHEPREFIX="$cache" PYTHONHASHSEED=0 PYTHONPATH="$tree" \
     valgrind --tool=callgrind --callgrind-out-file=/dev/null "$python" "$tree/benchmarks/replicate.py" "$1" 2>&1 \
     | awk '/Collected/ {print $4}')
}
one=$(count 1); none=$(count 0)
echo "$tree: $((one - none)) instructions per replication (with: $one, imports only: $none)"

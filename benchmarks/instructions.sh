#!/bin/bash
# Instructions (valgrind callgrind) of one 5-year baseline replication, model and KPIs, in TREE.
# Usage: benchmarks/instructions.sh TREE [PYTHON]   (TREE: a source checkout, e.g. git archive REV)
# Counts ``replicate.py 1`` minus ``replicate.py 0`` (imports, scenario load), hash seed fixed.
# Unlike CPU time, the count does not move with the machine's load: on this shared machine it
# resolves a 1% change that CPU time cannot. About 2 minutes (valgrind runs ~50x slower).
tree=$(cd "$1" && pwd); python=${2:-python3}
count() {
  (cd "$tree" && PYTHONHASHSEED=0 PYTHONPATH="$tree" valgrind --tool=callgrind \
     --callgrind-out-file=/dev/null "$python" "$tree/benchmarks/replicate.py" "$1" 2>&1 \
     | awk '/Collected/ {print $4}')
}
one=$(count 1); none=$(count 0)
echo "$tree: $((one - none)) instructions per replication (with: $one, imports only: $none)"

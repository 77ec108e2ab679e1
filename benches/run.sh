#!/usr/bin/env bash
# Runs the AGC read benchmarks: anac's reader and the decoder-only baseline (benches/read_agc.rs)
# and uproot (benches/uproot_read.py), at 1 and 2 threads, REPS timed repetitions each after one
# warm-up pass; prints every repetition and the medians. Make the data first (benches/make_data.sh).
# Usage: benches/run.sh [DIR ...]   (default ../bench-data/full beside the checkout; REPS=5 THREADS="1 2" env)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPS=${REPS:-5}
THREADS=${THREADS:-1 2}
DIRS=("$@")
[ ${#DIRS[@]} -eq 0 ] && DIRS=("$HERE/../../bench-data/full")
cd "$HERE/.."
cargo bench --bench read_agc --no-run
LOG=$(mktemp)
for dir in "${DIRS[@]}"; do
    for t in $THREADS; do
        cargo bench --bench read_agc -- "$dir" "$t" "$REPS" | tee -a "$LOG"
        python3 "$HERE/uproot_read.py" "$dir" "$t" "$REPS" | tee -a "$LOG"
    done
done
echo
echo "== medians (events/s) =="
grep -E '^(fileset|MEDIAN)' "$LOG"
rm -f "$LOG"

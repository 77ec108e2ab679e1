#!/usr/bin/env bash
# The cost of `anac run --store` against a plain run: PAIRS interleaved A/B runs (plain, then with a
# fresh store) of the AGC analysis on one fileset, after a warm-up of each. Prints every time, the
# medians, the spread (min..max) and the median of the per-pair ratios.
#
# Usage: benches/store_cost.sh FILESET.yaml [PAIRS]     (e.g. the output of benches/make_agc_full.sh)
# Env:   ANAC=path/to/anac (default: target/release/anac, or $CARGO_TARGET_DIR/release/anac)
set -euo pipefail
cd "$(dirname "$0")/.."
yaml=${1:?usage: benches/store_cost.sh FILESET.yaml [PAIRS]}
pairs=${2:-7}
anac=${ANAC:-${CARGO_TARGET_DIR:-target}/release/anac}
ana=analyses/ttbar/ttbar_deterministic.ana
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "fileset: $yaml; machine: $(nproc) cores, $(uname -m); $pairs interleaved pairs"
plain() { "$anac" run "$ana" --samples "$yaml" -q --force -o "$out/plain"; }
stored() { rm -rf "$out/store"; "$anac" run "$ana" --samples "$yaml" -q --force -o "$out/stored" --store "$out/store"; }
# "wall cpu" seconds of one run (cpu = user + system, less sensitive to a noisy machine).
secs() { local TIMEFORMAT='%R %U %S' t; t=$( { time "$@" >/dev/null 2>&1; } 2>&1 ); echo "$t" | awk '{printf "%s %.3f\n", $1, $2 + $3}'; }
plain; stored   # warm-up (page cache)
a=(); b=(); r=(); ca=(); cb=()
for _ in $(seq "$pairs"); do
  read -r x cx < <(secs plain); read -r y cy < <(secs stored)
  a+=("$x"); b+=("$y"); ca+=("$cx"); cb+=("$cy"); r+=("$(echo "$y / $x" | bc -l)")
done
cmp "$out/plain/histograms.json" "$out/stored/histograms.json" && echo "outputs identical"
stats() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {printf "median %.3f (min %.3f, max %.3f)", v[int((NR+1)/2)], v[1], v[NR]}'; }
echo "plain run:    $(stats "${a[@]}") s   runs: ${a[*]}"
echo "with --store: $(stats "${b[@]}") s   runs: ${b[*]}"
echo "ratio store/plain per pair: $(stats "${r[@]}")"
echo "cpu (user+sys) plain: $(stats "${ca[@]}") s; with --store: $(stats "${cb[@]}") s"
echo "store size: $(du -sh "$out/store" | cut -f1) in $(ls "$out/store/units" | wc -l) unit files"

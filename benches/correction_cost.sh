#!/usr/bin/env bash
# The cost of a correctionlib scale factor in the kernels: PAIRS interleaved A/B runs, one thread,
# of the AGC analysis (A) and the same analysis with one more weight factor (B):
#     weight prod(Muon where pt > 15, mu_sf(abs(eta), pt, "nominal"))
# a 2-D binned muon scale factor (|eta| x pt, per systematic; the toy file of
# examples/corrections) evaluated per muon of every event. Prints every time, the medians, the
# spread (min..max) and the median of the per-pair ratios.
#
# Usage: benches/correction_cost.sh FILESET.yaml [PAIRS]   (e.g. the output of benches/make_agc_full.sh)
# Env:   ANAC=path/to/anac (default: target/release/anac, or $CARGO_TARGET_DIR/release/anac)
set -euo pipefail
cd "$(dirname "$0")/.."
yaml=${1:?usage: benches/correction_cost.sh FILESET.yaml [PAIRS]}
pairs=${2:-7}
anac=${ANAC:-${CARGO_TARGET_DIR:-target}/release/anac}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
a_ana=analyses/ttbar/ttbar_deterministic.ana
b_ana=$out/with_sf.ana
# B: A plus the correction statement (absolute path to the toy file) and the weight factor,
# placed right after A's normalisation weight.
awk -v sf="$PWD/examples/corrections/toy_muon_sf.json.gz" '
  /^weight xsec/ { print; print "correction mu_sf = \"toy_muon_id_sf\" from \"" sf "\""
                   print "weight prod(Muon where pt > 15, mu_sf(abs(eta), pt, \"nominal\"))"
                   next }
  { print }' "$a_ana" > "$b_ana"
grep -q "^weight prod(Muon" "$b_ana" || { echo "could not insert the weight into $b_ana" >&2; exit 2; }
echo "fileset: $yaml; machine: $(nproc) cores, $(uname -m); $pairs interleaved pairs, -j 1"
run_a() { "$anac" run "$a_ana" --samples "$yaml" -q --force -j 1 -o "$out/a"; }
run_b() { "$anac" run "$b_ana" --samples "$yaml" -q --force -j 1 -o "$out/b"; }
secs() { local TIMEFORMAT='%R %U %S' t; t=$( { time "$@" >/dev/null 2>&1; } 2>&1 ); echo "$t" | awk '{printf "%s %.3f\n", $1, $2 + $3}'; }
run_a; run_b   # warm-up (page cache)
a=(); b=(); r=(); ca=(); cb=()
for _ in $(seq "$pairs"); do
  read -r x cx < <(secs run_a); read -r y cy < <(secs run_b)
  a+=("$x"); b+=("$y"); ca+=("$cx"); cb+=("$cy"); r+=("$(echo "$y / $x" | bc -l)")
done
stats() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {printf "median %.3f (min %.3f, max %.3f)", v[int((NR+1)/2)], v[1], v[NR]}'; }
echo "without the scale factor: $(stats "${a[@]}") s   runs: ${a[*]}"
echo "with the scale factor:    $(stats "${b[@]}") s   runs: ${b[*]}"
echo "ratio with/without per pair: $(stats "${r[@]}")"
echo "cpu (user+sys) without: $(stats "${ca[@]}") s; with: $(stats "${cb[@]}") s"

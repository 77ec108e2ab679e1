#!/usr/bin/env bash
# The AGC ttbar analysis on one fileset with anac and both peers (benches/peers/), in the same run.
# Reports wall time and events/s per tool: the median of RUNS runs (default 3), after one warm-up
# run of each so every tool reads from the page cache. Also checks that anac's histograms equal
# the peers' (the deterministic pt_res_up variant is used so that all 124 are comparable).
#
# Usage: benches/run_agc.sh FILESET.yaml [RUNS]      (e.g. the output of benches/make_agc_full.sh)
# Env:   ANAC=path/to/anac (default: target/release/anac, or $CARGO_TARGET_DIR/release/anac)
set -euo pipefail
cd "$(dirname "$0")/.."
yaml=${1:?usage: benches/run_agc.sh FILESET.yaml [RUNS]}
runs=${2:-3}
anac=${ANAC:-${CARGO_TARGET_DIR:-target}/release/anac}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
events=$(python3 -c "import yaml,sys; d=yaml.safe_load(open(sys.argv[1])); print(sum(f['nevts'] for p in d.values() for v in p.values() for f in v['files']))" "$yaml")
echo "fileset: $yaml ($events events); machine: $(nproc) cores, $(uname -m); runs: $runs (median)"

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # name, command...
  local name=$1; shift
  "$@" >/dev/null 2>&1 || { echo "$name failed: $*"; "$@"; exit 1; }   # warm-up (and fail loudly)
  local times=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc)")
  done
  local m; m=$(printf '%s\n' "${times[@]}" | median)
  printf '%-28s median %7.2f s  %10.0f events/s   (runs: %s)\n' "$name" "$m" "$(echo "$events / $m" | bc -l)" "${times[*]}"
}

ana=analyses/ttbar/ttbar_deterministic.ana
measure "anac --read-only -j 1" "$anac" run "$ana" --samples "$yaml" -q --read-only -j 1
measure "anac --read-only -j 2" "$anac" run "$ana" --samples "$yaml" -q --read-only -j 2
measure "anac run -j 1" "$anac" run "$ana" --samples "$yaml" -o "$out/anac1" -q --force -j 1
measure "anac run -j 2" "$anac" run "$ana" --samples "$yaml" -o "$out/anac" -q --force -j 2
measure "anac run -j 1 --interpret" "$anac" run "$ana" --samples "$yaml" -o "$out/anac1i" -q --force -j 1 --interpret
measure "RDataFrame sequential" python3 benches/peers/agc_rdf.py "$yaml" -o "$out/rdf1.json" --smearing deterministic -j 1
measure "RDataFrame -j 2" python3 benches/peers/agc_rdf.py "$yaml" -o "$out/rdf.json" --smearing deterministic -j 2
measure "uproot + awkward" python3 benches/peers/agc_uproot.py "$yaml" -o "$out/uproot.json" --smearing deterministic
if python3 -c "import coffea" 2>/dev/null; then
  measure "coffea -j 1" python3 benches/peers/agc_coffea.py "$yaml" -o "$out/coffea1.json" -j 1
  measure "coffea -j 2" python3 benches/peers/agc_coffea.py "$yaml" -o "$out/coffea.json" -j 2
else
  echo "coffea: not installed (pip install coffea), skipped"
fi

# anac's own account of one run: JIT compile time (from its summary) and peak memory.
/usr/bin/time -f "peak RSS %M KB" -o "$out/rss" "$anac" run "$ana" --samples "$yaml" -o "$out/anac1" --force -j 1 2>"$out/summary"
echo "anac -j 1: $(grep -oE 'compile [0-9.]+ ms' "$out/summary"), $(cat "$out/rss")"

python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
ours = json.load(open(f"{d}/anac/histograms.json"))
import os
for peer in ("rdf", "uproot", "coffea"):
    if not os.path.exists(f"{d}/{peer}.json"):
        continue
    ref = json.load(open(f"{d}/{peer}.json"))
    bad = 0
    for name, h in ref.items():
        a, b = ours[name]["storage"]["values"], h["contents"]
        bad += any(abs(x - y) > 1e-9 * max(abs(x), abs(y)) for x, y in zip(a, b))
    print(f"anac vs {peer}: {len(ref)} histograms, {bad} differ beyond 1e-9 relative")
PY

# The same check through anac's own validator, on the results folder and on its ROOT file alone.
for peer in rdf uproot coffea; do
  [ -f "$out/$peer.json" ] || continue
  for ours in "$out/anac" "$out/anac/histograms.root"; do
    t0=$(date +%s.%N)
    verdict=$("$anac" validate "$ours" --reference "$out/$peer.json" 2>/dev/null | tail -1) || true
    t1=$(date +%s.%N)
    printf 'anac validate %s vs %s: %s (%.2f s)\n' "${ours#"$out"/}" "$peer" "$verdict" "$(echo "$t1 - $t0" | bc)"
  done
done

#!/usr/bin/env bash
# RNTuple against TTree on the same events: the AGC fileset's files converted to RNTuple by ROOT's
# RNTupleImporter (tests/scripts/to_rntuple.py), then anac (reading the analysis' branches only,
# and the whole deterministic AGC analysis) and uproot (benches/uproot_read.py, the AGC branch
# set) on both copies, in the same run. Medians of RUNS runs (default 3) after a warm-up.
#
# Usage: benches/rntuple_read.sh FILESET.yaml RNTUPLE_DIR [RUNS]
#   FILESET.yaml: e.g. the output of benches/make_agc_full.sh; RNTUPLE_DIR: where the copies go
#   (made once, reused when present; outside the repository).
# Env:   ANAC=path/to/anac (default: $CARGO_TARGET_DIR/release/anac or target/release/anac)
set -euo pipefail
cd "$(dirname "$0")/.."
yaml=${1:?usage: benches/rntuple_read.sh FILESET.yaml RNTUPLE_DIR [RUNS]}
rdir=${2:?usage: benches/rntuple_read.sh FILESET.yaml RNTUPLE_DIR [RUNS]}
runs=${3:-3}
anac=${ANAC:-${CARGO_TARGET_DIR:-target}/release/anac}
mkdir -p "$rdir"
# The RNTuple copies and a samples file pointing at them.
python3 - "$yaml" "$rdir" <<'PY'
import os, subprocess, sys, yaml
src, rdir = sys.argv[1], sys.argv[2]
d = yaml.safe_load(open(src))
base = os.path.dirname(os.path.abspath(src))
todo = []
for p in d.values():
    for v in p.values():
        for f in v["files"]:
            path = f["path"] if os.path.isabs(f["path"]) else os.path.join(base, f["path"])
            dest = os.path.join(os.path.abspath(rdir), os.path.basename(path))
            if not os.path.exists(dest):
                todo.append(path)
            f["path"] = dest
if todo:
    subprocess.run([sys.executable, "tests/scripts/to_rntuple.py", rdir, *todo], check=True,
                   stdout=subprocess.DEVNULL)
yaml.safe_dump(d, open(os.path.join(rdir, "fileset.yaml"), "w"), sort_keys=False)
PY
ryaml="$rdir/fileset.yaml"
tdir=$(python3 -c "import os,sys,yaml; d=yaml.safe_load(open(sys.argv[1])); f=next(f for p in d.values() for v in p.values() for f in v['files']); p=f['path']; print(os.path.dirname(p if os.path.isabs(p) else os.path.join(os.path.dirname(os.path.abspath(sys.argv[1])), p)))" "$yaml")
events=$(python3 -c "import yaml,sys; d=yaml.safe_load(open(sys.argv[1])); print(sum(f['nevts'] for p in d.values() for v in p.values() for f in v['files']))" "$yaml")
echo "fileset: $yaml ($events events), RNTuple copies in $rdir; machine: $(nproc) cores, $(uname -m); runs: $runs (median)"
du -sh "$tdir" "$rdir" | sed 's/^/size: /'

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # name, command...
  local name=$1; shift
  "$@" >/dev/null 2>&1 || { echo "$name failed: $*"; "$@"; exit 1; }
  local times=()
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc)")
  done
  local m; m=$(printf '%s\n' "${times[@]}" | median)
  printf '%-34s median %7.2f s  %10.0f events/s   (runs: %s)\n' "$name" "$m" "$(echo "$events / $m" | bc -l)" "${times[*]}"
}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
ana=analyses/ttbar/ttbar_deterministic.ana
for fmt in TTree RNTuple; do
  y=$yaml; [ "$fmt" = RNTuple ] && y=$ryaml
  measure "anac --read-only -j 1 ($fmt)" "$anac" run "$ana" --samples "$y" -q --read-only -j 1
  measure "anac --read-only -j 2 ($fmt)" "$anac" run "$ana" --samples "$y" -q --read-only -j 2
  measure "anac run -j 2 ($fmt)" "$anac" run "$ana" --samples "$y" -o "$out/$fmt" -q --force -j 2
done
for fmt in TTree RNTuple; do
  d=$tdir; [ "$fmt" = RNTuple ] && d=$rdir
  echo "uproot ($fmt): $(python3 benches/uproot_read.py "$d" 1 "$runs" | grep MEDIAN)"
done
cmp <(python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True))" "$out/TTree/histograms.json") \
    <(python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1])), sort_keys=True))" "$out/RNTuple/histograms.json") \
  && echo "histograms: TTree and RNTuple runs equal" || echo "histograms: TTree and RNTuple runs DIFFER"

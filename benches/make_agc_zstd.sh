#!/usr/bin/env bash
# Recompresses a NanoAOD fileset with ZSTD (ROOT compression setting 505: ZSTD level 5) using
# ROOT's own `hadd`, for the ZSTD half of the read benchmark (`cargo bench --bench read_agc`).
# Needs PyROOT (pip install root==0.1a12), whose wheel ships `hadd`.
# Usage: benches/make_agc_zstd.sh IN_DIR OUT_DIR   (e.g. the output of benches/make_agc_full.sh)
set -euo pipefail
in=${1:?usage: benches/make_agc_zstd.sh IN_DIR OUT_DIR}
out=${2:?usage: benches/make_agc_zstd.sh IN_DIR OUT_DIR}
hadd=$(command -v hadd || python3 -c 'import os, ROOT; print(os.path.join(os.path.dirname(ROOT.__file__), "bin", "hadd"))' 2>/dev/null | tail -1)
mkdir -p "$out"
for f in "$in"/*.root; do
    "$hadd" -f505 "$out/$(basename "$f")" "$f" >/dev/null
done
ls "$out"

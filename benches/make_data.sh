#!/usr/bin/env bash
# Makes the benchmark fileset outside the repository:
#   $OUT/full/*.root       1,000,000 AGC-layout NanoAOD events, 13 files, ZLIB-1 (as the real file)
#   $OUT/full-zstd/*.root  the same files recompressed with ZSTD level 5 (hadd -f505); set
#                          ZSTD_FILES to a glob (e.g. 'ttbar__scale*') to convert only some
#                          (about 2-3 minutes per 100 MB on a busy 2-core machine)
# Usage: benches/make_data.sh [OUT] [JOBS]    (default OUT=../bench-data beside the checkout, JOBS=1)
# Needs PyROOT (ROOT 6.40) and ../shared/tools/make_agc_fileset.py; takes ~10-25 minutes.
set -euo pipefail
OUT=${1:-"$(cd "$(dirname "$0")/../.." && pwd)/bench-data"}
JOBS=${2:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
TOOLS=${ANAC_SHARED_TOOLS:-$HERE/../../shared/tools}
mkdir -p "$OUT"
if [ ! -d "$OUT/full" ] || [ -n "$(ls "$OUT"/full/*.tmp 2>/dev/null)" ]; then
    nice -n 19 python3 "$TOOLS/make_agc_fileset.py" --which full --out "$OUT" --jobs "$JOBS"
fi
HADD=$(command -v hadd || python3 -c 'import ROOT, os; print(os.path.join(os.path.dirname(ROOT.__file__), "bin", "hadd"))')
mkdir -p "$OUT/full-zstd"
for f in "$OUT"/full/${ZSTD_FILES:-*}.root; do
    dst="$OUT/full-zstd/$(basename "$f")"
    [ -s "$dst" ] && continue
    # -f505: ZSTD level 5; baskets are recompressed one by one (same entry boundaries).
    nice -n 19 "$HADD" -f505 "$dst.tmp.root" "$f" >/dev/null
    mv "$dst.tmp.root" "$dst"
done
ls -la "$OUT/full" "$OUT/full-zstd"

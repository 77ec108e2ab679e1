#!/usr/bin/env bash
# Makes the 1,000,000-event AGC benchmark fileset (1.47 GB, about 10 minutes on 2 cores) with the
# shared generator, outside the repository. Needs PyROOT (pip install root==0.1a12).
# Usage: benches/make_agc_full.sh OUT_DIR [SHARED_DIR]   (SHARED_DIR defaults to ../shared)
set -euo pipefail
out=${1:?usage: benches/make_agc_full.sh OUT_DIR [SHARED_DIR]}
shared=${2:-"$(dirname "$0")/../../shared"}
python3 "$shared/tools/make_agc_fileset.py" --which full --jobs 2 --out "$out"
ls "$out"

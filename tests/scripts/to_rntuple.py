"""Converts the TTree `Events` of ROOT files into RNTuple copies with ROOT's RNTupleImporter.

Usage: python3 to_rntuple.py OUT_DIR FILE.root [FILE.root ...]

Each FILE.root becomes OUT_DIR/FILE.root holding an RNTuple `Events` (ROOT 6.40, format 1.0). The
copies have new UUIDs, so anac's per-file random streams differ from the TTree originals: compare
analyses that do not draw random numbers (analyses/ttbar/ttbar_deterministic.ana).
"""

import os
import sys
import warnings

warnings.filterwarnings("ignore")
import ROOT  # noqa: E402


def main() -> None:
    out_dir, inputs = sys.argv[1], sys.argv[2:]
    os.makedirs(out_dir, exist_ok=True)
    importer_cls = getattr(ROOT, "RNTupleImporter", None) or ROOT.Experimental.RNTupleImporter
    for path in inputs:
        dest = os.path.join(out_dir, os.path.basename(path))
        if os.path.exists(dest):
            os.remove(dest)
        imp = importer_cls.Create(path, "Events", dest)
        imp.SetIsQuiet(True)
        imp.Import()
        print(dest)


if __name__ == "__main__":
    main()

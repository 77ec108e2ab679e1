"""Converts a TTree into an RNTuple with ROOT 6.40's RNTupleImporter
(`ROOT.Experimental.RNTupleImporter`, or `ROOT.RNTupleImporter` in versions that moved it),
with small clusters so reads cross cluster boundaries.

Usage: python3 make_nanoaod_rntuple.py SOURCE.root OUTDIR [TREE [OUTNAME]]

TREE defaults to `Events` (NanoAOD), OUTNAME to `nanoAOD_rntuple.root`. Writes OUTDIR/OUTNAME
(an RNTuple named like the tree) from inside OUTDIR under a bare name.
"""

import os
import sys

import ROOT


def importer_class():
    try:
        return ROOT.Experimental.RNTupleImporter
    except AttributeError:
        return ROOT.RNTupleImporter


def main():
    source = os.path.abspath(sys.argv[1])
    out = sys.argv[2]
    tree = sys.argv[3] if len(sys.argv) > 3 else "Events"
    name = sys.argv[4] if len(sys.argv) > 4 else "nanoAOD_rntuple.root"
    os.makedirs(out, exist_ok=True)
    os.chdir(out)
    if os.path.exists(name):
        os.remove(name)
    imp = importer_class().Create(source, tree, name)
    opts = ROOT.RNTupleWriteOptions()
    opts.SetCompression(505)
    opts.SetApproxZippedClusterSize(40000)
    opts.SetPageBufferBudget(256 << 20)
    imp.SetWriteOptions(opts)
    imp.SetIsQuiet(True)
    imp.Import()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark: read the AGC branch set with uproot 5.7.7 (the reference for benches/read_agc.rs).

Usage: python3 benches/uproot_read.py DIR [THREADS] [REPS]

Opens every `*.root` file in DIR (tree or RNTuple `Events`; timed and printed separately) and then reads it
cluster by cluster into awkward arrays, like the Rust bench's work units. THREADS > 1 gives uproot a ThreadPoolExecutor of that size for
decompression and interpretation (uproot's own parallelism; the GIL limits it). One warm-up pass,
then REPS timed passes (default 5); prints one line per pass and a median line.
"""

import glob
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import uproot

BRANCHES = [
    "nJet", "Jet_pt", "Jet_eta", "Jet_phi", "Jet_mass", "Jet_btagCSVV2", "Jet_jetId",
    "nElectron", "Electron_pt", "Electron_eta", "Electron_cutBased", "Electron_sip3d",
    "nMuon", "Muon_pt", "Muon_eta", "Muon_tightId", "Muon_sip3d", "Muon_pfRelIso04_all",
]


def open_trees(paths, executor):
    """Opens every file and its tree (metadata parsing is timed separately, like the Rust bench)."""
    # No array cache: uproot keeps up to 100 MB of decoded arrays per file by default, so after the
    # warm-up pass every repetition would be served from memory (measured here: ~0.3 M events/s
    # reading vs ~1.0 M from the cache on this fileset). anac caches nothing, so neither may uproot.
    opts = {"array_cache": None}
    if executor is not None:
        opts |= {"decompression_executor": executor, "interpretation_executor": executor}
    return [uproot.open(p, **opts)["Events"] for p in paths]


def one_pass(trees):
    events = 0
    values = 0
    for tree in trees:
        for start, stop in clusters(tree):
            arrays = tree.arrays(BRANCHES, entry_start=start, entry_stop=stop, library="ak")
            values += len(arrays)
        events += tree.num_entries
    return events, values


def clusters(tree):
    if hasattr(tree, "cluster_summaries"):  # an RNTuple
        return [(c.num_first_entry, c.num_first_entry + c.num_entries) for c in tree.cluster_summaries]
    offsets = tree.common_entry_offsets()
    return list(zip(offsets[:-1], offsets[1:]))


def main():
    d = sys.argv[1]
    threads = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    paths = sorted(glob.glob(os.path.join(d, "*.root")))
    executor = ThreadPoolExecutor(threads) if threads > 1 else None
    print(f"fileset {d} : {len(paths)} files, uproot {uproot.__version__}, {threads} thread(s)")
    t0 = time.perf_counter()
    trees = open_trees(paths, executor)
    print(f"  uproot open + tree metadata: {time.perf_counter() - t0:.3f} s")
    rates = []
    for rep in range(reps + 1):
        t0 = time.perf_counter()
        events, _ = one_pass(trees)
        secs = time.perf_counter() - t0
        if rep > 0:
            rates.append(events / secs)
            print(f"  uproot threads={threads} rep={rep}: {secs:.3f} s, {events / secs:.0f} events/s")
    print(f"MEDIAN uproot threads={threads}: {statistics.median(rates):.0f} events/s")


if __name__ == "__main__":
    main()

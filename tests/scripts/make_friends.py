#!/usr/bin/env python3
"""Writes a friend tree for a NanoAOD file, for anac's friend-tree tests (tests/friends.rs).

    make_friends.py INPUT OUTPUT [--tree Events] [--friend-tree Friends] [--entries N]

The friend tree has, per entry of INPUT's tree:
  - `ht_friend` (double): the sum of the event's `Jet_pt`, added in order in double precision
    starting from 0 (what anac's `sum(Jet.pt)` computes, so the two are equal bit for bit);
  - `nJet` (int32) + `Jet_ptx2[nJet]` (float): 2 * `Jet_pt` (exact in float).
`--entries N` keeps only the first N entries (a friend that does not match its file).
Written with uproot (5.x) and awkward; the values come from uproot's reading of INPUT.
"""
import argparse

import awkward as ak
import numpy as np
import uproot


def main():
    p = argparse.ArgumentParser()
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--tree", default="Events")
    p.add_argument("--friend-tree", default="Friends")
    p.add_argument("--entries", type=int, default=None)
    a = p.parse_args()
    with uproot.open(a.input) as f:
        pt = f[a.tree]["Jet_pt"].array(entry_stop=a.entries)
    ht = np.empty(len(pt), dtype=np.float64)
    for i, jets in enumerate(ak.to_list(pt)):
        t = 0.0
        for x in jets:
            t += float(np.float32(x))
        ht[i] = t
    ptx2 = ak.values_astype(pt * np.float32(2), np.float32)
    with uproot.recreate(a.output, compression=uproot.ZLIB(1)) as out:
        # A TTree (uproot 5.7 writes an RNTuple for `out[name] = ...`): a record of jagged
        # arrays `Jet` becomes counter `nJet` and `Jet_ptx2[nJet]`, as in NanoAOD.
        data = {"ht_friend": ht, "Jet": ak.zip({"ptx2": ptx2})}
        tree = out.mktree(a.friend_tree, {k: v.type if k == "Jet" else v.dtype for k, v in data.items()})
        tree.extend(data)


if __name__ == "__main__":
    main()

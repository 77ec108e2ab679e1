#!/usr/bin/env python3
"""Byte positions to corrupt in a few shared ROOT files, for tests/root_robustness.rs.

Usage (from the repository root):
    python3 tests/golden/root/robustness/make_mutations.py [DATA_DIR]

Positions are located with uproot 5.7.7 (not with anac's reader, which is what the test checks)
and written to mutations.json next to this script: for each file its size and a list of
{"region", "offset", "branch"?, "codec"?} where region is one of
  header          the file header (magic, version, fBEGIN, fEND, seeks)
  directory       the top directory record (after the file's own key)
  keys_list       the top directory's list of keys
  streamer_info   the TStreamerInfo record
  tree_metadata   the TTree object's key and (compressed) body
  basket_header   a basket's key (sizes, key length, entry counts, fLast)
  basket_payload  a basket's data; "codec" names the compression ("none" when stored raw)
"""

import json
import os
import sys

import uproot

HERE = os.path.dirname(os.path.abspath(__file__))

FILES = {
    "nanoAOD_2015_CMS_Open_Data_ttbar.root": ("Events", ["nJet", "Jet_pt", "Jet_eta", "Muon_tightId"]),
    "uproot-HZZ-zlib.root": ("events", ["NJet", "Jet_Px", "Muon_Charge"]),
    "uproot-HZZ-zstd.root": ("events", ["NJet", "Jet_Px", "Muon_Charge"]),
    "rootgen/layouts_lz4.root": ("t", ["arr_f", "vf", "vvf", "s"]),
    "rootgen/layouts_none.root": ("t", ["arr_f", "vf", "vvf", "s"]),
}

CODECS = {b"ZL": "zlib", b"XZ": "lzma", b"L4": "lz4", b"ZS": "zstd", b"CS": "old"}


def positions(path, tree_name, branches):
    with open(path, "rb") as f:
        raw = f.read()
    fh = uproot.open(path)
    rf = fh.file
    out = []

    def add(region, offsets, **extra):
        for o in offsets:
            if 0 <= o < len(raw):
                out.append(dict(region=region, offset=int(o), **extra))

    add("header", [0, 3, 4, 8, 12, 16, 20, 25, 33, 37])
    d = rf.fBEGIN + rf.fNbytesName
    add("directory", [d, d + 1, d + 11, d + 15, d + 19, d + 23, d + 27])
    k = fh.fSeekKeys
    add("keys_list", [k, k + 4, k + 16, k + 60, k + 80, k + 100])
    s = rf.fSeekInfo
    add("streamer_info", [s, s + 5, s + 90, s + 200, s + rf.fNbytesInfo // 2])
    key = fh.key(tree_name)
    t, kl, nb = key.fSeekKey, key.fKeylen, key.fNbytes
    add("tree_metadata", [t, t + 6, t + 14, t + kl, t + kl + 4, t + kl + 9, t + kl + 40,
                          t + nb - 3] + [t + kl + (nb - kl) * i // 10 for i in range(1, 10)])
    tree = fh[tree_name]
    for name in branches:
        b = tree[name]
        if b._num_normal_baskets == 0:  # stored inside the TTree record: no key of its own
            continue
        seek = int(b.member("fBasketSeek")[0])
        bk = b.basket_key(0)
        kl, nb, ol = bk.fKeylen, bk.fNbytes, bk.fObjlen
        add("basket_header", [seek, seek + 6, seek + 14, seek + kl - 13, seek + kl - 9,
                              seek + kl - 5], branch=name)
        p = seek + kl
        compressed = nb - kl != ol
        codec = CODECS.get(raw[p:p + 2], "unknown") if compressed else "none"
        size = nb - kl
        if compressed:
            offs = [p, p + 2, p + 3, p + 6, p + 9, p + 10, p + 9 + (size - 9) // 2, p + size - 1]
        else:
            offs = [p, p + size // 2, p + size - 1]
        add("basket_payload", offs, branch=name, codec=codec)
    return {"size": len(raw), "tree": tree_name, "positions": out}


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../../..", "../shared/data")
    result = {}
    for rel, (tree, branches) in FILES.items():
        result[rel] = positions(os.path.join(data, rel), tree, branches)
        print(rel, len(result[rel]["positions"]), "positions")
    with open(os.path.join(HERE, "mutations.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()

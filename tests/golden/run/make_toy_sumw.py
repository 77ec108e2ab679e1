#!/usr/bin/env python3
"""Golden values for tests/run/toy_sumw.ana, independently of anac: uproot 5.7.7 + numpy.

Every (process, variation) of analyses/ttbar/toy.yaml: w = genWeight * xsec * lumi / sumw with
sumw = the sum of `genEventSumw` over the `Runs` trees of the sample's files; histograms of the
number of jets with pt > 30 (integer(0, 10): one bin per value, flow bins at both ends) and of
their scalar pt sum (regular(20, 0, 1000)). Output: {name: {"values": [...]}} with flow bins.

Usage (from the repository root): python3 tests/golden/run/make_toy_sumw.py -o tests/golden/run/toy_sumw.json
"""
import argparse
import json
import math
import os

import awkward as ak
import numpy as np
import uproot
import yaml

LUMI = 3378.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    base = "analyses/ttbar"
    spec = yaml.safe_load(open(os.path.join(base, "toy.yaml")))
    out = {}
    for process, variations in spec.items():
        for variation, s in variations.items():
            paths = [os.path.join(base, f["path"]) for f in s["files"]]
            sumw = sum(float(np.sum(uproot.open(p)["Runs"]["genEventSumw"].array(library="np")))
                       for p in paths)
            n_jets = np.zeros(12)
            ht = np.zeros(22)
            for p in paths:
                t = uproot.open(p)["Events"]
                a = t.arrays(["genWeight", "Jet_pt"])
                w = (ak.to_numpy(a["genWeight"]).astype(np.float64) * float(s["xsec"]) * LUMI) / sumw
                pts = a["Jet_pt"]
                for i in range(len(w)):
                    sel = [float(x) for x in pts[i] if float(x) > 30]
                    n = len(sel)
                    n_jets[0 if n < 0 else (11 if n >= 10 else n + 1)] += w[i]
                    h = 0.0
                    for x in sel:
                        h += x
                    z = (h - 0.0) / 1000.0
                    ht[0 if z < 0 else (21 if z >= 1 else int(math.floor(z * 20)) + 1)] += w[i]
            suffix = "" if variation == "nominal" else f"_{variation}"
            out[f"{process}_n_jets{suffix}"] = {"values": n_jets.tolist()}
            out[f"{process}_ht{suffix}"] = {"values": ht.tolist()}
    with open(args.output, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

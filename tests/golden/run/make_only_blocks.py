"""Golden results of tests/run/only_blocks.ana, computed with uproot and numpy (no anac).

Usage (from the repository root):
    python3 tests/golden/run/make_only_blocks.py -o tests/golden/run/only_blocks.json

Per output name (`REGION_NAME_PROCESS`): a histogram's `values` and `variances` with flow bins
(underflow, bins, overflow for regular and integer axes; categories, then the other-values bin),
or a counter's `events` and `sumw`. Outputs of an `only` block exist only for its samples; its
weights apply to its samples only.
"""
import argparse
import json
import os

import numpy as np
import uproot

DATA = os.path.join(os.path.dirname(__file__), "../../../../shared/data")


def regular(x, w, n, lo, hi):
    x = np.asarray(x, dtype=np.float64)
    idx = np.floor((x - lo) / (hi - lo) * n).astype(np.int64) + 1
    idx = np.clip(idx, 0, n + 1)
    idx[x >= hi] = n + 1
    idx[x < lo] = 0
    vals = np.bincount(idx, weights=w, minlength=n + 2)
    var = np.bincount(idx, weights=w * w, minlength=n + 2)
    return {"values": vals.tolist(), "variances": var.tolist()}


def integer(x, w, lo, hi):
    return regular(np.asarray(x, dtype=np.float64), w, hi - lo, lo, hi)


def category(x, w, cats):
    idx = np.array([cats.index(v) if v in cats else len(cats) for v in x])
    vals = np.bincount(idx, weights=w, minlength=len(cats) + 1)
    var = np.bincount(idx, weights=w * w, minlength=len(cats) + 1)
    return {"values": vals.tolist(), "variances": var.tolist()}


def counter(mask, w):
    return {"events": int(mask.sum()), "sumw": float(w[mask].sum())}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", required=True)
    out = {}
    args = ap.parse_args()
    z = uproot.open(os.path.join(DATA, "uproot-Zmumu.root"))["events"].arrays(
        ["M", "Q1", "Q2"], library="np"
    )
    wd = np.ones(len(z["M"]))  # data: never weighted
    out["all_mass_data"] = regular(z["M"], wd, 30, 60.0, 120.0)
    out["any_mass_r_data"] = out["all_mass_data"]
    out["all_opposite_data"] = counter(z["Q1"] != z["Q2"], wd)
    out["any_everything_data"] = integer(np.ones(len(wd)), wd, 0, 2)
    out["any_sub_everything_sub_data"] = out["any_everything_data"]
    out["all_all_events_data"] = counter(np.ones(len(wd), dtype=bool), wd)
    for proc, name in [("higgs", "uproot-HZZ.root"), ("higgs_zlib", "uproot-HZZ-zlib.root")]:
        h = uproot.open(os.path.join(DATA, name))["events"].arrays(
            ["NMuon", "NJet", "MClepton_px", "MCleptonPDGid", "EventWeight"], library="np"
        )
        # `weight 2.0`, and `only higgs { weight 3.0 }`
        w = np.full(len(h["NMuon"]), 6.0 if proc == "higgs" else 2.0)
        # region `any` (and `any_sub`): `only simulation { weight EventWeight }`
        rw = w * h["EventWeight"].astype(np.float64)
        out[f"all_n_mu_h_{proc}"] = integer(h["NMuon"], w, 0, 6)
        out[f"all_lep_px_{proc}"] = regular(h["MClepton_px"], w, 20, -100.0, 100.0)
        ew = w * h["EventWeight"].astype(np.float64)
        out[f"all_lep_id_{proc}"] = category(list(h["MCleptonPDGid"]), ew, [0, 11, 13])
        out[f"all_two_mu_{proc}"] = counter(h["NMuon"] >= 2, w)
        out[f"all_all_events_{proc}"] = counter(np.ones(len(w), dtype=bool), w)
        out[f"any_everything_{proc}"] = integer(np.ones(len(w)), rw, 0, 2)
        out[f"any_sub_everything_sub_{proc}"] = out[f"any_everything_{proc}"]
        if proc == "higgs":
            out["all_higgs_only_higgs"] = counter(np.ones(len(w), dtype=bool), w)
            out["any_n_jet_higgs"] = integer(h["NJet"], rw, 0, 8)
    with open(args.o, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)


main()

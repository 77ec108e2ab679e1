#!/usr/bin/env python3
"""Golden sums of the profiles of tests/run/profiles.ana, filled by ROOT's own TProfile::Fill and
TProfile2D::Fill (PyROOT), independently of anac.

Usage (from the repository root):

    python3 tests/golden/profiles/make_golden.py -o tests/golden/profiles/profiles.json

The analysis is transcribed by hand into a per-event Python function on plain Python values read
with uproot (float branches -> float64, integer branches -> int), absent values as None; the
four-vector formulas are those of tests/golden/run/make_golden.py (imported, not copied). Each
(profile, process, variation) is a ROOT profile with Sumw2() on, filled event by event with the
fill weight anac documents: (EventWeight x the variation's factor) x the region's weight x the
profile's own weight.

Output (JSON): {output name: {"sumw", "sumw2", "sumwy", "sumwy2", "entries"}}, the per-bin lists
flat in UHI order (per axis [underflow, bins..., overflow], or [categories..., overflow] for a
category axis; 2-D x-major), read back from ROOT: fBinEntries (Σw), fBinSumw2 (Σw²), fArray
(Σw·y), fSumw2 (Σw·y²), and fEntries.
"""

import argparse
import importlib.util
import json
import math
import os

import uproot

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

_spec = importlib.util.spec_from_file_location(
    "run_make_golden", os.path.join(REPO, "tests", "golden", "run", "make_golden.py"))
G = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(G)

DATA = os.path.join(REPO, "..", "shared", "data")
SAMPLES = [("hzz", "nominal", "uproot-HZZ.root"), ("hzz", "zlib", "uproot-HZZ-zlib.root")]
VARIATIONS = [("nominal", 1.0), ("scale_up", 1.1), ("scale_down", 0.9)]

# name: (region, axes, [(ROOT bin edges or category count)]): ROOT axes for each profile.
# "reg" (n, lo, hi); "var" edges; "cat" n categories (ROOT bins 0.5.. : we fill the bin index).
PROFILES = {
    "iso_vs_pt": ("all", [("reg", 10, 0.0, 100.0)]),
    "met_vs_eta": ("all", [("reg", 6, -3.0, 3.0)]),
    "jpt_vs_nj": ("all", [("reg", 6, 0.0, 6.0)]),
    "lead_iso": ("all", [("var", [-2.4, -1.0, 0.0, 1.0, 2.4])]),
    "pos_frac": ("all", [("cat", [1, 2, 3])]),
    "q_pt_eta": ("all", [("reg", 5, 0.0, 100.0), ("reg", 3, -3.0, 3.0)]),
    "mass_vs_pt": ("two_mu", [("reg", 8, 0.0, 160.0)]),
}


def events(path):
    t = uproot.open(path)["events"]
    cols = t.arrays(library="np")
    n = len(cols["EventWeight"])
    for i in range(n):
        ev = {"EventWeight": float(cols["EventWeight"][i]),
              "MET_px": float(cols["MET_px"][i]), "MET_py": float(cols["MET_py"][i])}
        for c, fields in (("Muon", ("Px", "Py", "Pz", "E", "Iso", "Charge")),
                          ("Jet", ("Px", "Py", "Pz", "E", "btag"))):
            items = []
            for k in range(len(cols[f"{c}_Px"][i])):
                x = {}
                for f in fields:
                    v = cols[f"{c}_{f}"][i][k]
                    x[f] = int(v) if f == "Charge" else float(v)
                x["p4"] = G.pxpypze(x["Px"], x["Py"], x["Pz"], x["E"])
                items.append(x)
            ev[c] = items
        yield ev


def fills(ev):
    """(profile, position(s), value, own weight factor or None, region weight) per fill."""
    out = []
    muons = [m for m in ev["Muon"] if G.v_pt(m["p4"]) > 5]
    jets = [j for j in ev["Jet"] if G.v_pt(j["p4"]) > 20]
    lead = muons[0] if muons else None
    met = math.sqrt(ev["MET_px"] * ev["MET_px"] + ev["MET_py"] * ev["MET_py"])
    for m in muons:
        out.append(("iso_vs_pt", (G.v_pt(m["p4"]),), m["Iso"], None, None))
    for m in muons:
        out.append(("met_vs_eta", (G.v_eta(m["p4"]),), met, None, None))
    for j in jets:
        out.append(("jpt_vs_nj", (len(jets),), G.v_pt(j["p4"]), 1 + j["btag"] / 2, None))
    if lead is not None:
        out.append(("lead_iso", (G.v_eta(lead["p4"]),), lead["Iso"], None, None))
    # `lead.Charge > 0` is false without a lead; category(1, 2, 3): anything else overflows.
    q = 1 if (lead is not None and lead["Charge"] > 0) else 0
    out.append(("pos_frac", (len(muons),), q, None, None))
    if lead is not None:
        out.append(("q_pt_eta", (G.v_pt(lead["p4"]), G.v_eta(lead["p4"])), lead["Charge"], None, None))
    if len(muons) >= 2:
        mass = G.v_mass(G.v_add(muons[0]["p4"], muons[1]["p4"]))
        out.append(("mass_vs_pt", (G.v_pt(muons[0]["p4"]),), mass, None, 0.5))
    return out


def make(ROOT, name, axes):
    def args(a):
        if a[0] == "reg":
            return [a[1], a[2], a[3]]
        if a[0] == "var":
            import array
            return [len(a[1]) - 1, array.array("d", a[1])]
        return [len(a[1]), 0.0, float(len(a[1]))]
    if len(axes) == 1:
        p = ROOT.TProfile(name, name, *args(axes[0]))
    else:
        p = ROOT.TProfile2D(name, name, *args(axes[0]), *args(axes[1]))
    p.SetDirectory(0)
    p.Sumw2()
    return p


def position(axes, xs):
    """The value ROOT fills on each axis: category axes take the category's bin centre."""
    out = []
    for a, x in zip(axes, xs):
        if a[0] == "cat":
            out.append(a[1].index(x) + 0.5 if x in a[1] else len(a[1]) + 0.5)
        else:
            out.append(float(x))
    return out


def uhi_order(p, axes):
    """fBinEntries, fBinSumw2, fArray, fSumw2 in UHI order (category axes: no underflow)."""
    def cells(a):
        n = len(a[1]) if a[0] == "cat" else (a[1] if a[0] == "reg" else len(a[1]) - 1)
        first = 1 if a[0] == "cat" else 0
        return list(range(first, n + 2))
    bsw2, arr, sw2 = p.GetBinSumw2(), p.GetArray(), p.GetSumw2()
    bins = []
    if len(axes) == 1:
        bins = [p.GetBin(i) for i in cells(axes[0])]
    else:
        bins = [p.GetBin(i, j) for i in cells(axes[0]) for j in cells(axes[1])]
    return {
        "sumw": [p.GetBinEntries(b) for b in bins],
        "sumw2": [bsw2.At(b) for b in bins],
        "sumwy": [arr[b] for b in bins],
        "sumwy2": [sw2.At(b) for b in bins],
        "entries": p.GetEntries(),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    import ROOT  # noqa: E402 (slow to import)
    ROOT.TH1.AddDirectory(False)
    out = {}
    for process, sample_var, file in SAMPLES:
        evs = [fills(ev) + [("_w", None, ev["EventWeight"], None, None)]
               for ev in events(os.path.join(DATA, file))]
        for var, factor in VARIATIONS:
            if sample_var != "nominal" and var != "nominal":
                continue
            label = sample_var if sample_var != "nominal" else var
            profs = {n: make(ROOT, f"{n}_{label}", axes) for n, (_, axes) in PROFILES.items()}
            for ev in evs:
                w = ev[-1][2] * factor
                for name, xs, y, own, region_w in ev[:-1]:
                    fw = w if region_w is None else w * region_w
                    if own is not None:
                        fw = fw * own
                    axes = PROFILES[name][1]
                    pos = position(axes, xs)
                    profs[name].Fill(*pos, float(y), fw)
            for name, (region, axes) in PROFILES.items():
                key = f"{region}_{name}_{process}" + ("" if label == "nominal" else f"_{label}")
                out[key] = uhi_order(profs[name], axes)
    with open(args.output, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()

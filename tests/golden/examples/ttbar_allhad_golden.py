#!/usr/bin/env python3
"""Golden results of examples/ttbar_allhad.ana, computed without anac (uproot + awkward for the
objects, then a plain loop over the events for the jet assignment).

Usage (from the repository root):

    python3 tests/golden/examples/ttbar_allhad_golden.py -o tests/golden/examples/ttbar_allhad.json

The analysis is transcribed by hand from the .ana file (the CMS all-jets t tbar selection with a
mass chi-square). Unlike the .ana file, which runs over ordered 4-tuples of the six jets
(`permutations`) with pt orderings to count each assignment once and finds the second W's jets
by element identity, this script enumerates the assignments by list positions: every unordered
pair of b-tagged jets among the six leading (the harder one is b1), every unordered pair of the
other four as W1 (with b1), and the remaining two as W2 (with b2); the smallest chi-square wins.
The six leading jets are the first six selected jets (`jets[0:6]`; the input stores jets in
decreasing pt). The script checks that no two selected jets have the same pt, so that the .ana
file's pt orderings (b1 harder than b2, q1 harder than q2) count each assignment exactly once.
Four-vectors from (pt, eta, phi, mass) with Python's math in float64. Variations: jes_up/jes_down scale Jet pt by 1.03/0.97 before any
selection; btag_sf_up/down multiply the weight by 1.05^n / 0.95^n, n the b-tagged jets among the
(up to) six leading jets of every event. Weight: genWeight * xsec * lumi / sumw. Output: see
golden_common.py; the `efficiency` derive from the cutflow rows, with the Clopper-Pearson interval
from scipy.
"""

import argparse
import itertools
import math
import os
import sys

import awkward as ak
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as G  # noqa: E402

YAML = "examples/ttbar_allhad.yaml"
LUMI = 18400.0
MW, MT, SW, ST = 80.4, 172.5, 10.0, 15.0
BTAG = 0.8484

BRANCHES = ["genWeight", "Jet_pt", "Jet_eta", "Jet_phi", "Jet_mass", "Jet_jetId", "Jet_btagCSVV2",
            "Electron_pt", "Electron_eta", "Electron_cutBased", "Electron_pfRelIso03_all",
            "Muon_pt", "Muon_eta", "Muon_tightId", "Muon_pfRelIso04_all"]


def p4(pt, eta, phi, m):
    p = pt * math.cosh(eta)
    return (pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta), math.sqrt(p * p + m * m))


def add(*vs):
    out = (0.0, 0.0, 0.0, 0.0)
    for v in vs:
        out = tuple(x + y for x, y in zip(out, v))
    return out


def mass(v):
    m2 = v[3] * v[3] - (v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    return math.sqrt(m2) if m2 >= 0 else -math.sqrt(-m2)


def eta_phi(v):
    pt = math.sqrt(v[0] * v[0] + v[1] * v[1])
    return math.asinh(v[2] / pt), math.atan2(v[1], v[0])


def delta_r(a, b):
    (ea, pa), (eb, pb) = eta_phi(a), eta_phi(b)
    d = pa - pb
    if d > math.pi:
        d -= 2 * math.pi
    elif d <= -math.pi:
        d += 2 * math.pi
    return math.sqrt((ea - eb) ** 2 + d * d)


def chi2(mw1, mw2, mt1, mt2):
    return ((mw1 - MW) / SW) ** 2 + ((mw2 - MW) / SW) ** 2 + ((mt1 - MT) / ST) ** 2 + ((mt2 - MT) / ST) ** 2


def analyse(a, w, jes):
    n = len(w)
    j_pt = G.f64(a.Jet_pt) * jes
    j_sel = (j_pt > 30) & (abs(G.f64(a.Jet_eta)) < 2.4) & ((a.Jet_jetId & 2) != 0)
    jets = ak.to_list(ak.zip({"pt": j_pt[j_sel], "eta": G.f64(a.Jet_eta)[j_sel], "phi": G.f64(a.Jet_phi)[j_sel],
                              "m": G.f64(a.Jet_mass)[j_sel], "b": G.f64(a.Jet_btagCSVV2)[j_sel]}))
    e_sel = (G.f64(a.Electron_pt) > 20) & (abs(G.f64(a.Electron_eta)) < 2.5) & (a.Electron_cutBased >= 4) \
        & (G.f64(a.Electron_pfRelIso03_all) < 0.1)
    m_sel = (G.f64(a.Muon_pt) > 20) & (abs(G.f64(a.Muon_eta)) < 2.4) & a.Muon_tightId \
        & (G.f64(a.Muon_pfRelIso04_all) < 0.15)
    n_lep = ak.to_numpy(ak.sum(e_sel, axis=1) + ak.sum(m_sel, axis=1))
    keys = ["veto", "six", "pt", "bb", "dr", "sig", "side", "many"]
    M = {k: np.zeros(n, bool) for k in keys}
    v = {k: np.full(n, np.nan) for k in ["nj", "nb", "nb6", "chi2", "dr", "mt", "mt1", "mw1", "mw2"]}
    for i in range(n):
        js = jets[i]
        pts = [j["pt"] for j in js]
        assert len(set(pts)) == len(pts), f"event {i}: two selected jets with the same pt"
        M["veto"][i] = n_lep[i] == 0
        v["nj"][i] = len(js)
        v["nb"][i] = sum(j["b"] > BTAG for j in js)
        M["six"][i] = len(js) >= 6
        v["nb6"][i] = sum(j["b"] > BTAG for j in js[:6])  # the (up to) six leading jets
        if len(js) < 6:
            continue
        M["pt"][i] = js[3]["pt"] > 60 and js[4]["pt"] > 50 and js[5]["pt"] > 40
        six = js[:6]
        vec = [p4(j["pt"], j["eta"], j["phi"], j["m"]) for j in six]
        tagged = [k for k in range(6) if six[k]["b"] > BTAG]
        M["bb"][i] = len(tagged) >= 2
        best = None
        n_assign = 0
        for b1, b2 in itertools.combinations(tagged, 2):  # positions: b1 is the harder jet
            others = [k for k in range(6) if k not in (b1, b2)]
            for q1, q2 in itertools.combinations(others, 2):
                r1, r2 = [k for k in others if k not in (q1, q2)]
                wa = add(vec[q1], vec[q2])
                wb = add(vec[r1], vec[r2])
                ta = add(vec[b1], wa)
                tb = add(vec[b2], wb)
                c = chi2(mass(wa), mass(wb), mass(ta), mass(tb))
                n_assign += 1
                if best is None or c < best[0]:
                    best = (c, mass(wa), mass(wb), mass(ta), mass(tb), delta_r(vec[b1], vec[b2]))
        M["many"][i] = n_assign > 6
        if best is None:
            continue
        v["chi2"][i], v["mw1"][i], v["mw2"][i], v["mt1"][i], mt2, v["dr"][i] = best
        v["mt"][i] = (v["mt1"][i] + mt2) / 2
        M["dr"][i] = v["dr"][i] > 2
        M["sig"][i] = v["chi2"][i] < 10
        M["side"][i] = v["chi2"][i] > 20
    ones = np.ones(n, bool)
    steps, cur = [("all events", ones)], ones
    for label, key in [("no isolated lepton", "veto"), ("six jets", "six"),
                       ("jet pt > 60, 60, 60, 60, 50, 40", "pt"), ("two b-tagged jets among the six", "bb")]:
        cur = cur & M[key]
        steps.append((label, cur))
    return cur, M, v, steps


def fill(out_h, out_c, process, suffix, cur, M, v, w):
    H, C = {}, {}
    C["all__all_events"] = G.counter(np.ones(len(w), bool), w)
    for name, ax, val in [("n_jets", G.Integer(6, 12), "nj"), ("n_bjets", G.Integer(0, 6), "nb"),
                          ("chi2_min", G.Regular(25, 0, 50), "chi2"), ("dr_bb", G.Regular(25, 0, 5), "dr")]:
        H[f"all__{name}"] = G.Hist(ax)
        H[f"all__{name}"].fill(cur, w, v[val])
    C["all__three_b_tags_among_six"] = G.counter(cur & M["many"], w)
    sep = cur & M["dr"]
    sig = sep & M["sig"]
    side = sep & M["side"]
    for name, lo, hi, val in [("m_top", 100, 300, "mt"), ("m_top1", 100, 300, "mt1"),
                              ("m_w1", 30, 130, "mw1"), ("m_w2", 30, 130, "mw2")]:
        H[f"signal__{name}"] = G.Hist(G.Regular(20, lo, hi))
        H[f"signal__{name}"].fill(sig, w, v[val])
    H["sideband__m_top"] = G.Hist(G.Regular(20, 100, 300))
    H["sideband__m_top"].fill(side, w, v["mt"])
    for key, h in H.items():
        region, hist = key.split("__")
        out_h[f"{region}_{hist}_{process}{suffix}"] = h.json()
    for key, c in C.items():
        region, cname = key.split("__")
        out_c[f"{region}_{cname}_{process}{suffix}"] = c
    return {"bb_separated": [("dR(b, b') > 2", sep)], "signal": [("chi2 < 10", sig)],
            "sideband": [("chi2 > 20", side)]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    os.chdir(G.REPO)
    out = {"histograms": {}, "counters": {}, "cutflow": {}}
    for process, variation, paths, xsec in G.samples(YAML):
        a, sumw = G.read(paths, BRANCHES)
        w = ak.to_numpy(G.f64(a.genWeight)) * float(xsec) * LUMI / sumw
        contexts = [(variation, 1.0)]
        if variation == "nominal":
            contexts += [("jes_up", 1.03), ("jes_down", 0.97)]
        for name, jes in contexts:
            cur, M, v, steps = analyse(a, w, jes)
            suffix = "" if name == "nominal" else f"_{name}"
            regions = fill(out["histograms"], out["counters"], process, suffix, cur, M, v, w)
            if name == variation:
                out["cutflow"][f"{process}/{variation}"] = {
                    "common": G.cutflow_rows(steps, w),
                    "regions": {r: G.cutflow_rows(s, w) for r, s in regions.items()},
                }
                # weight variations: the nominal selection, the weight times the factor
                nb6 = v["nb6"]
                for vname, f in [("btag_sf_up", 1.05), ("btag_sf_down", 0.95)]:
                    fill(out["histograms"], out["counters"], process, f"_{vname}", cur, M, v,
                         w * np.power(f, nb6))
    out["efficiencies"] = G.efficiencies(out["cutflow"], [
        ("fit_efficiency", "signal/chi2 < 10", "bb_separated/dR(b, b') > 2"),
    ])
    G.write(args.output, out)
    for name, h in sorted(out["histograms"].items()):
        print(f"{name}: {h['entries']} entries")


if __name__ == "__main__":
    main()

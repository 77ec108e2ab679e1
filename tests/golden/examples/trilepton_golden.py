#!/usr/bin/env python3
"""Golden results of examples/trilepton.ana, computed without anac (uproot + awkward for the
objects and the jet cleaning, then a plain loop over the events for the lepton pairs).

Usage (from the repository root):

    python3 tests/golden/examples/trilepton_golden.py -o tests/golden/examples/trilepton.json

The analysis is transcribed by hand from the .ana file (CMS SUS-16-039, category A, on NanoAOD
branches). Unlike the .ana file, which has no union of two collections, this script puts the
electrons and muons of an event into one list: the OSSF pair closest to the Z is searched over all
same-flavour opposite-charge pairs (the first one in (electron pairs, muon pairs) order on a tie,
as the .ana file's `<=` gives), and the third lepton is the list's lepton that is not in the pair
(not the difference of four-vector sums the .ana file uses). M_T = sqrt(2 pt_l MET (1 - cos dphi))
with pt and phi of the lepton's four-vector. Variations: muon_scale_up / muon_scale_down scale Muon
pt by 1.01 / 0.99 before any selection. Weight: genWeight * xsec * lumi / sumw. Output: see
golden_common.py; "entries" is the number of fills of each histogram.
"""

import argparse
import math
import os
import sys

import awkward as ak
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as G  # noqa: E402

YAML = "examples/trilepton.yaml"
LUMI = 35900.0
MZ = 91.1876
BTAG = 0.8484

BRANCHES = ["genWeight", "Flag_METFilters", "MET_pt", "MET_phi",
            "Jet_pt", "Jet_eta", "Jet_phi", "Jet_mass", "Jet_jetId", "Jet_btagCSVV2",
            "Electron_pt", "Electron_eta", "Electron_phi", "Electron_mass", "Electron_charge",
            "Electron_cutBased", "Electron_miniPFRelIso_all",
            "Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass", "Muon_charge", "Muon_mediumId",
            "Muon_miniPFRelIso_all"]

MT_EDGES = (0, 100, 160, 400)
MET_EDGES = (50, 100, 150, 200, 250, 400)


def p4(pt, eta, phi, m):
    p = pt * math.cosh(eta)
    return (pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta), math.sqrt(p * p + m * m))


def add(a, b):
    return tuple(x + y for x, y in zip(a, b))


def mass(v):
    m2 = v[3] * v[3] - (v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    return math.sqrt(m2) if m2 >= 0 else -math.sqrt(-m2)


def dphi(a, b):
    d = math.atan2(a[1], a[0]) - math.atan2(b[1], b[0])
    if d > math.pi:
        return d - 2 * math.pi
    if d <= -math.pi:
        return d + 2 * math.pi
    return d


def mt(a, b):
    pa = math.sqrt(a[0] * a[0] + a[1] * a[1])
    pb = math.sqrt(b[0] * b[0] + b[1] * b[1])
    return math.sqrt(2.0 * pa * pb * (1.0 - math.cos(dphi(a, b))))


def lepton_objects(a, prefix, mask, pt):
    """Selected leptons as jagged float64 fields (for the jet cleaning) and per-event lists."""
    eta, phi, m = G.f64(a[f"{prefix}_eta"]), G.f64(a[f"{prefix}_phi"]), G.f64(a[f"{prefix}_mass"])
    v = G.p4(pt[mask], eta[mask], phi[mask], m[mask])
    jag = {"eta": G.eta_of(v), "phi": G.phi_of(v)}
    rows = ak.to_list(ak.zip({"pt": pt[mask], "eta": eta[mask], "phi": phi[mask], "m": m[mask],
                              "q": a[f"{prefix}_charge"][mask]}))
    return jag, rows


def analyse(a, w, mu_scale):
    e_pt = G.f64(a.Electron_pt)
    e_sel = (e_pt > 10) & (abs(a.Electron_eta) < 2.5) & (a.Electron_cutBased >= 3) \
        & (a.Electron_miniPFRelIso_all < 0.1)
    m_pt = G.f64(a.Muon_pt) * mu_scale if mu_scale != 1.0 else G.f64(a.Muon_pt)
    m_sel = (m_pt > 10) & (abs(a.Muon_eta) < 2.4) & a.Muon_mediumId & (a.Muon_miniPFRelIso_all < 0.2)
    e_jag, e_rows = lepton_objects(a, "Electron", e_sel, e_pt)
    m_jag, m_rows = lepton_objects(a, "Muon", m_sel, m_pt)
    j_pt = G.f64(a.Jet_pt)
    jv = G.p4(j_pt, G.f64(a.Jet_eta), G.f64(a.Jet_phi), G.f64(a.Jet_mass))
    jets = {"eta": G.eta_of(jv), "phi": G.phi_of(jv)}
    j_sel = (j_pt > 25) & (abs(a.Jet_eta) < 2.4) & ((a.Jet_jetId & 2) != 0) \
        & ~G.any_near(jets, e_jag, 0.4) & ~G.any_near(jets, m_jag, 0.4)
    n_b = ak.to_numpy(ak.sum(j_sel & (a.Jet_btagCSVV2 > BTAG), axis=1))
    met_pt = ak.to_numpy(G.f64(a.MET_pt))
    met_phi = ak.to_numpy(G.f64(a.MET_phi))
    flags = ak.to_numpy(a.Flag_METFilters)

    n = len(w)
    masks = {k: np.zeros(n, bool) for k in ["filters", "three", "lead", "ossf", "low", "bveto", "met"]}
    m_ll = np.full(n, np.nan)
    mt3 = np.full(n, np.nan)
    n_mu = np.zeros(n, np.int64)
    ee_closer = np.zeros(n, bool)
    for i in range(n):
        leps = [("e", k, r, p4(r["pt"], r["eta"], r["phi"], r["m"])) for k, r in enumerate(e_rows[i])]
        leps += [("m", k, r, p4(r["pt"], r["eta"], r["phi"], r["m"])) for k, r in enumerate(m_rows[i])]
        n_mu[i] = len(m_rows[i])
        masks["filters"][i] = bool(flags[i])
        masks["three"][i] = len(leps) == 3
        masks["lead"][i] = max([r["pt"] for _, _, r, _ in leps], default=0.0) > 25
        # every OSSF pair, electron pairs first, each flavour in (i < j) order
        pairs = [(x, y, mass(add(x[3], y[3]))) for ia, x in enumerate(leps) for y in leps[ia + 1:]
                 if x[0] == y[0] and x[2]["q"] != y[2]["q"]]
        masks["ossf"][i] = len(pairs) >= 1
        masks["low"][i] = not any(mm < 12 for _, _, mm in pairs)
        masks["bveto"][i] = n_b[i] == 0
        masks["met"][i] = met_pt[i] > 50
        if pairs:
            best = min(pairs, key=lambda p: abs(p[2] - MZ))  # the first of equal keys
            ee_closer[i] = best[0][0] == "e"
            m_ll[i] = best[2]
            if len(leps) == 3:
                third = [x for x in leps if x is not best[0] and x is not best[1]][0]
                mt3[i] = mt(third[3], p4(met_pt[i], 0.0, met_phi[i], 0.0))
    steps = [("all events", np.ones(n, bool))]
    cur = np.ones(n, bool)
    for label, key in [("MET filters", "filters"), ("exactly three leptons", "three"),
                       ("leading lepton pt > 25", "lead"), ("an OSSF pair", "ossf"),
                       ("no OSSF pair below 12 GeV", "low"), ("b-jet veto", "bveto"),
                       ("MET > 50", "met")]:
        cur = cur & masks[key]
        steps.append((label, cur))
    H, C = {}, {}
    C["all__all_events"] = G.counter(np.ones(n, bool), w)
    H["all__m_ll"] = G.Hist(G.Regular(40, 0, 200))
    H["all__m_ll"].fill(cur, w, m_ll)
    H["all__mt_3l"] = G.Hist(G.Variable(*MT_EDGES))
    H["all__mt_3l"].fill(cur, w, mt3)
    H["all__met"] = G.Hist(G.Variable(*MET_EDGES))
    H["all__met"].fill(cur, w, met_pt)
    H["all__flavour"] = G.Hist(G.Integer(0, 4))
    H["all__flavour"].fill(cur, w, n_mu)
    C["all__z_from_electrons"] = G.counter(cur & ee_closer, w)
    regions = {}
    for region, label, c in [("below_z", "M_ll < 75", m_ll < 75),
                             ("on_z", "75 < M_ll < 105", (m_ll >= 75) & (m_ll < 105)),
                             ("above_z", "M_ll > 105", m_ll >= 105)]:
        r = cur & c
        regions[region] = [(label, r)]
        h = G.Hist(G.Variable(*MT_EDGES), G.Variable(*MET_EDGES))
        h.fill(r, w, mt3, met_pt)
        H[f"{region}__mt_met"] = h
    return H, C, steps, regions


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
            contexts += [("muon_scale_up", 1.01), ("muon_scale_down", 0.99)]
        for name, scale in contexts:
            with np.errstate(invalid="ignore"):
                H, C, steps, regions = analyse(a, w, scale)
            suffix = "" if name == "nominal" else f"_{name}"
            for key, h in H.items():
                region, hist = key.split("__")
                out["histograms"][f"{region}_{hist}_{process}{suffix}"] = h.json()
            for key, c in C.items():
                region, cname = key.split("__")
                out["counters"][f"{region}_{cname}_{process}{suffix}"] = c
            if name == variation:
                out["cutflow"][f"{process}/{variation}"] = {
                    "common": G.cutflow_rows(steps, w),
                    "regions": {r: G.cutflow_rows(s, w) for r, s in regions.items()},
                }
    G.write(args.output, out)
    for name, h in sorted(out["histograms"].items()):
        print(f"{name}: {h['entries']} entries")


if __name__ == "__main__":
    main()

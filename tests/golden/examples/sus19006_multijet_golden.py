#!/usr/bin/env python3
"""Golden results of examples/sus19006_multijet.ana, computed without anac (uproot + awkward,
whole-array style).

Usage (from the repository root):

    python3 tests/golden/examples/sus19006_multijet_golden.py -o tests/golden/examples/sus19006_multijet.json

The analysis is transcribed by hand from the .ana file (CMS SUS-19-006 on NanoAOD branches):
HT jets pt > 30, |eta| < 2.4, tight ID bit; MHT jets the same with |eta| < 5; b jets CSVv2 >
0.8484; electron, muon and photon vetoes; the baseline cuts, then the regions signal, low_dphi,
nj2_3, nj4_5, nj6_7, nj8. The variations jes_up / jes_down scale Jet pt and mass by 1.05 / 0.95
before any selection. Weight: genWeight * xsec * lumi / sumw (sumw from the Runs tree). Output:
see golden_common.py; "entries" is the number of fills of each histogram.
"""

import argparse
import os
import sys

import awkward as ak
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as G  # noqa: E402

ANA = "examples/sus19006_multijet.ana"
YAML = "examples/sus19006_multijet.yaml"
LUMI = 137000.0
BTAG = 0.8484

BRANCHES = ["genWeight", "Flag_METFilters", "Jet_pt", "Jet_eta", "Jet_phi", "Jet_mass",
            "Jet_btagCSVV2", "Jet_jetId", "Electron_pt", "Electron_eta", "Electron_cutBased",
            "Electron_miniPFRelIso_all", "Muon_pt", "Muon_eta", "Muon_mediumId",
            "Muon_miniPFRelIso_all", "Photon_pt", "Photon_eta", "Photon_cutBased"]

HT_EDGES = (300, 600, 1200, 1700, 2500, 4000)
MHT_EDGES = (300, 350, 600, 850, 1200, 2000)


def analyse(a, w, jes):
    """Histograms (name -> Hist), counters, and the nominal cutflow masks for one context."""
    pt = G.f64(a.Jet_pt) * jes if jes != 1.0 else G.f64(a.Jet_pt)
    mass = G.f64(a.Jet_mass) * jes if jes != 1.0 else G.f64(a.Jet_mass)
    eta, phi = G.f64(a.Jet_eta), G.f64(a.Jet_phi)
    tight = (a.Jet_jetId & 2) != 0
    sel_ht = (pt > 30) & (abs(eta) < 2.4) & tight
    sel_mht = (pt > 30) & (abs(eta) < 5) & tight
    jv = G.p4(pt, eta, phi, mass)
    mht_vec = G.p4_neg(G.p4_sum(G.p4_take(jv, sel_mht)))
    mht = ak.to_numpy(G.pt_of(mht_vec))
    mht_phi = ak.to_numpy(G.phi_of(mht_vec))
    jets_pt = pt[sel_ht]
    jets_phi = G.phi_of(G.p4_take(jv, sel_ht))  # phi of each jet's four-vector
    ht = ak.to_numpy(ak.sum(jets_pt, axis=1))
    n_jets = ak.to_numpy(ak.num(jets_pt))
    n_b = ak.to_numpy(ak.sum(a.Jet_btagCSVV2[sel_ht] > BTAG, axis=1))

    n_ve = ak.to_numpy(ak.sum((a.Electron_pt > 10) & (abs(a.Electron_eta) < 2.5)
                              & (a.Electron_cutBased >= 1) & (a.Electron_miniPFRelIso_all < 0.1), axis=1))
    n_vm = ak.to_numpy(ak.sum((a.Muon_pt > 10) & (abs(a.Muon_eta) < 2.4) & a.Muon_mediumId
                              & (a.Muon_miniPFRelIso_all < 0.2), axis=1))
    n_vg = ak.to_numpy(ak.sum((a.Photon_pt > 100) & (abs(a.Photon_eta) < 2.5)
                              & (a.Photon_cutBased >= 1), axis=1))

    dphi = []
    for k in range(4):
        jphi, present = G.at(jets_phi, k)
        d = np.abs(G.delta_phi(jphi, mht_phi))
        dphi.append((d, present))
    with np.errstate(invalid="ignore"):
        pass_dphi = ((dphi[0][1] & (dphi[0][0] > 0.5)) & (dphi[1][1] & (dphi[1][0] > 0.5))
                     & ((n_jets < 3) | (dphi[2][1] & (dphi[2][0] > 0.3)))
                     & ((n_jets < 4) | (dphi[3][1] & (dphi[3][0] > 0.3))))

    hm_bin = np.where(mht < 350, np.where(ht < 600, 1, np.where(ht < 1200, 2, 3)),
                      np.where(mht < 600, np.where(ht < 600, 4, np.where(ht < 1200, 5, 6)),
                               np.where(mht < 850, np.where(ht < 1200, 7, 8),
                                        np.where(ht < 1700, 9, 10))))
    nj_bin = np.where(n_jets <= 3, 0, np.where(n_jets <= 5, 1, np.where(n_jets <= 7, 2,
                                                                         np.where(n_jets <= 9, 3, 4))))
    hm8 = np.where(hm_bin <= 3, hm_bin - 2, hm_bin - 3)
    search_bin = np.where(
        nj_bin == 0, 1 + 10 * np.minimum(n_b, 2) + hm_bin - 1,
        np.where(nj_bin <= 2, 31 + 40 * (nj_bin - 1) + 10 * np.minimum(n_b, 3) + hm_bin - 1,
                 np.where((hm_bin == 1) | (hm_bin == 4), 0,
                          111 + 32 * (nj_bin - 3) + 8 * np.minimum(n_b, 3) + hm8)))

    steps = [("all events", np.ones(len(w), bool))]
    m = np.asarray(a.Flag_METFilters, dtype=bool)
    steps.append(("MET filters", m))
    for label, c in [("at least two jets", n_jets >= 2), ("HT > 300", ht > 300),
                     ("MHT > 300", mht > 300), ("MHT <= HT", mht <= ht),
                     ("muon veto", n_vm == 0), ("electron veto", n_ve == 0),
                     ("photon veto", n_vg == 0)]:
        m = m & c
        steps.append((label, m))
    base = m

    H, C, regions = {}, {}, {}
    C["all__all_events"] = G.counter(np.ones(len(w), bool), w)
    H["all__dphi_1"] = G.Hist(G.Regular(16, 0, 3.2))
    H["all__dphi_1"].fill(base & dphi[0][1], w, dphi[0][0])
    H["all__dphi_2"] = G.Hist(G.Regular(16, 0, 3.2))
    H["all__dphi_2"].fill(base & dphi[1][1], w, dphi[1][0])
    C["all__pass_dphi"] = G.counter(base & pass_dphi, w)

    sig = base & pass_dphi
    regions["signal"] = [("dphi(MHT, jets)", sig)]
    H["signal__search_bin"] = G.Hist(G.Integer(1, 175))
    H["signal__search_bin"].fill(sig, w, search_bin)
    H["signal__ht"] = G.Hist(G.Variable(*HT_EDGES))
    H["signal__ht"].fill(sig, w, ht)
    H["signal__mht"] = G.Hist(G.Variable(*MHT_EDGES))
    H["signal__mht"].fill(sig, w, mht)
    H["signal__n_jets"] = G.Hist(G.Integer(2, 14))
    H["signal__n_jets"].fill(sig, w, n_jets)
    H["signal__n_b"] = G.Hist(G.Integer(0, 5))
    H["signal__n_b"].fill(sig, w, n_b)
    H["signal__ht_mht"] = G.Hist(G.Variable(300, 600, 1200, 1700, 4000),
                                 G.Variable(300, 350, 600, 850, 2000))
    H["signal__ht_mht"].fill(sig, w, ht, mht)
    lead_pt, lead_present = G.at(jets_pt, 0)
    H["signal__lead_jet_pt"] = G.Hist(G.Regular(20, 0, 2000))
    H["signal__lead_jet_pt"].fill(sig & lead_present, w, lead_pt)

    low = base & ~pass_dphi
    regions["low_dphi"] = [("inverted dphi", low)]
    H["low_dphi__mht"] = G.Hist(G.Variable(*MHT_EDGES))
    H["low_dphi__mht"].fill(low, w, mht)
    H["low_dphi__n_jets"] = G.Hist(G.Integer(2, 14))
    H["low_dphi__n_jets"].fill(low, w, n_jets)

    for region, label, cond in [("nj2_3", "2-3 jets", nj_bin == 0), ("nj4_5", "4-5 jets", nj_bin == 1),
                                ("nj6_7", "6-7 jets", nj_bin == 2), ("nj8", "8 or more jets", nj_bin >= 3)]:
        m2 = sig & cond
        regions[region] = [(f"{label}, dphi(MHT, jets)", m2)]
        h = G.Hist(G.Integer(1, 11), G.Integer(0, 4))
        h.fill(m2, w, hm_bin, np.minimum(n_b, 3))
        H[f"{region}__hm_nb"] = h
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
        contexts = [("nominal", 1.0)]
        if variation == "nominal":
            contexts += [("jes_up", 1.05), ("jes_down", 0.95)]
        for ctx, jes in contexts:
            H, C, steps, regions = analyse(a, w, jes)
            name = variation if ctx == "nominal" else ctx
            suffix = "" if name == "nominal" else f"_{name}"
            for key, h in H.items():
                region, hist = key.split("__")
                out["histograms"][f"{region}_{hist}_{process}{suffix}"] = h.json()
            for key, c in C.items():
                region, cname = key.split("__")
                out["counters"][f"{region}_{cname}_{process}{suffix}"] = c
            if ctx == "nominal":
                out["cutflow"][f"{process}/{variation}"] = {
                    "common": G.cutflow_rows(steps, w),
                    "regions": {r: G.cutflow_rows(s, w) for r, s in regions.items()},
                }
    G.write(args.output, out)
    for name, h in sorted(out["histograms"].items()):
        print(f"{name}: {h['entries']} entries")


if __name__ == "__main__":
    main()

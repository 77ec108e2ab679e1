#!/usr/bin/env python3
"""Golden results of examples/monophoton.ana, computed without anac (uproot + awkward, whole-array
style; the overlap removal with ak.cartesian(nested=True)).

Usage (from the repository root):

    python3 tests/golden/examples/monophoton_golden.py -o tests/golden/examples/monophoton.json

The analysis is transcribed by hand from the .ana file (ATLAS EXOT-2016-32 on NanoAOD branches):
tight photons; electrons and muons not within dR < 0.4 of a photon; jets not within 0.2 of such an
electron nor 0.4 of a photon; leptons not within 0.4 of a remaining jet; the cuts and the five
signal regions. dR uses each object's four-vector (eta = asinh(pz / pt), phi = atan2(py, px)).
Variations: pes_up / pes_down scale Photon pt by 1.02 / 0.98 before any selection; photon_id_sf
multiplies the weight by 1.03 / 0.97. Weight: genWeight * xsec * lumi / sumw. Output: see
golden_common.py; "entries" is the number of fills of each histogram.
"""

import argparse
import os
import sys

import awkward as ak
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as G  # noqa: E402

YAML = "examples/monophoton.yaml"
LUMI = 36100.0

BRANCHES = ["genWeight", "Flag_METFilters", "MET_pt", "MET_phi",
            "Jet_pt", "Jet_eta", "Jet_phi", "Jet_mass", "Jet_jetId",
            "Electron_pt", "Electron_eta", "Electron_phi", "Electron_mass", "Electron_cutBased",
            "Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass", "Muon_looseId",
            "Photon_pt", "Photon_eta", "Photon_phi", "Photon_mass", "Photon_cutBased",
            "Photon_electronVeto", "Photon_pixelSeed"]

PT_EDGES = (150, 175, 200, 250, 300, 400, 600, 1000)


def objects(a, prefix, pt_scale=1.0):
    pt = G.f64(a[f"{prefix}_pt"])
    if pt_scale != 1.0:
        pt = pt * pt_scale
    v = G.p4(pt, G.f64(a[f"{prefix}_eta"]), G.f64(a[f"{prefix}_phi"]), G.f64(a[f"{prefix}_mass"]))
    return {"pt": pt, "eta_stored": G.f64(a[f"{prefix}_eta"]), "eta": G.eta_of(v), "phi": G.phi_of(v)}


def take(o, mask):
    return {k: x[mask] for k, x in o.items()}


def analyse(a, w, pes):
    g = objects(a, "Photon", pes)
    geta = abs(g["eta_stored"])
    photons = take(g, (g["pt"] > 10) & (geta < 2.37) & ~((geta > 1.37) & (geta < 1.52))
                   & (a.Photon_cutBased == 3) & a.Photon_electronVeto & ~a.Photon_pixelSeed)
    e = objects(a, "Electron")
    e_id = (e["pt"] > 7) & (abs(e["eta_stored"]) < 2.47) & (a.Electron_cutBased >= 2)
    electrons = take(e, e_id & ~G.any_near(e, photons, 0.4))
    m = objects(a, "Muon")
    m_id = (m["pt"] > 6) & (abs(m["eta_stored"]) < 2.7) & a.Muon_looseId
    muons = take(m, m_id & ~G.any_near(m, photons, 0.4))
    j = objects(a, "Jet")
    id_jets = take(j, (j["pt"] > 20) & (abs(j["eta_stored"]) < 4.5) & ((a.Jet_jetId & 2) != 0))
    jets = take(id_jets, ~G.any_near(id_jets, electrons, 0.2) & ~G.any_near(id_jets, photons, 0.4))
    clean_e = take(electrons, ~G.any_near(electrons, jets, 0.4))
    clean_m = take(muons, ~G.any_near(muons, jets, 0.4))
    sj = take(jets, jets["pt"] > 30)

    met_pt = ak.to_numpy(G.f64(a.MET_pt))
    met = G.p4(met_pt, np.zeros(len(met_pt)), ak.to_numpy(G.f64(a.MET_phi)), np.zeros(len(met_pt)))
    met_phi = G.phi_of(met)
    g_pt, g_present = G.at(photons["pt"], 0)
    g_phi, _ = G.at(photons["phi"], 0)
    g_eta, _ = G.at(photons["eta_stored"], 0)
    n_jets = ak.to_numpy(ak.num(sj["pt"]))
    sum_et = (ak.to_numpy(ak.sum(photons["pt"], axis=1)) + ak.to_numpy(ak.sum(sj["pt"], axis=1))
              + ak.to_numpy(ak.sum(clean_e["pt"], axis=1)) + ak.to_numpy(ak.sum(clean_m["pt"], axis=1)))
    with np.errstate(divide="ignore"):
        met_sig = met_pt / np.sqrt(sum_et)
    dphi_jets_ok = ak.to_numpy(ak.all(abs(G.delta_phi(sj["phi"], met_phi)) > 0.4, axis=1))
    n_ce, n_cm = ak.to_numpy(ak.num(clean_e["pt"])), ak.to_numpy(ak.num(clean_m["pt"]))
    n_raw_lep = ak.to_numpy(ak.sum(e_id, axis=1)) + ak.to_numpy(ak.sum(m_id, axis=1))

    steps = [("all events", np.ones(len(w), bool))]
    cur = np.asarray(a.Flag_METFilters, dtype=bool)
    steps.append(("MET filters", cur))
    with np.errstate(invalid="ignore"):
        cur = cur & g_present & (g_pt > 150)
    steps.append(("tight photon pt > 150", cur))
    H, C = {}, {}
    C["all__all_events"] = G.counter(np.ones(len(w), bool), w)
    H["all__removed_jets"] = G.Hist(G.Integer(0, 4))
    H["all__removed_jets"].fill(cur, w, ak.to_numpy(ak.num(id_jets["pt"]) - ak.num(jets["pt"])))
    H["all__removed_leptons"] = G.Hist(G.Integer(0, 4))
    H["all__removed_leptons"].fill(cur, w, ak.to_numpy(ak.sum(e_id, axis=1)) - n_ce
                                   + ak.to_numpy(ak.sum(m_id, axis=1)) - n_cm)
    C["all__saved_by_removal"] = G.counter(cur & (n_ce + n_cm == 0) & (n_raw_lep > 0), w)
    with np.errstate(invalid="ignore"):
        dphi_g = np.abs(G.delta_phi(g_phi, met_phi))
        for label, c in [("lepton veto", (n_ce == 0) & (n_cm == 0)), ("MET > 150", met_pt > 150),
                         ("dphi(photon, MET) > 0.4", g_present & (dphi_g > 0.4)),
                         ("at most one jet", n_jets <= 1), ("dphi(jet, MET) > 0.4", dphi_jets_ok),
                         ("MET / sqrt(SumET) > 8.5", met_sig > 8.5)]:
            cur = cur & c
            steps.append((label, cur))
    H["all__photon_pt"] = G.Hist(G.Variable(*PT_EDGES))
    H["all__photon_pt"].fill(cur, w, g_pt)
    H["all__met_pt"] = G.Hist(G.Variable(150, 225, 300, 400, 600, 1000))
    H["all__met_pt"].fill(cur, w, met_pt)
    H["all__photon_eta"] = G.Hist(G.Regular(10, -2.5, 2.5))
    H["all__photon_eta"].fill(cur, w, g_eta)
    H["all__n_jets"] = G.Hist(G.Integer(0, 3))
    H["all__n_jets"].fill(cur, w, n_jets)
    H["all__met_sig"] = G.Hist(G.Regular(20, 0, 40))
    H["all__met_sig"].fill(cur, w, met_sig)
    regions = {}
    for region, label, c in [("SRI1", "MET > 150 (SRI1)", met_pt > 150), ("SRI2", "MET > 225", met_pt > 225),
                             ("SRI3", "MET > 300", met_pt > 300), ("SRE1", "150 < MET < 225", met_pt < 225),
                             ("SRE2", "225 < MET < 300", (met_pt > 225) & (met_pt < 300))]:
        r = cur & c
        regions[region] = [(label, r)]
        H[f"{region}__photon_pt"] = G.Hist(G.Variable(*PT_EDGES))
        H[f"{region}__photon_pt"].fill(r, w, g_pt)
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
        contexts = [(variation, 1.0, 1.0)]
        if variation == "nominal":
            contexts += [("pes_up", 1.02, 1.0), ("pes_down", 0.98, 1.0),
                         ("photon_id_sf_up", 1.0, 1.03), ("photon_id_sf_down", 1.0, 0.97)]
        for name, pes, factor in contexts:
            H, C, steps, regions = analyse(a, w * factor if factor != 1.0 else w, pes)
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

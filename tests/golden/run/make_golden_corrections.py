#!/usr/bin/env python3
"""Golden histograms of examples/corrections/ttbar_corrected.ana, computed without anac: uproot +
awkward + numpy for the selection, Python correctionlib 2.9.0 for the corrections.

Usage (from the repository root):

    python3 tests/golden/run/make_golden_corrections.py -o tests/golden/run/corrections.json

Output: {"histograms": {name: {"contents", "variances"}}} with flat UHI-order lists (underflow,
bins, overflow), for every sample of analyses/ttbar/samples.yaml: the muon region (scale factor,
muon pt, jet count) with the muon_id up/down variations for nominal samples, and the corrected
and raw H_T of the 4j1b region and H_T and jet pt of 4j2b.
"""

import argparse
import json
import os

import awkward as ak
import correctionlib
import numpy as np
import uproot
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
EX = os.path.join(REPO, "examples", "corrections")
LUMI = 3378.0
BTAG_WP = 0.5

mu_sf = correctionlib.CorrectionSet.from_file(os.path.join(EX, "toy_muon_sf.json.gz"))["toy_muon_id_sf"]
jec = correctionlib.CorrectionSet.from_file(os.path.join(EX, "toy_jec.json"))["toy_jec"]


def regular(values, weights, n, lo, hi):
    """Flat [underflow, bins..., overflow] sums of weights and squared weights (NaN: overflow)."""
    values = np.asarray(values, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    idx = np.floor((values - lo) / (hi - lo) * n).astype(np.int64) + 1
    idx = np.where(values < lo, 0, idx)
    idx = np.where((values >= hi) | np.isnan(values), n + 1, idx)
    idx = np.clip(idx, 0, n + 1)
    c = np.bincount(idx, weights=weights, minlength=n + 2)
    v = np.bincount(idx, weights=weights * weights, minlength=n + 2)
    return {"contents": c.tolist(), "variances": v.tolist()}


def integer(values, weights, lo, hi):
    return regular(np.asarray(values, dtype=np.float64), weights, hi - lo, lo, hi)


def run_sample(files, xsec, nevts_total):
    branches = [
        "Muon_pt", "Muon_eta", "Muon_sip3d", "Muon_pfRelIso04_all",
        "Electron_pt", "Electron_eta", "Electron_cutBased", "Electron_sip3d",
        "Jet_pt", "Jet_eta", "Jet_jetId", "Jet_btagCSVV2",
    ]
    ev = ak.concatenate([uproot.open(f)["Events"].arrays(branches) for f in files])
    mu = (ev.Muon_pt > 30) & (abs(ev.Muon_eta) < 2.1) & (ev.Muon_sip3d < 4) & (ev.Muon_pfRelIso04_all < 0.15)
    el = (ev.Electron_pt > 30) & (abs(ev.Electron_eta) < 2.1) & (ev.Electron_cutBased == 4) & (ev.Electron_sip3d < 4)
    # Jet energy correction per jet (correctionlib evaluates flat arrays).
    counts = ak.num(ev.Jet_pt)
    flat_eta = ak.to_numpy(ak.flatten(ev.Jet_eta)).astype(np.float64)
    flat_pt = ak.to_numpy(ak.flatten(ev.Jet_pt)).astype(np.float64)
    factor = ak.unflatten(jec.evaluate(flat_eta, flat_pt), counts)
    corrected = factor * ak.values_astype(ev.Jet_pt, np.float64)
    jets = (corrected > 30) & (abs(ev.Jet_eta) < 2.4) & (ev.Jet_jetId == 6)
    nmu, nel, nj = ak.sum(mu, axis=1), ak.sum(el, axis=1), ak.sum(jets, axis=1)
    nb = ak.sum(jets & (ev.Jet_btagCSVV2 > BTAG_WP), axis=1)
    # The leading selected muon (if any) and its scale factors.
    mu_pt = ak.values_astype(ev.Muon_pt[mu], np.float64)
    mu_eta = ak.values_astype(ev.Muon_eta[mu], np.float64)
    has_mu = nmu > 0
    lead_pt = ak.to_numpy(ak.fill_none(ak.firsts(mu_pt), 50.0))
    lead_abseta = ak.to_numpy(ak.fill_none(abs(ak.firsts(mu_eta)), 1.0))
    sf = {s: np.where(ak.to_numpy(has_mu), mu_sf.evaluate(lead_abseta, lead_pt, s), 1.0)
          for s in ["nominal", "systup", "systdown"]}
    base = xsec * LUMI / nevts_total
    w = base * sf["nominal"]
    w_up = w * np.where(ak.to_numpy(has_mu), sf["systup"] / sf["nominal"], 1.0)
    w_down = w * np.where(ak.to_numpy(has_mu), sf["systdown"] / sf["nominal"], 1.0)
    lepton = ak.to_numpy((nel + nmu) == 1)
    ht = ak.to_numpy(ak.sum(corrected[jets], axis=1))
    ht_raw = ak.to_numpy(ak.sum(ak.values_astype(ev.Jet_pt[jets], np.float64), axis=1))
    r1 = lepton & ak.to_numpy(nj >= 4) & ak.to_numpy(nb == 1)
    r2 = lepton & ak.to_numpy(nj >= 4) & ak.to_numpy(nb >= 2)
    rmu = lepton & ak.to_numpy(nmu == 1)
    out = {}
    for tag, weights in [("", w), ("_muon_id_up", w_up), ("_muon_id_down", w_down)]:
        out[("muon", "sf", tag)] = regular(sf["nominal"][rmu], weights[rmu], 40, 0.9, 1.0)
        out[("muon", "mu_pt", tag)] = regular(lead_pt[rmu], weights[rmu], 20, 0, 200)
        out[("muon", "n_jets", tag)] = integer(ak.to_numpy(nj)[rmu], weights[rmu], 0, 10)
        out[("4j1b", "ht", tag)] = regular(ht[r1], weights[r1], 25, 50, 550)
        out[("4j1b", "ht_raw", tag)] = regular(ht_raw[r1], weights[r1], 25, 50, 550)
        out[("4j2b", "ht", tag)] = regular(ht[r2], weights[r2], 25, 50, 550)
        jet_pt = ak.values_astype(ev.Jet_pt[jets], np.float64)[r2]
        jw = ak.broadcast_arrays(weights[r2], jet_pt)[0]
        out[("4j2b", "jet_pt", tag)] = regular(ak.to_numpy(ak.flatten(jet_pt)), ak.to_numpy(ak.flatten(jw)), 20, 0, 400)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    samples_path = os.path.join(REPO, "analyses", "ttbar", "samples.yaml")
    samples = yaml.safe_load(open(samples_path))
    hists = {}
    for process, variations in samples.items():
        for variation, spec in variations.items():
            files = [os.path.normpath(os.path.join(os.path.dirname(samples_path), f["path"])) for f in spec["files"]]
            res = run_sample(files, float(spec["xsec"]), float(spec["nevts_total"]))
            for (region, hist, tag), h in res.items():
                if variation != "nominal" and tag:
                    continue  # weight variations apply to the nominal samples only
                sample = process if variation == "nominal" else f"{process}_{variation}"
                hists[f"{region}_{hist}_{sample}{tag}"] = h
    with open(args.output, "w") as f:
        json.dump({"histograms": hists}, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {len(hists)} histograms to {args.output}")


main()

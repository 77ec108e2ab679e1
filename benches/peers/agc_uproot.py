#!/usr/bin/env python3
"""The IRIS-HEP AGC CMS ttbar (lepton + jets) analysis with uproot + awkward + numpy: an
independent peer of analyses/ttbar/ttbar.ana, written from docs/agc-ttbar.md.

Usage (from the repository root):
  python3 benches/peers/agc_uproot.py ../shared/data/agc-small/fileset.yaml -o OUT.json \
      [--max-files N] [--smearing deterministic] [--cutflow CUTFLOW.json] [--step-size N]

FILESET is the AGC layout {process: {variation: {files: [{path, nevts}], nevts_total, xsec}}},
paths relative to the YAML file. Each file is read once, in steps of --step-size entries
(default 250000), only the 15 branches the analysis needs, with uproot's array cache switched
off; the nominal analysis and the kinematic variations all run on the arrays of that read.
Prints the time and events/s to stderr at the end.

Numerical conventions (shared with anac and benches/peers/agc_rdf.py; see README.md here):
  * every float branch is converted to float64 right after reading; all arithmetic is float64;
  * HT = sequential float64 sum of the selected jets' pt in file order;
  * four-vectors: px = pt cos(phi), py = pt sin(phi), pz = pt sinh(eta), E = sqrt(p*p + m*m)
    with p = pt cosh(eta); trijet sums ((j + k) + l); pt = sqrt(px*px + py*py);
    m2 = E*E - (px*px + py*py + pz*pz), mass = sqrt(m2) or -sqrt(-m2). sin, cos, sinh and cosh
    are the C library's (Python's math module, i.e. glibc, as Rust's f64 methods), not numpy's
    ufuncs, whose sinh/cosh differ from glibc in the last bit for about a quarter of the jets;
  * weight w = (xsec * lumi) / nevts, lumi = 3378, nevts = sum of `nevts` of the files processed;
    weight variations fill w * factor;
  * pt_res_up (only with --smearing deterministic): pt * (1 + 0.05 * ndtri(0.001 * k + 0.0005)),
    k = floor(pt * 1000) mod 1000 from the float64 nominal pt;
  * pseudodata = ((ME_var + PS_var) * 0.5) + wjets, variances ((vME + vPS) * 0.25) + vwjets.
"""

import argparse
import json
import math
import os
import sys
import time

import awkward as ak
import hist
import numpy as np
import scipy.special
import uproot
import yaml

LUMI = 3378.0
BTAG_WP = 0.5
NBINS, LOW, HIGH = 25, 50.0, 550.0
REGIONS = ("4j1b", "4j2b")
STEPS = ("all", "exactly one lepton", "at least four jets", "4j1b", "4j2b")

FLOAT_BRANCHES = [
    "Jet_pt", "Jet_eta", "Jet_phi", "Jet_mass", "Jet_btagCSVV2",
    "Electron_pt", "Electron_eta", "Electron_sip3d",
    "Muon_pt", "Muon_eta", "Muon_sip3d", "Muon_pfRelIso04_all",
]
OTHER_BRANCHES = ["Jet_jetId", "Electron_cutBased", "Muon_tightId"]
BRANCHES = FLOAT_BRANCHES + OTHER_BRANCHES


def new_hist():
    return hist.Hist(hist.axis.Regular(NBINS, LOW, HIGH), storage=hist.storage.Weight())


def hist_name(region, process, variation):
    return f"{region}_{process}" if variation == "nominal" else f"{region}_{process}_{variation}"


def libm(fn, x):
    """fn (a math-module function: the C library's) applied to every element of a 1-d float64
    numpy array."""
    return np.fromiter(map(fn, x.tolist()), dtype=np.float64, count=len(x))


def flat(a):
    return ak.to_numpy(ak.flatten(a))


def sequential_sum(lists):
    """Per-list float64 sum, added left to right in list order (awkward's and numpy's sums do
    not promise an order)."""
    n = ak.num(lists)
    width = int(ak.max(n)) if len(n) else 0
    padded = ak.to_numpy(ak.fill_none(ak.pad_none(lists, width, clip=True), 0.0))
    total = np.zeros(len(n), dtype=np.float64)
    for j in range(width):
        total = total + padded[:, j]  # x + 0.0 == x for the padding
    return total


def smear_deterministic(pt):
    """The cross-check resolution smearing: r from the digits of the float64 nominal pt."""
    counts = ak.num(pt)
    p = flat(pt)
    k = np.mod(np.floor(p * 1000.0), 1000.0)  # floor-based, so non-negative
    r = 1.0 + 0.05 * scipy.special.ndtri(0.001 * k + 0.0005)
    return ak.unflatten(p * r, counts)


def m_bjj(pt, eta, phi, mass, btag):
    """Invariant mass of the 3-jet combination (i < j < k, file order) with the largest vector-sum
    pt among those holding a jet with btag > BTAG_WP; the first one on ties."""
    counts = ak.num(pt)
    p, e, f, m = flat(pt), flat(eta), flat(phi), flat(mass)
    px = p * libm(math.cos, f)
    py = p * libm(math.sin, f)
    pz = p * libm(math.sinh, e)
    ptot = p * libm(math.cosh, e)
    en = np.sqrt(ptot * ptot + m * m)
    jets = ak.zip({
        "px": ak.unflatten(px, counts), "py": ak.unflatten(py, counts),
        "pz": ak.unflatten(pz, counts), "e": ak.unflatten(en, counts),
        "b": ak.unflatten(flat(btag) > BTAG_WP, counts),
    })
    a, b, c = ak.unzip(ak.combinations(jets, 3))
    sx = (a.px + b.px) + c.px
    sy = (a.py + b.py) + c.py
    sz = (a.pz + b.pz) + c.pz
    se = (a.e + b.e) + c.e
    keep = a.b | b.b | c.b
    sx, sy, sz, se = sx[keep], sy[keep], sz[keep], se[keep]
    spt = np.sqrt(sx * sx + sy * sy)
    best = ak.argmax(spt, axis=1, keepdims=True)  # first maximum on ties
    bx, by, bz, be = (ak.to_numpy(ak.flatten(v[best])) for v in (sx, sy, sz, se))
    m2 = be * be - (bx * bx + by * by + bz * bz)
    return np.where(m2 >= 0, np.sqrt(np.abs(m2)), -np.sqrt(np.abs(m2)))


class Sample:
    """Histograms and cutflow of one (process, variation) of the fileset."""

    def __init__(self, process, variation, xsec, nevts, smearing):
        self.process, self.variation = process, variation
        self.weight = (xsec * LUMI) / nevts
        self.nominal = variation == "nominal"
        # hist variations filled by this sample: name -> (kind, factor or None)
        names = [variation]
        if self.nominal:
            names.append("pt_scale_up")
            if smearing == "deterministic":
                names.append("pt_res_up")
            for i in range(4):
                names += [f"btag_var_{i}_up", f"btag_var_{i}_down"]
            if process == "wjets":
                names += ["scale_var_up", "scale_var_down"]
        self.hists = {(r, v): new_hist() for r in REGIONS for v in names}
        self.cutflow = {s: [0, 0.0] for s in STEPS}
        self.events = 0

    def fill(self, region, variation, x, weights):
        self.hists[(region, variation)].fill(x, weight=weights)

    def analyse(self, arrays, smearing):
        n = len(arrays)
        self.events += n
        f64 = {b: ak.values_astype(arrays[b], np.float64) for b in FLOAT_BRANCHES}

        el = ((f64["Electron_pt"] > 30) & (abs(f64["Electron_eta"]) < 2.1)
              & (arrays["Electron_cutBased"] == 4) & (f64["Electron_sip3d"] < 4))
        mu = ((f64["Muon_pt"] > 30) & (abs(f64["Muon_eta"]) < 2.1) & arrays["Muon_tightId"]
              & (f64["Muon_sip3d"] < 4) & (f64["Muon_pfRelIso04_all"] < 0.15))
        one_lepton = ak.to_numpy(ak.sum(el, axis=1) + ak.sum(mu, axis=1)) == 1

        pt0 = f64["Jet_pt"]
        kinematic = [(self.variation, pt0)]
        if self.nominal:
            kinematic.append(("pt_scale_up", pt0 * 1.03))
            if smearing == "deterministic":
                kinematic.append(("pt_res_up", smear_deterministic(pt0)))

        for vname, pt in kinematic:
            jmask = (pt > 30) & (abs(f64["Jet_eta"]) < 2.4) & (arrays["Jet_jetId"] == 6)
            four_jets = ak.to_numpy(ak.sum(jmask, axis=1)) >= 4
            sel = one_lepton & four_jets
            jm = jmask[sel]
            jpt = pt[sel][jm]
            jbtag = f64["Jet_btagCSVV2"][sel][jm]
            nb = ak.to_numpy(ak.sum(jbtag > BTAG_WP, axis=1))
            in_region = {"4j1b": nb == 1, "4j2b": nb >= 2}
            obs = {
                "4j1b": sequential_sum(jpt[in_region["4j1b"]]),
                "4j2b": m_bjj(*(a[in_region["4j2b"]] for a in (
                    jpt, f64["Jet_eta"][sel][jm], f64["Jet_phi"][sel][jm],
                    f64["Jet_mass"][sel][jm], jbtag))),
            }
            w = self.weight
            for region in REGIONS:
                x = obs[region]
                self.fill(region, vname, x, np.full(len(x), w))

            if vname != self.variation:
                continue
            # cutflow: nominal analysis and sample variations only
            for step, count in (("all", n), ("exactly one lepton", int(one_lepton.sum())),
                                ("at least four jets", int(sel.sum())),
                                ("4j1b", int(in_region["4j1b"].sum())),
                                ("4j2b", int(in_region["4j2b"].sum()))):
                self.cutflow[step][0] += count
            if not self.nominal:
                continue
            # weight variations reuse the nominal selection; pt_i is the nominal pt
            for region in REGIONS:
                x = obs[region]
                rpt = jpt[in_region[region]]
                for i in range(4):
                    pti = ak.to_numpy(rpt[:, i])
                    d = (0.075 * pti) / 50
                    self.fill(region, f"btag_var_{i}_up", x, w * (1 + d))
                    self.fill(region, f"btag_var_{i}_down", x, w * (1 - d))
                if self.process == "wjets":
                    self.fill(region, "scale_var_up", x, np.full(len(x), w * 1.025))
                    self.fill(region, "scale_var_down", x, np.full(len(x), w * 0.975))

    def finish(self):
        # weighted counts: every event of a sample has the same weight w, so count * w
        for step in STEPS:
            self.cutflow[step][1] = self.cutflow[step][0] * self.weight


def to_json(h):
    return {
        "edges": [float(e) for e in h.axes[0].edges],
        "contents": [float(v) for v in h.values(flow=True)],
        "variances": [float(v) for v in h.variances(flow=True)],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("fileset")
    ap.add_argument("-o", "--output", required=True, help="histograms JSON")
    ap.add_argument("--max-files", type=int, default=None,
                    help="use only the first N files of each (process, variation)")
    ap.add_argument("--smearing", choices=["none", "deterministic"], default="none",
                    help="pt_res_up smearing; without 'deterministic' pt_res_up is skipped")
    ap.add_argument("--cutflow", default=None, help="also write the cutflow JSON here")
    ap.add_argument("--step-size", type=int, default=250_000, help="entries per read")
    args = ap.parse_args()

    if args.smearing != "deterministic":
        print("agc_uproot: pt_res_up skipped (only available with --smearing deterministic)",
              file=sys.stderr)

    with open(args.fileset) as fh:
        fileset = yaml.safe_load(fh)
    base = os.path.dirname(os.path.abspath(args.fileset))

    t0 = time.perf_counter()
    samples = []
    for process, variations in fileset.items():
        for variation, spec in variations.items():
            files = spec["files"][: args.max_files] if args.max_files else spec["files"]
            nevts = sum(int(f["nevts"]) for f in files)
            s = Sample(process, variation, float(spec["xsec"]), nevts, args.smearing)
            for f in files:
                path = os.path.join(base, f["path"])
                tree = uproot.open(path, array_cache=None)["Events"]
                if tree.num_entries != int(f["nevts"]):
                    sys.exit(f"agc_uproot: {path}: {tree.num_entries} entries, "
                             f"fileset says nevts {f['nevts']}")
                for arrays in tree.iterate(BRANCHES, step_size=args.step_size, library="ak"):
                    s.analyse(arrays, args.smearing)
                tree.file.close()
            s.finish()
            samples.append(s)
    secs = time.perf_counter() - t0

    out = {}
    for s in samples:
        for (region, variation), h in s.hists.items():
            out[hist_name(region, s.process, variation)] = h
    for region in REGIONS:
        parts = [f"{region}_ttbar_ME_var", f"{region}_ttbar_PS_var", f"{region}_wjets"]
        if all(p in out for p in parts):
            me, ps, wj = (out[p] for p in parts)
            out[f"{region}_pseudodata"] = {
                "edges": [float(e) for e in me.axes[0].edges],
                "contents": [float(v) for v in
                             ((me.values(flow=True) + ps.values(flow=True)) * 0.5
                              + wj.values(flow=True))],
                "variances": [float(v) for v in
                              ((me.variances(flow=True) + ps.variances(flow=True)) * 0.25
                               + wj.variances(flow=True))],
            }
    out = {k: (v if isinstance(v, dict) else to_json(v)) for k, v in out.items()}
    with open(args.output, "w") as fh:
        json.dump(out, fh, sort_keys=True, indent=1)
        fh.write("\n")

    if args.cutflow:
        cutflow = {f"{s.process}/{s.variation}": s.cutflow for s in samples}
        cutflow = {k: cutflow[k] for k in sorted(cutflow)}  # steps stay in cutflow order
        with open(args.cutflow, "w") as fh:
            json.dump(cutflow, fh, indent=1)
            fh.write("\n")

    events = sum(s.events for s in samples)
    print(f"agc_uproot: {len(out)} histograms, {events} events in {secs:.3f} s: "
          f"{events / secs:.0f} events/s (uproot {uproot.__version__}, "
          f"awkward {ak.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()

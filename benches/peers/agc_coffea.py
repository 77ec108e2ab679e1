#!/usr/bin/env python3
"""The IRIS-HEP AGC CMS ttbar (lepton + jets) analysis as a coffea processor, in the style of the
AGC's reference implementation: NanoEvents (NanoAODSchema) read by coffea's processor.Runner,
objects and combinatorics with awkward and coffea's Lorentz-vector behaviours, hist histograms.
A speed peer of analyses/ttbar/ttbar_deterministic.ana, written from docs/agc-ttbar.md.

Usage (from the repository root):
  python3 benches/peers/agc_coffea.py FILESET.yaml -o OUT.json [-j N] [--chunksize N]

FILESET is the AGC layout {process: {variation: {files: [{path, nevts}], nevts_total, xsec}}}.
-j 1 runs coffea's IterativeExecutor, -j N > 1 its FuturesExecutor with N worker processes.
pt_res_up uses the deterministic smearing of the other peers (see README.md here). The
four-vector arithmetic is coffea's (numpy ufuncs), not the C library's: values agree with anac
to rounding, not bit for bit. Prints the time and events/s to stderr at the end.
"""

import argparse
import json
import os
import sys
import time
import warnings

import awkward as ak
import hist
import numpy as np
import scipy.special
import yaml
from coffea import processor
from coffea.nanoevents import NanoAODSchema

LUMI = 3378.0
BTAG_WP = 0.5
REGIONS = ("4j1b", "4j2b")


def new_hist():
    return hist.Hist(hist.axis.Regular(25, 50.0, 550.0), storage=hist.storage.Weight())


def hist_name(region, process, variation):
    return f"{region}_{process}" if variation == "nominal" else f"{region}_{process}_{variation}"


def smear_deterministic(pt):
    counts = ak.num(pt)
    p = ak.to_numpy(ak.flatten(pt))
    k = np.mod(np.floor(p * 1000.0), 1000.0)
    return ak.unflatten(p * (1.0 + 0.05 * scipy.special.ndtri(0.001 * k + 0.0005)), counts)


class TtbarAnalysis(processor.ProcessorABC):
    def process(self, events):
        md = events.metadata
        process, variation = md["process"], md["variation"]
        w = (md["xsec"] * LUMI) / md["nevts"]
        nominal = variation == "nominal"
        out = {}

        def fill(region, var, x, weight):
            name = hist_name(region, process, var)
            h = out.setdefault(name, new_hist())
            h.fill(x, weight=weight)

        el = events.Electron
        mu = events.Muon
        el = el[(el.pt > 30) & (abs(el.eta) < 2.1) & (el.cutBased == 4) & (el.sip3d < 4)]
        mu = mu[(mu.pt > 30) & (abs(mu.eta) < 2.1) & mu.tightId & (mu.sip3d < 4)
                & (mu.pfRelIso04_all < 0.15)]
        one_lepton = (ak.num(el) + ak.num(mu)) == 1

        jet = events.Jet
        pt0 = ak.values_astype(jet.pt, np.float64)
        kinematic = [(variation, pt0)]
        if nominal:
            kinematic += [("pt_scale_up", pt0 * 1.03), ("pt_res_up", smear_deterministic(pt0))]
        for var, pt in kinematic:
            jets = ak.zip(
                {"pt": pt, "eta": jet.eta, "phi": jet.phi, "mass": jet.mass,
                 "btagCSVV2": jet.btagCSVV2},
                with_name="PtEtaPhiMLorentzVector", behavior=jet.behavior,
            )
            jets = jets[(jets.pt > 30) & (abs(jets.eta) < 2.4) & (jet.jetId == 6)]
            sel = one_lepton & (ak.num(jets) >= 4)
            nb = ak.sum(jets.btagCSVV2 > BTAG_WP, axis=1)
            for region in REGIONS:
                rmask = sel & ((nb == 1) if region == "4j1b" else (nb >= 2))
                rj = jets[rmask]
                if region == "4j1b":
                    x = ak.sum(rj.pt, axis=-1)
                else:
                    tri = ak.combinations(rj, 3, fields=["j1", "j2", "j3"])
                    p4 = tri.j1 + tri.j2 + tri.j3
                    maxb = np.maximum(tri.j1.btagCSVV2,
                                      np.maximum(tri.j2.btagCSVV2, tri.j3.btagCSVV2))
                    p4 = p4[maxb > BTAG_WP]
                    x = ak.flatten(p4[ak.argmax(p4.pt, axis=1, keepdims=True)].mass)
                x = ak.to_numpy(x)
                fill(region, var, x, np.full(len(x), w))
                if var != variation or not nominal:
                    continue
                for i in range(4):
                    d = (0.075 * ak.to_numpy(rj.pt[:, i])) / 50
                    fill(region, f"btag_var_{i}_up", x, w * (1 + d))
                    fill(region, f"btag_var_{i}_down", x, w * (1 - d))
                if process == "wjets":
                    fill(region, "scale_var_up", x, np.full(len(x), w * 1.025))
                    fill(region, "scale_var_down", x, np.full(len(x), w * 0.975))
        return {"hists": out, "events": len(events)}

    def postprocess(self, accumulator):
        return accumulator


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("fileset")
    ap.add_argument("-o", "--output", required=True, help="histograms JSON")
    ap.add_argument("-j", "--workers", type=int, default=1)
    ap.add_argument("--chunksize", type=int, default=250_000)
    args = ap.parse_args()
    warnings.filterwarnings("ignore")

    with open(args.fileset) as fh:
        spec = yaml.safe_load(fh)
    base = os.path.dirname(os.path.abspath(args.fileset))
    fileset = {}
    for process, variations in spec.items():
        for variation, s in variations.items():
            files = {os.path.join(base, f["path"]): "Events" for f in s["files"]}
            fileset[f"{process}__{variation}"] = {
                "files": files,
                "metadata": {"process": process, "variation": variation,
                             "xsec": float(s["xsec"]),
                             "nevts": sum(int(f["nevts"]) for f in s["files"])},
            }

    t0 = time.perf_counter()
    executor = (processor.IterativeExecutor() if args.workers <= 1
                else processor.FuturesExecutor(workers=args.workers))
    run = processor.Runner(executor=executor, schema=NanoAODSchema, chunksize=args.chunksize)
    result = run(fileset, TtbarAnalysis(), treename="Events")
    secs = time.perf_counter() - t0

    hists = result["hists"]
    out = {}
    for name, h in hists.items():
        out[name] = {"edges": [float(e) for e in h.axes[0].edges],
                     "contents": [float(v) for v in h.values(flow=True)],
                     "variances": [float(v) for v in h.variances(flow=True)]}
    for region in REGIONS:
        parts = [f"{region}_ttbar_ME_var", f"{region}_ttbar_PS_var", f"{region}_wjets"]
        if all(p in hists for p in parts):
            me, ps, wj = (hists[p] for p in parts)
            out[f"{region}_pseudodata"] = {
                "edges": [float(e) for e in me.axes[0].edges],
                "contents": [float(v) for v in ((me.values(flow=True) + ps.values(flow=True))
                                                * 0.5 + wj.values(flow=True))],
                "variances": [float(v) for v in ((me.variances(flow=True)
                                                  + ps.variances(flow=True)) * 0.25
                                                 + wj.variances(flow=True))],
            }
    with open(args.output, "w") as fh:
        json.dump(out, fh, sort_keys=True, indent=1)
        fh.write("\n")
    events = result["events"]
    print(f"agc_coffea: {len(out)} histograms, {events} events in {secs:.3f} s: "
          f"{events / secs:.0f} events/s ({args.workers} workers)", file=sys.stderr)


if __name__ == "__main__":
    main()

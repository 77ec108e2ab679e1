"""Checks the skims of tests/run/skim.ana against an independent selection of the same files.

Usage: check_skim.py RESULTS_DIR SAMPLES_YAML

For every (process, sample variation) of the samples file, the selection of skim.ana is redone
with uproot + awkward on the input files, and every branch of the two skim trees that anac wrote
(`all_events_*` and `four_jets_tight_*`) is compared with it, entry by entry: integers and bools
exactly, floats to 1e-12 relative (anac computes in double precision, as this script does).
ROOT itself then opens `skims.root` and must read the same entry counts and values.
Prints "OK" and the number of compared values on success.
"""

import math
import os
import sys

import awkward as ak
import numpy as np
import uproot
import yaml

LUMI = 3378.0


def expected(paths, xsec, nevts):
    """The two skims' columns for one sample, as awkward arrays."""
    arrays = []
    for p in paths:
        arrays.append(uproot.open(p)["Events"].arrays())
    ev = ak.concatenate(arrays)
    jets = ev.Jet_pt
    jmask = (ev.Jet_pt > 25) & (abs(ev.Jet_eta) < 2.4)
    emask = (ev.Electron_pt > 25) & (abs(ev.Electron_eta) < 2.1)
    mmask = (ev.Muon_pt > 25) & (abs(ev.Muon_eta) < 2.1)
    one = (ak.sum(emask, axis=1) + ak.sum(mmask, axis=1)) == 1
    w = xsec * LUMI / nevts
    sel = ev[one]
    jm, mm, em = jmask[one], mmask[one], emask[one]
    jet_fields = [f[4:] for f in ev.fields if f.startswith("Jet_")]
    mu_fields = [f[5:] for f in ev.fields if f.startswith("Muon_")]
    el_fields = [f[9:] for f in ev.fields if f.startswith("Electron_")]
    jpt = sel.Jet_pt[jm]
    bmask = jm & (sel.Jet_btagCSVV2 > 0.5)
    mu_pt = sel.Muon_pt[mm]
    out = {
        "event_weight": np.full(len(sel), w),
        "run": sel.run,
        "luminosityBlock": sel.luminosityBlock,
        "event": sel.event,
        "ht": ak.sum(ak.values_astype(jpt, np.float64), axis=1),
        "n_b": ak.sum(bmask, axis=1),
        "mu_pt": ak.fill_none(ak.firsts(mu_pt), -1.0),
        "njets": ak.num(jpt),
        "nbjets_pt": ak.sum(bmask, axis=1),
        "bjets_pt": sel.Jet_pt[bmask],
        "ndouble_pt": ak.num(jpt),
        "double_pt": 2.0 * ak.values_astype(jpt, np.float64),
        "has_b": ak.sum(bmask, axis=1) > 0,
        "for": ak.num(jpt),
    }
    for f in jet_fields:
        out["jets_" + f] = sel["Jet_" + f][jm]
    four = ak.num(jpt) >= 4
    s4 = sel[four]
    tight = {
        "event_weight": np.full(int(ak.sum(four)), w * 0.5),
        "event": s4.event,
        "nmuons": ak.sum(mm[four], axis=1),
        "nelectrons": ak.sum(em[four], axis=1),
        "lead_eta": ak.fill_none(ak.firsts(s4.Jet_eta[jm[four]]), -9.0),
    }
    for f in mu_fields:
        tight["muons_" + f] = s4["Muon_" + f][mm[four]]
    for f in el_fields:
        tight["electrons_" + f] = s4["Electron_" + f][em[four]]
    return out, tight


def same(name, got, want):
    """Compares two (possibly jagged) arrays; returns the number of values compared."""
    got, want = ak.Array(got), ak.Array(want)
    if got.ndim == 2:
        assert ak.all(ak.num(got) == ak.num(want)), f"{name}: list lengths differ"
        got, want = ak.flatten(got), ak.flatten(want)
    g, w = ak.to_numpy(got), ak.to_numpy(want)
    assert len(g) == len(w), f"{name}: {len(g)} values, expected {len(w)}"
    if g.dtype.kind == "f" or w.dtype.kind == "f":
        ok = np.isclose(g.astype(np.float64), w.astype(np.float64), rtol=1e-12, atol=0)
        assert ok.all(), f"{name}: first difference at {np.argmin(ok)}: {g[~ok][:3]} vs {w[~ok][:3]}"
    else:
        assert (g.astype(np.int64) == w.astype(np.int64)).all(), f"{name}: values differ"
    return len(g)


def main():
    results, samples = sys.argv[1], sys.argv[2]
    base = os.path.dirname(os.path.abspath(samples))
    with open(samples) as f:
        spec = yaml.safe_load(f)
    skims = uproot.open(os.path.join(results, "skims.root"))
    compared = 0
    trees = 0
    for process, variations in spec.items():
        for variation, s in variations.items():
            paths = [os.path.join(base, x["path"]) for x in s["files"]]
            out, tight = expected(paths, float(s["xsec"]), int(s["nevts_total"]))
            suffix = "" if variation == "nominal" else "_" + variation
            for prefix, want in (("all_events_", out), ("four_jets_tight_", tight)):
                name = f"{prefix}{process}{suffix}"
                t = skims[name]
                got = t.arrays(library="ak")
                assert set(got.fields) == set(want), (
                    f"{name}: branches {sorted(set(got.fields) ^ set(want))} differ"
                )
                for b, v in want.items():
                    compared += same(f"{name}.{b}", got[b], v)
                trees += 1
    assert trees == 18, trees

    import ROOT  # noqa: E402  (imported late: slow, and only ROOT's own reading is checked)

    f = ROOT.TFile.Open(os.path.join(results, "skims.root"))
    for key in skims.keys(cycle=False):
        t = f.Get(key)
        u = skims[key]
        assert t.GetEntries() == u.num_entries, key
        cols = ROOT.RDataFrame(t).AsNumpy(["event_weight", "event", "njets" if key.startswith("all") else "nmuons"])
        for b, v in cols.items():
            compared += same(f"ROOT {key}.{b}", np.asarray(v), u[b].array(library="np"))
        if key.startswith("all"):
            jets = ROOT.RDataFrame(t).AsNumpy(["jets_pt"])["jets_pt"]
            flat = np.concatenate([np.asarray(x) for x in jets]) if len(jets) else np.zeros(0)
            compared += same(f"ROOT {key}.jets_pt", flat, ak.flatten(u["jets_pt"].array()))
    assert compared > 10000 and not math.isnan(compared)
    print(f"OK {trees} trees, {compared} values")


if __name__ == "__main__":
    main()

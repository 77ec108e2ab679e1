"""Opens the results folder of `anac run` with hist (+ uhi), uproot and PyROOT and checks that the
three agree with histograms.json bin by bin (flow bins included). Prints `OK <n>` on success;
exits 1 with the first difference otherwise.

Usage: python3 tests/scripts/check_run_outputs.py RESULTS_DIR
"""
import json
import sys

import hist
import numpy as np
import uhi.io.json
import uproot


def fail(msg):
    print("FAIL", msg)
    sys.exit(1)


def close(a, b, what):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        fail(f"{what}: shape {a.shape} != {b.shape}")
    if not np.allclose(a, b, rtol=1e-12, atol=0.0, equal_nan=True):
        i = np.argmax(~np.isclose(a, b, rtol=1e-12, atol=0.0, equal_nan=True))
        fail(f"{what}: cell {i}: {a.ravel()[i]} != {b.ravel()[i]}")


def main(folder):
    with open(f"{folder}/histograms.json") as f:
        raw = json.load(f)
    with open(f"{folder}/histograms.json") as f:
        decoded = json.load(f, object_hook=uhi.io.json.object_hook)
    up = uproot.open(f"{folder}/histograms.root")
    import ROOT  # noqa: E402  (imported late: it is slow)

    rf = ROOT.TFile.Open(f"{folder}/histograms.root")
    if not rf or rf.IsZombie():
        fail("ROOT cannot open histograms.root")
    n = 0
    for name, h in raw.items():
        values = np.asarray(h["storage"]["values"], dtype=float)
        variances = np.asarray(h["storage"]["variances"], dtype=float)
        # hist reads the UHI form (the documented recipe).
        hh = hist.Hist(decoded[name])
        close(hh.values(flow=True), values, f"{name}: hist values")
        close(hh.variances(flow=True), variances, f"{name}: hist variances")
        # uproot and ROOT read the TH1D/TH2D/TH3D. Category axes have no underflow cell in UHI form
        # but do in ROOT's: compare through a mapping.
        axes = h["axes"]
        ro = up[name]
        rv = ro.values(flow=True)
        rvar = ro.variances(flow=True)
        idx = []
        for a in axes:
            ext = len(a["categories"]) + 1 if a["type"].startswith("category") else (
                a["bins"] if a["type"] == "regular" else len(a["edges"]) - 1) + 2
            offset = 1 if a["type"].startswith("category") else 0
            idx.append(np.arange(ext) + offset)
        sel = np.ix_(*idx)
        close(rv[sel], values, f"{name}: uproot values")
        close(rvar[sel], variances, f"{name}: uproot variances")
        th = rf.Get(name)
        if not th:
            fail(f"ROOT: no object {name}")
        for k, a in enumerate(axes):
            ax = [th.GetXaxis(), th.GetYaxis(), th.GetZaxis()][k]
            if a["type"].startswith("category"):
                for i, c in enumerate(a["categories"]):
                    if ax.GetBinLabel(i + 1) != str(c):
                        fail(f"{name}: ROOT label of bin {i + 1} is {ax.GetBinLabel(i + 1)!r}, want {c!r}")
            if ax.GetTitle() != a["metadata"]["label"]:
                fail(f"{name}: ROOT axis title {ax.GetTitle()!r} != {a['metadata']['label']!r}")
        if len(axes) == 1:
            got = np.array([th.GetBinContent(i) for i in range(th.GetNbinsX() + 2)])
            close(got[idx[0]], values, f"{name}: ROOT contents")
            err = np.array([th.GetBinError(i) ** 2 for i in range(th.GetNbinsX() + 2)])
            close(err[idx[0]], variances, f"{name}: ROOT errors squared")
        elif len(axes) == 2:
            nx, ny = th.GetNbinsX() + 2, th.GetNbinsY() + 2
            got = np.array([[th.GetBinContent(i, j) for j in range(ny)] for i in range(nx)])
            close(got[sel], values, f"{name}: ROOT contents")
        else:
            nx, ny, nz = th.GetNbinsX() + 2, th.GetNbinsY() + 2, th.GetNbinsZ() + 2
            got = np.array([[[th.GetBinContent(i, j, k) for k in range(nz)] for j in range(ny)]
                            for i in range(nx)])
            close(got[sel], values, f"{name}: ROOT contents")
        n += 1
    print("OK", n)


if __name__ == "__main__":
    main(sys.argv[1])

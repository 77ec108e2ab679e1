"""Opens the results folder of `anac run` with hist (+ uhi), uproot and PyROOT and checks that the
three agree with histograms.json bin by bin (flow bins included). Profiles (UHI `weighted_mean`
storage, a TProfile / TProfile2D in the ROOT file): hist loads the JSON with the same sums of
weights, means and variances; uproot and ROOT read the same means, sums of weights per bin
(fBinEntries) and errors of the mean, and that error is the one the JSON's variance gives. With
GOLDEN (tests/golden/profiles/profiles.json), every profile's raw ROOT sums (fBinEntries,
fBinSumw2, fArray, fSumw2) and fEntries must also equal the golden ones. Prints `OK <n>` on
success; exits 1 with the first difference otherwise.

Usage: python3 tests/scripts/check_run_outputs.py RESULTS_DIR [GOLDEN]
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


def flat_cells(th, axes, sel_idx):
    """A ROOT histogram's global bin numbers in UHI order (x-major), flow bins included."""
    if len(axes) == 1:
        return [th.GetBin(int(i)) for i in sel_idx[0]]
    return [th.GetBin(int(i), int(j)) for i in sel_idx[0] for j in sel_idx[1]]


def check_profile(name, h, hh, ro, th, idx, sel, golden):
    s = h["storage"]
    sumw = np.asarray(s["sum_of_weights"], dtype=float)
    sumw2 = np.asarray(s["sum_of_weights_squared"], dtype=float)
    means = np.asarray(s["values"], dtype=float)
    variances = np.asarray(s["variances"], dtype=float)
    view = hh.view(flow=True)
    close(view["sum_of_weights"], sumw, f"{name}: hist sum_of_weights")
    close(view["sum_of_weights_squared"], sumw2, f"{name}: hist sum_of_weights_squared")
    close(hh.values(flow=True), means, f"{name}: hist means")
    want_class = "TProfile" if len(h["axes"]) == 1 else "TProfile2D"
    if th.ClassName() != want_class:
        fail(f"{name}: ROOT class {th.ClassName()}, want {want_class}")
    close(ro.values(flow=True)[sel], means, f"{name}: uproot means")
    close(np.asarray(ro.member("fBinEntries")).reshape(ro.values(flow=True).shape, order="F")[sel],
          sumw, f"{name}: uproot fBinEntries")
    cells = flat_cells(th, h["axes"], idx)
    shape = means.shape
    got = np.array([th.GetBinContent(b) for b in cells]).reshape(shape)
    close(got, means, f"{name}: ROOT means")
    got = np.array([th.GetBinEntries(b) for b in cells]).reshape(shape)
    close(got, sumw, f"{name}: ROOT bin entries")
    err = np.array([th.GetBinError(b) for b in cells]).reshape(shape)
    close(ro.errors(flow=True)[sel], err, f"{name}: uproot errors vs ROOT's")
    # The error of the mean from the JSON: sqrt(biased variance / effective entries), where ROOT
    # takes the variance about the mean with Σw in the denominator and n_eff = (Σw)²/Σw².
    with np.errstate(divide="ignore", invalid="ignore"):
        biased = variances * (sumw - sumw2 / sumw) / sumw
        from_json = np.sqrt(biased / (sumw * sumw / sumw2))
    ok = np.isfinite(from_json) & (variances > 0)
    if ok.sum() == 0:
        fail(f"{name}: no bin with a variance")
    close(from_json[ok], err[ok], f"{name}: error of the mean from the JSON vs ROOT's")
    if golden is not None and name in golden:
        g = golden[name]
        arr, sw2, bsw2 = th.GetArray(), th.GetSumw2(), th.GetBinSumw2()
        for key, got in [("sumw", [th.GetBinEntries(b) for b in cells]),
                         ("sumw2", [bsw2.At(b) for b in cells]),
                         ("sumwy", [arr[b] for b in cells]),
                         ("sumwy2", [sw2.At(b) for b in cells])]:
            a, b = np.asarray(got, dtype=float), np.asarray(g[key], dtype=float)
            if not np.allclose(a, b, rtol=1e-10, atol=1e-12):
                i = np.argmax(~np.isclose(a, b, rtol=1e-10, atol=1e-12))
                fail(f"{name}: golden {key} cell {i}: {a[i]} != {b[i]}")
        if th.GetEntries() != g["entries"]:
            fail(f"{name}: {th.GetEntries()} entries, golden {g['entries']}")
        golden.pop(name)


def main(folder, golden_path=None):
    golden = None
    if golden_path is not None:
        with open(golden_path) as f:
            golden = json.load(f)
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
        if h["storage"]["type"] == "weighted_mean":
            axes = h["axes"]
            idx = []
            for a in axes:
                ext = len(a["categories"]) + 1 if a["type"].startswith("category") else (
                    a["bins"] if a["type"] == "regular" else len(a["edges"]) - 1) + 2
                idx.append(np.arange(ext) + (1 if a["type"].startswith("category") else 0))
            th = rf.Get(name)
            if not th:
                fail(f"ROOT: no object {name}")
            check_profile(name, h, hist.Hist(decoded[name]), up[name], th, idx, np.ix_(*idx),
                          golden)
            n += 1
            continue
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
    if golden:
        fail(f"golden profiles not in the results: {sorted(golden)}")
    print("OK", n)


if __name__ == "__main__":
    main(*sys.argv[1:3])

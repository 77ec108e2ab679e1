"""Writes 1-D histograms with PyROOT in the layouts `anac validate` reads from a bare ROOT file,
and what uproot reads back from them, for tests/root_hist.rs.

Usage: python3 write_th1.py OUT_DIR   (writes OUT_DIR/th1.root and OUT_DIR/th1.json)

th1.json: {name: {"edges", "values" (flow bins included), "variances" or null, "entries"}},
names as `dir/name` for histograms in subdirectories, highest cycle only.
"""

import json
import os
import sys

import ROOT
import uproot

out = sys.argv[1]
path = os.path.join(out, "th1.root")
rng = ROOT.TRandom3(7)
f = ROOT.TFile(path, "RECREATE")

# Fixed bins, weighted fills with negative weights, under- and overflow.
h = ROOT.TH1D("weighted", "weighted;x;events", 20, -1.0, 3.0)
h.Sumw2()
for _ in range(5000):
    h.Fill(rng.Gaus(1.0, 1.2), rng.Uniform(-0.3, 1.5))
h.Write()

# Variable bins, single precision.
edges = [0.0, 0.5, 1.5, 3.0, 7.0, 20.0]
import array

hf = ROOT.TH1F("variable", "variable bins", len(edges) - 1, array.array("d", edges))
hf.Sumw2()
for _ in range(3000):
    hf.Fill(rng.Exp(3.0), 0.25)
hf.Write()

# Integer contents without sums of squared weights.
hi = ROOT.TH1I("counts", "counts", 7, 0.0, 7.0)
for _ in range(1000):
    hi.Fill(rng.Poisson(3.0))
hi.Write()

# Two cycles of one name: the newer one wins.
hc = ROOT.TH1D("cycled", "first", 3, 0.0, 3.0)
hc.Fill(0.5)
hc.Write()
hc.Fill(1.5, 2.0)
hc.SetTitle("second")
hc.Write()

# A histogram in a subdirectory, and an object that is not a 1-D histogram.
d = f.mkdir("region")
d.cd()
hs = ROOT.TH1D("inside", "inside", 4, 10.0, 50.0)
hs.Sumw2()
for i in range(100):
    hs.Fill(10.0 + 0.4 * i, 1.0 + 0.01 * i)
hs.Write()
h2 = ROOT.TH2D("two_d", "2-D", 2, 0, 1, 2, 0, 1)
h2.Write()
f.Close()

expected = {}
with uproot.open(path) as u:
    for key, cls in u.classnames(cycle=False).items():
        if not cls.startswith("TH1"):
            continue
        hist = u[key]
        var = hist.variances(flow=True) if hist.weighted else None
        expected[key] = {
            "edges": [float(x) for x in hist.axis().edges()],
            "values": [float(x) for x in hist.values(flow=True)],
            "variances": None if var is None else [float(x) for x in var],
            "entries": float(hist.member("fEntries")),
        }
json.dump(expected, open(os.path.join(out, "th1.json"), "w"), indent=1)

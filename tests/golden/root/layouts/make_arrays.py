"""Writes arrays.root with PyROOT (ROOT 6.40) and arrays.json with the values uproot 5.7.7 reads:
two-dimensional fixed arrays `m[2][3]/D` and `k[3][2]/I` (read by anac as lists of rows) and a
three-dimensional `c[2][2][2]/F` (read flat, eight values per entry).

Usage: python3 make_arrays.py   (writes beside this script)
"""

import json
import os
from array import array

import ROOT
import uproot

here = os.path.dirname(os.path.abspath(__file__))
os.chdir(here)  # bare file names: no machine path inside the file
f = ROOT.TFile("arrays.root", "RECREATE")
t = ROOT.TTree("t", "multi-dimensional fixed arrays")
m = array("d", [0.0] * 6)
k = array("i", [0] * 6)
c = array("f", [0.0] * 8)
t.Branch("m", m, "m[2][3]/D")
t.Branch("k", k, "k[3][2]/I")
t.Branch("c", c, "c[2][2][2]/F")
for i in range(50):
    for j in range(6):
        m[j] = i + 0.125 * j
        k[j] = i * 10 - j
    for j in range(8):
        c[j] = i - 0.5 * j
    t.Fill()
t.Write()
f.Close()

tree = uproot.open("arrays.root")["t"]
golden = {name: tree[name].array(library="np").tolist() for name in ["m", "k", "c"]}
with open("arrays.json", "w") as out:
    json.dump(golden, out)
    out.write("\n")
print("wrote arrays.root and arrays.json")

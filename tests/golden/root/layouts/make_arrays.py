"""Writes arrays.root with PyROOT (ROOT 6.40) and arrays.json with the values uproot 5.7.7 reads:
two-dimensional fixed arrays `m[2][3]/D` and `k[3][2]/I` (read by anac as lists of rows), and
three- and four-dimensional ones, `c[2][2][2]/F`, `w[2][3][4]/D` and `q[2][1][3][2]/S` (read
flat in row-major order, their dimensions kept in the branch's type and `dims`).

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
w = array("d", [0.0] * 24)
q = array("h", [0] * 12)
t.Branch("m", m, "m[2][3]/D")
t.Branch("k", k, "k[3][2]/I")
t.Branch("c", c, "c[2][2][2]/F")
t.Branch("w", w, "w[2][3][4]/D")
t.Branch("q", q, "q[2][1][3][2]/S")
for i in range(50):
    for j in range(6):
        m[j] = i + 0.125 * j
        k[j] = i * 10 - j
    for j in range(8):
        c[j] = i - 0.5 * j
    for j in range(24):
        w[j] = i * 100 + j + 0.5
    for j in range(12):
        q[j] = (i * 13 + j * 7) % 200 - 100
    t.Fill()
t.Write()
f.Close()

tree = uproot.open("arrays.root")["t"]
golden = {name: tree[name].array(library="np").tolist() for name in ["m", "k", "c", "w", "q"]}
with open("arrays.json", "w") as out:
    json.dump(golden, out)
    out.write("\n")
print("wrote arrays.root and arrays.json")

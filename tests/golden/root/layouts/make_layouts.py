"""Writes more_entries.root with PyROOT (ROOT 6.40) and more_entries.json with what ROOT reads
from it: a tree of 100 entries whose branch `x` was filled 30 more times on its own
(`TBranch::Fill`) before `TTree::SetEntries(100)`, in small baskets (the last ones lie past the
tree's end). ROOT reads the tree's 100 entries of every branch; so must anac.

Usage: python3 make_layouts.py   (writes beside this script)
"""

import json
import os
from array import array

import ROOT

here = os.path.dirname(os.path.abspath(__file__))
# Written from this folder under its bare name, so no machine path is stored in the file.
os.chdir(here)
f = ROOT.TFile("more_entries.root", "RECREATE")
t = ROOT.TTree("t", "a branch with more entries than its tree")
x = array("f", [0.0])
y = array("i", [0])
bx = t.Branch("x", x, "x/F")
t.Branch("y", y, "y/I")
bx.SetBasketSize(256)
for i in range(100):
    x[0] = i * 0.5
    y[0] = i
    t.Fill()
for i in range(100, 130):
    x[0] = i * 0.5
    bx.Fill()
t.SetEntries(100)
t.Write()
f.Close()

f = ROOT.TFile("more_entries.root")
t = f.Get("t")
golden = {"tree_entries": int(t.GetEntries()), "x_branch_entries": int(t.GetBranch("x").GetEntries()),
          "x": [], "y": []}
for i in range(t.GetEntries()):
    t.GetEntry(i)
    golden["x"].append(float(t.x))
    golden["y"].append(int(t.y))
with open("more_entries.json", "w") as out:
    json.dump(golden, out)
    out.write("\n")
print("wrote more_entries.root and more_entries.json")

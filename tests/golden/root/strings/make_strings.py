"""Writes strings.root with PyROOT (ROOT 6.40) and strings.json with the values uproot 5.7.7
reads from it: a TString branch, a std::vector<TString> and a std::vector<std::string>, with empty
entries, empty strings and strings longer than 255 bytes (ROOT's 4-byte length form).

Usage: python3 make_strings.py   (writes beside this script)
"""

import json
import os

import ROOT
import uproot

here = os.path.dirname(os.path.abspath(__file__))
# Written from this folder under its bare name, so no machine path is stored in the file.
os.chdir(here)
path = "strings.root"
f = ROOT.TFile(path, "RECREATE")
t = ROOT.TTree("t", "strings")
v = ROOT.std.vector("TString")()
s = ROOT.TString()
vv = ROOT.std.vector("std::string")()
t.Branch("v", v)
t.Branch("s", s)
t.Branch("vv", vv)
for i in range(60):
    v.clear()
    vv.clear()
    for j in range(i % 4):
        v.push_back(ROOT.TString(f"ts{i}_{j}" + "x" * (j * 150)))
        vv.push_back(f"ss{i}_{j}" + "y" * (j * 140) if j != 1 else "")
    s.Clear()
    s.Append(f"single{i}" + "z" * (i * 7))
    t.Fill()
t.Write()
f.Close()

tree = uproot.open(path)["t"]
golden = {name: tree[name].array(library="np").tolist() if name == "s" else tree[name].array().tolist()
          for name in ["v", "s", "vv"]}
with open(os.path.join(here, "strings.json"), "w") as out:
    json.dump(golden, out, indent=0)
    out.write("\n")
print("wrote", path, "and strings.json")

"""Writes strings.root with PyROOT (ROOT 6.40) and strings.json with the values uproot 5.7.7
reads from it: a TString branch, a std::vector<TString> and a std::vector<std::string>, with empty
entries, empty strings and strings longer than 255 bytes (ROOT's 4-byte length form); and
std::set<int>, std::set<double> and std::set<std::string> branches.

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
si = ROOT.std.set("int")()
sd = ROOT.std.set("double")()
ss = ROOT.std.set("std::string")()
t.Branch("si", si)
t.Branch("sd", sd)
t.Branch("ss", ss)
t.Branch("v", v)
t.Branch("s", s)
t.Branch("vv", vv)
for i in range(60):
    v.clear()
    vv.clear()
    si.clear()
    sd.clear()
    ss.clear()
    for j in range(i % 5):
        si.insert(i * 10 - j)
        sd.insert(i + 0.5 * j)
        ss.insert(f"set{i}_{j}")
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
          for name in ["v", "s", "vv", "si", "sd", "ss"]}
with open(os.path.join(here, "strings.json"), "w") as out:
    json.dump(golden, out, indent=0)
    out.write("\n")
print("wrote", path, "and strings.json")

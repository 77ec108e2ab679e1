"""Writes stl.root and stl.json (the values uproot 5.7.7 reads): std::map and std::bitset
branches, tree `t`, 40 entries.
- `m`: a split `std::map<int,float>`, stored as the sub-branches `m.first` (int[]) and
  `m.second` (float[]);
- `vm`: a `std::vector<std::map<int,float>>` (not split: each entry a vector of maps, which
  uproot reads as lists of (key, value) pairs; anac refuses it);
- `fl`: a split struct `Flags { std::bitset<8> bits; int k; }` (sub-branches `bits`, `k`).
  ROOT 6.40 crashes filling a top-level `std::bitset` branch, so the bitset is a member.
The dictionaries come from a header this script writes to a temporary directory and compiles
with ACLiC.

Usage: python3 make_stl.py   (writes beside this script)
"""

import json
import os
import tempfile

import ROOT
import uproot

here = os.path.dirname(os.path.abspath(__file__))
HEADER = """
#include <bitset>
#include <map>
#include <vector>
struct Flags {
   std::bitset<8> bits;
   int k = 0;
};
#ifdef __ROOTCLING__
#pragma link C++ class Flags+;
#pragma link C++ class std::bitset<8>+;
#pragma link C++ class std::map<int,float>+;
#pragma link C++ class std::vector<std::map<int,float> >+;
#endif
"""
build = tempfile.mkdtemp(prefix="anac_stl_")
with open(os.path.join(build, "anac_stl.h"), "w") as h:
    h.write(HEADER)
assert ROOT.gROOT.ProcessLine(f".L {build}/anac_stl.h+") == 0

os.chdir(here)  # bare file names: no machine path inside the file
f = ROOT.TFile("stl.root", "RECREATE")
t = ROOT.TTree("t", "std::map and std::bitset")
m = ROOT.std.map[int, "float"]()
vm = ROOT.std.vector[ROOT.std.map[int, "float"]]()
fl = ROOT.Flags()
t.Branch("m", m)
t.Branch("vm", vm)
t.Branch("fl", fl, 32000, 99)
for i in range(40):
    m.clear()
    for j in range(i % 4):
        m[j * 10 - i] = i + j / 4
    vm.clear()
    for k in range(i % 3):
        one = ROOT.std.map[int, "float"]()
        for j in range(k + 1):
            one[j] = i * 1.5 + j
        vm.push_back(one)
    fl.bits.reset()
    for j in range(8):
        if (i >> (j % 5)) & 1 or j == i % 8:
            fl.bits.set(j)
    fl.k = i * 3
    t.Fill()
t.Write()
f.Close()

tree = uproot.open("stl.root")["t"]
golden = {
    name: tree[name].array(library="ak").tolist()
    for name in ["m.first", "m.second", "vm", "bits", "k"]
}
with open("stl.json", "w") as out:
    json.dump(golden, out)
    out.write("\n")
print("wrote stl.root and stl.json")

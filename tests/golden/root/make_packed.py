"""Writes `packed.root`: Double32_t and Float16_t leaves (scalars, fixed arrays, counter arrays;
without a range, with a range and bit count, truncated) plus a leaf list and a 2-D fixed array,
with PyROOT, and `packed.json`: every value as ROOT itself reads it back (TTree::GetEntry) and,
where uproot 5.7.7 reads the branch, as uproot does.

Usage: python3 make_packed.py   (writes next to this script; the outputs are committed)

uproot misreads two of these layouts (noted in the JSON): a ranged Double32_t array whose title
carries dimensions before the range (`a[3]/d[0,10,12]`: it takes `[3]` for the range), and a
Float16_t counter array without a range (it raises). ROOT is the reference there.
"""

import array
import json
import math
import os

import ROOT
import uproot

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "packed")
path = os.path.join(here, "packed.root")
f = ROOT.TFile(path, "RECREATE")
t = ROOT.TTree("t", "packed floats and other leaf layouts")
buf = {}


def branch(name, leaflist, typecode, size):
    buf[name] = array.array(typecode, [0] * size)
    t.Branch(name, buf[name], leaflist)


branch("n", "n/I", "i", 1)
branch("d32", "d32/d", "d", 1)
branch("d32r", "d32r/d[0,10,16]", "d", 1)
branch("d32pi", "d32pi/d[-pi,pi,20]", "d", 1)
branch("d32t", "d32t/d[0,0,10]", "d", 1)
branch("f16", "f16/f", "f", 1)
branch("f16r", "f16r/f[0,10,12]", "f", 1)
branch("a32", "a32[3]/d[0,10,12]", "d", 3)
branch("a16", "a16[2]/f", "f", 2)
branch("j32", "j32[n]/d[-5,5,20]", "d", 5)
branch("j32f", "j32f[n]/d", "d", 5)
branch("j16", "j16[n]/f", "f", 5)
rng = ROOT.TRandom3(11)
for i in range(500):
    buf["n"][0] = i % 6
    buf["d32"][0] = rng.Gaus(0, 100)
    buf["d32r"][0] = rng.Uniform(0, 10)
    buf["d32pi"][0] = rng.Uniform(-math.pi, math.pi)
    buf["d32t"][0] = rng.Gaus(0, 1000)
    buf["f16"][0] = rng.Gaus(0, 50)
    buf["f16r"][0] = rng.Uniform(0, 10)
    for k in range(3):
        buf["a32"][k] = rng.Uniform(0, 10)
    for k in range(2):
        buf["a16"][k] = rng.Exp(5)
    for k in range(5):
        buf["j32"][k] = rng.Uniform(-5, 5)
        buf["j32f"][k] = rng.Gaus(0, 3)
        buf["j16"][k] = rng.Gaus(0, 3)
    t.Fill()
t.Write()
f.Close()

# What ROOT reads back, entry by entry, through branch addresses.
f = ROOT.TFile(path)
t = f.Get("t")
names = list(buf)
back = {name: array.array(buf[name].typecode, [0] * len(buf[name])) for name in names}
for name in names:
    t.SetBranchAddress(name, back[name])
root_values = {name: [] for name in names}
for i in range(t.GetEntries()):
    t.GetEntry(i)
    n = back["n"][0]
    for name in names:
        v = back[name]
        if name == "n":
            root_values[name].append(int(v[0]))
        elif name.startswith("j"):
            root_values[name].append([float(v[k]) for k in range(n)])
        elif name.startswith("a"):
            root_values[name].append([float(x) for x in v])
        else:
            root_values[name].append(float(v[0]))
t.ResetBranchAddresses()
f.Close()

uproot_values = {}
with uproot.open(path) as u:
    for name in names:
        try:
            uproot_values[name] = u["t"][name].array(library="np").tolist()
        except Exception as e:  # noqa: BLE001 - recorded, compared against ROOT only
            uproot_values[name] = f"uproot cannot read it: {type(e).__name__}"
        else:
            uproot_values[name] = [
                x.tolist() if hasattr(x, "tolist") else x for x in uproot_values[name]
            ]

json.dump(
    {"root": root_values, "uproot": uproot_values},
    open(os.path.join(here, "packed.json"), "w"),
    indent=None,
)

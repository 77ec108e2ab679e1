"""Writes `packed.root`: Double32_t and Float16_t leaves (scalars, fixed arrays, counter arrays;
without a range, with a range and bit count, truncated) and a leaf list (`rec`: x/F:y/D:k/I:s[2]/S),
with PyROOT, and `packed.json`: every value as ROOT itself reads it back (TTree::GetEntry) and,
where uproot 5.7.7 reads the branch, as uproot does.

Usage: python3 make_packed.py   (writes next to this script; the outputs are committed)

uproot misreads two of these layouts (noted in the JSON): a ranged Double32_t array whose title
carries dimensions before the range (`a[3]/d[0,10,12]`: it takes `[3]` for the range), and a
Float16_t counter array without a range (it raises). ROOT is the reference there.
"""

import array
import struct
import json
import math
import os

import ROOT
import uproot

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "packed")
# Written from inside its folder: a TFile records the name it was created with, and an absolute
# path of this machine does not belong in a committed file.
os.chdir(here)
path = "packed.root"
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
# A leaf list: one record per entry, leaves packed one after another (native byte order here).
REC = struct.Struct("=fdi2h")
buf["rec"] = array.array("B", bytes(REC.size))
t.Branch("rec", buf["rec"], "x/F:y/D:k/I:s[2]/S")
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
    REC.pack_into(
        buf["rec"], 0, rng.Gaus(0, 10), rng.Gaus(0, 1e6), i * 7 - 1000, i % 300, -i
    )
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
    if name != "rec":
        t.SetBranchAddress(name, back[name])
root_values = {name: [] for name in names if name != "rec"}
for i in range(t.GetEntries()):
    t.GetEntry(i)
    n = back["n"][0]
    for name in names:
        v = back[name]
        if name == "n":
            root_values[name].append(int(v[0]))
        elif name == "rec":
            # The leaf list through ROOT's own leaves (TLeaf::GetValue).
            leaf = lambda n: t.GetBranch("rec").GetLeaf(n)  # noqa: E731
            root_values.setdefault("rec.x", []).append(leaf("x").GetValue())
            root_values.setdefault("rec.y", []).append(leaf("y").GetValue())
            root_values.setdefault("rec.k", []).append(int(leaf("k").GetValue()))
            s_leaf = leaf("s")
            root_values.setdefault("rec.s", []).append([int(s_leaf.GetValue(j)) for j in range(2)])
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
    rec = u["t"]["rec"].array(library="np")
    for leaf in ["x", "y", "k", "s"]:
        uproot_values["rec." + leaf] = rec[leaf].tolist()
    for name in names:
        if name == "rec":
            continue
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
    open("packed.json", "w"),
    indent=None,
)

"""Writes damaged_table.root: a ROOT 6.40 file written without compression (so its TTree
metadata can be edited in place), whose branch `x` then gets an inconsistent basket table (one
fBasketEntry value made larger than the next), while branch `y` stays intact. The tree must still
open, `y` read, and `x` be refused as damaged (not as an unsupported layout).

Usage: python3 make_damaged.py   (writes beside this script)
"""

import os
import struct
from array import array

import ROOT
import uproot

here = os.path.dirname(os.path.abspath(__file__))
os.chdir(here)  # bare file names: no machine path inside the file
f = ROOT.TFile("damaged_table.root", "RECREATE", "", 0)
t = ROOT.TTree("t", "a branch with a damaged basket table")
x = array("f", [0.0])
y = array("i", [0])
bx = t.Branch("x", x, "x/F")
t.Branch("y", y, "y/I")
bx.SetBasketSize(256)
for i in range(100):
    x[0] = i * 0.5
    y[0] = i
    t.Fill()
t.Write()
f.Close()

starts = [int(v) for v in uproot.open("damaged_table.root")["t"]["x"].member("fBasketEntry")]
assert len(starts) >= 4 and starts[0] == 0, starts
data = bytearray(open("damaged_table.root", "rb").read())
pattern = b"".join(struct.pack(">q", v) for v in starts[:4])
at = data.find(pattern)
assert at > 0 and data.find(pattern, at + 1) < 0, "the basket table must occur exactly once"
# fBasketEntry[2] := fBasketEntry[3] + 1: basket 2 would end before it starts.
struct.pack_into(">q", data, at + 16, starts[3] + 1)
open("damaged_table.root", "wb").write(bytes(data))
print("wrote damaged_table.root; basket starts were", starts[:6])

"""Writes no_offsets.root: counter arrays (`x[n]/F`, `d[n]/D`, `b[n]/O`, `p[n]/d`: Double32_t
stored as float) whose baskets hold no entry offsets, the layout of writers that set a branch's
fEntryOffsetLen to 0. ROOT 6.40 always writes offsets for such branches, so the file is written
by PyROOT without compression and then edited in place:
- each basket key of `x`, `d`, `b` and `p` is cut at its fLast: fObjlen := fLast - fKeylen and
  fNbytes := fLast (the offset table after fLast is left in the file as unused bytes), and the
  branch's fBasketBytes entry follows fNbytes;
- each of those branches gets fEntryOffsetLen := 0.
uproot 5.7.7 then finds no offsets in the baskets and sizes the entries from the counter `n`;
its values are the golden ones (no_offsets.json). `y[n]/F` keeps its offsets, for comparison.
Two trees of the same values: in `t` every branch's baskets end at the same entries (uproot
sizes basket k of `x` from basket k of the counter, so it reads only such a layout); in `u` the
baskets of `x` and `d` end where the counter's do not (anac must give `t`'s values).

Also writes no_offsets_bad_counter.root: the same file with one value of the counter `n` raised
by one, so the counter's total over a basket of `x` no longer matches the basket's contents.

Usage: python3 make_no_offsets.py   (writes beside this script)
"""

import json
import os
import struct
from array import array

import ROOT
import uproot

here = os.path.dirname(os.path.abspath(__file__))
os.chdir(here)  # bare file names: no machine path inside the file
NAME = "no_offsets.root"
EDITED = ["x", "d", "b", "p"]

def write_tree(name, title, aligned):
    t = ROOT.TTree(name, title)
    n = array("i", [0])
    x = array("f", [0.0] * 8)
    d = array("d", [0.0] * 8)
    b = array("b", [0] * 8)
    y = array("f", [0.0] * 8)
    p = array("d", [0.0] * 8)
    t.Branch("n", n, "n/I")
    bx = t.Branch("x", x, "x[n]/F")
    bd = t.Branch("d", d, "d[n]/D")
    t.Branch("b", b, "b[n]/O")
    t.Branch("y", y, "y[n]/F")
    # Double32_t without a range (stored as float; uproot 5.7.7 misreads ranged ones).
    t.Branch("p", p, "p[n]/d")
    if aligned:
        t.SetAutoFlush(60)  # every branch's baskets end at the same entries
    else:
        t.SetAutoFlush(0)
        bx.SetBasketSize(512)  # baskets of x and d end where the counter's do not
        bd.SetBasketSize(1024)
    for i in range(300):
        n[0] = (i * 7) % 6  # 0..5, zeros included
        for j in range(n[0]):
            x[j] = i + 0.25 * j
            d[j] = -i - 0.125 * j
            b[j] = (i + j) % 3 == 0
            y[j] = 2 * i + j
            p[j] = i + 0.25 * j
        t.Fill()
    t.Write()


f = ROOT.TFile(NAME, "RECREATE", "", 0)
write_tree("t", "counter arrays without entry offsets", True)
write_tree("u", "the same, baskets not aligned with the counter's", False)
f.Close()

data = bytearray(open(NAME, "rb").read())


def find_once(pattern, what):
    at = data.find(pattern)
    assert at >= 0 and data.find(pattern, at + 1) < 0, f"{what} must occur exactly once"
    return at


edits = [(tree, name) for tree in ("t", "u") for name in EDITED]
for tree_name, name in edits:
    br = uproot.open(NAME)[tree_name][name]
    nbaskets = br.member("fWriteBasket")
    bytes_ = [int(v) for v in br.member("fBasketBytes")]
    entry = [int(v) for v in br.member("fBasketEntry")]
    seeks = [int(v) for v in br.member("fBasketSeek")]
    # fBasketBytes, fBasketEntry, fBasketSeek (each after a 1-byte flag): unique to the branch.
    table = b"\x01" + struct.pack(f">{len(bytes_)}i", *bytes_)
    table += b"\x01" + struct.pack(f">{len(entry)}q", *entry)
    table_at = find_once(table + b"\x01" + struct.pack(f">{len(seeks)}q", *seeks), name)
    # fCompress, fBasketSize, fEntryOffsetLen, fWriteBasket: the nearest before the table.
    head = struct.pack(
        ">iiii",
        br.member("fCompress"),
        br.member("fBasketSize"),
        br.member("fEntryOffsetLen"),
        nbaskets,
    )
    head_at = data.rfind(head, 0, table_at)
    assert head_at > 0, name
    struct.pack_into(">i", data, head_at + 8, 0)
    for k in range(nbaskets):
        at = seeks[k]
        nbytes, version, objlen = struct.unpack_from(">ihi", data, at)
        keylen = struct.unpack_from(">h", data, at + 14)[0]
        assert nbytes == bytes_[k] and nbytes - keylen == objlen, "uncompressed baskets"
        # After the key: fVersion (2), fBufferSize, fNevBufSize, fNevBuf, fLast (4 each).
        last = struct.unpack_from(">i", data, at + keylen - 5)[0]
        assert keylen < last < nbytes, (name, k, keylen, last, nbytes)
        struct.pack_into(">i", data, at, last)  # fNbytes
        struct.pack_into(">i", data, at + 6, last - keylen)  # fObjlen
        bytes_[k] = last
    struct.pack_into(f">{len(bytes_)}i", data, table_at + 1, *bytes_)
open(NAME, "wb").write(bytes(data))

tree = uproot.open(NAME)["t"]
for tree_name, name in edits:
    br = uproot.open(NAME)[tree_name][name]
    assert br.member("fEntryOffsetLen") == 0
    for k in range(br.num_baskets):
        assert br.basket(k).byte_offsets is None, (name, k)
assert tree["y"].basket(0).byte_offsets is not None
golden = {"entries": tree.num_entries, "baskets": {}}
for name in ["n", "x", "d", "b", "y", "p"]:
    golden[name] = tree[name].array(library="ak").tolist()
    golden["baskets"][name] = [int(v) for v in tree[name].member("fBasketEntry")][
        : tree[name].num_baskets + 1
    ]
with open("no_offsets.json", "w") as out:
    json.dump(golden, out)
    out.write("\n")

# The bad-counter variant: in tree `t`, raise n at the first entry of x's second basket whose
# count is below 5 (n's baskets are aligned with x's: its second basket starts there too).
counts = golden["n"]
nb = tree["n"]
start = golden["baskets"]["x"][1]
assert golden["baskets"]["n"][1] == start
i = next(j for j in range(start, start + 20) if counts[j] < 5)
seek = int(nb.member("fBasketSeek")[1])
keylen = struct.unpack_from(">h", data, seek + 14)[0]
at = seek + keylen + 4 * (i - start)
assert struct.unpack_from(">i", data, at)[0] == counts[i]
struct.pack_into(">i", data, at, counts[i] + 1)
open("no_offsets_bad_counter.root", "wb").write(bytes(data))
print(f"wrote {NAME}, no_offsets.json, no_offsets_bad_counter.root (n[{i}] raised)")

"""Writes two files of unusual baskets, tree `t` of 150 entries (`x/F`, `n/I`, `a[n]/F`, `z/D`
with `z` alone ZLIB-compressed in an otherwise uncompressed file), and baskets.json with their
golden values:
- empty_baskets.root: zero-entry baskets in the middle (at entry 100) and at the end of `x`,
  `a` and `z`. After `FlushBaskets`, the branch's current, empty basket is written as ROOT's own
  `TBranch::WriteBasket` writes any basket (reached through a small subclass, since it is
  protected), so fBasketEntry repeats a value. Golden values from uproot 5.7.7, which equal the
  formulas below. (ROOT 6.40's `TTree::GetEntry(100)` picks the empty basket and returns stale
  values for `x` and `z`, those of entry 60; the script records that as `root_entry_100`.)
- long_keys.root: basket keys that claim more bytes than their object. The second basket of
  `x` (uncompressed) and of `z` (compressed) gets fNbytes (and the branch's fBasketBytes) 16
  bytes larger. ROOT reads an object no longer than its key's bytes as stored uncompressed
  (`x`) and stops decompressing once fObjlen bytes are out (`z`). uproot 5.7.7 refuses `x`
  (it takes the longer key for a compressed one), so the golden values are ROOT's
  (`TTree::GetEntry`); the script checks that uproot reads `n`, `a` and `z` the same.

Usage: python3 make_baskets.py   (writes beside this script)
"""

import json
import os
import struct
from array import array

import ROOT
import uproot

here = os.path.dirname(os.path.abspath(__file__))
os.chdir(here)  # bare file names: no machine path inside the file
GROWN = ["x", "z"]
EXTRA = 16

ROOT.gInterpreter.Declare(
    """
struct AnacEmptyBasketWriter : public TBranch {
   // Writes the branch's current basket to the file, even when it holds no entry.
   static Int_t Write(TBranch *b) {
      auto *self = static_cast<AnacEmptyBasketWriter *>(b);
      Int_t where = b->GetWriteBasket();
      auto *basket = static_cast<TBasket *>(self->fBaskets.UncheckedAt(where));
      if (!basket) {
         basket = b->GetTree()->CreateBasket(b);
         self->fBaskets.AddAtAndExpand(basket, where);
      }
      return self->WriteBasket(basket, where);
   }
};
"""
)


def write(name, empty_baskets):
    f = ROOT.TFile(name, "RECREATE", "", 0)
    t = ROOT.TTree("t", "unusual baskets")
    x = array("f", [0.0])
    n = array("i", [0])
    a = array("f", [0.0] * 4)
    z = array("d", [0.0])
    bx = t.Branch("x", x, "x/F")
    t.Branch("n", n, "n/I")
    ba = t.Branch("a", a, "a[n]/F")
    bz = t.Branch("z", z, "z/D")
    bz.SetCompressionSettings(101)  # ZLIB level 1

    def fill(first, stop):
        for i in range(first, stop):
            x[0] = i * 0.5
            n[0] = i % 4
            for j in range(n[0]):
                a[j] = i + 0.25 * j
            z[0] = 1000.0 + i / 8.0
            t.Fill()

    def write_empty():
        if empty_baskets:
            for br in (bx, ba, bz):
                assert ROOT.AnacEmptyBasketWriter.Write(br) > 0

    fill(0, 60)
    t.FlushBaskets()
    fill(60, 100)
    t.FlushBaskets()
    write_empty()
    fill(100, 150)
    t.FlushBaskets()
    write_empty()
    t.Write()
    f.Close()


def expected():
    return {
        "x": [i * 0.5 for i in range(150)],
        "n": [i % 4 for i in range(150)],
        "a": [[i + 0.25 * j for j in range(i % 4)] for i in range(150)],
        "z": [1000.0 + i / 8.0 for i in range(150)],
    }


def basket_entries(tree):
    return {
        b: [int(v) for v in tree[b].member("fBasketEntry")][: tree[b].num_baskets + 1]
        for b in ["x", "n", "a", "z"]
    }


def root_values(name):
    f = ROOT.TFile(name)
    t = f.Get("t")
    out = {"x": [], "n": [], "a": [], "z": []}
    for i in range(t.GetEntries()):
        assert t.GetEntry(i) > 0, i
        out["x"].append(float(t.x))
        out["n"].append(int(t.n))
        out["a"].append([float(t.a[j]) for j in range(t.n)])
        out["z"].append(float(t.z))
    f.Close()
    return out


golden = {}

# Zero-entry baskets: uproot's values.
write("empty_baskets.root", True)
tree = uproot.open("empty_baskets.root")["t"]
values = {
    "x": tree["x"].array(library="np").tolist(),
    "n": tree["n"].array(library="np").tolist(),
    "a": tree["a"].array(library="ak").tolist(),
    "z": tree["z"].array(library="np").tolist(),
}
assert values == expected()
root = root_values("empty_baskets.root")
golden["empty_baskets"] = {
    "entries": tree.num_entries,
    "basket_entries": basket_entries(tree),
    **values,
    "root_entry_100": {b: root[b][100] for b in ["x", "z"]},
}

# Keys longer than their object: ROOT's values.
write("long_keys.root", False)
data = bytearray(open("long_keys.root", "rb").read())
tree = uproot.open("long_keys.root")["t"]
for b in GROWN:
    br = tree[b]
    bytes_ = [int(v) for v in br.member("fBasketBytes")]
    entry = [int(v) for v in br.member("fBasketEntry")]
    seeks = [int(v) for v in br.member("fBasketSeek")]
    assert entry[1] < entry[2], (b, entry)  # basket 1 holds entries
    # fBasketBytes, fBasketEntry, fBasketSeek (each after a 1-byte flag): unique to the branch.
    table = b"\x01" + struct.pack(f">{len(bytes_)}i", *bytes_)
    table += b"\x01" + struct.pack(f">{len(entry)}q", *entry)
    table += b"\x01" + struct.pack(f">{len(seeks)}q", *seeks)
    at = data.find(table)
    assert at > 0 and data.find(table, at + 1) < 0, b
    nbytes = struct.unpack_from(">i", data, seeks[1])[0]
    assert nbytes == bytes_[1] and seeks[1] + nbytes + EXTRA <= len(data)
    struct.pack_into(">i", data, seeks[1], nbytes + EXTRA)
    struct.pack_into(">i", data, at + 1 + 4, nbytes + EXTRA)
open("long_keys.root", "wb").write(bytes(data))
root = root_values("long_keys.root")
assert root == expected()
tree = uproot.open("long_keys.root")["t"]
assert tree["n"].array(library="np").tolist() == root["n"]
assert tree["a"].array(library="ak").tolist() == root["a"]
assert tree["z"].array(library="np").tolist() == root["z"]
golden["long_keys"] = {
    "entries": len(root["x"]),
    "basket_entries": basket_entries(tree),
    "grown_bytes": {b: int(tree[b].member("fBasketBytes")[1]) for b in GROWN},
    **root,
}
with open("baskets.json", "w") as out:
    json.dump(golden, out)
    out.write("\n")
print("wrote empty_baskets.root, long_keys.root, baskets.json")

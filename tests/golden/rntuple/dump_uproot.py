"""Reads an RNTuple with uproot (5.7.7) and writes its values as JSON golden values.

Usage: python3 dump_uproot.py FILE NTUPLE OUT.json [FIELD ...]

The JSON maps each field name, as anac's reader names it, to its per-entry values: records are
flattened into `record.field` (`pt.x`), collections of records into `coll.field` (per entry, the
list of that member); integers stay integers, floats are written with Python's round-trip repr
(f32 values widened exactly), strings as strings. Without FIELD arguments every top-level field
is dumped, except the hidden `_collectionN` fields RNTupleImporter writes.
"""

import json
import sys

import awkward as ak
import uproot


def flatten(name, array, out):
    fields = ak.fields(array)
    if fields:
        # Tuples (std::pair, std::tuple) have members `_0`, `_1`, ... in the RNTuple schema.
        tuple_ = ak.is_tuple(array)
        for f in fields:
            flatten(f"{name}._{f}" if tuple_ else f"{name}.{f}", array[f], out)
    else:
        out[name] = ak.to_list(array)


def main():
    path, ntuple, dest, *names = sys.argv[1:]
    rnt = uproot.open(path)[ntuple]
    if not names:
        names = [k for k in rnt.keys(recursive=False) if not k.startswith("_collection")]
    out = {}
    for name in names:
        flatten(name, rnt.arrays([name])[name], out)
    with open(dest, "w") as f:
        json.dump(out, f, sort_keys=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Golden checksums of every TTree branch in ../shared/data (top level, agc-small's first file,
rootgen/ and corpus/), computed with uproot 5.7.7 for tests/root_golden.rs.

Usage (from the repository root):  python3 tests/golden/root/make_golden.py [DATA_DIR]

Output: tests/golden/root/<relative path with '/' -> '__'>.json, one per ROOT file, holding
{"file": <path relative to DATA_DIR>, "uproot": <version>, "trees": [{"name", "entries",
"branches": [...]}]}. Only the highest cycle of each tree name is used (what `tree(name)` opens).

Checksums per branch (all sums as float64; bools are 0/1), designed to catch wrong entry
boundaries as well as wrong values:
  elements     total number of leaf values (strings: number of strings)
  sum          sum of all values
  wsum         sum over entries e and positions j inside the entry (flattening inner lists) of
               (e+1)*(j+1)*value, each term computed as ((e+1)*(j+1)) * value in float64
  count_sum    (jagged, jagged2) sum of per-entry counts (outer counts for jagged2)
  count_wsum   (jagged, jagged2) sum of (e+1)*count
  inner_count_sum, inner_count_wsum   (jagged2) sum of inner list lengths, and
               sum of (e+1)*(k+1)*len(inner list k of entry e)
  jagged_str   (lists of strings) count_sum, count_wsum as for jagged; elements = number of
               strings; byte_sum, len_sum; byte_wsum with j the byte index inside the entry's
               concatenated strings; len_wsum = sum (e+1)*(k+1)*len(string k of entry e)
  strings      (str) byte_sum: sum of byte values; len_sum; byte_wsum: sum (e+1)*(j+1)*byte with
               j the byte index inside the string; len_wsum: sum (e+1)*len
  nonfinite    number of NaN/inf values; they are left out of sum and wsum
Sums are exact (math.fsum) so a reader summing in another order only needs a tolerance relative
to the sum of absolute terms.

nested: the branch is a member of a split object or has members itself (anac may refuse it).
kind: scalar | fixed (n = values per entry) | jagged | jagged2 | str | jagged_str |
      unsupported (reason).
A branch uproot cannot read is recorded with "uproot_error".
"""

import glob
import json
import re
import math
import os
import sys

import awkward as ak
import numpy as np
import uproot

HERE = os.path.dirname(os.path.abspath(__file__))


def fsum(values):
    values = np.asarray(values, dtype=np.float64)
    return math.fsum(values.tolist())


def value_sums(flat, entry_of, pos_in_entry):
    """sum, wsum, nonfinite of numeric leaf values with their entry and in-entry position."""
    flat = np.asarray(flat)
    if flat.dtype == np.bool_:
        flat = flat.astype(np.float64)
    vals = flat.astype(np.float64)
    finite = np.isfinite(vals)
    weights = (entry_of.astype(np.float64) + 1.0) * (pos_in_entry.astype(np.float64) + 1.0)
    return {
        "sum": fsum(vals[finite]),
        "wsum": fsum(weights[finite] * vals[finite]),
        "nonfinite": int((~finite).sum()),
    }


def positions(counts):
    """entry index and position inside the entry for each flattened value."""
    counts = np.asarray(counts, dtype=np.int64)
    entry_of = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) if len(counts) else np.zeros(0, np.int64)
    pos = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
    return entry_of, pos


def count_sums(counts, prefix="count"):
    counts = np.asarray(counts, dtype=np.int64)
    e1 = np.arange(1, len(counts) + 1, dtype=np.float64)
    return {
        f"{prefix}_sum": int(counts.sum()),
        f"{prefix}_wsum": fsum(e1 * counts.astype(np.float64)),
    }


def is_string_type(t):
    return isinstance(t, ak.types.ListType) and t.parameter("__array__") == "string"


def classify(arr):
    """kind and extra fields for an awkward array read by uproot."""
    t = arr.type.content
    if isinstance(t, ak.types.NumpyType):
        return "scalar", {}
    if is_string_type(t):
        return "str", {}
    if isinstance(t, ak.types.RegularType):
        inner = t.content
        n = t.size
        while isinstance(inner, ak.types.RegularType):
            n *= inner.size
            inner = inner.content
        if isinstance(inner, ak.types.NumpyType):
            return "fixed", {"n": n}
        return "unsupported", {"reason": f"fixed-size array of {inner}"}
    if isinstance(t, ak.types.ListType):
        inner = t.content
        if is_string_type(inner):
            return "jagged_str", {}
        if isinstance(inner, ak.types.NumpyType):
            return "jagged", {}
        if (
            isinstance(inner, ak.types.ListType)
            and not is_string_type(inner)
            and isinstance(inner.content, ak.types.NumpyType)
        ):
            return "jagged2", {}
        return "unsupported", {"reason": f"list of {inner}"}
    return "unsupported", {"reason": f"type {t}"}


def checksums(arr, kind, extra):
    n_entries = len(arr)
    out = {}
    if kind == "scalar":
        flat = ak.to_numpy(arr)
        entry_of = np.arange(n_entries, dtype=np.int64)
        out["elements"] = n_entries
        out.update(value_sums(flat, entry_of, np.zeros(n_entries, np.int64)))
    elif kind == "fixed":
        n = extra["n"]
        flat = ak.to_numpy(arr).reshape(-1)
        counts = np.full(n_entries, n, dtype=np.int64)
        entry_of, pos = positions(counts)
        out["elements"] = int(flat.size)
        out.update(value_sums(flat, entry_of, pos))
    elif kind == "jagged":
        counts = ak.to_numpy(ak.num(arr, axis=1))
        flat = ak.to_numpy(ak.flatten(arr, axis=1))
        entry_of, pos = positions(counts)
        out["elements"] = int(flat.size)
        out.update(count_sums(counts))
        out.update(value_sums(flat, entry_of, pos))
    elif kind == "jagged2":
        outer = ak.to_numpy(ak.num(arr, axis=1))
        inner_lists = ak.flatten(arr, axis=1)
        inner = ak.to_numpy(ak.num(inner_lists, axis=1))
        per_entry = ak.to_numpy(ak.sum(ak.num(arr, axis=2), axis=1))
        flat = ak.to_numpy(ak.flatten(arr, axis=None))
        out["elements"] = int(flat.size)
        out.update(count_sums(outer))
        e_of_list, k_of_list = positions(outer)
        w = (e_of_list.astype(np.float64) + 1.0) * (k_of_list.astype(np.float64) + 1.0)
        out["inner_count_sum"] = int(inner.sum())
        out["inner_count_wsum"] = fsum(w * inner.astype(np.float64))
        entry_of, pos = positions(per_entry)
        out.update(value_sums(flat, entry_of, pos))
    elif kind == "jagged_str":
        per_entry = [[s.encode("utf-8", "surrogateescape") for s in e] for e in ak.to_list(arr)]
        counts = np.array([len(e) for e in per_entry], dtype=np.int64)
        out.update(count_sums(counts))
        lens = np.array([len(s) for e in per_entry for s in e], dtype=np.int64)
        e_of_str, k_of_str = positions(counts)
        entry_bytes = [b"".join(e) for e in per_entry]
        flat = np.frombuffer(b"".join(entry_bytes), dtype=np.uint8)
        entry_of, pos = positions(np.array([len(b) for b in entry_bytes], dtype=np.int64))
        w = (entry_of.astype(np.float64) + 1.0) * (pos.astype(np.float64) + 1.0)
        out["elements"] = int(counts.sum())
        out["byte_sum"] = int(flat.astype(np.int64).sum())
        out["byte_wsum"] = fsum(w * flat.astype(np.float64))
        out["len_sum"] = int(lens.sum())
        lw = (e_of_str.astype(np.float64) + 1.0) * (k_of_str.astype(np.float64) + 1.0)
        out["len_wsum"] = fsum(lw * lens.astype(np.float64))
    elif kind == "str":
        strings = [s.encode("utf-8", "surrogateescape") for s in ak.to_list(arr)]
        lens = np.array([len(s) for s in strings], dtype=np.int64)
        flat = np.frombuffer(b"".join(strings), dtype=np.uint8)
        entry_of, pos = positions(lens)
        w = (entry_of.astype(np.float64) + 1.0) * (pos.astype(np.float64) + 1.0)
        out["elements"] = n_entries
        out["byte_sum"] = int(flat.astype(np.int64).sum())
        out["byte_wsum"] = fsum(w * flat.astype(np.float64))
        out["len_sum"] = int(lens.sum())
        out["len_wsum"] = fsum(np.arange(1, n_entries + 1, dtype=np.float64) * lens)
    return out


def tree_names(fh):
    best = {}
    for key, cls in fh.classnames(cycle=True).items():
        if cls not in ("TTree", "TNtuple", "TNtupleD"):
            continue
        name, _, cycle = key.rpartition(";")
        if name not in best or int(cycle) > best[name]:
            best[name] = int(cycle)
    return [f"{n};{c}" for n, c in sorted(best.items())]


def golden_for(path, rel):
    trees = []
    with uproot.open(path) as fh:
        for key in tree_names(fh):
            tree = fh[key]
            branches = []
            for b in tree.itervalues(recursive=True):
                rec = {"name": b.name, "typename": b.typename}
                # Members of split objects (a branch inside a branch) and object branches that
                # have members: outside anac's supported kinds, so refusals are allowed there.
                rec["nested"] = bool(
                    isinstance(b.parent, uproot.behaviors.TBranch.TBranch) or len(b.branches) > 0
                )
                try:
                    arr = b.array(library="ak")
                except Exception as e:  # uproot itself cannot read it: record why
                    # uproot appends "in file <absolute path>": keep the message, not the path.
                    msg = re.split(r"\n *in file ", str(e))[0]
                    rec["uproot_error"] = f"{type(e).__name__}: {msg[:200]}"
                    branches.append(rec)
                    continue
                kind, extra = classify(arr)
                rec["kind"] = kind
                rec.update(extra)
                rec["entries"] = len(arr)
                if kind != "unsupported":
                    rec.update(checksums(arr, kind, extra))
                branches.append(rec)
            trees.append({
                "name": key.rpartition(";")[0],
                "entries": int(tree.num_entries),
                "branches": branches,
            })
    return {"file": rel, "uproot": uproot.__version__, "trees": trees}


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "../../..", "../shared/data")
    data = os.path.abspath(data)
    rels = sorted(os.path.relpath(p, data) for p in glob.glob(os.path.join(data, "*.root")))
    rels += ["agc-small/ttbar__nominal__0000.root"]
    rels += sorted(os.path.relpath(p, data) for p in glob.glob(os.path.join(data, "rootgen/*.root")))
    # The corpus: unusual real files; only their trees' branches are compared.
    rels += sorted(os.path.relpath(p, data) for p in glob.glob(os.path.join(data, "corpus/*.root")))
    for rel in rels:
        golden = golden_for(os.path.join(data, rel), rel)
        if not golden["trees"]:
            print(f"{rel}: no TTree, skipped")
            continue
        out = os.path.join(HERE, rel.replace("/", "__").removesuffix(".root") + ".json")
        with open(out, "w") as f:
            json.dump(golden, f, indent=1, allow_nan=False)
            f.write("\n")
        nb = sum(len(t["branches"]) for t in golden["trees"])
        print(f"{rel}: {len(golden['trees'])} tree(s), {nb} branches -> {os.path.basename(out)}")


if __name__ == "__main__":
    main()

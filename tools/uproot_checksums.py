"""Prints `CHK file tree branch count sum` for branches listed on stdin (lines from the Rust
`dump_checksums` test), computed with uproot, to cross-check anac's ROOT reader."""
import sys, os
import numpy as np, awkward as ak, uproot

data = os.path.join(os.path.dirname(__file__), "../../shared/data")
_trees = {}


def tree(rel, name):
    if (rel, name) not in _trees:
        _trees[(rel, name)] = uproot.open(os.path.join(data, rel))[name]
    return _trees[(rel, name)]

for line in sys.stdin:
    if not line.startswith("CHK ") or line.rstrip().endswith("ERROR"):
        continue
    _, rel, tname, branch, n, s = line.split()
    try:
        a = tree(rel, tname)[branch].array()
        if str(ak.type(a)).split("*")[-1].strip() in ("string", "var * char", "bytes"):
            cnt = len(a)
            tot = float(sum(len(x.encode() if isinstance(x, str) else x) for x in ak.to_list(a)))
        else:
            flat = a
            while flat.ndim > 1:
                flat = ak.flatten(flat)
            flat = np.asarray(flat).astype(np.float64)
            cnt, tot = len(flat), float(flat.sum())
        print(f"CHK {rel} {tname} {branch} {cnt} {tot:.6e}")
    except Exception as e:
        print(f"CHK {rel} {tname} {branch} UPROOT-ERROR {type(e).__name__}")

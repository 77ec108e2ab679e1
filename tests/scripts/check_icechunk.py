"""Reads an icechunk repository written by `anac merge --icechunk` with the Python `icechunk` and
`zarr` packages and compares it with the `histograms.json` of the same merge.

Usage: check_icechunk.py REPO HISTOGRAMS_JSON N_UNITS
Checks the newest commit on `main`: every (process, variation) pair of every histogram equals the
JSON's values and variances bit for bit, absent pairs are NaN, and the commit metadata lists
N_UNITS finished units and none missing. The commit before it (a `--partial` merge) must say it
is partial. Prints a summary; exits non-zero on any difference.
"""

import json
import math
import sys

import icechunk
import numpy as np
import zarr

repo_path, hjson_path, n_units = sys.argv[1], sys.argv[2], int(sys.argv[3])
hists = json.load(open(hjson_path))
repo = icechunk.Repository.open(icechunk.local_filesystem_storage(repo_path))
commits = list(repo.ancestry(branch="main"))
newest = commits[0]
meta = newest.metadata
assert len(meta["units_done"]) == n_units, (len(meta["units_done"]), n_units)
assert meta["units_missing"] == [] and meta["partial"] is False, meta
assert meta["anac_version"], meta
# The commit before the full merge: the partial one.
older = commits[1].metadata
assert older["partial"] is True and len(older["units_missing"]) > 0, older
assert len(older["units_done"]) + len(older["units_missing"]) == n_units, older

session = repo.readonly_session(branch="main")
root = zarr.open_group(session.store, mode="r")
seen = 0
groups = 0
for region_name, region in root.groups():
    for hist_name, g in region.groups():
        groups += 1
        attrs = g.attrs.asdict()
        procs, vars_ = attrs["processes"], attrs["variations"]
        sumw = g["sumw"][...]
        sumw2 = g["sumw2"][...]
        assert sumw.shape[:2] == (len(procs), len(vars_)), (sumw.shape, procs, vars_)
        present = set()
        for pair in attrs["pairs"]:
            p, v = procs.index(pair["process"]), vars_.index(pair["variation"])
            present.add((p, v))
            h = hists[pair["name"]]
            assert h["metadata"]["hist"] == hist_name and h["metadata"]["region"] == region_name
            want = np.array(h["storage"]["values"], dtype=np.float64)
            want2 = np.array(h["storage"]["variances"], dtype=np.float64)
            assert np.array_equal(sumw[p, v], want), (pair, sumw[p, v], want)
            assert np.array_equal(sumw2[p, v], want2), pair
            seen += 1
        for p in range(len(procs)):
            for v in range(len(vars_)):
                if (p, v) not in present:
                    assert np.isnan(sumw[p, v]).all() and np.isnan(sumw2[p, v]).all(), (p, v)
assert seen == len(hists), (seen, len(hists))
print(f"icechunk: {groups} histogram groups, {seen} histograms equal to histograms.json, "
      f"{len(commits)} commits, newest lists {n_units} units")

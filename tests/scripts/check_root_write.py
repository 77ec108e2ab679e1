"""Reads ROOT files written by anac with uproot and with ROOT itself, and compares every value
with what the Rust test wrote.

Usage: python3 check_root_write.py EXPECTED.json

EXPECTED.json: {"files": [{"path", "hists": [...], "trees": [...]}]} as written by
tests/root_write.rs. Prints one line per failed check and exits 1 if any failed; also fails if ROOT
prints anything on stderr while opening and reading the files (warnings about streamer infos,
versions, or corrupt keys).
"""

import json
import math
import os
import sys
import tempfile

spec = json.load(open(sys.argv[1]))
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


def close(a, b, rel=1e-12):
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def all_close(xs, ys, rel=1e-12):
    xs, ys = list(xs), list(ys)
    return len(xs) == len(ys) and all(close(float(a), float(b), rel) for a, b in zip(xs, ys))


def cells2d(h):
    """Expected 2D contents as [ix][iy] from ROOT's flat order ix + (nx+2)*iy."""
    nx, ny = len(h["x"]["edges"]) + 1, len(h["y"]["edges"]) + 1
    flat = h["values"]
    return [[flat[ix + nx * iy] for iy in range(ny)] for ix in range(nx)]


# ---------------------------------------------------------------- uproot
import uproot  # noqa: E402
import awkward as ak  # noqa: E402

def needed_classes(fs):
    """Classes whose streamer info the file must describe, from what it holds."""
    need = set()
    for h in fs["hists"]:
        need |= {h["kind"], "TH1", "TAxis", "TAttAxis", "TNamed", "TObject", "TAttLine"}
    for t in fs["trees"]:
        need |= {"TTree", "TBranch", "TLeaf", "TObjArray", "ROOT::TIOFeatures"}
        if any(b["kind"] == "vector" for b in t["branches"]):
            need |= {"TBranchElement", "TLeafElement"}
    return need


for fs in spec["files"]:
    f = uproot.open(fs["path"])
    # uproot parses every TStreamerInfo record (it does not need them for these classes, so
    # this is the only place their syntax is checked on the uproot side).
    streamers = f.file.streamers
    for name in needed_classes(fs):
        check(name in streamers, f"uproot: no streamer info for {name} in {fs['path']}")
    for h in fs["hists"]:
        tag = f"uproot {h['name']}"
        u = f[h["name"]]
        check(u.classname == h["kind"], f"{tag}: class {u.classname}")
        check(u.title == h["title"], f"{tag}: title {u.title!r}")
        check(close(u.member("fEntries"), h["entries"]), f"{tag}: fEntries {u.member('fEntries')}")
        for m in ["tsumw", "tsumw2", "tsumwx", "tsumwx2", "tsumwy", "tsumwy2", "tsumwxy"]:
            if m in h:
                got = u.member("fT" + m[1:])
                check(close(got, h[m]), f"{tag}: f{m} {got} != {h[m]}")
        axes = ["x"] if h["kind"] == "TH1D" else ["x", "y"]
        for i, ax in enumerate(axes):
            a = u.axis(i)
            check(all_close(a.edges(), h[ax]["edges"]), f"{tag}: {ax} edges {list(a.edges())}")
            check(a.member("fTitle") == h[ax]["title"], f"{tag}: {ax} title {a.member('fTitle')!r}")
        vals = u.values(flow=True)
        if h["kind"] == "TH1D":
            check(all_close(vals, h["values"]), f"{tag}: values {list(vals)}")
            if h["variances"] is not None:
                check(all_close(u.variances(flow=True), h["variances"]), f"{tag}: variances")
        else:
            exp = cells2d(h)
            check(all(all_close(vals[ix], exp[ix]) for ix in range(len(exp))), f"{tag}: values")
            if h["variances"] is not None:
                ev = cells2d({**h, "values": h["variances"]})
                var = u.variances(flow=True)
                check(all(all_close(var[ix], ev[ix]) for ix in range(len(ev))), f"{tag}: variances")
    for t in fs["trees"]:
        tag = f"uproot {t['name']}"
        u = f[t["name"]]
        check(u.num_entries == t["entries"], f"{tag}: {u.num_entries} entries")
        check(u.title == t["title"], f"{tag}: title {u.title!r}")
        arrays = u.arrays(library="ak")
        for b in t["branches"]:
            btag = f"{tag}.{b['name']}"
            check(u[b["name"]].num_baskets == t["baskets"], f"{btag}: {u[b['name']].num_baskets} baskets")
            a = arrays[b["name"]]
            if b["kind"] == "scalar":
                check(all_close(ak.to_list(a), b["values"], 0), f"{btag}: values differ")
            else:
                check(ak.to_list(ak.num(a)) == b["counts"], f"{btag}: counts differ")
                check(all_close(ak.to_list(ak.flatten(a)), b["values"], 0), f"{btag}: values differ")

# ---------------------------------------------------------------- ROOT
import ROOT  # noqa: E402

# Everything ROOT prints while reading goes to a file, which must stay empty.
sys.stderr.flush()
saved = os.dup(2)
capture = tempfile.TemporaryFile()
os.dup2(capture.fileno(), 2)
try:
    # Self-test: a ROOT message must land in the capture, or the empty-stderr check means nothing.
    ROOT.Warning("check_root_write", "capture self-test")
    capture.seek(0)
    check(b"capture self-test" in capture.read(), "ROOT's stderr is not captured")
    capture.seek(0)
    capture.truncate()
    for fs in spec["files"]:
        rf = ROOT.TFile.Open(fs["path"])
        check(rf and not rf.IsZombie(), f"ROOT cannot open {fs['path']}")
        # Every record's class version and checksum must be those of ROOT's own classes.
        for si in rf.GetStreamerInfoList():
            if si.ClassName() != "TStreamerInfo":
                continue
            cl = ROOT.TClass.GetClass(si.GetName())
            # (A class whose dictionary is not loaded yet reports version -1; only its checksum
            # can be compared.)
            want_version = cl.GetClassVersion() if cl.GetClassVersion() >= 0 else si.GetClassVersion()
            check(
                (si.GetClassVersion(), si.GetCheckSum()) == (want_version, cl.GetCheckSum()),
                f"ROOT: streamer info of {si.GetName()} says version {si.GetClassVersion()} "
                f"checksum {si.GetCheckSum():#x}, ROOT has {cl.GetClassVersion()} {cl.GetCheckSum():#x}",
            )
            check(
                si.GetElements().GetEntries() == cl.GetStreamerInfo().GetElements().GetEntries(),
                f"ROOT: streamer info of {si.GetName()} has {si.GetElements().GetEntries()} members",
            )
        for h in fs["hists"]:
            tag = f"ROOT {h['name']}"
            r = rf.Get(h["name"])
            check(r.ClassName() == h["kind"], f"{tag}: class {r.ClassName()}")
            check(r.GetTitle() == h["title"], f"{tag}: title {r.GetTitle()!r}")
            check(close(r.GetEntries(), h["entries"]), f"{tag}: entries {r.GetEntries()}")
            axes = [("x", r.GetXaxis(), 1)] + ([("y", r.GetYaxis(), 2)] if h["kind"] == "TH2D" else [])
            for name, ax, dim in axes:
                edges = [ax.GetBinLowEdge(i) for i in range(1, ax.GetNbins() + 2)]
                check(all_close(edges, h[name]["edges"]), f"{tag}: {name} edges {edges}")
                check(ax.GetTitle() == h[name]["title"], f"{tag}: {name} title {ax.GetTitle()!r}")
                check(close(r.GetMean(dim), h["mean"][dim - 1], 1e-9), f"{tag}: mean{dim} {r.GetMean(dim)}")
                check(close(r.GetStdDev(dim), h["std"][dim - 1], 1e-9), f"{tag}: std{dim} {r.GetStdDev(dim)}")
            var = h["variances"] if h["variances"] is not None else [abs(v) for v in h["values"]]
            if h["kind"] == "TH1D":
                got = [r.GetBinContent(i) for i in range(len(h["values"]))]
                err = [r.GetBinError(i) for i in range(len(h["values"]))]
            else:
                nx, ny = len(h["x"]["edges"]) + 1, len(h["y"]["edges"]) + 1
                got = [r.GetBinContent(i % nx, i // nx) for i in range(nx * ny)]
                err = [r.GetBinError(i % nx, i // nx) for i in range(nx * ny)]
            check(all_close(got, h["values"]), f"{tag}: contents {got}")
            check(all_close(err, [math.sqrt(v) for v in var]), f"{tag}: errors {err}")
        for t in fs["trees"]:
            tag = f"ROOT {t['name']}"
            r = rf.Get(t["name"])
            check(r.GetEntries() == t["entries"], f"{tag}: {r.GetEntries()} entries")
            check(r.GetTitle() == t["title"], f"{tag}: title {r.GetTitle()!r}")
            starts = {}
            for b in t["branches"]:
                if b["kind"] != "scalar":
                    s, acc = [], 0
                    for c in b["counts"]:
                        s.append(acc)
                        acc += c
                    starts[b["name"]] = s
            step = max(1, t["entries"] // 400)
            for i in range(0, t["entries"], step):
                r.GetEntry(i)
                for b in t["branches"]:
                    if b["kind"] == "scalar":
                        want = [b["values"][i]]
                    else:
                        s = starts[b["name"]][i]
                        want = b["values"][s : s + b["counts"][i]]
                    if b["kind"] == "vector":
                        # A std::vector branch reads into a real std::vector<T> object.
                        # (PyROOT shows vector<unsigned char> elements as 1-char strings.)
                        got = [float(ord(x) if isinstance(x, str) else x) for x in getattr(r, b["name"])]
                    else:
                        leaf = r.GetLeaf(b["name"])
                        got = [leaf.GetValue(j) for j in range(leaf.GetLen())]
                    if not all_close(got, [float(w) for w in want], 0):
                        check(False, f"{tag}.{b['name']} entry {i}: {got} != {want}")
                        break
            if "cluster_starts" in t:
                it = r.GetClusterIterator(0)
                starts = []
                s = it()
                while s < t["entries"]:
                    starts.append(s)
                    s = it()
                check(starts == t["cluster_starts"], f"{tag}: ROOT clusters start at {starts}")
            # RDataFrame: sums over all entries of the first numeric scalar, counted and vector
            # branches, booked together so the event loop runs once.
            df = ROOT.RDataFrame(t["name"], fs["path"])
            sums = []
            for kind in ["scalar", "counted", "vector"]:
                b = next((b for b in t["branches"] if b["kind"] == kind and b["type"] != "bool"), None)
                if b is None:
                    continue
                if kind == "scalar":
                    sums.append((b, df.Sum(b["name"])))
                else:
                    col = "sum_" + b["name"]
                    sums.append((b, df.Define(col, f"double(ROOT::VecOps::Sum({b['name']}))").Sum(col)))
            for b, result in sums:
                total = result.GetValue()
                check(close(total, float(sum(b["values"])), 1e-9), f"{tag}.{b['name']}: RDataFrame sum {total}")
        rf.Close()
finally:
    sys.stderr.flush()
    os.dup2(saved, 2)
capture.seek(0)
root_stderr = capture.read().decode(errors="replace").strip()
check(root_stderr == "", f"ROOT printed on stderr:\n{root_stderr}")

for f in failures:
    print("FAIL:", f)
print(f"{len(failures)} failed checks")
sys.exit(1 if failures else 0)

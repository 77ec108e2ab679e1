#!/usr/bin/env python3
"""Golden results of `anac run` for four analyses, computed independently of anac with uproot.

Usage (from the repository root):

    python3 tests/golden/run/make_golden.py ANALYSIS -o tests/golden/run/ANALYSIS.json

ANALYSIS is one of: nanoaod_pieces (tests/run/nanoaod_pieces.ana), zmumu, hzz, poet_ttbar
(examples/*.ana). The samples YAML beside each .ana is read and its file paths are resolved
relative to the YAML (the shared test data sits beside the checkout).

Each analysis is transcribed by hand, statement by statement, into a per-event Python function
that works on plain Python floats/ints (read with uproot 5.7.7, float branches -> float64, integer
branches -> int, bools -> bool). Transcendental functions come from Python's `math` (glibc), the
four-vector arithmetic follows the written formulas operation by operation (no fused multiply-add),
and absent values are `None`. The columnar cross-check is crosscheck.py.

Output (JSON): {"histograms": {name: {"contents", "variances"}}, "counters": {name:
[n, sumw, sumw2]}, "collects": {name: [[...], ...]}, "cutflow": {"process/variation": {"common":
[[label, n, sumw], ...], "regions": {region: [[label, n, sumw], ...]}}}, "efficiencies": {derive:
{"process/variation": [passed, total]}}}. Histogram lists are flat in UHI order (per axis
[underflow, bins..., overflow], or [categories..., overflow] for category axes; 2-D x-major).
See README.md for the conventions.
"""

import argparse
import bisect
import json
import math
import os
import sys

import awkward as ak
import numpy as np
import uproot
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

INF = math.inf
TWO_PI = 2.0 * math.pi


# ---------------------------------------------------------------------------------------------
# axes and histograms
# ---------------------------------------------------------------------------------------------


def isnan(x):
    return isinstance(x, float) and x != x


class Regular:
    def __init__(self, n, lo, hi):
        self.n, self.lo, self.hi = n, float(lo), float(hi)
        self.extent = n + 2
        self.inrange = range(1, n + 1)

    def index(self, x):
        if isnan(x):
            return self.n + 1
        z = (x - self.lo) / (self.hi - self.lo)
        if z < 0:
            return 0
        if z >= 1:
            return self.n + 1
        b = math.floor(z * self.n)
        if b == self.n:
            b = self.n - 1
        return b + 1


class Variable:
    def __init__(self, *edges):
        self.edges = [float(e) for e in edges]
        self.n = len(edges) - 1
        self.extent = self.n + 2
        self.inrange = range(1, self.n + 1)

    def index(self, x):
        if isnan(x):
            return self.n + 1
        if x < self.edges[0]:
            return 0
        if x >= self.edges[-1]:
            return self.n + 1
        return bisect.bisect_right(self.edges, x)  # edges[i] <= x < edges[i+1] -> i + 1


class Integer:
    def __init__(self, lo, hi):
        self.lo, self.hi = lo, hi
        self.n = hi - lo
        self.extent = self.n + 2
        self.inrange = range(1, self.n + 1)

    def index(self, x):
        if isnan(x):
            return self.n + 1
        if isinstance(x, float) and math.isinf(x):
            return 0 if x < 0 else self.n + 1
        b = math.floor(x) - self.lo
        if b < 0:
            return 0
        if b >= self.n:
            return self.n + 1
        return b + 1


class Category:
    def __init__(self, *values):
        self.values = list(values)
        self.n = len(values)
        self.extent = self.n + 1  # no underflow: [categories..., overflow]
        self.inrange = range(0, self.n)

    def index(self, x):
        for i, v in enumerate(self.values):
            if type(v) is str or type(x) is str:
                if type(v) is str and type(x) is str and v == x:
                    return i
            elif not isinstance(x, bool) and x == v:
                return i
        return self.n


class Hist:
    def __init__(self, axes):
        self.axes = axes
        size = 1
        for a in axes:
            size *= a.extent
        self.contents = [0.0] * size
        self.variances = [0.0] * size

    def _add(self, i, w):
        self.contents[i] += w
        self.variances[i] += w * w

    def fill(self, value, w):
        if len(self.axes) == 1:
            if value is None:
                return
            if isinstance(value, list):  # one fill per element
                for v in value:
                    if v is not None:
                        self._add(self.axes[0].index(v), w)
            else:
                self._add(self.axes[0].index(value), w)
        else:
            x, y = value
            if x is None or y is None:
                return
            ax, ay = self.axes
            self._add(ax.index(x) * ay.extent + ay.index(y), w)

    def inrange_indices(self):
        if len(self.axes) == 1:
            return list(self.axes[0].inrange)
        ax, ay = self.axes
        return [ix * ay.extent + iy for ix in ax.inrange for iy in ay.inrange]


# ---------------------------------------------------------------------------------------------
# numbers with absent values, four-vectors
# ---------------------------------------------------------------------------------------------


def fdiv(a, b):
    """IEEE float division (x/0 = +-inf, 0/0 = NaN), as compiled code does it."""
    if a is None or b is None:
        return None
    a, b = float(a), float(b)
    if b == 0.0:
        if a == 0.0 or a != a:
            return math.nan
        return math.copysign(INF, a) * math.copysign(1.0, b)
    return a / b


def fmax2(a, b):
    """max(a, b) of two numbers: the larger; NaN propagates."""
    if isnan(a) or isnan(b):
        return math.nan
    return a if a >= b else b


def _sinh(x):
    try:
        return math.sinh(x)
    except OverflowError:
        return math.copysign(INF, x)


def _cosh(x):
    try:
        return math.cosh(x)
    except OverflowError:
        return INF


def ptetaphim(pt, eta, phi, m):
    if pt is None or eta is None or phi is None or m is None:
        return None
    px = pt * math.cos(phi)
    py = pt * math.sin(phi)
    pz = pt * _sinh(eta)
    p = pt * _cosh(eta)
    return (px, py, pz, math.sqrt(p * p + m * m))


def pxpypze(px, py, pz, e):
    return (px, py, pz, e)


def v_add(a, b):
    if a is None or b is None:
        return None
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3])


def v_sum(vs):
    """sum(c.p4): the zero vector for an empty list, else ((v0 + v1) + v2) + ..."""
    acc = (0.0, 0.0, 0.0, 0.0)
    for v in vs:
        acc = v_add(acc, v)
    return acc


def v_pt(v):
    if v is None:
        return None
    return math.sqrt(v[0] * v[0] + v[1] * v[1])


def v_phi(v):
    if v is None:
        return None
    return math.atan2(v[1], v[0])


def v_eta(v):
    if v is None:
        return None
    pt = v_pt(v)
    if pt == 0:
        return 0.0 if v[2] == 0 else math.copysign(INF, v[2])
    return math.asinh(v[2] / pt)


def v_mass(v):
    if v is None:
        return None
    m2 = v[3] * v[3] - (v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    if m2 >= 0:
        return math.sqrt(m2)
    if m2 != m2:
        return math.nan
    return -math.sqrt(-m2)


def delta_phi(a, b):
    if a is None or b is None:
        return None
    d = v_phi(a) - v_phi(b)
    if d > math.pi:
        d -= TWO_PI
    elif d <= -math.pi:
        d += TWO_PI
    return d


def delta_r(a, b):
    if a is None or b is None:
        return None
    deta = v_eta(a) - v_eta(b)
    dphi = delta_phi(a, b)
    return math.sqrt(deta * deta + dphi * dphi)


def argbest(items, key, largest):
    """argmax/argmin: the first element with the extreme key; NaN keys ignored; None if none."""
    best, bestk = None, None
    for it in items:
        k = key(it)
        if k is None or k != k:
            continue
        if bestk is None or (k > bestk if largest else k < bestk):
            best, bestk = it, k
    return best


def at(c, i):
    """c[i]: 0-based, negative from the end, None out of range."""
    if i < 0:
        i += len(c)
    return c[i] if 0 <= i < len(c) else None


def gt(a, b):
    """a > b with absent operands false."""
    return a is not None and b is not None and a > b


def combinations(c, k):
    n = len(c)
    if k == 2:
        return [(c[i], c[j]) for i in range(n) for j in range(i + 1, n)]
    if k == 3:
        return [(c[i], c[j], c[l]) for i in range(n) for j in range(i + 1, n)
                for l in range(j + 1, n)]
    raise ValueError(k)


def pairs(a, b):
    return [(x, y) for x in a for y in b]


def combo_p4(members):
    acc = members[0]["p4"]
    for m in members[1:]:
        acc = v_add(acc, m["p4"])
    return acc


def list_max(values):
    """max of a list: absent when empty, NaN propagates."""
    if not values:
        return None
    acc = values[0]
    for v in values[1:]:
        acc = fmax2(acc, v)
    return acc


def fsum_list(values):
    """sum(list): 0 for an empty list, left to right."""
    acc = 0
    for v in values:
        acc = acc + v
    return acc


# ---------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------


def _py(array):
    """An awkward column as Python values: floats -> float64, integers -> int, bools -> bool."""
    layout = ak.type(array).content
    prim = str(layout).split("*")[-1].strip()
    if prim.startswith("float"):
        array = ak.values_astype(array, np.float64)
    elif prim.startswith("int") or prim.startswith("uint"):
        array = ak.values_astype(array, np.int64)
    return ak.to_list(array)


def read_events(paths, tree, scalars, collections):
    """Per event: {branch: value} for scalars, {collection: [ {field: value} ]} for collections.

    collections: {name: (branch_prefix, [fields])}."""
    events = []
    for path in paths:
        t = uproot.open(path)[tree]
        cols = {b: _py(t[b].array(library="ak")) for b in scalars}
        ccols = {
            name: {f: _py(t[prefix + f].array(library="ak")) for f in fields}
            for name, (prefix, fields) in collections.items()
        }
        for i in range(t.num_entries):
            ev = {b: cols[b][i] for b in scalars}
            for name, (prefix, fields) in collections.items():
                fc = ccols[name]
                n = len(fc[fields[0]][i])
                ev[name] = [{f: fc[f][i][j] for f in fields} for j in range(n)]
            ev["_file"], ev["_entry"] = os.path.basename(path), i
            events.append(ev)
    return events


def num_entries(paths, tree):
    return sum(uproot.open(p)[tree].num_entries for p in paths)


# ---------------------------------------------------------------------------------------------
# event recorder and driver
# ---------------------------------------------------------------------------------------------


class Rec:
    """What one event does in one kinematic configuration: cuts passed, fills, counters."""

    def __init__(self):
        self.ops = []  # ("h"|"c"|"l", region, name, value)
        self.ntop = 0  # number of leading top-level cuts passed
        self.reg = {}  # region -> number of leading region cuts passed (region reached)
        self.ctx = {}  # values the weight-variation factors need (nominal objects)

    def cut(self, ok):
        if ok:
            self.ntop += 1
        return ok

    def region(self, name):
        self.reg[name] = 0

    def rcut(self, region, ok):
        if ok:
            self.reg[region] += 1
        return ok

    def hist(self, region, name, value):
        self.ops.append(("h", region, name, value))

    def counter(self, region, name, cond=True):
        if cond:
            self.ops.append(("c", region, name, None))

    def collect(self, region, name, row):
        self.ops.append(("l", region, name, row))


def out_name(template, region, hist, process, variation):
    s = template
    while "[" in s:
        a = s.index("[")
        b = s.index("]", a)
        inner = s[a + 1:b] if variation != "nominal" else ""
        s = s[:a] + inner + s[b + 1:]
    return (s.replace("{region}", region).replace("{hist}", hist)
            .replace("{process}", process).replace("{variation}", variation))


class Outputs:
    def __init__(self, spec):
        self.spec = spec
        self.hists = {}  # (process, variation) -> {(region, name): Hist}
        self.counters = {}
        self.collects = {}

    def make(self, pv):
        self.hists[pv] = {(r, n): Hist(axes) for r, n, axes in self.spec["hists"]}
        self.counters[pv] = {(r, n): [0, 0.0, 0.0] for r, n in self.spec["counters"]}
        self.collects[pv] = {(r, n): [] for r, n, _ in self.spec["collects"]}

    def apply(self, pv, ops, w, mc=True):
        hs, cs, ls = self.hists[pv], self.counters[pv], self.collects[pv]
        maxes = {(r, n): m for r, n, m in self.spec["collects"]}
        for op in ops:
            kind, region, name, value = op[:4]
            # A fifth item: the product of the region's own weights (simulation only).
            if len(op) > 4 and mc:
                w_op = w * op[4]
            else:
                w_op = w
            key = (region, name)
            if kind == "h":
                hs[key].fill(value, w_op)
            elif kind == "c":
                c = cs[key]
                c[0] += 1
                c[1] += w_op
                c[2] += w_op * w_op
            else:
                if len(ls[key]) < maxes[key]:
                    ls[key].append(list(value))


def load_samples(yaml_path):
    with open(yaml_path) as f:
        doc = yaml.safe_load(f)
    base = os.path.dirname(yaml_path)
    samples = []
    for process, variations in doc.items():
        for variation, s in variations.items():
            paths = [os.path.normpath(os.path.join(base, fe["path"])) for fe in s["files"]]
            samples.append(dict(process=process, variation=variation, paths=paths,
                                is_data=bool(s.get("is_data", False)), xsec=s.get("xsec")))
    return samples


def run(spec):
    ana_dir = os.path.dirname(os.path.join(REPO, spec["ana"]))
    samples = load_samples(os.path.join(ana_dir, spec["samples"]))
    out = Outputs(spec)
    cutflow = {}
    order = []  # (process, variation) in output order

    for s in samples:
        proc, svar = s["process"], s["variation"]
        events = read_events(s["paths"], spec["tree"], spec["scalars"], spec["collections"])
        nevts = num_entries(s["paths"], spec["tree"])
        mc = not s["is_data"]
        varied = mc and svar == "nominal"
        kin = [(n, f) for n, on, f in spec["kin_vars"] if varied and (on is None or proc in on)]
        wvars = [(n, f) for n, on, f in spec["weight_vars"]
                 if varied and (on is None or proc in on)]
        labels = [svar] + [n for n, _ in kin] + [n for n, _ in wvars]
        for lab in labels:
            out.make((proc, lab))
            order.append((proc, lab))

        ncut = len(spec["cuts"])
        common = [[0, 0.0] for _ in range(ncut + 1)]
        regions = {r: [[0, 0.0] for _ in cuts] for r, cuts in spec["regions"].items()}

        for ev in events:
            if mc:
                factors = spec["weight"](ev, s["xsec"], spec["lumi"], nevts)
                w = factors[0]
                for f in factors[1:]:
                    w = w * f
                if w is None:
                    raise RuntimeError("absent weight")
            else:
                w = 1.0
            # nominal configuration
            rec = Rec()
            spec["event"](ev, rec)
            out.apply((proc, svar), rec.ops, w)
            for k in range(rec.ntop + 1):
                common[k][0] += 1
                common[k][1] += w
            if rec.ntop == ncut:
                for r, nr in rec.reg.items():
                    for k in range(nr):
                        regions[r][k][0] += 1
                        regions[r][k][1] += w
            for name, factor in wvars:
                if not rec.ops:
                    continue
                f = factor(rec.ctx)
                if f is None:
                    raise RuntimeError(f"absent weight factor {name} at {ev['_file']}:{ev['_entry']}")
                out.apply((proc, name), rec.ops, w * f)
            # kinematic variations: replace fields, re-run everything
            for name, replace in kin:
                rec = Rec()
                spec["event"](replace(ev), rec)
                out.apply((proc, name), rec.ops, w)

        cutflow[f"{proc}/{svar}"] = {
            "common": [["all events"] + common[0]]
            + [[lab] + common[k + 1] for k, lab in enumerate(spec["cuts"])],
            "regions": {r: [[lab] + regions[r][k] for k, lab in enumerate(cuts)]
                        for r, cuts in spec["regions"].items()},
        }

    tmpl = spec["template"]
    result = {"histograms": {}, "counters": {}, "collects": {}, "cutflow": cutflow,
              "efficiencies": {}}
    for proc, lab in order:
        for (r, n), h in out.hists[(proc, lab)].items():
            result["histograms"][out_name(tmpl, r, n, proc, lab)] = {
                "contents": h.contents, "variances": h.variances}
    for proc, lab in order:
        for (r, n), c in out.counters[(proc, lab)].items():
            result["counters"][out_name(tmpl, r, n, proc, lab)] = c
    for proc, lab in order:
        for (r, n), rows in out.collects[(proc, lab)].items():
            result["collects"][out_name(tmpl, r, n, proc, lab)] = rows

    # derives over every (region, hist)
    for dname, kind, args in spec.get("derives", []):
        if kind == "efficiency":
            b, a = args
            ib = 1 + spec["cuts"].index(b)
            ia = 1 + spec["cuts"].index(a)
            result["efficiencies"][dname] = {
                key: [cf["common"][ib][1], cf["common"][ia][1]] for key, cf in cutflow.items()}
            continue
        for r, n, axes in spec["hists"]:
            def get(pv):
                return out.hists[pv][(r, n)]
            if kind == "sub":
                ha, hb = get(args[0]), get(args[1])
                contents = [x - y for x, y in zip(ha.contents, hb.contents)]
                variances = [x + y for x, y in zip(ha.variances, hb.variances)]
            elif kind == "normalize":
                h = get(args[0])
                total = 0.0
                for i in h.inrange_indices():
                    total += h.contents[i]
                contents = [x / total for x in h.contents]
                variances = [x / (total * total) for x in h.variances]
            else:
                raise ValueError(kind)
            result["histograms"][out_name(tmpl, r, n, dname, "nominal")] = {
                "contents": contents, "variances": variances}
    return result


# ---------------------------------------------------------------------------------------------
# the analyses, transcribed statement by statement
# ---------------------------------------------------------------------------------------------


def norm_weight(ev, xsec, lumi, nevts):
    return [xsec * lumi / nevts]  # (xsec * lumi) / nevts


# ---- tests/run/nanoaod_pieces.ana -------------------------------------------------------------


def nanoaod_p4(ev):
    for j in ev["Jet"]:
        j["p4"] = ptetaphim(j["pt"], j["eta"], j["phi"], j["mass"])
    return ev


def nanoaod_event(ev, rec):
    btag_wp = 0.5
    nanoaod_p4(ev)
    electrons = [e for e in ev["Electron"]
                 if e["pt"] > 30 and abs(e["eta"]) < 2.1 and e["cutBased"] == 4 and e["sip3d"] < 4]
    muons = [m for m in ev["Muon"]
             if m["pt"] > 30 and abs(m["eta"]) < 2.1 and m["tightId"] and m["sip3d"] < 4
             and m["pfRelIso04_all"] < 0.15]
    jets = [j for j in ev["Jet"] if j["pt"] > 30 and abs(j["eta"]) < 2.4 and j["jetId"] == 6]
    bjets = [j for j in jets if j["btagCSVV2"] > btag_wp]

    combos = [c for c in combinations(jets, 3)
              if gt(list_max([m["btagCSVV2"] for m in c]), btag_wp)]
    trijet = argbest(combos, lambda c: v_pt(combo_p4(c)), largest=True)
    trijet_mass = v_mass(combo_p4(trijet)) if trijet is not None else None

    R = "all"
    rec.counter(R, "all_events")
    rec.hist(R, "n_jets", len(jets))
    rec.hist(R, "n_bjets", len(bjets))
    rec.hist(R, "n_leptons", len(electrons) + len(muons))
    rec.hist(R, "el_pt", [e["pt"] for e in electrons])
    rec.hist(R, "mu_pt", [m["pt"] for m in muons])
    rec.hist(R, "jet_pt", [j["pt"] for j in jets])
    rec.hist(R, "ht", fsum_list([j["pt"] for j in jets]))
    rec.hist(R, "m_bjj", trijet_mass)
    rec.hist(R, "met", ev["MET_pt"])

    if not rec.cut(len(electrons) + len(muons) == 1):
        return
    rec.hist(R, "ht_1l", fsum_list([j["pt"] for j in jets]))
    rec.counter(R, "one_lepton")
    if not rec.cut(len(jets) >= 4):
        return

    rec.region("4j1b")
    if rec.rcut("4j1b", len(bjets) == 1):
        rec.hist("4j1b", "HT", fsum_list([j["pt"] for j in jets]))
    rec.region("4j2b")
    if rec.rcut("4j2b", len(bjets) >= 2):
        rec.hist("4j2b", "m_bjj", trijet_mass)


NANOAOD = dict(
    name="nanoaod_pieces", ana="tests/run/nanoaod_pieces.ana", samples="nanoaod_pieces.yaml",
    tree="Events", lumi=3378, template="{region}_{hist}_{process}[_{variation}]",
    scalars=["MET_pt"],
    collections={
        "Electron": ("Electron_", ["pt", "eta", "cutBased", "sip3d"]),
        "Muon": ("Muon_", ["pt", "eta", "tightId", "sip3d", "pfRelIso04_all"]),
        "Jet": ("Jet_", ["pt", "eta", "phi", "mass", "jetId", "btagCSVV2"]),
    },
    weight=norm_weight,
    hists=[
        ("all", "n_jets", [Integer(0, 12)]),
        ("all", "n_bjets", [Integer(0, 6)]),
        ("all", "n_leptons", [Integer(0, 4)]),
        ("all", "el_pt", [Regular(20, 0, 200)]),
        ("all", "mu_pt", [Regular(20, 0, 200)]),
        ("all", "jet_pt", [Regular(30, 0, 300)]),
        ("all", "ht", [Regular(30, 0, 600)]),
        ("all", "m_bjj", [Regular(30, 0, 600)]),
        ("all", "met", [Regular(20, 0, 200)]),
        ("all", "ht_1l", [Regular(30, 0, 600)]),
        ("4j1b", "HT", [Regular(25, 50, 550)]),
        ("4j2b", "m_bjj", [Regular(25, 50, 550)]),
    ],
    counters=[("all", "all_events"), ("all", "one_lepton")],
    collects=[],
    cuts=["exactly one lepton", "at least four jets"],
    regions={"4j1b": ["exactly one b jet"], "4j2b": ["at least two b jets"]},
    kin_vars=[], weight_vars=[], event=nanoaod_event,
)


# ---- examples/zmumu.ana -----------------------------------------------------------------------


def zmumu_event(ev, rec):
    mz, pt_min, z_window = 91.1876, 20, 15
    mu1 = pxpypze(ev["px1"], ev["py1"], ev["pz1"], ev["E1"])
    mu2 = pxpypze(ev["px2"], ev["py2"], ev["pz2"], ev["E2"])
    dimuon = v_add(mu1, mu2)
    pt1, pt2 = ev["pt1"], ev["pt2"]
    lead_pt = fmax2(pt1, pt2)
    lead_eta = ev["eta1"] if pt1 >= pt2 else ev["eta2"]

    R = "all"
    rec.counter(R, "all_events")
    rec.hist(R, "charge_sum", ev["Q1"] + ev["Q2"])
    rec.hist(R, "muon_types", ev["Type"])

    if not rec.cut(ev["Q1"] * ev["Q2"] < 0):
        return
    if not rec.cut(pt1 > pt_min and pt2 > pt_min):
        return
    if not rec.cut(abs(ev["eta1"]) < 2.4 and abs(ev["eta2"]) < 2.4):
        return

    m = v_mass(dimuon)
    rec.counter(R, "selected")
    rec.counter(R, "in_z_window", abs(m - mz) < z_window)
    rec.hist(R, "m_mumu", m)
    rec.hist(R, "m_stored", ev["M"])
    rec.hist(R, "m_diff", m - ev["M"])
    rec.hist(R, "pt_lead", lead_pt)
    rec.hist(R, "pt_z", v_pt(dimuon))
    rec.hist(R, "dphi", delta_phi(mu1, mu2))
    rec.hist(R, "eta_lead", lead_eta)
    rec.hist(R, "eta1_eta2", (ev["eta1"], ev["eta2"]))

    rec.region("GG")
    if rec.rcut("GG", ev["Type"] == "GG"):
        rec.hist("GG", "m_mumu", m)
    rec.region("GT")
    if rec.rcut("GT", ev["Type"] == "GT"):
        rec.hist("GT", "m_mumu", m)
    rec.region("high_mass")
    if rec.rcut("high_mass", m > 120):
        rec.counter("high_mass", "events_above_z")
        rec.collect("high_mass", "candidates", (ev["Run"], ev["Event"], m))
    rec.region("even_events")
    if rec.rcut("even_events", (ev["Event"] & 1) == 0):
        rec.hist("even_events", "m_mumu", m)


ZMUMU = dict(
    name="zmumu", ana="examples/zmumu.ana", samples="zmumu.yaml", tree="events", lumi=2.4,
    template="{region}_{hist}_{process}[_{variation}]",
    scalars=["Type", "Run", "Event", "E1", "px1", "py1", "pz1", "pt1", "eta1", "phi1", "Q1",
             "E2", "px2", "py2", "pz2", "pt2", "eta2", "phi2", "Q2", "M"],
    collections={},
    weight=norm_weight,
    hists=[
        ("all", "charge_sum", [Integer(-2, 3)]),
        ("all", "muon_types", [Category("GG", "GT", "TT")]),
        ("all", "m_mumu", [Regular(60, 60, 120)]),
        ("all", "m_stored", [Regular(60, 60, 120)]),
        ("all", "m_diff", [Regular(40, -0.02, 0.02)]),
        ("all", "pt_lead", [Variable(20, 25, 30, 35, 40, 50, 60, 80, 120)]),
        ("all", "pt_z", [Regular(40, 0, 100)]),
        ("all", "dphi", [Regular(32, -3.2, 3.2)]),
        ("all", "eta_lead", [Regular(24, -2.4, 2.4)]),
        ("all", "eta1_eta2", [Regular(12, -2.4, 2.4), Regular(12, -2.4, 2.4)]),
        ("GG", "m_mumu", [Regular(60, 60, 120)]),
        ("GT", "m_mumu", [Regular(60, 60, 120)]),
        ("even_events", "m_mumu", [Regular(60, 60, 120)]),
    ],
    counters=[("all", "all_events"), ("all", "selected"), ("all", "in_z_window"),
              ("high_mass", "events_above_z")],
    collects=[("high_mass", "candidates", 100)],
    cuts=["opposite charge", "both muons pt > 20", "both in the tracker"],
    regions={"GG": ["both global"], "GT": ["global + tracker"], "high_mass": ["above the Z"],
             "even_events": ["even event number"]},
    kin_vars=[],
    weight_vars=[
        ("muon_eff_up", ["dy"], lambda ctx: 1.02),
        ("muon_eff_down", ["dy"], lambda ctx: 0.98),
        # toy_weight (normal(1, 0.05)) is random: not produced here.
    ],
    derives=[
        ("data_minus_dy", "sub", [("data", "nominal"), ("dy", "nominal")]),
        ("dy_shape", "normalize", [("dy", "nominal")]),
        ("pt_efficiency", "efficiency", ["both muons pt > 20", "opposite charge"]),
    ],
    event=zmumu_event,
)


# ---- examples/hzz.ana -------------------------------------------------------------------------


def hzz_p4(ev):
    for c in ("Muon", "Electron", "Jet"):
        for x in ev[c]:
            x["p4"] = pxpypze(x["Px"], x["Py"], x["Pz"], x["E"])
    return ev


def hzz_event(ev, rec):
    mz, rel_iso, btag_min = 91.1876, 0.1, 2.0
    hzz_p4(ev)
    muons = [m for m in ev["Muon"]
             if v_pt(m["p4"]) > 10 and abs(v_eta(m["p4"])) < 2.4
             and fdiv(m["Iso"], v_pt(m["p4"])) < rel_iso]
    electrons = [e for e in ev["Electron"]
                 if v_pt(e["p4"]) > 10 and abs(v_eta(e["p4"])) < 2.5
                 and fdiv(e["Iso"], v_pt(e["p4"])) < rel_iso]
    jets = [j for j in ev["Jet"] if j["ID"] and v_pt(j["p4"]) > 30 and abs(v_eta(j["p4"])) < 2.4]
    bjets = [j for j in jets if j["btag"] > btag_min]

    muons_by_pt = sorted(muons, key=lambda m: v_pt(m["p4"]), reverse=True)  # stable
    lead_mu = at(muons_by_pt, 0)
    clean_jets = []
    for j in jets:
        dr = delta_r(j["p4"], lead_mu["p4"]) if lead_mu is not None else None
        if (dr if dr is not None else 99) > 0.4:
            clean_jets.append(j)

    mu_pairs = [p for p in combinations(muons, 2) if p[0]["Charge"] != p[1]["Charge"]]
    e_pairs = [p for p in combinations(electrons, 2)
               if fsum_list([x["Charge"] for x in p]) == 0]
    z_mumu = argbest(mu_pairs, lambda p: abs(v_mass(combo_p4(p)) - mz), largest=False)
    z_ee = argbest(e_pairs, lambda p: abs(v_mass(combo_p4(p)) - mz), largest=False)
    n_leptons = len(muons) + len(electrons)

    rec.ctx = {"muons": muons, "jets": jets}

    R = "all"
    rec.counter(R, "all_events")
    rec.hist(R, "n_mu", len(muons))
    rec.hist(R, "mu_iso", [m["Iso"] for m in muons])

    if not rec.cut(ev["triggerIsoMu24"]):
        return
    if not rec.cut(n_leptons >= 1):
        return

    rec.hist(R, "lead_mu_pt", v_pt(lead_mu["p4"]) if lead_mu is not None else None)
    rec.hist(R, "n_jets", len(clean_jets))
    rec.hist(R, "jet_btag", [j["btag"] for j in jets])
    rec.hist(R, "met", math.sqrt(ev["MET_px"] * ev["MET_px"] + ev["MET_py"] * ev["MET_py"]))

    rec.region("Zmumu")
    if rec.rcut("Zmumu", len(mu_pairs) >= 1):
        zp4 = combo_p4(z_mumu)
        rec.hist("Zmumu", "m_ll", v_mass(zp4))
        rec.hist("Zmumu", "pt_ll", v_pt(zp4))
        rec.hist("Zmumu", "m_vs_njets", (v_mass(zp4), len(clean_jets)))
        rec.counter("Zmumu", "on_peak", abs(v_mass(zp4) - mz) < 10)

    rec.region("Zee")
    if rec.rcut("Zee", len(e_pairs) >= 1):
        rec.hist("Zee", "m_ll", v_mass(combo_p4(z_ee)))

    rec.region("four_leptons")
    if rec.rcut("four_leptons", n_leptons == 4) and rec.rcut(
            "four_leptons",
            fsum_list([m["Charge"] for m in muons]) + fsum_list([e["Charge"] for e in electrons])
            == 0):
        four_l = v_add(v_sum([m["p4"] for m in muons]), v_sum([e["p4"] for e in electrons]))
        rec.hist("four_leptons", "m_4l", v_mass(four_l))
        channel_id = 0 if len(muons) == 4 else (1 if len(electrons) == 4 else 2)
        rec.hist("four_leptons", "channel", channel_id)
        rec.collect("four_leptons", "four_l_events", (v_mass(four_l), len(muons), len(electrons)))

    rec.region("btagged")
    if rec.rcut("btagged", len(bjets) >= 1):
        best_b = argbest(bjets, lambda j: j["btag"], largest=True)
        rec.hist("btagged", "best_b_pt", v_pt(best_b["p4"]) if best_b is not None else None)
        j0 = at(jets, 0)
        rec.hist("btagged", "jet1_pt", v_pt(j0["p4"]) if j0 is not None else None)
        close = [p for p in pairs(jets, muons) if gt(0.4, delta_r(p[0]["p4"], p[1]["p4"]))]
        rec.hist("btagged", "n_close", len(close))


def hzz_weight(ev, xsec, lumi, nevts):
    return [xsec * lumi / nevts, ev["EventWeight"]]


def hzz_jes(scale):
    def replace(ev):
        ev = dict(ev)
        ev["Jet"] = [dict(j, Px=j["Px"] * scale, Py=j["Py"] * scale, Pz=j["Pz"] * scale,
                          E=j["E"] * scale) for j in ev["Jet"]]
        return ev
    return replace


def hzz_jet_sf(i, up):
    def factor(ctx):
        j = at(ctx["jets"], i)
        tagged = j is not None and j["btag"] > 2.0
        if up:
            return 1.1 if tagged else 1.0
        return 0.9 if tagged else 1.0
    return factor


HZZ = dict(
    name="hzz", ana="examples/hzz.ana", samples="hzz.yaml", tree="events", lumi=1000,
    template="{process}__{region}__{hist}[__{variation}]",
    scalars=["MET_px", "MET_py", "triggerIsoMu24", "EventWeight"],
    collections={
        "Muon": ("Muon_", ["Px", "Py", "Pz", "E", "Charge", "Iso"]),
        "Electron": ("Electron_", ["Px", "Py", "Pz", "E", "Charge", "Iso"]),
        "Jet": ("Jet_", ["Px", "Py", "Pz", "E", "btag", "ID"]),
    },
    weight=hzz_weight,
    hists=[
        ("all", "n_mu", [Integer(0, 5)]),
        ("all", "mu_iso", [Regular(25, 0, 5)]),
        ("all", "lead_mu_pt", [Regular(40, 0, 200)]),
        ("all", "n_jets", [Integer(0, 8)]),
        ("all", "jet_btag", [Regular(25, 0, 5)]),
        ("all", "met", [Regular(30, 0, 150)]),
        ("Zmumu", "m_ll", [Regular(60, 60, 120)]),
        ("Zmumu", "pt_ll", [Regular(40, 0, 200)]),
        ("Zmumu", "m_vs_njets", [Regular(30, 60, 120), Integer(0, 5)]),
        ("Zee", "m_ll", [Regular(60, 60, 120)]),
        ("four_leptons", "m_4l", [Variable(80, 100, 120, 140, 160, 200, 300, 500)]),
        ("four_leptons", "channel", [Category(0, 1, 2)]),
        ("btagged", "best_b_pt", [Regular(30, 0, 300)]),
        ("btagged", "jet1_pt", [Regular(30, 0, 300)]),
        ("btagged", "n_close", [Integer(0, 4)]),
    ],
    counters=[("all", "all_events"), ("Zmumu", "on_peak")],
    collects=[("four_leptons", "four_l_events", 50)],
    cuts=["single-muon trigger", "at least one lepton"],
    regions={"Zmumu": ["an opposite-charge muon pair"],
             "Zee": ["an opposite-charge electron pair"],
             "four_leptons": ["four leptons", "zero total charge"],
             "btagged": ["a b-tagged jet"]},
    kin_vars=[("jes_up", None, hzz_jes(1.05)), ("jes_down", None, hzz_jes(0.95))],
    weight_vars=[
        ("muon_sf_up", None, lambda ctx: 1 + 0.01 * len(ctx["muons"])),
        ("muon_sf_down", None, lambda ctx: 1 - 0.01 * len(ctx["muons"])),
        ("jet_sf_0_up", None, hzz_jet_sf(0, True)),
        ("jet_sf_0_down", None, hzz_jet_sf(0, False)),
        ("jet_sf_1_up", None, hzz_jet_sf(1, True)),
        ("jet_sf_1_down", None, hzz_jet_sf(1, False)),
    ],
    event=hzz_event,
)


# ---- examples/poet_ttbar.ana ------------------------------------------------------------------


def poet_event(ev, rec):
    btag_wp = 0.5
    for j in ev["jet"]:
        j["p4"] = ptetaphim(j["pt"], j["eta"], j["phi"], j["mass"])
    electrons = [e for e in ev["electron"]
                 if e["pt"] > 30 and abs(e["eta"]) < 2.1 and e["isTight"] and e["sip3d"] < 4]
    muons = [m for m in ev["muon"]
             if m["pt"] > 30 and abs(m["eta"]) < 2.1 and m["isTight"] and m["sip3d"] < 4
             and m["pfreliso04DBCorr"] < 0.15]
    jets = [j for j in ev["jet"] if j["pt"] > 30 and abs(j["eta"]) < 2.4]
    bjets = [j for j in jets if j["btag"] > btag_wp]
    rec.ctx = {"jets": jets}

    if not rec.cut(len(electrons) + len(muons) == 1):
        return
    if not rec.cut(len(jets) >= 4):
        return

    def lep(field):
        e, m = at(electrons, 0), at(muons, 0)
        v = e[field] if e is not None else None
        if v is None:
            v = m[field] if m is not None else None
        return v

    lepton = ptetaphim(lep("pt"), lep("eta"), lep("phi"), 0)
    lepton_charge = fsum_list([e["ch"] for e in electrons]) + fsum_list([m["ch"] for m in muons])

    R = "all"
    rec.hist(R, "met", ev["met_pt"])
    rec.hist(R, "lep_charge", lepton_charge)
    rec.hist(R, "jet_pt", [j["pt"] for j in jets])
    rec.collect(R, "selected_events", (ev["run"], ev["event"]))

    rec.region("4j1b")
    if rec.rcut("4j1b", len(bjets) == 1):
        rec.hist("4j1b", "HT", fsum_list([j["pt"] for j in jets]))
        b0 = at(bjets, 0)
        rec.hist("4j1b", "dr_lep_b", delta_r(lepton, b0["p4"] if b0 is not None else None))

    rec.region("4j2b")
    if rec.rcut("4j2b", len(bjets) >= 2):
        combos = [c for c in combinations(jets, 3)
                  if gt(list_max([m["btag"] for m in c]), btag_wp)]
        trijet = argbest(combos, lambda c: v_pt(combo_p4(c)), largest=True)
        p4 = combo_p4(trijet) if trijet is not None else None
        rec.hist("4j2b", "m_bjj", v_mass(p4))
        rec.hist("4j2b", "m_bjj_vs_pt", (v_mass(p4), v_pt(p4)))


def poet_jes(field):
    def replace(ev):
        ev = dict(ev)
        ev["jet"] = [dict(j, pt=j[field]) for j in ev["jet"]]
        return ev
    return replace


def poet_btag(i, up):
    def factor(ctx):
        j = at(ctx["jets"], i)
        if j is None:
            return None
        d = 0.075 * j["pt"] / 50
        return 1 + d if up else 1 - d
    return factor


POET = dict(
    name="poet_ttbar", ana="examples/poet_ttbar.ana", samples="poet_ttbar.yaml", tree="events",
    lumi=3378, template="{region}_{hist}_{process}[_{variation}]",
    scalars=["met_pt", "run", "event"],
    collections={
        "jet": ("jet_", ["pt", "eta", "phi", "mass", "btag", "corrpt", "corrptUp",
                         "corrptDown"]),
        "electron": ("electron_", ["pt", "eta", "phi", "isTight", "sip3d", "ch"]),
        "muon": ("muon_", ["pt", "eta", "phi", "isTight", "sip3d", "pfreliso04DBCorr", "ch"]),
    },
    weight=norm_weight,
    hists=[
        ("all", "met", [Regular(30, 0, 300)]),
        ("all", "lep_charge", [Category(-1, 1)]),
        ("all", "jet_pt", [Regular(50, 0, 500)]),
        ("4j1b", "HT", [Regular(25, 50, 550)]),
        ("4j1b", "dr_lep_b", [Regular(25, 0, 5)]),
        ("4j2b", "m_bjj", [Regular(25, 50, 550)]),
        ("4j2b", "m_bjj_vs_pt", [Regular(25, 50, 550), Regular(20, 0, 400)]),
    ],
    counters=[],
    collects=[("all", "selected_events", 20)],
    cuts=["exactly one lepton", "at least four jets"],
    regions={"4j1b": ["exactly one b jet"], "4j2b": ["at least two b jets"]},
    kin_vars=[("jes_up", None, poet_jes("corrptUp")), ("jes_down", None, poet_jes("corrptDown"))],
    weight_vars=[(f"btag_var_{i}_{d}", None, poet_btag(i, d == "up"))
                 for i in range(4) for d in ("up", "down")],
    event=poet_event,
)


ANALYSES = {"nanoaod_pieces": NANOAOD, "zmumu": ZMUMU, "hzz": HZZ, "poet_ttbar": POET}


def dump(result):
    """JSON with one line per histogram, counter, collect and cutflow sample (diff-friendly)."""
    enc = lambda x: json.dumps(x, allow_nan=False)
    parts = []
    for sect in ("histograms", "counters", "collects", "cutflow", "efficiencies"):
        items = [f"  {enc(k)}: {enc(v)}" for k, v in result[sect].items()]
        body = "{\n" + ",\n".join(items) + "\n }" if items else "{}"
        parts.append(f" {enc(sect)}: {body}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("analysis", choices=sorted(ANALYSES))
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    result = run(ANALYSES[args.analysis])
    with open(args.output, "w") as f:
        f.write(dump(result))
    print(f"{args.output}: {len(result['histograms'])} histograms, "
          f"{len(result['counters'])} counters, {len(result['collects'])} collects",
          file=sys.stderr)


if __name__ == "__main__":
    main()

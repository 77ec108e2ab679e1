#!/usr/bin/env python3
"""Columnar cross-check of the golden files written by make_golden.py.

Usage (from the repository root):

    python3 tests/golden/run/crosscheck.py ANALYSIS tests/golden/run/ANALYSIS.json

A second, independent implementation: the analysis is recomputed with whole-array awkward/numpy
operations (ak.combinations, ak.cartesian, ak.argmax, numpy trigonometry, numpy binning), and the
histogram binning, output names, counters, collects and cut labels are taken from the .ana file
itself with a small regex reader instead of being typed in. Everything is compared with the golden
JSON (1e-9 relative); names missing on either side, and every differing value, are listed.
Exit code 0 when all agree.
"""

import json
import os
import re
import sys

import awkward as ak
import numpy as np
import uproot
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

ANA = {
    "nanoaod_pieces": "tests/run/nanoaod_pieces.ana",
    "zmumu": "examples/zmumu.ana",
    "hzz": "examples/hzz.ana",
    "poet_ttbar": "examples/poet_ttbar.ana",
}

# ---------------------------------------------------------------------------------------------
# a small reader of the .ana declarations (names, axes, labels)
# ---------------------------------------------------------------------------------------------

KEYWORDS = r"(?:const|object|let|cut|weight|region|hist|counter|collect|vary|derive|\})"


def strip_comments(text):
    """Remove `#` comments, leaving `#` inside strings ("m_{#mu#mu}") alone."""
    out, in_str, i = [], False, 0
    while i < len(text):
        ch = text[i]
        if in_str:
            out.append(ch)
            if ch == "\\":
                out.append(text[i + 1])
                i += 1
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
            out.append(ch)
        elif ch == "#":
            while i < len(text) and text[i] != "\n":
                i += 1
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def parse_ana(path):
    text = open(path).read()
    text = strip_comments(text)
    info = {"template": "{region}_{hist}_{process}[_{variation}]", "hists": [], "counters": [],
            "collects": [], "cuts": [], "regions": {}, "lumi": None, "samples": None,
            "tree": None}
    m = re.search(r'\boutput\s+"([^"]*)"', text)
    if m:
        info["template"] = m.group(1)
    info["lumi"] = float(re.search(r"\blumi\s+([0-9.eE+-]+)", text).group(1))
    info["samples"] = re.search(r'\bsamples\s+"([^"]*)"', text).group(1)
    info["tree"] = re.search(r"\btree\s+(\w+)", text).group(1)
    # split into statements at statement keywords
    tokens = re.split(r"(?=(?<!\S)" + KEYWORDS + r"(?![\w]))", text)
    region = "all"
    for st in tokens:
        st = st.strip()
        if not st:
            continue
        if st.startswith("}"):
            region = "all"
            st = st[1:].strip()
            if not st:
                continue
        if st.startswith("region"):
            m = re.match(r"region\s+(\w+)\s*\{", st)
            region = m.group(1)
            info["regions"][region] = []
        elif st.startswith("cut"):
            label = re.match(r'cut\s+"([^"]*)"', st).group(1)
            (info["regions"][region] if region != "all" else info["cuts"]).append(label)
        elif st.startswith("hist"):
            name = re.match(r"hist\s+(\w+)", st).group(1)
            axes = []
            for kind, args in re.findall(r"\b(regular|variable|integer|category)\(([^)]*)\)", st):
                vals = [a.strip() for a in args.split(",")]
                if kind == "category":
                    vals = [v[1:-1] if v.startswith('"') else int(v) for v in vals]
                elif kind == "integer":
                    vals = [int(v) for v in vals]
                else:
                    vals = [float(v) for v in vals]
                    if kind == "regular":
                        vals[0] = int(vals[0])
                axes.append((kind, vals))
            info["hists"].append((region, name, axes))
        elif st.startswith("counter"):
            info["counters"].append((region, re.match(r"counter\s+(\w+)", st).group(1)))
        elif st.startswith("collect"):
            m = re.match(r"collect\s+(\w+)\s*=.*\bmax\s+(\d+)", st, re.S)
            info["collects"].append((region, m.group(1), int(m.group(2))))
    return info


def out_name(template, region, hist, process, variation):
    if variation == "nominal":
        s = re.sub(r"\[[^\]]*\]", "", template)
    else:
        s = template.replace("[", "").replace("]", "")
    return s.format(region=region, hist=hist, process=process, variation=variation)


# ---------------------------------------------------------------------------------------------
# binning with numpy
# ---------------------------------------------------------------------------------------------


def axis_extent(axis):
    kind, a = axis
    if kind == "regular":
        return a[0] + 2
    if kind == "variable":
        return len(a) + 1
    if kind == "integer":
        return a[1] - a[0] + 2
    return len(a) + 1


def axis_index(axis, x):
    kind, a = axis
    x = np.asarray(x)
    if kind == "category":
        idx = np.full(len(x), len(a), dtype=np.int64)
        for i, v in enumerate(a):
            if isinstance(v, str):
                hit = np.array([isinstance(e, str) and e == v for e in x], dtype=bool)
            else:
                hit = x.astype(np.float64) == v
            idx[hit & (idx == len(a))] = i
        return idx
    x = x.astype(np.float64)
    if kind == "regular":
        n, lo, hi = a
        with np.errstate(invalid="ignore"):
            z = (x - lo) / (hi - lo)
            b = np.floor(z * n)
        b = np.where(b == n, n - 1, b)
        idx = np.where(z < 0, 0, np.where(z >= 1, n + 1, b + 1))
        idx = np.where(np.isnan(x), n + 1, idx)
        return idx.astype(np.int64)
    if kind == "variable":
        edges = np.asarray(a)
        idx = np.searchsorted(edges, x, side="right")  # 0 below, len(edges) above
        return np.where(np.isnan(x), len(edges), idx).astype(np.int64)
    lo, hi = a
    with np.errstate(invalid="ignore"):
        b = np.floor(x) - lo
    idx = np.where(b < 0, 0, np.where(b >= hi - lo, hi - lo + 1, b + 1))
    return np.where(np.isnan(x), hi - lo + 1, idx).astype(np.int64)


def fill(axes, values, weights):
    """values: one array (1-D) or a pair (2-D); entries that are None are skipped."""
    size = 1
    for ax in axes:
        size *= axis_extent(ax)
    if len(axes) == 1:
        vals = [values]
    else:
        vals = list(values)
    ok = np.ones(len(weights), dtype=bool)
    for v in vals:
        ok &= np.array([e is not None for e in v], dtype=bool) if v.dtype == object else True
    idx = np.zeros(int(ok.sum()), dtype=np.int64)
    for ax, v in zip(axes, vals):
        v = v[ok]
        if v.dtype == object and ax[0] != "category":
            v = v.astype(np.float64)
        idx = idx * axis_extent(ax) + axis_index(ax, v)
    w = weights[ok]
    contents = np.zeros(size)
    variances = np.zeros(size)
    np.add.at(contents, idx, w)
    np.add.at(variances, idx, w * w)
    return contents, variances


# ---------------------------------------------------------------------------------------------
# four-vectors, columnar
# ---------------------------------------------------------------------------------------------


class P4:
    def __init__(self, px, py, pz, e):
        self.px, self.py, self.pz, self.e = px, py, pz, e

    @staticmethod
    def ptetaphim(pt, eta, phi, m):
        p = pt * np.cosh(eta)
        return P4(pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), np.sqrt(p * p + m * m))

    def __add__(self, o):
        return P4(self.px + o.px, self.py + o.py, self.pz + o.pz, self.e + o.e)

    @property
    def pt(self):
        return np.sqrt(self.px * self.px + self.py * self.py)

    @property
    def phi(self):
        return np.arctan2(self.py, self.px)

    @property
    def eta(self):
        return np.arcsinh(self.pz / self.pt)

    @property
    def mass(self):
        m2 = self.e * self.e - (self.px * self.px + self.py * self.py + self.pz * self.pz)
        return np.where(m2 >= 0, np.sqrt(abs(m2)), -np.sqrt(abs(m2))) if not isinstance(
            m2, ak.Array) else ak.where(m2 >= 0, np.sqrt(abs(m2)), -np.sqrt(abs(m2)))


def dphi(phi_a, phi_b):
    d = phi_a - phi_b
    d = ak.where(d > np.pi, d - 2 * np.pi, ak.where(d <= -np.pi, d + 2 * np.pi, d))
    return d


def dr(eta_a, phi_a, eta_b, phi_b):
    de = eta_a - eta_b
    dp = dphi(phi_a, phi_b)
    return np.sqrt(de * de + dp * dp)


def f64(x):
    return ak.values_astype(x, np.float64)


def read(paths, tree, branches):
    arrays = [uproot.open(p)[tree].arrays(branches) for p in paths]
    a = ak.concatenate(arrays) if len(arrays) > 1 else arrays[0]
    out = {}
    for b in branches:
        col = a[b]
        t = str(ak.type(col))
        if "float" in t:
            col = f64(col)
        elif "int" in t:
            col = ak.values_astype(col, np.int64)
        out[b] = col
    return out


def opt(x):
    """An option-type per-event array as an object numpy array with None for absent."""
    return np.array(ak.to_list(x), dtype=object)


# ---------------------------------------------------------------------------------------------
# the analyses, columnar. Each returns
#   cuts: [mask after each top-level cut], regions: {region: [mask after each region cut]},
#   fills: {(region, name): (values per fill, event index per fill)} (2-D: ((x, y), index)),
#   counters: {(region, name): mask}, collects: {(region, name): (mask, [columns])},
#   ctx for the weight-variation factors.
# ---------------------------------------------------------------------------------------------


def list_fill(values, mask):
    """A list-valued fill for the events in mask: flattened values and their event indices."""
    v = values[mask]
    idx = np.repeat(np.nonzero(np.asarray(mask))[0], ak.to_numpy(ak.num(v)))
    return np.asarray(ak.to_numpy(ak.flatten(v)), dtype=np.float64), idx


def scalar_fill(values, mask):
    idx = np.nonzero(np.asarray(mask))[0]
    v = values[idx] if isinstance(values, np.ndarray) else opt(values[idx])
    return np.asarray(v, dtype=object) if v.dtype == object else v, idx


def trijet(jets_p4, btag, wp):
    combos = ak.combinations(ak.zip({"px": jets_p4.px, "py": jets_p4.py, "pz": jets_p4.pz,
                                     "e": jets_p4.e, "btag": btag}), 3)
    a, b, c = ak.unzip(combos)
    keep = (ak.where(a.btag > b.btag, a.btag, b.btag) > wp) | (c.btag > wp)
    p4 = (P4(a.px, a.py, a.pz, a.e) + P4(b.px, b.py, b.pz, b.e)) + P4(c.px, c.py, c.pz, c.e)
    pt = p4.pt[keep]
    best = ak.argmax(pt, axis=1, keepdims=True)
    sel = lambda x: ak.firsts(x[keep][best])
    return P4(sel(p4.px), sel(p4.py), sel(p4.pz), sel(p4.e))


def ana_nanoaod(a, kin=None):
    n = len(a["MET_pt"])
    jet_p4 = P4.ptetaphim(a["Jet_pt"], a["Jet_eta"], a["Jet_phi"], a["Jet_mass"])
    el = (a["Electron_pt"] > 30) & (abs(a["Electron_eta"]) < 2.1) & (a["Electron_cutBased"] == 4) \
        & (a["Electron_sip3d"] < 4)
    mu = (a["Muon_pt"] > 30) & (abs(a["Muon_eta"]) < 2.1) & a["Muon_tightId"] \
        & (a["Muon_sip3d"] < 4) & (a["Muon_pfRelIso04_all"] < 0.15)
    jm = (a["Jet_pt"] > 30) & (abs(a["Jet_eta"]) < 2.4) & (a["Jet_jetId"] == 6)
    jets_pt = a["Jet_pt"][jm]
    jets_p4 = P4(jet_p4.px[jm], jet_p4.py[jm], jet_p4.pz[jm], jet_p4.e[jm])
    jets_btag = a["Jet_btagCSVV2"][jm]
    nb = ak.to_numpy(ak.sum(jets_btag > 0.5, axis=1))
    nj = ak.to_numpy(ak.num(jets_pt))
    ne = ak.to_numpy(ak.sum(el, axis=1))
    nm = ak.to_numpy(ak.sum(mu, axis=1))
    tri = trijet(jets_p4, jets_btag, 0.5)
    m_bjj = opt(tri.mass)
    ht = ak.to_numpy(ak.sum(jets_pt, axis=1))
    all_ = np.ones(n, dtype=bool)
    c1 = (ne + nm) == 1
    c2 = c1 & (nj >= 4)
    r1 = c2 & (nb == 1)
    r2 = c2 & (nb >= 2)
    F = {
        ("all", "n_jets"): (nj, np.arange(n)),
        ("all", "n_bjets"): (nb, np.arange(n)),
        ("all", "n_leptons"): (ne + nm, np.arange(n)),
        ("all", "el_pt"): list_fill(a["Electron_pt"][el], all_),
        ("all", "mu_pt"): list_fill(a["Muon_pt"][mu], all_),
        ("all", "jet_pt"): list_fill(jets_pt, all_),
        ("all", "ht"): (ht, np.arange(n)),
        ("all", "m_bjj"): (m_bjj, np.arange(n)),
        ("all", "met"): (ak.to_numpy(a["MET_pt"]), np.arange(n)),
        ("all", "ht_1l"): scalar_fill(ht, c1),
        ("4j1b", "HT"): scalar_fill(ht, r1),
        ("4j2b", "m_bjj"): scalar_fill(m_bjj, r2),
    }
    return dict(cuts=[c1, c2], regions={"4j1b": [r1], "4j2b": [r2]}, fills=F,
                counters={("all", "all_events"): all_, ("all", "one_lepton"): c1},
                collects={}, ctx={})


def ana_zmumu(a, kin=None):
    n = len(a["M"])
    mu1 = P4(a["px1"], a["py1"], a["pz1"], a["E1"])
    mu2 = P4(a["px2"], a["py2"], a["pz2"], a["E2"])
    di = mu1 + mu2
    m = np.asarray(di.mass)
    Type = np.array(ak.to_list(a["Type"]), dtype=object)
    pt1, pt2 = np.asarray(a["pt1"]), np.asarray(a["pt2"])
    eta1, eta2 = np.asarray(a["eta1"]), np.asarray(a["eta2"])
    lead_pt = np.maximum(pt1, pt2)
    lead_eta = np.where(pt1 >= pt2, eta1, eta2)
    q1, q2 = np.asarray(a["Q1"]), np.asarray(a["Q2"])
    all_ = np.ones(n, dtype=bool)
    c1 = q1 * q2 < 0
    c2 = c1 & (pt1 > 20) & (pt2 > 20)
    c3 = c2 & (abs(eta1) < 2.4) & (abs(eta2) < 2.4)
    gg = c3 & (Type == "GG")
    gt = c3 & (Type == "GT")
    hm = c3 & (m > 120)
    ev = c3 & ((np.asarray(a["Event"]) & 1) == 0)
    s = lambda v, mask=c3: scalar_fill(np.asarray(v), mask)
    F = {
        ("all", "charge_sum"): s(q1 + q2, all_),
        ("all", "muon_types"): s(Type, all_),
        ("all", "m_mumu"): s(m),
        ("all", "m_stored"): s(a["M"]),
        ("all", "m_diff"): s(m - np.asarray(a["M"])),
        ("all", "pt_lead"): s(lead_pt),
        ("all", "pt_z"): s(di.pt),
        ("all", "dphi"): s(dphi(np.asarray(mu1.phi), np.asarray(mu2.phi))),
        ("all", "eta_lead"): s(lead_eta),
        ("all", "eta1_eta2"): ((eta1[c3], eta2[c3]), np.nonzero(c3)[0]),
        ("GG", "m_mumu"): s(m, gg),
        ("GT", "m_mumu"): s(m, gt),
        ("even_events", "m_mumu"): s(m, ev),
    }
    return dict(
        cuts=[c1, c2, c3],
        regions={"GG": [gg], "GT": [gt], "high_mass": [hm], "even_events": [ev]},
        fills=F,
        counters={("all", "all_events"): all_, ("all", "selected"): c3,
                  ("all", "in_z_window"): c3 & (abs(m - 91.1876) < 15),
                  ("high_mass", "events_above_z"): hm},
        collects={("high_mass", "candidates"): (hm, [a["Run"], a["Event"], m])},
        ctx={})


def ana_hzz(a, kin=None):
    n = len(a["EventWeight"])
    jscale = {"jes_up": 1.05, "jes_down": 0.95}.get(kin, None)

    def coll(c, scale=None):
        px, py, pz, e = (a[f"{c}_{f}"] for f in ("Px", "Py", "Pz", "E"))
        if scale is not None:
            px, py, pz, e = px * scale, py * scale, pz * scale, e * scale
        return P4(px, py, pz, e)

    mp4, ep4, jp4 = coll("Muon"), coll("Electron"), coll("Jet", jscale)
    mm = (mp4.pt > 10) & (abs(mp4.eta) < 2.4) & (a["Muon_Iso"] / mp4.pt < 0.1)
    em = (ep4.pt > 10) & (abs(ep4.eta) < 2.5) & (a["Electron_Iso"] / ep4.pt < 0.1)
    jm = a["Jet_ID"] & (jp4.pt > 30) & (abs(jp4.eta) < 2.4)
    mu = ak.zip({"px": mp4.px[mm], "py": mp4.py[mm], "pz": mp4.pz[mm], "e": mp4.e[mm],
                 "q": a["Muon_Charge"][mm], "iso": a["Muon_Iso"][mm]})
    el = ak.zip({"px": ep4.px[em], "py": ep4.py[em], "pz": ep4.pz[em], "e": ep4.e[em],
                 "q": a["Electron_Charge"][em]})
    jets = ak.zip({"px": jp4.px[jm], "py": jp4.py[jm], "pz": jp4.pz[jm], "e": jp4.e[jm],
                   "btag": a["Jet_btag"][jm]})
    P = lambda r: P4(r.px, r.py, r.pz, r.e)
    nmu = ak.to_numpy(ak.num(mu))
    nel = ak.to_numpy(ak.num(el))
    nlep = nmu + nel
    order = ak.argsort(P(mu).pt, axis=1, ascending=False, stable=True)
    lead = ak.firsts(mu[order])
    lead_pt = opt(P(lead).pt)
    leta, lphi = P(lead).eta, P(lead).phi
    jeta, jphi = P(jets).eta, P(jets).phi
    has_lead = ~ak.is_none(lead)
    d = dr(jeta, jphi, ak.fill_none(leta, 0.0), ak.fill_none(lphi, 0.0))
    clean = ak.where(has_lead, d > 0.4, ak.ones_like(d, dtype=bool))  # no muon: ?? 99
    nclean = ak.to_numpy(ak.sum(clean, axis=1))

    def best_pair(coll_, mask_fn):
        p = ak.combinations(coll_, 2)
        x, y = ak.unzip(p)
        keep = mask_fn(x, y)
        s = P(x) + P(y)
        key = abs(s.mass - 91.1876)[keep]
        i = ak.argmin(key, axis=1, keepdims=True)
        pick = lambda v: ak.firsts(v[keep][i])
        return ak.to_numpy(ak.sum(keep, axis=1)), P4(pick(s.px), pick(s.py), pick(s.pz),
                                                      pick(s.e))

    nmp, zmm = best_pair(mu, lambda x, y: x.q != y.q)
    nep, zee = best_pair(el, lambda x, y: x.q + y.q == 0)
    trig = np.asarray(a["triggerIsoMu24"])
    all_ = np.ones(n, dtype=bool)
    c1 = trig.copy()
    c2 = c1 & (nlep >= 1)
    rz = c2 & (nmp >= 1)
    re_ = c2 & (nep >= 1)
    f1 = c2 & (nlep == 4)
    qsum = ak.to_numpy(ak.sum(mu.q, axis=1)) + ak.to_numpy(ak.sum(el.q, axis=1))
    f2 = f1 & (qsum == 0)
    nb = ak.to_numpy(ak.sum(jets.btag > 2.0, axis=1))
    rb = c2 & (nb >= 1)
    four = P4(ak.sum(mu.px, axis=1) + ak.sum(el.px, axis=1),
              ak.sum(mu.py, axis=1) + ak.sum(el.py, axis=1),
              ak.sum(mu.pz, axis=1) + ak.sum(el.pz, axis=1),
              ak.sum(mu.e, axis=1) + ak.sum(el.e, axis=1))
    m4 = ak.to_numpy(four.mass)
    chan = np.where(nmu == 4, 0, np.where(nel == 4, 1, 2))
    bj = jets[jets.btag > 2.0]
    bb = ak.firsts(bj[ak.argmax(bj.btag, axis=1, keepdims=True)])
    met = np.sqrt(np.asarray(a["MET_px"]) ** 2 + np.asarray(a["MET_py"]) ** 2)
    jm_, mm_ = ak.unzip(ak.cartesian([jets, mu]))
    nclose = ak.to_numpy(ak.sum(dr(P(jm_).eta, P(jm_).phi, P(mm_).eta, P(mm_).phi) < 0.4,
                                axis=1))
    zm, zpt = opt(zmm.mass), opt(zmm.pt)
    F = {
        ("all", "n_mu"): scalar_fill(nmu, all_),
        ("all", "mu_iso"): list_fill(mu.iso, all_),
        ("all", "lead_mu_pt"): scalar_fill(lead_pt, c2),
        ("all", "n_jets"): scalar_fill(nclean, c2),
        ("all", "jet_btag"): list_fill(jets.btag, c2),
        ("all", "met"): scalar_fill(met, c2),
        ("Zmumu", "m_ll"): scalar_fill(zm, rz),
        ("Zmumu", "pt_ll"): scalar_fill(zpt, rz),
        ("Zmumu", "m_vs_njets"): ((zm[rz], nclean[rz].astype(object)), np.nonzero(rz)[0]),
        ("Zee", "m_ll"): scalar_fill(opt(zee.mass), re_),
        ("four_leptons", "m_4l"): scalar_fill(m4, f2),
        ("four_leptons", "channel"): scalar_fill(chan, f2),
        ("btagged", "best_b_pt"): scalar_fill(opt(P(bb).pt), rb),
        ("btagged", "jet1_pt"): scalar_fill(opt(P(ak.firsts(jets)).pt), rb),
        ("btagged", "n_close"): scalar_fill(nclose, rb),
    }
    on_peak = rz & np.array([v is not None and abs(v - 91.1876) < 10 for v in zm])
    j0tag = np.asarray(ak.fill_none(ak.firsts(jets.btag), -99.0)) > 2.0
    j1tag = np.asarray(ak.fill_none(ak.firsts(jets.btag[:, 1:]), -99.0)) > 2.0
    ctx = {
        "muon_sf_up": 1 + 0.01 * nmu, "muon_sf_down": 1 - 0.01 * nmu,
        "jet_sf_0_up": np.where(j0tag, 1.1, 1.0), "jet_sf_0_down": np.where(j0tag, 0.9, 1.0),
        "jet_sf_1_up": np.where(j1tag, 1.1, 1.0), "jet_sf_1_down": np.where(j1tag, 0.9, 1.0),
    }
    return dict(
        cuts=[c1, c2], regions={"Zmumu": [rz], "Zee": [re_], "four_leptons": [f1, f2],
                                "btagged": [rb]},
        fills=F, counters={("all", "all_events"): all_, ("Zmumu", "on_peak"): on_peak},
        collects={("four_leptons", "four_l_events"): (f2, [m4, nmu, nel])}, ctx=ctx)


def ana_poet(a, kin=None):
    n = len(a["met_pt"])
    jpt = {"jes_up": a["jet_corrptUp"], "jes_down": a["jet_corrptDown"]}.get(kin, a["jet_pt"])
    jp4 = P4.ptetaphim(jpt, a["jet_eta"], a["jet_phi"], a["jet_mass"])
    em = (a["electron_pt"] > 30) & (abs(a["electron_eta"]) < 2.1) & a["electron_isTight"] \
        & (a["electron_sip3d"] < 4)
    mm = (a["muon_pt"] > 30) & (abs(a["muon_eta"]) < 2.1) & a["muon_isTight"] \
        & (a["muon_sip3d"] < 4) & (a["muon_pfreliso04DBCorr"] < 0.15)
    jm = (jpt > 30) & (abs(a["jet_eta"]) < 2.4)
    jets_pt = jpt[jm]
    jets_p4 = P4(jp4.px[jm], jp4.py[jm], jp4.pz[jm], jp4.e[jm])
    btag = a["jet_btag"][jm]
    nj = ak.to_numpy(ak.num(jets_pt))
    nb = ak.to_numpy(ak.sum(btag > 0.5, axis=1))
    ne = ak.to_numpy(ak.sum(em, axis=1))
    nm = ak.to_numpy(ak.sum(mm, axis=1))
    c1 = (ne + nm) == 1
    c2 = c1 & (nj >= 4)
    r1 = c2 & (nb == 1)
    r2 = c2 & (nb >= 2)

    def lep(f):
        e = ak.firsts(a[f"electron_{f}"][em])
        m = ak.firsts(a[f"muon_{f}"][mm])
        return ak.where(ak.is_none(e), m, e)

    lpt, leta, lphi = lep("pt"), lep("eta"), lep("phi")
    lp4 = P4.ptetaphim(lpt, leta, lphi, 0.0)
    qsum = ak.to_numpy(ak.sum(a["electron_ch"][em], axis=1) + ak.sum(a["muon_ch"][mm], axis=1))
    ht = ak.to_numpy(ak.sum(jets_pt, axis=1))
    bsel = btag > 0.5
    b0 = P4(ak.firsts(jets_p4.px[bsel]), ak.firsts(jets_p4.py[bsel]),
            ak.firsts(jets_p4.pz[bsel]), ak.firsts(jets_p4.e[bsel]))
    drlb = opt(dr(lp4.eta, lp4.phi, b0.eta, b0.phi))
    tri = trijet(jets_p4, btag, 0.5)
    tm, tpt = opt(tri.mass), opt(tri.pt)
    F = {
        ("all", "met"): scalar_fill(ak.to_numpy(a["met_pt"]), c2),
        ("all", "lep_charge"): scalar_fill(qsum, c2),
        ("all", "jet_pt"): list_fill(jets_pt, c2),
        ("4j1b", "HT"): scalar_fill(ht, r1),
        ("4j1b", "dr_lep_b"): scalar_fill(drlb, r1),
        ("4j2b", "m_bjj"): scalar_fill(tm, r2),
        ("4j2b", "m_bjj_vs_pt"): ((tm[r2], tpt[r2]), np.nonzero(r2)[0]),
    }
    ctx = {}
    for i in range(4):
        pti = ak.to_numpy(ak.fill_none(ak.firsts(jets_pt[:, i:]), np.nan))
        ctx[f"btag_var_{i}_up"] = 1 + 0.075 * pti / 50
        ctx[f"btag_var_{i}_down"] = 1 - 0.075 * pti / 50
    return dict(cuts=[c1, c2], regions={"4j1b": [r1], "4j2b": [r2]}, fills=F, counters={},
                collects={("all", "selected_events"): (c2, [a["run"], a["event"]])}, ctx=ctx)


SETUP = {
    "nanoaod_pieces": dict(
        fn=ana_nanoaod, branches=["MET_pt"] + [f"Electron_{f}" for f in
                                              ("pt", "eta", "cutBased", "sip3d")]
        + [f"Muon_{f}" for f in ("pt", "eta", "tightId", "sip3d", "pfRelIso04_all")]
        + [f"Jet_{f}" for f in ("pt", "eta", "phi", "mass", "jetId", "btagCSVV2")],
        weight=lambda a, norm: np.full(len(a["MET_pt"]), norm), kin=[], wvars=[], on=None),
    "zmumu": dict(
        fn=ana_zmumu, branches=["Type", "Run", "Event", "E1", "px1", "py1", "pz1", "pt1", "eta1",
                                "phi1", "Q1", "E2", "px2", "py2", "pz2", "pt2", "eta2", "phi2",
                                "Q2", "M"],
        weight=lambda a, norm: np.full(len(a["M"]), norm), kin=[],
        wvars=[("muon_eff_up", 1.02), ("muon_eff_down", 0.98)], on=["dy"]),
    "hzz": dict(
        fn=ana_hzz, branches=["MET_px", "MET_py", "triggerIsoMu24", "EventWeight"]
        + [f"{c}_{f}" for c in ("Muon", "Electron") for f in ("Px", "Py", "Pz", "E", "Charge",
                                                            "Iso")]
        + [f"Jet_{f}" for f in ("Px", "Py", "Pz", "E", "btag", "ID")],
        weight=lambda a, norm: norm * np.asarray(a["EventWeight"]), kin=["jes_up", "jes_down"],
        wvars=[(v, None) for v in ("muon_sf_up", "muon_sf_down", "jet_sf_0_up", "jet_sf_0_down",
                                   "jet_sf_1_up", "jet_sf_1_down")], on=None),
    "poet_ttbar": dict(
        fn=ana_poet, branches=["met_pt", "run", "event"]
        + [f"jet_{f}" for f in ("pt", "eta", "phi", "mass", "btag", "corrpt", "corrptUp",
                                "corrptDown")]
        + [f"electron_{f}" for f in ("pt", "eta", "phi", "isTight", "sip3d", "ch")]
        + [f"muon_{f}" for f in ("pt", "eta", "phi", "isTight", "sip3d", "pfreliso04DBCorr",
                                 "ch")],
        weight=lambda a, norm: np.full(len(a["met_pt"]), norm), kin=["jes_up", "jes_down"],
        wvars=[(f"btag_var_{i}_{d}", None) for i in range(4) for d in ("up", "down")], on=None),
}


def compute(analysis):
    ana_path = os.path.join(REPO, ANA[analysis])
    info = parse_ana(ana_path)
    setup = SETUP[analysis]
    ydir = os.path.dirname(ana_path)
    ypath = os.path.join(ydir, info["samples"])
    doc = yaml.safe_load(open(ypath))
    res = {"histograms": {}, "counters": {}, "collects": {}, "cutflow": {}}
    axes = {(r, nm): ax for r, nm, ax in info["hists"]}
    nominal_hists = {}
    for proc, variations in doc.items():
        for svar, s in variations.items():
            paths = [os.path.normpath(os.path.join(os.path.dirname(ypath), f["path"]))
                     for f in s["files"]]
            a = read(paths, info["tree"], setup["branches"])
            nevts = sum(uproot.open(p)[info["tree"]].num_entries for p in paths)
            is_data = s.get("is_data", False)
            n = len(a[setup["branches"][0]])
            w = np.ones(n) if is_data else setup["weight"](a, s["xsec"] * info["lumi"] / nevts)
            runs = [(svar, None, None)]
            if not is_data and svar == "nominal":
                runs += [(k, k, None) for k in setup["kin"]]
                if setup["on"] is None or proc in setup["on"]:
                    runs += [(v, None, f) for v, f in setup["wvars"]]
            for label, kin, factor in runs:
                r = setup["fn"](a, kin)
                ww = w
                if label in r["ctx"]:
                    ww = w * r["ctx"][label]
                elif factor is not None:
                    ww = w * factor
                for (reg, nm), (vals, idx) in r["fills"].items():
                    if isinstance(vals, tuple):
                        vals = tuple(np.asarray(v, dtype=object) for v in vals)
                    c, v = fill(axes[(reg, nm)], vals, ww[idx])
                    name = out_name(info["template"], reg, nm, proc, label)
                    res["histograms"][name] = {"contents": c.tolist(), "variances": v.tolist()}
                    if label == "nominal":
                        nominal_hists[(proc, reg, nm)] = (c, v)
                for (reg, nm), mask in r["counters"].items():
                    mask = np.asarray(mask, dtype=bool)
                    res["counters"][out_name(info["template"], reg, nm, proc, label)] = [
                        int(mask.sum()), float(ww[mask].sum()), float((ww[mask] ** 2).sum())]
                maxes = {(reg, nm): mx for reg, nm, mx in info["collects"]}
                for (reg, nm), (mask, cols) in r["collects"].items():
                    idx = np.nonzero(np.asarray(mask))[0][:maxes[(reg, nm)]]
                    rows = [[ak.to_list(c[i]) if not isinstance(c, np.ndarray) else c[i].item()
                             for c in cols] for i in idx]
                    res["collects"][out_name(info["template"], reg, nm, proc, label)] = rows
                if label == svar:
                    common = [["all events", n, float(w.sum())]]
                    for lab, mask in zip(info["cuts"], r["cuts"]):
                        mask = np.asarray(mask, dtype=bool)
                        common.append([lab, int(mask.sum()), float(w[mask].sum())])
                    regs = {}
                    for reg, labels in info["regions"].items():
                        regs[reg] = [[lab, int(np.sum(m)), float(w[np.asarray(m, bool)].sum())]
                                     for lab, m in zip(labels, r["regions"][reg])]
                    res["cutflow"][f"{proc}/{svar}"] = {"common": common, "regions": regs}
    # derives (zmumu)
    text = strip_comments(open(ana_path).read())
    res["efficiencies"] = {}
    for name, expr in re.findall(r"\bderive\s+(\w+)\s*=\s*([^\n]*)", text):
        expr = expr.strip()
        m = re.match(r'efficiency\("([^"]*)",\s*"([^"]*)"\)', expr)
        if m:
            res["efficiencies"][name] = {}
            for key, cf in res["cutflow"].items():
                rows = {row[0]: row[1] for row in cf["common"]}
                res["efficiencies"][name][key] = [rows[m.group(1)], rows[m.group(2)]]
            continue
        for reg, nm, ax in info["hists"]:
            m = re.match(r"(\w+)\s*-\s*(\w+)$", expr)
            if m:
                ca, va = nominal_hists[(m.group(1), reg, nm)]
                cb, vb = nominal_hists[(m.group(2), reg, nm)]
                c, v = ca - cb, va + vb
            else:
                m = re.match(r"normalize\((\w+)\)$", expr)
                c0, v0 = nominal_hists[(m.group(1), reg, nm)]
                ext = [axis_extent(x) for x in ax]
                inr = np.ones(ext, dtype=bool)
                for d, x in enumerate(ax):
                    sl = [slice(None)] * len(ax)
                    if x[0] != "category":
                        sl[d] = 0
                        inr[tuple(sl)] = False
                    sl[d] = ext[d] - 1
                    inr[tuple(sl)] = False
                S = c0[inr.ravel()].sum()
                c, v = c0 / S, v0 / (S * S)
            res["histograms"][out_name(info["template"], reg, nm, name, "nominal")] = {
                "contents": c.tolist(), "variances": v.tolist()}
    return res


def close(a, b, rel=1e-9):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= rel * max(abs(a), abs(b)) or a == b
    return a == b


def compare(mine, golden):
    bad = 0
    for sect in ("histograms", "counters", "collects", "cutflow", "efficiencies"):
        A, B = mine[sect], golden[sect]
        for k in sorted(set(A) ^ set(B)):
            print(f"{sect}: {k} only in {'crosscheck' if k in A else 'golden'}")
            bad += 1
        for k in sorted(set(A) & set(B)):
            x, y = A[k], B[k]
            if sect == "histograms":
                for part in ("contents", "variances"):
                    if len(x[part]) != len(y[part]):
                        print(f"{k}: {part} length {len(x[part])} != {len(y[part])}")
                        bad += 1
                        continue
                    diffs = [i for i, (p, q) in enumerate(zip(x[part], y[part])) if not close(p, q)]
                    if diffs:
                        bad += 1
                        print(f"{k} {part}: bins {diffs[:10]} differ: "
                              f"{[x[part][i] for i in diffs[:5]]} vs "
                              f"{[y[part][i] for i in diffs[:5]]}")
            else:
                fx = json.loads(json.dumps(x))
                fy = json.loads(json.dumps(y))
                if not deep_close(fx, fy):
                    bad += 1
                    print(f"{sect} {k}: {fx} vs {fy}"[:600])
    return bad


def deep_close(x, y):
    if isinstance(x, dict):
        return isinstance(y, dict) and set(x) == set(y) and all(deep_close(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return isinstance(y, list) and len(x) == len(y) and all(deep_close(p, q)
                                                                for p, q in zip(x, y))
    if type(x) is not type(y) and not ({type(x), type(y)} <= {int, float}):
        return False
    return close(x, y)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ANA:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(ANA)}}} GOLDEN.json")
    mine = compute(sys.argv[1])
    golden = json.load(open(sys.argv[2]))
    bad = compare(mine, golden)
    print(f"{sys.argv[1]}: {len(mine['histograms'])} histograms, {len(mine['counters'])} counters, "
          f"{len(mine['collects'])} collects checked; {bad} differences")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

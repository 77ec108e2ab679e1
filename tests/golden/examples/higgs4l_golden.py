#!/usr/bin/env python3
"""Golden results of examples/higgs4l.ana, computed without anac (uproot + awkward for the lepton
selection, then a plain loop over the events for the pairs).

Usage (from the repository root):

    python3 tests/golden/examples/higgs4l_golden.py -o tests/golden/examples/higgs4l.json

The analysis is transcribed by hand from the .ana file (CMS HIG-13-002 on NanoAOD branches). The
.ana file joins the flavours with `union` and leaves Z1's leptons out by element identity; this
script keeps per event a plain list of the selected leptons (electrons first, each flavour in file
order, as `union` orders them) and works with list positions:
- Z1 is the same-flavour opposite-charge pair closest to the Z mass over all pairs (i < j) of the
  list, the first of equal distances;
- Z2 candidates are the same-flavour opposite-charge pairs of the positions not in Z1 with
  12 < m < 120; the one with the largest pt sum (the first of equal sums) is Z2;
- the pt and m(l+l-) conditions are computed on the four leptons as a list (sorted pts; every
  opposite-charge pair, Z1 and Z2 included, where the .ana file takes the four pairs across), the
  channel from the flavours of Z1 and Z2.
Four-vectors from (pt, eta, phi, mass) with Python's math in float64 (px = pt cos phi, ...,
E = sqrt(p^2 + m^2)), pair sums component by component, mass = sqrt(E^2 - p^2).
Variations: muon_scale_up/down scale Muon pt by 1.01/0.99, electron_scale_up/down Electron pt by
1.02/0.98, before any selection. Weight: genWeight * xsec * lumi / sumw. Output: see
golden_common.py; "entries" is the number of fills of each histogram; the `efficiency` derives
from the cutflow rows, with the Clopper-Pearson interval from scipy.
"""

import argparse
import math
import os
import sys

import awkward as ak
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as G  # noqa: E402

YAML = "examples/higgs4l.yaml"
LUMI = 19700.0
MZ = 91.1876

BRANCHES = ["genWeight"]
for _c in ("Electron", "Muon"):
    BRANCHES += [f"{_c}_{f}" for f in ("pt", "eta", "phi", "mass", "charge", "sip3d", "dxy", "dz")]
BRANCHES += ["Electron_cutBased", "Electron_pfRelIso03_all", "Muon_looseId", "Muon_pfRelIso04_all"]


def p4(pt, eta, phi, m):
    p = pt * math.cosh(eta)
    return (pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta), math.sqrt(p * p + m * m))


def add(a, b):
    return tuple(x + y for x, y in zip(a, b))


def mass(v):
    m2 = v[3] * v[3] - (v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    return math.sqrt(m2) if m2 >= 0 else -math.sqrt(-m2)


def leptons(a, prefix, mask, pt):
    """Per event: [(flavour, pt, charge, four-vector)] of the selected leptons, in file order."""
    rows = ak.to_list(ak.zip({"pt": pt[mask], "eta": G.f64(a[f"{prefix}_eta"])[mask],
                              "phi": G.f64(a[f"{prefix}_phi"])[mask],
                              "m": G.f64(a[f"{prefix}_mass"])[mask], "q": a[f"{prefix}_charge"][mask]}))
    return [[(prefix, r["pt"], r["q"], p4(r["pt"], r["eta"], r["phi"], r["m"])) for r in ev] for ev in rows]


def sf_pairs(leps, positions, same_sign):
    """Same-flavour pairs (i, j, pair four-vector) of the given positions, i < j, with opposite
    (or, for same_sign, equal) charges."""
    out = []
    for k, i in enumerate(positions):
        for j in positions[k + 1:]:
            if leps[i][0] == leps[j][0] and (leps[i][2] == leps[j][2]) == same_sign:
                out.append((i, j, add(leps[i][3], leps[j][3])))
    return out


def best_by_pt_sum(leps, pairs):
    """The pair with the largest pt sum, the first of equal sums (electron pairs come first)."""
    best = None
    for p in pairs:
        s = leps[p[0]][1] + leps[p[1]][1]
        if best is None or s > best[0]:
            best = (s, p)
    return best[1] if best else None


def analyse(a, w, mu_scale, e_scale):
    e_pt = G.f64(a.Electron_pt) * e_scale
    e_sel = (e_pt > 7) & (abs(G.f64(a.Electron_eta)) < 2.5) & (a.Electron_cutBased >= 2) \
        & (G.f64(a.Electron_pfRelIso03_all) < 0.4) & (G.f64(a.Electron_sip3d) < 4) \
        & (abs(G.f64(a.Electron_dxy)) < 0.5) & (abs(G.f64(a.Electron_dz)) < 1)
    m_pt = G.f64(a.Muon_pt) * mu_scale
    m_sel = (m_pt > 5) & (abs(G.f64(a.Muon_eta)) < 2.4) & a.Muon_looseId \
        & (G.f64(a.Muon_pfRelIso04_all) < 0.4) & (G.f64(a.Muon_sip3d) < 4) \
        & (abs(G.f64(a.Muon_dxy)) < 0.5) & (abs(G.f64(a.Muon_dz)) < 1)
    ev_e = leptons(a, "Electron", e_sel, e_pt)
    ev_m = leptons(a, "Muon", m_sel, m_pt)
    n = len(w)
    keys = ["four", "z1", "z1win", "z2", "m4l", "ch_4mu", "ch_4e", "ch_2e2mu", "pt", "ghost",
            "no_z2", "ss"]
    M = {k: np.zeros(n, bool) for k in keys}
    z1m, z2m, m4l, m4l_ss = (np.full(n, np.nan) for _ in range(4))
    z1_ee = np.zeros(n, bool)
    for i in range(n):
        leps = ev_e[i] + ev_m[i]
        M["four"][i] = len(leps) >= 4
        z1_cands = sf_pairs(leps, list(range(len(leps))), False)
        if not z1_cands:
            continue
        M["z1"][i] = True
        z1 = min(z1_cands, key=lambda p: abs(mass(p[2]) - MZ))  # the first of equal distances
        z1m[i] = mass(z1[2])
        z1_ee[i] = leps[z1[0]][0] == "Electron"
        M["z1win"][i] = 40 < z1m[i] < 120
        rest = [k for k in range(len(leps)) if k not in (z1[0], z1[1])]
        z2 = best_by_pt_sum(leps, [p for p in sf_pairs(leps, rest, False) if 12 < mass(p[2]) < 120])
        if z2 is None:
            M["no_z2"][i] = True
            ss = best_by_pt_sum(leps, [p for p in sf_pairs(leps, rest, True) if 12 < mass(p[2]) < 120])
            if ss is not None:
                M["ss"][i] = True
                m4l_ss[i] = mass(add(z1[2], ss[2]))
            continue
        M["z2"][i] = True
        z2m[i] = mass(z2[2])
        m4l[i] = mass(add(z1[2], z2[2]))
        M["m4l"][i] = m4l[i] > 70
        flavours = (leps[z1[0]][0], leps[z2[0]][0])
        M["ch_4mu"][i] = flavours == ("Muon", "Muon")
        M["ch_4e"][i] = flavours == ("Electron", "Electron")
        M["ch_2e2mu"][i] = flavours[0] != flavours[1]
        four = [leps[k] for k in (z1[0], z1[1], z2[0], z2[1])]
        pts = sorted((l[1] for l in four), reverse=True)
        M["pt"][i] = pts[0] > 20 and pts[1] > 10
        M["ghost"][i] = all(mass(add(x[3], y[3])) > 4 for k, x in enumerate(four) for y in four[k + 1:]
                            if x[2] != y[2])
    ones = np.ones(n, bool)
    steps, cur = [("all events", ones)], ones
    for label, key in [("four leptons", "four"), ("a Z1 candidate", "z1"), ("40 < m(Z1) < 120", "z1win")]:
        cur = cur & M[key]
        steps.append((label, cur))
    H, C, regions = {}, {}, {}
    C["all__all_events"] = G.counter(ones, w)
    H["all__m_z1"] = G.Hist(G.Regular(32, 40, 120))
    H["all__m_z1"].fill(cur, w, z1m)
    C["all__z1_from_electrons"] = G.counter(cur & z1_ee, w)
    rows, r = [], cur
    for label, key in [("a Z2 candidate (12 < m(Z2) < 120)", "z2"), ("lepton pt > 20 and > 10", "pt"),
                       ("m(l+l-) > 4", "ghost"), ("m(4l) > 70", "m4l")]:
        r = r & M[key]
        rows.append((label, r))
    zz = r
    regions["zz"] = rows
    H["zz__m_z2"] = G.Hist(G.Regular(27, 12, 120))
    H["zz__m_z2"].fill(zz, w, z2m)
    H["zz__z1_z2"] = G.Hist(G.Regular(8, 40, 120), G.Regular(9, 12, 120))
    H["zz__z1_z2"].fill(zz, w, z1m, z2m)
    window = (m4l > 118) & (m4l < 130)
    for region, label, key in [("four_mu", "Z1 and Z2 of muons", "ch_4mu"),
                               ("four_e", "Z1 and Z2 of electrons", "ch_4e"),
                               ("two_e_two_mu", "one pair of each flavour", "ch_2e2mu")]:
        r1 = zz & M[key]
        H[f"{region}__m4l"] = G.Hist(G.Regular(23, 70, 300))
        H[f"{region}__m4l"].fill(r1, w, m4l)
        H[f"{region}__m_z2"] = G.Hist(G.Regular(9, 12, 120))
        H[f"{region}__m_z2"].fill(r1, w, z2m)
        if region == "two_e_two_mu":
            C[f"{region}__z1_electrons"] = G.counter(r1 & z1_ee, w)
        regions[region] = [(label, r1), ("118 < m(4l) < 130", r1 & window)]
    s1 = cur & M["no_z2"]
    s2 = s1 & M["ss"]
    regions["same_sign"] = [("no Z2 candidate", s1), ("a same-sign pair", s2)]
    H["same_sign__m4l"] = G.Hist(G.Regular(23, 70, 300))
    H["same_sign__m4l"].fill(s2, w, m4l_ss)
    return H, C, steps, regions


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    os.chdir(G.REPO)
    out = {"histograms": {}, "counters": {}, "cutflow": {}}
    for process, variation, paths, xsec in G.samples(YAML):
        a, sumw = G.read(paths, BRANCHES)
        w = ak.to_numpy(G.f64(a.genWeight)) * float(xsec) * LUMI / sumw
        contexts = [(variation, 1.0, 1.0)]
        if variation == "nominal":
            contexts += [("muon_scale_up", 1.01, 1.0), ("muon_scale_down", 0.99, 1.0),
                         ("electron_scale_up", 1.0, 1.02), ("electron_scale_down", 1.0, 0.98)]
        for name, mu_scale, e_scale in contexts:
            H, C, steps, regions = analyse(a, w, mu_scale, e_scale)
            suffix = "" if name == "nominal" else f"_{name}"
            for key, h in H.items():
                region, hist = key.split("__")
                out["histograms"][f"{region}_{hist}_{process}{suffix}"] = h.json()
            for key, c in C.items():
                region, cname = key.split("__")
                out["counters"][f"{region}_{cname}_{process}{suffix}"] = c
            if name == variation:
                out["cutflow"][f"{process}/{variation}"] = {
                    "common": G.cutflow_rows(steps, w),
                    "regions": {r: G.cutflow_rows(s, w) for r, s in regions.items()},
                }
    out["efficiencies"] = G.efficiencies(out["cutflow"], [
        ("z2_efficiency", "zz/a Z2 candidate (12 < m(Z2) < 120)", "40 < m(Z1) < 120"),
        ("ghost_efficiency", "zz/m(l+l-) > 4", "zz/lepton pt > 20 and > 10"),
        ("window_4mu", "four_mu/118 < m(4l) < 130", "four_mu/Z1 and Z2 of muons"),
        ("window_2e2mu", "two_e_two_mu/118 < m(4l) < 130", "two_e_two_mu/one pair of each flavour"),
    ])
    G.write(args.output, out)
    for name, h in sorted(out["histograms"].items()):
        print(f"{name}: {h['entries']} entries")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Golden results of examples/soft_dilepton.ana, computed without anac (uproot + awkward for the
object masks and the jet cleaning, then a plain loop over the events for the leptons).

Usage (from the repository root):

    python3 tests/golden/examples/soft_dilepton_golden.py -o tests/golden/examples/soft_dilepton.json

The analysis is transcribed by hand from the .ana file (CMS SUS-16-048 on NanoAOD branches).
Written differently on purpose: the .ana file joins electrons and muons with `union` and vetoes
additional loose leptons by element identity; here each event's leptons are a Python list of
(flavour, index, values) tuples, sorted by pt with Python's stable sort (electrons before muons on
equal pt, as the union's order gives), and the veto is "exactly two loose leptons" (the same thing
once exactly two selected leptons are required, since the selected ones are loose ones). The jets
are cleaned with `ak.cartesian(nested=True)` against the selected leptons of both flavours.
M_tautau = sign(xi_a xi_b) sqrt(|xi_a xi_b|) M_ll with xi from Cramer's rule; M_T = sqrt(2 pt_l
MET (1 - cos dphi)) with pt and phi of the lepton's four-vector. Variations: electron_scale_up /
electron_scale_down scale Electron pt by 1.02 / 0.98 before any selection. Weight: genWeight *
xsec * lumi / sumw, times the dimuon trigger efficiency in SR_lowMET's histograms (not its
cutflow). Efficiencies: the `efficiency` derives from the cutflow rows, with the Clopper-Pearson
interval (golden_common.py). Output: see golden_common.py; "entries" is the number of fills of
each histogram.
"""

import argparse
import math
import os
import sys

import awkward as ak
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_common as G  # noqa: E402

YAML = "examples/soft_dilepton.yaml"
LUMI = 35900.0
BTAG = 0.8484

BRANCHES = ["genWeight", "Flag_METFilters", "MET_pt", "MET_phi",
            "Jet_pt", "Jet_eta", "Jet_phi", "Jet_mass", "Jet_jetId", "Jet_btagCSVV2",
            "Electron_pt", "Electron_eta", "Electron_phi", "Electron_mass", "Electron_charge",
            "Electron_cutBased", "Electron_miniPFRelIso_all", "Electron_dxy", "Electron_dz",
            "Muon_pt", "Muon_eta", "Muon_phi", "Muon_mass", "Muon_charge", "Muon_looseId",
            "Muon_miniPFRelIso_all", "Muon_dxy", "Muon_dz"]

MLL_EDGES = (4, 10, 20, 30, 50)
MET_EDGES = (125, 150, 200, 250, 300, 400, 600)
LEAD_EDGES = (3.5, 5, 8, 12, 16, 20, 25, 30)


def p4(pt, eta, phi, m):
    p = pt * math.cosh(eta)
    return (pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta), math.sqrt(p * p + m * m))


def add(a, b):
    return tuple(x + y for x, y in zip(a, b))


def mass(v):
    m2 = v[3] * v[3] - (v[0] * v[0] + v[1] * v[1] + v[2] * v[2])
    return math.sqrt(m2) if m2 >= 0 else -math.sqrt(-m2)


def pt_of(v):
    return math.sqrt(v[0] * v[0] + v[1] * v[1])


def mt(a, b):
    d = math.atan2(a[1], a[0]) - math.atan2(b[1], b[0])
    if d > math.pi:
        d -= 2 * math.pi
    elif d <= -math.pi:
        d += 2 * math.pi
    return math.sqrt(2.0 * pt_of(a) * pt_of(b) * (1.0 - math.cos(d)))


def m_tautau(a, b, met):
    """Signed M_tautau: xi_a a + xi_b b = a + b + met (transverse), solved by Cramer's rule."""
    det = a[0] * b[1] - a[1] * b[0]
    if det == 0:
        return math.nan  # anac divides to an infinity or NaN: never inside the veto window
    xa = 1 + (met[0] * b[1] - met[1] * b[0]) / det
    xb = 1 + (met[0] * a[1] - met[1] * a[0]) / (b[0] * a[1] - b[1] * a[0])
    x = xa * xb
    s = math.sqrt(x) if x >= 0 else -math.sqrt(-x)
    return s * mass(add(a, b))


def trigger_eff(pt):
    return 0.95 * (1 - math.exp(-(pt - 3) / 2))


def lepton_rows(a, prefix, base, good, pt):
    """Per event, the leptons passing the loose selection: [(pt, eta, phi, m, q, good)]."""
    eta, phi, m = G.f64(a[f"{prefix}_eta"]), G.f64(a[f"{prefix}_phi"]), G.f64(a[f"{prefix}_mass"])
    return ak.to_list(ak.zip({"pt": pt[base], "eta": eta[base], "phi": phi[base], "m": m[base],
                              "q": a[f"{prefix}_charge"][base], "good": good[base]}))


def lepton_jagged(a, prefix, sel, pt):
    v = G.p4(pt[sel], G.f64(a[f"{prefix}_eta"])[sel], G.f64(a[f"{prefix}_phi"])[sel],
             G.f64(a[f"{prefix}_mass"])[sel])
    return {"eta": G.eta_of(v), "phi": G.phi_of(v)}


def good_lepton(a, prefix, pt):
    iso = G.f64(a[f"{prefix}_miniPFRelIso_all"])
    return (abs(a[f"{prefix}_dxy"]) < 0.01) & (abs(a[f"{prefix}_dz"]) < 0.01) & (iso < 0.5) \
        & (iso * pt < 5)


def analyse(a, w, e_scale):
    e_pt = G.f64(a.Electron_pt) * e_scale if e_scale != 1.0 else G.f64(a.Electron_pt)
    e_base = (e_pt > 5) & (abs(a.Electron_eta) < 2.5) & (a.Electron_cutBased >= 1)
    e_good = good_lepton(a, "Electron", e_pt)
    m_pt = G.f64(a.Muon_pt)
    m_base = (m_pt > 3.5) & (abs(a.Muon_eta) < 2.4) & a.Muon_looseId
    m_good = good_lepton(a, "Muon", m_pt)
    e_rows = lepton_rows(a, "Electron", e_base, e_good, e_pt)
    m_rows = lepton_rows(a, "Muon", m_base, m_good, m_pt)

    j_pt = G.f64(a.Jet_pt)
    jv = G.p4(j_pt, G.f64(a.Jet_eta), G.f64(a.Jet_phi), G.f64(a.Jet_mass))
    jets = {"eta": G.eta_of(jv), "phi": G.phi_of(jv)}
    j_sel = (j_pt > 25) & (abs(a.Jet_eta) < 2.4) & ((a.Jet_jetId & 2) != 0) \
        & ~G.any_near(jets, lepton_jagged(a, "Electron", e_base & e_good, e_pt), 0.4) \
        & ~G.any_near(jets, lepton_jagged(a, "Muon", m_base & m_good, m_pt), 0.4)
    n_b = ak.to_numpy(ak.sum(j_sel & (a.Jet_btagCSVV2 > BTAG), axis=1))
    ht = ak.to_list(j_pt[j_sel])
    met_pt = ak.to_numpy(G.f64(a.MET_pt))
    met_phi = ak.to_numpy(G.f64(a.MET_phi))
    flags = ak.to_numpy(a.Flag_METFilters)

    n = len(w)
    keys = ["filters", "two", "veto", "os", "below30", "ptll",
            "met", "isr", "ht", "metht", "bveto", "res", "mtt",
            "sf", "above5", "mll", "mt", "ee", "mumu", "lowmet", "medmet", "highmet", "stop", "of"]
    M = {k: np.zeros(n, bool) for k in keys}
    m_ll = np.full(n, np.nan)
    lead_pt = np.full(n, np.nan)
    n_mu = np.zeros(n, np.int64)
    trig = np.ones(n)
    os_masses = [[] for _ in range(n)]
    mts = [[] for _ in range(n)]
    for i in range(n):
        loose = [("e", r) for r in e_rows[i]] + [("m", r) for r in m_rows[i]]
        loose.sort(key=lambda x: -x[1]["pt"])  # stable: electrons first on equal pt
        sel = [(f, r, p4(r["pt"], r["eta"], r["phi"], r["m"])) for f, r in loose if r["good"]]
        os_masses[i] = [mass(add(x[2], y[2])) for k, x in enumerate(sel) for y in sel[k + 1:]
                        if x[1]["q"] != y[1]["q"]]
        M["filters"][i] = bool(flags[i])
        M["two"][i] = len(sel) == 2
        M["veto"][i] = len(loose) == 2
        if len(sel) != 2:
            continue
        (f1, r1, v1), (f2, r2, v2) = sel
        met = p4(met_pt[i], 0.0, met_phi[i], 0.0)
        ll = add(v1, v2)
        mll = mass(ll)
        sf = f1 == f2
        h = 0.0
        for x in ht[i]:
            h += x
        isr = max(ht[i], default=0.0)
        m_ll[i] = mll
        lead_pt[i] = r1["pt"]
        n_mu[i] = (f1 == "m") + (f2 == "m")
        mts[i] = [mt(v1, met), mt(v2, met)]
        trig[i] = trigger_eff(r2["pt"])
        mtt = m_tautau(v1, v2, met)
        M["os"][i] = r1["q"] != r2["q"]
        M["below30"][i] = r1["pt"] < 30
        M["ptll"][i] = pt_of(ll) > 3
        M["met"][i] = met_pt[i] > 125
        M["isr"][i] = isr > 100
        M["ht"][i] = h > 100
        M["metht"][i] = 0.6 < met_pt[i] / h < 1.4 if h != 0 else False
        M["bveto"][i] = n_b[i] == 0
        M["res"][i] = not (sf and (3 < mll < 3.2 or 9 < mll < 10.5))
        M["mtt"][i] = not (0 < mtt < 160)
        M["sf"][i] = sf
        M["above5"][i] = r2["pt"] > 5
        M["mll"][i] = 4 < mll < 50
        M["mt"][i] = max(mts[i]) < 70
        M["ee"][i] = f1 == "e"
        M["mumu"][i] = f1 == "m"
        M["lowmet"][i] = met_pt[i] < 200
        M["medmet"][i] = 200 <= met_pt[i] < 250
        M["highmet"][i] = met_pt[i] >= 250
        M["stop"][i] = met_pt[i] >= 200 or n_mu[i] == 2
        M["of"][i] = not sf

    def chain(start, labelled):
        cur, rows = start, []
        for label, key in labelled:
            cur = cur & M[key]
            rows.append((label, cur))
        return cur, rows

    H, C = {}, {}
    C["all__all_events"] = G.counter(np.ones(n, bool), w)
    filt = M["filters"]
    H["all__m_os_pairs"] = G.Hist(G.Regular(30, 0, 60))
    H["all__m_os_pairs"].fill_list(filt, w, ak.Array(os_masses))
    common, steps = chain(np.ones(n, bool), [
        ("MET filters", "filters"), ("exactly two leptons", "two"),
        ("no additional loose lepton", "veto"), ("opposite charge", "os"),
        ("leptons below 30 GeV", "below30"), ("pT(ll) > 3", "ptll")])
    steps = [("all events", np.ones(n, bool))] + steps
    H["all__m_ll"] = G.Hist(G.Regular(30, 0, 60))
    H["all__m_ll"].fill(common, w, m_ll)
    H["all__flavour"] = G.Hist(G.Integer(0, 3))
    H["all__flavour"].fill(common, w, n_mu)

    regions = {}
    base, regions["baseline"] = chain(common, [
        ("MET > 125", "met"), ("HT > 100", "ht"), ("ISR jet pT > 100", "isr"),
        ("0.6 < MET/HT < 1.4", "metht"), ("b-jet veto", "bveto"),
        ("J/psi and Upsilon vetoes", "res"), ("M_tautau veto", "mtt")])
    H["baseline__m_ll"] = G.Hist(G.Regular(30, 0, 60))
    H["baseline__m_ll"].fill(base, w, m_ll)
    H["baseline__lead_pt"] = G.Hist(G.Variable(*LEAD_EDGES))
    H["baseline__lead_pt"].fill(base, w, lead_pt)
    H["baseline__met"] = G.Hist(G.Variable(*MET_EDGES))
    H["baseline__met"].fill(base, w, met_pt)
    H["baseline__flavour"] = G.Hist(G.Integer(0, 3))
    H["baseline__flavour"].fill(base, w, n_mu)
    H["baseline__mt_l"] = G.Hist(G.Regular(10, 0, 200))
    H["baseline__mt_l"].fill_list(base, w, ak.Array(mts))

    ewk, regions["ewk"] = chain(base, [
        ("same flavour", "sf"), ("leptons above 5 GeV", "above5"), ("4 < M_ll < 50", "mll"),
        ("M_T(l, MET) < 70", "mt")])
    H["ewk__m_ll"] = G.Hist(G.Variable(*MLL_EDGES))
    H["ewk__m_ll"].fill(ewk, w, m_ll)
    H["ewk__met"] = G.Hist(G.Variable(*MET_EDGES))
    H["ewk__met"].fill(ewk, w, met_pt)
    ee, regions["ewk_ee"] = chain(ewk, [("channel", "ee")])
    mumu, regions["ewk_mumu"] = chain(ewk, [("channel", "mumu")])
    low, regions["SR_lowMET"] = chain(mumu, [("125 < MET < 200", "lowmet")])
    med, regions["SR_medMET"] = chain(ewk, [("200 < MET < 250", "medmet")])
    high, regions["SR_highMET"] = chain(ewk, [("MET > 250", "highmet")])
    for name, mask, ww in [("ewk_ee", ee, w), ("ewk_mumu", mumu, w), ("SR_lowMET", low, w * trig),
                           ("SR_medMET", med, w), ("SR_highMET", high, w)]:
        H[f"{name}__m_ll"] = G.Hist(G.Variable(*MLL_EDGES))
        H[f"{name}__m_ll"].fill(mask, ww, m_ll)
    stop, regions["stop"] = chain(base, [("mu mu below 200 GeV of MET", "stop")])
    H["stop__lead_pt_met"] = G.Hist(G.Variable(3.5, 12, 20, 30), G.Variable(125, 200, 300, 600))
    H["stop__lead_pt_met"].fill(stop, w, lead_pt, met_pt)
    emu, regions["emu"] = chain(base, [("opposite flavour", "of")])
    H["emu__m_ll"] = G.Hist(G.Regular(12, 0, 60))
    H["emu__m_ll"].fill(emu, w, m_ll)

    return H, C, steps, regions


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    os.chdir(G.REPO)
    out = {"histograms": {}, "counters": {}, "cutflow": {}, "efficiencies": {}}
    for process, variation, paths, xsec in G.samples(YAML):
        a, sumw = G.read(paths, BRANCHES)
        w = ak.to_numpy(G.f64(a.genWeight)) * float(xsec) * LUMI / sumw
        contexts = [(variation, 1.0)]
        if variation == "nominal":
            contexts += [("electron_scale_up", 1.02), ("electron_scale_down", 0.98)]
        for name, scale in contexts:
            with np.errstate(invalid="ignore", divide="ignore"):
                H, C, steps, regions = analyse(a, w, scale)
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
    # The `efficiency` derives from the cutflow rows ("REGION/LABEL" for a region's cut).
    out["efficiencies"] = G.efficiencies(out["cutflow"], [
        ("mt_efficiency", "ewk/M_T(l, MET) < 70", "ewk/4 < M_ll < 50"),
        ("mumu_fraction", "ewk_mumu/channel", "ewk/M_T(l, MET) < 70"),
    ])
    G.write(args.output, out)
    for name, h in sorted(out["histograms"].items()):
        print(f"{name}: {h['entries']} entries")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Enriched NanoAOD-layout input of examples/soft_dilepton.ana, made from the 200 real CMS events
of `nanoAOD_2015_CMS_Open_Data_ttbar.root`.

Usage (from the repository root):

    python3 tests/scripts/make_soft_dilepton.py examples/data/soft_dilepton_enriched.root

Why: none of the 200 real ttbar events has two soft leptons (5-30 GeV), a hard ISR jet and large
MET without a b jet, so the example's histograms would be empty. Each event written here starts
from one real event drawn with replacement (events without jets borrow the jets of another), its
real leptons are dropped, and:

- MET flat in 100-360 GeV; the ISR jet (the leading central jet with the tight-ID bit) scaled to
  0.55-1.3 times the MET, the other jets by 0.8-1.3; the MET opposite the ISR jet within
  +-0.6 rad in 85 % of the events (elsewhere random);
- the real b-tag scores pushed below the medium working point, then one central jet b-tagged
  (CSVv2 0.85-1) in 25 % of the events;
- two soft leptons: mu mu (50 %), e e (30 %) or e mu (20 %), of opposite charge in 85 % of the
  events; the pair mass near the J/psi (8 %), near the Upsilon(1S) (8 %) or flat in 2-55 GeV;
  both pts drawn in 3-33 GeV (some leptons fall outside the analysis' pt window), the opening
  in phi drawn and the one in eta solved (math.acosh) to give the pair mass; the pair
  straddles the MET direction (so M_T is mostly small);
- lepton identification bits drawn as in make_enriched_nanoaod.py, mini-isolation 0-0.25,
  impact parameters |dxy|, |dz| mostly below 0.01 cm (5 % displaced);
- in 12 % of the events a non-isolated soft lepton (for the additional-lepton veto), in 8 % a
  third isolated soft lepton, in 8 % a hard (30-80 GeV) lepton.

Every float that is changed is rounded to 12 mantissa bits. The layout and types are NanoAOD's
(the same writer rules as make_enriched_nanoaod.py, without the Photon collection): counters `nX`
(uint32), float32 arrays, int32 `cutBased`/`jetId`/`charge`, bool ID flags, uint64 `event`, a
float32 `genWeight` with the real sample's sign mix, `Flag_METFilters`, and a `Runs` tree with
`genEventSumw` (float64). LZMA level 9.

Deterministic: numpy's PCG64 with a fixed seed and IEEE arithmetic on the values, except the
leptons' eta opening (math.cos and math.acosh), rounded to 12 mantissa bits like every changed
float, so a last-bit libm difference could only matter on a rounding boundary. The physics is meaningless; the selection that reads it is the paper's.
"""

import math
import os
import sys
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_enriched_nanoaod as E  # noqa: E402

PI = math.pi
SEED = 16048
EVENTS = 2000
MAXN = 64

# The fields of make_enriched_nanoaod.py, without the Photon collection and the fields no analysis
# here reads (Jet_btagDeepB, *_pfRelIso*_all, Muon_tightId), to keep the file small.
DROP = {"btagDeepB", "pfRelIso03_all", "pfRelIso04_all", "tightId"}
FIELDS = {c: [f for f in E.FIELDS[c] if f[0] not in DROP] for c in ("Jet", "Electron", "Muon")}
MASS = {"Electron": 0.000511, "Muon": 0.10566}


def soft_lepton(rng, flavour, pt, eta, phi, charge):
    lep = {"pt": E.q(pt), "eta": E.q(eta), "phi": E.q(E.wrap(phi)), "mass": MASS[flavour],
           "charge": int(charge)}
    lep = E.lepton_id(rng, lep, flavour)
    lep["miniPFRelIso_all"] = E.q(0.25 * rng.uniform() ** 3)
    if rng.uniform() < 0.95:
        lep["dxy"] = E.q(rng.normal(0, 0.004))
        lep["dz"] = E.q(rng.normal(0, 0.004))
    else:
        lep["dxy"] = E.q(rng.normal(0, 0.05))
        lep["dz"] = E.q(rng.normal(0, 0.05))
    return lep


def pair_mass(rng):
    u = rng.uniform()
    if u < 0.08:
        return 3.097 + 0.03 * rng.normal()
    if u < 0.16:
        return 9.46 + 0.08 * rng.normal()
    return rng.uniform(2, 55)


def make_event(rng, real, with_jets):
    ev = E.copy_event(real[rng.integers(len(real))])
    jets = ev["Jet"]
    if not jets:  # borrow the jets of an event that has some
        jets = [dict(j) for j in with_jets[rng.integers(len(with_jets))]["Jet"]]
    jets = E.by_pt(jets)
    met = 100 + 260 * rng.uniform()
    target = met * rng.uniform(0.55, 1.3)
    central = [j for j in jets if abs(j["eta"]) < 2.4 and j["jetId"] & 2]
    isr = central[0] if central else jets[0]
    for j in jets:
        f = target / j["pt"] if j is isr else rng.uniform(0.8, 1.3)
        j["pt"], j["mass"] = E.q(j["pt"] * f), E.q(j["mass"] * f)
        j["eta"], j["phi"] = E.q(j["eta"]), E.q(j["phi"])
        j["btagCSVV2"] = E.q(min(j["btagCSVV2"], 0.8) * rng.uniform(0.5, 1.0))
    central = [j for j in jets if abs(j["eta"]) < 2.4]
    if central and rng.uniform() < 0.25:
        central[rng.integers(len(central))]["btagCSVV2"] = E.q(rng.uniform(0.85, 1.0))
    ev["Jet"] = E.by_pt(jets)
    if rng.uniform() < 0.85:
        met_phi = isr["phi"] + PI + rng.uniform(-0.6, 0.6)
    else:
        met_phi = rng.uniform(-PI, PI)
    ev["MET_pt"], ev["MET_phi"] = E.q(met), E.q(E.wrap(met_phi))

    leps = {"Electron": [], "Muon": []}
    u = rng.uniform()
    flavours = ("Muon", "Muon") if u < 0.5 else ("Electron", "Electron") if u < 0.8 else \
        (("Electron", "Muon") if rng.uniform() < 0.5 else ("Muon", "Electron"))
    q0 = int(rng.choice([-1, 1]))
    q1 = -q0 if rng.uniform() < 0.85 else q0
    mass = pair_mass(rng)
    while True:  # two pts, then the opening angles that give the pair mass (massless leptons)
        pt1 = 3 + 30 * rng.uniform() ** 1.2
        pt2 = 3 + 30 * rng.uniform() ** 1.2
        x = mass * mass / (2 * pt1 * pt2)  # cosh(deta) - cos(dphi)
        dphi = rng.uniform(-1, 1) * min(1.3, 0.3 + mass / 15)
        c = x + math.cos(dphi)
        if c < 1:
            continue
        deta = math.acosh(c)
        if deta > 2.5:
            continue
        eta1 = rng.uniform(-2.5, 2.5)
        eta2 = eta1 + (deta if rng.uniform() < 0.5 else -deta)
        if abs(eta2) > 2.6:
            continue
        phi1 = met_phi + rng.normal(0, 0.4) - dphi / 2
        phi2 = phi1 + dphi
        break
    leps[flavours[0]].append(soft_lepton(rng, flavours[0], pt1, eta1, phi1, q0))
    leps[flavours[1]].append(soft_lepton(rng, flavours[1], pt2, eta2, phi2, q1))
    u = rng.uniform()
    if u < 0.28:
        f = "Electron" if rng.uniform() < 0.5 else "Muon"
        if u < 0.12:  # a soft lepton that fails the isolation
            lep = soft_lepton(rng, f, rng.uniform(4, 25), rng.uniform(-2.4, 2.4),
                              rng.uniform(-PI, PI), rng.choice([-1, 1]))
            lep["miniPFRelIso_all"] = E.q(rng.uniform(0.6, 2.0))
        elif u < 0.2:  # a third isolated soft lepton
            lep = soft_lepton(rng, f, rng.uniform(5, 25), rng.uniform(-2.4, 2.4),
                              rng.uniform(-PI, PI), rng.choice([-1, 1]))
        else:  # a hard lepton
            lep = soft_lepton(rng, f, rng.uniform(30, 80), rng.uniform(-2.4, 2.4),
                              rng.uniform(-PI, PI), rng.choice([-1, 1]))
        leps[f].append(lep)
    ev["Electron"] = E.by_pt(leps["Electron"])
    ev["Muon"] = E.by_pt(leps["Muon"])
    return ev


def write(path, events):
    warnings.filterwarnings("ignore")
    import ROOT  # noqa: E402

    ROOT.gROOT.SetBatch(True)
    f = ROOT.TFile(path, "RECREATE", "", 209)  # LZMA level 9
    t = ROOT.TTree("Events", "Events")
    buf = {}
    run = np.zeros(1, np.uint32)
    lumi = np.zeros(1, np.uint32)
    evno = np.zeros(1, np.uint64)
    t.Branch("run", run, "run/i")
    t.Branch("luminosityBlock", lumi, "luminosityBlock/i")
    t.Branch("event", evno, "event/l")
    dtypes = {"F": np.float32, "I": np.int32, "O": np.bool_}
    for c, fields in FIELDS.items():
        n = np.zeros(1, np.uint32)
        buf["n" + c] = n
        t.Branch("n" + c, n, f"n{c}/i")
        for fld, ty in fields:
            b = np.zeros(MAXN, dtypes[ty])
            buf[f"{c}_{fld}"] = b
            t.Branch(f"{c}_{fld}", b, f"{c}_{fld}[n{c}]/{ty}")
    for s, ty in E.SCALARS:
        b = np.zeros(1, dtypes[ty])
        buf[s] = b
        t.Branch(s, b, f"{s}/{ty}")
    sumw = sumw2 = 0.0
    for i, ev in enumerate(events):
        run[0], lumi[0], evno[0] = 1, 1 + i // 100, i + 1
        for c, fields in FIELDS.items():
            objs = ev[c][:MAXN]
            buf["n" + c][0] = len(objs)
            for fld, _ in fields:
                for k, o in enumerate(objs):
                    buf[f"{c}_{fld}"][k] = o[fld]
        for s, _ in E.SCALARS:
            buf[s][0] = ev[s]
        w = float(np.float32(ev["genWeight"]))
        sumw += w
        sumw2 += w * w
        t.Fill()
    t.Write()
    r = ROOT.TTree("Runs", "Runs")
    rrun = np.ones(1, np.uint32)
    cnt = np.array([len(events)], np.int64)
    sw = np.array([sumw], np.float64)
    sw2 = np.array([sumw2], np.float64)
    r.Branch("run", rrun, "run/i")
    r.Branch("genEventCount", cnt, "genEventCount/L")
    r.Branch("genEventSumw", sw, "genEventSumw/D")
    r.Branch("genEventSumw2", sw2, "genEventSumw2/D")
    r.Fill()
    r.Write()
    f.Close()


def main():
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} OUT.root")
    out = sys.argv[1]
    real = E.load_real()
    with_jets = [ev for ev in real if ev["Jet"]]
    rng = np.random.default_rng(SEED)
    events = []
    for _ in range(EVENTS):
        ev = make_event(rng, real, with_jets)
        # genWeight: the real sample's sign, a magnitude varied by +-20 %
        ev["genWeight"] = E.q(ev["genWeight"] * rng.uniform(0.8, 1.2))
        ev["Flag_METFilters"] = bool(rng.uniform() < 0.98)
        events.append(ev)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    write(out, events)
    print(f"{out}: {len(events)} events, {os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Enriched NanoAOD-layout inputs for the examples rewritten from public analyses
(examples/sus19006_multijet.ana, examples/monophoton.ana, examples/trilepton.ana,
examples/higgs4l.ana, examples/ttbar_allhad.ana), made from the 200 real CMS events of
`nanoAOD_2015_CMS_Open_Data_ttbar.root`.

Usage (from the repository root):

    python3 tests/scripts/make_enriched_nanoaod.py multijet   examples/data/multijet_enriched.root
    python3 tests/scripts/make_enriched_nanoaod.py monophoton examples/data/monophoton_enriched.root
    python3 tests/scripts/make_enriched_nanoaod.py trilepton  examples/data/trilepton_enriched.root
    python3 tests/scripts/make_enriched_nanoaod.py fourlepton examples/data/fourlepton_enriched.root
    python3 tests/scripts/make_enriched_nanoaod.py allhadronic examples/data/allhadronic_enriched.root

Why: few of the 200 real ttbar events pass a multijet + MHT, a mono-photon, a three-lepton, a
four-lepton or an all-jets t tbar selection, so the example histograms would be (nearly) empty.
Each event written here starts from one (or, for the multijet and allhadronic kinds, up to three)
real events drawn with replacement, and its objects are modified so that the selections are
populated with a mix of passing and failing events:

- multijet: the jets of 1-4 real events (each rotated in phi), those within 90 degrees of a random
  direction scaled by 2.5-6 (an imbalance, hence MHT), the others by 0.8-1.5; 0-3 central jets
  b-tagged (CSVv2 0.85-1); the leptons of the first event kept in half of the events; 10 % of the
  events get a hard photon (the photon veto).
- monophoton: a hard photon (pt 100-700 GeV, |eta| < 2.6) copied from a real photon with its
  identification flags mostly set to "tight", MET roughly balancing it; at most three of the real
  hard jets; objects that an overlap removal must take out: a jet on the photon (50 %), an
  electron on the photon (25 %), a muon inside a jet (15 %), an electron 0.25-0.38 from a jet
  (15 %).
- trilepton: two leptons of one flavour, opposite charges in 80 % of the events (then 60 % of the
  pairs near the Z mass), zero to two more leptons of either flavour (one in 70 % of the events),
  the real event's jets, its MET scaled by 0.5-3.
- fourlepton: the real event's jets and MET; in 80 % of the events a parent X (pt below 80 GeV)
  decays to two lepton pairs (4mu 30 %, 4e 30 %, 2e2mu 40 %): H-like (m_X = 125 GeV, one Z off
  shell) in 40 % of them, ZZ-like (both near the Z mass) in 45 %, low-mass pairs in 15 %; the
  second pair of the same sign in 12 %; otherwise one Z. One more lepton in 30 % (60 % with one
  Z). Every lepton also gets `sip3d` (|N(0, 2)|), a branch only this kind writes.
- allhadronic: in 75 % of the events a generated t tbar -> b q q' b q q' decay (tops with pt
  60-460 GeV, back to back in phi within 0.6; two-body decays isotropic in the rest frames), each
  quark a jet with its pt smeared by 12 %, b jets CSVv2-tagged in 80 %, light jets in 4 %, plus
  half of the real event's jets as radiation; otherwise the jets of two or three real events
  (rotated in phi, 0-3 of them b-tagged). The real jets' pts scaled by 0.6-1.6; the jet pts of
  an event made distinct; the real leptons kept in 20 % of the events.

Muon identification bits are all false in the real file and its mini-isolation values are not
physical, so every muon and electron written here gets drawn identification bits and isolation
values. Every float that is changed is rounded to 12 mantissa bits (NanoAOD stores reduced-precision
floats too). The physics is meaningless; the layout and types are NanoAOD's: counters `nX`
(uint32), float32 arrays, int32 `cutBased`/`jetId`/`charge`, bool ID flags, uint64 `event`, a
float32 `genWeight` with the real sample's sign mix, and a `Runs` tree with `genEventSumw`
(float64) for `sumw` normalisation. LZMA level 9, as CMS writes NanoAOD.

Deterministic: numpy's PCG64 with a fixed seed per kind and IEEE arithmetic (+ - * / sqrt) on the
values, so they are the same on every machine. The exceptions are the second lepton's pt of a
trilepton pair, solved from the pair mass with math.cosh and math.cos, and the decays of the
fourlepton and allhadronic kinds (math.cos, sin, sqrt, asinh, atan2); their results are rounded to
12 mantissa bits like every changed float, so a last-bit difference of a libm could only matter on
a rounding boundary. The ROOT file itself differs between runs (UUID, timestamps); the golden
results depend only on the values (tests/examples_run.rs re-makes the files and compares the
results).
"""

import math
import os
import sys
import warnings

import awkward as ak
import numpy as np
import uproot

HERE = os.path.dirname(os.path.abspath(__file__))
REAL = os.path.join(HERE, "..", "..", "..", "shared", "data", "nanoAOD_2015_CMS_Open_Data_ttbar.root")

PI = math.pi
SEEDS = {"multijet": 19006, "monophoton": 1704038, "trilepton": 3, "fourlepton": 13002, "allhadronic": 14018}
EVENTS = {"multijet": 1500, "monophoton": 1500, "trilepton": 1200, "fourlepton": 1500, "allhadronic": 2500}

# (collection, field, ROOT leaf type). Counters are `n<collection>/i`.
FIELDS = {
    "Jet": [("pt", "F"), ("eta", "F"), ("phi", "F"), ("mass", "F"), ("btagCSVV2", "F"), ("btagDeepB", "F"),
            ("jetId", "I")],
    "Electron": [("pt", "F"), ("eta", "F"), ("phi", "F"), ("mass", "F"), ("charge", "I"),
                 ("cutBased", "I"), ("miniPFRelIso_all", "F"), ("pfRelIso03_all", "F"),
                 ("dxy", "F"), ("dz", "F")],
    "Muon": [("pt", "F"), ("eta", "F"), ("phi", "F"), ("mass", "F"), ("charge", "I"),
             ("looseId", "O"), ("mediumId", "O"), ("tightId", "O"), ("miniPFRelIso_all", "F"),
             ("pfRelIso04_all", "F"), ("dxy", "F"), ("dz", "F")],
    "Photon": [("pt", "F"), ("eta", "F"), ("phi", "F"), ("mass", "F"), ("cutBased", "I"),
               ("electronVeto", "O"), ("pixelSeed", "O"), ("pfRelIso03_all", "F")],
}
# Fields only the newer kinds write (the older kinds' files keep their exact layout).
EXTRA_FIELDS = {
    "fourlepton": {"Electron": [("sip3d", "F")], "Muon": [("sip3d", "F")]},
}


def fields(kind):
    """FIELDS with the kind's extra fields appended."""
    extra = EXTRA_FIELDS.get(kind, {})
    return {c: f + extra.get(c, []) for c, f in FIELDS.items()}


SCALARS = [("MET_pt", "F"), ("MET_phi", "F"), ("MET_sumEt", "F"), ("genWeight", "F"),
           ("Flag_METFilters", "O")]
MAXN = 64


def q(x):
    """Round a float to float32 with 12 explicit mantissa bits (round half to even on the bits)."""
    a = np.array([x], dtype=np.float32).view(np.uint32)
    drop = 23 - 12
    half = np.uint32(1 << (drop - 1))
    lsb = (a >> np.uint32(drop)) & np.uint32(1)
    a = (a + half - np.uint32(1) + lsb) & ~np.uint32((1 << drop) - 1)
    return float(a.view(np.float32)[0])


def wrap(phi):
    """phi into [-pi, pi) by adding or subtracting 2 pi (arithmetic only)."""
    while phi >= PI:
        phi -= 2 * PI
    while phi < -PI:
        phi += 2 * PI
    return phi


def load_real():
    t = uproot.open(REAL)["Events"]
    names = ["genWeight", "MET_pt", "MET_phi", "MET_sumEt"]
    every = {c: list(f) for c, f in FIELDS.items()}
    for extra in EXTRA_FIELDS.values():
        for c, f in extra.items():
            every[c] += [x for x in f if x not in every[c]]
    for c, flds in every.items():
        names += [f"{c}_{f}" for f, _ in flds]
    arr = t.arrays(names)
    events = []
    for i in range(len(arr)):
        ev = {}
        ev["genWeight"] = float(arr["genWeight"][i])
        ev["MET_pt"] = float(arr["MET_pt"][i])
        ev["MET_phi"] = float(arr["MET_phi"][i])
        ev["MET_sumEt"] = float(arr["MET_sumEt"][i])
        for c, flds in every.items():
            cols = {f: arr[f"{c}_{f}"][i].tolist() for f, _ in flds}
            n = len(cols["pt"])
            ev[c] = [{f: cols[f][k] for f, _ in flds} for k in range(n)]
        events.append(ev)
    return events


def lepton_id(rng, lep, flavour):
    """Drawn identification bits and isolation (the real muon bits are all false)."""
    iso = q(0.6 * rng.uniform() ** 3)
    if flavour == "Muon":
        lep["looseId"] = bool(rng.uniform() < 0.97)
        lep["mediumId"] = bool(lep["looseId"] and rng.uniform() < 0.92)
        lep["tightId"] = bool(lep["mediumId"] and rng.uniform() < 0.9)
        lep["miniPFRelIso_all"] = iso
        lep["pfRelIso04_all"] = q(iso * rng.uniform(0.8, 1.3))
    else:
        lep["cutBased"] = int(rng.choice([0, 1, 2, 3, 4], p=[0.05, 0.1, 0.15, 0.2, 0.5]))
        lep["miniPFRelIso_all"] = iso
        lep["pfRelIso03_all"] = q(iso * rng.uniform(0.8, 1.3))
    lep["dxy"] = q(rng.normal(0, 0.01))
    lep["dz"] = q(rng.normal(0, 0.02))
    return lep


def by_pt(objs):
    return sorted(objs, key=lambda o: -o["pt"])


def new_lepton(rng, flavour, pt, eta, phi, charge, good=0.0):
    """A new lepton; with probability `good` it is identified and isolated (tight ID bits,
    cutBased 4, mini-isolation below 0.05)."""
    lep = {"pt": q(pt), "eta": q(eta), "phi": q(wrap(phi)),
           "mass": 0.000511 if flavour == "Electron" else 0.10566, "charge": int(charge)}
    lep = lepton_id(rng, lep, flavour)
    if rng.uniform() < good:
        if flavour == "Muon":
            lep["looseId"] = lep["mediumId"] = lep["tightId"] = True
        else:
            lep["cutBased"] = 4
        lep["miniPFRelIso_all"] = q(0.05 * rng.uniform())
    return lep


def copy_event(ev):
    out = {k: v for k, v in ev.items() if not isinstance(v, list)}
    for c in FIELDS:
        out[c] = [dict(o) for o in ev[c]]
    return out


def make_multijet(rng, real):
    src = [real[rng.integers(len(real))] for _ in range(rng.choice([1, 2, 3, 4], p=[0.3, 0.3, 0.25, 0.15]))]
    ev = copy_event(src[0])
    jets = []
    for k, s in enumerate(src):
        rot = 0.0 if k == 0 else rng.uniform(-PI, PI)
        for j in s["Jet"]:
            j = dict(j)
            j["phi"] = wrap(j["phi"] + rot)
            jets.append(j)
    phi0 = rng.uniform(-PI, PI)
    hi, lo = rng.uniform(2.5, 6.0), rng.uniform(0.8, 1.5)
    for j in jets:
        f = hi if abs(wrap(j["phi"] - phi0)) < PI / 2 else lo
        j["pt"], j["mass"], j["phi"] = q(j["pt"] * f), q(j["mass"] * f), q(j["phi"])
    nb = int(rng.choice([0, 1, 2, 3], p=[0.4, 0.3, 0.2, 0.1]))
    central = [j for j in jets if abs(j["eta"]) < 2.4]
    for k in (rng.choice(len(central), size=min(nb, len(central)), replace=False) if central else []):
        central[k]["btagCSVV2"] = q(rng.uniform(0.85, 1.0))
    ev["Jet"] = by_pt(jets)
    if rng.uniform() < 0.5:
        ev["Electron"], ev["Muon"] = [], []
    ev["Electron"] = [lepton_id(rng, e, "Electron") for e in ev["Electron"]]
    ev["Muon"] = [lepton_id(rng, m, "Muon") for m in ev["Muon"]]
    if ev["Photon"] and rng.uniform() < 0.1:
        g = ev["Photon"][0]
        g["pt"] = q(g["pt"] * rng.uniform(3, 8))
        ev["Photon"] = by_pt(ev["Photon"])
    ev["MET_pt"] = q(ev["MET_pt"] * hi)
    return ev


def make_monophoton(rng, real, photons):
    ev = copy_event(real[rng.integers(len(real))])
    soft = [j for j in ev["Jet"] if j["pt"] < 30]
    hard = [j for j in ev["Jet"] if j["pt"] >= 30]
    m = min(len(hard), int(rng.choice([0, 1, 2, 3], p=[0.45, 0.3, 0.15, 0.1])))
    keep = [hard[k] for k in sorted(rng.choice(len(hard), size=m, replace=False))] if m else []
    for j in keep:
        f = rng.uniform(0.8, 1.5)
        j["pt"], j["mass"] = q(j["pt"] * f), q(j["mass"] * f)
    jets = keep + soft
    ev["Electron"] = [lepton_id(rng, e, "Electron") for e in ev["Electron"] if rng.uniform() < 0.3]
    ev["Muon"] = [lepton_id(rng, mu, "Muon") for mu in ev["Muon"] if rng.uniform() < 0.3]
    met_phi = rng.uniform(-PI, PI)
    met_pt = ev["MET_pt"]
    if rng.uniform() < 0.85:
        g = dict(photons[rng.integers(len(photons))])
        gpt = 100 + 600 * rng.uniform() ** 2
        g["pt"], g["eta"], g["phi"] = q(gpt), q(rng.uniform(-2.6, 2.6)), q(rng.uniform(-PI, PI))
        if rng.uniform() < 0.8:
            g["cutBased"] = 3
        g["electronVeto"] = bool(rng.uniform() < 0.9)
        g["pixelSeed"] = bool(rng.uniform() < 0.1)
        g["pfRelIso03_all"] = q(0.1 * rng.uniform() ** 2)
        ev["Photon"] = ev["Photon"] + [g]
        if rng.uniform() < 0.5:  # the photon is also clustered as a jet
            jets.append({"pt": q(gpt * rng.uniform(0.95, 1.1)), "eta": q(g["eta"] + rng.uniform(-0.05, 0.05)),
                         "phi": q(wrap(g["phi"] + rng.uniform(-0.05, 0.05))), "mass": q(rng.uniform(0, 10)),
                         "btagCSVV2": q(rng.uniform(0, 0.3)), "btagDeepB": -1.0, "jetId": 6})
        if rng.uniform() < 0.25:  # ... and reconstructed as an electron
            ev["Electron"].append(new_lepton(rng, "Electron", gpt * rng.uniform(0.9, 1.0),
                                             g["eta"] + rng.uniform(-0.02, 0.02),
                                             g["phi"] + rng.uniform(-0.02, 0.02), rng.choice([-1, 1])))
        met_pt = gpt * rng.uniform(0.4, 1.3)
        met_phi = g["phi"] + PI + rng.uniform(-0.6, 0.6) if rng.uniform() < 0.9 else rng.uniform(-PI, PI)
    hard_jets = [j for j in jets if j["pt"] >= 30]
    if hard_jets and rng.uniform() < 0.15:  # a non-isolated muon inside a jet
        j = hard_jets[rng.integers(len(hard_jets))]
        ev["Muon"].append(new_lepton(rng, "Muon", rng.uniform(8, 25), j["eta"] + rng.uniform(-0.2, 0.2),
                                     j["phi"] + rng.uniform(-0.2, 0.2), rng.choice([-1, 1])))
    if hard_jets and rng.uniform() < 0.15:  # an electron 0.25-0.38 from a jet
        j = hard_jets[rng.integers(len(hard_jets))]
        d, a = rng.uniform(0.25, 0.38), rng.uniform(-PI, PI)
        # a direction without trigonometry: (d cos a, d sin a) from a point on the square, rescaled
        x, y = a / PI, 1.0 - 2.0 * abs(a / PI)
        n = math.sqrt(x * x + y * y)
        ev["Electron"].append(new_lepton(rng, "Electron", rng.uniform(10, 40), j["eta"] + d * x / n,
                                         j["phi"] + d * y / n, rng.choice([-1, 1])))
    ev["Jet"] = by_pt(jets)
    ev["Photon"] = by_pt(ev["Photon"])
    ev["Electron"] = by_pt(ev["Electron"])
    ev["Muon"] = by_pt(ev["Muon"])
    ev["MET_pt"], ev["MET_phi"] = q(met_pt), q(wrap(met_phi))
    ev["MET_sumEt"] = q(ev["MET_sumEt"] * rng.uniform(0.8, 1.2))
    return ev


def make_trilepton(rng, real):
    ev = copy_event(real[rng.integers(len(real))])
    leps = {"Electron": [], "Muon": []}
    z_flav = "Electron" if rng.uniform() < 0.5 else "Muon"
    if rng.uniform() < 0.8:  # an opposite-charge pair, near the Z in 60 % of the events
        q0 = int(rng.choice([-1, 1]))
        mass = 91.19 + 2.5 * rng.normal() if rng.uniform() < 0.6 else rng.uniform(5, 200)
        while True:  # the second lepton's pt from the pair mass (massless leptons)
            pt1 = 20 + 100 * rng.uniform() ** 2
            eta1 = rng.uniform(-2.4, 2.4)
            eta2 = min(2.4, max(-2.4, eta1 + rng.uniform(-1.5, 1.5)))
            phi1 = rng.uniform(-PI, PI)
            phi2 = phi1 + rng.uniform(-PI, PI)
            pt2 = mass * mass / (2 * pt1 * (math.cosh(eta1 - eta2) - math.cos(phi1 - phi2)))
            if 10 < pt2 < 150:
                break
        leps[z_flav] += [new_lepton(rng, z_flav, pt1, eta1, phi1, q0, 0.9),
                         new_lepton(rng, z_flav, pt2, eta2, phi2, -q0, 0.9)]
    else:  # a same-charge pair
        q0 = int(rng.choice([-1, 1]))
        for _ in range(2):
            leps[z_flav].append(new_lepton(rng, z_flav, 10 + 80 * rng.uniform() ** 2,
                                           rng.uniform(-2.5, 2.5), rng.uniform(-PI, PI), q0, 0.9))
    for _ in range(int(rng.choice([0, 1, 2], p=[0.15, 0.7, 0.15]))):
        f = "Electron" if rng.uniform() < 0.5 else "Muon"
        leps[f].append(new_lepton(rng, f, 10 + 80 * rng.uniform() ** 2, rng.uniform(-2.6, 2.6),
                                  rng.uniform(-PI, PI), rng.choice([-1, 1]), 0.85))
    ev["Electron"] = by_pt(leps["Electron"])
    ev["Muon"] = by_pt(leps["Muon"])
    ev["MET_pt"] = q(ev["MET_pt"] * rng.uniform(0.5, 3.0))
    return ev


MTOP, MW = 172.5, 80.4


def boost(p, b):
    """The four-vector p = (px, py, pz, E) boosted by the velocity b = (bx, by, bz)."""
    b2 = b[0] * b[0] + b[1] * b[1] + b[2] * b[2]
    g = 1.0 / math.sqrt(1.0 - b2)
    bp = b[0] * p[0] + b[1] * p[1] + b[2] * p[2]
    k = (g - 1.0) * bp / b2 + g * p[3] if b2 > 0 else 0.0
    return (p[0] + k * b[0], p[1] + k * b[1], p[2] + k * b[2], g * (p[3] + bp))


def decay(rng, parent, m1, m2):
    """Two-body decay of the four-vector `parent` into masses m1, m2, isotropic in its rest frame."""
    px, py, pz, e = parent
    m = math.sqrt(max(e * e - px * px - py * py - pz * pz, 0.0))
    p = math.sqrt(max((m * m - (m1 + m2) ** 2) * (m * m - (m1 - m2) ** 2), 0.0)) / (2 * m)
    c = rng.uniform(-1, 1)
    s = math.sqrt(1 - c * c)
    f = rng.uniform(-PI, PI)
    d = (s * math.cos(f), s * math.sin(f), c)
    a = (p * d[0], p * d[1], p * d[2], math.sqrt(p * p + m1 * m1))
    b = (-p * d[0], -p * d[1], -p * d[2], math.sqrt(p * p + m2 * m2))
    beta = (px / e, py / e, pz / e)
    return boost(a, beta), boost(b, beta)


def four_lepton(rng, flavour, v, charge):
    """A lepton of the four-lepton kind from its four-vector: tight and isolated in 85 % of the
    cases, a 3-D impact parameter significance |N(0, 2)| (below 4 in 95 %)."""
    pt = math.sqrt(v[0] * v[0] + v[1] * v[1])
    lep = new_lepton(rng, flavour, pt, math.asinh(v[2] / pt), math.atan2(v[1], v[0]), charge, 0.85)
    lep["sip3d"] = q(abs(rng.normal(0, 2.0)))
    return lep


def make_fourlepton(rng, real):
    ev = copy_event(real[rng.integers(len(real))])
    leps = {"Electron": [], "Muon": []}
    mass = {"Electron": 0.000511, "Muon": 0.10566}
    pt, eta, phi = 80 * rng.uniform() ** 2, rng.normal(0, 1.5), rng.uniform(-PI, PI)
    r = rng.uniform()
    if r < 0.8:  # two pairs: X -> Z1 Z2 -> 4 leptons
        channel = rng.choice(3, p=[0.3, 0.3, 0.4])
        flav = [("Muon", "Muon"), ("Electron", "Electron"), ("Electron", "Muon")][channel]
        if channel == 2 and rng.uniform() < 0.5:
            flav = ("Muon", "Electron")
        u = rng.uniform()
        m1 = 91.19 + 2.5 * rng.normal()
        if u < 0.4:  # H-like: 125 GeV, the second Z off shell
            m_x = 125 + rng.normal()
            m1 = min(m1, m_x - 14)
            m2 = rng.uniform(8, m_x - m1 - 1)
        elif u < 0.85:  # ZZ-like: both on shell
            m2 = 91.19 + 2.5 * rng.normal()
            m_x = m1 + m2 + 5 + 220 * rng.uniform() ** 2
        else:  # a Z and a low-mass pair, or two low-mass pairs
            m1 = m1 if rng.uniform() < 0.5 else rng.uniform(20, 60)
            m2 = rng.uniform(2, 60)
            m_x = m1 + m2 + rng.uniform(2, 150)
        p = pt * math.cosh(eta)
        x = (pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta), math.sqrt(p * p + m_x * m_x))
        z1, z2 = decay(rng, x, m1, m2)
        same_sign = rng.uniform() < 0.12  # the second pair: same sign (a control region)
        pairs = [(flav[0], z1, False), (flav[1], z2, same_sign)]
    else:  # one Z (and maybe an extra lepton below)
        m = 91.19 + 2.5 * rng.normal()
        p = pt * math.cosh(eta)
        z = (pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta), math.sqrt(p * p + m * m))
        pairs = [("Electron" if rng.uniform() < 0.5 else "Muon", z, False)]
    for f, z, ss in pairs:
        a, b = decay(rng, z, mass[f], mass[f])
        q0 = int(rng.choice([-1, 1]))
        leps[f] += [four_lepton(rng, f, a, q0), four_lepton(rng, f, b, q0 if ss else -q0)]
    if rng.uniform() < (0.3 if r < 0.8 else 0.6):  # an extra lepton
        f = "Electron" if rng.uniform() < 0.5 else "Muon"
        leps[f].append(new_lepton(rng, f, 4 + 40 * rng.uniform() ** 2, rng.uniform(-2.6, 2.6),
                                  rng.uniform(-PI, PI), rng.choice([-1, 1]), 0.85))
        leps[f][-1]["sip3d"] = q(abs(rng.normal(0, 2.0)))
    ev["Electron"] = by_pt(leps["Electron"])
    ev["Muon"] = by_pt(leps["Muon"])
    return ev


def jet_from(rng, v, csv):
    """A jet from a parton four-vector: pt smeared by 12 %, eta and phi by 0.02, a jet mass."""
    pt = math.sqrt(v[0] * v[0] + v[1] * v[1])
    eta = math.asinh(v[2] / pt)
    phi = math.atan2(v[1], v[0])
    return {"pt": q(pt * max(0.3, 1 + 0.12 * rng.normal())), "eta": q(eta + 0.02 * rng.normal()),
            "phi": q(wrap(phi + 0.02 * rng.normal())), "mass": q(rng.uniform(4, 16)), "btagCSVV2": q(csv),
            "btagDeepB": -1.0, "jetId": 6 if rng.uniform() < 0.97 else 0}


def make_allhadronic(rng, real):
    ev = copy_event(real[rng.integers(len(real))])
    jets = []
    if rng.uniform() < 0.75:  # t tbar -> b q q' b q q'
        phi0 = rng.uniform(-PI, PI)
        for k in range(2):
            pt = 60 + 400 * rng.uniform()
            eta = rng.normal(0, 0.8)
            phi = phi0 + (0.0 if k == 0 else PI + rng.uniform(-0.6, 0.6))
            m = MTOP + 1.5 * rng.normal()
            p = pt * math.cosh(eta)
            top = (pt * math.cos(phi), pt * math.sin(phi), pt * math.sinh(eta), math.sqrt(p * p + m * m))
            w, b = decay(rng, top, min(MW + 2.1 * rng.normal(), m - 6), 4.8)
            q1, q2 = decay(rng, w, 0.0, 0.0)
            jets.append(jet_from(rng, b, rng.uniform(0.85, 1.0) if rng.uniform() < 0.8 else rng.uniform(0, 0.85)))
            for v in (q1, q2):
                jets.append(jet_from(rng, v, rng.uniform(0.85, 1.0) if rng.uniform() < 0.04 else rng.uniform(0, 0.7)))
        extra = [dict(j) for j in ev["Jet"] if rng.uniform() < 0.5]  # radiation: some real jets
    else:  # multijet background: the jets of two or three real events, rotated in phi
        extra = []
        for k in range(int(rng.choice([2, 3]))):
            rot = 0.0 if k == 0 else rng.uniform(-PI, PI)
            s = ev if k == 0 else real[rng.integers(len(real))]
            for j in s["Jet"]:
                j = dict(j)
                j["phi"] = wrap(j["phi"] + rot)
                extra.append(j)
        central = [j for j in extra if abs(j["eta"]) < 2.4]
        nb = int(rng.choice([0, 1, 2, 3], p=[0.3, 0.3, 0.3, 0.1]))
        for k in (rng.choice(len(central), size=min(nb, len(central)), replace=False) if central else []):
            central[k]["btagCSVV2"] = rng.uniform(0.85, 1.0)
    for j in extra:
        f = rng.uniform(0.6, 1.6)
        j["pt"], j["mass"], j["phi"], j["btagCSVV2"] = q(j["pt"] * f), q(j["mass"] * f), q(j["phi"]), q(j["btagCSVV2"])
    ev["Jet"] = by_pt(jets + extra)
    for k in range(1, len(ev["Jet"])):  # distinct pts (the 12-bit rounding can make two equal)
        while ev["Jet"][k]["pt"] >= ev["Jet"][k - 1]["pt"]:
            ev["Jet"][k]["pt"] = q(ev["Jet"][k]["pt"] * (1 - 2.0 ** -11))
    keep = rng.uniform() < 0.2  # the real leptons in 20 % of the events (a lepton veto)
    ev["Electron"] = [lepton_id(rng, e, "Electron") for e in ev["Electron"]] if keep else []
    ev["Muon"] = [lepton_id(rng, m, "Muon") for m in ev["Muon"]] if keep else []
    return ev


def write(path, events, kind):
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
    layout = fields(kind)
    for c, flds in layout.items():
        n = np.zeros(1, np.uint32)
        buf["n" + c] = n
        t.Branch("n" + c, n, f"n{c}/i")
        for fld, ty in flds:
            b = np.zeros(MAXN, dtypes[ty])
            buf[f"{c}_{fld}"] = b
            t.Branch(f"{c}_{fld}", b, f"{c}_{fld}[n{c}]/{ty}")
    for s, ty in SCALARS:
        b = np.zeros(1, dtypes[ty])
        buf[s] = b
        t.Branch(s, b, f"{s}/{ty}")
    sumw = sumw2 = 0.0
    for i, ev in enumerate(events):
        run[0], lumi[0], evno[0] = 1, 1 + i // 100, i + 1
        for c, flds in layout.items():
            objs = ev[c][:MAXN]
            buf["n" + c][0] = len(objs)
            for fld, _ in flds:
                for k, o in enumerate(objs):
                    buf[f"{c}_{fld}"][k] = o[fld]
        for s, _ in SCALARS:
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
    if len(sys.argv) != 3 or sys.argv[1] not in SEEDS:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(SEEDS)}}} OUT.root")
    kind, out = sys.argv[1], sys.argv[2]
    real = load_real()
    rng = np.random.default_rng(SEEDS[kind])
    photons = [g for ev in real for g in ev["Photon"]]
    events = []
    for _ in range(EVENTS[kind]):
        if kind == "multijet":
            ev = make_multijet(rng, real)
        elif kind == "monophoton":
            ev = make_monophoton(rng, real, photons)
        elif kind == "trilepton":
            ev = make_trilepton(rng, real)
        elif kind == "fourlepton":
            ev = make_fourlepton(rng, real)
        else:
            ev = make_allhadronic(rng, real)
        # genWeight: the real sample's sign, a magnitude varied by +-20 %
        ev["genWeight"] = q(ev["genWeight"] * rng.uniform(0.8, 1.2))
        ev["Flag_METFilters"] = bool(rng.uniform() < 0.98)
        events.append(ev)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    write(out, events, kind)
    print(f"{out}: {len(events)} events, {os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()

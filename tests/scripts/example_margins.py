#!/usr/bin/env python3
"""How far the computed values of examples/higgs4l.ana and examples/ttbar_allhad.ana sit from the
cuts, bin edges and choices they meet, on their committed inputs (nominal and every kinematic
variation). The goldens are compared with anac at 1e-9 relative; a last-bit difference between
numpy/libm and Rust in cos, sinh, sqrt, ... could only matter for a value within rounding of a cut
or an edge, or for two candidates with (nearly) equal keys.

Usage (from the repository root):  python3 tests/scripts/example_margins.py

Conservative: every pair of leptons (selected or not, any flavour and charge) and every
four-lepton grouping; every assignment of the six leading jets, not only the best. Prints the
smallest relative distance per kind of value.
"""

import itertools
import os
import sys

import awkward as ak
import numpy as np
import uproot

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "golden", "examples"))
import higgs4l_golden as H  # noqa: E402
import ttbar_allhad_golden as T  # noqa: E402

def to_grid(x, lo, step, n):
    """Distance of x to the nearest of the edges lo + k step (k = 0..n), relative to max(1, |x|)."""
    k = min(max(round((x - lo) / step), 0), n)
    return abs(x - (lo + k * step)) / max(1.0, abs(x))


class Worst:
    """The smallest value seen per kind."""

    def __init__(self, name):
        self.name, self.d = name, {}

    def __call__(self, kind, v):
        self.d[kind] = min(self.d.get(kind, float("inf")), v)

    def show(self):
        for kind, v in self.d.items():
            print(f"{self.name}: {kind}: {v:.2e}")


def f64(x):
    return ak.values_astype(x, np.float64)


def higgs4l():
    a = uproot.open(os.path.join(REPO, "examples/data/fourlepton_enriched.root"))["Events"].arrays()
    worst = Worst("higgs4l")
    for mu_scale, e_scale in [(1, 1), (1.01, 1), (0.99, 1), (1, 1.02), (1, 0.98)]:
        vectors = []
        for c, scale in [("Electron", e_scale), ("Muon", mu_scale)]:
            rows = ak.to_list(ak.zip({"pt": f64(a[c + "_pt"]) * scale, "eta": f64(a[c + "_eta"]),
                                      "phi": f64(a[c + "_phi"]), "m": f64(a[c + "_mass"])}))
            vectors.append([[H.p4(r["pt"], r["eta"], r["phi"], r["m"]) for r in ev] for ev in rows])
        for i in range(len(a)):
            leps = vectors[0][i] + vectors[1][i]
            masses = []
            for x, y in itertools.combinations(range(len(leps)), 2):
                m = H.mass(H.add(leps[x], leps[y]))
                masses.append(m)
                for cut in (4, 12, 40, 120):
                    worst("pair mass vs 4, 12, 40, 120", abs(m - cut) / cut)
                worst("pair mass vs m_z1 edges", min(to_grid(m, 40, 2.5, 32), to_grid(m, 40, 10, 8)))
                worst("pair mass vs m_z2 edges", min(to_grid(m, 12, 4, 27), to_grid(m, 12, 12, 9)))
            d = sorted(abs(m - H.MZ) for m in masses)
            for u, v in zip(d, d[1:]):
                worst("|m - mZ| gaps between pairs", abs(u - v) / max(1, u))
            for q in itertools.combinations(range(len(leps)), 4):
                for p1, p2 in [((q[0], q[1]), (q[2], q[3])), ((q[0], q[2]), (q[1], q[3])),
                               ((q[0], q[3]), (q[1], q[2]))]:
                    m4 = H.mass(H.add(H.add(leps[p1[0]], leps[p1[1]]), H.add(leps[p2[0]], leps[p2[1]])))
                    worst("m4l vs 70, 118, 130 and edges", min(to_grid(m4, 70, 10, 23), abs(m4 - 118) / 118))
    worst.show()


def ttbar_allhad():
    a = uproot.open(os.path.join(REPO, "examples/data/allhadronic_enriched.root"))["Events"].arrays()
    worst = Worst("ttbar_allhad")
    for jes in (1, 1.03, 0.97):
        pt = f64(a.Jet_pt) * jes
        sel = (pt > 30) & (abs(f64(a.Jet_eta)) < 2.4) & ((a.Jet_jetId & 2) != 0)
        rows = ak.to_list(ak.zip({"pt": pt[sel], "eta": f64(a.Jet_eta)[sel], "phi": f64(a.Jet_phi)[sel],
                                  "m": f64(a.Jet_mass)[sel], "b": a.Jet_btagCSVV2[sel]}))
        for ev in rows:
            if len(ev) < 6:
                continue
            six = ev[:6]
            vec = [T.p4(j["pt"], j["eta"], j["phi"], j["m"]) for j in six]
            tagged = [k for k in range(6) if six[k]["b"] > T.BTAG]
            chi2s = []
            for b1, b2 in itertools.combinations(tagged, 2):
                worst("dR(b, b') vs 2 and edges", to_grid(T.delta_r(vec[b1], vec[b2]), 0, 0.2, 25))
                others = [k for k in range(6) if k not in (b1, b2)]
                for q1, q2 in itertools.combinations(others, 2):
                    r1, r2 = [k for k in others if k not in (q1, q2)]
                    wa, wb = T.add(vec[q1], vec[q2]), T.add(vec[r1], vec[r2])
                    ta, tb = T.add(vec[b1], wa), T.add(vec[b2], wb)
                    c = T.chi2(T.mass(wa), T.mass(wb), T.mass(ta), T.mass(tb))
                    chi2s.append(c)
                    worst("chi2 vs 10, 20 and edges", to_grid(c, 0, 2, 25))
                    worst("m_W vs edges", min(to_grid(T.mass(wa), 30, 5, 20), to_grid(T.mass(wb), 30, 5, 20)))
                    worst("m_top1 vs edges", to_grid(T.mass(ta), 100, 10, 20))
                    worst("mean m_top vs edges", to_grid((T.mass(ta) + T.mass(tb)) / 2, 100, 10, 20))
            chi2s.sort()
            if len(chi2s) > 1:
                worst("chi2 gap between the best and the second assignment", (chi2s[1] - chi2s[0]) / max(1, chi2s[0]))
    worst.show()


if __name__ == "__main__":
    higgs4l()
    ttbar_allhad()

"""Golden values for anac's MT2 (`mt2(a, b, met, ...)`): PyPI `mt2` 1.3.1 (the Lester–Nachman
bisection), and for the configurations where that implementation is imprecise (everything massless
and MT2 small next to the momenta) an independent brute-force minimisation with scipy.

Usage: python3 make_mt2_golden.py > mt2_golden.json   (pip install mt2==1.3.1 scipy numpy)

Each case is [ma, ax, ay, mb, bx, by, px, py, chia, chib]; `pypi` is mt2's value, `brute` is
present where it is the reference (see `small`). Six kinds of 200 cases: massless or massive
visible systems and invisible particles, momenta ~ N(0, 100) GeV, missing momentum sometimes
~ N(0, 1000).
"""

import json

import numpy as np
from mt2 import mt2
from scipy.optimize import minimize


def brute(r):
    ma, ax, ay, mb, bx, by, px, py, ca, cb = r
    ea = np.sqrt(ma**2 + ax**2 + ay**2)
    eb = np.sqrt(mb**2 + bx**2 + by**2)

    def f(q):
        qx, qy = q
        rx, ry = px - qx, py - qy
        fa = ma**2 + ca**2 + 2 * (ea * np.sqrt(ca**2 + qx**2 + qy**2) - ax * qx - ay * qy)
        fb = mb**2 + cb**2 + 2 * (eb * np.sqrt(cb**2 + rx**2 + ry**2) - bx * rx - by * ry)
        return max(fa, fb)

    rng = np.random.default_rng(0)
    best = np.inf
    for _ in range(12):
        res = minimize(f, rng.normal(0, 200, 2), method="Nelder-Mead",
                       options=dict(xatol=1e-12, fatol=1e-15, maxiter=20000, maxfev=40000))
        best = min(best, res.fun)
    return float(np.sqrt(max(best, 0.0)))


def main():
    rng = np.random.default_rng(20261202)
    cases = []
    for i in range(1200):
        kind = i % 6
        ma = 0.0 if kind in (0, 1, 2) else rng.uniform(0, 200)
        mb = 0.0 if kind in (0, 3) else rng.uniform(0, 200)
        ca = 0.0 if kind in (0, 1, 4) else rng.uniform(0, 200)
        cb = ca if rng.uniform() < 0.7 else rng.uniform(0, 200)
        if kind in (0, 1):
            cb = 0.0
        ax, ay, bx, by, px, py = rng.normal(0, 100, 6)
        if rng.uniform() < 0.1:
            px, py = rng.normal(0, 1000, 2)
        row = [float(x) for x in (ma, ax, ay, mb, bx, by, px, py, ca, cb)]
        case = {"args": row, "pypi": float(mt2(*row))}
        scale = np.hypot(ma, np.hypot(ax, ay)) + np.hypot(mb, np.hypot(bx, by)) + np.hypot(px, py) + ca + cb
        if kind == 0 and case["pypi"] < 1e-2 * scale:
            case["brute"] = brute(row)
        cases.append(case)
    print(json.dumps({"generator": "mt2 1.3.1 + scipy Nelder-Mead", "cases": cases}))


if __name__ == "__main__":
    main()

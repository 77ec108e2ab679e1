"""Checks anac's MT2 values (the event list of tests/run/mt2.ana) against PyPI `mt2` 1.3.1.

Usage: python3 check_mt2.py EVENTS.json        (prints a summary; exit 1 on a mismatch)

Each row holds mt2(a, b, met), mt2(a, b, met, 100), mt2(a0, b0, met) (both visible massless),
mt2(a, b0, met, 10, 50), then a.pt, a.eta, a.phi, a.mass, b.pt, b.eta, b.phi, b.mass, MET_pt, MET_phi.
Values must agree to 1e-6 relative. The one exception is everything massless with MT2 small next
to the momenta, where mt2's bisection loses precision (seen: 0.02 GeV for an exact 0): there the
exact answer is checked instead — 0 when the missing momentum lies between the two visible ones.
"""

import json
import sys

import numpy as np
from mt2 import mt2


def main():
    events = json.load(open(sys.argv[1]))
    rows = [r for lst in events.values() for r in lst["rows"]]
    x = np.array(rows, dtype=float)
    apt, aeta, aphi, am, bpt, beta, bphi, bm, met, metphi = (x[:, 4 + k] for k in range(10))
    ax, ay, bx, by = apt * np.cos(aphi), apt * np.sin(aphi), bpt * np.cos(bphi), bpt * np.sin(bphi)
    px, py = met * np.cos(metphi), met * np.sin(metphi)
    zero = np.zeros_like(apt)
    cases = [
        ("mt2(a, b, met)", x[:, 0], (am, ax, ay, bm, bx, by, px, py, zero, zero)),
        ("mt2(a, b, met, 100)", x[:, 1], (am, ax, ay, bm, bx, by, px, py, zero + 100, zero + 100)),
        ("mt2(a0, b0, met)", x[:, 2], (zero, ax, ay, zero, bx, by, px, py, zero, zero)),
        ("mt2(a, b0, met, 10, 50)", x[:, 3], (am, ax, ay, zero, bx, by, px, py, zero + 10, zero + 50)),
    ]
    scale = apt + bpt + met
    failed = False
    for name, ours, args in cases:
        ref = mt2(*args)
        massless = name == "mt2(a0, b0, met)"
        exact = massless & (ref < 1e-2 * scale)
        rel = np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-300)
        bad = (~exact) & (rel > 1e-6)
        if massless:
            det = ax * by - ay * bx
            lam = (px * by - py * bx) / det
            mu = (ax * py - ay * px) / det
            in_cone = (lam >= 0) & (mu >= 0)
            # A four-vector made with mass 0 keeps a rounding-size mass (E² − p² ≠ 0 exactly).
            bad |= exact & in_cone & (ours > 1e-6 * scale)
        worst = rel[~exact].max() if (~exact).any() else 0.0
        print(f"{name}: {len(ours)} values, max relative difference {worst:.2e}, "
              f"{int(exact.sum())} checked exactly, {int(bad.sum())} bad")
        for i in np.where(bad)[0][:5]:
            print("  row", i, "ours", ours[i], "mt2", ref[i], "args", [float(a[i]) for a in args])
        failed |= bool(bad.any())
    if len(rows) < 100:
        print(f"only {len(rows)} rows")
        failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

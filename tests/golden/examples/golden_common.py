"""Shared pieces of the example goldens (tests/golden/examples/*_golden.py): reading a samples
YAML, four-vector formulas, anac's binning rules, and the output format. Nothing here imports anac.

Binning (docs/language.md, "Numerics"): regular axes put x in bin floor((x - low) / (high - low)
* n), underflow below 0, overflow at z >= 1, NaN in the overflow; variable axes put x in
[e_i, e_{i+1}); integer axes use floor(x). Histograms are flat lists in UHI order, per axis
[underflow, bins..., overflow]; 2-D x-major (index = ix * extent_y + iy).

Four-vectors follow the specified formulas with numpy in float64: from (pt, eta, phi, m) px = pt
cos(phi), py = pt sin(phi), pz = pt sinh(eta), E = sqrt(p^2 + m^2) with p = pt cosh(eta); pt =
sqrt(px^2 + py^2), phi = atan2(py, px), eta = asinh(pz / pt); delta_phi wraps phi_a - phi_b into
(-pi, pi] by one subtraction or addition of 2 pi.
"""

import json
import math
import os

import awkward as ak
import numpy as np
import uproot
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))


def samples(yaml_path):
    """[(process, variation, [file paths], xsec)] of a samples YAML, paths resolved."""
    base = os.path.dirname(os.path.abspath(yaml_path))
    spec = yaml.safe_load(open(yaml_path))
    out = []
    for process, variations in spec.items():
        for variation, s in variations.items():
            paths = [os.path.normpath(os.path.join(base, f["path"] if isinstance(f, dict) else f))
                     for f in s["files"]]
            out.append((process, variation, paths, s.get("xsec")))
    return out


def read(paths, branches):
    """The branches of every file's `Events`, concatenated in file order, and the summed
    `genEventSumw` of the files' `Runs` trees."""
    arrays = [uproot.open(p)["Events"].arrays(branches) for p in paths]
    sumw = 0.0
    for p in paths:
        for x in uproot.open(p)["Runs"]["genEventSumw"].array(library="np"):
            sumw += float(x)
    return ak.concatenate(arrays) if len(arrays) > 1 else arrays[0], sumw


def f64(x):
    return ak.values_astype(x, np.float64)


# ---- four-vectors: dicts of (jagged or flat) float64 arrays -----------------------------------


def p4(pt, eta, phi, mass):
    p = pt * np.cosh(eta)
    return {"px": pt * np.cos(phi), "py": pt * np.sin(phi), "pz": pt * np.sinh(eta),
            "e": np.sqrt(p * p + mass * mass)}


def p4_sum(v):
    """Sum over the last (jagged) axis, in order, from the zero vector."""
    return {k: ak.sum(x, axis=1) for k, x in v.items()}


def p4_neg(v):
    return {k: -x for k, x in v.items()}


def p4_add(a, b):
    return {k: a[k] + b[k] for k in ("px", "py", "pz", "e")}


def p4_take(v, mask):
    return {k: x[mask] for k, x in v.items()}


def pt_of(v):
    return np.sqrt(v["px"] * v["px"] + v["py"] * v["py"])


def phi_of(v):
    return np.arctan2(v["py"], v["px"])


def eta_of(v):
    pt = pt_of(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.arcsinh(v["pz"] / pt)


def mass_of(v):
    m2 = v["e"] * v["e"] - (v["px"] * v["px"] + v["py"] * v["py"] + v["pz"] * v["pz"])
    return np.where(m2 >= 0, np.sqrt(np.abs(m2)), -np.sqrt(np.abs(m2)))


def wrap_dphi(d):
    """Into (-pi, pi]: d - 2 pi above pi, d + 2 pi at or below -pi (works on jagged arrays)."""
    return d - 2 * np.pi * (d > np.pi) + 2 * np.pi * (d <= -np.pi)


def delta_phi(a_phi, b_phi):
    return wrap_dphi(a_phi - b_phi)


def delta_r(a_eta, a_phi, b_eta, b_phi):
    de = a_eta - b_eta
    dp = delta_phi(a_phi, b_phi)
    return np.sqrt(de * de + dp * dp)


def any_near(a, b, cut):
    """Per element of `a`: is any element of `b` (same event) within delta_r < cut? `a` and `b`
    are dicts with jagged "eta" and "phi" (taken from the four-vectors)."""
    pa, pb = ak.unzip(ak.cartesian([ak.zip({"eta": a["eta"], "phi": a["phi"]}),
                                    ak.zip({"eta": b["eta"], "phi": b["phi"]})], nested=True))
    dr = delta_r(pb.eta, pb.phi, pa.eta, pa.phi)
    return ak.any(dr < cut, axis=2)


def at(jagged, k):
    """Element k of each event as a float64 numpy array, NaN where absent, and the mask of
    present values."""
    padded = ak.pad_none(jagged, k + 1, axis=1)[:, k]
    present = ~ak.to_numpy(ak.is_none(padded))
    return ak.to_numpy(ak.fill_none(padded, np.nan)).astype(np.float64), present


# ---- axes and histograms ----------------------------------------------------------------------


class Regular:
    def __init__(self, n, lo, hi):
        self.n, self.lo, self.hi, self.extent = n, float(lo), float(hi), n + 2

    def index(self, x):
        x = np.asarray(x, dtype=np.float64)
        z = (x - self.lo) / (self.hi - self.lo)
        with np.errstate(invalid="ignore"):
            b = np.floor(z * self.n)
        b = np.minimum(b, self.n - 1) + 1
        b = np.where(z < 0, 0, np.where(z >= 1, self.n + 1, b))
        return np.where(np.isnan(x), self.n + 1, b).astype(np.int64)


class Variable:
    def __init__(self, *edges):
        self.edges = np.array(edges, dtype=np.float64)
        self.n = len(edges) - 1
        self.extent = self.n + 2

    def index(self, x):
        x = np.asarray(x, dtype=np.float64)
        b = np.searchsorted(self.edges, x, side="right")  # edges[b-1] <= x < edges[b]
        return np.where(np.isnan(x), self.n + 1, b).astype(np.int64)


class Integer:
    def __init__(self, lo, hi):
        self.lo, self.n, self.extent = lo, hi - lo, hi - lo + 2

    def index(self, x):
        b = np.floor(np.asarray(x, dtype=np.float64)) - self.lo
        b = np.where(b < 0, 0, np.where(b >= self.n, self.n + 1, b + 1))
        return b.astype(np.int64)


class Hist:
    def __init__(self, *axes):
        self.axes = axes
        size = 1
        for a in axes:
            size *= a.extent
        self.sumw = np.zeros(size)
        self.sumw2 = np.zeros(size)
        self.entries = 0

    def fill(self, mask, w, *values):
        """Fill the events of `mask` (numpy bool) with weights `w` (per event)."""
        mask = np.asarray(mask, dtype=bool)
        idx = np.zeros(int(mask.sum()), dtype=np.int64)
        for ax, v in zip(self.axes, values):
            idx = idx * ax.extent + ax.index(np.asarray(v)[mask])
        ww = np.asarray(w, dtype=np.float64)[mask]
        np.add.at(self.sumw, idx, ww)
        np.add.at(self.sumw2, idx, ww * ww)
        self.entries += int(mask.sum())

    def fill_list(self, mask, w, jagged):
        """One fill per element of the jagged values of the events of `mask`."""
        mask = np.asarray(mask, dtype=bool)
        vals = jagged[mask]
        counts = ak.to_numpy(ak.num(vals))
        flat = ak.to_numpy(ak.flatten(vals)).astype(np.float64)
        ww = np.repeat(np.asarray(w, dtype=np.float64)[mask], counts)
        idx = self.axes[0].index(flat)
        np.add.at(self.sumw, idx, ww)
        np.add.at(self.sumw2, idx, ww * ww)
        self.entries += len(flat)

    def json(self):
        return {"contents": self.sumw.tolist(), "variances": self.sumw2.tolist(),
                "entries": self.entries}


def counter(mask, w):
    mask = np.asarray(mask, dtype=bool)
    ww = np.asarray(w, dtype=np.float64)[mask]
    return [int(mask.sum()), float(np.sum(ww)), float(np.sum(ww * ww))]


def cutflow_rows(steps, w):
    """[[label, n, sumw], ...] for cumulative masks [(label, mask), ...]."""
    rows = []
    for label, mask in steps:
        mask = np.asarray(mask, dtype=bool)
        rows.append([label, int(mask.sum()), float(np.sum(np.asarray(w)[mask]))])
    return rows


def efficiency(passed, total):
    """An `efficiency(...)` result from two cutflow rows [label, events, sumw]: [passed, total,
    weighted ratio, Clopper-Pearson 68.27 % interval low, high] (scipy's beta quantiles)."""
    from scipy.stats import beta

    k, n = passed[1], total[1]
    alpha = 1.0 - 0.6826894921370859
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return [k, n, passed[2] / total[2], lo, hi]


def efficiencies(cutflow, specs):
    """{name: {"process/variation": efficiency(...)}} for specs [(name, passed, total)], labels as
    in the .ana file ("REGION/LABEL" for a region's cut), from the cutflow of every sample."""
    out = {}
    for name, num, den in specs:
        for sample, cf in cutflow.items():
            rows = {r[0]: r for r in cf["common"]}
            for region, rr in cf["regions"].items():
                rows.update({f"{region}/{r[0]}": r for r in rr})
            out.setdefault(name, {})[sample] = efficiency(rows[num], rows[den])
    return out


def write(path, out):
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")

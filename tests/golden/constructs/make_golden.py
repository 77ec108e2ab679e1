#!/usr/bin/env python3
"""Golden results of `anac run` for the construct analyses, computed independently of anac.

Usage (from the repository root):

    python3 tests/golden/constructs/make_golden.py ANALYSIS \
        -o tests/golden/constructs/ANALYSIS.json

ANALYSIS is `layouts` (tests/run/constructs/layouts.ana: every scalar, list and bookkeeping
construct on the generated ../shared/data/rootgen/layouts_*.root files) or `hzz`
(tests/run/constructs/hzz.ana: every collection construct on ../shared/data/uproot-HZZ.root).

Both analyses are transcribed by hand, statement by statement, into per-event Python functions
working on plain Python values read with uproot (float branches -> float64, integer branches ->
int, bools -> bool, strings -> str), with absent values as None. The conventions, the axes, the
histogram storage, four-vector formulas, the weight / variation / cutflow driver and the output
format are those of tests/golden/run/make_golden.py, which is imported (not copied) from there.
What this file adds is the semantics of the constructs that file's analyses do not use: int64
wrapping arithmetic, `%` and shifts that may be absent, math functions with NaN and infinities,
list reductions, stable sorting with NaN/absent keys last, `??` on elements, the general `derive`
expressions, efficiencies on region cuts, and collects holding NaN, infinities and absent values
(written, as anac writes them, as the strings "nan", "inf", "-inf" and null).

Output (JSON): the format of tests/golden/run/ (README.md there).
"""

import argparse
import importlib.util
import itertools
import json
import math
import os
import sys

from scipy.special import ndtri

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))

_spec = importlib.util.spec_from_file_location(
    "run_make_golden", os.path.join(REPO, "tests", "golden", "run", "make_golden.py"))
G = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(G)

Regular, Variable, Integer, Category = G.Regular, G.Variable, G.Integer, G.Category
at, argbest, combinations, pairs, combo_p4 = G.at, G.argbest, G.combinations, G.pairs, G.combo_p4
v_add, v_sum, v_pt, v_eta, v_phi, v_mass = G.v_add, G.v_sum, G.v_pt, G.v_eta, G.v_phi, G.v_mass
fdiv, isnan = G.fdiv, G.isnan

INF = math.inf
NAN = math.nan

# ---------------------------------------------------------------------------------------------
# numbers: int64 that wraps, floats, absent (None)
# ---------------------------------------------------------------------------------------------


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def w64(v):
    """Two's-complement wrap to int64."""
    v &= (1 << 64) - 1
    return v - (1 << 64) if v >> 63 else v


def _arith(op):
    def f(a, b):
        if a is None or b is None:
            return None
        if is_int(a) and is_int(b):
            return w64(op(a, b))
        return op(float(a), float(b))
    return f


add = _arith(lambda a, b: a + b)
sub = _arith(lambda a, b: a - b)
mul = _arith(lambda a, b: a * b)


def neg(a):
    if a is None:
        return None
    return w64(-a) if is_int(a) else -a


def mod(a, b):
    """C-style remainder (the sign of the dividend); absent when dividing by zero."""
    if a is None or b is None:
        return None
    if is_int(a) and is_int(b):
        if b == 0:
            return None
        r = abs(a) % abs(b)
        return w64(-r if a < 0 else r)
    a, b = float(a), float(b)
    if b == 0.0:
        return None
    if isnan(a) or isnan(b) or math.isinf(a):
        return NAN
    if math.isinf(b):
        return a
    return math.fmod(a, b)


def shl(a, c):
    if a is None or c is None or not 0 <= c <= 63:
        return None
    return w64(a << c)


def shr(a, c):
    if a is None or c is None or not 0 <= c <= 63:
        return None
    return a >> c  # arithmetic


def truth(c):
    """A condition: absent counts as false."""
    return c is True


def lt(a, b):
    return a is not None and b is not None and a < b


def le(a, b):
    return a is not None and b is not None and a <= b


def gt(a, b):
    return a is not None and b is not None and a > b


def ge(a, b):
    return a is not None and b is not None and a >= b


def eq(a, b):
    return a is not None and b is not None and a == b


def ne(a, b):
    return a is not None and b is not None and a != b


def dflt(x, d):
    return d if x is None else x


def _fn(f):
    """A float function of floats: absent in, absent out."""
    def g(*args):
        if any(a is None for a in args):
            return None
        return f(*[float(a) for a in args])
    return g


def _sqrt(x):
    return NAN if x < 0 else math.sqrt(x)


def _exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def _log(base):
    def f(x):
        if x != x or x < 0:
            return NAN
        if x == 0:
            return -INF
        return math.log(x) if base is None else math.log10(x)
    return f


def _pow(a, b):
    try:
        return math.pow(a, b)
    except OverflowError:
        return INF
    except ValueError:
        return NAN


def _arc(f):
    def g(x):
        return NAN if not -1.0 <= x <= 1.0 else f(x)
    return g


def _finite(f):
    def g(x):
        return x if not math.isfinite(x) else float(f(x))
    return g


def _round(x):
    """Half away from zero, exactly."""
    t = float(math.trunc(x))
    if abs(x - t) >= 0.5:
        t += math.copysign(1.0, x)
    return t


def _tan(x):
    return math.tan(x)


sqrt, exp, log, log10, pow_ = _fn(_sqrt), _fn(_exp), _fn(_log(None)), _fn(_log(10)), _fn(_pow)
sin, cos, tan = _fn(math.sin), _fn(math.cos), _fn(_tan)
atan, atan2 = _fn(math.atan), _fn(math.atan2)
asin, acos = _fn(_arc(math.asin)), _fn(_arc(math.acos))
sinh, cosh, tanh = _fn(G._sinh), _fn(G._cosh), _fn(math.tanh)
floor, ceil = _fn(_finite(math.floor)), _fn(_finite(math.ceil))
fround = _fn(_finite(_round))
normal_quantile = _fn(lambda p: float(ndtri(p)))


def fabs(a):
    if a is None:
        return None
    return w64(abs(a)) if is_int(a) else abs(a)


def to_int(x):
    if x is None:
        return None
    return x if is_int(x) else int(math.trunc(x))


def to_float(x):
    return None if x is None else float(x)


def nmin(*args):
    """min(a, b, ...) of numbers: NaN propagates; int when every argument is an int."""
    if any(a is None for a in args):
        return None
    if any(isnan(a) for a in args):
        return NAN
    r = min(args)
    return r if all(is_int(a) for a in args) else float(r)


def nmax(*args):
    if any(a is None for a in args):
        return None
    if any(isnan(a) for a in args):
        return NAN
    r = max(args)
    return r if all(is_int(a) for a in args) else float(r)


# ---- lists: reductions skip absent items; count counts every item ----------------------------


def lcount(xs):
    return len(xs)


def lsum(xs, zero):
    acc = zero
    for v in xs:
        if v is not None:
            acc = add(acc, v)
    return acc


def lmean(xs):
    vals = [v for v in xs if v is not None]
    if not vals:
        return None
    return fdiv(lsum(vals, 0.0), len(vals))


def lmin(xs):
    vals = [v for v in xs if v is not None]
    return nmin(*vals) if vals else None


def lmax(xs):
    vals = [v for v in xs if v is not None]
    return nmax(*vals) if vals else None


def idx(xs, i):
    return None if xs is None else at(xs, i)


# ---- collections ----------------------------------------------------------------------------


def sort_by(items, key, desc=False):
    """Stable sort; elements whose key is absent or NaN go last (in their order) either way."""
    keyed = [(key(x), x) for x in items]
    good = [(k, x) for k, x in keyed if k is not None and not isnan(k)]
    bad = [x for k, x in keyed if k is None or isnan(k)]
    good.sort(key=lambda kx: kx[0], reverse=desc)  # `reverse` keeps the sort stable
    return [x for _, x in good] + bad


def p4(e):
    """The four-vector of an element (a dict) or of a tuple (a Python tuple of elements)."""
    if e is None:
        return None
    if isinstance(e, tuple):
        return combo_p4(e)
    return e["p4"]


def field(e, f):
    """A field of an element; of a tuple, the list of its members' values."""
    if e is None:
        return None
    if isinstance(e, tuple):
        return [m[f] for m in e]
    return e[f]


def member(e, i):
    return None if e is None else e[i]


def v_sub(a, b):
    if a is None or b is None:
        return None
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3])


def v_neg(a):
    return None if a is None else (-a[0], -a[1], -a[2], -a[3])


def v_e(v):
    return None if v is None else v[3]


def v_comp(v, k):
    return None if v is None else v[k]


# ---------------------------------------------------------------------------------------------
# the driver (tests/golden/run/make_golden.py's `run`, with general derives, efficiencies of
# region cuts, per-process restrictions of kinematic variations and JSON-safe collects)
# ---------------------------------------------------------------------------------------------


def collect_value(v):
    if isinstance(v, float):
        if v != v:
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
    return v


def eval_derive(expr, get):
    """expr: ("ref", process, variation) | ("add"|"sub"|"mul", a, b) | ("scale"|"div", a, c)
    | ("norm", a). Returns (contents, variances); `get(pv)` gives a Hist."""
    op = expr[0]
    if op == "ref":
        h = get((expr[1], expr[2]))
        return list(h.contents), list(h.variances), h
    if op in ("add", "sub", "mul"):
        ca, va, h = eval_derive(expr[1], get)
        cb, vb, _ = eval_derive(expr[2], get)
        if op == "add":
            return [x + y for x, y in zip(ca, cb)], [x + y for x, y in zip(va, vb)], h
        if op == "sub":
            return [x - y for x, y in zip(ca, cb)], [x + y for x, y in zip(va, vb)], h
        # product of independent histograms: var = b^2 var_a + a^2 var_b
        return ([x * y for x, y in zip(ca, cb)],
                [y * y * p + x * x * q for x, y, p, q in zip(ca, cb, va, vb)], h)
    if op in ("scale", "div"):
        c, v, h = eval_derive(expr[1], get)
        k = expr[2]
        if op == "scale":
            return [x * k for x in c], [x * (k * k) for x in v], h
        return [x / k for x in c], [x / (k * k) for x in v], h
    if op == "norm":
        c, v, h = eval_derive(expr[1], get)
        total = 0.0
        for i in h.inrange_indices():
            total += c[i]
        return [x / total for x in c], [x / (total * total) for x in v], h
    raise ValueError(op)


def run(spec):
    ana_dir = os.path.dirname(os.path.join(REPO, spec["ana"]))
    samples = G.load_samples(os.path.join(ana_dir, spec["samples"]))
    out = G.Outputs(spec)
    cutflow = {}
    order = []

    for s in samples:
        proc, svar = s["process"], s["variation"]
        events = G.read_events(s["paths"], spec["tree"], spec["scalars"], spec["collections"])
        nevts = G.num_entries(s["paths"], spec["tree"])
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
            else:
                w = 1.0
            rec = G.Rec()
            spec["event"](ev, rec)
            out.apply((proc, svar), rec.ops, w, mc)
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
                    raise RuntimeError(f"absent weight factor {name} at {ev['_entry']}")
                out.apply((proc, name), rec.ops, w * f)
            for name, replace in kin:
                rec = G.Rec()
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
            result["histograms"][G.out_name(tmpl, r, n, proc, lab)] = {
                "contents": h.contents, "variances": h.variances}
    for proc, lab in order:
        for (r, n), c in out.counters[(proc, lab)].items():
            result["counters"][G.out_name(tmpl, r, n, proc, lab)] = c
    for proc, lab in order:
        for (r, n), rows in out.collects[(proc, lab)].items():
            result["collects"][G.out_name(tmpl, r, n, proc, lab)] = [
                [collect_value(v) for v in row] for row in rows]

    def row_of(cf, label):
        """The cutflow row of a cut label: a top-level cut, a region's cut, or "REGION/LABEL"."""
        for row in cf["common"][1:]:
            if row[0] == label:
                return row
        found = [row for rows in cf["regions"].values() for row in rows if row[0] == label]
        if len(found) == 1:
            return found[0]
        region, _, lab = label.partition("/")
        for row in cf["regions"].get(region, []):
            if row[0] == lab:
                return row
        raise KeyError(label)

    for dname, expr in spec["derives"]:
        if expr[0] == "efficiency":
            _, b, a = expr
            result["efficiencies"][dname] = {
                key: [row_of(cf, b)[1], row_of(cf, a)[1]] for key, cf in cutflow.items()}
            continue
        for r, n, _axes in spec["hists"]:
            c, v, _ = eval_derive(expr, lambda pv: out.hists[pv][(r, n)])
            result["histograms"][G.out_name(tmpl, r, n, dname, "nominal")] = {
                "contents": c, "variances": v}
    return result


def norm_weight(ev, xsec, lumi, nevts):
    return [xsec * lumi / nevts]


# ---------------------------------------------------------------------------------------------
# tests/run/constructs/layouts.ana
# ---------------------------------------------------------------------------------------------

LAYOUT_BRANCHES = ["i", "x", "f", "u", "l", "b", "n", "arr_f", "arr_b", "fix3", "vf", "vi", "vb",
                   "vd", "vvf", "s", "cs"]


def layouts_values(ev):
    """Every `let` of layouts.ana (top level), in order."""
    three, half, big, window, strict = 3, 0.5, (1 << 63) - 1, 10.0, True
    i, x, f, u, l, b, n = (ev[k] for k in ("i", "x", "f", "u", "l", "b", "n"))
    arr_f, arr_b, fix3, vf, vi, vb, vd, vvf = (
        ev[k] for k in ("arr_f", "arr_b", "fix3", "vf", "vi", "vb", "vd", "vvf"))
    s, cs = ev["s"], ev["cs"]
    V = {}
    # integer arithmetic
    V["i_lin"] = add(sub(mul(2, i), 7), three)
    V["neg_i"] = neg(i)
    V["u_minus"] = sub(u, 3000)
    V["l_sum"] = add(l, mul(i, three))
    V["l_wrap"] = mul(l, 10000000)
    V["l_sq"] = mul(l, l)
    V["top"] = add(i, big)
    V["low"] = sub(sub(neg(big), 1), i)
    # division and remainder
    V["q_int"] = fdiv(i, 4)
    V["q_run"] = fdiv(i, n)
    V["q_const"] = add(fdiv(7, 2), half)
    V["r_const"] = mod(sub(i, 500), 7)
    V["r_neg"] = mod(i, -7)
    V["r_float"] = mod(sub(x, 100), 3.5)
    V["r_wrap"] = mod(V["l_sq"], 1000)
    V["r_run"] = mod(i, n)
    V["r_runf"] = mod(x, n)
    V["r_fzero"] = mod(x, sub(x, 1.5))
    V["r_def"] = dflt(mod(i, n), -1)
    # bits
    V["b_and"] = i & 6
    V["b_or"] = i | 8
    V["b_xor"] = i ^ 0x55
    V["b_not"] = ~u
    V["b_mix"] = ((~i) & 0xFF) | (3 ^ u)
    V["s_left"] = shl(i, 3)
    V["s_prec"] = shl(i, add(1, 1))
    V["s_right"] = shr(l, 7)
    V["s_neg"] = shr(neg(l), 3)
    V["s_run"] = shl(i, n)
    V["s_far"] = shl(1, mod(i, 70))
    V["s_back"] = shr(i, sub(n, 2))
    V["l_bits"] = (l & 0xFFFF) ^ shr(l, 40)
    # logic
    V["is_odd"] = eq(i & 1, 1)
    V["cmp_mix"] = eq(mul(f, 3), i) or ne(u, mul(3, i))
    V["in_band"] = (gt(x, window) and le(x, 400)) or (truth(b) and strict)
    V["not_prec"] = not gt(x, 100)
    V["opt_and"] = truth(at(vb, 1)) and truth(at(arr_b, 0))
    V["opt_not"] = not truth(at(vb, 0))
    V["str_eq"] = eq(s, "event_3") or eq(s, "event_") or (ne(cs, "c1") and ne(s, "event_10"))
    V["branch3"] = 0 if lt(i, 300) else (1 if lt(i, 600) else 2)
    V["if_opt"] = 10 if truth(at(vb, 1)) else 20
    V["if_mix"] = x if truth(b) else float(i)
    V["if_prom"] = add(x if truth(b) else float(big), 1)
    V["dflt_prom"] = add(dflt(at(vf, 0), float(big)), 1)
    # functions
    V["m_abs"] = add(fabs(sub(250, x)), fabs(sub(i, 500)))
    V["m_sqrt"] = sqrt(sub(i, 500))
    V["m_exp"] = exp(fdiv(x, 100))
    V["m_exp_ov"] = exp(mul(2, x))
    V["m_log"] = log(x)
    V["m_log10"] = log10(u)
    V["m_pow"] = add(add(pow_(f, 0.5), pow_(i, 2)), pow_(2, neg(n)))
    V["m_trig"] = add(add(sin(x), cos(f)), tan(fdiv(x, 1000)))
    V["m_inv"] = add(add(asin(sub(fdiv(i, 500), 1)), acos(fdiv(f, 400))), atan(x))
    V["m_asin_nan"] = asin(fdiv(x, 100))
    V["m_atan2"] = atan2(sub(f, 100), sub(x, 200))
    V["m_hyp"] = add(add(sinh(fdiv(x, 100)), cosh(fdiv(f, 100))), tanh(sub(fdiv(x, 50), 5)))
    V["m_round"] = add(fround(x), fdiv(fround(neg(x)), 1000))
    V["m_floor"] = add(floor(neg(f)), fdiv(ceil(f), 1000))
    V["m_min"] = nmin(x, f, 100)
    V["m_max"] = nmax(i, 3.5, f)
    V["m_minint"] = nmin(i, 500, u)
    V["m_maxnan"] = nmax(V["m_sqrt"], 1)
    V["m_int"] = add(to_int(neg(f)), to_int(x))
    V["m_float"] = fdiv(to_float(i), 3)
    V["m_nq"] = normal_quantile(fdiv(add(i, 0.5), 1000))
    V["m_nq_end"] = normal_quantile(fdiv(i, 999))
    # lists
    V["vf_n"] = lcount(vf)
    V["vf_sum"] = lsum(vf, 0.0)
    V["vf_min"] = lmin(vf)
    V["vf_max"] = lmax(vf)
    V["vf_mean"] = lmean(vf)
    V["vi_sum"] = lsum(vi, 0)
    V["vi_max"] = lmax(vi)
    V["vi_min"] = lmin(vi)
    V["vd_mean"] = lmean(vd)
    V["vd_sum"] = lsum(vd, 0.0)
    V["arr_sum"] = lsum(arr_f, 0.0)
    V["arr_max"] = lmax(arr_f)
    V["fix_sum"] = add(add(add(lsum(fix3, 0.0), lmean(fix3)), lmin(fix3)), lmax(fix3))
    V["flags_n"] = lcount(arr_b) + lcount(vb)
    V["vvf_n"] = lcount(vvf)
    V["vf_0"] = at(vf, 0)
    V["vf_last"] = at(vf, -1)
    V["vf_m4"] = at(vf, -4)
    V["vf_far"] = at(vf, 5)
    V["vi_m2"] = at(vi, -2)
    V["arr_2"] = at(arr_f, 2)
    V["fix_l"] = sub(at(fix3, -1), at(fix3, 1))
    V["fix_out"] = at(fix3, 3)
    V["vvf_1"] = at(vvf, 1)
    V["vvf_10"] = idx(at(vvf, 1), 0)
    V["vvf_ll"] = idx(at(vvf, -1), -1)
    V["chain"] = dflt(at(vf, 3), dflt(at(vf, 2), dflt(at(vf, 1), -1)))
    return V


EXACT = ["i", "i_lin", "neg_i", "u_minus", "l_sum", "l_wrap", "l_sq", "top", "low", "q_int",
         "q_run", "q_const", "r_const", "r_neg", "r_float", "r_wrap", "r_run", "r_runf", "r_fzero",
         "b_and", "b_or", "b_xor", "b_not", "b_mix", "s_left", "s_prec", "s_right", "s_neg",
         "s_run", "s_far", "s_back", "l_bits", "is_odd", "cmp_mix", "in_band", "not_prec",
         "opt_and", "opt_not", "str_eq", "if_mix", "m_abs", "m_sqrt", "m_exp", "m_exp_ov", "m_log",
         "m_log10", "m_pow", "m_trig", "m_inv", "m_asin_nan", "m_atan2", "m_hyp", "m_round",
         "m_floor", "m_min", "m_max", "m_minint", "m_maxnan", "m_int", "m_float", "m_nq",
         "m_nq_end", "if_prom", "dflt_prom"]
LISTS = ["vf_n", "vf_sum", "vf_min", "vf_max", "vf_mean", "vi_sum", "vi_max", "vi_min",
         "vd_mean", "vd_sum", "arr_sum", "arr_max", "fix_sum", "flags_n", "vvf_n", "vf_0",
         "vf_last", "vf_m4", "vf_far", "vi_m2", "arr_2", "fix_l", "fix_out", "vvf_10", "vvf_ll"]


def layouts_event(ev, rec):
    V = layouts_values(ev)
    V["i"] = ev["i"]
    i, x, n, b, s, cs = ev["i"], ev["x"], ev["n"], ev["b"], ev["s"], ev["cs"]
    vb, arr_b, vf, vi, fix3 = ev["vb"], ev["arr_b"], ev["vf"], ev["vi"], ev["fix3"]
    rec.ctx = {"ev": ev}

    R = "all"
    rec.counter(R, "all_events")
    rec.counter(R, "odd_events", V["is_odd"])
    rec.counter(R, "vb0_true", truth(at(vb, 0)))
    rec.counter(R, "vb0_not", V["opt_not"])

    rec.hist(R, "i_reg", i)
    rec.hist(R, "x_var", x)
    rec.hist(R, "x_int", x)
    rec.hist(R, "x_cat", x)
    rec.hist(R, "n_int", n)
    rec.hist(R, "n_cat", n)
    rec.hist(R, "cs_cat", cs)
    rec.hist(R, "s_cat", s)
    rec.hist(R, "b_cat", 1 if truth(b) else 0)
    rec.hist(R, "vf_fill", list(vf))
    rec.hist(R, "vi_fill", list(vi))
    rec.hist(R, "vd_fill", list(ev["vd"]))
    rec.hist(R, "arr_fill", list(ev["arr_f"]))
    rec.hist(R, "fix_fill", list(fix3))
    rec.hist(R, "vvf_fill", None if V["vvf_1"] is None else list(V["vvf_1"]))
    rec.hist(R, "x_n", (x, n))
    rec.hist(R, "cs_vfn", (cs, V["vf_n"]))
    rec.hist(R, "n_cs", (n, cs))

    rec.hist(R, "q_h", V["q_run"])
    rec.hist(R, "shift_h", V["s_far"])
    rec.hist(R, "back_h", V["s_back"])
    rec.hist(R, "sqrt_h", V["m_sqrt"])
    rec.hist(R, "nan_cat", V["m_sqrt"])
    rec.hist(R, "nan_int", V["m_sqrt"])
    rec.hist(R, "maxnan_h", V["m_maxnan"])
    rec.hist(R, "log_h", V["m_log"])
    rec.hist(R, "nq_h", V["m_nq_end"])
    rec.hist(R, "prom_h", (V["if_prom"], V["dflt_prom"]))

    if not rec.cut(not eq(mod(i, 11), 5)):
        return
    if not rec.cut(lt(x, 300) or ge(x, 320)):
        return

    rec.counter(R, "selected")
    rec.counter(R, "in_band_events", V["in_band"])
    rec.hist(R, "ints_h", add(add(V["i_lin"], V["neg_i"]), V["u_minus"]))
    rec.hist(R, "wrap_h", mod(V["l_wrap"], 16))
    rec.hist(R, "r_h", V["r_const"])
    rec.hist(R, "r_run_h", V["r_run"])
    rec.hist(R, "rdef_h", V["r_def"])
    rec.hist(R, "round_h", V["m_round"])
    rec.hist(R, "trig_h", (V["m_trig"], V["m_inv"]))
    rec.hist(R, "opt_h", (dflt(V["vf_min"], -1), dflt(V["vi_max"], -1)))
    rec.hist(R, "mean_h", dflt(V["vf_mean"], -1))
    rec.hist(R, "chain_h", V["chain"])
    rec.hist(R, "branch_h", add(V["branch3"], V["if_opt"]))

    rec.region("sample")
    if rec.rcut("sample", eq(mod(i, 7), 3) or eq(mod(i, 333), 0)):
        rec.collect("sample", "exact", [V[k] for k in EXACT])
        rec.collect("sample", "lists",
                    [V[k] for k in LISTS] + [s, cs, b, at(vb, 0), at(arr_b, 1)])

    rec.region("odd")
    if rec.rcut("odd", truth(V["is_odd"])) and rec.rcut("odd", not truth(at(vb, 1))):
        third = fdiv(at(fix3, 1), 3)
        rec.hist("odd", "third_h", third)
        rec.hist("odd", "vf_odd", list(vf))
        rec.counter("odd", "odd_passed")
        rec.counter("odd", "odd_big", gt(third, 100))
        rec.collect("odd", "first_odd", [i, third, s])

    rec.region("lists")
    if rec.rcut("lists", gt(lcount(vf), 0)) and rec.rcut("lists", ge(lcount(vi), 1)):
        rec.hist("lists", "vf_n_h", V["vf_n"])
        rec.hist("lists", "vi_h", V["vi_sum"])
        rec.hist("lists", "spread", dflt(sub(V["vf_max"], V["vf_min"]), -1))
        rec.counter("lists", "with_vvf", eq(V["vvf_n"], 2))

    rec.region("strings")
    if rec.rcut("strings", eq(cs, "c0") or eq(cs, "c3")):
        rec.hist("strings", "cs_here", cs)
        rec.hist("strings", "str_h", 1 if truth(V["str_eq"]) else 0)

    rec.region("absent")
    if (rec.rcut("absent", truth(dflt(at(arr_b, 0), True)))
            and rec.rcut("absent", ne(dflt(V["r_run"], 1), 0))):
        rec.hist("absent", "rr", dflt(V["r_runf"], -1))
        rec.counter("absent", "absent_passed")


def layouts_weight(ev, xsec, lumi, nevts):
    return [xsec * lumi / nevts, add(ev["x"], 1)]


def _w_family(k, up):
    def factor(ctx):
        ev = ctx["ev"]
        if up:
            return add(1, mul(0.001, at(ev["fix3"], k)))
        return sub(1, mul(0.0001, dflt(at(ev["vf"], k), 0)))
    return factor


LAYOUTS = dict(
    name="layouts", ana="tests/run/constructs/layouts.ana", samples="layouts.yaml", tree="t",
    lumi=10, template="{region}_{hist}_{process}[_{variation}]",
    scalars=LAYOUT_BRANCHES, collections={},
    weight=layouts_weight,
    hists=[
        ("all", "i_reg", [Regular(20, 0, 1000)]),
        ("all", "x_var", [Variable(0, 10, 50, 100, 200, 300, 499.5)]),
        ("all", "x_int", [Integer(0, 40)]),
        ("all", "x_cat", [Category(0, 1, 2, 7)]),
        ("all", "n_int", [Integer(0, 4)]),
        ("all", "n_cat", [Category(0, 2, 4, 7)]),
        ("all", "cs_cat", [Category("c0", "c1", "c2", "c3", "c4", "c5")]),
        ("all", "s_cat", [Category("event_1", "event_3", "event_998", "event_")]),
        ("all", "b_cat", [Category(0, 1)]),
        ("all", "vf_fill", [Regular(25, 0, 1000)]),
        ("all", "vi_fill", [Integer(-1, 40)]),
        ("all", "vd_fill", [Variable(0, 1, 100, 500, 998)]),
        ("all", "arr_fill", [Regular(50, 0, 1001)]),
        ("all", "fix_fill", [Regular(40, -10, 1010)]),
        ("all", "vvf_fill", [Regular(20, 0, 1000)]),
        ("all", "x_n", [Regular(10, 0, 500), Integer(0, 5)]),
        ("all", "cs_vfn", [Category("c0", "c1", "c2"), Integer(0, 4)]),
        ("all", "n_cs", [Category(1, 3), Category("c6", "c2")]),
        ("all", "q_h", [Variable(0, 1, 2, 10, 100, 1000)]),
        ("all", "shift_h", [Regular(20, 0, 1e6)]),
        ("all", "back_h", [Integer(0, 64)]),
        ("all", "sqrt_h", [Regular(25, 0, 25)]),
        ("all", "nan_cat", [Category(0, 1, 2)]),
        ("all", "nan_int", [Integer(0, 10)]),
        ("all", "maxnan_h", [Regular(25, 0, 25)]),
        ("all", "log_h", [Regular(20, -1, 7)]),
        ("all", "nq_h", [Regular(20, -4, 4)]),
        ("all", "prom_h", [Regular(2, -1e19, 1e19), Regular(2, -1e19, 1e19)]),
        ("all", "ints_h", [Regular(40, -3000, 1000)]),
        ("all", "wrap_h", [Integer(-16, 16)]),
        ("all", "r_h", [Integer(-7, 7)]),
        ("all", "r_run_h", [Integer(0, 5)]),
        ("all", "rdef_h", [Category(-1, 0, 1, 2, 3)]),
        ("all", "round_h", [Regular(50, 0, 500)]),
        ("all", "trig_h", [Regular(10, -3, 3), Regular(10, -2, 5)]),
        ("all", "opt_h", [Regular(10, -1, 999), Integer(-1, 30)]),
        ("all", "mean_h", [Regular(20, -1, 999)]),
        ("all", "chain_h", [Regular(20, -1, 999)]),
        ("all", "branch_h", [Category(10, 11, 12, 20, 21, 22)]),
        ("odd", "third_h", [Regular(30, 0, 350)]),
        ("odd", "vf_odd", [Regular(25, 0, 1000)]),
        ("lists", "vf_n_h", [Integer(0, 5)]),
        ("lists", "vi_h", [Regular(30, 0, 3000)]),
        ("lists", "spread", [Regular(4, 0, 2)]),
        ("strings", "cs_here", [Category("c0", "c3")]),
        ("strings", "str_h", [Integer(0, 2)]),
        ("absent", "rr", [Regular(12, -1, 5)]),
    ],
    counters=[("all", "all_events"), ("all", "odd_events"), ("all", "vb0_true"),
              ("all", "vb0_not"), ("all", "selected"), ("all", "in_band_events"),
              ("odd", "odd_passed"), ("odd", "odd_big"), ("lists", "with_vvf"),
              ("absent", "absent_passed")],
    collects=[("sample", "exact", 200), ("sample", "lists", 200), ("odd", "first_odd", 7)],
    cuts=["i mod 11 is not 5", "x outside [300, 320)"],
    regions={"sample": ["every seventh, and the ends"], "odd": ["odd i", "vb[1] not true"],
             "lists": ["has vf", "vi not empty"], "strings": ["c0 or c3"],
             "absent": ["arr_b[0] or none", "remainder nonzero"]},
    kin_vars=[],
    weight_vars=[
        ("scale_up", None, lambda ctx: add(1, fdiv(ctx["ev"]["x"], 1000))),
        ("scale_down", None, lambda ctx: sub(1, fdiv(ctx["ev"]["x"], 2000))),
        ("flat", ["lay2"], lambda ctx: add(0.9, mul(0.0002, ctx["ev"]["i"]))),
        ("w_0_up", ["lay"], _w_family(0, True)),
        ("w_0_down", ["lay"], _w_family(0, False)),
        ("w_1_up", ["lay"], _w_family(1, True)),
        ("w_1_down", ["lay"], _w_family(1, False)),
    ],
    derives=[
        ("total", ("add", ("ref", "lay", "nominal"), ("ref", "lay2", "nominal"))),
        ("diff", ("sub", ("ref", "lay", "nominal"), ("ref", "lay2", "nominal"))),
        ("scaled", ("scale", ("ref", "lay", "nominal"), 2.5)),
        ("quarter", ("div", ("ref", "lay2", "nominal"), 4)),
        ("lhs", ("scale", ("ref", "lay", "nominal"), 0.5)),
        ("mix", ("add", ("div", ("add", ("ref", "lay", "alt"), ("ref", "lay", "nominal")), 2),
                 ("ref", "lay2", "nominal"))),
        ("product", ("mul", ("ref", "lay", "nominal"), ("ref", "lay2", "nominal"))),
        ("shape", ("norm", ("ref", "lay", "nominal"))),
        ("shape_sum", ("norm", ("add", ("ref", "lay", "nominal"), ("ref", "lay2", "nominal")))),
        ("residual", ("sub", ("ref", "data", "nominal"), ("ref", "lay", "nominal"))),
        ("x_eff", ("efficiency", "x outside [300, 320)", "i mod 11 is not 5")),
        ("odd_eff", ("efficiency", "vb[1] not true", "odd i")),
    ],
    event=layouts_event,
)


# ---------------------------------------------------------------------------------------------
# tests/run/constructs/hzz.ana
# ---------------------------------------------------------------------------------------------


def hzz_values(ev):
    mz, btag_min = 91.1876, 1.5
    for c in ("Muon", "Electron", "Jet", "Photon"):
        for e in ev[c]:
            e["p4"] = G.pxpypze(e["Px"], e["Py"], e["Pz"], e["E"])
    Muon, Electron, Jet, Photon = ev["Muon"], ev["Electron"], ev["Jet"], ev["Photon"]
    pt = lambda e: v_pt(p4(e))
    eta = lambda e: v_eta(p4(e))
    V = {}
    # objects
    muons = [m for m in Muon if gt(pt(m), 5) and lt(fabs(eta(m)), 2.4) and lt(m["Iso"], 10)]
    electrons = [e for e in Electron if gt(pt(e), 5)]
    photons = [p for p in Photon if gt(pt(p), 5) and lt(p["Iso"], 5)]
    pos_mu = [m for m in muons if gt(m["Charge"], 0)]
    neg_mu = [m for m in [m for m in Muon if lt(m["Charge"], 0)] if gt(pt(m), 5)]
    jets = [j for j in Jet if truth(j["ID"]) and gt(pt(j), 20)
            and lt(len([m for m in Muon if gt(pt(m), 25)]), 3)]
    bjets = [j for j in jets if gt(j["btag"], btag_min)]
    # sorting
    mu_by_pt = sort_by(muons, pt, desc=True)
    mu_by_eta = sort_by(muons, lambda m: fabs(eta(m)))
    mu_by_q = sort_by(Muon, lambda m: m["Charge"])
    mu_by_q_desc = sort_by(Muon, lambda m: m["Charge"], desc=True)
    jet_by_root = sort_by(Jet, lambda j: sqrt(j["btag"]))
    jet_by_root_d = sort_by(Jet, lambda j: sqrt(j["btag"]), desc=True)
    mu_by_rem = sort_by(Muon, lambda m: mod(m["Iso"], add(m["Charge"], 1)))
    mu_by_rem_d = sort_by(Muon, lambda m: mod(m["Iso"], add(m["Charge"], 1)), desc=True)
    # elements
    lead_mu = at(mu_by_pt, 0)
    sub_mu = at(mu_by_pt, 1)
    last_mu = at(mu_by_pt, -1)
    best_b = argbest(Jet, lambda j: j["btag"], largest=True)
    worst_b = argbest(Jet, lambda j: j["btag"], largest=False)
    root_max = argbest(Jet, lambda j: sqrt(j["btag"]), largest=True)
    root_min = argbest(Jet, lambda j: sqrt(j["btag"]), largest=False)
    rem_max = argbest(Muon, lambda m: mod(m["Iso"], add(m["Charge"], 1)), largest=True)
    iso_pos = argbest(pos_mu, lambda m: m["Iso"], largest=True)
    ref_mu = iso_pos if iso_pos is not None else last_mu
    # reductions
    n_mu = len(muons)
    n_lep = len(muons) + len(electrons)
    q_sum = lsum([m["Charge"] for m in Muon], 0)
    e_sum = lsum([m["E"] for m in muons], 0.0)
    pt_sum = lsum([pt(m) for m in muons], 0.0)
    pt_sum_it = lsum([mul(pt(m), 2) for m in muons], 0.0)
    iso_mean = lmean([m["Iso"] for m in muons])
    iso_min = lmin([m["Iso"] for m in Muon])
    iso_max = lmax([m["Iso"] for m in Muon])
    any_neg = any(lt(m["Charge"], 0) for m in muons)
    all_iso = all(lt(m["Iso"], 1) for m in muons)
    any_b = any(gt(j["btag"], btag_min) for j in jets)
    all_ph = all(lt(p["Iso"], 1) for p in photons)
    # combinations and pairs
    mu_pairs = [c for c in combinations(muons, 2) if ne(c[0]["Charge"], c[1]["Charge"])]
    mu_trips = [c for c in combinations(muons, 3)
                if gt(lmax(field(c, "Charge")), 0) and lt(lmin(field(c, "Charge")), 0)]
    ee_pairs = [c for c in combinations(electrons, 2) if eq(lsum(field(c, "Charge"), 0), 0)]
    mu_jet = [c for c in pairs(muons, jets) if lt(G.delta_r(p4(c[0]), p4(c[1])), 0.8)]
    mu_quads = [c for c in itertools.combinations(Muon, 4) if eq(lsum(field(c, "Charge"), 0), 0)]
    z = argbest(mu_pairs, lambda c: fabs(sub(v_mass(p4(c)), mz)), largest=False)
    hard_trip = argbest(mu_trips, lambda c: v_pt(p4(c)), largest=True)
    z_ee = argbest(ee_pairs, lambda c: fabs(sub(v_mass(p4(c)), mz)), largest=False)
    closest = argbest(pairs(muons, jets), lambda c: G.delta_r(p4(c[0]), p4(c[1])), largest=False)
    dr_close = G.delta_r(p4(member(closest, 0)), p4(member(closest, 1)))
    # four-vectors
    mpx, mpy = ev["MET_px"], ev["MET_py"]
    met_pt = sqrt(add(mul(mpx, mpx), mul(mpy, mpy)))
    met = G.ptetaphim(met_pt, 0.0, atan2(mpy, mpx), 0.0)
    met_xyz = G.pxpypze(float(mpx), float(mpy), 0.0, met_pt)
    all_mu = v_sum([p4(m) for m in muons])
    dimu = v_add(p4(lead_mu), p4(sub_mu))
    dphi_met = G.delta_phi(p4(lead_mu), met)
    dr_jj = G.delta_r(p4(at(jets, 0)), p4(at(jets, -1)))
    lep_sys = v_add(v_add(all_mu, v_sum([p4(e) for e in electrons])), met_xyz)
    recoil = v_sub(lep_sys, dimu)
    back = v_neg(all_mu)
    clean_jets = [j for j in Jet if not any(lt(G.delta_r(p4(m), p4(j)), 0.4) for m in Muon)]
    n_near_mu = lsum([len([m for m in Muon if lt(G.delta_r(p4(m), p4(j)), 0.8)]) for j in Jet], 0)
    V.update(locals())
    return V


def E(e):
    return field(e, "E")


def hzz_event(ev, rec):
    V = hzz_values(ev)
    mz = V["mz"]
    lead_mu, z, hard_trip, z_ee, closest = (V[k] for k in ("lead_mu", "z", "hard_trip", "z_ee",
                                                           "closest"))
    met, met_xyz, all_mu, dimu, lep_sys = (V[k] for k in ("met", "met_xyz", "all_mu", "dimu",
                                                          "lep_sys"))
    muons, jets = V["muons"], V["jets"]
    rec.ctx = V
    lp, zp = p4(lead_mu), p4(z)

    R = "all"
    rec.counter(R, "all_events")
    rec.counter(R, "with_photon", len(V["photons"]) > 0)
    rec.counter(R, "any_neg_events", V["any_neg"])
    rec.counter(R, "all_iso_events", V["all_iso"])

    def ix(c, i):
        return at(V[c], i)

    rec.hist(R, "n_mu_h", V["n_mu"])
    rec.hist(R, "mu_iso", [m["Iso"] for m in muons])
    rec.hist(R, "q_cat", V["q_sum"])
    rec.hist(R, "root_first", dflt(field(at(V["jet_by_root"], 0), "btag"), -2))

    if not rec.cut(truth(ev["triggerIsoMu24"])):
        return
    if not rec.cut(ge(len(ev["Muon"]) + len(ev["Electron"]) + len(ev["Jet"]), 1)):
        return

    rec.hist(R, "lead_pt", v_pt(lp))
    rec.hist(R, "ref_pt", dflt(v_pt(p4(V["ref_mu"])), -1))
    rec.hist(R, "eta_phi", (v_eta(lp), v_phi(lp)))
    rec.hist(R, "met_h", v_pt(met))
    rec.hist(R, "dphi_h", V["dphi_met"])
    rec.hist(R, "jet_btag", [j["btag"] for j in jets])
    rec.hist(R, "n_b", len(V["bjets"]))
    rec.hist(R, "iso_mean_h", dflt(V["iso_mean"], -1))

    rec.region("sample")
    if rec.rcut("sample", eq(mod(ev["NPrimaryVertices"], 15), 0) or ge(len(ev["Muon"]), 3)
                or ge(len(ev["Electron"]), 2) or ge(len(ev["Photon"]), 2)):
        rec.collect("sample", "elements", [
            ev["NMuon"], V["n_mu"], V["n_lep"], V["q_sum"], V["e_sum"], V["pt_sum"],
            V["pt_sum_it"],
            V["iso_mean"], V["iso_min"], V["iso_max"], V["any_neg"], V["all_iso"], V["any_b"],
            V["all_ph"],
            field(lead_mu, "Iso"), field(V["sub_mu"], "Iso"), field(V["last_mu"], "Iso"),
            field(V["best_b"], "btag"), E(V["best_b"]), E(V["worst_b"]),
            E(V["root_max"]), E(V["root_min"]), E(V["rem_max"]), field(V["iso_pos"], "Iso"),
            E(V["ref_mu"]),
            field(V["ref_mu"], "Charge"),
            E(ix("mu_by_eta", 0)), E(ix("mu_by_eta", -1)), E(ix("mu_by_q", 0)),
            E(ix("mu_by_q", 1)),
            E(ix("mu_by_q", -1)),
            E(ix("mu_by_q_desc", 0)), E(ix("mu_by_q_desc", 1)), E(ix("jet_by_root", 0)),
            E(ix("jet_by_root", 1)),
            E(ix("jet_by_root", -1)), E(ix("jet_by_root_d", 0)), E(ix("jet_by_root_d", 1)),
            E(ix("jet_by_root_d", -1)), E(ix("mu_by_rem", 0)), E(ix("mu_by_rem", -1)),
            E(ix("mu_by_rem_d", 0)),
            E(ix("mu_by_rem_d", -1)), len(V["pos_mu"]), len(V["neg_mu"]), len(jets),
            len(V["bjets"])])
        rec.collect("sample", "kinematics", [
            v_pt(lp), v_eta(lp), v_phi(lp), v_mass(lp), v_e(lp), v_comp(lp, 0), v_comp(lp, 1),
            v_comp(lp, 2),
            v_pt(met), v_eta(met), v_phi(met), v_mass(met), v_e(met), v_comp(met, 0),
            v_comp(met, 1), v_comp(met, 2),
            v_mass(met_xyz), v_pt(all_mu), v_eta(all_mu), v_mass(all_mu), v_mass(dimu),
            v_pt(dimu),
            V["dphi_met"], V["dr_jj"], v_mass(lep_sys), v_phi(lep_sys),
            len(V["mu_pairs"]), len(V["mu_trips"]), len(V["ee_pairs"]), len(V["mu_jet"]),
            v_mass(zp), E(member(z, 0)), E(member(z, 1)), v_pt(p4(hard_trip)),
            E(member(hard_trip, 2)),
            v_mass(p4(z_ee)), E(member(closest, 0)), E(member(closest, 1)), V["dr_close"],
            E(member(at(V["mu_jet"], 0), 1)), v_mass(p4(at(V["mu_jet"], -1))),
            len(V["mu_quads"]), v_mass(p4(at(V["mu_quads"], -1))),
            E(member(at(V["mu_quads"], 0), 3))])

    rec.region("Zmumu")
    if rec.rcut("Zmumu", ge(len(muons), 1)) and rec.rcut("Zmumu", ge(len(V["mu_pairs"]), 1)):
        zp4 = p4(z)
        rec.hist("Zmumu", "m_ll", v_mass(zp4))
        rec.hist("Zmumu", "q_pair", field(z, "Charge"))
        rec.hist("Zmumu", "m_vs_n", (v_mass(zp4), len(jets)))
        rec.hist("Zmumu", "z0_pt", v_pt(p4(member(z, 0))))
        rec.counter("Zmumu", "on_peak", lt(fabs(sub(v_mass(zp4), mz)), 10))
        rec.collect("Zmumu", "named", [
            len(V["clean_jets"]), V["n_near_mu"], v_mass(V["recoil"]), v_comp(V["recoil"], 2),
            v_comp(V["back"], 2), v_comp(V["back"], 3)])
        rec.collect("Zmumu", "z_rows", [v_mass(zp4), field(member(z, 0), "Charge"),
                                        field(member(z, 1), "Charge"), len(V["mu_pairs"])])

    # Regions built on Zmumu: entered only by events that passed Zmumu's cuts; a region's
    # weights multiply its fills (and its children's), not the cutflow.
    zmumu = rec.reg["Zmumu"] == 2
    if zmumu:
        zp4 = p4(z)
        nb = len(V["bjets"])
        rec.region("Zmumu_peak")
        w_peak = add(1, mul(0.01, len(jets)))
        if rec.rcut("Zmumu_peak", lt(fabs(sub(v_mass(zp4), mz)), 10)):
            rec.ops.append(("h", "Zmumu_peak", "peak_m", v_mass(zp4), w_peak))
            rec.ops.append(("c", "Zmumu_peak", "peak", None, w_peak))
            rec.region("Zmumu_peak_b")
            if rec.rcut("Zmumu_peak_b", ge(nb, 1)):
                w_b = w_peak * add(0.5, mul(0.1, nb))
                rec.ops.append(("h", "Zmumu_peak_b", "peak_b_pt", v_pt(zp4), w_b))
                rec.ops.append(("c", "Zmumu_peak_b", "peak_b", None, w_b))
        rec.region("Zmumu_wide")
        if rec.rcut("Zmumu_wide", lt(fabs(sub(v_mass(zp4), mz)), 25)):
            rec.hist("Zmumu_wide", "wide_m", v_mass(zp4))

    rec.region("trimuon")
    if rec.rcut("trimuon", ge(len(V["mu_trips"]), 1)):
        rec.hist("trimuon", "m_3mu", v_mass(p4(hard_trip)))
        rec.hist("trimuon", "trip_e", E(hard_trip))

    rec.region("electrons2")
    if rec.rcut("electrons2", ge(len(V["ee_pairs"]), 1)):
        rec.hist("electrons2", "m_ee", v_mass(p4(z_ee)))

    rec.region("near_jets")
    if rec.rcut("near_jets", ge(len(V["mu_jet"]), 1)) and rec.rcut("near_jets", V["any_b"]):
        rec.hist("near_jets", "dr", V["dr_close"])
        rec.hist("near_jets", "pair_m", v_mass(p4(at(V["mu_jet"], 0))))
        rec.counter("near_jets", "near_b")


def hzz_weight(ev, xsec, lumi, nevts):
    return [xsec * lumi / nevts, ev["EventWeight"]]


def _replace(coll, **fns):
    def replace(ev):
        ev = dict(ev)
        ev[coll] = [dict(e, **{k: f(e) for k, f in fns.items()}) for e in ev[coll]]
        return ev
    return replace


def _lead_sf(sign):
    def factor(V):
        return add(1, mul(sign * 0.001, dflt(v_pt(p4(V["lead_mu"])), 0)))
    return factor


HZZ = dict(
    name="hzz", ana="tests/run/constructs/hzz.ana", samples="hzz.yaml", tree="events",
    lumi=1000, template="{process}__{region}__{hist}[__{variation}]",
    scalars=["MET_px", "MET_py", "triggerIsoMu24", "EventWeight", "NMuon",
             "NPrimaryVertices"],
    collections={
        "Muon": ("Muon_", ["Px", "Py", "Pz", "E", "Charge", "Iso"]),
        "Electron": ("Electron_", ["Px", "Py", "Pz", "E", "Charge", "Iso"]),
        "Jet": ("Jet_", ["Px", "Py", "Pz", "E", "btag", "ID"]),
        "Photon": ("Photon_", ["Px", "Py", "Pz", "E", "Iso"]),
    },
    weight=hzz_weight,
    hists=[
        ("all", "n_mu_h", [Integer(0, 6)]),
        ("all", "mu_iso", [Regular(20, 0, 10)]),
        ("all", "q_cat", [Category(-2, -1, 0, 1, 2)]),
        ("all", "root_first", [Regular(14, -2, 5)]),
        ("all", "lead_pt", [Regular(40, 0, 200)]),
        ("all", "ref_pt", [Variable(-1, 0, 10, 20, 30, 50, 100, 200)]),
        ("all", "eta_phi", [Regular(12, -2.4, 2.4), Regular(8, -3.2, 3.2)]),
        ("all", "met_h", [Regular(30, 0, 150)]),
        ("all", "dphi_h", [Regular(16, -3.2, 3.2)]),
        ("all", "jet_btag", [Regular(25, -1, 4)]),
        ("all", "n_b", [Integer(0, 4)]),
        ("all", "iso_mean_h", [Regular(22, -1, 10)]),
        ("Zmumu", "m_ll", [Regular(60, 60, 120)]),
        ("Zmumu", "q_pair", [Integer(-1, 2)]),
        ("Zmumu", "m_vs_n", [Regular(30, 60, 120), Integer(0, 5)]),
        ("Zmumu", "z0_pt", [Regular(20, 0, 200)]),
        ("trimuon", "m_3mu", [Regular(20, 0, 400)]),
        ("trimuon", "trip_e", [Regular(20, 0, 400)]),
        ("electrons2", "m_ee", [Regular(30, 0, 150)]),
        ("near_jets", "dr", [Regular(8, 0, 0.8)]),
        ("near_jets", "pair_m", [Regular(20, 0, 200)]),
        ("Zmumu_peak", "peak_m", [Regular(20, 81, 101)]),
        ("Zmumu_wide", "wide_m", [Regular(25, 66, 116)]),
        ("Zmumu_peak_b", "peak_b_pt", [Regular(10, 0, 200)]),
    ],
    counters=[("all", "all_events"), ("all", "with_photon"), ("all", "any_neg_events"),
              ("all", "all_iso_events"), ("Zmumu", "on_peak"), ("near_jets", "near_b"),
              ("Zmumu_peak", "peak"), ("Zmumu_peak_b", "peak_b")],
    collects=[("sample", "elements", 300), ("sample", "kinematics", 300),
              ("Zmumu", "z_rows", 25), ("Zmumu", "named", 40)],
    cuts=["single-muon trigger", "an object"],
    regions={"sample": ["sampled"],
             "Zmumu": ["a muon", "an opposite-charge muon pair"],
             "trimuon": ["a mixed-charge muon triplet"],
             "electrons2": ["an electron pair"],
             "near_jets": ["a muon near a jet", "a b-tagged jet"],
             "Zmumu_peak": ["mass window"],
             "Zmumu_wide": ["mass window"],
             "Zmumu_peak_b": ["a b jet"]},
    kin_vars=[
        ("mu_scale", None, _replace("Muon", Px=lambda e: mul(e["Px"], 1.01),
                                    Py=lambda e: mul(e["Py"], 1.01))),
        ("charge_flip", None, _replace("Muon", Charge=lambda e: neg(e["Charge"]))),
        ("jet_tag", ["hzz"], _replace("Jet", btag=lambda e: add(e["btag"], 0.5),
                                      E=lambda e: mul(e["E"], 1.02))),
    ],
    weight_vars=[
        ("lead_sf_up", None, _lead_sf(+1)),
        ("lead_sf_down", None, _lead_sf(-1)),
    ],
    derives=[
        ("zlib_minus", ("sub", ("ref", "hzz", "zlib"), ("ref", "hzz", "nominal"))),
        ("hzz_shape", ("norm", ("ref", "hzz", "nominal"))),
        ("doubled", ("scale", ("ref", "hzz", "nominal"), 2)),
        ("obj_eff", ("efficiency", "an object", "single-muon trigger")),
        ("pair_eff", ("efficiency", "an opposite-charge muon pair", "a muon")),
        ("peak_eff", ("efficiency", "Zmumu_peak/mass window", "an opposite-charge muon pair")),
        ("wide_eff", ("efficiency", "Zmumu_wide/mass window", "Zmumu/a muon")),
    ],
    event=hzz_event,
)


ANALYSES = {"layouts": LAYOUTS, "hzz": HZZ}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("analysis", choices=sorted(ANALYSES))
    ap.add_argument("-o", "--output", required=True)
    args = ap.parse_args()
    result = run(ANALYSES[args.analysis])
    with open(args.output, "w") as f:
        f.write(G.dump(result))
    print(f"{args.output}: {len(result['histograms'])} histograms, "
          f"{len(result['counters'])} counters, {len(result['collects'])} collects",
          file=sys.stderr)


if __name__ == "__main__":
    main()

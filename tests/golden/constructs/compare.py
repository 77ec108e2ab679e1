#!/usr/bin/env python3
"""Compare the results folder of `anac run` with a golden file of make_golden.py.

Usage (from the repository root):

    python3 tests/golden/constructs/compare.py RESULTS_DIR GOLDEN.json

RESULTS_DIR is what `anac run ANALYSIS.ana -o RESULTS_DIR` wrote: histograms.json (UHI, the
`storage.values` / `storage.variances` nested lists, flow cells included, x-major),
cutflow.json (counters, per-sample cutflow rows, efficiencies) and events.json (collects).
Every number is compared to 1e-9 relative (counts and integers exactly); collect cells that are
strings ("nan", "inf", "-inf", text), null (absent) or bools must be equal. Names present on one
side only are listed too. Efficiencies are checked for their raw counts, their `weighted` ratio
(against the golden cutflow's weighted counts) and their Clopper-Pearson 1-sigma interval.

Prints one line per discrepancy (at most a few per object) and a summary; exit code 1 when
anything differs.
"""

import json
import math
import os
import sys

REL = 1e-9
SHOW = 6  # differing cells printed per object


def close(a, b, rel=REL):
    if a == b:
        return True
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return abs(a - b) <= rel * max(abs(a), abs(b))


def flat(v):
    if isinstance(v, list):
        out = []
        for x in v:
            out.extend(flat(x))
        return out
    return [v]


def is_num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class Report:
    def __init__(self):
        self.problems = []
        self.notes = []

    def bad(self, msg):
        self.problems.append(msg)

    def note(self, msg):
        self.notes.append(msg)


def compare_hists(ours, gold, rep):
    for name in sorted(set(gold) - set(ours)):
        rep.bad(f"histogram {name}: missing from anac's histograms.json")
    for name in sorted(set(ours) - set(gold)):
        rep.bad(f"histogram {name}: written by anac, not in the golden file")
    n = 0
    for name in sorted(set(gold) & set(ours)):
        n += 1
        storage = ours[name]["storage"]
        for ok, gk in (("values", "contents"), ("variances", "variances")):
            a, b = flat(storage[ok]), gold[name][gk]
            if len(a) != len(b):
                rep.bad(f"histogram {name} {ok}: {len(a)} cells, golden {len(b)}")
                continue
            diff = [i for i, (x, y) in enumerate(zip(a, b)) if not close(x, y)]
            if diff:
                cells = ", ".join(f"[{i}] anac {a[i]!r} golden {b[i]!r}" for i in diff[:SHOW])
                more = f" (+{len(diff) - SHOW} more)" if len(diff) > SHOW else ""
                rep.bad(f"histogram {name} {ok}: {len(diff)} cells differ: {cells}{more}")
    return n


def compare_counters(cf, gold, rep):
    ours = cf.get("counters", {})
    for name in sorted(set(gold) - set(ours)):
        rep.bad(f"counter {name}: missing from anac's cutflow.json")
    for name in sorted(set(ours) - set(gold)):
        rep.bad(f"counter {name}: written by anac, not in the golden file")
    for name in sorted(set(gold) & set(ours)):
        c, g = ours[name], gold[name]
        got = [c["events"], c["sumw"], c["sumw2"]]
        if got[0] != g[0] or not close(got[1], g[1]) or not close(got[2], g[2]):
            rep.bad(f"counter {name}: anac {got}, golden {g}")


def compare_cutflow(cf, gold, rep):
    samples = {(s["process"], s["variation"]): s for s in cf.get("samples", [])}
    for key in sorted(set(f"{p}/{v}" for p, v in samples) - set(gold)):
        rep.bad(f"cutflow {key}: written by anac, not in the golden file")
    for key, g in gold.items():
        p, v = key.split("/", 1)
        s = samples.get((p, v))
        if s is None:
            rep.bad(f"cutflow {key}: missing from anac's cutflow.json")
            continue
        pairs = [("common", g["common"], s["cuts"])]
        for region, rows in g["regions"].items():
            pairs.append((region, rows, s.get("regions", {}).get(region)))
        for where, grows, rows in pairs:
            if rows is None:
                rep.bad(f"cutflow {key} {where}: missing from anac's cutflow.json")
                continue
            if len(rows) != len(grows):
                rep.bad(f"cutflow {key} {where}: {len(rows)} rows, golden {len(grows)}")
            for r, gr in zip(rows, grows):
                got = [r["cut"], r["events"], r["weighted"]]
                if got[0] != gr[0] or got[1] != gr[1] or not close(got[2], gr[2]):
                    rep.bad(f"cutflow {key} {where}: anac {got}, golden {gr}")


def same_cell(x, y):
    if is_num(x) and is_num(y):
        return close(float(x), float(y))
    return x == y and type(x) is type(y)


def compare_collects(ev, gold, rep):
    for name in sorted(set(gold) - set(ev)):
        rep.bad(f"collect {name}: missing from anac's events.json")
    for name in sorted(set(ev) - set(gold)):
        rep.bad(f"collect {name}: written by anac, not in the golden file")
    for name in sorted(set(gold) & set(ev)):
        rows, grows = ev[name]["rows"], gold[name]
        cols = ev[name].get("columns", [])
        if len(rows) != len(grows):
            rep.bad(f"collect {name}: {len(rows)} rows, golden {len(grows)}")
        bad, kinds = [], set()
        for r, (row, grow) in enumerate(zip(rows, grows)):
            if len(row) != len(grow):
                bad.append(f"row {r}: {len(row)} columns, golden {len(grow)}")
                continue
            for c, (x, y) in enumerate(zip(row, grow)):
                col = cols[c] if c < len(cols) else c
                if not same_cell(x, y):
                    bad.append(f"row {r} `{col}`: anac {x!r}, golden {y!r}")
                elif is_num(x) and type(x) is not type(y):
                    kinds.add(f"`{col}`: anac {type(x).__name__}, golden {type(y).__name__}")
        if bad:
            more = f" (+{len(bad) - SHOW} more)" if len(bad) > SHOW else ""
            rep.bad(f"collect {name}: {len(bad)} cells differ: " + "; ".join(bad[:SHOW]) + more)
        for k in sorted(kinds):
            rep.note(f"collect {name}: number type differs (value equal): {k}")


def clopper_pearson(k, n):
    from scipy.stats import beta
    alpha = 1.0 - math.erf(1.0 / math.sqrt(2.0))
    lo = 0.0 if k == 0 else beta.ppf(alpha / 2, k, n - k + 1)
    hi = 1.0 if k == n else beta.ppf(1 - alpha / 2, k + 1, n - k)
    return lo, hi


def weighted_row(cfg, label):
    for row in cfg["common"][1:]:
        if row[0] == label:
            return row
    for rows in cfg["regions"].values():
        for row in rows:
            if row[0] == label:
                return row
    return None


def compare_efficiencies(cf, gold, gold_cutflow, labels, rep):
    ours = cf.get("efficiencies", {})
    for name in sorted(set(gold) - set(ours)):
        rep.bad(f"efficiency {name}: missing from anac's cutflow.json")
    for name in sorted(set(ours) - set(gold)):
        rep.bad(f"efficiency {name}: written by anac, not in the golden file")
    for name in sorted(set(gold) & set(ours)):
        mine = {(e["process"], e["variation"]): e for e in ours[name]}
        for key, (k, n) in gold[name].items():
            p, v = key.split("/", 1)
            e = mine.get((p, v))
            if e is None:
                rep.bad(f"efficiency {name} {key}: missing from anac's cutflow.json")
                continue
            if e["passed"] != k or e["total"] != n:
                rep.bad(f"efficiency {name} {key}: anac {e['passed']}/{e['total']}, "
                        f"golden {k}/{n}")
            if n and not close(e["efficiency"], k / n):
                rep.bad(f"efficiency {name} {key}: `efficiency` {e['efficiency']!r}, "
                        f"passed/total {k / n!r}")
            if name in labels and key in gold_cutflow:
                b, a = (weighted_row(gold_cutflow[key], lab) for lab in labels[name])
                if b and a and a[2]:
                    if not close(e.get("weighted", math.nan), b[2] / a[2]):
                        rep.bad(f"efficiency {name} {key}: `weighted` {e.get('weighted')!r}, "
                                f"golden {b[2] / a[2]!r}")
            if n:
                lo, hi = clopper_pearson(k, n)
                got = e.get("interval", [math.nan, math.nan])
                if not (close(got[0], lo, 1e-7) and close(got[1], hi, 1e-7)):
                    rep.bad(f"efficiency {name} {key}: interval {got}, Clopper-Pearson "
                            f"[{lo!r}, {hi!r}]")


def efficiency_labels(ana_path):
    """{derive name: (cut B, cut A)} from the `derive NAME = efficiency("B", "A")` lines."""
    import re
    out = {}
    if ana_path and os.path.exists(ana_path):
        for m in re.finditer(r'derive\s+(\w+)\s*=\s*efficiency\(\s*"([^"]*)"\s*,\s*"([^"]*)"\s*\)',
                             open(ana_path).read()):
            out[m.group(1)] = (m.group(2), m.group(3))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} RESULTS_DIR GOLDEN.json")
    results, golden_path = sys.argv[1], sys.argv[2]
    gold = json.load(open(golden_path))
    hists = json.load(open(os.path.join(results, "histograms.json")))
    cf = json.load(open(os.path.join(results, "cutflow.json")))
    ev = json.load(open(os.path.join(results, "events.json")))
    prov_path = os.path.join(results, "provenance.json")
    ana = None
    if os.path.exists(prov_path):
        ana = json.load(open(prov_path)).get("analysis", {}).get("path")
    rep = Report()
    n = compare_hists(hists, gold["histograms"], rep)
    compare_counters(cf, gold["counters"], rep)
    compare_cutflow(cf, gold["cutflow"], rep)
    compare_collects(ev, gold["collects"], rep)
    compare_efficiencies(cf, gold["efficiencies"], gold["cutflow"], efficiency_labels(ana), rep)
    for p in rep.problems:
        print("DIFF", p)
    for p in rep.notes:
        print("note", p)
    print(f"{golden_path}: {n} histograms, {len(gold['counters'])} counters, "
          f"{len(gold['collects'])} collects, {len(gold['cutflow'])} cutflows, "
          f"{len(gold['efficiencies'])} efficiencies compared; {len(rep.problems)} differences, "
          f"{len(rep.notes)} notes")
    sys.exit(1 if rep.problems else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Reference results of correctionlib for anac's differential test (tests/corrections.rs).

usage: corrections_reference.py OUTDIR [ROWS]

Builds correction sets with correctionlib.schemav2 covering every node type and flow mode,
writes them to OUTDIR (lookups.json, formulas.json.gz, misc.json.gz), draws ROWS random inputs
per correction (default 100000; with NaN, infinities, values on and next to every edge, out of
range values, unknown category keys, extreme integers), evaluates them with correctionlib's C++
evaluator and writes, per case, OUTDIR/case_<k>.bin:

    for each input, in order: ROWS values (real: f64 LE, int: i64 LE, string: u32 LE index
    into the case's "strings" list); then ROWS outputs (f64 LE); then ROWS status bytes
    (0 = value, 1 = correctionlib raised).

OUTDIR/manifest.json lists the cases: file, correction, compound, rows, inputs (name, type,
strings), compare ("exact" or "formula").
"""

import gzip
import json
import math
import sys
from pathlib import Path

import numpy as np

import correctionlib
import correctionlib.schemav2 as cs
from correctionlib import _core

assert correctionlib.__version__ == "2.9.0", correctionlib.__version__

OUT = Path(sys.argv[1])
ROWS = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
RNG = np.random.default_rng(20240611)

INF = float("inf")
EDGES_A = [-2.5, -1.0, 0.0, 0.3, 1.7, 5.0]
UNI_A = {"n": 7, "low": -1.3, "high": 2.9}
UNI_B = {"n": 10, "low": -1.0, "high": 0.3}
# just below `high`, n * (v - low) / (high - low) rounds up to n: the slot after the last bin
UNI_C = {"n": 5, "low": -1.3, "high": 0.3}
EDGES_Y = [-3.0, -0.7, 0.1, 0.2, 4.4]
INT_EDGES = [-4.0, 0.0, 2.0, 5.0, 10.0]
INF_EDGES = ["-inf", -1.0, 0.0, 1.0, "inf"]
INT_KEYS = [0, 1, 2, 5, -3, 1_000_000, 2_000_000_000, -2_147_483_648]
STR_KEYS = ["a", "bb", "mu", "electron", "", "é"]


def real(name):
    return {"name": name, "type": "real"}


def integer(name):
    return {"name": name, "type": "int"}


def string(name):
    return {"name": name, "type": "string"}


def values(n, scale=1.0, offset=0.0):
    return [round(offset + scale * (0.37 * i + 0.11 * (i % 3) + 0.5), 6) for i in range(n)]


def binning(inp, edges, flow, content=None):
    n = edges["n"] if isinstance(edges, dict) else len(edges) - 1
    return {
        "nodetype": "binning",
        "input": inp,
        "edges": edges,
        "content": content if content is not None else values(n),
        "flow": flow,
    }


def multibinning(inputs, edges, flow, offset=0.0):
    n = 1
    for e in edges:
        n *= e["n"] if isinstance(e, dict) else len(e) - 1
    return {
        "nodetype": "multibinning",
        "inputs": inputs,
        "edges": edges,
        "content": values(n, 0.5, offset),
        "flow": flow,
    }


def category(inp, keys, default=None, make=None):
    node = {
        "nodetype": "category",
        "input": inp,
        "content": [
            {"key": k, "value": make(i) if make else 1.5 + i} for i, k in enumerate(keys)
        ],
    }
    if default is not None:
        node["default"] = default
    return node


def formula(expr, variables, parameters=None):
    node = {"nodetype": "formula", "expression": expr, "parser": "TFormula", "variables": variables}
    if parameters is not None:
        node["parameters"] = parameters
    return node


def corr(name, inputs, data, generic=None):
    c = {
        "name": name,
        "version": 1,
        "inputs": inputs,
        "output": real("out"),
        "data": data,
    }
    if generic is not None:
        c["generic_formulas"] = generic
    return c


FLOWS = ["clamp", "error", "wrap"]


def lookups():
    cs_ = []
    for flow in FLOWS + ["content", "constant"]:

        def flow_for(inp, flow=flow):
            if flow == "content":
                return binning(inp, {"n": 3, "low": -50.0, "high": 50.0}, "clamp", [-7.0, 7.5, 8.25])
            if flow == "constant":
                return 7.5
            return flow

        f = flow_for("x")
        cs_.append(corr(f"bin_nonuni_{flow}", [real("x")], binning("x", EDGES_A, f)))
        cs_.append(corr(f"bin_uniA_{flow}", [real("x")], binning("x", UNI_A, f)))
        cs_.append(corr(f"bin_uniB_{flow}", [real("x")], binning("x", UNI_B, f)))
        cs_.append(corr(f"bin_uniC_{flow}", [real("x")], binning("x", UNI_C, f)))
        cs_.append(
            corr(
                f"multi2_uniC_{flow}",
                [real("x"), real("y")],
                multibinning(["x", "y"], [UNI_C, UNI_C | {"n": 2}], f),
            )
        )
        cs_.append(corr(f"bin_int_{flow}", [integer("n")], binning("n", INT_EDGES, flow_for("n"))))
        cs_.append(corr(f"bin_infedges_{flow}", [real("x")], binning("x", INF_EDGES, f)))
        cs_.append(
            corr(
                f"multi2_{flow}",
                [real("x"), real("y")],
                multibinning(["x", "y"], [EDGES_A, {"n": 3, "low": -1.0, "high": 2.0}], f),
            )
        )
        # strides: first axis 3 (odd), then 2 (even): NaN on a uniform axis behaves differently
        cs_.append(
            corr(
                f"multi2_uni_odd_{flow}",
                [real("x"), real("y")],
                multibinning(["x", "y"], [{"n": 4, "low": -1.0, "high": 3.0}, UNI_A | {"n": 3}], f),
            )
        )
        cs_.append(
            corr(
                f"multi2_uni_even_{flow}",
                [real("y"), real("x")],
                multibinning(["y", "x"], [UNI_B | {"n": 3}, {"n": 2, "low": 0.0, "high": 2.0}], f),
            )
        )
        cs_.append(
            corr(
                f"multi3_{flow}",
                [real("x"), integer("n"), real("y")],
                multibinning(["x", "n", "y"], [UNI_A, INT_EDGES, EDGES_Y], f),
            )
        )
    cs_.append(corr("cat_int", [integer("n")], category("n", INT_KEYS)))
    cs_.append(
        corr(
            "cat_int_default",
            [integer("n"), real("x")],
            category("n", INT_KEYS, default=binning("x", EDGES_A, "clamp")),
        )
    )
    cs_.append(corr("cat_str", [string("s")], category("s", STR_KEYS)))
    cs_.append(corr("cat_str_default", [string("s")], category("s", STR_KEYS, default=-1.25)))
    cs_.append(
        corr(
            "nested",
            [string("s"), real("x"), real("y"), integer("n")],
            category(
                "s",
                STR_KEYS[:4],
                default=category("n", [1, 2], default=0.5),
                make=lambda i: [
                    binning("x", EDGES_A, "clamp"),
                    multibinning(["x", "y"], [UNI_B, EDGES_Y], "error"),
                    binning("y", EDGES_Y, binning("x", UNI_A, "wrap")),
                    category("n", [0, 1], default=multibinning(["y"], [EDGES_Y], 3.25)),
                ][i],
            ),
        )
    )
    return cs_


def formulas():
    xy = ["x", "y"]
    exprs = {
        "f_poly": ("[0]+[1]*x+[2]*x^2+[3]*x^3", ["x"], [0.5, -1.25, 3.0, 0.125]),
        "f_funcs": (
            "exp(-x)*log(abs(y)+1) + sqrt(abs(x))*erf(y) - log10(abs(x*y)+1)",
            xy,
            None,
        ),
        "f_trig": ("sin(x)+cos(y)+tan(x/3)+atan(y)+atan2(x,y)", xy, None),
        "f_inverse": ("asin(x/10)+acos(y/10)+asinh(x)+acosh(abs(y)+1)+atanh(x/10.5)", xy, None),
        "f_hyper": ("sinh(x/4)+cosh(y/4)+tanh(x*y)", xy, None),
        "f_compare": (
            "(x>y)*1+(x<y)*2+(x>=1)*4+(x<=1)*8+(x==y)*16+(x!=0)*32"
            "+(x>0 && y>0)*64+(x>0 || y>0)*128",
            xy,
            None,
        ),
        "f_pow": ("pow(abs(x), y/3) + x^2 - -x^3 + 2^-y + max(x,y) - min(x,[0])", xy, [0.25]),
        "f_precedence": ("x - y * 2 / 4 ^ 2 ^ 0.5 + -x^2 - -2^2 + 1e-2*x + 3.e1", xy, None),
        "f_dangling": ("x * [0] + ", ["x"], [2.5]),
        "f_xyzt": ("x[0]*y - z/(1+t^2) + x[3]", ["x", "y", "z", "t"], None),
        "f_nan_minmax": ("max(log(x), y) + min(y, log(x))", xy, None),
    }
    out = []
    for name, (e, vs, ps) in exprs.items():
        inputs = [real(v) for v in vs]
        out.append(corr(name, inputs, formula(e, vs, ps)))
    generic = [
        formula("[0]+[1]*x", ["x"]),
        formula("[0]*exp([1]*x)+[2]*y", ["x", "y"]),
    ]
    ref = lambda i, ps: {"nodetype": "formularef", "index": i, "parameters": ps}  # noqa: E731
    out.append(
        corr(
            "f_ref",
            [real("x"), real("y")],
            binning(
                "x",
                EDGES_A,
                ref(0, [9.0, -2.0]),
                [
                    ref(0, [1.0, 2.0]),
                    ref(1, [0.5, -1.5, 2.0]),
                    ref(0, [-3.0, 0.25]),
                    formula("[0]*x", ["y"], [4.0]),
                    ref(1, [2.0, 0.5, -1.0]),
                ],
            ),
            generic,
        )
    )
    return out


def misc():
    out = []
    out.append(
        corr(
            "transform_real",
            [real("x"), real("y")],
            {
                "nodetype": "transform",
                "input": "x",
                "rule": formula("abs(x)*1.5-0.2", ["x"]),
                "content": binning("x", EDGES_A, "clamp"),
            },
        )
    )
    out.append(
        corr(
            "transform_int",
            [integer("n"), real("y")],
            {
                "nodetype": "transform",
                "input": "n",
                "rule": formula("x*3.7", ["y"]),
                "content": category("n", list(range(-5, 15)), default=multibinning(["n"], [INT_EDGES], -9.0)),
            },
        )
    )
    out.append(
        corr(
            "transform_nested",
            [real("x"), real("y")],
            {
                "nodetype": "transform",
                "input": "x",
                "rule": binning("y", EDGES_Y, "clamp"),
                "content": {
                    "nodetype": "transform",
                    "input": "y",
                    "rule": formula("x+y", ["x", "y"]),
                    "content": multibinning(["x", "y"], [EDGES_A, UNI_B], "clamp"),
                },
            },
        )
    )
    for dist in ["stdflat", "stdnormal", "normal"]:
        out.append(
            corr(
                f"prng_{dist}",
                [real("x"), integer("n"), real("y")],
                {"nodetype": "hashprng", "inputs": ["x", "n", "y"], "distribution": dist},
            )
        )
    out.append(
        corr(
            "prng_transformed",
            [integer("n"), real("y")],
            {
                "nodetype": "transform",
                "input": "n",
                "rule": formula("x*1e19", ["y"]),
                "content": {"nodetype": "hashprng", "inputs": ["n"], "distribution": "normal"},
            },
        )
    )
    # constituents of the compound corrections
    out.append(corr("c_scale", [real("pt"), real("eta")], multibinning(["pt", "eta"], [[0.0, 20.0, 50.0, 200.0, "inf"], EDGES_Y], "clamp", 0.9)))
    out.append(corr("c_formula", [real("pt")], formula("1+0.01*log(x+1)", ["pt"])))
    out.append(corr("c_cat", [integer("n"), real("pt")], category("n", [0, 1, 2], default=binning("pt", [0.0, 30.0, 1000.0], "error"))))
    return out


def compounds():
    # every input op and every output op, each at least once
    ops = [("+", "+"), ("+", "last"), ("*", "*"), ("*", "/"), ("/", "/"), ("/", "+")]
    return [
        {
            "name": f"compound_{i}",
            "inputs": [real("pt"), real("eta"), integer("n")],
            "output": real("out"),
            "inputs_update": ["pt"],
            "input_op": input_op,
            "output_op": output_op,
            "stack": ["c_scale", "c_formula", "c_cat", "c_scale"],
        }
        for i, (input_op, output_op) in enumerate(ops)
    ]


def write_set(name, corrections, compound=None, gz=False):
    doc = {"schema_version": 2, "description": f"anac differential test: {name}", "corrections": corrections}
    if compound:
        doc["compound_corrections"] = compound
    model = cs.CorrectionSet.model_validate(doc)
    text = model.model_dump_json(exclude_unset=True)
    path = OUT / name
    if gz:
        with gzip.open(path, "wt") as f:
            f.write(text)
    else:
        path.write_text(text)
    return path


def number_literals(count):
    """JSON number literals that stress rapidjson's normal-precision conversion."""
    out = ["0", "-0", "-0.0", "1e-400", "2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308",
           "NaN", "-NaN", "Inf", "-Inf", "Infinity", "-Infinity", "18446744073709551615",
           "18446744073709551616", "-9223372036854775808", "-9223372036854775809",
           "123456789012345678901234567890", "0.30000000000000004", "0.1e1", "1E5", "1e+5", "5e-1"]
    while len(out) < count:
        digits = "".join(str(d) for d in RNG.integers(0, 10, int(RNG.integers(1, 26))))
        kind = RNG.integers(0, 4)
        sign = "-" if RNG.random() < 0.3 else ""
        if kind == 0:
            lit = digits.lstrip("0") or "0"
        elif kind == 1:
            cut = int(RNG.integers(0, len(digits)))
            lit = (digits[:cut].lstrip("0") or "0") + "." + (digits[cut:] or "0")
        else:
            lit = (digits[0] if digits[0] != "0" else "1") + "." + (digits[1:] or "0")
            lit += "e" + str(int(RNG.integers(-330, 300) if kind == 2 else RNG.integers(-25, 25)))
        out.append(sign + lit)
    return out


def write_numbers(name, count=5000):
    """A hand-written set (not via pydantic, which would normalise the literals)."""
    lits = number_literals(count)
    items = ",".join(f'{{"key": {k}, "value": {lit}}}' for k, lit in enumerate(lits))
    text = (
        '{"schema_version": 2, "corrections": [{"name": "json_numbers", "version": 1, '
        '"inputs": [{"name": "n", "type": "int"}], "output": {"name": "out", "type": "real"}, '
        f'"data": {{"nodetype": "category", "input": "n", "content": [{items}]}}}}]}}'
    )
    (OUT / name).write_text(text)
    return count


# ---------------------------------------------------------------- inputs

def interesting_reals():
    pts = set()
    for e in [EDGES_A, EDGES_Y, INT_EDGES, [-1.0, 0.0, 1.0], [0.0, 20.0, 50.0, 200.0, 30.0, 100.0]]:
        pts.update(e)
    for u in [UNI_A, UNI_B, UNI_C, UNI_C | {"n": 2}, {"n": 4, "low": -1.0, "high": 3.0}, {"n": 3, "low": -1.0, "high": 2.0},
              {"n": 2, "low": 0.0, "high": 2.0}, {"n": 3, "low": -50.0, "high": 50.0}]:
        for k in range(u["n"] + 1):
            pts.add(u["low"] + (u["high"] - u["low"]) * k / u["n"])
        pts.update([u["low"], u["high"]])
    out = set()
    for p in pts:
        out.update([p, math.nextafter(p, INF), math.nextafter(p, -INF), math.nextafter(math.nextafter(p, -INF), -INF)])
    out.update([float("nan"), INF, -INF, 0.0, -0.0, 1e300, -1e300, 5e-324, -5e-324, 1e-300, 7.0, -7.0, 0.5, 2.25])
    return np.array(sorted(out, key=lambda v: (math.isnan(v), v)), dtype=np.float64)


SPECIAL_REALS = interesting_reals()
SPECIAL_INTS = np.array(INT_KEYS + [-5, 3, 4, 9, 10, 11, 2**62, -(2**63), 2**63 - 1, 1_000_001, -1], dtype=np.int64)
ALL_STRINGS = STR_KEYS + ["x", "A", "mu ", "electronn", "MU", "bbb"]


# Random ranges (per correction and input) for the `error` flows and the compound corrections:
# the binning range with a margin, so that most rows do not raise (raising is slow in Python);
# out-of-range values still come from the margin and the special values.
ERROR_RANGES = {
    "bin_nonuni_error": {"x": (-2.9, 5.5)},
    "bin_uniA_error": {"x": (-1.5, 3.2)},
    "bin_uniB_error": {"x": (-1.1, 0.4)},
    "bin_uniC_error": {"x": (-1.45, 0.45)},
    "multi2_error": {"x": (-2.9, 5.5), "y": (-1.2, 2.3)},
    "multi2_uni_odd_error": {"x": (-1.3, 3.3), "y": (-1.5, 3.2)},
    "multi2_uni_even_error": {"y": (-1.1, 0.4), "x": (-0.2, 2.2)},
    "multi2_uniC_error": {"x": (-1.45, 0.45), "y": (-1.45, 0.45)},
    "multi3_error": {"x": (-1.5, 3.2), "y": (-3.3, 4.8)},
    "c_cat": {"pt": (-5.0, 110.0)},
}
COMPOUND_RANGES = {"pt": (-5.0, 110.0), "eta": (-3.5, 5.0)}


def draw_reals(rows, lo, hi):
    v = RNG.uniform(lo, hi, rows)
    pick = RNG.random(rows) < 0.3
    v[pick] = RNG.choice(SPECIAL_REALS, pick.sum())
    return v


def draw_ints(rows):
    v = RNG.integers(-6, 13, rows, dtype=np.int64)
    u = RNG.random(rows)
    keys = u < 0.4
    v[keys] = RNG.choice(np.array(INT_KEYS, dtype=np.int64), keys.sum())
    special = (u >= 0.4) & (u < 0.6)
    v[special] = RNG.choice(SPECIAL_INTS, special.sum())
    return v


def evaluate(c, cols, types):
    """correctionlib's value for every row, and 1 where it raises."""
    rows = len(cols[0])
    out = np.full(rows, np.nan)
    err = np.zeros(rows, dtype=np.uint8)
    str_idx = [i for i, t in enumerate(types) if t == "string"]
    as_python = [
        [ALL_STRINGS[k] for k in col.tolist()] if t == "string" else col.tolist()
        for col, t in zip(cols, types)
    ]
    row_args = list(zip(*as_python))
    ev = c.evaluate

    def one_by_one(sel):
        for r in sel.tolist():
            try:
                out[r] = ev(*row_args[r])
            except Exception:  # noqa: BLE001 - any raise counts as "error"
                err[r] = 1

    groups = [np.arange(rows)]
    if str_idx:
        key = cols[str_idx[0]]
        groups = [np.nonzero(key == k)[0] for k in range(len(ALL_STRINGS))]
    for rows_k in groups:
        for start in range(0, len(rows_k), 256):
            sel = rows_k[start:start + 256]
            if len(sel) == 0:
                continue
            args = [ALL_STRINGS[col[sel[0]]] if t == "string" else col[sel] for col, t in zip(cols, types)]
            try:
                out[sel] = c.evalv(*args)
            except Exception:  # noqa: BLE001
                one_by_one(sel)
    return out, err


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    files = {
        "lookups.json": (lookups(), None, False, "exact"),
        "formulas.json.gz": (formulas(), None, True, "formula"),
        "misc.json.gz": (misc(), compounds(), True, "exact"),
    }
    cases = []
    for fname, (corrections, compound, gz, compare) in files.items():
        path = write_set(fname, corrections, compound, gz)
        cset = _core.CorrectionSet.from_file(str(path))
        targets = [(c["name"], False) for c in corrections] + [(c["name"], True) for c in (compound or [])]
        for name, is_compound in targets:
            c = cset.compound[name] if is_compound else cset[name]
            types = [v.type for v in c.inputs]
            ranges = COMPOUND_RANGES if is_compound else ERROR_RANGES.get(name, {})
            cols = []
            for v, t in zip(c.inputs, types):
                if t == "real":
                    lo, hi = ranges.get(v.name, (-5.0, 260.0) if name.startswith("c_") else (-4.0, 7.0))
                    cols.append(draw_reals(ROWS, lo, hi))
                elif t == "int":
                    cols.append(draw_ints(ROWS))
                else:
                    cols.append(RNG.integers(0, len(ALL_STRINGS), ROWS).astype(np.uint32))
            out, err = evaluate(c, cols, types)
            k = len(cases)
            with open(OUT / f"case_{k}.bin", "wb") as f:
                for col, t in zip(cols, types):
                    f.write(col.astype({"real": "<f8", "int": "<i8", "string": "<u4"}[t]).tobytes())
                f.write(out.astype("<f8").tobytes())
                f.write(err.tobytes())
            cases.append({
                "file": fname,
                "correction": name,
                "compound": is_compound,
                "rows": ROWS,
                "inputs": [{"name": v.name, "type": v.type} for v in c.inputs],
                "strings": ALL_STRINGS,
                "compare": compare,
                "errors": int(err.sum()),
            })
    count = write_numbers("numbers.json")
    c = _core.CorrectionSet.from_file(str(OUT / "numbers.json"))["json_numbers"]
    keys = RNG.integers(0, count, ROWS, dtype=np.int64)
    out, err = evaluate(c, [keys], ["int"])
    k = len(cases)
    with open(OUT / f"case_{k}.bin", "wb") as f:
        f.write(keys.astype("<i8").tobytes() + out.astype("<f8").tobytes() + err.tobytes())
    cases.append({"file": "numbers.json", "correction": "json_numbers", "compound": False, "rows": ROWS,
                  "inputs": [{"name": "n", "type": "int"}], "strings": ALL_STRINGS, "compare": "exact",
                  "errors": int(err.sum())})
    (OUT / "manifest.json").write_text(json.dumps({"cases": cases}, indent=1))
    print(f"{len(cases)} cases, {ROWS} rows each")


main()

"""Writes the TOY correction files of examples/corrections.ana (correctionlib schema v2).

THESE ARE TOYS: invented numbers in the shape of real CMS corrections (no official correction
file is reachable from where anac is developed). Do not use them for physics.

- toy_muon_sf.json.gz: `toy_muon_id_sf(abseta, pt, scale_factors)`: a 2-D binned scale factor
  (|eta| x pt, flow "clamp") per systematic ("nominal", "systup", "systdown").
- toy_jec.json: `toy_jec(eta, pt)`: a jet energy correction factor, per eta bin a formula in pt
  ("[0] + [1] / sqrt(x)"), eta outside the bins clamped.

Usage: python3 make_toy_corrections.py [OUTDIR]   (default: this script's folder)
Needs correctionlib==2.9.0.
"""

import gzip
import os
import sys

import correctionlib.schemav2 as cs

out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))

abseta = [0.0, 0.9, 1.2, 2.1, 2.4]
pt = [15.0, 20.0, 25.0, 30.0, 40.0, 50.0, 60.0, 120.0]


def sf_grid(shift):
    # Smooth invented values: slightly below 1, lower at high |eta| and low pt.
    vals = []
    for i in range(len(abseta) - 1):
        for j in range(len(pt) - 1):
            v = 0.985 - 0.01 * i - 0.02 / (j + 1) + shift * (0.005 + 0.002 * i)
            vals.append(round(v, 6))
    return vals


def sf_for(shift):
    return cs.MultiBinning(
        nodetype="multibinning",
        inputs=["abseta", "pt"],
        edges=[abseta, pt],
        content=sf_grid(shift),
        flow="clamp",
    )


muon = cs.Correction(
    name="toy_muon_id_sf",
    description="TOY tight-ID muon scale factor (invented numbers)",
    version=1,
    inputs=[
        cs.Variable(name="abseta", type="real", description="|eta| of the muon"),
        cs.Variable(name="pt", type="real", description="pt of the muon [GeV]"),
        cs.Variable(name="scale_factors", type="string", description="nominal, systup or systdown"),
    ],
    output=cs.Variable(name="weight", type="real"),
    data=cs.Category(
        nodetype="category",
        input="scale_factors",
        content=[
            cs.CategoryItem(key="nominal", value=sf_for(0)),
            cs.CategoryItem(key="systup", value=sf_for(1)),
            cs.CategoryItem(key="systdown", value=sf_for(-1)),
        ],
    ),
)

eta = [-5.0, -2.5, -1.3, 0.0, 1.3, 2.5, 5.0]
params = [(1.06, -0.35), (1.03, -0.2), (1.01, -0.1), (1.01, -0.1), (1.03, -0.2), (1.06, -0.35)]
jec = cs.Correction(
    name="toy_jec",
    description="TOY jet energy correction factor (invented numbers)",
    version=1,
    inputs=[
        cs.Variable(name="eta", type="real", description="jet eta"),
        cs.Variable(name="pt", type="real", description="jet pt [GeV]"),
    ],
    output=cs.Variable(name="factor", type="real"),
    data=cs.Binning(
        nodetype="binning",
        input="eta",
        edges=eta,
        content=[
            cs.Formula(
                nodetype="formula",
                expression="[0] + [1] / sqrt(x)",
                parser="TFormula",
                variables=["pt"],
                parameters=list(p),
            )
            for p in params
        ],
        flow="clamp",
    ),
)

for name, corr, zipped in [("toy_muon_sf.json.gz", muon, True), ("toy_jec.json", jec, False)]:
    cset = cs.CorrectionSet(schema_version=2, description="TOY corrections", corrections=[corr])
    text = cset.model_dump_json(exclude_unset=True, indent=1)
    path = os.path.join(out, name)
    if zipped:
        # mtime=0: the same bytes on every run.
        with open(path, "wb") as f:
            f.write(gzip.compress(text.encode(), mtime=0))
    else:
        with open(path, "w") as f:
            f.write(text + "\n")
    print("wrote", path)

#!/usr/bin/env python3
"""The IRIS-HEP AGC CMS ttbar analysis (lepton + jets, NanoAOD) with ROOT RDataFrame via PyROOT.

An independent peer implementation for cross-checking anac's `analyses/ttbar/ttbar.ana`
(spec: docs/agc-ttbar.md). Written in the style of the AGC RDataFrame reference: C++ column
definitions on ROOT::VecOps::RVec, `Vary("Jet_pt", ...)` for the jet-kinematic variations,
`Vary("Weights", ...)` for the weight variations, `VariationsFor` on every histogram and one
`RunGraphs` call that runs one event loop per input sample.

    python3 benches/peers/agc_rdf.py ../shared/data/agc-small/fileset.yaml -o OUT.json \
        [--max-files N] [--smearing deterministic] [-j N] [--root OUT.root]

Tested with PyPI `root==0.1a12` (ROOT 6.40).

Numerical conventions (shared with anac so the outputs agree bin by bin):
- every float32 branch used in arithmetic is converted to double first; all arithmetic is double
  (HT is the in-order double sum of the selected jets' pt);
- four-vectors are written out by hand (no ROOT::Math vectors): px = pt cos(phi),
  py = pt sin(phi), pz = pt sinh(eta), p = pt cosh(eta), E = sqrt(p^2 + m^2); the trijet sums
  are ((a + b) + c); mass = sign(m2) sqrt(|m2|), m2 = E^2 - (px^2 + py^2 + pz^2);
- the sample weight is (xsec * lumi) / nevts with nevts = the entries of the files processed;
- `pt_res_up` only with `--smearing deterministic`: r = 1 + 0.05 * Phi^-1(0.001 *
  (floor(pt * 1000) mod 1000) + 0.0005) with ROOT::Math::normal_quantile (pt the double nominal pt);
- histograms are TH1D(25, 50, 550) with Sumw2; ROOT's bin lookup
  (bin = 1 + int(25 * (x - 50) / 500)) can differ from boost-histogram's for values within
  rounding of a bin edge.
- the C++ helpers are compiled with floating-point contraction off (no fused multiply-add).
"""

import argparse
import json
import os
import sys
import time
import warnings

import yaml

warnings.filterwarnings("ignore", message=r"(?s).*alpha stage")
import ROOT  # noqa: E402

LUMI = 3378.0
BTAG_WP = 0.5
NBINS, XMIN, XMAX = 25, 50.0, 550.0

CPP_HELPERS = r"""
#include <cmath>
#include <cstddef>
#include "ROOT/RVec.hxx"
#include "Math/QuantFuncMathCore.h"

#pragma clang fp contract(off)

namespace agc {
using ROOT::RVecD;

template <typename T>
RVecD to_double(const ROOT::RVec<T> &v) { return RVecD(v.begin(), v.end()); }

// Deterministic cross-check smearing of every jet: r = 1 + 0.05 * Phi^-1(u),
// u = 0.001 * (floor(pt * 1000) mod 1000) + 0.0005, all in double.
RVecD pt_res_deterministic(const RVecD &pt)
{
   RVecD out(pt.size());
   for (std::size_t i = 0; i < pt.size(); ++i) {
      const double digits = std::fmod(std::floor(pt[i] * 1000.0), 1000.0);
      const double u = (0.001 * digits) + 0.0005;
      const double r = 1.0 + (0.05 * ROOT::Math::normal_quantile(u, 1.0));
      out[i] = pt[i] * r;
   }
   return out;
}

double sum_in_order(const RVecD &v)
{
   double s = 0.0;
   for (double x : v) s += x;
   return s;
}

// btag weight factor of the i-th selected jet: 1 + sign * ((0.075 * pt_i) / 50).
// Only used behind the four-jet cut; a missing jet gives 1.
double btag_factor(const RVecD &pt_sel, std::size_t i, int sign)
{
   if (i >= pt_sel.size()) return 1.0;
   const double d = (0.075 * pt_sel[i]) / 50.0;
   return sign > 0 ? 1.0 + d : 1.0 - d;
}

// m_bjj: among all 3-combinations i < j < k of the selected jets (file order) whose largest
// btag is above the working point, the one with the largest vector-sum pt (first on ties).
double trijet_mass(const RVecD &pt, const RVecD &eta, const RVecD &phi, const RVecD &mass,
                   const RVecD &btag, double wp)
{
   const std::size_t n = pt.size();
   RVecD px(n), py(n), pz(n), e(n);
   for (std::size_t a = 0; a < n; ++a) {
      px[a] = pt[a] * std::cos(phi[a]);
      py[a] = pt[a] * std::sin(phi[a]);
      pz[a] = pt[a] * std::sinh(eta[a]);
      const double p = pt[a] * std::cosh(eta[a]);
      e[a] = std::sqrt(p * p + mass[a] * mass[a]);
   }
   double best_pt = -1.0;
   double best_mass = std::nan("");
   for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = i + 1; j < n; ++j)
         for (std::size_t k = j + 1; k < n; ++k) {
            const double bmax = std::max(std::max(btag[i], btag[j]), btag[k]);
            if (!(bmax > wp)) continue;
            const double sx = (px[i] + px[j]) + px[k];
            const double sy = (py[i] + py[j]) + py[k];
            const double sz = (pz[i] + pz[j]) + pz[k];
            const double se = (e[i] + e[j]) + e[k];
            const double spt = std::sqrt(sx * sx + sy * sy);
            if (spt > best_pt) {
               best_pt = spt;
               const double m2 = se * se - ((sx * sx + sy * sy) + sz * sz);
               best_mass = m2 >= 0 ? std::sqrt(m2) : -std::sqrt(-m2);
            }
         }
   return best_mass;
}
} // namespace agc
"""


def load_fileset(path, max_files):
    """[(process, variation, [file paths], nevts, xsec)] in the YAML's order."""
    with open(path) as f:
        fileset = yaml.safe_load(f)
    base = os.path.dirname(os.path.abspath(path))
    samples = []
    for process, variations in fileset.items():
        for variation, spec in variations.items():
            files = spec["files"]
            if max_files is not None:
                files = files[:max_files]
            paths = [os.path.join(base, fi["path"]) for fi in files]
            nevts = sum(int(fi["nevts"]) for fi in files)
            samples.append((process, variation, paths, nevts, float(spec["xsec"])))
    return samples


def book_sample(process, variation, paths, nevts, xsec, smearing):
    """Book both regions' histograms of one sample; returns ({region: RResultMap}, count)."""
    df = ROOT.RDataFrame("Events", ROOT.std.vector("std::string")(paths))
    count = df.Count()
    nominal_sample = variation == "nominal"

    # float32 -> double before any arithmetic
    for col in ["Jet_pt", "Jet_eta", "Jet_phi", "Jet_mass", "Jet_btagCSVV2",
                "Electron_pt", "Electron_eta", "Electron_sip3d",
                "Muon_pt", "Muon_eta", "Muon_sip3d", "Muon_pfRelIso04_all"]:
        df = df.Redefine(col, f"agc::to_double({col})")
    # the nominal jet pt for the btag weights: defined before the Vary below, so RDF does not
    # vary it (checked: VariationsFor of a histogram of it has only "nominal")
    df = df.Define("Jet_pt_nominal", "Jet_pt")

    if nominal_sample:
        exprs, tags = ["Jet_pt * 1.03"], ["pt_scale_up"]
        if smearing == "deterministic":
            exprs.append("agc::pt_res_deterministic(Jet_pt)")
            tags.append("pt_res_up")
        df = df.Vary("Jet_pt", "ROOT::RVec<ROOT::RVecD>{" + ", ".join(exprs) + "}",
                     tags, "jet_pt")

    # object selection
    df = (
        df.Define("Electron_mask",
                  "Electron_pt > 30 && abs(Electron_eta) < 2.1 && Electron_cutBased == 4"
                  " && Electron_sip3d < 4")
        .Define("Muon_mask",
                "Muon_pt > 30 && abs(Muon_eta) < 2.1 && Muon_tightId && Muon_sip3d < 4"
                " && Muon_pfRelIso04_all < 0.15")
        .Define("Jet_mask", "Jet_pt > 30 && abs(Jet_eta) < 2.4 && Jet_jetId == 6")
        .Define("Jet_pt_sel", "Jet_pt[Jet_mask]")
        .Define("Jet_btag_sel", "Jet_btagCSVV2[Jet_mask]")
        .Define("n_leptons", "Sum(Electron_mask) + Sum(Muon_mask)")
        .Define("n_jets", "Sum(Jet_mask)")
        .Define("n_bjets", f"Sum(Jet_btag_sel > {BTAG_WP!r})")
    )

    # weights: (xsec * lumi) / nevts, computed in Python doubles in exactly that order
    weight = (xsec * LUMI) / float(nevts)
    df = df.Define("Weights", f"{weight!r}")
    if nominal_sample:
        # nominal selection's jets, independent of the Jet_pt variations
        df = df.Define(
            "Jet_pt_nominal_sel",
            "Jet_pt_nominal[Jet_pt_nominal > 30 && abs(Jet_eta) < 2.4 && Jet_jetId == 6]")
        for i in range(4):
            df = df.Vary(
                "Weights",
                f"ROOT::RVecD{{Weights * agc::btag_factor(Jet_pt_nominal_sel, {i}, 1),"
                f" Weights * agc::btag_factor(Jet_pt_nominal_sel, {i}, -1)}}",
                ["up", "down"], f"btag_var_{i}")
        if process == "wjets":
            df = df.Vary("Weights", "ROOT::RVecD{Weights * 1.025, Weights * 0.975}",
                         ["up", "down"], "scale_var")

    # event selection and regions
    df = df.Filter("n_leptons == 1", "exactly one lepton").Filter("n_jets >= 4",
                                                                  "at least four jets")
    results = {}
    d1 = df.Filter("n_bjets == 1", "exactly one b jet").Define(
        "HT", "agc::sum_in_order(Jet_pt_sel)")
    h1 = d1.Histo1D(("4j1b", "H_T", NBINS, XMIN, XMAX), "HT", "Weights")
    d2 = df.Filter("n_bjets >= 2", "at least two b jets").Define(
        "m_bjj",
        f"agc::trijet_mass(Jet_pt_sel, Jet_eta[Jet_mask], Jet_phi[Jet_mask],"
        f" Jet_mass[Jet_mask], Jet_btag_sel, {BTAG_WP!r})")
    h2 = d2.Histo1D(("4j2b", "m_bjj", NBINS, XMIN, XMAX), "m_bjj", "Weights")
    results["4j1b"] = (h1, ROOT.RDF.Experimental.VariationsFor(h1))
    results["4j2b"] = (h2, ROOT.RDF.Experimental.VariationsFor(h2))
    return results, count


def variation_suffix(key):
    """RDF variation key -> AGC suffix: 'jet_pt:pt_scale_up' -> 'pt_scale_up',
    'btag_var_0:up' -> 'btag_var_0_up'."""
    if key == "nominal":
        return None
    name, tag = key.split(":", 1)
    return tag if name == "jet_pt" else f"{name}_{tag}"


def hist_to_dict(h):
    n = h.GetNbinsX()
    axis = h.GetXaxis()
    sumw2 = h.GetSumw2()
    assert sumw2.GetSize() == n + 2, "Sumw2 missing"
    return {
        "edges": [axis.GetBinLowEdge(i) for i in range(1, n + 2)],
        "contents": [h.GetBinContent(i) for i in range(0, n + 2)],
        "variances": [sumw2.At(i) for i in range(0, n + 2)],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("fileset")
    ap.add_argument("-o", "--output", required=True, help="output JSON")
    ap.add_argument("--max-files", type=int, default=None)
    ap.add_argument("--smearing", choices=["deterministic"], default=None,
                    help="produce pt_res_up with the deterministic cross-check rule")
    ap.add_argument("-j", type=int, default=1, help="threads (ROOT.EnableImplicitMT when > 1)")
    ap.add_argument("--root", default=None, help="also write the TH1Ds to this ROOT file")
    args = ap.parse_args()

    t_start = time.perf_counter()
    ROOT.gROOT.SetBatch(True)
    ROOT.TH1.AddDirectory(False)
    ROOT.TH1.SetDefaultSumw2(True)
    if args.j > 1:
        ROOT.EnableImplicitMT(args.j)
    if not ROOT.gInterpreter.Declare(CPP_HELPERS):
        sys.exit("agc_rdf: C++ helpers failed to compile")

    samples = load_fileset(args.fileset, args.max_files)
    booked = []
    for process, variation, paths, nevts, xsec in samples:
        res, count = book_sample(process, variation, paths, nevts, xsec, args.smearing)
        booked.append((process, variation, nevts, res, count))

    book_seconds = time.perf_counter() - t_start  # ROOT 6.40 jits the C++ strings here
    handles = [h for *_, res, _ in booked for (h, _) in res.values()]
    t_loop = time.perf_counter()
    ROOT.RDF.RunGraphs(handles)
    loop_seconds = time.perf_counter() - t_loop

    hists = {}
    total_events = 0
    for process, variation, nevts, res, count in booked:
        n = count.GetValue()
        total_events += n
        if n != nevts:
            print(f"agc_rdf: warning: {process}/{variation} has {n} entries, "
                  f"the fileset says {nevts}", file=sys.stderr)
        for region, (_, varmap) in res.items():
            for key in varmap.GetKeys():
                key = key.decode() if isinstance(key, bytes) else str(key)
                suffix = variation_suffix(key)
                if variation != "nominal":
                    assert suffix is None
                    suffix = variation
                name = f"{region}_{process}" + (f"_{suffix}" if suffix else "")
                h = varmap[key].Clone(name)
                h.SetTitle(name)
                hists[name] = h

    for region in ("4j1b", "4j2b"):
        me = hists.get(f"{region}_ttbar_ME_var")
        ps = hists.get(f"{region}_ttbar_PS_var")
        wj = hists.get(f"{region}_wjets")
        if me is None or ps is None or wj is None:
            continue
        pseudo = me.Clone(f"{region}_pseudodata")
        pseudo.SetTitle(pseudo.GetName())
        pseudo.Add(ps)
        pseudo.Scale(0.5)
        pseudo.Add(wj)
        hists[pseudo.GetName()] = pseudo

    out = {name: hist_to_dict(hists[name]) for name in sorted(hists)}
    with open(args.output, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    if args.root:
        rf = ROOT.TFile.Open(args.root, "RECREATE")
        for name in sorted(hists):
            hists[name].Write(name)
        rf.Close()

    total_seconds = time.perf_counter() - t_start
    print(f"agc_rdf: {len(out)} histograms, {total_events} events, threads {max(args.j, 1)}: "
          f"start-up and booking (incl. JIT) {book_seconds:.3f} s, event loop "
          f"{loop_seconds:.3f} s = {total_events / loop_seconds:.0f} events/s; "
          f"total {total_seconds:.3f} s = {total_events / total_seconds:.0f} events/s",
          file=sys.stderr)


if __name__ == "__main__":
    main()

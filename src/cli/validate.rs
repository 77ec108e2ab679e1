//! `anac validate RESULTS --reference REF.json [--rtol X] [-k K] [--dump-json OUT]`: compares a
//! results folder of `anac run` with a reference in the AGC's format (`runtime::validate`).
//!
//! Exit codes as `check`: 0 every reference histogram agrees (edge migrations allowed and
//! listed), 1 a histogram is missing or differs, 2 a file cannot be read or parsed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Value, json};

use crate::runtime::validate::{Finding, RefHist, compare, from_results, parse_reference};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A results folder written by `anac run`, or a ROOT file of histograms (`histograms.root`).
    pub results: PathBuf,
    /// The reference histograms: `{name: {edges, contents[, variances]}}`, flow bins included.
    #[arg(long, value_name = "REF.json", required_unless_present = "dump_json")]
    pub reference: Option<PathBuf>,
    /// Relative tolerance per bin.
    #[arg(long, default_value_t = 1e-6)]
    pub rtol: f64,
    /// Neighbouring bins may differ by at most K times the largest single-event weight (an event
    /// that crossed a bin edge through rounding) when their sums agree.
    #[arg(short, default_value_t = 1.0)]
    pub k: f64,
    /// Write the results' 1-D histograms in the reference format to this file.
    #[arg(long, value_name = "OUT.json")]
    pub dump_json: Option<PathBuf>,
}

use super::Failure;
use crate::io::text::read_json;

pub fn run(args: Args) -> ExitCode {
    match validate(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(super::EXIT_ERRORS),
        Err(e) => e.report(),
    }
}

/// Our side of the comparison: the histograms, and the largest single-event weight of each.
struct Ours {
    hists: BTreeMap<String, RefHist>,
    weights: BTreeMap<String, f64>,
}

/// A results folder: the histograms of `histograms.json`; the event weight of each from its
/// sample (process and sample variation; a `vary` variation's sample is the nominal one) in
/// `provenance.json`, the largest of any sample for a derived histogram such as pseudodata.
fn from_folder(dir: &std::path::Path) -> Result<Ours, Failure> {
    let hist_json = read_json(&dir.join("histograms.json"))?;
    let hists: BTreeMap<String, RefHist> = from_results(&hist_json).into_iter().collect();
    let prov = read_json(&dir.join("provenance.json"))?;
    let mut by_sample: BTreeMap<(String, String), f64> = BTreeMap::new();
    for s in prov["samples"].as_array().map_or(&[][..], |a| a.as_slice()) {
        let (Some(p), Some(v), Some(w)) = (
            s["process"].as_str(),
            s["variation"].as_str(),
            s["max_event_weight"].as_f64(),
        ) else {
            continue;
        };
        by_sample.insert((p.to_string(), v.to_string()), w);
    }
    let largest = by_sample.values().copied().fold(0.0, f64::max);
    let weights = hists
        .keys()
        .map(|name| {
            let meta = &hist_json[name]["metadata"];
            let process = meta["process"].as_str().unwrap_or("").to_string();
            let variation = meta["variation"].as_str().unwrap_or("").to_string();
            let w = by_sample
                .get(&(process.clone(), variation))
                .or_else(|| by_sample.get(&(process, "nominal".to_string())))
                .copied()
                .unwrap_or(largest);
            (name.clone(), w)
        })
        .collect();
    Ok(Ours { hists, weights })
}

/// A bare ROOT file (anac's `histograms.root` or another tool's): its 1-D histograms. Without a
/// provenance the event weight of each histogram is estimated from its variances: the largest
/// Σw²/Σw of a bin (exact when a bin's events share one weight; 1 without variances).
fn from_root(path: &std::path::Path) -> Result<Ours, Failure> {
    let file = crate::io::root::RootFile::open(path).map_err(|e| Failure::input(e.to_string()))?;
    let read = file
        .histograms_1d()
        .map_err(|e| Failure::input(e.to_string()))?;
    let mut ours = Ours {
        hists: BTreeMap::new(),
        weights: BTreeMap::new(),
    };
    for h in read {
        let w = match &h.sumw2 {
            Some(v2) => h
                .sumw
                .iter()
                .zip(v2)
                .filter(|(w, _)| **w > 0.0)
                .map(|(w, w2)| w2 / w)
                .fold(0.0, f64::max),
            None => 1.0,
        };
        ours.weights.insert(h.name.clone(), w);
        ours.hists.insert(
            h.name,
            RefHist {
                edges: h.edges,
                contents: h.sumw,
                variances: h.sumw2,
            },
        );
    }
    crate::errln!(
        "validate: `{}` is a ROOT file without a provenance: each histogram's event weight (for \
         edge migrations) is estimated as the largest sum of squared weights over sum of weights \
         of its bins",
        path.display()
    );
    Ok(ours)
}

fn validate(args: &Args) -> Result<bool, Failure> {
    let ours = if args.results.is_file() || args.results.extension().is_some_and(|e| e == "root") {
        from_root(&args.results)?
    } else {
        from_folder(&args.results)?
    };
    if let Some(out) = &args.dump_json {
        let doc: BTreeMap<&String, Value> = ours
            .hists
            .iter()
            .map(|(n, h)| {
                (
                    n,
                    json!({"edges": h.edges, "contents": h.contents, "variances": h.variances}),
                )
            })
            .collect();
        let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
        std::fs::write(out, text + "\n")
            .map_err(|e| format!("cannot write `{}`: {e}", out.display()))?;
        crate::errln!("wrote {} histograms to {}", doc.len(), out.display());
    }
    let Some(reference) = &args.reference else {
        return Ok(true);
    };
    let refs = parse_reference(&read_json(reference)?)
        .map_err(|e| Failure::input(format!("`{}`: {e}", reference.display())))?;
    let (mut failed, mut migrations) = (0, 0);
    for (name, r) in &refs {
        let Some(h) = ours.hists.get(name) else {
            crate::outln!("MISSING {name}");
            failed += 1;
            continue;
        };
        let w = ours.weights[name];
        for f in compare(h, r, args.rtol, args.k, w) {
            match f {
                Finding::Missing => {}
                Finding::Edges(m) => {
                    crate::outln!("EDGES {name}: {m}");
                    failed += 1;
                }
                Finding::Bins {
                    what,
                    first,
                    last,
                    ours,
                    reference,
                } => {
                    crate::outln!(
                        "DIFFERS {name} {what} bins {first}..={last}: {ours} vs reference {reference}"
                    );
                    failed += 1;
                }
                Finding::Migration { first, last, diff } => {
                    crate::outln!(
                        "MIGRATION {name} bins {first}..={last}: sums agree, largest difference {diff} \
                         <= {} x event weight {w}",
                        args.k
                    );
                    migrations += 1;
                }
            }
        }
    }
    crate::outln!(
        "validate: {} reference histograms, {failed} failures, {migrations} edge migrations",
        refs.len()
    );
    Ok(failed == 0)
}

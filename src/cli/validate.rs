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
    /// A results folder written by `anac run`.
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

fn validate(args: &Args) -> Result<bool, Failure> {
    let ours: BTreeMap<String, RefHist> =
        from_results(&read_json(&args.results.join("histograms.json"))?)
            .into_iter()
            .collect();
    if let Some(out) = &args.dump_json {
        let doc: BTreeMap<&String, Value> = ours
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
    // The size of one event: the largest single-event weight of the histogram's sample (process
    // and sample variation; a `vary` variation's sample is the nominal one).
    let prov = read_json(&args.results.join("provenance.json"))?;
    let mut weights: BTreeMap<(String, String), f64> = BTreeMap::new();
    for s in prov["samples"].as_array().map_or(&[][..], |a| a.as_slice()) {
        let (Some(p), Some(v), Some(w)) = (
            s["process"].as_str(),
            s["variation"].as_str(),
            s["max_event_weight"].as_f64(),
        ) else {
            continue;
        };
        weights.insert((p.to_string(), v.to_string()), w);
    }
    let largest = weights.values().copied().fold(0.0, f64::max);
    let hist_meta = read_json(&args.results.join("histograms.json"))?;
    let (mut failed, mut migrations) = (0, 0);
    for (name, r) in &refs {
        let Some(h) = ours.get(name) else {
            crate::outln!("MISSING {name}");
            failed += 1;
            continue;
        };
        let meta = &hist_meta[name]["metadata"];
        let process = meta["process"].as_str().unwrap_or("").to_string();
        let variation = meta["variation"].as_str().unwrap_or("").to_string();
        // A derived histogram (pseudodata) mixes samples: the largest weight of any.
        let w = weights
            .get(&(process.clone(), variation))
            .or_else(|| weights.get(&(process, "nominal".to_string())))
            .copied()
            .unwrap_or(largest);
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

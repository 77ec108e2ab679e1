//! The text summary at the end of `anac run`: the cutflow of every sample, events per region,
//! fills skipped for absent values and NaN fills, and where the results went.

use std::fmt::Write;
use std::path::Path;

use crate::runtime::Prepared;
use crate::runtime::engine::JobResult;
use crate::runtime::results::Results;

pub fn text(p: &Prepared, results: &Results, jobs: &[JobResult], out: &Path) -> String {
    let plan = &p.plan;
    let mut s = String::new();
    // The cutflow: one row per cut, one column per sample (raw counts; weighted in cutflow.json).
    let mut labels: Vec<String> = vec!["all events".into()];
    labels.extend(
        plan.cuts
            .iter()
            .filter(|c| c.region.is_none())
            .map(|c| c.label.clone()),
    );
    for r in &plan.regions {
        labels.extend(
            plan.cuts
                .iter()
                .filter(|c| c.region.as_deref() == Some(&r.name))
                .map(|c| format!("{}: {}", r.name, c.label)),
        );
    }
    let width = labels.iter().map(|l| l.len()).max().unwrap_or(10).max(10);
    let _ = writeln!(
        s,
        "cutflow (events after each cut; weighted counts in cutflow.json)"
    );
    let _ = write!(s, "  {:width$}", "");
    for (proc_, var, _) in &results.cutflows {
        let _ = write!(s, " {:>14}", short(&format!("{proc_}/{var}"), 14));
    }
    let _ = writeln!(s);
    for (i, label) in labels.iter().enumerate() {
        let _ = write!(s, "  {label:width$}");
        for (_, _, cf) in &results.cutflows {
            let n = cf
                .common
                .iter()
                .chain(cf.regions.iter().flatten())
                .nth(i)
                .map_or(0, |r| r.0);
            let _ = write!(s, " {n:>14}");
        }
        let _ = writeln!(s);
    }
    let skipped: u64 = results.hists.iter().map(|h| h.skipped).sum();
    let nan: u64 = results.hists.iter().map(|h| h.nan).sum();
    if skipped > 0 {
        let _ = writeln!(s, "fills skipped because the value was absent:");
        for h in results
            .hists
            .iter()
            .filter(|h| h.skipped > 0 && h.variation == "nominal")
        {
            let _ = writeln!(s, "  {:40} {}", h.name, h.skipped);
        }
    }
    if nan > 0 {
        let _ = writeln!(s, "NaN values filled into overflow bins: {nan}");
        for h in results
            .hists
            .iter()
            .filter(|h| h.nan > 0 && h.variation == "nominal")
        {
            let _ = writeln!(s, "  {:40} {}", h.name, h.nan);
        }
    }
    let events: u64 = jobs.iter().map(|j| j.events).sum();
    let _ = writeln!(
        s,
        "{} histograms, {} counters, {} event lists from {} samples ({} events, {} work units) in {}",
        results.hists.len(),
        results.counters.len(),
        results.collects.len(),
        jobs.len(),
        events,
        p.units.units.len(),
        out.display()
    );
    if !results.skims.is_empty() {
        let rows: usize = results.skims.iter().map(|k| k.value.events()).sum();
        let _ = writeln!(
            s,
            "{} skim trees ({} events) in {}",
            results.skims.len(),
            rows,
            out.join("skims.root").display()
        );
    }
    s
}

fn short(x: &str, n: usize) -> String {
    if x.chars().count() <= n {
        x.to_string()
    } else {
        let tail: String = x
            .chars()
            .rev()
            .take(n - 1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("…{tail}")
    }
}

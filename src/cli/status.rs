//! `anac status DIR`: what a store holds — units done, running, interrupted, failed and pending,
//! with their events, who ran them and the rate — from `store.json`, the committed unit files and
//! the `history/` markers the runs leave. Usable while runs (a Slurm array) are filling the store.

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The store folder.
    pub store: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    let desc = match crate::runtime::store::describe(&args.store) {
        Ok(v) => v,
        Err(e) => return super::Failure::from(e).report(),
    };
    let units = desc["units"].as_array().cloned().unwrap_or_default();
    let committed = match crate::runtime::store::committed_units(&args.store) {
        Ok(c) => c,
        Err(e) => return super::Failure::input(e).report(),
    };
    let history = read_history(&args.store.join("history"));
    let here = crate::runtime::store::Worker::current().host;
    let (mut done, mut events_done, mut events_all, mut busy) = (0usize, 0u64, 0u64, 0.0f64);
    let (mut first, mut last) = (f64::INFINITY, 0.0f64);
    let mut lines = Vec::new();
    let mut counts = [0usize; 4]; // running, interrupted, failed, pending
    for u in &units {
        let id = u["id"].as_str().unwrap_or("");
        let n = match (u["entries"][0].as_u64(), u["entries"][1].as_u64()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => 0,
        };
        events_all += n;
        let what = format!(
            "{id} {}/{} {} entries {}..{}",
            u["process"].as_str().unwrap_or("?"),
            u["variation"].as_str().unwrap_or("?"),
            u["file"].as_str().unwrap_or("?"),
            u["entries"][0],
            u["entries"][1]
        );
        let recs: Vec<&(String, serde_json::Value)> =
            history.iter().filter(|(_, r)| r["unit"] == id).collect();
        let who = |r: &serde_json::Value| {
            let slurm = r["slurm_job"]
                .as_str()
                .map_or(String::new(), |j| format!(", Slurm job {j}"));
            format!(
                "on {} pid {}{slurm}",
                r["host"].as_str().unwrap_or("?"),
                r["pid"]
            )
        };
        if committed.contains_key(id) {
            done += 1;
            events_done += n;
            if let Some((_, r)) = recs.iter().find(|(s, _)| s == "done") {
                busy += r["seconds"].as_f64().unwrap_or(0.0);
                let end = r["time"].as_f64().unwrap_or(0.0);
                let start = end - r["seconds"].as_f64().unwrap_or(0.0);
                first = first.min(start);
                last = last.max(end);
            }
            continue;
        }
        if let Some((_, r)) = recs.iter().find(|(s, _)| s == "running") {
            // On this host a dead process is known to have stopped (killed, crashed).
            let alive = r["host"].as_str() != Some(here.as_str())
                || std::path::Path::new(&format!("/proc/{}", r["pid"])).exists();
            if alive {
                counts[0] += 1;
                lines.push(format!("  running     {what} ({})", who(r)));
            } else {
                counts[1] += 1;
                lines.push(format!(
                    "  interrupted {what} ({}, which stopped before committing it)",
                    who(r)
                ));
            }
        } else if let Some((_, r)) = recs.iter().find(|(s, _)| s == "failed") {
            counts[2] += 1;
            lines.push(format!(
                "  failed      {what} ({}): {}",
                who(r),
                r["error"].as_str().unwrap_or("?")
            ));
        } else {
            counts[3] += 1;
            lines.push(format!("  pending     {what}"));
        }
    }
    crate::outln!(
        "store {} (analysis {}, identity {}): {done} of {} units done, {events_done} of {events_all} events",
        args.store.display(),
        desc["analysis"].as_str().unwrap_or("?"),
        desc["identity"].as_str().unwrap_or("?"),
        units.len()
    );
    crate::outln!(
        "  {} running, {} interrupted, {} failed, {} pending",
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    );
    if busy > 0.0 && last > first {
        let span = last - first;
        crate::outln!(
            "  rate: {:.0} events/s per worker, {:.0} events/s overall (done units ran over {span:.1} s)",
            events_done as f64 / busy,
            events_done as f64 / span,
        );
    }
    for l in lines {
        crate::outln!("{l}");
    }
    ExitCode::SUCCESS
}

/// The history markers of a store: (state, record) from `history/UNIT.STATE.HOST.PID.json`.
fn read_history(dir: &std::path::Path) -> Vec<(String, serde_json::Value)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(state) = name.split('.').nth(1) else {
            continue;
        };
        if let Ok(text) = crate::io::text::read_text(&e.path())
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
        {
            out.push((state.to_string(), v));
        }
    }
    out
}

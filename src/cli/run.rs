//! `anac run FILE.ana [--samples Y] [-o DIR] [-j N] [--chunk-size N] [--max-files N]
//! [--max-events N] [-q] [--force]`: checks, plans and runs an analysis, then writes its results
//! folder (`crate::io::outputs`) and prints a summary.
//!
//! Exit codes: 0 success; 1 bad input (the analysis, the samples, or a corrupt file met
//! mid-run); 2 usage or I/O (an unreadable analysis file, an unwritable output); 130 on Ctrl-C,
//! with no output written.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use serde_json::json;

use crate::diagnostics::{Diagnostic, render_human_list};
use crate::io::outputs::{self, Outputs, num};
use crate::runtime::engine::{EngineOptions, RunErrorKind};
use crate::runtime::units::{Options as UnitOptions, hex};
use crate::runtime::{self, OUTPUT, PrepareError, Prepared};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The analysis file (`.ana`).
    pub file: PathBuf,
    /// Samples YAML to run on, instead of the one the analysis names.
    #[arg(long, value_name = "FILE.yaml", long_help = super::SAMPLES_HELP)]
    pub samples: Option<PathBuf>,
    /// The results folder (written whole, then renamed into place).
    #[arg(short, long, value_name = "DIR", default_value = "results")]
    pub output: PathBuf,
    /// Worker threads (default: every core).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Entries per chunk at most: how a work unit is subdivided (chunks also end at cluster
    /// boundaries). Never changes results, only memory and speed.
    #[arg(long, value_name = "N", default_value_t = 100_000)]
    pub chunk_size: usize,
    /// Only the first N files of each sample variation (nevts then counts those files).
    #[arg(long, value_name = "N")]
    pub max_files: Option<usize>,
    /// Only the first N events of each sample variation, for a quick look.
    #[arg(long, value_name = "N")]
    pub max_events: Option<u64>,
    /// No progress bar and no summary.
    #[arg(short, long)]
    pub quiet: bool,
    /// Replace the output folder even if anac did not write it.
    #[arg(long)]
    pub force: bool,
    /// Evaluate everything with the reference interpreter (no native kernels).
    #[arg(long)]
    pub interpret: bool,
    /// Benchmark the reader: read and decompress every branch the analysis needs, on the same
    /// work units and threads, compute nothing and write nothing.
    #[arg(long)]
    pub read_only: bool,
    /// Commit each finished work unit to this store; a run started again with the same store
    /// skips the units already there (resume after a crash or a kill).
    #[arg(long, value_name = "DIR")]
    pub store: Option<PathBuf>,
    /// Empty a store made for another analysis or other inputs instead of refusing it.
    #[arg(long, requires = "store")]
    pub force_new: bool,
    /// Commit finished units to the store N at a time (default: by time, about once a second,
    /// so that many small units do not cost a flush to disk each; 1 commits every unit alone).
    #[arg(long, value_name = "N", requires = "store", value_parser = clap::value_parser!(u32).range(1..))]
    pub batch: Option<u32>,
    /// Run only these work units (ids from `anac plan`, comma-separated) into the store, and
    /// write no results: `anac merge` writes them when all units are done.
    #[arg(
        long,
        value_name = "ID,ID,...",
        value_delimiter = ',',
        requires = "store"
    )]
    pub units: Vec<String>,
    /// (Used by `anac merge`.) Compute nothing: every result comes from the store.
    #[arg(skip)]
    pub merge_only: bool,
    /// (Used by `anac merge --partial`.) Units missing from the store are left out, and the
    /// results say so.
    #[arg(skip)]
    pub partial: bool,
    /// (Used by `anac merge --icechunk`.) Also commit the histograms to this icechunk repository.
    #[arg(skip)]
    pub icechunk: Option<PathBuf>,
}

fn render(diags: &[Diagnostic]) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    crate::err!("{}", render_human_list(diags, color));
}

pub fn run(args: Args) -> ExitCode {
    if args.chunk_size == 0 || args.jobs == Some(0) {
        crate::errln!("error: --chunk-size and -j must be at least 1");
        return ExitCode::from(super::EXIT_USAGE);
    }
    let t_start = Instant::now();
    let unit_opts = UnitOptions {
        max_files: args.max_files,
        max_events: args.max_events,
    };
    let mut prepared = match runtime::prepare(&args.file, args.samples.as_deref(), &unit_opts) {
        Ok(p) => p,
        Err(PrepareError::Input(diags)) => {
            render(&diags);
            crate::errln!("{}", super::check::summary(&diags, &args.file));
            return ExitCode::from(super::EXIT_ERRORS);
        }
        Err(PrepareError::Io(d)) => {
            render(&[*d]);
            return ExitCode::from(super::EXIT_USAGE);
        }
    };
    if !args.quiet {
        render(&prepared.warnings);
        for w in &prepared.units.warnings {
            crate::errln!("warning: {w}");
        }
    }
    let t_compiled = Instant::now();
    let threads = args.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let total: u64 = prepared
        .units
        .units
        .iter()
        .map(|u| u.range.end - u.range.start)
        .sum();
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let c = cancel.clone();
        // Without a handler (e.g. one already installed in tests) Ctrl-C simply kills the process,
        // which also leaves no output behind.
        let _ = ctrlc::set_handler(move || c.store(true, Ordering::SeqCst));
    }
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(total);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} events  {per_sec}  ETA {eta}  {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_message(format!("{} units", prepared.units.units.len()));
        b
    });
    let progress = |n: u64| {
        if let Some(b) = &bar {
            b.inc(n);
        }
    };
    // Whole-event kernels when the compiler covers the analysis; else the interpreter with
    // native kernels for its scalar expressions.
    let mut native = None;
    let mut kernels = None;
    let mut engine = "interpreter".to_string();
    let mut compile_time = 0.0;
    let mut fallback = None;
    if !args.interpret {
        match crate::codegen::event::compile(&prepared.plan, &crate::runtime::native::HOOKS, false)
        {
            Ok(k) => {
                compile_time = k.compile_time.as_secs_f64();
                engine = format!("native ({} functions)", k.functions);
                native = Some(std::sync::Arc::new(k));
            }
            Err(why) => {
                fallback = Some(why);
                match crate::codegen::compile(&prepared.plan) {
                    Ok(k) => {
                        compile_time = k.compile_time.as_secs_f64();
                        let n = k.by_node.iter().filter(|x| x.is_some()).count();
                        engine = format!("interpreter + {n} native expression kernels");
                        kernels = Some(std::sync::Arc::new(k));
                    }
                    Err(e) => {
                        render(&[
                            Diagnostic::error(runtime::EVAL, format!("internal error: {e}"))
                                .with_help("`anac run --interpret` runs without native kernels"),
                        ]);
                        return ExitCode::from(super::EXIT_ERRORS);
                    }
                }
            }
        }
    }
    let store = match &args.store {
        None => None,
        Some(dir) => {
            let id = crate::runtime::store::identity(&prepared.plan, &prepared.units);
            let origin = crate::runtime::store::Origin {
                analysis: args.file.clone(),
                samples: prepared.samples_path.clone(),
            };
            let opened = crate::runtime::store::Store::open(
                dir,
                &id,
                &prepared.units,
                &origin,
                args.force_new,
            );
            match opened {
                Ok(s) => Some(s.with_batch(args.batch.map(|n| n as usize))),
                Err(e) => {
                    render(&[Diagnostic::error(OUTPUT, e)]);
                    return ExitCode::from(super::EXIT_USAGE);
                }
            }
        }
    };
    // `--units`: only the listed units; `merge`: nothing computed, everything from the store.
    if !args.units.is_empty() {
        let known: Vec<&str> = prepared.units.units.iter().map(|u| u.id.as_str()).collect();
        if let Some(bad) = args.units.iter().find(|u| !known.contains(&u.as_str())) {
            render(&[
                Diagnostic::error(OUTPUT, format!("no work unit `{bad}` in this analysis"))
                    .with_help("list the units with `anac plan FILE.ana -o plan.json`"),
            ]);
            return ExitCode::from(super::EXIT_USAGE);
        }
        prepared.units.units.retain(|u| args.units.contains(&u.id));
    }
    // Units in the store and not (what `--icechunk` records in its commit).
    let mut done_missing: (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    if args.merge_only
        && let Some(st) = &store
    {
        let (done, missing): (Vec<_>, Vec<_>) =
            prepared.units.units.iter().partition(|u| st.has(&u.id));
        done_missing = (
            done.iter().map(|u| u.id.clone()).collect(),
            missing.iter().map(|u| u.id.clone()).collect(),
        );
        let missing: Vec<&str> = missing.iter().map(|u| u.id.as_str()).collect();
        if !missing.is_empty() && !args.partial {
            render(&[Diagnostic::error(
                OUTPUT,
                format!(
                    "{} of {} work units are not in the store yet: {}",
                    missing.len(),
                    prepared.units.units.len(),
                    missing.join(", ")
                ),
            )
            .with_help("run them (`anac run ... --store DIR --units ...`), or merge what is there with --partial")]);
            return ExitCode::from(super::EXIT_ERRORS);
        }
    }
    let opts = EngineOptions {
        threads,
        chunk_size: args.chunk_size,
        kernels,
        native,
        store,
        skip_missing: args.merge_only,
        read_only: args.read_only,
    };
    let executed = runtime::execute(&prepared, &opts, &progress, &cancel);
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let (results, jobs, timing) = match executed {
        Ok(r) => r,
        Err(e) if e.kind == RunErrorKind::Interrupted && cancel.load(Ordering::SeqCst) => {
            crate::errln!("interrupted: no output written");
            return ExitCode::from(130);
        }
        Err(e) => {
            render(&[runtime::run_error_diagnostic(&e)]);
            return ExitCode::from(super::EXIT_ERRORS);
        }
    };
    let t_ran = Instant::now();
    if args.read_only {
        let secs = (t_ran - t_compiled).as_secs_f64();
        let events: u64 = jobs.iter().map(|j| j.events).sum();
        crate::errln!(
            "read only: {events} entries of {} branches in {secs:.2} s ({:.0} entries/s, \
             {threads} threads; read {:.2} s summed over threads); nothing written",
            prepared.plan.branches().len(),
            events as f64 / secs.max(1e-9),
            timing.read.as_secs_f64()
        );
        return ExitCode::SUCCESS;
    }
    if !args.units.is_empty() {
        if !args.quiet {
            crate::errln!(
                "{} work units committed to {}; `anac merge` writes the results",
                prepared.units.units.len(),
                args.store
                    .as_deref()
                    .map_or(String::new(), |p| p.display().to_string())
            );
        }
        return ExitCode::SUCCESS;
    }
    let plan = &prepared.plan;
    let mut files = vec![
        (
            "histograms.json".to_string(),
            outputs::histograms_json(plan, &results),
        ),
        (
            "cutflow.json".to_string(),
            outputs::cutflow_json(plan, &results),
        ),
        (
            "events.json".to_string(),
            outputs::events_json(plan, &results),
        ),
    ];
    let t_merged = Instant::now();
    let timings = json!({
        "check_and_plan_s": (t_compiled - t_start).as_secs_f64(),
        "jit_compile_s": compile_time,
        "run_wall_s": (t_ran - t_compiled).as_secs_f64(),
        "read_s_all_threads": timing.read.as_secs_f64(),
        "compute_s_all_threads": timing.compute.as_secs_f64(),
        "merge_s": (t_merged - t_ran).as_secs_f64(),
    });
    let prov = provenance(&args, &prepared, &jobs, threads, timings, &engine);
    let hjson: serde_json::Value =
        serde_json::from_slice(&files[0].1).unwrap_or(serde_json::Value::Null);
    files.extend(crate::io::plots::make(&hjson, &prov));
    files.push(("provenance.json".to_string(), outputs::pretty(&prov)));
    if cancel.load(Ordering::SeqCst) {
        crate::errln!("interrupted: no output written");
        return ExitCode::from(130);
    }
    if let Err(e) = outputs::write_dir(&args.output, plan, &results, &Outputs { files }, args.force)
    {
        let d = Diagnostic::error(OUTPUT, e.to_string());
        let d = match e {
            outputs::OutputError::Exists(_) => {
                d.with_help("choose another folder with -o, or pass --force")
            }
            _ => d,
        };
        render(&[d]);
        return ExitCode::from(super::EXIT_USAGE);
    }
    if let Some(repo) = &args.icechunk
        && let Err(e) = export_icechunk(repo, &prepared, &results, done_missing, &prov)
    {
        render(&[Diagnostic::error(OUTPUT, e)]);
        return ExitCode::from(super::EXIT_USAGE);
    }
    let t_written = Instant::now();
    if !args.quiet {
        let secs = (t_ran - t_compiled).as_secs_f64();
        let events: u64 = jobs.iter().map(|j| j.events).sum();
        crate::err!(
            "{}",
            super::summary::text(&prepared, &results, &jobs, &args.output)
        );
        if args.merge_only {
            crate::errln!(
                "{events} events merged from the store (nothing computed); check+plan {:.2} s, \
                 merge {:.2} s, write {:.2} s",
                (t_compiled - t_start).as_secs_f64(),
                (t_merged - t_compiled).as_secs_f64(),
                (t_written - t_merged).as_secs_f64(),
            );
        } else {
            crate::errln!(
                "{events} events in {:.2} s ({:.0} events/s, {threads} threads); check+plan {:.2} s, \
             compile {:.1} ms ({engine}), read {:.2} s and compute {:.2} s (summed over \
             threads), merge {:.2} s, write {:.2} s",
                secs,
                events as f64 / secs.max(1e-9),
                (t_compiled - t_start).as_secs_f64(),
                compile_time * 1e3,
                timing.read.as_secs_f64(),
                timing.compute.as_secs_f64(),
                (t_merged - t_ran).as_secs_f64(),
                (t_written - t_merged).as_secs_f64(),
            );
        }
        let http = crate::io::http::process_stats();
        if http.requests > 0 {
            crate::errln!(
                "remote inputs: {} HTTP requests ({} retried), {:.1} MB, {} round trips (summed \
                 over files)",
                http.requests,
                http.retries,
                http.bytes as f64 / 1e6,
                http.round_trips
            );
        }
        if let Some(why) = &fallback {
            crate::errln!(
                "note: ran in the interpreter: the native compiler failed on {why} (a bug in \
                 anac: please report it with the analysis)"
            );
        }
        if args.max_events.is_some() || args.max_files.is_some() {
            let opt = |n: Option<u64>| n.map_or("all".to_string(), |n| n.to_string());
            crate::errln!(
                "note: a partial run (files per sample: {}, events per sample: {}); nevts counts \
                 the events processed",
                opt(args.max_files.map(|n| n as u64)),
                opt(args.max_events)
            );
        }
    }
    ExitCode::SUCCESS
}

/// `anac merge --icechunk REPO`: one commit of the merged histograms, listing the units in it.
#[cfg(feature = "icechunk")]
fn export_icechunk(
    repo: &std::path::Path,
    p: &Prepared,
    results: &crate::runtime::results::Results,
    (units_done, units_missing): (Vec<String>, Vec<String>),
    prov: &serde_json::Value,
) -> Result<(), String> {
    let info = crate::io::icechunk::CommitInfo {
        units_done,
        units_missing,
        provenance: json!({"analysis": prov["analysis"], "samples_file": prov["samples_file"],
                           "inputs": prov["inputs"]}),
    };
    let t = Instant::now();
    let id = crate::io::icechunk::export(repo, &p.plan, results, &info)?;
    crate::errln!(
        "committed {} histograms to the icechunk repository {} (snapshot {id}, {:.2} s)",
        results.hists.len(),
        repo.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Without the `icechunk` feature the flag is refused before anything runs (see `merge`).
#[cfg(not(feature = "icechunk"))]
fn export_icechunk(
    _: &std::path::Path,
    _: &Prepared,
    _: &crate::runtime::results::Results,
    _: (Vec<String>, Vec<String>),
    _: &serde_json::Value,
) -> Result<(), String> {
    Err(super::merge::NO_ICECHUNK.to_string())
}

fn provenance(
    args: &Args,
    p: &Prepared,
    jobs: &[crate::runtime::engine::JobResult],
    threads: usize,
    timings: serde_json::Value,
    engine: &str,
) -> serde_json::Value {
    let text = &p.source.text;
    let inputs: Vec<serde_json::Value> = p
        .units
        .jobs
        .iter()
        .flat_map(|j| {
            j.files.iter().map(move |f| {
                let mut v = json!({"process": j.process, "variation": j.variation,
                       "path": f.path.display().to_string(), "size": f.size,
                       "declared_size": f.declared_size, "entries": f.entries,
                       "uuid": hex(&f.uuid)});
                // The friend trees read with this file (only for samples that have friends).
                if !f.friends.is_empty() {
                    v["friends"] = j
                        .friends
                        .iter()
                        .zip(&f.friends)
                        .map(|(friend, ff)| {
                            json!({"name": friend.name, "tree": friend.tree,
                                   "path": ff.path.display().to_string(), "size": ff.size,
                                   "uuid": hex(&ff.uuid)})
                        })
                        .collect();
                }
                v
            })
        })
        .collect();
    let samples: Vec<serde_json::Value> = p
        .units
        .jobs
        .iter()
        .zip(jobs)
        .map(|(j, r)| {
            json!({"process": j.process, "variation": j.variation, "is_data": j.is_data,
                   "events": r.events, "nevts": j.nevts, "xsec": num(j.xsec),
                   "sumw": j.sumw.map(num),
                   "lumi_mask": j.lumi_mask.as_ref().map(|m| m.path.display().to_string()),
                   "analysed_events": r.cutflow.common.first().map(|c| c.0),
                   "max_event_weight": num(r.max_weight),
                   "outputs": j.outputs.iter().map(|o| o.name.clone()).collect::<Vec<_>>()})
        })
        .collect();
    json!({
        "anac_version": env!("CARGO_PKG_VERSION"),
        "analysis": {
            "path": args.file.display().to_string(),
            "name": p.plan.name,
            "source_xxh64": format!("{:016x}", xxhash_rust::xxh64::xxh64(text.as_bytes(), 0)),
            "plan_xxh64": format!("{:016x}", xxhash_rust::xxh64::xxh64(p.plan.to_string().as_bytes(), 0)),
        },
        "samples_file": p.samples_path.display().to_string(),
        "lumi": p.plan.lumi,
        "kinematic_variations": p.plan.kinematic().map(|v| p.plan.variations[v].name.clone()).collect::<Vec<_>>(),
        "branches_read": p.plan.branches(),
        "inputs": inputs,
        "samples": samples,
        "units": p.units.units.iter().map(|u| json!({
            "id": u.id, "process": p.units.jobs[u.job].process,
            "variation": p.units.jobs[u.job].variation,
            "file": p.units.jobs[u.job].files[u.file].path.display().to_string(),
            "entries": [u.range.start, u.range.end]})).collect::<Vec<_>>(),
        "options": {"threads": threads, "chunk_size": args.chunk_size,
                    "max_files": args.max_files, "max_events": args.max_events,
                    "engine": engine},
        "partial": args.max_files.is_some() || args.max_events.is_some() || args.partial,
        "timings": timings,
    })
}

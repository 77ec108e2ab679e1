//! Running work units: chunks of a unit's entries are loaded, kinematic replacements computed,
//! then every event goes through the nominal analysis (filling the nominal and every weight
//! variation) and once more per kinematic variation. Units run on rayon; each fills its own
//! partial accumulators in entry order, and partials are merged in plan order.
//!
//! Systematics in one event loop: a weight variation reuses the nominal selection and only
//! multiplies the fill weight by its factor; a kinematic variation re-runs the steps in its own
//! context, where replaced fields read the replacement columns and definitions that do not
//! depend on them keep their nominal value (`passes::share`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::accum::{CVal, Cutflow, FillVal, OutputSet, cell, flat, profile_y};
use super::columns::{Chunk, Col, Data};
use super::eval::{Frame, SampleCtx, V};
use super::random;
use super::units::{Job, OutKind, RunPlan, Unit};
use crate::io::root::{RootFile, Scratch};
use crate::io::schema::ScalarType;
use crate::ir::{NodeId, Plan, Step, VariationKind};

/// A problem met while running: the file, the entry when known, and what happened.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct RunError {
    pub kind: RunErrorKind,
    pub message: String,
    pub file: Option<std::path::PathBuf>,
    pub entry: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunErrorKind {
    /// An input file could not be read (corrupt, truncated, inconsistent).
    Input,
    /// A weight factor was absent where something was filled.
    AbsentWeight,
    /// An expression had no value where one is required (e.g. `int` of NaN).
    Eval,
    /// The run was interrupted (Ctrl-C).
    Interrupted,
}

/// Options that change how, never what, is computed.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    pub threads: usize,
    /// Entries per chunk (a subdivision of a unit).
    pub chunk_size: usize,
    /// Native kernels for the plan's scalar expressions (`None`: interpret everything).
    pub kernels: Option<std::sync::Arc<crate::codegen::Kernels>>,
    /// Whole-event kernels (`codegen::event`); when present they run the events instead of
    /// the interpreter.
    pub native: Option<std::sync::Arc<crate::codegen::event::EventKernels>>,
    /// Where finished units are committed, and found again by a resumed run.
    pub store: Option<super::store::Store>,
    /// Merge only: a unit not in the store contributes nothing (instead of being computed).
    pub skip_missing: bool,
    /// Benchmark the reader: load every chunk, compute nothing.
    pub read_only: bool,
}

/// The merged result of one job (sample).
#[derive(Debug, Clone)]
pub struct JobResult {
    /// One per output variation of the job, in `Job::outputs` order.
    pub outputs: Vec<OutputSet>,
    pub cutflow: Cutflow,
    pub events: u64,
    /// The largest nominal event weight met (0 for a sample with no events).
    pub max_weight: f64,
}

/// Time spent, summed over threads.
#[derive(Debug, Clone, Default)]
pub struct Timing {
    pub read: Duration,
    pub compute: Duration,
}

pub(super) struct UnitResult {
    pub(super) outputs: Vec<OutputSet>,
    pub(super) cutflow: Cutflow,
    pub(super) events: u64,
    pub(super) max_weight: f64,
    read: Duration,
    compute: Duration,
}

impl UnitResult {
    /// Nothing filled yet, for the outputs of `job`.
    fn empty(plan: &Plan, job: &Job) -> Self {
        UnitResult {
            outputs: job.outputs.iter().map(|_| OutputSet::new(plan)).collect(),
            cutflow: Cutflow::new(plan),
            events: 0,
            max_weight: 0.0,
            read: Duration::ZERO,
            compute: Duration::ZERO,
        }
    }
}

/// Per-thread buffers reused across units.
#[derive(Default)]
struct ThreadState {
    chunk: Chunk,
    scratch: Scratch,
    /// The file and tree of the thread's last unit: consecutive units of one file (the usual
    /// order) open it and parse its tree metadata once.
    open: Option<(
        std::path::PathBuf,
        String,
        std::sync::Arc<RootFile>,
        crate::io::dataset::Dataset,
    )>,
    /// The friend trees open beside `open`.
    friends: Vec<super::columns::OpenFriend>,
    /// A luminosity mask's columns and the chunk's events to skip.
    lumi: [crate::io::root::Column; 2],
    skip: Vec<u8>,
}

/// Runs every unit; `progress` is called with (events, bytes) as chunks finish; `cancel` stops
/// the run at the next chunk.
pub fn run(
    plan: &Plan,
    rp: &RunPlan,
    opts: &EngineOptions,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<(Vec<JobResult>, Timing), RunError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| RunError {
            kind: RunErrorKind::Eval,
            message: format!("cannot start worker threads: {e}"),
            file: None,
            entry: None,
        })?;
    let failed = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let results: Vec<Result<UnitResult, RunError>> = pool.install(|| {
        rp.units
            .par_iter()
            .map_init(ThreadState::default, |st, unit| {
                if failed.load(Ordering::Relaxed) {
                    return Err(RunError {
                        kind: RunErrorKind::Interrupted,
                        message: "stopped after an earlier error".into(),
                        file: None,
                        entry: None,
                    });
                }
                let r = stored_or_run(
                    plan,
                    rp,
                    unit,
                    opts,
                    st,
                    &|n| {
                        done.fetch_add(n, Ordering::Relaxed);
                        progress(n);
                    },
                    cancel,
                );
                if r.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                r
            })
            .collect()
    });
    // Units that finished are whole, whatever happened to the others: commit the last batch.
    if let Some(store) = &opts.store {
        let n = store.flush().map_err(|message| RunError {
            kind: RunErrorKind::Input,
            message,
            file: None,
            entry: None,
        })?;
        abort_if_committed(n);
    }
    // The first error in plan order that is not a consequence of another one.
    let mut first_err: Option<RunError> = None;
    for r in &results {
        if let Err(e) = r {
            let better = match &first_err {
                None => true,
                Some(f) => {
                    f.kind == RunErrorKind::Interrupted && e.kind != RunErrorKind::Interrupted
                }
            };
            if better {
                first_err = Some(e.clone());
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    let mut timing = Timing::default();
    let mut jobs: Vec<JobResult> = rp
        .jobs
        .iter()
        .map(|j| JobResult {
            outputs: j.outputs.iter().map(|_| OutputSet::new(plan)).collect(),
            cutflow: Cutflow::new(plan),
            events: 0,
            max_weight: 0.0,
        })
        .collect();
    for (unit, r) in rp.units.iter().zip(results) {
        let r = r?;
        let j = &mut jobs[unit.job];
        for (a, b) in j.outputs.iter_mut().zip(&r.outputs) {
            a.merge(b, plan);
        }
        j.cutflow.merge(&r.cutflow);
        j.events += r.events;
        j.max_weight = j.max_weight.max(r.max_weight);
        timing.read += r.read;
        timing.compute += r.compute;
    }
    Ok((jobs, timing))
}

/// Kill switch for the resume tests: with `ANAC_TEST_ABORT_AFTER_UNITS=k`, the process aborts
/// (as SIGKILL would end it) right after the commit that brings its committed units to k or more.
static COMMITTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A unit's result: from the store when an earlier run committed it, else computed (and then
/// committed when there is a store).
fn stored_or_run(
    plan: &Plan,
    rp: &RunPlan,
    unit: &Unit,
    opts: &EngineOptions,
    st: &mut ThreadState,
    progress: &dyn Fn(u64),
    cancel: &AtomicBool,
) -> Result<UnitResult, RunError> {
    let job = &rp.jobs[unit.job];
    let store_err = |message: String| RunError {
        kind: RunErrorKind::Input,
        message,
        file: None,
        entry: None,
    };
    if let Some(store) = &opts.store
        && let Some(p) = store.load(&unit.id).map_err(store_err)?
    {
        progress(p.events);
        return Ok(UnitResult {
            outputs: p.outputs,
            cutflow: p.cutflow,
            events: p.events,
            max_weight: p.max_weight,
            read: Duration::ZERO,
            compute: Duration::ZERO,
        });
    }
    if opts.skip_missing {
        return Ok(UnitResult::empty(plan, job));
    }
    let began = std::time::SystemTime::now();
    if let Some(store) = &opts.store {
        store.started(&unit.id).map_err(store_err)?;
    }
    let r = match run_unit(plan, job, unit, opts, st, progress, cancel) {
        Ok(r) => r,
        Err(e) => {
            if let Some(store) = &opts.store {
                store.ended(&unit.id, began, Err(&e.message));
            }
            return Err(e);
        }
    };
    if let Some(store) = &opts.store {
        let part = super::store::Partial {
            outputs: r.outputs.clone(),
            cutflow: r.cutflow.clone(),
            events: r.events,
            max_weight: r.max_weight,
        };
        let n = store.commit(&unit.id, &part, began).map_err(store_err)?;
        abort_if_committed(n);
    }
    Ok(r)
}

/// The test kill switch: aborts when the `n` units just committed reach the k of
/// `ANAC_TEST_ABORT_AFTER_UNITS`.
fn abort_if_committed(n: usize) {
    if n == 0 {
        return;
    }
    let before = COMMITTED.fetch_add(n, Ordering::SeqCst);
    if let Some(k) = std::env::var("ANAC_TEST_ABORT_AFTER_UNITS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        && (before + 1..=before + n).contains(&k)
    {
        std::process::abort();
    }
}

fn run_unit(
    plan: &Plan,
    job: &Job,
    unit: &Unit,
    opts: &EngineOptions,
    st: &mut ThreadState,
    progress: &dyn Fn(u64),
    cancel: &AtomicBool,
) -> Result<UnitResult, RunError> {
    let input = &job.files[unit.file];
    let in_file = |message: String, entry: Option<u64>, kind| RunError {
        kind,
        message,
        file: Some(input.path.clone()),
        entry,
    };
    let reuse = matches!(&st.open, Some((p, t, _, _)) if *p == input.path && *t == job.tree);
    if !reuse {
        st.open = None;
        let (file, tree) = crate::io::dataset::open(&input.path, &job.tree)
            .map_err(|e| in_file(e.to_string(), None, RunErrorKind::Input))?;
        st.friends.clear();
        for (friend, ff) in job.friends.iter().zip(&input.friends) {
            let (file, tree) = crate::io::dataset::open(&ff.path, &friend.tree).map_err(|e| {
                in_file(
                    format!("friend `{}` in `{}`: {e}", friend.name, ff.path.display()),
                    None,
                    RunErrorKind::Input,
                )
            })?;
            if tree.entries() != input.entries {
                return Err(in_file(
                    format!(
                        "friend `{}`: tree `{}` in `{}` has {} entries, this file {}",
                        friend.name,
                        friend.tree,
                        ff.path.display(),
                        tree.entries(),
                        input.entries
                    ),
                    None,
                    RunErrorKind::Input,
                ));
            }
            st.friends.push((friend.name.clone(), file, tree));
        }
        st.open = Some((input.path.clone(), job.tree.clone(), file, tree));
    }
    let Some((_, _, file, tree)) = &st.open else {
        return Err(in_file(
            "internal: no open file".into(),
            None,
            RunErrorKind::Input,
        ));
    };
    let sample = SampleCtx {
        xsec: job.xsec,
        nevts: job.nevts as f64,
        sumw: job.sumw.unwrap_or(f64::NAN),
        file_key: random::file_key(&input.uuid, &job.tree),
        is_data: job.is_data,
        process: job.process.clone(),
        variation: job.variation.clone(),
    };
    let mut frame = Frame::new(plan, &job.kinematic, opts.kernels.as_deref());
    let mut res = UnitResult::empty(plan, job);
    let replacements: Vec<(crate::ir::FieldId, NodeId)> = job
        .kinematic
        .iter()
        .flat_map(|&v| match &plan.variations[v].kind {
            VariationKind::Kinematic(reps) => reps.iter().map(|r| (r.field, r.value)).collect(),
            VariationKind::Weight(_) => Vec::new(),
        })
        .collect();
    let mut ev = EventRunner::new(plan, job);
    let mut native = opts
        .native
        .as_deref()
        .map(|k| super::native::Native::new(plan, job, k));
    let chunk = opts.chunk_size.max(1) as u64;
    let clusters = tree.clusters();
    let remote = crate::io::dataset::is_remote(&input.path);
    // Branches that only `only` blocks not run for this sample read need not be in its files.
    let needed = plan.needed_columns(&job.process, job.is_data);
    let columns: Vec<&str> = if remote {
        let mut c = plan_columns(plan, job.lumi_mask.is_some());
        c.retain(|b| tree.has(b));
        c
    } else {
        Vec::new()
    };
    // Kill tests: with `ANAC_TEST_SLOW_CHUNKS_MS=n`, each chunk takes n ms more, so that a test
    // can kill the process while a unit is under way.
    let slow = std::env::var("ANAC_TEST_SLOW_CHUNKS_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok());
    let mut start = unit.range.start;
    while start < unit.range.end {
        if cancel.load(Ordering::Relaxed) {
            return Err(in_file(
                "interrupted".into(),
                None,
                RunErrorKind::Interrupted,
            ));
        }
        // Chunks end at cluster boundaries (baskets are then decompressed once per chunk, not
        // once per chunk they straddle), and are at most `chunk` entries otherwise.
        let cluster_end = clusters
            .iter()
            .map(|c| c.end)
            .find(|&e| e > start)
            .unwrap_or(unit.range.end);
        let end = (start + chunk).min(cluster_end).min(unit.range.end);
        let t0 = Instant::now();
        // A remote input fetches the baskets of the whole cluster (within the unit) in one go.
        if remote && (start == unit.range.start || clusters.iter().any(|c| c.start == start)) {
            let stop = cluster_end.min(unit.range.end);
            file.prefetch(&tree.byte_ranges(&columns, start..stop));
        }
        // A remote friend fetches its part of the chunk's columns the same way.
        for (name, ffile, ftree) in &st.friends {
            if remote_friend(ffile)
                && (start == unit.range.start || clusters.iter().any(|c| c.start == start))
            {
                let stop = cluster_end.min(unit.range.end);
                let prefix = format!("{name}.");
                let own: Vec<&str> = plan_columns(plan, false)
                    .into_iter()
                    .filter_map(|c| c.strip_prefix(prefix.as_str()))
                    .collect();
                ffile.prefetch(&ftree.byte_ranges(&own, start..stop));
            }
        }
        if let Some(ms) = slow {
            std::thread::sleep(Duration::from_millis(ms));
        }
        st.chunk
            .load_for(
                plan,
                Some(&needed),
                file,
                tree,
                &st.friends,
                start..end,
                &mut st.scratch,
            )
            .map_err(|e| in_file(e.to_string(), None, RunErrorKind::Input))?;
        // Data outside its luminosity mask: those events are skipped (not analysed, not counted
        // in the cutflow).
        let masked = match &job.lumi_mask {
            Some(mask) => {
                certified(
                    mask,
                    file,
                    tree,
                    start..end,
                    &mut st.lumi,
                    &mut st.scratch,
                    &mut st.skip,
                )
                .map_err(|e| in_file(e, None, RunErrorKind::Input))?;
                true
            }
            None => false,
        };
        let t1 = Instant::now();
        if opts.read_only {
            res.events += st.chunk.entries as u64;
            res.read += t1 - t0;
            progress(st.chunk.entries as u64);
            start = end;
            continue;
        }
        if let Some(n) = native.as_mut() {
            let skip = masked.then_some(st.skip.as_slice());
            n.run_chunk(plan, job, &mut st.chunk, &sample, &mut res, skip)
                .map_err(|(kind, m, entry)| in_file(m, entry, kind))?;
            res.events += st.chunk.entries as u64;
            res.read += t1 - t0;
            res.compute += t1.elapsed();
            progress(st.chunk.entries as u64);
            start = end;
            continue;
        }
        // The replacement columns are computed with the chunk's own columns bound.
        frame.bind_chunk(&st.chunk);
        replace_fields(&mut frame, &mut st.chunk, &sample, plan, &replacements)
            .map_err(|(m, entry)| in_file(m, Some(entry), RunErrorKind::Eval))?;
        frame.bind_chunk(&st.chunk);
        for i in 0..st.chunk.entries {
            if masked && st.skip[i] != 0 {
                continue;
            }
            let entry = start + i as u64;
            frame.begin_event(&st.chunk, i, entry);
            for ctx in 0..=job.kinematic.len() {
                frame.ctx = ctx;
                ev.event(&mut frame, &st.chunk, &sample, ctx, &mut res)
                    .map_err(|(kind, m)| in_file(m, Some(entry), kind))?;
            }
        }
        res.events += st.chunk.entries as u64;
        res.read += t1 - t0;
        res.compute += t1.elapsed();
        progress(st.chunk.entries as u64);
        start = end;
    }
    Ok(res)
}

/// Whether a friend's file is read over HTTP(S) (its baskets are then fetched ahead).
fn remote_friend(file: &RootFile) -> bool {
    crate::io::dataset::is_remote(file.path())
}

/// Every column a chunk of this plan reads (collection lengths, fields, per-event values, and
/// the luminosity mask's).
fn plan_columns(plan: &Plan, lumi: bool) -> Vec<&str> {
    let mut out: Vec<&str> = plan.collections.iter().map(|c| c.length.as_str()).collect();
    out.extend(plan.fields.iter().map(|f| f.branch.as_str()));
    out.extend(plan.scalars.iter().map(|s| s.branch.as_str()));
    if lumi {
        out.extend(super::units::LUMI_BRANCHES);
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Reads `run` and `luminosityBlock` of `range` and marks in `st.skip` the events outside `mask`.
#[allow(clippy::too_many_arguments)]
fn certified(
    mask: &crate::io::samples::LumiMask,
    file: &RootFile,
    tree: &crate::io::dataset::Dataset,
    range: std::ops::Range<u64>,
    cols: &mut [crate::io::root::Column; 2],
    scratch: &mut Scratch,
    skip: &mut Vec<u8>,
) -> Result<(), String> {
    use crate::io::root::ColumnValues as CV;
    let as_u64 = |c: &crate::io::root::Column, i: usize| -> Option<u64> {
        match &c.values {
            CV::U32(v) => v.get(i).map(|&x| u64::from(x)),
            CV::I32(v) => v.get(i).and_then(|&x| u64::try_from(x).ok()),
            CV::U64(v) => v.get(i).copied(),
            CV::I64(v) => v.get(i).and_then(|&x| u64::try_from(x).ok()),
            _ => None,
        }
    };
    for (k, b) in super::units::LUMI_BRANCHES.iter().enumerate() {
        tree.read_into(file, b, range.clone(), &mut cols[k], scratch)
            .map_err(|e| e.to_string())?;
    }
    let n = (range.end - range.start) as usize;
    skip.clear();
    let mut last: Option<(u64, u64, bool)> = None;
    for i in 0..n {
        let (Some(run), Some(lumi)) = (as_u64(&cols[0], i), as_u64(&cols[1], i)) else {
            return Err(format!(
                "`run` / `luminosityBlock` of entry {} are not non-negative integers",
                range.start + i as u64
            ));
        };
        let ok = match last {
            Some((r, l, ok)) if r == run && l == lumi => ok,
            _ => mask.contains(run, lumi),
        };
        last = Some((run, lumi, ok));
        skip.push(u8::from(!ok));
    }
    Ok(())
}

/// Computes the replaced field columns of every kinematic variation for the chunk, per element
/// of the field's collection, in the nominal context.
fn replace_fields(
    frame: &mut Frame,
    ch: &mut Chunk,
    sample: &SampleCtx,
    plan: &Plan,
    reps: &[(crate::ir::FieldId, NodeId)],
) -> Result<(), (String, u64)> {
    let base = plan.fields.len();
    ch.extra_fields(base, reps.len());
    for (j, &(field, node)) in reps.iter().enumerate() {
        let info = &plan.fields[field.0 as usize];
        let coll = info.coll.0 as usize;
        let mut col = std::mem::take(&mut ch.fields[base + j]);
        let float = matches!(info.ty, ScalarType::F32 | ScalarType::F64);
        let mut fv = match std::mem::take(&mut col.data) {
            Data::F(v) => v,
            _ => Vec::new(),
        };
        let mut iv = Vec::new();
        let mut bv = Vec::new();
        fv.clear();
        for ev in 0..ch.entries {
            let entry = ch.first_entry + ev as u64;
            frame.begin_event(ch, ev, entry);
            let n = ch.colls[coll][ev + 1] - ch.colls[coll][ev];
            for i in 0..n {
                frame.push_tree_element(i);
                let v = frame.eval(ch, sample, node);
                frame.pop_element();
                let v = v.map_err(|m| (m, entry))?;
                let bad = |v: V| {
                    (
                        format!(
                            "the replacement of `{}.{}` has no value ({v:?}) for element {i}",
                            plan.collections[coll].name, info.name
                        ),
                        entry,
                    )
                };
                match (v, float, info.ty) {
                    (V::F(x), true, _) => fv.push(x),
                    (V::I(x), true, _) => fv.push(x as f64),
                    (V::I(x), false, t) if t != ScalarType::Bool => iv.push(x),
                    (V::B(x), false, ScalarType::Bool) => bv.push(x),
                    (v, _, _) => return Err(bad(v)),
                }
            }
        }
        col.data = if float {
            Data::F(fv)
        } else if info.ty == ScalarType::Bool {
            Data::B(bv)
        } else {
            Data::I(iv)
        };
        col.offsets.clear();
        col.offsets.extend_from_slice(&ch.colls[coll]);
        ch.fields[base + j] = Col { ..col };
    }
    Ok(())
}

type EvErr = (RunErrorKind, String);

/// Runs the steps of one event in one context and fills the unit's accumulators.
struct EventRunner<'p> {
    plan: &'p Plan,
    is_data: bool,
    /// Per context: the outputs filled (indices into `Job::outputs`) and their weight
    /// variation (None: factor 1).
    targets: Vec<Vec<(usize, Option<NodeId>)>>,
    /// Fill weights per target for the current event and context.
    weights: Vec<f64>,
    weight_known: bool,
    /// The nominal event weight of the current event and context, once computed.
    event_w: Option<f64>,
    /// The product of the current region's weights (1 outside regions and for data).
    scale: f64,
}

impl<'p> EventRunner<'p> {
    fn new(plan: &'p Plan, job: &Job) -> Self {
        let mut targets = vec![Vec::new(); job.kinematic.len() + 1];
        for (o, out) in job.outputs.iter().enumerate() {
            match out.kind {
                OutKind::Nominal => targets[0].push((o, None)),
                OutKind::Weight(v) => {
                    if let VariationKind::Weight(f) = plan.variations[v].kind {
                        targets[0].push((o, Some(f)));
                    }
                }
                OutKind::Kinematic { ctx, .. } => targets[ctx].push((o, None)),
            }
        }
        EventRunner {
            plan,
            is_data: job.is_data,
            targets,
            weights: Vec::new(),
            weight_known: false,
            event_w: None,
            scale: 1.0,
        }
    }

    /// The nominal event weight in this context (1 for data); absent factors are errors.
    fn event_weight(&mut self, f: &mut Frame, ch: &Chunk, s: &SampleCtx) -> Result<f64, EvErr> {
        if self.is_data {
            return Ok(1.0);
        }
        if let Some(w) = self.event_w {
            return Ok(w);
        }
        let mut w: Option<f64> = None;
        for &node in &self.plan.weights {
            let v = f.eval(ch, s, node).map_err(|m| (RunErrorKind::Eval, m))?;
            let x = v.num().ok_or_else(|| {
                (
                    RunErrorKind::AbsentWeight,
                    "a weight factor is absent for this event".to_string(),
                )
            })?;
            w = Some(match w {
                None => x.f(),
                Some(acc) => acc * x.f(),
            });
        }
        let w = w.unwrap_or(1.0);
        self.event_w = Some(w);
        Ok(w)
    }

    /// Fill weights of every target, computed once per event and context.
    fn fill_weights(
        &mut self,
        f: &mut Frame,
        ch: &Chunk,
        s: &SampleCtx,
        ctx: usize,
    ) -> Result<(), EvErr> {
        if self.weight_known {
            return Ok(());
        }
        let w = self.event_weight(f, ch, s)?;
        self.weights.clear();
        for &(_, factor) in &self.targets[ctx] {
            let k = match factor {
                None => w,
                Some(node) => {
                    let v = f.eval(ch, s, node).map_err(|m| (RunErrorKind::Eval, m))?;
                    let x = v.num().ok_or_else(|| {
                        (
                            RunErrorKind::AbsentWeight,
                            "a variation's weight factor is absent for this event".to_string(),
                        )
                    })?;
                    w * x.f()
                }
            };
            self.weights.push(k);
        }
        self.weight_known = true;
        Ok(())
    }

    fn event(
        &mut self,
        f: &mut Frame,
        ch: &Chunk,
        s: &SampleCtx,
        ctx: usize,
        res: &mut UnitResult,
    ) -> Result<(), EvErr> {
        self.weight_known = false;
        self.event_w = None;
        let cutflow = ctx == 0;
        let plan = self.plan;
        if cutflow {
            let w = self.event_weight(f, ch, s)?;
            res.max_weight = res.max_weight.max(w.abs());
            let row = &mut res.cutflow.common[0];
            row.0 += 1;
            row.1 += w;
        }
        let mut ncut = 0;
        let mut skip = 0;
        for step in &plan.top {
            if self.only_step(f, ch, s, *step, &mut skip)? {
                continue;
            }
            if let Step::Cut { cond, .. } = step {
                if !f
                    .eval(ch, s, *cond)
                    .map_err(|m| (RunErrorKind::Eval, m))?
                    .truth()
                {
                    return Ok(());
                }
                ncut += 1;
                if cutflow {
                    let w = self.event_weight(f, ch, s)?;
                    let row = &mut res.cutflow.common[ncut];
                    row.0 += 1;
                    row.1 += w;
                }
            } else {
                self.output_step(f, ch, s, ctx, *step, res)?;
            }
        }
        for (r, region) in plan.regions.iter().enumerate() {
            let mut k = 0;
            self.scale = 1.0;
            let mut skip = 0;
            for step in &region.steps {
                if self.only_step(f, ch, s, *step, &mut skip)? {
                    continue;
                }
                match *step {
                    Step::Cut { cond, .. } => {
                        if !f
                            .eval(ch, s, cond)
                            .map_err(|m| (RunErrorKind::Eval, m))?
                            .truth()
                        {
                            break;
                        }
                        if cutflow {
                            let w = self.event_weight(f, ch, s)?;
                            let row = &mut res.cutflow.regions[r][k];
                            row.0 += 1;
                            row.1 += w;
                        }
                        k += 1;
                    }
                    Step::Require(cond) => {
                        if !f
                            .eval(ch, s, cond)
                            .map_err(|m| (RunErrorKind::Eval, m))?
                            .truth()
                        {
                            break;
                        }
                    }
                    Step::Scale(w) => {
                        if !self.is_data {
                            let v = f.eval(ch, s, w).map_err(|m| (RunErrorKind::Eval, m))?;
                            let x = v.num().ok_or_else(|| {
                                (
                                    RunErrorKind::AbsentWeight,
                                    format!(
                                        "a weight of region `{}` is absent for this event",
                                        region.name
                                    ),
                                )
                            })?;
                            self.scale *= x.f();
                        }
                    }
                    _ => self.output_step(f, ch, s, ctx, *step, res)?,
                }
            }
        }
        self.scale = 1.0;
        Ok(())
    }

    /// `only` blocks: whether `step` is taken care of here (a block's start or end, or a step
    /// of a block whose guard does not hold for this sample; `skip` counts the blocks being
    /// skipped).
    fn only_step(
        &self,
        f: &mut Frame,
        ch: &Chunk,
        s: &SampleCtx,
        step: Step,
        skip: &mut u32,
    ) -> Result<bool, EvErr> {
        match step {
            Step::Only(_) if *skip > 0 => *skip += 1,
            Step::EndOnly if *skip > 0 => *skip -= 1,
            _ if *skip > 0 => {}
            Step::Only(k) => {
                let guard = self.plan.onlys[k].guard;
                if !f
                    .eval(ch, s, guard)
                    .map_err(|m| (RunErrorKind::Eval, m))?
                    .truth()
                {
                    *skip = 1;
                }
            }
            Step::EndOnly => {}
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn output_step(
        &mut self,
        f: &mut Frame,
        ch: &Chunk,
        s: &SampleCtx,
        ctx: usize,
        step: Step,
        res: &mut UnitResult,
    ) -> Result<(), EvErr> {
        let plan = self.plan;
        let ev = |r: Result<V, String>| r.map_err(|m| (RunErrorKind::Eval, m));
        match step {
            Step::Cut { .. }
            | Step::Require(_)
            | Step::Scale(_)
            | Step::Only(_)
            | Step::EndOnly => {}
            Step::Fill(h) => {
                let spec = &plan.hists[h];
                let nt = self.targets[ctx].len();
                match spec.values.as_slice() {
                    [x] => {
                        let v = ev(f.eval(ch, s, *x))?;
                        // A profile's averaged value, evaluated after the position.
                        let vy = match spec.profile {
                            Some(p) => Some(ev(f.eval(ch, s, p))?),
                            None => None,
                        };
                        let len = |v: V| match v {
                            V::L { len, .. } => Some(len as usize),
                            _ => None,
                        };
                        let (lx, ly) = (len(v), vy.and_then(len));
                        // An absent list is one absent value: one fill skipped.
                        let is_list = |id: NodeId| {
                            matches!(
                                plan.nodes[id.0 as usize].ty.unwrap_optional().0,
                                crate::sema::Type::List(_)
                            )
                        };
                        if (is_list(*x) && lx.is_none())
                            || spec.profile.is_some_and(|p| is_list(p) && ly.is_none())
                        {
                            for t in 0..nt {
                                res.outputs[self.targets[ctx][t].0].hists[h].skipped += 1;
                            }
                            return Ok(());
                        }
                        if let (Some(a), Some(b)) = (lx, ly)
                            && a != b
                        {
                            return Err((
                                RunErrorKind::Eval,
                                format!("profile `{}`: {b} values for {a} positions", spec.name),
                            ));
                        }
                        let n = lx.or(ly).unwrap_or(1);
                        let item = |f: &Frame, v: V, i: usize| match v {
                            V::L { .. } => f.list(v)[i],
                            _ => v,
                        };
                        // The fill's position and, for a profile, its averaged value; `None`
                        // when either is absent.
                        let at = |f: &Frame, i: usize| {
                            let fv = fill_val(f, ch, item(f, v, i))?;
                            let y = match vy {
                                Some(vy) => Some(profile_y(fill_val(f, ch, item(f, vy, i)))?),
                                None => None,
                            };
                            Some((cell(&spec.axes[0].kind, fv), y))
                        };
                        // The histogram's own weight: one number, or one per element.
                        let mut hw = HistWeight::None;
                        if (0..n).any(|i| at(f, i).is_some()) {
                            self.fill_weights(f, ch, s, ctx)?;
                            if let Some(w) = spec.weight {
                                let v = ev(f.eval(ch, s, w))?;
                                hw = hist_weight(v, &spec.name, n)?;
                            }
                        }
                        for i in 0..n {
                            let Some(((c, nan), y)) = at(f, i) else {
                                for t in 0..nt {
                                    res.outputs[self.targets[ctx][t].0].hists[h].skipped += 1;
                                }
                                continue;
                            };
                            let k = match hw {
                                HistWeight::None => None,
                                HistWeight::One(x) => Some(x),
                                HistWeight::List(start) => {
                                    Some(list_weight(f, start + i as u32, &spec.name)?)
                                }
                            };
                            for t in 0..nt {
                                let acc = &mut res.outputs[self.targets[ctx][t].0].hists[h];
                                let wt = self.weights[t] * self.scale;
                                let w = k.map_or(wt, |k| wt * k);
                                match y {
                                    Some(y) => acc.add_profile(c, w, y),
                                    None => acc.add(c, w),
                                }
                                acc.nan += (nan || y.is_some_and(f64::is_nan)) as u64;
                            }
                        }
                    }
                    [x, y] => {
                        let vx = ev(f.eval(ch, s, *x))?;
                        let vy = ev(f.eval(ch, s, *y))?;
                        let vz = match spec.profile {
                            Some(p) => Some(ev(f.eval(ch, s, p))?),
                            None => None,
                        };
                        let z = match vz {
                            Some(vz) => profile_y(fill_val(f, ch, vz)).map(Some),
                            None => Some(None),
                        };
                        let (Some(fx), Some(fy), Some(z)) =
                            (fill_val(f, ch, vx), fill_val(f, ch, vy), z)
                        else {
                            for t in 0..nt {
                                res.outputs[self.targets[ctx][t].0].hists[h].skipped += 1;
                            }
                            return Ok(());
                        };
                        let (cx, nx) = cell(&spec.axes[0].kind, fx);
                        let (cy, ny) = cell(&spec.axes[1].kind, fy);
                        self.fill_weights(f, ch, s, ctx)?;
                        let k = match spec.weight {
                            Some(w) => match hist_weight(ev(f.eval(ch, s, w))?, &spec.name, 1)? {
                                HistWeight::One(x) => Some(x),
                                _ => None,
                            },
                            None => None,
                        };
                        let at = flat(&spec.axes, &[cx, cy]);
                        for t in 0..nt {
                            let acc = &mut res.outputs[self.targets[ctx][t].0].hists[h];
                            let wt = self.weights[t] * self.scale;
                            let w = k.map_or(wt, |k| wt * k);
                            match z {
                                Some(z) => acc.add_profile(at, w, z),
                                None => acc.add(at, w),
                            }
                            acc.nan += (nx || ny || z.is_some_and(f64::is_nan)) as u64;
                        }
                    }
                    [x, y, z] => {
                        let vx = ev(f.eval(ch, s, *x))?;
                        let vy = ev(f.eval(ch, s, *y))?;
                        let vz = ev(f.eval(ch, s, *z))?;
                        let (Some(fx), Some(fy), Some(fz)) = (
                            fill_val(f, ch, vx),
                            fill_val(f, ch, vy),
                            fill_val(f, ch, vz),
                        ) else {
                            for t in 0..nt {
                                res.outputs[self.targets[ctx][t].0].hists[h].skipped += 1;
                            }
                            return Ok(());
                        };
                        let (cx, nx) = cell(&spec.axes[0].kind, fx);
                        let (cy, ny) = cell(&spec.axes[1].kind, fy);
                        let (cz, nz) = cell(&spec.axes[2].kind, fz);
                        self.fill_weights(f, ch, s, ctx)?;
                        let k = match spec.weight {
                            Some(w) => match hist_weight(ev(f.eval(ch, s, w))?, &spec.name, 1)? {
                                HistWeight::One(x) => Some(x),
                                _ => None,
                            },
                            None => None,
                        };
                        let at = flat(&spec.axes, &[cx, cy, cz]);
                        for t in 0..nt {
                            let acc = &mut res.outputs[self.targets[ctx][t].0].hists[h];
                            let wt = self.weights[t] * self.scale;
                            acc.add(at, k.map_or(wt, |k| wt * k));
                            acc.nan += (nx || ny || nz) as u64;
                        }
                    }
                    _ => {
                        return Err((
                            RunErrorKind::Eval,
                            format!("histogram `{}` has more than three axes", spec.name),
                        ));
                    }
                }
            }
            Step::Count(c) => {
                let spec = &plan.counters[c];
                if let Some(w) = spec.when
                    && !ev(f.eval(ch, s, w))?.truth()
                {
                    return Ok(());
                }
                self.fill_weights(f, ch, s, ctx)?;
                for (t, &(o, _)) in self.targets[ctx].iter().enumerate() {
                    res.outputs[o].counters[c].add(self.weights[t] * self.scale);
                }
            }
            Step::Skim(k) => {
                // Nominal outputs only: context 0, no weight variation.
                if ctx != 0 || !self.targets[0].iter().any(|&(_, v)| v.is_none()) {
                    return Ok(());
                }
                let spec = &plan.skims[k];
                let w = self.event_weight(f, ch, s)? * self.scale;
                // The row first, so that an error leaves every output as it was.
                let mut lengths: Vec<Option<u32>> = Vec::with_capacity(spec.groups.len());
                let mut values: Vec<Vec<Vec<FillVal>>> = Vec::with_capacity(spec.groups.len());
                for g in &spec.groups {
                    let mut len = None;
                    let mut cols = Vec::with_capacity(g.columns.len());
                    for c in &g.columns {
                        let v = ev(f.eval(ch, s, c.value))?;
                        let items: Vec<V> = match v {
                            V::L { .. } => f.list(v).to_vec(),
                            v => vec![v],
                        };
                        if g.counter.is_some() {
                            len = Some(items.len() as u32);
                        }
                        let mut out = Vec::with_capacity(items.len());
                        for x in items {
                            let fv = match x {
                                V::I(i) => FillVal::I(i),
                                V::F(x) => FillVal::F(x),
                                V::B(b) => FillVal::I(b as i64),
                                _ => {
                                    return Err((
                                        RunErrorKind::Eval,
                                        format!(
                                            "skim `{}`: the value of branch `{}` is absent",
                                            spec.name, c.branch
                                        ),
                                    ));
                                }
                            };
                            out.push(fv);
                        }
                        cols.push(out);
                    }
                    lengths.push(len);
                    values.push(cols);
                }
                for &(o, v) in &self.targets[0] {
                    if v.is_some() {
                        continue;
                    }
                    let acc = &mut res.outputs[o].skims[k];
                    acc.weight.push(w);
                    for (gi, (len, cols)) in lengths.iter().zip(&values).enumerate() {
                        if let Some(n) = len {
                            acc.lengths[gi].push(*n);
                        }
                        for (data, vals) in acc.columns[gi].iter_mut().zip(cols) {
                            for x in vals {
                                if !data.push(*x) {
                                    return Err((
                                        RunErrorKind::Eval,
                                        "a skimmed value of the wrong kind".into(),
                                    ));
                                }
                            }
                        }
                    }
                }
            }
            Step::Collect(c) => {
                let spec = &plan.collects[c];
                let targets = &self.targets[ctx];
                let full = targets.iter().all(|&(o, _)| {
                    spec.max
                        .is_some_and(|m| res.outputs[o].collects[c].rows.len() >= m)
                });
                for &(o, _) in targets {
                    res.outputs[o].collects[c].seen += 1;
                }
                if full {
                    return Ok(());
                }
                let mut row = Vec::with_capacity(spec.values.len());
                for v in &spec.values {
                    let x = ev(f.eval(ch, s, *v))?;
                    row.push(match x {
                        V::I(i) => CVal::I(i),
                        V::F(x) => CVal::F(x),
                        V::B(b) => CVal::B(b),
                        V::S(st) => CVal::S(String::from_utf8_lossy(f.str_bytes(ch, st)).into()),
                        _ => CVal::Null,
                    });
                }
                for &(o, _) in targets {
                    let acc = &mut res.outputs[o].collects[c];
                    if spec.max.is_none_or(|m| acc.rows.len() < m) {
                        acc.rows.push(row.clone());
                    }
                }
            }
        }
        Ok(())
    }
}

/// A histogram's own weight for one fill statement.
#[derive(Clone, Copy)]
enum HistWeight {
    None,
    One(f64),
    /// One per filled element: the list's items start at `vals[start]`.
    List(u32),
}

/// The histogram weight `v` of histogram `name` filled with `n` values: absent is an error, a
/// list must have one item per value.
fn hist_weight(v: V, name: &str, n: usize) -> Result<HistWeight, EvErr> {
    match v {
        V::L { start, len } => {
            if len as usize != n {
                return Err((
                    RunErrorKind::Eval,
                    format!("histogram `{name}`: {len} weights for {n} values"),
                ));
            }
            Ok(HistWeight::List(start))
        }
        v => match v.num() {
            Some(x) => Ok(HistWeight::One(x.f())),
            None => Err((
                RunErrorKind::AbsentWeight,
                format!("the weight of histogram `{name}` is absent for this event"),
            )),
        },
    }
}

/// Item `at` of a weight list.
fn list_weight(f: &Frame, at: u32, name: &str) -> Result<f64, EvErr> {
    match f.list_item_at(at).num() {
        Some(x) => Ok(x.f()),
        None => Err((
            RunErrorKind::AbsentWeight,
            format!("the weight of histogram `{name}` is absent for this event"),
        )),
    }
}

/// A value as an axis sees it; `None` when absent (or not a fillable value).
fn fill_val<'c>(f: &'c Frame, ch: &'c Chunk, v: V) -> Option<FillVal<'c>> {
    match v {
        V::I(i) => Some(FillVal::I(i)),
        V::F(x) => Some(FillVal::F(x)),
        V::B(b) => Some(FillVal::I(b as i64)),
        V::S(s) => Some(FillVal::S(f.str_bytes(ch, s))),
        _ => None,
    }
}

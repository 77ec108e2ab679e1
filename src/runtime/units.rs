//! Work units: the samples of a run split into (process, variation, file, entry range) pieces
//! fixed by the inputs alone.
//!
//! Input: the plan, the loaded samples and the run options. Output: a [`RunPlan`]: one [`Job`]
//! per (process, sample variation) with its output variations, and the [`Unit`]s in plan order
//! (process, variation, file as listed, entry start). A unit covers whole clusters, at least
//! [`UNIT_ENTRIES`] entries unless the file ends first; its id is a hash of the sample, the file's
//! identity (size and UUID), its friend files' identities (when the sample has friends) and the
//! range. `-j` and `--chunk-size` never change the units.
//!
//! Every input file and every friend file paired with it is opened here, before any event is
//! read: a missing or unreadable file, a missing tree, a friend tree with other entries than its
//! file, a missing branch or a branch whose type differs from the one the analysis was checked
//! against stops the run with an error naming the file (and friend file) and branch.

use std::ops::Range;
use std::path::PathBuf;

use crate::io::samples::Samples;
use crate::ir::{Plan, VariationKind};

/// A unit holds whole clusters adding up to at least this many entries (or the rest of a file).
pub const UNIT_ENTRIES: u64 = 100_000;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only the first N files of each sample variation.
    pub max_files: Option<usize>,
    /// Only the first N events of each sample variation.
    pub max_events: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    pub size: u64,
    pub uuid: [u8; 16],
    /// Entries of the analysis' tree in the file.
    pub entries: u64,
    /// `size_bytes` as declared in the samples file, if any.
    pub declared_size: Option<u64>,
    /// The friends' files paired with this one, in the order of [`Job::friends`].
    pub friends: Vec<FriendFile>,
}

/// A friend tree's file paired with an input file: the same entries, read for the same ranges.
#[derive(Debug, Clone)]
pub struct FriendFile {
    pub path: PathBuf,
    pub size: u64,
    pub uuid: [u8; 16],
}

/// A friend tree of a sample: its branches are `name.X` in the plan.
#[derive(Debug, Clone)]
pub struct JobFriend {
    pub name: String,
    pub tree: String,
}

/// What an output variation of a job is filled from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutKind {
    /// The nominal analysis, weight as is.
    Nominal,
    /// The nominal selection, weight multiplied by this variation's factor.
    Weight(usize),
    /// The analysis re-run in kinematic context `ctx` (1-based; see `Frame`).
    Kinematic { ctx: usize, variation: usize },
}

#[derive(Debug, Clone)]
pub struct OutVar {
    /// `nominal`, a `vary` variation's name, or the sample variation's name.
    pub name: String,
    pub kind: OutKind,
}

/// One (process, sample variation) of the samples file.
#[derive(Debug, Clone)]
pub struct Job {
    pub process: String,
    /// The tree read in this sample's files (the analysis' `tree`, or the sample's `tree:`).
    pub tree: String,
    pub variation: String,
    pub is_data: bool,
    pub xsec: f64,
    /// Events processed for this sample (the value of `nevts` in the analysis).
    pub nevts: u64,
    /// The sum of generator weights of the sample's files (`sumw`), when the analysis uses it.
    pub sumw: Option<f64>,
    /// Data only: the certified luminosity sections; other events are skipped.
    pub lumi_mask: Option<std::sync::Arc<crate::io::samples::LumiMask>>,
    pub files: Vec<InputFile>,
    /// The sample's friend trees (`friends:` in the samples file).
    pub friends: Vec<JobFriend>,
    pub outputs: Vec<OutVar>,
    /// Kinematic variations run for this sample, in context order (context k is `kinematic[k-1]`).
    pub kinematic: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Unit {
    pub job: usize,
    pub file: usize,
    pub range: Range<u64>,
    /// Stable identity: hash of sample, file identity and range (hex).
    pub id: String,
}

#[derive(Debug, Clone)]
pub struct RunPlan {
    pub jobs: Vec<Job>,
    pub units: Vec<Unit>,
    /// Problems that do not stop the run (a declared `size_bytes` that differs from the file).
    pub warnings: Vec<String>,
}

/// Why the run could not be planned.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct PlanError {
    pub message: String,
    pub help: Option<String>,
}

fn perr(message: String, help: Option<&str>) -> PlanError {
    PlanError {
        message,
        help: help.map(str::to_string),
    }
}

/// Inputs opened together while planning (remote opens overlap their round trips).
const OPEN_BATCH: usize = 8;

/// The branches a luminosity mask reads.
pub const LUMI_BRANCHES: [&str; 2] = ["run", "luminosityBlock"];

/// The sum of generator weights of a NanoAOD file: `genEventSumw` (or the older `genEventSumw_`)
/// over every entry (run) of its `Runs` tree.
fn sum_gen_weights(path: &std::path::Path) -> Result<f64, PlanError> {
    let fail = |why: String| {
        perr(
            format!(
                "`sumw` needs the sum of generator weights, but `{}` {why}",
                path.display()
            ),
            Some(
                "`sumw` reads `genEventSumw` from the file's `Runs` tree (NanoAOD); for other \
                 files normalise with `nevts`",
            ),
        )
    };
    let (file, runs) = crate::io::dataset::open(path, "Runs").map_err(|e| match e {
        crate::io::root::RootError::NotFound { .. } => fail("has no `Runs` tree".into()),
        e => fail(format!("cannot be read: {e}")),
    })?;
    let name = ["genEventSumw", "genEventSumw_"]
        .into_iter()
        .find(|n| runs.has(n))
        .ok_or_else(|| fail("has no `genEventSumw` in its `Runs` tree".into()))?;
    let col = runs
        .read(&file, name, 0..runs.entries())
        .map_err(|e| fail(format!("has an unreadable `{name}`: {e}")))?;
    let values: Vec<f64> = match col.values {
        crate::io::root::ColumnValues::F64(v) => v,
        crate::io::root::ColumnValues::F32(v) => v.into_iter().map(f64::from).collect(),
        _ => return Err(fail(format!("has a `{name}` that is not a float"))),
    };
    if col.offsets.is_some() {
        return Err(fail(format!(
            "has a `{name}` that is not one number per run"
        )));
    }
    Ok(values.iter().sum())
}

/// Opens every input and splits the samples into units.
pub fn plan_units(plan: &Plan, samples: &Samples, opts: &Options) -> Result<RunPlan, PlanError> {
    let mut jobs = Vec::new();
    let mut units = Vec::new();
    let mut warnings = Vec::new();
    let uses_sumw = plan
        .nodes
        .iter()
        .any(|n| n.kind == crate::ir::NodeKind::SampleValue(crate::ir::SampleValue::Sumw));
    for process in &samples.processes {
        for var in &process.variations {
            let take = opts.max_files.unwrap_or(usize::MAX);
            let tree_name = var.tree.clone().unwrap_or_else(|| plan.tree.clone());
            let mut files = Vec::new();
            let mut ranges: Vec<(usize, Range<u64>)> = Vec::new();
            let mut budget = opts.max_events.unwrap_or(u64::MAX);
            // Inputs are opened a batch at a time, a remote batch in parallel (each open is a
            // few round trips); results are taken in file order, a batch's metadata dropped
            // before the next is opened.
            let chosen: Vec<&crate::io::samples::SampleFile> =
                var.files.iter().take(take).collect();
            let inputs = chosen
                .chunks(OPEN_BATCH)
                .enumerate()
                .flat_map(|(bi, batch)| {
                    let open = |f: &&crate::io::samples::SampleFile| {
                        crate::io::dataset::open(&f.path, &tree_name)
                    };
                    let results: Vec<_> =
                        if batch.iter().any(|f| crate::io::dataset::is_remote(&f.path)) {
                            use rayon::prelude::*;
                            batch.par_iter().map(open).collect()
                        } else {
                            batch.iter().map(open).collect()
                        };
                    batch
                        .iter()
                        .zip(results)
                        .enumerate()
                        .map(move |(k, (f, r))| (bi * OPEN_BATCH + k, *f, r))
                });
            for (fi, f, open) in inputs {
                let (file, tree) = open.map_err(|e| match e {
                    crate::io::root::RootError::NotFound { .. } => perr(
                        format!("input `{}`: {e}", f.path.display()),
                        Some("the analysis' `tree` header names the tree to read"),
                    ),
                    _ => perr(
                        format!("cannot read input `{}`: {e}", f.path.display()),
                        Some(
                            "check the path in the samples file and that the file is a ROOT \
                                 file",
                        ),
                    ),
                })?;
                let (friend_files, schema) =
                    open_friends(var, fi, &f.path, &tree_name, tree.entries(), tree.schema())?;
                let needed = plan.needed_columns(&process.name, process.is_data());
                check_branches(plan, &needed, &schema, &tree_name, &f.path)?;
                if var.lumi_mask.is_some() {
                    for b in LUMI_BRANCHES {
                        if !tree.has(b) {
                            return Err(perr(
                                format!(
                                    "input `{}` has no branch `{b}`, which the luminosity mask \
                                     of {}/{} needs",
                                    f.path.display(),
                                    process.name,
                                    var.name
                                ),
                                Some("a `lumi_mask` selects events by `run` and `luminosityBlock`"),
                            ));
                        }
                    }
                }
                let entries = tree.entries();
                // `anac check` compares declared counts only for the files it opens (the first
                // of a remote sample): every input is compared here.
                if let Some(declared) = f.nevts
                    && declared != entries
                {
                    return Err(perr(
                        format!(
                            "input `{}`: the samples file declares nevts {declared} but tree \
                             `{tree_name}` has {entries} entries",
                            f.path.display()
                        ),
                        Some(
                            "update `nevts` in the samples file, or check that the file is complete",
                        ),
                    ));
                }
                for r in group_clusters(&tree.clusters(), entries) {
                    if budget == 0 {
                        break;
                    }
                    let end = r.start + (r.end - r.start).min(budget);
                    budget -= end - r.start;
                    ranges.push((fi, r.start..end));
                }
                if let Some(declared) = f.size_bytes
                    && declared != file.size()
                {
                    warnings.push(format!(
                        "`{}` has {} bytes but the samples file declares size_bytes {declared}",
                        f.path.display(),
                        file.size()
                    ));
                }
                files.push(InputFile {
                    path: f.path.clone(),
                    size: file.size(),
                    uuid: file.uuid(),
                    entries,
                    declared_size: f.size_bytes,
                    friends: friend_files,
                });
            }
            if let Some(total) = var.nevts_total
                && opts.max_files.is_none()
                && var.files.iter().all(|f| f.nevts.is_none())
            {
                let sum: u64 = files.iter().map(|f| f.entries).sum();
                if sum != total {
                    return Err(perr(
                        format!(
                            "{}/{}: the samples file declares nevts_total {total} but the trees \
                             `{tree_name}` of its {} files have {sum} entries",
                            process.name,
                            var.name,
                            files.len()
                        ),
                        Some("update `nevts_total` in the samples file, or check the file list"),
                    ));
                }
            }
            let nevts: u64 = ranges.iter().map(|(_, r)| r.end - r.start).sum();
            let sumw = if uses_sumw && !var.is_data {
                let mut total = 0.0;
                for f in &files {
                    total += sum_gen_weights(&f.path)?;
                }
                if opts.max_events.is_some() {
                    warnings.push(format!(
                        "{}/{}: `sumw` sums whole files' generator weights, but --max-events \
                         processes only part of them",
                        process.name, var.name
                    ));
                }
                Some(total)
            } else {
                None
            };
            let mut outputs = vec![OutVar {
                name: var.name.clone(),
                kind: OutKind::Nominal,
            }];
            let mut kinematic = Vec::new();
            if var.name == "nominal" && !var.is_data {
                for (vi, v) in plan.variations.iter().enumerate() {
                    if !v.processes.is_empty() && !v.processes.contains(&process.name) {
                        continue;
                    }
                    let kind = match v.kind {
                        VariationKind::Weight(_) => OutKind::Weight(vi),
                        VariationKind::Kinematic(_) => {
                            kinematic.push(vi);
                            OutKind::Kinematic {
                                ctx: kinematic.len(),
                                variation: vi,
                            }
                        }
                    };
                    outputs.push(OutVar {
                        name: v.name.clone(),
                        kind,
                    });
                }
            }
            let job = jobs.len();
            for (fi, r) in ranges {
                let id = unit_id(&process.name, &var.name, &files[fi], &r);
                units.push(Unit {
                    job,
                    file: fi,
                    range: r,
                    id,
                });
            }
            jobs.push(Job {
                process: process.name.clone(),
                tree: tree_name,
                variation: var.name.clone(),
                is_data: var.is_data,
                xsec: var.xsec.unwrap_or(f64::NAN),
                nevts,
                sumw,
                lumi_mask: var.lumi_mask.clone(),
                files,
                friends: var
                    .friends
                    .iter()
                    .map(|f| JobFriend {
                        name: f.name.clone(),
                        tree: f.tree.clone(),
                    })
                    .collect(),
                outputs,
                kinematic,
            });
        }
    }
    Ok(RunPlan {
        jobs,
        units,
        warnings,
    })
}

/// Whole clusters grouped into ranges of at least [`UNIT_ENTRIES`] entries.
fn group_clusters(clusters: &[Range<u64>], entries: u64) -> Vec<Range<u64>> {
    let mut out = Vec::new();
    let mut start = 0;
    for c in clusters {
        if c.end - start >= UNIT_ENTRIES {
            out.push(start..c.end);
            start = c.end;
        }
    }
    if start < entries {
        out.push(start..entries);
    }
    out
}

fn unit_id(process: &str, variation: &str, f: &InputFile, r: &Range<u64>) -> String {
    let mut key = format!(
        "{process}\u{0}{variation}\u{0}{}\u{0}{}\u{0}{}-{}",
        f.size,
        hex(&f.uuid),
        r.start,
        r.end
    );
    // A unit reads its friends' files too: another friend file is another unit. (Samples
    // without friends keep the ids they always had.)
    for ff in &f.friends {
        key.push_str(&format!(
            "\u{0}friend\u{0}{}\u{0}{}",
            ff.size,
            hex(&ff.uuid)
        ));
    }
    format!("{:016x}", xxhash_rust::xxh64::xxh64(key.as_bytes(), 0))
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Opens the friends' files paired with input `fi` (at `path`, `entries` entries of
/// `tree_name`): each must hold its friend tree with the same entries, and no friend's name may
/// be a name of this file's tree. Returns the files' identities and the tree's schema joined
/// with the friends' (`name.X`).
fn open_friends(
    var: &crate::io::samples::Variation,
    fi: usize,
    path: &std::path::Path,
    tree_name: &str,
    entries: u64,
    mut schema: crate::io::schema::TreeSchema,
) -> Result<(Vec<FriendFile>, crate::io::schema::TreeSchema), PlanError> {
    let mut out = Vec::with_capacity(var.friends.len());
    for friend in &var.friends {
        let Some(ff) = friend.files.get(fi) else {
            return Err(perr(
                format!(
                    "friend `{}` lists no file for input `{}`",
                    friend.name,
                    path.display()
                ),
                Some("a friend's files pair one-to-one with the sample's, in order"),
            ));
        };
        if let Some(clash) = schema.friend_clash(&friend.name) {
            return Err(perr(
                format!(
                    "input `{}`: friend name `{}` is also {clash}",
                    path.display(),
                    friend.name
                ),
                Some("give the friend a name the main tree does not use"),
            ));
        }
        let (file, ftree) = crate::io::dataset::open(&ff.path, &friend.tree).map_err(|e| {
            perr(
                format!(
                    "cannot read friend `{}` of input `{}`: {e}",
                    friend.name,
                    path.display()
                ),
                Some("check the friend's `files` and `tree` in the samples file"),
            )
        })?;
        if ftree.entries() != entries {
            return Err(perr(
                format!(
                    "friend `{}`: tree `{}` in `{}` has {} entries but tree `{tree_name}` in its \
                     input `{}` has {entries}",
                    friend.name,
                    friend.tree,
                    ff.path.display(),
                    ftree.entries(),
                    path.display()
                ),
                Some(
                    "a friend tree has the same entries as the tree it joins, file by file: check \
                     the order of the friend's files",
                ),
            ));
        }
        schema.join_friend(&friend.name, &ftree.schema());
        out.push(FriendFile {
            path: ff.path.clone(),
            size: file.size(),
            uuid: file.uuid(),
        });
    }
    Ok((out, schema))
}

/// Every branch the plan reads exists in this file's tree (joined with its friends) with the
/// type the analysis was checked against; one that only `only` blocks not run for this sample
/// read may be missing.
fn check_branches(
    plan: &Plan,
    needed: &crate::ir::NeededColumns,
    schema: &crate::io::schema::TreeSchema,
    tree_name: &str,
    path: &std::path::Path,
) -> Result<(), PlanError> {
    let missing = |what: String| {
        perr(
            format!("input `{}`: {what}", path.display()),
            Some(
                "every file of a run must have the branches the analysis reads, with the same types",
            ),
        )
    };
    for (k, f) in plan.fields.iter().enumerate() {
        let coll = &plan.collections[f.coll.0 as usize];
        match schema.collection(&coll.name).and_then(|c| c.field(&f.name)) {
            None if !needed.fields[k] => {}
            None => {
                return Err(missing(format!(
                    "tree `{}` has no branch `{}` (field `{}` of collection `{}`)",
                    tree_name, f.branch, f.name, coll.name
                )));
            }
            Some(s) if s.ty != f.ty => {
                return Err(missing(format!(
                    "branch `{}` is {} here but {} in the file the analysis was checked against",
                    f.branch,
                    s.ty.cpp_name(),
                    f.ty.cpp_name()
                )));
            }
            Some(_) => {}
        }
    }
    let readable = |name: &str| {
        schema.branches.iter().any(|b| b.branch == name)
            || schema
                .collections
                .iter()
                .any(|c| c.fields.iter().any(|f| f.branch == name))
    };
    for (k, c) in plan.collections.iter().enumerate() {
        if !readable(&c.length) && needed.colls[k] {
            return Err(missing(format!(
                "tree `{}` has no branch `{}` (the length of collection `{}`)",
                tree_name, c.length, c.name
            )));
        }
    }
    for (k, s) in plan.scalars.iter().enumerate() {
        match schema.branch(&s.branch) {
            None if !needed.scalars[k] => {}
            None => {
                return Err(missing(format!(
                    "tree `{}` has no branch `{}`",
                    tree_name, s.branch
                )));
            }
            Some(b) if b.ty != s.ty || b.shape != s.shape => {
                return Err(missing(format!(
                    "branch `{}` is {} ({:?}) here but {} ({:?}) in the file the analysis was checked against",
                    s.branch,
                    b.ty.cpp_name(),
                    b.shape,
                    s.ty.cpp_name(),
                    s.shape
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

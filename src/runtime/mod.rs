//! Running an analysis: from a checked `.ana` file to merged, named results.
//!
//! [`prepare`] checks the analysis exactly as `anac check` does (any error stops here), lowers
//! it against the schema of the first input file, optimises the plan (`crate::passes`) and opens
//! every input to split the samples into work units (`units`). [`execute`] runs the units on
//! rayon (`engine`, with the reference interpreter of `eval`) and names the merged results
//! (`results`). Writing them is `crate::io::outputs`.

pub mod accum;
pub mod columns;
pub mod correct;
pub mod engine;
pub mod eval;
pub mod native;
pub mod random;
pub mod results;
pub mod store;
pub mod units;
pub mod validate;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::check::{Options as CheckOptions, RootOpener, check_path, process_infos};
use crate::diagnostics::{Code, Diagnostic, SourceFile, common};
use crate::io::samples::{self, Samples};
use crate::ir::{self, Plan};
use crate::sema::{self, SemaEnv};

/// An input file could not be used (unreadable, missing tree or branch, corrupt data met mid-run).
pub const INPUT: Code = Code("anac::run::input");
/// A weight factor was absent where something was filled.
pub const ABSENT_WEIGHT: Code = Code("anac::run::absent-weight");
/// An expression had no value where one is required at run time.
pub const EVAL: Code = Code("anac::run::eval");
/// The outputs could not be written.
pub const OUTPUT: Code = Code("anac::run::output");

/// A checked, lowered and planned analysis, ready to run.
pub struct Prepared {
    pub source: Arc<SourceFile>,
    /// The plan before and after the passes.
    pub lowered: Plan,
    pub plan: Plan,
    pub samples: Samples,
    pub samples_path: PathBuf,
    pub units: units::RunPlan,
    /// Warnings from the check.
    pub warnings: Vec<Diagnostic>,
}

/// Why preparing failed: diagnostics in the input (exit 1) or an I/O problem (exit 2).
#[derive(Debug)]
pub enum PrepareError {
    Input(Vec<Diagnostic>),
    Io(Box<Diagnostic>),
}

/// Checks, lowers and plans `path`. `samples` overrides the analysis' samples file.
pub fn prepare(
    path: &Path,
    samples_override: Option<&Path>,
    unit_opts: &units::Options,
) -> Result<Prepared, PrepareError> {
    let opts = CheckOptions {
        samples: samples_override.map(Path::to_path_buf),
    };
    let diags = check_path(path, &opts, &RootOpener).map_err(PrepareError::Io)?;
    if diags.iter().any(Diagnostic::is_error) {
        return Err(PrepareError::Input(diags));
    }
    let text = crate::io::text::read_text(path).map_err(|e| {
        PrepareError::Io(Box::new(Diagnostic::error(
            common::IO,
            format!("cannot read `{}`: {e}", path.display()),
        )))
    })?;
    let source = SourceFile::new(path, text);
    let (file, _) = crate::syntax::parse(&source);
    let internal = |m: String| PrepareError::Input(vec![Diagnostic::error(INPUT, m)]);
    let file = file.ok_or_else(|| internal("the analysis did not parse a second time".into()))?;
    let samples_path = match (samples_override, file.samples_path()) {
        (Some(p), _) => p.to_path_buf(),
        (None, Some((p, _))) => path.parent().unwrap_or(Path::new("")).join(p),
        (None, None) => {
            return Err(PrepareError::Input(vec![
                Diagnostic::error(
                    INPUT,
                    "the analysis names no samples file: nothing to run on",
                )
                .with_help(
                    "add a header line `samples \"FILE.yaml\"` or pass `--samples FILE.yaml`",
                ),
            ]));
        }
    };
    let (samples, sdiags) = samples::load(&samples_path).map_err(PrepareError::Io)?;
    let samples = match samples {
        Some(s) if !sdiags.iter().any(Diagnostic::is_error) => s,
        _ => return Err(PrepareError::Input(sdiags)),
    };
    let tree = file
        .tree_name()
        .map(|(t, _)| t.to_string())
        .ok_or_else(|| {
            PrepareError::Input(vec![
                Diagnostic::error(INPUT, "the analysis names no tree to read")
                    .with_help("add a header line such as `tree Events`"),
            ])
        })?;
    let (first_var, first, first_tree) = samples
        .files()
        .next()
        .map(|(_, v, f)| {
            (
                v,
                f.path.clone(),
                v.tree.clone().unwrap_or_else(|| tree.clone()),
            )
        })
        .ok_or_else(|| internal("the samples file lists no input files".into()))?;
    let mut schema = crate::io::dataset::open(&first, &first_tree)
        .map(|(_, t)| t.schema())
        .map_err(|e| internal(format!("cannot read `{}`: {e}", first.display())))?;
    // The first file's friends join its schema as the check joined them (`check::trees`).
    for friend in &first_var.friends {
        let Some(ff) = friend.files.first() else {
            return Err(internal(format!("friend `{}` lists no files", friend.name)));
        };
        let fs = crate::io::dataset::open(&ff.path, &friend.tree)
            .map(|(_, t)| t.schema())
            .map_err(|e| internal(format!("cannot read `{}`: {e}", ff.path.display())))?;
        schema.join_friend(&friend.name, &fs);
    }
    // `only` blocks may read branches that only their samples' files have (`anac check`
    // checked each block against those): lower against every sample's first file's schema
    // (with its friends).
    if has_only(&file.stmts) {
        for var in samples.processes.iter().flat_map(|p| p.variations.iter()) {
            let Some(f) = var.files.first() else {
                continue;
            };
            let t = var.tree.clone().unwrap_or_else(|| tree.clone());
            let mut other = crate::io::dataset::open(&f.path, &t)
                .map(|(_, t)| t.schema())
                .map_err(|e| internal(format!("cannot read `{}`: {e}", f.path.display())))?;
            for friend in &var.friends {
                let Some(ff) = friend.files.first() else {
                    return Err(internal(format!("friend `{}` lists no files", friend.name)));
                };
                let fs = crate::io::dataset::open(&ff.path, &friend.tree)
                    .map(|(_, t)| t.schema())
                    .map_err(|e| internal(format!("cannot read `{}`: {e}", ff.path.display())))?;
                other.join_friend(&friend.name, &fs);
            }
            merge_schema(&mut schema, &other);
        }
    }
    let processes = process_infos(&samples);
    let env = SemaEnv {
        schema: Some(&schema),
        processes: Some(&processes),
        schema_processes: None,
    };
    let (checked, sema_diags) = sema::check(&file, &source, &env);
    if sema_diags.iter().any(Diagnostic::is_error) {
        return Err(PrepareError::Input(sema_diags));
    }
    let checked = checked.ok_or_else(|| internal("semantic analysis gave no result".into()))?;
    let lowered =
        ir::lower(&file, &source.text, &checked, &schema).map_err(|e| internal(e.to_string()))?;
    let plan = crate::passes::optimize(lowered.clone());
    let units = units::plan_units(&plan, &samples, unit_opts).map_err(|e| {
        let mut d = Diagnostic::error(INPUT, e.message);
        if let Some(h) = e.help {
            d = d.with_help(h);
        }
        PrepareError::Input(vec![d])
    })?;
    Ok(Prepared {
        source,
        lowered,
        plan,
        samples,
        samples_path,
        units,
        warnings: diags,
    })
}

/// Whether the analysis has an `only` block (at the top level or in a region).
fn has_only(stmts: &[crate::syntax::ast::Stmt]) -> bool {
    use crate::syntax::ast::StmtKind;
    stmts.iter().any(|s| match &s.kind {
        StmtKind::Only { .. } => true,
        StmtKind::Region { body, .. } => has_only(body),
        _ => false,
    })
}

/// Adds to `into` the collections, fields and branches of `other` it does not have (what it has
/// stays as it is: a file whose type differs is refused when the units are planned).
fn merge_schema(into: &mut crate::io::schema::TreeSchema, other: &crate::io::schema::TreeSchema) {
    for c in &other.collections {
        match into.collections.iter_mut().find(|x| x.name == c.name) {
            Some(mine) => {
                for f in &c.fields {
                    if mine.field(&f.name).is_none() {
                        mine.fields.push(f.clone());
                    }
                }
                mine.fields.sort_by(|a, b| a.name.cmp(&b.name));
            }
            None => into.collections.push(c.clone()),
        }
    }
    for b in &other.branches {
        if into.branch(&b.name).is_none() {
            into.branches.push(b.clone());
        }
    }
    into.branches.sort_by(|a, b| a.name.cmp(&b.name));
}

/// Runs a prepared analysis and names its results.
pub fn execute(
    p: &Prepared,
    opts: &engine::EngineOptions,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &AtomicBool,
) -> Result<(results::Results, Vec<engine::JobResult>, engine::Timing), engine::RunError> {
    let (jobs, timing) = engine::run(&p.plan, &p.units, opts, progress, cancel)?;
    let named = results::assemble(&p.plan, &p.units.jobs, &jobs).map_err(|m| engine::RunError {
        kind: engine::RunErrorKind::Eval,
        message: m,
        file: None,
        entry: None,
    })?;
    Ok((named, jobs, timing))
}

/// The diagnostic for a run-time error: code by kind, the file and entry in the message.
pub fn run_error_diagnostic(e: &engine::RunError) -> Diagnostic {
    use engine::RunErrorKind::*;
    let code = match e.kind {
        Input | Interrupted => INPUT,
        AbsentWeight => ABSENT_WEIGHT,
        Eval => EVAL,
    };
    let mut msg = String::new();
    if let Some(f) = &e.file {
        msg.push_str(&format!("`{}`", f.display()));
        if let Some(entry) = e.entry {
            msg.push_str(&format!(", entry {entry}"));
        }
        msg.push_str(": ");
    }
    msg.push_str(&e.message);
    let help = match e.kind {
        AbsentWeight => Some(
            "give the factor a value with `??` or `if ... then ... else` where it can be absent",
        ),
        Input => Some("the run stopped before writing any output"),
        _ => None,
    };
    let d = Diagnostic::error(code, msg);
    match help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

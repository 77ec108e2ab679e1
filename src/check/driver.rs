//! The check pipeline: `.ana` path → every diagnostic (no printing, no exit codes).
//!
//! read → `syntax::parse` → samples YAML (`io::samples`) → sample trees (`trees::verify`) →
//! `sema::check` once per distinct tree schema (or once without a schema when no file could be
//! opened) → diagnostics de-duplicated across those runs and sorted by file and position.
//!
//! `Err` is reserved for I/O problems that stop the check (the `.ana` file or the samples file
//! cannot be read: exit code 2); everything found in readable input is in `Ok`.

use super::sema_step::{self, ProcessInfo};
use super::trees::{self, SampleSchema, TreeOpener};
use crate::diagnostics::{Diagnostic, Diagnostics, SourceFile, common};
use crate::io::samples::{self, Samples};
use crate::syntax;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What the command line can change.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Samples YAML to use instead of the one the analysis names.
    pub samples: Option<PathBuf>,
}

/// Reads and checks the analysis at `path`.
pub fn check_path(
    path: &Path,
    options: &Options,
    opener: &dyn TreeOpener,
) -> Result<Vec<Diagnostic>, Box<Diagnostic>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Box::new(Diagnostic::error(
            common::IO,
            format!("cannot read `{}`: {e}", path.display()),
        ))
    })?;
    check_source(&SourceFile::new(path, text), options, opener)
}

/// Checks an analysis already in memory; its samples path is relative to `source.path`.
pub fn check_source(
    source: &Arc<SourceFile>,
    options: &Options,
    opener: &dyn TreeOpener,
) -> Result<Vec<Diagnostic>, Box<Diagnostic>> {
    let (file, parse_diags) = syntax::parse(source);
    let mut diags = Diagnostics(parse_diags);
    let Some(file) = file else {
        return Ok(diags.sorted().0);
    };

    let samples = load_samples(source, &file, options, &mut diags)?;
    let schemas = match (&samples, file.tree_name()) {
        (Some(s), Some((tree, _))) => {
            let (schemas, found) = trees::verify(s, tree, opener);
            diags.extend(found);
            schemas
        }
        _ => Vec::new(),
    };
    let processes = samples.as_ref().map(process_infos);
    diags.extend(run_sema(&file, source, &schemas, processes.as_deref()));
    Ok(diags.sorted().0)
}

/// The samples file from `--samples` or the analysis' `samples` header. A file that cannot be
/// read is an I/O error pointing at the header that names it.
fn load_samples(
    source: &Arc<SourceFile>,
    file: &syntax::ast::File,
    options: &Options,
    diags: &mut Diagnostics,
) -> Result<Option<Samples>, Box<Diagnostic>> {
    let (path, named_at) = match (&options.samples, file.samples_path()) {
        (Some(p), _) => (p.clone(), None),
        (None, Some((p, span))) => {
            let base = source.path.parent().unwrap_or(Path::new(""));
            (base.join(p), Some(span))
        }
        (None, None) => return Ok(None),
    };
    match samples::load(&path) {
        Ok((samples, found)) => {
            diags.extend(found);
            Ok(samples)
        }
        Err(mut d) => {
            if let Some(span) = named_at {
                d = Box::new(
                    (*d).in_file(source)
                        .with_primary(span, "named here")
                        .with_help("the samples path is relative to the .ana file; `--samples FILE` overrides it"),
                );
            }
            Err(d)
        }
    }
}

/// What sema needs to know of the samples: names, variations, data or simulation.
pub fn process_infos(samples: &Samples) -> Vec<ProcessInfo> {
    samples
        .processes
        .iter()
        .map(|p| ProcessInfo {
            name: p.name.clone(),
            variations: p.variations.iter().map(|v| v.name.clone()).collect(),
            is_data: p.is_data(),
        })
        .collect()
}

/// Runs sema once per schema and merges the results: identical diagnostics once; one that only
/// some layouts produce says which samples it concerns.
fn run_sema(
    file: &syntax::ast::File,
    source: &Arc<SourceFile>,
    schemas: &[SampleSchema],
    processes: Option<&[ProcessInfo]>,
) -> Vec<Diagnostic> {
    if schemas.is_empty() {
        return sema_step::run(file, source, None, processes);
    }
    // Key → (diagnostic, indices of the schemas that produced it), in first-seen order.
    let mut order: Vec<String> = Vec::new();
    let mut found: HashMap<String, (Diagnostic, Vec<usize>)> = HashMap::new();
    for (i, s) in schemas.iter().enumerate() {
        for d in sema_step::run(file, source, Some(&s.schema), processes) {
            let key = identity(&d);
            match found.get_mut(&key) {
                Some((_, runs)) => {
                    if !runs.contains(&i) {
                        runs.push(i);
                    }
                }
                None => {
                    order.push(key.clone());
                    found.insert(key, (d, vec![i]));
                }
            }
        }
    }
    order
        .into_iter()
        .filter_map(|k| found.remove(&k))
        .map(|(mut d, runs)| {
            if runs.len() < schemas.len() {
                let names: Vec<&str> = runs
                    .iter()
                    .flat_map(|&i| schemas[i].samples.iter().map(String::as_str))
                    .collect();
                let note = format!("only with the tree layout of samples {}", names.join(", "));
                d.help = Some(match d.help.take() {
                    Some(h) => format!("{h}\n{note}"),
                    None => note,
                });
            }
            d
        })
        .collect()
}

/// Two diagnostics are the same when they say the same thing at the same place.
fn identity(d: &Diagnostic) -> String {
    format!(
        "{}|{:?}|{}|{:?}|{:?}|{:?}",
        d.code,
        d.severity,
        d.message,
        d.source.as_ref().map(|s| &s.path),
        d.primary_span(),
        d.help
    )
}

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
    let text = crate::io::text::read_text(path).map_err(|e| {
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
        return sema_step::run(file, source, None, processes, None);
    }
    // Key → (diagnostic, indices of the schemas that produced it), in first-seen order.
    let mut order: Vec<String> = Vec::new();
    let mut found: HashMap<String, (Diagnostic, Vec<usize>)> = HashMap::new();
    for (i, s) in schemas.iter().enumerate() {
        // Samples are labelled `process/variation`: `only` blocks look at the processes.
        let mut mine: Vec<String> = s
            .samples
            .iter()
            .map(|l| {
                l.rsplit_once('/')
                    .map_or(l.as_str(), |(p, _)| p)
                    .to_string()
            })
            .collect();
        mine.dedup();
        for d in sema_step::run(file, source, Some(&s.schema), processes, Some(&mine)) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::trees::{OpenError, TreeInfo};
    use crate::io::schema::{
        CollectionLayout, CollectionSchema, FieldSchema, ScalarType, Shape, TreeSchema,
    };

    /// `a.root` has Jet with pt and eta; other files Jet with eta only.
    struct Fake;

    impl TreeOpener for Fake {
        fn open(&self, path: &Path, tree: &str, _want: bool) -> Result<TreeInfo, OpenError> {
            let name = path.to_string_lossy();
            let with_pt = name.ends_with("a.root");
            // As declared in valid_mixed_forms.yaml.
            let entries = if name.ends_with("c.root") { 5 } else { 10 };
            let field = |n: &str| FieldSchema {
                name: n.into(),
                branch: format!("Jet_{n}"),
                ty: ScalarType::F32,
                shape: Shape::Jagged,
            };
            let mut fields = vec![field("eta")];
            if with_pt {
                fields.push(field("pt"));
            }
            Ok(TreeInfo {
                entries,
                schema: Some(TreeSchema {
                    tree: tree.into(),
                    entries,
                    collections: vec![CollectionSchema {
                        name: "Jet".into(),
                        layout: CollectionLayout::Counter {
                            branch: "nJet".into(),
                        },
                        fields,
                    }],
                    branches: vec![FieldSchema {
                        name: "nJet".into(),
                        branch: "nJet".into(),
                        ty: ScalarType::U32,
                        shape: Shape::Scalar,
                    }],
                    unsupported: vec![],
                }),
            })
        }
    }

    fn fixtures() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/samples")
    }

    fn analysis(body: &str) -> Arc<SourceFile> {
        let text =
            format!("analysis t\ntree Events\nsamples \"valid_mixed_forms.yaml\"\nlumi 1\n{body}");
        SourceFile::new(fixtures().join("t.ana"), text)
    }

    #[test]
    fn a_field_missing_in_one_layout_is_reported_once_naming_its_samples() {
        // valid_mixed_forms.yaml: ttbar/nominal starts with a.root (Jet has pt), ttbar/scaleup
        // and data/nominal use c.root and d.root (no pt).
        let src = analysis(
            "object jets = Jet where pt > 30 and abs(eta) < 2\nhist n = count(jets) in integer(0, 5)\n",
        );
        let diags = check_source(&src, &Options::default(), &Fake).unwrap();
        let unknown: Vec<&Diagnostic> = diags
            .iter()
            .filter(|d| d.code.as_str().starts_with("anac::sema::unknown"))
            .collect();
        assert_eq!(unknown.len(), 1, "{diags:#?}");
        assert_eq!(unknown[0].position(), Some((5, 25)));
        let help = unknown[0].help.clone().unwrap_or_default();
        assert!(help.contains("ttbar/scaleup, data/nominal"), "{help}");
    }

    #[test]
    fn a_field_in_every_layout_is_clean_and_identical_problems_appear_once() {
        let src = analysis(
            "object jets = Jet where abs(eta) < 2\nhist n = count(jets) in integer(0, 5)\nhist m = count(jets) in integer(0, 5)\nconst unused_thing = 3\n",
        );
        let diags = check_source(&src, &Options::default(), &Fake).unwrap();
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
        // Every layout reports the unused constant; it is shown once, without a layout note.
        let unused: Vec<&Diagnostic> = diags
            .iter()
            .filter(|d| d.message.contains("unused_thing"))
            .collect();
        assert_eq!(unused.len(), 1, "{diags:#?}");
        assert!(
            unused[0]
                .help
                .as_deref()
                .is_none_or(|h| !h.contains("tree layout")),
            "{unused:?}"
        );
    }

    #[test]
    fn an_unreadable_samples_file_points_at_the_header() {
        let src = SourceFile::new(
            fixtures().join("t.ana"),
            "analysis t\ntree Events\nsamples \"nope.yaml\"\n",
        );
        let err = check_source(&src, &Options::default(), &Fake).unwrap_err();
        assert_eq!(err.code, common::IO);
        assert_eq!(err.position(), Some((3, 9)));
        // `--samples` replaces the header's path.
        let options = Options {
            samples: Some(fixtures().join("valid_mixed_forms.yaml")),
        };
        let diags = check_source(&src, &options, &Fake).unwrap();
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:#?}");
    }

    #[test]
    fn processes_carry_names_variations_and_the_data_flag() {
        let (s, _) = samples::load(&fixtures().join("valid_mixed_forms.yaml")).unwrap();
        let infos = process_infos(&s.unwrap());
        assert_eq!(infos.len(), 2);
        assert_eq!(infos[0].name, "ttbar");
        assert_eq!(infos[0].variations, ["nominal", "scaleup"]);
        assert!(!infos[0].is_data);
        assert!(infos[1].is_data);
    }
}

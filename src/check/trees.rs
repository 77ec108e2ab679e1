//! Sample files → their trees: entry counts checked against the samples YAML, and the distinct
//! schemas the analysis must be checked against.
//!
//! Input: loaded [`Samples`], the analysis' tree name and a [`TreeOpener`] (the ROOT reader in
//! production, hand-made trees in tests). Output: one [`SampleSchema`] per distinct schema (the
//! first readable file of each process × variation is its representative) and diagnostics in the
//! samples YAML. Files that do not exist are skipped here: `io::samples` already reported them.
//!
//! Invariant: every file is opened at most once; a file that fails to open gives exactly one
//! `unreadable-sample` diagnostic at its path in the YAML.

use crate::diagnostics::{Code, Diagnostic};
use crate::io::samples::{Samples, Variation};
use crate::io::schema::TreeSchema;
use std::path::Path;

/// A sample file exists but cannot be read, or lacks the analysis' tree.
pub const UNREADABLE_SAMPLE: Code = Code("anac::samples::unreadable-sample");
/// A declared `size_bytes` differs from the file's size (warning).
pub const SIZE_MISMATCH: Code = Code("anac::samples::size-mismatch");
/// Declared `nevts` (or `nevts_total`) differs from the tree's entries.
pub const ENTRIES_MISMATCH: Code = Code("anac::samples::entries-mismatch");

/// Why a file could not be opened: a one-line reason for the YAML diagnostic, and the reader's
/// own diagnostic (if any) attached as a related note.
#[derive(Debug, Clone)]
pub struct OpenError {
    pub reason: String,
    pub detail: Option<Box<Diagnostic>>,
}

/// What `check` needs of a tree in a file.
pub struct TreeInfo {
    pub entries: u64,
    /// Only filled when asked for (`want_schema`), since building it reads all branch metadata.
    pub schema: Option<TreeSchema>,
}

/// Opens a tree in a file. Implemented by the ROOT reader adapter and by test doubles.
pub trait TreeOpener {
    fn open(&self, path: &Path, tree: &str, want_schema: bool) -> Result<TreeInfo, OpenError>;
}

/// A schema and the samples (`process/variation`) whose first readable file has it.
#[derive(Debug, Clone)]
pub struct SampleSchema {
    pub schema: TreeSchema,
    pub samples: Vec<String>,
}

/// Opens every existing file of every sample: checks declared entry counts, and collects the
/// distinct schemas (ignoring entry counts, which differ between files of the same layout).
pub fn verify(
    samples: &Samples,
    tree: &str,
    opener: &dyn TreeOpener,
) -> (Vec<SampleSchema>, Vec<Diagnostic>) {
    let mut schemas: Vec<SampleSchema> = Vec::new();
    let mut diags = Vec::new();
    for process in &samples.processes {
        for var in &process.variations {
            let label = format!("{}/{}", process.name, var.name);
            let mut representative: Option<TreeSchema> = None;
            // Entries of each file, `None` when a file could not be read.
            let mut entries: Vec<Option<u64>> = Vec::new();
            for (k, file) in var.files.iter().enumerate() {
                let remote = crate::io::dataset::is_remote(&file.path);
                // A remote sample's first file gives its schema; opening the others would cost
                // round trips for a check (`anac run` opens every input before it starts).
                if (remote && k > 0) || (!remote && !file.path.is_file()) {
                    entries.push(None);
                    continue;
                }
                if let (Some(declared), Some(span), Ok(meta)) = (
                    file.size_bytes,
                    file.size_span,
                    std::fs::metadata(&file.path),
                ) && declared != meta.len()
                {
                    diags.push(
                        Diagnostic::warning(
                            SIZE_MISMATCH,
                            format!(
                                "`size_bytes` is {declared} but `{}` has {} bytes",
                                file.path.display(),
                                meta.len()
                            ),
                        )
                        .in_file(&samples.source)
                        .with_primary(span, format!("the file has {} bytes", meta.len()))
                        .with_help("the file may have been replaced or truncated; update `size_bytes` or check the file"),
                    );
                }
                let tree = var.tree.as_deref().unwrap_or(tree);
                match opener.open(&file.path, tree, representative.is_none()) {
                    Ok(info) => {
                        if representative.is_none() {
                            representative = info.schema;
                        }
                        if let (Some(declared), Some(span)) = (file.nevts, file.nevts_span)
                            && declared != info.entries
                        {
                            diags.push(
                                Diagnostic::error(
                                    ENTRIES_MISMATCH,
                                    format!(
                                        "`nevts` is {declared} but tree `{tree}` in `{}` has {} entries",
                                        file.path.display(),
                                        info.entries
                                    ),
                                )
                                .in_file(&samples.source)
                                .with_primary(span, format!("the file has {}", info.entries))
                                .with_label(file.span, "in this file"),
                            );
                        }
                        entries.push(Some(info.entries));
                    }
                    Err(e) => {
                        let mut d = Diagnostic::error(
                            UNREADABLE_SAMPLE,
                            format!(
                                "cannot use sample file `{}`: {}",
                                file.path.display(),
                                e.reason
                            ),
                        )
                        .in_file(&samples.source)
                        .with_primary(file.span, "unreadable");
                        if let Some(detail) = e.detail {
                            d = d.with_related(*detail);
                        }
                        diags.push(d);
                        entries.push(None);
                    }
                }
            }
            check_total(samples, var, tree, &entries, &mut diags);
            if let Some(schema) = representative {
                add_schema(&mut schemas, schema, label);
            }
        }
    }
    (schemas, diags)
}

/// When no file declares `nevts`, `nevts_total` is compared with the trees' entries (when every
/// file could be read). With per-file counts, those were compared one by one instead.
fn check_total(
    samples: &Samples,
    var: &Variation,
    tree: &str,
    entries: &[Option<u64>],
    diags: &mut Vec<Diagnostic>,
) {
    let (Some(total), Some(span)) = (var.nevts_total, var.nevts_total_span) else {
        return;
    };
    if var.files.is_empty() || var.files.iter().any(|f| f.nevts.is_some()) {
        return;
    }
    let Some(all) = entries.iter().copied().collect::<Option<Vec<u64>>>() else {
        return;
    };
    let sum = all.iter().try_fold(0u64, |a, &b| a.checked_add(b));
    if sum != Some(total) {
        let sum_text = sum.map_or("more than 2^64".to_string(), |s| s.to_string());
        diags.push(
            Diagnostic::error(
                ENTRIES_MISMATCH,
                format!(
                    "`nevts_total` is {total} but the trees `{tree}` of the {} files have {sum_text} entries",
                    var.files.len()
                ),
            )
            .in_file(&samples.source)
            .with_primary(span, format!("the files have {sum_text}"))
            .with_help("correct `nevts_total`: the weights divide by it"),
        );
    }
}

fn add_schema(schemas: &mut Vec<SampleSchema>, mut schema: TreeSchema, label: String) {
    // Entries differ between files of one layout; they are not part of what sema checks.
    schema.entries = 0;
    match schemas.iter_mut().find(|s| s.schema == schema) {
        Some(s) => s.samples.push(label),
        None => schemas.push(SampleSchema {
            schema,
            samples: vec![label],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::SourceFile;
    use crate::io::samples::from_source;
    use crate::io::schema::{FieldSchema, ScalarType, Shape};
    use std::path::PathBuf;

    /// Trees by file name: entries and one branch name (to make schemas differ).
    struct Fake(Vec<(&'static str, u64, &'static str)>);

    impl TreeOpener for Fake {
        fn open(&self, path: &Path, tree: &str, want: bool) -> Result<TreeInfo, OpenError> {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let Some(&(_, entries, branch)) = self.0.iter().find(|f| f.0 == name) else {
                return Err(OpenError {
                    reason: "not a ROOT file".into(),
                    detail: None,
                });
            };
            Ok(TreeInfo {
                entries,
                schema: want.then(|| TreeSchema {
                    tree: tree.to_string(),
                    entries,
                    collections: vec![],
                    branches: vec![FieldSchema {
                        name: branch.into(),
                        branch: branch.into(),
                        ty: ScalarType::F32,
                        shape: Shape::Scalar,
                    }],
                    unsupported: vec![],
                }),
            })
        }
    }

    fn samples(text: &str) -> Samples {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/samples/inline.yaml");
        let (s, d) = from_source(&SourceFile::new(dir, text));
        assert!(d.is_empty(), "{d:?}");
        s.unwrap()
    }

    #[test]
    fn declared_nevts_are_compared_with_entries() {
        let s = samples(
            "p:\n  v:\n    files:\n      - {path: data/a.root, nevts: 10}\n      - {path: data/b.root, nevts: 7}\n    xsec: 1\n",
        );
        let fake = Fake(vec![("a.root", 10, "x"), ("b.root", 8, "x")]);
        let (schemas, diags) = verify(&s, "Events", &fake);
        assert_eq!(schemas.len(), 1);
        assert_eq!(schemas[0].samples, ["p/v"]);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, ENTRIES_MISMATCH);
        assert_eq!(diags[0].position(), Some((5, 36)));
        assert!(
            diags[0].message.contains("has 8 entries"),
            "{}",
            diags[0].message
        );
    }

    #[test]
    fn total_without_per_file_counts_is_compared_with_the_sum() {
        let s = samples(
            "p:\n  v:\n    files: [data/a.root, data/b.root]\n    nevts_total: 20\n    xsec: 1\n",
        );
        let fake = Fake(vec![("a.root", 10, "x"), ("b.root", 8, "x")]);
        let (_, diags) = verify(&s, "Events", &fake);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, ENTRIES_MISMATCH);
        assert_eq!(diags[0].position(), Some((4, 18)));
    }

    #[test]
    fn distinct_schemas_are_kept_apart_and_unreadable_files_reported() {
        let s = samples(
            "p:\n  v:\n    files: [data/a.root]\n    xsec: 1\n  w:\n    files: [data/b.root]\n    xsec: 1\nq:\n  v:\n    files: [data/c.root]\n    xsec: 1\n",
        );
        let fake = Fake(vec![("a.root", 10, "x"), ("b.root", 5, "y")]);
        let (schemas, diags) = verify(&s, "Events", &fake);
        assert_eq!(schemas.len(), 2);
        assert_eq!(schemas[0].samples, ["p/v"]);
        assert_eq!(schemas[1].samples, ["p/w"]);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, UNREADABLE_SAMPLE);
        assert_eq!(diags[0].position(), Some((10, 13)));
    }

    #[test]
    fn equal_layouts_with_different_entries_are_one_schema() {
        let s = samples(
            "p:\n  v:\n    files: [data/a.root]\n    xsec: 1\n  w:\n    files: [data/b.root]\n    xsec: 1\n",
        );
        let fake = Fake(vec![("a.root", 10, "x"), ("b.root", 5, "x")]);
        let (schemas, diags) = verify(&s, "Events", &fake);
        assert!(diags.is_empty());
        assert_eq!(schemas.len(), 1);
        assert_eq!(schemas[0].samples, ["p/v", "p/w"]);
    }
}

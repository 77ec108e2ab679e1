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
/// A friend tree's name is also a name of the main tree (a branch, a collection, the prefix of
/// dotted branches), or its file has other entries than the sample file it pairs with.
pub const FRIEND_MISMATCH: Code = Code("anac::samples::friend-mismatch");

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
            // Per friend, the schema of its first readable file.
            let mut friend_schemas: Vec<Option<TreeSchema>> = vec![None; var.friends.len()];
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
                        diags.push(unreadable(samples, &file.path, file.span, e));
                        entries.push(None);
                    }
                }
                let main_entries = entries.last().copied().flatten();
                verify_friends(
                    samples,
                    var,
                    k,
                    main_entries,
                    opener,
                    &mut friend_schemas,
                    &mut diags,
                );
            }
            check_total(samples, var, tree, &entries, &mut diags);
            if let Some(schema) = representative
                && !var.friend_errors
                && let Some(schema) = join_friends(samples, var, schema, friend_schemas, &mut diags)
            {
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

/// A sample file (or a friend's file) that could not be opened: at its path in the YAML.
fn unreadable(
    samples: &Samples,
    path: &Path,
    span: crate::diagnostics::Span,
    e: OpenError,
) -> Diagnostic {
    let mut d = Diagnostic::error(
        UNREADABLE_SAMPLE,
        format!("cannot use sample file `{}`: {}", path.display(), e.reason),
    )
    .in_file(&samples.source)
    .with_primary(span, "unreadable");
    if let Some(detail) = e.detail {
        d = d.with_related(*detail);
    }
    d
}

/// Opens the friends' files paired with the sample's file `k` (entries `main_entries`, when it
/// could be read): each must have the same entries. The first readable file of each friend
/// gives its schema.
fn verify_friends(
    samples: &Samples,
    var: &Variation,
    k: usize,
    main_entries: Option<u64>,
    opener: &dyn TreeOpener,
    schemas: &mut [Option<TreeSchema>],
    diags: &mut Vec<Diagnostic>,
) {
    let main = &var.files[k];
    for (friend, schema) in var.friends.iter().zip(schemas.iter_mut()) {
        let Some(file) = friend.files.get(k) else {
            continue;
        };
        let remote = crate::io::dataset::is_remote(&file.path);
        if (remote && k > 0) || (!remote && !file.path.is_file()) {
            continue;
        }
        match opener.open(&file.path, &friend.tree, schema.is_none()) {
            Ok(info) => {
                if schema.is_none() {
                    *schema = info.schema;
                }
                if let Some(m) = main_entries
                    && m != info.entries
                {
                    diags.push(
                        Diagnostic::error(
                            FRIEND_MISMATCH,
                            format!(
                                "friend `{}`: tree `{}` in `{}` has {} entries but its sample                                  file `{}` has {m}",
                                friend.name,
                                friend.tree,
                                file.path.display(),
                                info.entries,
                                main.path.display()
                            ),
                        )
                        .in_file(&samples.source)
                        .with_primary(file.span, format!("{} entries", info.entries))
                        .with_label(main.span, format!("{m} entries"))
                        .with_help(
                            "a friend tree has the same entries as the tree it joins, file by                              file: check the order of the friend's files",
                        ),
                    );
                }
            }
            Err(e) => diags.push(unreadable(samples, &file.path, file.span, e)),
        }
    }
}

/// The sample's schema with its friends' branches (`name.X`); `None` (with an error for a
/// clash) when a friend's name is also a name of the main tree, or a friend could not be read
/// (reported where it was opened).
fn join_friends(
    samples: &Samples,
    var: &Variation,
    mut schema: TreeSchema,
    friends: Vec<Option<TreeSchema>>,
    diags: &mut Vec<Diagnostic>,
) -> Option<TreeSchema> {
    let mut ok = true;
    for (friend, fs) in var.friends.iter().zip(friends) {
        if let Some(clash) = schema.friend_clash(&friend.name) {
            diags.push(
                Diagnostic::error(
                    FRIEND_MISMATCH,
                    format!(
                        "friend name `{}` is also {clash}: `{}.X` would be ambiguous",
                        friend.name, friend.name
                    ),
                )
                .in_file(&samples.source)
                .with_primary(friend.name_span, "clashes with the main tree")
                .with_help("give the friend a name the main tree does not use"),
            );
            ok = false;
            continue;
        }
        match fs {
            Some(fs) => schema.join_friend(&friend.name, &fs),
            None => ok = false,
        }
    }
    ok.then_some(schema)
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

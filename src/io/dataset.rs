//! What the engine reads events from: a TTree or an RNTuple inside a ROOT file, local or remote.
//! [`Dataset`] gives both the one interface the runtime and the checker use (entries, clusters,
//! schema, typed columns of an entry range), so everything above `src/io` is unaware of which
//! format a sample is stored in. [`open`] opens a location (a path, or an `http(s)://` URL) and
//! keeps the last opened ones, as `root::cache` does for trees.
//!
//! Invariant: a name resolves to whichever object of that name the file's directory holds, by
//! its class (`TTree`/`TNtuple` or `ROOT::RNTuple`); both give columns with the invariants of
//! [`Column`].

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use super::rntuple::RNTuple;
use super::root::{Column, RootError, RootFile, Scratch, Tree};
use super::schema::TreeSchema;

/// A tree-like dataset: a TTree or an RNTuple.
#[derive(Clone)]
pub enum Dataset {
    Tree(Tree),
    RNTuple(RNTuple),
}

impl Dataset {
    /// The dataset `name` (`dir/name` allowed) of `file`.
    pub fn open(file: &RootFile, name: &str) -> Result<Dataset, RootError> {
        let tree_missing = match file.tree(name) {
            Ok(t) => return Ok(Dataset::Tree(t)),
            Err(e @ RootError::NotFound { .. }) => e,
            Err(e) => return Err(e),
        };
        match RNTuple::open(file, name) {
            Ok(r) => Ok(Dataset::RNTuple(r)),
            Err(RootError::NotFound { .. }) => {
                // Neither: name what the file does hold.
                let rntuples = rntuples(file);
                if rntuples.is_empty() {
                    return Err(tree_missing);
                }
                let trees = file.trees().unwrap_or_default();
                Err(RootError::NotFound {
                    path: file.path().to_path_buf(),
                    what: format!(
                        "no tree or RNTuple named `{name}` (trees: {}; RNTuples: {})",
                        if trees.is_empty() {
                            "none".to_string()
                        } else {
                            trees.join(", ")
                        },
                        rntuples.join(", ")
                    ),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// "TTree" or "RNTuple", for messages.
    pub fn format(&self) -> &'static str {
        match self {
            Dataset::Tree(_) => "TTree",
            Dataset::RNTuple(_) => "RNTuple",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Dataset::Tree(t) => t.name(),
            Dataset::RNTuple(r) => r.name(),
        }
    }

    pub fn entries(&self) -> u64 {
        match self {
            Dataset::Tree(t) => t.entries(),
            Dataset::RNTuple(r) => r.entries(),
        }
    }

    /// Entry ranges of the clusters (units and chunks align to them), in order.
    pub fn clusters(&self) -> Vec<Range<u64>> {
        match self {
            Dataset::Tree(t) => t.clusters(),
            Dataset::RNTuple(r) => r.clusters(),
        }
    }

    /// What an analysis sees: collections, per-event values, what cannot be read and why.
    pub fn schema(&self) -> TreeSchema {
        match self {
            Dataset::Tree(t) => t.schema(),
            Dataset::RNTuple(r) => r.schema(),
        }
    }

    /// Whether `name` can be read (a field, a per-event value or a collection's length).
    pub fn has(&self, name: &str) -> bool {
        match self {
            Dataset::Tree(t) => t.branch(name).is_some(),
            Dataset::RNTuple(r) => {
                let s = r.schema();
                s.branches.iter().any(|b| b.branch == name)
                    || s.collections.iter().any(|c| {
                        c.fields.iter().any(|f| f.branch == name)
                            || matches!(&c.layout, crate::io::schema::CollectionLayout::Counter { branch } if branch == name)
                    })
            }
        }
    }

    /// Reads `entries` of the column `name` (a schema `branch` or a collection length) into
    /// `out`, reusing its and `scratch`'s allocations.
    pub fn read_into(
        &self,
        file: &RootFile,
        name: &str,
        entries: Range<u64>,
        out: &mut Column,
        scratch: &mut Scratch,
    ) -> Result<(), RootError> {
        match self {
            Dataset::Tree(t) => t.read_into(file, name, entries, out, scratch),
            Dataset::RNTuple(r) => r.read_into(file, name, entries, out, scratch),
        }
    }

    /// Reads `entries` of `name` into a new column.
    pub fn read(
        &self,
        file: &RootFile,
        name: &str,
        entries: Range<u64>,
    ) -> Result<Column, RootError> {
        let mut out = Column::default();
        let mut scratch = Scratch::default();
        self.read_into(file, name, entries, &mut out, &mut scratch)?;
        Ok(out)
    }

    /// File byte ranges that reading `names` over `entries` touches (sorted, adjacent ones
    /// merged): what a remote source fetches ahead in one go.
    pub fn byte_ranges(&self, names: &[&str], entries: Range<u64>) -> Vec<Range<u64>> {
        match self {
            Dataset::Tree(t) => t.byte_ranges(names, entries),
            Dataset::RNTuple(r) => r.byte_ranges(names, entries),
        }
    }
}

/// Names of the RNTuples at the top of `file` (none when its keys cannot be listed: the caller
/// reports the tree error instead).
pub fn rntuples(file: &RootFile) -> Vec<String> {
    let mut out: Vec<String> = file
        .keys()
        .map(|keys| {
            keys.into_iter()
                .filter(|k| super::rntuple::is_rntuple_class(&k.class_name))
                .map(|k| k.name)
                .collect()
        })
        .unwrap_or_default();
    out.dedup();
    out
}

/// Opens the dataset `name` of the file at `location` (cached; see `root::cache`).
pub fn open(location: &Path, name: &str) -> Result<(Arc<RootFile>, Dataset), RootError> {
    super::root::cache::open_dataset(location, name)
}

/// Whether `location` names a file served over HTTP(S).
pub fn is_remote(location: &Path) -> bool {
    location.to_str().is_some_and(super::http::is_remote)
}

/// Opens the ROOT file at `location`: a local path, or an `http(s)://` URL read with range
/// requests.
pub fn open_file(location: &Path) -> Result<RootFile, RootError> {
    if let Some(s) = location.to_str()
        && s.contains("://")
        && !is_remote(location)
    {
        let what = if s
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("root://"))
        {
            "XRootD (`root://`) is not supported yet: give the storage's HTTPS address \
             (`https://host/path`), which most XRootD servers also serve"
        } else {
            "only local paths and http(s):// addresses can be read"
        };
        return Err(RootError::Io {
            path: location.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::Unsupported, what),
        });
    }
    match location.to_str() {
        Some(url) if is_remote(location) => super::http::open_root(url),
        _ => RootFile::open(location),
    }
}

/// Sorts `ranges` and merges those that touch or overlap.
pub fn merge_ranges(mut ranges: Vec<Range<u64>>) -> Vec<Range<u64>> {
    ranges.retain(|r| r.start < r.end);
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut out: Vec<Range<u64>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

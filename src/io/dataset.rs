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

use super::root::{Column, RootError, RootFile, Scratch, Tree};
use super::schema::TreeSchema;

/// A tree-like dataset: a TTree or an RNTuple.
#[derive(Clone)]
pub enum Dataset {
    Tree(Tree),
}

impl Dataset {
    /// The dataset `name` (`dir/name` allowed) of `file`.
    pub fn open(file: &RootFile, name: &str) -> Result<Dataset, RootError> {
        Ok(Dataset::Tree(file.tree(name)?))
    }

    /// "TTree" or "RNTuple", for messages.
    pub fn format(&self) -> &'static str {
        match self {
            Dataset::Tree(_) => "TTree",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Dataset::Tree(t) => t.name(),
        }
    }

    pub fn entries(&self) -> u64 {
        match self {
            Dataset::Tree(t) => t.entries(),
        }
    }

    /// Entry ranges of the clusters (units and chunks align to them), in order.
    pub fn clusters(&self) -> Vec<Range<u64>> {
        match self {
            Dataset::Tree(t) => t.clusters(),
        }
    }

    /// What an analysis sees: collections, per-event values, what cannot be read and why.
    pub fn schema(&self) -> TreeSchema {
        match self {
            Dataset::Tree(t) => t.schema(),
        }
    }

    /// Whether `name` can be read (a field, a per-event value or a collection's length).
    pub fn has(&self, name: &str) -> bool {
        match self {
            Dataset::Tree(t) => t.branch(name).is_some(),
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
        }
    }
}

/// Opens the dataset `name` of the file at `location` (cached; see `root::cache`).
pub fn open(location: &Path, name: &str) -> Result<(Arc<RootFile>, Dataset), RootError> {
    super::root::cache::open_dataset(location, name)
}

/// Whether `location` names a file served over HTTP(S).
pub fn is_remote(location: &Path) -> bool {
    location
        .to_str()
        .is_some_and(|s| s.starts_with("http://") || s.starts_with("https://"))
}

/// Opens the ROOT file at `location`: a local path, or an `http(s)://` URL read with range
/// requests.
pub fn open_file(location: &Path) -> Result<RootFile, RootError> {
    if let Some(s) = location.to_str()
        && s.starts_with("root://")
    {
        return Err(RootError::Unsupported {
            path: location.to_path_buf(),
            what: "XRootD (`root://`) is not supported yet; use the storage's HTTPS endpoint \
                   (`https://host/path`), which most XRootD servers also serve"
                .into(),
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

//! anac's own RNTuple reader (on-disk format 1.x, ROOT >= 6.34), beside the TTree reader and
//! with the same contract, so the runtime can read either.
//!
//! Layers, bottom up: `meta` (the anchor — a `ROOT::RNTuple` key of the ROOT file —, the header
//! and footer envelopes with their xxhash3 checksums, the page lists of the cluster groups,
//! frames and locators), `decode` (one column's pages over a cluster-local element range:
//! decompression through the TTree reader's ROOT block decoder, page checksums, split, zigzag and
//! delta encodings, bit, half, truncated and quantized floats), `read` (a field path → levels of
//! collections and fixed arrays over a leaf → a [`Column`] over an entry range), `schema`
//! (fields → the [`TreeSchema`] an analysis sees, the same shape as the NanoAOD TTree's; and
//! `describe` for `anac inspect`).
//!
//! Invariants: every byte is read through the [`RootFile`]'s `ByteSource`; every offset, size
//! and count from the file is checked against the file, its envelope or its page before use, so
//! a corrupt or truncated file is a [`RootError`] naming the file, never a panic or a huge
//! allocation. Collection index columns count relative to their cluster; values decoded from a
//! page must match the element count its page list states; offsets handed out start at 0 for the
//! first entry of the requested range, whatever clusters it spans.

mod decode;
mod meta;
mod read;
mod schema;

use crate::io::root::{Column, RootError, RootFile, Scratch};
use crate::io::schema::TreeSchema;
use std::ops::Range;
use std::sync::Arc;

/// A failure inside the reader, without the file (added at the API boundary). A message ending
/// in "is not supported" becomes [`RootError::Unsupported`], any other [`RootError::Invalid`].
#[derive(Debug, Clone)]
pub(crate) struct Fail(pub String);

impl Fail {
    pub(crate) fn context(self, ctx: impl std::fmt::Display) -> Fail {
        Fail(format!("{ctx}: {}", self.0))
    }

    pub(crate) fn into_root(self, path: &std::path::Path) -> RootError {
        match self.0.strip_suffix(" is not supported") {
            Some(what) => RootError::Unsupported {
                path: path.to_path_buf(),
                what: what.to_string(),
            },
            None => RootError::Invalid {
                path: path.to_path_buf(),
                what: self.0,
            },
        }
    }
}

macro_rules! fail {
    ($($arg:tt)*) => { Err($crate::io::rntuple::Fail(format!($($arg)*))) };
}
pub(crate) use fail;

/// Whether a key's class names an RNTuple anchor (`ROOT::RNTuple`; also the pre-6.34
/// `ROOT::Experimental::RNTuple`, read only when its anchor says format 1.x).
pub fn is_rntuple_class(class_name: &str) -> bool {
    matches!(class_name, "ROOT::RNTuple" | "ROOT::Experimental::RNTuple")
}

/// An RNTuple's metadata; read data with [`RNTuple::read_into`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RNTuple {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    key: String,
    meta: meta::Meta,
}

impl RNTuple {
    /// Opens the RNTuple `name` (`dir/name` allowed) of `file`: reads and checks its anchor,
    /// header, footer and page lists.
    pub fn open(file: &RootFile, name: &str) -> Result<RNTuple, RootError> {
        let (class, obj) = file.object_of_class(name, is_rntuple_class)?;
        let ctx = |f: Fail| {
            f.context(format!("RNTuple `{name}`"))
                .into_root(file.path())
        };
        let anchor = meta::parse_anchor(&obj)
            .map_err(|f| {
                if class == "ROOT::RNTuple" {
                    return f;
                }
                // ROOT before 6.34 wrote pre-release formats under this class name.
                let why = f.0.strip_suffix(" is not supported").unwrap_or(&f.0);
                Fail(format!(
                    "a `{class}` anchor (ROOT before 6.34) that is not format 1.x ({why}) is not \
                     supported"
                ))
            })
            .map_err(ctx)?;
        let meta = meta::read_meta(file, anchor).map_err(ctx)?;
        Ok(RNTuple {
            inner: Arc::new(Inner {
                key: name.to_string(),
                meta,
            }),
        })
    }

    /// The name it was opened by (the key's name).
    pub fn name(&self) -> &str {
        &self.inner.key
    }

    pub fn entries(&self) -> u64 {
        self.inner.meta.entries
    }

    /// Entry ranges of the clusters, in order.
    pub fn clusters(&self) -> Vec<Range<u64>> {
        self.inner
            .meta
            .clusters
            .iter()
            .map(|c| c.first_entry..c.first_entry + c.entries)
            .collect()
    }

    /// What an analysis sees: collections, per-event branches, unsupported fields.
    pub fn schema(&self) -> TreeSchema {
        schema::schema_of(&self.inner.meta, &self.inner.key)
    }

    /// Reads `entries` of the field `name` (a schema `branch` string: a top-level field, or a
    /// dotted path into records, `rec.x`, `coll.x`) into `out`, reusing its and `scratch`'s
    /// allocations.
    pub fn read_into(
        &self,
        file: &RootFile,
        name: &str,
        entries: Range<u64>,
        out: &mut Column,
        scratch: &mut Scratch,
    ) -> Result<(), RootError> {
        let meta = &self.inner.meta;
        let path = read::resolve(meta, name).map_err(|f| match f {
            read::Resolve::NotFound(what) => RootError::NotFound {
                path: file.path().to_path_buf(),
                what: format!("RNTuple `{}`: {what}", self.inner.key),
            },
            read::Resolve::Bad(f) => f
                .context(format!("RNTuple `{}`, field `{name}`", self.inner.key))
                .into_root(file.path()),
        })?;
        if entries.start > entries.end || entries.end > meta.entries {
            return Err(RootError::NotFound {
                path: file.path().to_path_buf(),
                what: format!(
                    "entry range {}..{} is outside RNTuple `{}` (0..{})",
                    entries.start, entries.end, self.inner.key, meta.entries
                ),
            });
        }
        read::read(meta, file, &path, entries, out, scratch).map_err(|f| {
            f.context(format!("RNTuple `{}`, field `{name}`", self.inner.key))
                .into_root(file.path())
        })
    }

    /// File byte ranges of the pages needed to read `names` over `entries` (for prefetching),
    /// sorted and merged when adjacent or overlapping. Names that do not resolve are skipped.
    pub fn byte_ranges(&self, names: &[&str], entries: Range<u64>) -> Vec<Range<u64>> {
        let meta = &self.inner.meta;
        let mut cols = Vec::new();
        for name in names {
            if let Ok(p) = read::resolve(meta, name) {
                read::columns_of(meta, &p, &mut cols);
            }
        }
        cols.sort_unstable();
        cols.dedup();
        let mut ranges = Vec::new();
        for c in &meta.clusters {
            let span = c.first_entry..c.first_entry + c.entries;
            if span.end <= entries.start || span.start >= entries.end || span.is_empty() {
                continue;
            }
            for &col in &cols {
                if let Some(cp) = c.columns.get(col as usize) {
                    for p in &cp.pages {
                        let extra = if p.checksum { 8 } else { 0 };
                        ranges
                            .push(p.offset..p.offset.saturating_add(p.size.saturating_add(extra)));
                    }
                }
            }
        }
        ranges.sort_by_key(|r| (r.start, r.end));
        let mut merged: Vec<Range<u64>> = Vec::new();
        for r in ranges {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        merged
    }

    /// A human-readable description: fields, columns, clusters, pages (for `anac inspect`).
    pub fn describe(&self) -> String {
        schema::describe(&self.inner.meta, &self.inner.key)
    }
}

//! anac's ROOT file writer: histograms (`TH1D`, `TH2D`, `TH3D`), profiles (`TProfile`,
//! `TProfile2D`) and flat trees (`TTree`, including
//! `std::vector<T>` branches) in a new file, in its top directory or in subdirectories.
//!
//! Input: [`Hist1D`], [`Hist2D`] and [`Tree`] values. Output: a ROOT file that ROOT and uproot read
//! without warnings, with ZLIB-compressed objects and a streamer-info record for every class used.
//!
//! Invariants:
//! - The file is written to a temporary name beside the target and renamed only by
//!   [`RootWriter::finish`]; a writer dropped before that removes its temporary file, so a
//!   half-written output never appears under the target name.
//! - Every object is validated before any byte of it is written; an error leaves the writer usable
//!   and the file consistent.
//! - Object names are unique within each directory (each key has cycle 1).
//!
//! The byte layout follows ROOT's documented format; the class descriptions are anac's own table
//! (`classes`, `tree_classes`). Nothing here depends on the ROOT reader in `io::root`.

mod buffer;
mod classes;
mod column;
mod compress;
mod file;
mod hist;
mod streamers;
mod tree;
mod tree_classes;
mod tree_object;

use std::path::{Path, PathBuf};

pub use hist::{Axis, AxisEdges, Hist1D, Hist2D, Hist3D, Profile1D, Profile2D};
pub use tree::{Branch, BranchData, Column, Tree};

use file::{DirId, KeyName, Sink};

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is not a file path with a valid UTF-8 file name")]
    BadPath(PathBuf),
    #[error("invalid object: {0}")]
    Invalid(String),
    #[error("an object named {0:?} is already in this file")]
    DuplicateName(String),
    #[error("{0} is too large for a ROOT key (1 GiB at most)")]
    TooLarge(&'static str),
    #[error("the ROOT writer was used after `finish`")]
    Finished,
}

impl WriteError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        WriteError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A ROOT file being written. Call [`RootWriter::finish`] to make it appear under its name.
pub struct RootWriter {
    /// `None` only after `finish` has taken it.
    sink: Option<Sink>,
    /// Per directory: its path from the top ("" for the top) and the names its keys use.
    dirs: Vec<(String, Vec<String>)>,
    /// Where objects are written now (see [`RootWriter::cd`]).
    current: DirId,
    /// Classes whose objects the file holds (roots of the streamer-info closure), first use first.
    classes: Vec<&'static str>,
}

impl RootWriter {
    /// Starts a new file at `path` (written under a temporary name until [`RootWriter::finish`]).
    pub fn create(path: impl AsRef<Path>) -> Result<Self, WriteError> {
        Self::with_sink(Sink::create(path.as_ref())?)
    }

    /// Like [`RootWriter::create`], with a fixed timestamp and a UUID derived from `seed` (e.g. a
    /// hash of the contents): the same objects written in the same order give the same bytes.
    pub fn create_reproducible(path: impl AsRef<Path>, seed: &[u8]) -> Result<Self, WriteError> {
        Self::with_sink(Sink::create_reproducible(path.as_ref(), seed)?)
    }

    fn with_sink(sink: Sink) -> Result<Self, WriteError> {
        Ok(RootWriter {
            sink: Some(sink),
            dirs: vec![(String::new(), Vec::new())],
            current: 0,
            classes: Vec::new(),
        })
    }

    fn sink(&mut self) -> Result<&mut Sink, WriteError> {
        // `sink` is only taken by `finish`, which consumes `self`: this error cannot happen
        // through the public API, but it is an error value rather than a panic.
        self.sink.as_mut().ok_or(WriteError::Finished)
    }

    fn claim_name(&self, name: &str) -> Result<(), WriteError> {
        if name.contains('/') {
            return Err(WriteError::Invalid(format!(
                "object name {name:?} contains '/'"
            )));
        }
        if self.dirs[self.current].1.iter().any(|n| n == name) {
            return Err(WriteError::DuplicateName(name.to_string()));
        }
        Ok(())
    }

    /// Makes `path` (`"a/b"`, relative to the top directory; `""` is the top) the directory that
    /// later objects go to, creating missing directories on the way.
    pub fn cd(&mut self, path: &str) -> Result<(), WriteError> {
        self.current = 0;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            let here = &self.dirs[self.current].0;
            let full = if here.is_empty() {
                part.to_string()
            } else {
                format!("{here}/{part}")
            };
            if let Some(d) = self.dirs.iter().position(|(p, _)| *p == full) {
                self.current = d;
                continue;
            }
            self.claim_name(part)?;
            let parent = self.current;
            let sink = self.sink.as_mut().ok_or(WriteError::Finished)?;
            let d = sink.mkdir(parent, part, part)?;
            self.dirs[parent].1.push(part.to_string());
            debug_assert_eq!(d, self.dirs.len());
            self.dirs.push((full, Vec::new()));
            self.current = d;
        }
        Ok(())
    }

    fn use_class(&mut self, class: &'static str) {
        if !self.classes.contains(&class) {
            self.classes.push(class);
        }
    }

    /// Writes an object payload built for its key length, as a key listed in the top directory.
    fn write_listed(
        &mut self,
        class: &'static str,
        name: &str,
        title: &str,
        build: impl FnOnce(u32) -> Result<Vec<u8>, WriteError>,
    ) -> Result<(), WriteError> {
        self.claim_name(name)?;
        let key = KeyName {
            class,
            name,
            title,
            cycle: 1,
        };
        let keylen = self.sink()?.keylen(&key, false) as u32;
        let payload = build(keylen)?;
        let dir = self.current;
        self.sink()?
            .write_key(&key, false, &[], &payload, true, dir)?;
        self.dirs[dir].1.push(name.to_string());
        self.use_class(class);
        Ok(())
    }

    /// Writes a `TH1D` into the current directory.
    pub fn write_hist1d(&mut self, h: &Hist1D) -> Result<(), WriteError> {
        self.write_listed("TH1D", &h.name, &h.title, |k| hist::th1d(h, k))
    }

    /// Writes a `TH2D`.
    pub fn write_hist2d(&mut self, h: &Hist2D) -> Result<(), WriteError> {
        self.write_listed("TH2D", &h.name, &h.title, |k| hist::th2d(h, k))
    }

    pub fn write_hist3d(&mut self, h: &Hist3D) -> Result<(), WriteError> {
        self.write_listed("TH3D", &h.name, &h.title, |k| hist::th3d(h, k))
    }

    /// Writes a `TProfile`.
    pub fn write_profile1d(&mut self, p: &Profile1D) -> Result<(), WriteError> {
        let h = &p.hist;
        self.write_listed("TProfile", &h.name, &h.title, |k| hist::tprofile(p, k))
    }

    /// Writes a `TProfile2D`.
    pub fn write_profile2d(&mut self, p: &Profile2D) -> Result<(), WriteError> {
        let h = &p.hist;
        self.write_listed("TProfile2D", &h.name, &h.title, |k| hist::tprofile2d(p, k))
    }

    /// Writes a `TTree`: its baskets first, then the tree object that points at them.
    pub fn write_tree(&mut self, t: &Tree) -> Result<(), WriteError> {
        self.write_tree_chunks(std::iter::once(t))
    }

    /// Writes one `TTree` from consecutive chunks of entries, so a big tree never has to be in
    /// memory at once. Every chunk must have the first chunk's name and branches (names, kinds,
    /// element types, counters); each chunk's baskets are written as soon as it arrives, and the
    /// first chunk's cluster size is recorded as the tree's.
    pub fn write_tree_chunks<'a>(
        &mut self,
        chunks: impl IntoIterator<Item = &'a Tree>,
    ) -> Result<(), WriteError> {
        let mut chunks = chunks.into_iter();
        let Some(first) = chunks.next() else {
            return Err(WriteError::Invalid(
                "a tree needs at least one chunk".into(),
            ));
        };
        self.claim_name(&first.name)?;
        let dir = self.current;
        let schema = tree::schema_of(first);
        let mut plan = tree::plan(first)?;
        let sink = self.sink.as_mut().ok_or(WriteError::Finished)?;
        let mut written = tree::write_baskets(sink, dir, first, &plan)?;
        for chunk in chunks {
            let shape = tree::schema_of(chunk);
            if (&shape.name, &shape.title, &shape.branches)
                != (&schema.name, &schema.title, &schema.branches)
            {
                return Err(WriteError::Invalid(format!(
                    "tree {:?}: a chunk's name or branches differ from the first chunk's",
                    first.name
                )));
            }
            let p = tree::plan(chunk)?;
            written.append(tree::write_baskets(sink, dir, chunk, &p)?, plan.entries());
            plan.absorb(&p);
        }
        for class in plan.leaf_classes() {
            self.use_class(class);
        }
        self.write_listed("TTree", &schema.name, &schema.title, |k| {
            Ok(tree::ttree(&schema, &plan, &written, k))
        })
    }

    /// Writes the closing records and renames the file into place.
    pub fn finish(mut self) -> Result<(), WriteError> {
        let classes = streamers::closure(&self.classes);
        let sink = self.sink.take().ok_or(WriteError::Finished)?;
        let tmp = sink.tmp_path().to_path_buf();
        let result = sink.finish(|keylen| streamers::streamer_list(&classes, keylen));
        if result.is_err() {
            // Never leave a half-written file behind, not even under its temporary name.
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }
}

impl Drop for RootWriter {
    fn drop(&mut self) {
        if let Some(sink) = self.sink.take() {
            sink.abandon();
        }
    }
}

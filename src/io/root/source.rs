//! Where a ROOT file's bytes come from: one trait, [`ByteSource`], that the reader reads every
//! byte through (the header, key lists, metadata and baskets), so that remote files (HTTP range
//! requests) can be added beside the local file without touching the reader.
//!
//! Invariant: `read_at` fills the whole buffer or fails; a source never returns short data. The
//! reader checks every offset and length against `size()` before it asks.

use std::os::unix::fs::FileExt;
use std::path::Path;

/// Positional reads of a fixed-size byte sequence, shared by many threads.
pub trait ByteSource: Send + Sync {
    /// The total size in bytes (fixed while the source is open).
    fn size(&self) -> u64;
    /// Fills `buf` with the bytes at `offset..offset + buf.len()`.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()>;
    /// A hint: the byte ranges about to be read (e.g. the baskets of one cluster of the needed
    /// branches), so a remote source can fetch them in few requests. Sources with cheap reads
    /// ignore it (the default). Never required for correctness: `read_at` works without it.
    fn prefetch(&self, ranges: &[std::ops::Range<u64>]) {
        let _ = ranges;
    }
}

/// A file on the local disk, read with `pread` (no shared cursor, so threads never contend).
pub struct LocalFile {
    file: std::fs::File,
    size: u64,
}

impl LocalFile {
    pub fn open(path: &Path) -> std::io::Result<LocalFile> {
        let file = std::fs::File::open(path)?;
        let size = file.metadata()?.len();
        Ok(LocalFile { file, size })
    }
}

impl ByteSource for LocalFile {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        self.file.read_exact_at(buf, offset)
    }
}

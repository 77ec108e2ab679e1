//! Recently opened datasets (trees and RNTuples), shared by the stages of one process: `anac run`
//! opens each input for the check, for planning and for its work units, and a tree's metadata
//! (hundreds of branches in NanoAOD) would otherwise be parsed each time.
//!
//! Invariants: a local entry is used only while the file's size and modification time are those
//! it was opened with; a remote one (`http(s)://`) while its source is open (the source itself
//! refuses a file whose size changed); at most [`CAPACITY`] datasets are kept (least recently
//! used dropped), so memory does not grow with the number of inputs (a remote file's source
//! keeps a bounded block cache). Datasets of one file share its open `RootFile`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::{RootError, RootFile};
use crate::io::dataset::Dataset;

/// Datasets kept.
pub const CAPACITY: usize = 16;

/// What identifies the bytes of an opened location: size and modification time of a local file;
/// None for a remote one.
type Stamp = Option<(u64, Option<SystemTime>)>;

struct Entry {
    path: PathBuf,
    name: String,
    stamp: Stamp,
    file: Arc<RootFile>,
    meta: Dataset,
}

static RECENT: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// The file at `path` (a local path or an `http(s)://` URL) and its dataset `name`, from the
/// cache when it is still that file.
pub fn open_dataset(path: &Path, name: &str) -> Result<(Arc<RootFile>, Dataset), RootError> {
    let remote = crate::io::dataset::is_remote(path);
    let stamp: Stamp = if remote {
        None
    } else {
        match std::fs::metadata(path) {
            Ok(m) => Some((m.len(), m.modified().ok())),
            // Not cached: the open below reports why the file cannot be read.
            Err(_) => return open_uncached(path, name),
        }
    };
    if let Ok(mut recent) = RECENT.lock()
        && let Some(i) = recent
            .iter()
            .position(|e| e.path == path && e.name == name && e.stamp == stamp)
    {
        // Most recently used last.
        let e = recent.remove(i);
        let hit = (e.file.clone(), e.meta.clone());
        recent.push(e);
        return Ok(hit);
    }
    let (file, meta) = open_uncached(path, name)?;
    if let Ok(mut recent) = RECENT.lock() {
        if recent.len() >= CAPACITY {
            recent.remove(0);
        }
        recent.push(Entry {
            path: path.to_path_buf(),
            name: name.to_string(),
            stamp,
            file: file.clone(),
            meta: meta.clone(),
        });
    }
    Ok((file, meta))
}

/// Opens `name` in the file at `path`, reusing the open file of another dataset of it (the
/// `Runs` tree beside `Events`: a remote file is then not opened, and its metadata not
/// fetched, twice).
fn open_uncached(path: &Path, name: &str) -> Result<(Arc<RootFile>, Dataset), RootError> {
    let open = RECENT.lock().ok().and_then(|recent| {
        recent
            .iter()
            .rev()
            .find(|e| e.path == path && e.stamp == stamp_of(path))
            .map(|e| e.file.clone())
    });
    let file = match open {
        Some(f) => f,
        None => Arc::new(crate::io::dataset::open_file(path)?),
    };
    let meta = Dataset::open(&file, name)?;
    Ok((file, meta))
}

fn stamp_of(path: &Path) -> Stamp {
    if crate::io::dataset::is_remote(path) {
        return None;
    }
    std::fs::metadata(path)
        .ok()
        .map(|m| (m.len(), m.modified().ok()))
}

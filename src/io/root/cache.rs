//! Recently opened trees, shared by the stages of one process: `anac run` opens each input for
//! the check, for planning and for its work units, and a tree's metadata (hundreds of branches in
//! NanoAOD) would otherwise be parsed each time.
//!
//! Invariants: an entry is used only while the file's size and modification time are those it
//! was opened with; at most [`CAPACITY`] trees are kept (least recently used dropped), so memory
//! does not grow with the number of inputs.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::{RootError, RootFile, Tree};

/// Trees kept.
pub const CAPACITY: usize = 16;

struct Entry {
    path: PathBuf,
    tree: String,
    size: u64,
    modified: Option<SystemTime>,
    file: Arc<RootFile>,
    meta: Tree,
}

static RECENT: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// The file at `path` and its tree `name`, from the cache when it is still that file.
pub fn open_tree(path: &Path, name: &str) -> Result<(Arc<RootFile>, Tree), RootError> {
    let stamp = std::fs::metadata(path)
        .ok()
        .map(|m| (m.len(), m.modified().ok()));
    if let Some((size, modified)) = stamp
        && let Ok(mut recent) = RECENT.lock()
        && let Some(i) = recent.iter().position(|e| {
            e.path == path && e.tree == name && e.size == size && e.modified == modified
        })
    {
        // Most recently used last.
        let e = recent.remove(i);
        let hit = (e.file.clone(), e.meta.clone());
        recent.push(e);
        return Ok(hit);
    }
    let file = Arc::new(RootFile::open(path)?);
    let meta = file.tree(name)?;
    if let Some((size, modified)) = stamp
        && let Ok(mut recent) = RECENT.lock()
    {
        if recent.len() >= CAPACITY {
            recent.remove(0);
        }
        recent.push(Entry {
            path: path.to_path_buf(),
            tree: name.to_string(),
            size,
            modified,
            file: file.clone(),
            meta: meta.clone(),
        });
    }
    Ok((file, meta))
}

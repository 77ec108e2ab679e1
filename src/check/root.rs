//! The production [`TreeOpener`]: anac's own ROOT reader (`io::root`).

use super::trees::{OpenError, TreeInfo, TreeOpener};
use crate::io::root::{RootError, RootFile};
use std::path::Path;

/// Opens trees with `io::root`.
pub struct RootOpener;

impl TreeOpener for RootOpener {
    fn open(&self, path: &Path, tree: &str, want_schema: bool) -> Result<TreeInfo, OpenError> {
        let file = RootFile::open(path).map_err(open_error)?;
        let t = file.tree(tree).map_err(open_error)?;
        Ok(TreeInfo {
            entries: t.entries(),
            schema: want_schema.then(|| t.schema()),
        })
    }
}

/// The reason without the path (the samples diagnostic already names the file); the reader's own
/// diagnostic goes along as the detail.
fn open_error(e: RootError) -> OpenError {
    let reason = match &e {
        RootError::Io { source, .. } => source.to_string(),
        RootError::Invalid { what, .. } => format!("not a valid ROOT file: {what}"),
        RootError::Unsupported { what, .. } => format!("{what} is not supported"),
        RootError::NotFound { what, .. } => what.clone(),
    };
    OpenError {
        reason,
        detail: Some(e.diagnostic()),
    }
}

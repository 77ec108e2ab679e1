//! The production [`TreeOpener`]: anac's own ROOT reader (`io::root`).

use super::trees::{OpenError, TreeInfo, TreeOpener};
use crate::io::root::RootError;
use std::path::Path;

/// Opens trees with `io::root`.
pub struct RootOpener;

impl TreeOpener for RootOpener {
    fn open(&self, path: &Path, tree: &str, want_schema: bool) -> Result<TreeInfo, OpenError> {
        let (_, t) = crate::io::dataset::open(path, tree).map_err(open_error)?;
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
        detail: Some(Box::new(e.diagnostic())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::trees::{UNREADABLE_SAMPLE, verify};
    use crate::io::samples;

    #[test]
    fn the_ttbar_samples_match_their_real_files() {
        if crate::testing::shared_data().is_none() {
            return;
        }
        let yaml = Path::new(env!("CARGO_MANIFEST_DIR")).join("analyses/ttbar/samples.yaml");
        let (s, diags) = samples::load(&yaml).unwrap();
        assert!(diags.is_empty(), "{diags:?}");
        let s = s.unwrap();
        let (schemas, diags) = verify(&s, "Events", &RootOpener);
        assert!(diags.is_empty(), "{diags:?}");
        // All AGC files share the NanoAOD layout: one schema for the 9 samples.
        assert_eq!(schemas.len(), 1);
        assert_eq!(schemas[0].samples.len(), 9);
        assert!(schemas[0].schema.collection("Jet").is_some());
        // A wrong tree name is one error per file, at the file's path.
        let (_, diags) = verify(&s, "Event", &RootOpener);
        assert_eq!(diags.len(), 11);
        assert!(diags.iter().all(|d| d.code == UNREADABLE_SAMPLE));
        assert_eq!(diags[0].position(), Some((9, 13)));
    }

    #[test]
    fn a_file_that_is_not_root_is_unreadable_not_a_crash() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/samples/data/a.root");
        let err = RootOpener.open(&path, "Events", true).err().unwrap();
        assert!(err.detail.is_some());
        assert!(!err.reason.contains("a.root"), "{}", err.reason);
    }
}

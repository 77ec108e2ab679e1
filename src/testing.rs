//! Test support shared by unit and integration tests: locating the real data in `../shared/data`.
//!
//! Tests that need the shared data call [`shared_data`]. Under CI (`CI=true`) a missing folder is a
//! failure, never a silent skip; on a user's machine the test prints why it skipped.

use std::path::PathBuf;

/// `../shared/data` beside the repository, or `None` (with a printed reason) outside CI when it is
/// missing. Panics under `CI=true` when it is missing: CI must never skip these tests.
pub fn shared_data() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI=true but the shared test data is missing at {}",
            dir.display()
        );
    }
    eprintln!(
        "skipping: the shared test data ({}) is not beside this checkout",
        dir.display()
    );
    None
}

/// A file under the shared data folder (see [`shared_data`]).
pub fn shared_file(relative: &str) -> Option<PathBuf> {
    shared_data().map(|d| d.join(relative))
}

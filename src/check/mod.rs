//! `anac check` as a library: analysis text → every diagnostic, without printing.
//!
//! Pipeline: read the `.ana` → `syntax::parse` → load the samples YAML (`io::samples`) → open the
//! sample files' trees (`trees`, through [`RootOpener`]) → `sema::check` once per distinct tree
//! schema → de-duplicated, sorted diagnostics.

mod driver;
mod root;
mod sema_step;
pub mod trees;

pub use driver::{Options, check_path, check_source, process_infos};
pub use root::RootOpener;
pub use sema_step::ProcessInfo;

//! `anac check` as a library: analysis text → every diagnostic, without printing.
//!
//! Pipeline: read the `.ana` → `syntax::parse` → load the samples YAML (`io::samples`) → open the
//! sample files' trees (`trees`) → `sema::check` once per distinct tree schema → de-duplicated,
//! sorted diagnostics.

pub mod trees;

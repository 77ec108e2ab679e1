//! The one call from `check` into semantic analysis, kept apart so the driver does not depend on
//! sema's internals: (AST, source, schema, processes) → sema's diagnostics.
//!
//! Until `crate::sema::check` exists on this branch, this runs no checks and reports nothing;
//! the samples and tree checks of `check` work without it.

use crate::diagnostics::{Diagnostic, SourceFile};
use crate::io::schema::TreeSchema;
use crate::syntax::ast;
use std::sync::Arc;

/// What sema needs to know of one process of the samples file.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessInfo {
    pub name: String,
    pub variations: Vec<String>,
    pub is_data: bool,
}

/// Sema's diagnostics for `file` against one schema (or none) and the processes (if known).
pub fn run(
    _file: &ast::File,
    _source: &Arc<SourceFile>,
    _schema: Option<&TreeSchema>,
    _processes: Option<&[ProcessInfo]>,
) -> Vec<Diagnostic> {
    Vec::new()
}

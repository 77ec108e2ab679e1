//! The one call from `check` into semantic analysis, kept apart so the driver does not depend on
//! sema's internals: (AST, source, schema, processes) → sema's diagnostics.

use crate::diagnostics::{Diagnostic, SourceFile};
use crate::io::schema::TreeSchema;
use crate::sema::{self, SemaEnv};
use crate::syntax::ast;
use std::sync::Arc;

pub use crate::sema::ProcessInfo;

/// Sema's diagnostics for `file` against one schema (or none) and the processes (if known);
/// `schema_processes`: the processes whose files have that schema.
pub fn run(
    file: &ast::File,
    source: &Arc<SourceFile>,
    schema: Option<&TreeSchema>,
    processes: Option<&[ProcessInfo]>,
    schema_processes: Option<&[String]>,
) -> Vec<Diagnostic> {
    let env = SemaEnv {
        schema,
        processes,
        schema_processes,
    };
    sema::check(file, source, &env).1
}

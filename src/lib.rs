//! anac: a compiler and runner for declarative particle-physics analyses.
//!
//! The modules follow the pipeline, top to bottom:
//! `syntax` (text → AST) → `sema` (names, types, lints) → `ir` → `passes` → `codegen` → `runtime`,
//! with `io` (ROOT files, samples YAML) on the side and `diagnostics` shared by all stages.
//! `cli` holds one thin file per subcommand. See ARCHITECTURE.md.

pub mod check;
pub mod cli;
pub mod codegen;
pub mod corrections;
pub mod diagnostics;
pub mod io;
pub mod ir;
pub mod passes;
pub mod runtime;
pub mod sema;
pub mod syntax;
#[doc(hidden)]
pub mod testing;

//! Semantic analysis: names, scopes, types, constant folding and lints.
//!
//! Input: an [`ast::File`], optionally a [`TreeSchema`] (collections and branches of the input
//! tree) and the processes of the samples file. Output: a [`Checked`] analysis (symbol table, a
//! type and a resolution per expression, folded constants, expanded variations) and diagnostics.
//! `Checked` is returned whenever the file could be walked, even with errors, so tools can show
//! as much as possible; consumers that lower to IR must require "no errors" first.
//!
//! Layout: `check.rs` (the walker and scopes), `expr.rs` (expression typing), `builtins.rs`
//! (function signatures), `stmts.rs` (statements, duplicates), `binning.rs`, `output.rs`
//! (output-name template), `vary.rs`, `derive.rs`, `lints.rs` (unused definitions, unused vary).
//!
//! Consuming `Checked` (e.g. lowering to IR): walk the AST; for each expression look up its type
//! in `types`, for each `Name` its meaning in `resolutions`, and for constants their value in
//! `values`; definitions are `symbols` (in order); `variations` lists every concrete variation a
//! `vary` makes, and `output` the parsed output-name template.

mod binning;
mod builtins;
mod check;
mod corrections;
mod derive;
mod expr;
mod functions;
mod lints;
pub mod only;
mod output;
mod presence;
pub mod skim;
mod stmts;
mod tables;
pub mod types;
pub mod value;
mod vary;

use std::collections::HashMap;
use std::sync::Arc;

use crate::diagnostics::{Diagnostic, SourceFile, Span};
use crate::io::schema::TreeSchema;
use crate::syntax::ast::{self, ExprId};

pub use builtins::SIGNATURES as BUILTIN_SIGNATURES;
pub use corrections::{CORRECTION_FILE, UNKNOWN_CATEGORY, UNKNOWN_CORRECTION};
pub use derive::{CutRef, resolve_cut};
pub use output::{OutputPart, OutputTemplate};
pub use types::{Elem, Type};
pub use value::Value;

/// One process of the samples file, as sema needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessInfo {
    pub name: String,
    /// Its sample variations (`nominal`, `scaleup`, ...).
    pub variations: Vec<String>,
    pub is_data: bool,
}

/// What sema may know about the world outside the `.ana` file.
#[derive(Debug, Clone, Copy, Default)]
pub struct SemaEnv<'a> {
    /// The input tree's schema; `None` skips branch checks (one `schema-unavailable` warning).
    pub schema: Option<&'a TreeSchema>,
    /// The samples file's processes; `None` skips process and variation checks.
    pub processes: Option<&'a [ProcessInfo]>,
    /// The processes whose files have `schema` (`None`: all of them, or unknown). An `only`
    /// block none of these match is not checked against this schema.
    pub schema_processes: Option<&'a [String]>,
}

/// Index into [`Checked::symbols`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SymbolId(pub u32);

/// A definition in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    /// Where the name is written.
    pub span: Span,
    /// The region it was defined in (`None`: top level).
    pub region: Option<String>,
    pub ty: Type,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SymbolKind {
    /// With its folded value (`None` when it did not fold: an error was reported).
    Const(Option<Value>),
    Let,
    Object,
    Hist,
    Counter,
    Collect,
    Skim,
    Region,
    Derived,
    /// A bound correction: index into [`Checked::corrections`] (`None` when its file or name
    /// was refused: calls are then checked no further).
    Correction(Option<usize>),
    /// A user function (`fn`), its number of parameters and whether its body checked clean
    /// (calls of a broken one check their arguments only).
    Function {
        arity: usize,
        ok: bool,
    },
    /// A parameter, while its function's definition is checked.
    Param,
}

/// A correctionlib correction bound to a name by `correction NAME = "KEY" from "FILE"`.
#[derive(Debug, Clone, PartialEq)]
pub struct BoundCorrection {
    pub name: String,
    /// The correction's name in the file.
    pub key: String,
    /// The file as written (relative to the `.ana` file).
    pub file: String,
    /// XXH64 of the file's bytes.
    pub xxh64: u64,
    pub corr: CorrRef,
}

/// A correction or a compound correction of a loaded set.
#[derive(Debug, Clone)]
pub enum CorrRef {
    Single(Arc<crate::corrections::Correction>),
    Compound(Arc<crate::corrections::CompoundCorrection>),
}

impl PartialEq for CorrRef {
    fn eq(&self, o: &CorrRef) -> bool {
        match (self, o) {
            (CorrRef::Single(a), CorrRef::Single(b)) => Arc::ptr_eq(a, b),
            (CorrRef::Compound(a), CorrRef::Compound(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl CorrRef {
    pub fn inputs(&self) -> &[crate::corrections::InputSpec] {
        match self {
            CorrRef::Single(c) => c.inputs(),
            CorrRef::Compound(c) => c.inputs(),
        }
    }

    /// Every string key of the categories selected by input `i`, or `None` when no category
    /// is keyed by it (any string is then accepted).
    pub fn string_keys(&self, i: usize) -> Option<Vec<String>> {
        match self {
            CorrRef::Single(c) => c.string_keys(i),
            CorrRef::Compound(c) => c.string_keys(i),
        }
    }

    pub fn evaluate(
        &self,
        args: &[crate::corrections::Value<'_>],
    ) -> Result<f64, crate::corrections::EvalError> {
        match self {
            CorrRef::Single(c) => c.evaluate(args),
            CorrRef::Compound(c) => c.evaluate(args),
        }
    }
}

/// What a bare name in an expression refers to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    Symbol(SymbolId),
    /// A field of the innermost element in scope whose kind has it (`pt` inside `Jet where`);
    /// `depth` counts element scopes outward from the innermost (0).
    Field {
        name: String,
        depth: usize,
    },
    /// `it`: the element at `depth`.
    Element {
        depth: usize,
    },
    /// A collection of the tree.
    Collection(String),
    /// A per-event branch of the tree (unverified when no schema was given: then any unknown
    /// name resolves here, with type `Unknown`).
    Branch(String),
    /// A per-sample number from the samples file (`xsec`, `nevts`).
    SampleValue(String),
    /// The `lumi` header.
    Lumi,
    /// The `for` variable of a `vary` family (its value differs per family member).
    LoopVar(String),
    /// A derived field (`let Jet.pt_corr = ...`) of the element `depth` scopes out (bare name),
    /// or of the element / collection `base` of a `base.name` expression (`depth` unused).
    DerivedField {
        coll: String,
        name: String,
        depth: usize,
    },
    /// `sample.process == "NAME"` (or `sample.variation`, or `!=`: `negate`): a comparison
    /// decided once per sample.
    SampleTest {
        variation: bool,
        name: String,
        negate: bool,
    },
}

/// One concrete variation made by a `vary` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct VariationInfo {
    /// Full name as it appears in outputs (`btag_var_0_up`).
    pub name: String,
    /// Index of the `vary` statement among the file's top-level statements.
    pub stmt: usize,
    /// The `for` variable's value for this member of a family.
    pub index: Option<Value>,
    pub direction: Direction,
    /// Processes it applies to; empty: all.
    pub processes: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
    /// A one-sided weight variation or a kinematic variation.
    Single,
}

/// The checked analysis. Everything a lowering to IR needs besides the AST itself.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Every definition, in source order.
    pub symbols: Vec<Symbol>,
    /// Type of every expression that was checked.
    pub types: HashMap<ExprId, Type>,
    /// What each `Name` expression refers to.
    pub resolutions: HashMap<ExprId, Resolution>,
    /// Folded value of every constant expression.
    pub values: HashMap<ExprId, Value>,
    /// The concrete variations, in order.
    pub variations: Vec<VariationInfo>,
    /// The output-name template (the default when the file sets none).
    pub output: OutputTemplate,
    /// The `lumi` header's value.
    pub lumi: Option<f64>,
    /// (collection, field) pairs read anywhere outside `vary` statements, sorted; the field is
    /// empty when the collection itself is referenced.
    pub used_fields: Vec<(String, String)>,
    /// Corrections bound by `correction` statements, in source order.
    pub corrections: Vec<BoundCorrection>,
}

impl Checked {
    pub fn symbol(&self, id: SymbolId) -> Option<&Symbol> {
        self.symbols.get(id.0 as usize)
    }

    pub fn type_of(&self, id: ExprId) -> Option<&Type> {
        self.types.get(&id)
    }
}

/// Checks a parsed file. `Checked` is `None` only when nothing useful could be built.
pub fn check(
    file: &ast::File,
    source: &Arc<SourceFile>,
    env: &SemaEnv,
) -> (Option<Checked>, Vec<Diagnostic>) {
    // The checker recurses once per nesting level (up to `syntax::MAX_DEPTH`, inlined function
    // bodies included), with frames that a test thread's 2 MiB cannot hold at the limit in a
    // debug build: check on a thread of our own with a generous stack, as the parser does.
    let checked = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("anac-check".into())
            .stack_size(CHECK_STACK)
            .spawn_scoped(scope, || check::run(file, source, env))
            .ok()
            .map(|h| h.join())
    });
    match checked {
        Some(Ok(result)) => result,
        // No thread available (or it died): check here.
        _ => check::run(file, source, env),
    }
}

/// Stack for the checking thread.
const CHECK_STACK: usize = 64 << 20;

/// Parses and checks.
pub fn check_source(source: &Arc<SourceFile>, env: &SemaEnv) -> (Option<Checked>, Vec<Diagnostic>) {
    let (file, mut diags) = crate::syntax::parse(source);
    let Some(file) = file else {
        return (None, diags);
    };
    let (checked, more) = check(&file, source, env);
    diags.extend(more);
    (checked, diags)
}

#[cfg(test)]
mod tests;

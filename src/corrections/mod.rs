//! correctionlib (schema v2) correction sets: loading, validation and evaluation.
//!
//! [`CorrectionSet::load`] reads a JSON or gzipped JSON file, checks it against schema v2 and
//! compiles every correction into a compact tree; every problem is a [`LoadError`] carrying the
//! JSON path of the offending value (`corrections[3].data.content[2].edges`). Evaluation
//! ([`Correction::evaluate`], [`CompoundCorrection::evaluate`]) reproduces correctionlib 2.9.0's
//! results bit for bit for lookups and `HashPRNG` (formulas agree to an ulp or two: the
//! inverse hyperbolic functions and `erf` come from the `libm` crate) and raises where it
//! raises.
//!
//! Where anac deliberately differs from correctionlib:
//! - an `Int` argument for a `real` input is converted (correctionlib raises);
//! - loading rejects some files correctionlib accepts but evaluates oddly (duplicate category
//!   keys, NaN edges, `FormulaRef`s with too few parameters, compound corrections whose inputs
//!   disagree in type with their constituents, non-finite uniform ranges), and accepts integer
//!   edges without a decimal point and 64-bit category keys, which correctionlib refuses;
//! - LWTNN nodes and numexpr formulas are reported as unsupported.
//!
//! Module map: `json` (reader with rapidjson's number conversion), `schema` (document-level
//! validation, JSON paths), `nodes` (content-node validation and compilation), `eval` (node
//! tree and bin lookup), `formula` (TFormula subset), `prng` (XXH64 + PCG32 distributions),
//! `error`.

mod error;
mod eval;
mod formula;
mod json;
mod nodes;
mod prng;
mod schema;
#[cfg(test)]
mod unit_tests;

use std::path::Path;
use std::sync::Arc;

pub use error::{EvalError, LoadError, LoadErrorKind};
pub use eval::{InputSpec, Value, VarType};
pub use prng::Distribution;

use eval::Tree;

/// Deepest nesting of JSON arrays/objects accepted (serde_json's default limit, too).
pub const MAX_JSON_DEPTH: usize = 128;

/// Most elements in one JSON array (or members in one object).
pub const MAX_JSON_ARRAY_LEN: usize = 1 << 26;

/// Largest decompressed size of a gzipped file.
const MAX_DECOMPRESSED: usize = 1 << 32;

/// Corrections with at most this many inputs evaluate without allocating.
pub const INLINE_INPUTS: usize = 16;

/// A loaded correction set.
#[derive(Debug, Clone)]
pub struct CorrectionSet {
    description: String,
    corrections: Vec<Arc<Correction>>,
    compound: Vec<CompoundCorrection>,
}

/// One correction: declared inputs and output, and the compiled content tree.
#[derive(Debug, Clone, PartialEq)]
pub struct Correction {
    name: String,
    description: String,
    version: i64,
    inputs: Vec<InputSpec>,
    output: InputSpec,
    tree: Tree,
}

/// How a compound correction combines values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOp {
    /// `+`
    Add,
    /// `*`
    Multiply,
    /// `/`
    Divide,
    /// `last` (output only): the last correction's value.
    Last,
}

impl UpdateOp {
    fn apply(self, acc: f64, x: f64) -> f64 {
        match self {
            UpdateOp::Add => acc + x,
            UpdateOp::Multiply => acc * x,
            UpdateOp::Divide => acc / x,
            UpdateOp::Last => x,
        }
    }
}

/// A compound correction: a stack of corrections evaluated in order, each possibly updating
/// some inputs of the next, with their outputs combined.
#[derive(Debug, Clone)]
pub struct CompoundCorrection {
    name: String,
    description: String,
    inputs: Vec<InputSpec>,
    output: InputSpec,
    inputs_update: Vec<usize>,
    input_op: UpdateOp,
    output_op: UpdateOp,
    /// Each correction with the compound-input index of each of its inputs.
    stack: Vec<(Arc<Correction>, Vec<usize>)>,
}

impl CorrectionSet {
    /// Reads a correction set from a JSON file, gzipped or not (detected by the magic bytes
    /// `1f 8b`).
    pub fn load(path: &Path) -> Result<Self, LoadError> {
        let bytes = std::fs::read(path).map_err(|e| LoadError {
            kind: LoadErrorKind::Io,
            path: String::new(),
            message: format!("cannot read {}: {e}", path.display()),
            help: None,
            position: None,
        })?;
        Self::from_bytes(&bytes)
    }

    /// Reads a correction set from the bytes of a JSON or gzipped JSON document.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LoadError> {
        let owned;
        let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
            owned = gunzip(bytes)?;
            &owned[..]
        } else {
            bytes
        };
        let text = std::str::from_utf8(bytes).map_err(|e| LoadError {
            kind: LoadErrorKind::Syntax,
            path: String::new(),
            message: format!(
                "the file is not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            ),
            help: None,
            position: None,
        })?;
        Self::from_json(text)
    }

    /// Reads a correction set from JSON text.
    pub fn from_json(text: &str) -> Result<Self, LoadError> {
        let limits = json::Limits {
            max_depth: MAX_JSON_DEPTH,
            max_len: MAX_JSON_ARRAY_LEN,
        };
        let doc = json::parse(text, limits).map_err(|e| LoadError {
            kind: LoadErrorKind::Syntax,
            path: e.path,
            message: e.message,
            help: None,
            position: Some((e.line, e.column)),
        })?;
        let (description, corrections, compound) = schema::correction_set(&doc)?;
        Ok(CorrectionSet {
            description,
            corrections,
            compound,
        })
    }

    /// The set's description (empty when absent).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The correction with this name.
    pub fn correction(&self, name: &str) -> Option<&Correction> {
        self.corrections
            .iter()
            .find(|c| c.name == name)
            .map(|c| &**c)
    }

    /// All corrections, in file order.
    pub fn corrections(&self) -> impl Iterator<Item = &Correction> {
        self.corrections.iter().map(|c| &**c)
    }

    /// The compound correction with this name.
    pub fn compound(&self, name: &str) -> Option<&CompoundCorrection> {
        self.compound.iter().find(|c| c.name == name)
    }

    /// All compound corrections, in file order.
    pub fn compound_corrections(&self) -> impl Iterator<Item = &CompoundCorrection> {
        self.compound.iter()
    }
}

fn gunzip(data: &[u8]) -> Result<Vec<u8>, LoadError> {
    let fail = |message: String| LoadError {
        kind: LoadErrorKind::Decompress,
        path: String::new(),
        message,
        help: None,
        position: None,
    };
    // The gzip trailer holds the decompressed size modulo 2^32.
    let hint = match data.len().checked_sub(4).and_then(|at| data.get(at..)) {
        Some(&[a, b, c, d]) => u32::from_le_bytes([a, b, c, d]) as usize,
        _ => 0,
    };
    let mut size = hint.max(1 << 16);
    let mut d = libdeflater::Decompressor::new();
    loop {
        let mut out = vec![0u8; size];
        match d.gzip_decompress(data, &mut out) {
            Ok(n) => {
                out.truncate(n);
                return Ok(out);
            }
            Err(libdeflater::DecompressionError::InsufficientSpace) if size < MAX_DECOMPRESSED => {
                size = size.saturating_mul(2).min(MAX_DECOMPRESSED);
            }
            Err(libdeflater::DecompressionError::InsufficientSpace) => {
                return Err(fail("decompressed size exceeds 4 GiB".into()));
            }
            Err(libdeflater::DecompressionError::BadData) => {
                return Err(fail(
                    "the file starts like gzip but is not valid gzip data".into(),
                ));
            }
        }
    }
}

/// Runs `f` on a zeroed scratch slice of `n` values: on the stack when `n <= INLINE_INPUTS`.
fn with_scratch<'a, R>(n: usize, f: impl FnOnce(&mut [Value<'a>]) -> R) -> R {
    if n <= INLINE_INPUTS {
        let mut buf = [Value::Int(0); INLINE_INPUTS];
        f(&mut buf[..n])
    } else {
        let mut v = vec![Value::Int(0); n];
        f(&mut v)
    }
}

/// Checks `args` against `inputs` and writes them, converted, into `out`.
fn check_args<'a>(
    owner: &str,
    inputs: &[InputSpec],
    args: &[Value<'a>],
    out: &mut [Value<'a>],
) -> Result<(), EvalError> {
    if args.len() != inputs.len() || out.len() != inputs.len() {
        return Err(EvalError::ArgCount {
            correction: owner.to_string(),
            expected: inputs.len(),
            got: args.len(),
        });
    }
    for ((spec, arg), slot) in inputs.iter().zip(args).zip(out.iter_mut()) {
        *slot = match (spec.ty, *arg) {
            (VarType::Real, Value::Real(v)) => Value::Real(v),
            (VarType::Real, Value::Int(i)) => Value::Real(i as f64),
            (VarType::Int, Value::Int(i)) => Value::Int(i),
            (VarType::Str, Value::Str(s)) => Value::Str(s),
            (ty, got) => {
                return Err(EvalError::WrongType {
                    input: spec.name.clone(),
                    expected: ty.name(),
                    got: got.type_name(),
                });
            }
        };
    }
    Ok(())
}

impl Correction {
    /// The correction's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The description (empty when absent).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The version number.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The declared inputs, in argument order.
    pub fn inputs(&self) -> &[InputSpec] {
        &self.inputs
    }

    /// The declared output (always real).
    pub fn output(&self) -> &InputSpec {
        &self.output
    }

    /// Evaluates for one set of arguments, one per input in declaration order. Allocates
    /// nothing unless it fails or the correction has more than [`INLINE_INPUTS`] inputs.
    pub fn evaluate(&self, args: &[Value<'_>]) -> Result<f64, EvalError> {
        with_scratch(args.len(), |vals| {
            check_args(&self.name, &self.inputs, args, vals)?;
            self.tree.eval(&self.inputs, vals)
        })
    }
}

impl CompoundCorrection {
    /// The compound correction's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The description (empty when absent).
    pub fn description(&self) -> &str {
        &self.description
    }

    /// The declared inputs, in argument order.
    pub fn inputs(&self) -> &[InputSpec] {
        &self.inputs
    }

    /// The declared output (always real).
    pub fn output(&self) -> &InputSpec {
        &self.output
    }

    /// Evaluates the stack: each correction gets its inputs from the (updated) compound
    /// inputs; after each, the `inputs_update` inputs are combined with its value by
    /// `input_op`, and the outputs are combined by `output_op` (the first output starts).
    pub fn evaluate(&self, args: &[Value<'_>]) -> Result<f64, EvalError> {
        with_scratch(args.len(), |ivals| {
            check_args(&self.name, &self.inputs, args, ivals)?;
            let mut out: Option<f64> = None;
            for (corr, map) in &self.stack {
                let sf = with_scratch(map.len(), |cvals| {
                    for (slot, &i) in cvals.iter_mut().zip(map) {
                        *slot = *ivals
                            .get(i)
                            .ok_or(EvalError::Internal("compound input map"))?;
                    }
                    corr.tree.eval(&corr.inputs, cvals)
                })?;
                for &i in &self.inputs_update {
                    match ivals.get_mut(i) {
                        Some(Value::Real(v)) => *v = self.input_op.apply(*v, sf),
                        _ => return Err(EvalError::Internal("updated input is not real")),
                    }
                }
                out = Some(match out {
                    None => sf,
                    Some(acc) => self.output_op.apply(acc, sf),
                });
            }
            Ok(out.unwrap_or(0.0))
        })
    }
}

impl Correction {
    /// Every string key of the categories keyed by input `i`, in file order, or `None` when no
    /// category is keyed by it (any string is then as good as another).
    pub fn string_keys(&self, i: usize) -> Option<Vec<String>> {
        let mut keys: Vec<String> = Vec::new();
        let mut any = false;
        for node in &self.tree.nodes {
            if let eval::Node::CategoryStr { input, keys: k, .. } = node
                && *input == i
            {
                any = true;
                for (key, _) in k {
                    if !keys.contains(key) {
                        keys.push(key.clone());
                    }
                }
            }
        }
        any.then_some(keys)
    }
}

impl CompoundCorrection {
    /// As [`Correction::string_keys`], over the corrections of the stack that read input `i`.
    pub fn string_keys(&self, i: usize) -> Option<Vec<String>> {
        let mut out: Option<Vec<String>> = None;
        for (corr, map) in &self.stack {
            for (j, _) in map.iter().enumerate().filter(|(_, m)| **m == i) {
                if let Some(keys) = corr.string_keys(j) {
                    let o = out.get_or_insert_with(Vec::new);
                    for k in keys {
                        if !o.contains(&k) {
                            o.push(k);
                        }
                    }
                }
            }
        }
        out
    }
}

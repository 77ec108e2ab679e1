//! `correction NAME = "KEY" from "FILE"` and calls `NAME(inputs...)`: binding a correctionlib
//! correction to a name, and checking each call against the correction's declared inputs.
//!
//! The file is read and validated at check time (relative to the `.ana` file; a problem is a
//! diagnostic naming the JSON path), so nothing `anac check` accepts fails to load at run time.
//! A call takes one argument per declared input: `real` inputs take numbers (an int converts),
//! `int` inputs integers, `string` inputs constant strings (they select working points and
//! systematics, fixed per call); a constant string that no category of the correction lists is
//! a warning (a misspelled `"nominl"` would only fail on the first event that reaches it). The
//! result is a float, absent when a numeric argument is.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::check::{Checker, suggest};
use super::expr::Typed;
use super::types::Type;
use super::value::Value;
use super::{BoundCorrection, CorrRef, SymbolKind};
use crate::corrections::{CorrectionSet, LoadErrorKind, VarType};
use crate::diagnostics::{Code, Span};
use crate::syntax::ast::{Expr, ExprKind, Ident, StrLit};

/// A correction file that cannot be read or is not a valid correctionlib (schema v2) file.
pub const CORRECTION_FILE: Code = Code("anac::sema::correction-file");
/// A correction name the file does not define.
pub const UNKNOWN_CORRECTION: Code = Code("anac::sema::unknown-correction");
/// A constant string input that no category of the correction lists.
pub const UNKNOWN_CATEGORY: Code = Code("anac::sema::unknown-category");

/// Correction files read during one check, by resolved path.
pub(super) type FileCache = HashMap<PathBuf, Result<(Arc<CorrectionSet>, u64), String>>;

/// Reads and validates a correction file; the set and the XXH64 of its bytes (which joins the
/// plan's identity, so a store refuses results made with another version of the file).
fn load(path: &Path) -> Result<(Arc<CorrectionSet>, u64), String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("`{}` cannot be read: {e}", path.display()))?;
    let set = CorrectionSet::from_bytes(&bytes).map_err(|e| {
        let what = match e.kind {
            LoadErrorKind::Io => "cannot be read",
            LoadErrorKind::Decompress => "does not decompress",
            LoadErrorKind::Syntax => "is not valid JSON",
            LoadErrorKind::Schema => "is not a valid correctionlib (schema v2) file",
            LoadErrorKind::Unsupported => "uses something anac cannot evaluate",
        };
        let mut m = format!("`{}` {what}: {e}", path.display());
        if let Some(h) = &e.help {
            m.push_str(&format!(" ({h})"));
        }
        m
    })?;
    Ok((Arc::new(set), xxhash_rust::xxh64::xxh64(&bytes, 0)))
}

/// `path` as written, relative to the `.ana` file's folder.
fn resolve(ana: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    ana.parent().map_or_else(|| p.to_path_buf(), |d| d.join(p))
}

impl Checker<'_> {
    /// `correction NAME = "KEY" from "FILE"`.
    pub(super) fn correction_stmt(&mut self, name: &Ident, key: &StrLit, file: &StrLit) {
        // A correction named like a builtin would shadow it in some places and not others.
        if super::builtins::ALL.contains(&name.name.as_str()) {
            self.error(
                super::stmts::DUPLICATE_NAME,
                name.span,
                format!("`{}` is a builtin function", name.name),
                "a builtin's name",
            )
            .help = Some("give the correction another name".into());
            return;
        }
        if !self.check_new_name_pub(name) {
            return;
        }
        let bound = self.bind(key, file);
        if let Some(i) = bound {
            self.out.corrections[i].name = name.name.clone();
        }
        self.define(name, SymbolKind::Correction(bound), Type::Error);
    }

    /// Loads `file` (once per check) and finds `key` in it; `None` after reporting why not.
    fn bind(&mut self, key: &StrLit, file: &StrLit) -> Option<usize> {
        let path = resolve(&self.source.path, &file.value);
        let loaded = self
            .correction_files
            .entry(path.clone())
            .or_insert_with(|| load(&path))
            .clone();
        let (set, xxh64) = match loaded {
            Ok(s) => s,
            Err(m) => {
                self.error(CORRECTION_FILE, file.span, m, "this file");
                return None;
            }
        };
        let corr = if let Some(c) = set.correction(&key.value) {
            CorrRef::Single(Arc::new(c.clone()))
        } else if let Some(c) = set.compound(&key.value) {
            CorrRef::Compound(Arc::new(c.clone()))
        } else {
            let names: Vec<&str> = set
                .corrections()
                .map(|c| c.name())
                .chain(set.compound_corrections().map(|c| c.name()))
                .collect();
            let help = match suggest(&key.value, names.iter().copied()) {
                Some(s) => format!("did you mean `\"{s}\"`?"),
                None => format!("the file defines: {}", list(&names)),
            };
            self.error(
                UNKNOWN_CORRECTION,
                key.span,
                format!("`{}` defines no correction `{}`", file.value, key.value),
                "not in the file",
            )
            .help = Some(help);
            return None;
        };
        let index = self.out.corrections.len();
        self.out.corrections.push(BoundCorrection {
            name: String::new(),
            key: key.value.clone(),
            file: file.value.clone(),
            xxh64,
            corr,
        });
        Some(index)
    }

    /// `NAME(args)` where `NAME` is a bound correction.
    pub(super) fn correction_call(
        &mut self,
        index: usize,
        func: &Ident,
        args: &[Expr],
        span: Span,
    ) -> Typed {
        let bound = self.out.corrections[index].clone();
        let inputs = bound.corr.inputs();
        let described = || {
            inputs
                .iter()
                .map(|i| format!("{}: {}", i.name, i.ty.name()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if args.len() != inputs.len() {
            self.error(
                super::builtins::ARGUMENT_COUNT,
                span,
                format!(
                    "correction `{}` takes {} input(s), found {}",
                    func.name,
                    inputs.len(),
                    args.len()
                ),
                "wrong number of inputs",
            )
            .help = Some(format!("its inputs are ({})", described()));
            for a in args {
                self.expr(a);
            }
            return (Type::Error, None);
        }
        let mut optional = false;
        let mut failed = false;
        for (i, (a, input)) in args.iter().zip(inputs).enumerate() {
            let (t, v) = self.expr(a);
            // A `vary ... for s in ["up", "down"]` variable: a constant string per member.
            let loop_str = matches!(
                (&a.kind, &self.loop_var),
                (ExprKind::Name(n), Some((var, Some(Value::Str(_))))) if n == var
            );
            if t == Type::Error {
                failed = true;
                continue;
            }
            let (inner, opt) = t.unwrap_optional();
            optional |= opt;
            let ok = match input.ty {
                VarType::Real => inner.is_numeric() || *inner == Type::Unknown,
                VarType::Int => matches!(inner, Type::Int | Type::Unknown),
                VarType::Str => matches!(v, Some(Value::Str(_))) || loop_str,
            };
            if !ok {
                failed = true;
                let want = match input.ty {
                    VarType::Real => "a number",
                    VarType::Int => "an integer",
                    VarType::Str => "a constant string",
                };
                let help = match (input.ty, inner) {
                    (VarType::Int, Type::Float) => {
                        "convert it with `int(x)` if it holds whole numbers".to_string()
                    }
                    (VarType::Str, _) => "string inputs select a working point or systematic: \
                                          write the string itself, or a `const` holding it"
                        .to_string(),
                    _ => format!("the inputs of `{}` are ({})", func.name, described()),
                };
                self.mismatch(
                    a.span,
                    &t,
                    format!(
                        "input `{}` of correction `{}` must be {want}, found {t}",
                        input.name, func.name
                    ),
                );
                if let Some(d) = self.diags.last_mut() {
                    d.help = Some(help);
                }
                continue;
            }
            if let (VarType::Str, Some(Value::Str(s))) = (input.ty, &v)
                && let Some(keys) = bound.corr.string_keys(i)
                && !keys.iter().any(|k| k == s)
            {
                let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
                let help = match suggest(s, refs.iter().copied()) {
                    Some(k) => format!("did you mean `\"{k}\"`?"),
                    None => format!("the categories of `{}` are {}", input.name, list(&refs)),
                };
                self.warning(
                    UNKNOWN_CATEGORY,
                    a.span,
                    format!(
                        "no category of correction `{}` has `{}` = \"{s}\": evaluating it fails \
                             unless a default applies",
                        func.name, input.name
                    ),
                    "not a category",
                )
                .help = Some(help);
            }
        }
        if failed {
            return (Type::Error, None);
        }
        (
            if optional {
                Type::Float.optional()
            } else {
                Type::Float
            },
            None,
        )
    }
}

/// `a`, `b`, `c` (at most 12, then "...").
fn list(names: &[&str]) -> String {
    let mut v: Vec<String> = names.iter().take(12).map(|n| format!("`{n}`")).collect();
    if names.len() > 12 {
        v.push(format!("and {} more", names.len() - 12));
    }
    v.join(", ")
}

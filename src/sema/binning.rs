//! Histogram axes: kinds, constant arguments, and valid binning.
//!
//! Input: an [`ast::Axis`]. Output: diagnostics (the folded arguments are in `Checked::values`).
//! Rules (docs/syntax-spec.md, "Axes"): `regular(N, LOW, HIGH)` with N ≥ 1 and LOW < HIGH;
//! `variable(E0, ..., En)` strictly increasing, at least two edges; `integer(LOW, HIGH)` with
//! integers LOW < HIGH; `category(V, ...)` with distinct integers or strings; all finite.

use super::check::{Checker, suggest};
use super::value::Value;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::syntax::ast;

/// An axis whose bins are impossible (n < 1, low ≥ high, unordered edges, duplicates, NaN).
pub const INVALID_BINNING: Code = Code("anac::sema::invalid-binning");
/// An axis kind other than regular, variable, integer, category.
pub const UNKNOWN_AXIS: Code = Code("anac::sema::unknown-axis");

const KINDS: &[&str] = &["regular", "variable", "integer", "category"];

impl Checker<'_> {
    pub(super) fn axis(&mut self, a: &ast::Axis) {
        let mut vals: Vec<(Value, Span)> = Vec::new();
        let mut all_const = true;
        for arg in &a.args {
            let (_, v) = self.expr(arg);
            match v {
                Some(v) => vals.push((v, arg.span)),
                None => {
                    all_const = false;
                    self.error(
                        super::builtins::NOT_CONSTANT,
                        arg.span,
                        "axis arguments must be constants".into(),
                        "not a constant",
                    );
                }
            }
        }
        let kind = a.kind.name.as_str();
        if !KINDS.contains(&kind) {
            let hint = suggest(kind, KINDS.iter().copied());
            self.error(UNKNOWN_AXIS, a.kind.span, format!("unknown axis kind `{kind}`"), "not an axis")
                .help = Some(match hint {
                Some(h) => format!("did you mean `{h}`?"),
                None => "axes are regular(N, LOW, HIGH), variable(E0, ..., En), integer(LOW, HIGH), category(V, ...)".into(),
            });
            return;
        }
        if !all_const {
            return;
        }
        let count_ok = match kind {
            "regular" => a.args.len() == 3,
            "integer" => a.args.len() == 2,
            "variable" => a.args.len() >= 2,
            _ => !a.args.is_empty(),
        };
        if !count_ok {
            let want = match kind {
                "regular" => "3 arguments (N, LOW, HIGH)",
                "integer" => "2 arguments (LOW, HIGH)",
                "variable" => "at least 2 edges",
                _ => "at least one category",
            };
            self.error(
                super::builtins::ARGUMENT_COUNT,
                a.span,
                format!("`{kind}` takes {want}, found {}", a.args.len()),
                "wrong number of arguments",
            );
            return;
        }
        match kind {
            "regular" => {
                match &vals[0].0 {
                    Value::Int(n) if *n >= 1 => {}
                    v => {
                        let v = v.clone();
                        self.bad(
                            vals[0].1,
                            format!("the number of bins must be an integer ≥ 1, found {v}"),
                        );
                        return;
                    }
                }
                let Some((lo, hi)) = self.two_numbers(&vals[1], &vals[2]) else {
                    return;
                };
                if lo >= hi {
                    self.bad(
                        vals[1].1.to(vals[2].1),
                        format!("the low edge ({lo}) must be below the high edge ({hi})"),
                    );
                }
            }
            "integer" => match (&vals[0].0, &vals[1].0) {
                (Value::Int(lo), Value::Int(hi)) if lo < hi => {}
                (Value::Int(lo), Value::Int(hi)) => {
                    self.bad(
                        vals[0].1.to(vals[1].1),
                        format!("the low end ({lo}) must be below the high end ({hi})"),
                    );
                }
                _ => self.bad(
                    vals[0].1.to(vals[1].1),
                    "`integer` bounds must be integers".into(),
                ),
            },
            "variable" => {
                let mut prev: Option<f64> = None;
                for (v, s) in &vals {
                    let Some(x) = v.as_f64().filter(|x| x.is_finite()) else {
                        self.bad(*s, format!("edges must be finite numbers, found {v}"));
                        return;
                    };
                    if let Some(p) = prev
                        && x <= p
                    {
                        self.bad(
                            *s,
                            format!("edges must be strictly increasing: {x} follows {p}"),
                        );
                        return;
                    }
                    prev = Some(x);
                }
            }
            _ => {
                let ints = vals.iter().all(|(v, _)| matches!(v, Value::Int(_)));
                let strs = vals.iter().all(|(v, _)| matches!(v, Value::Str(_)));
                if !ints && !strs {
                    self.bad(
                        a.span,
                        "categories must be all integers or all strings".into(),
                    );
                    return;
                }
                for (i, (v, s)) in vals.iter().enumerate() {
                    if let Some((_, first)) = vals[..i].iter().find(|(w, _)| w == v) {
                        self.push(
                            Diagnostic::error(
                                INVALID_BINNING,
                                format!("category {v} is listed twice"),
                            )
                            .with_primary(*s, "duplicate")
                            .with_label(*first, "first listed here"),
                        );
                    }
                }
            }
        }
    }

    fn bad(&mut self, span: Span, message: String) {
        self.error(INVALID_BINNING, span, message, "invalid binning");
    }

    fn two_numbers(&mut self, a: &(Value, Span), b: &(Value, Span)) -> Option<(f64, f64)> {
        for (v, s) in [a, b] {
            if !v.as_f64().is_some_and(f64::is_finite) {
                self.bad(*s, format!("axis edges must be finite numbers, found {v}"));
                return None;
            }
        }
        Some((a.0.as_f64()?, b.0.as_f64()?))
    }
}

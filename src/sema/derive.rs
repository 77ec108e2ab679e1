//! `derive` statements: histogram arithmetic after the run.
//!
//! Input: a [`DExpr`]. Output: diagnostics: unknown processes and variations (when the samples
//! are known), unknown cut labels in `efficiency`, unknown functions, and operations that make
//! no sense on histograms (dividing by a histogram, a derive with no histogram at all).

use super::check::{Checker, suggest};
use crate::diagnostics::{Code, Span};
use crate::syntax::ast::{DArg, DExpr, DExprKind, DOp};

/// A sample variation the process does not have.
pub const UNKNOWN_VARIATION: Code = Code("anac::sema::unknown-variation");
/// `efficiency("LABEL", ...)` naming no cut.
pub const UNKNOWN_CUT: Code = Code("anac::sema::unknown-cut");

/// What an `efficiency` label names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CutRef {
    /// The index of the cut among those given.
    Found(usize),
    /// The label is used in several regions: these.
    Ambiguous(Vec<String>),
    Unknown,
}

/// Finds the cut an `efficiency` argument names among `cuts` ((region, label), `None` for a
/// common cut): `"LABEL"` when one cut has that label, else `"REGION/LABEL"`, a cut of that
/// region itself. Region names hold no `/`, so the first `/` separates them.
pub fn resolve_cut<'a>(
    cuts: impl Iterator<Item = (Option<&'a str>, &'a str)> + Clone,
    spec: &str,
) -> CutRef {
    let exact: Vec<(usize, Option<&str>)> = cuts
        .clone()
        .enumerate()
        .filter(|(_, (_, l))| *l == spec)
        .map(|(i, (r, _))| (i, r))
        .collect();
    match exact.as_slice() {
        [(i, _)] => return CutRef::Found(*i),
        [] => {}
        many => {
            return CutRef::Ambiguous(
                many.iter()
                    .map(|(_, r)| r.unwrap_or("all").to_string())
                    .collect(),
            );
        }
    }
    if let Some((region, label)) = spec.split_once('/')
        && let Some(i) = cuts
            .enumerate()
            .position(|(_, (r, l))| r == Some(region) && l == label)
    {
        return CutRef::Found(i);
    }
    CutRef::Unknown
}

/// What a derived expression computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DKind {
    Hist,
    Number,
    Efficiency,
    Error,
}

impl Checker<'_> {
    pub(super) fn derive(&mut self, e: &DExpr, cuts: &[(Option<String>, String)]) {
        match self.dexpr(e, cuts) {
            DKind::Number => {
                self.error(
                    super::expr::TYPE_MISMATCH,
                    e.span,
                    "a derived result must involve at least one process".into(),
                    "only numbers",
                )
                .help = Some("write e.g. `derive x = ttbar * 2`".into());
            }
            DKind::Hist | DKind::Efficiency | DKind::Error => {}
        }
    }

    fn dexpr(&mut self, e: &DExpr, cuts: &[(Option<String>, String)]) -> DKind {
        match &e.kind {
            DExprKind::Number(_) => DKind::Number,
            DExprKind::Ref { process, variation } => {
                if !self.check_process(process) {
                    return DKind::Error;
                }
                if let (Some(v), Some(procs)) = (variation, self.env.processes)
                    && let Some(p) = procs.iter().find(|p| p.name == process.name)
                    && !p.variations.contains(&v.name)
                {
                    let hint = suggest(&v.name, p.variations.iter().map(String::as_str));
                    let list = p.variations.join(", ");
                    self.error(
                        UNKNOWN_VARIATION,
                        v.span,
                        format!("process `{}` has no variation `{}`", process.name, v.name),
                        "unknown variation",
                    )
                    .help = Some(match hint {
                        Some(h) => format!("did you mean `{h}`?"),
                        None => format!("its variations: {list}"),
                    });
                    return DKind::Error;
                }
                DKind::Hist
            }
            DExprKind::Neg(x) => self.dexpr(x, cuts),
            DExprKind::Binary { op, lhs, rhs } => {
                let a = self.dexpr(lhs, cuts);
                let b = self.dexpr(rhs, cuts);
                use DKind::*;
                match (op, a, b) {
                    (_, Error, _) | (_, _, Error) => Error,
                    (_, Efficiency, _) | (_, _, Efficiency) => {
                        self.bad_derive(
                            e.span,
                            "an efficiency cannot be combined with other results",
                        );
                        Error
                    }
                    (DOp::Div, _, Hist) => {
                        self.bad_derive(rhs.span, "a histogram can only be divided by a number");
                        Error
                    }
                    (DOp::Add | DOp::Sub, Number, Hist) | (DOp::Add | DOp::Sub, Hist, Number) => {
                        self.bad_derive(e.span, "a number cannot be added to a histogram");
                        Error
                    }
                    (_, Number, Number) => Number,
                    _ => Hist,
                }
            }
            DExprKind::Call { func, args } => match func.name.as_str() {
                "normalize" => {
                    if let [DArg::Expr(x)] = args.as_slice() {
                        self.dexpr(x, cuts)
                    } else {
                        self.error(
                            super::builtins::ARGUMENT_COUNT,
                            e.span,
                            "`normalize` takes one histogram".into(),
                            "wrong arguments",
                        );
                        DKind::Error
                    }
                }
                "efficiency" => {
                    let [DArg::Str(a), DArg::Str(b)] = args.as_slice() else {
                        self.error(
                            super::builtins::ARGUMENT_COUNT,
                            e.span,
                            "`efficiency` takes two cut labels".into(),
                            "wrong arguments",
                        )
                        .help = Some(
                            "e.g. `efficiency(\"at least four jets\", \"exactly one lepton\")`"
                                .into(),
                        );
                        return DKind::Error;
                    };
                    for l in [a, b] {
                        let all = cuts.iter().map(|(r, l)| (r.as_deref(), l.as_str()));
                        match resolve_cut(all, &l.value) {
                            CutRef::Found(_) => {}
                            CutRef::Unknown => {
                                let hint = suggest(&l.value, cuts.iter().map(|(_, l)| l.as_str()));
                                let d = self.error(
                                    UNKNOWN_CUT,
                                    l.span,
                                    format!("no cut is labelled \"{}\" above", l.value),
                                    "unknown cut label",
                                );
                                if let Some(h) = hint {
                                    d.help = Some(format!("did you mean \"{h}\"?"));
                                }
                            }
                            CutRef::Ambiguous(regions) => {
                                let d = self.error(
                                    UNKNOWN_CUT,
                                    l.span,
                                    format!(
                                        "cut \"{}\" is in several regions: {}",
                                        l.value,
                                        regions.join(", ")
                                    ),
                                    "ambiguous cut label",
                                );
                                d.help = Some(format!(
                                    "name the region: \"{}/{}\"",
                                    regions[0], l.value
                                ));
                            }
                        }
                    }
                    DKind::Efficiency
                }
                other => {
                    let hint = suggest(other, ["normalize", "efficiency"]);
                    self.error(
                        super::builtins::UNKNOWN_FUNCTION,
                        func.span,
                        format!("unknown function `{other}` in `derive`"),
                        "not a derive function",
                    )
                    .help = Some(match hint {
                        Some(h) => format!("did you mean `{h}`?"),
                        None => {
                            "`derive` knows `normalize(x)` and `efficiency(\"B\", \"A\")`".into()
                        }
                    });
                    DKind::Error
                }
            },
        }
    }

    fn bad_derive(&mut self, span: Span, msg: &str) {
        self.error(
            super::expr::TYPE_MISMATCH,
            span,
            msg.to_string(),
            "invalid derived result",
        );
    }
}

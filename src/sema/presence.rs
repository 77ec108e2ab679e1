//! A weight factor that may be absent: warned about unless the cuts above every fill it applies to
//! prove it present.
//!
//! Input: the checked file (types, constant values, resolutions). Output: warnings
//! (`weight-may-be-absent`). An absent weight factor stops a run (anac never uses 0 or 1 in its
//! place), so a factor whose type is optional is a run waiting to fail — unless the selection
//! guarantees it: `count(jets) >= 4` above every fill proves `jets[3].pt` present.
//!
//! The proof is deliberately simple and sound: facts are `count(NAME) >= n` (also written `>`,
//! `==`, or with the count on the right) from the conjunctions of cut conditions; an optional
//! factor is proven when every absent value it can come from is an index `NAME[k]` with a
//! constant (or loop-constant) `k` that those facts cover, or a field of one. Anything else that
//! may be absent (`argmax`, `mean`, a computed index, ...) is not proven. `weight` statements are
//! never proven by cuts: the cutflow weighs every event, also those no cut has selected yet.

use std::collections::HashMap;

use super::check::Checker;
use super::types::Type;
use super::value::Value;
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::syntax::ast::{BinOp, Expr, ExprKind, File, Stmt, StmtKind, VaryBody};

/// A weight factor whose type is optional that no cut proves present.
pub const WEIGHT_MAY_BE_ABSENT: Code = Code("anac::sema::weight-may-be-absent");

/// Minimum element counts the cuts guarantee, by collection name.
type Counts = HashMap<String, i64>;

/// Builtins whose value is present whenever their arguments are.
const PURE_NUMERIC: &[&str] = &[
    "abs", "sqrt", "exp", "log", "log10", "pow", "sin", "cos", "tan", "asin", "acos", "atan",
    "atan2", "sinh", "cosh", "tanh", "floor", "ceil", "round", "float",
];

/// Statements with the bodies of `only` blocks in place of the blocks (their fills and lets).
fn opened(stmts: &[Stmt]) -> Vec<&Stmt> {
    let mut v = Vec::new();
    for s in stmts {
        match &s.kind {
            StmtKind::Only { body, .. } => v.extend(body.iter()),
            _ => v.push(s),
        }
    }
    v
}

impl Checker<'_> {
    pub(super) fn lint_absent_weights(&mut self, file: &File) {
        // Optional `let`s are followed into their definitions.
        let mut lets: HashMap<String, Expr> = HashMap::new();
        let collect_lets = |stmts: &[Stmt], lets: &mut HashMap<String, Expr>| {
            for s in opened(stmts) {
                if let StmtKind::Let { name, value } = &s.kind {
                    lets.insert(name.name.clone(), value.clone());
                }
            }
        };
        collect_lets(&file.stmts, &mut lets);
        for s in &file.stmts {
            if let StmtKind::Region { body, .. } = &s.kind {
                collect_lets(body, &mut lets);
            }
        }
        // The facts at each fill: top-level cuts above it (a region's fills: every top-level
        // cut, then the region's cuts above it).
        let mut all_top = Counts::new();
        for s in &file.stmts {
            if let StmtKind::Cut { cond, .. } = &s.kind {
                self.facts_of(cond, &mut all_top);
            }
        }
        let mut at_fills: Vec<Counts> = Vec::new();
        let mut hist_facts: Vec<(Counts, &Expr, Span)> = Vec::new();
        let mut top = Counts::new();
        let mut region_facts: HashMap<String, Counts> = HashMap::new();
        for s in opened(&file.stmts) {
            match &s.kind {
                StmtKind::Cut { cond, .. } => self.facts_of(cond, &mut top),
                StmtKind::Hist(h) => {
                    at_fills.push(top.clone());
                    if let Some(w) = &h.weight {
                        hist_facts.push((top.clone(), w, w.span));
                    }
                }
                StmtKind::Counter { .. } => at_fills.push(top.clone()),
                StmtKind::Region { name, from, body } => {
                    // A region built on another starts from everything that one required.
                    let mut f = from
                        .as_ref()
                        .and_then(|p| region_facts.get(&p.name))
                        .unwrap_or(&all_top)
                        .clone();
                    for r in opened(body) {
                        match &r.kind {
                            StmtKind::Cut { cond, .. } => self.facts_of(cond, &mut f),
                            // A region's weight is taken where it stands, for the events that
                            // passed the cuts above it.
                            StmtKind::Weight { value } => {
                                hist_facts.push((f.clone(), value, value.span));
                            }
                            StmtKind::Hist(h) => {
                                at_fills.push(f.clone());
                                if let Some(w) = &h.weight {
                                    hist_facts.push((f.clone(), w, w.span));
                                }
                            }
                            StmtKind::Counter { .. } => at_fills.push(f.clone()),
                            _ => {}
                        }
                    }
                    region_facts.entry(name.name.clone()).or_insert(f);
                }
                _ => {}
            }
        }
        // What every fill is guaranteed: the smallest count per name over all fills.
        let mut common: Option<Counts> = None;
        for f in &at_fills {
            common = Some(match common {
                None => f.clone(),
                Some(c) => c
                    .into_iter()
                    .filter_map(|(k, n)| f.get(&k).map(|m| (k, n.min(*m))))
                    .collect(),
            });
        }
        let common = common.unwrap_or_default();
        for s in opened(&file.stmts) {
            match &s.kind {
                StmtKind::Weight { value } if self.is_optional(value) => {
                    let d = Diagnostic::warning(
                        WEIGHT_MAY_BE_ABSENT,
                        "this weight factor may be absent; the cutflow weighs every event, \
                             so an event where it is absent stops the run",
                    )
                    .with_primary(value.span, "may be absent")
                    .with_help(
                        "give it a value for those events: `weight (...) ?? 1`, or move \
                             the factor into a histogram's own weight",
                    );
                    self.push(d);
                }
                StmtKind::Vary(v) => {
                    let loop_max = v.index.as_ref().map(|f| {
                        let vals: Vec<i64> = f
                            .values
                            .iter()
                            .filter_map(|e| match self.out.values.get(&e.id) {
                                Some(Value::Int(i)) => Some(*i),
                                _ => None,
                            })
                            .collect();
                        (f.var.name.clone(), vals)
                    });
                    let factors: Vec<&Expr> = match &v.body {
                        VaryBody::WeightUpDown { up, down } => vec![up, down],
                        VaryBody::Weight(w) => vec![w],
                        VaryBody::Kinematic(_) => vec![],
                    };
                    for f in factors {
                        self.check_factor(f, &common, &lets, loop_max.as_ref());
                    }
                }
                _ => {}
            }
        }
        for (facts, w, _) in hist_facts {
            self.check_factor(w, &facts, &lets, None);
        }
    }

    fn is_optional(&self, e: &Expr) -> bool {
        self.out
            .types
            .get(&e.id)
            .is_some_and(|t| t.unwrap_optional().1)
    }

    /// Warns unless `facts` prove factor `e` present.
    fn check_factor(
        &mut self,
        e: &Expr,
        facts: &Counts,
        lets: &HashMap<String, Expr>,
        loop_var: Option<&(String, Vec<i64>)>,
    ) {
        if !self.is_optional(e) {
            return;
        }
        let mut need = Counts::new();
        if self.needs(e, lets, loop_var, &mut need, 0)
            && need
                .iter()
                .all(|(k, n)| facts.get(k).is_some_and(|m| m >= n))
        {
            return;
        }
        let example = need
            .iter()
            .next()
            .map_or("count(jets) >= 4".to_string(), |(k, n)| {
                format!("count({k}) >= {n}")
            });
        let d = Diagnostic::warning(
            WEIGHT_MAY_BE_ABSENT,
            "this weight factor may be absent where something is filled, which stops the run",
        )
        .with_primary(e.span, "may be absent")
        .with_help(format!(
            "select the events where it exists with a cut above the fills (e.g. `{example}`), \
             or give it a value with `?? 1`"
        ));
        self.push(d);
    }

    /// Collects the counts that make `e` present into `need`; false when `e` may be absent for
    /// a reason counts cannot rule out.
    fn needs(
        &self,
        e: &Expr,
        lets: &HashMap<String, Expr>,
        loop_var: Option<&(String, Vec<i64>)>,
        need: &mut Counts,
        depth: u32,
    ) -> bool {
        if !self.is_optional(e) {
            return true;
        }
        if depth > 64 {
            return false;
        }
        let mut add = |name: &str, n: i64| {
            let m = need.entry(name.to_string()).or_insert(n);
            *m = (*m).max(n);
        };
        match &e.kind {
            ExprKind::Name(n) => match lets.get(n) {
                Some(def) => self.needs(def, lets, loop_var, need, depth + 1),
                None => false,
            },
            ExprKind::Field { base, .. } => self.needs(base, lets, loop_var, need, depth + 1),
            ExprKind::Inline { body: x, .. } | ExprKind::Arg { value: x } => {
                self.needs(x, lets, loop_var, need, depth + 1)
            }
            ExprKind::Unary { operand, .. } => self.needs(operand, lets, loop_var, need, depth + 1),
            ExprKind::Binary { op, lhs, rhs } => {
                // `%` and shifts can be absent by themselves (a zero divisor).
                if matches!(op, BinOp::Rem | BinOp::Shl | BinOp::Shr) {
                    return false;
                }
                self.needs(lhs, lets, loop_var, need, depth + 1)
                    && self.needs(rhs, lets, loop_var, need, depth + 1)
            }
            ExprKind::Index { base, index } => {
                let ExprKind::Name(coll) = &base.kind else {
                    return false;
                };
                // A fixed-size array branch (`fix3[3]`): every constant index inside it exists.
                let fixed = self.env.schema.and_then(|sc| {
                    sc.branches
                        .iter()
                        .find(|b| b.name == *coll)
                        .and_then(|b| match b.shape {
                            crate::io::schema::Shape::Fixed(n) => Some(n as i64),
                            _ => None,
                        })
                });
                if let Some(n) = fixed {
                    let ks: Vec<i64> = match (&index.kind, self.out.values.get(&index.id)) {
                        (_, Some(Value::Int(k))) => vec![*k],
                        (ExprKind::Name(v), None) => match loop_var {
                            Some((var, vals)) if var == v => vals.clone(),
                            _ => return false,
                        },
                        _ => return false,
                    };
                    return !ks.is_empty() && ks.iter().all(|&k| (-n..n).contains(&k));
                }
                if !matches!(
                    self.out.types.get(&base.id).map(|t| t.unwrap_optional()),
                    Some((Type::Collection(_), false))
                ) {
                    return false;
                }
                let ks: Vec<i64> = match (&index.kind, self.out.values.get(&index.id)) {
                    (_, Some(Value::Int(k))) => vec![*k],
                    (ExprKind::Name(v), None) => match loop_var {
                        Some((var, vals)) if var == v && !vals.is_empty() => vals.clone(),
                        _ => return false,
                    },
                    _ => return false,
                };
                for k in ks {
                    add(coll, if k >= 0 { k + 1 } else { -k });
                }
                true
            }
            ExprKind::Call { func, args } if func.name == "first" && args.len() == 1 => {
                match &args[0].kind {
                    ExprKind::Name(coll) => {
                        add(coll, 1);
                        true
                    }
                    _ => false,
                }
            }
            // Numeric functions of present numbers are present (NaN and infinities are values).
            ExprKind::Call { func, args } if PURE_NUMERIC.contains(&func.name.as_str()) => args
                .iter()
                .all(|a| self.needs(a, lets, loop_var, need, depth + 1)),
            ExprKind::If {
                then, otherwise, ..
            } => {
                self.needs(then, lets, loop_var, need, depth + 1)
                    && self.needs(otherwise, lets, loop_var, need, depth + 1)
            }
            _ => false,
        }
    }

    /// Adds the counts a cut condition guarantees (its conjunctions of count comparisons).
    fn facts_of(&self, e: &Expr, out: &mut Counts) {
        let int = |x: &Expr| match self.out.values.get(&x.id) {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        };
        let count_of = |x: &Expr| match &x.kind {
            ExprKind::Call { func, args } if func.name == "count" && args.len() == 1 => {
                match &args[0].kind {
                    ExprKind::Name(n) => Some(n.clone()),
                    _ => None,
                }
            }
            _ => None,
        };
        let ExprKind::Binary { op, lhs, rhs } = &e.kind else {
            return;
        };
        if *op == BinOp::And {
            self.facts_of(lhs, out);
            self.facts_of(rhs, out);
            return;
        }
        // count(N) OP k, or k OP count(N) (turned around).
        let (name, op, k) = match (count_of(lhs), int(rhs), count_of(rhs), int(lhs)) {
            (Some(n), Some(k), _, _) => (n, *op, k),
            (_, _, Some(n), Some(k)) => {
                let flipped = match op {
                    BinOp::Lt => BinOp::Gt,
                    BinOp::Le => BinOp::Ge,
                    BinOp::Gt => BinOp::Lt,
                    BinOp::Ge => BinOp::Le,
                    o => *o,
                };
                (n, flipped, k)
            }
            _ => return,
        };
        let at_least = match op {
            BinOp::Ge | BinOp::Eq => k,
            BinOp::Gt => k.saturating_add(1),
            _ => return,
        };
        let m = out.entry(name).or_insert(at_least);
        *m = (*m).max(at_least);
    }
}

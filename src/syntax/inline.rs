//! User functions are inlined: `fn NAME(PARAMS) = BODY` and, below it, every call `NAME(ARGS)`
//! with as many arguments as parameters becomes an [`ExprKind::Inline`] node that holds the
//! arguments and a copy of the body in which each parameter is an [`ExprKind::Arg`] holding a
//! copy of its argument.
//!
//! Input: a built [`File`]. Output: the same file, calls inlined, and diagnostics for expansions
//! past the limits. Invariants: copies get fresh expression ids (so sema types each use on its
//! own: a function is typed at each use); a body only calls functions defined above it, so there
//! is no recursion to expand; no inlined expression is deeper than `MAX_DEPTH` and the file
//! grows by at most `MAX_INLINED` expressions (a call past either limit stays a `Call`, with an
//! error). What a parameter means is decided by sema: an `Arg` is checked in the caller's scopes.

use std::collections::HashMap;
use std::sync::Arc;

use super::ast::{Expr, ExprId, ExprKind, File, Stmt, StmtKind, VaryBody};
use super::{MAX_DEPTH, TOO_DEEP};
use crate::diagnostics::{Code, Diagnostic, SourceFile};

/// `fn f(x) = Jet as x where ...`: an element named like a parameter.
pub const PARAMETER_SHADOWED: Code = Code("anac::syntax::parameter-shadowed");

/// How many expressions inlining may add to a file: copies multiply (a function calling another
/// with its parameter twice doubles at each level), so a bound keeps a small file small.
pub const MAX_INLINED: usize = 200_000;

struct Func {
    params: Vec<String>,
    body: Expr,
}

struct Inliner<'a> {
    source: &'a Arc<SourceFile>,
    next_id: u32,
    added: usize,
    funcs: HashMap<String, Func>,
    diags: Vec<Diagnostic>,
}

/// Inlines every call of a user function in `file`.
pub(super) fn run(file: &mut File, source: &Arc<SourceFile>) -> Vec<Diagnostic> {
    let mut inl = Inliner {
        source,
        next_id: file.expr_count,
        added: 0,
        funcs: HashMap::new(),
        diags: Vec::new(),
    };
    for st in &mut file.stmts {
        inl.stmt(st);
    }
    file.expr_count = inl.next_id;
    inl.diags
}

impl Inliner<'_> {
    fn stmt(&mut self, st: &mut Stmt) {
        match &mut st.kind {
            StmtKind::Function { name, params, body } => {
                if let Some(span) = element_named_like(body, params) {
                    let d = Diagnostic::error(
                        PARAMETER_SHADOWED,
                        "an element is named like a parameter of the function".to_string(),
                    )
                    .in_file(self.source)
                    .with_primary(span, "also a parameter")
                    .with_help(
                        "give the element another name: in the body, the name means the parameter",
                    );
                    self.diags.push(d);
                }
                self.expr(body, 1);
                self.funcs.entry(name.name.clone()).or_insert(Func {
                    params: params.iter().map(|p| p.name.clone()).collect(),
                    body: body.clone(),
                });
            }
            StmtKind::Const { value, .. }
            | StmtKind::DerivedField { value, .. }
            | StmtKind::Object { value, .. }
            | StmtKind::Let { value, .. }
            | StmtKind::Weight { value } => self.expr(value, 1),
            StmtKind::Cut { cond, .. } => self.expr(cond, 1),
            StmtKind::Hist(h) => {
                for e in h
                    .fills
                    .iter_mut()
                    .chain(h.weight.as_mut())
                    .chain(h.profile.as_mut())
                {
                    self.expr(e, 1);
                }
                for a in &mut h.axes {
                    for e in &mut a.args {
                        self.expr(e, 1);
                    }
                }
            }
            StmtKind::Counter { when, .. } => {
                if let Some(w) = when {
                    self.expr(w, 1);
                }
            }
            StmtKind::Collect { values, max, .. } => {
                for e in values.iter_mut().chain(max.as_mut()) {
                    self.expr(e, 1);
                }
            }
            StmtKind::Skim { items, .. } => {
                for i in items {
                    self.expr(&mut i.value, 1);
                }
            }
            StmtKind::Region { body, .. } | StmtKind::Only { body, .. } => {
                for s in body {
                    self.stmt(s);
                }
            }
            StmtKind::Vary(v) => {
                if let Some(f) = &mut v.index {
                    for e in &mut f.values {
                        self.expr(e, 1);
                    }
                }
                match &mut v.body {
                    VaryBody::WeightUpDown { up, down } => {
                        self.expr(up, 1);
                        self.expr(down, 1);
                    }
                    VaryBody::Weight(w) => self.expr(w, 1),
                    VaryBody::Kinematic(rs) => {
                        for r in rs {
                            self.expr(&mut r.value, 1);
                        }
                    }
                }
            }
            StmtKind::Table(t) => {
                for e in t.values.iter_mut() {
                    self.expr(e, 1);
                }
                for a in &mut t.axes {
                    match &mut a.edges {
                        crate::syntax::ast::TableEdges::List(xs) => {
                            for e in xs {
                                self.expr(e, 1);
                            }
                        }
                        crate::syntax::ast::TableEdges::Generated { args, .. } => {
                            for e in args {
                                self.expr(e, 1);
                            }
                        }
                    }
                }
                if let Some(crate::syntax::ast::TableFlow::Default(e)) = &mut t.flow {
                    self.expr(e, 1);
                }
            }
            StmtKind::Derive { .. } | StmtKind::Correction { .. } => {}
        }
    }

    /// Inlines the calls in `e`, innermost first (arguments are inlined before they are copied);
    /// `at` is the depth of `e` in its statement's expression (1 at the root).
    fn expr(&mut self, e: &mut Expr, at: usize) {
        for c in children_mut(e) {
            self.expr(c, at + 1);
        }
        let ExprKind::Call { func, args } = &e.kind else {
            return;
        };
        let Some(f) = self.funcs.get(&func.name) else {
            return;
        };
        if f.params.len() != args.len() {
            return;
        }
        let (params, body) = (f.params.clone(), f.body.clone());
        if self.added >= MAX_INLINED {
            return;
        }
        let before = self.added;
        let copy = self.copy(&body, &params, args);
        let depth = at - 1 + depth_of(&copy);
        if self.added > MAX_INLINED || depth > MAX_DEPTH {
            let what = if depth > MAX_DEPTH {
                format!("nested more than {MAX_DEPTH} levels deep")
            } else {
                format!("more than {MAX_INLINED} expressions in all")
            };
            let d = Diagnostic::error(
                TOO_DEEP,
                format!("inlining `{}` here makes the analysis {what}", func.name),
            )
            .in_file(self.source)
            .with_primary(e.span, "this call")
            .with_help(
                "functions are copied into every call: compute a shared part once in a `let` \
                 and pass it",
            );
            self.diags.push(d);
            // Stop here: every later call stays a call.
            self.added = MAX_INLINED.max(before);
            return;
        }
        let ExprKind::Call { func, args } = std::mem::replace(&mut e.kind, ExprKind::Int(0)) else {
            return;
        };
        e.kind = ExprKind::Inline {
            func,
            args,
            body: Box::new(copy),
        };
    }

    fn fresh(&mut self) -> ExprId {
        let id = ExprId(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        self.added += 1;
        id
    }

    /// A copy of `e` with fresh ids; with `params`, each bare parameter name becomes an `Arg`
    /// holding a copy of its argument.
    fn copy(&mut self, e: &Expr, params: &[String], args: &[Expr]) -> Expr {
        if self.added > MAX_INLINED {
            return e.clone();
        }
        let kind = match &e.kind {
            ExprKind::Name(n) => match params.iter().position(|p| p == n) {
                Some(i) => {
                    let value = self.copy(&args[i], &[], &[]);
                    return Expr {
                        id: self.fresh(),
                        span: value.span,
                        kind: ExprKind::Arg {
                            value: Box::new(value),
                        },
                    };
                }
                None => ExprKind::Name(n.clone()),
            },
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Str(_) => {
                e.kind.clone()
            }
            ExprKind::Unary { op, operand } => ExprKind::Unary {
                op: *op,
                operand: Box::new(self.copy(operand, params, args)),
            },
            ExprKind::Binary { op, lhs, rhs } => ExprKind::Binary {
                op: *op,
                lhs: Box::new(self.copy(lhs, params, args)),
                rhs: Box::new(self.copy(rhs, params, args)),
            },
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => ExprKind::If {
                cond: Box::new(self.copy(cond, params, args)),
                then: Box::new(self.copy(then, params, args)),
                otherwise: Box::new(self.copy(otherwise, params, args)),
            },
            ExprKind::Named { collection, name } => ExprKind::Named {
                collection: Box::new(self.copy(collection, params, args)),
                name: name.clone(),
            },
            ExprKind::Where { collection, cond } => ExprKind::Where {
                collection: Box::new(self.copy(collection, params, args)),
                cond: Box::new(self.copy(cond, params, args)),
            },
            ExprKind::Field { base, name } => ExprKind::Field {
                base: Box::new(self.copy(base, params, args)),
                name: name.clone(),
            },
            ExprKind::Index { base, index } => ExprKind::Index {
                base: Box::new(self.copy(base, params, args)),
                index: Box::new(self.copy(index, params, args)),
            },
            ExprKind::Slice { base, lo, hi } => ExprKind::Slice {
                base: Box::new(self.copy(base, params, args)),
                lo: lo.as_ref().map(|x| Box::new(self.copy(x, params, args))),
                hi: hi.as_ref().map(|x| Box::new(self.copy(x, params, args))),
            },
            ExprKind::List(items) => {
                ExprKind::List(items.iter().map(|x| self.copy(x, params, args)).collect())
            }
            ExprKind::Call { func, args: a } => ExprKind::Call {
                func: func.clone(),
                args: a.iter().map(|x| self.copy(x, params, args)).collect(),
            },
            ExprKind::Inline {
                func,
                args: a,
                body,
            } => ExprKind::Inline {
                func: func.clone(),
                args: a.iter().map(|x| self.copy(x, params, args)).collect(),
                body: Box::new(self.copy(body, params, args)),
            },
            ExprKind::Arg { value } => ExprKind::Arg {
                value: Box::new(self.copy(value, params, args)),
            },
        };
        Expr {
            id: self.fresh(),
            kind,
            span: e.span,
        }
    }
}

/// The nesting depth of `e` (a leaf is 1).
pub(super) fn depth_of(e: &Expr) -> usize {
    1 + children(e).into_iter().map(depth_of).max().unwrap_or(0)
}

/// Where `body` names an element (`COLL as NAME`) like one of `params`.
fn element_named_like(
    body: &Expr,
    params: &[crate::syntax::ast::Ident],
) -> Option<crate::diagnostics::Span> {
    if let ExprKind::Named { name, .. } = &body.kind
        && params.iter().any(|p| p.name == name.name)
    {
        return Some(name.span);
    }
    children(body)
        .into_iter()
        .find_map(|c| element_named_like(c, params))
}

/// The direct subexpressions of `e`, in source order.
pub fn children(e: &Expr) -> Vec<&Expr> {
    match &e.kind {
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::Str(_)
        | ExprKind::Name(_) => vec![],
        ExprKind::Unary { operand: x, .. }
        | ExprKind::Named { collection: x, .. }
        | ExprKind::Field { base: x, .. }
        | ExprKind::Arg { value: x } => vec![x],
        ExprKind::Binary { lhs: a, rhs: b, .. }
        | ExprKind::Where {
            collection: a,
            cond: b,
        }
        | ExprKind::Index { base: a, index: b } => vec![a, b],
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => vec![cond, then, otherwise],
        ExprKind::Call { args, .. } | ExprKind::List(args) => args.iter().collect(),
        ExprKind::Inline { args, body, .. } => args.iter().chain([&**body]).collect(),
        ExprKind::Slice { base, lo, hi } => std::iter::once(&**base)
            .chain(lo.as_deref())
            .chain(hi.as_deref())
            .collect(),
    }
}

fn children_mut(e: &mut Expr) -> Vec<&mut Expr> {
    match &mut e.kind {
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::Str(_)
        | ExprKind::Name(_) => vec![],
        ExprKind::Unary { operand: x, .. }
        | ExprKind::Named { collection: x, .. }
        | ExprKind::Field { base: x, .. }
        | ExprKind::Arg { value: x } => vec![x],
        ExprKind::Binary { lhs: a, rhs: b, .. }
        | ExprKind::Where {
            collection: a,
            cond: b,
        }
        | ExprKind::Index { base: a, index: b } => vec![a, b],
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => vec![cond, then, otherwise],
        ExprKind::Call { args, .. } | ExprKind::List(args) => args.iter_mut().collect(),
        ExprKind::Slice { base, lo, hi } => std::iter::once(&mut **base)
            .chain(lo.as_deref_mut())
            .chain(hi.as_deref_mut())
            .collect(),
        ExprKind::Inline { args, body, .. } => args
            .iter_mut()
            .chain(std::iter::once(&mut **body))
            .collect(),
    }
}

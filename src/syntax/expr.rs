//! Expressions: pest pairs → [`Expr`] trees, with operator precedence applied here.
//!
//! Input: an `expr` pair (flat: operands and infix operators). Output: an [`Expr`], or a
//! diagnostic. Precedence uses an explicit operator stack (shunting-yard), and every fold checks
//! the depth of the node it makes against `MAX_DEPTH`, so neither building nor later walks can
//! overflow the stack. Recursion here happens only through brackets and `if` parts, which the
//! pre-scan (`depth.rs`) has bounded.

use pest::iterators::Pair;

use super::ast::*;
use super::build::{Builder, str_value};
use super::{CHAINED_COMPARISON, INVALID_NUMBER, MAX_DEPTH, Rule, TOO_DEEP};
use crate::diagnostics::{Diagnostic, Span};

/// A built expression with its depth (1 for a leaf).
pub(super) struct Built {
    pub expr: Expr,
    pub depth: usize,
}

/// Why building stopped: the diagnostic has been recorded already.
pub(super) struct Failed;

type Res = Result<Built, Failed>;

fn span_of(p: &Pair<Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

/// An operator waiting on the stack: a binary operator, or a prefix `not`.
enum Pending {
    Bin(BinOp, Span),
    Not(Span),
}

impl Pending {
    fn precedence(&self) -> u8 {
        match self {
            Pending::Bin(op, _) => op.precedence(),
            Pending::Not(_) => NOT_PRECEDENCE,
        }
    }
}

impl Builder<'_> {
    fn node(&mut self, kind: ExprKind, span: Span, depth: usize) -> Res {
        if depth > MAX_DEPTH {
            self.diags.push(
                Diagnostic::error(
                    TOO_DEEP,
                    format!("expression nested more than {MAX_DEPTH} levels deep"),
                )
                .in_file(self.source)
                .with_primary(span, "this expression is too deep")
                .with_help("split it into named `let` values"),
            );
            return Err(Failed);
        }
        let id = self.next_id();
        Ok(Built {
            expr: Expr { id, kind, span },
            depth,
        })
    }

    /// `expr = cond_expr (where cond_expr)*`.
    pub(super) fn expr(&mut self, pair: Pair<Rule>) -> Res {
        let mut inner = pair
            .into_inner()
            .filter(|p| !matches!(p.as_rule(), Rule::kw_where | Rule::kw_as))
            .peekable();
        let Some(first) = inner.next() else {
            return Err(self.internal(Span::default()));
        };
        let mut acc = self.cond_expr(first)?;
        if let Some(name) = inner.next_if(|p| p.as_rule() == Rule::ident) {
            let ident = Ident {
                name: super::build::ident_text(name.as_str()),
                span: span_of(&name),
            };
            let span = acc.expr.span.to(ident.span);
            let depth = acc.depth + 1;
            acc = self.node(
                ExprKind::Named {
                    collection: Box::new(acc.expr),
                    name: ident,
                },
                span,
                depth,
            )?;
        }
        for cond in inner {
            let c = self.cond_expr(cond)?;
            let span = acc.expr.span.to(c.expr.span);
            let depth = acc.depth.max(c.depth) + 1;
            acc = self.node(
                ExprKind::Where {
                    collection: Box::new(acc.expr),
                    cond: Box::new(c.expr),
                },
                span,
                depth,
            )?;
        }
        Ok(acc)
    }

    /// `cond_expr = (if expr then expr else)* op_expr`; folded from the right.
    fn cond_expr(&mut self, pair: Pair<Rule>) -> Res {
        let mut parts = Vec::new();
        let mut ifs = Vec::new();
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_if => ifs.push(span_of(&p).start),
                Rule::kw_then | Rule::kw_else => {}
                Rule::expr => parts.push(self.expr(p)?),
                Rule::op_expr => parts.push(self.op_expr(p)?),
                _ => return Err(self.internal(span_of(&p))),
            }
        }
        let Some(mut acc) = parts.pop() else {
            return Err(self.internal(Span::default()));
        };
        while let (Some(then), Some(cond), Some(start)) = (parts.pop(), parts.pop(), ifs.pop()) {
            let span = Span::new(start, acc.expr.span.end);
            let depth = cond.depth.max(then.depth).max(acc.depth) + 1;
            acc = self.node(
                ExprKind::If {
                    cond: Box::new(cond.expr),
                    then: Box::new(then.expr),
                    otherwise: Box::new(acc.expr),
                },
                span,
                depth,
            )?;
        }
        Ok(acc)
    }

    /// `op_expr = operand (infix operand)*`, with prefix `not` inside operands.
    fn op_expr(&mut self, pair: Pair<Rule>) -> Res {
        let mut values: Vec<Built> = Vec::new();
        let mut ops: Vec<Pending> = Vec::new();
        for p in pair.into_inner() {
            if p.as_rule() == Rule::operand {
                let (nots, operand) = self.operand(p)?;
                ops.extend(nots.into_iter().map(Pending::Not));
                values.push(operand);
                continue;
            }
            let op_span = span_of(&p);
            let op = match (p.as_rule(), p.as_str()) {
                (Rule::coalesce_op, _) => BinOp::Coalesce,
                (Rule::kw_or, _) => BinOp::Or,
                (Rule::kw_and, _) => BinOp::And,
                (Rule::cmp_op, "==") => BinOp::Eq,
                (Rule::cmp_op, "!=") => BinOp::Ne,
                (Rule::cmp_op, "<") => BinOp::Lt,
                (Rule::cmp_op, "<=") => BinOp::Le,
                (Rule::cmp_op, ">") => BinOp::Gt,
                (Rule::cmp_op, ">=") => BinOp::Ge,
                (Rule::bor_op, _) => BinOp::BitOr,
                (Rule::bxor_op, _) => BinOp::BitXor,
                (Rule::band_op, _) => BinOp::BitAnd,
                (Rule::shift_op, "<<") => BinOp::Shl,
                (Rule::shift_op, _) => BinOp::Shr,
                (Rule::add_op, "+") => BinOp::Add,
                (Rule::add_op, _) => BinOp::Sub,
                (Rule::mul_op, "*") => BinOp::Mul,
                (Rule::mul_op, "/") => BinOp::Div,
                (Rule::mul_op, _) => BinOp::Rem,
                _ => return Err(self.internal(op_span)),
            };
            // Left associativity: pop everything binding at least as tightly.
            while ops
                .last()
                .is_some_and(|top| top.precedence() >= op.precedence())
            {
                if let (Some(Pending::Bin(prev, prev_span)), true) =
                    (ops.last(), op.is_comparison())
                    && prev.is_comparison()
                {
                    let prev_span = *prev_span;
                    self.diags.push(
                        Diagnostic::error(CHAINED_COMPARISON, "comparisons cannot be chained")
                            .in_file(self.source)
                            .with_primary(op_span, "second comparison")
                            .with_label(prev_span, "first comparison")
                            .with_help("write `a < b and b < c`"),
                    );
                    return Err(Failed);
                }
                self.reduce(&mut values, &mut ops)?;
            }
            ops.push(Pending::Bin(op, op_span));
        }
        while !ops.is_empty() {
            self.reduce(&mut values, &mut ops)?;
        }
        match (values.pop(), values.is_empty()) {
            (Some(v), true) => Ok(v),
            _ => Err(self.internal(Span::default())),
        }
    }

    /// Applies the operator on top of the stack to the values on top of theirs.
    fn reduce(&mut self, values: &mut Vec<Built>, ops: &mut Vec<Pending>) -> Result<(), Failed> {
        let Some(op) = ops.pop() else {
            return Err(self.internal(Span::default()));
        };
        let built = match op {
            Pending::Not(span) => {
                let Some(v) = values.pop() else {
                    return Err(self.internal(span));
                };
                let s = span.to(v.expr.span);
                let depth = v.depth + 1;
                self.node(
                    ExprKind::Unary {
                        op: UnOp::Not,
                        operand: Box::new(v.expr),
                    },
                    s,
                    depth,
                )?
            }
            Pending::Bin(op, span) => {
                let (Some(rhs), Some(lhs)) = (values.pop(), values.pop()) else {
                    return Err(self.internal(span));
                };
                let s = lhs.expr.span.to(rhs.expr.span);
                let depth = lhs.depth.max(rhs.depth) + 1;
                self.node(
                    ExprKind::Binary {
                        op,
                        lhs: Box::new(lhs.expr),
                        rhs: Box::new(rhs.expr),
                    },
                    s,
                    depth,
                )?
            }
        };
        values.push(built);
        Ok(())
    }

    /// `operand = (not | - | ~)* primary suffix*`. Returns the `not`s separately: they bind
    /// looser than comparisons, so the caller's operator stack applies them.
    fn operand(&mut self, pair: Pair<Rule>) -> Result<(Vec<Span>, Built), Failed> {
        let mut nots = Vec::new();
        let mut prefixes = Vec::new();
        let mut acc: Option<Built> = None;
        for p in pair.into_inner() {
            let span = span_of(&p);
            match p.as_rule() {
                Rule::kw_not => nots.push(span),
                Rule::neg_op => prefixes.push((UnOp::Neg, span)),
                Rule::bnot_op => prefixes.push((UnOp::BitNot, span)),
                Rule::primary => acc = Some(self.primary(p)?),
                Rule::field_suffix | Rule::index_suffix => {
                    let Some(base) = acc.take() else {
                        return Err(self.internal(span));
                    };
                    let whole = base.expr.span.to(span);
                    let Some(inner) = p.clone().into_inner().next() else {
                        return Err(self.internal(span));
                    };
                    acc = Some(if p.as_rule() == Rule::field_suffix {
                        let name = Ident {
                            name: super::build::ident_text(inner.as_str()),
                            span: span_of(&inner),
                        };
                        let depth = base.depth + 1;
                        self.node(
                            ExprKind::Field {
                                base: Box::new(base.expr),
                                name,
                            },
                            whole,
                            depth,
                        )?
                    } else if inner.as_rule() == Rule::slice {
                        let mut lo = None;
                        let mut hi = None;
                        let mut depth = base.depth;
                        for b in inner.into_inner() {
                            let is_lo = b.as_rule() == Rule::slice_lo;
                            let Some(e) = b.into_inner().next() else {
                                return Err(self.internal(span));
                            };
                            let e = self.expr(e)?;
                            depth = depth.max(e.depth);
                            if is_lo {
                                lo = Some(Box::new(e.expr));
                            } else {
                                hi = Some(Box::new(e.expr));
                            }
                        }
                        self.node(
                            ExprKind::Slice {
                                base: Box::new(base.expr),
                                lo,
                                hi,
                            },
                            whole,
                            depth + 1,
                        )?
                    } else {
                        let index = self.expr(inner)?;
                        let depth = base.depth.max(index.depth) + 1;
                        self.node(
                            ExprKind::Index {
                                base: Box::new(base.expr),
                                index: Box::new(index.expr),
                            },
                            whole,
                            depth,
                        )?
                    });
                }
                _ => return Err(self.internal(span)),
            }
        }
        let Some(mut acc) = acc else {
            return Err(self.internal(Span::default()));
        };
        // Prefix operators apply innermost (rightmost) first.
        while let Some((op, span)) = prefixes.pop() {
            let s = span.to(acc.expr.span);
            let depth = acc.depth + 1;
            acc = self.node(
                ExprKind::Unary {
                    op,
                    operand: Box::new(acc.expr),
                },
                s,
                depth,
            )?;
        }
        Ok((nots, acc))
    }

    fn primary(&mut self, pair: Pair<Rule>) -> Res {
        let Some(p) = pair.into_inner().next() else {
            return Err(self.internal(Span::default()));
        };
        let span = span_of(&p);
        match p.as_rule() {
            Rule::number => {
                let kind = self.number(p.as_str(), span)?;
                self.node(kind, span, 1)
            }
            Rule::string => {
                let value = str_value(&p);
                self.node(ExprKind::Str(value), span, 1)
            }
            Rule::kw_true => self.node(ExprKind::Bool(true), span, 1),
            Rule::kw_false => self.node(ExprKind::Bool(false), span, 1),
            Rule::ident | Rule::lumi_ref => self.node(
                ExprKind::Name(super::build::ident_text(p.as_str())),
                span,
                1,
            ),
            Rule::list_lit => {
                let mut items = Vec::new();
                let mut depth = 1;
                for x in p.into_inner() {
                    let b = self.expr(x)?;
                    depth = depth.max(b.depth + 1);
                    items.push(b.expr);
                }
                self.node(ExprKind::List(items), span, depth)
            }
            Rule::paren => {
                let Some(inner) = p.into_inner().next() else {
                    return Err(self.internal(span));
                };
                let mut b = self.expr(inner)?;
                // The parentheses belong to the expression's span.
                b.expr.span = span;
                Ok(b)
            }
            Rule::call => {
                let mut inner = p.into_inner();
                let Some(f) = inner.next() else {
                    return Err(self.internal(span));
                };
                let func = Ident {
                    name: super::build::ident_text(f.as_str()),
                    span: span_of(&f),
                };
                let mut args = Vec::new();
                let mut depth = 1;
                for a in inner {
                    let b = self.expr(a)?;
                    depth = depth.max(b.depth + 1);
                    args.push(b.expr);
                }
                self.node(ExprKind::Call { func, args }, span, depth)
            }
            _ => Err(self.internal(span)),
        }
    }

    /// A number literal: integers (decimal or hex) stay integers; anything with `.` or `e` is a
    /// float.
    pub(super) fn number(&mut self, text: &str, span: Span) -> Result<ExprKind, Failed> {
        let parsed = if let Some(hex) = text.strip_prefix("0x") {
            i64::from_str_radix(hex, 16).ok().map(ExprKind::Int)
        } else if text.contains(['.', 'e', 'E']) {
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(ExprKind::Float)
        } else {
            text.parse::<i64>().ok().map(ExprKind::Int)
        };
        match parsed {
            Some(k) => Ok(k),
            None => {
                self.diags.push(
                    Diagnostic::error(INVALID_NUMBER, format!("number `{text}` is out of range"))
                        .in_file(self.source)
                        .with_primary(span, "cannot be represented")
                        .with_help(
                            "integers must fit in 64 bits (signed); floats must be finite doubles",
                        ),
                );
                Err(Failed)
            }
        }
    }
}

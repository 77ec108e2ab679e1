//! Derived-result expressions (`derive NAME = ...`): pest pairs → [`DExpr`].
//!
//! Input: a `d_expr` pair. Output: a [`DExpr`]. A separate small language: operands are
//! processes (`ttbar`, `ttbar:ME_var`), numbers and calls (`normalize(x)`, `efficiency("B", "A")`).
//! Depth is bounded by the pre-scan (brackets and operator runs).

use pest::iterators::Pair;

use super::Rule;
use super::ast::*;
use super::build::{Builder, str_value};
use super::expr::Failed;
use crate::diagnostics::Span;

fn span_of(p: &Pair<Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

impl Builder<'_> {
    /// `d_expr = d_term (add_op d_term)*` and `d_term = d_unary (mul_op d_unary)*`.
    pub(super) fn d_expr(&mut self, pair: Pair<Rule>) -> Result<DExpr, Failed> {
        let mut acc: Option<DExpr> = None;
        let mut op = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::add_op | Rule::mul_op => {
                    op = Some(match p.as_str() {
                        "+" => DOp::Add,
                        "-" => DOp::Sub,
                        "*" => DOp::Mul,
                        "/" => DOp::Div,
                        _ => return Err(self.internal(span_of(&p))),
                    });
                }
                Rule::d_term => {
                    let t = self.d_expr(p)?;
                    acc = Some(self.d_fold(acc, op.take(), t)?);
                }
                Rule::d_unary => {
                    let t = self.d_unary(p)?;
                    acc = Some(self.d_fold(acc, op.take(), t)?);
                }
                _ => return Err(self.internal(span_of(&p))),
            }
        }
        acc.ok_or_else(|| self.internal(Span::default()))
    }

    fn d_fold(&mut self, acc: Option<DExpr>, op: Option<DOp>, rhs: DExpr) -> Result<DExpr, Failed> {
        match (acc, op) {
            (None, None) => Ok(rhs),
            (Some(lhs), Some(op)) => Ok(DExpr {
                span: lhs.span.to(rhs.span),
                kind: DExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
            }),
            _ => Err(self.internal(rhs.span)),
        }
    }

    fn d_unary(&mut self, pair: Pair<Rule>) -> Result<DExpr, Failed> {
        let mut negs = Vec::new();
        let mut value = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::neg_op => negs.push(span_of(&p)),
                Rule::d_primary => value = Some(self.d_primary(p)?),
                _ => return Err(self.internal(span_of(&p))),
            }
        }
        let Some(mut v) = value else {
            return Err(self.internal(Span::default()));
        };
        while let Some(s) = negs.pop() {
            v = DExpr {
                span: s.to(v.span),
                kind: DExprKind::Neg(Box::new(v)),
            };
        }
        Ok(v)
    }

    fn d_primary(&mut self, pair: Pair<Rule>) -> Result<DExpr, Failed> {
        let outer = span_of(&pair);
        let Some(p) = pair.into_inner().next() else {
            return Err(self.internal(outer));
        };
        let span = span_of(&p);
        let kind = match p.as_rule() {
            Rule::number => match self.number(p.as_str(), span)? {
                ExprKind::Int(i) => DExprKind::Number(i as f64),
                ExprKind::Float(f) => DExprKind::Number(f),
                _ => return Err(self.internal(span)),
            },
            Rule::d_expr => {
                let mut e = self.d_expr(p)?;
                e.span = outer;
                return Ok(e);
            }
            Rule::d_ref => {
                let mut inner = p.into_inner();
                let Some(proc_) = inner.next() else {
                    return Err(self.internal(span));
                };
                let variation = inner.next().map(|v| Ident {
                    name: v.as_str().to_string(),
                    span: span_of(&v),
                });
                DExprKind::Ref {
                    process: Ident {
                        name: proc_.as_str().to_string(),
                        span: span_of(&proc_),
                    },
                    variation,
                }
            }
            Rule::d_call => {
                let mut inner = p.into_inner();
                let Some(f) = inner.next() else {
                    return Err(self.internal(span));
                };
                let mut args = Vec::new();
                for a in inner {
                    let Some(x) = a.into_inner().next() else {
                        return Err(self.internal(span));
                    };
                    args.push(if x.as_rule() == Rule::string {
                        DArg::Str(StrLit {
                            value: str_value(&x),
                            span: span_of(&x),
                        })
                    } else {
                        DArg::Expr(self.d_expr(x)?)
                    });
                }
                DExprKind::Call {
                    func: Ident {
                        name: f.as_str().to_string(),
                        span: span_of(&f),
                    },
                    args,
                }
            }
            _ => return Err(self.internal(span)),
        };
        Ok(DExpr { kind, span })
    }
}

//! Statements and headers: pest pairs → [`File`].
//!
//! Input: the `file` pair of a successful pest parse. Output: the AST plus diagnostics for
//! problems the grammar accepts but the language does not (a header after a statement, a header
//! given twice, out-of-range numbers). Expressions are built in `expr.rs`.

use std::sync::Arc;

use pest::iterators::Pair;

use super::ast::*;
use super::expr::Failed;
use super::{DUPLICATE_HEADER, INTERNAL, MISPLACED_HEADER, Rule};
use crate::diagnostics::{Diagnostic, SourceFile, Span};

pub(super) struct Builder<'s> {
    pub source: &'s Arc<SourceFile>,
    pub diags: Vec<Diagnostic>,
    next_id: u32,
}

fn span_of(p: &Pair<Rule>) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

/// Whether the next part is of rule `r`.
fn parts_first_is(it: &std::vec::IntoIter<Pair<Rule>>, r: Rule) -> bool {
    it.as_slice().first().is_some_and(|p| p.as_rule() == r)
}

fn ident(p: &Pair<Rule>) -> Ident {
    Ident {
        name: ident_text(p.as_str()),
        span: span_of(p),
    }
}

/// A name as written, without the backticks that let it be a reserved word (`` `weight` ``).
pub(super) fn ident_text(s: &str) -> String {
    let s = s.trim();
    s.strip_prefix('`')
        .and_then(|x| x.strip_suffix('`'))
        .unwrap_or(s)
        .to_string()
}

/// The value of a `string` pair, escapes resolved.
pub(super) fn str_value(p: &Pair<Rule>) -> String {
    let raw = p.as_str();
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            // The grammar only admits `\"` and `\\`.
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Keyword rules carry no information once the statement kind is known.
fn is_keyword(rule: Rule) -> bool {
    use Rule::*;
    matches!(
        rule,
        kw_const
            | kw_correction
            | kw_fn
            | kw_table
            | kw_from
            | kw_only
            | kw_object
            | kw_let
            | kw_cut
            | kw_weight
            | kw_hist
            | kw_profile
            | kw_by
            | kw_in
            | kw_counter
            | kw_when
            | kw_collect
            | kw_skim
            | kw_max
            | kw_region
            | kw_vary
            | kw_derive
    )
}

fn str_lit(p: &Pair<Rule>) -> StrLit {
    StrLit {
        value: str_value(p),
        span: span_of(p),
    }
}

impl<'s> Builder<'s> {
    pub fn new(source: &'s Arc<SourceFile>) -> Builder<'s> {
        Builder {
            source,
            diags: Vec::new(),
            next_id: 0,
        }
    }

    pub fn next_id(&mut self) -> ExprId {
        let id = ExprId(self.next_id);
        self.next_id += 1;
        id
    }

    /// A parse tree the grammar should never produce: reported, never a panic.
    pub fn internal(&mut self, span: Span) -> Failed {
        self.diags.push(
            Diagnostic::error(INTERNAL, "internal error: unexpected parse tree shape")
                .in_file(self.source)
                .with_primary(span, "here")
                .with_help("please report this with the input that caused it"),
        );
        Failed
    }

    /// Builds the file; `None` when an expression could not be built (diagnostics say why).
    pub fn file(&mut self, pair: Pair<Rule>) -> Option<File> {
        let mut headers: Vec<Header> = Vec::new();
        let mut stmts = Vec::new();
        let mut ok = true;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::header => {
                    let Ok(h) = self.header(p) else {
                        ok = false;
                        continue;
                    };
                    if let Some(first) = stmts.first() {
                        let first: &Stmt = first;
                        self.diags.push(
                            Diagnostic::error(
                                MISPLACED_HEADER,
                                "header lines must come before all statements",
                            )
                            .in_file(self.source)
                            .with_primary(h.span, "header after a statement")
                            .with_label(first.span, "first statement")
                            .with_help("move it to the top of the file"),
                        );
                    }
                    if let Some(prev) = headers.iter().find(|o| {
                        std::mem::discriminant(&o.kind) == std::mem::discriminant(&h.kind)
                    }) {
                        self.diags.push(
                            Diagnostic::error(DUPLICATE_HEADER, "this header is given twice")
                                .in_file(self.source)
                                .with_primary(h.span, "given again here")
                                .with_label(prev.span, "first given here")
                                .with_help("keep one of them"),
                        );
                        continue;
                    }
                    headers.push(h);
                }
                Rule::statement => match p.into_inner().next() {
                    Some(s) => match self.stmt(s) {
                        Ok(s) => stmts.push(s),
                        Err(Failed) => ok = false,
                    },
                    None => ok = false,
                },
                _ => {}
            }
        }
        ok.then_some(File {
            headers,
            stmts,
            expr_count: self.next_id,
        })
    }

    fn header(&mut self, pair: Pair<Rule>) -> Result<Header, Failed> {
        let span = span_of(&pair);
        let Some(h) = pair.into_inner().next() else {
            return Err(self.internal(span));
        };
        let rule = h.as_rule();
        // Skip the keyword; the value is the second child.
        let Some(v) = h.into_inner().nth(1) else {
            return Err(self.internal(span));
        };
        let kind = match rule {
            Rule::analysis_h => HeaderKind::Analysis(ident(&v)),
            Rule::tree_h if v.as_rule() == Rule::string => HeaderKind::Tree(str_lit(&v)),
            Rule::tree_h => HeaderKind::Tree(StrLit {
                value: v.as_str().to_string(),
                span: span_of(&v),
            }),
            Rule::samples_h => HeaderKind::Samples(str_lit(&v)),
            Rule::output_h => HeaderKind::Output(str_lit(&v)),
            Rule::lumi_h => {
                let vs = span_of(&v);
                let value = match self.number(v.as_str(), vs)? {
                    ExprKind::Int(i) => i as f64,
                    ExprKind::Float(f) => f,
                    _ => return Err(self.internal(vs)),
                };
                HeaderKind::Lumi { value, span: vs }
            }
            _ => return Err(self.internal(span)),
        };
        Ok(Header { kind, span })
    }

    fn expr_of(&mut self, p: Pair<Rule>) -> Result<Expr, Failed> {
        Ok(self.expr(p)?.expr)
    }

    fn stmt(&mut self, pair: Pair<Rule>) -> Result<Stmt, Failed> {
        let span = span_of(&pair);
        let rule = pair.as_rule();
        let has_max = pair
            .clone()
            .into_inner()
            .any(|p| p.as_rule() == Rule::kw_max);
        // Keywords are named rules; drop them so the children are the parts.
        let parts: Vec<Pair<Rule>> = pair
            .into_inner()
            .filter(|p| !is_keyword(p.as_rule()))
            .collect();
        let mut it = parts.into_iter();
        let kind = match rule {
            Rule::fn_s => {
                let Some(n) = it.next() else {
                    return Err(self.internal(span));
                };
                let mut parts: Vec<_> = it.collect();
                let Some(b) = parts.pop() else {
                    return Err(self.internal(span));
                };
                StmtKind::Function {
                    name: ident(&n),
                    params: parts.iter().map(ident).collect(),
                    body: self.expr_of(b)?,
                }
            }
            Rule::let_s if parts_first_is(&it, Rule::field_name) => {
                let (Some(n), Some(v)) = (it.next(), it.next()) else {
                    return Err(self.internal(span));
                };
                let mut parts = n.into_inner();
                let (Some(c), Some(f)) = (parts.next(), parts.next()) else {
                    return Err(self.internal(span));
                };
                StmtKind::DerivedField {
                    coll: ident(&c),
                    name: ident(&f),
                    value: self.expr_of(v)?,
                }
            }
            Rule::const_s | Rule::object_s | Rule::let_s => {
                let (Some(n), Some(v)) = (it.next(), it.next()) else {
                    return Err(self.internal(span));
                };
                let name = ident(&n);
                let value = self.expr_of(v)?;
                match rule {
                    Rule::const_s => StmtKind::Const { name, value },
                    Rule::object_s => StmtKind::Object { name, value },
                    _ => StmtKind::Let { name, value },
                }
            }
            Rule::cut_s => {
                let (Some(l), Some(c)) = (it.next(), it.next()) else {
                    return Err(self.internal(span));
                };
                StmtKind::Cut {
                    label: str_lit(&l),
                    cond: self.expr_of(c)?,
                }
            }
            Rule::weight_s => {
                let Some(v) = it.next() else {
                    return Err(self.internal(span));
                };
                StmtKind::Weight {
                    value: self.expr_of(v)?,
                }
            }
            Rule::hist_s | Rule::profile_s => {
                let Some(n) = it.next() else {
                    return Err(self.internal(span));
                };
                // A profile's averaged value comes first: `profile p = VALUE by X in ...`.
                let profile = if rule == Rule::profile_s {
                    let Some(v) = it.next() else {
                        return Err(self.internal(span));
                    };
                    Some(self.expr_of(v)?)
                } else {
                    None
                };
                let Some(fill) = it.next() else {
                    return Err(self.internal(span));
                };
                let fills = if fill.as_rule() == Rule::tuple {
                    let mut v = Vec::new();
                    for e in fill.into_inner() {
                        v.push(self.expr_of(e)?);
                    }
                    v
                } else {
                    vec![self.expr_of(fill)?]
                };
                let mut weight = None;
                let mut axes = Vec::new();
                for a in it {
                    if a.as_rule() == Rule::hist_weight {
                        let Some(e) = a.into_inner().find(|p| p.as_rule() == Rule::expr) else {
                            return Err(self.internal(span));
                        };
                        weight = Some(self.expr_of(e)?);
                    } else {
                        axes.push(self.axis(a)?);
                    }
                }
                StmtKind::Hist(Hist {
                    name: ident(&n),
                    fills,
                    weight,
                    axes,
                    profile,
                })
            }
            Rule::counter_s => {
                let Some(n) = it.next() else {
                    return Err(self.internal(span));
                };
                let when = match it.next() {
                    Some(e) => Some(self.expr_of(e)?),
                    None => None,
                };
                StmtKind::Counter {
                    name: ident(&n),
                    when,
                }
            }
            Rule::collect_s => {
                let Some(n) = it.next() else {
                    return Err(self.internal(span));
                };
                let mut values = Vec::new();
                for e in it {
                    values.push(self.expr_of(e)?);
                }
                // `max N`, when written, is the last expression.
                let max = if has_max { values.pop() } else { None };
                StmtKind::Collect {
                    name: ident(&n),
                    values,
                    max,
                }
            }
            Rule::skim_s => {
                let Some(n) = it.next() else {
                    return Err(self.internal(span));
                };
                let mut items = Vec::new();
                for item in it {
                    let mut parts: Vec<Pair<Rule>> = item.into_inner().collect();
                    let Some(e) = parts.pop() else {
                        return Err(self.internal(span));
                    };
                    items.push(SkimItem {
                        name: parts.first().map(ident),
                        value: self.expr_of(e)?,
                    });
                }
                StmtKind::Skim {
                    name: ident(&n),
                    items,
                }
            }
            Rule::region_s => {
                let Some(l) = it.next() else {
                    return Err(self.internal(span));
                };
                let mut body = Vec::new();
                let mut from = None;
                for item in it {
                    if item.as_rule() == Rule::region_from {
                        let Some(l) = item.into_inner().nth(1) else {
                            return Err(self.internal(span));
                        };
                        from = Some(ident(&l));
                        continue;
                    }
                    let Some(s) = item.into_inner().next() else {
                        return Err(self.internal(span));
                    };
                    body.push(self.stmt(s)?);
                }
                StmtKind::Region {
                    name: ident(&l),
                    from,
                    body,
                }
            }
            Rule::only_s => {
                let mut targets = Vec::new();
                let mut body = Vec::new();
                for item in it {
                    match item.as_rule() {
                        Rule::label => targets.push(ident(&item)),
                        _ => {
                            let Some(s) = item.into_inner().next() else {
                                return Err(self.internal(span));
                            };
                            body.push(self.stmt(s)?);
                        }
                    }
                }
                StmtKind::Only { targets, body }
            }
            Rule::vary_s => StmtKind::Vary(self.vary(it)?),
            Rule::derive_s => {
                let (Some(n), Some(v)) = (it.next(), it.next()) else {
                    return Err(self.internal(span));
                };
                StmtKind::Derive {
                    name: ident(&n),
                    value: self.d_expr(v)?,
                }
            }
            Rule::table_s => {
                let mut name = None;
                let mut params = Vec::new();
                let mut axes = Vec::new();
                let mut values = Vec::new();
                let mut flow = None;
                for p in it {
                    match p.as_rule() {
                        Rule::ident if name.is_none() => name = Some(ident(&p)),
                        Rule::ident => params.push(ident(&p)),
                        Rule::table_edges => {
                            let mut q = p.into_inner().filter(|x| x.as_rule() != Rule::kw_edges);
                            let (Some(v), Some(e)) = (q.next(), q.next()) else {
                                return Err(self.internal(span));
                            };
                            let edges = if e.as_rule() == Rule::edge_list {
                                let mut xs = Vec::new();
                                for x in e.into_inner() {
                                    xs.push(self.expr_of(x)?);
                                }
                                TableEdges::List(xs)
                            } else {
                                let mut q = e.into_inner();
                                let Some(f) = q.next() else {
                                    return Err(self.internal(span));
                                };
                                let mut args = Vec::new();
                                for x in q {
                                    args.push(self.expr_of(x)?);
                                }
                                TableEdges::Generated {
                                    func: ident(&f),
                                    args,
                                }
                            };
                            axes.push(TableAxis {
                                var: ident(&v),
                                edges,
                            });
                        }
                        Rule::table_values => {
                            for x in p.into_inner().filter(|x| x.as_rule() == Rule::expr) {
                                values.push(self.expr_of(x)?);
                            }
                        }
                        Rule::table_flow => {
                            let Some(f) = p.into_inner().find(|x| x.as_rule() != Rule::kw_flow)
                            else {
                                return Err(self.internal(span));
                            };
                            flow = Some(match f.as_rule() {
                                Rule::kw_clamp => TableFlow::Clamp,
                                Rule::kw_error => TableFlow::Error,
                                Rule::kw_wrap => TableFlow::Wrap,
                                _ => TableFlow::Default(self.expr_of(f)?),
                            });
                        }
                        _ => return Err(self.internal(span)),
                    }
                }
                let Some(name) = name else {
                    return Err(self.internal(span));
                };
                StmtKind::Table(Table {
                    name,
                    params,
                    axes,
                    values,
                    flow,
                    span,
                })
            }
            Rule::correction_s => {
                let (Some(n), Some(k), Some(f)) = (it.next(), it.next(), it.next()) else {
                    return Err(self.internal(span));
                };
                StmtKind::Correction {
                    name: ident(&n),
                    key: str_lit(&k),
                    file: str_lit(&f),
                }
            }
            _ => return Err(self.internal(span)),
        };
        Ok(Stmt { kind, span })
    }

    fn axis(&mut self, pair: Pair<Rule>) -> Result<Axis, Failed> {
        let span = span_of(&pair);
        let mut inner = pair.into_inner();
        let Some(kind) = inner.next() else {
            return Err(self.internal(span));
        };
        let mut args = Vec::new();
        let mut label = None;
        for p in inner {
            if p.as_rule() == Rule::string {
                label = Some(str_lit(&p));
            } else {
                args.push(self.expr_of(p)?);
            }
        }
        Ok(Axis {
            kind: ident(&kind),
            args,
            label,
            span,
        })
    }

    fn vary<'i>(&mut self, parts: impl Iterator<Item = Pair<'i, Rule>>) -> Result<Vary, Failed> {
        let mut name = None;
        let mut index = None;
        let mut on = Vec::new();
        let mut body = None;
        for p in parts {
            let span = span_of(&p);
            match p.as_rule() {
                Rule::vary_name => name = Some(ident(&p)),
                Rule::vary_for => {
                    let mut inner = p.into_inner().filter(|q| q.as_rule() != Rule::kw_for);
                    let Some(var) = inner.next() else {
                        return Err(self.internal(span));
                    };
                    let mut values = Vec::new();
                    for v in inner.filter(|q| q.as_rule() == Rule::expr) {
                        values.push(self.expr_of(v)?);
                    }
                    index = Some(VaryFor {
                        var: ident(&var),
                        values,
                    });
                }
                Rule::vary_on => {
                    on = p
                        .into_inner()
                        .filter(|q| q.as_rule() == Rule::ident)
                        .map(|q| ident(&q))
                        .collect();
                }
                Rule::vary_weight => {
                    let exprs: Vec<Pair<Rule>> = p
                        .into_inner()
                        .filter(|q| q.as_rule() == Rule::expr)
                        .collect();
                    let mut built = Vec::new();
                    for e in exprs {
                        built.push(self.expr_of(e)?);
                    }
                    let mut b = built.into_iter();
                    body = Some(match (b.next(), b.next()) {
                        (Some(up), Some(down)) => VaryBody::WeightUpDown { up, down },
                        (Some(w), None) => VaryBody::Weight(w),
                        _ => return Err(self.internal(span)),
                    });
                }
                Rule::vary_kin => {
                    let mut reps = Vec::new();
                    for r in p.into_inner() {
                        let rs = span_of(&r);
                        let mut ri = r.into_inner();
                        let (Some(c), Some(f), Some(e)) = (ri.next(), ri.next(), ri.next()) else {
                            return Err(self.internal(rs));
                        };
                        reps.push(Replacement {
                            collection: ident(&c),
                            field: ident(&f),
                            value: self.expr_of(e)?,
                        });
                    }
                    body = Some(VaryBody::Kinematic(reps));
                }
                _ => return Err(self.internal(span)),
            }
        }
        match (name, body) {
            (Some(name), Some(body)) => Ok(Vary {
                name,
                index,
                on,
                body,
            }),
            _ => Err(self.internal(Span::default())),
        }
    }
}

//! Expression typing and constant folding.
//!
//! Input: an [`Expr`] and the checker's scopes. Output: its [`Type`] and, when constant, its
//! [`Value`]; both recorded in `Checked` by expression id. Every error is reported once, where it
//! happens; the result is then `Type::Error`, which all checks accept silently.

use super::check::Checker;
use super::types::{Elem, P4_MEMBERS, Type, field_names, field_type};
use super::value::{Value, fold_binary};
use crate::diagnostics::{Code, Span};
use crate::syntax::ast::{BinOp, Expr, ExprId, ExprKind, UnOp};

/// An operand's type does not fit its operator, function or statement.
pub const TYPE_MISMATCH: Code = Code("anac::sema::type-mismatch");
/// A field that the element's collection does not have.
pub const UNKNOWN_FIELD: Code = Code("anac::sema::unknown-field");

pub(super) type Typed = (Type, Option<Value>);

/// How a value of this type is described in "found ..." labels, with a fix where one is typical.
fn misuse_help(t: &Type) -> Option<&'static str> {
    match t.unwrap_optional().0 {
        Type::Bool => Some("bools are not numbers: use `if b then 1 else 0`"),
        Type::Collection(_) => Some("use `count(c)` for the number of elements"),
        Type::List(_) => Some("reduce the list with `sum`, `min`, `max` or `count` first"),
        _ => None,
    }
}

impl Checker<'_> {
    /// Types an expression (and records the result).
    pub fn expr(&mut self, e: &Expr) -> Typed {
        let (ty, value) = self.expr_inner(e);
        self.out.types.insert(e.id, ty.clone());
        if let Some(v) = &value {
            self.out.values.insert(e.id, v.clone());
        }
        (ty, value)
    }

    /// Reports a type error unless the type is already an error.
    pub fn mismatch(&mut self, span: Span, found: &Type, message: String) {
        if *found == Type::Error {
            return;
        }
        let help = misuse_help(found);
        let d = self.error(TYPE_MISMATCH, span, message, &format!("this is {found}"));
        if let Some(h) = help {
            d.help = Some(h.to_string());
        }
    }

    /// Checks that `e` is a number (possibly absent); returns its type.
    pub fn expect_number(&mut self, e: &Expr, what: &str) -> Typed {
        let (t, v) = self.expr(e);
        if !t.is_numeric() {
            self.mismatch(e.span, &t, format!("{what} must be a number, found {t}"));
            return (Type::Error, None);
        }
        (t, v)
    }

    pub fn expect_bool(&mut self, e: &Expr, what: &str) -> Typed {
        let (t, v) = self.expr(e);
        if !t.is_boolish() {
            let d = format!("{what} must be a bool, found {t}");
            self.mismatch(e.span, &t, d);
            if t.is_numeric()
                && let Some(last) = self.diags.last_mut()
            {
                last.help = Some("compare the number, e.g. `x > 0`".into());
            }
            return (Type::Error, None);
        }
        (t, v)
    }

    /// Checks that `e` is a collection; returns its element kind.
    pub fn expect_collection(&mut self, e: &Expr, what: &str) -> Option<Elem> {
        // `COLL as NAME`: the name waits for the element scope that follows.
        if let ExprKind::Named { collection, name } = &e.kind {
            let el = self.expect_collection(collection, what);
            if let Some(t) = self.out.types.get(&collection.id).cloned() {
                self.out.types.insert(e.id, t);
            }
            self.pending_name = Some((name.name.clone(), name.span));
            return el;
        }
        let (t, _) = self.expr(e);
        match t {
            Type::Collection(el) => Some(el),
            Type::Unknown => Some(Elem::Opaque(describe_opaque(e))),
            Type::Error => None,
            t => {
                self.mismatch(
                    e.span,
                    &t,
                    format!("{what} must be a collection, found {t}"),
                );
                None
            }
        }
    }

    /// Checks `e` with `elem`'s fields in scope (a `where` condition, a key).
    pub fn with_element<T>(&mut self, elem: Elem, f: impl FnOnce(&mut Self) -> T) -> T {
        self.elems.push(elem);
        self.elem_names
            .push(self.pending_name.take().map(|(n, _)| n));
        self.visible.push(true);
        let r = f(self);
        self.elems.pop();
        self.elem_names.pop();
        self.visible.pop();
        r
    }

    /// A `COLL as NAME` that no element scope took.
    fn misplaced_name(&mut self) {
        if let Some((name, span)) = self.pending_name.take() {
            self.error(
                super::check::MISPLACED_NAME,
                span,
                format!("`as {name}` names no element here"),
                "nothing follows to use it",
            )
            .help = Some(
                "`as` names the element in a `where` condition or in the condition or key of \
                 `any`, `all`, `sum`, `argmax`, `argmin`, `sort`, `sort_desc`"
                    .into(),
            );
        }
    }

    fn expr_inner(&mut self, e: &Expr) -> Typed {
        match &e.kind {
            ExprKind::Int(i) => (Type::Int, Some(Value::Int(*i))),
            ExprKind::Float(f) => (Type::Float, Some(Value::Float(*f))),
            ExprKind::Bool(b) => (Type::Bool, Some(Value::Bool(*b))),
            ExprKind::Str(s) => (Type::Str, Some(Value::Str(s.clone()))),
            ExprKind::Name(n) => {
                let (t, v, r) = self.resolve(n, e.span);
                if let Some(r) = r {
                    self.out.resolutions.insert(e.id, r);
                }
                (t, v)
            }
            ExprKind::Unary { op, operand } => self.unary(*op, operand, e.span),
            ExprKind::Binary {
                op: op @ (BinOp::Eq | BinOp::Ne),
                lhs,
                rhs,
            } if sample_string(lhs).is_some() || sample_string(rhs).is_some() => {
                self.sample_test(e.id, *op, lhs, rhs)
            }
            ExprKind::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let (_, cv) = self.expect_bool(cond, "an `if` condition");
                let (a, av) = self.expr(then);
                let (b, bv) = self.expr(otherwise);
                let ty = self.unify(&a, &b, otherwise.span);
                let value = match cv {
                    Some(Value::Bool(true)) => av,
                    Some(Value::Bool(false)) => bv,
                    _ => None,
                };
                (ty, value)
            }
            ExprKind::Named { collection, name } => {
                self.pending_name = Some((name.name.clone(), name.span));
                self.misplaced_name();
                self.expr(collection)
            }
            ExprKind::Where { collection, cond } => {
                let Some(elem) = self.expect_collection(collection, "the left side of `where`")
                else {
                    self.with_element(Elem::Opaque("?".into()), |c| c.expr(cond));
                    return (Type::Error, None);
                };
                self.with_element(elem.clone(), |c| c.expect_bool(cond, "a `where` condition"));
                (Type::Collection(elem), None)
            }
            ExprKind::Field { base, name } => {
                if let ExprKind::Name(n) = &base.kind
                    && n == "sample"
                {
                    return self.sample_member(e.id, name);
                }
                if let ExprKind::Name(n) = &base.kind
                    && let Some((ty, r)) = self.dotted_branch(n, &name.name)
                {
                    self.out.resolutions.insert(e.id, r);
                    return (ty, None);
                }
                if let ExprKind::Name(n) = &base.kind
                    && self.unknown_dotted_member(n, &name.name, name.span)
                {
                    return (Type::Error, None);
                }
                let (bt, _) = self.expr(base);
                if let Some(t) = self.derived_member(e.id, &bt, &name.name) {
                    return (t, None);
                }
                self.field(&bt, &name.name, name.span, base.span)
            }
            ExprKind::Index { base, index } => self.index(base, index),
            ExprKind::Slice { base, lo, hi } => self.slice(base, lo.as_deref(), hi.as_deref()),
            ExprKind::Inline { func, args, body } => self.inline_call(func, args, body, e.span),
            ExprKind::List(items) => self.list_literal(items),
            ExprKind::Arg { value } => self.argument(value),
            ExprKind::Call { func, args } => {
                if let Some(r) = self.user_call(func, args, e.span) {
                    return r;
                }
                if let Some(id) = self.lookup_def(&func.name)
                    && let super::SymbolKind::Correction(i) = self.out.symbols[id.0 as usize].kind
                {
                    self.used.insert(id);
                    self.out
                        .resolutions
                        .insert(e.id, super::Resolution::Symbol(id));
                    let r = match i {
                        Some(i) => self.correction_call(i, func, args, e.span),
                        // Its statement was refused (reported there): check the arguments only.
                        None => {
                            for a in args {
                                self.expr(a);
                            }
                            (super::types::Type::Error, None)
                        }
                    };
                    self.misplaced_name();
                    return r;
                }
                let r = self.call(func, args, e.span);
                // `first(Jet as j)`, `combinations(Jet as j, 2)`: no scope took the name.
                self.misplaced_name();
                r
            }
        }
    }

    /// `x.NAME` where NAME is a derived field of x's tree collection (x of type `bt`): its type
    /// (a list for a collection), the resolution recorded. `None`: not a derived field.
    fn derived_member(&mut self, id: ExprId, bt: &Type, name: &str) -> Option<Type> {
        let (inner, optional) = bt.unwrap_optional();
        let (c, list) = match inner {
            Type::Element(Elem::Tree(c)) => (c.clone(), false),
            Type::Collection(Elem::Tree(c)) => (c.clone(), true),
            _ => return None,
        };
        let ty = self.derived.get(&(c.clone(), name.to_string()))?.clone();
        self.out.resolutions.insert(
            id,
            super::Resolution::DerivedField {
                coll: c,
                name: name.to_string(),
                depth: usize::MAX,
            },
        );
        let t = if list { Type::List(Box::new(ty)) } else { ty };
        Some(if optional { t.optional() } else { t })
    }

    /// `sample.process == "NAME"`, `sample.variation != "NAME"`, either way round: checked
    /// against the samples file's processes and variations when they are known.
    fn sample_test(&mut self, id: ExprId, op: BinOp, lhs: &Expr, rhs: &Expr) -> Typed {
        let (which, other) = match sample_string(lhs) {
            Some(w) => (w, rhs),
            None => (sample_string(rhs).unwrap_or("process"), lhs),
        };
        let (t, v) = self.expr(other);
        let Some(Value::Str(name)) = v else {
            if t != Type::Error {
                self.mismatch(
                    other.span,
                    &t,
                    format!("`sample.{which}` is compared with a name in quotes, found {t}"),
                );
            }
            return (Type::Error, None);
        };
        let variation = which == "variation";
        if let Some(ps) = self.env.processes {
            let known: Vec<&str> = if variation {
                let mut v: Vec<&str> = ps
                    .iter()
                    .flat_map(|p| p.variations.iter().map(String::as_str))
                    .collect();
                v.sort();
                v.dedup();
                v
            } else {
                ps.iter().map(|p| p.name.as_str()).collect()
            };
            if !known.contains(&name.as_str()) {
                let hint = super::check::suggest(&name, known.iter().copied());
                let d = self.error(
                    super::vary::UNKNOWN_PROCESS,
                    other.span,
                    format!("the samples file has no {which} \"{name}\""),
                    "never equal",
                );
                d.help = Some(match hint {
                    Some(h) => format!("did you mean \"{h}\"?"),
                    None => format!("the samples file's {which}s: {}", known.join(", ")),
                });
                return (Type::Error, None);
            }
        }
        self.out.resolutions.insert(
            id,
            super::Resolution::SampleTest {
                variation,
                name,
                negate: op == BinOp::Ne,
            },
        );
        (Type::Bool, None)
    }

    /// `sample.NAME`: a value of the sample being run (the namespace no branch shadows).
    fn sample_member(
        &mut self,
        id: crate::syntax::ast::ExprId,
        name: &crate::syntax::ast::Ident,
    ) -> Typed {
        let ty = match name.name.as_str() {
            "is_data" => Type::Bool,
            "xsec" | "nevts" | "sumw" => Type::Float,
            "process" | "variation" => {
                let n = &name.name;
                self.error(
                    TYPE_MISMATCH,
                    name.span,
                    format!("`sample.{n}` is only compared with a name"),
                    "not compared with a name",
                )
                .help = Some(format!(
                    "write `sample.{n} == \"NAME\"` or `!=`: the comparison is decided once per \
                     sample"
                ));
                return (Type::Error, None);
            }
            other => {
                let near =
                    super::check::suggest(other, super::check::SAMPLE_MEMBERS.iter().copied());
                self.error(
                    super::check::UNKNOWN_NAME,
                    name.span,
                    format!("`sample` has no value `{other}`"),
                    "not a sample value",
                )
                .help = Some(
                    match near {
                        Some(n) => format!("did you mean `sample.{n}`? "),
                        None => String::new(),
                    } + &format!(
                        "the sample's values: {}",
                        super::check::SAMPLE_MEMBERS.join(", ")
                    ),
                );
                return (Type::Error, None);
            }
        };
        self.out
            .resolutions
            .insert(id, super::Resolution::SampleValue(name.name.clone()));
        (ty, None)
    }

    /// The common type of two branches (`if`, `??`).
    pub fn unify(&mut self, a: &Type, b: &Type, span: Span) -> Type {
        let (ai, ao) = a.unwrap_optional();
        let (bi, bo) = b.unwrap_optional();
        let inner = match (ai, bi) {
            (Type::Error, t) | (t, Type::Error) => t.clone(),
            (Type::Unknown, t) | (t, Type::Unknown) => t.clone(),
            (Type::Int, Type::Float) | (Type::Float, Type::Int) => Type::Float,
            (x, y) if x == y => x.clone(),
            _ => {
                self.mismatch(
                    span,
                    b,
                    format!("both alternatives must have the same type: {a} and {b}"),
                );
                return Type::Error;
            }
        };
        if ao || bo { inner.optional() } else { inner }
    }

    fn unary(&mut self, op: UnOp, operand: &Expr, span: Span) -> Typed {
        match op {
            UnOp::Not => {
                let (t, v) = self.expect_bool(operand, "the operand of `not`");
                let value = match v {
                    Some(Value::Bool(b)) => Some(Value::Bool(!b)),
                    _ => None,
                };
                (if t == Type::Error { t } else { Type::Bool }, value)
            }
            UnOp::Neg => {
                let (t, v) = self.expr(operand);
                // A four-vector's negation: every component negated.
                if *t.unwrap_optional().0 == Type::P4 {
                    return (t, None);
                }
                if !t.is_numeric() {
                    self.mismatch(
                        operand.span,
                        &t,
                        format!("the operand of `-` must be a number or a four-vector, found {t}"),
                    );
                    return (Type::Error, None);
                }
                let value = match v {
                    Some(Value::Int(i)) => i.checked_neg().map(Value::Int),
                    Some(Value::Float(f)) => Some(Value::Float(-f)),
                    _ => None,
                };
                (t, value)
            }
            UnOp::BitNot => {
                let (t, v) = self.expr(operand);
                if !matches!(
                    t.unwrap_optional().0,
                    Type::Int | Type::Unknown | Type::Error
                ) {
                    self.mismatch(span, &t, format!("`~` needs an integer, found {t}"));
                    return (Type::Error, None);
                }
                let value = match v {
                    Some(Value::Int(i)) => Some(Value::Int(!i)),
                    _ => None,
                };
                (t, value)
            }
        }
    }

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr) -> Typed {
        if op == BinOp::Coalesce {
            let (a, _) = self.expr(lhs);
            let (b, bv) = self.expr(rhs);
            let inner = a.unwrap_optional().0.clone();
            let ty = self.unify(&inner, &b, rhs.span);
            return (
                ty,
                if a == Type::Error {
                    None
                } else {
                    bv.filter(|_| false)
                },
            );
        }
        let (a, av) = self.expr(lhs);
        let (b, bv) = self.expr(rhs);
        if a == Type::Error || b == Type::Error {
            return (Type::Error, None);
        }
        // `%` by zero and shifts out of [0, 63] are absent at run time (docs/language.md,
        // "Numerics"): the result may be absent unless the right side is a constant that rules
        // it out.
        let may_be_absent = match op {
            BinOp::Rem => {
                !matches!(
                    bv,
                    Some(Value::Int(k)) if k != 0
                ) && !matches!(bv, Some(Value::Float(f)) if f != 0.0)
            }
            BinOp::Shl | BinOp::Shr => !matches!(bv, Some(Value::Int(k)) if (0..64).contains(&k)),
            _ => false,
        };
        let optional = a.unwrap_optional().1 || b.unwrap_optional().1 || may_be_absent;
        let (ai, bi) = (a.unwrap_optional().0.clone(), b.unwrap_optional().0.clone());
        let sym = op.symbol();
        let ty = match op {
            BinOp::And | BinOp::Or => {
                for (t, s) in [(&a, lhs.span), (&b, rhs.span)] {
                    if !t.is_boolish() {
                        self.mismatch(
                            s,
                            t,
                            format!("`{sym}` needs bools on both sides, found {t}"),
                        );
                        if let Some(d) = self.diags.last_mut()
                            && t.is_numeric()
                        {
                            d.help = Some("compare the number, e.g. `x > 0`".into());
                        }
                        return (Type::Error, None);
                    }
                }
                Type::Bool
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ordered = !matches!(op, BinOp::Eq | BinOp::Ne);
                let ok = match (&ai, &bi) {
                    // An unknown operand (no schema, or a function's parameter checked at its
                    // definition) may be anything comparable with the other.
                    (Type::Unknown, x) | (x, Type::Unknown) => {
                        matches!(x, Type::Int | Type::Float | Type::Bool | Type::Unknown)
                            || (!ordered && matches!(x, Type::Str | Type::Element(_)))
                    }
                    (x, y) if x.is_numeric() && y.is_numeric() => true,
                    (Type::Bool, Type::Bool) | (Type::Str, Type::Str) => !ordered,
                    // Element identity: the same element of the same tree collection (tuples:
                    // the same members in the same order); elements order by their position in
                    // the tree collection (tuples member by member).
                    (Type::Element(x), Type::Element(y)) => {
                        x == y || x.is_opaque() || y.is_opaque()
                    }
                    _ => false,
                };
                if !ok {
                    let bad = if ai.is_numeric() || ai == Type::Str {
                        (&b, rhs.span)
                    } else {
                        (&a, lhs.span)
                    };
                    self.mismatch(
                        bad.1,
                        bad.0,
                        format!("cannot compare {a} with {b} using `{sym}`"),
                    );
                    return (Type::Error, None);
                }
                // A comparison with an absent operand is false: the result is a plain bool.
                return (Type::Bool, fold(op, av, bv));
            }
            BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor | BinOp::Shl | BinOp::Shr => {
                for (t, s) in [(&a, lhs.span), (&b, rhs.span)] {
                    if !matches!(t.unwrap_optional().0, Type::Int | Type::Unknown) {
                        self.mismatch(s, t, format!("`{sym}` needs integers, found {t}"));
                        if let Some(d) = self.diags.last_mut()
                            && *t.unwrap_optional().0 == Type::Float
                        {
                            d.help = Some("convert with `int(x)` first".into());
                        }
                        return (Type::Error, None);
                    }
                }
                if ai == Type::Unknown || bi == Type::Unknown {
                    Type::Unknown
                } else {
                    Type::Int
                }
            }
            _ => {
                let number = |t: &Type| matches!(t, Type::Int | Type::Float);
                if matches!(op, BinOp::Add | BinOp::Sub) && ai == Type::P4 && bi == Type::P4 {
                    Type::P4
                } else if (op == BinOp::Mul && ai == Type::P4 && number(&bi))
                    || (op == BinOp::Mul && number(&ai) && bi == Type::P4)
                    || (op == BinOp::Div && ai == Type::P4 && number(&bi))
                {
                    // A four-vector scaled by a number: every component.
                    Type::P4
                } else {
                    for (t, s) in [(&a, lhs.span), (&b, rhs.span)] {
                        if !t.is_numeric() {
                            self.mismatch(s, t, format!("`{sym}` needs numbers, found {t}"));
                            return (Type::Error, None);
                        }
                    }
                    match (&ai, &bi) {
                        (Type::Unknown, _) | (_, Type::Unknown) => Type::Unknown,
                        (Type::Int, Type::Int) if op != BinOp::Div => Type::Int,
                        _ => Type::Float,
                    }
                }
            }
        };
        let value = fold(op, av, bv);
        (if optional { ty.optional() } else { ty }, value)
    }

    /// `base.name`: a field of an element, a projection of a collection, a four-vector member.
    pub fn field(&mut self, base: &Type, name: &str, span: Span, base_span: Span) -> Typed {
        match base {
            Type::Error => (Type::Error, None),
            Type::Unknown => (Type::Unknown, None),
            Type::Optional(inner) => {
                let (t, _) = self.field(inner, name, span, base_span);
                (t.optional(), None)
            }
            Type::P4 => {
                if P4_MEMBERS.contains(&name) {
                    (Type::Float, None)
                } else {
                    let hint = super::check::suggest(name, P4_MEMBERS.iter().copied());
                    let d = self.error(
                        UNKNOWN_FIELD,
                        span,
                        format!("a four-vector has no member `{name}`"),
                        "unknown member",
                    );
                    d.help = Some(match hint {
                        Some(h) => format!("did you mean `{h}`?"),
                        None => format!("members: {}", P4_MEMBERS.join(", ")),
                    });
                    (Type::Error, None)
                }
            }
            Type::Element(el) | Type::Collection(el) => {
                let projection = matches!(base, Type::Collection(_));
                match field_type(el, name, self.env.schema) {
                    Some(t) => {
                        let el = el.clone();
                        self.note_field(&el, name);
                        if projection {
                            (Type::List(Box::new(t)), None)
                        } else {
                            (t, None)
                        }
                    }
                    None => {
                        self.unknown_field(el, name, span);
                        (Type::Error, None)
                    }
                }
            }
            // A projection chained through four-vectors: `mu_pairs.p4.mass`, one per pair.
            Type::List(item) if **item == Type::P4 => {
                let (t, _) = self.field(&Type::P4, name, span, base_span);
                match t {
                    Type::Error => (Type::Error, None),
                    t => (Type::List(Box::new(t)), None),
                }
            }
            t => {
                let t = t.clone();
                self.mismatch(
                    base_span,
                    &t,
                    format!("`.{name}` needs an element, a collection or a four-vector, found {t}"),
                );
                (Type::Error, None)
            }
        }
    }

    pub fn unknown_field(&mut self, el: &Elem, name: &str, span: Span) {
        let fields = field_names(el, self.env.schema);
        let hint = super::check::suggest(name, fields.iter().map(|(n, _)| n.as_str()))
            .and_then(|h| fields.iter().find(|(n, _)| n == h));
        let help = match hint {
            Some((n, t)) => format!("did you mean `{n}` ({t})?"),
            None if fields.is_empty() => "it has no fields".to_string(),
            None => {
                let list: Vec<String> = fields
                    .iter()
                    .take(12)
                    .map(|(n, t)| format!("{n} ({t})"))
                    .collect();
                format!(
                    "available: {}{}",
                    list.join(", "),
                    if fields.len() > 12 { ", ..." } else { "" }
                )
            }
        };
        self.error(
            UNKNOWN_FIELD,
            span,
            format!("{el} has no field `{name}`"),
            "unknown field",
        )
        .help = Some(help);
    }

    fn index(&mut self, base: &Expr, index: &Expr) -> Typed {
        let (bt, _) = self.expr(base);
        let (it, iv) = self.expr(index);
        // An optional index (`Muon[0].jetIdx`) gives an absent element when it is absent.
        if !matches!(
            it.unwrap_optional().0,
            Type::Int | Type::Unknown | Type::Error
        ) {
            self.mismatch(
                index.span,
                &it,
                format!("an index must be an integer, found {it}"),
            );
            return (Type::Error, None);
        }
        let (bt, optional) = match bt {
            Type::Optional(inner) => (*inner, true),
            t => (t, false),
        };
        let (t, v) = self.index_of(bt, base, index, iv);
        (if optional { t.optional() } else { t }, v)
    }

    /// `[a, b, ...]`: the items' common type (ints and floats meet as floats); no item may be
    /// absent.
    fn list_literal(&mut self, items: &[Expr]) -> Typed {
        let mut ty: Option<Type> = None;
        for x in items {
            let (t, _) = self.expr(x);
            let t = match t {
                Type::Int | Type::Float | Type::Bool | Type::P4 | Type::Unknown => t,
                Type::Error => return (Type::Error, None),
                t => {
                    self.mismatch(
                        x.span,
                        &t,
                        format!("a list item must be a number, a bool or a four-vector, found {t}"),
                    );
                    if t.unwrap_optional().1
                        && let Some(d) = self.diags.last_mut()
                    {
                        d.help = Some("give it a value where it is absent: `x ?? 0`".into());
                    }
                    return (Type::Error, None);
                }
            };
            ty = Some(match ty {
                None => t,
                Some(prev) => {
                    let u = self.unify(&prev, &t, x.span);
                    if u == Type::Error {
                        return (Type::Error, None);
                    }
                    u
                }
            });
        }
        match ty {
            Some(t) => (Type::List(Box::new(t)), None),
            None => (Type::Error, None),
        }
    }

    /// `c[lo:hi]`: a collection of the same elements.
    fn slice(&mut self, base: &Expr, lo: Option<&Expr>, hi: Option<&Expr>) -> Typed {
        let (bt, _) = self.expr(base);
        let mut ok = true;
        for b in lo.into_iter().chain(hi) {
            let (t, _) = self.expr(b);
            if !matches!(t, Type::Int | Type::Unknown | Type::Error) {
                self.mismatch(
                    b.span,
                    &t,
                    format!("a slice bound must be an integer, found {t}"),
                );
                if t.unwrap_optional().1
                    && let Some(d) = self.diags.last_mut()
                {
                    d.help = Some("give the bound a value where it is absent: `n ?? 0`".into());
                }
                ok = false;
            }
        }
        match bt {
            Type::Collection(el) if ok => (Type::Collection(el), None),
            Type::Unknown if ok => (Type::Unknown, None),
            Type::Error | Type::Collection(_) | Type::Unknown => (Type::Error, None),
            t => {
                self.mismatch(
                    base.span,
                    &t,
                    format!("`[from:to]` needs a collection, found {t}"),
                );
                if matches!(t, Type::List(_))
                    && let Some(d) = self.diags.last_mut()
                {
                    d.help = Some("slice the collection, then project: `jets[0:3].pt`".into());
                }
                (Type::Error, None)
            }
        }
    }

    fn index_of(&mut self, bt: Type, base: &Expr, index: &Expr, iv: Option<Value>) -> Typed {
        match bt {
            Type::Error => (Type::Error, None),
            Type::Unknown => (Type::Unknown, None),
            Type::Collection(el) => (Type::Element(el).optional(), None),
            Type::List(t) => (t.optional(), None),
            Type::Element(el) if el.is_tuple() => {
                let Some(Value::Int(i)) = iv else {
                    self.error(
                        super::builtins::NOT_CONSTANT,
                        index.span,
                        "a tuple member index must be a constant".into(),
                        "not a constant",
                    );
                    return (Type::Error, None);
                };
                match usize::try_from(i).ok().and_then(|i| el.member(i)) {
                    Some(m) => (Type::Element(m), None),
                    None => {
                        self.error(
                            super::builtins::INVALID_ARGUMENT,
                            index.span,
                            format!("{el} has no member {i}"),
                            "out of range",
                        );
                        (Type::Error, None)
                    }
                }
            }
            t => {
                self.mismatch(
                    base.span,
                    &t,
                    format!("`[...]` needs a collection or a list, found {t}"),
                );
                (Type::Error, None)
            }
        }
    }
}

fn fold(op: BinOp, a: Option<Value>, b: Option<Value>) -> Option<Value> {
    fold_binary(op, &a?, &b?)
}

/// The name an unverified collection is shown by.
fn describe_opaque(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Name(n) => n.clone(),
        _ => "collection".to_string(),
    }
}

/// `sample.process` or `sample.variation`: which.
fn sample_string(e: &Expr) -> Option<&'static str> {
    let ExprKind::Field { base, name } = &e.kind else {
        return None;
    };
    match (&base.kind, name.name.as_str()) {
        (ExprKind::Name(n), "process") if n == "sample" => Some("process"),
        (ExprKind::Name(n), "variation") if n == "sample" => Some("variation"),
        _ => None,
    }
}

//! Builtin functions: their signatures and result types.
//!
//! Input: a call's name and argument expressions. Output: the call's type (and value, for math
//! on constants). Collection functions check their key/condition argument with the element's
//! fields in scope, like `where`.

use super::check::{Checker, suggest};
use super::expr::Typed;
use super::types::{Elem, Type};
use super::value::Value;
use crate::diagnostics::{Code, Span};
use crate::syntax::ast::{Expr, Ident};

/// A call to a function that does not exist.
pub const UNKNOWN_FUNCTION: Code = Code("anac::sema::unknown-function");
/// A function called with the wrong number of arguments.
pub const ARGUMENT_COUNT: Code = Code("anac::sema::argument-count");
/// A value that must be known at compile time is not.
pub const NOT_CONSTANT: Code = Code("anac::sema::not-constant");
/// A constant argument outside its allowed range.
pub const INVALID_ARGUMENT: Code = Code("anac::sema::invalid-argument");
/// `normal`/`uniform` where random numbers are not allowed.
pub const RANDOM_NOT_ALLOWED: Code = Code("anac::sema::random-not-allowed");

const MATH1: &[&str] = &[
    "abs",
    "sqrt",
    "exp",
    "log",
    "log10",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "floor",
    "ceil",
    "round",
    "normal_quantile",
];
const MATH2: &[&str] = &["pow", "atan2"];
const COLL_KEYED: &[&str] = &["sort", "sort_desc", "argmax", "argmin", "any", "all"];

/// Every builtin's name, for "did you mean".
pub const ALL: &[&str] = &[
    "abs",
    "sqrt",
    "exp",
    "log",
    "log10",
    "pow",
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sinh",
    "cosh",
    "tanh",
    "floor",
    "ceil",
    "round",
    "min",
    "max",
    "int",
    "float",
    "normal",
    "uniform",
    "normal_quantile",
    "count",
    "sum",
    "prod",
    "any",
    "all",
    "mean",
    "first",
    "sort",
    "sort_desc",
    "argmax",
    "argmin",
    "combinations",
    "permutations",
    "pairs",
    "union",
    "is_from",
    "list",
    "ptetaphim",
    "pxpypze",
    "delta_r",
    "delta_eta",
    "mt",
    "mt2",
    "delta_phi",
];

/// Every builtin with its signature and what it gives (`anac explain --builtins`).
pub const SIGNATURES: &[(&str, &str)] = &[
    ("abs(x)", "absolute value (an int stays an int)"),
    ("sqrt(x), exp(x), log(x), log10(x)", "float functions"),
    (
        "sin(x), cos(x), tan(x), asin(x), acos(x), atan(x)",
        "trigonometry (radians)",
    ),
    ("sinh(x), cosh(x), tanh(x)", "hyperbolic functions"),
    (
        "floor(x), ceil(x), round(x)",
        "rounding (halves away from zero)",
    ),
    ("pow(x, y), atan2(y, x)", "power, two-argument arctangent"),
    (
        "min(a, b, ...), max(a, b, ...)",
        "smallest / largest of numbers (NaN propagates)",
    ),
    (
        "min(list), max(list), mean(list)",
        "of a list; absent when empty",
    ),
    (
        "sum(list), sum(c, EXPR)",
        "sum of a list, or of EXPR per element; 0 when empty",
    ),
    (
        "prod(list), prod(c, EXPR)",
        "product of a list, or of EXPR per element (a float; 1 when empty), e.g. scale factors",
    ),
    ("count(c)", "number of elements of a collection or a list"),
    (
        "any(c, COND), all(c, COND)",
        "whether some / every element satisfies COND",
    ),
    ("first(c)", "c[0]; absent when empty"),
    (
        "sort(c, KEY), sort_desc(c, KEY)",
        "the collection ordered by KEY (stable)",
    ),
    (
        "argmax(c, KEY), argmin(c, KEY)",
        "the element with the largest / smallest KEY; absent if none",
    ),
    (
        "combinations(c, k)",
        "all k-tuples (k = 2..4) of distinct elements, in order",
    ),
    (
        "permutations(c, k)",
        "every ordering of k (2..4) distinct elements: assignments to roles",
    ),
    ("pairs(a, b)", "all (element of a, element of b) pairs"),
    (
        "list(c, expr)",
        "expr for each element of c, as a list (fills once per element)",
    ),
    (
        "union(a, b, ...)",
        "the elements of several tree collections as one (their common fields)",
    ),
    (
        "is_from(e, COLL)",
        "whether a union element comes from tree collection COLL",
    ),
    (
        "int(x), float(x)",
        "conversions (int truncates; a run-time error for NaN or out of range)",
    ),
    (
        "ptetaphim(pt, eta, phi, m), pxpypze(px, py, pz, e)",
        "four-vectors",
    ),
    (
        "delta_r(a, b), delta_phi(a, b)",
        "ΔR and Δφ of four-vectors (Δφ in (−π, π])",
    ),
    (
        "delta_eta(a, b), mt(a, b)",
        "η_a − η_b; the transverse mass √(2 pT_a pT_b (1 − cos Δφ)) (massless, e.g. lepton + MET)",
    ),
    (
        "mt2(a, b, met), mt2(a, b, met, m_inv), mt2(a, b, met, m_inv_a, m_inv_b)",
        "the stransverse mass MT2 of visible four-vectors a, b and the missing momentum met \
         (its px, py), for invisible particles of mass m_inv (default 0)",
    ),
    (
        "normal(mean, sigma), uniform(a, b)",
        "reproducible random numbers (in let, weight, vary)",
    ),
    ("normal_quantile(p)", "the standard normal quantile Φ⁻¹(p)"),
];

impl Checker<'_> {
    fn arity(&mut self, func: &Ident, args: &[Expr], allowed: &[usize], span: Span) -> bool {
        if allowed.contains(&args.len()) {
            return true;
        }
        let want: Vec<String> = allowed.iter().map(usize::to_string).collect();
        self.error(
            ARGUMENT_COUNT,
            span,
            format!(
                "`{}` takes {} argument(s), found {}",
                func.name,
                want.join(" or "),
                args.len()
            ),
            "wrong number of arguments",
        );
        // Still check the arguments, for their own errors.
        for a in args {
            self.expr(a);
        }
        false
    }

    pub fn call(&mut self, func: &Ident, args: &[Expr], span: Span) -> Typed {
        let name = func.name.as_str();
        if MATH1.contains(&name) {
            if !self.arity(func, args, &[1], span) {
                return (Type::Error, None);
            }
            let (t, v) = self.expect_number(&args[0], &format!("the argument of `{name}`"));
            let opt = t.unwrap_optional().1;
            let ty = match (name, t.unwrap_optional().0) {
                (_, Type::Error) => return (Type::Error, None),
                ("abs", Type::Int) => Type::Int,
                _ => Type::Float,
            };
            let value = v.and_then(|v| math1(name, &v));
            return (if opt { ty.optional() } else { ty }, value);
        }
        if MATH2.contains(&name) {
            if !self.arity(func, args, &[2], span) {
                return (Type::Error, None);
            }
            let a = self.expect_number(&args[0], &format!("the arguments of `{name}`"));
            let b = self.expect_number(&args[1], &format!("the arguments of `{name}`"));
            let opt = a.0.unwrap_optional().1 || b.0.unwrap_optional().1;
            return (
                if opt {
                    Type::Float.optional()
                } else {
                    Type::Float
                },
                None,
            );
        }
        match name {
            "min" | "max" => self.min_max(func, args, span),
            "int" | "float" => {
                if !self.arity(func, args, &[1], span) {
                    return (Type::Error, None);
                }
                let (t, v) = self.expect_number(&args[0], &format!("the argument of `{name}`"));
                let ty = if name == "int" {
                    Type::Int
                } else {
                    Type::Float
                };
                let value = match (name, v) {
                    ("int", Some(Value::Float(f))) if f.is_finite() => {
                        Some(Value::Int(f.trunc() as i64))
                    }
                    ("float", Some(v)) => v.as_f64().map(Value::Float),
                    (_, v) => v,
                };
                (
                    if t.unwrap_optional().1 {
                        ty.optional()
                    } else {
                        ty
                    },
                    value,
                )
            }
            "normal" | "uniform" => {
                if !self.random_ok {
                    self.error(
                        RANDOM_NOT_ALLOWED,
                        func.span,
                        format!("`{name}` is only allowed in `let`, `object`, `weight` and `vary`"),
                        "random numbers not allowed here",
                    )
                    .help = Some(
                        "put the whole expression in an `object` or a `let` (`object sel = Jet \
                         where pt * normal(1, 0.1) > 30`): inside it each element draws its own \
                         number. A `let` of the draw alone is one number per event, shared by \
                         every element"
                            .into(),
                    );
                }
                if !self.arity(func, args, &[2], span) {
                    return (Type::Error, None);
                }
                for a in args {
                    self.expect_number(a, &format!("the arguments of `{name}`"));
                }
                (Type::Float, None)
            }
            "count" => {
                if !self.arity(func, args, &[1], span) {
                    return (Type::Error, None);
                }
                let (t, _) = self.expr(&args[0]);
                match t {
                    Type::Collection(_) | Type::List(_) | Type::Unknown | Type::Error => {}
                    t => self.mismatch(
                        args[0].span,
                        &t,
                        format!("`count` needs a collection or a list, found {t}"),
                    ),
                }
                (Type::Int, None)
            }
            "sum" | "mean" | "prod" => {
                let allowed: &[usize] = if name == "mean" { &[1] } else { &[1, 2] };
                if !self.arity(func, args, allowed, span) {
                    return (Type::Error, None);
                }
                let item = if args.len() == 2 {
                    let Some(el) = self
                        .expect_collection(&args[0], &format!("the first argument of `{name}`"))
                    else {
                        self.expr(&args[1]);
                        return (Type::Error, None);
                    };
                    self.with_element(el, |c| c.expr(&args[1])).0
                } else {
                    match self.expr(&args[0]).0 {
                        Type::List(t) => *t,
                        Type::Unknown => Type::Unknown,
                        Type::Error => return (Type::Error, None),
                        t => {
                            self.mismatch(
                                args[0].span,
                                &t,
                                format!("`{name}` needs a list such as `jets.pt`, found {t}"),
                            );
                            return (Type::Error, None);
                        }
                    }
                };
                let ty = match item.unwrap_optional().0 {
                    Type::Int if name == "sum" => Type::Int,
                    Type::Int | Type::Float => Type::Float,
                    Type::Unknown => Type::Unknown,
                    Type::P4 if name == "sum" => Type::P4,
                    Type::Error => return (Type::Error, None),
                    t => {
                        let t = t.clone();
                        self.mismatch(
                            args[args.len() - 1].span,
                            &t,
                            format!("`{name}` needs numbers, found {t}"),
                        );
                        return (Type::Error, None);
                    }
                };
                (if name == "mean" { ty.optional() } else { ty }, None)
            }
            "first" => {
                if !self.arity(func, args, &[1], span) {
                    return (Type::Error, None);
                }
                match self.expect_collection(&args[0], "the argument of `first`") {
                    Some(el) => (Type::Element(el).optional(), None),
                    None => (Type::Error, None),
                }
            }
            n if COLL_KEYED.contains(&n) => {
                if !self.arity(func, args, &[2], span) {
                    return (Type::Error, None);
                }
                let Some(el) =
                    self.expect_collection(&args[0], &format!("the first argument of `{n}`"))
                else {
                    self.expr(&args[1]);
                    return (Type::Error, None);
                };
                let is_cond = matches!(n, "any" | "all");
                self.with_element(el.clone(), |c| {
                    if is_cond {
                        c.expect_bool(&args[1], &format!("the condition of `{n}`"));
                    } else {
                        c.expect_number(&args[1], &format!("the key of `{n}`"));
                    }
                });
                match n {
                    "any" | "all" => (Type::Bool, None),
                    "sort" | "sort_desc" => (Type::Collection(el), None),
                    _ => (Type::Element(el).optional(), None),
                }
            }
            "combinations" | "permutations" => {
                if !self.arity(func, args, &[2], span) {
                    return (Type::Error, None);
                }
                let what = format!("the first argument of `{name}`");
                let el = self.expect_collection(&args[0], &what);
                let (_, k) = self.expr(&args[1]);
                let k = match k {
                    Some(Value::Int(k)) if (2..=4).contains(&k) => k as usize,
                    Some(v) => {
                        self.error(
                            INVALID_ARGUMENT,
                            args[1].span,
                            format!("`{name}` needs k between 2 and 4, found {v}"),
                            "out of range",
                        );
                        return (Type::Error, None);
                    }
                    None => {
                        self.error(
                            NOT_CONSTANT,
                            args[1].span,
                            format!("the size of `{name}` must be a constant"),
                            "not a constant",
                        );
                        return (Type::Error, None);
                    }
                };
                match el {
                    Some(el) => (Type::Collection(Elem::Combo(Box::new(el), k)), None),
                    None => (Type::Error, None),
                }
            }
            "list" => {
                if !self.arity(func, args, &[2], span) {
                    return (Type::Error, None);
                }
                let Some(el) = self.expect_collection(&args[0], "the first argument of `list`")
                else {
                    self.expr(&args[1]);
                    return (Type::Error, None);
                };
                let (item, _) = self.with_element(el, |c| c.expr(&args[1]));
                match item {
                    Type::Int | Type::Float | Type::Bool | Type::P4 => {
                        (Type::List(Box::new(item)), None)
                    }
                    Type::Unknown => (Type::List(Box::new(Type::Unknown)), None),
                    Type::Error => (Type::Error, None),
                    t => {
                        self.mismatch(
                            args[1].span,
                            &t,
                            format!(
                                "a list item must be a number, a bool or a four-vector, found {t}"
                            ),
                        );
                        if t.unwrap_optional().1
                            && let Some(d) = self.diags.last_mut()
                        {
                            d.help = Some(
                                "an item may not be absent: give it a value with `?? x`, or \
                                 select the elements where it exists first"
                                    .into(),
                            );
                        }
                        (Type::Error, None)
                    }
                }
            }
            "union" => {
                if args.len() < 2 {
                    self.error(
                        ARGUMENT_COUNT,
                        span,
                        format!(
                            "`union` takes two collections or more, found {}",
                            args.len()
                        ),
                        "too few collections",
                    )
                    .help = Some("e.g. `union(electrons, muons)`".into());
                    return (Type::Error, None);
                }
                let mut sources: Vec<String> = Vec::new();
                let mut ok = true;
                for a in args {
                    match self.expect_collection(a, "the arguments of `union`") {
                        Some(Elem::Tree(c) | Elem::Opaque(c)) if sources.contains(&c) => {
                            self.error(
                                INVALID_ARGUMENT,
                                a.span,
                                format!("`union` takes {c} twice"),
                                "a second collection of the same elements",
                            )
                            .help = Some(format!(
                                "a union joins different collections; for elements of {c} \
                                 that pass either selection, write `{c} where A or B`"
                            ));
                            ok = false;
                        }
                        Some(Elem::Tree(c) | Elem::Opaque(c)) => sources.push(c),
                        Some(other) => {
                            self.error(
                                INVALID_ARGUMENT,
                                a.span,
                                format!(
                                    "`union` joins collections of the tree's elements, found {other}"
                                ),
                                "not a tree collection's elements",
                            );
                            ok = false;
                        }
                        None => ok = false,
                    }
                }
                if !ok {
                    return (Type::Error, None);
                }
                (Type::Collection(Elem::Union(sources)), None)
            }
            "is_from" => {
                if !self.arity(func, args, &[2], span) {
                    return (Type::Error, None);
                }
                let (t, _) = self.expr(&args[0]);
                let sources = match t.unwrap_optional().0 {
                    Type::Element(Elem::Union(s)) => s.clone(),
                    Type::Error | Type::Unknown => return (Type::Bool, None),
                    other => {
                        self.mismatch(
                            args[0].span,
                            &t,
                            format!("`is_from` takes an element of a union, found {other}"),
                        );
                        return (Type::Error, None);
                    }
                };
                let named = matches!(
                    &args[1].kind,
                    crate::syntax::ast::ExprKind::Name(n) if sources.contains(n)
                );
                if !named {
                    self.error(
                        INVALID_ARGUMENT,
                        args[1].span,
                        format!(
                            "`is_from` names one of the union's collections: {}",
                            sources.join(", ")
                        ),
                        "not a source of this union",
                    );
                    return (Type::Error, None);
                }
                (Type::Bool, None)
            }
            "pairs" => {
                if !self.arity(func, args, &[2], span) {
                    return (Type::Error, None);
                }
                let a = self.expect_collection(&args[0], "the arguments of `pairs`");
                let b = self.expect_collection(&args[1], "the arguments of `pairs`");
                match (a, b) {
                    (Some(a), Some(b)) => {
                        (Type::Collection(Elem::Pair(Box::new(a), Box::new(b))), None)
                    }
                    _ => (Type::Error, None),
                }
            }
            "ptetaphim" | "pxpypze" => {
                if !self.arity(func, args, &[4], span) {
                    return (Type::Error, None);
                }
                let mut opt = false;
                for a in args {
                    opt |= self
                        .expect_number(a, &format!("the arguments of `{name}`"))
                        .0
                        .unwrap_optional()
                        .1;
                }
                (if opt { Type::P4.optional() } else { Type::P4 }, None)
            }
            "delta_r" | "delta_phi" | "delta_eta" | "mt" | "mt2" => {
                let allowed: &[usize] = if name == "mt2" { &[3, 4, 5] } else { &[2] };
                if !self.arity(func, args, allowed, span) {
                    return (Type::Error, None);
                }
                let mut opt = false;
                let vectors = if name == "mt2" { 3 } else { 2 };
                for a in &args[vectors..] {
                    opt |= self
                        .expect_number(a, "the invisible masses of `mt2`")
                        .0
                        .unwrap_optional()
                        .1;
                }
                for a in &args[..vectors] {
                    let (t, _) = self.expr(a);
                    let (inner, o) = t.unwrap_optional();
                    opt |= o;
                    let ok = match inner {
                        Type::P4 | Type::Unknown | Type::Error => true,
                        Type::Element(el) => {
                            super::types::field_type(el, "p4", self.env.schema) == Some(Type::P4)
                        }
                        _ => false,
                    };
                    if !ok {
                        self.mismatch(
                            a.span,
                            &t,
                            format!("`{name}` needs four-vectors, found {t}"),
                        );
                        return (Type::Error, None);
                    }
                }
                (
                    if opt {
                        Type::Float.optional()
                    } else {
                        Type::Float
                    },
                    None,
                )
            }
            _ => {
                for a in args {
                    self.expr(a);
                }
                // Only a close spelling: a different name with the same prefix (`delta_eta`) is
                // most likely a function the user expects to exist, not a typo of `delta_r`.
                let hint = suggest(name, ALL.iter().copied()).filter(|h| {
                    let d = strsim::damerau_levenshtein(&name.to_ascii_lowercase(), h);
                    d <= (name.len() / 4).max(1)
                });
                let d = self.error(
                    UNKNOWN_FUNCTION,
                    func.span,
                    format!("unknown function `{name}`"),
                    "not a builtin",
                );
                d.help = Some(match hint {
                    Some(h) => format!(
                        "did you mean `{h}`? (`anac explain --builtins` lists the builtins)"
                    ),
                    None => "there is no such builtin; `anac explain --builtins` lists them with \
                             their signatures"
                        .into(),
                });
                (Type::Error, None)
            }
        }
    }

    /// `min(a, b, ...)` of numbers, or `min(list)` (absent when the list is empty).
    fn min_max(&mut self, func: &Ident, args: &[Expr], span: Span) -> Typed {
        let name = func.name.as_str();
        if args.is_empty() {
            self.arity(func, args, &[1, 2], span);
            return (Type::Error, None);
        }
        // `max(c, expr)`: the largest value of a per-element expression.
        if args.len() == 2 {
            let (t0, _) = self.expr(&args[0]);
            if let Type::Collection(el) = t0 {
                let (item, _) = self.with_element(el, |c| c.expr(&args[1]));
                return match item.unwrap_optional().0 {
                    Type::Int | Type::Float => (item.unwrap_optional().0.clone().optional(), None),
                    Type::Unknown => (Type::Unknown, None),
                    Type::Error => (Type::Error, None),
                    _ => {
                        self.mismatch(
                            args[1].span,
                            &item,
                            format!("`{name}(c, expr)` needs a number per element, found {item}"),
                        );
                        (Type::Error, None)
                    }
                };
            }
        }
        if args.len() == 1 {
            return match self.expr(&args[0]).0 {
                Type::List(t) if t.is_numeric() => (t.optional(), None),
                Type::Unknown => (Type::Unknown, None),
                Type::Error => (Type::Error, None),
                t => {
                    self.mismatch(
                        args[0].span,
                        &t,
                        format!("`{name}` of one argument needs a list of numbers, found {t}"),
                    );
                    (Type::Error, None)
                }
            };
        }
        let mut ty = Type::Int;
        let mut opt = false;
        let mut values = Vec::new();
        for (i, a) in args.iter().enumerate() {
            // The first of two arguments is typed already (it may have been a collection).
            let (t, v) = if i == 0 && args.len() == 2 {
                let t = self.out.types.get(&a.id).cloned().unwrap_or(Type::Error);
                if !t.is_numeric() {
                    self.mismatch(
                        a.span,
                        &t,
                        format!("the arguments of `{name}` must be a number, found {t}"),
                    );
                }
                (t, self.out.values.get(&a.id).cloned())
            } else {
                self.expect_number(a, &format!("the arguments of `{name}`"))
            };
            opt |= t.unwrap_optional().1;
            ty = match (ty, t.unwrap_optional().0) {
                (_, Type::Error) | (Type::Error, _) => Type::Error,
                (_, Type::Unknown) | (Type::Unknown, _) => Type::Unknown,
                (Type::Int, Type::Int) => Type::Int,
                _ => Type::Float,
            };
            values.push(v);
        }
        let value = values
            .into_iter()
            .map(|v| v.and_then(|v| v.as_f64()))
            .collect::<Option<Vec<f64>>>()
            .and_then(|vs| {
                let r = if name == "min" {
                    vs.iter().copied().fold(f64::INFINITY, f64::min)
                } else {
                    vs.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                };
                match ty {
                    Type::Int => Some(Value::Int(r as i64)),
                    Type::Float => Some(Value::Float(r)),
                    _ => None,
                }
            });
        (if opt { ty.optional() } else { ty }, value)
    }
}

fn math1(name: &str, v: &Value) -> Option<Value> {
    if let (Value::Int(i), "abs") = (v, name) {
        return i.checked_abs().map(Value::Int);
    }
    let x = v.as_f64()?;
    let r = match name {
        "abs" => x.abs(),
        "sqrt" => x.sqrt(),
        "exp" => x.exp(),
        "log" => x.ln(),
        "log10" => x.log10(),
        "sin" => x.sin(),
        "cos" => x.cos(),
        "tan" => x.tan(),
        "floor" => x.floor(),
        "ceil" => x.ceil(),
        "round" => x.round(),
        _ => return None,
    };
    Some(Value::Float(r))
}

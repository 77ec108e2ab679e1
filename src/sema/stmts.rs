//! Statements: definitions, cuts, weights, histograms, accumulators, regions.
//!
//! Input: the file's statements in order. Output: symbols, types, diagnostics, and [`Facts`]
//! gathered for the file-wide checks (output names, lints). Duplicate names are reported with a
//! "first defined here" label.

use std::collections::HashMap;

use super::check::Checker;
use super::types::Type;
use super::value::Value;
use super::{SymbolId, SymbolKind};
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::syntax::ast::{self, Stmt, StmtKind};

/// Two definitions with the same name in one scope.
pub const DUPLICATE_NAME: Code = Code("anac::sema::duplicate-name");
/// A top-level `weight` statement below a fill (it applies to that fill too).
pub const WEIGHT_AFTER_FILL: Code = Code("anac::sema::weight-after-fill");
/// Two cuts with the same label.
pub const DUPLICATE_CUT: Code = Code("anac::sema::duplicate-cut");
/// Two regions with the same name.
pub const DUPLICATE_REGION: Code = Code("anac::sema::duplicate-region");
/// `region R from P` where no region `P` is defined above.
pub const UNKNOWN_REGION: Code = Code("anac::sema::unknown-region");
/// A cut whose condition folds to a constant.
pub const CONSTANT_CUT: Code = Code("anac::sema::constant-cut");
/// A histogram whose number of fill values differs from its number of axes.
pub const HIST_DIMENSIONS: Code = Code("anac::sema::hist-dimensions");
/// A profile with more than two axes, or a 2-D profile whose averaged value is a list.
pub const PROFILE_DIMENSIONS: Code = Code("anac::sema::profile-dimensions");

/// What a region leaves for the regions built on it.
struct RegionScope {
    span: Span,
    /// Its `let`s and its ancestors'.
    defs: HashMap<String, SymbolId>,
    /// Its cut labels and its ancestors'.
    cuts: HashMap<String, Span>,
}

/// The cut labels a new label must differ from: fixed ones (`common`) and the current scope's,
/// which the new label joins.
pub(super) struct Cuts<'a> {
    common: &'a HashMap<String, Span>,
    region: Option<&'a mut HashMap<String, Span>>,
}

impl Cuts<'_> {
    fn seen(&self, label: &str) -> Option<Span> {
        self.common
            .get(label)
            .or_else(|| self.region.as_ref().and_then(|r| r.get(label)))
            .copied()
    }

    fn insert(&mut self, label: &ast::StrLit) {
        if let Some(r) = self.region.as_mut() {
            r.insert(label.value.clone(), label.span);
        }
    }
}

/// What the file-wide checks need to know after the walk.
#[derive(Debug, Default)]
pub(super) struct Facts {
    /// (region or `all`, histogram name, its span).
    pub hists: Vec<(String, String, Span)>,
    /// Cut labels, in order: (region, label); `None` for a common cut. Unique among the cuts an
    /// event passes on its way (common, a region's ancestors, the region).
    pub cut_labels: Vec<(Option<String>, String)>,
    /// Definitions the unused lint looks at.
    pub lintable: Vec<SymbolId>,
    /// Kinematic replacements: (collection, field, replacement span, vary name).
    pub kinematic: Vec<(String, String, Span, String)>,
    /// Whether anything is filled (hist, counter, collect).
    pub has_outputs: bool,
    /// The first fill statement (hist, counter, collect) in file order.
    pub first_fill: Option<Span>,
    /// `vary` weight statements: (name span).
    pub weight_varies: Vec<Span>,
}

impl Checker<'_> {
    pub(super) fn statements(&mut self, file: &ast::File) -> Facts {
        let mut facts = Facts::default();
        // Cut labels an event meets: the common ones, and per region its ancestors' and its own.
        let mut common: HashMap<String, Span> = HashMap::new();
        let mut regions: HashMap<String, RegionScope> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        for (i, s) in file.stmts.iter().enumerate() {
            if let StmtKind::Region { name, from, body } = &s.kind {
                let mut scope = RegionScope {
                    span: name.span,
                    defs: HashMap::new(),
                    cuts: HashMap::new(),
                };
                if let Some(parent) = from {
                    match regions.get(&parent.name) {
                        Some(p) => {
                            scope.defs = p.defs.clone();
                            scope.cuts = p.cuts.clone();
                        }
                        None => self.unknown_region(name, parent, &order),
                    }
                }
                if let Some(first) = regions.get(&name.name) {
                    let first = first.span;
                    self.push(
                        Diagnostic::error(
                            DUPLICATE_REGION,
                            format!("region `{}` is defined twice", name.name),
                        )
                        .with_primary(name.span, "defined again here")
                        .with_label(first, "first defined here")
                        .with_help("give each region its own name"),
                    );
                }
                self.region = Some((name.name.clone(), std::mem::take(&mut scope.defs)));
                // A region's `weight` must precede the region's own fills.
                let outer_fill = facts.first_fill.take();
                let mut cuts = Cuts {
                    common: &common,
                    region: Some(&mut scope.cuts),
                };
                for b in body {
                    self.stmt(b, i, &mut facts, &mut cuts);
                }
                facts.first_fill = outer_fill.or(facts.first_fill);
                if let Some((_, defs)) = self.region.take() {
                    scope.defs = defs;
                }
                if !regions.contains_key(&name.name) {
                    order.push(name.name.clone());
                    regions.insert(name.name.clone(), scope);
                }
            } else {
                // A common cut's label must differ from every label, of any region.
                let all_region_cuts: HashMap<String, Span> = match &s.kind {
                    StmtKind::Cut { .. } => regions
                        .values()
                        .flat_map(|r| r.cuts.iter().map(|(k, v)| (k.clone(), *v)))
                        .collect(),
                    _ => HashMap::new(),
                };
                let mut cuts = Cuts {
                    common: &all_region_cuts,
                    region: Some(&mut common),
                };
                self.stmt(s, i, &mut facts, &mut cuts);
            }
        }
        facts
    }

    fn unknown_region(&mut self, name: &ast::Ident, parent: &ast::Ident, order: &[String]) {
        let (message, label) = if parent.name == name.name {
            (
                format!("region `{}` cannot build on itself", name.name),
                "the region being defined",
            )
        } else {
            (
                format!("no region `{}` is defined above", parent.name),
                "unknown region",
            )
        };
        let hint = super::check::suggest(&parent.name, order.iter().map(String::as_str));
        let d = self.error(UNKNOWN_REGION, parent.span, message, label);
        d.help = Some(match hint {
            Some(h) if parent.name != name.name => format!("did you mean `{h}`?"),
            _ if order.is_empty() => "define the region it builds on above this one".into(),
            _ => format!(
                "a region builds on one defined above it: {}",
                order
                    .iter()
                    .map(|r| format!("`{r}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }

    /// Reports a name already defined in the visible scopes; returns whether it is new.
    pub(super) fn check_new_name_pub(&mut self, name: &ast::Ident) -> bool {
        self.check_new_name(name)
    }

    fn check_new_name(&mut self, name: &ast::Ident) -> bool {
        if name.name == "sample" {
            self.push(
                Diagnostic::error(
                    DUPLICATE_NAME,
                    "`sample` is reserved for the sample's own values".to_string(),
                )
                .with_primary(name.span, "reserved name")
                .with_help(format!(
                    "`sample.NAME` reads {}; choose another name",
                    super::check::SAMPLE_MEMBERS.join(", ")
                )),
            );
            return false;
        }
        let Some(prev) = self.lookup_def(&name.name) else {
            return true;
        };
        let prev_span = self.out.symbols[prev.0 as usize].span;
        self.push(
            Diagnostic::error(
                DUPLICATE_NAME,
                format!("`{}` is already defined", name.name),
            )
            .with_primary(name.span, "defined again here")
            .with_label(prev_span, "first defined here")
            .with_help("rename one of them"),
        );
        false
    }

    /// `hist h = x weight W in ...`: W is a number, or a list of numbers for a list fill.
    fn hist_weight(&mut self, w: &ast::Expr, h: &ast::Hist) {
        self.random_ok = true;
        let (t, _) = self.expr(w);
        // A profile fills once per element when its position or its averaged value is a list.
        let fill_is_list =
            h.fills.len() == 1 && h.fills.iter().chain(&h.profile).any(|e| self.is_list(e));
        let ok = match t.unwrap_optional().0 {
            Type::List(item) if fill_is_list => item.unwrap_optional().0.is_numeric(),
            inner => inner.is_numeric() || *inner == Type::Error,
        };
        if !ok {
            let what = if fill_is_list {
                "a number, or a list of numbers (one per filled element)"
            } else {
                "a number"
            };
            self.mismatch(
                w.span,
                &t,
                format!("a histogram's weight must be {what}, found {t}"),
            );
        }
        self.random_ok = false;
    }

    pub(super) fn stmt_pub(
        &mut self,
        s: &Stmt,
        index: usize,
        facts: &mut Facts,
        cuts: &mut Cuts<'_>,
    ) {
        self.stmt(s, index, facts, cuts);
    }

    /// Whether checked expression `e` is a list (possibly absent).
    fn is_list(&self, e: &ast::Expr) -> bool {
        matches!(
            self.out.types.get(&e.id).map(|t| t.unwrap_optional().0),
            Some(Type::List(_))
        )
    }

    /// A profile's averaged value: a number or bool (possibly absent), a list of them for a 1-D
    /// profile; one or two axes.
    fn profile(&mut self, h: &ast::Hist, value: &ast::Expr) {
        let (t, _) = self.expr(value);
        let inner = match t.unwrap_optional().0 {
            Type::List(x) => x.unwrap_optional().0.clone(),
            x => x.clone(),
        };
        if !(inner.is_numeric() || inner.is_boolish() || inner == Type::Error) {
            self.mismatch(
                value.span,
                &t,
                format!(
                    "a profile's averaged value must be a number or a list of numbers, found {t}"
                ),
            );
        }
        if h.fills.len() > 2 {
            self.error(
                PROFILE_DIMENSIONS,
                h.name.span,
                format!(
                    "profile `{}` has {} axes; profiles have one or two",
                    h.name.name,
                    h.fills.len()
                ),
                "too many axes",
            )
            .help = Some(
                "a profile is the mean of a value per bin of one or two axes (TProfile, \
                 TProfile2D); fill a region per slice of the third"
                    .into(),
            );
        } else if h.fills.len() == 2 && self.is_list(value) {
            self.error(
                PROFILE_DIMENSIONS,
                value.span,
                "a 2-D profile takes one averaged value per event; this is a list".into(),
                "a list (one value per element)",
            )
            .help = Some(
                "profile the list against one axis (`profile p = jets.pt by jets.eta in ...`), \
                 or pick one element (`jets[0].pt`)"
                    .into(),
            );
        }
    }

    fn stmt(&mut self, s: &Stmt, index: usize, facts: &mut Facts, cuts: &mut Cuts<'_>) {
        self.random_ok = false;
        match &s.kind {
            StmtKind::Const { name, value } => {
                let (ty, v) = self.expr(value);
                if v.is_none() && ty != Type::Error {
                    self.error(
                        super::builtins::NOT_CONSTANT,
                        value.span,
                        format!("`const {}` must be computable before the run", name.name),
                        "not a constant",
                    )
                    .help = Some("use `let` for per-event values".into());
                }
                if self.check_new_name(name) {
                    let id = self.define(name, SymbolKind::Const(v), ty);
                    facts.lintable.push(id);
                }
            }
            StmtKind::Object { name, value } => {
                // Hit-and-miss selections draw per element: `Jet where uniform(0, 1) < eff`.
                self.random_ok = true;
                let (ty, _) = self.expr(value);
                let ty = match ty {
                    Type::Collection(_) | Type::Error | Type::Unknown => ty,
                    t => {
                        self.mismatch(
                            value.span,
                            &t,
                            format!("an object must be a collection, found {t}"),
                        );
                        if let Some(d) = self.diags.last_mut() {
                            d.help = Some("use `let` for a per-event value".into());
                        }
                        Type::Error
                    }
                };
                if self.check_new_name(name) {
                    let id = self.define(name, SymbolKind::Object, ty);
                    facts.lintable.push(id);
                }
            }
            StmtKind::Let { name, value } => {
                self.random_ok = true;
                let (ty, _) = self.expr(value);
                if self.check_new_name(name) {
                    let id = self.define(name, SymbolKind::Let, ty);
                    facts.lintable.push(id);
                }
            }
            StmtKind::Cut { label, cond } => {
                if let Some(first) = cuts.seen(&label.value) {
                    self.push(
                        Diagnostic::error(
                            DUPLICATE_CUT,
                            format!("cut label \"{}\" is used twice", label.value),
                        )
                        .with_primary(label.span, "used again here")
                        .with_label(first, "first used here")
                        .with_help("cut labels name cutflow steps: make them unique"),
                    );
                } else {
                    cuts.insert(label);
                    let region = self.region.as_ref().map(|(r, _)| r.clone());
                    facts.cut_labels.push((region, label.value.clone()));
                }
                let (_, v) = self.expect_bool(cond, "a cut condition");
                if let Some(Value::Bool(b)) = v {
                    let what = if b {
                        "always true: it removes nothing"
                    } else {
                        "always false: it removes every event"
                    };
                    self.warning(
                        CONSTANT_CUT,
                        cond.span,
                        format!("cut \"{}\" is {what}", label.value),
                        "constant condition",
                    )
                    .help = Some("check the constants it uses, or remove the cut".into());
                }
            }
            StmtKind::Weight { value } => {
                self.random_ok = true;
                self.expect_number(value, "a weight");
                // Every `weight` applies to every fill, also those above it: one written after a
                // fill reads as that fill's weight (a `hist` line followed by `weight`).
                if let Some(fill) = facts.first_fill {
                    // A region's weight is taken where it stands: it would miss the fills above.
                    let (label, other) = if self.region.is_some() {
                        (
                            "a region's weight applies only to the fills below it",
                            "this fill of the region would not be weighted by it",
                        )
                    } else {
                        (
                            "this weight applies to every fill, also those above it",
                            "the first fill it also applies to",
                        )
                    };
                    let d = self.error(
                        WEIGHT_AFTER_FILL,
                        Span::new(s.span.start, value.span.end),
                        "a `weight` statement after a histogram, counter or event list".into(),
                        label,
                    );
                    d.labels.push(crate::diagnostics::Label {
                        span: fill,
                        message: other.into(),
                        primary: false,
                    });
                    d.help = Some(
                        "move the `weight` above the first `hist`; for one histogram's own weight \
                         write `hist NAME = VALUE weight W in AXIS`"
                            .into(),
                    );
                }
            }
            StmtKind::Hist(h) => {
                facts.has_outputs = true;
                facts.first_fill.get_or_insert(s.span);
                let region = self
                    .region
                    .as_ref()
                    .map_or("all".to_string(), |(r, _)| r.clone());
                for f in &h.fills {
                    self.fill_value(f, "a histogram fill value");
                }
                if let Some(p) = &h.profile {
                    self.profile(h, p);
                }
                if let Some(w) = &h.weight {
                    self.hist_weight(w, h);
                }
                if h.fills.len() != h.axes.len() {
                    self.error(
                        HIST_DIMENSIONS,
                        h.name.span,
                        format!(
                            "{} `{}` has {} fill value(s) but {} axis/axes",
                            if h.profile.is_some() {
                                "profile"
                            } else {
                                "histogram"
                            },
                            h.name.name,
                            h.fills.len(),
                            h.axes.len()
                        ),
                        "fill values and axes must match",
                    )
                    .help = Some(if h.profile.is_some() {
                        "a 2-D profile is `profile p = VALUE by (x, y) in AXIS, AXIS`".into()
                    } else {
                        "a 2-D histogram is `hist h = (x, y) in AXIS, AXIS`".into()
                    });
                } else if h.fills.len() > 3 {
                    self.error(
                        HIST_DIMENSIONS,
                        h.name.span,
                        format!(
                            "histogram `{}` has {} axes; histograms have one, two or three",
                            h.name.name,
                            h.fills.len()
                        ),
                        "too many axes",
                    )
                    .help =
                        Some("split it into several histograms, or fill a region per slice".into());
                }
                for a in &h.axes {
                    self.axis(a);
                }
                for (f, a) in h.fills.iter().zip(&h.axes) {
                    self.fill_matches_axis(f, a);
                }
                if h.fills.len() >= 2 {
                    for f in &h.fills {
                        if let Some(Type::List(_)) = self
                            .out
                            .types
                            .get(&f.id)
                            .map(|t| t.unwrap_optional().0.clone())
                        {
                            self.error(
                                HIST_DIMENSIONS,
                                f.span,
                                "a histogram of several axes takes one value per axis and event; \
                                 this is a list"
                                    .into(),
                                "a list (one value per element)",
                            )
                            .help = Some(
                                "fill a 1-D histogram with the list, or pick one element (`jets[0].pt`)"
                                    .into(),
                            );
                        }
                    }
                }
                if self.define_output(&h.name, SymbolKind::Hist) {
                    facts.hists.push((region, h.name.name.clone(), h.name.span));
                }
            }
            StmtKind::Counter { name, when } => {
                facts.has_outputs = true;
                facts.first_fill.get_or_insert(s.span);
                if let Some(w) = when {
                    self.expect_bool(w, "a counter's `when` condition");
                }
                self.define_output(name, SymbolKind::Counter);
            }
            StmtKind::Collect { name, values, max } => {
                facts.has_outputs = true;
                facts.first_fill.get_or_insert(s.span);
                for v in values {
                    let (t, _) = self.expr(v);
                    let inner = t.unwrap_optional().0;
                    if !(inner.is_numeric() || inner.is_boolish() || *inner == Type::Str) {
                        self.mismatch(
                            v.span,
                            &t,
                            format!(
                                "collected values must be numbers, bools or strings, found {t}"
                            ),
                        );
                    }
                }
                if let Some(m) = max {
                    let (_, v) = self.expr(m);
                    match v {
                        Some(Value::Int(n)) if n >= 1 => {}
                        Some(v) => {
                            self.error(
                                super::builtins::INVALID_ARGUMENT,
                                m.span,
                                format!("`max` must be a positive integer, found {v}"),
                                "invalid bound",
                            );
                        }
                        None => {
                            self.error(
                                super::builtins::NOT_CONSTANT,
                                m.span,
                                "`max` must be a constant".into(),
                                "not a constant",
                            );
                        }
                    }
                }
                self.define_output(name, SymbolKind::Collect);
            }
            StmtKind::Skim { name, items } => {
                facts.has_outputs = true;
                facts.first_fill.get_or_insert(s.span);
                self.skim_stmt(items);
                self.define_output(name, SymbolKind::Skim);
            }
            StmtKind::Region { .. } => {}
            StmtKind::Only { targets, body } => {
                self.only_stmt(s, targets, body, index, facts, cuts);
            }
            StmtKind::DerivedField { coll, name, value } => self.derived_field(coll, name, value),
            StmtKind::Table(t) => self.table_stmt(t),
            StmtKind::Function { name, params, body } => {
                if let Some(id) = self.function_stmt(name, params, body) {
                    facts.lintable.push(id);
                }
            }
            StmtKind::Vary(v) => self.vary(v, index, facts),
            StmtKind::Correction { name, key, file } => self.correction_stmt(name, key, file),
            StmtKind::Derive { name, value } => {
                self.derive(value, &facts.cut_labels);
                if let Some(p) = self
                    .env
                    .processes
                    .and_then(|ps| ps.iter().find(|p| p.name == name.name))
                {
                    let msg = format!("derived result `{}` has the name of a process", p.name);
                    self.error(
                        DUPLICATE_NAME,
                        name.span,
                        msg,
                        "also a process in the samples file",
                    )
                    .help =
                        Some("its histograms would collide with the process's: rename it".into());
                } else {
                    self.define_output(name, SymbolKind::Derived);
                }
            }
        }
        self.random_ok = false;
    }

    /// String fills go to string categories, numbers to every other axis.
    fn fill_matches_axis(&mut self, fill: &ast::Expr, axis: &ast::Axis) {
        let Some(t) = self.out.types.get(&fill.id).cloned() else {
            return;
        };
        let inner = match t.unwrap_optional().0 {
            Type::List(x) => x.unwrap_optional().0.clone(),
            x => x.clone(),
        };
        let string_axis = axis.kind.name == "category"
            && axis
                .args
                .first()
                .is_some_and(|a| matches!(self.out.values.get(&a.id), Some(Value::Str(_))));
        if (inner == Type::Str) != string_axis
            && matches!(inner, Type::Str | Type::Int | Type::Float)
        {
            let msg = if string_axis {
                format!(
                    "axis `{}` has string categories; the fill value is {t}",
                    axis.kind.name
                )
            } else {
                format!(
                    "a string fill needs a `category(\"...\")` axis, found `{}`",
                    axis.kind.name
                )
            };
            self.mismatch(fill.span, &t, msg);
        }
    }

    /// A histogram fill: a number, a list of numbers, possibly absent; strings for category axes.
    fn fill_value(&mut self, e: &ast::Expr, what: &str) {
        let (t, _) = self.expr(e);
        let inner = match t.unwrap_optional().0 {
            Type::List(x) => x.unwrap_optional().0.clone(),
            x => x.clone(),
        };
        if !(inner.is_numeric() || inner == Type::Str) {
            self.mismatch(
                e.span,
                &t,
                format!("{what} must be a number or a list of numbers, found {t}"),
            );
        }
    }

    /// `let COLL.NAME = VALUE`: a field of every element of tree collection `COLL`.
    fn derived_field(&mut self, coll: &ast::Ident, name: &ast::Ident, value: &ast::Expr) {
        if self.region.is_some() {
            self.error(
                DUPLICATE_NAME,
                coll.span,
                "a derived field is defined at the top level, not in a region".into(),
                "inside a region",
            )
            .help = Some("move the `let` above the regions".into());
            return;
        }
        let schema = self.env.schema;
        let elem = match schema {
            Some(s) if s.collection(&coll.name).is_some() => {
                super::types::Elem::Tree(coll.name.clone())
            }
            Some(_) => {
                self.error(
                    super::check::UNKNOWN_NAME,
                    coll.span,
                    format!("the tree has no collection `{}`", coll.name),
                    "not a collection",
                )
                .help = Some(
                    "a derived field belongs to a collection of the tree (`let Jet.x = ...`); \
                     for a value of one element write a `let`"
                        .into(),
                );
                return;
            }
            None => super::types::Elem::Opaque(coll.name.clone()),
        };
        if super::types::field_type(&elem, &name.name, schema).is_some() && !elem.is_opaque() {
            self.error(
                DUPLICATE_NAME,
                name.span,
                format!("`{}` already has a field `{}`", coll.name, name.name),
                "a stored field",
            )
            .help = Some("give the derived field another name".into());
            return;
        }
        let key = (coll.name.clone(), name.name.clone());
        if self.derived.contains_key(&key) {
            self.error(
                DUPLICATE_NAME,
                name.span,
                format!("`{}.{}` is already defined", coll.name, name.name),
                "defined again",
            );
            return;
        }
        let (ty, _) = self.with_element(elem, |c| c.expr(value));
        if matches!(
            ty.unwrap_optional().0,
            Type::Collection(_) | Type::List(_) | Type::Element(_)
        ) {
            self.mismatch(
                value.span,
                &ty,
                format!("a derived field is a value per element (a number, a bool, a four-vector), found {ty}"),
            );
            return;
        }
        self.derived.insert(key, ty);
    }
}

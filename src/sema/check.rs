//! The checker's state: scopes, name resolution and "did you mean", and the top-level driver.
//!
//! Input: the AST and [`SemaEnv`]. Output: [`Checked`] plus diagnostics. Scopes: top-level
//! definitions are visible after their statement, everywhere below; a region's `let`s only inside
//! that region; inside `where`, keys and kinematic replacements the element's fields are bare
//! names (innermost element first), except that for elements of unknown shape (no schema) a
//! visible definition wins over a would-be field. Recursion follows the AST, whose depth the
//! parser bounded.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::types::{Elem, Type, field_names, field_type, scalar};
use super::value::Value;
use super::{Checked, Resolution, SemaEnv, Symbol, SymbolId, SymbolKind};
use crate::diagnostics::{Code, Diagnostic, SourceFile, Span};
use crate::io::schema::Shape;
use crate::syntax::ast;

/// A name that is not defined anywhere visible.
pub const UNKNOWN_NAME: Code = Code("anac::sema::unknown-name");
/// No schema was given: tree names and types are not verified.
pub const SCHEMA_UNAVAILABLE: Code = Code("anac::sema::schema-unavailable");
/// A field of an element shadows an outer definition of the same name.
pub const FIELD_SHADOWS: Code = Code("anac::sema::field-shadows");
/// A bare field name is a field of the innermost element and of an outer one.
pub const AMBIGUOUS_FIELD: Code = Code("anac::sema::ambiguous-field");
/// `COLL as NAME` where no condition or key follows.
pub const MISPLACED_NAME: Code = Code("anac::sema::misplaced-name");

/// Names every analysis can use that come from the samples file, per sample.
pub const SAMPLE_VALUES: &[&str] = &["xsec", "nevts", "sumw"];
/// Members of the `sample` namespace (`sample.is_data`); no branch or definition shadows it.
pub const SAMPLE_MEMBERS: &[&str] = &["is_data", "process", "variation", "xsec", "nevts", "sumw"];

pub(super) struct Checker<'a> {
    pub source: &'a Arc<SourceFile>,
    pub env: &'a SemaEnv<'a>,
    pub diags: Vec<Diagnostic>,
    pub out: Checked,
    /// Top-level definitions visible so far.
    pub top: HashMap<String, SymbolId>,
    /// The current region's definitions, when inside one.
    pub region: Option<(String, HashMap<String, SymbolId>)>,
    /// Element scopes, outermost first.
    pub elems: Vec<Elem>,
    /// Per element scope: the name `COLL as NAME` gave it.
    pub elem_names: Vec<Option<String>>,
    /// Per element scope: whether bare names see it. An inlined function body sees none of its
    /// caller's scopes; an argument inside it sees the caller's, not the body's.
    pub visible: Vec<bool>,
    /// The inlined calls being checked, innermost last.
    pub frames: Vec<CallFrame>,
    /// Parameters of the function whose definition is being checked.
    pub params: HashMap<String, SymbolId>,
    /// The function whose definition is being checked.
    pub current_fn: Option<String>,
    /// Derived fields defined so far: (tree collection, name) → type.
    pub derived: HashMap<(String, String), Type>,
    /// A name from `COLL as NAME` waiting for the element scope that follows.
    pub pending_name: Option<(String, Span)>,
    /// Whether `normal`/`uniform` may appear in the expression being checked.
    pub random_ok: bool,
    /// The `for` variable of the `vary` being checked, with its first value (for typing).
    pub loop_var: Option<(String, Option<Value>)>,
    /// Inside a `vary`: field reads there do not count as "used downstream".
    pub in_vary: bool,
    pub used: HashSet<SymbolId>,
    /// Histograms, counters and collects per (region or `all`, name): they are outputs, not
    /// values, so they have their own namespace per region.
    pub outputs: HashMap<(String, String), Span>,
    pub used_fields: HashSet<(String, String)>,
    /// Every `const`, `let` and `object` name of the file with where it is defined (first
    /// definition), to tell "defined below" from "unknown".
    pub defined: HashMap<String, Span>,
    /// Names used above their definition: their definition is not also "never used".
    pub used_early: HashSet<String>,
    /// Correction files read so far (`correction` statements).
    pub correction_files: super::corrections::FileCache,
    /// The head of the `only` block being checked.
    pub only: Option<Span>,
    /// Names defined inside `only` blocks (visible only there).
    pub only_defs: HashMap<String, Vec<super::only::OnlyDef>>,
}

/// An inlined call being checked: where it stands and what its caller's scopes could see.
pub struct CallFrame {
    pub func: String,
    pub call: Span,
    /// The caller's element scopes (`visible` at the call).
    pub caller: Vec<bool>,
}

/// Names longer than this get no "did you mean".
const MAX_SUGGEST_LEN: usize = 64;
/// At most this many candidates are compared with a name.
const MAX_SUGGEST_CANDIDATES: usize = 500;

/// Closest candidate to `name`, if any is close enough to be a plausible typo.
pub fn suggest<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    // Bounded work: no suggestion for very long names, only candidates whose length could be
    // within the allowed distance, and at most a few thousand of those.
    if name.len() > MAX_SUGGEST_LEN {
        return None;
    }
    let lower = name.to_ascii_lowercase();
    let reach = (name.len() / 2).max(2);
    candidates
        .into_iter()
        .filter(|c| {
            *c != name && c.len() <= MAX_SUGGEST_LEN && c.len().abs_diff(name.len()) <= reach
        })
        .take(MAX_SUGGEST_CANDIDATES)
        .map(|c| {
            let d = strsim::damerau_levenshtein(&lower, &c.to_ascii_lowercase());
            (d, c)
        })
        .filter(|(d, c)| *d <= (name.len().max(c.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

impl<'a> Checker<'a> {
    pub fn error(
        &mut self,
        code: Code,
        span: Span,
        message: String,
        label: &str,
    ) -> &mut Diagnostic {
        self.push(Diagnostic::error(code, message).with_primary(span, label))
    }

    pub fn warning(
        &mut self,
        code: Code,
        span: Span,
        message: String,
        label: &str,
    ) -> &mut Diagnostic {
        self.push(Diagnostic::warning(code, message).with_primary(span, label))
    }

    pub fn push(&mut self, d: Diagnostic) -> &mut Diagnostic {
        // Inside an inlined body: say which call gave the parameters their types.
        let d = match self.frames.last() {
            Some(f) if !d.labels.iter().any(|l| l.span == f.call) => {
                let msg = format!("in this use of `{}`", f.func);
                d.with_label(f.call, msg)
            }
            _ => d,
        };
        self.diags.push(d.in_file(self.source));
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    /// Adds a definition and makes it visible in the current scope.
    pub fn define(&mut self, name: &ast::Ident, kind: SymbolKind, ty: Type) -> SymbolId {
        let id = SymbolId(self.out.symbols.len() as u32);
        let region = self.region.as_ref().map(|(r, _)| r.clone());
        self.out.symbols.push(Symbol {
            name: name.name.clone(),
            kind,
            span: name.span,
            region,
            ty,
        });
        match &mut self.region {
            Some((_, scope)) => scope.insert(name.name.clone(), id),
            None => self.top.insert(name.name.clone(), id),
        };
        id
    }

    /// Records an output (hist, counter, collect, derive) in its own namespace; reports a
    /// duplicate in the same region. Returns whether the name is new.
    pub fn define_output(&mut self, name: &ast::Ident, kind: SymbolKind) -> bool {
        let region = self
            .region
            .as_ref()
            .map_or("all".to_string(), |(r, _)| r.clone());
        let key = (region.clone(), name.name.clone());
        if let Some(first) = self.outputs.get(&key) {
            let first = *first;
            self.push(
                Diagnostic::error(
                    super::stmts::DUPLICATE_NAME,
                    format!("`{}` is already an output of this region", name.name),
                )
                .with_primary(name.span, "defined again here")
                .with_label(first, "first defined here")
                .with_help("rename one of them"),
            );
            return false;
        }
        self.outputs.insert(key, name.span);
        self.out.symbols.push(Symbol {
            name: name.name.clone(),
            kind,
            span: name.span,
            region: self.region.as_ref().map(|(r, _)| r.clone()),
            ty: Type::Error,
        });
        true
    }

    /// A visible definition (a function's parameters, then the region scope, then the top).
    pub fn lookup_def(&self, name: &str) -> Option<SymbolId> {
        self.params
            .get(name)
            .or_else(|| self.region.as_ref().and_then(|(_, s)| s.get(name)))
            .or_else(|| self.top.get(name))
            .copied()
    }

    /// The element scopes bare names see, innermost first, as depths (0 = innermost scope).
    pub fn visible_depths(&self) -> impl Iterator<Item = usize> + '_ {
        let n = self.elems.len();
        (0..n).filter(move |&d| self.visible.get(n - 1 - d).copied().unwrap_or(true))
    }

    /// The element scope `depth` scopes out.
    fn elem_at(&self, depth: usize) -> Option<&Elem> {
        self.elems
            .len()
            .checked_sub(1 + depth)
            .map(|i| &self.elems[i])
    }

    fn name_at(&self, depth: usize) -> Option<&str> {
        self.elem_names
            .len()
            .checked_sub(1 + depth)
            .and_then(|i| self.elem_names[i].as_deref())
    }

    /// Records that a field of an element is read (for the "vary touches nothing" lint).
    pub fn note_field(&mut self, elem: &Elem, field: &str) {
        if self.in_vary {
            return;
        }
        for root in elem.roots() {
            if field != "p4" {
                self.used_fields
                    .insert((root.to_string(), field.to_string()));
                continue;
            }
            // `p4` reads the collection's kinematic fields, whatever their case (`Px` in HZZ).
            let components = ["pt", "eta", "phi", "mass", "m", "px", "py", "pz", "e"];
            let schema_fields = self
                .env
                .schema
                .and_then(|s| s.collection(root))
                .map(|c| c.fields.iter().map(|f| f.name.clone()).collect::<Vec<_>>());
            let names: Vec<String> = match schema_fields {
                Some(fields) => fields
                    .into_iter()
                    .filter(|f| components.contains(&f.to_ascii_lowercase().as_str()))
                    .collect(),
                None => components.iter().map(|c| c.to_string()).collect(),
            };
            for f in names {
                self.used_fields.insert((root.to_string(), f));
            }
        }
    }

    /// Resolves a bare name to its type, constant value and meaning; reports unknown names.
    /// `base.field` naming a per-event branch whose name has a dot (a leaf of a leaf list,
    /// `rec.x`; a member of a split object, `Header.runNumber`) when `base` itself names nothing
    /// else: its type and resolution.
    pub fn dotted_branch(&mut self, base: &str, field: &str) -> Option<(Type, Resolution)> {
        let schema = self.env.schema?;
        let b = schema.branch(&format!("{base}.{field}"))?;
        if self.dotted_shadowed(base) {
            return None;
        }
        let t = scalar(b.ty);
        let ty = match b.shape {
            Shape::Scalar => t,
            Shape::Fixed(_) | Shape::Jagged => Type::List(Box::new(t)),
            Shape::Jagged2 => Type::List(Box::new(Type::List(Box::new(t)))),
        };
        Some((ty, Resolution::Branch(b.name.clone())))
    }

    /// `base.field` where `base` names nothing else but is the prefix of dotted branches (a
    /// friend tree, a leaf list, a split object) none of which is `base.field`: reports the
    /// unknown member with the closest one suggested and returns true.
    pub fn unknown_dotted_member(&mut self, base: &str, field: &str, span: Span) -> bool {
        let Some(schema) = self.env.schema else {
            return false;
        };
        let is_prefix = |b: &str| {
            b.strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('.'))
        };
        if !schema.branches.iter().any(|b| is_prefix(&b.name)) || self.dotted_shadowed(base) {
            return false;
        }
        let members: Vec<&str> = schema
            .branches
            .iter()
            .filter(|b| is_prefix(&b.name))
            .map(|b| &b.name[base.len() + 1..])
            .collect();
        let help = match suggest(field, members.iter().copied()) {
            Some(m) => format!("did you mean `{base}.{m}`?"),
            None => {
                let mut shown: Vec<&str> = members.iter().copied().take(8).collect();
                if members.len() > shown.len() {
                    shown.push("...");
                }
                format!("`{base}` has: {}", shown.join(", "))
            }
        };
        let unsupported = schema
            .unsupported
            .iter()
            .find(|u| u.branch == format!("{base}.{field}"));
        let help = match unsupported {
            Some(u) => format!("`{base}.{field}` cannot be read: {}", u.reason),
            None => help,
        };
        self.error(
            super::expr::UNKNOWN_FIELD,
            span,
            format!("`{base}` has no branch `{field}`"),
            "no such branch",
        )
        .help = Some(help);
        true
    }

    /// Whether `base` names something other than the prefix of dotted branches (a definition,
    /// an element, a collection, a branch, a field in scope), which then wins.
    fn dotted_shadowed(&self, base: &str) -> bool {
        let Some(schema) = self.env.schema else {
            return true;
        };
        self.loop_var.as_ref().is_some_and(|(v, _)| v == base)
            || base == "it"
            || base == "lumi"
            || SAMPLE_VALUES.contains(&base)
            || self.visible_depths().any(|d| self.name_at(d) == Some(base))
            || self.visible_depths().any(|d| {
                self.elem_at(d)
                    .is_some_and(|e| e.is_opaque() || field_type(e, base, Some(schema)).is_some())
            })
            || self.lookup_def(base).is_some()
            || self.defined.contains_key(base)
            || schema.collection(base).is_some()
            || schema.branch(base).is_some()
    }

    pub fn resolve(&mut self, name: &str, span: Span) -> (Type, Option<Value>, Option<Resolution>) {
        if let Some((var, value)) = &self.loop_var
            && var == name
        {
            let ty = match value {
                Some(Value::Str(_)) => Type::Str,
                Some(Value::Float(_)) => Type::Float,
                _ => Type::Int,
            };
            return (ty, None, Some(Resolution::LoopVar(name.to_string())));
        }
        if name == "it" {
            let inner = self.visible_depths().next();
            return match inner.and_then(|d| self.elem_at(d).map(|e| (d, e.clone()))) {
                Some((depth, e)) => (Type::Element(e), None, Some(Resolution::Element { depth })),
                None => {
                    self.error(
                        UNKNOWN_NAME,
                        span,
                        "`it` is only defined inside `where`, keys and replacements".into(),
                        "no element here",
                    );
                    (Type::Error, None, None)
                }
            };
        }
        // Elements named with `as`, innermost first.
        if let Some(depth) = self
            .visible_depths()
            .find(|&d| self.name_at(d) == Some(name))
            && let Some(e) = self.elem_at(depth)
        {
            return (
                Type::Element(e.clone()),
                None,
                Some(Resolution::Element { depth }),
            );
        }
        // Fields the schema knows, innermost element first.
        let schema = self.env.schema;
        let mut opaque = None;
        let depths: Vec<usize> = self.visible_depths().collect();
        for (k, &depth) in depths.iter().enumerate() {
            let Some(elem) = self.elem_at(depth) else {
                continue;
            };
            if elem.is_opaque() {
                opaque.get_or_insert(depth);
                continue;
            }
            let derived = match elem {
                Elem::Tree(c) => self.derived.get(&(c.clone(), name.to_string())).cloned(),
                _ => None,
            };
            if let (Some(ty), Elem::Tree(c)) = (&derived, elem) {
                let coll = c.clone();
                return (
                    ty.clone(),
                    None,
                    Some(Resolution::DerivedField {
                        coll,
                        name: name.to_string(),
                        depth,
                    }),
                );
            }
            if let Some(ty) = field_type(elem, name, schema) {
                let elem = elem.clone();
                // The same field on an outer element: the bare name may mean either.
                let outer = depths[k + 1..]
                    .iter()
                    .filter_map(|&d| self.elem_at(d))
                    .find(|o| !o.is_opaque() && field_type(o, name, schema).is_some())
                    .cloned();
                if let Some(outer) = outer {
                    self.push(
                        Diagnostic::error(
                            AMBIGUOUS_FIELD,
                            format!(
                                "`{name}` is a field of {elem} (the inner element) and of {outer} \
                                 (an outer one)"
                            ),
                        )
                        .with_primary(span, format!("this is {elem}'s `{name}`"))
                        .with_help(format!(
                            "write `it.{name}` for {elem}'s field; to use {outer}'s, name it \
                             with `as` (e.g. `{} as o where ...`) and write `o.{name}`",
                            outer.to_string().trim_start_matches("an element of ")
                        )),
                    );
                }
                if let Some(def) = self.lookup_def(name) {
                    let def_span = self.out.symbols[def.0 as usize].span;
                    self.push(
                        Diagnostic::warning(
                            FIELD_SHADOWS,
                            format!("field `{name}` of {elem} shadows the definition `{name}`"),
                        )
                        .with_primary(span, "this is the element's field")
                        .with_label(def_span, "the outer definition")
                        .with_help("rename the definition to use it here"),
                    );
                }
                self.note_field(&elem, name);
                return (
                    ty,
                    None,
                    Some(Resolution::Field {
                        name: name.to_string(),
                        depth,
                    }),
                );
            }
        }
        if let Some(id) = self.lookup_def(name) {
            self.used.insert(id);
            if let SymbolKind::Function { .. } = self.out.symbols[id.0 as usize].kind {
                self.error(
                    super::expr::TYPE_MISMATCH,
                    span,
                    format!("`{name}` is a function: it must be called"),
                    "a function, not a value",
                )
                .help = Some(format!("call it with its arguments: `{name}(...)`"));
                return (Type::Error, None, Some(Resolution::Symbol(id)));
            }
            if let SymbolKind::Correction(bound) = self.out.symbols[id.0 as usize].kind {
                if bound.is_some() {
                    let help = format!("call it with its inputs: `{name}(...)`");
                    self.error(
                        super::expr::TYPE_MISMATCH,
                        span,
                        format!("`{name}` is a correction: it must be called"),
                        "a correction, not a value",
                    )
                    .help = Some(help);
                }
                return (Type::Error, None, Some(Resolution::Symbol(id)));
            }
            let sym = &self.out.symbols[id.0 as usize];
            let value = match &sym.kind {
                SymbolKind::Const(v) => v.clone(),
                _ => None,
            };
            return (sym.ty.clone(), value, Some(Resolution::Symbol(id)));
        }
        if let Some(depth) = opaque {
            if let Some(e) = self.elem_at(depth).cloned() {
                self.note_field(&e, name);
            }
            return (
                Type::Unknown,
                None,
                Some(Resolution::Field {
                    name: name.to_string(),
                    depth,
                }),
            );
        }
        if name == "lumi" {
            return match self.out.lumi {
                Some(l) => (Type::Float, Some(Value::Float(l)), Some(Resolution::Lumi)),
                None => {
                    self.error(
                        UNKNOWN_NAME,
                        span,
                        "`lumi` is used but the file has no `lumi` header".into(),
                        "not defined",
                    )
                    .help = Some("add a header line such as `lumi 3378` (in /pb)".into());
                    (Type::Error, None, None)
                }
            };
        }
        if SAMPLE_VALUES.contains(&name) {
            return (
                Type::Float,
                None,
                Some(Resolution::SampleValue(name.to_string())),
            );
        }
        // A name defined further down is a misplaced definition, not a branch.
        if self
            .defined
            .get(name)
            .is_some_and(|def| def.start > span.start)
        {
            self.unknown_name(name, span);
            return (Type::Error, None, None);
        }
        match schema {
            None => (
                Type::Unknown,
                None,
                Some(Resolution::Branch(name.to_string())),
            ),
            Some(s) => {
                if s.collection(name).is_some() {
                    if !self.in_vary {
                        self.used_fields.insert((name.to_string(), String::new()));
                    }
                    return (
                        Type::Collection(Elem::Tree(name.to_string())),
                        None,
                        Some(Resolution::Collection(name.to_string())),
                    );
                }
                if let Some(b) = s.branch(name) {
                    let t = scalar(b.ty);
                    let ty = match b.shape {
                        Shape::Scalar => t,
                        Shape::Fixed(_) | Shape::Jagged => Type::List(Box::new(t)),
                        Shape::Jagged2 => Type::List(Box::new(Type::List(Box::new(t)))),
                    };
                    return (ty, None, Some(Resolution::Branch(name.to_string())));
                }
                self.unknown_name(name, span);
                (Type::Error, None, None)
            }
        }
    }

    pub(super) fn unknown_name_pub(&mut self, name: &str, span: Span) {
        self.unknown_name(name, span)
    }

    fn unknown_name(&mut self, name: &str, span: Span) {
        if self.outside_only(name, span) {
            return;
        }
        if let Some(&def) = self.defined.get(name)
            && def.start > span.start
        {
            let (line, _) = self.source.line_col(def.start);
            self.used_early.insert(name.to_string());
            let d = self.error(
                UNKNOWN_NAME,
                span,
                format!("`{name}` is used before its definition"),
                "used here",
            );
            d.labels.push(crate::diagnostics::Label {
                span: def,
                message: "defined below".into(),
                primary: false,
            });
            d.help = Some(format!(
                "`{name}` is defined below, on line {line}: move its definition above this use"
            ));
            return;
        }
        let schema = self.env.schema;
        // Borrowed names (no copy per unknown name); element fields are few and owned.
        let fields: Vec<String> = self
            .elems
            .iter()
            .flat_map(|e| field_names(e, schema).into_iter().map(|(n, _)| n))
            .collect();
        // A lazy chain: `suggest` stops after its candidate cap, so an unknown name costs a
        // bounded amount of work however many definitions the file has.
        let hint = {
            let region = self.region.iter().flat_map(|(_, s)| s.keys());
            let schema_names = schema.into_iter().flat_map(|s| {
                s.collections
                    .iter()
                    .map(|c| c.name.as_str())
                    .chain(s.branches.iter().map(|b| b.name.as_str()))
            });
            let lumi = self.out.lumi.is_some().then_some("lumi");
            // The order decides ties: definitions, then fields, then the tree's names.
            let cands = self
                .top
                .keys()
                .map(String::as_str)
                .chain(region.map(String::as_str))
                .chain(fields.iter().map(String::as_str))
                .chain(schema_names)
                .chain(SAMPLE_VALUES.iter().copied())
                .chain(lumi);
            suggest(name, cands).map(str::to_string)
        };
        let unsupported = schema.and_then(|s| s.unsupported.iter().find(|u| u.branch == name));
        let help = match (unsupported, hint) {
            (Some(u), _) => Some(format!(
                "branch `{}` ({}) is in the file but not supported: {}",
                u.branch, u.type_name, u.reason
            )),
            (None, Some(h)) => Some(format!("did you mean `{h}`?")),
            (None, None) => None,
        };
        let d = self.error(
            UNKNOWN_NAME,
            span,
            format!("unknown name `{name}`"),
            "not a definition, field, collection or branch",
        );
        if let Some(h) = help {
            d.help = Some(h);
        }
    }
}

/// The driver: statements in order, then file-wide checks and lints.
pub(super) fn run(
    file: &ast::File,
    source: &Arc<SourceFile>,
    env: &SemaEnv,
) -> (Option<Checked>, Vec<Diagnostic>) {
    let mut c = Checker {
        source,
        env,
        diags: Vec::new(),
        out: Checked::default(),
        top: HashMap::new(),
        region: None,
        elems: Vec::new(),
        elem_names: Vec::new(),
        visible: Vec::new(),
        frames: Vec::new(),
        params: HashMap::new(),
        current_fn: None,
        derived: HashMap::new(),
        pending_name: None,
        random_ok: false,
        loop_var: None,
        in_vary: false,
        used: HashSet::new(),
        outputs: HashMap::new(),
        used_fields: HashSet::new(),
        defined: HashMap::new(),
        used_early: HashSet::new(),
        correction_files: HashMap::new(),
        only: None,
        only_defs: HashMap::new(),
    };
    super::only::only_defs(&file.stmts, &mut c.only_defs);
    let mut stmts: Vec<&ast::Stmt> = Vec::new();
    for st in &file.stmts {
        stmts.push(st);
        if let ast::StmtKind::Region { body, .. } = &st.kind {
            stmts.extend(body.iter());
        }
    }
    for st in stmts {
        if let ast::StmtKind::Const { name, .. }
        | ast::StmtKind::Let { name, .. }
        | ast::StmtKind::Object { name, .. }
        | ast::StmtKind::Function { name, .. } = &st.kind
        {
            c.defined.entry(name.name.clone()).or_insert(name.span);
        }
    }
    c.out.lumi = file.lumi().map(|(l, _)| l);
    if env.schema.is_none() {
        let span = file
            .tree_name()
            .map(|(_, s)| s)
            .or_else(|| file.stmts.first().map(|s| s.span))
            .unwrap_or_default();
        c.warning(
            SCHEMA_UNAVAILABLE,
            span,
            "no input file schema available: collections, branches and their types are not checked"
                .into(),
            "tree not inspected",
        )
        .help = Some("give `anac check` a samples file whose first input file is readable".into());
    }
    let facts = c.statements(file);
    c.check_output(file, &facts);
    c.lint_unused(&facts);
    c.lint_vary_unused(&facts);
    c.lint_absent_weights(file);
    let mut used: Vec<(String, String)> = c.used_fields.iter().cloned().collect();
    used.sort();
    c.out.used_fields = used;
    (Some(c.out), c.diags)
}

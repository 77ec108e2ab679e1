//! `only simulation { ... }`, `only data { ... }`, `only P1, P2 { ... }`: statements for some
//! samples only.
//!
//! Input: the block's targets and body. Output: diagnostics, and the body checked like the
//! statements around it, in a scope of its own (its names are visible only inside it).
//! Against a schema none of whose samples match (`SemaEnv::schema_processes`), the body is not
//! checked at all: its branches need not exist there, and nothing outside can see its names.
//! Which statements belong in a block: `let`, `weight`, `hist`, `counter`, `collect`, and at the
//! top level `object`. A `cut` would select the block's samples' events differently behind the
//! common cutflow's back, a `region` or `vary` has its own per-process forms; the rest does not
//! depend on the sample.

use super::check::Checker;
use super::stmts::{Cuts, Facts};
use crate::diagnostics::{Code, Span};
use crate::syntax::ast::{Ident, Stmt, StmtKind};

/// A statement that does not belong in an `only` block.
pub const NOT_IN_ONLY: Code = Code("anac::sema::not-in-only");
/// An `only` block that no sample of the samples file matches.
pub const ONLY_MATCHES_NOTHING: Code = Code("anac::sema::only-matches-nothing");

/// The words that name a kind of sample rather than a process.
pub const KINDS: &[&str] = &["data", "simulation"];

/// Whether a sample of `process` (data when `is_data`) is one of `targets`.
pub fn matches(targets: &[Ident], process: &str, is_data: bool) -> bool {
    targets.iter().any(|t| match t.name.as_str() {
        "data" => is_data,
        "simulation" => !is_data,
        p => p == process,
    })
}

/// A name defined inside an `only` block: where, and the block.
#[derive(Debug, Clone)]
pub(super) struct OnlyDef {
    pub def: Span,
    pub block: Span,
    /// The targets as written (`simulation`, `ttbar, wjets`).
    pub targets: String,
}

/// The `let`/`object` names each `only` block of `stmts` (and of its regions) defines.
pub(super) fn only_defs(stmts: &[Stmt], out: &mut std::collections::HashMap<String, Vec<OnlyDef>>) {
    for s in stmts {
        match &s.kind {
            StmtKind::Region { body, .. } => only_defs(body, out),
            StmtKind::Only { targets, body } => {
                let names = targets
                    .iter()
                    .map(|t| t.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                for b in body {
                    if let StmtKind::Let { name, .. } | StmtKind::Object { name, .. } = &b.kind {
                        out.entry(name.name.clone()).or_default().push(OnlyDef {
                            def: name.span,
                            block: s.span,
                            targets: names.clone(),
                        });
                    }
                }
            }
            _ => {}
        }
    }
}

impl Checker<'_> {
    /// An `only` block at the top level or in a region.
    pub(super) fn only_stmt(
        &mut self,
        s: &Stmt,
        targets: &[Ident],
        body: &[Stmt],
        index: usize,
        facts: &mut Facts,
        cuts: &mut Cuts<'_>,
    ) {
        let head = Span::new(
            s.span.start,
            targets.last().map_or(s.span.start, |t| t.span.end),
        );
        if self.only.is_some() {
            self.error(
                NOT_IN_ONLY,
                head,
                "an `only` block inside another `only` block".into(),
                "nested block",
            )
            .help = Some(
                "list every target in one block: `only ttbar, wjets { ... }` runs for either"
                    .into(),
            );
            return;
        }
        let known = self.only_targets(targets);
        let runs = match self.env.processes {
            Some(ps) => ps.iter().any(|p| matches(targets, &p.name, p.is_data)),
            None => true,
        };
        if known && !runs {
            let names = targets
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            self.warning(
                ONLY_MATCHES_NOTHING,
                head,
                format!("no sample of the samples file is `{names}`: this block runs for none"),
                "matches no sample",
            )
            .help = Some(
                "its statements are not checked and fill nothing; remove the block, or add such \
                 samples"
                    .into(),
            );
        }
        if !known || !runs {
            return;
        }
        // A schema none of whose samples match: the block's names are not checked against it.
        if let (Some(mine), Some(ps)) = (self.env.schema_processes, self.env.processes) {
            let here = ps
                .iter()
                .filter(|p| mine.contains(&p.name))
                .any(|p| matches(targets, &p.name, p.is_data));
            if !here {
                return;
            }
        }
        let saved = match &self.region {
            Some((_, scope)) => scope.clone(),
            None => self.top.clone(),
        };
        self.only = Some(head);
        for b in body {
            if self.belongs_in_only(b) {
                self.stmt_pub(b, index, facts, cuts);
            }
        }
        self.only = None;
        match &mut self.region {
            Some((_, scope)) => *scope = saved,
            None => self.top = saved,
        }
    }

    /// Checks the targets: `data`, `simulation` or processes of the samples file. Returns
    /// whether every one is known.
    fn only_targets(&mut self, targets: &[Ident]) -> bool {
        let Some(ps) = self.env.processes else {
            return true;
        };
        let mut ok = true;
        for t in targets {
            if KINDS.contains(&t.name.as_str()) || ps.iter().any(|p| p.name == t.name) {
                continue;
            }
            ok = false;
            let cands: Vec<&str> = KINDS
                .iter()
                .copied()
                .chain(ps.iter().map(|p| p.name.as_str()))
                .collect();
            let hint = super::check::suggest(&t.name, cands.iter().copied());
            let d = self.error(
                super::vary::UNKNOWN_PROCESS,
                t.span,
                format!("the samples file has no process \"{}\"", t.name),
                "matches no sample",
            );
            d.help = Some(match hint {
                Some(h) => format!("did you mean `{h}`?"),
                None => format!(
                    "write `data`, `simulation` or processes of the samples file: {}",
                    ps.iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
        ok
    }

    /// Reports a statement that does not belong in an `only` block.
    fn belongs_in_only(&mut self, s: &Stmt) -> bool {
        let (what, help) = match &s.kind {
            StmtKind::Let { .. }
            | StmtKind::Weight { .. }
            | StmtKind::Hist(_)
            | StmtKind::Counter { .. }
            | StmtKind::Collect { .. }
            | StmtKind::Skim { .. } => return true,
            StmtKind::Object { .. } if self.region.is_none() => return true,
            StmtKind::Object { .. } => (
                "an `object`",
                "objects are defined at the top level: put this one in a top-level `only` block",
            ),
            StmtKind::Cut { .. } => (
                "a `cut`",
                "a cut for some samples only would select their events differently from the \
                 others' behind the cutflow; count the events it keeps with `counter NAME when \
                 COND`, or fill with a histogram's own weight, inside the block",
            ),
            StmtKind::Region { .. } => (
                "a `region`",
                "put the `only` block inside the region: `region R { only simulation { ... } }`",
            ),
            StmtKind::Vary(_) => (
                "a `vary`",
                "a variation for some processes is written `vary NAME on P1, P2: ...`",
            ),
            StmtKind::Only { .. } => return true,
            StmtKind::Const { .. }
            | StmtKind::Function { .. }
            | StmtKind::Table(_)
            | StmtKind::Correction { .. }
            | StmtKind::DerivedField { .. }
            | StmtKind::Derive { .. } => (
                "this statement",
                "it does not depend on the sample: write it outside the block",
            ),
        };
        self.error(
            NOT_IN_ONLY,
            s.span,
            format!("{what} cannot be inside an `only` block"),
            "not allowed here",
        )
        .help = Some(help.into());
        false
    }

    /// A use, outside its block, of a name defined inside an `only` block. Returns whether it
    /// was reported.
    pub(super) fn outside_only(&mut self, name: &str, span: Span) -> bool {
        let Some(defs) = self.only_defs.get(name) else {
            return false;
        };
        let inside = |d: &OnlyDef| d.block.start <= span.start && span.end <= d.block.end;
        if defs.iter().any(inside) {
            return false;
        }
        let d = defs[0].clone();
        let e = self.error(
            super::check::UNKNOWN_NAME,
            span,
            format!(
                "`{name}` is defined inside `only {}` and is not visible here",
                d.targets
            ),
            "used outside the block",
        );
        e.labels.push(crate::diagnostics::Label {
            span: d.def,
            message: "defined inside the block".into(),
            primary: false,
        });
        e.help = Some(format!(
            "it has no value for the other samples; use it inside `only {} {{ ... }}`, or define \
             it outside the block",
            d.targets
        ));
        true
    }
}

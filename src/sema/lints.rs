//! Lints run after the walk: unused definitions and variations that touch nothing.
//!
//! Input: the symbols and uses gathered during the walk. Output: warnings.

use super::SymbolKind;
use super::check::Checker;
use super::stmts::Facts;
use crate::diagnostics::Code;

/// A `const`, `let` or `object` that nothing uses.
pub const UNUSED_DEFINITION: Code = Code("anac::sema::unused-definition");
/// A `vary` whose replaced field (or weight) affects no output.
pub const VARY_UNUSED: Code = Code("anac::sema::vary-unused");

impl Checker<'_> {
    pub(super) fn lint_unused(&mut self, facts: &Facts) {
        for id in &facts.lintable {
            if self.used.contains(id) {
                continue;
            }
            let Some(sym) = self.out.symbols.get(id.0 as usize) else {
                continue;
            };
            if sym.name.starts_with('_') || self.used_early.contains(&sym.name) {
                continue;
            }
            let what = match sym.kind {
                SymbolKind::Const(_) => "constant",
                SymbolKind::Object => "object",
                SymbolKind::Function { .. } => "function",
                _ => "value",
            };
            let (name, span) = (sym.name.clone(), sym.span);
            self.warning(
                UNUSED_DEFINITION,
                span,
                format!("{what} `{name}` is never used"),
                "defined here",
            )
            .help = Some("remove it, or prefix its name with `_` to keep it".into());
        }
    }

    pub(super) fn lint_vary_unused(&mut self, facts: &Facts) {
        for (coll, field, span, name) in &facts.kinematic {
            let used = self.used_fields.contains(&(coll.clone(), field.clone()));
            if !used {
                self.warning(
                    VARY_UNUSED,
                    *span,
                    format!("variation `{name}` replaces `{coll}.{field}`, which nothing reads"),
                    "no output depends on this",
                )
                .help = Some("remove the `vary`, or check the collection and field names".into());
            }
        }
        if !facts.has_outputs {
            for span in &facts.weight_varies {
                self.warning(VARY_UNUSED, *span, "this weight variation affects nothing: the analysis fills no histogram or counter".into(), "no output")
                    ;
            }
        }
    }
}

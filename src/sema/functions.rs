//! User functions: `fn NAME(PARAMS) = BODY`, inlined at each call by `syntax::inline`.
//!
//! Input: the function statement and the `Inline`/`Arg` nodes of its inlined calls. Output:
//! types (each call's copy of the body is typed with its own arguments: a function is typed at
//! each use), diagnostics. The definition is checked once with parameters of unknown type, so a
//! misspelt name or a name defined below is reported at the definition, once; a function whose
//! definition has errors is not checked again at its calls. An inlined body sees the top-level
//! definitions, constants, the tree and its parameters, never the caller's element scopes; an
//! argument means what it means at the call (the body's scopes do not capture its names).

use std::collections::HashMap;

use super::builtins::{ARGUMENT_COUNT, RANDOM_NOT_ALLOWED, UNKNOWN_FUNCTION};
use super::check::{CallFrame, Checker};
use super::expr::Typed;
use super::stmts::DUPLICATE_NAME;
use super::types::Type;
use super::{Symbol, SymbolId, SymbolKind};
use crate::diagnostics::{Code, Diagnostic, Severity, Span};
use crate::syntax::ast::{Expr, ExprKind, Ident};

/// A parameter the function's body never uses.
pub const UNUSED_PARAMETER: Code = Code("anac::sema::unused-parameter");

impl Checker<'_> {
    /// `fn NAME(PARAMS) = BODY`: checks the body with parameters of unknown type and defines the
    /// function. Returns its symbol for the unused lint.
    pub(super) fn function_stmt(
        &mut self,
        name: &Ident,
        params: &[Ident],
        body: &Expr,
    ) -> Option<SymbolId> {
        let errors_before = self.error_count();
        let builtin = super::builtins::ALL.contains(&name.name.as_str());
        if builtin {
            self.error(
                DUPLICATE_NAME,
                name.span,
                format!("`{}` is a builtin function", name.name),
                "a builtin's name",
            )
            .help = Some("give the function another name".into());
        }
        let mut scope: HashMap<String, SymbolId> = HashMap::new();
        for p in params {
            if let Some(first) = scope.get(&p.name) {
                let first = self.out.symbols[first.0 as usize].span;
                self.push(
                    Diagnostic::error(
                        DUPLICATE_NAME,
                        format!("parameter `{}` is listed twice", p.name),
                    )
                    .with_primary(p.span, "listed again here")
                    .with_label(first, "first listed here")
                    .with_help("give each parameter its own name"),
                );
                continue;
            }
            let id = SymbolId(self.out.symbols.len() as u32);
            self.out.symbols.push(Symbol {
                name: p.name.clone(),
                kind: SymbolKind::Param,
                span: p.span,
                region: None,
                ty: Type::Unknown,
            });
            scope.insert(p.name.clone(), id);
        }
        let saved_params = std::mem::replace(&mut self.params, scope);
        let saved_fn = self.current_fn.replace(name.name.clone());
        // Whether a random number may be drawn is decided where the function is called.
        self.random_ok = true;
        self.expr(body);
        self.random_ok = false;
        let scope = std::mem::replace(&mut self.params, saved_params);
        self.current_fn = saved_fn;
        let mut unused: Vec<(String, Span)> = params
            .iter()
            .filter(|p| {
                scope.get(&p.name).is_some_and(|id| !self.used.contains(id))
                    && !p.name.starts_with('_')
            })
            .map(|p| (p.name.clone(), p.span))
            .collect();
        unused.dedup();
        for (p, span) in unused {
            self.warning(
                UNUSED_PARAMETER,
                span,
                format!("parameter `{p}` of `{}` is never used", name.name),
                "never used in the body",
            )
            .help = Some("remove it, or prefix its name with `_`".into());
        }
        let ok = self.error_count() == errors_before;
        if builtin || !self.check_new_name_pub(name) {
            return None;
        }
        let id = self.define(
            name,
            SymbolKind::Function {
                arity: params.len(),
                ok,
            },
            Type::Error,
        );
        // A function with errors in its definition is not also reported as unused.
        ok.then_some(id)
    }

    fn error_count(&self) -> usize {
        self.diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// An inlined call: the arguments where the call stands, then the body's copy with none of
    /// the caller's element scopes visible.
    pub(super) fn inline_call(
        &mut self,
        func: &Ident,
        args: &[Expr],
        body: &Expr,
        span: Span,
    ) -> Typed {
        for a in args {
            self.expr(a);
            if let Some(r) = find_random(a) {
                self.error(
                    RANDOM_NOT_ALLOWED,
                    r,
                    format!("a random number cannot be an argument of `{}`", func.name),
                    "drawn in an argument",
                )
                .help = Some(
                    "every use of the parameter would draw anew: draw it in the function's body, \
                     or in a `let` (one number per event) that you pass"
                        .into(),
                );
            }
        }
        let ok = match self.lookup_def(&func.name) {
            Some(id) => {
                self.used.insert(id);
                match self.out.symbols[id.0 as usize].kind {
                    SymbolKind::Function { ok, .. } => ok,
                    _ => false,
                }
            }
            None => false,
        };
        if !ok {
            return (Type::Error, None);
        }
        let hidden = vec![false; self.elems.len()];
        let caller = std::mem::replace(&mut self.visible, hidden);
        self.frames.push(CallFrame {
            func: func.name.clone(),
            call: span,
            caller,
        });
        let r = self.expr(body);
        if let Some(frame) = self.frames.pop() {
            self.visible = frame.caller;
        }
        r
    }

    /// A parameter inside an inlined body: its argument, with the caller's scopes visible and
    /// the body's hidden. Its diagnostics were given at the call.
    pub(super) fn argument(&mut self, value: &Expr) -> Typed {
        let Some(frame) = self.frames.pop() else {
            return self.expr(value);
        };
        let mut vis = frame.caller.clone();
        vis.resize(self.elems.len(), false);
        let saved = std::mem::replace(&mut self.visible, vis);
        let before = self.diags.len();
        let r = self.expr(value);
        self.diags.truncate(before);
        self.visible = saved;
        self.frames.push(frame);
        r
    }

    /// A call of a user function that was not inlined: the wrong number of arguments, a call
    /// from its own body, one above its definition. `None`: not a user function.
    pub(super) fn user_call(&mut self, func: &Ident, args: &[Expr], span: Span) -> Option<Typed> {
        let own = self.current_fn.as_deref() == Some(func.name.as_str());
        let kind = self
            .lookup_def(&func.name)
            .map(|id| (id, self.out.symbols[id.0 as usize].kind.clone()));
        let below = self
            .defined
            .get(&func.name)
            .is_some_and(|d| d.start > span.start)
            && !super::builtins::ALL.contains(&func.name.as_str());
        if own {
            self.error(
                UNKNOWN_FUNCTION,
                func.span,
                format!("`{}` calls itself", func.name),
                "a call of the function being defined",
            )
            .help = Some(
                "functions are inlined, so they cannot be recursive: write the repetition out"
                    .into(),
            );
        } else if let Some((id, SymbolKind::Function { arity, .. })) = kind {
            self.used.insert(id);
            if arity != args.len() {
                let s = if arity == 1 { "" } else { "s" };
                self.error(
                    ARGUMENT_COUNT,
                    span,
                    format!(
                        "`{}` takes {arity} argument{s}, found {}",
                        func.name,
                        args.len()
                    ),
                    "wrong number of arguments",
                );
            }
        } else if kind.is_none() && below {
            self.unknown_name_pub(&func.name, func.span);
        } else {
            return None;
        }
        for a in args {
            self.expr(a);
        }
        Some((Type::Error, None))
    }
}

/// The first `normal(...)`/`uniform(...)` call in `e`.
fn find_random(e: &Expr) -> Option<Span> {
    if let ExprKind::Call { func, .. } = &e.kind
        && matches!(func.name.as_str(), "normal" | "uniform")
    {
        return Some(e.span);
    }
    crate::syntax::inline::children(e)
        .into_iter()
        .find_map(find_random)
}

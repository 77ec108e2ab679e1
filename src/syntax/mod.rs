//! Text → AST: the `.ana` grammar (`grammar/ana.pest`) and the tree built from it.
//!
//! Input: a [`SourceFile`]. Output: an [`ast::File`] (when the text parses) and diagnostics.
//! Steps: a pre-scan rejects nesting deeper than [`MAX_DEPTH`] (pest recurses per level); pest
//! parses; `build`/`expr`/`derive` turn pairs into the AST (precedence applied with an explicit
//! stack, depth checked per node). pest types never leave this module.

pub mod ast;
mod build;
mod depth;
mod derive;
mod errors;
mod expr;
pub mod inline;

use std::sync::Arc;

use pest::Parser;

use crate::diagnostics::{Code, Diagnostic, SourceFile};

/// The text does not fit the grammar (the message says what was expected).
pub const UNEXPECTED: Code = Code("anac::syntax::unexpected");
/// Nesting (brackets, `if`, operator chains) deeper than [`MAX_DEPTH`].
pub const TOO_DEEP: Code = Code("anac::syntax::too-deep");
/// `a < b < c`.
pub const CHAINED_COMPARISON: Code = Code("anac::syntax::chained-comparison");
/// A number literal that does not fit its type.
pub const INVALID_NUMBER: Code = Code("anac::syntax::invalid-number");
/// A header line (`analysis`, `tree`, ...) given twice.
pub const DUPLICATE_HEADER: Code = Code("anac::syntax::duplicate-header");
/// A header line after the first statement.
pub const MISPLACED_HEADER: Code = Code("anac::syntax::misplaced-header");
/// A parse tree the builder did not expect (a bug in anac, reported instead of panicking).
pub const INTERNAL: Code = Code("anac::syntax::internal");
/// The file is larger than anac parses as an analysis.
pub const TOO_LARGE: Code = Code("anac::syntax::too-large");

/// The largest analysis anac parses (1 MiB, some twenty times the longest analysis written so
/// far): parsing costs memory in proportion to the text (about 75 MB at the limit).
pub const MAX_SOURCE_BYTES: usize = 1 << 20;

/// How deep expressions and brackets may nest. Real analyses stay below 20.
pub const MAX_DEPTH: usize = 256;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/ana.pest"]
struct AnaParser;

/// Parses one `.ana` file. The AST is `None` when there are syntax errors; diagnostics may hold
/// errors even when an AST is returned (e.g. a duplicated header, reported and ignored).
pub fn parse(source: &Arc<SourceFile>) -> (Option<ast::File>, Vec<Diagnostic>) {
    let text: &str = &source.text;
    if text.len() > MAX_SOURCE_BYTES {
        let d = Diagnostic::error(
            TOO_LARGE,
            format!(
                "the file has {} bytes; anac parses analyses of up to {} MiB",
                text.len(),
                MAX_SOURCE_BYTES >> 20
            ),
        )
        .in_file(source)
        .with_help(
            "an analysis this long is likely generated: generate a shorter one (a `vary ... for` \
             family, a region per selection), or split it into several analyses",
        );
        return (None, vec![d]);
    }
    if let Some(deep) = depth::prescan(text, MAX_DEPTH) {
        let (span, what) = match deep {
            depth::TooDeep::Nesting(s) => (s, format!("nesting deeper than {MAX_DEPTH} levels")),
            depth::TooDeep::OperatorChain(s) => (
                s,
                format!("more than {MAX_DEPTH} operators or `else if` branches in one chain"),
            ),
        };
        let d = Diagnostic::error(TOO_DEEP, format!("input too deeply nested: {what}"))
            .in_file(source)
            .with_primary(span, "limit exceeded here")
            .with_help("split the expression into named `let` or `const` definitions");
        return (None, vec![d]);
    }
    if let Some(d) = errors::stray_character(source) {
        return (None, vec![d]);
    }
    // pest needs a few kilobytes of stack per nesting level, more than a test thread's 2 MiB
    // allows at the limit: parse on a thread of our own with a generous stack.
    let parsed = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("anac-parse".into())
            .stack_size(PARSE_STACK)
            .spawn_scoped(scope, || parse_unguarded(source))
            .ok()
            .map(|h| h.join())
    });
    match parsed {
        Some(Ok(result)) => result,
        // No thread available (or it died): parse here; pest's own stack guard turns exhaustion
        // into an ordinary syntax error.
        _ => parse_unguarded(source),
    }
}

/// Stack for the parsing thread: pest recurses about a dozen frames per nesting level.
const PARSE_STACK: usize = 64 << 20;

fn parse_unguarded(source: &Arc<SourceFile>) -> (Option<ast::File>, Vec<Diagnostic>) {
    let text: &str = &source.text;
    pest::set_error_detail(true);
    let pairs = match AnaParser::parse(Rule::file, text) {
        Ok(p) => p,
        Err(e) => return (None, vec![errors::to_diagnostic(&e, source)]),
    };
    let mut builder = build::Builder::new(source);
    let mut file = pairs.into_iter().next().and_then(|p| builder.file(p));
    let mut diags = builder.diags;
    if let Some(f) = &mut file {
        diags.extend(inline::run(f, source));
    }
    (file, diags)
}

#[cfg(test)]
mod tests;

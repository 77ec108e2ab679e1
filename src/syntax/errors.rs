//! pest errors → a [`Diagnostic`] in plain words.
//!
//! Input: a pest error (the furthest position reached and the rules tried there). Output: one
//! `anac::syntax::unexpected` diagnostic saying what was found and what could come next
//! ("expected an expression, `where`, a new statement or end of file"). Grammar rule names never
//! reach the user: [`describe`] maps each to the words used in the docs.

use std::sync::Arc;

use pest::error::{ErrorVariant, InputLocation};

use super::{Rule, UNEXPECTED};
use crate::diagnostics::{Diagnostic, SourceFile, Span};

/// What a rule is called in an error message; `None` for rules subsumed by another description.
fn describe(rule: Rule) -> &'static str {
    use Rule::*;
    match rule {
        EOI => "end of file",
        ident => "a name",
        label => "a name",
        vary_name => "a variation name",
        number | lumi_h => "a number",
        string | string_inner => "a string in double quotes",
        header | statement | analysis_h | tree_h | samples_h | output_h | const_s | object_s
        | let_s | cut_s | weight_s | hist_s | counter_s | collect_s | region_s | vary_s
        | derive_s | kw_analysis | kw_tree | kw_samples | kw_lumi | kw_output | kw_const
        | kw_object | kw_let | kw_cut | kw_weight | kw_region | kw_hist | kw_vary | kw_derive
        | kw_counter | kw_collect => "a new statement",
        region_item => "`cut`, `let`, `hist`, `counter`, `collect` or `}`",
        expr | cond_expr | op_expr | operand | primary | call | paren | lumi_ref | kw_true
        | kw_false | kw_if | kw_not | neg_op | bnot_op => "an expression",
        tuple => "`(` starting a tuple",
        axis => "an axis such as `regular(25, 50, 550)`",
        field_suffix => "`.field`",
        index_suffix => "`[index]`",
        coalesce_op | kw_or | kw_and | cmp_op | bor_op | bxor_op | band_op | shift_op | add_op
        | mul_op => "an operator",
        kw_where => "`where`",
        kw_then => "`then`",
        kw_else => "`else`",
        kw_in => "`in`",
        kw_for => "`for`",
        kw_on => "`on`",
        kw_up => "`up`",
        kw_down => "`down`",
        kw_max => "`max`",
        kw_when => "`when`",
        vary_for => "`for`",
        vary_on => "`on`",
        vary_weight | vary_kin | replacement => "`weight` or `COLLECTION.FIELD = ...`",
        d_expr | d_term | d_unary | d_primary | d_call | d_ref | d_arg => {
            "a process, a number or a call"
        }
        _ => "",
    }
}

/// Punctuation the grammar matches as plain strings (pest reports these as tokens, not rules).
const PUNCTUATION: &[&str] = &["=", "(", ")", ",", "]", "}", ":", "{"];

/// Converts a pest failure into a diagnostic at the furthest position pest reached.
pub(super) fn to_diagnostic(
    err: &pest::error::Error<Rule>,
    source: &Arc<SourceFile>,
) -> Diagnostic {
    let text = &source.text;
    let pos = match err.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut expected: Vec<String> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &err.variant {
        for r in positives {
            let d = describe(*r);
            if !d.is_empty() {
                expected.push(d.to_string());
            }
        }
    }
    if let Some(attempts) = err.parse_attempts()
        && attempts.max_position == pos
    {
        for t in attempts.expected_tokens() {
            // Only punctuation matters here: words and operators are described by their rules.
            let token = t.to_string();
            if PUNCTUATION.contains(&token.as_str()) {
                expected.push(format!("`{token}`"));
            }
        }
    }
    let has_op = expected.iter().any(|e| e == "an operator");
    let has_expr = expected.iter().any(|e| e == "an expression");
    // `(` starts an expression: saying both is noise.
    expected.retain(|e| !(has_expr && e == "`(`"));
    expected.retain(|e| !(has_op && (e == "`.field`" || e == "`[index]`")));
    // Stable order: as listed in `ORDER`, then anything else.
    let rank = |e: &String| ORDER.iter().position(|o| o == e).unwrap_or(ORDER.len());
    expected.sort_by_key(rank);
    expected.dedup();
    let found = found_at(text, pos);
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("unexpected {found}; expected {}", join_or(&expected))
    };
    let end = if pos < text.len() {
        let len = text[pos..].chars().next().map_or(0, char::len_utf8);
        pos + len
    } else {
        pos
    };
    let mut d = Diagnostic::error(UNEXPECTED, message)
        .in_file(source)
        .with_primary(Span::new(pos, end), format!("found {found}"));
    let wants_name = expected.iter().any(|e| e == "a name");
    if let Some(h) = hint(text, pos, wants_name) {
        d = d.with_help(h);
    }
    d
}

/// Preferred order of alternatives in messages.
const ORDER: &[&str] = &[
    "a name",
    "an expression",
    "a number",
    "a string in double quotes",
    "an operator",
    "`where`",
    "`then`",
    "`else`",
    "`in`",
    "`=`",
    "`(`",
    "`)`",
    "`,`",
    "`:`",
    "a new statement",
    "end of file",
];

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// Describes the token at `pos`: a word, a symbol, or the end of the file.
fn found_at(text: &str, pos: usize) -> String {
    let rest = text.get(pos..).unwrap_or("");
    let Some(c) = rest.chars().next() else {
        return "end of file".to_string();
    };
    if c.is_ascii_alphanumeric() || c == '_' {
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(40)
            .collect();
        format!("`{word}`")
    } else if c == '"' {
        "a string".to_string()
    } else if c == '\n' {
        "end of line".to_string()
    } else {
        format!("`{c}`")
    }
}

/// A targeted hint for common slips.
fn hint(text: &str, pos: usize, wants_name: bool) -> Option<String> {
    let rest = text.get(pos..).unwrap_or("");
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    const KEYWORDS: &[&str] = &[
        "analysis", "tree", "samples", "lumi", "output", "const", "object", "let", "cut", "weight",
        "region", "hist", "vary", "for", "in", "on", "up", "down", "derive", "counter", "collect",
        "max", "where", "and", "or", "not", "if", "then", "else", "true", "false", "when",
    ];
    if wants_name && KEYWORDS.contains(&word.as_str()) {
        return Some(format!(
            "`{word}` is a keyword and cannot be used as a name"
        ));
    }
    let around = text.get(pos.saturating_sub(1)..).unwrap_or(rest);
    if around.starts_with("&&")
        || around.starts_with("||")
        || rest.starts_with("&&")
        || rest.starts_with("||")
        || rest.starts_with('!') && !rest.starts_with("!=")
    {
        return Some("use `and`, `or` and `not` for logic".to_string());
    }
    if rest.starts_with('=') && !rest.starts_with("==") {
        return Some("compare with `==`".to_string());
    }
    None
}

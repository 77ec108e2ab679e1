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
        | let_s | cut_s | weight_s | hist_s | counter_s | collect_s | skim_s | kw_skim
        | region_s | vary_s | derive_s | kw_analysis | kw_tree | kw_samples | kw_lumi
        | kw_output | kw_const | kw_object | kw_let | kw_cut | kw_weight | kw_region | kw_hist
        | kw_vary | kw_derive | kw_counter | kw_collect | correction_s | kw_correction | fn_s
        | kw_fn | table_s | kw_table | only_s | kw_only | profile_s | kw_profile => {
            "a new statement"
        }
        skim_item => "a skimmed value (`NAME = EXPR` or an expression)",
        kw_by => "`by`",
        table_edges | kw_edges => "`edges NAME [...]`",
        edge_list => "`[` starting a list of bin edges",
        table_values | kw_values => "`values [...]`",
        table_flow | kw_flow => "`flow clamp`, `flow error`, `flow wrap` or `flow VALUE`",
        kw_clamp | kw_error | kw_wrap => "`clamp`, `error` or `wrap`",
        kw_from => "`from`",
        field_name => "`COLLECTION.FIELD`",
        region_item => {
            "a region statement (`cut`, `let`, `weight`, `hist`, `profile`, `counter`, `collect`, \
             `skim`, `only`)"
        }
        region_from => "`from REGION`",
        expr | cond_expr | op_expr | operand | primary | call | paren | lumi_ref | kw_true
        | kw_false | kw_if | kw_not | neg_op | bnot_op => "an expression",
        tuple => "`(` starting a tuple",
        list_lit => "`[` starting a list",
        axis => "an axis such as `regular(25, 50, 550)`",
        field_suffix => "`.field`",
        index_suffix => "`[index]`",
        slice | slice_lo | slice_hi => "`[from:to]`",
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
        kw_as => "`as`",
        hist_weight => "`weight W` (the histogram's own weight)",
        vary_for => "`for`",
        vary_on => "`on`",
        vary_weight | vary_kin | replacement => "`weight` or `COLLECTION.FIELD = ...`",
        d_expr | d_term | d_unary | d_primary | d_call | d_ref | d_arg | proc_name => {
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
    // `(` starts an expression, and after a name it would start a call: noise either way.
    expected.retain(|e| !((has_expr || has_op) && e == "`(`"));
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

/// The first character outside strings and comments that is not ASCII (or is a control
/// character other than tab and line ends): a look-alike letter, an invisible space, a NUL. pest
/// would report the statement around it; this names the character itself.
pub(super) fn stray_character(source: &Arc<SourceFile>) -> Option<Diagnostic> {
    let text: &str = &source.text;
    let (mut in_string, mut in_comment, mut escaped) = (false, false, false);
    for (i, c) in text.char_indices() {
        if in_comment {
            in_comment = c != '\n' && c != '\r';
            continue;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '#' => in_comment = true,
            '"' => in_string = true,
            '\n' | '\r' | '\t' => {}
            // A byte-order mark opening the file is whitespace (editors write one).
            '\u{feff}' if i == 0 => {}
            c if c.is_control() || !c.is_ascii() => {
                let found = found_at(text, i);
                let help = hint(text, i, false);
                let mut d = Diagnostic::error(UNEXPECTED, format!("unexpected {found}"))
                    .in_file(source)
                    .with_primary(Span::new(i, i + c.len_utf8()), "this character");
                if let Some(h) = help {
                    d = d.with_help(h);
                }
                return Some(d);
            }
            _ => {}
        }
    }
    None
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
    } else if c.is_control() || !c.is_ascii() {
        // Shown by code point: a look-alike or an invisible character must not hide.
        match confusable(c) {
            Some((name, _)) => format!("U+{:04X} {name}", c as u32),
            None if c.is_control() => format!("the control character U+{:04X}", c as u32),
            None => format!("`{c}` (U+{:04X})", c as u32),
        }
    } else {
        format!("`{c}`")
    }
}

/// Characters that look like (or hide) ASCII ones, with their Unicode names and what to type.
fn confusable(c: char) -> Option<(&'static str, &'static str)> {
    Some(match c {
        '\u{0}' => ("NULL", "no character here (delete the NUL byte)"),
        '\u{a0}' => ("NO-BREAK SPACE", "a plain space"),
        '\u{2009}' => ("THIN SPACE", "a plain space"),
        '\u{200b}' => ("ZERO WIDTH SPACE", "no character here (delete it)"),
        '\u{feff}' => ("ZERO WIDTH NO-BREAK SPACE", "no character here (delete it)"),
        '\u{2212}' => ("MINUS SIGN", "`-`"),
        '\u{d7}' => ("MULTIPLICATION SIGN", "`*`"),
        '\u{201c}' | '\u{201d}' => ("DOUBLE QUOTATION MARK (curly)", "`\"`"),
        '\u{2018}' | '\u{2019}' => ("SINGLE QUOTATION MARK (curly)", "`\"` around strings"),
        '\u{430}' => ("CYRILLIC SMALL LETTER A", "`a`"),
        '\u{435}' => ("CYRILLIC SMALL LETTER IE", "`e`"),
        '\u{43e}' => ("CYRILLIC SMALL LETTER O", "`o`"),
        '\u{440}' => ("CYRILLIC SMALL LETTER ER", "`p`"),
        '\u{441}' => ("CYRILLIC SMALL LETTER ES", "`c`"),
        '\u{443}' => ("CYRILLIC SMALL LETTER U", "`y`"),
        '\u{445}' => ("CYRILLIC SMALL LETTER HA", "`x`"),
        '\u{456}' => ("CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I", "`i`"),
        '\u{458}' => ("CYRILLIC SMALL LETTER JE", "`j`"),
        '\u{455}' => ("CYRILLIC SMALL LETTER DZE", "`s`"),
        '\u{410}' => ("CYRILLIC CAPITAL LETTER A", "`A`"),
        '\u{412}' => ("CYRILLIC CAPITAL LETTER VE", "`B`"),
        '\u{415}' => ("CYRILLIC CAPITAL LETTER IE", "`E`"),
        '\u{41a}' => ("CYRILLIC CAPITAL LETTER KA", "`K`"),
        '\u{41c}' => ("CYRILLIC CAPITAL LETTER EM", "`M`"),
        '\u{41d}' => ("CYRILLIC CAPITAL LETTER EN", "`H`"),
        '\u{41e}' => ("CYRILLIC CAPITAL LETTER O", "`O`"),
        '\u{420}' => ("CYRILLIC CAPITAL LETTER ER", "`P`"),
        '\u{421}' => ("CYRILLIC CAPITAL LETTER ES", "`C`"),
        '\u{422}' => ("CYRILLIC CAPITAL LETTER TE", "`T`"),
        '\u{425}' => ("CYRILLIC CAPITAL LETTER HA", "`X`"),
        '\u{3b1}' => ("GREEK SMALL LETTER ALPHA", "`a`"),
        '\u{3bf}' => ("GREEK SMALL LETTER OMICRON", "`o`"),
        '\u{3bd}' => ("GREEK SMALL LETTER NU", "`v`"),
        '\u{3c1}' => ("GREEK SMALL LETTER RHO", "`p`"),
        '\u{391}' => ("GREEK CAPITAL LETTER ALPHA", "`A`"),
        '\u{392}' => ("GREEK CAPITAL LETTER BETA", "`B`"),
        '\u{395}' => ("GREEK CAPITAL LETTER EPSILON", "`E`"),
        '\u{397}' => ("GREEK CAPITAL LETTER ETA", "`H`"),
        '\u{399}' => ("GREEK CAPITAL LETTER IOTA", "`I`"),
        '\u{39a}' => ("GREEK CAPITAL LETTER KAPPA", "`K`"),
        '\u{39c}' => ("GREEK CAPITAL LETTER MU", "`M`"),
        '\u{39d}' => ("GREEK CAPITAL LETTER NU", "`N`"),
        '\u{39f}' => ("GREEK CAPITAL LETTER OMICRON", "`O`"),
        '\u{3a1}' => ("GREEK CAPITAL LETTER RHO", "`P`"),
        '\u{3a4}' => ("GREEK CAPITAL LETTER TAU", "`T`"),
        '\u{3a7}' => ("GREEK CAPITAL LETTER CHI", "`X`"),
        _ => return None,
    })
}

/// A targeted hint for common slips.
fn hint(text: &str, pos: usize, wants_name: bool) -> Option<String> {
    let rest = text.get(pos..).unwrap_or("");
    if let Some(c) = rest.chars().next()
        && (c.is_control() || !c.is_ascii())
        && c != '\n'
        && c != '\r'
        && c != '\t'
    {
        return Some(match confusable(c) {
            Some((_, instead)) => format!("it looks like ASCII but is not: type {instead} instead"),
            None => "names, numbers and operators are ASCII; non-ASCII text belongs in strings and comments"
                .to_string(),
        });
    }
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

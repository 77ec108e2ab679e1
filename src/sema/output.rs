//! The output-name template (`output "{region}_{hist}_{process}[_{variation}]"`).
//!
//! Input: the template string and the file's histograms and variations. Output: the parsed
//! [`OutputTemplate`] (in `Checked`) and errors for unknown placeholders, unbalanced brackets, and
//! templates that would give two histograms the same name.

use super::check::{Checker, suggest};
use super::stmts::Facts;
use crate::diagnostics::{Code, Span};
use crate::syntax::ast;

/// A `{name}` the template does not know, or a malformed template.
pub const UNKNOWN_PLACEHOLDER: Code = Code("anac::sema::unknown-placeholder");
/// The template can make two histograms' output names equal.
pub const OUTPUT_COLLISION: Code = Code("anac::sema::output-collision");

/// The default template: the histogram's own name keeps two histograms of a region apart.
pub const DEFAULT_TEMPLATE: &str = "{region}_{hist}_{process}[_{variation}]";
const PLACEHOLDERS: &[&str] = &["region", "hist", "process", "variation"];

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputPart {
    Text(String),
    /// `{region}`, `{hist}`, `{process}` or `{variation}`.
    Placeholder(String),
    /// `[...]`: dropped for the nominal variation.
    NonNominal(Vec<OutputPart>),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct OutputTemplate {
    pub text: String,
    pub parts: Vec<OutputPart>,
}

impl OutputTemplate {
    fn uses(&self, name: &str) -> bool {
        fn walk(parts: &[OutputPart], name: &str) -> bool {
            parts.iter().any(|p| match p {
                OutputPart::Placeholder(n) => n == name,
                OutputPart::NonNominal(inner) => walk(inner, name),
                OutputPart::Text(_) => false,
            })
        }
        walk(&self.parts, name)
    }
}

/// Parses a template; errors are (byte range within the text, message).
pub fn parse_template(text: &str) -> Result<Vec<OutputPart>, (usize, usize, String)> {
    let mut stack: Vec<(usize, Vec<OutputPart>)> = vec![(0, Vec::new())];
    let mut lit = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' => {
                let rest = &text[i + 1..];
                let Some(end) = rest.find('}') else {
                    return Err((i, text.len(), "unclosed `{`".into()));
                };
                let name = &rest[..end];
                if !PLACEHOLDERS.contains(&name) {
                    let hint = suggest(name, PLACEHOLDERS.iter().copied())
                        .map(|h| format!("; did you mean `{{{h}}}`?"))
                        .unwrap_or_default();
                    return Err((
                        i,
                        i + end + 2,
                        format!("unknown placeholder `{{{name}}}`{hint}"),
                    ));
                }
                if let Some(top) = stack.last_mut() {
                    if !lit.is_empty() {
                        top.1.push(OutputPart::Text(std::mem::take(&mut lit)));
                    }
                    top.1.push(OutputPart::Placeholder(name.to_string()));
                }
                for _ in 0..end + 1 {
                    chars.next();
                }
            }
            '[' => {
                if stack.len() > 1 {
                    return Err((i, i + 1, "brackets cannot nest".into()));
                }
                if let Some(top) = stack.last_mut()
                    && !lit.is_empty()
                {
                    top.1.push(OutputPart::Text(std::mem::take(&mut lit)));
                }
                stack.push((i, Vec::new()));
            }
            ']' => {
                if stack.len() < 2 {
                    return Err((i, i + 1, "`]` without `[`".into()));
                }
                let Some((_, mut inner)) = stack.pop() else {
                    return Err((i, i + 1, "`]` without `[`".into()));
                };
                if !lit.is_empty() {
                    inner.push(OutputPart::Text(std::mem::take(&mut lit)));
                }
                if let Some(top) = stack.last_mut() {
                    top.1.push(OutputPart::NonNominal(inner));
                }
            }
            c => lit.push(c),
        }
    }
    if stack.len() > 1 {
        let open = stack.last().map_or(0, |s| s.0);
        return Err((open, open + 1, "unclosed `[`".into()));
    }
    let mut parts = stack.pop().map(|s| s.1).unwrap_or_default();
    if !lit.is_empty() {
        parts.push(OutputPart::Text(lit));
    }
    Ok(parts)
}

impl Checker<'_> {
    pub(super) fn check_output(&mut self, file: &ast::File, facts: &Facts) {
        let (text, span) = match file.output_template() {
            Some(s) => (s.value.clone(), Some(s.span)),
            None => (DEFAULT_TEMPLATE.to_string(), None),
        };
        let parts = match parse_template(&text) {
            Ok(p) => p,
            Err((a, b, msg)) => {
                let Some(s) = span else { return };
                // Offsets are exact when the string has no escapes; otherwise point at it all.
                let text = &self.source.text;
                let (from, to) = (s.start + 1 + a, (s.start + 1 + b).min(s.end));
                let exact = !text[s.range()].contains('\\')
                    && text.is_char_boundary(from)
                    && text.is_char_boundary(to);
                let inner = if exact { Span::new(from, to) } else { s };
                self.error(UNKNOWN_PLACEHOLDER, inner, format!("invalid output template: {msg}"), "here")
                    .help = Some("placeholders are {region}, {hist}, {process}, {variation}; `[...]` is dropped for nominal".into());
                return;
            }
        };
        self.out.output = OutputTemplate { text, parts };
        let Some(span) = span else { return };
        let t = self.out.output.clone();
        // Two histograms in one region collide without {hist}.
        if !t.uses("hist") {
            let mut seen: Vec<(&str, &str, Span)> = Vec::new();
            for (region, name, s) in &facts.hists {
                if let Some((_, other, _)) = seen.iter().find(|(r, _, _)| r == region) {
                    let d = crate::diagnostics::Diagnostic::error(
                        OUTPUT_COLLISION,
                        format!("output names collide: region `{region}` has histograms `{other}` and `{name}` but the template has no `{{hist}}`"),
                    )
                    .with_primary(span, "template without {hist}")
                    .with_label(*s, "second histogram of the region")
                    .with_help("add `{hist}` to the template, or keep one histogram per region");
                    self.push(d);
                    return;
                }
                seen.push((region, name, *s));
            }
        }
        if !t.uses("region") {
            let regions: std::collections::BTreeSet<&str> =
                facts.hists.iter().map(|(r, _, _)| r.as_str()).collect();
            let mut by_name: Vec<&str> = facts.hists.iter().map(|(_, n, _)| n.as_str()).collect();
            by_name.sort();
            let dup = by_name.windows(2).any(|w| w[0] == w[1]);
            if regions.len() > 1 && (dup || !t.uses("hist")) {
                self.error(OUTPUT_COLLISION, span, "output names collide: histograms of different regions get the same name; the template has no `{region}`".into(), "template without {region}")
                    .help = Some("add `{region}` to the template".into());
                return;
            }
        }
        let many_processes = self.env.processes.is_none_or(|p| p.len() > 1);
        if !t.uses("process") && many_processes && facts.has_outputs {
            self.error(OUTPUT_COLLISION, span, "output names collide: every process gets the same name; the template has no `{process}`".into(), "template without {process}")
                .help = Some("add `{process}` to the template".into());
            return;
        }
        if !t.uses("variation") && !self.out.variations.is_empty() && facts.has_outputs {
            self.error(OUTPUT_COLLISION, span, "output names collide: variations get the nominal name; the template has no `{variation}`".into(), "template without {variation}")
                .help = Some("add `[_{variation}]` to the template".into());
        }
    }
}

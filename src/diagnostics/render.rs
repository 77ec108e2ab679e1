//! The one place diagnostics become text: miette for people, JSON for editors and CI.

use super::{Diagnostic, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde::Serialize;
use std::fmt;

/// Adapter giving a [`Diagnostic`] the shape miette renders.
struct Report<'a> {
    diag: &'a Diagnostic,
    source: Option<NamedSource<String>>,
    related: Vec<Report<'a>>,
}

impl<'a> Report<'a> {
    fn new(diag: &'a Diagnostic) -> Report<'a> {
        Report {
            diag,
            source: diag
                .source
                .as_ref()
                .map(|s| NamedSource::new(s.path.display().to_string(), s.text.to_string())),
            related: diag.related.iter().map(Report::new).collect(),
        }
    }
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        Some(Box::new(self.diag.labels.iter().map(|l| {
            let text = (!l.message.is_empty()).then(|| l.message.clone());
            if l.primary {
                LabeledSpan::new_primary_with_span(text, l.span.range())
            } else {
                LabeledSpan::new_with_span(text, l.span.range())
            }
        })))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}

/// Human-readable rendering, with colours when `color` is set (a terminal).
pub fn render_human(diag: &Diagnostic, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    let report = Report::new(diag);
    if handler.render_report(&mut out, &report).is_err() {
        // Rendering into a String cannot fail on I/O; fall back to the plain message anyway.
        out = format!(
            "{}[{}]: {}\n",
            severity_word(diag.severity),
            diag.code,
            diag.message
        );
    }
    out
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// One diagnostic as editors and CI read it.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic {
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
    pub severity: &'static str,
    pub code: &'static str,
    pub message: String,
    pub help: Option<String>,
}

impl JsonDiagnostic {
    pub fn from(diag: &Diagnostic) -> JsonDiagnostic {
        let source = diag.source.as_ref();
        let span = diag.primary_span();
        let start = source.zip(span).map(|(s, sp)| s.line_col(sp.start));
        let end = source.zip(span).map(|(s, sp)| s.line_col(sp.end));
        JsonDiagnostic {
            file: source.map(|s| s.path.display().to_string()),
            line: start.map(|p| p.0),
            column: start.map(|p| p.1),
            end_line: end.map(|p| p.0),
            end_column: end.map(|p| p.1),
            severity: severity_word(diag.severity),
            code: diag.code.as_str(),
            message: diag.message.clone(),
            help: diag.help.clone(),
        }
    }
}

/// All diagnostics as one JSON document: `{"diagnostics": [...], "errors": N, "warnings": M}`.
pub fn render_json(diags: &[Diagnostic]) -> String {
    let list: Vec<JsonDiagnostic> = diags.iter().map(JsonDiagnostic::from).collect();
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let doc = serde_json::json!({
        "diagnostics": list,
        "errors": errors,
        "warnings": diags.len() - errors,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::{Code, SourceFile, Span};

    #[test]
    fn human_rendering_shows_code_position_label_and_help() {
        let src = SourceFile::new("t.ana", "let x = foo + 1\n");
        let d = Diagnostic::error(Code("anac::io::unreadable"), "unknown name `foo`")
            .in_file(&src)
            .with_primary(Span::new(8, 11), "not defined")
            .with_help("did you mean `for`?");
        let text = render_human(&d, false);
        assert!(text.contains("anac::io::unreadable"), "{text}");
        assert!(text.contains("t.ana:1:9"), "{text}");
        assert!(text.contains("not defined"), "{text}");
        assert!(text.contains("did you mean"), "{text}");
        let json = render_json(&[d]);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["diagnostics"][0]["line"], 1);
        assert_eq!(v["diagnostics"][0]["column"], 9);
        assert_eq!(v["errors"], 1);
    }
}

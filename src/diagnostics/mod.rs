//! Diagnostics as plain data.
//!
//! Every stage (syntax, sema, samples YAML, ROOT I/O seen from `check`) reports problems as
//! [`Diagnostic`] values: a stable [`Code`], a severity, a message, labelled spans into a
//! [`SourceFile`], an optional help line and related notes. Nothing here prints; rendering
//! happens in one place, [`render`], through miette (human) or serde (JSON).
//!
//! Invariant: a span always lies inside the source it names (byte offsets on char boundaries).

mod codes;
mod render;

pub use codes::{Code, common, explain};
pub use render::{JsonDiagnostic, MAX_PER_CODE, render_human, render_human_list, render_json};

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

/// A byte range into one source file. Our own type: no parser types leak past `syntax`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        debug_assert!(start <= end);
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// A named text that spans point into (an `.ana` file, a samples YAML).
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
    /// Byte offset of every line's start, built once on first use: positions cost a binary
    /// search, not a scan from the start of the file.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> Arc<SourceFile> {
        Arc::new(SourceFile {
            path: path.into(),
            text: text.into(),
            line_starts: std::sync::OnceLock::new(),
        })
    }

    fn line_starts(&self) -> &[usize] {
        // A line ends at "\n", "\r\n" or a lone "\r" (old Mac files), as the renderer counts.
        self.line_starts.get_or_init(|| {
            let b = self.text.as_bytes();
            let mut starts = vec![0];
            for (i, &c) in b.iter().enumerate() {
                if c == b'\n' || (c == b'\r' && b.get(i + 1) != Some(&b'\n')) {
                    starts.push(i + 1);
                }
            }
            starts
        })
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let starts = self.line_starts();
        let line = starts.partition_point(|&s| s <= offset);
        let line_start = starts[line - 1];
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }

    /// Byte offset of a 1-based line and column (columns in characters), clamped to the text.
    /// Used to turn positions reported by other parsers (YAML) into spans.
    pub fn offset_of(&self, line: usize, col: usize) -> usize {
        let starts = self.line_starts();
        let Some(&start) = line.checked_sub(1).and_then(|i| starts.get(i)) else {
            return self.text.len();
        };
        let end = starts.get(line).copied().unwrap_or(self.text.len());
        let within: usize = self.text[start..end]
            .chars()
            .take(col.saturating_sub(1))
            .map(char::len_utf8)
            .sum();
        start + within
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Warning,
    Error,
}

/// A span with a short message shown under it.
#[derive(Debug, Clone)]
pub struct Label {
    pub span: Span,
    pub message: String,
    /// The primary label is the one the diagnostic's line and column come from.
    pub primary: bool,
}

/// One problem found in user input.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// The file the labels point into; `None` for problems with no text to show (a missing file
    /// named on the command line).
    pub source: Option<Arc<SourceFile>>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// Further notes, possibly in other files (e.g. "first defined here").
    pub related: Vec<Diagnostic>,
}

impl Diagnostic {
    /// An error with the code's default severity overridden to `Error`.
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, Severity::Error, message)
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(code, Severity::Warning, message)
    }

    pub fn new(code: Code, severity: Severity, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            source: None,
            labels: Vec::new(),
            help: None,
            related: Vec::new(),
        }
    }

    pub fn in_file(mut self, source: &Arc<SourceFile>) -> Diagnostic {
        self.source = Some(source.clone());
        self
    }

    /// The primary label: where the problem is.
    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// A secondary label: context for the problem.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, related: Diagnostic) -> Diagnostic {
        self.related.push(related);
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The span the diagnostic's position is taken from.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }

    /// 1-based (line, column) of the primary span, when there is a file.
    pub fn position(&self) -> Option<(usize, usize)> {
        let source = self.source.as_ref()?;
        Some(source.line_col(self.primary_span()?.start))
    }
}

/// Diagnostics gathered by a stage, in the order found.
#[derive(Debug, Default, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(ds);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> usize {
        self.0.iter().filter(|d| d.is_error()).count()
    }

    pub fn warnings(&self) -> usize {
        self.0.len() - self.errors()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Sorted by file, then position, so output is stable whatever order stages ran in.
    pub fn sorted(mut self) -> Diagnostics {
        self.0.sort_by_key(|d| {
            (
                d.source.as_ref().map(|s| s.path.clone()),
                d.primary_span().map(|s| s.start),
            )
        });
        self
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cr_only_and_crlf_line_endings_count_as_lines() {
        let cr = SourceFile::new("a", "tree Events\rlet a = 1\rlet b = x\r");
        assert_eq!(cr.line_col(cr.text.find('x').unwrap()), (3, 9));
        let crlf = SourceFile::new("b", "tree Events\r\nlet a = 1\r\nlet b = x\r\n");
        assert_eq!(crlf.line_col(crlf.text.find('x').unwrap()), (3, 9));
        assert_eq!(crlf.offset_of(3, 9), crlf.text.find('x').unwrap());
    }

    #[test]
    fn line_col_counts_lines_and_chars() {
        let f = SourceFile::new("a.ana", "ab\ncdé f\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // 'f' is after "cdé " = 5 bytes (é is two).
        assert_eq!(f.line_col(3 + 5), (2, 5));
        assert_eq!(f.offset_of(2, 5), 8);
    }
}

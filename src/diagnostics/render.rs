//! The one place diagnostics become text: miette for people, JSON for editors and CI.

use super::{Diagnostic, Severity};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan};
use serde::Serialize;
use std::fmt;

/// Adapter giving a [`Diagnostic`] the shape miette renders.
struct Report<'a> {
    diag: &'a Diagnostic,
    source: Option<Excerpt>,
    /// The labels' byte ranges in the excerpt.
    spans: Vec<std::ops::Range<usize>>,
    /// For labels on an elided line: their real column (miette's header counts the copy's).
    columns: Vec<Option<usize>>,
    related: Vec<Report<'a>>,
}

/// The lines of a file that a diagnostic shows (its labels' lines and a few around them), with
/// long lines elided: rendering costs the size of the excerpt, not of the file.
struct Excerpt {
    name: String,
    text: String,
    /// 0-based number of the excerpt's first line in the file.
    first_line: usize,
}

impl miette::SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self.text.as_bytes().read_span(span, before, after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// Lines of context kept above and below the labels (miette shows one).
const EXCERPT_CONTEXT: usize = 2;

impl<'a> Report<'a> {
    fn new(diag: &'a Diagnostic) -> Report<'a> {
        let ranges: Vec<_> = diag.labels.iter().map(|l| l.span.range()).collect();
        let Some(s) = &diag.source else {
            return Report {
                diag,
                source: None,
                spans: ranges,
                columns: Vec::new(),
                related: diag.related.iter().map(Report::new).collect(),
            };
        };
        let text: &str = &s.text;
        let clamp = |x: usize| x.min(text.len());
        // The lines the labels touch, and a little context.
        let (lo, hi) = ranges.iter().fold((usize::MAX, 0), |(lo, hi), r| {
            (lo.min(clamp(r.start)), hi.max(clamp(r.end)))
        });
        let (lo, hi) = if ranges.is_empty() { (0, 0) } else { (lo, hi) };
        let (first_line, _) = s.line_col(lo);
        let (last_line, _) = s.line_col(hi);
        let from_line = first_line.saturating_sub(1 + EXCERPT_CONTEXT);
        let to_line = last_line + EXCERPT_CONTEXT;
        let start = s.offset_of(from_line + 1, 1);
        let end = {
            let e = s.offset_of(to_line + 1, 1);
            if e <= start { text.len() } else { e }
        };
        let piece = &text[start..end];
        let local: Vec<_> = ranges
            .iter()
            .map(|r| clamp(r.start).saturating_sub(start)..clamp(r.end).saturating_sub(start))
            .collect();
        // A lone "\r" ends a line (old Mac files) for anac but not for miette: make it "\n",
        // which is one byte too, so the spans stay.
        let piece = lone_cr_as_lf(piece);
        let (excerpt, spans) = elide_long_lines(&piece, &local);
        let (excerpt, spans) = picture_controls(&excerpt, &spans);
        let columns = ranges
            .iter()
            .map(|r| {
                let (line, col) = s.line_col(clamp(r.start));
                let line_start = s.offset_of(line, 1);
                let line_end = s.offset_of(line + 1, 1);
                (line_end.saturating_sub(line_start) > MAX_LINE + 1).then_some(col)
            })
            .collect();
        Report {
            diag,
            source: Some(Excerpt {
                name: s.path.display().to_string(),
                text: excerpt,
                first_line: from_line,
            }),
            spans,
            columns,
            related: diag.related.iter().map(Report::new).collect(),
        }
    }
}

/// Lines longer than this are shown as a window around their labels (miette cannot draw labels
/// far to the right, and nobody reads a 70,000-column line).
const MAX_LINE: usize = 240;
/// Characters kept on each side of the labels of a long line.
const CONTEXT: usize = 60;

/// A copy of `text` where every line longer than [`MAX_LINE`] bytes is cut to a window around
/// the labels on it (or to its start when it has none), with `…` where text was left out; the
/// label ranges are moved to match. Line numbers are unchanged.
fn elide_long_lines(
    text: &str,
    ranges: &[std::ops::Range<usize>],
) -> (String, Vec<std::ops::Range<usize>>) {
    if text.lines().all(|l| l.len() <= MAX_LINE) {
        return (text.to_string(), ranges.to_vec());
    }
    let mut out = String::with_capacity(text.len().min(1 << 20));
    // (old byte offset, new byte offset) pairs at which the mapping changes, increasing.
    let mut map: Vec<(usize, isize)> = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.len();
        let body = line.trim_end_matches(['\n', '\r']);
        if body.len() <= MAX_LINE {
            map.push((start, out.len() as isize - start as isize));
            out.push_str(line);
        } else {
            let here: Vec<_> = ranges
                .iter()
                .filter(|r| r.start >= start && r.start <= start + body.len())
                .collect();
            let (lo, hi) = match (
                here.iter().map(|r| r.start).min(),
                here.iter().map(|r| r.end).max(),
            ) {
                (Some(a), Some(b)) => (a - start, (b - start).min(body.len())),
                _ => (0, 0),
            };
            let floor = |mut i: usize| {
                while i > 0 && !body.is_char_boundary(i) {
                    i -= 1;
                }
                i
            };
            let from = floor(lo.saturating_sub(CONTEXT));
            let to = floor((hi + CONTEXT).min(body.len()).max(from));
            let to = if to - from > 4 * MAX_LINE {
                floor(from + 4 * MAX_LINE)
            } else {
                to
            };
            if from > 0 {
                out.push('…');
            }
            map.push((start + from, out.len() as isize - (start + from) as isize));
            out.push_str(&body[from..to]);
            if to < body.len() {
                out.push('…');
            }
            out.push_str(&line[body.len()..]);
        }
        start = end;
    }
    let moved = |x: usize| -> usize {
        let k = map.partition_point(|(at, _)| *at <= x);
        let delta = if k == 0 { 0 } else { map[k - 1].1 };
        ((x as isize + delta).max(0) as usize).min(out.len())
    };
    let spans = ranges
        .iter()
        .map(|r| {
            let a = moved(r.start);
            a..moved(r.end).max(a)
        })
        .collect();
    (out, spans)
}

/// `text` with every "\r" not followed by "\n" replaced by "\n".
fn lone_cr_as_lf(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let lone = |i: usize| b[i] == b'\r' && b.get(i + 1) != Some(&b'\n');
    if !(0..b.len()).any(lone) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        out.push(if lone(i) { '\n' } else { c });
    }
    std::borrow::Cow::Owned(out)
}

/// What a character of the file or of a message is drawn as, when it must not reach the
/// terminal as itself: C0 controls (but tab and line ends) and DEL as their Unicode control
/// pictures (U+241B for ESC), C1 controls and bidirectional overrides as U+FFFD. The diagnostic
/// that points at such a character names its code point.
fn picture(c: char) -> Option<char> {
    match c {
        '\t' | '\n' | '\r' => None,
        '\0'..='\u{1f}' => char::from_u32(0x2400 + c as u32),
        '\u{7f}' => Some('\u{2421}'),
        '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => Some('\u{fffd}'),
        _ => None,
    }
}

/// `s` with every character [`picture`] replaces drawn as its picture.
fn visible(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().all(|c| picture(c).is_none()) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(s.chars().map(|c| picture(c).unwrap_or(c)).collect())
}

/// [`visible`] for an excerpt, with the label ranges moved to match (a picture is longer in
/// UTF-8 than the control it stands for).
fn picture_controls(
    text: &str,
    ranges: &[std::ops::Range<usize>],
) -> (String, Vec<std::ops::Range<usize>>) {
    if text.chars().all(|c| picture(c).is_none()) {
        return (text.to_string(), ranges.to_vec());
    }
    let mut out = String::with_capacity(text.len() + 16);
    // (old offset just after a replaced character, shift from there on), increasing.
    let mut map: Vec<(usize, usize)> = Vec::new();
    for (i, c) in text.char_indices() {
        match picture(c) {
            Some(p) => {
                out.push(p);
                map.push((i + c.len_utf8(), out.len() - (i + c.len_utf8())));
            }
            None => out.push(c),
        }
    }
    let moved = |x: usize| -> usize {
        let k = map.partition_point(|(at, _)| *at <= x);
        x + if k == 0 { 0 } else { map[k - 1].1 }
    };
    let spans = ranges
        .iter()
        .map(|r| moved(r.start)..moved(r.end))
        .collect();
    (out, spans)
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&visible(&self.diag.message))
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
            .map(|h| Box::new(visible(h).into_owned()) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        Some(Box::new(
            self.diag
                .labels
                .iter()
                .zip(&self.spans)
                .enumerate()
                .map(|(i, (l, r))| {
                    let column = self.columns.get(i).copied().flatten();
                    let text = match column {
                        Some(c) => Some(format!(
                            "{} (column {c} of a long line)",
                            visible(&l.message)
                        )),
                        None => (!l.message.is_empty()).then(|| visible(&l.message).into_owned()),
                    };
                    if l.primary {
                        LabeledSpan::new_primary_with_span(text, r.clone())
                    } else {
                        LabeledSpan::new_with_span(text, r.clone())
                    }
                }),
        ))
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
            visible(&diag.message)
        );
    }
    out
}

/// At most this many diagnostics of one code are rendered for people; the rest are counted.
pub const MAX_PER_CODE: usize = 50;

/// Human rendering of a list of diagnostics: each code's first [`MAX_PER_CODE`], then one line
/// saying how many more there are (JSON output keeps them all).
pub fn render_human_list(diags: &[Diagnostic], color: bool) -> String {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut out = String::new();
    for d in diags {
        let n = seen.entry(d.code.as_str()).or_insert(0);
        *n += 1;
        if *n <= MAX_PER_CODE {
            out.push_str(&render_human(d, color));
        }
    }
    let mut more: Vec<(&str, usize)> = seen
        .into_iter()
        .filter(|(_, n)| *n > MAX_PER_CODE)
        .map(|(c, n)| (c, n - MAX_PER_CODE))
        .collect();
    more.sort();
    for (code, n) in more {
        out.push_str(&format!(
            "... and {n} more {code} (the first {MAX_PER_CODE} are shown; `--format json` lists all)\n"
        ));
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
    fn control_characters_of_the_file_never_reach_the_terminal() {
        // ESC [31m would turn a terminal red; NUL, BEL, DEL and a bidi override likewise stay out.
        let src = SourceFile::new("t.ana", "let a\u{1b}[31m = \u{7}\0\u{7f} x\u{202e}y\n");
        let at = src.text.find('x').unwrap();
        let d = Diagnostic::error(Code("anac::syntax::unexpected"), "bad `\u{1b}`")
            .in_file(&src)
            .with_primary(Span::new(at, at + 1), "here\u{7}")
            .with_help("\u{1b}[0m");
        for color in [false, true] {
            let text = render_human(&d, color);
            let plain: String = text.replace("\u{1b}[", "");
            for bad in ['\u{1b}', '\u{7}', '\0', '\u{7f}', '\u{202e}'] {
                assert!(
                    color && bad == '\u{1b}' || !text.contains(bad),
                    "{bad:?} in {text:?}"
                );
            }
            assert!(
                !plain.contains("[31m") || plain.contains('\u{241b}'),
                "{text}"
            );
            assert!(text.contains("t.ana:1:"), "{text}");
        }
        let text = render_human(&d, false);
        assert!(
            text.contains("let a\u{241b}[31m = \u{2407}\u{2400}\u{2421}"),
            "{text}"
        );
        // The label still points at `x`, after the pictures that are longer than their bytes.
        let line = text.lines().find(|l| l.contains("let a")).unwrap();
        let mark = text.lines().find(|l| l.contains('┬')).unwrap();
        let col = |s: &str, c: char| s.chars().position(|x| x == c).unwrap();
        assert_eq!(col(line, 'x'), col(mark, '┬'), "{text}");
    }

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

#[cfg(test)]
mod long_line_tests {
    use super::*;
    use crate::diagnostics::{Code, SourceFile, Span};

    #[test]
    fn labels_far_to_the_right_render_as_a_window_with_their_real_column() {
        let text = format!(
            "tree Events\ncut \"x\" {}1 + true\nlet y = 2\n",
            " ".repeat(70_000)
        );
        let at = text.find("true").unwrap();
        let src = SourceFile::new("long.ana", text.clone());
        let d = Diagnostic::error(Code("anac::sema::type-mismatch"), "bad")
            .in_file(&src)
            .with_primary(Span::new(at, at + 4), "this");
        let out = render_human(&d, false);
        assert!(out.contains("1 + true"), "{out}");
        assert!(out.contains("column 70013 of a long line"), "{out}");
        assert!(out.lines().all(|l| l.chars().count() < 600), "{out}");
        // A label spanning a whole long line, and a multi-byte character at the cut.
        let text = format!("{}é{}\n", "a".repeat(300), "b".repeat(300));
        let src = SourceFile::new("wide.ana", text.clone());
        let d = Diagnostic::error(Code("anac::sema::type-mismatch"), "wide")
            .in_file(&src)
            .with_primary(Span::new(0, text.len() - 1), "all of it");
        let out = render_human(&d, false);
        assert!(out.contains("all of it"), "{out}");
    }
}

//! YAML text → a small tree of [`Node`]s whose every key and value carries its byte [`Span`].
//!
//! This is the only module that knows which YAML parser anac uses (saphyr's event parser), so the
//! parser can be swapped without touching the samples checks. The tree is built from the parser's
//! events rather than from saphyr's own document type because anac needs what that type drops:
//! the span of every mapping *key*, the order of keys, and *both* places of a duplicated key.
//!
//! Invariants:
//! - every span is a byte range inside the text given to [`parse`], on char boundaries;
//! - a mapping keeps its keys in file order and holds each key once (later duplicates are
//!   reported and dropped);
//! - nesting deeper than [`MAX_DEPTH`] and aliases copying more than [`MAX_ALIAS_NODES`] are errors, never
//!   a stack overflow or a memory blow-up.

use crate::diagnostics::{Code, Diagnostic, SourceFile, Span};
use saphyr::Scalar as SaphyrScalar;
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// The text is not valid YAML.
pub const SYNTAX: Code = Code("anac::samples::yaml-syntax");
/// A mapping holds the same key twice.
pub const DUPLICATE_KEY: Code = Code("anac::samples::duplicate-key");

/// Deepest nesting of sequences and mappings accepted.
pub const MAX_DEPTH: usize = 64;
/// Most values aliases may copy in one document (each alias copies its anchor's values). Plain
/// values need no limit: their number is bounded by the text's length.
pub const MAX_ALIAS_NODES: usize = 100_000;

/// A resolved scalar (YAML 1.2 core schema: quoted scalars are always strings).
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

/// A mapping key: keys are scalars, kept as the text written in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// One YAML value and where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

impl Node {
    /// What a user would call this kind of value, for "expected X, found Y" messages.
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Scalar(Scalar::Null) => "nothing (null)",
            Value::Scalar(Scalar::Bool(_)) => "a boolean",
            Value::Scalar(Scalar::Int(_)) => "an integer",
            Value::Scalar(Scalar::Float(_)) => "a number",
            Value::Scalar(Scalar::Str(_)) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Parses `source` as a single YAML document. Returns the root (or `None` when the text is empty
/// or broken) and every problem found; duplicate keys are reported but do not stop the parse.
pub fn parse(source: &Arc<SourceFile>) -> (Option<Node>, Vec<Diagnostic>) {
    let mut builder = Builder {
        source,
        offsets: char_offsets(&source.text),
        parser: Parser::new_from_str(&source.text),
        anchors: HashMap::new(),
        nodes: 0,
        diags: Vec::new(),
    };
    let root = builder.document();
    (root, builder.diags)
}

/// Byte offset of each char index (the parser counts characters), plus the end of the text.
fn char_offsets(text: &str) -> Vec<usize> {
    let mut v: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    v.push(text.len());
    v
}

/// Why building stopped: the error is already recorded as a diagnostic.
struct Stop;

struct Builder<'a> {
    source: &'a Arc<SourceFile>,
    offsets: Vec<usize>,
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
    /// Values copied by aliases so far.
    nodes: usize,
    diags: Vec<Diagnostic>,
}

impl<'a> Builder<'a> {
    fn span(&self, s: saphyr_parser::Span) -> Span {
        let at = |i: usize| {
            self.offsets
                .get(i)
                .or(self.offsets.last())
                .copied()
                .unwrap_or(0)
        };
        Span::new(
            at(s.start.index()),
            at(s.end.index()).max(at(s.start.index())),
        )
    }

    fn error(&mut self, span: Span, message: impl Into<String>, label: &str) -> Stop {
        let d = Diagnostic::error(SYNTAX, message)
            .in_file(self.source)
            .with_primary(span, label.to_string());
        self.diags.push(d);
        Stop
    }

    /// The next event, with a parse error turned into a diagnostic.
    fn next(&mut self) -> Result<(Event<'a>, Span), Stop> {
        match self.parser.next() {
            Some(Ok((ev, span))) => {
                let span = self.span(span);
                Ok((ev, span))
            }
            Some(Err(e)) => {
                let at = self
                    .offsets
                    .get(e.marker().index())
                    .or(self.offsets.last())
                    .copied()
                    .unwrap_or(0);
                let info = e.info().to_string();
                Err(self.error(Span::new(at, at), format!("invalid YAML: {info}"), "here"))
            }
            None => {
                let end = self.source.text.len();
                Err(self.error(Span::new(end, end), "unexpected end of YAML", "here"))
            }
        }
    }

    fn document(&mut self) -> Option<Node> {
        let root = self.document_inner().ok()?;
        if root.is_none() {
            let end = self.source.text.len();
            self.diags.push(
                Diagnostic::error(SYNTAX, "the YAML file holds no document")
                    .in_file(self.source)
                    .with_primary(Span::new(0, end), "empty"),
            );
        }
        root
    }

    fn document_inner(&mut self) -> Result<Option<Node>, Stop> {
        let mut root = None;
        loop {
            let (ev, span) = self.next()?;
            match ev {
                Event::StreamStart | Event::Nothing | Event::DocumentEnd => {}
                Event::StreamEnd => return Ok(root),
                Event::DocumentStart(_) => {
                    if root.is_some() {
                        return Err(self.error(
                            span,
                            "a samples file must hold one YAML document, found a second",
                            "second document starts here",
                        ));
                    }
                    let (ev, span) = self.next()?;
                    root = Some(self.node(ev, span, 0)?);
                }
                other => {
                    let n = self.node(other, span, 0)?;
                    root = Some(n);
                }
            }
        }
    }

    fn count(&mut self, span: Span, n: usize) -> Result<(), Stop> {
        self.nodes += n;
        if self.nodes > MAX_ALIAS_NODES {
            return Err(self.error(
                span,
                format!("aliases copy more than {MAX_ALIAS_NODES} values"),
                "limit reached here",
            ));
        }
        Ok(())
    }

    fn node(&mut self, ev: Event<'a>, span: Span, depth: usize) -> Result<Node, Stop> {
        if depth > MAX_DEPTH {
            return Err(self.error(
                span,
                format!("YAML nested deeper than {MAX_DEPTH} levels"),
                "too deep",
            ));
        }
        let (node, anchor) = match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let scalar = resolve(text, style, tag.as_ref());
                let node = match scalar {
                    Some(s) => Node {
                        value: Value::Scalar(s),
                        span,
                    },
                    None => {
                        return Err(self.error(
                            span,
                            "this value does not match its `!!` tag",
                            "bad tagged value",
                        ));
                    }
                };
                (node, anchor)
            }
            Event::SequenceStart(anchor, _) => {
                let mut items = Vec::new();
                let end = loop {
                    let (ev, s) = self.next()?;
                    if ev == Event::SequenceEnd {
                        break s;
                    }
                    items.push(self.node(ev, s, depth + 1)?);
                };
                let span = span.to(end);
                (
                    Node {
                        value: Value::Seq(items),
                        span: trim(&self.source.text, span),
                    },
                    anchor,
                )
            }
            Event::MappingStart(anchor, _) => {
                let (entries, end) = self.mapping(depth)?;
                let span = span.to(end);
                (
                    Node {
                        value: Value::Map(entries),
                        span: trim(&self.source.text, span),
                    },
                    anchor,
                )
            }
            Event::Alias(id) => {
                let Some(n) = self.anchors.get(&id).map(size) else {
                    return Err(self.error(span, "unknown alias", "no anchor of this name"));
                };
                // Counted before copying, so an alias bomb stops before it allocates.
                self.count(span, n)?;
                let Some(mut node) = self.anchors.get(&id).cloned() else {
                    return Err(self.error(span, "unknown alias", "no anchor of this name"));
                };
                // The copy is shown where the alias is written, not at the anchor.
                node.span = span;
                (node, 0)
            }
            Event::SequenceEnd | Event::MappingEnd => {
                return Err(self.error(span, "unexpected end of a collection", "here"));
            }
            Event::StreamStart
            | Event::StreamEnd
            | Event::DocumentStart(_)
            | Event::DocumentEnd
            | Event::Nothing => {
                return Err(self.error(span, "expected a value", "here"));
            }
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }

    fn mapping(&mut self, depth: usize) -> Result<(Vec<(Key, Node)>, Span), Stop> {
        let mut entries: Vec<(Key, Node)> = Vec::new();
        // Key → position in `entries`: duplicate detection in constant time per key.
        let mut seen: HashMap<String, usize> = HashMap::new();
        loop {
            let (ev, kspan) = self.next()?;
            if ev == Event::MappingEnd {
                return Ok((entries, kspan));
            }
            let key_node = self.node(ev, kspan, depth + 1)?;
            let key = match key_node.value {
                Value::Scalar(Scalar::Str(s)) => s,
                Value::Scalar(Scalar::Int(i)) => i.to_string(),
                Value::Scalar(Scalar::Float(_)) | Value::Scalar(Scalar::Bool(_)) => {
                    self.source.text[key_node.span.range()].to_string()
                }
                _ => {
                    return Err(self.error(
                        key_node.span,
                        format!("a key must be a name, found {}", key_node.kind_name()),
                        "not a name",
                    ));
                }
            };
            let key = Key {
                text: key,
                span: key_node.span,
            };
            let (ev, vspan) = self.next()?;
            let value = self.node(ev, vspan, depth + 1)?;
            if let Some(&at) = seen.get(&key.text) {
                let first = entries[at].0.span;
                let d = Diagnostic::error(DUPLICATE_KEY, format!("duplicate key `{}`", key.text))
                    .in_file(self.source)
                    .with_primary(key.span, "defined again here")
                    .with_label(first, "first defined here")
                    .with_help("YAML keeps only one of them; remove or rename one");
                self.diags.push(d);
            } else {
                seen.insert(key.text.clone(), entries.len());
                entries.push((key, value));
            }
        }
    }
}

/// Resolves a scalar's text to a value by the YAML 1.2 core schema (saphyr's rules).
fn resolve(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Cow<'_, saphyr_parser::Tag>>,
) -> Option<Scalar> {
    Some(
        match SaphyrScalar::parse_from_cow_and_metadata(text, style, tag)? {
            SaphyrScalar::Null => Scalar::Null,
            SaphyrScalar::Boolean(b) => Scalar::Bool(b),
            SaphyrScalar::Integer(i) => Scalar::Int(i),
            SaphyrScalar::FloatingPoint(f) => Scalar::Float(f.0),
            SaphyrScalar::String(s) => Scalar::Str(s.into_owned()),
        },
    )
}

/// Number of nodes in a tree (for the alias expansion limit).
fn size(n: &Node) -> usize {
    match &n.value {
        Value::Scalar(_) => 1,
        Value::Seq(items) => 1 + items.iter().map(size).sum::<usize>(),
        Value::Map(entries) => 1 + entries.iter().map(|(_, v)| 1 + size(v)).sum::<usize>(),
    }
}

/// Block collections end where the next line's content begins; trailing whitespace and comment
/// lines are dropped so a label covers just the collection.
fn trim(text: &str, span: Span) -> Span {
    let Some(slice) = text.get(span.range()) else {
        return span;
    };
    let (mut end, mut pos) = (0, 0);
    for line in slice.split_inclusive('\n') {
        let content = line.trim_end();
        let body = content.trim_start();
        if !body.is_empty() && !body.starts_with('#') {
            end = pos + content.len();
        }
        pos += line.len();
    }
    Span::new(span.start, span.start + end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> (Option<Node>, Vec<Diagnostic>, Arc<SourceFile>) {
        let src = SourceFile::new("t.yaml", text);
        let (n, d) = parse(&src);
        (n, d, src)
    }

    fn map(n: &Node) -> &[(Key, Node)] {
        match &n.value {
            Value::Map(m) => m,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn keys_and_values_carry_byte_spans() {
        let (root, diags, src) = parse_str("a:\n  b: 1.5\n  c: [x, \"y\"]\n# é\nd: é\n");
        assert!(diags.is_empty(), "{diags:?}");
        let root = root.unwrap();
        let top = map(&root);
        assert_eq!(top[0].0.text, "a");
        let inner = map(&top[0].1);
        assert_eq!(inner[0].0.text, "b");
        assert_eq!(&src.text[inner[0].0.span.range()], "b");
        assert_eq!(inner[0].1.value, Value::Scalar(Scalar::Float(1.5)));
        assert_eq!(&src.text[inner[0].1.span.range()], "1.5");
        assert_eq!(src.line_col(inner[1].1.span.start), (3, 6));
        // After a multi-byte char the byte offsets still line up.
        assert_eq!(top[1].0.text, "d");
        assert_eq!(src.line_col(top[1].0.span.start), (5, 1));
        assert_eq!(top[1].1.value, Value::Scalar(Scalar::Str("é".to_string())));
        assert_eq!(&src.text[top[1].1.span.range()], "é");
    }

    #[test]
    fn quoted_numbers_are_strings_and_plain_ones_numbers() {
        let (root, _, _) = parse_str("a: '3'\nb: 3\nc: true\nd: ~\n");
        let root = root.unwrap();
        let m = map(&root);
        assert_eq!(m[0].1.value, Value::Scalar(Scalar::Str("3".into())));
        assert_eq!(m[1].1.value, Value::Scalar(Scalar::Int(3)));
        assert_eq!(m[2].1.value, Value::Scalar(Scalar::Bool(true)));
        assert_eq!(m[3].1.value, Value::Scalar(Scalar::Null));
    }

    #[test]
    fn duplicate_key_reports_both_places() {
        let (root, diags, src) = parse_str("a: 1\nb: 2\na: 3\n");
        assert_eq!(map(&root.unwrap()).len(), 2);
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, DUPLICATE_KEY);
        assert_eq!(diags[0].position(), Some((3, 1)));
        assert_eq!(src.line_col(diags[0].labels[1].span.start), (1, 1));
    }

    #[test]
    fn syntax_error_has_a_position() {
        let (root, diags, _) = parse_str("a: [1, 2\nb: 3\n");
        assert!(root.is_none());
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, SYNTAX);
        assert!(diags[0].position().is_some());
    }

    #[test]
    fn aliases_copy_their_anchor() {
        let (root, diags, _) = parse_str("a: &x 7\nb: *x\n");
        assert!(diags.is_empty());
        let root = root.unwrap();
        assert_eq!(map(&root)[1].1.value, Value::Scalar(Scalar::Int(7)));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let (root, diags, _) = parse_str(&text);
        assert!(root.is_none());
        assert_eq!(diags[0].code, SYNTAX);
        assert!(diags[0].message.contains("deeper"), "{}", diags[0].message);
    }

    #[test]
    fn empty_text_is_an_error() {
        let (root, diags, _) = parse_str("# only a comment\n");
        assert!(root.is_none());
        assert_eq!(diags[0].code, SYNTAX);
    }

    #[test]
    fn a_second_document_is_an_error() {
        let (root, diags, _) = parse_str("a: 1\n---\nb: 2\n");
        assert!(root.is_none());
        assert_eq!(diags[0].code, SYNTAX);
        assert_eq!(diags[0].position(), Some((2, 1)));
    }

    #[test]
    fn alias_expansion_is_bounded() {
        // Each level doubles: 2^40 nodes if expanded naively.
        let mut text = String::from("l0: &l0 [x, x]\n");
        for i in 1..40 {
            text.push_str(&format!("l{i}: &l{i} [*l{p}, *l{p}]\n", p = i - 1));
        }
        let (root, diags, _) = parse_str(&text);
        assert!(root.is_none());
        assert!(
            diags[0].message.contains("more than"),
            "{}",
            diags[0].message
        );
    }
}

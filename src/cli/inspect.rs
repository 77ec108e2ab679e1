//! `anac inspect FILE.root [TREE]`: what a ROOT file holds, as anac's reader sees it.
//!
//! Input: a file path, optionally a tree name, `--format human|json`, and optionally
//! `--scan BRANCH[,BRANCH...] [--entries A:B]`. Output on stdout: the trees (entries, clusters),
//! their branches (file type, the kind anac reads them as, compression, sizes, baskets) and the
//! collections an analysis would see (`Tree::schema()`); or, with `--scan`, the values entry by
//! entry like ROOT's `TTree::Scan` (JSON: one array per branch, jagged values nested, strings as
//! strings, non-finite floats as the strings "NaN", "inf", "-inf").
//!
//! Errors (unreadable file, unknown tree or branch, a bad `--entries`) are rendered through the
//! diagnostics module on stderr with exit code 2; nothing is printed on stdout then.

use crate::diagnostics::{Code, Diagnostic, render_human};
use crate::io::dataset::Dataset;
use crate::io::rntuple::RNTuple;
use crate::io::root::{BranchInfo, Column, ColumnKind, ColumnValues, RootFile, Tree};
use crate::io::schema::{Shape, TreeSchema};
use serde::Serialize;
use serde_json::Value;
use std::io::{IsTerminal, Write};
use std::ops::Range;
use std::path::PathBuf;
use std::process::ExitCode;

/// A command-line argument of `inspect` that cannot be honoured (bad `--entries`, a tree that
/// must be named).
pub const BAD_ARGUMENT: Code = Code("anac::inspect::bad-argument");

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The ROOT file.
    pub file: PathBuf,
    /// A tree to show (default: every tree; `--scan` needs it when the file has several).
    pub tree: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,
    /// Print the values of these branches (comma-separated) entry by entry.
    #[arg(long, value_delimiter = ',')]
    pub scan: Vec<String>,
    /// Entry range for `--scan`, `A:B` (B excluded; either side may be omitted). Default: the
    /// first 10 entries in human format, all entries in JSON.
    #[arg(long)]
    pub entries: Option<String>,
}

pub fn run(args: Args) -> ExitCode {
    // Names, titles and string values come from the file: control bytes (an escape sequence in a
    // branch title) are shown escaped, never sent to the terminal (`Escaped`).
    let stdout = std::io::stdout();
    let mut out = Escaped(std::io::BufWriter::new(stdout.lock()));
    let r = inspect_to(&args, &mut out).and_then(|()| out.0.flush().map_err(Failure::Io));
    match r {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`anac inspect f.root | head`) is not an error worth a panic.
        Err(Failure::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(Failure::Io(e)) => {
            crate::errln!("error: cannot write the output: {e}");
            ExitCode::from(super::EXIT_USAGE)
        }
        Err(Failure::Diag(diag)) => {
            crate::err!("{}", render_human(&diag, std::io::stderr().is_terminal()));
            // The one exit-code contract: a bad argument is a usage problem (2); a missing,
            // unreadable or corrupt ROOT file is bad input (1).
            if diag.code == BAD_ARGUMENT {
                ExitCode::from(super::EXIT_USAGE)
            } else {
                ExitCode::from(super::EXIT_ERRORS)
            }
        }
    }
}

/// Why `inspect` stopped: a diagnostic to show, or the output could not be written.
pub enum Failure {
    Diag(Box<Diagnostic>),
    Io(std::io::Error),
}

impl From<Box<Diagnostic>> for Failure {
    fn from(d: Box<Diagnostic>) -> Self {
        Failure::Diag(d)
    }
}

/// A writer that escapes control characters (other than newline and tab) of what passes.
struct Escaped<W: Write>(W);

impl<W: Write> Escaped<W> {
    fn put(&mut self, text: &str) -> Result<(), Failure> {
        self.0
            .write_all(escape_controls(text).as_bytes())
            .map_err(Failure::Io)
    }
}

/// Entries read at a time by `--scan`: memory is bounded by a block, not by the range.
const SCAN_BLOCK: u64 = 1024;

/// The whole output as text, or the diagnostic to show instead (for tests and callers that
/// want a string; the command streams with [`inspect_to`]).
pub fn inspect(args: &Args) -> Result<String, Box<Diagnostic>> {
    let mut out = Escaped(Vec::new());
    match inspect_to(args, &mut out) {
        Ok(()) => Ok(String::from_utf8_lossy(&out.0).into_owned()),
        Err(Failure::Diag(d)) => Err(d),
        Err(Failure::Io(e)) => Err(Box::new(Diagnostic::error(
            BAD_ARGUMENT,
            format!("cannot write the output: {e}"),
        ))),
    }
}

/// Writes the output to `out` as it is made.
fn inspect_to<W: Write>(args: &Args, out: &mut Escaped<W>) -> Result<(), Failure> {
    let file = crate::io::dataset::open_file(&args.file).map_err(root_err)?;
    let names = match &args.tree {
        Some(t) => vec![t.clone()],
        None => {
            let mut n = file.trees().map_err(root_err)?;
            n.extend(crate::io::dataset::rntuples(&file));
            n
        }
    };
    if !args.scan.is_empty() {
        let [name] = names.as_slice() else {
            return Err(Failure::Diag(Box::new(
                Diagnostic::error(
                    BAD_ARGUMENT,
                    format!(
                        "`{}` has {} trees ({}); name the one to scan",
                        args.file.display(),
                        names.len(),
                        names.join(", ")
                    ),
                )
                .with_help("e.g. `anac inspect FILE.root TREE --scan BRANCH`"),
            )));
        };
        let tree = Dataset::open(&file, name).map_err(root_err)?;
        let default_len = match args.format {
            Format::Human => 10,
            Format::Json => tree.entries(),
        };
        let range = parse_entries(args.entries.as_deref(), tree.entries(), default_len)?;
        if let Some(spec) = &args.entries
            && past_end(spec, tree.entries())
        {
            crate::errln!(
                "note: --entries {spec} goes past the end of tree `{name}` ({} entries): \
                 showing entries {}..{}",
                tree.entries(),
                range.start,
                range.end
            );
        }
        // A branch named twice is shown once.
        let mut branches: Vec<&String> = Vec::new();
        for b in &args.scan {
            if !branches.contains(&b) {
                branches.push(b);
            }
        }
        let kinds = branches
            .iter()
            .map(|b| Ok(((*b).clone(), scan_kind(&file, &tree, b)?)))
            .collect::<Result<Vec<_>, Box<Diagnostic>>>()?;
        let scan = Scan {
            file: &file,
            tree: &tree,
            kinds: &kinds,
        };
        return match args.format {
            Format::Human => scan.human(range, out),
            Format::Json => scan.json(range, out),
        };
    }
    let sets = names
        .iter()
        .map(|n| Dataset::open(&file, n).map_err(root_err))
        .collect::<Result<Vec<Dataset>, Box<Diagnostic>>>()?;
    let (trees, rntuples): (Vec<Tree>, Vec<RNTuple>) =
        sets.into_iter()
            .fold((Vec::new(), Vec::new()), |(mut t, mut r), d| {
                match d {
                    Dataset::Tree(x) => t.push(x),
                    Dataset::RNTuple(x) => r.push(x),
                }
                (t, r)
            });
    out.put(&match args.format {
        Format::Human => summary_human(&file, &trees, &rntuples),
        Format::Json => summary_json(&file, &trees, &rntuples),
    })?;
    remote_note(&args.file);
    Ok(())
}

/// For a remote file, what reading it cost (on stderr).
fn remote_note(location: &std::path::Path) {
    let s = crate::io::http::process_stats();
    if crate::io::dataset::is_remote(location) && s.requests > 0 {
        crate::errln!(
            "note: read over HTTP: {} requests ({} retried), {} round trips, {} bytes",
            s.requests,
            s.retries,
            s.round_trips,
            s.bytes
        );
    }
}

/// The kind of a branch to scan, or why it cannot be read.
fn scan_kind(file: &RootFile, set: &Dataset, branch: &str) -> Result<ColumnKind, Box<Diagnostic>> {
    let tree = match set {
        Dataset::Tree(t) => t,
        Dataset::RNTuple(r) => return rntuple_scan_kind(file, r, branch),
    };
    let Some(info) = tree.branch(branch) else {
        let near = tree
            .branches()
            .iter()
            .map(|b| (strsim::jaro_winkler(&b.name, branch), b.name.as_str()))
            .filter(|(s, _)| *s > 0.85)
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, n)| format!("did you mean `{n}`? "))
            .unwrap_or_default();
        return Err(Box::new(
            Diagnostic::error(
                BAD_ARGUMENT,
                format!(
                    "`{}`: tree `{}` has no branch `{branch}`",
                    file.path().display(),
                    tree.name()
                ),
            )
            .with_help(format!("{near}`anac inspect FILE TREE` lists the branches")),
        ));
    };
    // A branch refused because the file is damaged is the file's problem (exit 1); one whose
    // layout is unsupported is a bad argument (exit 2).
    let code = if info.damaged {
        crate::io::root::INVALID_FILE
    } else {
        BAD_ARGUMENT
    };
    info.kind.clone().map_err(|why| {
        Box::new(Diagnostic::error(
            code,
            format!(
                "`{}`: branch `{branch}` ({}) cannot be read: {why}",
                file.path().display(),
                info.type_name
            ),
        ))
    })
}

/// The kind of an RNTuple field to scan (any `branch` of its schema: `Jet_pt`, `nJet`,
/// `rec.x`), or why it cannot be read.
fn rntuple_scan_kind(
    file: &RootFile,
    r: &RNTuple,
    name: &str,
) -> Result<ColumnKind, Box<Diagnostic>> {
    let schema = r.schema();
    let mut known: Vec<&crate::io::schema::FieldSchema> = schema.branches.iter().collect();
    known.extend(schema.collections.iter().flat_map(|c| c.fields.iter()));
    if let Some(f) = known.iter().find(|f| f.branch == name) {
        return Ok(ColumnKind {
            ty: f.ty,
            shape: f.shape,
            counter: None,
        });
    }
    if let Some(u) = schema.unsupported.iter().find(|u| u.branch == name) {
        return Err(Box::new(Diagnostic::error(
            BAD_ARGUMENT,
            format!(
                "`{}`: field `{name}` ({}) cannot be read: {}",
                file.path().display(),
                u.type_name,
                u.reason
            ),
        )));
    }
    let near = known
        .iter()
        .map(|f| (strsim::jaro_winkler(&f.branch, name), f.branch.as_str()))
        .filter(|(s, _)| *s > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, n)| format!("did you mean `{n}`? "))
        .unwrap_or_default();
    Err(Box::new(
        Diagnostic::error(
            BAD_ARGUMENT,
            format!(
                "`{}`: RNTuple `{}` has no field `{name}`",
                file.path().display(),
                r.name()
            ),
        )
        .with_help(format!("{near}`anac inspect FILE NAME` lists the fields")),
    ))
}

/// `A:B`, `A:`, `:B` or `A` (one entry) within `0..entries`; default `0..min(default_len,
/// entries)`.
fn parse_entries(
    spec: Option<&str>,
    entries: u64,
    default_len: u64,
) -> Result<Range<u64>, Box<Diagnostic>> {
    let Some(spec) = spec else {
        return Ok(0..default_len.min(entries));
    };
    let bad = |why: String| {
        Diagnostic::error(BAD_ARGUMENT, format!("--entries `{spec}`: {why}")).with_help(format!(
            "use A:B with 0 <= A <= B <= {entries} (B excluded)"
        ))
    };
    let num = |s: &str, default: u64| -> Result<u64, Box<Diagnostic>> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(default);
        }
        s.parse::<u64>()
            .map_err(|_| Box::new(bad(format!("`{s}` is not an entry number"))))
    };
    let (a, b) = match spec.split_once(':') {
        Some((a, b)) => (num(a, 0)?, num(b, entries)?),
        None => {
            let a = num(spec, 0)?;
            (a, a.saturating_add(1))
        }
    };
    if a > b {
        return Err(Box::new(bad(format!("start {a} is after stop {b}"))));
    }
    // Past the end: read to the end, as TTree::Scan and uproot do (the caller says so).
    Ok(a.min(entries)..b.min(entries))
}

/// Whether `--entries spec` names entries past the end of a tree of `entries` (an explicit
/// stop beyond it, or a start at or after it).
fn past_end(spec: &str, entries: u64) -> bool {
    let n = |s: &str| s.trim().parse::<u64>().ok();
    match spec.split_once(':') {
        Some((a, b)) => n(b).is_some_and(|b| b > entries) || n(a).is_some_and(|a| a > entries),
        None => n(spec).is_some_and(|a| a >= entries),
    }
}

/// `float`, `float[3]`, `float[nJet]`, `float[]`, `float[][]`.
fn kind_text(k: &ColumnKind) -> String {
    let t = k.ty.cpp_name();
    match (k.shape, &k.counter) {
        (Shape::Scalar, _) => t.to_string(),
        (Shape::Fixed(n), _) => format!("{t}[{n}]"),
        (Shape::Jagged, Some(c)) => format!("{t}[{c}]"),
        (Shape::Jagged, None) => format!("{t}[]"),
        (Shape::Jagged2, _) => format!("{t}[][]"),
    }
}

fn summary_human(file: &RootFile, trees: &[Tree], rntuples: &[RNTuple]) -> String {
    let mut o = format!("{}: {} bytes\n", file.path().display(), file.size());
    for tree in trees {
        let clusters = tree.clusters();
        o.push_str(&format!(
            "\ntree `{}`: {} entries, {} branches, {} cluster{}\n",
            tree.name(),
            tree.entries(),
            tree.branches().len(),
            clusters.len(),
            if clusters.len() == 1 { "" } else { "s" }
        ));
        let shown: Vec<String> = clusters
            .iter()
            .take(8)
            .map(|c| format!("[{}, {})", c.start, c.end))
            .collect();
        let more = clusters.len().saturating_sub(8);
        o.push_str(&format!(
            "  clusters: {}{}\n",
            shown.join(" "),
            if more > 0 {
                format!(" ... ({more} more)")
            } else {
                String::new()
            }
        ));
        o.push_str(&branch_table(tree.branches()));
        o.push_str(&schema_human(&tree.schema()));
    }
    for r in rntuples {
        o.push_str(&format!(
            "\nRNTuple `{}`: {} entries\n",
            r.name(),
            r.entries()
        ));
        for line in r.describe().lines() {
            o.push_str(&format!("  {line}\n"));
        }
        o.push_str(&schema_human(&r.schema()));
    }
    o
}

fn branch_table(branches: &[BranchInfo]) -> String {
    let header = [
        "branch",
        "file type",
        "anac reads",
        "compression",
        "compressed",
        "uncompressed",
        "baskets",
    ];
    let rows: Vec<[String; 7]> = branches
        .iter()
        .map(|b| {
            [
                b.name.clone(),
                b.type_name.clone(),
                match &b.kind {
                    Ok(k) => kind_text(k),
                    Err(_) => "(unsupported)".to_string(),
                },
                b.compression.clone(),
                b.compressed_bytes.to_string(),
                b.uncompressed_bytes.to_string(),
                b.baskets.len().to_string(),
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: [&str; 7]| {
        let mut s = String::from("   ");
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            // Names and types left-aligned, numbers right-aligned.
            if i >= 4 {
                s.push_str(&format!(" {c:>w$}"));
            } else {
                s.push_str(&format!(" {c:<w$}"));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut o = format!("  branches ({}):\n", branches.len());
    o.push_str(&line(header));
    for r in &rows {
        o.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5], &r[6]]));
    }
    o
}

fn schema_human(s: &TreeSchema) -> String {
    let mut o = format!("  collections ({}):\n", s.collections.len());
    for c in &s.collections {
        let layout = match &c.layout {
            crate::io::schema::CollectionLayout::Counter { branch } => format!("counter {branch}"),
            crate::io::schema::CollectionLayout::Vector => "std::vector".to_string(),
        };
        let fields: Vec<String> = c
            .fields
            .iter()
            .map(|f| format!("{}: {}", f.name, f.ty.cpp_name()))
            .collect();
        o.push_str(&format!(
            "    {} ({layout}, {} fields):\n",
            c.name,
            fields.len()
        ));
        o.push_str(&wrap(&fields, "      "));
    }
    o.push_str(&format!("  per-event branches ({}):\n", s.branches.len()));
    let fields: Vec<String> = s
        .branches
        .iter()
        .map(|f| {
            let shape = match f.shape {
                Shape::Scalar => String::new(),
                Shape::Fixed(n) => format!("[{n}]"),
                Shape::Jagged => "[]".to_string(),
                Shape::Jagged2 => "[][]".to_string(),
            };
            format!("{}: {}{shape}", f.name, f.ty.cpp_name())
        })
        .collect();
    o.push_str(&wrap(&fields, "    "));
    if !s.unsupported.is_empty() {
        o.push_str(&format!(
            "  not available to analyses ({}):\n",
            s.unsupported.len()
        ));
        for u in &s.unsupported {
            o.push_str(&format!(
                "    {} ({}): {}\n",
                u.branch, u.type_name, u.reason
            ));
        }
    }
    o
}

/// Comma-separated items in lines of at most ~100 characters, each line indented.
fn wrap(items: &[String], indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && indent.len() + line.len() + item.len() + 2 > 100 {
            out.push_str(&format!("{indent}{line},\n"));
            line.clear();
        }
        if !line.is_empty() {
            line.push_str(", ");
        }
        line.push_str(item);
    }
    if !line.is_empty() {
        out.push_str(&format!("{indent}{line}\n"));
    }
    out
}

#[derive(Serialize)]
struct KindJson<'a> {
    ty: crate::io::schema::ScalarType,
    shape: Shape,
    counter: Option<&'a str>,
}

#[derive(Serialize)]
struct BranchJson<'a> {
    name: &'a str,
    type_name: &'a str,
    kind: Option<KindJson<'a>>,
    kind_text: Option<String>,
    unsupported: Option<&'a str>,
    compression: &'a str,
    compressed_bytes: u64,
    uncompressed_bytes: u64,
    baskets: usize,
}

fn summary_json(file: &RootFile, trees: &[Tree], rntuples: &[RNTuple]) -> String {
    let trees: Vec<Value> = trees
        .iter()
        .map(|t| {
            let branches: Vec<BranchJson> = t
                .branches()
                .iter()
                .map(|b| BranchJson {
                    name: &b.name,
                    type_name: &b.type_name,
                    kind: b.kind.as_ref().ok().map(|k| KindJson {
                        ty: k.ty,
                        shape: k.shape,
                        counter: k.counter.as_deref(),
                    }),
                    kind_text: b.kind.as_ref().ok().map(kind_text),
                    unsupported: b.kind.as_ref().err().map(String::as_str),
                    compression: &b.compression,
                    compressed_bytes: b.compressed_bytes,
                    uncompressed_bytes: b.uncompressed_bytes,
                    baskets: b.baskets.len(),
                })
                .collect();
            let clusters: Vec<[u64; 2]> = t.clusters().iter().map(|c| [c.start, c.end]).collect();
            serde_json::json!({
                "name": t.name(),
                "entries": t.entries(),
                "clusters": clusters,
                "branches": branches,
                "schema": t.schema(),
            })
        })
        .collect();
    let rntuples: Vec<Value> = rntuples
        .iter()
        .map(|r| {
            let clusters: Vec<[u64; 2]> = r.clusters().iter().map(|c| [c.start, c.end]).collect();
            serde_json::json!({
                "name": r.name(),
                "entries": r.entries(),
                "clusters": clusters,
                "description": r.describe(),
                "schema": r.schema(),
            })
        })
        .collect();
    let doc = serde_json::json!({
        "file": file.path().display().to_string(),
        "size": file.size(),
        "trees": trees,
        "rntuples": rntuples,
    });
    json_text(&doc)
}

fn json_text(doc: &Value) -> String {
    // Serializing a `Value` cannot fail (its map keys are strings).
    serde_json::to_string_pretty(doc)
        .map_or_else(|e| format!("{{\"error\": \"{e}\"}}\n"), |s| s + "\n")
}

/// One entry of one column: a value, a list, or a list of lists.
#[derive(Clone)]
enum Cell {
    One(Value),
    List(Vec<Value>),
    Lists(Vec<Vec<Value>>),
}

/// Value `i` as JSON: f32 by its shortest decimal form (so 0.1f stays 0.1), non-finite floats
/// as strings, strings lossily decoded.
fn value(v: &ColumnValues, i: usize) -> Value {
    fn float(x: f64, text: String) -> Value {
        if x.is_finite() {
            text.parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(Value::Null, Value::Number)
        } else if x.is_nan() {
            Value::from("NaN")
        } else if x > 0.0 {
            Value::from("inf")
        } else {
            Value::from("-inf")
        }
    }
    match v {
        ColumnValues::Bool(x) => Value::from(x[i]),
        ColumnValues::I8(x) => Value::from(x[i]),
        ColumnValues::U8(x) => Value::from(x[i]),
        ColumnValues::I16(x) => Value::from(x[i]),
        ColumnValues::U16(x) => Value::from(x[i]),
        ColumnValues::I32(x) => Value::from(x[i]),
        ColumnValues::U32(x) => Value::from(x[i]),
        ColumnValues::I64(x) => Value::from(x[i]),
        ColumnValues::U64(x) => Value::from(x[i]),
        ColumnValues::F32(x) => float(f64::from(x[i]), x[i].to_string()),
        ColumnValues::F64(x) => float(x[i], x[i].to_string()),
        ColumnValues::Str { offsets, bytes } => {
            let (a, b) = (offsets[i] as usize, offsets[i + 1] as usize);
            // `cells` checked the string offsets against the bytes before any call here.
            Value::from(String::from_utf8_lossy(&bytes[a..b]).into_owned())
        }
    }
}

/// Splits a column into per-entry cells, checking its structure (a reader bug must not panic
/// the CLI).
fn cells(kind: &ColumnKind, col: &Column, n: usize) -> Result<Vec<Cell>, String> {
    let len = match &col.values {
        ColumnValues::Str { offsets, .. } => offsets.len().saturating_sub(1),
        ColumnValues::Bool(x) => x.len(),
        ColumnValues::I8(x) => x.len(),
        ColumnValues::U8(x) => x.len(),
        ColumnValues::I16(x) => x.len(),
        ColumnValues::U16(x) => x.len(),
        ColumnValues::I32(x) => x.len(),
        ColumnValues::U32(x) => x.len(),
        ColumnValues::I64(x) => x.len(),
        ColumnValues::U64(x) => x.len(),
        ColumnValues::F32(x) => x.len(),
        ColumnValues::F64(x) => x.len(),
    };
    let offsets_ok = |o: &[u32], want: usize, total: usize| {
        o.len() == want
            && o.windows(2).all(|w| w[0] <= w[1])
            && o.last().is_some_and(|&l| l as usize <= total)
    };
    let bad = || format!("the reader returned an inconsistent column ({len} values)");
    if let ColumnValues::Str { offsets, bytes } = &col.values
        && !offsets_ok(offsets, len + 1, bytes.len())
    {
        return Err(bad());
    }
    let v = &col.values;
    Ok(match kind.shape {
        Shape::Scalar => {
            if len < n {
                return Err(bad());
            }
            (0..n).map(|i| Cell::One(value(v, i))).collect()
        }
        Shape::Fixed(k) => {
            if len < n * k {
                return Err(bad());
            }
            (0..n)
                .map(|e| Cell::List((e * k..(e + 1) * k).map(|i| value(v, i)).collect()))
                .collect()
        }
        Shape::Jagged => {
            let o = col.offsets.as_deref().ok_or_else(bad)?;
            if !offsets_ok(o, n + 1, len) {
                return Err(bad());
            }
            o.windows(2)
                .map(|w| {
                    Cell::List(
                        (w[0] as usize..w[1] as usize)
                            .map(|i| value(v, i))
                            .collect(),
                    )
                })
                .collect()
        }
        Shape::Jagged2 => {
            let o = col.offsets.as_deref().ok_or_else(bad)?;
            let inner = col.inner_offsets.as_deref().ok_or_else(bad)?;
            let lists = inner.len().saturating_sub(1);
            if !offsets_ok(o, n + 1, lists) || !offsets_ok(inner, lists + 1, len) {
                return Err(bad());
            }
            o.windows(2)
                .map(|w| {
                    Cell::Lists(
                        (w[0] as usize..w[1] as usize)
                            .map(|l| {
                                (inner[l] as usize..inner[l + 1] as usize)
                                    .map(|i| value(v, i))
                                    .collect()
                            })
                            .collect(),
                    )
                })
                .collect()
        }
    })
}

fn cells_or_error(kind: &ColumnKind, col: &Column, n: usize, name: &str) -> Vec<Cell> {
    cells(kind, col, n)
        .unwrap_or_else(|e| vec![Cell::One(Value::from(format!("<{name}: {e}>"))); n])
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The branches `--scan` shows, read block by block.
struct Scan<'a> {
    file: &'a RootFile,
    tree: &'a Dataset,
    kinds: &'a [(String, ColumnKind)],
}

impl Scan<'_> {
    /// The cells of every branch for the entries `r`.
    fn block(&self, r: Range<u64>) -> Result<Vec<Vec<Cell>>, Failure> {
        let n = (r.end - r.start) as usize;
        self.kinds
            .iter()
            .map(|(name, kind)| {
                let col = self
                    .tree
                    .read(self.file, name, r.clone())
                    .map_err(root_err)?;
                Ok(cells_or_error(kind, &col, n, name))
            })
            .collect()
    }

    fn blocks(range: &Range<u64>) -> impl Iterator<Item = Range<u64>> + '_ {
        (range.start..range.end)
            .step_by(SCAN_BLOCK as usize)
            .map(|a| a..(a + SCAN_BLOCK).min(range.end))
    }

    /// `TTree::Scan`-like table: one row per entry and instance; scalars show on instance 0.
    /// Two passes over the blocks (column widths, then the rows), so memory holds one block.
    fn human<W: Write>(&self, range: Range<u64>, out: &mut Escaped<W>) -> Result<(), Failure> {
        let mut header = vec!["Row".to_string(), "Instance".to_string()];
        header.extend(self.kinds.iter().map(|c| c.0.clone()));
        let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for r in Self::blocks(&range) {
            let cols = self.block(r.clone())?;
            for_rows(&cols, r.start, |row| {
                for (w, c) in width.iter_mut().zip(row) {
                    *w = (*w).max(c.chars().count());
                }
                Ok(())
            })?;
        }
        let rule: String = format!(
            "{}\n",
            "*".repeat(width.iter().map(|w| w + 3).sum::<usize>() + 1)
        );
        let line = |cells: &[String]| {
            let mut s = String::from("*");
            for (c, w) in cells.iter().zip(&width) {
                s.push_str(&format!(" {c:>w$} *"));
            }
            s + "\n"
        };
        out.put(&rule)?;
        out.put(&line(&header))?;
        out.put(&rule)?;
        for r in Self::blocks(&range) {
            let cols = self.block(r.clone())?;
            for_rows(&cols, r.start, |row| out.put(&line(row)))?;
        }
        out.put(&rule)?;
        out.put(&format!(
            "==> {} entries [{}, {})\n",
            range.end - range.start,
            range.start,
            range.end
        ))
    }

    /// `{"tree", "entries", "branches", "values": {branch: [...]}}`, one branch at a time.
    fn json<W: Write>(&self, range: Range<u64>, out: &mut Escaped<W>) -> Result<(), Failure> {
        let js = |v: &Value| serde_json::to_string(v).unwrap_or_else(|_| "null".into());
        out.put(&format!(
            "{{\n  \"tree\": {},\n  \"entries\": [{}, {}],\n  \"branches\": {},\n  \"values\": {{",
            js(&Value::from(self.tree.name())),
            range.start,
            range.end,
            js(&Value::from(
                self.kinds.iter().map(|c| c.0.clone()).collect::<Vec<_>>()
            ))
        ))?;
        for (k, (name, kind)) in self.kinds.iter().enumerate() {
            out.put(&format!(
                "{}\n    {}: [",
                if k == 0 { "" } else { "," },
                js(&Value::from(name.as_str()))
            ))?;
            let mut first = true;
            for r in Self::blocks(&range) {
                let n = (r.end - r.start) as usize;
                let col = self
                    .tree
                    .read(self.file, name, r.clone())
                    .map_err(root_err)?;
                for c in cells_or_error(kind, &col, n, name) {
                    let v = match c {
                        Cell::One(v) => v,
                        Cell::List(l) => Value::Array(l),
                        Cell::Lists(ls) => Value::Array(ls.into_iter().map(Value::Array).collect()),
                    };
                    out.put(&format!("{}{}", if first { "" } else { ", " }, js(&v)))?;
                    first = false;
                }
            }
            out.put("]")?;
        }
        out.put("\n  }\n}\n")
    }
}

/// Calls `f` with each table row of a block (entry number, instance, one cell per branch).
fn for_rows(
    cols: &[Vec<Cell>],
    first: u64,
    mut f: impl FnMut(&[String]) -> Result<(), Failure>,
) -> Result<(), Failure> {
    let n = cols.first().map_or(0, Vec::len);
    let mut row: Vec<String> = Vec::with_capacity(cols.len() + 2);
    for e in 0..n {
        let instances = cols
            .iter()
            .map(|c| match &c[e] {
                Cell::One(_) => 1,
                Cell::List(l) => l.len(),
                Cell::Lists(l) => l.len(),
            })
            .max()
            .unwrap_or(1)
            .max(1);
        for k in 0..instances {
            row.clear();
            row.push((first + e as u64).to_string());
            row.push(k.to_string());
            for c in cols {
                row.push(match &c[e] {
                    Cell::One(v) if k == 0 => text(v),
                    Cell::One(_) => String::new(),
                    Cell::List(l) => l.get(k).map(text).unwrap_or_default(),
                    Cell::Lists(l) => l
                        .get(k)
                        .map(|inner| {
                            format!(
                                "[{}]",
                                inner.iter().map(text).collect::<Vec<_>>().join(", ")
                            )
                        })
                        .unwrap_or_default(),
                });
            }
            f(&row)?;
        }
    }
    Ok(())
}

/// `text` with control characters other than newline and tab written as `\u{..}`.
fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A reader error as a diagnostic: a tree, branch or entry range the arguments name but the
/// file lacks is a bad argument (exit 2); anything else is the file's problem (exit 1).
fn root_err(e: crate::io::root::RootError) -> Box<Diagnostic> {
    let not_found = matches!(e, crate::io::root::RootError::NotFound { .. });
    let mut d = e.diagnostic();
    if not_found {
        d.code = BAD_ARGUMENT;
    }
    Box::new(d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn control_bytes_are_escaped() {
        assert_eq!(super::escape_controls("a\tb\n"), "a\tb\n");
        assert_eq!(super::escape_controls("x\u{1b}[31my"), "x\\u{1b}[31my");
    }

    use super::*;

    #[test]
    fn entries_ranges() {
        assert_eq!(parse_entries(None, 200, 10).unwrap(), 0..10);
        assert_eq!(parse_entries(None, 4, 10).unwrap(), 0..4);
        assert_eq!(parse_entries(Some("3:7"), 200, 10).unwrap(), 3..7);
        assert_eq!(parse_entries(Some(":7"), 200, 10).unwrap(), 0..7);
        assert_eq!(parse_entries(Some("190:"), 200, 10).unwrap(), 190..200);
        assert_eq!(parse_entries(Some("5"), 200, 10).unwrap(), 5..6);
        assert!(parse_entries(Some("7:3"), 200, 10).is_err());
        assert_eq!(parse_entries(Some("0:201"), 200, 10).unwrap(), 0..200);
        assert_eq!(parse_entries(Some("250:300"), 200, 10).unwrap(), 200..200);
        assert!(parse_entries(Some("x:3"), 200, 10).is_err());
    }

    #[test]
    fn inconsistent_columns_are_reported_not_panicked() {
        let kind = ColumnKind {
            ty: crate::io::schema::ScalarType::Str,
            shape: Shape::Scalar,
            counter: None,
        };
        let col = Column {
            values: ColumnValues::Str {
                offsets: vec![0, 5, 3],
                bytes: b"hello".to_vec(),
            },
            offsets: None,
            inner_offsets: None,
        };
        assert!(cells(&kind, &col, 2).is_err());
        let jagged = ColumnKind {
            ty: crate::io::schema::ScalarType::F32,
            shape: Shape::Jagged,
            counter: None,
        };
        let col = Column {
            values: ColumnValues::F32(vec![1.0]),
            offsets: Some(vec![0, 2]),
            inner_offsets: None,
        };
        assert!(cells(&jagged, &col, 1).is_err());
        let col = Column {
            values: ColumnValues::F32(vec![1.0, 2.0]),
            offsets: Some(vec![0, 2]),
            inner_offsets: None,
        };
        let c = cells(&jagged, &col, 1).unwrap();
        assert!(matches!(&c[0], Cell::List(l) if l.len() == 2));
    }

    #[test]
    fn json_floats_keep_their_short_form() {
        let v = ColumnValues::F32(vec![0.1, f32::NAN, f32::NEG_INFINITY]);
        assert_eq!(value(&v, 0).to_string(), "0.1");
        assert_eq!(value(&v, 1), Value::from("NaN"));
        assert_eq!(value(&v, 2), Value::from("-inf"));
    }
}

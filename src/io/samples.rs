//! Samples YAML → [`Samples`]: which files make each process × variation, and their weights.
//!
//! Format (the AGC fileset layout):
//! ```yaml
//! ttbar:                       # process
//!   nominal:                   # variation
//!     files:
//!       - path: ttbar__nominal__0000.root   # relative to this YAML file
//!         nevts: 1500                        # optional: entries in the file
//!       - ttbar__nominal__0001.root          # a plain string is a path without nevts
//!     nevts_total: 3000        # optional: must equal the files' nevts when all are given
//!     xsec: 729.84             # cross section in pb; required unless `is_data: true`
//!     is_data: false           # optional, default false
//!     lumi_mask: Cert.json     # data only, optional: certified (run, luminosity section) ranges
//! ```
//! Everything here is about the text and the file system: each problem is a [`Diagnostic`] in the
//! YAML at the offending key or value. Checking files against their ROOT trees (entries, schema)
//! needs the analysis' tree name and happens in `crate::check`.
//!
//! Invariants: names and order are kept as written; a returned [`Samples`] holds every process and
//! variation whose *name* was readable, even when some of its fields were wrong (those are `None`
//! and have an error), so later stages do not report "unknown process" for a typo in an `xsec`.

use super::yaml::{self, Key, Node, Scalar, Value};
use crate::diagnostics::{Code, Diagnostic, SourceFile, Span, common};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use super::yaml::{DUPLICATE_KEY, SYNTAX};

/// A key the format does not know.
pub const UNKNOWN_KEY: Code = Code("anac::samples::unknown-key");
/// A value of the wrong kind (a string where a number belongs, ...).
pub const WRONG_TYPE: Code = Code("anac::samples::wrong-type");
/// A required key is absent (`files`; `xsec` for simulation).
pub const MISSING_FIELD: Code = Code("anac::samples::missing-field");
/// A cross section that is zero, negative or not finite.
pub const INVALID_XSEC: Code = Code("anac::samples::invalid-xsec");
/// A listed file does not exist.
pub const MISSING_FILE: Code = Code("anac::samples::missing-file");
/// `nevts_total` differs from the sum of the files' `nevts`.
pub const NEVTS_MISMATCH: Code = Code("anac::samples::nevts-mismatch");
/// No processes, no variations, or no files where some are needed.
pub const EMPTY: Code = Code("anac::samples::empty");
/// `xsec` given for data, where it is not used (warning).
pub const IGNORED_XSEC: Code = Code("anac::samples::ignored-xsec");
/// A process with both data and simulated variations.
pub const MIXED_DATA: Code = Code("anac::samples::mixed-data");
/// The same file listed twice.
pub const DUPLICATE_FILE: Code = Code("anac::samples::duplicate-file");
/// A certified-luminosity JSON (`lumi_mask`) that cannot be used.
pub const INVALID_LUMI_MASK: Code = Code("anac::samples::invalid-lumi-mask");
/// A `friends` entry that cannot be used: not an identifier, named twice, or with files that do
/// not pair one-to-one with the sample's.
pub const INVALID_FRIEND: Code = Code("anac::samples::invalid-friend");

/// All samples of an analysis, in file order.
#[derive(Debug, Clone)]
pub struct Samples {
    /// The YAML text; every span below points into it.
    pub source: Arc<SourceFile>,
    pub processes: Vec<Process>,
}

#[derive(Debug, Clone)]
pub struct Process {
    pub name: String,
    /// The process' key in the YAML.
    pub span: Span,
    pub variations: Vec<Variation>,
}

impl Process {
    /// Data when every variation is data (a mix is an error reported by [`load`]).
    pub fn is_data(&self) -> bool {
        !self.variations.is_empty() && self.variations.iter().all(|v| v.is_data)
    }
}

#[derive(Debug, Clone)]
pub struct Variation {
    pub name: String,
    /// The variation's key in the YAML.
    pub span: Span,
    pub files: Vec<SampleFile>,
    pub nevts_total: Option<u64>,
    /// Where `nevts_total`'s value is written.
    pub nevts_total_span: Option<Span>,
    /// Cross section in pb; `None` for data (or when it was wrong, with an error).
    pub xsec: Option<f64>,
    pub is_data: bool,
    /// The tree to read in these files, when it is not the analysis' `tree` header.
    pub tree: Option<String>,
    /// Data only: the certified luminosity sections (`lumi_mask: Cert.json`); other events are
    /// not analysed.
    pub lumi_mask: Option<std::sync::Arc<LumiMask>>,
    /// Friend trees: other trees with the same entries, one file per file of `files`.
    pub friends: Vec<Friend>,
    /// A `friends` entry was left out for an error (reported): the sample's schema would lack
    /// its branches, so it is not checked against (no "unknown name" after the real problem).
    pub friend_errors: bool,
}

/// A friend tree of a sample (`friends: [{name, tree, files}]`): its branches join the schema as
/// `name.BRANCH`. `files[k]` holds the friend tree for entry range of the sample's `files[k]`.
#[derive(Debug, Clone)]
pub struct Friend {
    /// An identifier: the prefix of the friend's branches in the analysis.
    pub name: String,
    /// Where the name is written.
    pub name_span: Span,
    /// The tree (or RNTuple) to read in the friend's files.
    pub tree: String,
    /// As many as the sample's files, in the same order.
    pub files: Vec<SampleFile>,
}

/// A certified-luminosity JSON (CMS "golden JSON"): per run, inclusive ranges of luminosity
/// sections, `{"273158": [[1, 1279]], ...}`.
#[derive(Debug, Clone, PartialEq)]
pub struct LumiMask {
    pub path: PathBuf,
    /// Sorted by run; each run's ranges sorted and inclusive.
    pub runs: std::collections::BTreeMap<u64, Vec<(u64, u64)>>,
}

impl LumiMask {
    /// Whether luminosity section `lumi` of run `run` is certified.
    pub fn contains(&self, run: u64, lumi: u64) -> bool {
        self.runs.get(&run).is_some_and(|rs| {
            let i = rs.partition_point(|&(_, hi)| hi < lumi);
            rs.get(i).is_some_and(|&(lo, _)| lo <= lumi)
        })
    }

    /// Parses the JSON text; the error says what is wrong.
    pub fn parse(path: PathBuf, text: &str) -> Result<LumiMask, String> {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("is not valid JSON: {e}"))?;
        let obj = v
            .as_object()
            .ok_or("is not a JSON object of runs (`{\"run\": [[first, last], ...]}`)")?;
        let mut runs = std::collections::BTreeMap::new();
        for (run, ranges) in obj {
            let r: u64 = run
                .parse()
                .map_err(|_| format!("has a run `{run}` that is not a run number"))?;
            let list = ranges
                .as_array()
                .ok_or_else(|| format!("run {run}: expected a list of [first, last] ranges"))?;
            let mut rs = Vec::new();
            for x in list {
                let pair = x.as_array().filter(|p| p.len() == 2);
                let (lo, hi) = match pair.map(|p| (p[0].as_u64(), p[1].as_u64())) {
                    Some((Some(lo), Some(hi))) => (lo, hi),
                    _ => {
                        return Err(format!(
                            "run {run}: `{x}` is not a [first, last] pair of section numbers"
                        ));
                    }
                };
                if lo > hi {
                    return Err(format!("run {run}: the range [{lo}, {hi}] is empty"));
                }
                rs.push((lo, hi));
            }
            rs.sort_unstable();
            if let Some(w) = rs.windows(2).find(|w| w[1].0 <= w[0].1) {
                return Err(format!(
                    "run {run}: ranges [{}, {}] and [{}, {}] overlap",
                    w[0].0, w[0].1, w[1].0, w[1].1
                ));
            }
            runs.insert(r, rs);
        }
        Ok(LumiMask { path, runs })
    }
}

#[derive(Debug, Clone)]
pub struct SampleFile {
    /// Resolved: relative paths are joined to the YAML file's folder.
    pub path: PathBuf,
    pub nevts: Option<u64>,
    /// The path as written in the YAML.
    pub span: Span,
    /// Where the file's `nevts` value is written.
    pub nevts_span: Option<Span>,
    /// The file's size in bytes as declared (`size_bytes`, written by the AGC fileset tools);
    /// used for progress, and a mismatch with the file is a warning.
    pub size_bytes: Option<u64>,
    pub size_span: Option<Span>,
}

impl Samples {
    /// Every file of every sample, with its process and variation.
    pub fn files(&self) -> impl Iterator<Item = (&Process, &Variation, &SampleFile)> {
        self.processes.iter().flat_map(|p| {
            p.variations
                .iter()
                .flat_map(move |v| v.files.iter().map(move |f| (p, v, f)))
        })
    }
}

/// Reads and checks a samples file. `Err` only when the file cannot be read at all (an I/O
/// problem, code `io::unreadable`, boxed to keep the `Result` small); otherwise the samples (see the module invariants) and every
/// problem found.
pub fn load(path: &Path) -> Result<(Option<Samples>, Vec<Diagnostic>), Box<Diagnostic>> {
    match crate::io::text::read_text(path) {
        Ok(text) => Ok(from_source(&SourceFile::new(path, text))),
        Err(e) => Err(Box::new(Diagnostic::error(
            common::IO,
            format!("cannot read samples file `{}`: {e}", path.display()),
        ))),
    }
}

/// Checks samples YAML already in memory; relative file paths are resolved against the folder of
/// `source.path`.
pub fn from_source(source: &Arc<SourceFile>) -> (Option<Samples>, Vec<Diagnostic>) {
    from_source_with(source, None)
}

fn from_source_with(
    source: &Arc<SourceFile>,
    overlay: Option<Overlay>,
) -> (Option<Samples>, Vec<Diagnostic>) {
    let (root, mut diags) = yaml::parse(source);
    let Some(root) = root else {
        return (None, diags);
    };
    if overlay.is_none()
        && let Value::Map(entries) = &root.value
        && entries.iter().any(|(k, _)| k.text == "fileset")
    {
        return with_overlay(source, entries, diags);
    }
    let base = source
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut reader = Reader {
        source,
        base,
        diags: Vec::new(),
        seen_files: HashMap::new(),
        missing_folders: Vec::new(),
        overlay,
    };
    let samples = reader.samples(&root);
    reader.report_missing_folders();
    diags.extend(reader.diags);
    (samples, diags)
}

struct Reader<'a> {
    source: &'a Arc<SourceFile>,
    base: PathBuf,
    diags: Vec<Diagnostic>,
    /// Resolved path → where it was first listed.
    seen_files: HashMap<PathBuf, Span>,
    /// Folders that do not exist → the files listed in them (as written, and where).
    missing_folders: Vec<(PathBuf, Vec<(String, Span)>)>,
    /// Cross sections and data flags given beside a published fileset (see [`with_overlay`]).
    overlay: Option<Overlay>,
}

/// What an overlay adds to a fileset that lacks it.
struct Overlay {
    xsec: HashMap<String, f64>,
    data: Vec<String>,
}

const OVERLAY_KEYS: &[&str] = &["fileset", "xsec", "data"];

/// A samples file that names a published fileset (the AGC's `nanoaod_inputs.json` form:
/// process → variation → `files` with `path`/`nevts`, `nevts_total`; no cross sections) and adds
/// what it lacks:
///
/// ```yaml
/// fileset: nanoaod_inputs.json     # relative to this file
/// xsec: {ttbar: 729.84, wjets: 15487.164}
/// data: [data]                     # processes that are real data (optional)
/// ```
fn with_overlay(
    source: &Arc<SourceFile>,
    entries: &[(Key, Node)],
    mut diags: Vec<Diagnostic>,
) -> (Option<Samples>, Vec<Diagnostic>) {
    let base = source
        .path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut r = Reader {
        source,
        base: base.clone(),
        diags: Vec::new(),
        seen_files: HashMap::new(),
        missing_folders: Vec::new(),
        overlay: None,
    };
    for (k, _) in entries {
        if !OVERLAY_KEYS.contains(&k.text.as_str()) {
            r.unknown_key(k, OVERLAY_KEYS, "a fileset overlay");
        }
    }
    let field = |name: &str| entries.iter().find(|(k, _)| k.text == name);
    let mut overlay = Overlay {
        xsec: HashMap::new(),
        data: Vec::new(),
    };
    if let Some((_, v)) = field("xsec")
        && let Some(map) = r.map(v, "`xsec` (process → cross section in pb)")
    {
        for (k, x) in map {
            match x.value {
                Value::Scalar(Scalar::Float(f)) if f.is_finite() && f > 0.0 => {
                    overlay.xsec.insert(k.text.clone(), f);
                }
                Value::Scalar(Scalar::Int(i)) if i > 0 => {
                    overlay.xsec.insert(k.text.clone(), i as f64);
                }
                _ => r.wrong_type(x, "a positive number (pb)", "a cross section"),
            }
        }
    }
    if let Some((_, v)) = field("data") {
        match &v.value {
            Value::Seq(items) => {
                for it in items {
                    match &it.value {
                        Value::Scalar(Scalar::Str(p)) => overlay.data.push(p.clone()),
                        _ => r.wrong_type(it, "a process name", "an entry of `data`"),
                    }
                }
            }
            _ => r.wrong_type(v, "a list of process names", "`data`"),
        }
    }
    let fileset = match field("fileset").map(|(_, v)| &v.value) {
        Some(Value::Scalar(Scalar::Str(f))) => f.clone(),
        _ => {
            if let Some((_, v)) = field("fileset") {
                r.wrong_type(v, "a path", "`fileset`");
            }
            diags.extend(r.diags);
            return (None, diags);
        }
    };
    let fs_path = base.join(&fileset);
    let fs_span = field("fileset").map(|(_, v)| v.span).unwrap_or_default();
    let text = match crate::io::text::read_text(&fs_path) {
        Ok(t) => t,
        Err(e) => {
            r.error(
                MISSING_FILE,
                fs_span,
                format!("cannot read fileset `{fileset}`: {e}"),
                "unreadable fileset",
            );
            diags.extend(r.diags);
            return (None, diags);
        }
    };
    let overlay_diags = std::mem::take(&mut r.diags);
    let fs_source = SourceFile::new(&fs_path, text);
    let (inner, mut inner_diags) = from_source_with(&fs_source, Some(overlay));
    // Cross sections for processes the fileset does not have are mistakes in the overlay.
    if let Some(samples) = &inner
        && let Some((_, v)) = field("xsec")
        && let Value::Map(map) = &v.value
    {
        for (k, _) in map {
            if !samples.processes.iter().any(|p| p.name == k.text) {
                let names: Vec<&str> = samples.processes.iter().map(|p| p.name.as_str()).collect();
                r.error(
                    UNKNOWN_KEY,
                    k.span,
                    format!("process `{}` is not in fileset `{fileset}`", k.text),
                    "no such process",
                )
                .help = Some(format!("its processes: {}", names.join(", ")));
            }
        }
    }
    diags.extend(overlay_diags);
    diags.extend(r.diags);
    diags.append(&mut inner_diags);
    (inner, diags)
}

const VARIATION_KEYS: &[&str] = &[
    "files",
    "nevts_total",
    "xsec",
    "is_data",
    "tree",
    "lumi_mask",
    "friends",
];
const FRIEND_KEYS: &[&str] = &["name", "tree", "files"];
const FILE_KEYS: &[&str] = &["path", "nevts", "size_bytes"];
/// Names a friend cannot have: the names the analysis gives a meaning before any branch
/// (`sample.process`, `it`, `lumi`, the per-sample values) and the grammar's keywords
/// (`grammar/ana.pest`, `keyword`), so `NAME.BRANCH` always reads the friend.
const RESERVED_FRIEND_NAMES: &[&str] = &[
    "sample",
    "it",
    "lumi",
    "xsec",
    "nevts",
    "sumw",
    "analysis",
    "tree",
    "samples",
    "output",
    "const",
    "object",
    "let",
    "cut",
    "weight",
    "region",
    "hist",
    "vary",
    "for",
    "in",
    "on",
    "up",
    "down",
    "derive",
    "counter",
    "collect",
    "max",
    "where",
    "and",
    "or",
    "not",
    "if",
    "then",
    "else",
    "true",
    "false",
    "when",
    "as",
    "correction",
    "fn",
    "table",
];

impl Reader<'_> {
    fn error(&mut self, code: Code, span: Span, message: String, label: &str) -> &mut Diagnostic {
        let d = Diagnostic::error(code, message)
            .in_file(self.source)
            .with_primary(span, label.to_string());
        self.diags.push(d);
        let last = self.diags.len() - 1;
        &mut self.diags[last]
    }

    fn wrong_type(&mut self, node: &Node, expected: &str, what: &str) {
        let found = node.kind_name();
        self.error(
            WRONG_TYPE,
            node.span,
            format!("{what} must be {expected}, found {found}"),
            &format!("expected {expected}"),
        );
    }

    fn map<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [(Key, Node)]> {
        match &node.value {
            Value::Map(entries) => Some(entries),
            _ => {
                self.wrong_type(node, "a mapping", what);
                None
            }
        }
    }

    fn unknown_key(&mut self, key: &Key, known: &[&str], context: &str) {
        let help = match did_you_mean(&key.text, known) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("the keys of {context} are: {}", known.join(", ")),
        };
        self.error(
            UNKNOWN_KEY,
            key.span,
            format!("unknown key `{}` in {context}", key.text),
            "unknown key",
        )
        .help = Some(help);
    }

    fn samples(&mut self, root: &Node) -> Option<Samples> {
        let entries = self.map(root, "a samples file (process → variation → fields)")?;
        if entries.is_empty() {
            self.error(
                EMPTY,
                root.span,
                "the samples file lists no processes".into(),
                "empty",
            );
        }
        // coffea's fileset form: {dataset: {files: {path: tree}, metadata: {...}}}.
        let coffea = self.overlay.is_some()
            && entries.iter().all(|(_, v)| match &v.value {
                Value::Map(m) => m
                    .iter()
                    .any(|(k, f)| k.text == "files" && matches!(f.value, Value::Map(_))),
                _ => false,
            });
        let processes = if coffea {
            self.coffea(entries)
        } else {
            entries
                .iter()
                .filter_map(|(key, value)| self.process(key, value))
                .collect()
        };
        Some(Samples {
            source: self.source.clone(),
            processes,
        })
    }

    /// coffea's fileset form. A dataset is one (process, variation): from its metadata's
    /// `process` and `variation`, else from a name `process__variation` (the AGC's coffea
    /// convention), else (name, `nominal`). Cross sections come from the metadata's `xsec` or the
    /// overlay; the files' tree names become the variation's `tree`.
    fn coffea(&mut self, entries: &[(Key, Node)]) -> Vec<Process> {
        let mut processes: Vec<Process> = Vec::new();
        for (key, value) in entries {
            let Value::Map(fields) = &value.value else {
                continue;
            };
            let field = |n: &str| fields.iter().find(|(k, _)| k.text == n).map(|(_, v)| v);
            let meta = field("metadata");
            let meta_str = |n: &str| match meta.map(|m| &m.value) {
                Some(Value::Map(m)) => {
                    m.iter()
                        .find(|(k, _)| k.text == n)
                        .and_then(|(_, v)| match &v.value {
                            Value::Scalar(Scalar::Str(s)) => Some(s.clone()),
                            _ => None,
                        })
                }
                _ => None,
            };
            let (pname, vname) = match (meta_str("process"), meta_str("variation")) {
                (Some(p), Some(v)) => (p, v),
                (Some(p), None) => (p, "nominal".to_string()),
                _ => match key.text.split_once("__") {
                    Some((p, v)) => (p.to_string(), v.to_string()),
                    None => (key.text.clone(), "nominal".to_string()),
                },
            };
            let mut var = Variation {
                name: vname,
                span: key.span,
                files: Vec::new(),
                nevts_total: None,
                nevts_total_span: None,
                xsec: None,
                is_data: false,
                tree: None,
                lumi_mask: None,
                friends: Vec::new(),
                friend_errors: false,
            };
            if let Some(Value::Map(files)) = field("files").map(|f| &f.value) {
                for (path, tree) in files {
                    let full = self.resolve(&path.text);
                    self.check_exists(&path.text, &full, path.span);
                    if let Value::Scalar(Scalar::Str(t)) = &tree.value {
                        if var.tree.as_ref().is_some_and(|x| x != t) {
                            self.error(
                                WRONG_TYPE,
                                tree.span,
                                format!("dataset `{}` names two trees", key.text),
                                "another tree",
                            );
                        }
                        var.tree = Some(t.clone());
                    }
                    var.files.push(SampleFile {
                        path: full,
                        nevts: None,
                        span: path.span,
                        nevts_span: None,
                        size_bytes: None,
                        size_span: None,
                    });
                }
            }
            if let Some(Value::Map(m)) = meta.map(|m| &m.value) {
                for (k, v) in m {
                    match (k.text.as_str(), &v.value) {
                        ("xsec", Value::Scalar(Scalar::Float(x))) => var.xsec = Some(*x),
                        ("xsec", Value::Scalar(Scalar::Int(x))) => var.xsec = Some(*x as f64),
                        ("is_data", Value::Scalar(Scalar::Bool(b))) => var.is_data = *b,
                        _ => {}
                    }
                }
            }
            if let Some(o) = &self.overlay {
                var.is_data |= o.data.contains(&pname);
                if var.xsec.is_none() && !var.is_data {
                    var.xsec = o.xsec.get(&pname).copied();
                }
            }
            if var.xsec.is_none() && !var.is_data {
                self.error(
                    MISSING_FIELD,
                    key.span,
                    format!(
                        "dataset `{}` (process `{pname}`) has no cross section",
                        key.text
                    ),
                    "`xsec` missing",
                )
                .help = Some("give it in the overlay's `xsec` or the dataset's metadata".into());
            }
            match processes.iter_mut().find(|p| p.name == pname) {
                Some(p) => p.variations.push(var),
                None => processes.push(Process {
                    name: pname,
                    span: key.span,
                    variations: vec![var],
                }),
            }
        }
        processes
    }

    fn process(&mut self, key: &Key, value: &Node) -> Option<Process> {
        let what = format!("process `{}` (its variations)", key.text);
        let entries = self.map(value, &what)?;
        if entries.is_empty() {
            self.error(
                EMPTY,
                key.span,
                format!("process `{}` has no variations", key.text),
                "no variations",
            )
            .help = Some("give at least a `nominal` variation with its files".into());
        }
        let variations: Vec<Variation> = entries
            .iter()
            .filter_map(|(k, v)| self.variation(&key.text, k, v))
            .collect();
        let data = variations.iter().filter(|v| v.is_data).count();
        if data > 0 && data < variations.len() {
            let mc: Vec<&str> = variations
                .iter()
                .filter(|v| !v.is_data)
                .map(|v| v.name.as_str())
                .collect();
            self.error(
                MIXED_DATA,
                key.span,
                format!(
                    "process `{}` mixes data and simulation (simulated: {})",
                    key.text,
                    mc.join(", ")
                ),
                "mixed process",
            )
            .help = Some("put data and simulated samples in separate processes".into());
        }
        Some(Process {
            name: key.text.clone(),
            span: key.span,
            variations,
        })
    }

    fn variation(&mut self, process: &str, key: &Key, value: &Node) -> Option<Variation> {
        let context = format!("sample `{process}` / `{}`", key.text);
        let entries = self.map(value, &context)?;
        let mut var = Variation {
            name: key.text.clone(),
            span: key.span,
            files: Vec::new(),
            nevts_total: None,
            nevts_total_span: None,
            xsec: None,
            is_data: false,
            tree: None,
            lumi_mask: None,
            friends: Vec::new(),
            friend_errors: false,
        };
        let field = |name: &str| entries.iter().find(|(k, _)| k.text == name);
        for (k, _) in entries {
            if !VARIATION_KEYS.contains(&k.text.as_str()) {
                self.unknown_key(k, VARIATION_KEYS, &context);
            }
        }
        if let Some((_, v)) = field("tree") {
            match &v.value {
                Value::Scalar(Scalar::Str(t)) if !t.is_empty() => var.tree = Some(t.clone()),
                _ => self.wrong_type(v, "a tree name", "`tree`"),
            }
        }
        if let Some((_, v)) = field("is_data") {
            match v.value {
                Value::Scalar(Scalar::Bool(b)) => var.is_data = b,
                _ => self.wrong_type(v, "true or false", "`is_data`"),
            }
        }
        match field("files") {
            Some((fk, v)) => self.files(fk, v, &context, &mut var),
            None => {
                self.error(
                    MISSING_FIELD,
                    key.span,
                    format!("{context} has no `files`"),
                    "`files` missing",
                )
                .help = Some("list the sample's ROOT files under `files:`".into());
            }
        }
        if let Some((_, v)) = field("nevts_total") {
            var.nevts_total = self.count(v, "`nevts_total`");
            var.nevts_total_span = Some(v.span);
        }
        if let Some(o) = &self.overlay {
            if o.data.iter().any(|p| p == process) {
                var.is_data = true;
            }
            if field("xsec").is_none()
                && !var.is_data
                && let Some(x) = o.xsec.get(process)
            {
                var.xsec = Some(*x);
            }
        }
        if var.xsec.is_none() {
            self.xsec(field("xsec"), key, &context, &mut var);
        }
        if let Some((k, v)) = field("lumi_mask") {
            self.lumi_mask(k, v, &context, &mut var);
        }
        if let Some((k, v)) = field("friends") {
            self.friends(k, v, &context, &mut var);
        }
        self.check_total(&var);
        Some(var)
    }

    /// `friends: [{name, tree, files}]`: each friend's files pair one-to-one with the sample's
    /// (after wildcards are expanded, in name order), so the counts must be equal.
    fn friends(&mut self, key: &Key, node: &Node, context: &str, var: &mut Variation) {
        let before = self.diags.iter().filter(|d| d.is_error()).count();
        self.friend_list(key, node, context, var);
        var.friend_errors = self.diags.iter().filter(|d| d.is_error()).count() > before;
    }

    fn friend_list(&mut self, key: &Key, node: &Node, context: &str, var: &mut Variation) {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(
                node,
                "a list of friend trees (`- {name: NAME, tree: TREE, files: [...]}`)",
                "`friends`",
            );
            return;
        };
        if items.is_empty() {
            self.error(
                EMPTY,
                key.span,
                format!("{context} has an empty `friends` list"),
                "no friends",
            )
            .help = Some("list friend trees as `{name: NAME, tree: TREE, files: [...]}`, or remove `friends`".into());
        }
        for item in items {
            let Some(entries) = self.map(item, "a friend tree (`{name, tree, files}`)") else {
                continue;
            };
            let friend_context = format!("a friend of {context}");
            for (k, _) in entries {
                if !FRIEND_KEYS.contains(&k.text.as_str()) {
                    self.unknown_key(k, FRIEND_KEYS, &friend_context);
                }
            }
            let field = |name: &str| entries.iter().find(|(k, _)| k.text == name);
            let missing = |r: &mut Self, what: &str, help: &str| {
                r.error(
                    MISSING_FIELD,
                    item.span,
                    format!("{friend_context} has no `{what}`"),
                    &format!("`{what}` missing"),
                )
                .help = Some(help.into());
            };
            let name = match field("name") {
                Some((_, v)) => match &v.value {
                    Value::Scalar(Scalar::Str(n)) => {
                        if self.friend_name(n, v.span, var) {
                            Some((n.clone(), v.span))
                        } else {
                            None
                        }
                    }
                    _ => {
                        self.wrong_type(v, "a name", "a friend's `name`");
                        None
                    }
                },
                None => {
                    missing(
                        self,
                        "name",
                        "the name prefixes the friend's branches in the analysis: \
                         `name: calib` gives `calib.BRANCH`",
                    );
                    None
                }
            };
            let tree = match field("tree") {
                Some((_, v)) => match &v.value {
                    Value::Scalar(Scalar::Str(t)) if !t.is_empty() => Some(t.clone()),
                    _ => {
                        self.wrong_type(v, "a tree name", "a friend's `tree`");
                        None
                    }
                },
                None => {
                    missing(
                        self,
                        "tree",
                        "name the friend's tree (or RNTuple) in its files",
                    );
                    None
                }
            };
            let files = match field("files") {
                Some((fk, v)) => self.friend_files(fk, v, &friend_context, var),
                None => {
                    missing(
                        self,
                        "files",
                        "list one friend file per file of the sample, in the same order",
                    );
                    None
                }
            };
            if let (Some((name, name_span)), Some(tree), Some(files)) = (name, tree, files) {
                var.friends.push(Friend {
                    name,
                    name_span,
                    tree,
                    files,
                });
            }
        }
    }

    /// Whether `name` can name a friend: an identifier the language can write before a dot, not
    /// one of the names that are never branches, and not another friend's.
    fn friend_name(&mut self, name: &str, span: Span, var: &Variation) -> bool {
        let identifier = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !identifier {
            self.error(
                INVALID_FRIEND,
                span,
                format!("friend name `{name}` is not a name the analysis can write"),
                "not an identifier",
            )
            .help = Some(
                "a friend's branches are written `NAME.BRANCH`: use letters, digits and `_`, \
                 starting with a letter"
                    .into(),
            );
            return false;
        }
        if RESERVED_FRIEND_NAMES.contains(&name) {
            self.error(
                INVALID_FRIEND,
                span,
                format!("friend name `{name}` is a name the language already gives a meaning"),
                "reserved",
            )
            .help = Some("choose another name for the friend".into());
            return false;
        }
        if let Some(first) = var.friends.iter().find(|f| f.name == name) {
            let first = first.name_span;
            self.error(
                INVALID_FRIEND,
                span,
                format!("two friends of this sample are named `{name}`"),
                "named again here",
            )
            .labels
            .push(crate::diagnostics::Label {
                span: first,
                message: "first named here".into(),
                primary: false,
            });
            return false;
        }
        true
    }

    /// A friend's `files`: entries as the sample's own (paths, wildcards, `nevts`); duplicates
    /// are looked for within the friend only (a friend tree may live in the sample's own file).
    /// `None` when they cannot be paired with the sample's files.
    fn friend_files(
        &mut self,
        key: &Key,
        node: &Node,
        context: &str,
        var: &Variation,
    ) -> Option<Vec<SampleFile>> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, "a list of files", "a friend's `files`");
            return None;
        };
        let before = self.diags.len();
        let outer = std::mem::take(&mut self.seen_files);
        let mut files = Vec::new();
        for item in items {
            files.extend(self.file(item, context));
        }
        self.seen_files = outer;
        // A file already reported (missing, a pattern without a match) would make the count
        // mismatch a second report of the same problem.
        if self.diags.len() > before {
            return None;
        }
        if files.len() != var.files.len() {
            let one = |n: usize| if n == 1 { "file" } else { "files" };
            self.error(
                INVALID_FRIEND,
                key.span,
                format!(
                    "{context} has {} {} but the sample has {} {}",
                    files.len(),
                    one(files.len()),
                    var.files.len(),
                    one(var.files.len())
                ),
                "does not pair with the sample's files",
            )
            .help = Some(
                "a friend's files pair one-to-one with the sample's, in order (patterns expand \
                 in name order): list one friend file per sample file"
                    .into(),
            );
            return None;
        }
        Some(files)
    }

    fn lumi_mask(&mut self, k: &Key, v: &Node, context: &str, var: &mut Variation) {
        let Value::Scalar(Scalar::Str(written)) = &v.value else {
            self.wrong_type(v, "the path of a certified-luminosity JSON", "`lumi_mask`");
            return;
        };
        if !var.is_data {
            self.error(
                INVALID_LUMI_MASK,
                k.span,
                format!("{context} is simulation: a luminosity mask selects data"),
                "not a data sample",
            )
            .help = Some("add `is_data: true`, or remove `lumi_mask`".into());
            return;
        }
        let full = self.base.join(written);
        let text = match crate::io::text::read_text(&full) {
            Ok(t) => t,
            Err(e) => {
                self.error(
                    INVALID_LUMI_MASK,
                    v.span,
                    format!("cannot read the luminosity mask `{written}`: {e}"),
                    "unreadable",
                )
                .help = Some("paths are relative to the samples file".into());
                return;
            }
        };
        match LumiMask::parse(full, &text) {
            Ok(m) => var.lumi_mask = Some(std::sync::Arc::new(m)),
            Err(why) => {
                self.error(
                    INVALID_LUMI_MASK,
                    v.span,
                    format!("the luminosity mask `{written}` {why}"),
                    "not a certified-luminosity JSON",
                )
                .help = Some(
                    "the CMS format: `{\"RUN\": [[FIRST, LAST], ...], ...}` with inclusive \
                     luminosity-section ranges"
                        .into(),
                );
            }
        }
    }

    fn xsec(&mut self, field: Option<&(Key, Node)>, key: &Key, context: &str, var: &mut Variation) {
        match field {
            Some((k, _)) if var.is_data => {
                let d = Diagnostic::warning(
                    IGNORED_XSEC,
                    format!("{context} is data: its `xsec` is not used"),
                )
                .in_file(self.source)
                .with_primary(k.span, "ignored")
                .with_help(
                    "data is not scaled by a cross section; remove `xsec` or `is_data: true`",
                );
                self.diags.push(d);
            }
            Some((_, v)) => {
                let x = match v.value {
                    Value::Scalar(Scalar::Float(x)) => Some(x),
                    Value::Scalar(Scalar::Int(i)) => Some(i as f64),
                    _ => {
                        self.wrong_type(v, "a number (pb)", "`xsec`");
                        None
                    }
                };
                if let Some(x) = x {
                    if x.is_finite() && x > 0.0 {
                        var.xsec = Some(x);
                    } else {
                        self.error(
                            INVALID_XSEC,
                            v.span,
                            format!("cross section of {context} must be a positive number, found {x}"),
                            "not a positive cross section",
                        )
                        .help = Some("give the process cross section in pb; for data set `is_data: true` instead".into());
                    }
                }
            }
            None if !var.is_data => {
                self.error(
                    MISSING_FIELD,
                    key.span,
                    format!("{context} has no `xsec`"),
                    "`xsec` missing",
                )
                .help = Some("simulated samples need a cross section in pb (`xsec: 729.84`); mark data with `is_data: true`".into());
            }
            None => {}
        }
    }

    /// A non-negative whole number.
    fn count(&mut self, node: &Node, what: &str) -> Option<u64> {
        let out_of_range = |r: &mut Self| {
            r.error(
                WRONG_TYPE,
                node.span,
                format!("{what} is outside the supported range 0 to {}", i64::MAX),
                "out of range",
            );
        };
        match node.value {
            Value::Scalar(Scalar::Int(i)) if i < 0 => {
                out_of_range(self);
                None
            }
            Value::Scalar(Scalar::Int(i)) => u64::try_from(i).ok(),
            // A whole number too large for a 64-bit integer reaches us as a float.
            Value::Scalar(Scalar::Float(f)) if f.fract() == 0.0 && f.abs() >= 9.2e18 => {
                out_of_range(self);
                None
            }
            _ => {
                self.wrong_type(node, "a non-negative whole number", what);
                None
            }
        }
    }

    fn files(&mut self, key: &Key, node: &Node, context: &str, var: &mut Variation) {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(node, "a list of files", "`files`");
            return;
        };
        if items.is_empty() {
            self.error(
                EMPTY,
                key.span,
                format!("{context} lists no files"),
                "empty list",
            );
        }
        for item in items {
            var.files.extend(self.file(item, context));
        }
    }

    /// One file entry: a path (with `*`, `?` wildcards in its last component, expanded to the
    /// matching files in name order), or a mapping with `path`, `nevts`, `size_bytes`.
    fn file(&mut self, item: &Node, context: &str) -> Vec<SampleFile> {
        self.file_entry(item, context).unwrap_or_default()
    }

    fn file_entry(&mut self, item: &Node, context: &str) -> Option<Vec<SampleFile>> {
        let (path_node, nevts_node, size_node) = match &item.value {
            Value::Scalar(Scalar::Str(_)) => (item, None, None),
            Value::Map(entries) => {
                let file_context = format!("a file entry of {context}");
                for (k, _) in entries {
                    if !FILE_KEYS.contains(&k.text.as_str()) {
                        self.unknown_key(k, FILE_KEYS, &file_context);
                    }
                }
                let find = |name: &str| entries.iter().find(|(k, _)| k.text == name);
                let Some((_, p)) = find("path") else {
                    self.error(
                        MISSING_FIELD,
                        item.span,
                        format!("{file_context} has no `path`"),
                        "`path` missing",
                    );
                    return None;
                };
                (
                    p,
                    find("nevts").map(|(_, n)| n),
                    find("size_bytes").map(|(_, n)| n),
                )
            }
            _ => {
                self.wrong_type(item, "a path or a mapping with `path`", "a file entry");
                return None;
            }
        };
        let Value::Scalar(Scalar::Str(written)) = &path_node.value else {
            self.wrong_type(path_node, "a string", "`path`");
            return None;
        };
        let nevts = nevts_node.and_then(|n| self.count(n, "`nevts`"));
        let size_bytes = size_node.and_then(|n| self.count(n, "`size_bytes`"));
        if is_glob(written) && !written.contains("://") {
            return Some(self.glob(written, path_node.span, nevts_node, size_node));
        }
        let path = self.resolve(written);
        self.check_exists(written, &path, path_node.span);
        Some(vec![SampleFile {
            path,
            nevts,
            span: path_node.span,
            nevts_span: nevts_node.map(|n| n.span),
            size_bytes,
            size_span: size_node.map(|n| n.span),
        }])
    }

    /// Expands a path whose last component has wildcards; no match is an error.
    fn glob(
        &mut self,
        written: &str,
        span: Span,
        nevts: Option<&Node>,
        size: Option<&Node>,
    ) -> Vec<SampleFile> {
        for (node, key) in [(nevts, "nevts"), (size, "size_bytes")] {
            if let Some(n) = node {
                self.error(
                    WRONG_TYPE,
                    n.span,
                    format!("`{key}` cannot be given for a pattern that matches several files"),
                    "one value for many files",
                )
                .help = Some(format!(
                    "list the files one by one to give each its `{key}`, or leave it out: \
                     anac counts the entries itself"
                ));
            }
        }
        let full = self.base.join(written);
        let (folder, pattern) = match (full.parent(), full.file_name().and_then(|n| n.to_str())) {
            (Some(f), Some(p)) => (f.to_path_buf(), p.to_string()),
            _ => {
                self.error(
                    MISSING_FILE,
                    span,
                    format!("pattern `{written}` has no file name part"),
                    "not a file pattern",
                );
                return Vec::new();
            }
        };
        if is_glob(&folder.to_string_lossy()) {
            self.error(
                MISSING_FILE,
                span,
                format!("pattern `{written}` has wildcards in a folder name"),
                "wildcards only in the file name",
            )
            .help = Some("anac expands `*` and `?` in the last part of a path only".into());
            return Vec::new();
        }
        let mut names: Vec<String> = std::fs::read_dir(&folder)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .filter(|e| e.path().is_file())
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .filter(|n| wildcard_match(&pattern, n))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        if names.is_empty() {
            self.error(
                MISSING_FILE,
                span,
                format!("pattern `{written}` matches no file"),
                "no match",
            )
            .help = Some(format!("looked in `{}`", folder.display()));
            return Vec::new();
        }
        names
            .into_iter()
            .map(|n| {
                let path = folder.join(&n);
                self.check_exists(&n, &path, span);
                SampleFile {
                    path,
                    nevts: None,
                    span,
                    nevts_span: None,
                    size_bytes: None,
                    size_span: None,
                }
            })
            .collect()
    }

    /// Where a written input path points: URLs as written, other paths relative to the samples
    /// file's folder.
    fn resolve(&self, written: &str) -> PathBuf {
        if written.contains("://") {
            PathBuf::from(written)
        } else {
            self.base.join(written)
        }
    }

    fn check_exists(&mut self, written: &str, path: &Path, span: Span) {
        if let Some(first) = self.seen_files.get(path).copied() {
            self.error(
                DUPLICATE_FILE,
                span,
                format!("file `{written}` is listed twice"),
                "listed again here",
            )
            .labels
            .push(crate::diagnostics::Label {
                span: first,
                message: "first listed here".into(),
                primary: false,
            });
            return;
        }
        self.seen_files.insert(path.to_path_buf(), span);
        // Remote files are opened (and reported when unreadable) by the check and the run.
        if crate::io::dataset::is_remote(path) || path.is_file() {
            return;
        }
        let (message, help) = if written.starts_with("root://") {
            (
                format!(
                    "sample file `{written}` is on an XRootD server, which anac cannot read yet"
                ),
                "give the storage's HTTPS address instead (`https://host/path`): most XRootD \
                 servers also serve HTTPS"
                    .to_string(),
            )
        } else if written.contains("://") {
            (
                format!("sample file `{written}` is not a local file or an http(s):// address"),
                "anac reads local files and files served over HTTP(S); copy the file and give its \
                 path"
                    .to_string(),
            )
        } else if path.is_dir() {
            (
                format!("sample file `{written}` is a directory"),
                "list the ROOT files inside it one by one".to_string(),
            )
        } else {
            let folder = path.parent().unwrap_or(Path::new(""));
            if !folder.is_dir() {
                // Reported once per folder at the end: a missing data folder is one problem.
                let entry = (written.to_string(), span);
                match self.missing_folders.iter_mut().find(|(f, _)| f == folder) {
                    Some((_, files)) => files.push(entry),
                    None => self
                        .missing_folders
                        .push((folder.to_path_buf(), vec![entry])),
                }
                return;
            }
            (
                format!("sample file `{written}` not found"),
                format!(
                    "looked for `{}`: the folder exists but has no such file; paths are relative to the samples file",
                    tidy(path).display()
                ),
            )
        };
        self.error(MISSING_FILE, span, message, "no such file").help = Some(help);
    }

    /// One diagnostic per missing folder, at its first file: a checkout without its data folder
    /// is one problem, not one per file.
    fn report_missing_folders(&mut self) {
        let base = self.base.display().to_string();
        for (folder, files) in std::mem::take(&mut self.missing_folders) {
            let Some((first, span)) = files.first() else {
                continue;
            };
            let folder = tidy(&folder);
            let (message, label) = if files.len() == 1 {
                (
                    format!(
                        "sample file `{first}` not found: its folder `{}` does not exist",
                        folder.display()
                    ),
                    "no such file".to_string(),
                )
            } else {
                (
                    format!(
                        "{} sample files not found: their folder `{}` does not exist",
                        files.len(),
                        folder.display()
                    ),
                    format!("first of the {} files", files.len()),
                )
            };
            self.error(MISSING_FILE, *span, message, &label).help = Some(format!(
                "paths in a samples file are relative to its folder `{base}`; fix the paths, \
                 provide the folder, or check against other files with `--samples FILE.yaml`"
            ));
        }
    }

    /// `nevts_total` against the files' `nevts`, when every file declares one.
    fn check_total(&mut self, var: &Variation) {
        let (Some(total), Some(span)) = (var.nevts_total, var.nevts_total_span) else {
            return;
        };
        let declared: Option<Vec<u64>> = var.files.iter().map(|f| f.nevts).collect();
        let Some(declared) = declared else {
            return;
        };
        if declared.is_empty() {
            return;
        }
        let sum = declared.iter().try_fold(0u64, |a, &b| a.checked_add(b));
        if sum != Some(total) {
            let sum_text = sum.map_or("more than 2^64".to_string(), |s| s.to_string());
            self.error(
                NEVTS_MISMATCH,
                span,
                format!("`nevts_total` is {total} but the files' `nevts` add up to {sum_text}"),
                "does not match the files",
            )
            .help =
                Some("fix the total or the per-file counts; the weights use `nevts_total`".into());
        }
    }
}

/// `a/b/../c` → `a/c`, for messages only (the file system is never asked, so symlinks do not
/// matter: this is what the user would read the path as).
fn tidy(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn is_glob(s: &str) -> bool {
    s.contains('*') || s.contains('?')
}

/// `*` matches any run of characters, `?` any one character.
fn wildcard_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

/// The closest known name, when close enough to be a likely typo.
pub fn did_you_mean<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    // Bounded work, as `sema`'s suggestions: no suggestion for very long names.
    if name.len() > 64 {
        return None;
    }
    known
        .iter()
        .filter(|k| k.len() <= 64)
        .map(|k| (strsim::jaro_winkler(name, k), *k))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

#[cfg(test)]
#[path = "samples_tests.rs"]
mod tests;

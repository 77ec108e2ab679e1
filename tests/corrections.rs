//! Tests of anac's correctionlib loader and evaluator (`anac::corrections`).
//!
//! The differential test runs `tests/scripts/corrections_reference.py`, which builds correction
//! sets with correctionlib 2.9.0's `schemav2` (every node type, every flow mode, formulas,
//! compound corrections; JSON and gzipped JSON), evaluates 10^5 random inputs per correction
//! with correctionlib and writes inputs, outputs and "raised" flags. anac loads the same files,
//! evaluates the same inputs and must agree: bit for bit for lookups, transforms and HashPRNG;
//! within 1e-12 relative (or 1e-300 absolute) for formulas; and it must fail exactly where
//! correctionlib raises.
//!
//! Without python3 + correctionlib 2.9.0 the differential test is skipped with a printed reason,
//! except under `CI=true`, where it fails.
//!
//! The other tests feed malformed and hostile documents and check for a clear error with the
//! right JSON path, never a panic or a stack overflow.

use anac::corrections::{
    CorrectionSet, EvalError, LoadError, LoadErrorKind, MAX_JSON_DEPTH, Value,
};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const ROWS: usize = 100_000;

/// A correction or compound correction's `evaluate`.
type Evaluator<'a> = Box<dyn Fn(&[Value]) -> Result<f64, EvalError> + 'a>;

/// `true` when python3 has correctionlib 2.9.0; otherwise skips (or fails under CI).
fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args([
            "-c",
            "import correctionlib, numpy; assert correctionlib.__version__ == '2.9.0'",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but python3 with correctionlib 2.9.0 and numpy is not available");
        }
        eprintln!(
            "skipping: python3 with correctionlib 2.9.0 and numpy is not available \
             (python3 -m pip install correctionlib==2.9.0)"
        );
    }
    ok
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("anac-corrections-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// One column of inputs as read from a case file.
enum Column {
    Real(Vec<f64>),
    Int(Vec<i64>),
    Str(Vec<u32>),
}

fn take<'a>(bytes: &'a [u8], at: &mut usize, n: usize) -> &'a [u8] {
    let s = &bytes[*at..*at + n];
    *at += n;
    s
}

fn f64s(b: &[u8]) -> Vec<f64> {
    b.chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn same(expected: f64, got: f64, formula: bool) -> bool {
    if expected.is_nan() || got.is_nan() {
        return expected.is_nan() && got.is_nan();
    }
    if expected.to_bits() == got.to_bits() {
        return true;
    }
    if !formula {
        return false;
    }
    let diff = (expected - got).abs();
    diff <= 1e-300 || diff <= 1e-12 * expected.abs().max(got.abs())
}

#[test]
fn evaluation_matches_correctionlib() {
    if !python_ready() {
        return;
    }
    let dir = temp_dir("diff");
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/corrections_reference.py");
    let t0 = Instant::now();
    let out = Command::new("python3")
        .arg(&script)
        .arg(&dir)
        .arg(ROWS.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "reference script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!(
        "reference: {} ({:.1} s)",
        String::from_utf8_lossy(&out.stdout).trim(),
        t0.elapsed().as_secs_f64()
    );

    let t1 = Instant::now();
    let manifest: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let mut sets: HashMap<String, CorrectionSet> = HashMap::new();
    let mut failures = Vec::new();
    let mut evaluated = 0usize;
    for (k, case) in manifest["cases"].as_array().unwrap().iter().enumerate() {
        let file = case["file"].as_str().unwrap();
        let name = case["correction"].as_str().unwrap();
        let compound = case["compound"].as_bool().unwrap();
        let rows = case["rows"].as_u64().unwrap() as usize;
        let formula = case["compare"] == "formula";
        let strings: Vec<&str> = case["strings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        let set = sets.entry(file.to_string()).or_insert_with(|| {
            CorrectionSet::load(&dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
        });
        let bytes = std::fs::read(dir.join(format!("case_{k}.bin"))).unwrap();
        let mut at = 0;
        let columns: Vec<Column> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| match i["type"].as_str().unwrap() {
                "real" => Column::Real(f64s(take(&bytes, &mut at, rows * 8))),
                "int" => Column::Int(
                    take(&bytes, &mut at, rows * 8)
                        .chunks_exact(8)
                        .map(|c| i64::from_le_bytes(c.try_into().unwrap()))
                        .collect(),
                ),
                _ => Column::Str(
                    take(&bytes, &mut at, rows * 4)
                        .chunks_exact(4)
                        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
                        .collect(),
                ),
            })
            .collect();
        let expected = f64s(take(&bytes, &mut at, rows * 8));
        let raised = take(&bytes, &mut at, rows);
        assert_eq!(at, bytes.len(), "case {k} file size");

        let evaluate: Evaluator = if compound {
            let c = set
                .compound(name)
                .unwrap_or_else(|| panic!("compound {name} missing"));
            Box::new(move |a| c.evaluate(a))
        } else {
            let c = set
                .correction(name)
                .unwrap_or_else(|| panic!("correction {name} missing"));
            Box::new(move |a| c.evaluate(a))
        };
        let mut args: Vec<Value> = Vec::with_capacity(columns.len());
        let mut bad = 0usize;
        for r in 0..rows {
            args.clear();
            for col in &columns {
                args.push(match col {
                    Column::Real(v) => Value::Real(v[r]),
                    Column::Int(v) => Value::Int(v[r]),
                    Column::Str(v) => Value::Str(strings[v[r] as usize]),
                });
            }
            let got = evaluate(&args);
            let ok = match (raised[r] != 0, &got) {
                (true, Err(_)) => true,
                (false, Ok(v)) => same(expected[r], *v, formula),
                _ => false,
            };
            if !ok {
                bad += 1;
                if bad <= 5 {
                    failures.push(format!(
                        "{name} row {r}: args {args:?}: correctionlib {}, anac {got:?}",
                        if raised[r] != 0 {
                            "raised".to_string()
                        } else {
                            format!("{:?}", expected[r])
                        }
                    ));
                }
            }
        }
        if bad > 5 {
            failures.push(format!("{name}: {bad} mismatches in total"));
        }
        evaluated += rows;
    }
    println!(
        "anac: {evaluated} evaluations checked ({:.1} s)",
        t1.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

// ------------------------------------------------------------------ malformed documents

/// A one-correction set with the given inputs and data node.
fn doc(inputs: &str, data: &str) -> String {
    format!(
        r#"{{"schema_version": 2, "corrections": [
            {{"name": "ok", "version": 1, "inputs": [{{"name": "x", "type": "real"}}],
              "output": {{"name": "o", "type": "real"}}, "data": 1.0}},
            {{"name": "c", "version": 1, "inputs": {inputs},
              "output": {{"name": "o", "type": "real"}}, "data": {data}}}]}}"#
    )
}

const X: &str = r#"[{"name": "x", "type": "real"}]"#;

fn load_err(text: &str) -> LoadError {
    match CorrectionSet::from_json(text) {
        Ok(_) => panic!("loaded, but should fail: {}", &text[..text.len().min(300)]),
        Err(e) => e,
    }
}

fn assert_err(text: &str, kind: LoadErrorKind, path: &str, needle: &str) {
    let e = load_err(text);
    assert_eq!(e.kind, kind, "{e:?}");
    assert_eq!(e.path, path, "{e:?}");
    assert!(
        e.message.contains(needle) || e.help.as_deref().is_some_and(|h| h.contains(needle)),
        "expected {needle:?} in {e:?}"
    );
    // Display never panics and names the path.
    assert!(e.to_string().contains(path), "{e}");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let n = 100_000;
    let arrays = format!("{}{}", "[".repeat(n), "]".repeat(n));
    let e = load_err(&arrays);
    assert_eq!(e.kind, LoadErrorKind::Syntax);
    assert!(e.message.contains("nesting deeper than"), "{e:?}");
    assert!(e.position.is_some());

    // Deeply nested content nodes inside a real correction: the error names where it happened.
    let open = r#"{"nodetype": "transform", "input": "x", "rule": 1.0, "content": "#;
    let data = format!("{}1.0{}", open.repeat(n), "}".repeat(n));
    let e = load_err(&doc(X, &data));
    assert_eq!(e.kind, LoadErrorKind::Syntax);
    assert!(
        e.path
            .starts_with("corrections[1].data.content.content.content"),
        "{}",
        &e.path[..e.path.len().min(200)]
    );

    // Just inside the limit loads and evaluates (document, corrections, correction: 3 levels).
    let levels = MAX_JSON_DEPTH - 3;
    let data = format!("{}2.5{}", open.repeat(levels), "}".repeat(levels));
    let set = CorrectionSet::from_json(&doc(X, &data)).expect("nesting within the limit loads");
    let c = set.correction("c").unwrap();
    assert_eq!(c.evaluate(&[Value::Real(0.0)]), Ok(2.5));
    let data = format!("{}2.5{}", open.repeat(levels + 1), "}".repeat(levels + 1));
    assert_eq!(load_err(&doc(X, &data)).kind, LoadErrorKind::Syntax);

    // A deeply nested formula expression.
    let expr = format!("{}x{}", "(".repeat(n), ")".repeat(n));
    let data = format!(
        r#"{{"nodetype": "formula", "expression": "{expr}", "parser": "TFormula", "variables": ["x"]}}"#
    );
    assert_err(
        &doc(X, &data),
        LoadErrorKind::Schema,
        "corrections[1].data.expression",
        "deeper",
    );
}

#[test]
fn huge_arrays_and_counts_are_errors() {
    // A uniform binning claiming 2^32-1 bins with three contents.
    let data = r#"{"nodetype": "binning", "input": "x", "edges": {"n": 4294967295, "low": 0, "high": 1},
                   "content": [1, 2, 3], "flow": "clamp"}"#;
    assert_err(
        &doc(X, data),
        LoadErrorKind::Schema,
        "corrections[1].data.content",
        "3 content entries for 4294967295 bins",
    );
    let data = r#"{"nodetype": "binning", "input": "x", "edges": {"n": 4294967296, "low": 0, "high": 1},
                   "content": [1], "flow": "clamp"}"#;
    assert_err(
        &doc(X, data),
        LoadErrorKind::Schema,
        "corrections[1].data.edges.n",
        "2^32",
    );
    // A multibinning whose bin count overflows.
    let uni = r#"{"n": 4294967295, "low": 0, "high": 1}"#;
    let data = format!(
        r#"{{"nodetype": "multibinning", "inputs": ["x", "x", "x"], "edges": [{uni}, {uni}, {uni}],
            "content": [1.0], "flow": "clamp"}}"#
    );
    assert_err(
        &doc(X, &data),
        LoadErrorKind::Schema,
        "corrections[1].data.edges",
        "overflows",
    );
    // A large but legal binning loads and evaluates quickly.
    let n = 1_000_000;
    let edges: Vec<String> = (0..=n).map(|i| format!("{i}.0")).collect();
    let content: Vec<String> = (0..n).map(|i| format!("{i}")).collect();
    let data = format!(
        r#"{{"nodetype": "binning", "input": "x", "edges": [{}], "content": [{}], "flow": "clamp"}}"#,
        edges.join(","),
        content.join(",")
    );
    let set = CorrectionSet::from_json(&doc(X, &data)).expect("a 10^6-bin binning loads");
    let c = set.correction("c").unwrap();
    assert_eq!(c.evaluate(&[Value::Real(123_456.5)]), Ok(123_456.0));
    // A long formula is fine up to the depth limit, then an error.
    let long = vec!["x"; 100_000].join("+");
    let data = format!(
        r#"{{"nodetype": "formula", "expression": "{long}", "parser": "TFormula", "variables": ["x"]}}"#
    );
    assert_err(
        &doc(X, &data),
        LoadErrorKind::Schema,
        "corrections[1].data.expression",
        "deeper",
    );
}

#[test]
fn wrong_types_and_missing_fields_name_their_path() {
    assert_err("[]", LoadErrorKind::Schema, "", "expected a correction set");
    assert_err(
        r#"{"schema_version": 1, "corrections": []}"#,
        LoadErrorKind::Schema,
        "schema_version",
        "not supported",
    );
    assert_err(
        r#"{"schema_version": 2}"#,
        LoadErrorKind::Schema,
        "",
        "missing required field `corrections`",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "binning", "input": "x", "edges": "0 1", "content": [1], "flow": "clamp"}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.edges",
        "expected an array of edges",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "binning", "input": "x", "edges": [0.0, 1.0], "content": ["a"], "flow": "clamp"}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.content[0]",
        "expected a number or a content node",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "binning", "input": "x", "edges": [0.0, 1.0], "content": [null], "flow": "clamp"}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.content[0]",
        "pydantic",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "binning", "input": "x", "edges": [0.0, 1.0], "content": [1.0]}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data",
        "missing required field `flow`",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "binning", "input": "x", "edges": [0.0, 1.0], "content": [1.0], "flow": "clmap"}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.flow",
        "unknown flow",
    );
    assert_err(
        &doc(r#"[{"name": "x", "type": "float"}]"#, "1.0"),
        LoadErrorKind::Schema,
        "corrections[1].inputs[0].type",
        "unknown type",
    );
    assert_err(
        &doc(
            r#"[{"name": "x", "type": "real"}, {"name": "x", "type": "int"}]"#,
            "1.0",
        ),
        LoadErrorKind::Schema,
        "corrections[1].inputs[1].name",
        "duplicate input name",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "category", "input": "x", "content": []}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.input",
        "int or string",
    );
    assert_err(
        &doc(
            r#"[{"name": "s", "type": "string"}]"#,
            r#"{"nodetype": "category", "input": "s", "content": [{"key": 1, "value": 1.0}]}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.content[0].key",
        "is string, but this key is an integer",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "hashprng", "inputs": ["x"], "distribution": "gauss"}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.distribution",
        "unknown distribution",
    );
    // Syntax errors carry a line and column.
    let e = load_err("{\"schema_version\": 2,\n \"corrections\": [1.0,]}");
    assert_eq!(e.kind, LoadErrorKind::Syntax);
    assert_eq!(e.position, Some((2, 22)));
}

#[test]
fn inconsistent_content_is_an_error() {
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "binning", "input": "x", "edges": [0.0, 1.0, 0.5, 2.0], "content": [1, 2, 3], "flow": "clamp"}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.edges[2]",
        "not strictly increasing",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "binning", "input": "x", "edges": [0.0, 1.0, 1.0], "content": [1, 2], "flow": "clamp"}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.edges[2]",
        "not strictly increasing",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "binning", "input": "x", "edges": [0.0, NaN], "content": [1], "flow": "clamp"}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.edges[1]",
        "NaN",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "binning", "input": "x", "edges": [0.0, 1.0, 2.0], "content": [1], "flow": "clamp"}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.content",
        "1 content entries for 2 bins",
    );
    let xy = r#"[{"name": "x", "type": "real"}, {"name": "y", "type": "real"}]"#;
    assert_err(
        &doc(
            xy,
            r#"{"nodetype": "multibinning", "inputs": ["x", "y"], "edges": [[0.0, 1.0, 2.0], {"n": 3, "low": 0, "high": 1}],
               "content": [1, 2, 3, 4, 5], "flow": "error"}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.content",
        "5 content entries for 6 bins",
    );
    assert_err(
        &doc(
            r#"[{"name": "n", "type": "int"}]"#,
            r#"{"nodetype": "category", "input": "n", "content": [{"key": 1, "value": 1.0}, {"key": 1, "value": 2.0}]}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.content[1].key",
        "duplicate category key",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "binning", "input": "pt", "edges": [0.0, 1.0], "content": [1], "flow": "clamp"}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.input",
        "not an input",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "formula", "expression": "x*(1+", "parser": "TFormula", "variables": ["x"]}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.expression",
        "cannot parse formula",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "formula", "expression": "x*y", "parser": "TFormula", "variables": ["x"]}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.expression",
        "uses variable y",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "formula", "expression": "x*[1]", "parser": "TFormula", "variables": ["x"], "parameters": [1.0]}"#,
        ),
        LoadErrorKind::Schema,
        "corrections[1].data.expression",
        "parameter [1]",
    );
    let generic = r#"[{"name": "x", "type": "real"}]"#;
    let text = format!(
        r#"{{"schema_version": 2, "corrections": [{{"name": "c", "version": 1, "inputs": {generic},
            "output": {{"name": "o", "type": "real"}},
            "generic_formulas": [{{"nodetype": "formula", "expression": "[0]+[1]*x", "parser": "TFormula", "variables": ["x"]}}],
            "data": {{"nodetype": "binning", "input": "x", "edges": [0.0, 1.0, 2.0], "flow": "clamp",
                      "content": [{{"nodetype": "formularef", "index": 0, "parameters": [1.0, 2.0]}},
                                  {{"nodetype": "formularef", "index": 1, "parameters": [1.0, 2.0]}}]}}}}]}}"#
    );
    assert_err(
        &text,
        LoadErrorKind::Schema,
        "corrections[0].data.content[1].index",
        "out of range",
    );
    let text = text.replace(
        r#""index": 1, "parameters": [1.0, 2.0]"#,
        r#""index": 0, "parameters": [1.0]"#,
    );
    assert_err(
        &text,
        LoadErrorKind::Schema,
        "corrections[0].data.content[1].parameters",
        "parameter [1]",
    );
}

#[test]
fn unknown_and_unsupported_nodes_are_reported() {
    assert_err(
        &doc(X, r#"{"nodetype": "binnig", "input": "x"}"#),
        LoadErrorKind::Schema,
        "corrections[1].data.nodetype",
        "did you mean `binning`",
    );
    assert_err(
        &doc(X, r#"{"input": "x"}"#),
        LoadErrorKind::Schema,
        "corrections[1].data",
        "missing required field `nodetype`",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "binning", "input": "x", "edges": [0.0, 1.0], "flow": "clamp",
               "content": [{"nodetype": "lwtnn", "inputs": ["x"], "opaque": {}}]}"#,
        ),
        LoadErrorKind::Unsupported,
        "corrections[1].data.content[0].nodetype",
        "LWTNN",
    );
    assert_err(
        &doc(
            X,
            r#"{"nodetype": "formula", "expression": "x", "parser": "numexpr", "variables": ["x"]}"#,
        ),
        LoadErrorKind::Unsupported,
        "corrections[1].data.parser",
        "numexpr",
    );
}

#[test]
fn gzip_and_bad_bytes() {
    let dir = temp_dir("gzip");
    let text = doc(
        X,
        r#"{"nodetype": "binning", "input": "x", "edges": [0.0, 1.0], "content": [4.0], "flow": "clamp"}"#,
    );
    let mut c = libdeflater::Compressor::new(libdeflater::CompressionLvl::default());
    let mut gz = vec![0u8; c.gzip_compress_bound(text.len())];
    let n = c.gzip_compress(text.as_bytes(), &mut gz).unwrap();
    gz.truncate(n);
    let path = dir.join("set.json.gz");
    std::fs::write(&path, &gz).unwrap();
    let set = CorrectionSet::load(&path).expect("gzipped set loads");
    assert_eq!(
        set.correction("c").unwrap().evaluate(&[Value::Real(7.0)]),
        Ok(4.0)
    );
    let mut broken = gz.clone();
    broken.truncate(gz.len() / 2);
    let e = CorrectionSet::from_bytes(&broken).unwrap_err();
    assert_eq!(e.kind, LoadErrorKind::Decompress);
    let e = CorrectionSet::from_bytes(b"{\"a\": \"\xff\"}").unwrap_err();
    assert_eq!(e.kind, LoadErrorKind::Syntax);
    let e = CorrectionSet::load(&dir.join("missing.json")).unwrap_err();
    assert_eq!(e.kind, LoadErrorKind::Io);
    std::fs::remove_dir_all(&dir).unwrap();
}

//! What the end-to-end test files share: the checkout, the `anac` binary, fresh output folders,
//! JSON and numbers. Each test binary uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `anac` binary in the checkout.
pub fn anac(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anac"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("the anac binary runs")
}

/// A fresh (removed) temporary folder for this test process.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("anac-run-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Runs `ana` into a fresh folder and returns it.
pub fn run_ok(ana: &str, name: &str, extra: &[&str]) -> PathBuf {
    let out = tmp(name);
    let o = out.to_str().expect("utf-8 temp path");
    let mut args = vec!["run", ana, "-o", o, "-q"];
    args.extend_from_slice(extra);
    let r = anac(&args);
    assert!(
        r.status.success(),
        "anac run {ana} failed: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    out
}

pub fn json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Equal to 1e-9 relative.
pub fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// Every number of a (nested) JSON array, in order.
pub fn floats(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(items) => items.iter().flat_map(floats).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap_or(f64::NAN)],
        other => panic!("not a number: {other}"),
    }
}

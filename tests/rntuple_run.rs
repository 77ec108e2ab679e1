//! `anac run` on RNTuple inputs: the AGC analysis on RNTuple copies of `../shared/data/agc-small`
//! (made by ROOT's RNTupleImporter, `tests/scripts/to_rntuple.py`) fills every histogram exactly
//! as on the TTree originals. The copies have new file UUIDs and so new random streams: the
//! comparison uses the deterministic-smearing variant of the analysis.
//!
//! Needs `../shared/data` and PyROOT; without them these tests skip with a message (under
//! `CI=true` they fail).

#[path = "http_server/mod.rs"]
mod http_server;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anac::testing::shared_data;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("anac-rntuple-run-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp folder");
    d
}

/// PyROOT, or `None` with a printed reason outside CI.
fn pyroot() -> Option<()> {
    let ok = Command::new("python3")
        .args(["-c", "import ROOT"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(());
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true but PyROOT is missing (pip install root==0.1a12)");
    }
    eprintln!("skipping: `python3 -c 'import ROOT'` fails");
    None
}

/// RNTuple copies of every AGC-small file in `dir/agc-small`, and a samples file for them.
fn rntuple_fileset(dir: &Path) -> Option<PathBuf> {
    let data = shared_data()?;
    pyroot()?;
    let agc = data.join("agc-small");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&agc)
        .expect("agc-small is a folder")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "root"))
        .collect();
    files.sort();
    let out = dir.join("agc-small");
    let o = Command::new("python3")
        .arg(root().join("tests/scripts/to_rntuple.py"))
        .arg(&out)
        .args(&files)
        .output()
        .expect("python3 runs");
    assert!(
        o.status.success(),
        "to_rntuple.py failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let samples = std::fs::read_to_string(root().join("analyses/ttbar/samples.yaml"))
        .expect("the AGC samples file");
    let moved = samples.replace("../../../shared/data/agc-small/", "agc-small/");
    assert_ne!(moved, samples, "the samples file points at agc-small");
    let path = dir.join("samples.yaml");
    std::fs::write(&path, moved).expect("write the samples file");
    Some(path)
}

fn run(samples: Option<&Path>, out: &Path) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_anac"));
    cmd.current_dir(root()).args([
        "run",
        "analyses/ttbar/ttbar_deterministic.ana",
        "-o",
        out.to_str().expect("utf-8 path"),
    ]);
    if let Some(s) = samples {
        cmd.args(["--samples", s.to_str().expect("utf-8 path")]);
    }
    let o = cmd.output().expect("anac runs");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "anac run failed: {err}");
    err
}

fn json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json")
}

#[test]
fn the_agc_analysis_on_rntuple_copies_equals_the_ttree_run() {
    let dir = tmp("agc");
    let Some(samples) = rntuple_fileset(&dir) else {
        return;
    };
    let (tt, rn) = (dir.join("ttree"), dir.join("rntuple"));
    run(None, &tt);
    run(Some(&samples), &rn);
    let (a, b) = (
        json(&tt.join("histograms.json")),
        json(&rn.join("histograms.json")),
    );
    let a = a.as_object().expect("histograms");
    let b = b.as_object().expect("histograms");
    assert_eq!(a.len(), 124, "the AGC analysis writes 124 histograms");
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same histograms"
    );
    let mut filled = 0;
    for (name, h) in a {
        assert_eq!(h["storage"], b[name]["storage"], "histogram {name}");
        if h["storage"]["values"]
            .as_array()
            .is_some_and(|v| v.iter().any(|x| x.as_f64() != Some(0.0)))
        {
            filled += 1;
        }
    }
    assert!(filled > 100, "only {filled} histograms have entries");
    assert_eq!(
        json(&tt.join("cutflow.json")),
        json(&rn.join("cutflow.json")),
        "cutflows"
    );

    // The same RNTuple files served over HTTP with 20 ms per request.
    let server = http_server::Server::start(None);
    let copies = dir.join("agc-small");
    for e in std::fs::read_dir(&copies).expect("the copies") {
        let p = e.expect("entry").path();
        let name = p
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        server.put(&name, std::fs::read(&p).expect("read a copy"));
    }
    server.set_mode(http_server::Mode {
        latency: Duration::from_millis(20),
        ..http_server::Mode::default()
    });
    let text = std::fs::read_to_string(&samples).expect("samples");
    let remote = dir.join("remote.yaml");
    std::fs::write(
        &remote,
        text.replace("agc-small/", &format!("http://{}/", server.addr)),
    )
    .expect("write");
    let over_http = dir.join("http");
    let summary = run(Some(&remote), &over_http);
    assert_eq!(
        json(&over_http.join("histograms.json")),
        json(&rn.join("histograms.json")),
        "RNTuple over HTTP"
    );
    let line = summary
        .lines()
        .find(|l| l.starts_with("remote inputs:"))
        .unwrap_or_else(|| panic!("no remote-input line:\n{summary}"));
    eprintln!("AGC-small, RNTuple over HTTP: {line}");
    let _ = std::fs::remove_dir_all(&dir);
}

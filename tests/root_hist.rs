//! 1-D histograms read from ROOT files (`RootFile::histograms_1d`, what `anac validate` uses on a
//! bare `histograms.root`): files written by ROOT itself (tests/scripts/write_th1.py: TH1D with
//! weights and flow, TH1F with variable bins, TH1I without sums of squares, two cycles, a
//! subdirectory, a TH2D passed over) equal uproot's reading of them, value for value.

use std::path::PathBuf;
use std::process::Command;

use anac::io::root::RootFile;

fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import uproot, ROOT"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but python3 with uproot and PyROOT is not available");
        }
        eprintln!("skipping: python3 with uproot and PyROOT (import ROOT) is not available");
    }
    ok
}

#[test]
fn histograms_written_by_root_read_as_uproot_reads_them() {
    if !python_ready() {
        return;
    }
    let dir: PathBuf = std::env::temp_dir().join(format!("anac-th1-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/scripts/write_th1.py");
    let o = Command::new("python3")
        .arg(script)
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("th1.json")).unwrap()).unwrap();
    let f = RootFile::open(dir.join("th1.root")).unwrap();
    let hists = f.histograms_1d().unwrap();
    let names: Vec<&str> = hists.iter().map(|h| h.name.as_str()).collect();
    assert_eq!(
        names,
        ["weighted", "variable", "counts", "cycled", "region/inside"]
    );
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    for h in &hists {
        let e = &expected[&h.name];
        // A regular axis stores (low, high, bins); its edges are computed, and two ways of
        // computing them may differ in the last bit.
        let want = floats(&e["edges"]);
        assert_eq!(h.edges.len(), want.len(), "{} edges", h.name);
        for (a, b) in h.edges.iter().zip(&want) {
            assert!(
                (a - b).abs() <= 1e-12 * b.abs().max(1.0),
                "{} edges",
                h.name
            );
        }
        assert_eq!(h.sumw, floats(&e["values"]), "{} values", h.name);
        match (&h.sumw2, &e["variances"]) {
            (None, serde_json::Value::Null) => {}
            (Some(v), ev) if !ev.is_null() => assert_eq!(v, &floats(ev), "{}", h.name),
            (got, want) => panic!("{}: variances {got:?} vs {want}", h.name),
        }
        assert_eq!(h.entries, e["entries"].as_f64().unwrap(), "{}", h.name);
    }
    let cycled = hists.iter().find(|h| h.name == "cycled").unwrap();
    assert_eq!(cycled.title, "second");
    assert_eq!(cycled.sumw, [0.0, 1.0, 2.0, 0.0, 0.0]);
    let _ = std::fs::remove_dir_all(&dir);
}

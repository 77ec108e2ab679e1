//! The soft dilepton search example (`examples/soft_dilepton.ana`, after CMS SUS-16-048: two soft
//! leptons of either flavour as one `union` collection), run end to end and compared bin by bin
//! with an independent uproot + awkward implementation
//! (`tests/golden/examples/soft_dilepton_golden.py`, its JSON output committed beside it).
//!
//! The input is the enriched NanoAOD-layout file committed in `examples/data/` (made from the real
//! CMS events of `../shared/data` by `tests/scripts/make_soft_dilepton.py`), so the comparison
//! needs nothing outside the repository. Re-making the input needs `../shared/data` and python3
//! with awkward, uproot and PyROOT, and opening the outputs needs python3 with hist, uhi, uproot
//! and PyROOT: without them those tests skip with a message (under `CI=true` they fail).

mod run_support;

use std::path::Path;
use std::process::Command;

use run_support::{anac, close, floats, json, root, run_ok, tmp};

use anac::testing::shared_data;
use serde_json::Value;

const ANA: &str = "examples/soft_dilepton.ana";
const GOLDEN: &str = "tests/golden/examples/soft_dilepton.json";
const INPUT: &str = "examples/data/soft_dilepton_enriched.root";
const SCRIPT: &str = "tests/scripts/make_soft_dilepton.py";

/// 17 (region, histogram) pairs x (nominal, electron_scale_up, electron_scale_down).
const HISTOGRAMS: usize = 51;

/// Every compared histogram has at least this many fills.
const MIN_ENTRIES: u64 = 20;

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what}: not a number: {v}"))
}

/// Every histogram of the golden equals anac's, bin by bin, flow bins included, and has at least
/// `MIN_ENTRIES` fills; anac wrote no histogram the golden lacks. Returns how many were compared.
fn compare_hists(results: &Path, golden: &Value) -> usize {
    let ours = json(&results.join("histograms.json"));
    let ours = ours.as_object().expect("histograms.json is an object");
    let gold = golden["histograms"].as_object().expect("golden histograms");
    for (name, g) in gold {
        let h = ours
            .get(name)
            .unwrap_or_else(|| panic!("anac wrote no histogram {name}"));
        let entries = g["entries"].as_u64().expect("golden entries");
        assert!(
            entries >= MIN_ENTRIES,
            "{name}: only {entries} entries in the golden"
        );
        for (ours_key, gold_key) in [("values", "contents"), ("variances", "variances")] {
            let a = floats(&h["storage"][ours_key]);
            let b = floats(&g[gold_key]);
            assert_eq!(a.len(), b.len(), "{name}: {ours_key} length");
            for (i, (x, y)) in a.iter().zip(&b).enumerate() {
                assert!(
                    close(*x, *y),
                    "{name} {ours_key}[{i}]: anac {x}, golden {y}"
                );
            }
        }
    }
    for name in ours.keys() {
        assert!(gold.contains_key(name), "{name}: not in the golden");
    }
    gold.len()
}

/// The counters ([events, sumw, sumw2]), the nominal cutflow (common and region rows) and the
/// derived efficiencies ([process, variation, passed, total, ratio, weighted ratio]).
fn compare_cutflow(results: &Path, golden: &Value) {
    let cf = json(&results.join("cutflow.json"));
    for (name, g) in golden["counters"].as_object().expect("counters") {
        let c = &cf["counters"][name];
        assert_eq!(c["events"].as_u64(), g[0].as_u64(), "counter {name}");
        for (key, i) in [("sumw", 1), ("sumw2", 2)] {
            let (x, y) = (num(&c[key], name), num(&g[i], name));
            assert!(close(x, y), "counter {name} {key}: anac {x}, golden {y}");
        }
    }
    for (sample, g) in golden["cutflow"].as_object().expect("cutflow") {
        let (p, v) = sample.split_once('/').expect("process/variation");
        let s = cf["samples"]
            .as_array()
            .expect("samples")
            .iter()
            .find(|s| s["process"] == p && s["variation"] == v)
            .unwrap_or_else(|| panic!("no cutflow for {sample}"));
        let common = g["common"].as_array().expect("common");
        let cuts = s["cuts"].as_array().expect("cuts");
        assert_eq!(cuts.len(), common.len(), "{sample}: cutflow rows");
        let mut rows: Vec<(&Value, &Value)> = common.iter().zip(cuts).collect();
        let gregions = g["regions"].as_object().expect("regions");
        assert_eq!(
            s["regions"].as_object().expect("region cutflows").len(),
            gregions.len(),
            "{sample}: regions"
        );
        for (region, grows) in gregions {
            let ours = s["regions"][region].as_array().expect("region rows");
            let grows = grows.as_array().expect("rows");
            assert_eq!(ours.len(), grows.len(), "{sample} {region}: rows");
            rows.extend(grows.iter().zip(ours));
        }
        for (gr, r) in rows {
            assert_eq!(r["cut"], gr[0], "{sample}");
            assert_eq!(r["events"].as_u64(), gr[1].as_u64(), "{sample} {}", gr[0]);
            let (x, y) = (num(&r["weighted"], "weighted"), num(&gr[2], "golden"));
            assert!(close(x, y), "{sample} {}: anac {x}, golden {y}", gr[0]);
        }
    }
    let effs = cf["efficiencies"].as_object().expect("efficiencies");
    let geffs = golden["efficiencies"]
        .as_object()
        .expect("golden efficiencies");
    assert_eq!(effs.len(), geffs.len(), "efficiencies");
    for (name, gl) in geffs {
        let ours = effs[name].as_array().expect("efficiency rows");
        let gl = gl.as_array().expect("golden rows");
        assert_eq!(ours.len(), gl.len(), "{name}: samples");
        for g in gl {
            let e = ours
                .iter()
                .find(|e| e["process"] == g[0] && e["variation"] == g[1])
                .unwrap_or_else(|| panic!("{name}: no {} / {}", g[0], g[1]));
            assert_eq!(e["passed"].as_u64(), g[2].as_u64(), "{name} passed");
            assert_eq!(e["total"].as_u64(), g[3].as_u64(), "{name} total");
            for (key, i) in [("efficiency", 4), ("weighted", 5)] {
                let (x, y) = (num(&e[key], name), num(&g[i], name));
                assert!(close(x, y), "{name} {key}: anac {x}, golden {y}");
            }
        }
    }
}

#[test]
fn soft_dilepton_equals_uproot() {
    let check = anac(&["check", ANA, "--deny-warnings"]);
    assert!(
        check.status.success(),
        "anac check {ANA} --deny-warnings: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let out = run_ok(ANA, "soft", &[]);
    let g = json(&root().join(GOLDEN));
    let n = compare_hists(&out, &g);
    assert_eq!(n, HISTOGRAMS, "{GOLDEN}: histograms compared");
    compare_cutflow(&out, &g);
    // The reference interpreter gives the same bytes as the compiled code.
    let interp = run_ok(ANA, "soft-interp", &["--interpret"]);
    for f in ["histograms.json", "cutflow.json"] {
        let x = std::fs::read(out.join(f)).expect("output");
        let y = std::fs::read(interp.join(f)).expect("output");
        assert!(x == y, "{ANA}: {f} differs between the JIT and --interpret");
    }
    let _ = std::fs::remove_dir_all(out);
    let _ = std::fs::remove_dir_all(interp);
}

/// `true` when python3 with awkward, hist, uhi, uproot and ROOT is there; otherwise skips (or
/// fails under CI).
fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import awkward, hist, uhi, uproot, ROOT"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "CI=true but python3 with awkward, hist, uhi, uproot and PyROOT is not available"
            );
        }
        eprintln!("skipping: python3 with awkward, hist, uhi, uproot and PyROOT is not available");
    }
    ok
}

/// The ROOT and UHI JSON outputs open in hist, uproot and PyROOT and agree bin by bin
/// (`tests/scripts/check_run_outputs.py`).
#[test]
fn soft_dilepton_outputs_open_in_hist_uproot_and_root() {
    if !python_ready() {
        return;
    }
    let out = run_ok(ANA, "soft-open", &[]);
    let r = Command::new("python3")
        .arg(root().join("tests/scripts/check_run_outputs.py"))
        .arg(&out)
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert!(
        r.status.success() && stdout.contains("OK"),
        "{ANA}: {stdout}\n{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let _ = std::fs::remove_dir_all(out);
}

/// The committed input is what the committed script makes from the real events: the script is
/// run again into a temp folder and the example, pointed at the new file, gives byte-identical
/// histograms and cutflow (the file's UUID differs; nothing in this analysis is random).
/// `shared_data()` skips with a message when `../shared/data` is missing and fails under
/// `CI=true`.
#[test]
fn soft_dilepton_input_is_what_the_script_makes() {
    if shared_data().is_none() || !python_ready() {
        return;
    }
    let dir = tmp("regen-soft");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let file = dir.join("soft_dilepton.root");
    let r = Command::new("python3")
        .current_dir(root())
        .arg(SCRIPT)
        .arg(&file)
        .output()
        .expect("python3 runs");
    assert!(
        r.status.success(),
        "{SCRIPT}: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    // The example's samples file with the path replaced by the new file.
    let yaml_path = root().join(ANA.replace(".ana", ".yaml"));
    let yaml = std::fs::read_to_string(&yaml_path).expect("samples file");
    let rel = INPUT.strip_prefix("examples/").expect("under examples/");
    assert!(yaml.contains(rel), "{}: no {rel}", yaml_path.display());
    let new_yaml = dir.join("samples.yaml");
    std::fs::write(
        &new_yaml,
        yaml.replace(rel, file.to_str().expect("utf-8 temp path")),
    )
    .expect("write yaml");
    let a = run_ok(ANA, "regen-soft-a", &[]);
    let b = run_ok(
        ANA,
        "regen-soft-b",
        &["--samples", new_yaml.to_str().expect("utf-8 temp path")],
    );
    for f in ["histograms.json", "cutflow.json"] {
        let x = std::fs::read(a.join(f)).expect("output");
        let y = std::fs::read(b.join(f)).expect("output");
        assert!(x == y, "{ANA}: {f} differs between {INPUT} and a new file");
    }
    for d in [a, b, dir] {
        let _ = std::fs::remove_dir_all(d);
    }
}

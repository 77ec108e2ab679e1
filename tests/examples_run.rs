//! The examples rewritten from public analysis descriptions (`examples/sus19006_multijet.ana`,
//! `examples/monophoton.ana`, `examples/trilepton.ana`, `examples/higgs4l.ana`,
//! `examples/ttbar_allhad.ana`, `examples/soft_dilepton.ana`), run end to end and compared bin by
//! bin with independent uproot +
//! awkward implementations (`tests/golden/examples/*_golden.py`, their JSON output committed
//! beside them).
//!
//! The inputs are the enriched NanoAOD-layout files committed in `examples/data/` (made from the
//! real CMS events of `../shared/data` by `tests/scripts/make_enriched_nanoaod.py`, and
//! `make_soft_dilepton.py` for the soft dilepton search), so the
//! comparisons need nothing outside the repository. Re-making the inputs with the script needs
//! `../shared/data` and python3 with awkward, uproot and PyROOT, and opening the outputs needs
//! python3 with hist, uhi, uproot and PyROOT: without them those tests skip with a message (under
//! `CI=true` they fail).

mod run_support;

use std::path::Path;
use std::process::Command;

use run_support::{anac, close, floats, json, root, run_ok, tmp};

use anac::testing::shared_data;
use serde_json::Value;

/// The examples: (analysis, golden JSON, enriched input kind, input file). The kinds are those of
/// `tests/scripts/make_enriched_nanoaod.py`, except `soft_dilepton`, made by its own script.
const EXAMPLES: [(&str, &str, &str, &str); 6] = [
    (
        "examples/sus19006_multijet.ana",
        "tests/golden/examples/sus19006_multijet.json",
        "multijet",
        "examples/data/multijet_enriched.root",
    ),
    (
        "examples/monophoton.ana",
        "tests/golden/examples/monophoton.json",
        "monophoton",
        "examples/data/monophoton_enriched.root",
    ),
    (
        "examples/trilepton.ana",
        "tests/golden/examples/trilepton.json",
        "trilepton",
        "examples/data/trilepton_enriched.root",
    ),
    (
        "examples/higgs4l.ana",
        "tests/golden/examples/higgs4l.json",
        "fourlepton",
        "examples/data/fourlepton_enriched.root",
    ),
    (
        "examples/ttbar_allhad.ana",
        "tests/golden/examples/ttbar_allhad.json",
        "allhadronic",
        "examples/data/allhadronic_enriched.root",
    ),
    (
        "examples/soft_dilepton.ana",
        "tests/golden/examples/soft_dilepton.json",
        "soft_dilepton",
        "examples/data/soft_dilepton_enriched.root",
    ),
];

/// The command that makes the enriched input of `kind` (the output file is appended).
fn input_script(kind: &str) -> Vec<&str> {
    match kind {
        "soft_dilepton" => vec!["tests/scripts/make_soft_dilepton.py"],
        k => vec!["tests/scripts/make_enriched_nanoaod.py", k],
    }
}

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

/// The counters ([events, sumw, sumw2]), the nominal cutflow (common and region rows) and, when
/// the golden has them, the `efficiency` derives ([passed, total, weighted, interval low, high]).
fn compare_cutflow(results: &Path, golden: &Value) {
    let cf = json(&results.join("cutflow.json"));
    if let Some(effs) = golden.get("efficiencies").and_then(Value::as_object) {
        let ours = cf["efficiencies"].as_object().expect("efficiencies");
        assert_eq!(ours.len(), effs.len(), "efficiencies: {ours:?}");
        for (name, per_sample) in effs {
            for (sample, g) in per_sample.as_object().expect("per sample") {
                let (p, v) = sample.split_once('/').expect("process/variation");
                let e = ours[name]
                    .as_array()
                    .expect("efficiency rows")
                    .iter()
                    .find(|e| e["process"] == p && e["variation"] == v)
                    .unwrap_or_else(|| panic!("no efficiency {name} for {sample}"));
                assert_eq!(e["passed"].as_u64(), g[0].as_u64(), "{name} {sample}");
                assert_eq!(e["total"].as_u64(), g[1].as_u64(), "{name} {sample}");
                let pairs = [
                    (&e["weighted"], &g[2]),
                    (&e["interval"][0], &g[3]),
                    (&e["interval"][1], &g[4]),
                ];
                for (x, y) in pairs {
                    let (x, y) = (num(x, name), num(y, name));
                    assert!(close(x, y), "{name} {sample}: anac {x}, golden {y}");
                }
            }
        }
    }
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
        for (region, grows) in g["regions"].as_object().expect("regions") {
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
}

fn example_equals_golden(ana: &str, golden: &str, name: &str, min_hists: usize) {
    let check = anac(&["check", ana, "--deny-warnings"]);
    assert!(
        check.status.success(),
        "anac check {ana} --deny-warnings: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    let out = run_ok(ana, name, &[]);
    let g = json(&root().join(golden));
    let n = compare_hists(&out, &g);
    assert!(n >= min_hists, "{golden}: only {n} histograms compared");
    compare_cutflow(&out, &g);
    // The reference interpreter gives the same bytes as the compiled code.
    let interp = run_ok(ana, &format!("{name}-interp"), &["--interpret"]);
    for f in ["histograms.json", "cutflow.json"] {
        let x = std::fs::read(out.join(f)).expect("output");
        let y = std::fs::read(interp.join(f)).expect("output");
        assert!(x == y, "{ana}: {f} differs between the JIT and --interpret");
    }
    let _ = std::fs::remove_dir_all(out);
    let _ = std::fs::remove_dir_all(interp);
}

#[test]
fn sus19006_multijet_equals_uproot() {
    // 15 (region, histogram) pairs x (nominal, jes_up, jes_down).
    example_equals_golden(EXAMPLES[0].0, EXAMPLES[0].1, "sus19006", 45);
}

#[test]
fn monophoton_equals_uproot() {
    // 12 (region, histogram) pairs x (nominal, pes_up/down, photon_id_sf_up/down).
    example_equals_golden(EXAMPLES[1].0, EXAMPLES[1].1, "monophoton", 60);
}

#[test]
fn trilepton_equals_uproot() {
    // 7 (region, histogram) pairs x (nominal, muon_scale_up, muon_scale_down).
    example_equals_golden(EXAMPLES[2].0, EXAMPLES[2].1, "trilepton", 21);
}

#[test]
fn higgs4l_equals_uproot() {
    // 10 (region, histogram) pairs x (nominal, muon_scale_up/down, electron_scale_up/down).
    example_equals_golden(EXAMPLES[3].0, EXAMPLES[3].1, "higgs4l", 50);
}

#[test]
fn ttbar_allhad_equals_uproot() {
    // 9 (region, histogram) pairs x (nominal, jes_up/down, btag_sf_up/down).
    example_equals_golden(EXAMPLES[4].0, EXAMPLES[4].1, "ttbar_allhad", 45);
}

#[test]
fn soft_dilepton_equals_uproot() {
    // 17 (region, histogram) pairs x (nominal, electron_scale_up/down).
    example_equals_golden(EXAMPLES[5].0, EXAMPLES[5].1, "soft_dilepton", 51);
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

/// The ROOT and UHI JSON outputs of the examples open in hist, uproot and PyROOT and agree bin by
/// bin (`tests/scripts/check_run_outputs.py`).
#[test]
fn example_outputs_open_in_hist_uproot_and_root() {
    if !python_ready() {
        return;
    }
    for (ana, _, kind, _) in EXAMPLES {
        let out = run_ok(ana, &format!("open-{kind}"), &[]);
        let r = Command::new("python3")
            .arg(root().join("tests/scripts/check_run_outputs.py"))
            .arg(&out)
            .output()
            .expect("python3 runs");
        let stdout = String::from_utf8_lossy(&r.stdout);
        assert!(
            r.status.success() && stdout.contains("OK"),
            "{ana}: {stdout}\n{}",
            String::from_utf8_lossy(&r.stderr)
        );
        let _ = std::fs::remove_dir_all(out);
    }
}

/// The committed inputs are what the committed script makes from the real events: the script is
/// run again into a temp folder and the example, pointed at the new file, gives byte-identical
/// histograms and cutflow (the file's UUID differs; nothing in these analyses is random).
#[test]
fn enriched_inputs_are_what_the_script_makes() {
    if shared_data().is_none() || !python_ready() {
        return;
    }
    for (ana, _, kind, committed) in EXAMPLES {
        let dir = tmp(&format!("regen-{kind}"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let file = dir.join(format!("{kind}.root"));
        let r = Command::new("python3")
            .current_dir(root())
            .args(input_script(kind))
            .arg(&file)
            .output()
            .expect("python3 runs");
        assert!(
            r.status.success(),
            "{:?}: {}",
            input_script(kind),
            String::from_utf8_lossy(&r.stderr)
        );
        // The example's samples file with the path replaced by the new file.
        let yaml_path = root().join(ana.replace(".ana", ".yaml"));
        let yaml = std::fs::read_to_string(&yaml_path).expect("samples file");
        let rel = committed
            .strip_prefix("examples/")
            .expect("under examples/");
        assert!(yaml.contains(rel), "{}: no {rel}", yaml_path.display());
        let new_yaml = dir.join("samples.yaml");
        std::fs::write(
            &new_yaml,
            yaml.replace(rel, file.to_str().expect("utf-8 temp path")),
        )
        .expect("write yaml");
        let a = run_ok(ana, &format!("regen-a-{kind}"), &[]);
        let b = run_ok(
            ana,
            &format!("regen-b-{kind}"),
            &["--samples", new_yaml.to_str().expect("utf-8 temp path")],
        );
        for f in ["histograms.json", "cutflow.json"] {
            let x = std::fs::read(a.join(f)).expect("output");
            let y = std::fs::read(b.join(f)).expect("output");
            assert!(
                x == y,
                "{ana}: {f} differs between {committed} and a new {kind} file"
            );
        }
        for d in [a, b, dir] {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

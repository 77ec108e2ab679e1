//! `anac run` end to end on the real files of `../shared/data`: every histogram, counter, event
//! list, cutflow row and efficiency equals the values of independent implementations
//! (`tests/golden/run/`: uproot + awkward scripts; `tests/golden/agc/`: the RDataFrame and uproot
//! peers of `benches/peers/`), results do not depend on `-j` or the chunk size, outputs open in
//! hist, uproot and ROOT, and bad inputs give a diagnostic and the documented exit code.
//!
//! Without `../shared/data` these tests skip with a message (under `CI=true` they fail).

mod run_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use run_support::{anac, close, floats, json, root, run_ok, tmp};

use anac::testing::shared_data;
use serde_json::Value;

/// Every histogram of `golden` (`{name: {contents, variances}}`) equals anac's, bin by bin,
/// flow bins included. Returns how many were compared.
fn compare_hists(results: &Path, golden: &Value) -> usize {
    let ours = json(&results.join("histograms.json"));
    let gold = golden.get("histograms").unwrap_or(golden);
    let gold = gold.as_object().expect("golden histograms are an object");
    for (name, g) in gold {
        let h = ours
            .get(name)
            .unwrap_or_else(|| panic!("anac wrote no histogram {name}"));
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
    gold.len()
}

/// Counters, event lists, cutflows and efficiencies of a golden file of `tests/golden/run/`.
fn compare_rest(results: &Path, golden: &Value) {
    let cf = json(&results.join("cutflow.json"));
    for (name, g) in golden["counters"].as_object().expect("counters") {
        let c = &cf["counters"][name];
        assert_eq!(c["events"].as_u64(), g[0].as_u64(), "counter {name}");
        assert!(close(
            c["sumw"].as_f64().unwrap_or(f64::NAN),
            g[1].as_f64().unwrap_or(0.0)
        ));
        assert!(close(
            c["sumw2"].as_f64().unwrap_or(f64::NAN),
            g[2].as_f64().unwrap_or(0.0)
        ));
    }
    for (sample, g) in golden["cutflow"].as_object().expect("cutflow") {
        let (p, v) = sample.split_once('/').expect("process/variation");
        let s = cf["samples"]
            .as_array()
            .expect("samples")
            .iter()
            .find(|s| s["process"] == p && s["variation"] == v)
            .unwrap_or_else(|| panic!("no cutflow for {sample}"));
        let mut rows: Vec<(&Value, &Value)> = g["common"]
            .as_array()
            .expect("common")
            .iter()
            .zip(s["cuts"].as_array().expect("cuts"))
            .collect();
        for (region, grows) in g["regions"].as_object().expect("regions") {
            rows.extend(
                grows
                    .as_array()
                    .expect("rows")
                    .iter()
                    .zip(s["regions"][region].as_array().expect("region rows")),
            );
        }
        for (gr, r) in rows {
            assert_eq!(r["cut"], gr[0], "{sample}");
            assert_eq!(r["events"].as_u64(), gr[1].as_u64(), "{sample} {}", gr[0]);
            let (a, b) = (r["weighted"].as_f64(), gr[2].as_f64());
            assert!(
                close(a.unwrap_or(f64::NAN), b.unwrap_or(0.0)),
                "{sample} {}",
                gr[0]
            );
        }
    }
    let ev = json(&results.join("events.json"));
    for (name, rows) in golden["collects"].as_object().expect("collects") {
        let ours = ev[name]["rows"].as_array().expect("rows");
        let gold = rows.as_array().expect("golden rows");
        assert_eq!(ours.len(), gold.len(), "event list {name}");
        for (a, b) in ours.iter().zip(gold) {
            for (x, y) in a
                .as_array()
                .expect("row")
                .iter()
                .zip(b.as_array().expect("row"))
            {
                match (x.as_f64(), y.as_f64()) {
                    (Some(x), Some(y)) => assert!(close(x, y), "{name}: {x} vs {y}"),
                    _ => assert_eq!(x, y, "{name}"),
                }
            }
        }
    }
    if let Some(effs) = golden["efficiencies"].as_object() {
        for (name, per) in effs {
            for (sample, pt) in per.as_object().expect("samples") {
                let (p, v) = sample.split_once('/').expect("process/variation");
                let e = cf["efficiencies"][name]
                    .as_array()
                    .expect("efficiencies")
                    .iter()
                    .find(|e| e["process"] == p && e["variation"] == v)
                    .unwrap_or_else(|| panic!("no efficiency {name} for {sample}"));
                assert_eq!(e["passed"], pt[0]);
                assert_eq!(e["total"], pt[1]);
                let (lo, hi) = (e["interval"][0].as_f64(), e["interval"][1].as_f64());
                let r = e["efficiency"].as_f64().unwrap_or(f64::NAN);
                assert!(
                    lo.unwrap_or(2.0) <= r && r <= hi.unwrap_or(-1.0),
                    "{name} {sample}"
                );
            }
        }
    }
}

fn golden_case(ana: &str, golden: &str, name: &str) {
    if shared_data().is_none() {
        return;
    }
    let out = run_ok(ana, name, &[]);
    let g = json(&root().join(golden));
    let n = compare_hists(&out, &g);
    assert!(n > 10, "{golden}: only {n} histograms compared");
    compare_rest(&out, &g);
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn real_nanoaod_pieces_equal_uproot() {
    golden_case(
        "tests/run/nanoaod_pieces.ana",
        "tests/golden/run/nanoaod_pieces.json",
        "pieces",
    );
}

#[test]
fn zmumu_example_equals_uproot() {
    golden_case("examples/zmumu.ana", "tests/golden/run/zmumu.json", "zmumu");
}

#[test]
fn hzz_example_equals_uproot() {
    golden_case("examples/hzz.ana", "tests/golden/run/hzz.json", "hzz");
}

#[test]
fn poet_example_equals_uproot() {
    golden_case(
        "examples/poet_ttbar.ana",
        "tests/golden/run/poet_ttbar.json",
        "poet",
    );
}

#[test]
fn agc_equals_both_peers_and_is_deterministic() {
    if shared_data().is_none() {
        return;
    }
    let a = run_ok(
        "analyses/ttbar/ttbar_deterministic.ana",
        "agc-j1",
        &["-j", "1"],
    );
    for peer in ["tests/golden/agc/uproot.json", "tests/golden/agc/rdf.json"] {
        let n = compare_hists(&a, &json(&root().join(peer)));
        assert_eq!(n, 124, "{peer}");
    }
    let b = run_ok(
        "analyses/ttbar/ttbar_deterministic.ana",
        "agc-j2",
        &["-j", "2", "--chunk-size", "777"],
    );
    for f in ["histograms.json", "histograms.root", "cutflow.json"] {
        let x = std::fs::read(a.join(f)).expect("output");
        let y = std::fs::read(b.join(f)).expect("output");
        assert!(x == y, "{f} differs between -j 1 and -j 2 --chunk-size 777");
    }
    // The cutflow equals the uproot peer's (raw counts exactly, weights to 1e-9).
    let peer = json(&root().join("tests/golden/agc/uproot_cutflow.json"));
    let ours = json(&a.join("cutflow.json"));
    for (sample, steps) in peer.as_object().expect("samples") {
        let (p, v) = sample.split_once('/').expect("process/variation");
        let s = ours["samples"]
            .as_array()
            .expect("samples")
            .iter()
            .find(|s| s["process"] == p && s["variation"] == v)
            .unwrap_or_else(|| panic!("no cutflow for {sample}"));
        let mut rows: Vec<&Value> = s["cuts"].as_array().expect("cuts").iter().collect();
        for r in ["4j1b", "4j2b"] {
            rows.push(&s["regions"][r][0]);
        }
        let names = [
            "all",
            "exactly one lepton",
            "at least four jets",
            "4j1b",
            "4j2b",
        ];
        for (row, name) in rows.iter().zip(names) {
            let want = &steps[name];
            assert_eq!(row["events"].as_u64(), want[0].as_u64(), "{sample} {name}");
            let (x, y) = (row["weighted"].as_f64(), want[1].as_f64());
            assert!(
                close(x.unwrap_or(f64::NAN), y.unwrap_or(0.0)),
                "{sample} {name}"
            );
        }
    }
    // --max-files 1 normalises to the files processed, as the peer does.
    let m = run_ok(
        "analyses/ttbar/ttbar_deterministic.ana",
        "agc-max-files",
        &["--max-files", "1"],
    );
    let n = compare_hists(
        &m,
        &json(&root().join("tests/golden/agc/uproot_max_files_1.json")),
    );
    assert_eq!(n, 124);
    let prov = json(&m.join("provenance.json"));
    assert_eq!(prov["partial"], true);
    let _ = std::fs::remove_dir_all(m);
    // The random smearing of the real analysis is reproducible too.
    let c = run_ok("analyses/ttbar/ttbar.ana", "agc-rand-1", &["-j", "1"]);
    let d = run_ok(
        "analyses/ttbar/ttbar.ana",
        "agc-rand-2",
        &["-j", "2", "--chunk-size", "333"],
    );
    let x = std::fs::read(c.join("histograms.json")).expect("output");
    let y = std::fs::read(d.join("histograms.json")).expect("output");
    assert!(
        x == y,
        "the random pt_res_up depends on threads or chunking"
    );
    let h = json(&c.join("histograms.json"));
    let smeared = floats(&h["4j1b_ttbar_pt_res_up"]["storage"]["values"]);
    let nominal = floats(&h["4j1b_ttbar"]["storage"]["values"]);
    assert_ne!(smeared, nominal, "pt_res_up changed nothing");
    for p in [a, b, c, d] {
        let _ = std::fs::remove_dir_all(p);
    }
}

/// `true` when python3 with hist, uhi, uproot and ROOT is there; otherwise skips (or fails
/// under CI).
fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import hist, uhi, uproot, ROOT"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but python3 with hist, uhi, uproot and PyROOT is not available");
        }
        eprintln!("skipping: python3 with hist, uhi, uproot and PyROOT is not available");
    }
    ok
}

#[test]
fn outputs_open_in_hist_uproot_and_root() {
    if shared_data().is_none() || !python_ready() {
        return;
    }
    for (ana, name) in [
        ("examples/zmumu.ana", "open-zmumu"),
        ("examples/hzz.ana", "open-hzz"),
        ("examples/poet_ttbar.ana", "open-poet"),
        ("tests/run/constructs/layouts.ana", "open-layouts"),
        ("tests/run/hist3d.ana", "open-hist3d"),
        ("tests/run/profiles.ana", "open-profiles"),
    ] {
        let out = run_ok(ana, name, &[]);
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

#[test]
fn an_existing_folder_anac_did_not_write_is_refused() {
    if shared_data().is_none() {
        return;
    }
    let out = tmp("foreign");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::write(out.join("keep.txt"), "mine").expect("write");
    let o = out.to_str().expect("utf-8");
    let r = anac(&["run", "tests/run/nanoaod_pieces.ana", "-o", o, "-q"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("anac::run::output"));
    assert!(out.join("keep.txt").is_file(), "the folder was touched");
    // A folder anac wrote is replaced.
    let again = run_ok("tests/run/nanoaod_pieces.ana", "replaced", &[]);
    let o2 = again.to_str().expect("utf-8");
    let r = anac(&["run", "tests/run/nanoaod_pieces.ana", "-o", o2, "-q"]);
    assert!(r.status.success());
    let _ = std::fs::remove_dir_all(out);
    let _ = std::fs::remove_dir_all(again);
}

/// Runs an analysis expected to fail: its exit code and stderr, after checking that no results
/// folder was written.
fn run_fails(ana: &Path, name: &str) -> (Option<i32>, String) {
    let out = tmp(name);
    let r = anac(&[
        "run",
        ana.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "-q",
    ]);
    assert!(!out.exists(), "an output was written after a failure");
    (
        r.status.code(),
        String::from_utf8_lossy(&r.stderr).to_string(),
    )
}

/// Writes an analysis and a samples file pointing at `file` into a temp folder.
fn scratch_analysis(name: &str, body: &str, file: &Path) -> PathBuf {
    let dir = tmp(name);
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("s.yaml"),
        format!(
            "ttbar:\n  nominal:\n    files:\n    - path: {}\n    xsec: 1.0\n",
            file.display()
        ),
    )
    .expect("write yaml");
    let ana = dir.join("a.ana");
    std::fs::write(
        &ana,
        format!("analysis t\ntree Events\nsamples \"s.yaml\"\nlumi 1\n{body}\n"),
    )
    .expect("write ana");
    ana
}

#[test]
fn a_truncated_input_stops_the_run_with_no_output() {
    let Some(data) = shared_data() else { return };
    let good = data.join("agc-small/ttbar__nominal__0000.root");
    let dir = tmp("trunc");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let bad = dir.join("cut.root");
    let bytes = std::fs::read(&good).expect("read");
    // Keep the header and metadata region readable but lose baskets: cut the middle out.
    std::fs::write(&bad, &bytes[..bytes.len() * 3 / 4]).expect("write");
    let ana = scratch_analysis(
        "trunc-ana",
        "weight xsec * lumi / nevts\nhist ht = sum(Jet.pt) in regular(10, 0, 500)",
        &bad,
    );
    let (code, err) = run_fails(&ana, "trunc-out");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("cut.root"), "{err}");
}

#[test]
fn an_absent_weight_factor_names_file_and_entry() {
    let Some(data) = shared_data() else { return };
    let file = data.join("nanoAOD_2015_CMS_Open_Data_ttbar.root");
    let ana = scratch_analysis(
        "absent-weight",
        "object jets = Jet where pt > 30\nweight jets[0].pt\nhist n = count(jets) in integer(0, 10)",
        &file,
    );
    let (code, err) = run_fails(&ana, "absent-weight-out");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("anac::run::absent-weight"), "{err}");
    assert!(err.contains("entry"), "{err}");
}

#[test]
fn ir_prints_both_plans_and_only_the_needed_branches() {
    if shared_data().is_none() {
        return;
    }
    let r = anac(&["ir", "analyses/ttbar/ttbar.ana"]);
    assert!(r.status.success());
    let text = String::from_utf8_lossy(&r.stdout);
    assert!(text.contains("== lowered (before passes) =="));
    assert!(text.contains("== optimized"));
    let branches: Vec<&str> = text
        .split("== branches to read")
        .nth(1)
        .expect("branch list")
        .lines()
        .skip(1)
        .take_while(|l| !l.starts_with("=="))
        .collect();
    let mut want = vec![
        "Electron_cutBased",
        "Electron_eta",
        "Electron_pt",
        "Electron_sip3d",
        "Jet_btagCSVV2",
        "Jet_eta",
        "Jet_jetId",
        "Jet_mass",
        "Jet_phi",
        "Jet_pt",
        "Muon_eta",
        "Muon_pfRelIso04_all",
        "Muon_pt",
        "Muon_sip3d",
        "Muon_tightId",
        "nElectron",
        "nJet",
        "nMuon",
    ];
    want.sort();
    assert_eq!(branches, want);
    let asm = anac(&["ir", "analyses/ttbar/ttbar.ana", "--asm"]);
    let asm = String::from_utf8_lossy(&asm.stdout);
    assert!(
        asm.contains("== native kernels") && asm.contains("function u0:"),
        "no CLIF"
    );
    // The kinematic variations reuse the lepton objects (they do not depend on Jet.pt).
    assert!(
        text.contains("electrons = %")
            && text.contains("(nominal value reused by pt_scale_up, pt_res_up)")
    );
}

#[test]
fn a_file_without_a_branch_the_analysis_reads_is_named_before_any_event() {
    let Some(data) = shared_data() else { return };
    let dir = tmp("missing-branch");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("s.yaml"),
        format!(
            "hzz:\n  nominal:\n    files:\n    - path: {}\n    - path: {}\n    xsec: 1.0\n",
            data.join("uproot-HZZ.root").display(),
            data.join("poet_ttbar_vector.root").display()
        ),
    )
    .expect("yaml");
    let ana = dir.join("a.ana");
    std::fs::write(
        &ana,
        "analysis t\ntree events\nsamples \"s.yaml\"\nhist n = count(Muon) in integer(0, 5)\n",
    )
    .expect("ana");
    let (code, err) = run_fails(&ana, "missing-branch-out");
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("poet_ttbar_vector.root") && err.contains("NMuon"),
        "{err}"
    );
}

#[test]
fn max_events_caps_every_sample_and_normalises_to_what_was_read() {
    if shared_data().is_none() {
        return;
    }
    let out = run_ok(
        "analyses/ttbar/ttbar.ana",
        "max-events",
        &["--max-events", "100"],
    );
    let cf = json(&out.join("cutflow.json"));
    for s in cf["samples"].as_array().expect("samples") {
        assert_eq!(s["cuts"][0]["events"], 100, "{s}");
        // Every event weighs xsec * lumi / 100, so the weighted total is xsec * lumi.
        let w = s["cuts"][0]["weighted"].as_f64().unwrap_or(0.0);
        let prov = json(&out.join("provenance.json"));
        let xsec = prov["samples"]
            .as_array()
            .expect("samples")
            .iter()
            .find(|x| x["process"] == s["process"] && x["variation"] == s["variation"])
            .and_then(|x| x["xsec"].as_f64())
            .expect("xsec");
        assert!(
            close(w, xsec * 3378.0) || (w - xsec * 3378.0).abs() < 1e-6 * w,
            "{s}"
        );
    }
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn every_construct_on_flat_layouts_equals_an_independent_script() {
    golden_case(
        "tests/run/constructs/layouts.ana",
        "tests/golden/constructs/layouts.json",
        "constructs-layouts",
    );
}

#[test]
fn every_collection_construct_on_hzz_equals_an_independent_script() {
    golden_case(
        "tests/run/constructs/hzz.ana",
        "tests/golden/constructs/hzz.json",
        "constructs-hzz",
    );
}

#[test]
fn the_shipped_toy_fileset_is_what_anac_generate_writes_and_it_runs() {
    // Needs nothing outside the checkout: this is what a fresh clone runs.
    let dir = tmp("toy");
    let r = anac(&["generate", "toy", "-o", dir.to_str().expect("utf-8")]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let shipped = root().join("analyses/ttbar");
    let yaml = std::fs::read(dir.join("toy.yaml")).expect("generated yaml");
    assert_eq!(
        yaml,
        std::fs::read(shipped.join("toy.yaml")).expect("shipped yaml"),
        "analyses/ttbar/toy.yaml is stale: rerun `anac generate toy`"
    );
    let mut names: Vec<_> = std::fs::read_dir(dir.join("toy"))
        .expect("toy dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    names.sort();
    assert_eq!(names.len(), 11);
    for n in &names {
        let a = std::fs::read(dir.join("toy").join(n)).expect("generated");
        let b = std::fs::read(shipped.join("toy").join(n)).expect("shipped");
        assert!(
            a == b,
            "{n:?} differs from the shipped file: rerun `anac generate toy`"
        );
    }
    // The README's main command.
    let out = tmp("toy-run");
    let r = anac(&[
        "run",
        "analyses/ttbar/ttbar.ana",
        "--samples",
        "analyses/ttbar/toy.yaml",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(r.status.success(), "{err}");
    assert!(
        err.contains("cutflow") && err.contains("124 histograms"),
        "{err}"
    );
    let cf = json(&out.join("cutflow.json"));
    for s in cf["samples"].as_array().expect("samples") {
        for region in ["4j1b", "4j2b"] {
            let n = s["regions"][region][0]["events"].as_u64().unwrap_or(0);
            assert!(
                n > 0,
                "{region} is empty for {}/{}",
                s["process"],
                s["variation"]
            );
        }
    }
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn the_toy_files_open_in_uproot() {
    if !python_ready() {
        return;
    }
    let f = root().join("analyses/ttbar/toy/ttbar__nominal__0000.root");
    let r = Command::new("python3")
        .args([
            "-c",
            "import sys, uproot; t = uproot.open(sys.argv[1])['Events']; \
             a = t.arrays(['nJet', 'Jet_pt', 'Muon_tightId']); \
             assert t.num_entries == 2500 and len(a) == 2500; \
             assert all(len(p) == n for p, n in zip(a['Jet_pt'], a['nJet'])); print('OK')",
        ])
        .arg(&f)
        .output()
        .expect("python3 runs");
    assert!(
        String::from_utf8_lossy(&r.stdout).contains("OK"),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}

#[test]
fn validate_accepts_the_peers_and_tells_a_migration_from_a_difference() {
    if shared_data().is_none() {
        return;
    }
    let out = run_ok("analyses/ttbar/ttbar_deterministic.ana", "validate", &[]);
    let o = out.to_str().expect("utf-8");
    // The results folder, and its ROOT file alone (read back by anac's reader).
    let root_file = out.join("histograms.root");
    let rf = root_file.to_str().expect("utf-8");
    for peer in ["tests/golden/agc/rdf.json", "tests/golden/agc/uproot.json"] {
        for ours in [o, rf] {
            let r = anac(&["validate", ours, "--reference", peer]);
            let text = String::from_utf8_lossy(&r.stdout);
            assert!(r.status.success(), "{peer} vs {ours}: {text}");
            assert!(
                text.contains("124 reference histograms, 0 failures, 0 edge migrations"),
                "{text}"
            );
        }
    }
    // Both sides dump the same reference, bit for bit.
    let (from_dir, from_root) = (tmp("validate-dir.json"), tmp("validate-root.json"));
    for (src, dump) in [(o, &from_dir), (rf, &from_root)] {
        let r = anac(&[
            "validate",
            src,
            "--dump-json",
            dump.to_str().expect("utf-8"),
        ]);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    }
    assert_eq!(json(&from_dir), json(&from_root));
    // Move one event of 4j1b_ttbar to the neighbouring bin: a migration, reported, accepted.
    let mut reference = json(&root().join("tests/golden/agc/rdf.json"));
    let h = &mut reference["4j1b_ttbar"];
    let w = 729.84 * 3378.0 / 3000.0;
    let contents = h["contents"].as_array_mut().expect("contents");
    let i = (1..contents.len() - 1)
        .find(|&i| contents[i].as_f64().unwrap_or(0.0) > 2.0 * w)
        .expect("a filled bin");
    let moved = |x: &Value, d: f64| Value::from(x.as_f64().unwrap_or(0.0) + d);
    contents[i] = moved(&contents[i], -w);
    contents[i + 1] = moved(&contents[i + 1], w);
    let path = tmp("validate-ref.json");
    std::fs::write(&path, reference.to_string()).expect("write");
    let p = path.to_str().expect("utf-8");
    // From the ROOT file alone the event weight is estimated from the variances: the same.
    for ours in [o, rf] {
        let r = anac(&["validate", ours, "--reference", p]);
        let text = String::from_utf8_lossy(&r.stdout);
        assert!(r.status.success(), "{ours}: {text}");
        assert!(
            text.contains("MIGRATION 4j1b_ttbar") && text.contains("1 edge migrations"),
            "{text}"
        );
    }
    // Two events: beyond k = 1, a failure (exit 1).
    let contents = reference["4j1b_ttbar"]["contents"]
        .as_array_mut()
        .expect("contents");
    contents[i] = moved(&contents[i], -w);
    contents[i + 1] = moved(&contents[i + 1], w);
    std::fs::write(&path, reference.to_string()).expect("write");
    let r = anac(&["validate", o, "--reference", p]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stdout).contains("DIFFERS 4j1b_ttbar"));
    let _ = std::fs::remove_dir_all(out);
    for f in [path, from_dir, from_root] {
        let _ = std::fs::remove_file(f);
    }
}

#[test]
fn a_samples_file_with_wildcards_and_tree_keys_gives_the_same_results() {
    let Some(data) = shared_data() else { return };
    let dir = tmp("globs");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let small = data.join("agc-small");
    let xsec = [
        ("ttbar", 729.84),
        ("single_top_s_chan", 3.2944000000000004),
        ("single_top_t_chan", 234.7936507936508),
        ("single_top_tW", 75.842),
        ("wjets", 15487.164),
    ];
    let mut yaml = String::new();
    for (p, x) in xsec {
        yaml.push_str(&format!("{p}:\n"));
        let vars: &[&str] = if p == "ttbar" {
            &["nominal", "scaledown", "scaleup", "ME_var", "PS_var"]
        } else {
            &["nominal"]
        };
        for v in vars {
            yaml.push_str(&format!(
                "  {v}:\n    files: [\"{}/{p}__{v}__*.root\"]\n    xsec: {x}\n    tree: Events\n",
                small.display()
            ));
        }
    }
    std::fs::write(dir.join("globs.yaml"), yaml).expect("yaml");
    let samples = dir.join("globs.yaml");
    let out = run_ok(
        "analyses/ttbar/ttbar_deterministic.ana",
        "globs-out",
        &["--samples", samples.to_str().expect("utf-8")],
    );
    let n = compare_hists(&out, &json(&root().join("tests/golden/agc/uproot.json")));
    assert_eq!(n, 124);
    let _ = std::fs::remove_dir_all(out);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn native_kernels_and_the_interpreter_give_identical_bytes() {
    if shared_data().is_none() {
        return;
    }
    for (ana, name) in [
        ("analyses/ttbar/ttbar.ana", "k-agc"),
        ("tests/run/constructs/layouts.ana", "k-layouts"),
        ("tests/run/constructs/hzz.ana", "k-hzz"),
        ("examples/zmumu.ana", "k-zmumu"),
        ("examples/hzz.ana", "k-hzz-example"),
        ("examples/poet_ttbar.ana", "k-poet"),
        ("tests/run/nanoaod_pieces.ana", "k-pieces"),
        ("tests/run/profiles.ana", "k-profiles"),
    ] {
        let a = run_ok(ana, &format!("{name}-jit"), &[]);
        let b = run_ok(ana, &format!("{name}-interp"), &["--interpret"]);
        for f in [
            "histograms.json",
            "histograms.root",
            "cutflow.json",
            "events.json",
        ] {
            let x = std::fs::read(a.join(f)).expect("output");
            let y = std::fs::read(b.join(f)).expect("output");
            assert!(x == y, "{ana}: {f} differs between kernels and --interpret");
        }
        let prov = json(&a.join("provenance.json"));
        // The compile time is recorded (its size is a benchmark's business, not a test's: a
        // debug build on a busy machine may take any time).
        let compile = prov["timings"]["jit_compile_s"].as_f64();
        assert!(
            compile.is_some_and(|s| s.is_finite() && s >= 0.0),
            "{compile:?}"
        );
        // Whole-event kernels ran (not the interpreter with expression kernels).
        let engine = prov["options"]["engine"].as_str().unwrap_or("");
        assert!(engine.starts_with("native"), "{ana}: engine {engine}");
        let _ = std::fs::remove_dir_all(a);
        let _ = std::fs::remove_dir_all(b);
    }
}

#[test]
fn the_agc_json_fileset_with_a_cross_section_overlay_gives_the_same_results() {
    let Some(data) = shared_data() else { return };
    let dir = tmp("agc-json");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let small = data.join("agc-small");
    // The AGC's nanoaod_inputs.json form (local paths instead of https), no cross sections.
    let mut fileset = serde_json::Map::new();
    let xsec = [
        ("ttbar", 729.84),
        ("single_top_s_chan", 3.2944000000000004),
        ("single_top_t_chan", 234.7936507936508),
        ("single_top_tW", 75.842),
        ("wjets", 15487.164),
    ];
    for (p, _) in xsec {
        let vars: &[&str] = if p == "ttbar" {
            &["nominal", "scaledown", "scaleup", "ME_var", "PS_var"]
        } else {
            &["nominal"]
        };
        let mut pv = serde_json::Map::new();
        for v in vars {
            let mut files = Vec::new();
            let mut total = 0;
            for k in 0..2 {
                let f = small.join(format!("{p}__{v}__{k:04}.root"));
                if f.is_file() {
                    let n = if p == "ttbar" && *v == "nominal" {
                        1500
                    } else if p == "wjets" {
                        750
                    } else if p == "ttbar" {
                        1000
                    } else {
                        500
                    };
                    total += n;
                    files.push(serde_json::json!({"path": f.display().to_string(), "nevts": n}));
                }
            }
            pv.insert(
                v.to_string(),
                serde_json::json!({"files": files, "nevts_total": total}),
            );
        }
        fileset.insert(p.to_string(), Value::Object(pv));
    }
    std::fs::write(
        dir.join("nanoaod_inputs.json"),
        Value::Object(fileset).to_string(),
    )
    .expect("json");
    let mut overlay = String::from("fileset: nanoaod_inputs.json\nxsec:\n");
    for (p, x) in xsec {
        overlay.push_str(&format!("  {p}: {x}\n"));
    }
    std::fs::write(dir.join("overlay.yaml"), &overlay).expect("overlay");
    let samples = dir.join("overlay.yaml");
    let out = run_ok(
        "analyses/ttbar/ttbar_deterministic.ana",
        "agc-json-out",
        &["--samples", samples.to_str().expect("utf-8")],
    );
    assert_eq!(
        compare_hists(&out, &json(&root().join("tests/golden/agc/uproot.json"))),
        124
    );
    // A cross section for a process the fileset lacks is an error at its line in the overlay.
    std::fs::write(dir.join("overlay.yaml"), overlay + "  zjets: 1.0\n").expect("overlay");
    let r = anac(&[
        "check",
        "analyses/ttbar/ttbar.ana",
        "--samples",
        samples.to_str().expect("utf-8"),
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    assert!(
        err.contains("zjets") && err.contains("overlay.yaml"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(out);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn runs_write_plots_and_anac_plot_remakes_them_identically() {
    // The toy fileset ships with the repository: this needs nothing else.
    let out = tmp("plots");
    let o = out.to_str().expect("utf-8");
    let r = anac(&[
        "run",
        "analyses/ttbar/ttbar.ana",
        "--samples",
        "analyses/ttbar/toy.yaml",
        "-o",
        o,
        "-q",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let plots = out.join("plots");
    let mut names: Vec<String> = std::fs::read_dir(&plots)
        .expect("plots folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    // Per region one stack plot and one per kinematic variation, each as PNG and SVG.
    for stem in [
        "4j1b_HT",
        "4j1b_HT__pt_scale_up",
        "4j1b_HT__pt_res_up",
        "4j2b_m_bjj",
        "4j2b_m_bjj__pt_scale_up",
        "4j2b_m_bjj__pt_res_up",
    ] {
        for ext in ["png", "svg"] {
            assert!(
                names.contains(&format!("{stem}.{ext}")),
                "{stem}.{ext} in {names:?}"
            );
        }
    }
    let png = std::fs::read(plots.join("4j1b_HT.png")).expect("png");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000);
    let svg = std::fs::read_to_string(plots.join("4j2b_m_bjj.svg")).expect("svg");
    assert!(
        svg.starts_with("<svg") && !svg.contains("<text"),
        "text must be paths"
    );
    let before: Vec<Vec<u8>> = names
        .iter()
        .map(|n| std::fs::read(plots.join(n)).expect("read"))
        .collect();
    std::fs::remove_dir_all(&plots).expect("rm plots");
    let r = anac(&["plot", o]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    for (n, b) in names.iter().zip(before) {
        let again = std::fs::read(plots.join(n)).expect("re-made");
        assert!(again == b, "{n} differs when re-made by `anac plot`");
    }
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_run_killed_after_any_unit_resumes_from_its_store_to_identical_results() {
    if shared_data().is_none() {
        return;
    }
    let reference = run_ok("analyses/ttbar/ttbar_deterministic.ana", "resume-ref", &[]);
    let want = std::fs::read(reference.join("histograms.json")).expect("reference");
    let want_root = std::fs::read(reference.join("histograms.root")).expect("reference");
    // agc-small is 11 work units: kill after each possible number of committed units (`--batch
    // 1`: every unit its own commit file), then with commits of 4 units (`.batch` files).
    let cases: Vec<(u32, usize)> = (1..=10)
        .map(|k| (1, k))
        .chain([(4, 1), (4, 5), (4, 9)])
        .collect();
    for (batch, k) in cases {
        let store = tmp(&format!("store-{batch}-{k}"));
        let out = tmp(&format!("resume-out-{batch}-{k}"));
        let (s, o) = (store.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
        let b = batch.to_string();
        let args = [
            "run",
            "analyses/ttbar/ttbar_deterministic.ana",
            "-o",
            o,
            "-q",
            "--store",
            s,
            "--batch",
            &b,
        ];
        let killed = Command::new(env!("CARGO_BIN_EXE_anac"))
            .current_dir(root())
            .args(args)
            .env("ANAC_TEST_ABORT_AFTER_UNITS", k.to_string())
            .output()
            .expect("anac runs");
        assert!(!killed.status.success(), "k={k}: the run was not killed");
        assert!(!out.exists(), "k={k}: a killed run wrote results");
        let files: Vec<String> = std::fs::read_dir(store.join("units"))
            .expect("units")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|f| !f.starts_with('.')) // another thread's commit cut short by the kill
            .collect();
        let ext = if batch == 1 { ".unit" } else { ".batch" };
        assert!(files.iter().all(|f| f.ends_with(ext)), "{files:?}");
        let status = anac(&["status", s]);
        let said = String::from_utf8_lossy(&status.stdout).to_string();
        let done: usize = said
            .split(" of 11 units done")
            .next()
            .and_then(|h| h.rsplit(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{said}"));
        let want_done = if batch == 1 {
            k
        } else {
            (k.div_ceil(4) * 4).min(11)
        };
        // The other thread may have committed too before the kill.
        assert!(done >= want_done, "k={k} batch {batch}: {said}");
        let resumed = anac(&args);
        assert!(
            resumed.status.success(),
            "k={k}: {}",
            String::from_utf8_lossy(&resumed.stderr)
        );
        let got = std::fs::read(out.join("histograms.json")).expect("resumed");
        assert!(
            got == want,
            "k={k} batch {batch}: resumed histograms.json differs"
        );
        let got_root = std::fs::read(out.join("histograms.root")).expect("resumed");
        assert!(
            got_root == want_root,
            "k={k}: resumed histograms.root differs"
        );
        let _ = std::fs::remove_dir_all(store);
        let _ = std::fs::remove_dir_all(out);
    }
    // By default small units are committed in batches: fewer commit files than units, the
    // same results.
    let store = tmp("store-batched");
    let s = store.to_str().expect("utf-8");
    let batched = run_ok(
        "analyses/ttbar/ttbar_deterministic.ana",
        "batched",
        &["--store", s],
    );
    let files = std::fs::read_dir(store.join("units"))
        .expect("units")
        .count();
    assert!(
        (1..11).contains(&files),
        "{files} commit files for 11 units"
    );
    assert!(std::fs::read(batched.join("histograms.json")).expect("batched") == want);
    let said = String::from_utf8_lossy(&anac(&["status", s]).stdout).to_string();
    assert!(said.contains("11 of 11 units done"), "{said}");
    let _ = std::fs::remove_dir_all(&store);
    let _ = std::fs::remove_dir_all(batched);
    // A store of another analysis is refused (exit 2), then accepted with --force-new.
    let store = tmp("store-foreign");
    let s = store.to_str().expect("utf-8");
    let first = run_ok("tests/run/nanoaod_pieces.ana", "store-a", &["--store", s]);
    let out = tmp("store-b");
    let o = out.to_str().expect("utf-8");
    let r = anac(&["run", "examples/zmumu.ana", "-o", o, "-q", "--store", s]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("another run"));
    let r = anac(&[
        "run",
        "examples/zmumu.ana",
        "-o",
        o,
        "-q",
        "--store",
        s,
        "--force-new",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    for p in [reference, store, first, out] {
        let _ = std::fs::remove_dir_all(p);
    }
}

#[test]
fn plan_then_four_processes_then_merge_equals_one_run() {
    if shared_data().is_none() {
        return;
    }
    let ana = "analyses/ttbar/ttbar_deterministic.ana";
    let plan_path = tmp("plan.json");
    let r = anac(&["plan", ana, "-o", plan_path.to_str().expect("utf-8")]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let plan = json(&plan_path);
    let ids: Vec<String> = plan["units"]
        .as_array()
        .expect("units")
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(ids.len(), 11);
    let store = tmp("merge-store");
    let s = store.to_str().expect("utf-8").to_string();
    // Four processes at once, each with every fourth unit.
    let children: Vec<_> = (0..4)
        .map(|k| {
            let group: Vec<&str> = ids.iter().skip(k).step_by(4).map(String::as_str).collect();
            Command::new(env!("CARGO_BIN_EXE_anac"))
                .current_dir(root())
                .args(["run", ana, "-q", "--store", &s, "--units", &group.join(",")])
                .args(["--batch", "1"]) // one file per unit: the test removes one below
                .spawn()
                .expect("anac starts")
        })
        .collect();
    for mut c in children {
        assert!(c.wait().expect("anac ends").success());
    }
    let merged = tmp("merged");
    let m = merged.to_str().expect("utf-8");
    let r = anac(&["merge", &s, "-o", m, "-q"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let one = run_ok(ana, "one-run", &[]);
    for f in ["histograms.json", "histograms.root", "cutflow.json"] {
        let a = std::fs::read(merged.join(f)).expect("merged");
        let b = std::fs::read(one.join(f)).expect("one run");
        assert!(a == b, "{f}: merge differs from one run");
    }
    let st = anac(&["status", &s]);
    assert!(
        String::from_utf8_lossy(&st.stdout).contains("11 of 11 units done, 10000 of 10000 events")
    );
    // A missing unit: merge refuses (exit 1), `--partial` merges and says so.
    let first_unit = store.join("units").join(format!("{}.unit", ids[0]));
    std::fs::remove_file(&first_unit).expect("rm unit");
    let r = anac(&["merge", &s, "-o", m, "-q"]);
    assert_eq!(r.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&r.stderr).contains("1 of 11 work units"));
    let st = String::from_utf8_lossy(&anac(&["status", &s]).stdout).to_string();
    assert!(
        st.contains("10 of 11 units done")
            && st.lines().any(|l| {
                let w: Vec<&str> = l.split_whitespace().collect();
                w.first() == Some(&"pending") && w.get(1) == Some(&ids[0].as_str())
            }),
        "{st}"
    );
    let r = anac(&["merge", &s, "-o", m, "-q", "--partial"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert_eq!(json(&merged.join("provenance.json"))["partial"], true);
    for p in [store, merged, one] {
        let _ = std::fs::remove_dir_all(p);
    }
    let _ = std::fs::remove_file(plan_path);
}

#[test]
fn a_coffea_fileset_with_an_overlay_gives_the_same_results() {
    let Some(data) = shared_data() else { return };
    let dir = tmp("coffea");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let small = data.join("agc-small");
    let xsec = [
        ("ttbar", 729.84),
        ("single_top_s_chan", 3.2944000000000004),
        ("single_top_t_chan", 234.7936507936508),
        ("single_top_tW", 75.842),
        ("wjets", 15487.164),
    ];
    // {dataset: {files: {path: tree}, metadata}}; datasets named `process__variation`, one of them
    // with its process and cross section in its metadata instead.
    let mut fileset = serde_json::Map::new();
    for (p, x) in xsec {
        let vars: &[&str] = if p == "ttbar" {
            &["nominal", "scaledown", "scaleup", "ME_var", "PS_var"]
        } else {
            &["nominal"]
        };
        for v in vars {
            let mut files = serde_json::Map::new();
            for k in 0..2 {
                let f = small.join(format!("{p}__{v}__{k:04}.root"));
                if f.is_file() {
                    files.insert(f.display().to_string(), Value::from("Events"));
                }
            }
            let (name, meta) = if p == "wjets" {
                (
                    "W+jets".to_string(),
                    serde_json::json!({"process": "wjets", "xsec": x}),
                )
            } else {
                (format!("{p}__{v}"), serde_json::json!({}))
            };
            fileset.insert(name, serde_json::json!({"files": files, "metadata": meta}));
        }
    }
    std::fs::write(dir.join("coffea.json"), Value::Object(fileset).to_string()).expect("json");
    let mut overlay = String::from("fileset: coffea.json\nxsec:\n");
    for (p, x) in xsec.iter().filter(|(p, _)| *p != "wjets") {
        overlay.push_str(&format!("  {p}: {x}\n"));
    }
    std::fs::write(dir.join("overlay.yaml"), overlay).expect("overlay");
    let samples = dir.join("overlay.yaml");
    let out = run_ok(
        "analyses/ttbar/ttbar_deterministic.ana",
        "coffea-out",
        &["--samples", samples.to_str().expect("utf-8")],
    );
    assert_eq!(
        compare_hists(&out, &json(&root().join("tests/golden/agc/uproot.json"))),
        124
    );
    let _ = std::fs::remove_dir_all(out);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn nanoaod_minus_one_indices_are_absent_and_constant_negative_indices_count_from_the_end() {
    let Some(data) = shared_data() else { return };
    let file = data.join("nanoAOD_2015_CMS_Open_Data_ttbar.root");
    let ana = scratch_analysis(
        "nidx-ana",
        "const last = -1\nlet k = -1\nlet mj = Jet[Muon[0].jetIdx]\n\
         collect rows = (Muon[0].jetIdx ?? -99, mj.pt ?? -1, Jet[last].pt ?? -2, \
         Jet[k].pt ?? -3, Jet[nJet - 1].pt ?? -4)",
        &file,
    );
    let ana = ana.to_str().expect("utf-8");
    for engine in [&[][..], &["--interpret"][..]] {
        let out = run_ok(ana, "nidx-out", engine);
        let ev = json(&out.join("events.json"));
        let rows = ev
            .as_object()
            .and_then(|m| m.values().next())
            .map(|v| v["rows"].as_array().expect("rows").clone())
            .expect("one event list");
        assert_eq!(rows.len(), 200);
        // uproot: the first muon of entries 21 and 198 has Muon_jetIdx == -1.
        let unmatched: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i][0].as_i64() == Some(-1))
            .collect();
        assert_eq!(unmatched, vec![21, 198], "{engine:?}");
        for r in &rows {
            let idx = r[0].as_i64().expect("int");
            if idx == -1 {
                assert_eq!(r[1].as_f64(), Some(-1.0), "a -1 index is absent: {r:?}");
            }
            // A constant -1 is the last jet; a `let` of -1 is computed, hence absent.
            // (both absent in an event without jets)
            let last = if r[2].as_f64() == Some(-2.0) {
                -4.0
            } else {
                r[2].as_f64().unwrap()
            };
            assert_eq!(r[4].as_f64(), Some(last), "{r:?}");
            assert_eq!(r[3].as_f64(), Some(-3.0), "{r:?}");
        }
        assert!(
            rows.iter()
                .any(|r| r[0].as_i64().unwrap_or(-1) >= 0 && r[1] != -1.0)
        );
        let _ = std::fs::remove_dir_all(out);
    }
}

#[test]
fn a_histogram_weight_multiplies_each_fill_per_event_or_per_element() {
    let Some(data) = shared_data() else { return };
    let file = data.join("nanoAOD_2015_CMS_Open_Data_ttbar.root");
    let ana = scratch_analysis(
        "hw-ana",
        "hist per_jet = Jet.pt weight Jet.mass in regular(1, -1e9, 1e9)\n\
         hist per_event = nJet weight MET_pt in regular(1, -1e9, 1e9)\n\
         hist plain = nJet in regular(1, -1e9, 1e9)\n\
         collect rows = (sum(Jet.mass), MET_pt, nJet)",
        &file,
    );
    let ana = ana.to_str().expect("utf-8");
    for engine in [&[][..], &["--interpret"][..]] {
        let out = run_ok(ana, "hw-out", engine);
        let h = json(&out.join("histograms.json"));
        let sum = |name: &str| -> f64 {
            let v = h[name]["storage"]["values"].as_array().expect("values");
            v.iter().map(|x| x.as_f64().expect("number")).sum()
        };
        let ev = json(&out.join("events.json"));
        let rows = ev
            .as_object()
            .and_then(|m| m.values().next())
            .map(|v| v["rows"].as_array().expect("rows").clone())
            .expect("one event list");
        let col = |k: usize| -> f64 { rows.iter().map(|r| r[k].as_f64().expect("num")).sum() };
        // Σ over jets of the jet's mass; Σ over events of MET; the unweighted count.
        assert!(close(sum("all_per_jet_ttbar"), col(0)), "{engine:?}");
        assert!(close(sum("all_per_event_ttbar"), col(1)), "{engine:?}");
        assert_eq!(sum("all_plain_ttbar"), 200.0);
        let _ = std::fs::remove_dir_all(out);
    }
}

#[test]
fn sumw_normalises_by_the_runs_trees_generator_weights_as_uproot_computes() {
    // The shipped toy files carry negative generator weights and a `Runs` tree; no ../shared.
    let out = run_ok("tests/run/toy_sumw.ana", "toy-sumw", &[]);
    let ours = json(&out.join("histograms.json"));
    let gold = json(&root().join("tests/golden/run/toy_sumw.json"));
    let gold = gold.as_object().expect("golden object");
    assert_eq!(gold.len(), 18);
    for (name, g) in gold {
        let a = ours[name]["storage"]["values"]
            .as_array()
            .expect("our values");
        let b = g["values"].as_array().expect("golden values");
        assert_eq!(a.len(), b.len(), "{name}");
        for (x, y) in a.iter().zip(b) {
            let (x, y) = (x.as_f64().expect("num"), y.as_f64().expect("num"));
            assert!(close(x, y), "{name}: anac {x}, uproot {y}");
        }
    }
    let prov = json(&out.join("provenance.json"));
    let text = prov.to_string();
    assert!(text.contains("\"sumw\""), "provenance names sumw");
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn sumw_on_files_without_a_runs_tree_is_refused_before_any_event() {
    let Some(data) = shared_data() else { return };
    let file = data.join("nanoAOD_2015_CMS_Open_Data_ttbar.root");
    let ana = scratch_analysis(
        "sumw-missing",
        "weight genWeight * xsec * lumi / sumw\nhist n = nJet in integer(0, 10)",
        &file,
    );
    let (code, err) = run_fails(&ana, "sumw-missing-out");
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("has no `Runs` tree") && err.contains("genEventSumw"),
        "{err}"
    );
}

#[test]
fn a_luminosity_mask_keeps_only_certified_sections_of_data() {
    let Some(data) = shared_data() else { return };
    let dir = tmp("lumi-mask");
    std::fs::create_dir_all(&dir).expect("mkdir");
    // The NanoAOD excerpt as data: run 1, luminosity sections 2272915..2272920.
    std::fs::write(
        dir.join("golden.json"),
        r#"{"1": [[2272919, 2272919], [2272915, 2272916]], "2": [[1, 100]]}"#,
    )
    .expect("json");
    std::fs::write(
        dir.join("s.yaml"),
        format!(
            "data:\n  nominal:\n    is_data: true\n    lumi_mask: golden.json\n    files:\n    - path: {}\n",
            data.join("nanoAOD_2015_CMS_Open_Data_ttbar.root").display()
        ),
    )
    .expect("yaml");
    std::fs::write(
        dir.join("a.ana"),
        "analysis m\ntree Events\nsamples \"s.yaml\"\nlumi 1\n\
         counter all\nhist n_jets = nJet in regular(1, 0, 1000)\n",
    )
    .expect("ana");
    let ana = dir.join("a.ana");
    let ana = ana.to_str().expect("utf-8");
    for engine in [&[][..], &["--interpret"][..]] {
        let out = run_ok(ana, "lumi-mask-out", engine);
        // uproot: 124 of the 200 events lie in sections 2272915-2272916 or 2272919; they hold
        // 358 jets.
        let cf = json(&out.join("cutflow.json"));
        let text = cf.to_string();
        assert!(text.contains("124"), "{engine:?}: {text}");
        let h = json(&out.join("histograms.json"));
        let n: f64 = h["all_n_jets_data"]["storage"]["values"]
            .as_array()
            .or_else(|| {
                h.as_object()
                    .and_then(|m| m.values().next())
                    .and_then(|v| v["storage"]["values"].as_array())
            })
            .expect("values")
            .iter()
            .map(|x| x.as_f64().unwrap_or(0.0))
            .sum();
        assert_eq!(n, 124.0, "{engine:?}");
        let prov = json(&out.join("provenance.json"));
        let s = prov.to_string();
        assert!(
            s.contains("\"analysed_events\":124") && s.contains("golden.json"),
            "{s}"
        );
        let _ = std::fs::remove_dir_all(out);
    }
    // A malformed mask is refused before any event, at its line in the YAML.
    std::fs::write(dir.join("golden.json"), r#"{"1": [[5, 2]]}"#).expect("json");
    let r = anac(&[
        "run",
        ana,
        "-o",
        tmp("lumi-bad").to_str().expect("utf-8"),
        "-q",
    ]);
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(1), "{err}");
    assert!(
        err.contains("invalid-lumi-mask") && err.contains("[5, 2]"),
        "{err}"
    );
}

#[test]
fn a_store_is_refused_when_a_cross_section_changed() {
    let Some(data) = shared_data() else { return };
    let file = data.join("nanoAOD_2015_CMS_Open_Data_ttbar.root");
    let ana = scratch_analysis(
        "store-xsec",
        "weight xsec * lumi / nevts\nhist n = nJet in integer(0, 10)",
        &file,
    );
    let store = tmp("store-xsec-store");
    let s = store.to_str().expect("utf-8");
    let a = ana.to_str().expect("utf-8");
    let out = tmp("store-xsec-out");
    let o = out.to_str().expect("utf-8");
    let r = anac(&["run", a, "-o", o, "-q", "--store", s]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    // Same files, same analysis, another cross section: the committed units are not reusable.
    let yaml = ana.with_file_name("s.yaml");
    let text = std::fs::read_to_string(&yaml).expect("yaml");
    std::fs::write(&yaml, text.replace("xsec: 1.0", "xsec: 2.0")).expect("yaml");
    let r = anac(&["run", a, "-o", o, "-q", "--force", "--store", s]);
    assert_eq!(
        r.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    assert!(String::from_utf8_lossy(&r.stderr).contains("another run"));
    let _ = std::fs::remove_dir_all(store);
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_category_histogram_is_plotted_with_its_labels() {
    if shared_data().is_none() {
        return;
    }
    let out = run_ok("examples/zmumu.ana", "cat-plot", &[]);
    let svg = std::fs::read_to_string(out.join("plots/all_muon_types.svg")).expect("a plot");
    let png = std::fs::read(out.join("plots/all_muon_types.png")).expect("a png");
    assert!(png.starts_with(b"\x89PNG"));
    // Text is drawn as glyph outlines (no fonts needed to view it), so the labels are paths:
    // the plot exists and is drawn (it was not made at all before category axes were read).
    assert!(svg.len() > 1000 && svg.contains("<path"), "an empty plot");
    // A 2-D histogram: a heat map of the simulated processes' sum.
    let heat = std::fs::read(out.join("plots/all_eta1_eta2.png")).expect("a 2-D plot");
    assert!(heat.starts_with(b"\x89PNG"));
    let _ = std::fs::remove_dir_all(out);
}

#[test]
fn a_sigkilled_run_is_shown_by_status_and_resumes_to_identical_results() {
    if shared_data().is_none() {
        return;
    }
    let reference = run_ok("analyses/ttbar/ttbar_deterministic.ana", "sigkill-ref", &[]);
    let want = std::fs::read(reference.join("histograms.json")).expect("reference");
    let store = tmp("sigkill-store");
    let out = tmp("sigkill-out");
    let (s, o) = (store.to_str().expect("utf-8"), out.to_str().expect("utf-8"));
    let args = [
        "run",
        "analyses/ttbar/ttbar_deterministic.ana",
        "-o",
        o,
        "-q",
        "-j",
        "1",
        "--chunk-size",
        "100",
        "--store",
        s,
    ];
    // A real SIGKILL at whatever moment the first unit has been committed.
    let mut child = Command::new(env!("CARGO_BIN_EXE_anac"))
        .current_dir(root())
        .args(args)
        .env("ANAC_TEST_SLOW_CHUNKS_MS", "10")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("anac starts");
    let units = store.join("units");
    let t0 = std::time::Instant::now();
    // Commit files (`.unit`, or `.batch` of the units of about a second), not temporaries.
    let committed = |dir: &Path| {
        std::fs::read_dir(dir).map_or(0, |r| {
            r.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| !e.file_name().to_string_lossy().starts_with('.'))
            })
            .count()
        })
    };
    while committed(&units) == 0 && t0.elapsed() < std::time::Duration::from_secs(120) {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    // Into the next units (each takes ≥ 150 ms here: 15 chunks of ≥ 10 ms), then SIGKILL.
    std::thread::sleep(std::time::Duration::from_millis(60));
    let _ = child.kill(); // SIGKILL on Unix
    let _ = child.wait();
    let status = anac(&["status", s]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(status.status.success(), "{text}");
    assert!(
        text.contains("units done") && !text.contains("11 of 11 units done"),
        "the run was not killed midway: {text}"
    );
    // The unit the killed process had started is shown as interrupted (its process is gone),
    // never as running.
    assert!(!text.contains("  running "), "{text}");
    assert!(text.contains("  interrupted "), "{text}");
    let resumed = anac(&args);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let got = std::fs::read(out.join("histograms.json")).expect("resumed");
    assert!(got == want, "resumed histograms.json differs");
    let status = anac(&["status", s]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.contains("11 of 11 units done") && text.contains("rate:"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(store);
    let _ = std::fs::remove_dir_all(out);
    let _ = std::fs::remove_dir_all(reference);
}

/// Double32_t, Float16_t and leaf-list leaves (`rec.x`) in an analysis, in both engines, equal
/// histograms filled from ROOT's own reading of the file (`packed.json`).
#[test]
fn packed_floats_and_leaf_lists_run_as_root_reads_them() {
    let golden = json(&root().join("tests/golden/root/packed/packed.json"));
    let r = &golden["root"];
    let num = |v: &Value| v.as_f64().expect("number");
    let col = |name: &str| -> Vec<Value> { r[name].as_array().expect(name).clone() };
    let n = col("n").len();
    // (name, lo, hi, bins, values per event, selected by the cut)
    let fill = |lo: f64, hi: f64, bins: usize, values: &[Vec<f64>]| {
        let mut h = vec![0.0; bins + 2];
        for vs in values {
            for &x in vs {
                let i = if x < lo {
                    0
                } else if x >= hi {
                    bins + 1
                } else {
                    1 + ((x - lo) / (hi - lo) * bins as f64) as usize
                };
                h[i] += 1.0;
            }
        }
        h
    };
    let scalar = |name: &str| -> Vec<Vec<f64>> { col(name).iter().map(|v| vec![num(v)]).collect() };
    let pass: Vec<bool> = col("rec.y").iter().map(|v| num(v) > 0.0).collect();
    let cut = |v: Vec<Vec<f64>>| -> Vec<Vec<f64>> {
        v.into_iter()
            .zip(&pass)
            .filter(|(_, p)| **p)
            .map(|(x, _)| x)
            .collect()
    };
    let lists = |name: &str| -> Vec<Vec<f64>> {
        col(name)
            .iter()
            .map(|v| v.as_array().expect("list").iter().map(num).collect())
            .collect()
    };
    let sums: Vec<Vec<f64>> = lists("j32")
        .iter()
        .map(|l| vec![l.iter().sum::<f64>()])
        .collect();
    let want = [
        ("all_rec_x_packed", fill(-30.0, 30.0, 20, &scalar("rec.x"))),
        (
            "all_rec_k_packed",
            fill(-1000.0, 3000.0, 10, &scalar("rec.k")),
        ),
        ("all_f16_packed", fill(-150.0, 150.0, 20, &scalar("f16"))),
        ("all_d32r_packed", fill(0.0, 10.0, 10, &cut(scalar("d32r")))),
        ("all_j32_sum_packed", fill(-15.0, 15.0, 20, &cut(sums))),
        (
            "all_j32_all_packed",
            fill(-5.0, 5.0, 10, &cut(lists("j32"))),
        ),
    ];
    assert_eq!(n, 500);
    let mut outs = Vec::new();
    for engine in [&[][..], &["--interpret"][..]] {
        let out = run_ok("tests/run/packed.ana", "packed", engine);
        let h = json(&out.join("histograms.json"));
        for (name, bins) in &want {
            let got = floats(&h[*name]["storage"]["values"]);
            assert_eq!(&got, bins, "{name} ({engine:?})");
        }
        outs.push(std::fs::read(out.join("histograms.json")).expect("json"));
        let _ = std::fs::remove_dir_all(out);
    }
    assert!(outs[0] == outs[1], "native and interpreter differ");
}

/// The correction example (toy correctionlib files applied to the AGC fileset): the native
/// kernels and the interpreter give identical outputs, and every histogram equals the one made
/// with uproot + awkward + Python correctionlib (`tests/golden/run/make_golden_corrections.py`).
#[test]
fn corrections_example_equals_python_correctionlib() {
    if shared_data().is_none() {
        return;
    }
    let ana = "examples/corrections/ttbar_corrected.ana";
    let native = run_ok(ana, "corr-native", &[]);
    let interp = run_ok(ana, "corr-interp", &["--interpret"]);
    assert_eq!(
        std::fs::read(native.join("histograms.json")).unwrap(),
        std::fs::read(interp.join("histograms.json")).unwrap(),
        "native kernels and interpreter differ"
    );
    let g = json(&root().join("tests/golden/run/corrections.json"));
    let n = compare_hists(&native, &g);
    assert_eq!(n, 133, "histograms compared");
    // The muon-ID variation moves the muon histograms, and only by the scale factors' shifts.
    let h = json(&native.join("histograms.json"));
    let total = |name: &str| floats(&h[name]["storage"]["values"]).iter().sum::<f64>();
    let (nom, up, down) = (
        total("muon_mu_pt_ttbar"),
        total("muon_mu_pt_ttbar_muon_id_up"),
        total("muon_mu_pt_ttbar_muon_id_down"),
    );
    assert!(down < nom && nom < up && nom > 0.0, "{down} {nom} {up}");
    for d in [native, interp] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// A correction input outside a binning with `flow: "error"` stops the run (exit 1) in both
/// engines, naming the correction, the input and its value, the file and the entry; no results.
#[test]
fn a_correction_outside_an_error_flow_binning_stops_the_run() {
    for extra in [&[][..], &["--interpret"][..]] {
        let out = tmp("corr-flow");
        let mut args = vec![
            "run",
            "tests/run/corrections_flow_error.ana",
            "-q",
            "-o",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let r = anac(&args);
        assert_eq!(r.status.code(), Some(1), "{r:?}");
        let err = String::from_utf8_lossy(&r.stderr).replace('\n', " ");
        for want in [
            "correction `f`",
            "\"pt_bins\"",
            "input `pt` = 134.29055786132813",
            "flow: error",
            "ttbar__nominal__0000.root`, entry 0",
        ] {
            assert!(err.contains(want), "{extra:?}: no `{want}` in {err}");
        }
        assert!(!out.exists(), "no results after a failed run");
    }
}

/// `delta_eta(a, b)` and `mt(a, b)` equal their formulas computed here from the components
/// (η_a − η_b; √(2 pT_a pT_b (1 − cos Δφ)) with Δφ in (−π, π]), in both engines, on the toy
/// fileset the repository carries.
#[test]
fn delta_eta_and_mt_equal_their_formulas() {
    for extra in [&[][..], &["--interpret"][..]] {
        let out = run_ok("tests/run/kinematics.ana", "kinematics", extra);
        let ev = json(&out.join("events.json"));
        let mut rows = 0;
        for (_, list) in ev.as_object().unwrap() {
            for r in list["rows"].as_array().unwrap() {
                let x: Vec<f64> = r
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_f64().unwrap())
                    .collect();
                let (deta, mt, pa, ea, fa, pb, eb, fb) =
                    (x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
                let mut dphi = fa - fb;
                if dphi > std::f64::consts::PI {
                    dphi -= 2.0 * std::f64::consts::PI;
                } else if dphi <= -std::f64::consts::PI {
                    dphi += 2.0 * std::f64::consts::PI;
                }
                let want_mt = (2.0 * pa * pb * (1.0 - dphi.cos())).sqrt();
                // η and φ come back through the four-vector: equal to rounding.
                assert!(
                    (deta - (ea - eb)).abs() < 1e-9,
                    "{extra:?} Δη {deta} vs {}",
                    ea - eb
                );
                assert!(
                    (mt - want_mt).abs() <= 1e-9 * want_mt.max(1.0),
                    "{extra:?} mT {mt} vs {want_mt}"
                );
                rows += 1;
            }
        }
        assert!(rows > 500, "{extra:?}: only {rows} rows compared");
        let _ = std::fs::remove_dir_all(out);
    }
}

/// MT2 in the kernels and the interpreter equals PyPI `mt2` on the toy's jets and MET
/// (`tests/scripts/check_mt2.py`: 1e-6 relative), for massless and massive invisible particles.
#[test]
fn mt2_equals_the_reference_implementation() {
    let have = Command::new("python3")
        .args(["-c", "import mt2"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true but PyPI mt2 is missing (pip install mt2==1.3.1)"
        );
        eprintln!("skipping: `python3 -c 'import mt2'` fails (pip install mt2==1.3.1)");
        return;
    }
    for extra in [&[][..], &["--interpret"][..]] {
        let out = run_ok("tests/run/mt2.ana", "mt2", extra);
        let o = Command::new("python3")
            .arg(root().join("tests/scripts/check_mt2.py"))
            .arg(out.join("events.json"))
            .output()
            .expect("python3 runs");
        assert!(
            o.status.success(),
            "{extra:?}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        let _ = std::fs::remove_dir_all(out);
    }
}

/// `sample.is_data` and `sample.xsec`/`sample.nevts` per sample, in the kernels and the
/// interpreter: the data sample's events count as data, the simulation's are normalised.
#[test]
fn sample_values_differ_per_sample() {
    for extra in [&[][..], &["--interpret"][..]] {
        let out = run_ok("tests/run/sample_values.ana", "sample-values", extra);
        let c = &json(&out.join("cutflow.json"))["counters"];
        let get = |k: &str, f: &str| c[k][f].as_f64().unwrap_or(f64::NAN);
        assert_eq!(get("all_data_events_data", "events"), 2500.0, "{extra:?}");
        assert_eq!(get("all_data_events_ttbar", "events"), 0.0, "{extra:?}");
        assert_eq!(get("all_mc_events_ttbar", "events"), 2500.0, "{extra:?}");
        assert_eq!(get("all_mc_events_data", "events"), 0.0, "{extra:?}");
        let want = 2500.0 * 729.84 * 3378.0 / 2500.0;
        assert!(
            close(get("all_all_events_ttbar", "sumw"), want),
            "{extra:?}: {} vs {want}",
            get("all_all_events_ttbar", "sumw")
        );
        assert_eq!(get("all_all_events_data", "sumw"), 2500.0, "{extra:?}");
        // `sample.process` / `sample.variation` comparisons, and a region weight by process
        // (data keeps weight 1).
        assert_eq!(get("all_ttbar_events_ttbar", "events"), 2500.0, "{extra:?}");
        assert_eq!(get("all_ttbar_events_data", "events"), 0.0, "{extra:?}");
        assert_eq!(get("all_not_ttbar_data", "events"), 2500.0, "{extra:?}");
        assert_eq!(get("all_not_ttbar_ttbar", "events"), 0.0, "{extra:?}");
        assert_eq!(
            get("all_nominal_events_data", "events"),
            2500.0,
            "{extra:?}"
        );
        assert!(
            close(get("by_process_doubled_ttbar", "sumw"), 2.0 * want),
            "{extra:?}"
        );
        assert_eq!(get("by_process_doubled_data", "sumw"), 2500.0, "{extra:?}");
        let _ = std::fs::remove_dir_all(out);
    }
}

/// User functions run: every histogram filled through a function equals its twin written out by
/// hand (bin by bin, values and variances), compiled and interpreted; the random draw inside a
/// function body is reproducible and the same in both engines.
#[test]
fn functions_equal_their_expressions_written_out() {
    if shared_data().is_none() {
        return;
    }
    let mut smeared = Vec::new();
    for extra in [&[][..], &["--interpret"][..]] {
        let out = run_ok("tests/run/functions.ana", "functions", extra);
        let h = json(&out.join("histograms.json"));
        let get = |n: &str| h[format!("{n}_hzz")]["storage"].clone();
        for (a, b) in [
            ("all_mu_pt", "all_mu_pt_x"),
            ("all_n_jets", "all_n_jets_x"),
            ("all_n_sq", "all_n_sq_x"),
            ("all_e_sq", "all_e_sq_x"),
        ] {
            let (sa, sb) = (get(a), get(b));
            assert!(sa["values"].is_array(), "{a}: {sa}");
            assert_eq!(sa, sb, "{extra:?}: {a} vs {b}");
            let filled: f64 = sa["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .sum();
            assert!(filled != 0.0, "{a} is empty");
        }
        // Muons exist in most events: the jet cleaning removes some jets.
        let n_jets = get("all_n_jets")["values"].clone();
        let none = get("all_n_jets")["values"][1].as_f64().unwrap();
        assert!(none > 0.0, "{n_jets}");
        smeared.push(get("two_muons_smeared"));
        let _ = std::fs::remove_dir_all(out);
    }
    assert_eq!(smeared[0], smeared[1]);
    let total: f64 = smeared[0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!(total > 0.0);
}

/// Element identity, permutations and per-element lists run: "the rest" of a collection, a tuple equal to itself,
/// the elements other than an outer one named with `as`, the number, charges, order and
/// reversals of ordered tuples; each histogram equals its twin computed by counting, compiled
/// and interpreted.
#[test]
fn element_identity_equals_counting() {
    if shared_data().is_none() {
        return;
    }
    for extra in [&[][..], &["--interpret"][..]] {
        let out = run_ok("tests/run/identity.ana", "identity", extra);
        let h = json(&out.join("histograms.json"));
        let get = |n: &str| h[format!("{n}_hzz")]["storage"]["values"].clone();
        for a in [
            "z_and_more_n_rest",
            "z_and_more_n_same",
            "z_and_more_n_other",
            "z_and_more_n_others",
            "all_lead_once",
            "all_n_perm2",
            "all_n_perm3",
            "all_q_perm2",
            "all_order",
            "all_both",
            "all_ord_lt",
            "all_ord_gt",
            "all_ord_3",
        ] {
            let (x, y) = (get(a), get(&format!("{a}_x")));
            assert!(x.is_array(), "{a}: {x}");
            assert_eq!(x, y, "{extra:?}: {a}");
        }
        // Per-element lists: values and variances equal their twins'.
        for a in ["m_pairs", "m_def", "m_sum", "n_m", "iso_l", "pos_l", "pt_w"] {
            let st = |n: &str| h[format!("all_{n}_hzz")]["storage"].clone();
            let (x, y) = (st(a), st(&format!("{a}_x")));
            assert!(x["values"].is_array(), "{a}: {x}");
            assert_eq!(x, y, "{extra:?}: {a}");
        }
        assert_eq!(floats(&get("all_m_pairs")).iter().sum::<f64>(), 1464.0);
        // A list literal fills once per item: the sum of its items' histograms.
        let (two, a, b) = (
            floats(&get("all_two")),
            floats(&get("all_two_a")),
            floats(&get("all_two_b")),
        );
        assert_eq!(two.iter().sum::<f64>(), 4842.0, "{extra:?}");
        for i in 0..two.len() {
            assert_eq!(two[i], a[i] + b[i], "{extra:?}: bin {i}");
        }
        assert_eq!(get("all_mixed"), get("all_mixed_x"), "{extra:?}");
        // A four-vector scaled by a number.
        assert_eq!(get("all_scaled_pt"), get("all_scaled_pt_x"), "{extra:?}");
        assert_eq!(get("all_halved_m"), get("all_halved_m_x"), "{extra:?}");
        // 1406 events have an opposite-charge muon pair; 8 of them a second one among the rest.
        let total = |n: &str| floats(&get(n)).iter().sum::<f64>();
        assert_eq!(total("z_and_more_n_rest"), 1406.0, "{extra:?}");
        let z2 = floats(&get("z_and_more_m_z2"));
        assert_eq!(z2[0], 1398.0, "{extra:?}: events without a Z2 (underflow)");
        assert_eq!(z2[1..].iter().sum::<f64>(), 8.0, "{extra:?}");
        // 42 events have three muons or more: the order test is not vacuous.
        assert_eq!(floats(&get("all_order"))[2], 42.0, "{extra:?}");
        let _ = std::fs::remove_dir_all(out);
    }
}

/// Unions run: electrons ∪ muons counted, summed, sorted, split by `is_from`, paired and filled
/// as lists, `max`/`min` of per-element expressions, and slices; each histogram equals its twin built from the separate collections, compiled and
/// interpreted, nominal and under a kinematic variation of the muons (which moves the union's
/// leading lepton).
#[test]
fn unions_equal_their_separate_collections() {
    if shared_data().is_none() {
        return;
    }
    let mut lead = Vec::new();
    for extra in [&[][..], &["--interpret"][..]] {
        let out = run_ok("tests/run/unions.ana", "unions", extra);
        let h = json(&out.join("histograms.json"));
        for suffix in ["hzz", "hzz_mu_scale"] {
            let get = |n: &str| floats(&h[format!("all_{n}_{suffix}")]["storage"]["values"]);
            for a in [
                "n_lep",
                "q",
                "lead_pt",
                "n_mu",
                "n_e",
                "n_pairs",
                "lead_pt_k",
                "iso_min",
                "q_max",
                "s_two",
                "s_tail",
                "s_init",
                "s_k",
                "s_pt",
                "s_same",
                "u_pairs",
            ] {
                let (x, y) = (get(a), get(&format!("{a}_x")));
                assert!(!x.is_empty(), "{a}");
                assert_eq!(x, y, "{extra:?} {suffix}: {a}");
            }
            let (all, mu, e) = (get("iso_all"), get("iso_mu"), get("iso_e"));
            for i in 0..all.len() {
                assert!(
                    close(all[i], mu[i] + e[i]),
                    "{extra:?} {suffix}: iso bin {i}"
                );
            }
            // Events with electrons exist: the union is not just the muons.
            assert!(get("n_e")[2..].iter().sum::<f64>() > 100.0, "{suffix}");
            lead.push(get("lead_pt"));
        }
        let _ = std::fs::remove_dir_all(out);
    }
    // The variation moves the leading lepton; both engines agree.
    assert_ne!(lead[0], lead[1]);
    assert_eq!(lead[0], lead[2]);
    assert_eq!(lead[1], lead[3]);
}

/// A hit-and-miss `object` draws one number per jet: about half the jets are kept, another
/// statement draws other numbers, a variation of the jets' energy keeps the same jets, and the
/// compiled and interpreted runs agree bin by bin.
#[test]
fn per_object_random_numbers_are_keyed_by_the_object() {
    if shared_data().is_none() {
        return;
    }
    let mut runs = Vec::new();
    for extra in [&[][..], &["--interpret"][..]] {
        let out = run_ok("tests/run/object_random.ana", "object-random", extra);
        let h = json(&out.join("histograms.json"));
        let get = |n: &str| floats(&h[format!("all_{n}")]["storage"]["values"]);
        // Bin k + 1 holds the events with k objects (bin 0 is the underflow).
        let total = |v: &[f64]| -> f64 {
            v.iter()
                .skip(1)
                .enumerate()
                .map(|(k, n)| k as f64 * n)
                .sum()
        };
        let (jets, kept, kept2) = (
            total(&get("n_jets_hzz")),
            total(&get("n_kept_hzz")),
            total(&get("n_kept2_hzz")),
        );
        assert_eq!(jets, 2773.0);
        let frac = kept / jets;
        assert!((frac - 0.5).abs() < 0.03, "{frac}");
        assert_ne!(get("n_kept_hzz"), get("n_kept2_hzz"));
        assert_eq!(get("n_kept_hzz"), get("n_kept_hzz_jet_e"));
        assert_eq!(get("n_kept_hzz"), get("n_kept_e_hzz"));
        runs.push((kept, kept2, get("n_kept_hzz")));
        let _ = std::fs::remove_dir_all(out);
    }
    assert_eq!(runs[0], runs[1]);
}

/// Tables run through the correction evaluator: per-object weights, two variables with a
/// default outside the edges, generated log-spaced edges; each equals its twin written with
/// `if`, compiled and interpreted.
#[test]
fn tables_equal_their_lookups_written_out() {
    if shared_data().is_none() {
        return;
    }
    for extra in [&[][..], &["--interpret"][..]] {
        let out = run_ok("tests/run/tables.ana", "tables", extra);
        let h = json(&out.join("histograms.json"));
        for a in ["mu_w", "sf2_h", "met_h", "wphi_h"] {
            let st = |n: &str| h[format!("all_{n}_hzz")]["storage"].clone();
            let (x, y) = (st(a), st(&format!("{a}_x")));
            assert!(floats(&x["values"]).iter().sum::<f64>() > 100.0, "{a}: {x}");
            assert_eq!(x, y, "{extra:?}: {a}");
        }
        let _ = std::fs::remove_dir_all(out);
    }
}

/// Derived fields run: bare in `where`, on one (maybe absent) element, projected, sorted by, one
/// built on another; each equals its twin written out, compiled and interpreted, nominal and
/// under a variation of the fields they read.
#[test]
fn derived_fields_equal_their_expressions_written_out() {
    if shared_data().is_none() {
        return;
    }
    for extra in [&[][..], &["--interpret"][..]] {
        let out = run_ok("tests/run/derived_fields.ana", "derived-fields", extra);
        let h = json(&out.join("histograms.json"));
        for suffix in ["hzz", "hzz_mu_scale"] {
            for a in ["n_mu", "lead", "rels", "n_tag", "first_rel"] {
                let st = |n: &str| h[format!("all_{n}_{suffix}")]["storage"].clone();
                let (x, y) = (st(a), st(&format!("{a}_x")));
                assert!(x["values"].is_array(), "{a}: {x}");
                assert_eq!(x, y, "{extra:?} {suffix}: {a}");
            }
        }
        let n = floats(&h["all_n_mu_hzz"]["storage"]["values"]);
        assert!(n[3..].iter().sum::<f64>() > 500.0, "{n:?}");
        let _ = std::fs::remove_dir_all(out);
    }
}

/// A 3-D histogram: summed over its third axis it equals the 2-D histogram of the same values,
/// compiled and interpreted (its ROOT form is checked by `outputs_open_in_hist_uproot_and_root`).
#[test]
fn a_three_dimensional_histogram_projects_onto_its_two_dimensional_twin() {
    if shared_data().is_none() {
        return;
    }
    for extra in [&[][..], &["--interpret"][..]] {
        let out = run_ok("tests/run/hist3d.ana", "hist3d", extra);
        let h = json(&out.join("histograms.json"));
        let v3 = &h["all_pt_eta_q_hzz"]["storage"]["values"];
        let v2 = &h["all_pt_eta_hzz"]["storage"]["values"];
        let (x3, x2) = (v3.as_array().unwrap(), v2.as_array().unwrap());
        assert_eq!(x3.len(), 12);
        let mut filled = 0;
        for (plane, row2) in x3.iter().zip(x2) {
            for (line, want) in plane
                .as_array()
                .unwrap()
                .iter()
                .zip(row2.as_array().unwrap())
            {
                let got: f64 = floats(line).iter().sum();
                let want = want.as_f64().unwrap();
                assert!(close(got, want), "{extra:?}: {got} vs {want}");
                filled += usize::from(want != 0.0);
            }
        }
        assert!(filled > 30, "{filled}");
        let _ = std::fs::remove_dir_all(out);
    }
}

#[test]
fn skims_equal_an_independent_selection_and_merge_exactly() {
    if shared_data().is_none() || !python_ready() {
        return;
    }
    let ana = "tests/run/skim.ana";
    let compiled = run_ok(
        ana,
        "skim-compiled",
        &["--jobs", "2", "--chunk-size", "300"],
    );
    let interpreted = run_ok(ana, "skim-interpreted", &["--interpret", "--jobs", "1"]);
    let bytes = |d: &Path| std::fs::read(d.join("skims.root")).expect("skims.root");
    assert!(
        bytes(&compiled) == bytes(&interpreted),
        "the kernels and the interpreter wrote different skims"
    );
    // Units committed to a store one by one, then merged: the same trees, byte for byte.
    let store = tmp("skim-store");
    let s = store.to_str().expect("utf-8");
    let r = anac(&["run", ana, "-q", "--store", s, "--batch", "1"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let merged = tmp("skim-merged");
    let r = anac(&["merge", s, "-o", merged.to_str().expect("utf-8"), "-q"]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(bytes(&merged) == bytes(&compiled), "merged skims differ");
    // Read back by anac as NanoAOD: `jets` is a collection again, and the skim's `event_weight`
    // gives the histogram the analysis filled before writing it (to 1e-9: the bins' sums are
    // added in another order, per work unit there, in one go here).
    let back = tmp("skim-readback");
    std::fs::create_dir_all(&back).expect("mkdir");
    std::fs::write(
        back.join("s.yaml"),
        format!(
            "ttbar:\n  nominal:\n    files:\n    - path: {}\n    xsec: 1.0\n",
            compiled.join("skims.root").display()
        ),
    )
    .expect("yaml");
    std::fs::write(
        back.join("a.ana"),
        "analysis readback\ntree all_events_ttbar\nsamples \"s.yaml\"\nlumi 1\n\
         weight event_weight\nhist ht_h = sum(jets.pt) in regular(20, 0, 1000)\n\
         hist n_for = `for` in integer(0, 15)\nhist n_jets = count(jets) in integer(0, 15)\n",
    )
    .expect("ana");
    let again = run_ok(
        back.join("a.ana").to_str().expect("utf-8"),
        "skim-readback-out",
        &[],
    );
    let (h0, h1) = (
        json(&compiled.join("histograms.json")),
        json(&again.join("histograms.json")),
    );
    let (a, b) = (
        &h0["all_ht_h_ttbar"]["storage"],
        &h1["all_ht_h_ttbar"]["storage"],
    );
    assert!(floats(&a["values"]).iter().sum::<f64>() > 0.0);
    // A branch named by a reserved word (`for`), read as `` `for` ``.
    assert_eq!(
        h1["all_n_for_ttbar"]["storage"],
        h1["all_n_jets_ttbar"]["storage"]
    );
    for part in ["values", "variances"] {
        let (x, y) = (floats(&a[part]), floats(&b[part]));
        assert_eq!(x.len(), y.len());
        assert!(
            x.iter().zip(&y).all(|(p, q)| close(*p, *q)),
            "a skim read back fills what the analysis filled: {part} {x:?} vs {y:?}"
        );
    }
    for d in [back, again] {
        let _ = std::fs::remove_dir_all(d);
    }
    let r = Command::new("python3")
        .arg(root().join("tests/scripts/check_skim.py"))
        .arg(&compiled)
        .arg(root().join("analyses/ttbar/samples.yaml"))
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert!(
        r.status.success() && stdout.contains("OK 18 trees"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&r.stderr)
    );
    for d in [compiled, interpreted, store, merged] {
        let _ = std::fs::remove_dir_all(d);
    }
}

/// `only` blocks over a data file (CMS Z→μμ) and simulated H→ZZ files whose trees share no
/// branch: each block's histograms and counters equal uproot's (tests/golden/run/
/// make_only_blocks.py) for the samples it names and are absent (not empty) for the others; a
/// block's counter equals the same counter guarded by `sample.process`; compiled and
/// interpreted results are identical.
#[test]
fn only_blocks_fill_their_samples_only() {
    if shared_data().is_none() {
        return;
    }
    let golden = json(&root().join("tests/golden/run/only_blocks.json"));
    let golden = golden.as_object().expect("golden is an object");
    let mut seen = Vec::new();
    for extra in [&[][..], &["--interpret"][..]] {
        let out = run_ok("tests/run/only_blocks.ana", "only-blocks", extra);
        let h = json(&out.join("histograms.json"));
        let c = json(&out.join("cutflow.json"))["counters"].clone();
        for (name, want) in golden {
            if want.get("values").is_some() {
                let got = &h[name]["storage"];
                for part in ["values", "variances"] {
                    let (g, w) = (floats(&got[part]), floats(&want[part]));
                    assert_eq!(g.len(), w.len(), "{extra:?} {name} {part}: {got}");
                    assert!(
                        g.iter().zip(&w).all(|(a, b)| close(*a, *b)),
                        "{extra:?} {name} {part}: {g:?} vs {w:?}"
                    );
                }
                assert!(
                    floats(&want["values"]).iter().sum::<f64>() > 0.0,
                    "{name} is empty"
                );
            } else {
                assert_eq!(c[name]["events"], want["events"], "{extra:?} {name}");
                let (g, w) = (c[name]["sumw"].as_f64(), want["sumw"].as_f64());
                assert!(
                    close(g.unwrap(), w.unwrap()),
                    "{extra:?} {name}: {g:?} vs {w:?}"
                );
            }
        }
        // Histograms: exactly the golden ones (each block's samples), nothing for the others.
        let mut names: Vec<&str> = h.as_object().unwrap().keys().map(String::as_str).collect();
        names.sort_unstable();
        let mut want: Vec<&str> = golden
            .iter()
            .filter(|(_, v)| v.get("values").is_some())
            .map(|(k, _)| k.as_str())
            .collect();
        want.sort_unstable();
        assert_eq!(names, want, "{extra:?}");
        for absent in [
            "all_two_mu_data",
            "all_opposite_higgs",
            "all_opposite_higgs_zlib",
            "all_higgs_only_data",
            "all_higgs_only_higgs_zlib",
        ] {
            assert!(
                c.get(absent).is_none(),
                "{extra:?}: {absent} should be absent"
            );
        }
        // The block's counter and the same count guarded by `sample.process == "higgs"`.
        assert_eq!(
            c["all_higgs_only_higgs"], c["all_higgs_events_higgs"],
            "{extra:?}"
        );
        assert_eq!(c["all_higgs_events_data"]["events"], 0, "{extra:?}");
        // Skims in blocks: a tree for the block's samples only, holding every event (read back
        // with anac's reader, which `root_golden.rs` holds to uproot's values).
        let skims = anac::io::root::RootFile::open(out.join("skims.root")).expect("skims.root");
        let mut trees: Vec<String> = skims
            .keys()
            .expect("keys")
            .into_iter()
            .map(|k| k.name)
            .collect();
        trees.sort();
        assert_eq!(trees, ["all_dimuons_data", "all_muons_higgs"], "{extra:?}");
        let input = |f: &str, b: &str| {
            let file = anac::io::root::RootFile::open(shared_data().unwrap().join(f)).unwrap();
            let t = file.tree("events").unwrap();
            t.read(&file, b, 0..t.entries()).unwrap()
        };
        let read = |tree: &str, b: &str| {
            let t = skims.tree(tree).unwrap();
            t.read(&skims, b, 0..t.entries()).unwrap()
        };
        let nums = |c: &anac::io::root::Column| -> Vec<f64> {
            use anac::io::root::ColumnValues as V;
            match &c.values {
                V::Bool(v) => v.iter().map(|x| f64::from(u8::from(*x))).collect(),
                V::I32(v) => v.iter().map(|x| f64::from(*x)).collect(),
                V::U32(v) => v.iter().map(|x| f64::from(*x)).collect(),
                V::I64(v) => v.iter().map(|x| *x as f64).collect(),
                V::F32(v) => v.iter().map(|x| f64::from(*x)).collect(),
                V::F64(v) => v.clone(),
                other => panic!("unexpected column {other:?}"),
            }
        };
        assert_eq!(
            nums(&read("all_dimuons_data", "M")),
            nums(&input("uproot-Zmumu.root", "M"))
        );
        assert_eq!(
            nums(&read("all_dimuons_data", "Event")),
            nums(&input("uproot-Zmumu.root", "Event"))
        );
        assert!(
            nums(&read("all_dimuons_data", "event_weight"))
                .iter()
                .all(|w| *w == 1.0)
        );
        let q1 = nums(&input("uproot-Zmumu.root", "Q1"));
        let q2 = nums(&input("uproot-Zmumu.root", "Q2"));
        let opposite: Vec<f64> = q1.iter().zip(&q2).map(|(a, b)| f64::from(a != b)).collect();
        assert_eq!(nums(&read("all_dimuons_data", "opposite")), opposite);
        let px = read("all_muons_higgs", "Muon_Px");
        let want = input("uproot-HZZ.root", "Muon_Px");
        assert_eq!(nums(&px), nums(&want));
        assert_eq!(px.offsets, want.offsets);
        assert_eq!(
            nums(&read("all_muons_higgs", "n_mu")),
            nums(&input("uproot-HZZ.root", "NMuon"))
        );
        let w = nums(&read("all_muons_higgs", "event_weight"));
        assert!(w.len() == 2421 && w.iter().all(|w| *w == 6.0), "{extra:?}");
        seen.push((h, c));
        let _ = std::fs::remove_dir_all(out);
    }
    assert_eq!(seen[0], seen[1]);
    // `anac ir` shows each block with its guard and its steps inside.
    let ir = anac(&["ir", "tests/run/only_blocks.ana"]);
    assert!(
        ir.status.success(),
        "{}",
        String::from_utf8_lossy(&ir.stderr)
    );
    let text = String::from_utf8_lossy(&ir.stdout);
    assert!(text.contains("  only simulation (%"), "{text}");
    assert!(text.contains("    fill n_mu_h ("), "{text}");
    assert!(text.contains("  only higgs (%"), "{text}");
}

/// Every number of a (nested) JSON array, with anac's "nan", "inf", "-inf" strings as numbers.
fn floats_or_nan(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(items) => items.iter().flat_map(floats_or_nan).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap_or(f64::NAN)],
        Value::String(s) => match s.as_str() {
            "nan" => vec![f64::NAN],
            "inf" => vec![f64::INFINITY],
            "-inf" => vec![f64::NEG_INFINITY],
            other => panic!("not a number: {other}"),
        },
        other => panic!("not a number: {other}"),
    }
}

/// Equal to 1e-9 relative, or both within 1e-12 of zero (sums of ±weights that cancel).
fn near(a: f64, b: f64) -> bool {
    close(a, b) || (a.abs() < 1e-12 && b.abs() < 1e-12)
}

#[test]
fn profiles_equal_roots_own_tprofile_fill_bin_by_bin() {
    if shared_data().is_none() {
        return;
    }
    // ROOT's TProfile::Fill / TProfile2D::Fill of the same fills (tests/golden/profiles/).
    let golden = json(&root().join("tests/golden/profiles/profiles.json"));
    let golden = golden.as_object().expect("golden profiles");
    assert_eq!(
        golden.len(),
        28,
        "7 profiles x (3 weight variations + a sample variation)"
    );
    for (extra, name) in [
        (&[][..], "profiles-jit"),
        (&["--interpret"][..], "profiles-interp"),
    ] {
        let out = run_ok("tests/run/profiles.ana", name, extra);
        let h = json(&out.join("histograms.json"));
        let ours = h
            .as_object()
            .expect("histograms")
            .values()
            .filter(|v| v["storage"]["type"] == "weighted_mean")
            .count();
        assert_eq!(ours, golden.len(), "{extra:?}");
        let (mut filled, mut with_variance) = (0, 0);
        for (p, g) in golden {
            let s = &h[p]["storage"];
            assert_eq!(s["type"], "weighted_mean", "{p}");
            let (w, w2) = (
                floats_or_nan(&s["sum_of_weights"]),
                floats_or_nan(&s["sum_of_weights_squared"]),
            );
            let (mean, var) = (floats_or_nan(&s["values"]), floats_or_nan(&s["variances"]));
            let (gw, gw2) = (floats(&g["sumw"]), floats(&g["sumw2"]));
            let (gwy, gwy2) = (floats(&g["sumwy"]), floats(&g["sumwy2"]));
            assert_eq!(w.len(), gw.len(), "{p}");
            for i in 0..gw.len() {
                assert!(
                    near(w[i], gw[i]),
                    "{p} {extra:?} cell {i}: Σw {} vs {}",
                    w[i],
                    gw[i]
                );
                assert!(
                    near(w2[i], gw2[i]),
                    "{p} cell {i}: Σw² {} vs {}",
                    w2[i],
                    gw2[i]
                );
                // The mean: Σwy/Σw, 0 in an empty bin (as ROOT's GetBinContent).
                let m = if gw[i] == 0.0 { 0.0 } else { gwy[i] / gw[i] };
                assert!(near(mean[i], m), "{p} cell {i}: mean {} vs {m}", mean[i]);
                // The variance (Σwy² − (Σwy)²/Σw)/(Σw − Σw²/Σw), where more than one fill gives
                // it a denominator well away from rounding.
                let d = gw[i] - gw2[i] / gw[i];
                if gw[i] == 0.0 {
                    assert!(
                        var[i].is_nan(),
                        "{p} cell {i}: variance {} of no fill",
                        var[i]
                    );
                } else if d > 1e-6 * gw[i] {
                    let v = (gwy2[i] - gwy[i] * gwy[i] / gw[i]) / d;
                    let tol = 1e-7 * (gwy2[i] / gw[i]).abs().max(1e-12);
                    assert!(
                        (var[i] - v).abs() <= tol,
                        "{p} cell {i}: variance {} vs {v}",
                        var[i]
                    );
                    with_variance += 1;
                }
                filled += usize::from(gw[i] != 0.0);
            }
        }
        assert!(
            filled > 200 && with_variance > 180,
            "{filled} {with_variance}"
        );
        // The TProfiles' raw sums and entries in histograms.root, through ROOT.
        if python_ready() {
            let r = Command::new("python3")
                .arg(root().join("tests/scripts/check_run_outputs.py"))
                .arg(&out)
                .arg(root().join("tests/golden/profiles/profiles.json"))
                .output()
                .expect("python3 runs");
            let stdout = String::from_utf8_lossy(&r.stdout);
            assert!(
                r.status.success() && stdout.contains("OK"),
                "{stdout}\n{}",
                String::from_utf8_lossy(&r.stderr)
            );
        }
        // Each 1-D profile is drawn (means with errors per process); the 2-D one is not.
        for stem in ["all_iso_vs_pt", "all_pos_frac", "two_mu_mass_vs_pt"] {
            let png = std::fs::read(out.join("plots").join(format!("{stem}.png"))).expect(stem);
            assert!(png.starts_with(b"\x89PNG") && png.len() > 5000, "{stem}");
        }
        assert!(!out.join("plots/all_q_pt_eta.png").exists());
        let _ = std::fs::remove_dir_all(out);
    }
}

//! Friend trees end to end (`friends:` in the samples file; docs/language.md, "The samples
//! file"): an analysis reading `calib.ht_friend` and `calib.Jet_ptx2` from a friend tree gives
//! the histograms of the same analysis written with the main tree's own branches, compiled and
//! interpreted; friend files pair with the sample's files in order; mistakes are diagnostics.
//!
//! The friend files of the real 200-event NanoAOD excerpt are in `tests/golden/friends/`, made
//! by `tests/scripts/make_friends.py` (uproot): `ht_friend` = the event's Jet_pt summed in order
//! in double precision, `nJet` + `Jet_ptx2` = 2 * Jet_pt, tree `Friends`; `ttbar_friends_199.root`
//! keeps only 199 entries. The two-file test makes friends of `agc-small` with the same script.
//! Without `../shared/data` these tests skip with a message (under `CI=true` they fail).

mod run_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use run_support::{anac, floats, json, root, run_ok, tmp};

use anac::testing::{shared_data, shared_file};
use serde_json::Value;

/// The friend of the 200-event excerpt, by absolute path.
fn golden_friend(name: &str) -> PathBuf {
    root().join("tests/golden/friends").join(name)
}

/// A folder with `samples.yaml` (ttbar/nominal: the 200-event excerpt; `friends` as given, YAML
/// text indented under the sample) and returns it.
fn samples_dir(name: &str, friends: &str) -> Option<PathBuf> {
    let data = shared_file("nanoAOD_2015_CMS_Open_Data_ttbar.root")?;
    let dir = tmp(name);
    std::fs::create_dir_all(&dir).unwrap();
    let text = format!(
        "ttbar:\n  nominal:\n    files:\n    - path: {}\n      nevts: 200\n    xsec: 729.84\n{friends}",
        data.display()
    );
    std::fs::write(dir.join("samples.yaml"), text).unwrap();
    Some(dir)
}

fn calib(file: &Path) -> String {
    format!(
        "    friends:\n    - name: calib\n      tree: Friends\n      files: [{}]\n",
        file.display()
    )
}

/// Every histogram of `b` equals `a`'s, bit for bit (values and variances); returns how many.
fn same_histograms(a: &Path, b: &Path) -> usize {
    let (ha, hb) = (
        json(&a.join("histograms.json")),
        json(&b.join("histograms.json")),
    );
    let hb = hb.as_object().unwrap();
    assert!(!hb.is_empty());
    for (name, h) in hb {
        let other = ha
            .get(name)
            .unwrap_or_else(|| panic!("{} has no histogram {name}", a.display()));
        for key in ["values", "variances"] {
            let (x, y) = (floats(&other["storage"][key]), floats(&h["storage"][key]));
            assert_eq!(x, y, "{name} {key} differ");
            assert!(y.iter().sum::<f64>() > 0.0, "{name} is empty");
        }
    }
    hb.len()
}

fn counter(results: &Path, name: &str) -> u64 {
    let c = json(&results.join("cutflow.json"));
    c["counters"][name]["events"]
        .as_u64()
        .unwrap_or_else(|| panic!("no counter {name}: {c}"))
}

#[test]
fn friend_branches_equal_the_main_trees_own_compiled_and_interpreted() {
    if shared_data().is_none() {
        return;
    }
    for (mode, extra) in [("compiled", &[][..]), ("interpreted", &["--interpret"][..])] {
        let friends = run_ok(
            "tests/run/friends/friends.ana",
            &format!("friends-{mode}"),
            extra,
        );
        let main = run_ok("tests/run/friends/main.ana", &format!("main-{mode}"), extra);
        assert_eq!(same_histograms(&friends, &main), 7, "{mode}");
        // Event by event the friend's values are the file's: its entries are aligned.
        assert_eq!(counter(&friends, "all_all_events_ttbar"), 200);
        assert_eq!(counter(&friends, "all_ht_differs_ttbar"), 0);
        assert_eq!(counter(&friends, "all_njet_differs_ttbar"), 0);
        // 49 of the 200 events have a Jet_pt sum above 100 GeV (uproot: 537 jets in all).
        let cuts = json(&friends.join("cutflow.json"));
        assert_eq!(cuts["samples"][0]["cuts"][1]["events"], 49);
        let jets = json(&friends.join("histograms.json"))["all_n_jets_ttbar"].clone();
        let per_event: f64 = floats(&jets["storage"]["values"]).iter().sum();
        let weight = 729.84 * 3378.0 / 200.0;
        assert!((per_event / weight - 200.0).abs() < 1e-9, "{per_event}");
        // Provenance names the friend file read with the input.
        let prov = json(&friends.join("provenance.json"));
        let f = &prov["inputs"][0]["friends"][0];
        assert_eq!(f["name"], "calib");
        assert_eq!(f["tree"], "Friends");
        assert!(f["path"].as_str().unwrap().ends_with("ttbar_friends.root"));
        for d in [friends, main] {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

#[test]
fn ir_shows_only_the_friend_branches_read_and_their_files() {
    let Some(dir) = samples_dir("ir", &calib(&golden_friend("ttbar_friends.root"))) else {
        return;
    };
    std::fs::write(
        dir.join("a.ana"),
        "analysis a\ntree Events\nsamples \"samples.yaml\"\nlumi 1\n\
         hist ht = calib.ht_friend in regular(10, 0, 500)\n",
    )
    .unwrap();
    let out = anac(&["ir", dir.join("a.ana").to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let branches = text
        .split("== branches to read (1) ==\n")
        .nth(1)
        .unwrap_or_else(|| panic!("one branch expected:\n{text}"));
    assert!(
        branches.starts_with("calib.ht_friend  (friend calib: `ht_friend` of tree Friends)\n"),
        "{branches}"
    );
    assert!(text.contains("    friend calib (tree Friends) "), "{text}");
    assert!(text.contains("ttbar_friends.root"), "{text}");
    // The friend is part of a unit's identity: the same unit without it has another id.
    let plan = |d: &Path| -> Value {
        let o = anac(&["plan", d.join("a.ana").to_str().unwrap()]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let with = plan(&dir);
    assert_eq!(with["units"][0]["friends"][0]["name"], "calib");
    let bare = samples_dir("ir-bare", "").unwrap();
    std::fs::write(
        bare.join("a.ana"),
        "analysis a\ntree Events\nsamples \"samples.yaml\"\nlumi 1\n\
         hist ht = MET_pt in regular(10, 0, 500)\n",
    )
    .unwrap();
    let without = plan(&bare);
    assert_ne!(with["units"][0]["id"], without["units"][0]["id"]);
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_dir_all(bare);
}

/// `anac check --format json` of `a.ana` (with `body`) in `dir`: exit code and errors.
fn check(dir: &Path, body: &str) -> (i32, Vec<Value>) {
    std::fs::write(
        dir.join("a.ana"),
        format!("analysis a\ntree Events\nsamples \"samples.yaml\"\nlumi 1\n{body}"),
    )
    .unwrap();
    let out = anac(&[
        "check",
        dir.join("a.ana").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    let all = v["diagnostics"].as_array().unwrap().clone();
    // A sample whose friends cannot be joined is not checked against (one `schema-unavailable`
    // warning when no other sample gives a schema), so the real problem is not followed by
    // "unknown name" errors for the friend's branches.
    for d in all.iter().filter(|d| d["severity"] != "error") {
        assert_eq!(d["code"], "anac::sema::schema-unavailable", "{d}");
    }
    let errors = all
        .into_iter()
        .filter(|d| d["severity"] == "error")
        .collect();
    (out.status.code().unwrap(), errors)
}

/// The run of `a.ana` in `dir` fails with exit code 1, writes nothing, and says `needles`.
fn run_fails(dir: &Path, needles: &[&str]) {
    let out = dir.join("out");
    let r = anac(&[
        "run",
        dir.join("a.ana").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(r.status.code(), Some(1));
    assert!(!out.exists(), "a failed run wrote {}", out.display());
    let err = String::from_utf8_lossy(&r.stderr);
    for n in needles {
        assert!(err.contains(n), "`{n}` not in: {err}");
    }
}

fn codes(diags: &[Value]) -> Vec<&str> {
    diags.iter().map(|d| d["code"].as_str().unwrap()).collect()
}

const HT: &str = "hist ht = calib.ht_friend in regular(10, 0, 500)\n";

#[test]
fn a_friend_with_other_entries_is_an_error_naming_both_files() {
    let Some(dir) = samples_dir("short", &calib(&golden_friend("ttbar_friends_199.root"))) else {
        return;
    };
    let (code, diags) = check(&dir, HT);
    assert_eq!(code, 1);
    assert_eq!(codes(&diags), ["anac::samples::friend-mismatch"]);
    let m = diags[0]["message"].as_str().unwrap();
    assert!(
        m.contains("ttbar_friends_199.root") && m.contains("199 entries"),
        "{m}"
    );
    assert!(
        m.contains("nanoAOD_2015_CMS_Open_Data_ttbar.root") && m.ends_with("has 200"),
        "{m}"
    );
    assert_eq!(diags[0]["line"], 10);
    run_fails(
        &dir,
        &[
            "ttbar_friends_199.root",
            "nanoAOD_2015_CMS_Open_Data_ttbar.root",
        ],
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_missing_friend_file_is_an_error_at_its_path() {
    let Some(dir) = samples_dir("missing", &calib(&golden_friend("no_such_friend.root"))) else {
        return;
    };
    let (code, diags) = check(&dir, HT);
    assert_eq!(code, 1);
    assert_eq!(codes(&diags), ["anac::samples::missing-file"]);
    assert!(
        diags[0]["message"]
            .as_str()
            .unwrap()
            .contains("no_such_friend.root")
    );
    assert_eq!(
        (diags[0]["line"].as_u64(), diags[0]["column"].as_u64()),
        (Some(10), Some(15))
    );
    run_fails(&dir, &["no_such_friend.root"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_friend_named_like_the_main_trees_names_is_refused() {
    let friend = golden_friend("ttbar_friends.root");
    for (name, clash) in [
        ("Jet", "the tree's collection `Jet`"),
        ("nJet", "the tree's branch `nJet`"),
    ] {
        let yaml = format!(
            "    friends:\n    - name: {name}\n      tree: Friends\n      files: [{}]\n",
            friend.display()
        );
        let Some(dir) = samples_dir(&format!("clash-{name}"), &yaml) else {
            return;
        };
        let (code, diags) = check(&dir, "hist m = MET_pt in regular(10, 0, 500)\n");
        assert_eq!(code, 1);
        assert_eq!(codes(&diags), ["anac::samples::friend-mismatch"], "{name}");
        let m = diags[0]["message"].as_str().unwrap();
        assert!(m.contains(clash), "{m}");
        assert_eq!(
            (diags[0]["line"].as_u64(), diags[0]["column"].as_u64()),
            (Some(8), Some(13))
        );
        let _ = std::fs::remove_dir_all(dir);
    }
    // Two friends of one name are refused in the samples file itself.
    let yaml = format!(
        "    friends:\n    - {{name: calib, tree: Friends, files: [{f}]}}\n    - {{name: calib, tree: Friends, files: [{f}]}}\n",
        f = friend.display()
    );
    let Some(dir) = samples_dir("clash-twice", &yaml) else {
        return;
    };
    let (code, diags) = check(&dir, HT);
    assert_eq!(code, 1);
    assert_eq!(codes(&diags), ["anac::samples::invalid-friend"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_unknown_friend_branch_suggests_the_closest() {
    let Some(dir) = samples_dir("unknown", &calib(&golden_friend("ttbar_friends.root"))) else {
        return;
    };
    let (code, diags) = check(
        &dir,
        "hist ht = calib.ht_frend in regular(10, 0, 500)\nhist j = calib.Jet_pt in regular(10, 0, 500)\n",
    );
    assert_eq!(code, 1);
    assert_eq!(
        codes(&diags),
        ["anac::sema::unknown-field", "anac::sema::unknown-field"]
    );
    assert_eq!(
        (diags[0]["line"].as_u64(), diags[0]["column"].as_u64()),
        (Some(5), Some(17))
    );
    assert_eq!(diags[0]["message"], "`calib` has no branch `ht_frend`");
    assert_eq!(diags[0]["help"], "did you mean `calib.ht_friend`?");
    // The friend's jagged arrays are its own lists, not the main collection's fields.
    assert_eq!(diags[1]["help"], "did you mean `calib.Jet_ptx2`?");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_wrong_friend_field_is_an_unknown_key_with_a_suggestion() {
    let yaml = format!(
        "    friends:\n    - name: calib\n      tre: Friends\n      files: [{}]\n",
        golden_friend("ttbar_friends.root").display()
    );
    let Some(dir) = samples_dir("wrong-field", &yaml) else {
        return;
    };
    let (code, diags) = check(&dir, HT);
    assert_eq!(code, 1);
    let found: Vec<(&str, Option<u64>)> = diags
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["line"].as_u64()))
        .collect();
    assert_eq!(
        found,
        [
            ("anac::samples::missing-field", Some(8)),
            ("anac::samples::unknown-key", Some(9)),
        ]
    );
    assert_eq!(diags[1]["help"], "did you mean `tree`?");
    let _ = std::fs::remove_dir_all(dir);
}

/// `true` when python3 with uproot and awkward runs; otherwise skips (fails under CI).
fn uproot_ready() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import uproot, awkward"])
        .output()
        .is_ok_and(|o: Output| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but python3 with uproot and awkward is not available");
        }
        eprintln!("skipping: python3 with uproot and awkward is not available");
    }
    ok
}

#[test]
fn friend_files_pair_with_the_sample_files_in_order_through_wildcards() {
    let Some(data) = shared_data() else { return };
    if !uproot_ready() {
        return;
    }
    let dir = tmp("two-files");
    std::fs::create_dir_all(&dir).unwrap();
    for k in 0..2 {
        let input = data.join(format!("agc-small/ttbar__nominal__000{k}.root"));
        let r = Command::new("python3")
            .arg(root().join("tests/scripts/make_friends.py"))
            .arg(&input)
            .arg(dir.join(format!("calib_{k}.root")))
            .output()
            .expect("python3 runs");
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    }
    let agc = data.join("agc-small");
    let yaml = |friend_files: &str| {
        format!(
            "ttbar:\n  nominal:\n    files: [{}/ttbar__nominal__000*.root]\n    xsec: 729.84\n    \
             friends:\n    - {{name: calib, tree: Friends, files: [{friend_files}]}}\n",
            agc.display()
        )
    };
    let paired = dir.join("paired.yaml");
    std::fs::write(&paired, yaml(&format!("{}/calib_*.root", dir.display()))).unwrap();
    let p = paired.to_str().unwrap();
    let friends = run_ok(
        "tests/run/friends/friends.ana",
        "two-friends",
        &["--samples", p],
    );
    let main = run_ok("tests/run/friends/main.ana", "two-main", &["--samples", p]);
    assert_eq!(same_histograms(&friends, &main), 7);
    assert_eq!(counter(&friends, "all_all_events_ttbar"), 3000);
    assert_eq!(counter(&friends, "all_ht_differs_ttbar"), 0);
    // Listed the other way round, each friend joins the other file (both have 1500 entries):
    // the run is allowed, and the alignment counters see it.
    let swapped = dir.join("swapped.yaml");
    std::fs::write(
        &swapped,
        yaml(&format!(
            "{d}/calib_1.root, {d}/calib_0.root",
            d = dir.display()
        )),
    )
    .unwrap();
    let wrong = run_ok(
        "tests/run/friends/friends.ana",
        "two-swapped",
        &["--samples", swapped.to_str().unwrap()],
    );
    assert!(counter(&wrong, "all_ht_differs_ttbar") > 2000);
    for d in [friends, main, wrong, dir] {
        let _ = std::fs::remove_dir_all(d);
    }
}

//! One exit-code contract for every command (ARCHITECTURE.md, "Invariants"): 0 success; 1 bad
//! input (an analysis or samples error, a missing or corrupt input file, a results folder or store
//! that is not what it claims); 2 usage or I/O (bad arguments, an unreadable `.ana`, samples or
//! JSON file, an unwritable output); 130 interrupted. Every command is run here on inputs the test
//! makes itself (the toy fileset of `anac generate`), so nothing depends on `../shared`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn anac_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anac"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("anac runs")
}

/// A scratch folder with the toy fileset, the AGC analysis pointing at it, a broken analysis,
/// a truncated ROOT file and a samples file naming it.
fn setup(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("anac-exit-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let o = anac_in(&dir, &["generate", "toy", "-o", "gen"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let ana = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("analyses/ttbar/ttbar.ana"),
    )
    .unwrap();
    let ana: String = ana
        .lines()
        .map(|l| {
            if l.starts_with("samples ") {
                "samples \"gen/toy.yaml\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.join("ttbar.ana"), ana + "\n").unwrap();
    std::fs::write(
        dir.join("bad.ana"),
        "tree Events\nsamples \"gen/toy.yaml\"\nlet a = count(jest)\n\
         hist h = a in regular(4, 0, 4)\n",
    )
    .unwrap();
    let good = std::fs::read(dir.join("gen/toy/wjets__nominal__0000.root")).unwrap();
    std::fs::write(dir.join("trunc.root"), &good[..good.len() / 3]).unwrap();
    std::fs::write(
        dir.join("trunc.yaml"),
        "wjets:\n  nominal:\n    files: [trunc.root]\n    xsec: 1\n",
    )
    .unwrap();
    std::fs::write(dir.join("notjson.json"), "{ not json").unwrap();
    dir
}

/// Runs each case and checks its exit code; the failure lists every mismatch at once.
fn expect(dir: &Path, cases: &[(&[&str], i32)]) {
    let mut wrong = Vec::new();
    for (args, want) in cases {
        let o = anac_in(dir, args);
        let got = o.status.code();
        if got != Some(*want) {
            wrong.push(format!(
                "anac {}: exit {got:?}, expected {want}\n{}",
                args.join(" "),
                String::from_utf8_lossy(&o.stderr)
            ));
        }
        // Every failure says why, and nothing ever panics.
        assert!(
            !String::from_utf8_lossy(&o.stderr).contains("panicked"),
            "anac {}",
            args.join(" ")
        );
        if *want != 0 {
            assert!(
                !o.stderr.is_empty() || !o.stdout.is_empty(),
                "anac {}: silent failure",
                args.join(" ")
            );
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_command_keeps_the_exit_code_contract() {
    let dir = setup("contract");
    let unit = {
        let o = anac_in(&dir, &["plan", "ttbar.ana"]);
        assert_eq!(o.status.code(), Some(0));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["units"][0]["id"].as_str().unwrap().to_string()
    };
    std::fs::create_dir_all(dir.join("junk-store")).unwrap();
    std::fs::write(dir.join("junk-store/store.json"), "{").unwrap();
    std::fs::create_dir_all(dir.join("junk-results")).unwrap();
    std::fs::write(dir.join("junk-results/histograms.json"), "[").unwrap();
    std::fs::write(dir.join("junk-results/provenance.json"), "{}").unwrap();
    expect(
        &dir,
        &[
            // anac (no command), an unknown command, an unknown flag.
            (&[], 2),
            (&["frobnicate"], 2),
            (&["check", "--nonsense", "ttbar.ana"], 2),
            // generate
            (&["generate", "nonsense"], 2),
            (&["generate", "toy", "-o", "/dev/null/x"], 2),
            // check
            (&["check", "ttbar.ana"], 0),
            (&["check", "bad.ana"], 1),
            (&["check", "ttbar.ana", "--samples", "missing.yaml"], 2),
            (&["check", "missing.ana"], 2),
            (&["check", "gen"], 2),
            // explain
            (&["explain", "sema::unknown-name"], 0),
            (&["explain", "--list"], 0),
            (&["explain", "no-such-code"], 2),
            // inspect
            (&["inspect", "gen/toy/wjets__nominal__0000.root"], 0),
            (&["inspect", "trunc.root"], 1),
            (&["inspect", "missing.root"], 1),
            (&["inspect"], 2),
            // ir
            (&["ir", "ttbar.ana"], 0),
            (&["ir", "bad.ana"], 1),
            (&["ir", "missing.ana"], 2),
            // plan
            (&["plan", "ttbar.ana", "-o", "plan.json"], 0),
            (&["plan", "bad.ana"], 1),
            (&["plan", "ttbar.ana", "-o", "/dev/null/plan.json"], 2),
            // run
            (&["run", "ttbar.ana", "-q", "-o", "out"], 0),
            (&["run", "bad.ana", "-q", "-o", "out-bad"], 1),
            (
                &[
                    "run",
                    "ttbar.ana",
                    "-q",
                    "-o",
                    "out-trunc",
                    "--samples",
                    "trunc.yaml",
                ],
                1,
            ),
            (&["run", "ttbar.ana", "-q", "-o", "/dev/null/out"], 2),
            (&["run", "missing.ana", "-q"], 2),
            (&["run", "ttbar.ana", "-q", "-j", "many"], 2),
            // a store filled by one unit, then status and merge
            (
                &["run", "ttbar.ana", "-q", "--store", "st", "--units", &unit],
                0,
            ),
            (
                &[
                    "run",
                    "ttbar.ana",
                    "-q",
                    "--store",
                    "st",
                    "--units",
                    "nosuchunit",
                ],
                2,
            ),
            (&["status", "st"], 0),
            (&["status", "junk-store"], 1),
            (&["status", "no-store"], 2),
            (&["merge", "st", "-q", "-o", "merged"], 1),
            (&["merge", "st", "-q", "-o", "merged", "--partial"], 0),
            (&["merge", "junk-store", "-q", "-o", "m2"], 1),
            (&["merge", "no-store", "-q", "-o", "m3"], 2),
            // slurm (writing the scripts; submitting is tests/slurm.rs)
            (&["slurm", "ttbar.ana", "--store", "sl"], 0),
            (&["slurm", "bad.ana", "--store", "sl-bad"], 1),
            (&["slurm", "ttbar.ana"], 2),
            (
                &[
                    "slurm",
                    "ttbar.ana",
                    "--store",
                    "sl",
                    "--units-per-task",
                    "0",
                ],
                2,
            ),
            // validate
            (&["validate", "out", "--dump-json", "ref.json"], 0),
            (&["validate", "out", "--reference", "ref.json"], 0),
            (&["validate", "merged", "--reference", "ref.json"], 1),
            (&["validate", "out", "--reference", "notjson.json"], 1),
            (&["validate", "out", "--reference", "missing.json"], 2),
            (&["validate", "out"], 2),
            // plot
            (&["plot", "out"], 0),
            (&["plot", "junk-results"], 1),
            (&["plot", "no-results"], 2),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Ctrl-C during a run: exit 130, and no results folder presented as complete.
#[test]
fn an_interrupted_run_exits_130_and_writes_no_results() {
    let dir = setup("sigint");
    let child = Command::new(env!("CARGO_BIN_EXE_anac"))
        .args(["run", "ttbar.ana", "-q", "-j", "1", "-o", "out"])
        .current_dir(&dir)
        .env("ANAC_TEST_SLOW_CHUNKS_MS", "300")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("anac runs");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        !dir.join("out").exists(),
        "an interrupted run wrote results"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without the `icechunk` feature, `merge --icechunk` is refused before anything is read (2).
#[cfg(not(feature = "icechunk"))]
#[test]
fn merge_icechunk_without_the_feature_is_a_usage_error() {
    let dir = std::env::temp_dir().join(format!("anac-exit-{}-noice", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let o = anac_in(&dir, &["merge", "st", "-o", "out", "--icechunk", "repo"]);
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("--features icechunk"), "{err}");
    assert!(!dir.join("out").exists() && !dir.join("repo").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

//! `anac check` end to end: runs the binary on analyses and samples files written to a temporary
//! folder (or the repository's AGC analysis) and checks exit codes and the JSON diagnostics.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn anac(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anac"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap()
}

/// A fresh folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("anac-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// The diagnostics of a JSON report as (code, file name, line, column).
fn found(v: &Value) -> Vec<(String, String, u64, u64)> {
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let file = d["file"].as_str().unwrap_or("");
            let name = Path::new(file)
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            (
                d["code"].as_str().unwrap().to_string(),
                name,
                d["line"].as_u64().unwrap_or(0),
                d["column"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// A samples file with one ttbar sample: the real AGC file, by absolute path.
fn real_samples(extra: &str) -> Option<String> {
    let f = anac::testing::shared_file("agc-small/ttbar__nominal__0000.root")?;
    Some(format!(
        "ttbar:\n  nominal:\n    files:\n      - path: {}\n        nevts: 1500\n    xsec: 729.84\n{extra}",
        f.display()
    ))
}

const SMALL_ANALYSIS: &str = "\
analysis small
tree Events
samples \"samples.yaml\"
lumi 3378
object jets = Jet where pt > 30 and abs(eta) < 2.4
cut \"two jets\" count(jets) >= 2
hist ht = sum(jets.pt) in regular(10, 0, 500) \"H_T [GeV]\"
";

#[test]
fn the_agc_analysis_checks_clean_against_the_real_files() {
    if anac::testing::shared_data().is_none() {
        return;
    }
    let out = anac(&["check", "analyses/ttbar/ttbar.ana", "--format", "json"]);
    let v = json(&out);
    assert_eq!(v["errors"], 0, "{v:#}");
    assert_eq!(code(&out), 0, "{v:#}");
    let human = anac(&["check", "analyses/ttbar/ttbar.ana"]);
    let stderr = String::from_utf8_lossy(&human.stderr);
    assert_eq!(code(&human), 0, "{stderr}");
    assert!(
        stderr.contains("check: 0 errors") && stderr.contains("analyses/ttbar/ttbar.ana"),
        "{stderr}"
    );
}

#[test]
fn the_examples_check_with_no_diagnostics_against_the_real_files() {
    if anac::testing::shared_data().is_none() {
        return;
    }
    // Every example analysis of `examples/` (its subfolders hold examples with their own tests).
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut examples: Vec<String> = std::fs::read_dir(&dir)
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "ana"))
        .map(|p| format!("examples/{}", p.file_name().unwrap().to_string_lossy()))
        .collect();
    examples.sort();
    assert!(examples.len() >= 8, "{examples:?}");
    for example in &examples {
        let out = anac(&["check", example, "--format", "json", "--deny-warnings"]);
        let v = json(&out);
        assert_eq!(v["diagnostics"], serde_json::json!([]), "{example}: {v:#}");
        assert_eq!(code(&out), 0, "{example}");
    }
}

#[test]
fn a_clean_small_analysis_exits_0_and_a_branch_typo_exits_1_with_its_position() {
    let Some(samples) = real_samples("") else {
        return;
    };
    let dir = scratch("typo");
    write(&dir, "samples.yaml", &samples);
    let good = write(&dir, "good.ana", SMALL_ANALYSIS);
    let out = anac(&["check", &good, "--format", "json"]);
    let v = json(&out);
    assert_eq!(v["errors"], 0, "{v:#}");
    assert_eq!(code(&out), 0, "{v:#}");

    // `pT` is not a field of Jet in the NanoAOD file; `pt` is.
    let bad = write(
        &dir,
        "bad.ana",
        &SMALL_ANALYSIS.replace("pt > 30", "pT > 30"),
    );
    let out = anac(&["check", &bad, "--format", "json"]);
    let v = json(&out);
    assert_eq!(code(&out), 1, "{v:#}");
    let d = &v["diagnostics"][0];
    assert!(
        d["code"]
            .as_str()
            .unwrap()
            .starts_with("anac::sema::unknown"),
        "{v:#}"
    );
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(5), Some(25))
    );
    let text = format!("{} {}", d["message"], d["help"]);
    assert!(text.contains("`pt`"), "no did-you-mean: {text}");
}

#[test]
fn a_collection_not_in_the_file_is_an_error_with_a_suggestion() {
    let Some(samples) = real_samples("") else {
        return;
    };
    let dir = scratch("collection");
    write(&dir, "samples.yaml", &samples);
    let ana = write(
        &dir,
        "a.ana",
        &SMALL_ANALYSIS.replace("= Jet where", "= Jets where"),
    );
    let out = anac(&["check", &ana, "--format", "json"]);
    let v = json(&out);
    assert_eq!(code(&out), 1, "{v:#}");
    let d = &v["diagnostics"][0];
    assert!(
        d["code"]
            .as_str()
            .unwrap()
            .starts_with("anac::sema::unknown"),
        "{v:#}"
    );
    assert_eq!(
        (d["line"].as_u64(), d["column"].as_u64()),
        (Some(5), Some(15))
    );
    let text = format!("{} {}", d["message"], d["help"]);
    assert!(text.contains("`Jet`"), "no did-you-mean: {text}");
}

#[test]
fn a_missing_analysis_file_exits_2() {
    let out = anac(&["check", "no/such/file.ana", "--format", "json"]);
    assert_eq!(code(&out), 2);
    let v = json(&out);
    assert_eq!(found(&v)[0].0, "anac::io::unreadable");
    let out = anac(&["check", "no/such/file.ana"]);
    assert_eq!(code(&out), 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no/such/file.ana"), "{stderr}");
}

#[test]
fn a_missing_samples_file_exits_2_pointing_at_the_header() {
    let dir = scratch("nosamples");
    let ana = write(&dir, "a.ana", SMALL_ANALYSIS);
    let out = anac(&["check", &ana, "--format", "json"]);
    assert_eq!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stdout));
    let v = json(&out);
    assert_eq!(
        found(&v),
        [(
            "anac::io::unreadable".to_string(),
            "a.ana".to_string(),
            3,
            9
        )]
    );
}

#[test]
fn samples_flag_overrides_the_analysis_samples() {
    let Some(samples) = real_samples("") else {
        return;
    };
    let dir = scratch("override");
    let other = write(&dir, "other.yaml", &samples);
    // The analysis names `samples.yaml`, which does not exist here.
    let ana = write(&dir, "a.ana", SMALL_ANALYSIS);
    let out = anac(&["check", &ana, "--samples", &other, "--format", "json"]);
    let v = json(&out);
    assert_eq!(code(&out), 0, "{v:#}");
    assert_eq!(v["errors"], 0);
    let out = anac(&[
        "check",
        &ana,
        "--samples",
        "/no/such.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 2);
}

#[test]
fn deny_warnings_turns_warnings_into_failure() {
    let data = "data:\n  nominal:\n    files: [PATH]\n    is_data: true\n    xsec: 1.0\n";
    let Some(f) = anac::testing::shared_file("agc-small/ttbar__nominal__0001.root") else {
        return;
    };
    let Some(samples) = real_samples(&data.replace("PATH", &f.display().to_string())) else {
        return;
    };
    let dir = scratch("deny");
    write(&dir, "samples.yaml", &samples);
    let ana = write(&dir, "a.ana", SMALL_ANALYSIS);
    let out = anac(&["check", &ana, "--format", "json"]);
    let v = json(&out);
    assert_eq!(code(&out), 0, "{v:#}");
    assert_eq!(v["errors"], 0);
    assert!(
        found(&v).contains(&(
            "anac::samples::ignored-xsec".into(),
            "samples.yaml".into(),
            11,
            5
        )),
        "{v:#}"
    );
    let out = anac(&["check", &ana, "--deny-warnings"]);
    assert_eq!(code(&out), 1);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("0 errors, 1 warning"), "{stderr}");
}

#[test]
fn samples_yaml_errors_are_reported_at_their_lines() {
    let Some(samples) =
        real_samples("wjets:\n  nominal:\n    files: []\n    xsec: -1\n    nevts: 3\n")
    else {
        return;
    };
    let dir = scratch("yaml");
    let samples = samples.replace("nevts: 1500", "nevts: 1600");
    write(&dir, "samples.yaml", &samples);
    let ana = write(&dir, "a.ana", SMALL_ANALYSIS);
    let out = anac(&["check", &ana, "--format", "json"]);
    let v = json(&out);
    assert_eq!(code(&out), 1, "{v:#}");
    let got = found(&v);
    let yaml = |c: &str, l, col| {
        (
            format!("anac::samples::{c}"),
            "samples.yaml".to_string(),
            l,
            col,
        )
    };
    for want in [
        yaml("entries-mismatch", 5, 16),
        yaml("empty", 9, 5),
        yaml("invalid-xsec", 10, 11),
        yaml("unknown-key", 11, 5),
    ] {
        assert!(got.contains(&want), "missing {want:?} in {got:#?}");
    }
    assert_eq!(v["errors"], 4, "{got:#?}");
}

#[test]
fn a_missing_data_folder_is_one_clear_error_and_sema_runs_without_a_schema() {
    let dir = scratch("nodata");
    write(
        &dir,
        "samples.yaml",
        "ttbar:\n  nominal:\n    files:\n      - ../nowhere/a.root\n      - ../nowhere/b.root\n    xsec: 729.84\n",
    );
    let ana = write(&dir, "a.ana", SMALL_ANALYSIS);
    let out = anac(&["check", &ana, "--format", "json"]);
    let v = json(&out);
    assert_eq!(code(&out), 1, "{v:#}");
    let got = found(&v);
    let missing: Vec<_> = got
        .iter()
        .filter(|d| d.0 == "anac::samples::missing-file")
        .collect();
    assert_eq!(missing.len(), 1, "{got:#?}");
    assert_eq!((missing[0].2, missing[0].3), (4, 9));
    assert_eq!(v["errors"], 1, "{got:#?}");
    // Without a file, branches cannot be checked: sema says so as a warning.
    assert!(
        got.iter().any(|d| d.0.contains("schema-unavailable")),
        "{got:#?}"
    );
}

#[test]
fn the_agc_analysis_in_a_checkout_without_shared_data_says_so_once() {
    // A copy of analyses/ttbar with nothing at ../shared beside the "checkout".
    let checkout = scratch("noshared").join("repo");
    let dir = checkout.join("analyses/ttbar");
    std::fs::create_dir_all(&dir).unwrap();
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("analyses/ttbar");
    for f in ["ttbar.ana", "samples.yaml"] {
        std::fs::copy(here.join(f), dir.join(f)).unwrap();
    }
    let ana = dir.join("ttbar.ana").display().to_string();
    let out = anac(&["check", &ana, "--format", "json"]);
    let v = json(&out);
    assert_eq!(code(&out), 1, "{v:#}");
    let got = found(&v);
    assert_eq!(v["errors"], 1, "{got:#?}");
    assert_eq!(
        got[0],
        (
            "anac::samples::missing-file".into(),
            "samples.yaml".into(),
            9,
            13
        )
    );
    let message = v["diagnostics"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("11 sample files not found"),
        "{message}"
    );
    assert!(
        got.iter().any(|d| d.0 == "anac::sema::schema-unavailable"),
        "{got:#?}"
    );
}

#[test]
fn a_size_bytes_that_differs_from_the_file_is_a_warning_at_its_line() {
    let Some(f) = anac::testing::shared_file("agc-small/ttbar__nominal__0000.root") else {
        return;
    };
    let dir = scratch("size-bytes");
    let real = std::fs::metadata(&f).expect("file").len();
    let yaml = format!(
        "ttbar:\n  nominal:\n    files:\n      - path: {}\n        nevts: 1500\n        size_bytes: {}\n    xsec: 729.84\n",
        f.display(),
        real + 1
    );
    write(&dir, "samples.yaml", &yaml);
    let ana = write(&dir, "a.ana", SMALL_ANALYSIS);
    let out = anac(&["check", &ana, "--format", "json"]);
    let v = json(&out);
    assert_eq!(code(&out), 0, "{v:#}");
    assert!(
        found(&v)
            .iter()
            .any(|(c, file, line, _)| c == "anac::samples::size-mismatch"
                && file == "samples.yaml"
                && *line == 6),
        "{v:#}"
    );
    assert_eq!(v["warnings"], 1, "{v:#}");
    // The right size is accepted silently.
    write(
        &dir,
        "samples.yaml",
        &yaml.replace(&(real + 1).to_string(), &real.to_string()),
    );
    let v = json(&anac(&["check", &ana, "--format", "json"]));
    assert_eq!(v["diagnostics"], serde_json::json!([]), "{v:#}");
}

/// Best of three wall times of `anac check` on a generated input.
fn check_time(ana: &str, extra: &[&str]) -> f64 {
    (0..3)
        .map(|_| {
            let t = std::time::Instant::now();
            let mut args = vec!["check", ana];
            args.extend_from_slice(extra);
            let o = anac(&args);
            assert_ne!(o.status.code(), Some(101), "check panicked");
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

#[test]
fn diagnostics_cost_grows_linearly_with_the_input() {
    // The cost at 4n is at most ~5x the cost at n (plus process start-up), for many unknown
    // names (each with a bounded "did you mean"), many unknown YAML keys, and many warnings.
    let dir = scratch("scaling");
    let names = |n: usize| {
        let mut s = String::from("tree Events\n");
        for i in 0..n {
            s.push_str(&format!("let a{i} = zz{i} + 1\n"));
        }
        s
    };
    let keys = |n: usize| {
        let mut s = String::from("ttbar:\n  nominal:\n    files: [a.root]\n    xsec: 1\n");
        for i in 0..n {
            s.push_str(&format!("    key{i}: 1\n"));
        }
        s
    };
    let toy = format!("{}/analyses/ttbar/toy.yaml", env!("CARGO_MANIFEST_DIR"));
    for (what, small, big, extra) in [
        (
            "unknown names",
            names(1500),
            names(6000),
            vec!["--samples", toy.as_str()],
        ),
        ("unknown yaml keys", keys(10_000), keys(40_000), vec![]),
    ] {
        let time = |text: &str, tag: &str| {
            let ana = if what.contains("yaml") {
                write(&dir, &format!("{tag}.yaml"), text);
                write(
                    &dir,
                    &format!("{tag}.ana"),
                    &format!("tree Events\nsamples \"{tag}.yaml\"\nlet a = 1\n"),
                )
            } else {
                write(&dir, &format!("{tag}.ana"), text)
            };
            // The fastest of three runs: a busy machine slows single runs, never all three.
            (0..3)
                .map(|_| check_time(&ana, &extra))
                .fold(f64::INFINITY, f64::min)
        };
        let t1 = time(&small, "small");
        let t4 = time(&big, "big");
        assert!(
            t4 <= 6.0 * t1 + 0.3,
            "{what}: {t1:.3} s at n, {t4:.3} s at 4n: not linear"
        );
    }
}

#[test]
fn an_analysis_over_the_size_limit_is_one_clear_error() {
    let dir = scratch("too-large");
    let body: String = (0..60_000)
        .map(|i| format!("let value_{i} = {i} * 2\n"))
        .collect();
    assert!(body.len() > anac::syntax::MAX_SOURCE_BYTES);
    let p = write(&dir, "big.ana", &format!("tree Events\n{body}"));
    let out = anac(&["check", &p, "--format", "json"]);
    assert_eq!(code(&out), 1);
    let v = json(&out);
    let codes: Vec<String> = found(&v).into_iter().map(|d| d.0).collect();
    assert_eq!(codes, vec!["anac::syntax::too-large".to_string()], "{v}");
}

/// The largest analysis anac accepts checks inside a 512 MiB address-space cap (the parser used to
/// take 50-90 bytes per input byte), and an 8 MiB one is refused inside a 256 MiB cap.
#[test]
fn the_largest_accepted_analysis_checks_under_a_memory_cap() {
    let dir = scratch("memory-cap");
    let mut body = String::from("tree Events\n");
    let mut i = 0;
    while body.len() < anac::syntax::MAX_SOURCE_BYTES - 100 {
        let prev = if i == 0 {
            "1".to_string()
        } else {
            format!("v{}", i - 1)
        };
        body.push_str(&format!("let v{i} = {prev} * 2 + {i}\n"));
        i += 1;
    }
    body.push_str(&format!("hist h = v{} in regular(10, 0, 1)\n", i - 1));
    let big = write(&dir, "largest.ana", &body);
    let huge = write(&dir, "huge.ana", &body.repeat(8));
    let capped = |kib: u64, ana: &str| {
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "ulimit -v {kib} && exec \"$0\" check \"$1\" --format json"
            ))
            .arg(env!("CARGO_BIN_EXE_anac"))
            .arg(ana)
            .output()
            .expect("sh runs")
    };
    let out = capped(512 << 10, &big);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["errors"], 0);
    let out = capped(256 << 10, &huge);
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let codes: Vec<String> = found(&json(&out)).into_iter().map(|d| d.0).collect();
    assert_eq!(codes, vec!["anac::syntax::too-large".to_string()]);
}

/// A real data file (CMS Z→μμ) and a simulated one (H→ZZ, with generator branches `MClepton_*`
/// and `EventWeight`) in one samples file: their trees share no branch. Generator branches
/// inside `only simulation` check clean (each block is checked against its samples' layouts
/// only); the same use outside is an unknown name for the data sample's layout, a data branch
/// outside `only data` one for the simulation's; a misspelt process gets a suggestion.
#[test]
fn only_blocks_check_each_against_their_samples_layouts() {
    let (Some(data), Some(mc)) = (
        anac::testing::shared_file("uproot-Zmumu.root"),
        anac::testing::shared_file("uproot-HZZ.root"),
    ) else {
        return;
    };
    let dir = scratch("only");
    write(
        &dir,
        "samples.yaml",
        &format!(
            "data:\n  nominal:\n    files:\n      - path: {}\n        nevts: 2304\n    is_data: true\n\
             higgs:\n  nominal:\n    files:\n      - path: {}\n        nevts: 2421\n    xsec: 1.0\n",
            data.display(),
            mc.display()
        ),
    );
    let clean = "\
analysis mixed
tree events
samples \"samples.yaml\"
only simulation {
    let lep_pt = sqrt(MClepton_px * MClepton_px + MClepton_py * MClepton_py)
    hist lep_pt_h = lep_pt weight EventWeight in regular(20, 0, 200)
}
only data { hist m = M in regular(30, 60, 120) }
";
    let good = write(&dir, "good.ana", clean);
    let out = anac(&["check", &good, "--format", "json"]);
    let v = json(&out);
    assert_eq!(
        (v["errors"].as_u64(), v["warnings"].as_u64()),
        (Some(0), Some(0)),
        "{v:#}"
    );
    assert_eq!(code(&out), 0, "{v:#}");

    let outside = format!(
        "{clean}hist w = EventWeight in regular(10, 0, 0.02)\nhist m2 = M in regular(30, 60, 120)\n\
         only higs {{ counter c }}\n"
    );
    let bad = write(&dir, "bad.ana", &outside);
    let out = anac(&["check", &bad, "--format", "json"]);
    let v = json(&out);
    assert_eq!(code(&out), 1, "{v:#}");
    let mut got = found(&v);
    got.sort();
    let want = |code: &str, line: u64, column: u64| {
        (code.to_string(), "bad.ana".to_string(), line, column)
    };
    assert_eq!(
        got,
        vec![
            want("anac::sema::unknown-name", 9, 10),
            want("anac::sema::unknown-name", 10, 11),
            want("anac::sema::unknown-process", 11, 6),
        ],
        "{v:#}"
    );
    let help = |line: u64| {
        v["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["line"].as_u64() == Some(line))
            .map(|d| d["help"].as_str().unwrap_or("").to_string())
            .unwrap()
    };
    // Each missing branch is reported for the layout that lacks it.
    assert!(help(9).contains("samples data/nominal"), "{}", help(9));
    assert!(help(10).contains("samples higgs/nominal"), "{}", help(10));
    assert!(help(11).contains("`higgs`"), "{}", help(11));
}

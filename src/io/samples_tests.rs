//! Tests of the samples YAML checks. Error cases are data: each `tests/samples/*.yaml` fixture
//! states the diagnostics it must produce in comment lines
//! `# expect: <code without anac::> <line>:<column> [text the message or help contains]`;
//! a fixture without such lines must load clean.

use super::*;
use crate::diagnostics::Severity;

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/samples")
}

struct Expect {
    code: String,
    line: usize,
    col: usize,
    text: Option<String>,
}

fn expectations(text: &str) -> Vec<Expect> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("# expect:"))
        .map(|rest| {
            let mut parts = rest.trim().splitn(3, ' ');
            let code = format!("anac::{}", parts.next().unwrap());
            let (line, col) = parts.next().unwrap().split_once(':').unwrap();
            Expect {
                code,
                line: line.parse().unwrap(),
                col: col.parse().unwrap(),
                text: parts.next().map(str::to_string),
            }
        })
        .collect()
}

fn describe(d: &Diagnostic) -> String {
    let (l, c) = d.position().unwrap_or((0, 0));
    format!("{} {l}:{c} {}", d.code, d.message)
}

#[test]
fn every_fixture_gives_exactly_its_expected_diagnostics() {
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = expectations(&text);
        let (samples, diags) = load(&path).unwrap();
        let got: Vec<String> = diags.iter().map(describe).collect();
        assert_eq!(
            diags.len(),
            expected.len(),
            "{}: got {got:#?}",
            path.display()
        );
        for e in &expected {
            let found = diags.iter().any(|d| {
                d.code.as_str() == e.code
                    && d.position() == Some((e.line, e.col))
                    && e.text.as_ref().is_none_or(|t| {
                        d.message.contains(t.as_str())
                            || d.help.as_ref().is_some_and(|h| h.contains(t.as_str()))
                    })
            });
            assert!(
                found,
                "{}: expected {} at {}:{} ({:?}); got {got:#?}",
                path.display(),
                e.code,
                e.line,
                e.col,
                e.text
            );
        }
        if diags.iter().all(|d| d.code != SYNTAX) {
            assert!(samples.is_some(), "{}", path.display());
        }
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} fixtures found");
}

#[test]
fn accepted_forms_load_with_their_values() {
    let (samples, diags) = load(&fixtures_dir().join("valid_mixed_forms.yaml")).unwrap();
    assert!(diags.is_empty(), "{diags:?}");
    let s = samples.unwrap();
    let names: Vec<&str> = s.processes.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ttbar", "data"]);
    let nominal = &s.processes[0].variations[0];
    assert_eq!(nominal.files.len(), 2);
    assert_eq!(nominal.files[0].nevts, Some(10));
    assert_eq!(nominal.files[1].nevts, None);
    assert_eq!(nominal.files[1].path, fixtures_dir().join("data/b.root"));
    assert_eq!(nominal.xsec, Some(729.84));
    assert_eq!(s.processes[0].variations[1].xsec, Some(700.0));
    assert_eq!(s.processes[0].variations[1].nevts_total, Some(5));
    assert!(!s.processes[0].is_data());
    assert!(s.processes[1].is_data());
    assert_eq!(s.processes[1].variations[0].xsec, None);
}

#[test]
fn the_agc_fileset_loads_as_it_is() {
    let Some(path) = crate::testing::shared_file("agc-small/fileset.yaml") else {
        return;
    };
    let (samples, diags) = load(&path).unwrap();
    assert!(diags.is_empty(), "{diags:?}");
    let s = samples.unwrap();
    assert_eq!(s.processes.len(), 5);
    let pairs: Vec<(&str, &str)> = s
        .processes
        .iter()
        .flat_map(|p| {
            p.variations
                .iter()
                .map(|v| (p.name.as_str(), v.name.as_str()))
        })
        .collect();
    assert_eq!(pairs.len(), 9);
    assert_eq!(pairs[0], ("ttbar", "nominal"));
    assert_eq!(pairs[4], ("ttbar", "PS_var"));
    assert_eq!(pairs[8], ("wjets", "nominal"));
    assert_eq!(s.files().count(), 11);
    let xsec = |p: &str| {
        s.processes.iter().find(|x| x.name == p).unwrap().variations[0]
            .xsec
            .unwrap()
    };
    assert_eq!(xsec("ttbar"), 729.84);
    assert_eq!(xsec("single_top_s_chan"), 3.2944000000000004);
    assert_eq!(xsec("single_top_t_chan"), 234.7936507936508);
    assert_eq!(xsec("single_top_tW"), 75.842);
    assert_eq!(xsec("wjets"), 15487.164);
    let nominal = &s.processes[0].variations[0];
    assert_eq!(nominal.nevts_total, Some(3000));
    assert_eq!(nominal.files[1].nevts, Some(1500));
    assert!(nominal.files[1].path.ends_with("ttbar__nominal__0001.root"));
    assert!(nominal.files.iter().all(|f| f.path.is_file()));
    assert!(s.processes.iter().all(|p| !p.is_data()));
}

#[test]
fn unknown_key_suggests_the_closest() {
    let src = SourceFile::new(
        fixtures_dir().join("inline.yaml"),
        "ttbar:\n  nominal:\n    files: [data/a.root]\n    xsecc: 1.0\n",
    );
    let (_, diags) = from_source(&src);
    let unknown = diags.iter().find(|d| d.code == UNKNOWN_KEY).unwrap();
    assert_eq!(unknown.help.as_deref(), Some("did you mean `xsec`?"));
    assert_eq!(unknown.position(), Some((4, 5)));
    // The misspelt xsec also means the real one is missing.
    assert!(diags.iter().any(|d| d.code == MISSING_FIELD));
    assert!(diags.iter().all(|d| d.severity == Severity::Error));
}

#[test]
fn unreadable_samples_file_is_an_io_error() {
    let err = load(Path::new("/nonexistent/samples.yaml")).unwrap_err();
    assert_eq!(err.code, common::IO);
    assert!(err.message.contains("/nonexistent/samples.yaml"));
}

#[test]
fn every_samples_code_has_a_page() {
    for code in [
        SYNTAX,
        DUPLICATE_KEY,
        UNKNOWN_KEY,
        WRONG_TYPE,
        MISSING_FIELD,
        INVALID_XSEC,
        MISSING_FILE,
        NEVTS_MISMATCH,
        EMPTY,
        IGNORED_XSEC,
        MIXED_DATA,
        DUPLICATE_FILE,
    ] {
        assert!(code.doc().is_some(), "no page for {code}");
    }
}

#[test]
fn diagnostics_render_with_the_yaml_position() {
    let (_, diags) = load(&fixtures_dir().join("missing_file.yaml")).unwrap();
    let text: String = diags
        .iter()
        .map(|d| crate::diagnostics::render_human(d, false))
        .collect();
    println!("{text}");
    assert!(text.contains("missing_file.yaml:16:9"), "{text}");
    assert!(text.contains("first of the 2 files"), "{text}");
    let folder = diags
        .iter()
        .find(|d| d.message.starts_with("2 sample files"));
    assert!(
        folder.is_some_and(|d| d.message.ends_with("other_missing_folder` does not exist")),
        "{diags:?}"
    );
}

#[test]
fn wildcards_expand_in_name_order_and_the_tree_key_is_kept() {
    let path = fixtures_dir().join("glob_and_tree.yaml");
    let (samples, _) = load(&path).unwrap();
    let samples = samples.unwrap();
    let nominal = &samples.processes[0].variations[0];
    let names: Vec<String> = nominal
        .files
        .iter()
        .map(|f| f.path.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    assert_eq!(names, ["a.root", "b.root", "c.root", "d.root"]);
    assert_eq!(nominal.tree.as_deref(), Some("Events"));
    assert!(wildcard_match(
        "ttbar__*__0?.root",
        "ttbar__nominal__01.root"
    ));
    assert!(!wildcard_match(
        "ttbar__*__0?.root",
        "ttbar__nominal__1.root"
    ));
    assert!(wildcard_match("*", ""));
    assert!(!wildcard_match("a*b", "ac"));
}

#[test]
fn friends_keep_their_name_tree_and_files_in_the_samples_order() {
    let (samples, _) = load(&fixtures_dir().join("friends.yaml")).unwrap();
    let samples = samples.unwrap();
    let nominal = &samples.processes[0].variations[0];
    let file_names = |files: &[SampleFile]| -> Vec<String> {
        files
            .iter()
            .map(|f| f.path.file_name().unwrap().to_string_lossy().to_string())
            .collect()
    };
    let friends: Vec<(&str, &str, Vec<String>)> = nominal
        .friends
        .iter()
        .map(|f| (f.name.as_str(), f.tree.as_str(), file_names(&f.files)))
        .collect();
    assert_eq!(
        friends,
        [
            (
                "calib",
                "Friends",
                vec!["c.root".to_string(), "d.root".to_string()]
            ),
            (
                "same_file",
                "Other",
                vec!["a.root".to_string(), "b.root".to_string()]
            ),
        ]
    );
    // A friend that cannot be paired is left out (its error is in the fixture).
    assert!(samples.processes[0].variations[1].friends.is_empty());
}

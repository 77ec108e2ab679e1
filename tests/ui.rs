//! Data-driven tests of the front end: `tests/ui/{valid,invalid}/*.ana`.
//!
//! Each file carries its expected diagnostics inline; the test asserts the exact set of
//! (severity, code, line, column) and that every message is non-empty. Conventions (see
//! tests/ui/README.md):
//! - `#^ error sema::unknown-name` — a diagnostic whose primary span starts at the caret's
//!   column on the nearest line above that is not an annotation;
//! - `#@ 3:1 warning sema::unused-definition` — an explicit line and column;
//! - `#! schema: nanoaod | none` and `#! processes: agc | agc_data | none` pick the environment
//!   (defaults: nanoaod, agc; `agc_data` adds a data process `data`); `#! schema_processes: P, Q`
//!   says the schema is that of those processes' files only (`only` blocks of others are skipped).
//!
//! `valid/` files must have no errors (annotated warnings are allowed); `invalid/` files must
//! expect at least one error.

use std::collections::BTreeMap;
use std::path::Path;

use anac::diagnostics::{Severity, SourceFile};
use anac::io::schema::{
    CollectionLayout, CollectionSchema, FieldSchema, ScalarType, Shape, TreeSchema, Unsupported,
};
use anac::sema::{ProcessInfo, SemaEnv, check_source};

fn field(name: &str, prefix: &str, ty: ScalarType, shape: Shape) -> FieldSchema {
    FieldSchema {
        name: name.to_string(),
        branch: if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}_{name}")
        },
        ty,
        shape,
    }
}

fn collection(name: &str, fields: &[(&str, ScalarType)]) -> CollectionSchema {
    let mut fields: Vec<FieldSchema> = fields
        .iter()
        .map(|(f, t)| field(f, name, *t, Shape::Jagged))
        .collect();
    fields.sort_by(|a, b| a.name.cmp(&b.name));
    CollectionSchema {
        name: name.to_string(),
        layout: CollectionLayout::Counter {
            branch: format!("n{name}"),
        },
        fields,
    }
}

/// A NanoAOD-like schema with the fields the AGC ttbar analysis reads.
pub fn nanoaod() -> TreeSchema {
    use ScalarType::*;
    let kin = [("pt", F32), ("eta", F32), ("phi", F32), ("mass", F32)];
    let with = |extra: &[(&'static str, ScalarType)]| {
        let mut v: Vec<(&str, ScalarType)> = kin.to_vec();
        v.extend_from_slice(extra);
        v
    };
    let mut branches = vec![
        field("MET_pt", "", F32, Shape::Scalar),
        field("MET_phi", "", F32, Shape::Scalar),
        field("event", "", U64, Shape::Scalar),
        field("run", "", U32, Shape::Scalar),
        field("luminosityBlock", "", U32, Shape::Scalar),
        field("genWeight", "", F32, Shape::Scalar),
        field("nJet", "", U32, Shape::Scalar),
        field("nElectron", "", U32, Shape::Scalar),
        field("nMuon", "", U32, Shape::Scalar),
        field("nGenPart", "", U32, Shape::Scalar),
        field("HLT_IsoMu24", "", Bool, Shape::Scalar),
    ];
    branches.sort_by(|a, b| a.name.cmp(&b.name));
    TreeSchema {
        tree: "Events".into(),
        entries: 1000,
        collections: vec![
            collection(
                "Electron",
                &with(&[
                    ("cutBased", I32),
                    ("sip3d", F32),
                    ("charge", I32),
                    ("pfRelIso03_all", F32),
                ]),
            ),
            collection(
                "Muon",
                &with(&[
                    ("tightId", Bool),
                    ("sip3d", F32),
                    ("charge", I32),
                    ("pfRelIso04_all", F32),
                ]),
            ),
            collection(
                "Jet",
                &with(&[("btagCSVV2", F32), ("jetId", I32), ("hadronFlavour", I32)]),
            ),
            collection("GenPart", &with(&[("pdgId", I32), ("statusFlags", I32)])),
        ],
        branches,
        unsupported: vec![Unsupported {
            branch: "LHEPdfWeightMatrix".into(),
            type_name: "std::vector<std::vector<std::vector<float>>>".into(),
            reason: "three levels of nesting".into(),
        }],
    }
}

/// A flat ntuple in the style of the CMS HZZ open-data example: `NMuon` + `Muon_Px`, ...
pub fn hzz() -> TreeSchema {
    use ScalarType::*;
    let lepton = [
        ("Px", F32),
        ("Py", F32),
        ("Pz", F32),
        ("E", F32),
        ("Charge", I32),
        ("Iso", F32),
    ];
    TreeSchema {
        tree: "events".into(),
        entries: 100,
        collections: vec![collection("Muon", &lepton), collection("Electron", &lepton)],
        branches: vec![
            field("MET_px", "", F32, Shape::Scalar),
            field("MET_py", "", F32, Shape::Scalar),
            field("NElectron", "", I32, Shape::Scalar),
            field("NMuon", "", I32, Shape::Scalar),
            field("Triggers", "", Bool, Shape::Fixed(4)),
        ],
        unsupported: Vec::new(),
    }
}

/// The AGC processes and their sample variations.
pub fn agc_processes() -> Vec<ProcessInfo> {
    let p = |name: &str, vars: &[&str]| ProcessInfo {
        name: name.into(),
        variations: vars.iter().map(|v| v.to_string()).collect(),
        is_data: false,
    };
    vec![
        p(
            "ttbar",
            &["nominal", "scaledown", "scaleup", "ME_var", "PS_var"],
        ),
        p("single_top_s_chan", &["nominal"]),
        p("single_top_t_chan", &["nominal"]),
        p("single_top_tW", &["nominal"]),
        p("wjets", &["nominal"]),
    ]
}

type Key = (String, String, usize, usize);

fn severity_name(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn full_code(c: &str) -> String {
    if c.starts_with("anac::") {
        c.to_string()
    } else {
        format!("anac::{c}")
    }
}

/// Expected diagnostics and directives of one file.
fn expectations(text: &str) -> Result<(Vec<Key>, BTreeMap<String, String>), String> {
    let mut expected = Vec::new();
    let mut directives = BTreeMap::new();
    let mut last_code_line = 0;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if let Some(rest) = line.strip_prefix("#!") {
            let (k, v) = rest
                .split_once(':')
                .ok_or(format!("line {n}: bad directive"))?;
            directives.insert(k.trim().to_string(), v.trim().to_string());
            continue;
        }
        if let Some(rest) = line.strip_prefix("#@") {
            let mut w = rest.split_whitespace();
            let (Some(pos), Some(sev), Some(code)) = (w.next(), w.next(), w.next()) else {
                return Err(format!("line {n}: `#@ L:C SEVERITY CODE` expected"));
            };
            let (l, c) = pos
                .split_once(':')
                .ok_or(format!("line {n}: bad position"))?;
            expected.push((
                sev.to_string(),
                full_code(code),
                l.parse().map_err(|_| format!("line {n}: bad line"))?,
                c.parse().map_err(|_| format!("line {n}: bad column"))?,
            ));
            continue;
        }
        if line.starts_with('#')
            && let Some(caret) = line.find('^')
            && line[1..caret].trim().is_empty()
        {
            let mut w = line[caret + 1..].split_whitespace();
            let (Some(sev), Some(code)) = (w.next(), w.next()) else {
                return Err(format!("line {n}: `#  ^ SEVERITY CODE` expected"));
            };
            if last_code_line == 0 {
                return Err(format!("line {n}: caret annotation with no line above"));
            }
            let col = line[..caret].chars().count() + 1;
            expected.push((sev.to_string(), full_code(code), last_code_line, col));
            continue;
        }
        last_code_line = n;
    }
    Ok((expected, directives))
}

fn run_file(path: &Path, must_have_errors: bool) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let (mut expected, directives) = expectations(&text)?;
    let schema = nanoaod();
    let flat = hzz();
    let procs = agc_processes();
    let mut with_data = agc_processes();
    with_data.push(ProcessInfo {
        name: "data".into(),
        variations: vec!["nominal".into()],
        is_data: true,
    });
    let schema_procs: Option<Vec<String>> = directives
        .get("schema_processes")
        .map(|v| v.split(',').map(|p| p.trim().to_string()).collect());
    let env = SemaEnv {
        schema: match directives.get("schema").map(String::as_str) {
            None | Some("nanoaod") => Some(&schema),
            Some("hzz") => Some(&flat),
            Some("none") => None,
            Some(other) => return Err(format!("unknown schema `{other}`")),
        },
        processes: match directives.get("processes").map(String::as_str) {
            None | Some("agc") => Some(&procs),
            Some("agc_data") => Some(&with_data),
            Some("none") => None,
            Some(other) => return Err(format!("unknown processes `{other}`")),
        },
        schema_processes: schema_procs.as_deref(),
    };
    let source = SourceFile::new(path, text);
    let (_, diags) = check_source(&source, &env);
    let mut actual: Vec<Key> = Vec::new();
    let mut rendered = Vec::new();
    for d in &diags {
        if d.message.trim().is_empty() {
            return Err(format!("{}: empty message", d.code));
        }
        // Rendering must work for every diagnostic (spans inside the file, on char boundaries).
        let human = anac::diagnostics::render_human(d, false);
        if !human.contains(d.code.as_str()) {
            return Err(format!("{}: rendering lacks the code:\n{human}", d.code));
        }
        if d.code.doc().is_none() {
            return Err(format!("{}: code has no page in docs/codes", d.code));
        }
        let (l, c) = d.position().unwrap_or((0, 0));
        actual.push((severity_name(d.severity).into(), d.code.to_string(), l, c));
        rendered.push(format!(
            "  {}:{} {}[{}] {}",
            l,
            c,
            severity_name(d.severity),
            d.code,
            d.message
        ));
    }
    if std::env::var_os("UI_VERBOSE").is_some() {
        println!("{}:\n{}", path.display(), rendered.join("\n"));
        for d in &diags {
            if let Some(h) = &d.help {
                println!("    help: {h}");
            }
        }
    }
    expected.sort();
    actual.sort();
    if must_have_errors && !expected.iter().any(|e| e.0 == "error") {
        return Err("an invalid/ test must expect at least one error".into());
    }
    if !must_have_errors && expected.iter().any(|e| e.0 == "error") {
        return Err("a valid/ test must not expect errors".into());
    }
    if expected != actual {
        let missing: Vec<&Key> = expected.iter().filter(|e| !actual.contains(e)).collect();
        let extra: Vec<&Key> = actual.iter().filter(|a| !expected.contains(a)).collect();
        return Err(format!(
            "missing: {missing:?}\n  unexpected: {extra:?}\n  all diagnostics:\n{}",
            rendered.join("\n")
        ));
    }
    Ok(())
}

fn run_dir(dir: &str, must_have_errors: bool) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/ui")
        .join(dir);
    let mut paths: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ana"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no tests in {}", root.display());
    let failures: Vec<String> = paths
        .iter()
        .filter_map(|p| {
            run_file(p, must_have_errors)
                .err()
                .map(|e| format!("{}:\n  {e}", p.display()))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} files failed:\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n")
    );
}

#[test]
fn valid_files_check_clean() {
    run_dir("valid", false);
}

#[test]
fn invalid_files_give_exactly_the_expected_diagnostics() {
    run_dir("invalid", true);
}

#[test]
fn ttbar_analysis_checks_with_no_diagnostics() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("analyses/ttbar/ttbar.ana");
    let source = SourceFile::new(&path, std::fs::read_to_string(&path).unwrap());
    let schema = nanoaod();
    let procs = agc_processes();
    let env = SemaEnv {
        schema: Some(&schema),
        processes: Some(&procs),
        schema_processes: None,
    };
    let (checked, diags) = check_source(&source, &env);
    let msgs: Vec<String> = diags
        .iter()
        .map(|d| format!("{:?} {} {}", d.position(), d.code, d.message))
        .collect();
    assert!(diags.is_empty(), "{msgs:#?}");
    let checked = checked.unwrap();
    let names: Vec<&str> = checked.variations.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "pt_scale_up",
            "pt_res_up",
            "btag_var_0_up",
            "btag_var_0_down",
            "btag_var_1_up",
            "btag_var_1_down",
            "btag_var_2_up",
            "btag_var_2_down",
            "btag_var_3_up",
            "btag_var_3_down",
            "scale_var_up",
            "scale_var_down"
        ]
    );
    assert_eq!(checked.lumi, Some(3378.0));
    assert!(
        checked
            .used_fields
            .contains(&("Jet".to_string(), "pt".to_string()))
    );
}

#[test]
fn ttbar_analysis_without_schema_gives_one_warning() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("analyses/ttbar/ttbar.ana");
    let source = SourceFile::new(&path, std::fs::read_to_string(&path).unwrap());
    let (checked, diags) = check_source(&source, &SemaEnv::default());
    let codes: Vec<String> = diags.iter().map(|d| d.code.to_string()).collect();
    assert_eq!(codes, ["anac::sema::schema-unavailable"]);
    assert!(checked.is_some());
}

/// Every `.ana` file the repository ships as valid: the AGC analysis, `tests/ui/valid/` and
/// `examples/` (with their subfolders).
fn valid_files() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = vec![root.join("analyses/ttbar/ttbar.ana")];
    let mut dirs = vec![root.join("tests/ui/valid"), root.join("examples")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "ana") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Truncations and single-character deletions of every valid file (the AGC analysis at every
/// 7th position, the others at about 120 positions each) parse and check without panicking and
/// without an internal error: the builder and the inliner handle every tree pest makes.
#[test]
fn mangled_inputs_never_panic_or_hit_internal_errors() {
    let schema = nanoaod();
    let procs = agc_processes();
    let env = SemaEnv {
        schema: Some(&schema),
        processes: Some(&procs),
        schema_processes: None,
    };
    let files = valid_files();
    assert!(files.len() > 15, "{files:?}");
    let mut checked = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let boundaries: Vec<usize> = (0..text.len())
            .filter(|i| text.is_char_boundary(*i))
            .collect();
        let step = if path.ends_with("ttbar/ttbar.ana") {
            7
        } else {
            (boundaries.len() / 120).max(1)
        };
        for (k, &i) in boundaries.iter().enumerate().step_by(step) {
            let next = boundaries.get(k + 1).copied().unwrap_or(text.len());
            for variant in [
                text[..i].to_string(),
                format!("{}{}", &text[..i], &text[next..]),
            ] {
                let source = SourceFile::new("mangled.ana", variant);
                let (_, diags) = check_source(&source, &env);
                for d in &diags {
                    assert_ne!(
                        d.code.as_str(),
                        "anac::syntax::internal",
                        "{} at byte {i}",
                        path.display()
                    );
                    assert!(!d.message.is_empty());
                    anac::diagnostics::render_human(d, false);
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 4000, "{checked}");
}

/// Whole-file manglings: CRLF and CR-only line endings (diagnostics at the same line and
/// column as with LF), a very long line, a huge number of statements, non-ASCII and control
/// characters sprinkled through the file. None panics or hits an internal error, every
/// rendering is bounded and no control character of the file reaches the rendered text.
#[test]
fn whole_file_manglings_keep_positions_and_never_panic() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("analyses/ttbar/ttbar.ana");
    // The real analysis plus two mistakes, so that there are diagnostics to place.
    let text = std::fs::read_to_string(&path).unwrap()
        + "let wrong = count(jest) + 1\nhist bad = wrong in regular(4, 0, 4)\n";
    let schema = nanoaod();
    let procs = agc_processes();
    let env = SemaEnv {
        schema: Some(&schema),
        processes: Some(&procs),
        schema_processes: None,
    };
    let diagnose = |name: &str, text: String| {
        let source = SourceFile::new(name, text);
        let (_, diags) = check_source(&source, &env);
        for d in &diags {
            assert_ne!(d.code.as_str(), "anac::syntax::internal", "{name}");
            assert!(!d.message.is_empty(), "{name}");
            let shown = anac::diagnostics::render_human(d, false);
            assert!(
                shown.len() < 20_000,
                "{name}: {} bytes rendered",
                shown.len()
            );
            for c in shown.chars() {
                assert!(
                    !c.is_control() || c == '\n',
                    "{name}: control character {c:?} rendered"
                );
            }
        }
        diags
            .iter()
            .map(|d| (d.code.as_str().to_string(), d.position()))
            .collect::<Vec<_>>()
    };
    let lf = diagnose("lf.ana", text.clone());
    assert!(
        lf.iter().any(|(c, _)| c == "anac::sema::unknown-name"),
        "{lf:?}"
    );
    assert_eq!(diagnose("crlf.ana", text.replace('\n', "\r\n")), lf);
    assert_eq!(diagnose("cr.ana", text.replace('\n', "\r")), lf);

    // A 300,000-character line with a mistake at its end, and a line of 2,000 statements.
    let long = format!(
        "tree Events\ncut \"{}\" nope > 1\n{}\n",
        "x".repeat(300_000),
        (0..2000)
            .map(|i| format!("let t{i} = 2 "))
            .collect::<String>()
    );
    let got = diagnose("long.ana", long);
    assert_eq!(
        got[0],
        ("anac::sema::unknown-name".into(), Some((2, 300_008)))
    );
    assert_eq!(got.len(), 2001, "one unknown name, 2000 unused definitions");

    // Twenty thousand statements, each a warning (unused): bounded and all reported.
    let many: String = (0..20_000).map(|i| format!("let v{i} = {i}\n")).collect();
    let got = diagnose("many.ana", format!("tree Events\n{many}"));
    assert_eq!(got.len(), 20_000, "one unused-definition each");

    // Non-ASCII look-alikes and control characters at many places of the real file.
    let specials = [
        '\u{430}', '\u{200b}', '\u{a0}', '\0', '\u{1b}', '\u{7}', '\u{7f}', '\u{85}', '\u{202e}',
        'é', '→',
    ];
    let boundaries: Vec<usize> = (0..text.len())
        .filter(|i| text.is_char_boundary(*i))
        .step_by(53)
        .collect();
    for (k, &i) in boundaries.iter().enumerate() {
        let c = specials[k % specials.len()];
        let variant = format!("{}{c}{}", &text[..i], &text[i..]);
        diagnose(&format!("special-{i}.ana"), variant);
    }
}

/// The help lines carry the fix: a close name (with its type for fields), or why a branch that
/// exists in the file is not available.
#[test]
fn help_lines_suggest_the_fix() {
    let schema = nanoaod();
    let procs = agc_processes();
    let env = SemaEnv {
        schema: Some(&schema),
        processes: Some(&procs),
        schema_processes: None,
    };
    let text = "tree Events\nobject jets = Jet where pt > 30\ncut \"a\" count(jest) > 1\n\
                hist h = sum(Jet.btagCSV) in regular(10, 0, 1)\n\
                cut \"b\" count(LHEPdfWeightMatrix) > 0\nvary n on wjet: weight 1.1\n";
    let (_, diags) = check_source(&SourceFile::new("h.ana", text), &env);
    let helps: Vec<(&str, Option<&str>)> = diags
        .iter()
        .map(|d| (d.code.as_str(), d.help.as_deref()))
        .collect();
    assert_eq!(
        helps,
        [
            ("anac::sema::unknown-name", Some("did you mean `jets`?")),
            (
                "anac::sema::unknown-field",
                Some("did you mean `btagCSVV2` (float)?")
            ),
            (
                "anac::sema::unknown-name",
                Some(
                    "branch `LHEPdfWeightMatrix` (std::vector<std::vector<std::vector<float>>>) \
                     is in the file but not supported: three levels of nesting"
                )
            ),
            ("anac::sema::unknown-process", Some("did you mean `wjets`?")),
            (
                "anac::sema::unused-definition",
                Some("remove it, or prefix its name with `_` to keep it")
            ),
        ]
    );
}

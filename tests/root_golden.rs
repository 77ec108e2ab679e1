//! Golden test of anac's ROOT reader: every branch of every file that uproot 5.7.7 reads
//! (checksums in `tests/golden/root/*.json`, made by `tests/golden/root/make_golden.py`) is read
//! by anac and compared: entry counts and element counts exactly, value sums and
//! position-weighted sums (which catch wrong entry boundaries) to a relative 1e-9.
//!
//! Also reads each branch in several entry sub-ranges (straddling basket and cluster boundaries)
//! and checks they equal the matching slice of the full read.
//!
//! A branch anac refuses (`BranchInfo::kind` is `Err`, or the read fails) while uproot reads it
//! is a failure, unless the golden kind is `unsupported` or the branch is in [`ALLOWED_REFUSALS`].

#[path = "golden/root/checksum.rs"]
mod checksum;

use anac::io::root::{Column, RootFile, Scratch, Tree};
use anac::io::schema::{ScalarType, Shape};
use checksum::{FSum, Sums, same_as_slice, sums};
use serde_json::Value;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// Branches uproot reads that anac deliberately refuses: (golden file stem, branch, reason).
/// Kinds outside anac's supported set (objects, nested classes) belong here; members of split
/// objects are allowed generically through the golden `nested` flag.
const ALLOWED_REFUSALS: &[(&str, &str, &str)] = &[
    (
        "corpus__uproot-issue-798",
        "EventInfoAuxDyn.streamTagRobs",
        "std::vector<std::set<uint32_t>>: a vector of sets (ATLAS xAOD aux data) is an object \
         container, not the std::vector<std::vector<T>> that Jagged2 covers",
    ),
    (
        "corpus__uproot-issue-798",
        "EventInfoAuxDyn.streamTagDets",
        "std::vector<std::set<uint32_t>>: as streamTagRobs",
    ),
];

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/root")
}

/// The element type anac must report for an uproot type name (`float[]`, `std::vector<bool>`,
/// `int32_t`, `char*`, ...).
fn expected_type(typename: &str) -> Option<ScalarType> {
    let mut base = typename.trim();
    for prefix in ["std::vector<", "ROOT::VecOps::RVec<", "RVec<", "std::set<"] {
        while let Some(rest) = base.strip_prefix(prefix) {
            base = rest.trim_end_matches('>').trim();
        }
    }
    let base = base.split('[').next().unwrap_or(base).trim();
    Some(match base {
        "bool" => ScalarType::Bool,
        "int8_t" => ScalarType::I8,
        "uint8_t" => ScalarType::U8,
        "int16_t" => ScalarType::I16,
        "uint16_t" => ScalarType::U16,
        "int32_t" => ScalarType::I32,
        "uint32_t" => ScalarType::U32,
        "int64_t" => ScalarType::I64,
        "uint64_t" => ScalarType::U64,
        "float" => ScalarType::F32,
        "double" | "Double32_t" => ScalarType::F64,
        "Float16_t" => ScalarType::F32,
        "std::string" | "char*" | "TString" => ScalarType::Str,
        _ => return None,
    })
}

fn expected_shape(b: &Value) -> Option<Shape> {
    Some(match b["kind"].as_str()? {
        "scalar" | "str" => Shape::Scalar,
        "jagged_str" => Shape::Jagged,
        "fixed" => Shape::Fixed(usize::try_from(b["n"].as_u64()?).ok()?),
        "jagged" => Shape::Jagged,
        "jagged2" => Shape::Jagged2,
        _ => return None,
    })
}

fn close(what: &str, got: &FSum, want: &Value, errs: &mut Vec<String>) {
    let Some(want) = want.as_f64() else {
        errs.push(format!("{what}: golden value missing"));
        return;
    };
    let tol = 1e-9 * got.abs.max(want.abs()) + 1e-12;
    if (got.value() - want).abs() > tol {
        errs.push(format!("{what}: anac {} vs uproot {want}", got.value()));
    }
}

fn exact(what: &str, got: u64, want: &Value, errs: &mut Vec<String>) {
    if want.as_u64() != Some(got) {
        errs.push(format!("{what}: anac {got} vs uproot {want}"));
    }
}

fn compare(s: &Sums, b: &Value, errs: &mut Vec<String>) {
    exact("entries", s.entries, &b["entries"], errs);
    exact("elements", s.elements, &b["elements"], errs);
    match b["kind"].as_str() {
        Some(kind @ ("str" | "jagged_str")) => {
            if kind == "jagged_str" {
                exact("count_sum", s.count_sum, &b["count_sum"], errs);
                close("count_wsum", &s.count_wsum, &b["count_wsum"], errs);
            }
            exact("byte_sum", s.byte_sum, &b["byte_sum"], errs);
            exact("len_sum", s.len_sum, &b["len_sum"], errs);
            close("byte_wsum", &s.byte_wsum, &b["byte_wsum"], errs);
            close("len_wsum", &s.len_wsum, &b["len_wsum"], errs);
        }
        kind => {
            exact("nonfinite", s.nonfinite, &b["nonfinite"], errs);
            close("sum", &s.sum, &b["sum"], errs);
            close("wsum", &s.wsum, &b["wsum"], errs);
            if matches!(kind, Some("jagged" | "jagged2")) {
                exact("count_sum", s.count_sum, &b["count_sum"], errs);
                close("count_wsum", &s.count_wsum, &b["count_wsum"], errs);
            }
            if kind == Some("jagged2") {
                exact(
                    "inner_count_sum",
                    s.inner_count_sum,
                    &b["inner_count_sum"],
                    errs,
                );
                close(
                    "inner_count_wsum",
                    &s.inner_count_wsum,
                    &b["inner_count_wsum"],
                    errs,
                );
            }
        }
    }
}

/// Entry ranges to re-read: a single first and last entry, ranges straddling each of the first
/// few basket boundaries and cluster boundaries, an empty range, and a three-way uneven split.
fn sub_ranges(tree: &Tree, branch: &str, n: u64) -> Vec<Range<u64>> {
    let mut cuts: Vec<u64> = Vec::new();
    if let Some(info) = tree.branch(branch) {
        cuts.extend(info.baskets.iter().take(4).map(|b| b.entry_stop));
    }
    cuts.extend(tree.clusters().iter().take(3).map(|c| c.end));
    let mut out = vec![0..n.min(1), n.saturating_sub(1)..n, n / 2..n / 2];
    for c in cuts {
        if c > 0 && c < n {
            out.push(c - 1..(c + 2).min(n));
        }
    }
    let (a, b) = (n / 7, n / 7 + n / 3);
    out.extend([0..a, a..b, b..n]);
    out
}

/// Compares one golden file; `min_checked` is the least number of branches that must have been
/// read and compared (0 for corpus files whose readable branches are all object members).
fn check_file(stem: &str, min_checked: usize) {
    let Some(data) = anac::testing::shared_data() else {
        return;
    };
    let text = std::fs::read_to_string(golden_dir().join(format!("{stem}.json")))
        .unwrap_or_else(|e| panic!("golden {stem}.json: {e}"));
    let golden: Value = serde_json::from_str(&text).unwrap();
    let rel = golden["file"].as_str().unwrap();
    let path = data.join(rel);
    let file = RootFile::open(&path).unwrap_or_else(|e| panic!("open {rel}: {e}"));
    let mut failures: Vec<String> = Vec::new();
    let mut checked = 0usize;
    let mut refused = 0usize;
    // One buffer and scratch reused across every branch and range (as work units do): a read
    // must fully replace what a previous read of another branch or type left in them.
    let mut scratch = Scratch::default();
    let mut reused: Option<Column> = None;
    for gt in golden["trees"].as_array().unwrap() {
        let tname = gt["name"].as_str().unwrap();
        let tree = match file.tree(tname) {
            Ok(t) => t,
            Err(e) => {
                failures.push(format!("{rel}: tree {tname}: {e}"));
                continue;
            }
        };
        let n = gt["entries"].as_u64().unwrap();
        if tree.entries() != n {
            failures.push(format!(
                "{rel}:{tname}: {} entries, uproot {n}",
                tree.entries()
            ));
            continue;
        }
        for gb in gt["branches"].as_array().unwrap() {
            let name = gb["name"].as_str().unwrap();
            let at = format!("{rel}:{tname}:{name}");
            if gb.get("uproot_error").is_some() {
                continue;
            }
            let unsupported = gb["kind"] == "unsupported";
            let allowed = ALLOWED_REFUSALS
                .iter()
                .any(|(f, b, _)| *f == stem && *b == name)
                || unsupported
                || gb["nested"] == true;
            let Some(info) = tree.branch(name) else {
                if !allowed {
                    failures.push(format!("{at}: not listed by anac"));
                }
                refused += 1;
                continue;
            };
            let kind = match &info.kind {
                Ok(k) => k.clone(),
                Err(why) => {
                    if !allowed {
                        failures.push(format!("{at}: refused ({why}) but uproot reads it"));
                    }
                    refused += 1;
                    continue;
                }
            };
            if unsupported {
                continue; // uproot reads it as something anac has no kind for: nothing to compare
            }
            let typename = gb["typename"].as_str().unwrap_or("");
            // uproot names a Double32_t without a range by its stored `float`; it is a double
            // in C++ and anac reads it as one (the values are compared below).
            let stored_float = typename == "float" && info.type_name.starts_with("Double32_t");
            match expected_type(typename) {
                Some(ScalarType::F32) if stored_float && kind.ty == ScalarType::F64 => {}
                Some(ty) if ty != kind.ty => {
                    failures.push(format!("{at}: type {:?}, uproot says {typename}", kind.ty))
                }
                None => failures.push(format!("{at}: test cannot map uproot type {typename}")),
                _ => {}
            }
            let Some(shape) = expected_shape(gb) else {
                failures.push(format!(
                    "{at}: anac reads kind {:?} uproot calls {}",
                    kind.shape, gb["kind"]
                ));
                continue;
            };
            if kind.shape != shape {
                failures.push(format!("{at}: shape {:?}, uproot {shape:?}", kind.shape));
                continue;
            }
            let full = match tree.read(&file, name, 0..n) {
                Ok(c) => c,
                Err(e) => {
                    failures.push(format!("{at}: read failed: {e}"));
                    continue;
                }
            };
            let mut errs = Vec::new();
            match sums(&full, shape, n) {
                Ok(s) => compare(&s, gb, &mut errs),
                Err(e) => errs.push(e),
            }
            for r in sub_ranges(&tree, name, n) {
                match tree.read(&file, name, r.clone()) {
                    Ok(part) => {
                        if let Err(e) = same_as_slice(&full, &part, shape, n, r.clone()) {
                            errs.push(e);
                        }
                    }
                    Err(e) => errs.push(format!("sub-range {r:?}: read failed: {e}")),
                }
                let Some(buf) = reused.as_mut() else {
                    reused = Some(full.clone());
                    continue;
                };
                match tree.read_into(&file, name, r.clone(), buf, &mut scratch) {
                    Ok(()) => {
                        if let Err(e) = same_as_slice(&full, buf, shape, n, r.clone()) {
                            errs.push(format!("read_into: {e}"));
                        }
                    }
                    Err(e) => errs.push(format!("read_into {r:?} failed: {e}")),
                }
            }
            failures.extend(errs.into_iter().map(|e| format!("{at}: {e}")));
            checked += 1;
        }
    }
    eprintln!("{rel}: {checked} branches compared with uproot, {refused} refused by anac");
    assert!(
        failures.is_empty(),
        "{} golden mismatch(es) in {rel} ({checked} branches read):\n{}",
        failures.len(),
        failures
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        checked >= min_checked,
        "{rel}: only {checked} branches checked, expected at least {min_checked}"
    );
}

macro_rules! golden {
    ($($test:ident => $stem:literal, $min:literal;)*) => {
        $( #[test] fn $test() { check_file($stem, $min); } )*
        /// Golden files whose test is below, outside the macro.
        const OTHER_STEMS: &[&str] = &["corpus__uproot-from-geant4"];
        const STEMS: &[&str] = &[$($stem),*];
    };
}

golden! {
    nanoaod => "nanoAOD_2015_CMS_Open_Data_ttbar", 947;
    agc_small_ttbar => "agc-small__ttbar__nominal__0000", 947;
    poet_vector => "poet_ttbar_vector", 24;
    hzz => "uproot-HZZ", 51;
    hzz_uncompressed => "uproot-HZZ-uncompressed", 51;
    hzz_zlib => "uproot-HZZ-zlib", 51;
    hzz_lz4 => "uproot-HZZ-lz4", 51;
    hzz_lzma => "uproot-HZZ-lzma", 51;
    hzz_zstd => "uproot-HZZ-zstd", 51;
    zmumu => "uproot-Zmumu", 20;
    zmumu_uncompressed => "uproot-Zmumu-uncompressed", 20;
    zmumu_lz4 => "uproot-Zmumu-lz4", 20;
    zmumu_lzma => "uproot-Zmumu-lzma", 20;
    zmumu_zstd => "uproot-Zmumu-zstd", 20;
    hepdata_ntuple => "uproot-hepdata-example", 5;
    rootgen_counter_total => "rootgen__counter_total_equals_entries", 2;
    rootgen_lz4 => "rootgen__layouts_lz4", 17;
    rootgen_lzma => "rootgen__layouts_lzma", 17;
    rootgen_zlib => "rootgen__layouts_zlib", 17;
    rootgen_zstd => "rootgen__layouts_zstd", 17;
    rootgen_none => "rootgen__layouts_none", 17;
    rootgen_multicluster => "rootgen__layouts_multicluster_zstd", 17;
    rootgen_rvec => "rootgen__rvec_snapshot", 3;
    corpus_double32 => "corpus__uproot-demo-double32", 1;
    corpus_issue_1070 => "corpus__uproot-issue-1070", 101;
    corpus_issue_750 => "corpus__uproot-issue-750", 17;
    corpus_issue_798 => "corpus__uproot-issue-798", 916;
    corpus_issue121 => "corpus__uproot-issue121", 1507;
    corpus_issue367 => "corpus__uproot-issue367", 0;
    corpus_issue399 => "corpus__uproot-issue399", 373;
    corpus_issue403 => "corpus__uproot-issue403", 616;
    corpus_issue468 => "corpus__uproot-issue468", 400;
    corpus_issue64 => "corpus__uproot-issue64", 55;
    corpus_mc10events => "corpus__uproot-mc10events", 658;
}

/// `uproot-from-geant4.root` holds four trees of plain scalar branches (int32, float, double,
/// char*) written by ROOT 5.2x: TTree class version 5 and TBranch version 8 (counters stored as
/// double, 32-bit basket tables). Every one of the 22 branches must match uproot.
#[test]
fn corpus_from_geant4() {
    check_file("corpus__uproot-from-geant4", 22);
}

/// Every golden JSON has a test above (a new file cannot be silently left out).
#[test]
fn every_golden_file_is_tested() {
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(golden_dir()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "json") {
            let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
            if !STEMS.contains(&stem.as_str()) && !OTHER_STEMS.contains(&stem.as_str()) {
                missing.push(stem);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "golden files without a test: {missing:?}"
    );
    assert!(STEMS.len() >= 34);
}

/// The rootgen files' values are formulas of the entry number (FORMULAS.txt): check a few
/// entries directly, independent of uproot.
#[test]
fn rootgen_formulas_at_entry_7() {
    let Some(path) = anac::testing::shared_file("rootgen/layouts_zlib.root") else {
        return;
    };
    let file = RootFile::open(Path::new(&path)).unwrap();
    let tree = file.tree("t").unwrap();
    let read = |b: &str| tree.read(&file, b, 7..9).unwrap();
    use anac::io::root::ColumnValues as V;
    match read("l").values {
        V::I64(v) => assert_eq!(v, vec![7 * 1_000_000_007, 8 * 1_000_000_007]),
        other => panic!("l: {}", checksum::variant(&other)),
    }
    // vf at 7: 7 % 4 = 3 values 7, 7.5, 8; at 8: none.
    let vf = read("vf");
    assert_eq!(vf.offsets, Some(vec![0, 3, 3]));
    match vf.values {
        V::F32(v) => assert_eq!(v, vec![7.0, 7.5, 8.0]),
        other => panic!("vf: {}", checksum::variant(&other)),
    }
    // vvf at 7: k < 1 → [[]]; at 8: k < 2 → [[], [9]]
    let vvf = read("vvf");
    assert_eq!(vvf.offsets, Some(vec![0, 1, 3]));
    assert_eq!(vvf.inner_offsets, Some(vec![0, 0, 0, 1]));
    match vvf.values {
        V::F32(v) => assert_eq!(v, vec![9.0]),
        other => panic!("vvf: {}", checksum::variant(&other)),
    }
    match read("s").values {
        V::Str { offsets, bytes } => {
            assert_eq!(offsets, vec![0, 7, 14]);
            assert_eq!(bytes, b"event_7event_8".to_vec());
        }
        other => panic!("s: {}", checksum::variant(&other)),
    }
}

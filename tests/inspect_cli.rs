//! `anac inspect` run as a binary on real files; expected values are what uproot 5.7.7 gives
//! (e.g. `uproot.open(f)["Events"]["nJet"].array(entry_stop=3)` → [2, 1, 4]).

use serde_json::{Value, json};
use std::process::{Command, Output};

fn anac(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anac"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_of(o: &Output) -> Value {
    assert!(o.status.success(), "anac failed: {}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

fn nanoaod() -> Option<String> {
    anac::testing::shared_file("nanoAOD_2015_CMS_Open_Data_ttbar.root")
        .map(|p| p.display().to_string())
}

#[test]
fn scan_nanoaod_json_first_three_entries() {
    let Some(f) = nanoaod() else { return };
    let o = anac(&[
        "inspect",
        &f,
        "Events",
        "--scan",
        "nJet,Jet_pt,Jet_jetId,event",
        "--entries",
        "0:3",
        "--format",
        "json",
    ]);
    let v = json_of(&o);
    assert_eq!(v["entries"], json!([0, 3]));
    assert_eq!(v["values"]["nJet"], json!([2, 1, 4]));
    assert_eq!(
        v["values"]["Jet_pt"],
        json!([
            [17.921875, 15.734375],
            [37.875],
            [72.6875, 56.75, 19.15625, 16.703125]
        ])
    );
    assert_eq!(v["values"]["Jet_jetId"], json!([[0, 6], [0], [6, 6, 6, 6]]));
    assert_eq!(
        v["values"]["event"],
        json!([227291401u64, 227291402u64, 227291406u64])
    );
}

#[test]
fn scan_nanoaod_human_table() {
    let Some(f) = nanoaod() else { return };
    let o = anac(&[
        "inspect",
        &f,
        "--scan",
        "nMuon,Muon_pt,Muon_tightId",
        "--entries",
        "3:4",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    // Entry 3 has one muon: pt 44.218994, tightId false.
    let row = out
        .lines()
        .find(|l| l.contains("44.218994"))
        .unwrap_or_else(|| panic!("no muon row in:\n{out}"));
    let cells: Vec<&str> = row
        .split('*')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(cells, vec!["3", "0", "1", "44.218994", "false"], "{out}");
    assert!(out.contains("==> 1 entries [3, 4)"), "{out}");
}

#[test]
fn scan_nested_and_strings_json() {
    let Some(f) = anac::testing::shared_file("rootgen/layouts_zlib.root") else {
        return;
    };
    let f = f.display().to_string();
    let v = json_of(&anac(&[
        "inspect",
        &f,
        "t",
        "--scan",
        "vvf,s,fix3",
        "--entries",
        "7:9",
        "--format",
        "json",
    ]));
    assert_eq!(v["values"]["vvf"], json!([[[]], [[], [9.0]]]));
    assert_eq!(v["values"]["s"], json!(["event_7", "event_8"]));
    assert_eq!(
        v["values"]["fix3"],
        json!([[7.0, 8.0, 9.0], [8.0, 9.0, 10.0]])
    );
}

#[test]
fn summary_json_of_nanoaod() {
    let Some(f) = nanoaod() else { return };
    let v = json_of(&anac(&["inspect", &f, "--format", "json"]));
    let t = &v["trees"][0];
    assert_eq!(t["name"], "Events");
    assert_eq!(t["entries"], 200);
    assert_eq!(t["branches"].as_array().unwrap().len(), 947);
    let jet_pt = t["branches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "Jet_pt")
        .unwrap();
    assert_eq!(jet_pt["kind_text"], "float[nJet]");
    assert!(
        jet_pt["compression"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("zlib")
    );
    let jets = t["schema"]["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Jet")
        .unwrap();
    let fields: Vec<&str> = jets["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for want in ["pt", "eta", "phi", "mass", "btagCSVV2", "jetId"] {
        assert!(fields.contains(&want), "Jet fields {fields:?}");
    }
    let clusters = t["clusters"].as_array().unwrap();
    assert_eq!(clusters.first().unwrap()[0], 0);
    assert_eq!(clusters.last().unwrap()[1], 200);
}

#[test]
fn summary_human_of_hzz() {
    let Some(f) = anac::testing::shared_file("uproot-HZZ-zstd.root") else {
        return;
    };
    let o = anac(&["inspect", &f.display().to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("tree `events`: 2421 entries, 51 branches"),
        "{out}"
    );
    let line = out
        .lines()
        .find(|l| l.trim_start().starts_with("Jet_Px "))
        .unwrap();
    assert!(line.contains("float[NJet]"), "{line}");
    assert!(line.to_lowercase().contains("zstd"), "{line}");
}

#[test]
fn summary_json_sizes_of_hzz_zstd() {
    let Some(f) = anac::testing::shared_file("uproot-HZZ-zstd.root") else {
        return;
    };
    let v = json_of(&anac(&[
        "inspect",
        &f.display().to_string(),
        "events",
        "--format",
        "json",
    ]));
    let b = v["trees"][0]["branches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["name"] == "Jet_Px")
        .unwrap()
        .clone();
    // uproot: branch.compressed_bytes, branch.uncompressed_bytes (fZipBytes, fTotBytes).
    assert_eq!(b["compressed_bytes"], 14826);
    assert_eq!(b["uncompressed_bytes"], 20859);
    assert_eq!(b["baskets"], 1);
    assert_eq!(b["kind"]["counter"], "NJet");
}

#[test]
fn bad_arguments_exit_2_and_bad_files_exit_1_with_a_diagnostic() {
    let Some(f) = nanoaod() else { return };
    let o = anac(&["inspect", &f, "Events", "--scan", "nJte"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty());
    let err = stderr(&o);
    assert!(err.contains("nJte") && err.contains("nJet"), "{err}");

    let o = anac(&[
        "inspect",
        &f,
        "Events",
        "--scan",
        "nJet",
        "--entries",
        "250:190",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("anac::inspect::bad-argument"),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("start 250 is after stop 190"),
        "{}",
        stderr(&o)
    );

    // A missing input file is bad input (1), as for every command.
    let o = anac(&["inspect", "/nonexistent/dir/missing.root"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("missing.root"), "{}", stderr(&o));

    let o = anac(&["inspect", &f, "NoSuchTree"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("NoSuchTree"), "{}", stderr(&o));
}

#[test]
fn a_corrupt_file_is_bad_input_exit_1() {
    let Some(f) = nanoaod() else { return };
    let bytes = std::fs::read(&f).unwrap();
    let dir = std::env::temp_dir().join(format!("anac-inspect-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("cut.root");
    std::fs::write(&bad, &bytes[..200]).unwrap();
    let o = anac(&["inspect", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("cut.root"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn scan_streams_block_by_block_and_shows_a_repeated_branch_once() {
    let Some(f) = nanoaod() else { return };
    let o = anac(&[
        "inspect",
        &f,
        "Events",
        "--scan",
        "nJet,event,nJet",
        "--format",
        "json",
    ]);
    let v = json_of(&o);
    assert_eq!(v["branches"], json!(["nJet", "event"]));
    let n = v["values"]["nJet"].as_array().expect("nJet values");
    assert_eq!(n.len(), 200);
    assert_eq!(n[0], json!(2));
    assert_eq!(v["values"]["event"][0], json!(227291401u64));
    let t = anac(&[
        "inspect",
        &f,
        "Events",
        "--scan",
        "nJet,nJet",
        "--entries",
        "0:3",
    ]);
    let text = String::from_utf8_lossy(&t.stdout);
    assert_eq!(text.matches("nJet").count(), 1, "{text}");
    assert!(text.contains("==> 3 entries [0, 3)"), "{text}");
}

#[test]
fn scan_across_blocks_equals_the_blocks_scanned_separately() {
    // 1500 entries: more than one 1024-entry block.
    let Some(f) = anac::testing::shared_file("agc-small/ttbar__nominal__0000.root") else {
        return;
    };
    let f = f.to_str().expect("utf-8").to_string();
    let scan = |range: &str| {
        let o = anac(&[
            "inspect",
            &f,
            "Events",
            "--scan",
            "nJet,Jet_pt",
            "--entries",
            range,
            "--format",
            "json",
        ]);
        json_of(&o)
    };
    let all = scan("0:1500");
    let (a, b) = (scan("0:1024"), scan("1024:1500"));
    for br in ["nJet", "Jet_pt"] {
        let mut joined = a["values"][br].as_array().expect("a").clone();
        joined.extend(b["values"][br].as_array().expect("b").iter().cloned());
        assert_eq!(all["values"][br], json!(joined), "{br}");
    }
    assert_eq!(all["values"]["nJet"].as_array().map(Vec::len), Some(1500));
}

#[test]
fn a_corrupt_compressed_block_is_described_in_words() {
    let Some(f) = nanoaod() else { return };
    let mut bytes = std::fs::read(&f).expect("read");
    // Scramble 400 bytes inside the compressed TTree metadata of this file.
    for b in &mut bytes[200_000..200_400] {
        *b ^= 0x5a;
    }
    let p = std::env::temp_dir().join(format!("anac-corrupt-{}.root", std::process::id()));
    std::fs::write(&p, &bytes).expect("write");
    let o = anac(&["inspect", p.to_str().expect("utf-8"), "Events"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    // The renderer wraps long messages: compare words.
    let words = err
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(words.contains("the compressed data is corrupt"), "{err}");
    assert!(
        !err.contains("BadData"),
        "a library's error name leaked: {err}"
    );
    let _ = std::fs::remove_file(p);
}

/// `--entries A:B` past the end of the tree reads to the end and says so (as `TTree::Scan` and
/// uproot do); Double32_t/Float16_t leaves print their values.
#[test]
fn entries_past_the_end_read_to_the_end_and_say_so() {
    let f = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/root/packed/packed.root"
    );
    let o = anac(&[
        "inspect",
        f,
        "t",
        "--scan",
        "n,d32r,j16",
        "--entries",
        "497:600",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("==> 3 entries [497, 500)"), "{out}");
    assert!(
        stderr(&o)
            .contains("goes past the end of tree `t` (500 entries): showing entries 497..500"),
        "{}",
        stderr(&o)
    );
}

/// A branch refused because the file is damaged (an inconsistent basket table, made by
/// `tests/golden/root/layouts/make_damaged.py`) is the file's problem: `--scan` of it exits 1
/// with `root::invalid-file`; the tree still opens and its intact branch scans (exit 0). A branch
/// whose layout is unsupported stays a bad argument (exit 2, `tests/exit_codes.rs`).
#[test]
fn scanning_a_damaged_branch_is_the_files_problem() {
    let f = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/root/layouts/damaged_table.root"
    );
    let o = anac(&["inspect", f, "t", "--scan", "x"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("root::invalid-file") && err.contains("basket table"),
        "{err}"
    );
    let o = anac(&["inspect", f, "t", "--scan", "y", "--entries", "0:3"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("==> 3 entries"), "{}", stdout(&o));
}

/// `inspect` lists an RNTuple with its fields, columns and clusters, and `--scan` reads its
/// fields, with values equal to uproot's (`tests/golden/rntuple/types.json`).
#[test]
fn inspect_and_scan_an_rntuple() {
    let file = "tests/golden/rntuple/types_zstd.root";
    let o = anac(&["inspect", file]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("RNTuple `t`"), "{text}");
    assert!(text.contains("hits (std::vector, 2 fields)"), "{text}");
    let o = anac(&[
        "inspect",
        file,
        "t",
        "--scan",
        "i32,vf,vvi,s,hits.e",
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let got = json_of(&o);
    let gold: Value = serde_json::from_str(
        &std::fs::read_to_string("tests/golden/rntuple/types.json").expect("golden values"),
    )
    .expect("golden JSON");
    for f in ["i32", "vf", "vvi", "s", "hits.e"] {
        assert_eq!(got["values"][f], gold[f], "field {f}");
    }
    // A misspelt field: exit 2 with a suggestion.
    let o = anac(&["inspect", file, "t", "--scan", "d_quantt"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean"), "{}", stderr(&o));
}

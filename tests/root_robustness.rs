//! Robustness of anac's ROOT reader on unusual and damaged files: it must either read every
//! tree and branch it supports or return an error that names the file — never panic, never hang.
//!
//! - Every file in `../shared/data/corpus` is opened and every supported branch read.
//! - Truncated copies (several lengths) and byte-flipped copies of four shared files are written
//!   to a temp dir and read the same way. Flip positions (file header, top directory, keys list,
//!   streamer info, TTree metadata, basket keys, basket payloads) come from
//!   `tests/golden/root/robustness/mutations.json`, located with uproot by `make_mutations.py`.
//! - A flipped byte inside a compressed basket payload must make reading that branch fail for
//!   ZLIB (the zlib stream's Adler-32 and the declared sizes), LZ4 (ROOT's xxhash64 checksum)
//!   and LZMA (the xz check). What cannot be detected, so is only reported, not asserted:
//!   flips inside ZSTD frames (ROOT writes them without a content checksum; a flipped literal
//!   decodes to a wrong value of the right size) and flips inside uncompressed payloads (ROOT
//!   stores no checksum at all; any bit pattern is a valid number).
//!
//! Each file is read on its own thread under `catch_unwind` with a time limit, so a panic or a
//! hang becomes a test failure naming the file.

#[path = "golden/root/checksum.rs"]
mod checksum;

use anac::io::root::{Column, RootFile};
use serde_json::Value;
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// Per-file time limit. Generous because tests run in debug mode on a shared machine; a hang
/// still fails.
const LIMIT: Duration = Duration::from_secs(180);

/// What reading a whole file gave: branches read (with their columns when asked for), branches
/// refused by kind, and error messages.
#[derive(Default)]
struct Outcome {
    read: usize,
    refused: usize,
    errors: Vec<String>,
    columns: BTreeMap<String, Column>,
}

/// Opens `path` and reads every supported branch of every tree. `keep` names branches whose
/// columns are returned (for comparisons).
fn exercise(path: &Path, keep: &[String]) -> Outcome {
    let mut out = Outcome::default();
    let file = match RootFile::open(path) {
        Ok(f) => f,
        Err(e) => {
            out.errors.push(e.to_string());
            return out;
        }
    };
    let names = match file.trees() {
        Ok(n) => n,
        Err(e) => {
            out.errors.push(e.to_string());
            return out;
        }
    };
    for name in names {
        let tree = match file.tree(&name) {
            Ok(t) => t,
            Err(e) => {
                out.errors.push(e.to_string());
                continue;
            }
        };
        let n = tree.entries();
        for b in tree.branches() {
            if b.kind.is_err() {
                out.refused += 1;
                continue;
            }
            match tree.read(&file, &b.name, 0..n) {
                Ok(col) => {
                    out.read += 1;
                    if keep.contains(&b.name) {
                        out.columns.insert(b.name.clone(), col);
                    }
                }
                Err(e) => out.errors.push(e.to_string()),
            }
        }
    }
    out
}

/// Runs [`exercise`] on its own thread; a panic or exceeding [`LIMIT`] becomes `Err`.
fn guarded(path: &Path, keep: &[String]) -> Result<Outcome, String> {
    let (tx, rx) = mpsc::channel();
    let p = path.to_path_buf();
    let keep = keep.to_vec();
    std::thread::spawn(move || {
        let r = catch_unwind(AssertUnwindSafe(|| exercise(&p, &keep)));
        let _ = tx.send(r.map_err(|payload| {
            payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "non-string panic".into())
        }));
    });
    match rx.recv_timeout(LIMIT) {
        Ok(Ok(o)) => Ok(o),
        Ok(Err(msg)) => Err(format!("{}: PANIC: {msg}", path.display())),
        Err(_) => Err(format!(
            "{}: no result within {LIMIT:?} (hang?)",
            path.display()
        )),
    }
}

/// Failures of the general rules: a panic, a hang, or an error message not naming the file.
fn rule_failures(path: &Path, r: &Result<Outcome, String>) -> Vec<String> {
    let fname = path.file_name().unwrap().to_string_lossy().into_owned();
    match r {
        Err(e) => vec![e.clone()],
        Ok(o) => o
            .errors
            .iter()
            .filter(|e| !e.contains(&fname))
            .map(|e| format!("{}: error does not name the file: {e}", path.display()))
            .collect(),
    }
}

#[test]
fn corpus_reads_or_refuses_without_panic() {
    let Some(dir) = anac::testing::shared_file("corpus") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "root"))
        .collect();
    files.sort();
    assert!(files.len() >= 15, "corpus has {} files", files.len());
    let mut failures = Vec::new();
    for f in &files {
        let r = guarded(f, &[]);
        if let Ok(o) = &r {
            eprintln!(
                "{}: {} branches read, {} refused, {} errors{}",
                f.file_name().unwrap().to_string_lossy(),
                o.read,
                o.refused,
                o.errors.len(),
                o.errors
                    .first()
                    .map(|e| format!(" (first: {e})"))
                    .unwrap_or_default()
            );
        }
        failures.extend(rule_failures(f, &r));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn mutations() -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/root/robustness/mutations.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("anac-robustness-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A file of the shared data, or of the repository when `rel` starts with `tests/`.
fn source(rel: &str) -> Option<PathBuf> {
    if rel.starts_with("tests/") {
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
    } else {
        anac::testing::shared_file(rel)
    }
}

/// Truncated copies at several lengths.
fn truncations(rel: &str) {
    let Some(src) = source(rel) else {
        return;
    };
    let bytes = std::fs::read(&src).unwrap();
    let n = bytes.len();
    let dir = temp_dir(&format!("truncated-{}", rel.replace('/', "_")));
    let mut failures = Vec::new();
    let mut errored = 0;
    let lengths = [
        0,
        3,
        60,
        100,
        300,
        n / 4,
        n / 2,
        3 * n / 4,
        n - 1000,
        n - 40,
        n - 1,
    ];
    for len in lengths {
        let path = dir.join(format!("truncated-{len}.root"));
        std::fs::write(&path, &bytes[..len]).unwrap();
        let r = guarded(&path, &[]);
        if r.as_ref().is_ok_and(|o| !o.errors.is_empty()) {
            errored += 1;
        }
        failures.extend(rule_failures(&path, &r));
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The first five lengths cut into the header or first records: they must all be errors.
    assert!(
        errored >= 5,
        "{rel}: only {errored} truncated copies gave an error"
    );
}

/// Byte-flipped copies at the positions in `mutations.json`.
fn flips(rel: &str) {
    let Some(src) = source(rel) else {
        return;
    };
    let spec = &mutations()[rel];
    let bytes = std::fs::read(&src).unwrap();
    assert_eq!(
        spec["size"].as_u64(),
        Some(bytes.len() as u64),
        "{rel} changed"
    );
    let branches: Vec<String> = spec["positions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["branch"].as_str().map(String::from))
        .collect();
    let pristine = guarded(&src, &branches).unwrap();
    assert!(pristine.errors.is_empty(), "{rel}: {:?}", pristine.errors);
    let tree_name = spec["tree"].as_str().unwrap();
    let file = RootFile::open(&src).unwrap();
    let tree = file.tree(tree_name).unwrap();
    let dir = temp_dir(&format!("flipped-{}", rel.replace('/', "_")));
    let mut failures = Vec::new();
    let mut undetected = Vec::new();
    // Compressed-payload flips: how many made the branch's read fail, how many were tried.
    let (mut detected, mut payload_flips) = (0usize, 0usize);
    for (i, p) in spec["positions"].as_array().unwrap().iter().enumerate() {
        let off = p["offset"].as_u64().unwrap() as usize;
        let region = p["region"].as_str().unwrap();
        let mut copy = bytes.clone();
        copy[off] ^= 0x10;
        let path = dir.join(format!("flip-{i:03}-{region}-{off}.root"));
        std::fs::write(&path, &copy).unwrap();
        let r = guarded(&path, &branches);
        failures.extend(rule_failures(&path, &r));
        let (Ok(o), Some(branch)) = (&r, p["branch"].as_str()) else {
            continue;
        };
        if region != "basket_payload" {
            continue;
        }
        let codec = p["codec"].as_str().unwrap_or("?");
        if codec != "none" {
            payload_flips += 1;
        }
        let Some(col) = o.columns.get(branch) else {
            if codec != "none" {
                detected += 1; // the read failed
            }
            continue;
        };
        let shape = tree.branch(branch).unwrap().kind.as_ref().unwrap().shape;
        let same = checksum::same_as_slice(
            &pristine.columns[branch],
            col,
            shape,
            tree.entries(),
            0..tree.entries(),
        )
        .is_ok();
        if same {
            // The flipped bit did not change the decoded values (e.g. a header byte the
            // reader does not need): harmless, reported for the record.
            eprintln!("{rel}: {codec} payload flip at {off} of {branch}: values unchanged");
            continue;
        }
        let what =
            format!("{rel}: {codec} payload of {branch} flipped at {off} returned wrong data");
        if matches!(codec, "zlib" | "lz4" | "lzma") {
            failures.push(what);
        } else {
            undetected.push(what);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    for u in &undetected {
        eprintln!("undetectable (documented): {u}");
    }
    eprintln!("{rel}: {detected} of {payload_flips} compressed-payload flips made the read fail");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The flips must really land in payloads: most of them break decompression.
    assert!(
        detected * 2 >= payload_flips,
        "{rel}: only {detected} of {payload_flips} payload flips were detected"
    );
}

#[test]
fn truncated_nanoaod() {
    truncations("nanoAOD_2015_CMS_Open_Data_ttbar.root");
}

#[test]
fn truncated_hzz_zlib() {
    truncations("uproot-HZZ-zlib.root");
}

#[test]
fn truncated_hzz_zstd() {
    truncations("uproot-HZZ-zstd.root");
}

#[test]
fn truncated_layouts_lz4() {
    truncations("rootgen/layouts_lz4.root");
}

#[test]
fn flipped_nanoaod() {
    flips("nanoAOD_2015_CMS_Open_Data_ttbar.root");
}

#[test]
fn flipped_hzz_zlib() {
    flips("uproot-HZZ-zlib.root");
}

#[test]
fn flipped_hzz_zstd() {
    flips("uproot-HZZ-zstd.root");
}

#[test]
fn flipped_layouts_lz4() {
    flips("rootgen/layouts_lz4.root");
}

/// Uncompressed baskets: flips in payloads cannot be detected (reported, not asserted); flips
/// in headers and metadata must still give errors or data, never a panic.
#[test]
fn flipped_layouts_uncompressed() {
    flips("rootgen/layouts_none.root");
}

/// A path that does not exist and a file that is not ROOT are errors naming the file.
#[test]
fn truncated_packed_floats() {
    truncations("tests/golden/root/packed/packed.root");
}

#[test]
fn missing_and_non_root_files() {
    let dir = temp_dir("nonroot");
    let missing = dir.join("no-such-file.root");
    let e = RootFile::open(&missing).expect_err("missing file must fail");
    assert!(e.to_string().contains("no-such-file.root"), "{e}");
    let text = dir.join("text-file.root");
    std::fs::write(
        &text,
        b"this is not a ROOT file at all, just some text\n".repeat(10),
    )
    .unwrap();
    let e = RootFile::open(&text).expect_err("text file must fail");
    assert!(e.to_string().contains("text-file.root"), "{e}");
    let d = e.diagnostic();
    assert!(d.is_error());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The reader reads every byte through `ByteSource`: a file given as an in-memory source reads
/// the same columns as from disk, and a source that fails mid-file gives an error naming the
/// file (never short data or a panic). Uses the toy file the repository carries.
#[test]
fn every_byte_comes_through_the_byte_source() {
    use anac::io::root::ByteSource;
    struct Memory {
        bytes: Vec<u8>,
        /// Reads touching bytes at or past this offset fail (a dropped connection).
        fail_from: u64,
    }
    impl ByteSource for Memory {
        fn size(&self) -> u64 {
            self.bytes.len() as u64
        }
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
            if offset + buf.len() as u64 > self.fail_from {
                return Err(std::io::Error::other("connection dropped"));
            }
            let o = offset as usize;
            buf.copy_from_slice(&self.bytes[o..o + buf.len()]);
            Ok(())
        }
    }
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("analyses/ttbar/toy/ttbar__nominal__0000.root");
    let bytes = std::fs::read(&path).unwrap();
    let disk = RootFile::open(&path).unwrap();
    let n = bytes.len() as u64;
    let mem = RootFile::from_source(
        path.clone(),
        Box::new(Memory {
            bytes: bytes.clone(),
            fail_from: n,
        }),
    )
    .unwrap();
    let (td, tm) = (disk.tree("Events").unwrap(), mem.tree("Events").unwrap());
    let entries = td.entries();
    for b in ["Jet_pt", "nJet", "Muon_eta"] {
        let a = td.read(&disk, b, 0..entries).unwrap();
        let m = tm.read(&mem, b, 0..entries).unwrap();
        assert_eq!(format!("{a:?}"), format!("{m:?}"), "{b}");
    }
    // Baskets sit before the metadata at the end: failing from the middle breaks basket reads.
    let half = RootFile::from_source(
        path.clone(),
        Box::new(Memory {
            bytes,
            fail_from: n / 2,
        }),
    );
    let err = match half {
        Err(e) => e.to_string(),
        Ok(f) => match f.tree("Events") {
            Err(e) => e.to_string(),
            Ok(t) => {
                let mut errs = Vec::new();
                for b in ["Jet_pt", "nJet", "Muon_eta"] {
                    if let Err(e) = t.read(&f, b, 0..entries) {
                        errs.push(e.to_string());
                    }
                }
                assert!(!errs.is_empty(), "a failing source gave no error");
                errs.join("; ")
            }
        },
    };
    assert!(
        err.contains("ttbar__nominal__0000.root") && err.contains("connection dropped"),
        "{err}"
    );
}

/// The layouts of `tests/golden/root/layouts/` (counter arrays without entry offsets,
/// zero-entry baskets, keys longer than their object, maps and bitsets, N-dimensional fixed
/// arrays), truncated at several lengths: errors naming the file or data, never a panic.
#[test]
fn truncated_new_layouts() {
    for f in [
        "no_offsets.root",
        "empty_baskets.root",
        "long_keys.root",
        "stl.root",
        "arrays.root",
    ] {
        truncations(&format!("tests/golden/root/layouts/{f}"));
    }
}

/// An in-memory copy of a file, read through `ByteSource`.
struct Memory(Vec<u8>);

impl anac::io::root::ByteSource for Memory {
    fn size(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let o = usize::try_from(offset).map_err(std::io::Error::other)?;
        let src = o
            .checked_add(buf.len())
            .and_then(|end| self.0.get(o..end))
            .ok_or_else(|| std::io::Error::other("past the end"))?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

/// Each branch of `branches` in every tree of `bytes`, read whole: `Ok(column)` or the error.
fn read_all(path: &Path, bytes: Vec<u8>, branches: &[&str]) -> Vec<Result<Column, String>> {
    let file = match RootFile::from_source(path.to_path_buf(), Box::new(Memory(bytes))) {
        Ok(f) => f,
        Err(e) => return vec![Err(e.to_string())],
    };
    let mut out = Vec::new();
    for tree_name in file.trees().unwrap_or_default() {
        let tree = match file.tree(&tree_name) {
            Ok(t) => t,
            Err(e) => {
                out.push(Err(e.to_string()));
                continue;
            }
        };
        for b in branches {
            out.push(
                tree.read(&file, b, 0..tree.entries())
                    .map_err(|e| e.to_string()),
            );
        }
    }
    out
}

/// Runs `f` on its own thread: a panic or a hang is a failure naming `what`.
fn within_limit<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
    });
    match rx.recv_timeout(LIMIT) {
        Ok(Ok(v)) => v,
        Ok(Err(_)) => panic!("{what}: PANIC"),
        Err(_) => panic!("{what}: no result within {LIMIT:?} (hang?)"),
    }
}

/// The key and basket header of each basket of `branch` in tree `tree`: (seek, key length).
fn basket_heads(path: &Path, tree: &str, branch: &str) -> Vec<(usize, usize)> {
    let bytes = std::fs::read(path).unwrap();
    let file = RootFile::open(path).unwrap();
    let t = file.tree(tree).unwrap();
    t.branch(branch)
        .unwrap()
        .baskets
        .iter()
        .filter(|k| !k.embedded)
        .map(|k| {
            let at = k.seek as usize;
            let keylen = i16::from_be_bytes([bytes[at + 14], bytes[at + 15]]);
            (at, keylen as usize)
        })
        .collect()
}

/// Counter arrays without entry offsets (`no_offsets.root`, trees `t` with aligned and `u` with
/// misaligned baskets): changing any single value of the counter `n` (by one, to -1, to
/// i32::MAX) changes its total over some basket of `x`, `d`, `b`, `p`, so reading them must fail
/// naming the branch and the file: never values of shifted or short entries given as complete.
#[test]
fn counter_mutations_make_offsetless_reads_fail() {
    let path = layouts_file("no_offsets.root");
    let failures = within_limit("counter mutations", move || {
        let bytes = std::fs::read(&path).unwrap();
        let mut failures = Vec::new();
        let mut tried = 0;
        for tree_name in ["t", "u"] {
            for (at, keylen) in basket_heads(&path, tree_name, "n") {
                let nbytes = i32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
                let count = (nbytes as usize - keylen) / 4;
                for i in 0..count {
                    let p = at + keylen + 4 * i;
                    let v = i32::from_be_bytes(bytes[p..p + 4].try_into().unwrap());
                    for new in [v + 1, -1, i32::MAX] {
                        tried += 1;
                        let mut copy = bytes.clone();
                        copy[p..p + 4].copy_from_slice(&new.to_be_bytes());
                        let file =
                            RootFile::from_source(path.clone(), Box::new(Memory(copy))).unwrap();
                        let tree = file.tree(tree_name).unwrap();
                        for b in ["x", "d", "b", "p"] {
                            match tree.read(&file, b, 0..tree.entries()) {
                                Ok(_) => failures.push(format!(
                                    "{tree_name}: n at {p} := {new}: `{b}` read without error"
                                )),
                                Err(e) => {
                                    let e = e.to_string();
                                    if !(e.contains(&format!("branch `{b}`"))
                                        && e.contains("no_offsets.root"))
                                    {
                                        failures.push(format!("{b}: error {e}"));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // 300 counter values in each tree, three changes each.
        assert_eq!(tried, 2 * 300 * 3);
        failures
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn layouts_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/root/layouts")
        .join(name)
}

/// Every byte of every basket key and basket header of the unusual-basket branches (counter
/// arrays without offsets, zero-entry baskets, keys longer than their object) flipped in turn:
/// the reads give an error or exactly the pristine values (a byte the reader does not use, such
/// as the key's date), never other data, a panic or a hang.
#[test]
fn basket_header_flips_give_errors_or_pristine_values() {
    let cases: &[(&str, &str, &[&str])] = &[
        ("no_offsets.root", "u", &["x", "n"]),
        ("empty_baskets.root", "t", &["x", "a", "z"]),
        ("long_keys.root", "t", &["x", "z"]),
    ];
    for &(name, tree_name, branches) in cases {
        let path = layouts_file(name);
        let branches: Vec<&'static str> = branches.to_vec();
        let failures = within_limit(name, move || {
            let bytes = std::fs::read(&path).unwrap();
            let pristine = read_all(&path, bytes.clone(), &branches);
            assert!(pristine.iter().all(|r| r.is_ok()), "{pristine:?}");
            let mut failures = Vec::new();
            let mut errors = 0;
            for b in &branches {
                for (at, keylen) in basket_heads(&path, tree_name, b) {
                    // The key, then fVersion, fBufferSize, fNevBufSize, fNevBuf, fLast, flag.
                    for p in at..at + keylen {
                        let mut copy = bytes.clone();
                        copy[p] ^= 0x10;
                        let got = read_all(&path, copy, &branches);
                        for (r, want) in got.iter().zip(&pristine) {
                            match (r, want) {
                                (Err(e), _) if e.contains(name) => errors += 1,
                                (Err(e), _) => failures.push(format!("error without file: {e}")),
                                (Ok(c), Ok(w)) if c == w => {}
                                (Ok(_), _) => failures.push(format!(
                                    "{name}: flip at {p} (basket of `{b}` at {at}) gave other data"
                                )),
                            }
                        }
                    }
                }
            }
            assert!(errors > 0, "{name}: no flip gave an error");
            failures
        });
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

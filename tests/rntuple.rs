//! The RNTuple reader (`anac::io::rntuple`) against uproot 5.7.7 and against anac's own TTree
//! reader.
//!
//! - `tests/golden/rntuple/types_{zlib,lz4,lzma,zstd,none}.root` (committed, ~15-30 kB each,
//!   made by `make_rntuple_files.py` there with PyROOT 6.40): every supported field type,
//!   clusters of 13 entries, small pages; `types.json` is uproot's reading of them
//!   (`dump_uproot.py`; the five files hold the same values). Every field is compared value by
//!   value (floats bitwise) over the full range and over sub-ranges crossing clusters. Where
//!   uproot and ROOT disagree (doubles stored quantized; a field switching column
//!   representations) ROOT's own reading is the reference (`root_reads.json`).
//! - `extra.root`: suppressed column representations, fields added while writing (deferred
//!   columns), std::optional/tuple/atomic, projected fields; std::variant and std::bitset are
//!   listed as unsupported.
//! - The NanoAOD sample of `../shared/data` converted by RNTupleImporter in the test
//!   (`make_nanoaod_rntuple.py`, needs python3 with ROOT): its schema equals the TTree's, every
//!   branch reads equal to the TTree's, and some fields equal uproot's reading of the RNTuple.
//!   Likewise the `std::vector`-branch sample (`poet_ttbar_vector.root`, tree `events`).
//! - Corrupted and truncated copies: an error naming the file, never a panic.
//!
//! Without `../shared/data` or python3 + ROOT + uproot the two import tests are skipped with a
//! printed reason, except under `CI=true`, where it fails.

use anac::io::rntuple::{RNTuple, is_rntuple_class};
use anac::io::root::{ByteSource, Column, ColumnValues, RootFile, Scratch};
use anac::io::schema::{CollectionLayout, Shape, TreeSchema};
use serde_json::Value;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

const CODECS: [&str; 5] = ["zlib", "lz4", "lzma", "zstd", "none"];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/rntuple")
}

/// uproot's values of the type files, with ROOT's own reading where they differ
/// (`root_reads.json`: `d_quant`, doubles stored as Real32Quant, which uproot rounds to float).
fn golden() -> serde_json::Map<String, Value> {
    let text = std::fs::read_to_string(golden_dir().join("types.json")).unwrap();
    let mut m = match serde_json::from_str(&text).unwrap() {
        Value::Object(m) => m,
        _ => panic!("types.json is not an object"),
    };
    let root = root_reads();
    m.insert("d_quant".to_string(), root["t:d_quant"].clone());
    m
}

fn root_reads() -> Value {
    let text = std::fs::read_to_string(golden_dir().join("root_reads.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// One value of a column as JSON (floats widened exactly to f64).
fn value_at(v: &ColumnValues, i: usize) -> Value {
    match v {
        ColumnValues::Bool(x) => Value::from(x[i]),
        ColumnValues::I8(x) => Value::from(x[i]),
        ColumnValues::U8(x) => Value::from(x[i]),
        ColumnValues::I16(x) => Value::from(x[i]),
        ColumnValues::U16(x) => Value::from(x[i]),
        ColumnValues::I32(x) => Value::from(x[i]),
        ColumnValues::U32(x) => Value::from(x[i]),
        ColumnValues::I64(x) => Value::from(x[i]),
        ColumnValues::U64(x) => Value::from(x[i]),
        ColumnValues::F32(x) => Value::from(x[i] as f64),
        ColumnValues::F64(x) => Value::from(x[i]),
        ColumnValues::Str { offsets, bytes } => Value::from(
            std::str::from_utf8(&bytes[offsets[i] as usize..offsets[i + 1] as usize]).unwrap(),
        ),
    }
}

/// A column as per-entry JSON values, following its shape.
fn to_json(col: &Column, shape: Shape, n: usize) -> Vec<Value> {
    let list = |r: Range<usize>| Value::Array(r.map(|i| value_at(&col.values, i)).collect());
    match shape {
        Shape::Scalar => {
            assert!(col.offsets.is_none());
            (0..n).map(|i| value_at(&col.values, i)).collect()
        }
        Shape::Fixed(k) => {
            assert!(col.offsets.is_none());
            assert_eq!(col.values.len(), n * k);
            (0..n).map(|i| list(i * k..(i + 1) * k)).collect()
        }
        Shape::Jagged => {
            let o = col.offsets.as_ref().expect("jagged offsets");
            assert_eq!(o.len(), n + 1);
            assert_eq!(o[0], 0);
            assert_eq!(*o.last().unwrap() as usize, col.values.len());
            o.windows(2)
                .map(|w| list(w[0] as usize..w[1] as usize))
                .collect()
        }
        Shape::Jagged2 => {
            let o = col.offsets.as_ref().expect("outer offsets");
            let inner = col.inner_offsets.as_ref().expect("inner offsets");
            assert_eq!(o.len(), n + 1);
            assert_eq!(o[0], 0);
            assert_eq!(inner[0], 0);
            assert_eq!(*o.last().unwrap() as usize + 1, inner.len());
            assert_eq!(*inner.last().unwrap() as usize, col.values.len());
            o.windows(2)
                .map(|w| {
                    Value::Array(
                        (w[0] as usize..w[1] as usize)
                            .map(|j| list(inner[j] as usize..inner[j + 1] as usize))
                            .collect(),
                    )
                })
                .collect()
        }
    }
}

/// Exact equality: floats bit for bit, integers by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Number(x), Value::Number(y)) => {
            if x.is_f64() || y.is_f64() {
                x.as_f64().map(f64::to_bits) == y.as_f64().map(f64::to_bits)
            } else {
                x.as_i64() == y.as_i64() && x.as_u64() == y.as_u64()
            }
        }
        _ => a == b,
    }
}

/// Shape and type of `name` as the schema exposes it (a per-event branch or a collection
/// field, looked up by its `branch` string).
fn shape_of(schema: &TreeSchema, name: &str) -> Option<Shape> {
    schema
        .branches
        .iter()
        .chain(schema.collections.iter().flat_map(|c| c.fields.iter()))
        .find(|f| f.branch == name)
        .map(|f| f.shape)
}

const RANGES: [Range<u64>; 9] = [
    0..50,
    5..31,
    12..14,
    13..26,
    25..25,
    49..50,
    1..49,
    0..1,
    38..50,
];

#[test]
fn every_field_of_every_codec_reads_as_uproot_reads_it() {
    let golden = golden();
    assert!(golden.len() > 30, "golden values for every field");
    let mut scratch = Scratch::default();
    let mut col = Column::default();
    for codec in CODECS {
        let path = golden_dir().join(format!("types_{codec}.root"));
        let file = RootFile::open(&path).unwrap();
        let keys = file.keys().unwrap();
        assert!(keys.iter().any(|k| is_rntuple_class(&k.class_name)));
        let rnt = RNTuple::open(&file, "t").unwrap_or_else(|e| panic!("{codec}: {e}"));
        assert_eq!(rnt.name(), "t");
        assert_eq!(rnt.entries(), 50);
        assert_eq!(
            rnt.clusters(),
            vec![0..13, 13..26, 26..39, 39..50],
            "{codec}: clusters of 13"
        );
        let schema = rnt.schema();
        assert!(
            schema.unsupported.is_empty(),
            "{codec}: {:?}",
            schema.unsupported
        );
        for (name, want) in &golden {
            let shape = shape_of(&schema, name)
                .unwrap_or_else(|| panic!("{codec}: `{name}` not in schema"));
            let want = want.as_array().unwrap();
            assert_eq!(want.len(), 50);
            for r in RANGES {
                rnt.read_into(&file, name, r.clone(), &mut col, &mut scratch)
                    .unwrap_or_else(|e| panic!("{codec}: {name} {r:?}: {e}"));
                let got = to_json(&col, shape, (r.end - r.start) as usize);
                let want = &want[r.start as usize..r.end as usize];
                for (i, (g, w)) in got.iter().zip(want).enumerate() {
                    assert!(
                        same(g, w),
                        "{codec}: `{name}` entry {} of {r:?}: anac {g}, uproot {w}",
                        r.start as usize + i
                    );
                }
            }
        }
        // Every readable name of the schema is in the golden values.
        for f in schema
            .branches
            .iter()
            .chain(schema.collections.iter().flat_map(|c| c.fields.iter()))
        {
            assert!(
                golden.contains_key(&f.branch),
                "{codec}: `{}` has no golden",
                f.branch
            );
        }
    }
}

#[test]
fn schema_of_the_type_files() {
    let file = RootFile::open(golden_dir().join("types_zstd.root")).unwrap();
    let rnt = RNTuple::open(&file, "t").unwrap();
    let s = rnt.schema();
    let hits = s
        .collection("hits")
        .expect("vector of records is a collection");
    assert_eq!(hits.layout, CollectionLayout::Vector);
    let names: Vec<&str> = hits.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["e", "id"]);
    assert_eq!(hits.fields[0].branch, "hits.e");
    let b = |n: &str| s.branch(n).unwrap_or_else(|| panic!("branch {n}"));
    assert_eq!(b("pt.x").shape, Shape::Scalar);
    assert_eq!(b("pr._1").ty, anac::io::schema::ScalarType::I32);
    assert_eq!(b("arr").shape, Shape::Fixed(3));
    assert_eq!(b("vvf").shape, Shape::Jagged2);
    assert_eq!(b("vf").shape, Shape::Jagged);
    assert_eq!(b("s").ty, anac::io::schema::ScalarType::Str);
    assert_eq!(b("vs").shape, Shape::Jagged);
    assert_eq!(b("f_half").ty, anac::io::schema::ScalarType::F32);
    assert_eq!(b("d_half").ty, anac::io::schema::ScalarType::F64);
    // Records are read through their members; unknown names are NotFound.
    let mut col = Column::default();
    let mut scratch = Scratch::default();
    for bad in ["pt", "nope", "pt.nope", "vf.x"] {
        let e = rnt
            .read_into(&file, bad, 0..5, &mut col, &mut scratch)
            .unwrap_err();
        assert!(e.to_string().contains("types_zstd.root"), "{e}");
    }
    let e = rnt
        .read_into(&file, "vf", 10..51, &mut col, &mut scratch)
        .unwrap_err();
    assert!(e.to_string().contains("outside"), "{e}");
    // describe: fields, column encodings, clusters and pages.
    let d = rnt.describe();
    for want in [
        "hits",
        "std::vector<AnacHit>",
        "SplitReal32",
        "SplitIndex32",
        "Real32Quant",
        "Real32Trunc",
        "Real16",
        "clusters (4)",
        "entries 13..26",
        "pages",
    ] {
        assert!(d.contains(want), "describe lacks {want}:\n{d}");
    }
    // A TTree name is not an RNTuple; a missing one is NotFound.
    assert!(RNTuple::open(&file, "missing").is_err());
    assert!(is_rntuple_class("ROOT::RNTuple"));
    assert!(!is_rntuple_class("TTree"));
}

/// A byte source over a file that logs every read.
struct Logged {
    bytes: Vec<u8>,
    log: Arc<Mutex<Vec<Range<u64>>>>,
}

impl ByteSource for Logged {
    fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let end = offset as usize + buf.len();
        self.log.lock().unwrap().push(offset..end as u64);
        buf.copy_from_slice(&self.bytes[offset as usize..end]);
        Ok(())
    }
}

#[test]
fn byte_ranges_cover_every_page_read() {
    let path = golden_dir().join("types_lz4.root");
    let log = Arc::new(Mutex::new(Vec::new()));
    let src = Logged {
        bytes: std::fs::read(&path).unwrap(),
        log: log.clone(),
    };
    let file = RootFile::from_source(path.clone(), Box::new(src)).unwrap();
    let rnt = RNTuple::open(&file, "t").unwrap();
    let names = ["vf", "hits.e", "s", "pt.x", "vvf"];
    for r in [0..50u64, 14..27, 40..41] {
        let ranges = rnt.byte_ranges(&names, r.clone());
        assert!(!ranges.is_empty());
        for w in ranges.windows(2) {
            assert!(w[0].end < w[1].start, "sorted and merged: {ranges:?}");
        }
        log.lock().unwrap().clear();
        let mut col = Column::default();
        let mut scratch = Scratch::default();
        for n in names {
            rnt.read_into(&file, n, r.clone(), &mut col, &mut scratch)
                .unwrap();
        }
        for read in log.lock().unwrap().iter() {
            assert!(
                ranges
                    .iter()
                    .any(|g| g.start <= read.start && read.end <= g.end),
                "read {read:?} outside the prefetch ranges {ranges:?}"
            );
        }
    }
}

/// Opens and reads everything; an error must name the file. Panics propagate.
fn read_all(path: &Path, ntuple: &str) -> Result<(), String> {
    let named = |e: anac::io::root::RootError| {
        let s = e.to_string();
        assert!(
            s.contains(&path.display().to_string()),
            "error does not name the file: {s}"
        );
        s
    };
    let file = RootFile::open(path).map_err(named)?;
    let rnt = RNTuple::open(&file, ntuple).map_err(named)?;
    let schema = rnt.schema();
    let mut col = Column::default();
    let mut scratch = Scratch::default();
    let n = rnt.entries();
    let _ = rnt.describe();
    let _ = rnt.byte_ranges(&["vf", "s"], 0..n);
    for f in schema
        .branches
        .iter()
        .chain(schema.collections.iter().flat_map(|c| c.fields.iter()))
    {
        rnt.read_into(&file, &f.branch, 0..n, &mut col, &mut scratch)
            .map_err(named)?;
    }
    Ok(())
}

#[test]
fn corrupt_and_truncated_files_are_errors_naming_the_file() {
    let dir = tempfile_dir("rntuple-corrupt");
    for (codec, ntuple) in [("zstd", "t"), ("none", "t"), ("extra", "extra")] {
        let name = match codec {
            "extra" => "extra.root".to_string(),
            _ => format!("types_{codec}.root"),
        };
        let original = std::fs::read(golden_dir().join(name)).unwrap();
        let len = original.len();
        let path = dir.join(format!("mutated_{codec}.root"));
        let mut errors = 0;
        let mut cases = 0;
        // Byte flips everywhere (denser at the end: footer, page lists, anchor, keys).
        let positions: Vec<usize> = (0..len)
            .step_by(if codec == "none" { 37 } else { 17 })
            .chain(len.saturating_sub(700)..len)
            .collect();
        for &pos in &positions {
            for flip in [0x01u8, 0xff] {
                let mut bytes = original.clone();
                bytes[pos] ^= flip;
                std::fs::write(&path, &bytes).unwrap();
                cases += 1;
                let r = std::panic::catch_unwind(|| read_all(&path, ntuple));
                match r {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => errors += 1,
                    Err(_) => panic!("{codec}: flipping byte {pos} with {flip:#x} panics"),
                }
            }
        }
        // Truncations (the file's tail past the RNTuple's data — free segments, streamer info
        // — is not needed to read it, so a cut there may still read).
        for cut in (0..len).step_by(97).chain(len - 200..len) {
            std::fs::write(&path, &original[..cut]).unwrap();
            cases += 1;
            match std::panic::catch_unwind(|| read_all(&path, ntuple)) {
                Ok(Ok(())) => assert!(cut > len / 2, "{codec}: cut at {cut} reads"),
                Ok(Err(_)) => errors += 1,
                Err(_) => panic!("{codec}: the file cut at {cut} bytes panics"),
            }
        }
        assert!(
            errors > cases / 4,
            "{codec}: only {errors} of {cases} mutations noticed"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("anac-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `true` when python3 has ROOT and uproot; otherwise skips (or fails under `CI=true`).
fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import ROOT, uproot, awkward"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but python3 with ROOT, uproot and awkward is not available");
        }
        eprintln!(
            "skipping: python3 with ROOT and uproot is not available \
             (pip install root==0.1a12 uproot==5.7.7 awkward==2.14.0)"
        );
    }
    ok
}

fn python(args: &[&str]) {
    let out = Command::new("python3").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "python3 {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn columns_equal(a: &Column, b: &Column) -> bool {
    let bits = |v: &ColumnValues| -> Option<Vec<u64>> {
        match v {
            ColumnValues::F32(x) => Some(x.iter().map(|f| f.to_bits() as u64).collect()),
            ColumnValues::F64(x) => Some(x.iter().map(|f| f.to_bits()).collect()),
            _ => None,
        }
    };
    let values = match (bits(&a.values), bits(&b.values)) {
        (Some(x), Some(y)) => x == y && a.values.scalar_type() == b.values.scalar_type(),
        _ => a.values == b.values,
    };
    values && a.offsets == b.offsets && a.inner_offsets == b.inner_offsets
}

#[test]
fn nanoaod_imported_by_rntuple_importer_reads_as_the_ttree() {
    let Some(src) = anac::testing::shared_file("nanoAOD_2015_CMS_Open_Data_ttbar.root") else {
        return;
    };
    if !python_ready() {
        return;
    }
    let dir = tempfile_dir("rntuple-nano");
    let script = golden_dir().join("make_nanoaod_rntuple.py");
    python(&[
        script.to_str().unwrap(),
        src.to_str().unwrap(),
        dir.to_str().unwrap(),
    ]);
    let rpath = dir.join("nanoAOD_rntuple.root");
    let tfile = RootFile::open(&src).unwrap();
    let tree = tfile.tree("Events").unwrap();
    let rfile = RootFile::open(&rpath).unwrap();
    let rnt = RNTuple::open(&rfile, "Events").unwrap();
    assert_eq!(rnt.entries(), tree.entries());
    assert!(
        rnt.clusters().len() > 3,
        "small clusters: {:?}",
        rnt.clusters()
    );

    // The schema: the same collections (Counter `nJet` ...) and branches as the TTree's.
    let ts = tree.schema();
    let rs = rnt.schema();
    assert!(rs.unsupported.is_empty(), "{:?}", rs.unsupported);
    let jet = rs.collection("Jet").expect("collection Jet");
    assert_eq!(
        jet.layout,
        CollectionLayout::Counter {
            branch: "nJet".to_string()
        }
    );
    assert!(jet.field("pt").is_some());
    assert_eq!(rs.collections, ts.collections);
    assert_eq!(rs.branches, ts.branches);
    assert!(rs.branch("MET_pt").is_some() && rs.branch("run").is_some());

    // Every branch and collection field reads as the TTree's, over ranges crossing clusters.
    let clusters = rnt.clusters();
    let n = rnt.entries();
    let ranges = [
        0..n,
        1..n - 1,
        clusters[1].start - 3..clusters[3].start + 2,
        57..58,
    ];
    let mut scratch = Scratch::default();
    let (mut a, mut b) = (Column::default(), Column::default());
    let mut counters = 0;
    for f in rs
        .branches
        .iter()
        .chain(rs.collections.iter().flat_map(|c| c.fields.iter()))
    {
        for r in &ranges {
            rnt.read_into(&rfile, &f.branch, r.clone(), &mut a, &mut scratch)
                .unwrap_or_else(|e| panic!("{}: {e}", f.branch));
            tree.read_into(&tfile, &f.branch, r.clone(), &mut b, &mut scratch)
                .unwrap();
            assert!(columns_equal(&a, &b), "`{}` {r:?} differs", f.branch);
        }
        counters += 1;
    }
    assert!(counters > 500, "{counters} fields compared");
    for c in &rs.collections {
        if let CollectionLayout::Counter { branch } = &c.layout {
            rnt.read_into(&rfile, branch, 0..n, &mut a, &mut scratch)
                .unwrap();
            assert!(matches!(a.values, ColumnValues::U32(_)), "{branch}");
        }
    }

    // And some fields as uproot reads the RNTuple.
    let json = dir.join("nano.json");
    let fields = [
        "run",
        "event",
        "nJet",
        "Jet_pt",
        "Jet_eta",
        "Jet_jetId",
        "nMuon",
        "Muon_pt",
        "Muon_charge",
        "Electron_pt",
        "MET_pt",
        "HLT_IsoMu17_eta2p1",
        "Flag_HBHENoiseFilter",
        "PV_npvs",
        "Jet_btagDeepB",
    ];
    let mut args = vec![
        golden_dir()
            .join("dump_uproot.py")
            .to_str()
            .unwrap()
            .to_string(),
        rpath.to_str().unwrap().to_string(),
        "Events".to_string(),
        json.to_str().unwrap().to_string(),
    ];
    args.extend(fields.iter().map(|s| s.to_string()));
    python(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let golden: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    for name in fields {
        let shape = shape_of(&rs, name).unwrap_or_else(|| panic!("{name} not in schema"));
        rnt.read_into(&rfile, name, 0..n, &mut a, &mut scratch)
            .unwrap();
        let got = to_json(&a, shape, n as usize);
        let want = golden[name].as_array().unwrap();
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(same(g, w), "`{name}` entry {i}: anac {g}, uproot {w}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn deferred_suppressed_projected_and_std_types_read_as_written() {
    let dir = golden_dir();
    let text = std::fs::read_to_string(dir.join("extra.json")).unwrap();
    let golden: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
    let file = RootFile::open(dir.join("extra.root")).unwrap();
    let rnt = RNTuple::open(&file, "extra").unwrap();
    assert_eq!(rnt.entries(), 40);
    assert_eq!(rnt.clusters().len(), 4);
    let schema = rnt.schema();
    let refused: Vec<&str> = schema
        .unsupported
        .iter()
        .map(|u| u.branch.as_str())
        .collect();
    assert_eq!(refused, ["bits", "var"], "{:?}", schema.unsupported);
    assert!(schema.unsupported[1].reason.contains("variant"));
    let mut col = Column::default();
    let mut scratch = Scratch::default();
    for (name, want) in &golden {
        let shape = shape_of(&schema, name).unwrap_or_else(|| panic!("`{name}` not in schema"));
        let want: Vec<Value> = want
            .as_array()
            .unwrap()
            .iter()
            .map(|w| match (shape, w) {
                // std::optional reads as a list of zero or one element.
                (Shape::Jagged, Value::Null) => Value::Array(vec![]),
                (Shape::Jagged, Value::Array(_)) => w.clone(),
                (Shape::Jagged, _) => Value::Array(vec![w.clone()]),
                _ => w.clone(),
            })
            .collect();
        for r in [0..40u64, 15..19, 9..31, 17..18, 0..17, 33..40] {
            rnt.read_into(&file, name, r.clone(), &mut col, &mut scratch)
                .unwrap_or_else(|e| panic!("{name} {r:?}: {e}"));
            let got = to_json(&col, shape, (r.end - r.start) as usize);
            for (i, (g, w)) in got.iter().zip(&want[r.start as usize..]).enumerate() {
                assert!(
                    same(g, w),
                    "`{name}` entry {}: anac {g}, uproot {w}",
                    r.start as usize + i
                );
            }
        }
    }
    assert_eq!(shape_of(&schema, "nst"), Some(Shape::Scalar));
    assert_eq!(shape_of(&schema, "tup._2"), Some(Shape::Scalar));
    // Two representations switching per cluster (the other one suppressed): as ROOT reads it
    // (uproot 5.7.7 misreads the Real16 clusters), which is what was written, 0.75 i - 3.
    rnt.read_into(&file, "multi", 0..40, &mut col, &mut scratch)
        .unwrap();
    let ColumnValues::F32(v) = &col.values else {
        panic!("{:?}", col.values)
    };
    let want: Vec<f32> = (0..40).map(|i| i as f32 * 0.75 - 3.0).collect();
    assert_eq!(v, &want);
    let root: Vec<f32> = root_reads()["extra:multi"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(v, &root);
    let d = rnt.describe();
    assert!(
        d.contains("Real16") && d.contains("projected from field"),
        "{d}"
    );
}

#[test]
fn vector_branch_tree_imported_by_rntuple_importer_reads_as_the_ttree() {
    // `std::vector` branches sharing a prefix (`jet_pt`, `jet_eta`) are collections in the
    // TTree's schema; the RNTuple copy (top-level std::vector fields) has the same schema.
    let Some(src) = anac::testing::shared_file("poet_ttbar_vector.root") else {
        return;
    };
    if !python_ready() {
        return;
    }
    let dir = tempfile_dir("rntuple-poet");
    let script = golden_dir().join("make_nanoaod_rntuple.py");
    python(&[
        script.to_str().unwrap(),
        src.to_str().unwrap(),
        dir.to_str().unwrap(),
        "events",
        "poet_rntuple.root",
    ]);
    let tfile = RootFile::open(&src).unwrap();
    let tree = tfile.tree("events").unwrap();
    let rfile = RootFile::open(dir.join("poet_rntuple.root")).unwrap();
    let rnt = RNTuple::open(&rfile, "events").unwrap();
    let (ts, rs) = (tree.schema(), rnt.schema());
    assert_eq!(rs.collections, ts.collections);
    assert_eq!(rs.branches, ts.branches);
    let jet = rs.collection("jet").expect("collection jet");
    assert_eq!(jet.layout, CollectionLayout::Vector);
    let n = rnt.entries();
    let mut scratch = Scratch::default();
    let (mut a, mut b) = (Column::default(), Column::default());
    for f in rs
        .branches
        .iter()
        .chain(rs.collections.iter().flat_map(|c| c.fields.iter()))
    {
        for r in [0..n, 333..1001] {
            rnt.read_into(&rfile, &f.branch, r.clone(), &mut a, &mut scratch)
                .unwrap_or_else(|e| panic!("{}: {e}", f.branch));
            tree.read_into(&tfile, &f.branch, r.clone(), &mut b, &mut scratch)
                .unwrap();
            assert!(columns_equal(&a, &b), "`{}` {r:?} differs", f.branch);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

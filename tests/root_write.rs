//! anac's ROOT writer, checked against real readers: files written here are read back by uproot
//! and by ROOT (PyROOT) in `tests/scripts/check_root_write.py`, which compares every bin, statistic,
//! title and tree value with the expectations this test passes as JSON, and fails if ROOT prints
//! any warning while reading.
//!
//! Without python3 + uproot + PyROOT the cross-check is skipped with a printed reason, except under
//! `CI=true`, where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use anac::io::root::write::*;
use serde_json::{Value, json};

/// A deterministic pseudo-random sequence (the test must not depend on a seed source).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.next().max(1e-12), self.next());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

fn edges(a: &Axis) -> Vec<f64> {
    match &a.edges {
        AxisEdges::Regular { n, low, high } => (0..=*n)
            .map(|i| low + (high - low) * i as f64 / *n as f64)
            .collect(),
        AxisEdges::Variable(e) => e.clone(),
    }
}

/// ROOT's bin index along one axis: 0 underflow, 1..=n, n+1 overflow.
fn find_bin(a: &Axis, x: f64) -> usize {
    let e = edges(a);
    if x < e[0] {
        0
    } else if x >= e[e.len() - 1] {
        e.len()
    } else {
        e.windows(2).position(|w| x >= w[0] && x < w[1]).unwrap() + 1
    }
}

fn axis(edges: AxisEdges, title: &str) -> Axis {
    Axis {
        edges,
        title: title.into(),
        labels: Vec::new(),
    }
}

/// Fills a TH1D the way ROOT does: flow bins get contents, statistics count in-range fills only.
fn fill1(h: &mut Hist1D, x: f64, w: f64) {
    let b = find_bin(&h.x, x);
    h.sumw[b] += w;
    if !h.sumw2.is_empty() {
        h.sumw2[b] += w * w;
    }
    h.entries += 1.0;
    if b >= 1 && b <= h.x.bins() {
        h.tsumw += w;
        h.tsumw2 += w * w;
        h.tsumwx += w * x;
        h.tsumwx2 += w * x * x;
    }
}

fn fill2(h: &mut Hist2D, x: f64, y: f64, w: f64) {
    let (bx, by) = (find_bin(&h.x, x), find_bin(&h.y, y));
    let cell = bx + (h.x.bins() + 2) * by;
    h.sumw[cell] += w;
    if !h.sumw2.is_empty() {
        h.sumw2[cell] += w * w;
    }
    h.entries += 1.0;
    if (1..=h.x.bins()).contains(&bx) && (1..=h.y.bins()).contains(&by) {
        h.tsumw += w;
        h.tsumw2 += w * w;
        h.tsumwx += w * x;
        h.tsumwx2 += w * x * x;
        h.tsumwy += w * y;
        h.tsumwy2 += w * y * y;
        h.tsumwxy += w * x * y;
    }
}

fn mean_std(sw: f64, swx: f64, swx2: f64) -> (f64, f64) {
    let m = swx / sw;
    (m, (swx2 / sw - m * m).abs().sqrt())
}

fn hist1(name: &str, x: Axis, weighted: bool) -> Hist1D {
    let n = x.bins() + 2;
    Hist1D {
        name: name.into(),
        title: format!("{name} title"),
        x,
        sumw: vec![0.0; n],
        sumw2: if weighted { vec![0.0; n] } else { vec![] },
        entries: 0.0,
        tsumw: 0.0,
        tsumw2: 0.0,
        tsumwx: 0.0,
        tsumwx2: 0.0,
    }
}

fn expect_hist1(h: &Hist1D) -> Value {
    let (m, s) = mean_std(h.tsumw, h.tsumwx, h.tsumwx2);
    json!({"name": h.name, "title": h.title, "kind": "TH1D",
        "x": {"edges": edges(&h.x), "title": h.x.title},
        "values": h.sumw, "variances": (!h.sumw2.is_empty()).then(|| h.sumw2.clone()),
        "entries": h.entries, "tsumw": h.tsumw, "tsumw2": h.tsumw2, "tsumwx": h.tsumwx,
        "tsumwx2": h.tsumwx2, "mean": [m], "std": [s]})
}

fn expect_hist2(h: &Hist2D) -> Value {
    let (mx, sx) = mean_std(h.tsumw, h.tsumwx, h.tsumwx2);
    let (my, sy) = mean_std(h.tsumw, h.tsumwy, h.tsumwy2);
    json!({"name": h.name, "title": h.title, "kind": "TH2D",
        "x": {"edges": edges(&h.x), "title": h.x.title},
        "y": {"edges": edges(&h.y), "title": h.y.title},
        "values": h.sumw, "variances": (!h.sumw2.is_empty()).then(|| h.sumw2.clone()),
        "entries": h.entries, "tsumw": h.tsumw, "tsumw2": h.tsumw2, "tsumwx": h.tsumwx,
        "tsumwx2": h.tsumwx2, "tsumwy": h.tsumwy, "tsumwy2": h.tsumwy2, "tsumwxy": h.tsumwxy,
        "mean": [mx, my], "std": [sx, sy]})
}

fn column_json(c: &Column) -> (Value, &'static str) {
    match c {
        Column::Bool(v) => (json!(v), "bool"),
        Column::I8(v) => (json!(v), "i8"),
        Column::U8(v) => (json!(v), "u8"),
        Column::I16(v) => (json!(v), "i16"),
        Column::U16(v) => (json!(v), "u16"),
        Column::I32(v) => (json!(v), "i32"),
        Column::U32(v) => (json!(v), "u32"),
        Column::I64(v) => (json!(v), "i64"),
        Column::U64(v) => (json!(v), "u64"),
        Column::F32(v) => (
            json!(v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>()),
            "f32",
        ),
        Column::F64(v) => (json!(v), "f64"),
    }
}

fn expect_tree(t: &Tree, entries: usize, baskets: usize) -> Value {
    let counts = |name: &str| -> Vec<u64> {
        let b = t.branches.iter().find(|b| b.name == name).unwrap();
        match &b.data {
            BranchData::Scalar(Column::U32(v)) => v.iter().map(|&x| u64::from(x)).collect(),
            BranchData::Scalar(Column::I32(v)) => v.iter().map(|&x| x as u64).collect(),
            other => panic!("test counters are u32/i32, got {other:?}"),
        }
    };
    let branches: Vec<Value> = t
        .branches
        .iter()
        .map(|b| match &b.data {
            BranchData::Scalar(c) => {
                let (values, ty) = column_json(c);
                json!({"name": b.name, "kind": "scalar", "type": ty, "counter": null,
                    "values": values})
            }
            BranchData::Counted { counter, values } => {
                let (values, ty) = column_json(values);
                json!({"name": b.name, "kind": "counted", "type": ty, "counter": counter,
                    "values": values, "counts": counts(counter)})
            }
            BranchData::Vector { lengths, values } => {
                let (values, ty) = column_json(values);
                json!({"name": b.name, "kind": "vector", "type": ty, "counter": null,
                    "values": values, "counts": lengths})
            }
        })
        .collect();
    json!({"name": t.name, "title": t.title, "entries": entries, "baskets": baskets,
        "branches": branches})
}

fn scalar(name: &str, c: Column) -> Branch {
    Branch {
        name: name.into(),
        data: BranchData::Scalar(c),
    }
}

fn counted(name: &str, counter: &str, c: Column) -> Branch {
    Branch {
        name: name.into(),
        data: BranchData::Counted {
            counter: counter.into(),
            values: c,
        },
    }
}

fn vector(name: &str, lengths: &[usize], c: Column) -> Branch {
    Branch {
        name: name.into(),
        data: BranchData::Vector {
            lengths: lengths.to_vec(),
            values: c,
        },
    }
}

/// A file with three histograms and a small tree holding every scalar type.
fn write_small_file(path: &Path) -> Value {
    let mut r = Lcg(7);
    let mut h_reg = hist1(
        "h_pt",
        axis(
            AxisEdges::Regular {
                n: 20,
                low: 0.0,
                high: 200.0,
            },
            "p_{T} [GeV]",
        ),
        true,
    );
    let mut h_var = hist1(
        "h_var",
        axis(AxisEdges::Variable(vec![-2.5, -1.0, 0.0, 0.5, 2.5]), "#eta"),
        false,
    );
    let x2 = axis(AxisEdges::Variable(vec![0.0, 1.0, 2.5, 3.0]), "mass");
    let y2 = axis(
        AxisEdges::Regular {
            n: 4,
            low: -1.0,
            high: 1.0,
        },
        "y",
    );
    let cells = (x2.bins() + 2) * (y2.bins() + 2);
    let mut h2 = Hist2D {
        name: "h2".into(),
        title: "two dimensions".into(),
        x: x2,
        y: y2,
        sumw: vec![0.0; cells],
        sumw2: vec![0.0; cells],
        entries: 0.0,
        tsumw: 0.0,
        tsumw2: 0.0,
        tsumwx: 0.0,
        tsumwx2: 0.0,
        tsumwy: 0.0,
        tsumwy2: 0.0,
        tsumwxy: 0.0,
    };
    for _ in 0..500 {
        // Values reach past both ends, so flow bins are filled too.
        let w = 0.5 + r.next();
        fill1(&mut h_reg, 90.0 + 60.0 * r.normal(), w);
        fill1(&mut h_var, 1.3 * r.normal(), 1.0);
        fill2(&mut h2, 1.5 + r.normal(), 0.6 * r.normal(), w);
    }
    assert!(
        h_reg.sumw[0] > 0.0 && h_reg.sumw[21] > 0.0,
        "flow bins filled"
    );

    let n = 37;
    let n_jet: Vec<u32> = (0..n).map(|i| (i * 7 % 5) as u32).collect();
    let total: usize = n_jet.iter().map(|&c| c as usize).sum();
    let lens: Vec<usize> = (0..n).map(|i| i % 4).collect();
    let vtotal: usize = lens.iter().sum();
    let tree = Tree {
        name: "Events".into(),
        title: "small tree".into(),
        cluster_size: 10,
        branches: vec![
            scalar(
                "f64",
                Column::F64((0..n).map(|i| i as f64 * 0.25 - 3.0).collect()),
            ),
            scalar("f32", Column::F32((0..n).map(|i| i as f32 * 1.5).collect())),
            scalar("flag", Column::Bool((0..n).map(|i| i % 3 == 0).collect())),
            scalar("i8", Column::I8((0..n).map(|i| (i as i8) - 20).collect())),
            scalar("u8", Column::U8((0..n).map(|i| (i * 7) as u8).collect())),
            scalar(
                "i16",
                Column::I16((0..n).map(|i| -(i as i16) * 300).collect()),
            ),
            scalar(
                "u16",
                Column::U16((0..n).map(|i| (i * 1700) as u16).collect()),
            ),
            scalar(
                "i32",
                Column::I32((0..n).map(|i| (i as i32 - 18) * 100_000).collect()),
            ),
            scalar(
                "u32",
                Column::U32((0..n).map(|i| i as u32 * 100_000_000).collect()),
            ),
            scalar(
                "i64",
                Column::I64((0..n).map(|i| (i as i64 - 18) * 10_000_000_000).collect()),
            ),
            scalar(
                "u64",
                Column::U64((0..n).map(|i| i as u64 * 20_000_000_000).collect()),
            ),
            scalar("nJet", Column::U32(n_jet)),
            counted(
                "Jet_pt",
                "nJet",
                Column::F32((0..total).map(|i| 20.0 + i as f32).collect()),
            ),
            counted(
                "Jet_id",
                "nJet",
                Column::I32((0..total).map(|i| i as i32 % 3).collect()),
            ),
            vector(
                "v_f32",
                &lens,
                Column::F32((0..vtotal).map(|i| i as f32 * 0.5).collect()),
            ),
            vector(
                "v_f64",
                &lens,
                Column::F64((0..vtotal).map(|i| i as f64 - 7.25).collect()),
            ),
            vector(
                "v_i32",
                &lens,
                Column::I32((0..vtotal).map(|i| i as i32 * -3).collect()),
            ),
            vector(
                "v_u8",
                &lens,
                Column::U8((0..vtotal).map(|i| i as u8).collect()),
            ),
            vector(
                "v_bool",
                &lens,
                Column::Bool((0..vtotal).map(|i| i % 2 == 0).collect()),
            ),
            vector(
                "v_i64",
                &lens,
                Column::I64((0..vtotal).map(|i| (i as i64) << 40).collect()),
            ),
        ],
    };

    let mut w = RootWriter::create(path).unwrap();
    w.write_hist1d(&h_reg).unwrap();
    w.write_hist1d(&h_var).unwrap();
    w.write_hist2d(&h2).unwrap();
    w.write_tree(&tree).unwrap();
    // The same histogram again in nested subdirectories, then one more at the top.
    let mut h_sub = h_var.clone();
    h_sub.name = "h_var".into();
    h_sub.title = "in a subdirectory".into();
    w.cd("ttbar/4j1b").unwrap();
    w.write_hist1d(&h_sub).unwrap();
    w.cd("").unwrap();
    let mut h_top = h_reg.clone();
    h_top.name = "h_after_cd".into();
    w.write_hist1d(&h_top).unwrap();
    w.cd("ttbar").unwrap();
    w.write_hist2d(&h2).unwrap();
    w.cd("").unwrap();
    // A tree without entries still has its branches (and no baskets).
    let empty = Tree {
        name: "Empty".into(),
        title: "no entries".into(),
        cluster_size: 0,
        branches: vec![
            scalar("x", Column::F64(vec![])),
            scalar("n", Column::I32(vec![])),
            counted("a", "n", Column::F32(vec![])),
            vector("v", &[], Column::U16(vec![])),
        ],
    };
    w.write_tree(&empty).unwrap();
    w.finish().unwrap();
    let mut small_tree = expect_tree(&tree, n, 4);
    small_tree["cluster_starts"] = json!([0, 10, 20, 30]);
    let mut sub = expect_hist1(&h_sub);
    sub["name"] = json!("ttbar/4j1b/h_var");
    let mut sub2 = expect_hist2(&h2);
    sub2["name"] = json!("ttbar/h2");
    json!({"path": path, "hists": [expect_hist1(&h_reg), expect_hist1(&h_var), expect_hist2(&h2),
        sub, expect_hist1(&h_top), sub2],
        "trees": [small_tree, expect_tree(&empty, 0, 0)]})
}

/// A NanoAOD-like tree large enough for many baskets per branch.
fn write_big_file(path: &Path) -> Value {
    let mut r = Lcg(11);
    let n = 20_000;
    let n_jet: Vec<u32> = (0..n).map(|_| (r.next() * 6.0) as u32).collect();
    let total: usize = n_jet.iter().map(|&c| c as usize).sum();
    let mu_lens: Vec<usize> = (0..n).map(|_| (r.next() * 3.0) as usize).collect();
    let mu_total: usize = mu_lens.iter().sum();
    let tree = Tree {
        name: "Events".into(),
        title: "AGC-like sample".into(),
        cluster_size: 3000,
        branches: vec![
            scalar(
                "event",
                Column::U64((0..n as u64).map(|i| 1_000_000 + i).collect()),
            ),
            scalar(
                "MET_pt",
                Column::F32((0..n).map(|_| (40.0 + 20.0 * r.normal()) as f32).collect()),
            ),
            scalar("nJet", Column::U32(n_jet)),
            counted(
                "Jet_pt",
                "nJet",
                Column::F32(
                    (0..total)
                        .map(|_| (25.0 + 100.0 * r.next()) as f32)
                        .collect(),
                ),
            ),
            counted(
                "Jet_eta",
                "nJet",
                Column::F32((0..total).map(|_| (2.4 * r.normal()) as f32).collect()),
            ),
            counted(
                "Jet_btag",
                "nJet",
                Column::F64((0..total).map(|_| r.next()).collect()),
            ),
            vector(
                "mu_pt",
                &mu_lens,
                Column::F32(
                    (0..mu_total)
                        .map(|_| (10.0 + 50.0 * r.next()) as f32)
                        .collect(),
                ),
            ),
        ],
    };
    // Written in chunks, as a streaming writer would: 3000-entry baskets, cut again at each chunk
    // boundary, so clusters change size (ROOT must see these through fClusterRangeEnd).
    let chunks = [
        slice_tree(&tree, 0..5000),
        slice_tree(&tree, 5000..10000),
        slice_tree(&tree, 10000..16000),
        slice_tree(&tree, 16000..n),
    ];
    let mut w = RootWriter::create(path).unwrap();
    w.write_tree_chunks(&chunks).unwrap();
    w.finish().unwrap();
    let mut expected = expect_tree(&tree, n, 8);
    expected["cluster_starts"] = json!([0, 3000, 5000, 8000, 10000, 13000, 16000, 19000]);
    json!({"path": path, "hists": [], "trees": [expected]})
}

fn slice_col(c: &Column, r: std::ops::Range<usize>) -> Column {
    match c {
        Column::Bool(v) => Column::Bool(v[r].to_vec()),
        Column::I8(v) => Column::I8(v[r].to_vec()),
        Column::U8(v) => Column::U8(v[r].to_vec()),
        Column::I16(v) => Column::I16(v[r].to_vec()),
        Column::U16(v) => Column::U16(v[r].to_vec()),
        Column::I32(v) => Column::I32(v[r].to_vec()),
        Column::U32(v) => Column::U32(v[r].to_vec()),
        Column::I64(v) => Column::I64(v[r].to_vec()),
        Column::U64(v) => Column::U64(v[r].to_vec()),
        Column::F32(v) => Column::F32(v[r].to_vec()),
        Column::F64(v) => Column::F64(v[r].to_vec()),
    }
}

/// Entries `r` of a tree (counters here are u32 columns).
fn slice_tree(t: &Tree, r: std::ops::Range<usize>) -> Tree {
    let value_range = |lengths: &[usize]| {
        let a: usize = lengths[..r.start].iter().sum();
        let b: usize = lengths[..r.end].iter().sum();
        a..b
    };
    let branches = t
        .branches
        .iter()
        .map(|b| {
            let data = match &b.data {
                BranchData::Scalar(c) => BranchData::Scalar(slice_col(c, r.clone())),
                BranchData::Counted { counter, values } => {
                    let cb = t.branches.iter().find(|o| &o.name == counter).unwrap();
                    let BranchData::Scalar(Column::U32(counts)) = &cb.data else {
                        panic!("test counters are u32")
                    };
                    let lengths: Vec<usize> = counts.iter().map(|&c| c as usize).collect();
                    BranchData::Counted {
                        counter: counter.clone(),
                        values: slice_col(values, value_range(&lengths)),
                    }
                }
                BranchData::Vector { lengths, values } => BranchData::Vector {
                    lengths: lengths[r.clone()].to_vec(),
                    values: slice_col(values, value_range(lengths)),
                },
            };
            Branch {
                name: b.name.clone(),
                data,
            }
        })
        .collect();
    Tree {
        branches,
        ..t.clone()
    }
}

/// `true` when python3 with uproot and ROOT is there; otherwise skips (or fails under CI).
fn python_ready() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import uproot, awkward, ROOT"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true but python3 with uproot, awkward and PyROOT is not available");
        }
        eprintln!(
            "skipping: python3 with uproot, awkward and PyROOT (import ROOT) is not available"
        );
    }
    ok
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("anac-root-write-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn histograms_and_trees_read_back_in_uproot_and_root() {
    let dir = temp_dir("readback");
    let small = write_small_file(&dir.join("small.root"));
    let big = write_big_file(&dir.join("big.root"));
    if !python_ready() {
        return;
    }
    let spec = dir.join("expected.json");
    std::fs::write(&spec, json!({"files": [small, big]}).to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/check_root_write.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(&spec)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "readback failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("0 failed checks"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unfinished_file_never_appears() {
    let dir = temp_dir("unfinished");
    let path = dir.join("out.root");
    let mut w = RootWriter::create(&path).unwrap();
    w.write_hist1d(&hist1(
        "h",
        axis(
            AxisEdges::Regular {
                n: 2,
                low: 0.0,
                high: 1.0,
            },
            "",
        ),
        false,
    ))
    .unwrap();
    assert!(!path.exists(), "target must not exist before finish");
    drop(w);
    assert!(!path.exists());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "temporary file removed"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn invalid_objects_are_errors_and_leave_the_writer_usable() {
    let dir = temp_dir("invalid");
    let path = dir.join("out.root");
    let mut w = RootWriter::create(&path).unwrap();
    let ax = axis(
        AxisEdges::Regular {
            n: 3,
            low: 0.0,
            high: 3.0,
        },
        "",
    );
    let mut bad = hist1("bad", ax.clone(), false);
    bad.sumw.pop();
    assert!(matches!(w.write_hist1d(&bad), Err(WriteError::Invalid(_))));

    let good = hist1("good", ax, false);
    w.write_hist1d(&good).unwrap();
    assert!(matches!(
        w.write_hist1d(&good),
        Err(WriteError::DuplicateName(n)) if n == "good"
    ));

    let mismatched = Tree {
        name: "t".into(),
        title: String::new(),
        cluster_size: 0,
        branches: vec![
            scalar("n", Column::U32(vec![1, 2])),
            counted("v", "n", Column::F32(vec![1.0, 2.0])),
        ],
    };
    let e = w.write_tree(&mismatched).unwrap_err().to_string();
    assert!(e.contains("has 2 values but \"n\" counts 3"), "{e}");
    let late_counter = Tree {
        branches: vec![
            counted("v", "n", Column::F32(vec![1.0])),
            scalar("n", Column::U32(vec![1])),
        ],
        ..mismatched
    };
    let e = w.write_tree(&late_counter).unwrap_err().to_string();
    assert!(e.contains("must be an earlier branch"), "{e}");
    assert!(matches!(w.cd("good"), Err(WriteError::DuplicateName(_))));
    let one = Tree {
        name: "chunked".into(),
        title: String::new(),
        cluster_size: 0,
        branches: vec![scalar("x", Column::F32(vec![1.0]))],
    };
    let other = Tree {
        branches: vec![scalar("x", Column::F64(vec![1.0]))],
        ..one.clone()
    };
    let e = w.write_tree_chunks([&one, &other]).unwrap_err().to_string();
    assert!(e.contains("differ from the first chunk"), "{e}");
    let mut slashed = hist1("a/b", axis(AxisEdges::Variable(vec![0.0, 1.0]), ""), false);
    assert!(matches!(
        w.write_hist1d(&slashed),
        Err(WriteError::Invalid(_))
    ));
    slashed.name = "good".into();
    w.cd("sub").unwrap();
    w.write_hist1d(&slashed).unwrap(); // the same name is fine in another directory
    w.finish().unwrap();
    assert!(path.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

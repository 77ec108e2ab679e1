//! Reader tests against real files in `../shared/data` (expected values from uproot 5.7.7 or
//! from the formulas in `rootgen/FORMULAS.txt`).

use super::*;
use crate::io::schema::{CollectionLayout, ScalarType, Shape};
use crate::testing::shared_file;

fn open(rel: &str) -> Option<RootFile> {
    let p = shared_file(rel)?;
    Some(RootFile::open(&p).unwrap_or_else(|e| panic!("{e}")))
}

fn f32s(c: &Column) -> &[f32] {
    match &c.values {
        ColumnValues::F32(v) => v,
        other => panic!("not f32: {other:?}"),
    }
}

#[test]
fn nanoaod_counter_and_embedded_baskets() {
    let Some(f) = open("nanoAOD_2015_CMS_Open_Data_ttbar.root") else {
        return;
    };
    assert_eq!(f.trees().unwrap(), vec!["Events".to_string()]);
    let t = f.tree("Events").unwrap();
    assert_eq!(t.entries(), 200);
    assert_eq!(t.branches().len(), 947);
    let jet = t.branch("Jet_pt").unwrap();
    assert_eq!(jet.type_name, "Float_t[nJet]");
    assert!(jet.baskets.iter().any(|b| b.embedded));
    assert_eq!(jet.compression, "ZLIB-1");
    // python3 -c "import uproot; a=uproot.open('nanoAOD_2015_CMS_Open_Data_ttbar.root')['Events']
    //   ['nJet'].array(library='np'); print(a.sum(), a[:10])"  → 537 [2 1 4 1 7 3 2 5 0 2]
    let n = t.read(&f, "nJet", 0..200).unwrap();
    let ColumnValues::U32(n) = &n.values else {
        panic!("nJet is uint32")
    };
    assert_eq!(n.iter().map(|&x| x as u64).sum::<u64>(), 537);
    assert_eq!(&n[..10], &[2, 1, 4, 1, 7, 3, 2, 5, 0, 2]);
    // uproot: Jet_pt[:3] → [17.921875, 15.734375], [37.875], [72.6875, 56.75, 19.15625, 16.703125]
    let pt = t.read(&f, "Jet_pt", 0..200).unwrap();
    let o = pt.offsets.as_ref().unwrap();
    assert_eq!(o.len(), 201);
    assert_eq!(o[200], 537);
    assert_eq!(&o[..4], &[0, 2, 3, 7]);
    assert_eq!(
        &f32s(&pt)[..7],
        &[
            17.921875, 15.734375, 37.875, 72.6875, 56.75, 19.15625, 16.703125
        ]
    );
    // uproot: event[:3] → 227291401 227291402 227291406; MET_pt[:2] → 33.26187515258789, ...
    let ev = t.read(&f, "event", 0..3).unwrap();
    assert_eq!(
        ev.values,
        ColumnValues::U64(vec![227291401, 227291402, 227291406])
    );
    let met = t.read(&f, "MET_pt", 0..2).unwrap();
    assert_eq!(met.values, ColumnValues::F32(vec![33.261875, 33.803047]));
    // uproot: Muon_tightId[:6] → [], [], [], [False], [], [False]
    let mu = t.read(&f, "Muon_tightId", 0..6).unwrap();
    assert_eq!(mu.offsets.as_deref(), Some(&[0, 0, 0, 0, 1, 1, 2][..]));
    assert_eq!(mu.values, ColumnValues::Bool(vec![false, false]));
    // A sub-range equals the slice of the full read.
    let part = t.read(&f, "Jet_pt", 2..5).unwrap();
    assert_eq!(f32s(&part), &f32s(&pt)[3..o[5] as usize]);
    let s = t.schema();
    let jet = s.collection("Jet").unwrap();
    assert_eq!(
        jet.layout,
        CollectionLayout::Counter {
            branch: "nJet".into()
        }
    );
    let ptf = jet.field("pt").unwrap();
    assert_eq!((ptf.ty, ptf.shape), (ScalarType::F32, Shape::Jagged));
    assert_eq!(s.branch("nJet").unwrap().ty, ScalarType::U32);
}

#[test]
fn hzz_codecs_give_identical_columns() {
    let names = [
        "uproot-HZZ.root",
        "uproot-HZZ-zlib.root",
        "uproot-HZZ-lz4.root",
        "uproot-HZZ-lzma.root",
        "uproot-HZZ-zstd.root",
        "uproot-HZZ-uncompressed.root",
    ];
    let mut reference: Option<Vec<Column>> = None;
    for name in names {
        let Some(f) = open(name) else { return };
        let t = f.tree("events").unwrap();
        assert_eq!(t.entries(), 2421);
        let cols: Vec<Column> = t
            .branches()
            .iter()
            .filter(|b| b.kind.is_ok())
            .map(|b| t.read(&f, &b.name, 0..t.entries()).unwrap())
            .collect();
        assert_eq!(cols.len(), 51, "{name}");
        match &reference {
            None => reference = Some(cols),
            Some(r) => assert!(r == &cols, "{name} differs from uproot-HZZ.root"),
        }
    }
    let Some(f) = open("uproot-HZZ-zlib.root") else {
        return;
    };
    let t = f.tree("events").unwrap();
    // uproot: NJet sum 2773; Jet_Px[:3] → [], [-38.874714], []; Muon_Charge[:2] → [1,-1],[1]
    let n = t.read(&f, "NJet", 0..2421).unwrap();
    let ColumnValues::I32(n) = &n.values else {
        panic!()
    };
    assert_eq!(n.iter().sum::<i32>(), 2773);
    let px = t.read(&f, "Jet_Px", 0..3).unwrap();
    assert_eq!(px.offsets.as_deref(), Some(&[0, 0, 1, 1][..]));
    assert_eq!(f32s(&px), &[-38.874714]);
    let q = t.read(&f, "Muon_Charge", 0..2).unwrap();
    assert_eq!(q.values, ColumnValues::I32(vec![1, -1, 1]));
    let s = t.schema();
    assert!(matches!(
        &s.collection("Jet").unwrap().layout,
        CollectionLayout::Counter { branch } if branch == "NJet"
    ));
}

#[test]
fn zmumu_strings_and_codecs() {
    for name in [
        "uproot-Zmumu.root",
        "uproot-Zmumu-lz4.root",
        "uproot-Zmumu-lzma.root",
        "uproot-Zmumu-zstd.root",
        "uproot-Zmumu-uncompressed.root",
    ] {
        let Some(f) = open(name) else { return };
        let t = f.tree("events").unwrap();
        // uproot: Type[:3] → GT TT GT; E1[:2] → 82.2018663875, 62.3449289481
        let ty = t.read(&f, "Type", 0..3).unwrap();
        let ColumnValues::Str { offsets, bytes } = &ty.values else {
            panic!()
        };
        assert_eq!(offsets, &[0, 2, 4, 6]);
        assert_eq!(bytes, b"GTTTGT");
        let e = t.read(&f, "E1", 0..2).unwrap();
        assert_eq!(
            e.values,
            ColumnValues::F64(vec![82.2018663875, 62.3449289481])
        );
    }
}

/// Checks every rootgen branch against FORMULAS.txt over `range`.
fn check_layouts(f: &RootFile, range: std::ops::Range<u64>) {
    let t = f.tree("t").unwrap();
    let n = range.end - range.start;
    let rd = |b: &str| t.read(f, b, range.clone()).unwrap();
    let ids: Vec<u64> = range.clone().collect();
    assert_eq!(
        rd("i").values,
        ColumnValues::I32(ids.iter().map(|&i| i as i32).collect())
    );
    assert_eq!(
        rd("x").values,
        ColumnValues::F64(ids.iter().map(|&i| 0.5 * i as f64).collect())
    );
    assert_eq!(
        rd("f").values,
        ColumnValues::F32(ids.iter().map(|&i| i as f32 / 3.0).collect())
    );
    assert_eq!(
        rd("u").values,
        ColumnValues::U32(ids.iter().map(|&i| 3 * i as u32).collect())
    );
    assert_eq!(
        rd("l").values,
        ColumnValues::I64(ids.iter().map(|&i| i as i64 * 1_000_000_007).collect())
    );
    assert_eq!(
        rd("b").values,
        ColumnValues::Bool(ids.iter().map(|&i| i % 3 == 0).collect())
    );
    assert_eq!(
        rd("n").values,
        ColumnValues::I32(ids.iter().map(|&i| (i % 5) as i32).collect())
    );
    // Jagged: (branch, count(i), value(i, j)) as f64 for comparison.
    type Count = fn(u64) -> u64;
    type Value = fn(u64, u64) -> f64;
    let jagged: [(&str, Count, Value); 7] = [
        ("arr_f", |i| i % 5, |i, j| i as f64 + 0.25 * j as f64),
        ("arr_b", |i| i % 5, |i, j| ((i + j) % 2 == 0) as u64 as f64),
        ("vf", |i| i % 4, |i, j| i as f64 + 0.5 * j as f64),
        ("vi", |i| i % 3, |i, j| i as f64 - j as f64),
        ("vb", |i| i % 4, |_, j| (j % 2 == 1) as u64 as f64),
        ("vd", |i| i % 2 + 1, |i, j| (i * j) as f64),
        ("fix3", |_| 3, |i, j| (i + j) as f64),
    ];
    for (name, count, value) in jagged {
        let c = rd(name);
        let vals: Vec<f64> = match &c.values {
            ColumnValues::F32(v) => v.iter().map(|&x| x as f64).collect(),
            ColumnValues::F64(v) => v.clone(),
            ColumnValues::I32(v) => v.iter().map(|&x| x as f64).collect(),
            ColumnValues::Bool(v) => v.iter().map(|&x| x as u64 as f64).collect(),
            other => panic!("{name}: {other:?}"),
        };
        let mut want = Vec::new();
        let mut offs = vec![0u32];
        for &i in &ids {
            for j in 0..count(i) {
                want.push(value(i, j));
            }
            offs.push(want.len() as u32);
        }
        assert_eq!(vals, want, "{name}");
        if name == "fix3" {
            assert!(c.offsets.is_none());
        } else {
            assert_eq!(c.offsets.as_deref(), Some(&offs[..]), "{name}");
        }
    }
    let vvf = rd("vvf");
    let (mut outer, mut inner, mut vals) = (vec![0u32], vec![0u32], Vec::new());
    for &i in &ids {
        for k in 0..i % 3 {
            for m in 0..k {
                vals.push(i as f32 + k as f32 + 0.5 * m as f32);
            }
            inner.push(vals.len() as u32);
        }
        outer.push(inner.len() as u32 - 1);
    }
    assert_eq!(vvf.values, ColumnValues::F32(vals));
    assert_eq!(vvf.offsets.as_deref(), Some(&outer[..]));
    assert_eq!(vvf.inner_offsets.as_deref(), Some(&inner[..]));
    for (name, fmt) in [("s", "event_"), ("cs", "c")] {
        let c = rd(name);
        let ColumnValues::Str { offsets, bytes } = &c.values else {
            panic!()
        };
        assert_eq!(offsets.len() as u64, n + 1);
        let mut want = String::new();
        for &i in &ids {
            let k = if name == "cs" { i % 7 } else { i };
            want.push_str(&format!("{fmt}{k}"));
        }
        assert_eq!(std::str::from_utf8(bytes).unwrap(), want, "{name}");
    }
}

#[test]
fn rootgen_layouts_every_codec() {
    for codec in ["zlib", "lzma", "lz4", "zstd", "none"] {
        let Some(f) = open(&format!("rootgen/layouts_{codec}.root")) else {
            return;
        };
        check_layouts(&f, 0..1000);
        check_layouts(&f, 37..411);
    }
}

#[test]
fn multicluster_clusters_and_ranges() {
    let Some(f) = open("rootgen/layouts_multicluster_zstd.root") else {
        return;
    };
    let t = f.tree("t").unwrap();
    assert_eq!(t.entries(), 50_000);
    let cl = t.clusters();
    assert_eq!(
        cl,
        (0..5)
            .map(|k| k * 10_000..(k + 1) * 10_000)
            .collect::<Vec<_>>()
    );
    assert_eq!(t.branch("vf").unwrap().baskets.len(), 65);
    check_layouts(&f, 9_990..20_010);
}

#[test]
fn rvec_and_counter_total_equals_entries() {
    if let Some(f) = open("rootgen/rvec_snapshot.root") {
        let t = f.tree("t").unwrap();
        let b = t.branch("rv_f").unwrap();
        assert_eq!(b.kind.as_ref().unwrap().shape, Shape::Jagged);
        let c = t.read(&f, "rv_i", 0..1000).unwrap();
        assert_eq!(c.offsets.as_ref().unwrap().len(), 1001);
    }
    let Some(f) = open("rootgen/counter_total_equals_entries.root") else {
        return;
    };
    let t = f.tree(&f.trees().unwrap()[0]).unwrap();
    assert_eq!(t.entries(), 10);
    let c = t.read(&f, "a", 0..10).unwrap();
    assert_eq!(
        c.offsets.as_deref(),
        Some(&[0, 2, 2, 4, 4, 6, 6, 8, 8, 10, 10][..])
    );
}

#[test]
fn poet_vectors_form_a_collection() {
    let Some(f) = open("poet_ttbar_vector.root") else {
        return;
    };
    let t = f.tree("events").unwrap();
    let s = t.schema();
    let jet = s.collection("jet").unwrap();
    assert_eq!(jet.layout, CollectionLayout::Vector);
    assert!(jet.field("pt").is_some());
    // uproot: jet_pt[:2] → [58.960487, 24.710443], [38.764763, 18.100142]; event[:2] → 1 2
    let pt = t.read(&f, "jet_pt", 0..2).unwrap();
    assert_eq!(f32s(&pt), &[58.960487, 24.710443, 38.764763, 18.100142]);
    assert_eq!(
        t.read(&f, "event", 0..2).unwrap().values,
        ColumnValues::U64(vec![1, 2])
    );
}

/// Every file under the shared data opens or fails with an error naming it; every branch reads
/// or gives an error. Never a panic.
#[test]
fn corpus_reads_or_errors_cleanly() {
    let Some(dir) = crate::testing::shared_data() else {
        return;
    };
    let mut files = Vec::new();
    for sub in ["", "corpus", "rootgen", "agc-small"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "root") {
                files.push(e.path());
            }
        }
    }
    let mut scratch = Scratch::default();
    let mut col = Column::default();
    for p in files {
        let f = match RootFile::open(&p) {
            Ok(f) => f,
            Err(e) => {
                assert!(e.to_string().contains(&*p.to_string_lossy()), "{e}");
                continue;
            }
        };
        let trees = match f.trees() {
            Ok(t) => t,
            Err(e) => {
                eprintln!("{e}");
                continue;
            }
        };
        for name in trees {
            let t = match f.tree(&name) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("{e}");
                    continue;
                }
            };
            for b in t.branches() {
                if let Err(e) = t.read_into(&f, &b.name, 0..t.entries(), &mut col, &mut scratch) {
                    let msg = e.to_string();
                    assert!(msg.contains(&*p.to_string_lossy()), "{msg}");
                    if b.kind.is_ok() {
                        eprintln!("{msg}");
                    }
                }
            }
        }
    }
}

/// Prints `file tree branch count sum` for every readable branch of every shared file, for
/// comparison with `tools/uproot_checksums.py` (run by hand: `cargo test dump_checksums --
/// --ignored --nocapture`).
#[test]
#[ignore]
fn dump_checksums() {
    let Some(dir) = crate::testing::shared_data() else {
        return;
    };
    let mut files = Vec::new();
    for sub in ["", "corpus", "rootgen", "agc-small"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "root") {
                let name = e.file_name().to_string_lossy().into_owned();
                files.push(if sub.is_empty() {
                    name
                } else {
                    format!("{sub}/{name}")
                });
            }
        }
    }
    files.sort();
    for rel in files {
        let Ok(f) = RootFile::open(dir.join(&rel)) else {
            continue;
        };
        let Ok(trees) = f.trees() else { continue };
        for name in trees {
            let Ok(t) = f.tree(&name) else { continue };
            for b in t.branches() {
                if b.kind.is_err() {
                    continue;
                }
                let Ok(c) = t.read(&f, &b.name, 0..t.entries()) else {
                    println!("CHK {rel} {name} {} ERROR", b.name);
                    continue;
                };
                let (n, sum): (usize, f64) = match &c.values {
                    ColumnValues::Bool(v) => (v.len(), v.iter().map(|&x| x as u8 as f64).sum()),
                    ColumnValues::I8(v) => (v.len(), v.iter().map(|&x| x as f64).sum()),
                    ColumnValues::U8(v) => (v.len(), v.iter().map(|&x| x as f64).sum()),
                    ColumnValues::I16(v) => (v.len(), v.iter().map(|&x| x as f64).sum()),
                    ColumnValues::U16(v) => (v.len(), v.iter().map(|&x| x as f64).sum()),
                    ColumnValues::I32(v) => (v.len(), v.iter().map(|&x| x as f64).sum()),
                    ColumnValues::U32(v) => (v.len(), v.iter().map(|&x| x as f64).sum()),
                    ColumnValues::I64(v) => (v.len(), v.iter().map(|&x| x as f64).sum()),
                    ColumnValues::U64(v) => (v.len(), v.iter().map(|&x| x as f64).sum()),
                    ColumnValues::F32(v) => (v.len(), v.iter().map(|&x| x as f64).sum()),
                    ColumnValues::F64(v) => (v.len(), v.iter().sum()),
                    ColumnValues::Str { bytes, offsets } => (offsets.len() - 1, bytes.len() as f64),
                };
                println!("CHK {rel} {name} {} {n} {sum:.6e}", b.name);
            }
        }
    }
}

/// Reads every branch of a file; returns how many failed (errors are fine, panics are not).
fn read_everything(path: &std::path::Path) -> usize {
    let mut failures = 0;
    let f = match RootFile::open(path) {
        Ok(f) => f,
        Err(e) => {
            assert!(e.to_string().contains(&*path.to_string_lossy()));
            let _ = e.diagnostic();
            return 1;
        }
    };
    let Ok(trees) = f.trees() else { return 1 };
    for name in trees {
        let Ok(t) = f.tree(&name) else {
            failures += 1;
            continue;
        };
        let _ = t.schema();
        let _ = t.clusters();
        for b in t.branches() {
            if t.read(&f, &b.name, 0..t.entries()).is_err() {
                failures += 1;
            }
        }
    }
    failures
}

/// Corrupted and truncated copies of a real file give errors, never panics or hangs.
#[test]
fn corrupt_files_give_errors_not_panics() {
    for rel in [
        "rootgen/layouts_zlib.root",
        "rootgen/layouts_lz4.root",
        "nanoAOD_2015_CMS_Open_Data_ttbar.root",
    ] {
        let Some(src) = shared_file(rel) else { return };
        let bytes = std::fs::read(&src).unwrap();
        let tmp = std::env::temp_dir().join(format!(
            "anac-rootread-{}-{}",
            std::process::id(),
            rel.replace('/', "_")
        ));
        let mut failed = 0;
        // Flip bytes across the whole file (keys, metadata, baskets) and truncate it.
        let step = bytes.len() / 150;
        for k in 0..150 {
            let mut b = bytes.clone();
            let at = k * step + k % 7;
            b[at] ^= 0x5a;
            b[at.saturating_sub(1)] = b[at.saturating_sub(1)].wrapping_add(0x80);
            std::fs::write(&tmp, &b).unwrap();
            failed += read_everything(&tmp).min(1);
        }
        for len in [0, 3, 60, 200, bytes.len() / 2, bytes.len() - 100] {
            std::fs::write(&tmp, &bytes[..len]).unwrap();
            assert!(
                read_everything(&tmp) > 0,
                "truncated to {len} bytes must fail"
            );
        }
        let _ = std::fs::remove_file(&tmp);
        assert!(
            failed > 10,
            "corruptions should be noticed ({failed} of 150)"
        );
    }
}

#[test]
fn errors_render_as_diagnostics() {
    let Some(p) = shared_file("README.md") else {
        return;
    };
    let e = RootFile::open(&p).unwrap_err();
    let d = e.diagnostic();
    assert_eq!(d.code, INVALID_FILE);
    assert!(
        d.message.contains("README.md") && d.message.contains("magic"),
        "{}",
        d.message
    );
    assert!(INVALID_FILE.doc().is_some());
    let Some(f) = open("uproot-HZZ.root") else {
        return;
    };
    let t = f.tree("events").unwrap();
    let e = t.read(&f, "NJet", 0..5000).unwrap_err();
    assert!(e.to_string().contains("0..2421"), "{e}");
    let e = f.tree("nope").unwrap_err();
    assert!(e.to_string().contains("events"), "{e}");
}

/// Throughput of full reads (run by hand in release mode: `cargo test --release --lib
/// bench_read -- --ignored --nocapture`); compare with `tools/uproot_bench.py`.
#[test]
#[ignore]
fn bench_read() {
    let Some(dir) = crate::testing::shared_data() else {
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(dir.join("agc-small"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "root"))
        .collect();
    files.sort();
    let sets: [(&str, &[&str]); 2] = [
        (
            "agc",
            &[
                "nJet",
                "Jet_pt",
                "Jet_eta",
                "Jet_phi",
                "Jet_mass",
                "Jet_btagCSVV2",
                "Jet_jetId",
                "nElectron",
                "Electron_pt",
                "Electron_eta",
                "Electron_cutBased",
                "nMuon",
                "Muon_pt",
                "Muon_eta",
                "Muon_tightId",
                "genWeight",
                "event",
            ],
        ),
        ("all", &[]),
    ];
    for (label, branches) in sets {
        let mut scratch = Scratch::default();
        let mut col = Column::default();
        let (mut events, mut bytes) = (0u64, 0u64);
        let t0 = std::time::Instant::now();
        for p in &files {
            let f = RootFile::open(p).unwrap();
            let t = f.tree("Events").unwrap();
            let names: Vec<String> = if branches.is_empty() {
                t.branches()
                    .iter()
                    .filter(|b| b.kind.is_ok())
                    .map(|b| b.name.clone())
                    .collect()
            } else {
                branches.iter().map(|s| s.to_string()).collect()
            };
            for cl in t.clusters() {
                for b in &names {
                    t.read_into(&f, b, cl.clone(), &mut col, &mut scratch)
                        .unwrap();
                    bytes += col.values.len() as u64;
                }
            }
            events += t.entries();
        }
        let dt = t0.elapsed().as_secs_f64();
        println!(
            "BENCH {label}: {events} events in {dt:.3} s = {:.0} events/s ({bytes} values)",
            events as f64 / dt
        );
    }
}

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<RootFile>();
    check::<Tree>();
    fn send<T: Send>() {}
    send::<Scratch>();
    send::<Column>();
}

/// Lists refused branches with their reasons (by hand: `-- --ignored --nocapture`).
#[test]
#[ignore]
fn dump_unsupported() {
    let Some(dir) = crate::testing::shared_data() else {
        return;
    };
    for e in std::fs::read_dir(dir.join("corpus")).unwrap().flatten() {
        let Ok(f) = RootFile::open(e.path()) else {
            continue;
        };
        let Ok(trees) = f.trees() else { continue };
        for name in trees {
            match f.tree(&name) {
                Err(err) => println!("TREE-ERR {err}"),
                Ok(t) => {
                    for u in t.schema().unsupported {
                        println!(
                            "UNSUP {:?} {} {} : {}",
                            e.file_name(),
                            u.branch,
                            u.type_name,
                            u.reason
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn vector_of_strings_reads() {
    let Some(f) = open("corpus/uproot-issue64.root") else {
        return;
    };
    let t = f.tree("events/events").unwrap();
    let c = t.read(&f, "type_pri", 0..t.entries()).unwrap();
    // python3 -c "import uproot; a=uproot.open('corpus/uproot-issue64.root')['events/events']
    //   ['type_pri'].array(library='np'); print(sum(len(x) for x in a),
    //   sum(len(s.encode()) for x in a for s in x))"  → 500 6500
    let ColumnValues::Str { offsets, bytes } = &c.values else {
        panic!()
    };
    assert_eq!((offsets.len() - 1, bytes.len()), (500, 6500));
    assert_eq!(c.offsets.as_ref().unwrap().last(), Some(&500));
}

#[test]
fn rootgen_schema_and_branch_info() {
    let Some(f) = open("rootgen/layouts_zstd.root") else {
        return;
    };
    let t = f.tree("t").unwrap();
    let s = t.schema();
    // `n` has no prefix and the vectors no `_`: everything is per-event.
    assert!(s.collections.is_empty(), "{:?}", s.collections);
    assert!(s.unsupported.is_empty(), "{:?}", s.unsupported);
    let shape = |b: &str| s.branch(b).unwrap().shape;
    assert_eq!(shape("arr_f"), Shape::Jagged);
    assert_eq!(shape("fix3"), Shape::Fixed(3));
    assert_eq!(shape("vvf"), Shape::Jagged2);
    assert_eq!(shape("s"), Shape::Scalar);
    assert_eq!(s.branch("cs").unwrap().ty, ScalarType::Str);
    let arr = t.branch("arr_f").unwrap();
    assert_eq!(arr.type_name, "Float_t[n]");
    assert_eq!(arr.kind.as_ref().unwrap().counter.as_deref(), Some("n"));
    assert_eq!(arr.compression, "ZSTD-5");
    assert_eq!(t.branch("vf").unwrap().type_name, "vector<float>");
    assert_eq!(t.clusters(), vec![0..1000]);
    let keys = f.keys().unwrap();
    assert_eq!(keys[0].name, "t");
    assert_eq!(keys[0].class_name, "TTree");
}

/// ROOT 5 counters stored as doubles must be whole and non-negative; anything else is an error.
#[test]
fn old_double_counters_must_be_whole() {
    assert_eq!(meta::whole_count(4808.0, "fEntries", "t").unwrap(), 4808);
    assert_eq!(meta::whole_count(0.0, "fEntries", "t").unwrap(), 0);
    for bad in [1.5, -1.0, f64::NAN, f64::INFINITY, 1e19] {
        let e = meta::whole_count(bad, "fEntries", "t").unwrap_err();
        assert!(format!("{e:?}").contains("fEntries"), "{bad}: {e:?}");
    }
}

/// TTree versions between the supported old layout (5) and the modern ones (16+) are refused
/// with a message naming the version, not misread.
#[test]
fn unsupported_old_ttree_version_is_named() {
    for version in [4i16, 6, 15] {
        let mut buf = Vec::new();
        buf.extend_from_slice(&(0x4000_0000u32 | 10).to_be_bytes());
        buf.extend_from_slice(&version.to_be_bytes());
        buf.extend_from_slice(&[0u8; 8]);
        let e = meta::parse_tree(&buf, 0, "TTree").unwrap_err();
        let msg = format!("{e:?}");
        assert!(msg.contains(&format!("TTree version {version}")), "{msg}");
    }
}

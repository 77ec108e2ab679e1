//! Layouts of `tests/golden/root/layouts/` read as ROOT and uproot read them: a branch with more
//! entries than its tree (`make_layouts.py`), multi-dimensional fixed arrays (`make_arrays.py`),
//! counter arrays written without entry offsets (`make_no_offsets.py`), zero-entry baskets and
//! keys longer than their object (`make_baskets.py`), maps and bitsets (`make_stl.py`).

use anac::io::root::{Column, ColumnValues, RootFile};
use serde_json::Value;

fn layouts() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/root/layouts")
}

/// A branch filled on its own past the tree's `SetEntries` (130 entries in a 100-entry tree,
/// baskets past the end): anac reads the tree's 100 entries of it as ROOT does
/// (`tests/golden/root/layouts/`, values from PyROOT's `TTree::GetEntry`), and refuses to read
/// past the tree's end.
#[test]
fn a_branch_with_more_entries_than_its_tree_reads_the_trees_entries() {
    let dir = layouts();
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("more_entries.json")).unwrap())
            .unwrap();
    let file = RootFile::open(dir.join("more_entries.root")).unwrap();
    let tree = file.tree("t").unwrap();
    assert_eq!(tree.entries(), golden["tree_entries"].as_u64().unwrap());
    assert_eq!(golden["x_branch_entries"].as_u64(), Some(130));
    let x = tree.read(&file, "x", 0..tree.entries()).unwrap();
    let ColumnValues::F32(xs) = &x.values else {
        panic!("x: {:?}", x.values)
    };
    let want: Vec<f32> = golden["x"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(xs, &want);
    let y = tree.read(&file, "y", 0..tree.entries()).unwrap();
    let ColumnValues::I32(ys) = &y.values else {
        panic!("y: {:?}", y.values)
    };
    assert_eq!(ys.len(), 100);
    assert!(
        tree.read(&file, "x", 0..130).is_err(),
        "entries past the tree"
    );
}

/// `m[2][3]/D` and `k[3][2]/I` keep their shape: each entry is a list of rows (outer offsets step
/// by the row count, inner offsets by the row length), equal to uproot's nested arrays.
/// `c[2][2][2]/F`, `w[2][3][4]/D` and `q[2][1][3][2]/S` keep theirs as dimensions (the type name,
/// `BranchInfo::dims`) over flat row-major values: equal to uproot's nested arrays flattened,
/// entry by entry.
#[test]
fn fixed_arrays_of_two_or_more_dimensions_keep_their_shape() {
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(layouts().join("arrays.json")).unwrap())
            .unwrap();
    let file = RootFile::open(layouts().join("arrays.root")).unwrap();
    let tree = file.tree("t").unwrap();
    let n = tree.entries();
    for (name, rows, cols) in [("m", 2usize, 3usize), ("k", 3, 2)] {
        let col = tree.read(&file, name, 0..n).unwrap();
        let values: Vec<f64> = match &col.values {
            ColumnValues::F64(v) => v.clone(),
            ColumnValues::I32(v) => v.iter().map(|&x| x as f64).collect(),
            other => panic!("{name}: {other:?}"),
        };
        let outer = col.offsets.as_deref().expect("outer offsets");
        let inner = col.inner_offsets.as_deref().expect("inner offsets");
        assert_eq!(outer.len() as u64, n + 1);
        let got: Vec<Vec<Vec<f64>>> = outer
            .windows(2)
            .map(|e| {
                (e[0]..e[1])
                    .map(|r| {
                        values[inner[r as usize] as usize..inner[r as usize + 1] as usize].to_vec()
                    })
                    .collect()
            })
            .collect();
        let want: Vec<Vec<Vec<f64>>> = serde_json::from_value(golden[name].clone()).unwrap();
        assert_eq!(got, want, "{name}");
        assert!(
            got.iter()
                .all(|e| e.len() == rows && e.iter().all(|r| r.len() == cols))
        );
    }
    for (name, dims, cpp) in [
        ("c", vec![2usize, 2, 2], "Float_t[2][2][2]"),
        ("w", vec![2, 3, 4], "Double_t[2][3][4]"),
        ("q", vec![2, 1, 3, 2], "Short_t[2][1][3][2]"),
    ] {
        let info = tree.branch(name).unwrap();
        assert_eq!(info.dims, dims, "{name}");
        assert_eq!(info.type_name, cpp, "{name}");
        let per: usize = dims.iter().product();
        assert_eq!(
            info.kind.as_ref().unwrap().shape,
            anac::io::schema::Shape::Fixed(per)
        );
        let col = tree.read(&file, name, 0..n).unwrap();
        assert!(col.offsets.is_none());
        let got: Vec<f64> = match &col.values {
            ColumnValues::F32(v) => v.iter().map(|&x| x as f64).collect(),
            ColumnValues::F64(v) => v.clone(),
            ColumnValues::I16(v) => v.iter().map(|&x| x as f64).collect(),
            other => panic!("{name}: {other:?}"),
        };
        let entries = golden[name].as_array().unwrap();
        assert_eq!(entries.len() as u64, n);
        let mut want = Vec::new();
        for e in entries {
            let before = want.len();
            flatten_checking(e, &dims, &mut want);
            assert_eq!(want.len() - before, per, "{name}: uproot's shape");
        }
        assert_eq!(got, want, "{name}");
    }
}

/// Appends the numbers of nested lists `v` in row-major order, checking each level's length
/// against `dims`.
fn flatten_checking(v: &Value, dims: &[usize], out: &mut Vec<f64>) {
    match dims.split_first() {
        None => out.push(v.as_f64().unwrap()),
        Some((&d, rest)) => {
            let items = v.as_array().unwrap();
            assert_eq!(items.len(), d);
            for item in items {
                flatten_checking(item, rest, out);
            }
        }
    }
}

fn golden(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(layouts().join(name)).unwrap()).unwrap()
}

/// A jagged column as per-entry lists of f64 (bools as 0/1).
fn lists(col: &Column) -> Vec<Vec<f64>> {
    let values: Vec<f64> = match &col.values {
        ColumnValues::F32(v) => v.iter().map(|&x| x as f64).collect(),
        ColumnValues::F64(v) => v.clone(),
        ColumnValues::Bool(v) => v.iter().map(|&x| f64::from(u8::from(x))).collect(),
        other => panic!("unexpected values {other:?}"),
    };
    let offsets = col.offsets.as_deref().expect("jagged offsets");
    offsets
        .windows(2)
        .map(|w| values[w[0] as usize..w[1] as usize].to_vec())
        .collect()
}

fn golden_lists(v: &Value) -> Vec<Vec<f64>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e.as_array()
                .unwrap()
                .iter()
                .map(|x| match x {
                    Value::Bool(b) => f64::from(u8::from(*b)),
                    x => x.as_f64().unwrap(),
                })
                .collect()
        })
        .collect()
}

/// Counter arrays whose baskets hold no entry offsets (fEntryOffsetLen 0, offsets cut off by
/// `make_no_offsets.py`; `p` is a Double32_t array): sizes come from the counter `n`. In tree `t` the baskets of every
/// branch end at the same entries (the layout uproot reads; golden values are uproot's); tree
/// `u` holds the same values with baskets of `x` and `d` ending where the counter's do not.
/// Whole reads and sub-ranges across basket boundaries equal uproot's values.
#[test]
fn counter_arrays_without_entry_offsets_take_sizes_from_the_counter() {
    let g = golden("no_offsets.json");
    let file = RootFile::open(layouts().join("no_offsets.root")).unwrap();
    for tree_name in ["t", "u"] {
        let tree = file.tree(tree_name).unwrap();
        let n = tree.entries();
        assert_eq!(n, g["entries"].as_u64().unwrap());
        for name in ["x", "d", "b", "p", "y"] {
            let want = golden_lists(&g[name]);
            let info = tree.branch(name).unwrap();
            assert_eq!(
                info.kind.as_ref().unwrap().counter.as_deref(),
                Some("n"),
                "{tree_name}.{name}"
            );
            let got = lists(&tree.read(&file, name, 0..n).unwrap());
            assert_eq!(got, want, "{tree_name}.{name}");
            for (a, b) in [(0, 1), (59, 61), (37, 251), (119, 300), (300, 300), (5, 60)] {
                let got = lists(&tree.read(&file, name, a..b).unwrap());
                assert_eq!(
                    got,
                    want[a as usize..b as usize],
                    "{tree_name}.{name} {a}..{b}"
                );
            }
        }
    }
    // In `u`, some basket of `x` ends inside a basket of the counter.
    let u = file.tree("u").unwrap();
    let ends = |b: &str| -> Vec<u64> {
        u.branch(b)
            .unwrap()
            .baskets
            .iter()
            .map(|k| k.entry_stop)
            .collect()
    };
    assert!(ends("x").iter().any(|e| !ends("n").contains(e)));
    // The byte ranges a read of `x` touches include the counter's baskets over the whole
    // entry span of `x`'s baskets (what a remote read prefetches).
    let covered = |ranges: &[std::ops::Range<u64>], b: &str, span: std::ops::Range<u64>| {
        u.branch(b)
            .unwrap()
            .baskets
            .iter()
            .filter(|k| !k.embedded && k.entry_stop > span.start && k.entry_start < span.end)
            .all(|k| {
                ranges
                    .iter()
                    .any(|r| r.start <= k.seek && k.seek + u64::from(k.bytes) <= r.end)
            })
    };
    for (a, b) in [(0, 1), (59, 61), (37, 251), (119, 300)] {
        let ranges = u.byte_ranges(&["x"], a..b);
        let span = u
            .branch("x")
            .unwrap()
            .baskets
            .iter()
            .filter(|k| k.entry_stop > a && k.entry_start < b)
            .fold(a..b, |s, k| {
                s.start.min(k.entry_start)..s.end.max(k.entry_stop)
            });
        assert!(covered(&ranges, "x", a..b), "x {a}..{b}");
        assert!(covered(&ranges, "n", span), "counter n for x {a}..{b}");
    }
}

/// The same file with one counter value raised by one (`no_offsets_bad_counter.root`): the
/// counter's total over that basket of `x` no longer matches the basket's contents, so reading
/// `x` is an error naming `x` and its counter; the branch with offsets (`y`) still reads.
#[test]
fn a_counter_that_does_not_fill_its_basket_is_an_error_naming_the_branch() {
    let file = RootFile::open(layouts().join("no_offsets_bad_counter.root")).unwrap();
    let tree = file.tree("t").unwrap();
    let n = tree.entries();
    for name in ["x", "d", "b", "p"] {
        let err = tree.read(&file, name, 0..n).unwrap_err().to_string();
        assert!(
            err.contains(&format!("branch `{name}`")) && err.contains("counter `n`"),
            "{err}"
        );
        // Entries of other baskets still read.
        assert!(tree.read(&file, name, 0..60).is_ok());
        assert!(
            tree.read(&file, name, 61..62).is_err(),
            "{name}: same basket"
        );
    }
    assert!(tree.read(&file, "y", 0..n).is_ok());
}

fn column_f64(col: &Column) -> Vec<f64> {
    match &col.values {
        ColumnValues::F32(v) => v.iter().map(|&x| x as f64).collect(),
        ColumnValues::F64(v) => v.clone(),
        ColumnValues::I32(v) => v.iter().map(|&x| x as f64).collect(),
        other => panic!("unexpected values {other:?}"),
    }
}

fn golden_f64(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Reads `x`, `n`, `a`, `z` of `file` whole and in sub-ranges starting and ending at basket
/// boundaries, and compares with `g`.
fn check_basket_file(file: &str, g: &Value) {
    let file = RootFile::open(layouts().join(file)).unwrap();
    let tree = file.tree("t").unwrap();
    let n = tree.entries();
    assert_eq!(n, g["entries"].as_u64().unwrap());
    for name in ["x", "n", "z"] {
        let want = golden_f64(&g[name]);
        for (a, b) in [
            (0, n),
            (60, 100),
            (99, 101),
            (100, 100),
            (100, 150),
            (150, 150),
        ] {
            let got = column_f64(&tree.read(&file, name, a..b).unwrap());
            assert_eq!(got, want[a as usize..b as usize], "{name} {a}..{b}");
        }
    }
    let want = golden_lists(&g["a"]);
    for (a, b) in [(0, n), (99, 101), (100, 150)] {
        let got = lists(&tree.read(&file, "a", a..b).unwrap());
        assert_eq!(got, want[a as usize..b as usize], "a {a}..{b}");
    }
    for name in ["x", "a", "z"] {
        let stops: Vec<u64> = std::iter::once(0)
            .chain(
                tree.branch(name)
                    .unwrap()
                    .baskets
                    .iter()
                    .map(|k| k.entry_stop),
            )
            .collect();
        let want: Vec<u64> = serde_json::from_value(g["basket_entries"][name].clone()).unwrap();
        assert_eq!(stops, want, "{name}: basket table");
    }
    // Clusters tile the entries without empty ranges.
    let clusters = tree.clusters();
    assert!(clusters.iter().all(|c| c.start < c.end), "{clusters:?}");
    assert_eq!(clusters.first().map(|c| c.start), Some(0));
    assert_eq!(clusters.last().map(|c| c.end), Some(n));
    assert!(clusters.windows(2).all(|w| w[0].end == w[1].start));
}

/// Zero-entry baskets in the middle (at entry 100) and at the end of `x`, `a` and `z`, written
/// by ROOT's `TBranch::WriteBasket` (`make_baskets.py`): they add no entries; the values equal
/// uproot's (ROOT's own `GetEntry(100)` returns stale values there, recorded in the golden).
#[test]
fn zero_entry_baskets_add_no_entries() {
    let g = golden("baskets.json");
    let g = &g["empty_baskets"];
    assert_ne!(g["root_entry_100"]["x"], g["x"][100]);
    check_basket_file("empty_baskets.root", g);
}

/// Basket keys claiming 16 more bytes than their object (`make_baskets.py`): an uncompressed
/// one (`x`: the object is no longer than the key's bytes, so it is stored as is, as ROOT
/// decides) and a compressed one (`z`: decompression stops once the object is out) read as
/// ROOT reads them.
#[test]
fn basket_keys_longer_than_their_object_read_as_root_reads_them() {
    let g = golden("baskets.json");
    let g = &g["long_keys"];
    let file = RootFile::open(layouts().join("long_keys.root")).unwrap();
    let tree = file.tree("t").unwrap();
    for name in ["x", "z"] {
        let bytes = tree.branch(name).unwrap().baskets[1].bytes;
        assert_eq!(u64::from(bytes), g["grown_bytes"][name].as_u64().unwrap());
    }
    check_basket_file("long_keys.root", g);
}

/// A column of any numeric type as f64 (bools as 0/1), per entry for jagged ones.
fn any_lists(col: &Column) -> Vec<Vec<f64>> {
    let values: Vec<f64> = match &col.values {
        ColumnValues::I32(v) => v.iter().map(|&x| x as f64).collect(),
        _ => return lists(col),
    };
    match col.offsets.as_deref() {
        Some(o) => o
            .windows(2)
            .map(|w| values[w[0] as usize..w[1] as usize].to_vec())
            .collect(),
        None => values.into_iter().map(|v| vec![v]).collect(),
    }
}

/// std::map and std::bitset (`make_stl.py`): a split `std::map<int,float>` reads as its
/// `m.first` / `m.second` lists and a `std::bitset<8>` member as a list of 8 bools, equal to
/// uproot's values; a `std::vector<std::map<int,float>>` is refused with its reason.
#[test]
fn maps_and_bitsets_read_as_uproot_reads_them_or_are_refused_with_a_reason() {
    let g = golden("stl.json");
    let file = RootFile::open(layouts().join("stl.root")).unwrap();
    let tree = file.tree("t").unwrap();
    let n = tree.entries();
    for name in ["m.first", "m.second", "bits"] {
        let got = any_lists(&tree.read(&file, name, 0..n).unwrap());
        assert_eq!(got, golden_lists(&g[name]), "{name}");
    }
    let bits = tree.read(&file, "bits", 0..n).unwrap();
    assert!(bits.offsets.unwrap().windows(2).all(|w| w[1] - w[0] == 8));
    let k = any_lists(&tree.read(&file, "k", 0..n).unwrap());
    let want: Vec<Vec<f64>> = golden_f64(&g["k"]).into_iter().map(|v| vec![v]).collect();
    assert_eq!(k, want);
    let vm = tree.branch("vm").unwrap();
    let reason = vm.kind.as_ref().unwrap_err();
    assert!(reason.contains("maps inside a collection"), "{reason}");
    assert!(!vm.damaged);
    let err = tree.read(&file, "vm", 0..n).unwrap_err();
    assert!(
        matches!(err, anac::io::root::RootError::Unsupported { .. }),
        "{err}"
    );
}

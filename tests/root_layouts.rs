//! Layouts of `tests/golden/root/layouts/` read as ROOT and uproot read them: a branch with more
//! entries than its tree (`make_layouts.py`) and multi-dimensional fixed arrays (`make_arrays.py`).

use anac::io::root::{ColumnValues, RootFile};
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
/// by the row count, inner offsets by the row length), equal to uproot's nested arrays;
/// `c[2][2][2]/F` stays flat (eight values per entry), equal to uproot's values.
#[test]
fn two_dimensional_fixed_arrays_keep_their_shape() {
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
    let c = tree.read(&file, "c", 0..n).unwrap();
    let ColumnValues::F32(cv) = &c.values else {
        panic!("c: {:?}", c.values)
    };
    assert!(c.offsets.is_none());
    let want: Vec<Vec<Vec<Vec<f64>>>> = serde_json::from_value(golden["c"].clone()).unwrap();
    let flat: Vec<f32> = want
        .iter()
        .flatten()
        .flatten()
        .flatten()
        .map(|&x| x as f32)
        .collect();
    assert_eq!(cv, &flat);
}

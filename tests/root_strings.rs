//! `TString`, `std::vector<TString>` and `std::vector<std::string>` branches (empty entries, empty
//! strings, strings over 255 bytes) and `std::set` branches of ints, doubles and strings read by
//! anac equal what uproot reads from the same file:
//! `tests/golden/root/strings/` (`strings.root` and `strings.json`, committed, made by
//! `make_strings.py` there with PyROOT 6.40 and uproot 5.7.7).

use anac::io::root::{ColumnValues, RootFile};
use serde_json::Value;

#[test]
fn tstrings_and_string_vectors_read_as_uproot_reads_them() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/root/strings");
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("strings.json")).unwrap()).unwrap();
    let file = RootFile::open(dir.join("strings.root")).unwrap();
    let tree = file.tree("t").unwrap();
    for name in ["s", "v", "vv", "ss"] {
        let col = tree
            .read(&file, name, 0..tree.entries())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let ColumnValues::Str { offsets, bytes } = &col.values else {
            panic!("{name}: not strings: {:?}", col.values);
        };
        let strings: Vec<&str> = offsets
            .windows(2)
            .map(|w| std::str::from_utf8(&bytes[w[0] as usize..w[1] as usize]).unwrap())
            .collect();
        let rows = golden[name].as_array().unwrap();
        assert_eq!(rows.len() as u64, tree.entries(), "{name}");
        let want: Vec<Vec<&str>> = rows
            .iter()
            .map(|r| match r {
                Value::Array(xs) => xs.iter().map(|x| x.as_str().unwrap()).collect(),
                x => vec![x.as_str().unwrap()],
            })
            .collect();
        let got: Vec<Vec<&str>> = match &col.offsets {
            // Jagged: entry i holds strings offs[i]..offs[i + 1].
            Some(offs) => offs
                .windows(2)
                .map(|w| strings[w[0] as usize..w[1] as usize].to_vec())
                .collect(),
            None => strings.iter().map(|s| vec![*s]).collect(),
        };
        assert_eq!(got, want, "{name}");
        assert!(
            name == "ss" || want.iter().flatten().any(|s| s.len() > 255),
            "{name}: the file should hold a long string"
        );
    }
    for name in ["si", "sd"] {
        let col = tree.read(&file, name, 0..tree.entries()).unwrap();
        let values: Vec<f64> = match &col.values {
            ColumnValues::I32(v) => v.iter().map(|&x| x as f64).collect(),
            ColumnValues::F64(v) => v.clone(),
            other => panic!("{name}: {other:?}"),
        };
        let offs = col.offsets.as_deref().expect("a set is a list per entry");
        let got: Vec<Vec<f64>> = offs
            .windows(2)
            .map(|w| values[w[0] as usize..w[1] as usize].to_vec())
            .collect();
        let want: Vec<Vec<f64>> = golden[name]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap())
                    .collect()
            })
            .collect();
        assert_eq!(got, want, "{name}");
    }
}

/// A branch filled on its own past the tree's `SetEntries` (130 entries in a 100-entry tree,
/// baskets past the end): anac reads the tree's 100 entries of it as ROOT does
/// (`tests/golden/root/layouts/`, values from PyROOT's `TTree::GetEntry`), and refuses to read
/// past the tree's end.
#[test]
fn a_branch_with_more_entries_than_its_tree_reads_the_trees_entries() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/root/layouts");
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

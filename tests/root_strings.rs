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

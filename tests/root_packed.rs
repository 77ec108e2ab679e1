//! `Double32_t` and `Float16_t` leaves (scalars, fixed arrays, counter arrays; no range, a range
//! with a bit count, `pi` in the range, truncated mantissas) and the leaves of a leaf list
//! (`rec`: `x/F:y/D:k/I:s[2]/S`, read as `rec.x`, ...) read by anac equal, bit for bit, what
//! ROOT 6.40 reads from the same file: `tests/golden/root/packed/` (`packed.root` and
//! `packed.json`, both committed, made by `tests/golden/root/make_packed.py`). uproot 5.7.7 agrees
//! where it reads the branch (the JSON records where it does not, and why).

use anac::io::root::{ColumnValues, RootFile};
use serde_json::Value;

#[test]
fn packed_floats_and_leaf_lists_read_as_root_reads_them() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/root/packed");
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("packed.json")).unwrap()).unwrap();
    let file = RootFile::open(dir.join("packed.root")).unwrap();
    let tree = file.tree("t").unwrap();
    let root = golden["root"].as_object().unwrap();
    assert_eq!(root.len(), 16);
    for (name, want) in root {
        let col = tree
            .read(&file, name, 0..tree.entries())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let values: Vec<f64> = match &col.values {
            ColumnValues::F64(v) => v.clone(),
            ColumnValues::F32(v) => v.iter().map(|&x| x as f64).collect(),
            ColumnValues::I32(v) => v.iter().map(|&x| x as f64).collect(),
            ColumnValues::I16(v) => v.iter().map(|&x| x as f64).collect(),
            other => panic!("{name}: {other:?}"),
        };
        // The golden values entry by entry, flattened; the entry boundaries from the offsets.
        let rows = want.as_array().unwrap();
        let mut flat = Vec::new();
        let mut bounds = vec![0u32];
        for r in rows {
            match r {
                Value::Array(xs) => flat.extend(xs.iter().map(|x| x.as_f64().unwrap())),
                x => flat.push(x.as_f64().unwrap()),
            }
            bounds.push(flat.len() as u32);
        }
        assert_eq!(values.len(), flat.len(), "{name}: element count");
        for (i, (a, b)) in values.iter().zip(&flat).enumerate() {
            assert_eq!(
                a.to_bits(),
                b.to_bits(),
                "{name} value {i}: {a} vs ROOT's {b}"
            );
        }
        if name.starts_with('j') {
            assert_eq!(col.offsets.as_deref(), Some(bounds.as_slice()), "{name}");
        }
    }
}

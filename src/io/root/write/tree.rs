//! Flat trees: branches of numbers, NanoAOD-style counted arrays, `std::vector<T>` branches, and
//! their baskets.
//!
//! Input: a [`Tree`] with whole columns in memory. Output: basket keys (written by
//! [`write_baskets`]) and the `TTree` payload that points at them ([`ttree`]).
//!
//! Invariants:
//! - [`plan`] validates everything first (equal entry counts, counters that exist, are integers,
//!   come earlier and add up to the array lengths), so writing never stops half-way on bad input.
//! - All branches are cut into baskets at the same entries (clusters), and the tree's cluster
//!   description (`fAutoFlush` plus `fClusterRangeEnd`/`fClusterSize` ranges where the size
//!   changes, e.g. between chunks) names exactly those boundaries, which is what ROOT's cluster
//!   iteration (and so RDataFrame's multi-threaded ranges) expects.
//! - A variable-size branch's basket (counted or vector) carries ROOT's entry-offset table: for
//!   each entry the key-relative position of its first byte, then a terminating 0.
//! - A vector branch is a `TBranchElement` whose entries are each streamed as a `vector<T>` object
//!   (byte count, version, length, values); its leaf is a `TLeafElement`.

use super::WriteError;
pub use super::column::Column;
use super::file::{DirId, KeyName, KeyPlace, Sink};

/// Baskets are cut so that the widest branch's basket holds about this many bytes.
const TARGET_BASKET_BYTES: usize = 256 * 1024;
/// `fBasketSize` ROOT would use; recorded for readers that size write buffers from it.
pub(super) const BASKET_SIZE: i32 = 32000;
/// Entry-offset table length ROOT records for variable-size branches.
pub(super) const ENTRY_OFFSET_LEN: i32 = 1000;
/// A `TBranch` status bit ROOT sets on the branches it writes (no per-entry object map needed).
pub(super) const BRANCH_BITS: u32 = 0x0040_0000;
/// Status bits ROOT sets on a `TBranchElement` holding an STL collection.
pub(super) const ELEMENT_BITS: u32 = 0x0050_0000;
/// Version ROOT writes before each streamed `vector<T>` in a basket.
pub(super) const VECTOR_VERSION: i16 = 10;
/// Split level ROOT records for a split `TBranchElement`.
pub(super) const SPLIT_LEVEL: i32 = 99;

/// What one branch holds.
#[derive(Debug, Clone, PartialEq)]
pub enum BranchData {
    /// One value per entry.
    Scalar(Column),
    /// A variable-length array per entry (`Jet_pt[nJet]`): `counter` names an earlier scalar
    /// integer branch of the same tree giving each entry's length; `values` are flattened.
    Counted { counter: String, values: Column },
    /// A `std::vector<T>` per entry: `lengths[i]` values of entry `i`, flattened in `values`.
    Vector { lengths: Vec<usize>, values: Column },
}

/// One branch: its name and data.
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    pub name: String,
    pub data: BranchData,
}

/// A tree to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub name: String,
    pub title: String,
    pub branches: Vec<Branch>,
    /// Entries per basket (cluster); 0 picks a size giving baskets of about 256 KiB.
    pub cluster_size: usize,
}

/// Validated facts about a tree, computed before anything is written.
pub struct Plan {
    pub(super) entries: usize,
    pub(super) cluster: usize,
    pub(super) branches: Vec<BranchPlan>,
    leaf_classes: Vec<&'static str>,
}

pub(super) struct BranchPlan {
    /// For counted and vector branches: the value offset of each entry (`entries + 1` values).
    pub(super) offsets: Option<Vec<usize>>,
    /// For counted branches: index of the counter branch.
    pub(super) counter: Option<usize>,
    pub(super) vector: bool,
    /// For counter branches: the largest count, which ROOT uses to size read buffers.
    pub(super) max_count: Option<usize>,
}

impl Plan {
    /// Leaf classes the tree uses, for the streamer-info record.
    pub fn leaf_classes(&self) -> &[&'static str] {
        &self.leaf_classes
    }
}

pub(super) fn values(b: &Branch) -> &Column {
    match &b.data {
        BranchData::Scalar(c) => c,
        BranchData::Counted { values, .. } | BranchData::Vector { values, .. } => values,
    }
}

/// Checks a tree and works out entry counts, counters and the cluster size.
pub fn plan(t: &Tree) -> Result<Plan, WriteError> {
    let bad = |msg: String| Err(WriteError::Invalid(format!("tree {:?}: {msg}", t.name)));
    if t.name.is_empty() {
        return Err(WriteError::Invalid("a tree needs a name".into()));
    }
    let mut entries: Option<usize> = None;
    let mut plans: Vec<BranchPlan> = Vec::with_capacity(t.branches.len());
    for (i, b) in t.branches.iter().enumerate() {
        if b.name.is_empty() || t.branches[..i].iter().any(|o| o.name == b.name) {
            return bad(format!("branch name {:?} is empty or repeated", b.name));
        }
        // ROOT reads a branch's title as "name[counter]/T", so these characters would change
        // what the branch means.
        if b.name.contains(['/', '[', ']']) {
            return bad(format!("branch name {:?} contains '/', '[' or ']'", b.name));
        }
        let n = match &b.data {
            BranchData::Scalar(c) => c.len(),
            BranchData::Counted { counter, values } => {
                let Some(ci) = t.branches[..i].iter().position(|o| &o.name == counter) else {
                    return bad(format!(
                        "branch {:?}: counter {counter:?} must be an earlier branch",
                        b.name
                    ));
                };
                let BranchData::Scalar(cc) = &t.branches[ci].data else {
                    return bad(format!(
                        "branch {:?}: counter {counter:?} is not scalar",
                        b.name
                    ));
                };
                let counts = match cc.as_counts() {
                    Ok(c) => c,
                    Err(e) => return bad(format!("counter {counter:?}: {e}")),
                };
                let offsets = match offsets_of(&counts, values.len()) {
                    Ok(o) => o,
                    Err(total) => {
                        return bad(format!(
                            "branch {:?} has {} values but {counter:?} counts {total}",
                            b.name,
                            values.len(),
                        ));
                    }
                };
                let max = counts.iter().copied().max().unwrap_or(0);
                let cp = &mut plans[ci];
                cp.max_count = Some(cp.max_count.map_or(max, |m| m.max(max)));
                plans.push(BranchPlan {
                    offsets: Some(offsets),
                    counter: Some(ci),
                    vector: false,
                    max_count: None,
                });
                counts.len()
            }
            BranchData::Vector { lengths, values } => {
                if lengths.iter().any(|&l| l > i32::MAX as usize / 8) {
                    return bad(format!("branch {:?}: a vector is too long", b.name));
                }
                let Ok(offsets) = offsets_of(lengths, values.len()) else {
                    return bad(format!(
                        "branch {:?} has {} values but its lengths add up to {}",
                        b.name,
                        values.len(),
                        lengths.iter().sum::<usize>()
                    ));
                };
                plans.push(BranchPlan {
                    offsets: Some(offsets),
                    counter: None,
                    vector: true,
                    max_count: None,
                });
                lengths.len()
            }
        };
        if let BranchData::Scalar(_) = b.data {
            plans.push(BranchPlan {
                offsets: None,
                counter: None,
                vector: false,
                max_count: None,
            });
        }
        match entries {
            Some(e) if e != n => {
                return bad(format!("branch {:?} has {n} entries, others {e}", b.name));
            }
            _ => entries = Some(n),
        }
    }
    let entries = entries.unwrap_or(0);
    if entries > i64::MAX as usize / 2 {
        return bad("too many entries".into());
    }
    let cluster = if t.cluster_size > 0 {
        t.cluster_size
    } else {
        // Widest branch in bytes per entry decides; at least one entry per basket.
        let widest = t
            .branches
            .iter()
            .map(|b| {
                let c = values(b);
                (c.len() * c.leaf_type().size).div_ceil(entries.max(1)) + 4
            })
            .max()
            .unwrap_or(1);
        (TARGET_BASKET_BYTES / widest).max(1)
    };
    let mut leaf_classes: Vec<&'static str> = Vec::new();
    for b in &t.branches {
        let classes = match b.data {
            BranchData::Vector { .. } => ["TBranchElement", "TLeafElement"],
            _ => [values(b).leaf_type().class; 2],
        };
        for class in classes {
            if !leaf_classes.contains(&class) {
                leaf_classes.push(class);
            }
        }
    }
    Ok(Plan {
        entries,
        cluster,
        branches: plans,
        leaf_classes,
    })
}

impl Plan {
    /// Adds a later chunk of the same tree: more entries, and counters' maxima over both.
    pub fn absorb(&mut self, later: &Plan) {
        self.entries += later.entries;
        for (a, b) in self.branches.iter_mut().zip(&later.branches) {
            a.max_count = match (a.max_count, b.max_count) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            };
        }
    }
}

/// The tree's shape without its data: names, kinds, element types and counters.
pub fn schema_of(t: &Tree) -> Tree {
    let branches = t
        .branches
        .iter()
        .map(|b| Branch {
            name: b.name.clone(),
            data: match &b.data {
                BranchData::Scalar(c) => BranchData::Scalar(c.empty_like()),
                BranchData::Counted { counter, values } => BranchData::Counted {
                    counter: counter.clone(),
                    values: values.empty_like(),
                },
                BranchData::Vector { values, .. } => BranchData::Vector {
                    lengths: Vec::new(),
                    values: values.empty_like(),
                },
            },
        })
        .collect();
    Tree {
        name: t.name.clone(),
        title: t.title.clone(),
        branches,
        cluster_size: t.cluster_size,
    }
}

/// Value offsets of each entry from per-entry lengths; `Err(total)` if they do not add up to `n`.
fn offsets_of(lengths: &[usize], n: usize) -> Result<Vec<usize>, usize> {
    let mut offsets = Vec::with_capacity(lengths.len() + 1);
    offsets.push(0usize);
    for l in lengths {
        offsets.push(offsets[offsets.len() - 1] + l);
    }
    let total = offsets[lengths.len()];
    if total == n { Ok(offsets) } else { Err(total) }
}

/// Where each branch's baskets went: per branch, (first entry, key place) per basket.
pub struct Written {
    pub(super) baskets: Vec<Vec<(usize, KeyPlace)>>,
}

impl Written {
    /// Appends the baskets of a later chunk whose first entry is `offset` in the whole tree.
    pub fn append(&mut self, later: Written, offset: usize) {
        for (mine, theirs) in self.baskets.iter_mut().zip(later.baskets) {
            mine.extend(theirs.into_iter().map(|(first, k)| (first + offset, k)));
        }
    }
}

impl Plan {
    pub fn entries(&self) -> usize {
        self.entries
    }
}

/// Writes every branch's baskets, cluster by cluster.
pub fn write_baskets(
    sink: &mut Sink,
    dir: DirId,
    t: &Tree,
    p: &Plan,
) -> Result<Written, WriteError> {
    let mut baskets: Vec<Vec<(usize, KeyPlace)>> = vec![Vec::new(); t.branches.len()];
    let mut start = 0;
    while start < p.entries {
        let end = (start + p.cluster).min(p.entries);
        for (bi, b) in t.branches.iter().enumerate() {
            let place = write_basket(sink, dir, t, b, &p.branches[bi], start..end)?;
            baskets[bi].push((start, place));
        }
        start = end;
    }
    Ok(Written { baskets })
}

fn write_basket(
    sink: &mut Sink,
    dir: DirId,
    t: &Tree,
    b: &Branch,
    bp: &BranchPlan,
    entries: std::ops::Range<usize>,
) -> Result<KeyPlace, WriteError> {
    let key = KeyName {
        class: "TBasket",
        name: &b.name,
        title: &t.name,
        cycle: 0,
    };
    // The basket's own header (19 bytes) extends the key header; basket keys always use
    // 64-bit seeks, as ROOT's do, so the header size does not depend on the position.
    let keylen = sink.keylen(&key, true) + 19;
    let col = values(b);
    let size = col.leaf_type().size;
    let mut data = Vec::new();
    let n = entries.len();
    let offsets_table = match &bp.offsets {
        None => {
            col.put_range(entries.clone(), &mut data);
            None
        }
        Some(offs) if bp.vector => {
            // Each entry is a whole vector<T> object: byte count, version, length, values.
            let mut table = Vec::with_capacity(n);
            for e in entries.clone() {
                table.push(keylen + data.len());
                let len = offs[e + 1] - offs[e];
                let bytes = 6 + len * size;
                data.extend_from_slice(&(0x4000_0000 | bytes as u32).to_be_bytes());
                data.extend_from_slice(&VECTOR_VERSION.to_be_bytes());
                data.extend_from_slice(&(len as u32).to_be_bytes());
                col.put_range(offs[e]..offs[e + 1], &mut data);
            }
            Some(table)
        }
        Some(offs) => {
            let (a, z) = (offs[entries.start], offs[entries.end]);
            col.put_range(a..z, &mut data);
            let table: Vec<usize> = entries
                .clone()
                .map(|e| keylen + (offs[e] - a) * size)
                .collect();
            Some(table)
        }
    };
    let last = keylen + data.len();
    let mut payload = data;
    if let Some(table) = &offsets_table {
        payload.extend_from_slice(&((n + 1) as i32).to_be_bytes());
        for &o in table {
            let o = i32::try_from(o).map_err(|_| WriteError::TooLarge("basket"))?;
            payload.extend_from_slice(&o.to_be_bytes());
        }
        payload.extend_from_slice(&0i32.to_be_bytes());
    }
    let last = i32::try_from(last).map_err(|_| WriteError::TooLarge("basket"))?;
    let mut extra = Vec::with_capacity(19);
    extra.extend_from_slice(&3i16.to_be_bytes()); // TBasket version
    let buffer_size = (keylen + payload.len()).max(BASKET_SIZE as usize);
    let buffer_size = i32::try_from(buffer_size).map_err(|_| WriteError::TooLarge("basket"))?;
    extra.extend_from_slice(&buffer_size.to_be_bytes());
    let nev_size = if bp.offsets.is_some() {
        ENTRY_OFFSET_LEN
    } else {
        size as i32
    };
    extra.extend_from_slice(&nev_size.to_be_bytes());
    extra.extend_from_slice(&(n as i32).to_be_bytes());
    extra.extend_from_slice(&last.to_be_bytes());
    extra.push(0); // not a header-only basket
    sink.write_key(&key, true, &extra, &payload, false, dir)
}

pub use super::tree_object::ttree;

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(branches: Vec<Branch>, cluster_size: usize) -> Tree {
        Tree {
            name: "t".into(),
            title: String::new(),
            branches,
            cluster_size,
        }
    }

    fn scalar(name: &str, c: Column) -> Branch {
        Branch {
            name: name.into(),
            data: BranchData::Scalar(c),
        }
    }

    #[test]
    fn automatic_clusters_aim_at_a_quarter_mebibyte_per_basket() {
        let t = tree(vec![scalar("x", Column::F64(vec![0.0; 100_000]))], 0);
        let p = plan(&t).unwrap();
        assert_eq!(p.cluster, 256 * 1024 / 12);
        assert_eq!(p.entries, 100_000);
    }

    #[test]
    fn counters_record_their_largest_count() {
        let t = tree(
            vec![
                scalar("n", Column::U8(vec![2, 0, 5])),
                Branch {
                    name: "a".into(),
                    data: BranchData::Counted {
                        counter: "n".into(),
                        values: Column::F32(vec![0.0; 7]),
                    },
                },
            ],
            2,
        );
        let p = plan(&t).unwrap();
        assert_eq!(p.branches[0].max_count, Some(5));
        assert_eq!(p.branches[1].offsets.as_deref(), Some(&[0, 2, 2, 7][..]));
    }

    #[test]
    fn bad_trees_are_rejected() {
        let uneven = tree(
            vec![
                scalar("a", Column::I32(vec![1, 2])),
                scalar("b", Column::I32(vec![1])),
            ],
            0,
        );
        assert!(plan(&uneven).is_err());
        let slashed = tree(vec![scalar("a/b", Column::I32(vec![1]))], 0);
        assert!(plan(&slashed).is_err());
        let float_counter = tree(
            vec![
                scalar("n", Column::F32(vec![1.0])),
                Branch {
                    name: "a".into(),
                    data: BranchData::Counted {
                        counter: "n".into(),
                        values: Column::F32(vec![0.0]),
                    },
                },
            ],
            0,
        );
        let e = plan(&float_counter).err().unwrap().to_string();
        assert!(e.contains("integer"), "{e}");
    }
}

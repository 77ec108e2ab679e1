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
use super::buffer::Buf;
pub use super::column::Column;
use super::compress::ZLIB_SETTING;
use super::file::{DirId, KeyName, KeyPlace, Sink};
use super::hist::{att_fill, att_line};

/// Baskets are cut so that the widest branch's basket holds about this many bytes.
const TARGET_BASKET_BYTES: usize = 256 * 1024;
/// `fBasketSize` ROOT would use; recorded for readers that size write buffers from it.
const BASKET_SIZE: i32 = 32000;
/// Entry-offset table length ROOT records for variable-size branches.
const ENTRY_OFFSET_LEN: i32 = 1000;
/// A `TBranch` status bit ROOT sets on the branches it writes (no per-entry object map needed).
const BRANCH_BITS: u32 = 0x0040_0000;
/// Status bits ROOT sets on a `TBranchElement` holding an STL collection.
const ELEMENT_BITS: u32 = 0x0050_0000;
/// Version ROOT writes before each streamed `vector<T>` in a basket.
const VECTOR_VERSION: i16 = 10;
/// Split level ROOT records for a split `TBranchElement`.
const SPLIT_LEVEL: i32 = 99;

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
    entries: usize,
    cluster: usize,
    branches: Vec<BranchPlan>,
    leaf_classes: Vec<&'static str>,
}

struct BranchPlan {
    /// For counted and vector branches: the value offset of each entry (`entries + 1` values).
    offsets: Option<Vec<usize>>,
    /// For counted branches: index of the counter branch.
    counter: Option<usize>,
    vector: bool,
    /// For counter branches: the largest count, which ROOT uses to size read buffers.
    max_count: Option<usize>,
}

impl Plan {
    /// Leaf classes the tree uses, for the streamer-info record.
    pub fn leaf_classes(&self) -> &[&'static str] {
        &self.leaf_classes
    }
}

fn values(b: &Branch) -> &Column {
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
    baskets: Vec<Vec<(usize, KeyPlace)>>,
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

/// Serializes the `TTree` payload for a key of `keylen` bytes.
pub fn ttree(t: &Tree, p: &Plan, w: &Written, keylen: u32) -> Vec<u8> {
    let mut b = Buf::new(keylen);
    let top = b.begin_section(20);
    b.tnamed(&t.name, &t.title, 0);
    att_line(&mut b);
    att_fill(&mut b);
    let marker = b.begin_section(3);
    b.i16(1);
    b.i16(1);
    b.f32(1.0);
    b.end_section(marker);
    let tot: u64 = w
        .baskets
        .iter()
        .flatten()
        .map(|(_, k)| u64::from(k.objlen + k.keylen))
        .sum();
    let zip: u64 = w
        .baskets
        .iter()
        .flatten()
        .map(|(_, k)| u64::from(k.nbytes))
        .sum();
    b.i64(p.entries as i64);
    b.i64(tot as i64);
    b.i64(zip as i64);
    b.i64(0); // fSavedBytes
    b.i64(0); // fFlushedBytes
    b.f64(1.0); // fWeight
    b.i32(0); // fTimerInterval
    b.i32(25); // fScanField
    b.i32(0); // fUpdate
    b.i32(ENTRY_OFFSET_LEN); // fDefaultEntryOffsetLen
    let (ranges, auto_flush) = cluster_ranges(w, p);
    b.i32(ranges.len() as i32); // fNClusterRange
    b.i64(1_000_000_000_000); // fMaxEntries
    b.i64(1_000_000_000_000); // fMaxEntryLoop
    b.i64(0); // fMaxVirtualSize
    b.i64(-300_000_000); // fAutoSave
    b.i64(auto_flush as i64); // fAutoFlush: entries per cluster after the last range
    b.i64(1_000_000); // fEstimate
    // fClusterRangeEnd (last entry of each range, inclusive) and fClusterSize, each preceded by
    // ROOT's "array present" byte.
    b.u8(1);
    for (end, _) in &ranges {
        b.i64(*end as i64 - 1);
    }
    b.u8(1);
    for (_, size) in &ranges {
        b.i64(*size as i64);
    }
    io_features(&mut b);

    let branches = b.begin_section(3);
    b.tobject(0);
    b.tstring("");
    b.i32(t.branches.len() as i32);
    b.i32(0);
    let mut leaf_tags: Vec<u32> = Vec::with_capacity(t.branches.len());
    for (bi, br) in t.branches.iter().enumerate() {
        let counter_tag = p.branches[bi].counter.map(|ci| leaf_tags[ci]);
        let tag = branch(
            &mut b,
            br,
            &p.branches[bi],
            &w.baskets[bi],
            p.entries,
            counter_tag,
        );
        leaf_tags.push(tag);
    }
    b.end_section(branches);

    let leaves = b.begin_section(3);
    b.tobject(0);
    b.tstring("");
    b.i32(leaf_tags.len() as i32);
    b.i32(0);
    for tag in &leaf_tags {
        b.object_ref(*tag);
    }
    b.end_section(leaves);
    b.null_pointer(); // fAliases
    b.array_f64(&[]); // fIndexValues
    b.i32(0); // fIndex (TArrayI, empty)
    b.null_pointer(); // fTreeIndex
    b.null_pointer(); // fFriends
    b.null_pointer(); // fUserInfo
    b.null_pointer(); // fBranchRef
    b.end_section(top);
    b.data
}

/// The cluster layout as ROOT describes it: runs of equal-size clusters as (end entry exclusive,
/// size), all but the last, and the size of the last run (`fAutoFlush`). A shorter basket that ends
/// the tree belongs to the run before it, as ROOT's final partial cluster does.
fn cluster_ranges(w: &Written, p: &Plan) -> (Vec<(usize, usize)>, usize) {
    let Some(baskets) = w.baskets.first().filter(|b| !b.is_empty()) else {
        return (Vec::new(), p.cluster);
    };
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, (first, _)) in baskets.iter().enumerate() {
        let end = baskets.get(i + 1).map_or(p.entries, |(next, _)| *next);
        let size = end - first;
        let last = i + 1 == baskets.len();
        match runs.last_mut() {
            Some(run) if run.1 == size || (last && size < run.1) => run.0 = end,
            _ => runs.push((end, size)),
        }
    }
    let auto_flush = runs.last().map_or(p.cluster, |r| r.1);
    runs.pop();
    (runs, auto_flush)
}

/// `ROOT::TIOFeatures`, a non-`TObject` class: version 0 announces a checksum, then the bits.
fn io_features(b: &mut Buf) {
    let s = b.begin_section(0);
    b.u32(0x1aa1_2f10);
    b.u8(0);
    b.end_section(s);
}

fn empty_obj_array(b: &mut Buf) {
    let s = b.begin_section(3);
    b.tobject(0);
    b.tstring("");
    b.i32(0);
    b.i32(0);
    b.end_section(s);
}

/// One `TBranch` with its leaf; returns the leaf's object tag.
fn branch(
    b: &mut Buf,
    br: &Branch,
    bp: &BranchPlan,
    baskets: &[(usize, KeyPlace)],
    entries: usize,
    counter_tag: Option<u32>,
) -> u32 {
    let col = values(br);
    let lt = col.leaf_type();
    let leaf_title = match &br.data {
        BranchData::Counted { counter, .. } => format!("{}[{counter}]", br.name),
        _ => br.name.clone(),
    };
    let (class, bits, title, split) = if bp.vector {
        ("TBranchElement", ELEMENT_BITS, br.name.clone(), SPLIT_LEVEL)
    } else {
        let title = format!("{leaf_title}/{}", lt.letter);
        ("TBranch", BRANCH_BITS, title, 0)
    };
    let (ptr, _) = b.begin_pointer(class);
    let element = bp.vector.then(|| b.begin_section(10));
    let s = b.begin_section(13);
    b.tnamed(&br.name, &title, bits);
    att_fill(b);
    b.i32(ZLIB_SETTING);
    b.i32(BASKET_SIZE);
    let offset_len = if bp.offsets.is_some() {
        ENTRY_OFFSET_LEN
    } else {
        0
    };
    b.i32(offset_len);
    b.i32(baskets.len() as i32); // fWriteBasket
    b.i64(entries as i64); // fEntryNumber
    io_features(b);
    b.i32(0); // fOffset
    let max_baskets = (baskets.len() + 1).max(10);
    b.i32(max_baskets as i32);
    b.i32(split);
    b.i64(entries as i64);
    b.i64(0); // fFirstEntry
    let tot: u64 = baskets
        .iter()
        .map(|(_, k)| u64::from(k.objlen + k.keylen))
        .sum();
    let zip: u64 = baskets.iter().map(|(_, k)| u64::from(k.nbytes)).sum();
    b.i64(tot as i64);
    b.i64(zip as i64);
    empty_obj_array(b); // fBranches
    let leaves = b.begin_section(3);
    b.tobject(0);
    b.tstring("");
    b.i32(1);
    b.i32(0);
    let tag = if bp.vector {
        element_leaf(b, &br.name)
    } else {
        leaf(b, &br.name, &leaf_title, col, bp, counter_tag)
    };
    b.end_section(leaves);
    empty_obj_array(b); // fBaskets: none kept in memory
    b.u8(1);
    for i in 0..max_baskets {
        b.u32(baskets.get(i).map_or(0, |(_, k)| k.nbytes));
    }
    b.u8(1);
    for i in 0..max_baskets {
        // After the last basket comes the total entry count, as ROOT records it.
        let first = match baskets.get(i) {
            Some((first, _)) => *first,
            None if i == baskets.len() => entries,
            None => 0,
        };
        b.i64(first as i64);
    }
    b.u8(1);
    for i in 0..max_baskets {
        b.u64(baskets.get(i).map_or(0, |(_, k)| k.seek));
    }
    b.tstring(""); // fFileName: baskets are in this file
    b.end_section(s);
    if let Some(element) = element {
        let (name, checksum) = vector_class(col);
        b.tstring(name); // fClassName
        b.tstring(""); // fParentName
        b.tstring(""); // fClonesName
        b.u32(checksum);
        b.i16(6); // fClassVersion of the vector<T> class
        b.i32(-1); // fID: the whole object, not one member
        b.i32(0); // fType: top-level branch
        b.i32(-1); // fStreamerType
        b.i32(0); // fMaximum
        b.null_pointer(); // fBranchCount
        b.null_pointer(); // fBranchCount2
        b.end_section(element);
    }
    b.end_pointer(ptr);
    tag
}

/// ROOT's class name and checksum of `vector<T>` for the column's element type.
fn vector_class(c: &Column) -> (&'static str, u32) {
    match c {
        Column::Bool(_) => ("vector<bool>", 0x01c8_b117),
        Column::I8(_) => ("vector<char>", 0x01c8_b03f),
        Column::U8(_) => ("vector<unsigned char>", 0x2b72_30da),
        Column::I16(_) => ("vector<short>", 0x055a_2247),
        Column::U16(_) => ("vector<unsigned short>", 0x8256_a418),
        Column::I32(_) => ("vector<int>", 0x0098_3b88),
        Column::U32(_) => ("vector<unsigned int>", 0xb926_1111),
        Column::I64(_) => ("vector<Long64_t>", 0x907d_d4be),
        Column::U64(_) => ("vector<ULong64_t>", 0xb178_f86b),
        Column::F32(_) => ("vector<float>", 0x055a_169b),
        Column::F64(_) => ("vector<double>", 0x100e_4364),
    }
}

/// The `TLeafElement` of a vector branch; returns its object tag.
fn element_leaf(b: &mut Buf, name: &str) -> u32 {
    let (ptr, tag) = b.begin_pointer("TLeafElement");
    let s = b.begin_section(1);
    let base = b.begin_section(2);
    b.tnamed(name, name, 0);
    b.i32(1); // fLen
    b.i32(0); // fLenType: decided by the element's streamer
    b.i32(0); // fOffset
    b.bool(false); // fIsRange
    b.bool(false); // fIsUnsigned
    b.null_pointer(); // fLeafCount
    b.end_section(base);
    b.i32(-1); // fID
    b.i32(-1); // fType
    b.end_section(s);
    b.end_pointer(ptr);
    tag
}

/// One `TLeafX`; returns its object tag so counted leaves and the tree can point at it.
fn leaf(
    b: &mut Buf,
    name: &str,
    title: &str,
    col: &Column,
    bp: &BranchPlan,
    counter_tag: Option<u32>,
) -> u32 {
    let lt = col.leaf_type();
    let (ptr, tag) = b.begin_pointer(lt.class);
    let s = b.begin_section(1);
    let base = b.begin_section(2);
    b.tnamed(name, title, 0);
    b.i32(1); // fLen
    b.i32(lt.size as i32);
    b.i32(0); // fOffset
    b.bool(bp.max_count.is_some()); // fIsRange: this leaf counts another
    b.bool(lt.unsigned);
    match counter_tag {
        Some(t) => b.object_ref(t),
        None => b.null_pointer(),
    }
    b.end_section(base);
    // fMinimum, fMaximum in the leaf's own type; a counter's maximum sizes readers' buffers.
    let max = bp.max_count.unwrap_or(0) as i64;
    match lt.class {
        "TLeafO" => {
            b.bool(false);
            b.bool(max > 0);
        }
        // Counts were validated against the counter column's own type, so the bit pattern of
        // the same width is the value itself (signed or not).
        "TLeafB" => {
            b.u8(0);
            b.u8(max as u8);
        }
        "TLeafS" => {
            b.u16(0);
            b.u16(max as u16);
        }
        "TLeafI" => {
            b.u32(0);
            b.u32(max as u32);
        }
        "TLeafL" => {
            b.i64(0);
            b.i64(max);
        }
        "TLeafF" => {
            b.f32(0.0);
            b.f32(0.0);
        }
        _ => {
            b.f64(0.0);
            b.f64(0.0);
        }
    }
    b.end_section(s);
    b.end_pointer(ptr);
    tag
}

//! The `TTree` object: tree header, cluster layout, `TBranch`/`TBranchElement` entries with their
//! basket tables, and leaves.
//!
//! Input: a tree's schema, its [`Plan`] and where its baskets went ([`Written`]). Output: the
//! serialized `TTree` payload for its key.
//!
//! Invariants: leaves are written before anything points at them (a counted leaf's `fLeafCount`
//! and the tree's `fLeaves` are references to leaf objects already in the buffer); basket tables
//! have room for one more slot than baskets, where ROOT keeps the total entry count.

use super::buffer::Buf;
use super::column::Column;
use super::compress::ZLIB_SETTING;
use super::file::KeyPlace;
use super::hist::{att_fill, att_line};
use super::tree::{
    BASKET_SIZE, BRANCH_BITS, Branch, BranchData, BranchPlan, ELEMENT_BITS, ENTRY_OFFSET_LEN, Plan,
    SPLIT_LEVEL, Tree, Written, values,
};

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

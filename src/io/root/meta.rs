//! Parses a streamed `TTree` object into plain metadata: branches (TBranch, TBranchElement),
//! their leaves, basket tables and the baskets embedded in the metadata.
//!
//! Input: the decompressed bytes of the tree's key (references count from the key start).
//! Output: [`RawTree`] with arenas of branches and leaves linked by index. Invariants: every
//! array length is checked against the bytes left before allocating; unknown classes inside
//! object arrays are skipped by their byte count; newer class versions are read with the latest
//! known layout and their extra trailing members skipped. Old layouts: TTree version 5 and
//! TBranch version 8 (ROOT 5.2x: counters as double, 32-bit basket tables) are read; other
//! versions older than the modern ones (TTree < 16, TBranch < 10) are refused by name.

use super::cursor::Cursor;
use super::error::{Bad, bad};
use super::streamer::{
    Pointer, finish, read_header, read_pointer, read_tnamed, read_tobject, skip_object,
};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct RawTree {
    pub entries: i64,
    pub auto_flush: i64,
    pub cluster_range_end: Vec<i64>,
    pub cluster_size: Vec<i64>,
    pub top: Vec<usize>,
    pub branches: Vec<RawBranch>,
    pub leaves: Vec<RawLeaf>,
}

#[derive(Debug, Default, Clone)]
pub struct RawBranch {
    pub name: String,
    pub title: String,
    pub class: String,
    pub compress: i32,
    pub write_basket: i32,
    pub entries: i64,
    pub tot_bytes: i64,
    pub zip_bytes: i64,
    pub basket_bytes: Vec<i32>,
    pub basket_entry: Vec<i64>,
    pub basket_seek: Vec<i64>,
    pub children: Vec<usize>,
    pub leaves: Vec<usize>,
    pub embedded: Vec<EmbeddedBasket>,
    /// TBranchElement only.
    pub element: Option<Element>,
}

#[derive(Debug, Clone)]
pub struct Element {
    /// For a member of a split object: the class it belongs to, and `id` its element index in
    /// that class's streamer info.
    pub class_name: String,
    pub id: i32,
    pub ftype: i32,
    pub streamer_type: i32,
}

#[derive(Debug, Clone, Default)]
pub struct RawLeaf {
    pub class: String,
    /// The leaf's name (a member of a leaf list) and title (`x[3]/d[0,10,12]`: name,
    /// dimensions, type code and, for Double32_t/Float16_t, the packing range).
    pub name: String,
    pub title: String,
    pub len: i32,
    pub is_unsigned: bool,
    /// Index of the counter leaf.
    pub count: Option<usize>,
    /// Index of the branch holding this leaf (set after parsing).
    pub branch: Option<usize>,
}

/// A basket stored inside the TTree metadata (not yet flushed when the file was closed).
#[derive(Debug, Clone)]
pub struct EmbeddedBasket {
    pub nevbuf: usize,
    /// Entry data (without the key header).
    pub data: Vec<u8>,
    /// Byte offsets of entries in `data`, `nevbuf + 1` values ending at `data.len()`.
    pub offsets: Option<Vec<u32>>,
}

#[derive(Clone, Copy)]
enum Obj {
    Branch(usize),
    Leaf(usize),
    Basket,
    Other,
}

struct Parser {
    classes: HashMap<usize, String>,
    objects: HashMap<usize, Obj>,
    branches: Vec<RawBranch>,
    leaves: Vec<RawLeaf>,
    /// Embedded baskets read by the branch currently being parsed.
    pending_baskets: Vec<EmbeddedBasket>,
    depth: usize,
}

const MAX_NESTING: usize = 64;

pub fn parse_tree(buf: &[u8], keylen: usize, class: &str) -> Result<RawTree, Bad> {
    let mut c = Cursor::with_origin(buf, keylen);
    let mut p = Parser {
        classes: HashMap::new(),
        objects: HashMap::new(),
        branches: Vec::new(),
        leaves: Vec::new(),
        pending_baskets: Vec::new(),
        depth: 0,
    };
    let outer = if class == "TNtuple" || class == "TNtupleD" {
        Some(read_header(&mut c)?)
    } else {
        None
    };
    let mut t = p.read_ttree(&mut c)?;
    let _ = outer;
    for (bi, b) in p.branches.iter().enumerate() {
        for &li in &b.leaves {
            if let Some(l) = p.leaves.get_mut(li) {
                l.branch = Some(bi);
            }
        }
    }
    t.branches = p.branches;
    t.leaves = p.leaves;
    Ok(t)
}

/// A count ROOT 5 stored as a double: must be a non-negative whole number that fits i64.
pub(super) fn whole_count(x: f64, member: &str, owner: &str) -> Result<i64, Bad> {
    if !(x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < 9.0e18) {
        return bad!("{member} of `{owner}` is {x}, not a whole non-negative count");
    }
    Ok(x as i64)
}

fn read_i64s(c: &mut Cursor, n: usize, what: &str) -> Result<Vec<i64>, Bad> {
    if n > c.remaining() / 8 {
        return bad!("{what} has {n} values, more than the bytes left");
    }
    (0..n).map(|_| c.i64()).collect()
}

fn read_i32s(c: &mut Cursor, n: usize, what: &str) -> Result<Vec<i32>, Bad> {
    if n > c.remaining() / 4 {
        return bad!("{what} has {n} values, more than the bytes left");
    }
    (0..n).map(|_| c.i32()).collect()
}

impl Parser {
    fn read_ttree(&mut self, c: &mut Cursor) -> Result<RawTree, Bad> {
        let h = read_header(c)?;
        let v = h.version;
        if v == 5 {
            return self.read_ttree_v5(c);
        }
        if v < 16 {
            return bad!(
                "TTree version {v} (written by ROOT 5.2x or older) is not supported (versions 5 \
                 and 16 or later are)"
            );
        }
        let (_name, _title) = read_tnamed(c)?;
        skip_object(c, Some(6), "TAttLine")?;
        skip_object(c, Some(4), "TAttFill")?;
        skip_object(c, Some(8), "TAttMarker")?;
        let entries = c.i64()?;
        let _tot = c.i64()?;
        let _zip = c.i64()?;
        let _saved = c.i64()?;
        if v >= 18 {
            let _flushed = c.i64()?;
        }
        let _weight = c.u64()?;
        let _timer = c.i32()?;
        let _scan = c.i32()?;
        let _update = c.i32()?;
        if v >= 17 {
            let _default_offset_len = c.i32()?;
        }
        let mut n_ranges = 0usize;
        if v >= 19 {
            let n = c.i32()?;
            if n < 0 {
                return bad!("TTree has a negative cluster range count {n}");
            }
            n_ranges = n as usize;
        }
        let _max_entries = c.i64()?;
        let _max_loop = c.i64()?;
        let _max_virtual = c.i64()?;
        let _auto_save = c.i64()?;
        let auto_flush = if v >= 18 { c.i64()? } else { 0 };
        let _estimate = c.i64()?;
        let (mut range_end, mut range_size) = (Vec::new(), Vec::new());
        if v >= 19 {
            let _flag = c.u8()?;
            range_end = read_i64s(c, n_ranges, "fClusterRangeEnd")?;
            let _flag = c.u8()?;
            range_size = read_i64s(c, n_ranges, "fClusterSize")?;
        }
        if v >= 20 {
            skip_object(c, None, "TIOFeatures")?;
        }
        let top = self.read_objarray(c)?;
        let top = top
            .into_iter()
            .filter_map(|o| match o {
                Some(Obj::Branch(i)) => Some(i),
                _ => None,
            })
            .collect();
        // fLeaves and later members are not needed: the key's buffer bounds the object anyway.
        let _ = h.end;
        Ok(RawTree {
            entries,
            auto_flush,
            cluster_range_end: range_end,
            cluster_size: range_size,
            top,
            ..RawTree::default()
        })
    }

    /// TTree version 5 (ROOT 5.2x and older), members per that era's streamer info: TNamed,
    /// TAttLine, TAttFill, TAttMarker, then fEntries, fTotBytes, fZipBytes, fSavedBytes as
    /// double, seven int settings, then fBranches. Later members (fLeaves, indices) are left
    /// unread (nothing follows the tree in its key). No cluster members: clusters come from the
    /// basket boundaries all branches share.
    fn read_ttree_v5(&mut self, c: &mut Cursor) -> Result<RawTree, Bad> {
        let (name, _title) = read_tnamed(c)?;
        skip_object(c, None, "TAttLine")?;
        skip_object(c, None, "TAttFill")?;
        skip_object(c, None, "TAttMarker")?;
        let entries = whole_count(f64::from_bits(c.u64()?), "fEntries", &name)?;
        // fTotBytes, fZipBytes, fSavedBytes (double); fTimerInterval, fScanField, fUpdate,
        // fMaxEntryLoop, fMaxVirtualSize, fAutoSave, fEstimate (int).
        c.skip(3 * 8 + 7 * 4)?;
        let top = self.branch_indices(c)?;
        Ok(RawTree {
            entries,
            top,
            ..RawTree::default()
        })
    }

    /// A `TObjArray` of branches: the indices of the branches it holds.
    fn branch_indices(&mut self, c: &mut Cursor) -> Result<Vec<usize>, Bad> {
        Ok(self
            .read_objarray(c)?
            .into_iter()
            .filter_map(|o| match o {
                Some(Obj::Branch(i)) => Some(i),
                _ => None,
            })
            .collect())
    }

    /// `TObjArray`: its elements' pointers resolved to parsed objects (None for null/unknown).
    fn read_objarray(&mut self, c: &mut Cursor) -> Result<Vec<Option<Obj>>, Bad> {
        let h = read_header(c)?;
        read_tobject(c)?;
        let _name = c.string()?;
        let n = c.i32()?;
        let _low = c.i32()?;
        if n < 0 || n as usize > c.remaining() / 4 {
            return bad!("object array claims {n} elements, more than its bytes allow");
        }
        let mut out = Vec::with_capacity(n as usize);
        for i in 0..n {
            out.push(
                self.read_any(c)
                    .map_err(|e| e.context(format!("element {i}")))?,
            );
        }
        finish(c, h, "TObjArray")?;
        Ok(out)
    }

    fn read_any(&mut self, c: &mut Cursor) -> Result<Option<Obj>, Bad> {
        match read_pointer(c, &mut self.classes)? {
            Pointer::Null => Ok(None),
            Pointer::Earlier(pos) => Ok(self.objects.get(&pos).copied()),
            Pointer::New {
                class,
                end,
                map_pos,
            } => {
                if self.depth >= MAX_NESTING {
                    return bad!("objects nested more than {MAX_NESTING} deep");
                }
                self.depth += 1;
                let r = self.read_new(c, &class);
                self.depth -= 1;
                let obj = r.map_err(|e| e.context(class.clone()))?;
                if let Some(end) = end {
                    if c.pos() > end {
                        return bad!("{class} object read past its byte count");
                    }
                    c.seek(end)?;
                }
                self.objects.insert(map_pos, obj);
                Ok(Some(obj))
            }
        }
    }

    fn read_new(&mut self, c: &mut Cursor, class: &str) -> Result<Obj, Bad> {
        match class {
            "TBranch" => self.read_branch(c, class).map(Obj::Branch),
            "TBranchElement" => self.read_branch_element(c).map(Obj::Branch),
            "TBranchObject" => {
                let h = read_header(c)?;
                let b = self.read_branch(c, class)?;
                finish(c, h, class)?;
                Ok(Obj::Branch(b))
            }
            "TBasket" => {
                let b = read_embedded_basket(c)?;
                if let Some(b) = b {
                    self.pending_baskets.push(b);
                }
                Ok(Obj::Basket)
            }
            c_name if c_name.starts_with("TLeaf") => self.read_leaf(c, class).map(Obj::Leaf),
            _ => Ok(Obj::Other),
        }
    }

    fn read_leaf(&mut self, c: &mut Cursor, class: &str) -> Result<usize, Bad> {
        let outer = read_header(c)?;
        let h = read_header(c)?;
        let (name, title) = read_tnamed(c)?;
        let len = c.i32()?;
        let _len_type = c.i32()?;
        let _offset = c.i32()?;
        let _is_range = c.u8()?;
        let is_unsigned = c.u8()? != 0;
        let count = match self.read_any(c)? {
            Some(Obj::Leaf(i)) => Some(i),
            _ => None,
        };
        finish(c, h, "TLeaf")?;
        if outer.end.is_none() {
            let extra = match class {
                "TLeafO" | "TLeafB" => 2,
                "TLeafS" => 4,
                "TLeafI" | "TLeafC" | "TLeafF" | "TLeafElement" => 8,
                "TLeafL" | "TLeafG" | "TLeafD" => 16,
                _ => return bad!("{class} without a byte count cannot be skipped"),
            };
            c.skip(extra)?;
        }
        finish(c, outer, class)?;
        self.leaves.push(RawLeaf {
            class: class.to_string(),
            name,
            title,
            len,
            is_unsigned,
            count,
            branch: None,
        });
        Ok(self.leaves.len() - 1)
    }

    fn read_branch_element(&mut self, c: &mut Cursor) -> Result<usize, Bad> {
        let h = read_header(c)?;
        if h.version < 8 {
            return bad!("TBranchElement version {} is not supported", h.version);
        }
        let bi = self.read_branch(c, "TBranchElement")?;
        let class_name = c.string()?;
        let _parent = c.string()?;
        let _clones = c.string()?;
        let _checksum = c.u32()?;
        if h.version >= 10 {
            c.i16()?;
        } else {
            c.i32()?;
        }
        let id = c.i32()?;
        let ftype = c.i32()?;
        let streamer_type = c.i32()?;
        let _maximum = c.i32()?;
        let _count = self.read_any(c)?;
        let _count2 = self.read_any(c)?;
        finish(c, h, "TBranchElement")?;
        if let Some(b) = self.branches.get_mut(bi) {
            b.element = Some(Element {
                class_name,
                id,
                ftype,
                streamer_type,
            });
        }
        Ok(bi)
    }

    fn read_branch(&mut self, c: &mut Cursor, class: &str) -> Result<usize, Bad> {
        let h = read_header(c)?;
        let v = h.version;
        // Version 8 (ROOT 5.2x and older) stores counters as int and double and the basket
        // tables as 32-bit values (layout from that era's streamer info for TBranch v8).
        let old = v == 8;
        if v < 10 && !old {
            return bad!(
                "TBranch version {v} (ROOT 5.x or older) is not supported (versions 8 and 10 \
                 or later are)"
            );
        }
        let (name, title) = read_tnamed(c)?;
        skip_object(c, Some(4), "TAttFill")?;
        let compress = c.i32()?;
        let _basket_size = c.i32()?;
        let _entry_offset_len = c.i32()?;
        let write_basket = c.i32()?;
        let _entry_number = if old { i64::from(c.i32()?) } else { c.i64()? };
        if v >= 13 {
            skip_object(c, None, "TIOFeatures")?;
        }
        let _offset = c.i32()?;
        let max_baskets = c.i32()?;
        let _split = c.i32()?;
        let (entries, tot_bytes, zip_bytes) = if old {
            (
                whole_count(f64::from_bits(c.u64()?), "fEntries", &name)?,
                whole_count(f64::from_bits(c.u64()?), "fTotBytes", &name)?,
                whole_count(f64::from_bits(c.u64()?), "fZipBytes", &name)?,
            )
        } else {
            let entries = c.i64()?;
            if v >= 11 {
                let _first = c.i64()?;
            }
            (entries, c.i64()?, c.i64()?)
        };
        if max_baskets < 0 || write_basket < 0 || write_basket > max_baskets {
            return bad!(
                "branch `{name}` has invalid basket counts (fMaxBaskets {max_baskets}, \
                 fWriteBasket {write_basket})"
            );
        }
        let saved = std::mem::take(&mut self.pending_baskets);
        let children = self
            .read_objarray(c)
            .map_err(|e| e.context(format!("sub-branches of `{name}`")))?
            .into_iter()
            .filter_map(|o| match o {
                Some(Obj::Branch(i)) => Some(i),
                _ => None,
            })
            .collect();
        let leaves = self
            .read_objarray(c)
            .map_err(|e| e.context(format!("leaves of `{name}`")))?
            .into_iter()
            .filter_map(|o| match o {
                Some(Obj::Leaf(i)) => Some(i),
                _ => None,
            })
            .collect();
        self.pending_baskets.clear();
        self.read_objarray(c)
            .map_err(|e| e.context(format!("embedded baskets of `{name}`")))?;
        let embedded = std::mem::replace(&mut self.pending_baskets, saved);
        let n = max_baskets as usize;
        let what = format!("basket table of `{name}`");
        let flag = c.u8()?;
        let basket_bytes = if flag != 0 {
            read_i32s(c, n, &what)?
        } else {
            Vec::new()
        };
        let wide = |c: &mut Cursor| -> Result<Vec<i64>, Bad> {
            let flag = c.u8()?;
            if flag == 0 {
                Ok(Vec::new())
            } else if old {
                Ok(read_i32s(c, n, &what)?.into_iter().map(i64::from).collect())
            } else {
                read_i64s(c, n, &what)
            }
        };
        let basket_entry = wide(c)?;
        let basket_seek = wide(c)?;
        let _file_name = c.string()?;
        finish(c, h, class)?;
        self.branches.push(RawBranch {
            name,
            title,
            class: class.to_string(),
            compress,
            write_basket,
            entries,
            tot_bytes,
            zip_bytes,
            basket_bytes,
            basket_entry,
            basket_seek,
            children,
            leaves,
            embedded,
            element: None,
        });
        Ok(self.branches.len() - 1)
    }
}

/// A `TBasket` streamed inside a branch: key header, basket header, then (per its flag) the
/// entry offsets and a copy of the key plus the data. Returns None for an empty basket.
fn read_embedded_basket(c: &mut Cursor) -> Result<Option<EmbeddedBasket>, Bad> {
    let _nbytes = c.i32()?;
    let key_version = c.i16()?;
    let _objlen = c.i32()?;
    let _datime = c.u32()?;
    let keylen = c.i16()?;
    let _cycle = c.i16()?;
    if key_version > 1000 {
        c.skip(16)?;
    } else {
        c.skip(8)?;
    }
    let _class = c.string()?;
    let _name = c.string()?;
    let _title = c.string()?;
    let _version = c.u16()?;
    let _buffer_size = c.i32()?;
    let _nevbufsize = c.i32()?;
    let nevbuf = c.i32()?;
    let last = c.i32()?;
    let flag = c.u8()?;
    if nevbuf < 0 || last < 0 || keylen < 0 || last < keylen as i32 {
        return bad!(
            "embedded basket has invalid sizes (entries {nevbuf}, fLast {last}, key {keylen})"
        );
    }
    let (nevbuf, last, keylen) = (nevbuf as usize, last as usize, keylen as usize);
    if flag == 0 {
        return Ok(None);
    }
    let mut offsets = None;
    if flag % 10 != 2 {
        let n = c.i32()?;
        if n < 0 || (n as usize) < nevbuf {
            return bad!("embedded basket has {n} entry offsets for {nevbuf} entries");
        }
        let raw = read_i32s(c, n as usize, "embedded basket entry offsets")?;
        if flag > 40 {
            let n2 = c.i32()?;
            if n2 < 0 {
                return bad!("embedded basket has a negative displacement count");
            }
            read_i32s(c, n2 as usize, "embedded basket displacements")?;
        }
        offsets = Some(relative_offsets(&raw[..nevbuf], keylen, last)?);
    }
    if !(flag == 1 || flag > 10) {
        return bad!("embedded basket with flag {flag} has no data buffer");
    }
    let buf = c.bytes(last)?;
    let data = buf[keylen..].to_vec();
    Ok(Some(EmbeddedBasket {
        nevbuf,
        data,
        offsets,
    }))
}

/// Entry offsets as stored (absolute, counting the key header) → offsets into the data with the
/// end appended; checks they are non-decreasing and inside the data.
pub fn relative_offsets(raw: &[i32], keylen: usize, last: usize) -> Result<Vec<u32>, Bad> {
    let mut out = Vec::with_capacity(raw.len() + 1);
    let mut prev = keylen as i64;
    for (i, &o) in raw.iter().enumerate() {
        let o = o as i64;
        if o < prev || o > last as i64 {
            return bad!(
                "entry offset {i} is {o}, outside {prev}..={last} (offsets must increase inside \
                 the basket)"
            );
        }
        out.push((o - keylen as i64) as u32);
        prev = o;
    }
    out.push((last - keylen) as u32);
    Ok(out)
}

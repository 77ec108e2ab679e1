//! RNTuple metadata: the anchor, the header and footer envelopes, the page lists of the cluster
//! groups, parsed into plain structures ([`Meta`]). Envelopes are little-endian, made of record
//! and list frames whose sizes are checked against the envelope before anything is read; every
//! count is bounded by the bytes that would have to hold it before a vector is allocated.

use super::{Fail, fail};
use crate::io::root::{RootFile, Scratch};

/// Largest envelope or page accepted (ROOT's own key limit is 1 GiB).
pub(crate) const MAX_BLOB: u64 = 1 << 30;
/// Fields nested deeper than this are refused (real data nests a few levels).
const MAX_FIELD_DEPTH: u32 = 256;
/// (cluster, column) pairs a page list may leave out (deferred columns), in all.
const MAX_PADDED_COLUMNS: usize = 1 << 22;

/// Field flag: a fixed-size array (`std::array<T, N>`, `T[N]`, `std::bitset<N>`).
pub(crate) const FLAG_REPETITIVE: u16 = 0x01;
/// Field flag: a projected field (its columns are aliases of another field's).
pub(crate) const FLAG_PROJECTED: u16 = 0x02;
const FLAG_CHECKSUM: u16 = 0x04;
/// Column flag: deferred column (first element index not zero).
pub(crate) const COL_DEFERRED: u16 = 0x01;
const COL_RANGE: u16 = 0x02;

pub(crate) const ROLE_LEAF: u16 = 0;
pub(crate) const ROLE_COLLECTION: u16 = 1;
pub(crate) const ROLE_RECORD: u16 = 2;

/// The anchor: where the header and footer are.
#[derive(Debug, Clone)]
pub(crate) struct Anchor {
    pub version: [u16; 4],
    pub seek_header: u64,
    pub nbytes_header: u64,
    pub len_header: u64,
    pub seek_footer: u64,
    pub nbytes_footer: u64,
    pub len_footer: u64,
    pub max_key_size: u64,
}

/// One field of the schema (header and schema extension, in ID order).
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: String,
    pub type_name: String,
    pub type_alias: String,
    pub parent: u32,
    pub role: u16,
    pub flags: u16,
    pub repetition: u64,
    pub source: Option<u32>,
    pub children: Vec<u32>,
    /// Physical column IDs attached to this field (its own, or aliased for projected fields),
    /// grouped by representation index, in attachment order.
    pub columns: Vec<Vec<u32>>,
}

impl Field {
    pub fn is_top(&self, id: u32) -> bool {
        self.parent == id
    }
}

/// One physical column.
#[derive(Debug, Clone)]
pub(crate) struct ColumnDesc {
    pub ty: u16,
    pub bits: u16,
    pub field: u32,
    pub flags: u16,
    pub repr: u16,
    pub first_element: u64,
    /// Deferred and suppressed (negative first element index): a secondary representation,
    /// absent from the clusters up to its first element's.
    pub deferred_suppressed: bool,
    pub range: Option<(f64, f64)>,
}

/// One page of a column in a cluster.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub elements: u32,
    pub checksum: bool,
    pub offset: u64,
    pub size: u64,
    /// Cluster-local index of its first element.
    pub first: u64,
}

/// A column's pages in one cluster.
#[derive(Debug, Clone, Default)]
pub(crate) struct ColumnPages {
    /// Whether the cluster's page list names this column (deferred columns may be absent).
    pub listed: bool,
    pub suppressed: bool,
    pub element_offset: u64,
    pub compression: u32,
    pub pages: Vec<Page>,
    /// Elements in the cluster (sum of the pages').
    pub elements: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct Cluster {
    pub first_entry: u64,
    pub entries: u64,
    /// Indexed by physical column ID (columns absent from this cluster's page list are empty).
    pub columns: Vec<ColumnPages>,
}

/// Everything read from an RNTuple's metadata.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub anchor: Anchor,
    pub name: String,
    pub description: String,
    pub writer: String,
    pub fields: Vec<Field>,
    pub columns: Vec<ColumnDesc>,
    pub clusters: Vec<Cluster>,
    pub entries: u64,
}

/// A little-endian reader over a byte slice; every read is bounds-checked.
pub(crate) struct Rd<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Rd<'a> {
    pub fn new(buf: &'a [u8]) -> Rd<'a> {
        Rd { buf, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], Fail> {
        if n > self.remaining() {
            return fail!(
                "{n} bytes wanted at byte {} but only {} remain",
                self.pos,
                self.remaining()
            );
        }
        let b = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(b)
    }

    fn arr<const N: usize>(&mut self) -> Result<[u8; N], Fail> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.bytes(N)?);
        Ok(a)
    }

    fn u16(&mut self) -> Result<u16, Fail> {
        Ok(u16::from_le_bytes(self.arr()?))
    }
    fn u32(&mut self) -> Result<u32, Fail> {
        Ok(u32::from_le_bytes(self.arr()?))
    }
    fn i32(&mut self) -> Result<i32, Fail> {
        Ok(i32::from_le_bytes(self.arr()?))
    }
    fn u64(&mut self) -> Result<u64, Fail> {
        Ok(u64::from_le_bytes(self.arr()?))
    }
    fn i64(&mut self) -> Result<i64, Fail> {
        Ok(i64::from_le_bytes(self.arr()?))
    }
    fn f64(&mut self) -> Result<f64, Fail> {
        Ok(f64::from_le_bytes(self.arr()?))
    }

    fn string(&mut self) -> Result<String, Fail> {
        let n = self.u32()? as usize;
        let b = self.bytes(n)?;
        match std::str::from_utf8(b) {
            Ok(s) => Ok(s.to_string()),
            Err(_) => fail!("a string at byte {} is not UTF-8", self.pos - n),
        }
    }

    /// Opens a frame: returns a reader over its contents (preamble consumed) and, for list
    /// frames, the item count (bounded by `min_item` bytes per item); skips past it here.
    fn frame(&mut self, min_item: usize) -> Result<(Rd<'a>, Option<u32>), Fail> {
        let start = self.pos;
        let size = self.i64()?;
        let (len, items) = if size < 0 {
            let n = self.u32()?;
            (size.unsigned_abs(), Some(n))
        } else {
            (size as u64, None)
        };
        let head = self.pos - start;
        if len < head as u64 || len > (self.buf.len() - start) as u64 {
            return fail!(
                "a frame at byte {start} claims {len} bytes, outside its {}-byte envelope",
                self.buf.len()
            );
        }
        let end = start + len as usize;
        if let Some(n) = items
            && n as usize > (end - self.pos) / min_item.max(1)
        {
            return fail!("a list frame at byte {start} claims {n} items in {len} bytes");
        }
        let sub = Rd {
            buf: &self.buf[..end],
            pos: self.pos,
        };
        self.pos = end;
        Ok((sub, items))
    }

    fn record(&mut self) -> Result<Rd<'a>, Fail> {
        match self.frame(1)? {
            (r, None) => Ok(r),
            (_, Some(_)) => fail!("a list frame where a record frame belongs"),
        }
    }

    fn list(&mut self, min_item: usize) -> Result<(Rd<'a>, u32), Fail> {
        match self.frame(min_item)? {
            (r, Some(n)) => Ok((r, n)),
            (_, None) => fail!("a record frame where a list frame belongs"),
        }
    }

    /// A locator: (offset, size in bytes).
    fn locator(&mut self) -> Result<(u64, u64), Fail> {
        let start = self.pos;
        let size = self.i32()?;
        if size >= 0 {
            let offset = self.u64()?;
            return Ok((offset, size as u64));
        }
        // A non-standard locator: the negated size holds type (8 bits), reserved (8) and the
        // locator's own size (16).
        let raw = size.unsigned_abs();
        let own = (raw & 0xffff) as usize;
        let ty = raw >> 24;
        if ty != 1 {
            return fail!("locator type {ty} (only on-file locators) is not supported");
        }
        let n = self.u64()?;
        let offset = self.u64()?;
        if own < self.pos - start || own > self.buf.len() - start {
            return fail!("a large locator at byte {start} claims {own} bytes");
        }
        self.pos = start + own;
        Ok((offset, n))
    }

    fn feature_flags(&mut self) -> Result<(), Fail> {
        loop {
            let f = self.u64()?;
            if f & !(1 << 63) != 0 {
                return fail!("feature flags {f:#x} (unknown format features) are not supported");
            }
            if f & (1 << 63) == 0 {
                return Ok(());
            }
        }
    }
}

/// Checks that `ctx` holds `len` bytes at `offset` within a blob limit (`max_key` too).
fn check_blob(what: &str, offset: u64, nbytes: u64, len: u64, max_key: u64) -> Result<(), Fail> {
    if len > MAX_BLOB || nbytes > MAX_BLOB {
        return fail!("{what} claims {len} bytes ({nbytes} on disk), more than 1 GiB");
    }
    if max_key > 0 && nbytes > max_key {
        return fail!(
            "{what} at {offset} ({nbytes} bytes) is split over several keys, which is not supported"
        );
    }
    Ok(())
}

/// Reads an envelope (compressed or not) of type `ty`: checks its length and its xxhash3
/// checksum; returns the whole envelope (preamble and checksum included) and its checksum.
fn envelope(
    file: &RootFile,
    scratch: &mut Scratch,
    what: &str,
    ty: u16,
    (offset, nbytes): (u64, u64),
    len: u64,
    max_key: u64,
) -> Result<(Vec<u8>, u64), Fail> {
    check_blob(what, offset, nbytes, len, max_key)?;
    if len < 16 {
        return fail!("{what} is {len} bytes long, shorter than an envelope");
    }
    let mut raw = Vec::new();
    file.read_into(offset, nbytes as usize, &mut raw)
        .map_err(|b| Fail(format!("{what}: {}", b.0)))?;
    let env = if nbytes == len {
        raw
    } else {
        super::decode::check_blocks(&raw, len).map_err(|e| e.context(what))?;
        let mut out = vec![0u8; len as usize];
        scratch
            .unzip(&raw, &mut out)
            .map_err(|e| Fail(format!("{what}: {e}")))?;
        out
    };
    let body = &env[..env.len() - 8];
    let mut tail = [0u8; 8];
    tail.copy_from_slice(&env[env.len() - 8..]);
    let stored = u64::from_le_bytes(tail);
    let computed = xxhash_rust::xxh3::xxh3_64(body);
    if stored != computed {
        return fail!(
            "{what}: checksum mismatch (stored {stored:#018x}, computed {computed:#018x})"
        );
    }
    let mut r = Rd::new(body);
    let head = r.u64()?;
    let (got_ty, got_len) = ((head & 0xffff) as u16, head >> 16);
    if got_ty != ty {
        return fail!("{what}: envelope type {got_ty}, expected {ty}");
    }
    if got_len != len {
        return fail!("{what}: envelope says {got_len} bytes, its link says {len}");
    }
    Ok((env, computed))
}

/// Parses the anchor object (after ROOT's byte-count and version preamble, when present).
pub(crate) fn parse_anchor(obj: &[u8]) -> Result<Anchor, Fail> {
    const BODY: usize = 4 * 2 + 7 * 8;
    let body_at = if obj.len() >= 6 && obj[0] & 0x40 != 0 {
        6
    } else {
        0
    };
    if obj.len() < body_at + BODY + 8 {
        return fail!("the anchor is {} bytes, too short", obj.len());
    }
    let body = &obj[body_at..body_at + BODY];
    let be16 = |i: usize| u16::from_be_bytes([body[i], body[i + 1]]);
    let be64 = |i: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&body[i..i + 8]);
        u64::from_be_bytes(a)
    };
    let version = [be16(0), be16(2), be16(4), be16(6)];
    if version[0] != 1 {
        return fail!(
            "RNTuple format version {}.{}.{}.{} (only epoch 1, format 1.x) is not supported",
            version[0],
            version[1],
            version[2],
            version[3]
        );
    }
    let mut c = [0u8; 8];
    c.copy_from_slice(&obj[body_at + BODY..body_at + BODY + 8]);
    let stored = u64::from_be_bytes(c);
    let computed = xxhash_rust::xxh3::xxh3_64(body);
    if stored != computed {
        return fail!(
            "anchor checksum mismatch (stored {stored:#018x}, computed {computed:#018x})"
        );
    }
    Ok(Anchor {
        version,
        seek_header: be64(8),
        nbytes_header: be64(16),
        len_header: be64(24),
        seek_footer: be64(32),
        nbytes_footer: be64(40),
        len_footer: be64(48),
        max_key_size: be64(56),
    })
}

/// The four list frames of a schema description (header, or footer's schema extension).
fn schema_description(
    r: &mut Rd,
    fields: &mut Vec<Field>,
    columns: &mut Vec<ColumnDesc>,
    aliases: &mut Vec<(u32, u32)>,
) -> Result<(), Fail> {
    let (mut l, n) = r.list(8)?;
    for _ in 0..n {
        let mut f = l.record()?;
        let _field_version = f.u32()?;
        let _type_version = f.u32()?;
        let parent = f.u32()?;
        let role = f.u16()?;
        let flags = f.u16()?;
        let name = f.string()?;
        let type_name = f.string()?;
        let type_alias = f.string()?;
        let _description = f.string()?;
        let repetition = if flags & FLAG_REPETITIVE != 0 {
            f.u64()?
        } else {
            0
        };
        let source = if flags & FLAG_PROJECTED != 0 {
            Some(f.u32()?)
        } else {
            None
        };
        if flags & FLAG_CHECKSUM != 0 {
            let _ = f.u32()?;
        }
        fields.push(Field {
            name,
            type_name,
            type_alias,
            parent,
            role,
            flags,
            repetition,
            source,
            children: Vec::new(),
            columns: Vec::new(),
        });
    }
    let (mut l, n) = r.list(8)?;
    for _ in 0..n {
        let mut c = l.record()?;
        let ty = c.u16()?;
        let bits = c.u16()?;
        let field = c.u32()?;
        let flags = c.u16()?;
        let repr = c.u16()?;
        let (first_element, deferred_suppressed) = if flags & COL_DEFERRED != 0 {
            let v = c.i64()?;
            (v.unsigned_abs(), v < 0)
        } else {
            (0, false)
        };
        let range = if flags & COL_RANGE != 0 {
            Some((c.f64()?, c.f64()?))
        } else {
            None
        };
        columns.push(ColumnDesc {
            ty,
            bits,
            field,
            flags,
            repr,
            first_element,
            deferred_suppressed,
            range,
        });
    }
    let (mut l, n) = r.list(8)?;
    for _ in 0..n {
        let mut a = l.record()?;
        let physical = a.u32()?;
        let field = a.u32()?;
        aliases.push((physical, field));
    }
    let (_, _) = r.list(8)?; // extra type information: not needed to read data
    Ok(())
}

/// Reads and checks the whole metadata of the RNTuple whose anchor is `anchor`.
pub(crate) fn read_meta(file: &RootFile, anchor: Anchor) -> Result<Meta, Fail> {
    let mut scratch = Scratch::default();
    let max_key = anchor.max_key_size;
    let (header, header_sum) = envelope(
        file,
        &mut scratch,
        "header",
        1,
        (anchor.seek_header, anchor.nbytes_header),
        anchor.len_header,
        max_key,
    )?;
    let mut r = Rd::new(&header[8..header.len() - 8]);
    r.feature_flags().map_err(|e| e.context("header"))?;
    let name = r.string()?;
    let description = r.string()?;
    let writer = r.string()?;
    let mut fields = Vec::new();
    let mut columns = Vec::new();
    let mut aliases = Vec::new();
    schema_description(&mut r, &mut fields, &mut columns, &mut aliases)
        .map_err(|e| e.context("header schema"))?;

    let (footer, _) = envelope(
        file,
        &mut scratch,
        "footer",
        2,
        (anchor.seek_footer, anchor.nbytes_footer),
        anchor.len_footer,
        max_key,
    )?;
    let mut r = Rd::new(&footer[8..footer.len() - 8]);
    r.feature_flags().map_err(|e| e.context("footer"))?;
    let hsum = r.u64()?;
    if hsum != header_sum {
        return fail!(
            "the footer belongs to another header (its header checksum {hsum:#018x}, the \
             header's {header_sum:#018x})"
        );
    }
    {
        let mut ext = r.record().map_err(|e| e.context("schema extension"))?;
        if ext.remaining() > 0 {
            schema_description(&mut ext, &mut fields, &mut columns, &mut aliases)
                .map_err(|e| e.context("schema extension"))?;
        }
    }
    let mut groups = Vec::new();
    let (mut l, n) = r.list(8).map_err(|e| e.context("cluster groups"))?;
    for g in 0..n {
        let mut c = l.record()?;
        let min_entry = c.u64()?;
        let span = c.u64()?;
        let nclusters = c.u32()?;
        let len = c.u64()?;
        let loc = c.locator()?;
        groups.push((g, min_entry, span, nclusters, len, loc));
    }

    link_fields(&mut fields, &columns, &aliases)?;

    let mut clusters: Vec<Cluster> = Vec::new();
    let mut padded = 0usize;
    for (g, min_entry, span, nclusters, len, loc) in groups {
        let what = format!("page list of cluster group {g}");
        let (pl, _) = envelope(file, &mut scratch, &what, 3, loc, len, max_key)?;
        let mut r = Rd::new(&pl[8..pl.len() - 8]);
        let mut read = |r: &mut Rd, clusters: &mut Vec<Cluster>| -> Result<(), Fail> {
            let hsum = r.u64()?;
            if hsum != header_sum {
                return fail!("it belongs to another header");
            }
            let (mut l, n) = r.list(16)?;
            if n != nclusters {
                return fail!("{n} cluster summaries, but the footer says {nclusters}");
            }
            let first_new = clusters.len();
            for _ in 0..n {
                let mut s = l.record()?;
                let first_entry = s.u64()?;
                let word = s.u64()?;
                let (entries, flags) = (word & ((1 << 56) - 1), word >> 56);
                if flags & 1 != 0 {
                    return fail!("sharded clusters are not supported");
                }
                clusters.push(Cluster {
                    first_entry,
                    entries,
                    columns: Vec::new(),
                });
            }
            let (mut top, n) = r.list(8)?;
            if n != nclusters {
                return fail!("page locations for {n} clusters, but {nclusters} clusters");
            }
            for ci in 0..n as usize {
                let (mut cols, ncols) = top.list(8)?;
                if ncols as usize > columns.len() {
                    return fail!(
                        "cluster {ci} lists {ncols} columns, the schema has {}",
                        columns.len()
                    );
                }
                let mut out = Vec::with_capacity(ncols as usize);
                for col in 0..ncols {
                    let (mut pages, np) = cols.list(16)?;
                    let mut cp = ColumnPages {
                        listed: true,
                        ..ColumnPages::default()
                    };
                    let mut first = 0u64;
                    for p in 0..np {
                        let ne = pages.i32()?;
                        let (offset, size) = pages.locator()?;
                        let elements = ne.unsigned_abs();
                        if elements == 0 {
                            return fail!("cluster {ci}, column {col}: page {p} has no elements");
                        }
                        cp.pages.push(Page {
                            elements,
                            checksum: ne < 0,
                            offset,
                            size,
                            first,
                        });
                        first += elements as u64;
                    }
                    cp.elements = first;
                    let eo = pages.i64()?;
                    if eo < 0 {
                        cp.suppressed = true;
                        cp.element_offset = eo.unsigned_abs();
                        if np != 0 {
                            return fail!("cluster {ci}, column {col} is suppressed but has pages");
                        }
                    } else {
                        cp.element_offset = eo as u64;
                        cp.compression = pages.u32()?;
                    }
                    out.push(cp);
                }
                // Columns a cluster does not list (added later by a schema extension) get empty
                // page lists; bounded, so a page list that lists nothing cannot make the
                // header's column count times the cluster count allocate gigabytes.
                padded += columns.len().saturating_sub(out.len());
                if padded > MAX_PADDED_COLUMNS {
                    return fail!(
                        "more than {MAX_PADDED_COLUMNS} (cluster, column) pairs without a page list"
                    );
                }
                out.resize_with(columns.len(), ColumnPages::default);
                clusters[first_new + ci].columns = out;
            }
            Ok(())
        };
        read(&mut r, &mut clusters).map_err(|e| e.context(&what))?;
        let _ = (min_entry, span);
    }
    let mut entries = 0u64;
    for (i, c) in clusters.iter().enumerate() {
        if c.first_entry != entries {
            return fail!(
                "cluster {i} starts at entry {}, but the clusters before it end at {entries}",
                c.first_entry
            );
        }
        entries = match entries.checked_add(c.entries) {
            Some(e) => e,
            None => return fail!("cluster {i}: entry count overflows"),
        };
    }
    Ok(Meta {
        anchor,
        name,
        description,
        writer,
        fields,
        columns,
        clusters,
        entries,
    })
}

/// Links fields to their parents and columns (own and aliased), checking every ID.
fn link_fields(
    fields: &mut [Field],
    columns: &[ColumnDesc],
    aliases: &[(u32, u32)],
) -> Result<(), Fail> {
    let nf = fields.len() as u32;
    for id in 0..nf {
        let f = &fields[id as usize];
        let (parent, source) = (f.parent, f.source);
        if parent >= nf {
            return fail!("field {id} (`{}`) has parent {parent}, not a field", f.name);
        }
        if parent != id {
            fields[parent as usize].children.push(id);
        }
        if let Some(s) = source
            && s >= nf
        {
            return fail!("field {id} is projected from {s}, not a field");
        }
    }
    // A parent chain must reach a top-level field (no cycles), within MAX_FIELD_DEPTH levels:
    // depths computed once per field (linear time), so a crafted chain of many thousand fields
    // costs no quadratic walk here or in the schema and `describe` walks that follow.
    let mut depth: Vec<u32> = vec![u32::MAX; nf as usize];
    for id in 0..nf {
        let mut chain = Vec::new();
        let mut at = id;
        let base = loop {
            if depth[at as usize] != u32::MAX {
                break depth[at as usize];
            }
            if chain.len() > nf as usize {
                return fail!("field {id}'s parents form a cycle");
            }
            chain.push(at);
            let p = fields[at as usize].parent;
            if p == at {
                break 0;
            }
            at = p;
        };
        // `chain` ends at the first field of known depth, or at the top-level field (depth 0).
        let top_known = depth[at as usize] != u32::MAX;
        for (k, &f) in chain.iter().rev().enumerate() {
            let d = if top_known {
                base + 1 + k as u32
            } else {
                base + k as u32
            };
            if d > MAX_FIELD_DEPTH {
                return fail!(
                    "field {id} is nested more than {MAX_FIELD_DEPTH} levels deep, which is not supported"
                );
            }
            depth[f as usize] = d;
        }
    }
    let attach = |fields: &mut [Field], field: u32, col: u32| -> Result<(), Fail> {
        let Some(f) = fields.get_mut(field as usize) else {
            return fail!("column {col} belongs to field {field}, not a field");
        };
        let Some(c) = columns.get(col as usize) else {
            return fail!("an alias refers to column {col}, not a column");
        };
        let r = c.repr as usize;
        if r > f.columns.len() {
            return fail!("field `{}`: column representation {r} skips one", f.name);
        }
        if r == f.columns.len() {
            f.columns.push(Vec::new());
        }
        f.columns[r].push(col);
        Ok(())
    };
    for (i, c) in columns.iter().enumerate() {
        attach(fields, c.field, i as u32)?;
    }
    for &(physical, field) in aliases {
        attach(fields, field, physical)?;
    }
    for f in fields.iter() {
        if let Some(first) = f.columns.first()
            && f.columns.iter().any(|r| r.len() != first.len())
        {
            return fail!(
                "field `{}` has column representations of different sizes",
                f.name
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchor_bytes(epoch: u16) -> Vec<u8> {
        let mut body = Vec::new();
        for v in [epoch, 0, 0, 0] {
            body.extend_from_slice(&v.to_be_bytes());
        }
        for v in [100u64, 20, 40, 200, 10, 30, 1 << 30] {
            body.extend_from_slice(&v.to_be_bytes());
        }
        let sum = xxhash_rust::xxh3::xxh3_64(&body);
        // ROOT's byte count and class version, then the members and their checksum.
        let mut obj = vec![0x40, 0, 0, 74, 0, 2];
        obj.extend_from_slice(&body);
        obj.extend_from_slice(&sum.to_be_bytes());
        obj
    }

    #[test]
    fn anchor_version_and_checksum_are_checked() {
        let a = parse_anchor(&anchor_bytes(1)).unwrap();
        assert_eq!(a.seek_header, 100);
        assert_eq!(a.len_footer, 30);
        // A pre-release (epoch 0, `ROOT::Experimental::RNTuple`) anchor is refused.
        let e = parse_anchor(&anchor_bytes(0)).unwrap_err();
        assert!(e.0.ends_with("is not supported"), "{}", e.0);
        let mut bad = anchor_bytes(1);
        bad[20] ^= 1;
        assert!(parse_anchor(&bad).unwrap_err().0.contains("checksum"));
        assert!(parse_anchor(&bad[..40]).is_err());
    }

    #[test]
    fn frames_and_locators_are_bounded() {
        // A list frame claiming more items than its bytes can hold.
        let mut b = (-16i64).to_le_bytes().to_vec();
        b.extend_from_slice(&1000u32.to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        assert!(Rd::new(&b).list(8).is_err());
        // A record frame running past its envelope.
        let b = 64i64.to_le_bytes();
        assert!(Rd::new(&b).record().is_err());
        // A large locator (type 1): 64-bit size and offset.
        let mut b = (-((1i32 << 24) | 20)).to_le_bytes().to_vec();
        b.extend_from_slice(&5u64.to_le_bytes());
        b.extend_from_slice(&7u64.to_le_bytes());
        assert_eq!(Rd::new(&b).locator().unwrap(), (7, 5));
        // Unknown feature flags are refused.
        let b = 2u64.to_le_bytes();
        assert!(Rd::new(&b).feature_flags().is_err());
    }
}

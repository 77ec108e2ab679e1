//! One column's pages over a cluster-local element range, decoded and appended to typed values
//! or to collection index values.
//!
//! A page is read (with its xxhash3 checksum when flagged, checked), decompressed through the
//! TTree reader's ROOT block decoder when its size differs from the size its element count
//! implies, then decoded element by element: split columns gather each element's bytes from the
//! byte planes, zigzag and delta are undone (delta runs from the page's first element), bit,
//! truncated and quantized columns are unpacked from their little-endian bit stream.

use super::meta::{ColumnDesc, ColumnPages, MAX_BLOB, Meta};
use super::{Fail, fail};
use crate::io::root::{ColumnValues, RootFile, Scratch};
use std::ops::Range;

/// What a column's elements are on disk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Kind {
    Bit,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F16,
    F32,
    F64,
    Index,
    /// A float with its mantissa truncated to `bits` bits in all.
    Trunc,
    /// An integer of `bits` bits mapping linearly onto the column's range.
    Quant,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Enc {
    pub kind: Kind,
    /// Bits per element on disk.
    pub bits: u32,
    pub split: bool,
    pub zigzag: bool,
    pub delta: bool,
    pub range: (f64, f64),
}

/// Name of a column type, for messages and `describe`.
pub(crate) fn type_name(ty: u16) -> &'static str {
    match ty {
        0x00 => "Bit",
        0x01 => "Byte",
        0x02 => "Char",
        0x03 => "Int8",
        0x04 => "UInt8",
        0x05 => "Int16",
        0x06 => "UInt16",
        0x07 => "Int32",
        0x08 => "UInt32",
        0x09 => "Int64",
        0x0A => "UInt64",
        0x0B => "Real16",
        0x0C => "Real32",
        0x0D => "Real64",
        0x0E => "Index32",
        0x0F => "Index64",
        0x10 => "Switch",
        0x11 => "SplitInt16",
        0x12 => "SplitUInt16",
        0x13 => "SplitInt32",
        0x14 => "SplitUInt32",
        0x15 => "SplitInt64",
        0x16 => "SplitUInt64",
        0x17 => "SplitReal16",
        0x18 => "SplitReal32",
        0x19 => "SplitReal64",
        0x1A => "SplitIndex32",
        0x1B => "SplitIndex64",
        0x1C => "Real32Trunc",
        0x1D => "Real32Quant",
        _ => "unknown",
    }
}

/// The encoding of a column, checked against its declared bits on storage.
pub(crate) fn encoding(c: &ColumnDesc) -> Result<Enc, Fail> {
    use Kind::*;
    let (kind, width, split, zigzag, delta) = match c.ty {
        0x00 => (Bit, 1, false, false, false),
        0x01 | 0x04 => (U8, 8, false, false, false),
        0x02 | 0x03 => (I8, 8, false, false, false),
        0x05 => (I16, 16, false, false, false),
        0x06 => (U16, 16, false, false, false),
        0x07 => (I32, 32, false, false, false),
        0x08 => (U32, 32, false, false, false),
        0x09 => (I64, 64, false, false, false),
        0x0A => (U64, 64, false, false, false),
        0x0B => (F16, 16, false, false, false),
        0x0C => (F32, 32, false, false, false),
        0x0D => (F64, 64, false, false, false),
        0x0E => (Index, 32, false, false, false),
        0x0F => (Index, 64, false, false, false),
        0x11 => (I16, 16, true, true, false),
        0x12 => (U16, 16, true, false, false),
        0x13 => (I32, 32, true, true, false),
        0x14 => (U32, 32, true, false, false),
        0x15 => (I64, 64, true, true, false),
        0x16 => (U64, 64, true, false, false),
        0x17 => (F16, 16, true, false, false),
        0x18 => (F32, 32, true, false, false),
        0x19 => (F64, 64, true, false, false),
        0x1A => (Index, 32, true, false, true),
        0x1B => (Index, 64, true, false, true),
        0x1C => {
            if !(10..=31).contains(&c.bits) {
                return fail!("a Real32Trunc column of {} bits", c.bits);
            }
            (Trunc, c.bits as u32, false, false, false)
        }
        0x1D => {
            if !(1..=32).contains(&c.bits) {
                return fail!("a Real32Quant column of {} bits", c.bits);
            }
            (Quant, c.bits as u32, false, false, false)
        }
        t => {
            return fail!("column type {t:#04x} ({}) is not supported", type_name(t));
        }
    };
    if c.bits as u32 != width {
        return fail!(
            "a {} column declares {} bits per element, not {width}",
            type_name(c.ty),
            c.bits
        );
    }
    let range = match (kind, c.range) {
        (Quant, Some((lo, hi))) if lo.is_finite() && hi.is_finite() && lo <= hi => (lo, hi),
        (Quant, _) => return fail!("a Real32Quant column without a valid value range"),
        _ => (0.0, 0.0),
    };
    Ok(Enc {
        kind,
        bits: width,
        split,
        zigzag,
        delta,
        range,
    })
}

/// Where decoded elements go.
pub(crate) enum Sink<'a> {
    Values(&'a mut ColumnValues),
    Index(&'a mut Vec<u64>),
    /// Raw characters of a string column.
    Bytes(&'a mut Vec<u8>),
}

/// Appends the cluster-local elements `range` of column `col` in cluster `ci` to `sink`.
///
/// `nominal` is the global index of the cluster's local element 0 for columns aligned with the
/// entries (no collection above them), `None` below a collection. A deferred column (added
/// while writing) reads as elements decoded from zero bytes below its first element index, as
/// the specification prescribes; it can only be aligned with the entries.
#[allow(clippy::too_many_arguments)]
pub(crate) fn read_column(
    meta: &Meta,
    file: &RootFile,
    scratch: &mut Scratch,
    ci: usize,
    col: u32,
    range: Range<u64>,
    nominal: Option<u64>,
    sink: &mut Sink,
) -> Result<(), Fail> {
    let desc = &meta.columns[col as usize];
    let enc = encoding(desc)?;
    let cluster = &meta.clusters[ci];
    let empty = ColumnPages::default();
    let cp = cluster.columns.get(col as usize).unwrap_or(&empty);
    // Synthetic zero elements at the start of the cluster (deferred columns).
    let mut zeros = 0u64;
    if desc.flags & super::meta::COL_DEFERRED != 0 && desc.first_element > 0 {
        let Some(nominal) = nominal else {
            return fail!("column {col} is deferred below a collection, which is not supported");
        };
        zeros = desc.first_element.saturating_sub(nominal);
        if cp.elements > 0 && cp.element_offset != nominal.saturating_add(zeros) {
            return fail!(
                "cluster {ci}: deferred column {col} starts at element {}, expected {}",
                cp.element_offset,
                nominal.saturating_add(zeros)
            );
        }
        let z_end = range.end.min(zeros);
        if range.start < z_end {
            zero_elements(&enc, z_end - range.start, sink)?;
        }
    }
    let range = range.start.max(zeros) - zeros..range.end.max(zeros) - zeros;
    if range.end > cp.elements {
        return fail!(
            "cluster {ci}: column {col} holds {} elements, {} needed",
            cp.elements,
            range.end
        );
    }
    if range.is_empty() {
        return Ok(());
    }
    let start = cp
        .pages
        .partition_point(|p| p.first + p.elements as u64 <= range.start);
    for (pi, p) in cp.pages.iter().enumerate().skip(start) {
        if p.first >= range.end {
            break;
        }
        let max_key = meta.anchor.max_key_size;
        if max_key > 0 && p.size > max_key {
            return fail!(
                "cluster {ci}, column {col}: page {pi} is split over several keys, which is not \
                 supported"
            );
        }
        let n = p.elements as usize;
        let unc = (n as u64 * enc.bits as u64).div_ceil(8);
        let ctx = |f: Fail| f.context(format!("cluster {ci}, column {col}, page {pi}"));
        load_page(
            file,
            scratch,
            p.offset,
            p.size,
            p.checksum,
            unc,
            cp.compression,
        )
        .map_err(ctx)?;
        let lo = range.start.max(p.first) - p.first;
        let hi = range.end.min(p.first + n as u64) - p.first;
        let data = std::mem::take(&mut scratch.data);
        let r = decode_page(&enc, &data, n, lo as usize..hi as usize, sink).map_err(ctx);
        scratch.data = data;
        r?;
    }
    Ok(())
}

/// Appends `count` elements decoded from zero bytes (a deferred column's synthetic pages), in
/// bounded pieces.
fn zero_elements(enc: &Enc, count: u64, sink: &mut Sink) -> Result<(), Fail> {
    const PIECE: u64 = 1 << 16;
    let zeros = vec![0u8; (PIECE * enc.bits as u64).div_ceil(8) as usize];
    let mut left = count;
    while left > 0 {
        let n = left.min(PIECE) as usize;
        let need = (n as u64 * enc.bits as u64).div_ceil(8) as usize;
        decode_page(enc, &zeros[..need], n, 0..n, sink)?;
        left -= n as u64;
    }
    Ok(())
}

/// Reads one page into `scratch.data` (decompressed, `unc` bytes), checking its checksum.
fn load_page(
    file: &RootFile,
    scratch: &mut Scratch,
    offset: u64,
    size: u64,
    checksum: bool,
    unc: u64,
    compression: u32,
) -> Result<(), Fail> {
    if size > MAX_BLOB || unc > MAX_BLOB {
        return fail!("a page of {size} bytes ({unc} decompressed) is larger than 1 GiB");
    }
    let extra = if checksum { 8 } else { 0 };
    file.read_into(offset, (size + extra) as usize, &mut scratch.raw)
        .map_err(|b| Fail(b.0))?;
    if checksum {
        let n = size as usize;
        let mut c = [0u8; 8];
        c.copy_from_slice(&scratch.raw[n..n + 8]);
        let stored = u64::from_le_bytes(c);
        let computed = xxhash_rust::xxh3::xxh3_64(&scratch.raw[..n]);
        if stored != computed {
            return fail!(
                "page checksum mismatch (stored {stored:#018x}, computed {computed:#018x})"
            );
        }
        scratch.raw.truncate(n);
    }
    if size == unc {
        std::mem::swap(&mut scratch.raw, &mut scratch.data);
        return Ok(());
    }
    if compression == 0 {
        return fail!("an uncompressed page of {size} bytes should hold {unc}");
    }
    check_blocks(&scratch.raw, unc)?;
    let mut out = std::mem::take(&mut scratch.data);
    out.clear();
    out.resize(unc as usize, 0);
    let raw = std::mem::take(&mut scratch.raw);
    let r = scratch.unzip(&raw, &mut out);
    scratch.raw = raw;
    scratch.data = out;
    r.map_err(Fail)
}

/// Checks that ROOT compression blocks `src` declare `expected` bytes in all and end exactly
/// at its end, before a buffer of that size is allocated.
pub(crate) fn check_blocks(src: &[u8], expected: u64) -> Result<(), Fail> {
    let (mut at, mut total) = (0usize, 0u64);
    while at < src.len() {
        let Some(h) = src.get(at..at + 9) else {
            return fail!("a compression block header at byte {at} is cut off");
        };
        let c = h[3] as usize | (h[4] as usize) << 8 | (h[5] as usize) << 16;
        let u = h[6] as u64 | (h[7] as u64) << 8 | (h[8] as u64) << 16;
        at += 9 + c;
        total += u;
    }
    if at != src.len() || total != expected {
        return fail!(
            "compression blocks declare {total} bytes in {at} bytes of input; {expected} bytes \
             in {} expected",
            src.len()
        );
    }
    Ok(())
}

/// The `W` bytes of element `i` of a page of `n` elements (split: one byte from each plane).
#[inline]
fn elem<const W: usize>(d: &[u8], n: usize, i: usize, split: bool) -> [u8; W] {
    let mut a = [0u8; W];
    if split {
        for (b, x) in a.iter_mut().enumerate() {
            *x = d[b * n + i];
        }
    } else {
        a.copy_from_slice(&d[i * W..i * W + W]);
    }
    a
}

/// `bits` bits at bit position `pos` of a little-endian bit stream.
#[inline]
fn bits_at(d: &[u8], pos: u64, bits: u32) -> u64 {
    let byte = (pos / 8) as usize;
    let shift = (pos % 8) as u32;
    let mut w = [0u8; 8];
    let end = (byte + 8).min(d.len());
    w[..end - byte].copy_from_slice(&d[byte..end]);
    (u64::from_le_bytes(w) >> shift) & ((1u64 << bits) - 1)
}

/// A decoded element before conversion to the field's type.
#[derive(Clone, Copy)]
enum Val {
    I(i64),
    U(u64),
    F(f64),
}

fn half_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = match (exp, man) {
        (0, 0) => sign,
        (0, m) => {
            // Subnormal half: normalise.
            let mut e = 127 - 15 + 1;
            let mut m = m;
            while m & 0x400 == 0 {
                m <<= 1;
                e -= 1;
            }
            sign | (e << 23) | ((m & 0x3ff) << 13)
        }
        (0x1f, m) => sign | 0x7f80_0000 | (m << 13),
        (e, m) => sign | ((e + 127 - 15) << 23) | (m << 13),
    };
    f32::from_bits(bits)
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

/// Element `i` of a (non-index) page as a value.
#[inline]
fn value(e: &Enc, d: &[u8], n: usize, i: usize) -> Val {
    let s = e.split;
    match e.kind {
        Kind::Bit => Val::U(bits_at(d, i as u64, 1)),
        Kind::I8 => Val::I(d[i] as i8 as i64),
        Kind::U8 => Val::U(d[i] as u64),
        Kind::I16 => {
            let b = elem::<2>(d, n, i, s);
            if e.zigzag {
                Val::I(unzigzag(u16::from_le_bytes(b) as u64))
            } else {
                Val::I(i16::from_le_bytes(b) as i64)
            }
        }
        Kind::U16 => Val::U(u16::from_le_bytes(elem::<2>(d, n, i, s)) as u64),
        Kind::I32 => {
            let b = elem::<4>(d, n, i, s);
            if e.zigzag {
                Val::I(unzigzag(u32::from_le_bytes(b) as u64))
            } else {
                Val::I(i32::from_le_bytes(b) as i64)
            }
        }
        Kind::U32 => Val::U(u32::from_le_bytes(elem::<4>(d, n, i, s)) as u64),
        Kind::I64 => {
            let b = elem::<8>(d, n, i, s);
            if e.zigzag {
                Val::I(unzigzag(u64::from_le_bytes(b)))
            } else {
                Val::I(i64::from_le_bytes(b))
            }
        }
        Kind::U64 | Kind::Index => Val::U(if e.bits == 32 {
            u32::from_le_bytes(elem::<4>(d, n, i, s)) as u64
        } else {
            u64::from_le_bytes(elem::<8>(d, n, i, s))
        }),
        Kind::F16 => Val::F(half_to_f32(u16::from_le_bytes(elem::<2>(d, n, i, s))) as f64),
        Kind::F32 => Val::F(f32::from_le_bytes(elem::<4>(d, n, i, s)) as f64),
        Kind::F64 => Val::F(f64::from_le_bytes(elem::<8>(d, n, i, s))),
        Kind::Trunc => {
            let v = bits_at(d, i as u64 * e.bits as u64, e.bits) as u32;
            Val::F(f32::from_bits(v << (32 - e.bits)) as f64)
        }
        Kind::Quant => {
            let q = bits_at(d, i as u64 * e.bits as u64, e.bits);
            let (lo, hi) = e.range;
            // As ROOT unquantizes: q * ((max - min) / (2^bits - 1)) + min, in double.
            let scale = (hi - lo) / ((1u64 << e.bits) - 1) as f64;
            Val::F(q as f64 * scale + lo)
        }
    }
}

/// Decodes elements `r` of a page of `n` elements (`d` holds exactly the page) into `sink`.
fn decode_page(e: &Enc, d: &[u8], n: usize, r: Range<usize>, sink: &mut Sink) -> Result<(), Fail> {
    let need = (n as u64 * e.bits as u64).div_ceil(8);
    if d.len() as u64 != need {
        return fail!("page holds {} bytes, {need} expected", d.len());
    }
    match sink {
        Sink::Index(v) => {
            if e.kind != Kind::Index {
                return fail!("an index column expected");
            }
            if e.delta {
                let mut acc = 0u64;
                for i in 0..r.end {
                    let Val::U(x) = value(e, d, n, i) else {
                        return unreachable_index();
                    };
                    acc = acc.wrapping_add(x);
                    if i >= r.start {
                        v.push(acc);
                    }
                }
            } else {
                for i in r {
                    let Val::U(x) = value(e, d, n, i) else {
                        return unreachable_index();
                    };
                    v.push(x);
                }
            }
            Ok(())
        }
        Sink::Values(out) => push_values(e, d, n, r, out),
        Sink::Bytes(v) => {
            if !matches!(e.kind, Kind::I8 | Kind::U8) {
                return fail!("a character column expected");
            }
            v.extend_from_slice(&d[r]);
            Ok(())
        }
    }
}

fn unreachable_index() -> Result<(), Fail> {
    fail!("an index column decoded to a non-index value")
}

/// Appends decoded elements, converted to the output's type (exact conversions only).
fn push_values(
    e: &Enc,
    d: &[u8],
    n: usize,
    r: Range<usize>,
    out: &mut ColumnValues,
) -> Result<(), Fail> {
    // Fast paths: the element type is the output type.
    match (e.kind, &mut *out) {
        (Kind::F32, ColumnValues::F32(v)) => {
            v.extend(r.map(|i| f32::from_le_bytes(elem::<4>(d, n, i, e.split))));
            return Ok(());
        }
        (Kind::F64, ColumnValues::F64(v)) => {
            v.extend(r.map(|i| f64::from_le_bytes(elem::<8>(d, n, i, e.split))));
            return Ok(());
        }
        (Kind::I32, ColumnValues::I32(v)) if !e.zigzag => {
            v.extend(r.map(|i| i32::from_le_bytes(elem::<4>(d, n, i, e.split))));
            return Ok(());
        }
        (Kind::I32, ColumnValues::I32(v)) => {
            v.extend(r.map(|i| {
                let u = u32::from_le_bytes(elem::<4>(d, n, i, e.split));
                ((u >> 1) as i32) ^ -((u & 1) as i32)
            }));
            return Ok(());
        }
        (Kind::I64, ColumnValues::I64(v)) => {
            v.extend(r.map(|i| {
                let u = u64::from_le_bytes(elem::<8>(d, n, i, e.split));
                if e.zigzag { unzigzag(u) } else { u as i64 }
            }));
            return Ok(());
        }
        (Kind::U64, ColumnValues::U64(v)) => {
            v.extend(r.map(|i| u64::from_le_bytes(elem::<8>(d, n, i, e.split))));
            return Ok(());
        }
        (Kind::U8, ColumnValues::U8(v)) => {
            v.extend_from_slice(&d[r]);
            return Ok(());
        }
        (Kind::U32, ColumnValues::U32(v)) => {
            v.extend(r.map(|i| u32::from_le_bytes(elem::<4>(d, n, i, e.split))));
            return Ok(());
        }
        (Kind::Bit, ColumnValues::Bool(v)) => {
            v.extend(r.map(|i| bits_at(d, i as u64, 1) != 0));
            return Ok(());
        }
        _ => {}
    }
    let floats = matches!(out, ColumnValues::F32(_) | ColumnValues::F64(_));
    let float_kind = matches!(
        e.kind,
        Kind::F16 | Kind::F32 | Kind::F64 | Kind::Trunc | Kind::Quant
    );
    if floats != float_kind || e.kind == Kind::Index {
        return fail!(
            "reading {:?} elements as {} is not supported",
            e.kind,
            out.scalar_type().cpp_name()
        );
    }
    if matches!(out, ColumnValues::F32(_)) && e.kind == Kind::F64 {
        return fail!("reading double elements as float is not supported");
    }
    fn int<T: TryFrom<i64> + TryFrom<u64>>(x: Val) -> Result<T, Fail> {
        let r = match x {
            Val::I(i) => T::try_from(i).ok(),
            Val::U(u) => T::try_from(u).ok(),
            Val::F(_) => None,
        };
        match r {
            Some(v) => Ok(v),
            None => fail!("an element does not fit the field's integer type"),
        }
    }
    for i in r {
        let x = value(e, d, n, i);
        match &mut *out {
            ColumnValues::Bool(v) => v.push(match x {
                Val::I(i) => i != 0,
                Val::U(u) => u != 0,
                Val::F(_) => return fail!("a float element for a bool field"),
            }),
            ColumnValues::I8(v) => v.push(int(x)?),
            ColumnValues::U8(v) => v.push(int(x)?),
            ColumnValues::I16(v) => v.push(int(x)?),
            ColumnValues::U16(v) => v.push(int(x)?),
            ColumnValues::I32(v) => v.push(int(x)?),
            ColumnValues::U32(v) => v.push(int(x)?),
            ColumnValues::I64(v) => v.push(int(x)?),
            ColumnValues::U64(v) => v.push(int(x)?),
            // Float kinds other than double are exact in f32; quantized values are computed
            // in double and rounded once, as ROOT does.
            ColumnValues::F32(v) => match x {
                Val::F(f) => v.push(f as f32),
                _ => return fail!("an integer element for a float field"),
            },
            ColumnValues::F64(v) => match x {
                Val::F(f) => v.push(f),
                _ => return fail!("an integer element for a double field"),
            },
            ColumnValues::Str { .. } => return fail!("string elements from a value column"),
        }
    }
    Ok(())
}

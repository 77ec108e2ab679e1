//! Reading a branch over an entry range: locate the covering baskets, load each (decompressed
//! into reused buffers, or borrowed from the metadata when embedded), then decode the entries
//! that fall in the range and append them to the column.
//!
//! Invariants: each basket must hold exactly the entries its table says; a counter array whose
//! basket has no entry offsets is sized by its counter branch, whose total must fill the basket
//! exactly; every entry's bytes are checked against its layout (element size, vector headers, string lengths) so a corrupt basket
//! is an error naming the branch, basket and offset, never short or shifted data.

use super::column::{Column, ColumnValues, Scratch, size_of};
use super::cursor::Cursor;
use super::error::{Bad, RootError, bad};
use super::file::{MAX_OBJECT, RootFile, check_frames, read_key_header};
use super::streamer::K_BYTE_COUNT_MASK;
use super::tree::{BasketInfo, Layout, Tree};
use std::ops::Range;

/// One loaded basket: entry data and (when stored) entry byte offsets, `nev + 1` values —
/// converted (`offsets`), or still the basket's big-endian table (`raw`), which the plain jagged
/// layout reads in the same pass as it makes the column's offsets.
struct View<'a> {
    data: &'a [u8],
    offsets: Option<&'a [u32]>,
    raw: Option<RawOffsets<'a>>,
    nev: usize,
}

impl Tree {
    /// Reads `entries` of `branch` into a new column.
    pub fn read(
        &self,
        file: &RootFile,
        branch: &str,
        entries: Range<u64>,
    ) -> Result<Column, RootError> {
        let mut out = Column::default();
        let mut scratch = Scratch::default();
        self.read_into(file, branch, entries, &mut out, &mut scratch)?;
        Ok(out)
    }

    /// Reads `entries` of `branch` into `out`, reusing its and `scratch`'s allocations.
    pub fn read_into(
        &self,
        file: &RootFile,
        branch: &str,
        entries: Range<u64>,
        out: &mut Column,
        scratch: &mut Scratch,
    ) -> Result<(), RootError> {
        let inner = &self.inner;
        let Some(&bi) = inner.index.get(branch) else {
            return Err(RootError::NotFound {
                path: file.path().to_path_buf(),
                what: format!("tree `{}` has no branch `{branch}`", inner.name),
            });
        };
        if entries.start > entries.end || entries.end > inner.entries {
            return Err(RootError::NotFound {
                path: file.path().to_path_buf(),
                what: format!(
                    "entry range {}..{} is outside tree `{}` (0..{})",
                    entries.start, entries.end, inner.name, inner.entries
                ),
            });
        }
        self.read_span(file, bi, entries, out, scratch)
    }

    /// Reads `entries` of branch `bi` (inside the branch's own entries, which may pass the
    /// tree's: a counter read for a basket that does) into `out`.
    fn read_span(
        &self,
        file: &RootFile,
        bi: usize,
        entries: Range<u64>,
        out: &mut Column,
        scratch: &mut Scratch,
    ) -> Result<(), RootError> {
        let inner = &self.inner;
        let info = &inner.branches[bi];
        let branch = info.name.as_str();
        let data = &inner.data[bi];
        let layout = match (&info.kind, data.layout) {
            (Ok(_), Some(l)) => l,
            // Refused because the file is damaged: the file's problem, not a missing feature.
            (Err(reason), _) if info.damaged => {
                return Err(RootError::Invalid {
                    path: file.path().to_path_buf(),
                    what: format!(
                        "branch `{branch}` of tree `{}` ({}): {reason}",
                        inner.name, info.type_name
                    ),
                });
            }
            (Err(reason), _) => {
                return Err(RootError::Unsupported {
                    path: file.path().to_path_buf(),
                    what: format!(
                        "branch `{branch}` of tree `{}` ({}): {reason}; reading it",
                        inner.name, info.type_name
                    ),
                });
            }
            (Ok(_), None) => {
                return Err(RootError::Unsupported {
                    path: file.path().to_path_buf(),
                    what: format!("branch `{branch}` has no layout"),
                });
            }
        };
        // A counter array whose baskets hold no entry offsets (written with fEntryOffsetLen 0)
        // takes its per-entry sizes from its counter branch (as uproot does).
        let counter = match (&info.kind, counted_item_size(layout)) {
            (Ok(kind), Some(size)) => kind.counter.as_deref().map(|c| (c, size)),
            _ => None,
        };
        let mut counter_io: Option<Box<(Column, Scratch)>> = None;
        let mut sized: Vec<u32> = Vec::new();
        let ctx = |b: Bad| {
            b.context(format!("tree `{}`, branch `{branch}`", inner.name))
                .into_invalid(file.path())
        };
        reset(out, layout);
        let lazy = matches!(layout, Layout::Jagged { header: 0, .. });
        let first = info
            .baskets
            .partition_point(|b| b.entry_stop <= entries.start);
        for (k, basket) in info.baskets.iter().enumerate().skip(first) {
            if basket.entry_start >= entries.end {
                break;
            }
            let lo = entries.start.max(basket.entry_start) - basket.entry_start;
            let hi = entries.end.min(basket.entry_stop) - basket.entry_start;
            let where_ = || {
                if basket.embedded {
                    format!("basket {k} (embedded in the tree metadata)")
                } else {
                    format!("basket {k} at offset {}", basket.seek)
                }
            };
            let Scratch {
                raw,
                data: dbuf,
                offsets,
                decoders,
                ..
            } = scratch;
            let view = match data.embedded.get(&k) {
                Some(e) => View {
                    data: &e.data,
                    offsets: e.offsets.as_deref(),
                    raw: None,
                    nev: e.nevbuf,
                },
                None => load_free(file, basket, raw, dbuf, offsets, decoders, lazy)
                    .map_err(|e| ctx(e.context(where_())))?,
            };
            let expect = (basket.entry_stop - basket.entry_start) as usize;
            if view.nev != expect {
                return Err(ctx(Bad(format!(
                    "{} holds {} entries but the branch's basket table says {expect}",
                    where_(),
                    view.nev
                ))));
            }
            let view = match counter {
                Some((c, size)) if view.offsets.is_none() && view.raw.is_none() => {
                    let io = counter_io.get_or_insert_with(Box::default);
                    let (col, cs) = &mut **io;
                    self.counter_offsets(file, c, basket, col, cs)
                        .map_err(|e| within(e, &format!("branch `{branch}`, {}", where_())))?;
                    sizes_to_offsets(col, size, view.data.len(), &mut sized)
                        .map_err(|e| ctx(e.context(format!("{} (its counter `{c}`)", where_()))))?;
                    View {
                        offsets: Some(&sized),
                        ..view
                    }
                }
                _ => view,
            };
            decode(layout, &view, lo as usize..hi as usize, out)
                .map_err(|e| ctx(e.context(where_())))?;
        }
        check_lengths(out, layout, (entries.end - entries.start) as usize).map_err(ctx)
    }
}

impl Tree {
    /// The values of counter branch `name` over the entries of `basket` (of the branch it
    /// sizes), read into `col`.
    fn counter_offsets(
        &self,
        file: &RootFile,
        name: &str,
        basket: &BasketInfo,
        col: &mut Column,
        scratch: &mut Scratch,
    ) -> Result<(), RootError> {
        let inner = &self.inner;
        let invalid = |what: String| RootError::Invalid {
            path: file.path().to_path_buf(),
            what,
        };
        let Some(&ci) = inner.index.get(name) else {
            return Err(invalid(format!(
                "its counter branch `{name}` is not in the tree"
            )));
        };
        let is_integer_scalar = matches!(
            inner.data[ci].layout,
            Some(Layout::Fixed { ty, n: 1 }) if ty.is_integer()
        );
        if !is_integer_scalar {
            return Err(invalid(format!(
                "its counter branch `{name}` is not an integer scalar"
            )));
        }
        let held = inner.branches[ci]
            .baskets
            .last()
            .map_or(0, |b| b.entry_stop);
        if basket.entry_stop > held {
            return Err(invalid(format!(
                "its counter branch `{name}` holds {held} entries, fewer than the {} its \
                 basket needs",
                basket.entry_stop
            )));
        }
        self.read_span(
            file,
            ci,
            basket.entry_start..basket.entry_stop,
            col,
            scratch,
        )
    }
}

/// Bytes per item of a layout that a counter may size (`x[n]/F`, `x[n]/d[0,1,8]`).
fn counted_item_size(layout: Layout) -> Option<usize> {
    match layout {
        Layout::Jagged { ty, header: 0 } => Some(size_of(ty)),
        Layout::Packed {
            enc, jagged: true, ..
        } => Some(enc.size()),
        _ => None,
    }
}

/// Entry byte offsets (`nev + 1` values from 0) from a basket's counter values: every count
/// must be non-negative and their total must fill the basket's `bytes` exactly.
fn sizes_to_offsets(
    counts: &Column,
    size: usize,
    bytes: usize,
    out: &mut Vec<u32>,
) -> Result<(), Bad> {
    fn push(
        out: &mut Vec<u32>,
        total: &mut u64,
        i: usize,
        n: i128,
        size: usize,
    ) -> Result<(), Bad> {
        if n < 0 {
            return bad!("the counter of entry {i} is negative ({n})");
        }
        *total = u64::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(size as u64))
            .and_then(|b| b.checked_add(*total))
            .filter(|&t| t <= u64::from(u32::MAX))
            .ok_or_else(|| {
                Bad(format!(
                    "the counter of entry {i} ({n}) overflows the basket"
                ))
            })?;
        out.push(*total as u32);
        Ok(())
    }
    out.clear();
    out.push(0);
    let mut total = 0u64;
    macro_rules! each {
        ($v:expr) => {
            for (i, &n) in $v.iter().enumerate() {
                push(out, &mut total, i, n as i128, size)?;
            }
        };
    }
    match &counts.values {
        ColumnValues::I8(v) => each!(v),
        ColumnValues::U8(v) => each!(v),
        ColumnValues::I16(v) => each!(v),
        ColumnValues::U16(v) => each!(v),
        ColumnValues::I32(v) => each!(v),
        ColumnValues::U32(v) => each!(v),
        ColumnValues::I64(v) => each!(v),
        ColumnValues::U64(v) => each!(v),
        _ => return bad!("internal: a counter column that is not integer"),
    }
    if total != bytes as u64 {
        return bad!(
            "the basket holds no entry offsets and its counter totals {} values ({total} \
             bytes), but the basket holds {bytes} bytes",
            total / size as u64
        );
    }
    Ok(())
}

/// `e` with `ctx` put before its message (errors of a counter read, said of the branch it
/// sizes).
fn within(e: RootError, ctx: &str) -> RootError {
    match e {
        RootError::Invalid { path, what } => RootError::Invalid {
            path,
            what: format!("{ctx}: {what}"),
        },
        RootError::Unsupported { path, what } => RootError::Unsupported {
            path,
            what: format!("{ctx}: {what}"),
        },
        RootError::NotFound { path, what } => RootError::Invalid {
            path,
            what: format!("{ctx}: {what}"),
        },
        io @ RootError::Io { .. } => io,
    }
}

fn reset(out: &mut Column, layout: Layout) {
    let ty = match layout {
        Layout::Fixed { ty, .. }
        | Layout::Fixed2 { ty, .. }
        | Layout::Jagged { ty, .. }
        | Layout::Jagged2 { ty }
        | Layout::Packed { ty, .. }
        | Layout::Member { ty, .. } => ty,
        Layout::Str | Layout::MemberStr | Layout::StrList => crate::io::schema::ScalarType::Str,
    };
    out.values.reset(ty);
    let start_offsets = |o: &mut Option<Vec<u32>>| {
        let v = o.get_or_insert_with(Vec::new);
        v.clear();
        v.push(0);
    };
    match layout {
        Layout::Fixed { .. }
        | Layout::Str
        | Layout::MemberStr
        | Layout::Member { .. }
        | Layout::Packed { jagged: false, .. } => {
            out.offsets = None;
            out.inner_offsets = None;
        }
        Layout::Jagged { .. } | Layout::StrList | Layout::Packed { jagged: true, .. } => {
            start_offsets(&mut out.offsets);
            out.inner_offsets = None;
        }
        Layout::Jagged2 { .. } | Layout::Fixed2 { .. } => {
            start_offsets(&mut out.offsets);
            start_offsets(&mut out.inner_offsets);
        }
    }
}

fn check_lengths(out: &Column, layout: Layout, n: usize) -> Result<(), Bad> {
    let values = out.values.len();
    let ok = match layout {
        Layout::Fixed { n: per, .. }
        | Layout::Member { n: per, .. }
        | Layout::Packed {
            n: per,
            jagged: false,
            ..
        } => values == n * per,
        Layout::Str | Layout::MemberStr => values == n,
        Layout::Jagged { .. } | Layout::StrList | Layout::Packed { jagged: true, .. } => out
            .offsets
            .as_ref()
            .is_some_and(|o| o.len() == n + 1 && o.last().copied() == Some(values as u32)),
        Layout::Jagged2 { .. } | Layout::Fixed2 { .. } => {
            match (&out.offsets, &out.inner_offsets) {
                (Some(o), Some(io)) => {
                    o.len() == n + 1
                        && o.last().copied() == Some(io.len() as u32 - 1)
                        && io.last().copied() == Some(values as u32)
                }
                _ => false,
            }
        }
    };
    if ok {
        Ok(())
    } else {
        bad!("decoded {values} values, which does not match the {n} entries read")
    }
}

/// Reads a basket key from the file, decompresses its payload and splits off entry offsets.
fn load_free<'a>(
    file: &RootFile,
    b: &BasketInfo,
    raw: &mut Vec<u8>,
    data: &'a mut Vec<u8>,
    offsets: &'a mut Vec<u32>,
    dec: &mut super::compression::Decoders,
    lazy: bool,
) -> Result<View<'a>, Bad> {
    let raw = file.read_front(b.seek, b.bytes as usize, raw)?;
    let mut c = Cursor::new(raw);
    let key = read_key_header(&mut c)?;
    let _version = c.u16()?;
    let _buffer_size = c.i32()?;
    let _nevbufsize = c.i32()?;
    let nevbuf = c.i32()?;
    let last = c.i32()?;
    let keylen = key.keylen as usize;
    if key.nbytes != b.bytes {
        return bad!(
            "key says {} bytes but the branch's table says {}",
            key.nbytes,
            b.bytes
        );
    }
    if keylen > raw.len() || c.pos() > keylen {
        return bad!("key header length {keylen} is inconsistent");
    }
    let objlen = key.objlen as usize;
    if objlen > MAX_OBJECT || nevbuf < 0 || last < keylen as i32 || last as usize - keylen > objlen
    {
        return bad!(
            "basket header is invalid (uncompressed {objlen} bytes, {nevbuf} entries, fLast \
             {last}, key {keylen} bytes)"
        );
    }
    let payload = &raw[keylen..];
    // `data` only grows (no zero-fill of a reused buffer): its first `objlen` bytes are this
    // basket's.
    if data.len() < objlen {
        data.resize(objlen, 0);
    }
    // As ROOT decides (`TBasket::ReadBasketBuffers`): an object no longer than the bytes its
    // key holds is stored uncompressed, even when the key claims more bytes than it needs.
    if payload.len() >= objlen {
        data[..objlen].copy_from_slice(&payload[..objlen]);
    } else {
        check_frames(payload, objlen)?;
        super::compression::decompress(dec, payload, &mut data[..objlen])?;
    }
    let data = &data[..objlen];
    let border = last as usize - keylen;
    let nev = nevbuf as usize;
    let has_offsets = border < objlen;
    if has_offsets {
        let tail = &data[border..];
        if tail.len() < 4 + 4 * nev {
            return bad!(
                "entry offset table of {} bytes is too short for {nev} entries",
                tail.len()
            );
        }
        if lazy {
            let (data, tail) = data.split_at(border);
            return Ok(View {
                data,
                offsets: None,
                raw: Some(RawOffsets {
                    be: &tail[4..4 + 4 * nev],
                    keylen: keylen as u32,
                    last: last as u32,
                }),
                nev,
            });
        }
        offsets.clear();
        offsets.reserve(nev + 1);
        // One branch-free pass (the common case is valid); the first bad offset is found again
        // only to name it.
        let (lo, hi) = (keylen as u32, last as u32);
        let mut prev = lo;
        let mut ok = true;
        for w in tail[4..4 + 4 * nev].chunks_exact(4) {
            let o = u32::from_be_bytes([w[0], w[1], w[2], w[3]]);
            ok &= (o >= prev) & (o <= hi);
            offsets.push(o.wrapping_sub(lo));
            prev = o;
        }
        if !ok {
            let mut prev = lo;
            for (i, w) in tail[4..4 + 4 * nev].chunks_exact(4).enumerate() {
                let o = u32::from_be_bytes([w[0], w[1], w[2], w[3]]);
                if o < prev || o > hi {
                    return bad!(
                        "entry offset {i} is {o}, outside {prev}..={last} (offsets must \
                         increase inside the basket)"
                    );
                }
                prev = o;
            }
        }
        offsets.push(border as u32);
    }
    Ok(View {
        data: &data[..border],
        offsets: if has_offsets {
            Some(&offsets[..])
        } else {
            None
        },
        raw: None,
        nev,
    })
}

/// A basket's entry offset table as stored: big-endian file offsets (from the key's start) of
/// its `nev` entries; the data ends at `last`.
#[derive(Clone, Copy)]
struct RawOffsets<'a> {
    be: &'a [u8],
    keylen: u32,
    last: u32,
}

impl RawOffsets<'_> {
    /// Offset `i` (`0..=nev`, basket-local), unchecked.
    fn at(&self, i: usize) -> u32 {
        match self.be.get(4 * i..4 * i + 4) {
            Some(w) => u32::from_be_bytes([w[0], w[1], w[2], w[3]]).wrapping_sub(self.keylen),
            None => self.last - self.keylen,
        }
    }

    /// Appends the column offsets of entries `range` of a plain array of `size`-byte values
    /// (a power of two) to `o`, continuing from `total` values, and returns the entries' data
    /// bytes: the table is checked (increasing, inside the data, whole values) in the same pass.
    fn jagged(
        &self,
        range: Range<usize>,
        size: usize,
        total: usize,
        o: &mut Vec<u32>,
    ) -> Result<Range<usize>, Bad> {
        let nev = self.be.len() / 4;
        if range.is_empty() {
            return Ok(0..0);
        }
        let (shift, mask) = (size.trailing_zeros(), size as u32 - 1);
        let border = self.last - self.keylen;
        let first = self.at(range.start);
        let t0 = to_u32(total)?;
        // Three simple passes over the new offsets, each of which the compiler vectorizes:
        // byte distances from the first entry, the checks, then element counts.
        let n = range.len();
        let at0 = o.len();
        o.resize(at0 + n, 0);
        let dst = &mut o[at0..];
        let stored = &self.be[4 * (range.start + 1).min(nev)..4 * (range.end + 1).min(nev)];
        let k = stored.len() / 4;
        for (w, d) in stored.chunks_exact(4).zip(dst.iter_mut()) {
            *d = u32::from_be_bytes([w[0], w[1], w[2], w[3]])
                .wrapping_sub(self.keylen)
                .wrapping_sub(first);
        }
        if k < n {
            // The last entry ends where the data does.
            dst[k] = border.wrapping_sub(first);
        }
        // Increasing offsets inside the data (a distance that wrapped below the first entry
        // is then larger than the last, which must fit in the data).
        let last = dst[n - 1];
        let increasing = dst.windows(2).fold(true, |a, p| a & (p[0] <= p[1]));
        let ok = first <= border && increasing && last <= border - first;
        let stray = dst.iter().fold(0, |a, d| a | (d & mask));
        if !ok {
            let mut prev = 0;
            for i in range.start..=range.end {
                let x = self.at(i);
                if x < prev || x > border {
                    return bad!(
                        "entry offset {i} is {}, outside {}..={} (offsets must increase \
                         inside the basket)",
                        x.wrapping_add(self.keylen),
                        prev.wrapping_add(self.keylen),
                        self.last
                    );
                }
                prev = x;
            }
            return bad!(
                "entry offsets {}..={} are inconsistent",
                range.start,
                range.end
            );
        }
        if stray != 0 {
            for i in range.clone() {
                let len = self.at(i + 1) - self.at(i);
                if !(len as usize).is_multiple_of(size) {
                    return bad!("entry {i} has {len} bytes, not a multiple of {size}");
                }
            }
        }
        to_u32(total + (last as usize >> shift))?;
        for d in dst.iter_mut() {
            *d = t0 + (*d >> shift);
        }
        Ok(first as usize..(first + last) as usize)
    }
}

/// Appends entries `range` (basket-local) of one basket to `out`.
fn decode(layout: Layout, v: &View, range: Range<usize>, out: &mut Column) -> Result<(), Bad> {
    match layout {
        Layout::Member {
            ty,
            n,
            offset,
            stride,
        } => {
            if v.data.len() != v.nev * stride {
                return bad!(
                    "{} bytes of data for {} leaf-list records of {stride} bytes each",
                    v.data.len(),
                    v.nev
                );
            }
            let width = n * size_of(ty);
            for i in range {
                let at = i * stride + offset;
                out.values.extend_be(&v.data[at..at + width]);
            }
            Ok(())
        }
        Layout::Packed {
            enc,
            n,
            jagged: false,
            ..
        } => {
            let per = n * enc.size();
            if v.data.len() != v.nev * per {
                return bad!(
                    "{} bytes of data for {} entries of {per} bytes each",
                    v.data.len(),
                    v.nev
                );
            }
            push_packed(enc, &v.data[range.start * per..range.end * per], out)
        }
        Layout::Packed {
            enc, jagged: true, ..
        } => {
            let Some(offs) = v.offsets else {
                return bad!("variable-length data without entry offsets");
            };
            let size = enc.size();
            let Some(o) = out.offsets.as_mut() else {
                return bad!("internal: jagged column without offsets");
            };
            let mut total = o.last().copied().unwrap_or(0) as usize;
            for i in range.clone() {
                let len = (offs[i + 1] - offs[i]) as usize;
                if !len.is_multiple_of(size) {
                    return bad!("entry {i} has {len} bytes, not a multiple of {size}");
                }
                total += len / size;
                o.push(to_u32(total)?);
            }
            let (a, b) = (offs[range.start] as usize, offs[range.end] as usize);
            push_packed(enc, &v.data[a..b], out)
        }
        Layout::Fixed { ty, n } => {
            let per = n * size_of(ty);
            if v.data.len() != v.nev * per {
                return bad!(
                    "{} bytes of data for {} entries of {per} bytes each",
                    v.data.len(),
                    v.nev
                );
            }
            out.values
                .extend_be(&v.data[range.start * per..range.end * per]);
            Ok(())
        }
        Layout::Fixed2 { ty, rows, cols } => {
            let per = rows * cols * size_of(ty);
            if v.data.len() != v.nev * per {
                return bad!(
                    "{} bytes of data for {} entries of {per} bytes each",
                    v.data.len(),
                    v.nev
                );
            }
            let (Some(o), Some(io)) = (out.offsets.as_mut(), out.inner_offsets.as_mut()) else {
                return bad!("internal: nested fixed-array column without offsets");
            };
            for _ in range.clone() {
                for _ in 0..rows {
                    let last = io.last().copied().unwrap_or(0);
                    io.push(last + to_u32(cols)?);
                }
                o.push(to_u32(io.len() - 1)?);
            }
            out.values
                .extend_be(&v.data[range.start * per..range.end * per]);
            Ok(())
        }
        Layout::Jagged { ty, header: 0 } if v.raw.is_some() => {
            let (Some(raw), Some(o)) = (v.raw, out.offsets.as_mut()) else {
                return bad!("internal: jagged column without offsets");
            };
            let total = o.last().copied().unwrap_or(0) as usize;
            let bytes = raw.jagged(range, size_of(ty), total, o)?;
            out.values.extend_be(&v.data[bytes]);
            Ok(())
        }
        Layout::Jagged { ty, header } => {
            let Some(offs) = v.offsets else {
                return bad!("variable-length data without entry offsets");
            };
            let size = size_of(ty);
            let Some(o) = out.offsets.as_mut() else {
                return bad!("internal: jagged column without offsets");
            };
            let mut total = o.last().copied().unwrap_or(0) as usize;
            if header == 0 {
                // Sizes are powers of two: the element count is a shift, and every entry's byte
                // length is a multiple of the size exactly when every offset's distance from
                // the first is (offsets increase: `load_free` checked them).
                let (shift, mask) = (size.trailing_zeros(), size as u32 - 1);
                let base = offs[range.start];
                let (a, b) = (base as usize, offs[range.end] as usize);
                let t0 = to_u32(total)?;
                to_u32(total + ((b - a) >> shift))?;
                let mut stray = 0u32;
                o.reserve(range.len());
                for &off in &offs[range.start + 1..=range.end] {
                    let d = off - base;
                    stray |= d & mask;
                    o.push(t0 + (d >> shift));
                }
                if stray != 0 {
                    for i in range {
                        let len = offs[i + 1] - offs[i];
                        if !(len as usize).is_multiple_of(size) {
                            return bad!("entry {i} has {len} bytes, not a multiple of {size}");
                        }
                    }
                }
                out.values.extend_be(&v.data[a..b]);
            } else {
                for i in range {
                    let (a, b) = (offs[i] as usize, offs[i + 1] as usize);
                    let n = vector_header(&v.data[a..b], i)?;
                    if b - a - header != n * size {
                        return bad!(
                            "entry {i}: vector of {n} values needs {} bytes, has {}",
                            n * size,
                            b - a - header
                        );
                    }
                    total += n;
                    o.push(to_u32(total)?);
                    out.values.extend_be(&v.data[a + header..b]);
                }
            }
            Ok(())
        }
        Layout::Jagged2 { ty } => {
            let Some(offs) = v.offsets else {
                return bad!("nested vectors without entry offsets");
            };
            let size = size_of(ty);
            let (Some(o), Some(io)) = (out.offsets.as_mut(), out.inner_offsets.as_mut()) else {
                return bad!("internal: nested column without offsets");
            };
            let mut total = io.last().copied().unwrap_or(0) as usize;
            for i in range {
                let (a, b) = (offs[i] as usize, offs[i + 1] as usize);
                let entry = &v.data[a..b];
                let n = vector_header(entry, i)?;
                let mut c = Cursor::new(&entry[10..]);
                if n > c.remaining() / 4 {
                    return bad!("entry {i}: {n} inner vectors cannot fit in {} bytes", b - a);
                }
                for _ in 0..n {
                    let m = c.u32()? as usize;
                    if m > c.remaining() / size {
                        return bad!("entry {i}: inner vector of {m} values is cut off");
                    }
                    out.values.extend_be(c.bytes(m * size)?);
                    total += m;
                    io.push(to_u32(total)?);
                }
                if c.remaining() != 0 {
                    return bad!(
                        "entry {i}: {} bytes left over after nested vectors",
                        c.remaining()
                    );
                }
                o.push(to_u32(io.len() - 1)?);
            }
            Ok(())
        }
        Layout::StrList => {
            let Some(offs) = v.offsets else {
                return bad!("vectors of strings without entry offsets");
            };
            let (Some(o), ColumnValues::Str { offsets, bytes }) =
                (out.offsets.as_mut(), &mut out.values)
            else {
                return bad!("internal: string-list column of another type");
            };
            for i in range {
                let (a, b) = (offs[i] as usize, offs[i + 1] as usize);
                let entry = &v.data[a..b];
                let n = vector_header(entry, i)?;
                let mut c = Cursor::new(&entry[10..]);
                if n > c.remaining() {
                    return bad!("entry {i}: {n} strings cannot fit in {} bytes", b - a);
                }
                for _ in 0..n {
                    let s = c
                        .string_bytes()
                        .map_err(|e| e.context(format!("string of entry {i}")))?;
                    bytes.extend_from_slice(s);
                    offsets.push(to_u32(bytes.len())?);
                }
                if c.remaining() != 0 {
                    return bad!("entry {i}: {} bytes left after its strings", c.remaining());
                }
                o.push(to_u32(offsets.len() - 1)?);
            }
            Ok(())
        }
        Layout::MemberStr => {
            let ColumnValues::Str { offsets, bytes } = &mut out.values else {
                return bad!("internal: string column of another type");
            };
            let Some(offs) = v.offsets else {
                return bad!("string members without entry offsets");
            };
            for i in range {
                let (a, b) = (offs[i] as usize, offs[i + 1] as usize);
                let mut c = Cursor::new(&v.data[a..b]);
                let h = super::streamer::read_header(&mut c)
                    .map_err(|e| e.context(format!("string of entry {i}")))?;
                let s = c
                    .string_bytes()
                    .map_err(|e| e.context(format!("string of entry {i}")))?;
                if h.end.is_some_and(|end| end != c.pos()) || c.remaining() != 0 {
                    return bad!("entry {i}: the string does not fill its {} bytes", b - a);
                }
                bytes.extend_from_slice(s);
                offsets.push(to_u32(bytes.len())?);
            }
            Ok(())
        }
        Layout::Str => {
            let ColumnValues::Str { offsets, bytes } = &mut out.values else {
                return bad!("internal: string column of another type");
            };
            match v.offsets {
                Some(offs) => {
                    for i in range {
                        let (a, b) = (offs[i] as usize, offs[i + 1] as usize);
                        let mut c = Cursor::new(&v.data[a..b]);
                        let s = c
                            .string_bytes()
                            .map_err(|e| e.context(format!("string of entry {i}")))?;
                        if c.remaining() != 0 {
                            return bad!("entry {i}: {} bytes after the string", c.remaining());
                        }
                        bytes.extend_from_slice(s);
                        offsets.push(to_u32(bytes.len())?);
                    }
                }
                None => {
                    let mut c = Cursor::new(v.data);
                    for i in 0..range.end {
                        let s = c
                            .string_bytes()
                            .map_err(|e| e.context(format!("string of entry {i}")))?;
                        if i >= range.start {
                            bytes.extend_from_slice(s);
                            offsets.push(to_u32(bytes.len())?);
                        }
                    }
                }
            }
            Ok(())
        }
    }
}

/// Appends the values of packed `Double32_t`/`Float16_t` items to an f64 or f32 column.
fn push_packed(enc: super::tree::Packed, bytes: &[u8], out: &mut Column) -> Result<(), Bad> {
    let items = bytes.chunks_exact(enc.size());
    match &mut out.values {
        ColumnValues::F64(v) => v.extend(items.map(|b| enc.value(b))),
        ColumnValues::F32(v) => v.extend(items.map(|b| enc.value(b) as f32)),
        _ => return bad!("internal: packed floats into a column of another type"),
    }
    Ok(())
}

/// Checks a streamed `std::vector` header (byte count, version, size) and returns the size.
fn vector_header(entry: &[u8], i: usize) -> Result<usize, Bad> {
    let mut c = Cursor::new(entry);
    let bc = c
        .u32()
        .map_err(|e| e.context(format!("vector header of entry {i}")))?;
    let _version = c.u16()?;
    let n = c.u32()? as usize;
    if bc & K_BYTE_COUNT_MASK == 0 || (bc & !K_BYTE_COUNT_MASK) as usize != entry.len() - 4 {
        return bad!(
            "entry {i}: vector byte count {:#x} does not match its {} bytes",
            bc,
            entry.len()
        );
    }
    Ok(n)
}

fn to_u32(n: usize) -> Result<u32, Bad> {
    u32::try_from(n).map_err(|_| Bad(format!("more than 4 billion values ({n}) in one read")))
}

#[cfg(test)]
mod raw_offset_tests {
    use super::RawOffsets;

    /// A table for entries of 2, 0, 3 and 1 four-byte values after a 10-byte key.
    fn table(offs: &[u32]) -> Vec<u8> {
        offs.iter().flat_map(|o| o.to_be_bytes()).collect()
    }

    #[test]
    fn every_subrange_gives_the_offsets_and_bytes_of_its_entries() {
        let be = table(&[10, 18, 18, 30]);
        let raw = RawOffsets {
            be: &be,
            keylen: 10,
            last: 34,
        };
        let sizes = [2u32, 0, 3, 1];
        for a in 0..=4 {
            for b in a..=4 {
                let mut o = vec![7];
                let bytes = raw.jagged(a..b, 4, 7, &mut o).unwrap();
                let mut want = vec![7];
                for s in &sizes[a..b] {
                    want.push(want.last().unwrap() + s);
                }
                assert_eq!(o, want, "{a}..{b}");
                let start: u32 = sizes[..a].iter().sum::<u32>() * 4;
                let len: u32 = sizes[a..b].iter().sum::<u32>() * 4;
                let expect = if a == b {
                    0..0
                } else {
                    start as usize..(start + len) as usize
                };
                assert_eq!(bytes, expect, "{a}..{b}");
            }
        }
    }

    #[test]
    fn decreasing_outside_and_partial_values_are_errors() {
        for (offs, last, what) in [
            (vec![10, 18, 14, 30], 34, "must increase"),
            (vec![10, 18, 18, 40], 34, "must increase"),
            (vec![4, 18, 18, 30], 34, "must increase"),
            (vec![10, 18, 19, 30], 34, "not a multiple of 4"),
        ] {
            let be = table(&offs);
            let raw = RawOffsets {
                be: &be,
                keylen: 10,
                last,
            };
            let e = raw.jagged(0..4, 4, 0, &mut Vec::new()).unwrap_err();
            assert!(e.0.contains(what), "{offs:?}: {}", e.0);
        }
    }
}

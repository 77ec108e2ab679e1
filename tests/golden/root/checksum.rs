//! Checksums of a column read by anac's ROOT reader, defined exactly as `make_golden.py` defines
//! them (see its docstring), plus column slicing and equality for sub-range checks.
//!
//! Input: a `Column` and its `ColumnKind` shape. Output: `Sums` with exact counts and float sums
//! computed with Neumaier compensation, together with the sum of absolute terms that bounds the
//! rounding difference from the golden values (which are exact `math.fsum`s).
//!
//! Included by the integration tests with `#[path = ...] mod checksum;`; not every test uses every
//! function.
#![allow(dead_code)]

use anac::io::root::{Column, ColumnValues};
use anac::io::schema::Shape;
use std::ops::Range;

/// A compensated float sum, and the sum of the absolute values of its terms.
#[derive(Debug, Clone, Copy, Default)]
pub struct FSum {
    sum: f64,
    comp: f64,
    pub abs: f64,
}

impl FSum {
    pub fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.comp += (self.sum - t) + x;
        } else {
            self.comp += (x - t) + self.sum;
        }
        self.sum = t;
        self.abs += x.abs();
    }

    pub fn value(&self) -> f64 {
        self.sum + self.comp
    }
}

/// The checksums of one column (names as in the golden JSON).
#[derive(Debug, Clone, Default)]
pub struct Sums {
    pub entries: u64,
    pub elements: u64,
    pub sum: FSum,
    pub wsum: FSum,
    pub nonfinite: u64,
    pub count_sum: u64,
    pub count_wsum: FSum,
    pub inner_count_sum: u64,
    pub inner_count_wsum: FSum,
    pub byte_sum: u64,
    pub byte_wsum: FSum,
    pub len_sum: u64,
    pub len_wsum: FSum,
}

/// Number of leaf values in a column's value vector.
pub fn values_len(v: &ColumnValues) -> usize {
    match v {
        ColumnValues::Bool(x) => x.len(),
        ColumnValues::I8(x) => x.len(),
        ColumnValues::U8(x) => x.len(),
        ColumnValues::I16(x) => x.len(),
        ColumnValues::U16(x) => x.len(),
        ColumnValues::I32(x) => x.len(),
        ColumnValues::U32(x) => x.len(),
        ColumnValues::I64(x) => x.len(),
        ColumnValues::U64(x) => x.len(),
        ColumnValues::F32(x) => x.len(),
        ColumnValues::F64(x) => x.len(),
        ColumnValues::Str { offsets, .. } => offsets.len().saturating_sub(1),
    }
}

/// Value `i` as float64 (bools 0/1); `None` for strings.
pub fn value_f64(v: &ColumnValues, i: usize) -> Option<f64> {
    Some(match v {
        ColumnValues::Bool(x) => f64::from(u8::from(x[i])),
        ColumnValues::I8(x) => f64::from(x[i]),
        ColumnValues::U8(x) => f64::from(x[i]),
        ColumnValues::I16(x) => f64::from(x[i]),
        ColumnValues::U16(x) => f64::from(x[i]),
        ColumnValues::I32(x) => f64::from(x[i]),
        ColumnValues::U32(x) => f64::from(x[i]),
        ColumnValues::I64(x) => x[i] as f64,
        ColumnValues::U64(x) => x[i] as f64,
        ColumnValues::F32(x) => f64::from(x[i]),
        ColumnValues::F64(x) => x[i],
        ColumnValues::Str { .. } => return None,
    })
}

/// For each entry, the range of leaf-value indices it holds, checking the column's structure
/// against the expected shape and entry count. Errors describe the inconsistency.
pub fn entry_ranges(col: &Column, shape: Shape, entries: u64) -> Result<Vec<Range<usize>>, String> {
    let n = usize::try_from(entries).map_err(|e| e.to_string())?;
    let len = values_len(&col.values);
    let check_offsets = |o: &[u32], what: &str, want_len: usize, total: usize| {
        if o.len() != want_len {
            return Err(format!(
                "{what} has length {}, expected {want_len}",
                o.len()
            ));
        }
        if o.first().is_some_and(|&f| f != 0) {
            return Err(format!("{what} does not start at 0"));
        }
        if o.windows(2).any(|w| w[0] > w[1]) {
            return Err(format!("{what} is not monotonic"));
        }
        if o.last().is_some_and(|&l| l as usize != total) {
            return Err(format!(
                "{what} ends at {:?}, values hold {total}",
                o.last()
            ));
        }
        Ok(())
    };
    match shape {
        Shape::Scalar => {
            if col.offsets.is_some() {
                return Err("scalar column has offsets".into());
            }
            if len != n {
                return Err(format!("scalar column has {len} values for {n} entries"));
            }
            Ok((0..n).map(|i| i..i + 1).collect())
        }
        Shape::Fixed(k) => {
            if col.offsets.is_some() {
                return Err("fixed-size column has offsets".into());
            }
            if len != n * k {
                return Err(format!(
                    "fixed[{k}] column has {len} values for {n} entries"
                ));
            }
            Ok((0..n).map(|i| i * k..(i + 1) * k).collect())
        }
        Shape::Jagged => {
            let o = col
                .offsets
                .as_ref()
                .ok_or("jagged column without offsets")?;
            check_offsets(o, "offsets", n + 1, len)?;
            Ok(o.windows(2).map(|w| w[0] as usize..w[1] as usize).collect())
        }
        Shape::Jagged2 => {
            let o = col
                .offsets
                .as_ref()
                .ok_or("jagged2 column without offsets")?;
            let inner = col
                .inner_offsets
                .as_ref()
                .ok_or("jagged2 column without inner_offsets")?;
            let lists = inner.len().saturating_sub(1);
            check_offsets(o, "offsets", n + 1, lists)?;
            check_offsets(inner, "inner_offsets", lists + 1, len)?;
            Ok(o.windows(2)
                .map(|w| inner[w[0] as usize] as usize..inner[w[1] as usize] as usize)
                .collect())
        }
    }
}

/// Checksums of a column (see `make_golden.py`).
pub fn sums(col: &Column, shape: Shape, entries: u64) -> Result<Sums, String> {
    let ranges = entry_ranges(col, shape, entries)?;
    let mut s = Sums {
        entries,
        ..Sums::default()
    };
    if let ColumnValues::Str { offsets, bytes } = &col.values {
        if !matches!(shape, Shape::Scalar | Shape::Jagged) {
            return Err(format!(
                "string column of shape {shape:?} is not in the golden set"
            ));
        }
        if offsets.last().is_some_and(|&l| l as usize != bytes.len()) || offsets.is_empty() {
            return Err("string offsets do not end at the byte count".into());
        }
        if offsets.windows(2).any(|w| w[0] > w[1]) {
            return Err("string offsets are not monotonic".into());
        }
        // Scalar: one string per entry (len weight e+1); jagged: strings k of entry e (len
        // weight (e+1)(k+1)), bytes numbered across the entry's concatenated strings.
        for (e, r) in ranges.iter().enumerate() {
            let ew = (e + 1) as f64;
            let mut j = 0usize;
            s.count_sum += r.len() as u64;
            s.count_wsum.add(ew * r.len() as f64);
            for (k, i) in r.clone().enumerate() {
                let (a, b) = (offsets[i] as usize, offsets[i + 1] as usize);
                s.elements += 1;
                s.len_sum += (b - a) as u64;
                s.len_wsum.add((ew * (k + 1) as f64) * (b - a) as f64);
                for &byte in &bytes[a..b] {
                    j += 1;
                    s.byte_sum += u64::from(byte);
                    s.byte_wsum.add(ew * j as f64 * f64::from(byte));
                }
            }
        }
        return Ok(s);
    }
    for (e, r) in ranges.iter().enumerate() {
        let ew = (e + 1) as f64;
        for (j, i) in r.clone().enumerate() {
            let v = value_f64(&col.values, i).ok_or("string value in a numeric column")?;
            s.elements += 1;
            if v.is_finite() {
                s.sum.add(v);
                s.wsum.add((ew * (j + 1) as f64) * v);
            } else {
                s.nonfinite += 1;
            }
        }
    }
    if matches!(shape, Shape::Jagged | Shape::Jagged2) {
        let o = col.offsets.as_ref().ok_or("no offsets")?;
        for (e, w) in o.windows(2).enumerate() {
            let c = u64::from(w[1] - w[0]);
            s.count_sum += c;
            s.count_wsum.add((e + 1) as f64 * c as f64);
        }
    }
    if shape == Shape::Jagged2 {
        let o = col.offsets.as_ref().ok_or("no offsets")?;
        let inner = col.inner_offsets.as_ref().ok_or("no inner offsets")?;
        for (e, w) in o.windows(2).enumerate() {
            for (k, list) in (w[0] as usize..w[1] as usize).enumerate() {
                let c = u64::from(inner[list + 1] - inner[list]);
                s.inner_count_sum += c;
                s.inner_count_wsum
                    .add(((e + 1) as f64 * (k + 1) as f64) * c as f64);
            }
        }
    }
    Ok(s)
}

/// One entry of a column as comparable tokens: value bit patterns (floats by bits, so NaN
/// compares equal to itself), with list separators for jagged2 and strings as bytes.
pub fn entry_tokens(col: &Column, shape: Shape, entry: usize, ranges: &[Range<usize>]) -> Vec<u64> {
    let r = ranges[entry].clone();
    let mut out = Vec::with_capacity(r.len() + 2);
    if shape == Shape::Jagged2
        && let (Some(o), Some(inner)) = (&col.offsets, &col.inner_offsets)
    {
        for list in o[entry] as usize..o[entry + 1] as usize {
            out.push(u64::MAX);
            for i in inner[list] as usize..inner[list + 1] as usize {
                out.push(token(&col.values, i, &mut Vec::new()));
            }
        }
        return out;
    }
    for i in r {
        let mut extra = Vec::new();
        out.push(token(&col.values, i, &mut extra));
        out.extend(extra);
    }
    out
}

fn token(v: &ColumnValues, i: usize, extra: &mut Vec<u64>) -> u64 {
    match v {
        ColumnValues::Bool(x) => u64::from(x[i]),
        ColumnValues::I8(x) => x[i] as u64,
        ColumnValues::U8(x) => u64::from(x[i]),
        ColumnValues::I16(x) => x[i] as u64,
        ColumnValues::U16(x) => u64::from(x[i]),
        ColumnValues::I32(x) => x[i] as u64,
        ColumnValues::U32(x) => u64::from(x[i]),
        ColumnValues::I64(x) => x[i] as u64,
        ColumnValues::U64(x) => x[i],
        ColumnValues::F32(x) => u64::from(x[i].to_bits()),
        ColumnValues::F64(x) => x[i].to_bits(),
        ColumnValues::Str { offsets, bytes } => {
            let s = &bytes[offsets[i] as usize..offsets[i + 1] as usize];
            extra.extend(s.iter().map(|&b| u64::from(b)));
            s.len() as u64
        }
    }
}

/// The variant name of a value vector (to compare types across reads).
pub fn variant(v: &ColumnValues) -> &'static str {
    match v {
        ColumnValues::Bool(_) => "Bool",
        ColumnValues::I8(_) => "I8",
        ColumnValues::U8(_) => "U8",
        ColumnValues::I16(_) => "I16",
        ColumnValues::U16(_) => "U16",
        ColumnValues::I32(_) => "I32",
        ColumnValues::U32(_) => "U32",
        ColumnValues::I64(_) => "I64",
        ColumnValues::U64(_) => "U64",
        ColumnValues::F32(_) => "F32",
        ColumnValues::F64(_) => "F64",
        ColumnValues::Str { .. } => "Str",
    }
}

/// Checks that `part` (read for `range`) equals entries `range` of `full`; `Err` names the first
/// differing entry.
pub fn same_as_slice(
    full: &Column,
    part: &Column,
    shape: Shape,
    full_entries: u64,
    range: Range<u64>,
) -> Result<(), String> {
    if variant(&full.values) != variant(&part.values) {
        return Err(format!(
            "type {} in the sub-range read, {} in the full read",
            variant(&part.values),
            variant(&full.values)
        ));
    }
    let fr = entry_ranges(full, shape, full_entries)?;
    let pr = entry_ranges(part, shape, range.end - range.start)
        .map_err(|e| format!("sub-range {range:?}: {e}"))?;
    for (k, e) in (range.start as usize..range.end as usize).enumerate() {
        let a = entry_tokens(full, shape, e, &fr);
        let b = entry_tokens(part, shape, k, &pr);
        if a != b {
            return Err(format!(
                "sub-range {range:?}: entry {e} differs from the full read ({} vs {} tokens)",
                b.len(),
                a.len()
            ));
        }
    }
    Ok(())
}

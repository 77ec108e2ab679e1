//! Decoded branch data: typed values plus offsets for lists, and the bulk big-endian → native
//! conversion the decoder uses.
//!
//! Invariants of a filled [`Column`] of `n` entries: for `Jagged`, `offsets` has `n + 1`
//! non-decreasing values from 0 to the number of values; for `Jagged2`, `offsets` indexes
//! `inner_offsets` (entry → inner lists) and `inner_offsets` indexes values; `Str` keeps its own
//! per-entry offsets into its bytes; fixed arrays are flat (`n * size` values).

use super::compression::Decoders;
use crate::io::schema::ScalarType;

/// Values of one column, in native types.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    Bool(Vec<bool>),
    I8(Vec<i8>),
    U8(Vec<u8>),
    I16(Vec<i16>),
    U16(Vec<u16>),
    I32(Vec<i32>),
    U32(Vec<u32>),
    I64(Vec<i64>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    /// Strings: entry `i` is `bytes[offsets[i]..offsets[i + 1]]`.
    Str {
        offsets: Vec<u32>,
        bytes: Vec<u8>,
    },
}

impl ColumnValues {
    /// Number of values (strings count once each).
    pub fn len(&self) -> usize {
        match self {
            ColumnValues::Bool(v) => v.len(),
            ColumnValues::I8(v) => v.len(),
            ColumnValues::U8(v) => v.len(),
            ColumnValues::I16(v) => v.len(),
            ColumnValues::U16(v) => v.len(),
            ColumnValues::I32(v) => v.len(),
            ColumnValues::U32(v) => v.len(),
            ColumnValues::I64(v) => v.len(),
            ColumnValues::U64(v) => v.len(),
            ColumnValues::F32(v) => v.len(),
            ColumnValues::F64(v) => v.len(),
            ColumnValues::Str { offsets, .. } => offsets.len().saturating_sub(1),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn scalar_type(&self) -> ScalarType {
        match self {
            ColumnValues::Bool(_) => ScalarType::Bool,
            ColumnValues::I8(_) => ScalarType::I8,
            ColumnValues::U8(_) => ScalarType::U8,
            ColumnValues::I16(_) => ScalarType::I16,
            ColumnValues::U16(_) => ScalarType::U16,
            ColumnValues::I32(_) => ScalarType::I32,
            ColumnValues::U32(_) => ScalarType::U32,
            ColumnValues::I64(_) => ScalarType::I64,
            ColumnValues::U64(_) => ScalarType::U64,
            ColumnValues::F32(_) => ScalarType::F32,
            ColumnValues::F64(_) => ScalarType::F64,
            ColumnValues::Str { .. } => ScalarType::Str,
        }
    }

    /// Empty values of type `ty`, reusing this allocation when the type already matches.
    pub(crate) fn reset(&mut self, ty: ScalarType) {
        if self.scalar_type() != ty {
            *self = match ty {
                ScalarType::Bool => ColumnValues::Bool(Vec::new()),
                ScalarType::I8 => ColumnValues::I8(Vec::new()),
                ScalarType::U8 => ColumnValues::U8(Vec::new()),
                ScalarType::I16 => ColumnValues::I16(Vec::new()),
                ScalarType::U16 => ColumnValues::U16(Vec::new()),
                ScalarType::I32 => ColumnValues::I32(Vec::new()),
                ScalarType::U32 => ColumnValues::U32(Vec::new()),
                ScalarType::I64 => ColumnValues::I64(Vec::new()),
                ScalarType::U64 => ColumnValues::U64(Vec::new()),
                ScalarType::F32 => ColumnValues::F32(Vec::new()),
                ScalarType::F64 => ColumnValues::F64(Vec::new()),
                ScalarType::Str => ColumnValues::Str {
                    offsets: Vec::new(),
                    bytes: Vec::new(),
                },
            };
        }
        match self {
            ColumnValues::Bool(v) => v.clear(),
            ColumnValues::I8(v) => v.clear(),
            ColumnValues::U8(v) => v.clear(),
            ColumnValues::I16(v) => v.clear(),
            ColumnValues::U16(v) => v.clear(),
            ColumnValues::I32(v) => v.clear(),
            ColumnValues::U32(v) => v.clear(),
            ColumnValues::I64(v) => v.clear(),
            ColumnValues::U64(v) => v.clear(),
            ColumnValues::F32(v) => v.clear(),
            ColumnValues::F64(v) => v.clear(),
            ColumnValues::Str { offsets, bytes } => {
                offsets.clear();
                offsets.push(0);
                bytes.clear();
            }
        }
    }

    /// Appends big-endian values; `bytes.len()` must be a multiple of the element size (the
    /// caller checked it). Not for strings.
    pub(crate) fn extend_be(&mut self, bytes: &[u8]) {
        fn ext<T, const N: usize>(v: &mut Vec<T>, bytes: &[u8], f: fn([u8; N]) -> T) {
            v.reserve(bytes.len() / N);
            v.extend(bytes.chunks_exact(N).map(|c| {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                f(a)
            }));
        }
        match self {
            ColumnValues::Bool(v) => v.extend(bytes.iter().map(|&b| b != 0)),
            ColumnValues::I8(v) => v.extend(bytes.iter().map(|&b| b as i8)),
            ColumnValues::U8(v) => v.extend_from_slice(bytes),
            ColumnValues::I16(v) => ext(v, bytes, i16::from_be_bytes),
            ColumnValues::U16(v) => ext(v, bytes, u16::from_be_bytes),
            ColumnValues::I32(v) => ext(v, bytes, i32::from_be_bytes),
            ColumnValues::U32(v) => ext(v, bytes, u32::from_be_bytes),
            ColumnValues::I64(v) => ext(v, bytes, i64::from_be_bytes),
            ColumnValues::U64(v) => ext(v, bytes, u64::from_be_bytes),
            ColumnValues::F32(v) => ext(v, bytes, f32::from_be_bytes),
            ColumnValues::F64(v) => ext(v, bytes, f64::from_be_bytes),
            ColumnValues::Str { .. } => {}
        }
    }
}

/// Bytes per value of a numeric type (strings: 1, unused).
pub(crate) fn size_of(ty: ScalarType) -> usize {
    match ty {
        ScalarType::Bool | ScalarType::I8 | ScalarType::U8 | ScalarType::Str => 1,
        ScalarType::I16 | ScalarType::U16 => 2,
        ScalarType::I32 | ScalarType::U32 | ScalarType::F32 => 4,
        ScalarType::I64 | ScalarType::U64 | ScalarType::F64 => 8,
    }
}

/// The data of one branch over a range of entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub values: ColumnValues,
    /// Per-entry offsets (`entries + 1` values from 0) for jagged data and the outer level of
    /// `Jagged2`; None otherwise.
    pub offsets: Option<Vec<u32>>,
    /// `Jagged2` only: offsets of the inner lists into `values`.
    pub inner_offsets: Option<Vec<u32>>,
}

impl Default for Column {
    fn default() -> Self {
        Column {
            values: ColumnValues::U8(Vec::new()),
            offsets: None,
            inner_offsets: None,
        }
    }
}

/// Reusable buffers for reading baskets (raw file bytes, decompressed bytes, entry offsets) and
/// the decompressors. One per thread.
#[derive(Default)]
pub struct Scratch {
    pub(crate) raw: Vec<u8>,
    pub(crate) data: Vec<u8>,
    pub(crate) offsets: Vec<u32>,
    pub(crate) decoders: Decoders,
    /// The RNTuple reader's collection index values.
    pub(crate) index: Vec<u64>,
}

impl Scratch {
    /// Decompresses ROOT compression blocks `src` into `out` (whose length is the expected
    /// size), checking the block headers before decoding: the RNTuple reader's pages and
    /// envelopes use the same block framing as baskets.
    pub(crate) fn unzip(&mut self, src: &[u8], out: &mut [u8]) -> Result<(), String> {
        super::file::check_frames(src, out.len()).map_err(|b| b.0)?;
        super::compression::decompress(&mut self.decoders, src, out).map_err(|b| b.0)
    }
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scratch").finish_non_exhaustive()
    }
}

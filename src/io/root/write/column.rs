//! Typed value columns of a tree branch and how ROOT names and stores their element types.
//!
//! Input: a [`Column`] (one Rust vector per element type). Output: big-endian bytes of any element
//! range, and the leaf class, type letter and size ROOT uses for the type.

/// The values of one branch, flattened over entries.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
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
}

/// How ROOT describes one element type.
pub struct LeafType {
    /// `TLeaf` subclass holding this type.
    pub class: &'static str,
    /// Type letter in a branch title (`x/F`).
    pub letter: char,
    /// Bytes per element.
    pub size: usize,
    pub unsigned: bool,
}

macro_rules! each_column {
    ($self:expr, $v:ident => $body:expr) => {
        match $self {
            Column::Bool($v) => $body,
            Column::I8($v) => $body,
            Column::U8($v) => $body,
            Column::I16($v) => $body,
            Column::U16($v) => $body,
            Column::I32($v) => $body,
            Column::U32($v) => $body,
            Column::I64($v) => $body,
            Column::U64($v) => $body,
            Column::F32($v) => $body,
            Column::F64($v) => $body,
        }
    };
}

impl Column {
    pub fn len(&self) -> usize {
        each_column!(self, v => v.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An empty column of the same element type.
    pub fn empty_like(&self) -> Column {
        match self {
            Column::Bool(_) => Column::Bool(Vec::new()),
            Column::I8(_) => Column::I8(Vec::new()),
            Column::U8(_) => Column::U8(Vec::new()),
            Column::I16(_) => Column::I16(Vec::new()),
            Column::U16(_) => Column::U16(Vec::new()),
            Column::I32(_) => Column::I32(Vec::new()),
            Column::U32(_) => Column::U32(Vec::new()),
            Column::I64(_) => Column::I64(Vec::new()),
            Column::U64(_) => Column::U64(Vec::new()),
            Column::F32(_) => Column::F32(Vec::new()),
            Column::F64(_) => Column::F64(Vec::new()),
        }
    }

    pub fn leaf_type(&self) -> LeafType {
        let (class, letter, size, unsigned) = match self {
            Column::Bool(_) => ("TLeafO", 'O', 1, false),
            Column::I8(_) => ("TLeafB", 'B', 1, false),
            Column::U8(_) => ("TLeafB", 'b', 1, true),
            Column::I16(_) => ("TLeafS", 'S', 2, false),
            Column::U16(_) => ("TLeafS", 's', 2, true),
            Column::I32(_) => ("TLeafI", 'I', 4, false),
            Column::U32(_) => ("TLeafI", 'i', 4, true),
            Column::I64(_) => ("TLeafL", 'L', 8, false),
            Column::U64(_) => ("TLeafL", 'l', 8, true),
            Column::F32(_) => ("TLeafF", 'F', 4, false),
            Column::F64(_) => ("TLeafD", 'D', 8, false),
        };
        LeafType {
            class,
            letter,
            size,
            unsigned,
        }
    }

    /// Appends elements `range` as big-endian bytes. The caller keeps `range` within `len()`.
    pub fn put_range(&self, range: std::ops::Range<usize>, out: &mut Vec<u8>) {
        match self {
            Column::Bool(v) => out.extend(v[range].iter().map(|&b| u8::from(b))),
            Column::I8(v) => out.extend(v[range].iter().map(|&x| x as u8)),
            Column::U8(v) => out.extend_from_slice(&v[range]),
            Column::I16(v) => v[range].iter().for_each(|x| out.extend(x.to_be_bytes())),
            Column::U16(v) => v[range].iter().for_each(|x| out.extend(x.to_be_bytes())),
            Column::I32(v) => v[range].iter().for_each(|x| out.extend(x.to_be_bytes())),
            Column::U32(v) => v[range].iter().for_each(|x| out.extend(x.to_be_bytes())),
            Column::I64(v) => v[range].iter().for_each(|x| out.extend(x.to_be_bytes())),
            Column::U64(v) => v[range].iter().for_each(|x| out.extend(x.to_be_bytes())),
            Column::F32(v) => v[range].iter().for_each(|x| out.extend(x.to_be_bytes())),
            Column::F64(v) => v[range].iter().for_each(|x| out.extend(x.to_be_bytes())),
        }
    }

    /// The values as per-entry lengths, if this is an integer column whose values all are
    /// non-negative and fit ROOT's `Int_t` counters; `Err` names the first bad value.
    pub fn as_counts(&self) -> Result<Vec<usize>, String> {
        fn conv<T: Copy + TryInto<i32> + std::fmt::Display>(v: &[T]) -> Result<Vec<usize>, String> {
            v.iter()
                .map(|&x| match x.try_into() {
                    Ok(n) if n >= 0 => Ok(n as usize),
                    _ => Err(format!("count {x} is negative or too large")),
                })
                .collect()
        }
        match self {
            Column::I8(v) => conv(v),
            Column::U8(v) => conv(v),
            Column::I16(v) => conv(v),
            Column::U16(v) => conv(v),
            Column::I32(v) => conv(v),
            Column::U32(v) => conv(v),
            Column::I64(v) => conv(v),
            Column::U64(v) => conv(v),
            Column::Bool(_) | Column::F32(_) | Column::F64(_) => {
                Err("a counter must be an integer branch".to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_big_endian() {
        let mut out = Vec::new();
        Column::U16(vec![1, 0x0203, 4]).put_range(1..3, &mut out);
        assert_eq!(out, vec![2, 3, 0, 4]);
    }

    #[test]
    fn counts_reject_negative_values() {
        assert_eq!(Column::U32(vec![0, 3]).as_counts().unwrap(), vec![0, 3]);
        assert!(Column::I32(vec![1, -1]).as_counts().is_err());
        assert!(Column::F32(vec![1.0]).as_counts().is_err());
    }
}

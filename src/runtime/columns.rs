//! The columns of one chunk of entries, as the interpreter reads them.
//!
//! Input: the plan's fields, per-event branches and collections, and an open tree. Output: a
//! [`Chunk`]: every value widened to one of four native forms (f64, i64, bool, string bytes),
//! per-event offsets for lists, and per collection the element offsets. Buffers are reused from
//! chunk to chunk (no allocation in the steady state).
//!
//! Invariants: a collection's fields all have exactly the collection's per-event lengths (from
//! its counter, or from its first vector field), or loading fails naming the branch; a counter is
//! never negative.

use crate::io::dataset::Dataset;
use crate::io::root::{Column, ColumnValues, RootFile, Scratch};
use crate::io::schema::{ScalarType, Shape};
use crate::ir::{NeededColumns, Plan};
use std::ops::Range;

/// Values of one column in the interpreter's native forms.
#[derive(Debug, Clone)]
pub enum Data {
    F(Vec<f64>),
    I(Vec<i64>),
    B(Vec<bool>),
    S { offsets: Vec<u32>, bytes: Vec<u8> },
}

impl Default for Data {
    fn default() -> Self {
        Data::F(Vec::new())
    }
}

impl Data {
    /// The values' address (f64, i64 or bool bytes), for native code; null for strings.
    pub fn as_ptr(&self) -> *const u8 {
        match self {
            Data::F(v) => v.as_ptr() as *const u8,
            Data::I(v) => v.as_ptr() as *const u8,
            Data::B(v) => v.as_ptr() as *const u8,
            Data::S { .. } => std::ptr::null(),
        }
    }

    /// The bytes of string `i`.
    pub fn str_at(&self, i: usize) -> &[u8] {
        match self {
            Data::S { offsets, bytes } => &bytes[offsets[i] as usize..offsets[i + 1] as usize],
            _ => &[],
        }
    }
}

/// One loaded branch: values plus, for lists, per-entry offsets into them (`entries + 1` values)
/// and for lists of lists the inner offsets.
#[derive(Debug, Clone, Default)]
pub struct Col {
    pub data: Data,
    pub offsets: Vec<u32>,
    pub inner: Vec<u32>,
}

/// Everything the interpreter reads for `entries` consecutive entries.
#[derive(Debug, Default)]
pub struct Chunk {
    pub first_entry: u64,
    pub entries: usize,
    /// Per field of the plan (then extra columns holding kinematic replacements).
    pub fields: Vec<Col>,
    /// Per per-event branch of the plan.
    pub scalars: Vec<Col>,
    /// Per collection: `entries + 1` element offsets.
    pub colls: Vec<Vec<u32>>,
    /// The reader's column, reused.
    raw: Column,
}

/// Why a chunk could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Root(#[from] crate::io::root::RootError),
    #[error("{0}")]
    Bad(String),
}

/// A friend tree open beside the main one: its name (the prefix of its branches in the plan),
/// file and tree.
pub type OpenFriend = (String, std::sync::Arc<RootFile>, Dataset);

/// Reads a plan column: `name.X` from friend `name`'s tree, anything else from the main tree.
struct Source<'a> {
    file: &'a RootFile,
    tree: &'a Dataset,
    friends: &'a [OpenFriend],
}

impl Source<'_> {
    /// Whether the tree (or the friend a `name.X` names) has the branch.
    fn has(&self, name: &str) -> bool {
        for (friend, _, tree) in self.friends {
            if let Some(rest) = name
                .strip_prefix(friend.as_str())
                .and_then(|r| r.strip_prefix('.'))
            {
                return tree.has(rest);
            }
        }
        self.tree.has(name)
    }

    fn read_into(
        &self,
        name: &str,
        range: Range<u64>,
        out: &mut Column,
        scratch: &mut Scratch,
    ) -> Result<(), crate::io::root::RootError> {
        for (friend, file, tree) in self.friends {
            if let Some(rest) = name
                .strip_prefix(friend.as_str())
                .and_then(|r| r.strip_prefix('.'))
            {
                return tree.read_into(file, rest, range, out, scratch);
            }
        }
        self.tree.read_into(self.file, name, range, out, scratch)
    }
}

impl Chunk {
    /// Loads `range` of every branch the plan needs from `tree`.
    pub fn load(
        &mut self,
        plan: &Plan,
        file: &RootFile,
        tree: &Dataset,
        range: Range<u64>,
        scratch: &mut Scratch,
    ) -> Result<(), LoadError> {
        self.load_for(plan, None, file, tree, &[], range, scratch)
    }

    /// Loads `range` of every branch the plan needs from `tree` and its friends (a branch
    /// `name.X` of the plan is `X` of friend `name`, read for the same entries), except those
    /// this sample does not need (`needed`: only `only` blocks that do not run for it use them)
    /// and the tree does not have: those are columns of zeros and empty lists of the right
    /// length, never read.
    #[allow(clippy::too_many_arguments)]
    pub fn load_for(
        &mut self,
        plan: &Plan,
        needed: Option<&NeededColumns>,
        file: &RootFile,
        tree: &Dataset,
        friends: &[OpenFriend],
        range: Range<u64>,
        scratch: &mut Scratch,
    ) -> Result<(), LoadError> {
        let tree = Source {
            file,
            tree,
            friends,
        };
        let absent = |want: Option<&bool>, branch: &str| {
            needed.is_some() && want == Some(&false) && !tree.has(branch)
        };
        let n = (range.end - range.start) as usize;
        self.first_entry = range.start;
        self.entries = n;
        self.colls.resize_with(plan.collections.len(), Vec::new);
        self.fields.resize_with(plan.fields.len(), Col::default);
        self.scalars.resize_with(plan.scalars.len(), Col::default);
        for (c, info) in plan.collections.iter().enumerate() {
            if absent(needed.and_then(|x| x.colls.get(c)), &info.length) {
                self.colls[c].clear();
                self.colls[c].resize(n + 1, 0);
                continue;
            }
            tree.read_into(&info.length, range.clone(), &mut self.raw, scratch)?;
            let offs = &mut self.colls[c];
            offs.clear();
            offs.push(0);
            if info.counter {
                let mut total: u64 = 0;
                for i in 0..n {
                    let k = int_at(&self.raw.values, i).ok_or_else(|| {
                        LoadError::Bad(format!(
                            "counter branch `{}` is not an integer",
                            info.length
                        ))
                    })?;
                    if k < 0 {
                        return Err(LoadError::Bad(format!(
                            "counter branch `{}` is negative ({k}) at entry {}",
                            info.length,
                            range.start + i as u64
                        )));
                    }
                    total += k as u64;
                    let t = u32::try_from(total).map_err(|_| {
                        LoadError::Bad(format!("more than 4 billion `{}` elements", info.name))
                    })?;
                    offs.push(t);
                }
            } else {
                match &self.raw.offsets {
                    Some(o) => offs.extend_from_slice(&o[1..]),
                    None => {
                        return Err(LoadError::Bad(format!(
                            "branch `{}` of collection `{}` is not a list",
                            info.length, info.name
                        )));
                    }
                }
            }
        }
        for (f, info) in plan.fields.iter().enumerate() {
            if absent(needed.and_then(|x| x.fields.get(f)), &info.branch) {
                let expect = &self.colls[info.coll.0 as usize];
                let total = expect.last().copied().unwrap_or(0) as usize;
                let col = &mut self.fields[f];
                placeholder(col, info.ty, total, false);
                col.offsets.clear();
                col.offsets.extend_from_slice(expect);
                continue;
            }
            tree.read_into(&info.branch, range.clone(), &mut self.raw, scratch)?;
            let expect = &self.colls[info.coll.0 as usize];
            let got = self.raw.offsets.as_deref().unwrap_or(&[]);
            if got != expect.as_slice() {
                let coll = &plan.collections[info.coll.0 as usize];
                let entry = first_difference(got, expect) + range.start;
                return Err(LoadError::Bad(format!(
                    "branch `{}` does not have the length of collection `{}` (from `{}`) at entry {entry}",
                    info.branch, coll.name, coll.length
                )));
            }
            convert(&self.raw, &mut self.fields[f]);
        }
        for (s, info) in plan.scalars.iter().enumerate() {
            if absent(needed.and_then(|x| x.scalars.get(s)), &info.branch) {
                let col = &mut self.scalars[s];
                col.offsets.clear();
                col.inner.clear();
                match info.shape {
                    Shape::Scalar => placeholder(col, info.ty, n, true),
                    Shape::Fixed(k) => {
                        placeholder(col, info.ty, n * k, false);
                        col.offsets.extend((0..=n).map(|i| (i * k) as u32));
                    }
                    Shape::Jagged | Shape::Jagged2 => {
                        placeholder(col, info.ty, 0, false);
                        col.offsets.resize(n + 1, 0);
                        if info.shape == Shape::Jagged2 {
                            col.inner.push(0);
                        }
                    }
                }
                continue;
            }
            tree.read_into(&info.branch, range.clone(), &mut self.raw, scratch)?;
            let col = &mut self.scalars[s];
            convert(&self.raw, col);
            if let Shape::Fixed(k) = info.shape {
                col.offsets.clear();
                col.offsets.extend((0..=n).map(|i| (i * k) as u32));
            }
        }
        Ok(())
    }

    /// Makes room for `k` extra field columns after the plan's (kinematic replacements).
    pub fn extra_fields(&mut self, plan_fields: usize, k: usize) {
        self.fields.resize_with(plan_fields + k, Col::default);
    }
}

/// `len` zeros (empty strings) of the form a branch of type `ty` is read into; for a string
/// branch `one_per_entry` gives each of the `len` entries its empty string.
fn placeholder(col: &mut Col, ty: ScalarType, len: usize, one_per_entry: bool) {
    col.data = if ty.is_float() {
        Data::F(vec![0.0; len])
    } else if ty == ScalarType::Bool {
        Data::B(vec![false; len])
    } else if ty == ScalarType::Str {
        let k = if one_per_entry { len } else { 0 };
        Data::S {
            offsets: vec![0; k + 1],
            bytes: Vec::new(),
        }
    } else {
        Data::I(vec![0; len])
    };
}

fn first_difference(a: &[u32], b: &[u32]) -> u64 {
    let n = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    n.saturating_sub(1) as u64
}

fn int_at(v: &ColumnValues, i: usize) -> Option<i64> {
    Some(match v {
        ColumnValues::I8(x) => x[i] as i64,
        ColumnValues::U8(x) => x[i] as i64,
        ColumnValues::I16(x) => x[i] as i64,
        ColumnValues::U16(x) => x[i] as i64,
        ColumnValues::I32(x) => x[i] as i64,
        ColumnValues::U32(x) => x[i] as i64,
        ColumnValues::I64(x) => x[i],
        ColumnValues::U64(x) => x[i] as i64,
        _ => return None,
    })
}

/// Widens the reader's column into the interpreter's forms, reusing `out`'s buffers.
fn convert(raw: &Column, out: &mut Col) {
    fn floats(out: &mut Data, fill: impl FnOnce(&mut Vec<f64>)) {
        let mut v = match std::mem::take(out) {
            Data::F(v) => v,
            _ => Vec::new(),
        };
        v.clear();
        fill(&mut v);
        *out = Data::F(v);
    }
    fn ints(out: &mut Data, fill: impl FnOnce(&mut Vec<i64>)) {
        let mut v = match std::mem::take(out) {
            Data::I(v) => v,
            _ => Vec::new(),
        };
        v.clear();
        fill(&mut v);
        *out = Data::I(v);
    }
    let d = &mut out.data;
    match &raw.values {
        ColumnValues::F32(x) => floats(d, |v| v.extend(x.iter().map(|&x| x as f64))),
        ColumnValues::F64(x) => floats(d, |v| v.extend_from_slice(x)),
        ColumnValues::I8(x) => ints(d, |v| v.extend(x.iter().map(|&x| x as i64))),
        ColumnValues::U8(x) => ints(d, |v| v.extend(x.iter().map(|&x| x as i64))),
        ColumnValues::I16(x) => ints(d, |v| v.extend(x.iter().map(|&x| x as i64))),
        ColumnValues::U16(x) => ints(d, |v| v.extend(x.iter().map(|&x| x as i64))),
        ColumnValues::I32(x) => ints(d, |v| v.extend(x.iter().map(|&x| x as i64))),
        ColumnValues::U32(x) => ints(d, |v| v.extend(x.iter().map(|&x| x as i64))),
        ColumnValues::I64(x) => ints(d, |v| v.extend_from_slice(x)),
        // Documented: unsigned 64-bit values are reinterpreted as i64 (wrapping above 2^63).
        ColumnValues::U64(x) => ints(d, |v| v.extend(x.iter().map(|&x| x as i64))),
        ColumnValues::Bool(x) => {
            let mut v = match std::mem::take(d) {
                Data::B(v) => v,
                _ => Vec::new(),
            };
            v.clear();
            v.extend_from_slice(x);
            *d = Data::B(v);
        }
        ColumnValues::Str { offsets, bytes } => {
            let (mut o, mut b) = match std::mem::take(d) {
                Data::S { offsets, bytes } => (offsets, bytes),
                _ => (Vec::new(), Vec::new()),
            };
            o.clear();
            o.extend_from_slice(offsets);
            b.clear();
            b.extend_from_slice(bytes);
            *d = Data::S {
                offsets: o,
                bytes: b,
            };
        }
    }
    out.offsets.clear();
    if let Some(o) = &raw.offsets {
        out.offsets.extend_from_slice(o);
    }
    out.inner.clear();
    if let Some(o) = &raw.inner_offsets {
        out.inner.extend_from_slice(o);
    }
}

//! From a field name to a [`Column`]: the name resolves to a path of levels — collections
//! (an index column each) and fixed-size arrays — above a leaf (numbers, bool, string, or a
//! collection's cardinality); reading walks the levels cluster by cluster, turning each level's
//! cluster-relative index values into offsets that start at 0 for the range's first entry.
//!
//! Names: a top-level field (`run`, `Jet_pt`, `nJet`), or a dotted path into records (`rec.x`),
//! also through collections and arrays of records (`coll.x` reads `x` of every element).

use super::decode::{Sink, read_column};
use super::meta::{FLAG_REPETITIVE, Field, Meta, ROLE_COLLECTION, ROLE_LEAF, ROLE_RECORD};
use super::{Fail, fail};
use crate::io::root::{Column, ColumnValues, RootFile, Scratch};
use crate::io::schema::{ScalarType, Shape};
use std::ops::Range;

/// Why a name does not resolve.
pub(crate) enum Resolve {
    NotFound(String),
    Bad(Fail),
}

impl From<Fail> for Resolve {
    fn from(f: Fail) -> Self {
        Resolve::Bad(f)
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Level {
    /// A collection: the field whose index column gives the element ranges.
    Jag(u32),
    /// A fixed-size array of this many elements.
    Arr(u64),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Leaf {
    Num(u32, ScalarType),
    Str(u32),
    /// The sizes of the collection whose index column the field aliases.
    Card(u32, ScalarType),
}

#[derive(Debug, Clone)]
pub(crate) struct Path {
    pub levels: Vec<Level>,
    pub leaf: Leaf,
}

impl Path {
    pub fn ty(&self) -> ScalarType {
        match self.leaf {
            Leaf::Num(_, t) | Leaf::Card(_, t) => t,
            Leaf::Str(_) => ScalarType::Str,
        }
    }

    /// The column shape, or why it cannot be one.
    pub fn shape(&self) -> Result<Shape, Fail> {
        let jags = self
            .levels
            .iter()
            .filter(|l| matches!(l, Level::Jag(_)))
            .count();
        let mut fixed = 1u64;
        let mut arrays = false;
        for l in &self.levels {
            if let Level::Arr(n) = l {
                arrays = true;
                fixed = match fixed.checked_mul(*n) {
                    Some(f) => f,
                    None => return fail!("fixed-size arrays of more than 2^64 elements"),
                };
            }
        }
        match (jags, arrays) {
            (0, false) => Ok(Shape::Scalar),
            (0, true) => match usize::try_from(fixed) {
                Ok(n) if n <= u32::MAX as usize => Ok(Shape::Fixed(n)),
                _ => fail!("a fixed-size array of {fixed} elements is not supported"),
            },
            (1, false) => Ok(Shape::Jagged),
            (2, false) if !matches!(self.leaf, Leaf::Str(_)) => Ok(Shape::Jagged2),
            _ => fail!(
                "this nesting of collections and arrays ({} collection levels{}) is not supported",
                jags,
                if arrays {
                    " with fixed-size arrays"
                } else {
                    ""
                }
            ),
        }
    }
}

/// The element type of a leaf field's type name (normalised names and common spellings).
pub(crate) fn scalar_of(type_name: &str) -> Option<ScalarType> {
    Some(match type_name {
        "bool" | "Bool_t" => ScalarType::Bool,
        "char" | "std::int8_t" | "int8_t" | "signed char" | "Char_t" => ScalarType::I8,
        "std::uint8_t" | "uint8_t" | "unsigned char" | "UChar_t" | "std::byte" => ScalarType::U8,
        "std::int16_t" | "int16_t" | "short" | "Short_t" => ScalarType::I16,
        "std::uint16_t" | "uint16_t" | "unsigned short" | "UShort_t" => ScalarType::U16,
        "std::int32_t" | "int32_t" | "int" | "Int_t" => ScalarType::I32,
        "std::uint32_t" | "uint32_t" | "unsigned int" | "UInt_t" => ScalarType::U32,
        "std::int64_t" | "int64_t" | "long long" | "Long64_t" => ScalarType::I64,
        "std::uint64_t" | "uint64_t" | "unsigned long long" | "ULong64_t" => ScalarType::U64,
        "float" | "Float_t" => ScalarType::F32,
        "double" | "Double_t" | "Double32_t" => ScalarType::F64,
        _ => return None,
    })
}

fn cardinality_of(type_name: &str) -> Option<ScalarType> {
    let inner = type_name
        .strip_prefix("ROOT::RNTupleCardinality<")
        .or_else(|| type_name.strip_prefix("ROOT::Experimental::RNTupleCardinality<"))?
        .strip_suffix('>')?;
    match scalar_of(inner)? {
        t @ (ScalarType::U32 | ScalarType::U64) => Some(t),
        _ => None,
    }
}

/// What a field is, for walking the schema.
pub(crate) enum Node {
    Record,
    Collection(u32),
    Array(u64, u32),
    /// A leaf with one subfield and no columns (enums, atomics): read the subfield.
    Through(u32),
    Leaf(Leaf),
}

fn columns_per_repr(f: &Field, n: usize) -> Result<(), Fail> {
    if f.columns.is_empty() || f.columns.iter().any(|r| r.len() != n) {
        return fail!(
            "field `{}` ({}) should have {n} column(s) per representation",
            f.name,
            f.type_name
        );
    }
    Ok(())
}

pub(crate) fn node(meta: &Meta, id: u32) -> Result<Node, Fail> {
    let f = &meta.fields[id as usize];
    let only_child = || match f.children.as_slice() {
        [c] => Ok(*c),
        _ => fail!(
            "field `{}` ({}) should have one subfield, it has {}",
            f.name,
            f.type_name,
            f.children.len()
        ),
    };
    if f.flags & FLAG_REPETITIVE != 0 {
        if !f.columns.is_empty() {
            return fail!("field `{}` ({}) is not supported", f.name, f.type_name);
        }
        if f.repetition == 0 {
            return fail!("fixed-size array `{}` has size 0", f.name);
        }
        return Ok(Node::Array(f.repetition, only_child()?));
    }
    match f.role {
        ROLE_RECORD => Ok(Node::Record),
        ROLE_COLLECTION => {
            columns_per_repr(f, 1)?;
            Ok(Node::Collection(only_child()?))
        }
        ROLE_LEAF => {
            if f.type_name == "std::string" {
                columns_per_repr(f, 2)?;
                return Ok(Node::Leaf(Leaf::Str(id)));
            }
            if let Some(t) = cardinality_of(&f.type_name) {
                columns_per_repr(f, 1)?;
                return Ok(Node::Leaf(Leaf::Card(id, t)));
            }
            if let Some(t) = scalar_of(&f.type_name) {
                columns_per_repr(f, 1)?;
                return Ok(Node::Leaf(Leaf::Num(id, t)));
            }
            if f.columns.is_empty() && f.children.len() == 1 {
                return Ok(Node::Through(only_child()?));
            }
            fail!("field type `{}` is not supported", f.type_name)
        }
        3 => fail!(
            "variant field `{}` ({}) is not supported",
            f.name,
            f.type_name
        ),
        4 => fail!(
            "ROOT-streamed field `{}` ({}) is not supported",
            f.name,
            f.type_name
        ),
        r => fail!(
            "field `{}` has structural role {r}, which is not supported",
            f.name
        ),
    }
}

/// Resolves a name to a path (see the module docs for the names accepted).
pub(crate) fn resolve(meta: &Meta, name: &str) -> Result<Path, Resolve> {
    let mut parts = name.split('.');
    let first = parts.next().unwrap_or_default();
    let top = meta
        .fields
        .iter()
        .enumerate()
        .position(|(i, f)| f.is_top(i as u32) && f.name == first);
    let Some(top) = top else {
        return Err(Resolve::NotFound(format!("no field `{first}`")));
    };
    let mut levels = Vec::new();
    let mut at = top as u32;
    for part in parts {
        // Step into the record under `at` (through collections and arrays of records).
        loop {
            match node(meta, at)? {
                Node::Record => break,
                Node::Collection(c) => {
                    levels.push(Level::Jag(at));
                    at = c;
                }
                Node::Array(n, c) => {
                    levels.push(Level::Arr(n));
                    at = c;
                }
                Node::Through(c) => at = c,
                Node::Leaf(_) => {
                    return Err(Resolve::NotFound(format!(
                        "field `{}` has no subfield `{part}` (it is not a record)",
                        meta.fields[at as usize].name
                    )));
                }
            }
        }
        let child = meta.fields[at as usize]
            .children
            .iter()
            .copied()
            .find(|&c| meta.fields[c as usize].name == part);
        at = match child {
            Some(c) => c,
            None => {
                return Err(Resolve::NotFound(format!(
                    "no field `{name}` (record `{}` has no subfield `{part}`)",
                    meta.fields[at as usize].name
                )));
            }
        };
    }
    let mut steps = 0;
    loop {
        steps += 1;
        if steps > meta.fields.len() + 1 {
            return Err(Resolve::Bad(Fail(
                "field nesting forms a cycle".to_string(),
            )));
        }
        match node(meta, at)? {
            Node::Record => {
                let f = &meta.fields[at as usize];
                let sub = f
                    .children
                    .first()
                    .map(|&c| format!(" (e.g. `{name}.{}`)", meta.fields[c as usize].name))
                    .unwrap_or_default();
                return Err(Resolve::NotFound(format!(
                    "field `{name}` is a record: read its subfields{sub}"
                )));
            }
            Node::Collection(c) => {
                levels.push(Level::Jag(at));
                at = c;
            }
            Node::Array(n, c) => {
                levels.push(Level::Arr(n));
                at = c;
            }
            Node::Through(c) => at = c,
            Node::Leaf(leaf) => {
                if matches!(leaf, Leaf::Card(..)) && !levels.is_empty() {
                    return Err(Resolve::Bad(Fail(
                        "a cardinality field inside a collection is not supported".to_string(),
                    )));
                }
                let p = Path { levels, leaf };
                p.shape()?;
                return Ok(p);
            }
        }
    }
}

/// Every physical column a path reads (all representations).
pub(crate) fn columns_of(meta: &Meta, p: &Path, out: &mut Vec<u32>) {
    let mut add = |id: u32| {
        for reps in &meta.fields[id as usize].columns {
            out.extend_from_slice(reps);
        }
    };
    for l in &p.levels {
        if let Level::Jag(id) = l {
            add(*id);
        }
    }
    match p.leaf {
        Leaf::Num(id, _) | Leaf::Str(id) | Leaf::Card(id, _) => add(id),
    }
}

/// The column playing role `k` of field `id` in cluster `ci`: the one of the representation
/// that is not suppressed there.
fn pick(meta: &Meta, id: u32, k: usize, ci: usize) -> Result<u32, Fail> {
    let f = &meta.fields[id as usize];
    let cluster = &meta.clusters[ci];
    for reps in &f.columns {
        let Some(&c) = reps.get(k) else {
            return fail!("field `{}` lacks column {k}", f.name);
        };
        let unlisted_secondary = meta.columns[c as usize].deferred_suppressed;
        match cluster.columns.get(c as usize) {
            Some(cp) if cp.suppressed || (!cp.listed && unlisted_secondary) => continue,
            _ => return Ok(c),
        }
    }
    fail!(
        "field `{}` has no active column representation in cluster {ci}",
        f.name
    )
}

/// Reads the index values of elements `range` (plus the one before, when there is one) and
/// appends the offsets of the elements to `offs`, continuing its last value; returns the child
/// element range.
#[allow(clippy::too_many_arguments)]
fn index_level(
    meta: &Meta,
    file: &RootFile,
    scratch: &mut Scratch,
    ci: usize,
    col: u32,
    range: Range<u64>,
    nominal: Option<u64>,
    idx: &mut Vec<u64>,
    offs: &mut Vec<u32>,
) -> Result<Range<u64>, Fail> {
    idx.clear();
    let from = range.start.saturating_sub(1);
    read_column(
        meta,
        file,
        scratch,
        ci,
        col,
        from..range.end,
        nominal,
        &mut Sink::Index(idx),
    )?;
    let (base, ends) = if range.start == 0 {
        (0, &idx[..])
    } else {
        match idx.split_first() {
            Some((b, rest)) => (*b, rest),
            None => return fail!("cluster {ci}: index column {col} is empty"),
        }
    };
    let mut prev = base;
    let mut last = *offs.last().unwrap_or(&0) as u64;
    for &e in ends {
        if e < prev {
            return fail!("cluster {ci}: index column {col} decreases ({prev} then {e})");
        }
        last += e - prev;
        prev = e;
        match u32::try_from(last) {
            Ok(v) => offs.push(v),
            Err(_) => return fail!("more than 4 billion elements in one read"),
        }
    }
    Ok(base..prev)
}

/// Reads `entries` of the field at `p` into `out` (see [`Column`] for the invariants).
pub(crate) fn read(
    meta: &Meta,
    file: &RootFile,
    p: &Path,
    entries: Range<u64>,
    out: &mut Column,
    scratch: &mut Scratch,
) -> Result<(), Fail> {
    let shape = p.shape()?;
    out.values.reset(p.ty());
    let jags = match shape {
        Shape::Jagged => 1,
        Shape::Jagged2 => 2,
        _ => 0,
    };
    let mut outer = out.offsets.take().unwrap_or_default();
    let mut inner = out.inner_offsets.take().unwrap_or_default();
    outer.clear();
    inner.clear();
    if jags >= 1 {
        outer.push(0);
    }
    if jags == 2 {
        inner.push(0);
    }
    let mut idx = std::mem::take(&mut scratch.index);
    let r = read_clusters(
        meta,
        file,
        p,
        entries.clone(),
        out,
        scratch,
        &mut idx,
        &mut outer,
        &mut inner,
    );
    scratch.index = idx;
    out.offsets = (jags >= 1).then_some(outer);
    out.inner_offsets = (jags == 2).then_some(inner);
    r?;
    // The decoded counts must agree with the offsets.
    let n = (entries.end - entries.start) as usize;
    let values = out.values.len();
    let ok = match shape {
        Shape::Scalar => values == n,
        Shape::Fixed(k) => Some(values) == n.checked_mul(k),
        Shape::Jagged => {
            let o = out.offsets.as_deref().unwrap_or(&[]);
            o.len() == n + 1 && o.last().map(|&x| x as usize) == Some(values)
        }
        Shape::Jagged2 => {
            let o = out.offsets.as_deref().unwrap_or(&[]);
            let i = out.inner_offsets.as_deref().unwrap_or(&[]);
            o.len() == n + 1
                && o.last().map(|&x| x as usize + 1) == Some(i.len())
                && i.last().map(|&x| x as usize) == Some(values)
        }
    };
    if !ok {
        return fail!("decoded {values} values, which do not match the entries and offsets");
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn read_clusters(
    meta: &Meta,
    file: &RootFile,
    p: &Path,
    entries: Range<u64>,
    out: &mut Column,
    scratch: &mut Scratch,
    idx: &mut Vec<u64>,
    outer: &mut Vec<u32>,
    inner: &mut Vec<u32>,
) -> Result<(), Fail> {
    let first = meta
        .clusters
        .partition_point(|c| c.first_entry + c.entries <= entries.start);
    for ci in first..meta.clusters.len() {
        let c = &meta.clusters[ci];
        if c.first_entry >= entries.end {
            break;
        }
        let lo = entries.start.max(c.first_entry) - c.first_entry;
        let hi = entries.end.min(c.first_entry + c.entries) - c.first_entry;
        let mut range = lo..hi;
        // Global index of local element 0 while the levels are aligned with the entries.
        let mut nominal = Some(c.first_entry);
        let mut jag = 0;
        for l in &p.levels {
            match *l {
                Level::Arr(n) => {
                    range = match (range.start.checked_mul(n), range.end.checked_mul(n)) {
                        (Some(a), Some(b)) => a..b,
                        _ => return fail!("array element index overflows"),
                    };
                    nominal = nominal.and_then(|x| x.checked_mul(n));
                }
                Level::Jag(id) => {
                    let col = pick(meta, id, 0, ci)?;
                    let offs = if jag == 0 { &mut *outer } else { &mut *inner };
                    range = index_level(meta, file, scratch, ci, col, range, nominal, idx, offs)?;
                    nominal = None;
                    jag += 1;
                }
            }
        }
        match p.leaf {
            Leaf::Num(id, _) => {
                let col = pick(meta, id, 0, ci)?;
                let sink = &mut Sink::Values(&mut out.values);
                read_column(meta, file, scratch, ci, col, range, nominal, sink)?;
            }
            Leaf::Str(id) => {
                let col = pick(meta, id, 0, ci)?;
                let chars = pick(meta, id, 1, ci)?;
                let ColumnValues::Str { offsets, bytes } = &mut out.values else {
                    return fail!("string values expected");
                };
                let r = index_level(meta, file, scratch, ci, col, range, nominal, idx, offsets)?;
                let sink = &mut Sink::Bytes(bytes);
                read_column(meta, file, scratch, ci, chars, r, None, sink)?;
            }
            Leaf::Card(id, _) => {
                let col = pick(meta, id, 0, ci)?;
                let mut sizes = vec![0u32];
                // Offsets of the counted collection, then their differences.
                index_level(
                    meta, file, scratch, ci, col, range, nominal, idx, &mut sizes,
                )?;
                for w in sizes.windows(2) {
                    let k = w[1] - w[0];
                    match &mut out.values {
                        ColumnValues::U32(v) => v.push(k),
                        ColumnValues::U64(v) => v.push(k as u64),
                        _ => return fail!("cardinality values expected"),
                    }
                }
            }
        }
    }
    Ok(())
}

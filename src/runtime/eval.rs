//! The reference interpreter: evaluates plan nodes for one event over the chunk's columns.
//!
//! Written for clarity (it is the oracle the JIT is checked against), but without allocation per
//! event: collections are ranges of element leaves in `idx`, lists ranges of values in `vals`,
//! both arenas reset at each event and reused. Definitions are cached per event and per context
//! (context 0 is the nominal analysis, context k the k-th kinematic variation of the sample); a
//! definition the `share` pass marked shared takes its nominal value.
//!
//! Absent values follow the language rules: arithmetic and functions of an absent operand are
//! absent, comparisons with one are false, `??` replaces one; a condition (`where`, `if`, `and`,
//! `or`, `not`, cut) that is absent counts as false.

use crate::ir::ops::{self, Num, P4};
use crate::ir::*;
use crate::sema::{Type, Value};
use crate::syntax::ast::{BinOp, UnOp};

use super::columns::{Chunk, Data};
use super::random;
use crate::codegen::{Env, Kernel, Kernels, Repr};

/// A value during evaluation. Collections, elements and lists point into the frame's arenas.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum V {
    Absent,
    B(bool),
    I(i64),
    F(f64),
    S(Str),
    P4(P4),
    /// An element: its leaves start at `idx[start]`.
    E(u32),
    /// A collection: `len` elements of the node's width, from `idx[start]`.
    C {
        start: u32,
        len: u32,
    },
    /// A list: `vals[start..start + len]`.
    L {
        start: u32,
        len: u32,
    },
}

/// Where a string's bytes are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Str {
    /// A string constant (node id).
    Lit(u32),
    /// Value `at` of field column `col` of the chunk.
    Field { col: u32, at: u32 },
    /// Value `at` of per-event branch `col`.
    Scalar { col: u32, at: u32 },
}

impl V {
    pub fn num(self) -> Option<Num> {
        match self {
            V::I(i) => Some(Num::I(i)),
            V::F(f) => Some(Num::F(f)),
            _ => None,
        }
    }

    /// A condition: absent (or anything but `true`) is false.
    pub fn truth(self) -> bool {
        matches!(self, V::B(true))
    }
}

/// The sample being run: what `xsec`, `nevts` and the random key need.
#[derive(Debug, Clone)]
pub struct SampleCtx {
    pub xsec: f64,
    pub nevts: f64,
    /// The sum of generator weights (NaN unless the analysis uses `sumw`).
    pub sumw: f64,
    /// `random::file_key` of the file being read.
    pub file_key: u64,
    /// `sample.is_data`.
    pub is_data: bool,
    /// `sample.process`, `sample.variation`.
    pub process: String,
    pub variation: String,
}

/// Per-thread interpreter state, reused across events, chunks and units.
pub struct Frame<'p> {
    pub plan: &'p Plan,
    /// Per node: the element width of collection- and element-typed nodes (else 0).
    widths: Vec<u32>,
    /// Per node: `random::site_key` of random nodes (else 0).
    site_keys: Vec<u64>,
    idx: Vec<u32>,
    vals: Vec<V>,
    /// Element scope stack (arena start of each element), innermost last.
    elems: Vec<u32>,
    masks: Vec<bool>,
    tmp: Vec<V>,
    keys: Vec<(f64, u32)>,
    cache: Vec<V>,
    stamp: Vec<u64>,
    now: u64,
    /// The event being evaluated: index in the chunk, and entry number.
    pub ev: usize,
    pub entry: u64,
    /// Current context: 0 nominal, k > 0 the (k-1)-th kinematic variation of `contexts`.
    pub ctx: usize,
    /// Per context: field id → column index in the chunk, and which defs are shared.
    fmaps: Vec<Vec<u32>>,
    shared: Vec<Vec<bool>>,
    /// Native kernels for scalar expression trees (`crate::codegen`), when not interpreting.
    kernels: Option<&'p Kernels>,
    /// What the kernels read: filled per chunk (pointer tables) and per event (`coll_first`).
    env: Env,
    field_ptrs: Vec<*const u8>,
    scalar_ptrs: Vec<*const u8>,
    coll_first: Vec<u32>,
}

pub type R<T> = Result<T, String>;

impl<'p> Frame<'p> {
    /// A frame for `plan` whose contexts are the nominal analysis plus the given kinematic
    /// variations (indices into `plan.variations`), with their replaced fields in columns
    /// `plan.fields.len() + j` of the chunk, in replacement order.
    pub fn new(plan: &'p Plan, kinematic: &[usize], kernels: Option<&'p Kernels>) -> Self {
        let widths = plan.element_widths();
        let site_keys = random::site_keys(plan);
        let nominal: Vec<u32> = (0..plan.fields.len() as u32).collect();
        let mut fmaps = vec![nominal.clone()];
        let mut shared = vec![vec![false; plan.defs.len()]];
        let all_kinematic: Vec<usize> = plan.kinematic().collect();
        let mut extra = plan.fields.len() as u32;
        for &v in kinematic {
            let mut m = nominal.clone();
            if let VariationKind::Kinematic(reps) = &plan.variations[v].kind {
                for r in reps {
                    m[r.field.0 as usize] = extra;
                    extra += 1;
                }
            }
            fmaps.push(m);
            let k = all_kinematic.iter().position(|&x| x == v);
            shared.push(
                k.and_then(|k| plan.shared.get(k).cloned())
                    .unwrap_or_else(|| vec![false; plan.defs.len()]),
            );
        }
        let slots = fmaps.len() * plan.defs.len();
        Frame {
            plan,
            widths,
            site_keys,
            idx: Vec::new(),
            vals: Vec::new(),
            elems: Vec::new(),
            masks: Vec::new(),
            tmp: Vec::new(),
            keys: Vec::new(),
            cache: vec![V::Absent; slots],
            stamp: vec![0; slots],
            now: 0,
            ev: 0,
            entry: 0,
            ctx: 0,
            fmaps,
            shared,
            kernels,
            env: Env::default(),
            field_ptrs: Vec::new(),
            scalar_ptrs: Vec::new(),
            coll_first: vec![0; plan.collections.len()],
        }
    }

    /// Points the kernels' tables at a newly loaded chunk (after its replacement columns were
    /// computed). The chunk must not change while its events are evaluated.
    pub fn bind_chunk(&mut self, ch: &Chunk) {
        if self.kernels.is_none() {
            return;
        }
        let ptr = |d: &Data| d.as_ptr();
        self.field_ptrs.clear();
        for m in &self.fmaps {
            for &col in m {
                // Replacement columns do not exist before they are computed; only the nominal
                // context is evaluated then.
                self.field_ptrs.push(
                    ch.fields
                        .get(col as usize)
                        .map_or(std::ptr::null(), |c| ptr(&c.data)),
                );
            }
        }
        self.scalar_ptrs.clear();
        self.scalar_ptrs
            .extend(ch.scalars.iter().map(|c| ptr(&c.data)));
    }

    /// The kernels' per-event state: where each collection's elements start.
    fn bind_event(&mut self, ch: &Chunk) {
        for (c, first) in self.coll_first.iter_mut().enumerate() {
            *first = ch.colls[c][self.ev];
        }
    }

    fn run_kernel(&mut self, k: Kernel, s: &SampleCtx) -> V {
        let nf = self.plan.fields.len();
        self.env = Env {
            fields: self.field_ptrs[self.ctx * nf..].as_ptr(),
            coll_first: self.coll_first.as_ptr(),
            scalars: self.scalar_ptrs.as_ptr(),
            idx: self.idx.as_ptr(),
            elems: self.elems.as_ptr(),
            n_elems: self.elems.len() as u64,
            ev: self.ev as u64,
            xsec: s.xsec,
            nevts: s.nevts,
            sumw: s.sumw,
        };
        let bits = (k.f)(&self.env);
        match k.repr {
            Repr::I => V::I(bits),
            Repr::F => V::F(f64::from_bits(bits as u64)),
            Repr::B => V::B(bits != 0),
        }
    }

    /// Starts a new event of chunk `ch` (clears the arenas and the definition caches).
    pub fn begin_event(&mut self, ch: &Chunk, ev: usize, entry: u64) {
        self.idx.clear();
        self.vals.clear();
        self.elems.clear();
        self.now += 1;
        self.ev = ev;
        self.entry = entry;
        self.ctx = 0;
        if self.kernels.is_some() {
            self.bind_event(ch);
        }
    }

    /// Pushes an element of a tree collection (index `i`) as the innermost scope; used to
    /// evaluate kinematic replacements per element.
    pub fn push_tree_element(&mut self, i: u32) {
        let start = self.idx.len() as u32;
        self.idx.push(i);
        self.elems.push(start);
    }

    pub fn pop_element(&mut self) {
        self.elems.pop();
    }

    /// The items of a list value (a copy of the arena slice's bounds).
    pub fn list(&self, v: V) -> &[V] {
        match v {
            V::L { start, len } => &self.vals[start as usize..(start + len) as usize],
            _ => &[],
        }
    }

    /// Item `at` of the list arena.
    pub fn list_item_at(&self, at: u32) -> V {
        self.vals.get(at as usize).copied().unwrap_or(V::Absent)
    }

    /// The bytes of a string value.
    pub fn str_bytes<'c>(&'c self, ch: &'c Chunk, s: Str) -> &'c [u8] {
        match s {
            Str::Lit(n) => match &self.plan.nodes[n as usize].kind {
                NodeKind::Const(Value::Str(x)) => x.as_bytes(),
                _ => &[],
            },
            Str::Field { col, at } => ch.fields[col as usize].data.str_at(at as usize),
            Str::Scalar { col, at } => ch.scalars[col as usize].data.str_at(at as usize),
        }
    }

    fn read(&self, ch: &Chunk, field: FieldId, i: u32) -> V {
        let col = self.fmaps[self.ctx][field.0 as usize];
        let coll = self.plan.fields[field.0 as usize].coll.0 as usize;
        let at = ch.colls[coll][self.ev] + i;
        match &ch.fields[col as usize].data {
            Data::F(v) => V::F(v[at as usize]),
            Data::I(v) => V::I(v[at as usize]),
            Data::B(v) => V::B(v[at as usize]),
            Data::S { .. } => V::S(Str::Field { col, at }),
        }
    }

    fn read_p4(&self, ch: &Chunk, coll: CollId, i: u32) -> R<P4> {
        let Some((kind, ids)) = &self.plan.collections[coll.0 as usize].p4 else {
            return Err("internal: four-vector of a collection without one".into());
        };
        let mut c = [0.0; 4];
        for (x, f) in c.iter_mut().zip(ids) {
            *x = self
                .read(ch, *f, i)
                .num()
                .ok_or("internal: four-vector field is not a number")?
                .f();
        }
        Ok(match kind {
            P4Kind::PtEtaPhiM => ops::p4_from_polar(c[0], c[1], c[2], c[3]),
            P4Kind::PxPyPzE => c,
        })
    }

    fn access(&mut self, ch: &Chunk, a: &Access, start: u32) -> R<V> {
        Ok(match a {
            Access::Field { leaf, field } => {
                let i = self.idx[(start + leaf) as usize];
                self.read(ch, *field, i)
            }
            Access::P4 { leaf, coll } => {
                let i = self.idx[(start + leaf) as usize];
                V::P4(self.read_p4(ch, *coll, i)?)
            }
            Access::Members(parts) => {
                let t0 = self.tmp.len();
                for p in parts {
                    let v = self.access(ch, p, start)?;
                    self.tmp.push(v);
                }
                self.list_from_tmp(t0)
            }
            Access::P4Sum(parts) => {
                let mut sum: Option<P4> = None;
                for p in parts {
                    let V::P4(v) = self.access(ch, p, start)? else {
                        return Err("internal: member four-vector".into());
                    };
                    sum = Some(match sum {
                        None => v,
                        Some(s) => ops::p4_add(s, v),
                    });
                }
                V::P4(sum.unwrap_or([0.0; 4]))
            }
            Access::Union { leaf, parts, ty } => {
                let tag = self.idx[(start + leaf) as usize] as usize;
                let part = parts
                    .get(tag)
                    .ok_or("internal: a union element's source is out of range")?;
                promote(self.access(ch, part, start)?, ty)
            }
            Access::Tag { leaf } => V::I(i64::from(self.idx[(start + leaf) as usize])),
        })
    }

    /// Moves `tmp[t0..]` into the list arena as one list.
    fn list_from_tmp(&mut self, t0: usize) -> V {
        let start = self.vals.len() as u32;
        let len = (self.tmp.len() - t0) as u32;
        self.vals.extend(self.tmp.drain(t0..));
        V::L { start, len }
    }

    fn coll(&self, v: V) -> R<(u32, u32)> {
        match v {
            V::C { start, len } => Ok((start, len)),
            other => Err(format!("internal: expected a collection, found {other:?}")),
        }
    }

    /// Evaluates node `id` for the current event and context.
    pub fn eval(&mut self, ch: &Chunk, s: &SampleCtx, id: NodeId) -> R<V> {
        if let Some(k) = self.kernels.and_then(|k| k.by_node[id.0 as usize]) {
            return Ok(self.run_kernel(k, s));
        }
        let plan = self.plan;
        let node = &plan.nodes[id.0 as usize];
        let w = self.widths[id.0 as usize];
        Ok(match &node.kind {
            NodeKind::Const(v) => match v {
                Value::Int(i) => V::I(*i),
                Value::Float(f) => V::F(*f),
                Value::Bool(b) => V::B(*b),
                Value::Str(_) => V::S(Str::Lit(id.0)),
            },
            NodeKind::Scalar(sid) => self.scalar(ch, *sid),
            NodeKind::SampleValue(SampleValue::Xsec) => V::F(s.xsec),
            NodeKind::SampleValue(SampleValue::Nevts) => V::F(s.nevts),
            NodeKind::SampleValue(SampleValue::Sumw) => V::F(s.sumw),
            NodeKind::SampleValue(SampleValue::IsData) => V::B(s.is_data),
            NodeKind::SampleValue(SampleValue::Test(k)) => {
                V::B(plan.sample_tests[*k as usize].holds(&s.process, &s.variation))
            }
            NodeKind::Def(d) => self.def(ch, s, *d)?,
            NodeKind::Elem { depth } => V::E(self.scope(*depth)?),
            NodeKind::Field { depth, access } => {
                let start = self.scope(*depth)?;
                self.access(ch, access, start)?
            }
            NodeKind::Member { base, access } => match self.eval(ch, s, *base)? {
                V::E(start) => self.access(ch, access, start)?,
                V::Absent => V::Absent,
                other => return Err(format!("internal: member of {other:?}")),
            },
            NodeKind::P4Member { base, member } => match self.eval(ch, s, *base)? {
                V::P4(p) => V::F(ops::p4_member(*member, p)),
                _ => V::Absent,
            },
            NodeKind::Project { coll, access } => {
                let base = self.eval(ch, s, *coll)?;
                let (start, len) = self.coll(base)?;
                let cw = self.widths[coll.0 as usize];
                let t0 = self.tmp.len();
                for e in 0..len {
                    let v = self.access(ch, access, start + e * cw)?;
                    self.tmp.push(v);
                }
                self.list_from_tmp(t0)
            }
            NodeKind::ListLit { items } => {
                let item_ty = match node.ty.unwrap_optional().0 {
                    Type::List(t) => (**t).clone(),
                    _ => Type::Float,
                };
                let t0 = self.tmp.len();
                for x in items {
                    let v = self.eval(ch, s, *x)?;
                    self.tmp.push(promote(v, &item_ty));
                }
                self.list_from_tmp(t0)
            }
            NodeKind::InElement { elem, key } => match self.eval(ch, s, *elem)? {
                V::E(start) => {
                    self.elems.push(start);
                    let v = self.eval(ch, s, *key);
                    self.elems.pop();
                    promote(v?, &node.ty)
                }
                _ => V::Absent,
            },
            NodeKind::Map { coll, key } => {
                let base = self.eval(ch, s, *coll)?;
                let (start, len) = self.coll(base)?;
                let cw = self.widths[coll.0 as usize];
                let t0 = self.tmp.len();
                for e in 0..len {
                    self.elems.push(start + e * cw);
                    let v = self.eval(ch, s, *key);
                    self.elems.pop();
                    let v = v?;
                    self.tmp.push(v);
                }
                self.list_from_tmp(t0)
            }
            NodeKind::TupleMember { base, offset, .. } => match self.eval(ch, s, *base)? {
                V::E(start) => V::E(start + offset),
                _ => V::Absent,
            },
            NodeKind::Unary { op, a } => {
                let x = self.eval(ch, s, *a)?;
                match (op, x) {
                    (UnOp::Not, V::B(b)) => V::B(!b),
                    (UnOp::Not, _) => {
                        if node.ty.unwrap_optional().1 {
                            V::Absent
                        } else {
                            V::B(true)
                        }
                    }
                    (UnOp::Neg, V::I(i)) => V::I(i.wrapping_neg()),
                    (UnOp::Neg, V::F(f)) => V::F(-f),
                    (UnOp::Neg, V::P4(p)) => V::P4([-p[0], -p[1], -p[2], -p[3]]),
                    (UnOp::BitNot, V::I(i)) => V::I(!i),
                    _ => V::Absent,
                }
            }
            NodeKind::Binary { op, a, b } => promote(self.binary(ch, s, *op, *a, *b)?, &node.ty),
            NodeKind::If {
                cond,
                then,
                otherwise,
            } => {
                let v = if self.eval(ch, s, *cond)?.truth() {
                    self.eval(ch, s, *then)?
                } else {
                    self.eval(ch, s, *otherwise)?
                };
                promote(v, &node.ty)
            }
            NodeKind::Call { func, args } => self.call(ch, s, *func, args, &node.ty)?,
            NodeKind::Collection(c) => {
                let offs = &ch.colls[c.0 as usize];
                let n = offs[self.ev + 1] - offs[self.ev];
                let start = self.idx.len() as u32;
                self.idx.extend(0..n);
                V::C { start, len: n }
            }
            NodeKind::Where { coll, cond } => {
                let base = self.eval(ch, s, *coll)?;
                let (start, len) = self.coll(base)?;
                let m0 = self.masks.len();
                for e in 0..len {
                    self.elems.push(start + e * w);
                    let keep = self.eval(ch, s, *cond);
                    self.elems.pop();
                    let keep = keep?.truth();
                    self.masks.push(keep);
                }
                let out = self.idx.len() as u32;
                let mut n = 0;
                for e in 0..len {
                    if self.masks[m0 + e as usize] {
                        let from = (start + e * w) as usize;
                        self.idx.extend_from_within(from..from + w as usize);
                        n += 1;
                    }
                }
                self.masks.truncate(m0);
                V::C { start: out, len: n }
            }
            NodeKind::Keyed { op, coll, key } => self.keyed(ch, s, *op, *coll, *key, &node.ty)?,
            NodeKind::Combinations {
                coll,
                k,
                ordered: true,
            } => {
                let base = self.eval(ch, s, *coll)?;
                let (start, len) = self.coll(base)?;
                let cw = self.widths[coll.0 as usize] as usize;
                let out = self.idx.len() as u32;
                let k = *k as usize;
                // Every k-tuple of distinct indices, lexicographic: an odometer over 0..len that
                // skips tuples with a repeated index.
                let mut n = 0u32;
                let mut pick = [0u32; 4];
                if len as usize >= k && k > 0 {
                    loop {
                        let distinct = (1..k).all(|j| !pick[..j].contains(&pick[j]));
                        if distinct {
                            for &p in &pick[..k] {
                                let from = start as usize + p as usize * cw;
                                self.idx.extend_from_within(from..from + cw);
                            }
                            n += 1;
                        }
                        let mut j = k;
                        while j > 0 && pick[j - 1] + 1 == len {
                            pick[j - 1] = 0;
                            j -= 1;
                        }
                        if j == 0 {
                            break;
                        }
                        pick[j - 1] += 1;
                    }
                }
                V::C { start: out, len: n }
            }
            NodeKind::Combinations { coll, k, .. } => {
                let base = self.eval(ch, s, *coll)?;
                let (start, len) = self.coll(base)?;
                let cw = self.widths[coll.0 as usize] as usize;
                let out = self.idx.len() as u32;
                let mut n = 0u32;
                let mut pick = [0u32; 4];
                let k = *k as usize;
                // Lexicographic k-subsets i0 < i1 < ... of 0..len.
                if len as usize >= k {
                    for (j, p) in pick.iter_mut().enumerate().take(k) {
                        *p = j as u32;
                    }
                    loop {
                        for &p in &pick[..k] {
                            let from = start as usize + p as usize * cw;
                            self.idx.extend_from_within(from..from + cw);
                        }
                        n += 1;
                        // Advance: the rightmost index that can move.
                        let mut j = k;
                        while j > 0 && pick[j - 1] as usize == len as usize - k + (j - 1) {
                            j -= 1;
                        }
                        if j == 0 {
                            break;
                        }
                        pick[j - 1] += 1;
                        for t in j..k {
                            pick[t] = pick[t - 1] + 1;
                        }
                    }
                }
                V::C { start: out, len: n }
            }
            NodeKind::Slice {
                coll,
                lo,
                hi,
                lo_end,
                hi_end,
            } => {
                let base = self.eval(ch, s, *coll)?;
                let (start, len) = self.coll(base)?;
                let w = self.widths[coll.0 as usize];
                let n = i64::from(len);
                let mut bound = |b: &Option<NodeId>, end: bool, default: i64| -> R<i64> {
                    let Some(b) = b else {
                        return Ok(default);
                    };
                    let V::I(x) = self.eval(ch, s, *b)? else {
                        return Err("internal: a slice bound is not an integer".into());
                    };
                    let x = if end && x < 0 { x.saturating_add(n) } else { x };
                    Ok(x.clamp(0, n))
                };
                let a = bound(lo, *lo_end, 0)?;
                let b = bound(hi, *hi_end, n)?;
                V::C {
                    start: start + a as u32 * w,
                    len: (b - a).max(0) as u32,
                }
            }
            NodeKind::Union { colls } => {
                // The sources first: evaluating one may append to the arena.
                let mut ranges = Vec::with_capacity(colls.len());
                for c in colls {
                    let v = self.eval(ch, s, *c)?;
                    ranges.push(self.coll(v)?);
                }
                let out = self.idx.len() as u32;
                let mut n = 0u32;
                for (k, &(start, len)) in ranges.iter().enumerate() {
                    for i in 0..len {
                        let leaf = self.idx[(start + i) as usize];
                        self.idx.push(k as u32);
                        self.idx.push(leaf);
                    }
                    n += len;
                }
                V::C { start: out, len: n }
            }
            NodeKind::Pairs { a, b } => {
                let va = self.eval(ch, s, *a)?;
                let vb = self.eval(ch, s, *b)?;
                let (sa, la) = self.coll(va)?;
                let (sb, lb) = self.coll(vb)?;
                let (wa, wb) = (
                    self.widths[a.0 as usize] as usize,
                    self.widths[b.0 as usize] as usize,
                );
                let out = self.idx.len() as u32;
                for i in 0..la as usize {
                    for j in 0..lb as usize {
                        let fa = sa as usize + i * wa;
                        self.idx.extend_from_within(fa..fa + wa);
                        let fb = sb as usize + j * wb;
                        self.idx.extend_from_within(fb..fb + wb);
                    }
                }
                V::C {
                    start: out,
                    len: la * lb,
                }
            }
            NodeKind::Index {
                base,
                index,
                from_end,
            } => {
                let b = self.eval(ch, s, *base)?;
                let i = match self.eval(ch, s, *index)? {
                    V::I(i) => i,
                    _ => return Ok(V::Absent),
                };
                let bw = self.widths[base.0 as usize];
                let (start, len, is_list) = match b {
                    V::C { start, len } => (start, len, false),
                    V::L { start, len } => (start, len, true),
                    _ => return Ok(V::Absent),
                };
                let i = if i < 0 && *from_end {
                    i + len as i64
                } else {
                    i
                };
                if i < 0 || i >= len as i64 {
                    V::Absent
                } else if is_list {
                    self.vals[start as usize + i as usize]
                } else {
                    V::E(start + i as u32 * bw)
                }
            }
            NodeKind::Correction { corr, args } => {
                let mut num = |k: usize| -> R<Option<Num>> { Ok(self.eval(ch, s, args[k])?.num()) };
                match super::correct::evaluate(plan, *corr, args, &mut num)? {
                    Some(x) => V::F(x),
                    None => V::Absent,
                }
            }
            NodeKind::Random { dist, a, b, site } => {
                let (Some(x), Some(y)) = (
                    self.eval(ch, s, *a)?.num().map(Num::f),
                    self.eval(ch, s, *b)?.num().map(Num::f),
                ) else {
                    return Ok(V::Absent);
                };
                let element = match (&site.element, self.elems.last()) {
                    (Some(_), Some(&st)) => Some(self.idx[st as usize]),
                    _ => None,
                };
                let u = random::uniform01(
                    s.file_key,
                    self.entry,
                    element,
                    self.site_keys[id.0 as usize],
                );
                V::F(match dist {
                    Dist::Normal => x + y * ops::normal_quantile(u),
                    Dist::Uniform => x + (y - x) * u,
                })
            }
        })
    }

    fn scope(&self, depth: u32) -> R<u32> {
        self.elems
            .len()
            .checked_sub(1 + depth as usize)
            .map(|i| self.elems[i])
            .ok_or_else(|| "internal: element scope".to_string())
    }

    fn scalar(&mut self, ch: &Chunk, sid: ScalarId) -> V {
        let col = &ch.scalars[sid.0 as usize];
        let ev = self.ev;
        let item = |at: usize| match &col.data {
            Data::F(v) => V::F(v[at]),
            Data::I(v) => V::I(v[at]),
            Data::B(v) => V::B(v[at]),
            Data::S { .. } => V::S(Str::Scalar {
                col: sid.0,
                at: at as u32,
            }),
        };
        if col.offsets.is_empty() {
            return item(ev);
        }
        let (a, b) = (col.offsets[ev] as usize, col.offsets[ev + 1] as usize);
        let start = self.vals.len() as u32;
        if col.inner.is_empty() {
            for at in a..b {
                self.vals.push(item(at));
            }
            return V::L {
                start,
                len: (b - a) as u32,
            };
        }
        // A list of lists: the inner lists go first, then the outer list of them.
        let t0 = self.tmp.len();
        for inner in a..b {
            let (x, y) = (col.inner[inner] as usize, col.inner[inner + 1] as usize);
            let s0 = self.vals.len() as u32;
            for at in x..y {
                self.vals.push(item(at));
            }
            self.tmp.push(V::L {
                start: s0,
                len: (y - x) as u32,
            });
        }
        self.list_from_tmp(t0)
    }

    fn def(&mut self, ch: &Chunk, s: &SampleCtx, d: DefId) -> R<V> {
        let nd = self.plan.defs.len();
        let ctx = if self.shared[self.ctx][d.0 as usize] {
            0
        } else {
            self.ctx
        };
        let slot = ctx * nd + d.0 as usize;
        if self.stamp[slot] == self.now {
            return Ok(self.cache[slot]);
        }
        let saved = self.ctx;
        self.ctx = ctx;
        let v = self.eval(ch, s, self.plan.defs[d.0 as usize].node);
        self.ctx = saved;
        let v = v?;
        self.cache[slot] = v;
        self.stamp[slot] = self.now;
        Ok(v)
    }

    fn binary(&mut self, ch: &Chunk, s: &SampleCtx, op: BinOp, a: NodeId, b: NodeId) -> R<V> {
        match op {
            BinOp::And => {
                return Ok(V::B(
                    self.eval(ch, s, a)?.truth() && self.eval(ch, s, b)?.truth(),
                ));
            }
            BinOp::Or => {
                return Ok(V::B(
                    self.eval(ch, s, a)?.truth() || self.eval(ch, s, b)?.truth(),
                ));
            }
            BinOp::Coalesce => {
                let x = self.eval(ch, s, a)?;
                return if x == V::Absent {
                    self.eval(ch, s, b)
                } else {
                    Ok(x)
                };
            }
            _ => {}
        }
        let x = self.eval(ch, s, a)?;
        let y = self.eval(ch, s, b)?;
        if op.is_comparison() {
            return Ok(V::B(match (x, y) {
                (V::S(p), V::S(q)) => {
                    let eq = self.str_bytes(ch, p) == self.str_bytes(ch, q);
                    match op {
                        BinOp::Eq => eq,
                        BinOp::Ne => !eq,
                        _ => false,
                    }
                }
                (V::B(p), V::B(q)) => match op {
                    BinOp::Eq => p == q,
                    BinOp::Ne => p != q,
                    _ => false,
                },
                // Element identity: the same leaves (tree elements) in the same order.
                (V::E(p), V::E(q)) => {
                    let w = elem_width(&self.plan.nodes[a.0 as usize].ty) as usize;
                    let (p, q) = (p as usize, q as usize);
                    // Positions in the tree collection, member by member.
                    let ord = self.idx[p..p + w].cmp(&self.idx[q..q + w]);
                    match op {
                        BinOp::Eq => ord.is_eq(),
                        BinOp::Ne => ord.is_ne(),
                        BinOp::Lt => ord.is_lt(),
                        BinOp::Le => ord.is_le(),
                        BinOp::Gt => ord.is_gt(),
                        _ => ord.is_ge(),
                    }
                }
                (x, y) => match (x.num(), y.num()) {
                    (Some(p), Some(q)) => ops::compare(op, p, q),
                    _ => false,
                },
            }));
        }
        Ok(match (x, y) {
            (V::P4(p), V::P4(q)) => match op {
                BinOp::Add => V::P4(ops::p4_add(p, q)),
                BinOp::Sub => V::P4(ops::p4_sub(p, q)),
                _ => V::Absent,
            },
            (V::P4(p), k) if matches!(op, BinOp::Mul | BinOp::Div) => match k.num() {
                Some(k) => V::P4(ops::p4_scale(p, k.f(), op == BinOp::Div)),
                None => V::Absent,
            },
            (k, V::P4(p)) if op == BinOp::Mul => match k.num() {
                Some(k) => V::P4(ops::p4_scale(p, k.f(), false)),
                None => V::Absent,
            },
            (x, y) => match (x.num(), y.num()) {
                (Some(p), Some(q)) => match ops::arith(op, p, q) {
                    Some(Num::I(i)) => V::I(i),
                    Some(Num::F(f)) => V::F(f),
                    None => V::Absent,
                },
                _ => V::Absent,
            },
        })
    }

    fn call(&mut self, ch: &Chunk, s: &SampleCtx, f: Builtin, args: &[NodeId], ty: &Type) -> R<V> {
        let int_result = matches!(ty.unwrap_optional().0, Type::Int);
        let num = |v: V| -> V {
            match v {
                V::I(i) if !int_result => V::F(i as f64),
                v => v,
            }
        };
        let out = |n: Num| match n {
            Num::I(i) => V::I(i),
            Num::F(x) => V::F(x),
        };
        Ok(match f {
            Builtin::Math1(m) => match self.eval(ch, s, args[0])?.num() {
                Some(x) => out(ops::math1(m, x)),
                None => V::Absent,
            },
            Builtin::Pow | Builtin::Atan2 => {
                let x = self.eval(ch, s, args[0])?.num();
                let y = self.eval(ch, s, args[1])?.num();
                match (x, y) {
                    (Some(x), Some(y)) if f == Builtin::Pow => V::F(x.f().powf(y.f())),
                    (Some(x), Some(y)) => V::F(x.f().atan2(y.f())),
                    _ => V::Absent,
                }
            }
            Builtin::MinN | Builtin::MaxN => {
                let mut acc: Option<Num> = None;
                for a in args {
                    let Some(x) = self.eval(ch, s, *a)?.num() else {
                        return Ok(V::Absent);
                    };
                    acc = Some(match acc {
                        None => x,
                        Some(m) => ops::min_max(f == Builtin::MaxN, m, x),
                    });
                }
                match acc {
                    Some(x) => num(out(x)),
                    None => V::Absent,
                }
            }
            Builtin::ListMin
            | Builtin::ListMax
            | Builtin::ListMean
            | Builtin::ListSum
            | Builtin::ListProd => {
                let l = self.eval(ch, s, args[0])?;
                let items = self.list(l);
                self.reduce(f, items.iter().copied(), ty)
            }
            Builtin::Count => match self.eval(ch, s, args[0])? {
                V::C { len, .. } | V::L { len, .. } => V::I(len as i64),
                _ => V::Absent,
            },
            Builtin::ToInt => match self.eval(ch, s, args[0])?.num() {
                Some(x) => V::I(
                    ops::to_int(x)
                        .ok_or_else(|| format!("`int` of {} has no integer value", x.f()))?,
                ),
                None => V::Absent,
            },
            Builtin::ToFloat => match self.eval(ch, s, args[0])?.num() {
                Some(x) => V::F(x.f()),
                None => V::Absent,
            },
            Builtin::PtEtaPhiM | Builtin::PxPyPzE => {
                let mut c = [0.0; 4];
                for (x, a) in c.iter_mut().zip(args) {
                    match self.eval(ch, s, *a)?.num() {
                        Some(v) => *x = v.f(),
                        None => return Ok(V::Absent),
                    }
                }
                V::P4(if f == Builtin::PtEtaPhiM {
                    ops::p4_from_polar(c[0], c[1], c[2], c[3])
                } else {
                    c
                })
            }
            Builtin::Mt2 => {
                let mut v = [[0.0; 4]; 3];
                for (k, slot) in v.iter_mut().enumerate() {
                    match self.eval(ch, s, args[k])? {
                        V::P4(p) => *slot = p,
                        _ => return Ok(V::Absent),
                    }
                }
                let mut m = [0.0; 2];
                for (k, slot) in m.iter_mut().enumerate() {
                    match self.eval(ch, s, args[3 + k])?.num() {
                        Some(x) => *slot = x.f(),
                        None => return Ok(V::Absent),
                    }
                }
                V::F(ops::mt2(v[0], v[1], v[2], m[0], m[1]))
            }
            Builtin::DeltaR | Builtin::DeltaPhi | Builtin::DeltaEta | Builtin::Mt => {
                let a = self.eval(ch, s, args[0])?;
                let b = self.eval(ch, s, args[1])?;
                match (a, b) {
                    (V::P4(p), V::P4(q)) => V::F(match f {
                        Builtin::DeltaR => ops::delta_r(p, q),
                        Builtin::DeltaPhi => ops::delta_phi(p, q),
                        Builtin::DeltaEta => ops::delta_eta(p, q),
                        _ => ops::mt(p, q),
                    }),
                    _ => V::Absent,
                }
            }
        })
    }

    /// `sum`, `min`, `max`, `mean` over items, with result type `ty`; absent items are left out.
    /// A sum of four-vectors starts from the zero vector, so an empty one is (0, 0, 0, 0).
    fn reduce(&self, f: Builtin, items: impl Iterator<Item = V>, ty: &Type) -> V {
        let int_result = matches!(ty.unwrap_optional().0, Type::Int);
        let p4_result = matches!(ty.unwrap_optional().0, Type::P4);
        let mut n = 0usize;
        let mut isum: i64 = 0;
        let mut fsum = 0.0f64;
        let mut fprod = 1.0f64;
        let mut p4 = [0.0; 4];
        let mut is_p4 = false;
        let mut ext: Option<Num> = None;
        for v in items {
            match v {
                V::P4(p) => {
                    is_p4 = true;
                    p4 = ops::p4_add(p4, p);
                }
                v => {
                    let Some(x) = v.num() else { continue };
                    match x {
                        Num::I(i) => isum = isum.wrapping_add(i),
                        Num::F(_) => {}
                    }
                    fsum += x.f();
                    fprod *= x.f();
                    ext = Some(match ext {
                        None => x,
                        Some(m) => ops::min_max(f == Builtin::ListMax, m, x),
                    });
                }
            }
            n += 1;
        }
        match f {
            Builtin::ListSum if is_p4 || p4_result => V::P4(p4),
            Builtin::ListSum if int_result => V::I(isum),
            Builtin::ListSum => V::F(fsum),
            Builtin::ListProd => V::F(fprod),
            Builtin::ListMean if n > 0 => V::F(fsum / n as f64),
            Builtin::ListMin | Builtin::ListMax => match ext {
                Some(Num::I(i)) if int_result => V::I(i),
                Some(x) => V::F(x.f()),
                None => V::Absent,
            },
            _ => V::Absent,
        }
    }

    fn keyed(
        &mut self,
        ch: &Chunk,
        s: &SampleCtx,
        op: KeyedOp,
        coll: NodeId,
        key: NodeId,
        ty: &Type,
    ) -> R<V> {
        let base = self.eval(ch, s, coll)?;
        let (start, len) = self.coll(base)?;
        let w = self.widths[coll.0 as usize];
        match op {
            KeyedOp::Any | KeyedOp::All => {
                let want = op == KeyedOp::Any;
                for e in 0..len {
                    self.elems.push(start + e * w);
                    let v = self.eval(ch, s, key);
                    self.elems.pop();
                    if v?.truth() == want {
                        return Ok(V::B(want));
                    }
                }
                Ok(V::B(!want))
            }
            KeyedOp::Sum | KeyedOp::Prod | KeyedOp::Min | KeyedOp::Max => {
                let t0 = self.tmp.len();
                for e in 0..len {
                    self.elems.push(start + e * w);
                    let v = self.eval(ch, s, key);
                    self.elems.pop();
                    let v = v?;
                    self.tmp.push(v);
                }
                let f = match op {
                    KeyedOp::Sum => Builtin::ListSum,
                    KeyedOp::Prod => Builtin::ListProd,
                    KeyedOp::Min => Builtin::ListMin,
                    _ => Builtin::ListMax,
                };
                let r = self.reduce(f, self.tmp[t0..].iter().copied(), ty);
                self.tmp.truncate(t0);
                Ok(r)
            }
            KeyedOp::Sort | KeyedOp::SortDesc | KeyedOp::ArgMax | KeyedOp::ArgMin => {
                let k0 = self.keys.len();
                for e in 0..len {
                    self.elems.push(start + e * w);
                    let v = self.eval(ch, s, key);
                    self.elems.pop();
                    let k = v?.num().map_or(f64::NAN, Num::f);
                    self.keys.push((k, e));
                }
                let r = match op {
                    KeyedOp::ArgMax | KeyedOp::ArgMin => {
                        let max = op == KeyedOp::ArgMax;
                        let mut best: Option<(f64, u32)> = None;
                        for &(k, e) in &self.keys[k0..] {
                            if k.is_nan() {
                                continue;
                            }
                            let better = match best {
                                None => true,
                                Some((b, _)) => (max && k > b) || (!max && k < b),
                            };
                            if better {
                                best = Some((k, e));
                            }
                        }
                        match best {
                            Some((_, e)) => V::E(start + e * w),
                            None => V::Absent,
                        }
                    }
                    _ => {
                        let desc = op == KeyedOp::SortDesc;
                        insertion_sort(&mut self.keys[k0..], desc);
                        let out = self.idx.len() as u32;
                        for j in k0..self.keys.len() {
                            let from = (start + self.keys[j].1 * w) as usize;
                            self.idx.extend_from_within(from..from + w as usize);
                        }
                        V::C { start: out, len }
                    }
                };
                self.keys.truncate(k0);
                Ok(r)
            }
        }
    }
}

/// An integer where the node's type is a float (`if c then 1 else x`, `n ?? 0.5`) becomes one:
/// integers mixed with floats are floats.
fn promote(v: V, ty: &Type) -> V {
    match (v, ty.unwrap_optional().0) {
        (V::I(i), Type::Float) => V::F(i as f64),
        (v, _) => v,
    }
}

/// Stable sort by key (ascending, or descending); NaN keys (absent keys) go last in both orders.
/// Insertion sort: collections within one event are short, and it allocates nothing.
pub(crate) fn insertion_sort(v: &mut [(f64, u32)], desc: bool) {
    let before = |a: f64, b: f64| -> bool {
        match (a.is_nan(), b.is_nan()) {
            (false, true) => true,
            (true, _) => false,
            _ => {
                if desc {
                    a > b
                } else {
                    a < b
                }
            }
        }
    };
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && before(v[j].0, v[j - 1].0) {
            v.swap(j, j - 1);
            j -= 1;
        }
    }
}

/// The number of leaves of an element type (1 for a tree element, k·w for a k-tuple).
fn elem_width(t: &crate::sema::Type) -> u32 {
    match t.unwrap_optional().0 {
        crate::sema::Type::Element(el) => crate::ir::width(el),
        _ => 1,
    }
}

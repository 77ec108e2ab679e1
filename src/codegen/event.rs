//! Whole-event kernels: the plan compiled to native code that loops over a chunk's events and
//! their objects, evaluates every step of every context and calls the runtime only to fill
//! accumulators.
//!
//! Input: an optimised [`Plan`] and the runtime's [`Hooks`]. Output: [`EventKernels`]: one
//! chunk function (the event loop: per event, each active context's steps), one function per
//! kinematic replacement (the replaced field's column, element by element), and — called by
//! those — one function per context and one per definition and context. Functions take a
//! pointer to a [`State`] that the runtime fills per chunk and return a status (0, or an
//! [`Fault`] code with details left in the state).
//!
//! Values are typed at compile time from sema's types: numbers and booleans are registers,
//! four-vectors four of them, an element is its position in the element arena (`State::idx`,
//! the leaves of tuples side by side), a collection a (start, length) range of it, a list a
//! generator (a field over a collection, a per-event list branch, or a tuple's members)
//! iterated where it is consumed. An optional value carries a presence flag. Definitions are
//! evaluated on first use per event and context into slots of `State::defs`, stamped with the
//! event's number, exactly as the interpreter caches them.
//!
//! Invariants: a kernel computes what the interpreter computes (`runtime::eval` is the oracle),
//! in the same order of floating-point operations; memory is read only at positions derived
//! from the chunk's offsets (which the loader checked) and written only inside the state's
//! buffers, grown by call-outs before they overflow; no kernel unwinds. What the compiler does
//! not cover yet is refused at compile time with the construct named ([`compile`] returns the
//! reason) and the run uses the interpreter instead.

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, Block, FuncRef, InstBuilder, MemFlagsData, Signature, Type as CType, Value, types,
};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module, default_libcall_names};

use crate::io::schema::{ScalarType, Shape};
use crate::ir::ops::{self, Num};
use crate::ir::*;
use crate::sema::{Type, Value as SValue};
use crate::syntax::ast::{BinOp, UnOp};

/// Bytes per definition slot: stamp, presence, four payload words.
pub const SLOT: usize = 48;

/// What kernels read and write. The runtime owns the buffers behind the pointers and keeps them
/// valid during a call; the `grow` call-outs replace `idx` and `keys`.
#[repr(C)]
#[derive(Debug)]
pub struct State {
    /// Per context slot and field: the column's data (f64, i64 or bool bytes).
    pub fields: *const *const u8,
    /// Per per-event branch: values, and for list branches the per-event offsets (else null).
    pub scalars: *const *const u8,
    pub scalar_offs: *const *const u32,
    /// Per per-event branch of lists of lists: the inner offsets (else null).
    pub scalar_inner: *const *const u32,
    /// Per collection: `entries + 1` element offsets.
    pub colls: *const *const u32,
    /// Per collection: the current event's first element (written by the kernels).
    pub first: *mut u64,
    pub entries: u64,
    /// Per event of the chunk: 1 to skip it (outside a data sample's luminosity mask), or null.
    pub skip: *const u8,
    pub first_entry: u64,
    pub ev: u64,
    pub stamp: u64,
    /// Per context slot: whether the sample runs it.
    pub ctx_on: *const u8,
    /// Per variation of the plan: whether the sample fills it (weight variations).
    pub wvar_on: *const u8,
    pub is_data: u64,
    /// Per `Plan::sample_tests`: 1 when it holds for the unit's sample.
    pub sample_tests: *const u8,
    pub xsec: f64,
    pub nevts: f64,
    pub sumw: f64,
    pub file_key: u64,
    pub defs: *mut u8,
    pub idx: *mut u32,
    pub idx_len: u64,
    pub idx_cap: u64,
    pub keys: *mut f64,
    pub kel: *mut u32,
    pub keys_len: u64,
    pub keys_cap: u64,
    /// The event weight of the current context, and per variation its weight factor.
    pub w: f64,
    pub fac: *mut f64,
    /// The product of the current region's weights (1 outside regions and for data): fills
    /// multiply by it, the cutflow does not.
    pub scale: f64,
    /// An event-list row: (tag, bits, length) per value.
    pub row: *mut u64,
    /// The column a replacement kernel writes.
    pub rep_out: *mut u8,
    pub rep_len: u64,
    pub err_code: u64,
    pub err_val: f64,
    pub err_aux: u64,
    pub err_aux2: u64,
    pub p4tmp: [f64; 4],
    /// String fill values: (pointer, length) per axis.
    pub sx: [u64; 6],
    /// The third axis' fill (kind, bits) of a 3-D histogram.
    pub fz: [i64; 2],
    /// A profile's averaged value (kind, bits) for the fill hooks (kind 0 absent, 1 int, 2 float).
    pub pv: [i64; 2],
    /// Per context slot and collection: a four-vector cache, 5 words per element of the event
    /// (stamp, px, py, pz, E), for as many elements as the chunk's largest event has.
    pub p4c: *const *mut u64,
    /// The runtime's own data for the hooks and the `grow` call-outs.
    pub host: *mut std::ffi::c_void,
    pub grow_idx: extern "C" fn(*mut State, u64) -> u64,
    pub grow_keys: extern "C" fn(*mut State, u64) -> u64,
}

/// Why a kernel stopped (the status it returns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i64)]
pub enum Fault {
    /// `int(x)` of a value with no integer value (`err_val`).
    ToInt = 1,
    AbsentWeight = 2,
    AbsentVariationWeight = 3,
    /// A replacement had no value for element `err_aux`.
    AbsentReplacement = 4,
    /// A buffer could not grow.
    Memory = 5,
    /// Histogram `err_aux`'s own weight was absent.
    AbsentHistWeight = 6,
    /// Histogram `err_aux` had `err_aux2` weights for `err_val` values.
    HistWeightCount = 7,
    /// A correction raised (the host keeps the message).
    Correction = 8,
    /// A weight of region `err_aux` was absent.
    AbsentRegionWeight = 9,
    /// Column `err_aux2` of skim `err_aux` was absent.
    AbsentSkimValue = 10,
    /// Profile `err_aux` had `err_aux2` averaged values for `err_val` positions.
    ProfileCount = 11,
}

impl Fault {
    pub fn from_status(s: i64) -> Option<Fault> {
        Some(match s {
            1 => Fault::ToInt,
            2 => Fault::AbsentWeight,
            3 => Fault::AbsentVariationWeight,
            4 => Fault::AbsentReplacement,
            5 => Fault::Memory,
            6 => Fault::AbsentHistWeight,
            7 => Fault::HistWeightCount,
            8 => Fault::Correction,
            9 => Fault::AbsentRegionWeight,
            10 => Fault::AbsentSkimValue,
            11 => Fault::ProfileCount,
            _ => return None,
        })
    }
}

/// The runtime's call-outs: accumulators. Weights are read from the state (`w`, `fac`).
#[derive(Clone, Copy)]
pub struct Hooks {
    /// Context 0 starts an event (cutflow row 0, largest weight).
    pub begin: extern "C" fn(*mut State),
    /// Cut `k` passed (`region` −1: a common cut).
    pub cut: extern "C" fn(*mut State, i64, i64),
    /// Histogram `h` in context slot `ctx`: (kind, bits) with kind 0 absent, 1 int, 2 float,
    /// 3 a string whose (pointer, length) is in `State::sx` at the axis; then the histogram's
    /// own weight and whether it has one. A profile's averaged value is in `State::pv`.
    pub fill1: extern "C" fn(*mut State, i64, i64, i64, i64, f64, i64),
    pub fill2: extern "C" fn(*mut State, i64, i64, i64, i64, i64, i64, f64, i64),
    /// As `fill2`, with the third axis' (kind, bits) in `State::fz`.
    pub fill3: extern "C" fn(*mut State, i64, i64, i64, i64, i64, i64, f64, i64),
    pub count: extern "C" fn(*mut State, i64, i64),
    /// Whether event list `c` takes this event's row (also counts it as seen).
    pub collect_begin: extern "C" fn(*mut State, i64, i64) -> i64,
    /// The row is in `State::row`: (tag, bits, length) per value, tag 0 null, 1 int, 2 float,
    /// 3 bool, 4 a string (bits a pointer).
    pub collect_row: extern "C" fn(*mut State, i64, i64),
    /// Correction call node `node`: its numeric arguments' bits in argument order at the
    /// pointer (strings are the node's constants). 1 with the value in `p4tmp[0]`; 0 when the
    /// correction raised (the host keeps the message).
    pub correction: extern "C" fn(*mut State, i64, *const u64) -> i64,
    /// Whether skim `k` takes this event in context slot `ctx` (nominal outputs only).
    pub skim_begin: extern "C" fn(*mut State, i64, i64) -> i64,
    /// Column `col` (numbered over the skim's groups) of the current skim row: one value,
    /// (kind, bits) as for `fill1` (1 int or bool, 2 float).
    pub skim_value: extern "C" fn(*mut State, i64, i64, i64),
    /// Group `g` of the current skim row has lists of this length.
    pub skim_len: extern "C" fn(*mut State, i64, i64),
    /// Skim `k`'s row is complete: append it, with the weight `w · scale`, to the nominal outputs.
    pub skim_end: extern "C" fn(*mut State, i64, i64),
}

type KernelFn = extern "C" fn(*mut State) -> i64;

/// The compiled plan. Dropping it frees the code.
pub struct EventKernels {
    pub chunk: KernelFn,
    /// Per kinematic variation of the plan (context slot − 1): per replacement, its kernel.
    pub reps: Vec<Vec<KernelFn>>,
    /// The plan's kinematic variations, in context-slot order (slot k is `kinematic[k - 1]`).
    pub kinematic: Vec<usize>,
    /// Bytes of definition slots.
    pub def_bytes: usize,
    pub compile_time: std::time::Duration,
    /// Functions compiled, and their CLIF when asked for.
    pub functions: usize,
    pub clif: Vec<(String, String)>,
    /// String constants the code points at (kept alive with it).
    _strings: Vec<Box<[u8]>>,
    _module: super::JitCode,
}

// The kernels are functions of their state argument only.
unsafe impl Send for EventKernels {}
unsafe impl Sync for EventKernels {}

impl std::fmt::Debug for EventKernels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EventKernels({} functions)", self.functions)
    }
}

// ---- call-outs owned by the compiler: the interpreter's own Rust functions ------------------

extern "C" fn cb_math1(op: i64, x: f64) -> f64 {
    let m = super::MATH1_ORDER
        .get(op as usize)
        .copied()
        .unwrap_or(Math1::Abs);
    ops::math1(m, Num::F(x)).f()
}

extern "C" fn cb_pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

extern "C" fn cb_atan2(y: f64, x: f64) -> f64 {
    y.atan2(x)
}

extern "C" fn cb_streq(pa: *const u8, la: u64, pb: *const u8, lb: u64) -> i64 {
    if la != lb {
        return 0;
    }
    // Safety: both are (pointer, length) of string bytes the kernel read from a column or a
    // constant the kernels own.
    let (a, b) = unsafe {
        (
            std::slice::from_raw_parts(pa, la as usize),
            std::slice::from_raw_parts(pb, lb as usize),
        )
    };
    i64::from(a == b)
}

extern "C" fn cb_fmod(x: f64, y: f64) -> f64 {
    x % y
}

/// `ops::to_int`: 1 and the value in `p4tmp[0]`'s bits, or 0.
extern "C" fn cb_to_int(st: *mut State, x: f64) -> i64 {
    match ops::to_int(Num::F(x)) {
        Some(i) => {
            // Safety: `st` is the state the kernel was called with.
            unsafe { (*st).p4tmp[0] = f64::from_bits(i as u64) };
            1
        }
        None => 0,
    }
}

extern "C" fn cb_polar(st: *mut State, pt: f64, eta: f64, phi: f64, m: f64) {
    let p = ops::p4_from_polar(pt, eta, phi, m);
    // Safety: `st` is the state the kernel was called with.
    unsafe { (*st).p4tmp = p };
}

/// Eta (0), phi (1), ΔR (2), Δφ (3), Δη (4), transverse mass (5) of four-vectors.
extern "C" fn cb_p4fn(op: i64, a: *const f64, b: *const f64) -> f64 {
    // Safety: the kernel passes pointers to four f64 in its stack slots.
    let (a, b) = unsafe { (*(a as *const [f64; 4]), *(b as *const [f64; 4])) };
    match op {
        0 => ops::p4_member(P4Member::Eta, a),
        1 => ops::p4_member(P4Member::Phi, a),
        2 => ops::delta_r(a, b),
        3 => ops::delta_phi(a, b),
        4 => ops::delta_eta(a, b),
        _ => ops::mt(a, b),
    }
}

/// MT2 (`ops::mt2`) of the 14 values at `v`: a, b, met (four each), χa, χb.
extern "C" fn cb_mt2(v: *const f64) -> f64 {
    // Safety: the kernel passes a pointer to 14 f64 in a stack slot.
    let v = unsafe { &*(v as *const [f64; 14]) };
    let p4 = |k: usize| [v[4 * k], v[4 * k + 1], v[4 * k + 2], v[4 * k + 3]];
    ops::mt2(p4(0), p4(1), p4(2), v[12], v[13])
}

extern "C" fn cb_random(st: *mut State, site: i64, element: i64, dist: i64, a: f64, b: f64) -> f64 {
    // Safety: `st` is the state the kernel was called with.
    let s = unsafe { &*st };
    let element = (element >= 0).then_some(element as u32);
    let u =
        crate::runtime::random::uniform01(s.file_key, s.first_entry + s.ev, element, site as u64);
    if dist == 0 {
        a + b * ops::normal_quantile(u)
    } else {
        a + (b - a) * u
    }
}

/// Sorts `keys[k0..k0 + n]` (with their element numbers) as the interpreter does.
extern "C" fn cb_sort(st: *mut State, k0: u64, n: u64, desc: i64) {
    // Safety: the kernel wrote `n` keys from `k0`, inside the capacity.
    let s = unsafe { &mut *st };
    let keys = unsafe { std::slice::from_raw_parts_mut(s.keys.add(k0 as usize), n as usize) };
    let kel = unsafe { std::slice::from_raw_parts_mut(s.kel.add(k0 as usize), n as usize) };
    let mut v: Vec<(f64, u32)> = keys.iter().copied().zip(kel.iter().copied()).collect();
    crate::runtime::eval::insertion_sort(&mut v, desc != 0);
    for (j, (k, e)) in v.into_iter().enumerate() {
        keys[j] = k;
        kel[j] = e;
    }
}

// ---- values ----------------------------------------------------------------------------------

#[derive(Clone, Debug)]
enum X {
    B(Value),
    I(Value),
    F(Value),
    P4([Value; 4]),
    E(Value),
    C(Value, Value),
    L(Lst),
    /// A string: pointer and length of its bytes.
    S(Value, Value),
}

/// A list, iterated where it is consumed.
#[derive(Clone, Debug)]
enum Lst {
    /// `access` of each element of a collection range of element width `width`.
    Proj {
        start: Value,
        len: Value,
        width: u32,
        access: Access,
    },
    /// Items `a..b` of per-event list branch `sid`.
    Scal { sid: u32, a: Value, b: Value },
    /// Inner lists `a..b` of per-event list-of-lists branch `sid`.
    Nest { sid: u32, a: Value, b: Value },
    /// A tuple's members' values.
    Mem { pos: Value, parts: Vec<Access> },
    /// `[a, b, ...]`: the items' nodes, evaluated where the list is consumed, as `ty`.
    Lit { items: Vec<NodeId>, ty: Type },
    /// `key` evaluated with each element of a collection range in scope (`list(c, key)`).
    Map {
        start: Value,
        len: Value,
        width: u32,
        key: NodeId,
    },
}

#[derive(Clone, Debug)]
struct Val {
    x: X,
    /// Presence (i8), when the value may be absent.
    p: Option<Value>,
}

impl Val {
    fn new(x: X) -> Val {
        Val { x, p: None }
    }
}

/// The shape of a value of a type (what registers hold it).
#[derive(Clone, Debug, PartialEq)]
enum Sh {
    B,
    I,
    F,
    P4,
    E,
    C,
    S,
}

type R<T> = Result<T, String>;

const I64: CType = types::I64;
const F64: CType = types::F64;
const I8: CType = types::I8;

fn fl() -> MemFlagsData {
    MemFlagsData::trusted()
}

fn col_repr(t: ScalarType) -> Option<Sh> {
    match t {
        ScalarType::F32 | ScalarType::F64 => Some(Sh::F),
        ScalarType::Bool => Some(Sh::B),
        ScalarType::Str => None,
        _ => Some(Sh::I),
    }
}

fn shape_of(t: &Type) -> R<Sh> {
    Ok(match t.unwrap_optional().0 {
        Type::Bool => Sh::B,
        Type::Int => Sh::I,
        Type::Float => Sh::F,
        Type::P4 => Sh::P4,
        Type::Element(_) => Sh::E,
        Type::Collection(_) => Sh::C,
        Type::Str => Sh::S,
        other => return Err(format!("values of type {other:?} here")),
    })
}

/// A function to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Func {
    Chunk,
    Event(usize),
    Def(usize, u32),
    Rep(usize, usize),
}

struct Imports {
    math1: FuncId,
    pow: FuncId,
    atan2: FuncId,
    fmod: FuncId,
    to_int: FuncId,
    polar: FuncId,
    p4fn: FuncId,
    mt2: FuncId,
    random: FuncId,
    sort: FuncId,
    streq: FuncId,
    grow_idx_sig: Signature,
    begin: FuncId,
    cut: FuncId,
    fill1: FuncId,
    fill2: FuncId,
    fill3: FuncId,
    count: FuncId,
    collect_begin: FuncId,
    collect_row: FuncId,
    correction: FuncId,
    skim_begin: FuncId,
    skim_value: FuncId,
    skim_len: FuncId,
    skim_end: FuncId,
}

/// What every function generator shares.
struct Unit<'p> {
    plan: &'p Plan,
    module: JITModule,
    imp: Imports,
    ids: HashMap<Func, FuncId>,
    todo: Vec<Func>,
    kernel_sig: Signature,
    widths: Vec<u32>,
    site_keys: Vec<u64>,
    /// Kinematic variations in slot order; per slot the replacement field → replacement index.
    kinematic: Vec<usize>,
    nctx: usize,
    /// String constants the code points at.
    strings: Vec<Box<[u8]>>,
}

impl Unit<'_> {
    fn func(&mut self, f: Func) -> R<FuncId> {
        if let Some(id) = self.ids.get(&f) {
            return Ok(*id);
        }
        let id = self
            .module
            .declare_function(&format!("{f:?}"), Linkage::Local, &self.kernel_sig)
            .map_err(|e| format!("cranelift: {e}"))?;
        self.ids.insert(f, id);
        self.todo.push(f);
        Ok(id)
    }
}

struct Fx<'u, 'p, 'f> {
    u: &'u mut Unit<'p>,
    b: FunctionBuilder<'f>,
    st: Value,
    ctx: usize,
    scopes: Vec<Value>,
    status: Variable,
    fail: Block,
    refs: HashMap<FuncId, FuncRef>,
    /// In an event function: whether the fill weights of this context are known.
    wk: Option<Variable>,
    /// The blocks after the `only` blocks being compiled, innermost last.
    only_exits: Vec<Block>,
}

macro_rules! off {
    ($f:ident) => {
        std::mem::offset_of!(State, $f) as i32
    };
}

impl<'u, 'p, 'f> Fx<'u, 'p, 'f> {
    fn plan(&self) -> &'p Plan {
        self.u.plan
    }

    fn fref(&mut self, id: FuncId) -> FuncRef {
        if let Some(r) = self.refs.get(&id) {
            return *r;
        }
        let r = self.u.module.declare_func_in_func(id, self.b.func);
        self.refs.insert(id, r);
        r
    }

    fn call(&mut self, id: FuncId, args: &[Value]) -> Vec<Value> {
        let r = self.fref(id);
        let c = self.b.ins().call(r, args);
        self.b.inst_results(c).to_vec()
    }

    fn sload(&mut self, ty: CType, off: i32) -> Value {
        self.b.ins().load(ty, fl(), self.st, off)
    }

    fn sstore(&mut self, v: Value, off: i32) {
        self.b.ins().store(fl(), v, self.st, off);
    }

    fn iconst(&mut self, v: i64) -> Value {
        self.b.ins().iconst(I64, v)
    }

    fn bconst(&mut self, v: bool) -> Value {
        self.b.ins().iconst(I8, i64::from(v))
    }

    /// Returns `status` from the function when it is not 0.
    fn check(&mut self, status: Value) {
        let ok = self.b.create_block();
        self.b.def_var(self.status, status);
        self.b.ins().brif(status, self.fail, &[], ok, &[]);
        self.b.switch_to_block(ok);
    }

    /// Stops with fault `f`.
    /// A call-out that may fail, made only when `present`: it returns 1 with its result in
    /// `p4tmp[0]` (read as `sh`), or 0, which stops the run with `fault` (`err_val` stored
    /// first, when given). Absent when not `present`.
    fn fallible_call(
        &mut self,
        present: Value,
        sh: Sh,
        callee: FuncId,
        args: &[Value],
        fault: Fault,
        err_val: Option<Value>,
    ) -> R<Val> {
        let (ty, load) = match sh {
            Sh::I => (Type::Int, I64),
            _ => (Type::Float, F64),
        };
        self.branch(
            present,
            &Type::Optional(Box::new(ty)),
            |s| {
                let ok = s.call(callee, args)[0];
                let bad = s.b.ins().icmp_imm_s(IntCC::Equal, ok, 0);
                s.when(bad, |s| {
                    if let Some(v) = err_val {
                        s.sstore(v, off!(err_val));
                    }
                    s.fault(fault);
                    Ok(())
                })?;
                let r = s.sload(load, off!(p4tmp));
                Ok(Val::new(if load == I64 { X::I(r) } else { X::F(r) }))
            },
            |s| {
                let f = s.bconst(false);
                Ok(Val {
                    x: s.zero(&sh),
                    p: Some(f),
                })
            },
        )
    }

    fn fault(&mut self, f: Fault) {
        let code = self.iconst(f as i64);
        self.b.def_var(self.status, code);
        self.b.ins().jump(self.fail, &[]);
        let dead = self.b.create_block();
        self.b.switch_to_block(dead);
    }

    /// `if cond { body }` (cond an i8).
    fn when(&mut self, cond: Value, body: impl FnOnce(&mut Self) -> R<()>) -> R<()> {
        let (t, join) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(cond, t, &[], join, &[]);
        self.b.switch_to_block(t);
        body(self)?;
        self.b.ins().jump(join, &[]);
        self.b.switch_to_block(join);
        Ok(())
    }

    /// `for i in 0..n { body(i, exit) }`; `exit` leaves the loop.
    fn for_n(&mut self, n: Value, body: impl FnOnce(&mut Self, Value, Block) -> R<()>) -> R<()> {
        let var = self.b.declare_var(I64);
        let zero = self.iconst(0);
        self.b.def_var(var, zero);
        let (head, bodyb, exit) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        self.b.ins().jump(head, &[]);
        self.b.switch_to_block(head);
        let i = self.b.use_var(var);
        let c = self.b.ins().icmp(IntCC::SignedLessThan, i, n);
        self.b.ins().brif(c, bodyb, &[], exit, &[]);
        self.b.switch_to_block(bodyb);
        body(self, i, exit)?;
        let i = self.b.use_var(var);
        let i1 = self.b.ins().iadd_imm_s(i, 1);
        self.b.def_var(var, i1);
        self.b.ins().jump(head, &[]);
        self.b.switch_to_block(exit);
        Ok(())
    }

    // ---- the element arena ----

    /// Makes room for `n` more arena entries; returns the current length.
    fn reserve(&mut self, n: Value) -> Value {
        let len = self.sload(I64, off!(idx_len));
        let need = self.b.ins().iadd(len, n);
        self.ensure(need, off!(idx_cap), off!(grow_idx));
        len
    }

    /// Makes a buffer whose capacity is at `cap` hold `need` items, growing it through the
    /// call-out whose pointer is at `grow` (a fault when it cannot grow).
    fn ensure(&mut self, need: Value, cap: i32, grow: i32) {
        let cap = self.sload(I64, cap);
        let over = self.b.ins().icmp(IntCC::UnsignedGreaterThan, need, cap);
        let (grow_b, ok) = (self.b.create_block(), self.b.create_block());
        self.b.ins().brif(over, grow_b, &[], ok, &[]);
        self.b.switch_to_block(grow_b);
        let f = self.sload(I64, grow);
        let sig = self.b.import_signature(self.u.imp.grow_idx_sig.clone());
        let c = self.b.ins().call_indirect(sig, f, &[self.st, need]);
        let r = self.b.inst_results(c)[0];
        let bad = self.b.ins().icmp_imm_s(IntCC::NotEqual, r, 0);
        self.when(bad, |s| {
            s.fault(Fault::Memory);
            Ok(())
        })
        .ok();
        self.b.ins().jump(ok, &[]);
        self.b.switch_to_block(ok);
    }

    fn idx_addr(&mut self, pos: Value) -> Value {
        let base = self.sload(I64, off!(idx));
        let o = self.b.ins().imul_imm_s(pos, 4);
        self.b.ins().iadd(base, o)
    }

    fn idx_load(&mut self, pos: Value) -> Value {
        let a = self.idx_addr(pos);
        let v = self.b.ins().load(types::I32, fl(), a, 0);
        self.b.ins().uextend(I64, v)
    }

    fn idx_store(&mut self, pos: Value, v: Value) {
        let a = self.idx_addr(pos);
        let v = self.b.ins().ireduce(types::I32, v);
        self.b.ins().store(fl(), v, a, 0);
    }

    /// Copies `w` leaves from `from` to `to` (both arena positions).
    fn copy_leaves(&mut self, from: Value, to: Value, w: u32) {
        for l in 0..w as i64 {
            let f = self.b.ins().iadd_imm_s(from, l);
            let v = self.idx_load(f);
            let t = self.b.ins().iadd_imm_s(to, l);
            self.idx_store(t, v);
        }
    }

    fn set_idx_len(&mut self, v: Value) {
        self.sstore(v, off!(idx_len));
    }

    // ---- columns ----

    fn first(&mut self, coll: CollId) -> Value {
        let p = self.sload(I64, off!(first));
        self.b.ins().load(I64, fl(), p, (coll.0 as i32) * 8)
    }

    fn load_col(&mut self, base: Value, i: Value, sh: &Sh) -> X {
        let size = if *sh == Sh::B { 1 } else { 8 };
        let off = self.b.ins().imul_imm_s(i, size);
        let addr = self.b.ins().iadd(base, off);
        match sh {
            Sh::F => X::F(self.b.ins().load(F64, fl(), addr, 0)),
            Sh::B => X::B(self.b.ins().load(I8, fl(), addr, 0)),
            _ => X::I(self.b.ins().load(I64, fl(), addr, 0)),
        }
    }

    /// Field `f` of the element whose per-event index is `i`, in this context.
    fn field(&mut self, f: FieldId, i: Value) -> R<X> {
        let plan = self.plan();
        let info = &plan.fields[f.0 as usize];
        let first = self.first(info.coll);
        let row = self.b.ins().iadd(first, i);
        let table = self.sload(I64, off!(fields));
        let slot = (self.ctx * plan.fields.len() + f.0 as usize) as i32;
        let base = self.b.ins().load(I64, fl(), table, slot * 8);
        match col_repr(info.ty) {
            Some(sh) => Ok(self.load_col(base, row, &sh)),
            None => Ok(self.str_at(base, row)),
        }
    }

    /// String `k` of a string column, whose table entry points at (offsets, bytes).
    fn str_at(&mut self, desc: Value, k: Value) -> X {
        let offs = self.b.ins().load(I64, fl(), desc, 0);
        let bytes = self.b.ins().load(I64, fl(), desc, 8);
        let o = self.b.ins().imul_imm_s(k, 4);
        let at = self.b.ins().iadd(offs, o);
        let a = self.b.ins().load(types::I32, fl(), at, 0);
        let b = self.b.ins().load(types::I32, fl(), at, 4);
        let len = self.b.ins().isub(b, a);
        let len = self.b.ins().uextend(I64, len);
        let a = self.b.ins().uextend(I64, a);
        X::S(self.b.ins().iadd(bytes, a), len)
    }

    fn as_f(&mut self, x: &X) -> Value {
        match x {
            X::F(v) => *v,
            X::I(v) => self.b.ins().fcvt_from_sint(F64, *v),
            X::B(v) => {
                let w = self.b.ins().uextend(I64, *v);
                self.b.ins().fcvt_from_sint(F64, w)
            }
            _ => self.b.ins().f64const(f64::NAN),
        }
    }

    fn access(&mut self, a: &Access, pos: Value) -> R<X> {
        Ok(match a {
            Access::Field { leaf, field } => {
                let at = self.b.ins().iadd_imm_s(pos, i64::from(*leaf));
                let i = self.idx_load(at);
                self.field(*field, i)?
            }
            Access::P4 { leaf, coll } => {
                let at = self.b.ins().iadd_imm_s(pos, i64::from(*leaf));
                let i = self.idx_load(at);
                let plan = self.plan();
                let Some((kind, ids)) = plan.collections[coll.0 as usize].p4 else {
                    return Err("a four-vector of a collection without one".into());
                };
                if kind == P4Kind::PxPyPzE {
                    let mut c = Vec::new();
                    for f in ids {
                        let x = self.field(f, i)?;
                        c.push(self.as_f(&x));
                    }
                    return Ok(X::P4([c[0], c[1], c[2], c[3]]));
                }
                // Converted once per event, context and element: the cache of this context,
                // or the nominal one when this context replaces none of the four fields.
                let slot = self.p4_slot(*coll);
                let nc = plan.collections.len();
                let tab = self.sload(I64, off!(p4c));
                let buf =
                    self.b
                        .ins()
                        .load(I64, fl(), tab, ((slot * nc + coll.0 as usize) * 8) as i32);
                let o = self.b.ins().imul_imm_s(i, 40);
                let addr = self.b.ins().iadd(buf, o);
                let stamp = self.b.ins().load(I64, fl(), addr, 0);
                let now = self.sload(I64, off!(stamp));
                let stale = self.b.ins().icmp(IntCC::NotEqual, stamp, now);
                self.when(stale, |s| {
                    let mut c = Vec::new();
                    for f in ids {
                        let x = s.field(f, i)?;
                        c.push(s.as_f(&x));
                    }
                    let v = s.polar([c[0], c[1], c[2], c[3]]);
                    for (k, x) in v.iter().enumerate() {
                        s.b.ins().store(fl(), *x, addr, 8 + 8 * k as i32);
                    }
                    s.b.ins().store(fl(), now, addr, 0);
                    Ok(())
                })?;
                let mut v = [self.iconst(0); 4];
                for (k, x) in v.iter_mut().enumerate() {
                    *x = self.b.ins().load(F64, fl(), addr, 8 + 8 * k as i32);
                }
                X::P4(v)
            }
            Access::P4Sum(parts) => {
                let mut sum: Option<[Value; 4]> = None;
                for p in parts {
                    let X::P4(v) = self.access(p, pos)? else {
                        return Err("a member four-vector".into());
                    };
                    sum = Some(match sum {
                        None => v,
                        Some(s) => self.p4_add(s, v, false),
                    });
                }
                match sum {
                    Some(s) => X::P4(s),
                    None => {
                        let z = self.b.ins().f64const(0.0);
                        X::P4([z; 4])
                    }
                }
            }
            Access::Members(parts) => X::L(Lst::Mem {
                pos,
                parts: parts.clone(),
            }),
            Access::Union { leaf, parts, ty } => {
                let at = self.b.ins().iadd_imm_s(pos, i64::from(*leaf));
                let tag = self.idx_load(at);
                let (parts, ty) = (parts.clone(), ty.clone());
                self.union_part(&parts, 0, tag, pos, &ty)?.x
            }
            Access::Tag { leaf } => {
                let at = self.b.ins().iadd_imm_s(pos, i64::from(*leaf));
                X::I(self.idx_load(at))
            }
        })
    }

    /// The four-vector cache a collection's elements use in this context.
    fn p4_slot(&self, coll: CollId) -> usize {
        let plan = self.plan();
        if self.ctx == 0 {
            return 0;
        }
        let Some((_, ids)) = plan.collections[coll.0 as usize].p4 else {
            return 0;
        };
        match self
            .u
            .kinematic
            .get(self.ctx - 1)
            .map(|&v| &plan.variations[v].kind)
        {
            Some(VariationKind::Kinematic(reps)) if reps.iter().any(|r| ids.contains(&r.field)) => {
                self.ctx
            }
            _ => 0,
        }
    }

    fn polar(&mut self, c: [Value; 4]) -> [Value; 4] {
        let st = self.st;
        self.call(self.u.imp.polar, &[st, c[0], c[1], c[2], c[3]]);
        let o = off!(p4tmp);
        [
            self.sload(F64, o),
            self.sload(F64, o + 8),
            self.sload(F64, o + 16),
            self.sload(F64, o + 24),
        ]
    }

    fn p4_add(&mut self, a: [Value; 4], b: [Value; 4], sub: bool) -> [Value; 4] {
        let mut r = a;
        for k in 0..4 {
            r[k] = if sub {
                self.b.ins().fsub(a[k], b[k])
            } else {
                self.b.ins().fadd(a[k], b[k])
            };
        }
        r
    }

    /// A zero value of a shape (the payload of an absent value).
    fn zero(&mut self, sh: &Sh) -> X {
        match sh {
            Sh::B => X::B(self.bconst(false)),
            Sh::I => X::I(self.iconst(0)),
            Sh::F => X::F(self.b.ins().f64const(0.0)),
            Sh::P4 => {
                let z = self.b.ins().f64const(0.0);
                X::P4([z; 4])
            }
            Sh::E => X::E(self.iconst(0)),
            Sh::C | Sh::S => {
                let z = self.iconst(0);
                if *sh == Sh::C { X::C(z, z) } else { X::S(z, z) }
            }
        }
    }

    fn parts(x: &X) -> Vec<Value> {
        match x {
            X::B(v) | X::I(v) | X::F(v) | X::E(v) => vec![*v],
            X::P4(v) => v.to_vec(),
            X::C(a, b) | X::S(a, b) => vec![*a, *b],
            X::L(_) => vec![],
        }
    }

    fn from_parts(sh: &Sh, p: &[Value]) -> X {
        match sh {
            Sh::B => X::B(p[0]),
            Sh::I => X::I(p[0]),
            Sh::F => X::F(p[0]),
            Sh::E => X::E(p[0]),
            Sh::P4 => X::P4([p[0], p[1], p[2], p[3]]),
            Sh::C => X::C(p[0], p[1]),
            Sh::S => X::S(p[0], p[1]),
        }
    }

    fn part_types(sh: &Sh) -> Vec<CType> {
        match sh {
            Sh::B => vec![I8],
            Sh::I | Sh::E => vec![I64],
            Sh::F => vec![F64],
            Sh::P4 => vec![F64; 4],
            Sh::C | Sh::S => vec![I64, I64],
        }
    }

    /// A value converted to the shape of type `ty` (integers where floats are wanted).
    fn coerce(&mut self, v: Val, ty: &Type) -> Val {
        match (&v.x, ty.unwrap_optional().0) {
            (X::I(_), Type::Float) => Val {
                x: X::F(self.as_f(&v.x)),
                p: v.p,
            },
            _ => v,
        }
    }

    /// Presence as an i8 (1 when always present).
    fn present(&mut self, v: &Val) -> Value {
        match v.p {
            Some(p) => p,
            None => self.bconst(true),
        }
    }

    /// A condition: true only when present and true.
    fn truth(&mut self, v: &Val) -> Value {
        match (&v.x, v.p) {
            (X::B(b), None) => *b,
            (X::B(b), Some(p)) => self.b.ins().band(*b, p),
            _ => self.bconst(false),
        }
    }

    fn and_p(&mut self, a: Option<Value>, b: Option<Value>) -> Option<Value> {
        match (a, b) {
            (None, x) | (x, None) => x,
            (Some(x), Some(y)) => Some(self.b.ins().band(x, y)),
        }
    }

    /// Generates `a` and `b` on the two sides of a branch on `cond` and merges them into a value
    /// of type `ty`.
    fn branch(
        &mut self,
        cond: Value,
        ty: &Type,
        then: impl FnOnce(&mut Self) -> R<Val>,
        other: impl FnOnce(&mut Self) -> R<Val>,
    ) -> R<Val> {
        let sh = shape_of(ty)?;
        let opt = ty.unwrap_optional().1;
        let tys = Self::part_types(&sh);
        let vars: Vec<Variable> = tys.iter().map(|t| self.b.declare_var(*t)).collect();
        let pv = self.b.declare_var(I8);
        let (tb, eb, join) = (
            self.b.create_block(),
            self.b.create_block(),
            self.b.create_block(),
        );
        self.b.ins().brif(cond, tb, &[], eb, &[]);
        self.b.switch_to_block(tb);
        let v = then(self)?;
        let v = self.coerce(v, ty);
        self.assign(&sh, &vars, pv, &v, opt)?;
        self.b.ins().jump(join, &[]);
        self.b.switch_to_block(eb);
        let v = other(self)?;
        let v = self.coerce(v, ty);
        self.assign(&sh, &vars, pv, &v, opt)?;
        self.b.ins().jump(join, &[]);
        self.b.switch_to_block(join);
        let parts: Vec<Value> = vars.iter().map(|v| self.b.use_var(*v)).collect();
        let x = Self::from_parts(&sh, &parts);
        Ok(Val {
            x,
            p: opt.then(|| self.b.use_var(pv)),
        })
    }

    /// `present` when `p` holds, else an absent value of type `ty` (nothing is computed for it).
    fn when_present(
        &mut self,
        p: Value,
        ty: &Type,
        present: impl FnOnce(&mut Self) -> R<Val>,
    ) -> R<Val> {
        let sh = shape_of(ty)?;
        self.branch(p, ty, present, |s| {
            let f = s.bconst(false);
            Ok(Val {
                x: s.zero(&sh),
                p: Some(f),
            })
        })
    }

    fn assign(&mut self, sh: &Sh, vars: &[Variable], pv: Variable, v: &Val, opt: bool) -> R<()> {
        let parts = Self::parts(&v.x);
        if parts.len() != vars.len() {
            return Err(format!("a merge of {:?} into {sh:?}", v.x));
        }
        for (var, p) in vars.iter().zip(parts) {
            self.b.def_var(*var, p);
        }
        if opt {
            let p = self.present(v);
            self.b.def_var(pv, p);
        } else if v.p.is_some() {
            return Err("an optional value where none is expected".into());
        }
        Ok(())
    }

    // ---- nodes ----

    fn node(&mut self, id: NodeId) -> R<Val> {
        let plan = self.plan();
        let node = &plan.nodes[id.0 as usize];
        let (base_ty, opt) = node.ty.unwrap_optional();
        let v = match &node.kind {
            NodeKind::Const(c) => Val::new(match c {
                SValue::Int(i) => X::I(self.iconst(*i)),
                SValue::Float(x) => X::F(self.b.ins().f64const(*x)),
                SValue::Bool(b) => X::B(self.bconst(*b)),
                SValue::Str(t) => {
                    let bytes: Box<[u8]> = t.as_bytes().into();
                    let (ptr, len) = (bytes.as_ptr() as i64, bytes.len() as i64);
                    self.u.strings.push(bytes);
                    X::S(self.iconst(ptr), self.iconst(len))
                }
            }),
            NodeKind::Scalar(sid) => self.scalar(*sid)?,
            NodeKind::SampleValue(which) => Val::new(match which {
                SampleValue::Xsec => X::F(self.sload(F64, off!(xsec))),
                SampleValue::Nevts => X::F(self.sload(F64, off!(nevts))),
                SampleValue::Sumw => X::F(self.sload(F64, off!(sumw))),
                SampleValue::IsData => {
                    let d = self.sload(I64, off!(is_data));
                    X::B(self.b.ins().icmp_imm_s(IntCC::NotEqual, d, 0))
                }
                SampleValue::Test(k) => {
                    let t = self.sload(I64, off!(sample_tests));
                    X::B(self.b.ins().load(I8, fl(), t, *k as i32))
                }
            }),
            NodeKind::Def(d) => self.def(*d, &node.ty)?,
            NodeKind::Elem { depth } => Val::new(X::E(self.scope(*depth)?)),
            NodeKind::Field { depth, access } => {
                let pos = self.scope(*depth)?;
                Val::new(self.access(access, pos)?)
            }
            NodeKind::Member { base, access } => {
                let b = self.node(*base)?;
                let X::E(pos) = b.x else {
                    return Err("a member of a non-element".into());
                };
                match (b.p, access) {
                    (None, _) => Val::new(self.access(access, pos)?),
                    // A tuple's member list only records the position: nothing is read yet.
                    (Some(p), Access::Members(_)) => Val {
                        x: self.access(access, pos)?,
                        p: Some(p),
                    },
                    // An absent element has no position to read from: read only when present.
                    (Some(p), _) => {
                        let access = access.clone();
                        self.when_present(p, &node.ty, |s| Ok(Val::new(s.access(&access, pos)?)))?
                    }
                }
            }
            NodeKind::P4Member { base, member } => {
                let b = self.node(*base)?;
                let X::P4(v) = b.x else {
                    return Err("a four-vector member of a non-four-vector".into());
                };
                Val {
                    x: X::F(self.p4_member(*member, v)),
                    p: b.p,
                }
            }
            NodeKind::ListLit { items } => Val::new(X::L(Lst::Lit {
                items: items.clone(),
                ty: list_item_type(&node.ty),
            })),
            NodeKind::InElement { elem, key } => {
                let b = self.node(*elem)?;
                let X::E(pos) = b.x else {
                    return Err("a derived field of a non-element".into());
                };
                let key = *key;
                match b.p {
                    None => {
                        self.scopes.push(pos);
                        let v = self.node(key);
                        self.scopes.pop();
                        let v = v?;
                        self.coerce(v, &node.ty)
                    }
                    // Read only when the element is there.
                    Some(p) => self.when_present(p, &node.ty, |s| {
                        s.scopes.push(pos);
                        let v = s.node(key);
                        s.scopes.pop();
                        v
                    })?,
                }
            }
            NodeKind::Map { coll, key } => {
                let c = self.node(*coll)?;
                let X::C(start, len) = c.x else {
                    return Err("a list over a non-collection".into());
                };
                Val::new(X::L(Lst::Map {
                    start,
                    len,
                    width: self.u.widths[coll.0 as usize],
                    key: *key,
                }))
            }
            NodeKind::Project { coll, access } => {
                let c = self.node(*coll)?;
                let X::C(start, len) = c.x else {
                    return Err("a projection of a non-collection".into());
                };
                Val::new(X::L(Lst::Proj {
                    start,
                    len,
                    width: self.u.widths[coll.0 as usize],
                    access: access.clone(),
                }))
            }
            NodeKind::TupleMember { base, offset, .. } => {
                let b = self.node(*base)?;
                let X::E(pos) = b.x else {
                    return Err("a tuple member of a non-element".into());
                };
                Val {
                    x: X::E(self.b.ins().iadd_imm_s(pos, i64::from(*offset))),
                    p: b.p,
                }
            }
            NodeKind::Unary { op, a } => self.unary(*op, *a, opt)?,
            NodeKind::Binary { op, a, b } => self.binary(*op, *a, *b, &node.ty)?,
            NodeKind::If {
                cond,
                then,
                otherwise,
            } => {
                let c = self.node(*cond)?;
                let c = self.truth(&c);
                let (t, e) = (*then, *otherwise);
                self.branch(c, &node.ty, |s| s.node(t), |s| s.node(e))?
            }
            NodeKind::Call { func, args } => self.builtin(*func, args, &node.ty)?,
            NodeKind::Collection(c) => {
                let offs = self.sload(I64, off!(colls));
                let base = self.b.ins().load(I64, fl(), offs, (c.0 as i32) * 8);
                let ev = self.sload(I64, off!(ev));
                let o = self.b.ins().imul_imm_s(ev, 4);
                let at = self.b.ins().iadd(base, o);
                let a = self.b.ins().load(types::I32, fl(), at, 0);
                let b = self.b.ins().load(types::I32, fl(), at, 4);
                let n = self.b.ins().isub(b, a);
                let n = self.b.ins().uextend(I64, n);
                let start = self.reserve(n);
                self.for_n(n, |s, i, _| {
                    let at = s.b.ins().iadd(start, i);
                    s.idx_store(at, i);
                    Ok(())
                })?;
                let end = self.b.ins().iadd(start, n);
                self.set_idx_len(end);
                Val::new(X::C(start, n))
            }
            NodeKind::Where { coll, cond } => {
                let c = self.node(*coll)?;
                let X::C(start, len) = c.x else {
                    return Err("`where` over a non-collection".into());
                };
                let w = self.u.widths[coll.0 as usize];
                // The output is reserved first: conditions may use the arena after it.
                let total = self.b.ins().imul_imm_s(len, i64::from(w));
                let out = self.reserve(total);
                let end = self.b.ins().iadd(out, total);
                self.set_idx_len(end);
                let n = self.b.declare_var(I64);
                let zero = self.iconst(0);
                self.b.def_var(n, zero);
                let cond = *cond;
                self.for_n(len, |s, e, _| {
                    let pos = s.elem_pos(start, e, w);
                    s.scopes.push(pos);
                    let k = s.node(cond);
                    s.scopes.pop();
                    let k = k?;
                    let keep = s.truth(&k);
                    s.when(keep, |s| {
                        let k = s.b.use_var(n);
                        let to = s.elem_pos(out, k, w);
                        s.copy_leaves(pos, to, w);
                        let k1 = s.b.ins().iadd_imm_s(k, 1);
                        s.b.def_var(n, k1);
                        Ok(())
                    })
                })?;
                let n = self.b.use_var(n);
                Val::new(X::C(out, n))
            }
            NodeKind::Keyed { op, coll, key } => self.keyed(*op, *coll, *key, &node.ty)?,
            NodeKind::Combinations { coll, k, ordered } => {
                let c = self.node(*coll)?;
                let X::C(start, len) = c.x else {
                    return Err("combinations of a non-collection".into());
                };
                let w = self.u.widths[coll.0 as usize];
                if *k == 0 || *k > 4 {
                    return Err(format!("combinations of {k}"));
                }
                let out = self.sload(I64, off!(idx_len));
                let count = self.b.declare_var(I64);
                let zero = self.iconst(0);
                self.b.def_var(count, zero);
                let mut picks = Vec::new();
                if *ordered {
                    self.perms(start, len, w, *k as usize, &mut picks, count)?;
                } else {
                    self.combos(start, len, w, *k as usize, &mut picks, count)?;
                }
                let n = self.b.use_var(count);
                Val::new(X::C(out, n))
            }
            NodeKind::Slice {
                coll,
                lo,
                hi,
                lo_end,
                hi_end,
            } => {
                let c = self.node(*coll)?;
                let X::C(start, len) = c.x else {
                    return Err("a slice of a non-collection".into());
                };
                let w = self.u.widths[coll.0 as usize];
                let zero = self.iconst(0);
                let a = match lo {
                    Some(b) => self.slice_bound(*b, *lo_end, len)?,
                    None => zero,
                };
                let b = match hi {
                    Some(b) => self.slice_bound(*b, *hi_end, len)?,
                    None => len,
                };
                let d = self.b.ins().isub(b, a);
                let n = self.b.ins().smax(d, zero);
                let from = self.elem_pos(start, a, w);
                Val::new(X::C(from, n))
            }
            NodeKind::Union { colls } => {
                // Two leaves per element: the source's position, then the element. The sources
                // first: computing one may append to the arena.
                let mut ranges = Vec::with_capacity(colls.len());
                for c in colls {
                    let v = self.node(*c)?;
                    let X::C(start, len) = v.x else {
                        return Err("a union of a non-collection".into());
                    };
                    ranges.push((start, len));
                }
                let out = self.sload(I64, off!(idx_len));
                let count = self.b.declare_var(I64);
                let zero = self.iconst(0);
                self.b.def_var(count, zero);
                for (k, (start, len)) in ranges.into_iter().enumerate() {
                    self.for_n(len, |s, i, _| {
                        let two = s.iconst(2);
                        let to = s.reserve(two);
                        let kv = s.iconst(k as i64);
                        s.idx_store(to, kv);
                        let from = s.b.ins().iadd(start, i);
                        let leaf = s.idx_load(from);
                        let t1 = s.b.ins().iadd_imm_s(to, 1);
                        s.idx_store(t1, leaf);
                        let end = s.b.ins().iadd_imm_s(to, 2);
                        s.set_idx_len(end);
                        Ok(())
                    })?;
                    let c0 = self.b.use_var(count);
                    let c1 = self.b.ins().iadd(c0, len);
                    self.b.def_var(count, c1);
                }
                let n = self.b.use_var(count);
                Val::new(X::C(out, n))
            }
            NodeKind::Pairs { a, b } => {
                let va = self.node(*a)?;
                let vb = self.node(*b)?;
                let (X::C(sa, la), X::C(sb, lb)) = (va.x, vb.x) else {
                    return Err("pairs of non-collections".into());
                };
                let (wa, wb) = (self.u.widths[a.0 as usize], self.u.widths[b.0 as usize]);
                let out = self.sload(I64, off!(idx_len));
                self.for_n(la, |s, i, _| {
                    s.for_n(lb, |s, j, _| {
                        let m = s.iconst(i64::from(wa + wb));
                        let to = s.reserve(m);
                        let fa = s.elem_pos(sa, i, wa);
                        s.copy_leaves(fa, to, wa);
                        let fb = s.elem_pos(sb, j, wb);
                        let tb = s.b.ins().iadd_imm_s(to, i64::from(wa));
                        s.copy_leaves(fb, tb, wb);
                        let end = s.b.ins().iadd(to, m);
                        s.set_idx_len(end);
                        Ok(())
                    })
                })?;
                let n = self.b.ins().imul(la, lb);
                Val::new(X::C(out, n))
            }
            NodeKind::Index {
                base,
                index,
                from_end,
            } => {
                let b = self.node(*base)?;
                let i = self.node(*index)?;
                let X::I(iv) = i.x else {
                    return Err("an index that is not an integer".into());
                };
                let len = match &b.x {
                    X::C(_, len) => *len,
                    X::L(l) => self.list_len(l),
                    _ => return Err("an index into a non-collection".into()),
                };
                // A constant negative index counts from the end; a computed one is absent.
                let j = if *from_end {
                    let neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, iv, 0);
                    let wrapped = self.b.ins().iadd(iv, len);
                    self.b.ins().select(neg, wrapped, iv)
                } else {
                    iv
                };
                let ge0 = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, j, 0);
                let lt = self.b.ins().icmp(IntCC::SignedLessThan, j, len);
                let inb = self.b.ins().band(ge0, lt);
                let p = self.and_p(i.p, Some(inb));
                let p = self.and_p(p, b.p);
                // A safe position for the payload when out of range.
                let zero = self.iconst(0);
                let j = self.b.ins().select(inb, j, zero);
                match b.x {
                    X::C(start, _) => {
                        let w = self.u.widths[base.0 as usize];
                        Val {
                            x: X::E(self.elem_pos(start, j, w)),
                            p,
                        }
                    }
                    X::L(Lst::Nest { sid, a, .. }) => {
                        // An inner list: its range read only when the index is in range.
                        let p = p.unwrap_or_else(|| self.bconst(true));
                        let (vx, vy) = (self.b.declare_var(I64), self.b.declare_var(I64));
                        let z = self.iconst(0);
                        self.b.def_var(vx, z);
                        self.b.def_var(vy, z);
                        self.when(p, |s| {
                            let (x, y) = s.inner_range(sid, a, j);
                            s.b.def_var(vx, x);
                            s.b.def_var(vy, y);
                            Ok(())
                        })?;
                        let (x, y) = (self.b.use_var(vx), self.b.use_var(vy));
                        Val {
                            x: X::L(Lst::Scal { sid, a: x, b: y }),
                            p: Some(p),
                        }
                    }
                    X::L(l) => {
                        let item_ty = base_ty.clone();
                        let sh = shape_of(&item_ty)?;
                        // Items are read only when in range.
                        let p = p.unwrap_or_else(|| self.bconst(true));
                        self.branch(
                            p,
                            &Type::Optional(Box::new(item_ty)),
                            |s| Ok(Val::new(s.list_item(&l, j)?)),
                            |s| {
                                let f = s.bconst(false);
                                Ok(Val {
                                    x: s.zero(&sh),
                                    p: Some(f),
                                })
                            },
                        )?
                    }
                    _ => unreachable!("checked above"),
                }
            }
            NodeKind::Correction { args, .. } => {
                // Numeric arguments into a stack slot (ints as i64, floats as f64 bits).
                let slot =
                    self.b
                        .create_sized_stack_slot(cranelift_codegen::ir::StackSlotData::new(
                            cranelift_codegen::ir::StackSlotKind::ExplicitSlot,
                            (8 * args.len().max(1)) as u32,
                            3,
                        ));
                let mut p = None;
                for (k, a) in args.iter().enumerate() {
                    if matches!(
                        self.u.plan.nodes[a.0 as usize].kind,
                        NodeKind::Const(SValue::Str(_))
                    ) {
                        continue;
                    }
                    let x = self.node(*a)?;
                    p = self.and_p(p, x.p);
                    let bits = match &x.x {
                        X::I(v) => *v,
                        X::F(v) => self.b.ins().bitcast(I64, MemFlagsData::new(), *v),
                        other => return Err(format!("correction input {other:?}")),
                    };
                    self.b.ins().stack_store(I64, bits, slot, (k * 8) as i32);
                }
                let ptr = self.b.ins().stack_addr(I64, slot, 0);
                let node = self.iconst(id.0 as i64);
                let st = self.st;
                let pv = p.unwrap_or_else(|| self.bconst(true));
                let callee = self.u.imp.correction;
                let r = self.fallible_call(
                    pv,
                    Sh::F,
                    callee,
                    &[st, node, ptr],
                    Fault::Correction,
                    None,
                )?;
                Val { x: r.x, p }
            }
            NodeKind::Random { dist, a, b, site } => {
                let x = self.node(*a)?;
                let y = self.node(*b)?;
                let p = self.and_p(x.p, y.p);
                let (xf, yf) = (self.as_f(&x.x), self.as_f(&y.x));
                let element = match (&site.element, self.scopes.last().copied()) {
                    (Some(_), Some(pos)) => self.idx_load(pos),
                    _ => self.iconst(-1),
                };
                let key = self.iconst(self.u.site_keys[id.0 as usize] as i64);
                let d = self.iconst(match dist {
                    Dist::Normal => 0,
                    Dist::Uniform => 1,
                });
                let st = self.st;
                // Absent parameters: no draw (the interpreter draws nothing either).
                let pv = p.unwrap_or_else(|| self.bconst(true));
                let r = self.branch(
                    pv,
                    &Type::Optional(Box::new(Type::Float)),
                    |s| {
                        let r = s.call(s.u.imp.random, &[st, key, element, d, xf, yf]);
                        Ok(Val::new(X::F(r[0])))
                    },
                    |s| {
                        let f = s.bconst(false);
                        Ok(Val {
                            x: s.zero(&Sh::F),
                            p: Some(f),
                        })
                    },
                )?;
                Val {
                    x: r.x,
                    p: p.and(r.p),
                }
            }
        };
        let v = self.coerce(v, &node.ty);
        if !opt && v.p.is_some() {
            // The type says it is always present: the flag is true by construction.
            return Ok(Val { x: v.x, p: None });
        }
        let _ = base_ty;
        Ok(v)
    }

    /// Node `id` evaluated with element `e` of the collection at `start` (width `w`) in scope.
    fn in_element(&mut self, start: Value, e: Value, w: u32, id: NodeId) -> R<Val> {
        let pos = self.elem_pos(start, e, w);
        self.scopes.push(pos);
        let v = self.node(id);
        self.scopes.pop();
        v
    }

    /// A sort or argmax key: the value as a float, NaN when absent (NaN keys never win and
    /// sort last).
    fn key_or_nan(&mut self, v: &Val) -> Value {
        let k = self.as_f(&v.x);
        match v.p {
            Some(p) => {
                let nan = self.b.ins().f64const(f64::NAN);
                self.b.ins().select(p, k, nan)
            }
            None => k,
        }
    }

    /// A slice bound: a constant negative one counts from the end; clamped into `0..=len`.
    fn slice_bound(&mut self, b: NodeId, from_end: bool, len: Value) -> R<Value> {
        let v = self.node(b)?;
        let X::I(x) = v.x else {
            return Err("a slice bound that is not an integer".into());
        };
        let x = if from_end {
            let neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, x, 0);
            let wrapped = self.b.ins().iadd(x, len);
            self.b.ins().select(neg, wrapped, x)
        } else {
            x
        };
        let zero = self.iconst(0);
        let x = self.b.ins().smax(x, zero);
        Ok(self.b.ins().smin(x, len))
    }

    /// A union field from source `k` or a later one, chosen by `tag`, converted to `ty`.
    fn union_part(
        &mut self,
        parts: &[Access],
        k: usize,
        tag: Value,
        pos: Value,
        ty: &Type,
    ) -> R<Val> {
        if k + 1 >= parts.len() {
            let x = self.access(&parts[k], pos)?;
            return Ok(self.coerce(Val::new(x), ty));
        }
        let is_k = self.b.ins().icmp_imm_s(IntCC::Equal, tag, k as i64);
        self.branch(
            is_k,
            ty,
            |s| Ok(Val::new(s.access(&parts[k], pos)?)),
            |s| s.union_part(parts, k + 1, tag, pos, ty),
        )
    }

    fn elem_pos(&mut self, start: Value, e: Value, w: u32) -> Value {
        let o = self.b.ins().imul_imm_s(e, i64::from(w));
        self.b.ins().iadd(start, o)
    }

    fn scope(&self, depth: u32) -> R<Value> {
        self.scopes
            .len()
            .checked_sub(1 + depth as usize)
            .map(|i| self.scopes[i])
            .ok_or_else(|| "an element outside its scope".to_string())
    }

    fn scalar(&mut self, sid: ScalarId) -> R<Val> {
        let plan = self.plan();
        let info = &plan.scalars[sid.0 as usize];
        let table = self.sload(I64, off!(scalars));
        let base = self.b.ins().load(I64, fl(), table, (sid.0 as i32) * 8);
        let ev = self.sload(I64, off!(ev));
        match info.shape {
            Shape::Scalar => Ok(Val::new(match col_repr(info.ty) {
                Some(sh) => self.load_col(base, ev, &sh),
                None => self.str_at(base, ev),
            })),
            Shape::Jagged2 => {
                let (a, b) = self.scalar_range(sid)?;
                Ok(Val::new(X::L(Lst::Nest { sid: sid.0, a, b })))
            }
            _ => {
                let (a, b) = self.scalar_range(sid)?;
                Ok(Val::new(X::L(Lst::Scal { sid: sid.0, a, b })))
            }
        }
    }

    fn scalar_range(&mut self, sid: ScalarId) -> R<(Value, Value)> {
        let t = self.sload(I64, off!(scalar_offs));
        let offs = self.b.ins().load(I64, fl(), t, (sid.0 as i32) * 8);
        let ev = self.sload(I64, off!(ev));
        let o = self.b.ins().imul_imm_s(ev, 4);
        let at = self.b.ins().iadd(offs, o);
        let a = self.b.ins().load(types::I32, fl(), at, 0);
        let b = self.b.ins().load(types::I32, fl(), at, 4);
        Ok((self.b.ins().uextend(I64, a), self.b.ins().uextend(I64, b)))
    }

    /// A definition's value in this context: from its slot, computed first when this event has
    /// not computed it yet.
    fn def(&mut self, d: DefId, ty: &Type) -> R<Val> {
        let plan = self.plan();
        let ctx = if self.ctx > 0
            && plan
                .shared
                .get(self.ctx - 1)
                .and_then(|s| s.get(d.0 as usize))
                .copied()
                .unwrap_or(false)
        {
            0
        } else {
            self.ctx
        };
        let node = plan.defs[d.0 as usize].node;
        let lst = match plan.node(node).ty.unwrap_optional().0 {
            Type::List(_) => Some(self.list_shape(node)?),
            _ => None,
        };
        let f = self.u.func(Func::Def(ctx, d.0))?;
        let slot = ((ctx * plan.defs.len() + d.0 as usize) * SLOT) as i32;
        let defs = self.sload(I64, off!(defs));
        let stamp = self.b.ins().load(I64, fl(), defs, slot);
        let now = self.sload(I64, off!(stamp));
        let stale = self.b.ins().icmp(IntCC::NotEqual, stamp, now);
        let st = self.st;
        self.when(stale, |s| {
            let r = s.call(f, &[st]);
            s.check(r[0]);
            Ok(())
        })?;
        let defs = self.sload(I64, off!(defs));
        let opt = ty.unwrap_optional().1;
        let p = if opt {
            Some(self.b.ins().load(I8, fl(), defs, slot + 8))
        } else {
            None
        };
        let word =
            |s: &mut Self, k: i32, t: CType| s.b.ins().load(t, fl(), defs, slot + 16 + 8 * k);
        let x = match lst {
            Some(ListShape::Proj { width, access }) => X::L(Lst::Proj {
                start: word(self, 0, I64),
                len: word(self, 1, I64),
                width,
                access,
            }),
            Some(ListShape::Scal(sid)) => X::L(Lst::Scal {
                sid,
                a: word(self, 0, I64),
                b: word(self, 1, I64),
            }),
            Some(ListShape::Nest(sid)) => X::L(Lst::Nest {
                sid,
                a: word(self, 0, I64),
                b: word(self, 1, I64),
            }),
            Some(ListShape::Mem(parts)) => X::L(Lst::Mem {
                pos: word(self, 0, I64),
                parts,
            }),
            Some(ListShape::Lit(items, ty)) => X::L(Lst::Lit { items, ty }),
            Some(ListShape::Map { width, key }) => X::L(Lst::Map {
                start: word(self, 0, I64),
                len: word(self, 1, I64),
                width,
                key,
            }),
            None => {
                let sh = shape_of(ty)?;
                let tys = Self::part_types(&sh);
                let parts: Vec<Value> = tys
                    .iter()
                    .enumerate()
                    .map(|(k, t)| word(self, k as i32, *t))
                    .collect();
                Self::from_parts(&sh, &parts)
            }
        };
        Ok(Val { x, p })
    }

    /// The body of a definition function: computes and stores the slot.
    fn def_body(&mut self, d: u32) -> R<()> {
        let plan = self.plan();
        let def = &plan.defs[d as usize];
        let v = self.node(def.node)?;
        let slot = ((self.ctx * plan.defs.len() + d as usize) * SLOT) as i32;
        let defs = self.sload(I64, off!(defs));
        let words: Vec<Value> = match &v.x {
            X::L(Lst::Proj { start, len, .. }) | X::L(Lst::Map { start, len, .. }) => {
                vec![*start, *len]
            }
            X::L(Lst::Scal { a, b, .. }) | X::L(Lst::Nest { a, b, .. }) => vec![*a, *b],
            X::L(Lst::Mem { pos, .. }) => vec![*pos],
            X::L(Lst::Lit { .. }) => vec![],
            x => Self::parts(x),
        };
        for (k, w) in words.iter().enumerate() {
            self.b.ins().store(fl(), *w, defs, slot + 16 + 8 * k as i32);
        }
        let p = self.present(&v);
        self.b.ins().store(fl(), p, defs, slot + 8);
        let now = self.sload(I64, off!(stamp));
        self.b.ins().store(fl(), now, defs, slot);
        Ok(())
    }

    /// The static shape of a list-valued node.
    fn list_shape(&self, id: NodeId) -> R<ListShape> {
        let plan = self.plan();
        Ok(match &plan.node(id).kind {
            NodeKind::Project { coll, access } => ListShape::Proj {
                width: self.u.widths[coll.0 as usize],
                access: access.clone(),
            },
            NodeKind::ListLit { items } => {
                ListShape::Lit(items.clone(), list_item_type(&plan.node(id).ty))
            }
            NodeKind::Map { coll, key } => ListShape::Map {
                width: self.u.widths[coll.0 as usize],
                key: *key,
            },
            NodeKind::Scalar(sid) if plan.scalars[sid.0 as usize].shape == Shape::Jagged2 => {
                ListShape::Nest(sid.0)
            }
            NodeKind::Scalar(sid) => ListShape::Scal(sid.0),
            NodeKind::Index { base, .. } => match self.list_shape(*base)? {
                ListShape::Nest(sid) => ListShape::Scal(sid),
                other => return Err(format!("an item of {other:?} that is a list")),
            },
            NodeKind::Field {
                access: Access::Members(parts),
                ..
            }
            | NodeKind::Member {
                access: Access::Members(parts),
                ..
            } => ListShape::Mem(parts.clone()),
            NodeKind::Def(d) => self.list_shape(plan.defs[d.0 as usize].node)?,
            other => return Err(format!("a list made by {other:?}")),
        })
    }

    fn list_len(&mut self, l: &Lst) -> Value {
        match l {
            Lst::Proj { len, .. } | Lst::Map { len, .. } => *len,
            Lst::Scal { a, b, .. } | Lst::Nest { a, b, .. } => self.b.ins().isub(*b, *a),
            Lst::Mem { parts, .. } => self.iconst(parts.len() as i64),
            Lst::Lit { items, .. } => self.iconst(items.len() as i64),
        }
    }

    /// Item `j` (in range) of a list.
    fn list_item(&mut self, l: &Lst, j: Value) -> R<X> {
        match l {
            Lst::Proj {
                start,
                width,
                access,
                ..
            } => {
                let pos = self.elem_pos(*start, j, *width);
                self.access(access, pos)
            }
            Lst::Map {
                start, width, key, ..
            } => Ok(self.in_element(*start, j, *width, *key)?.x),
            Lst::Lit { items, ty } => {
                // Every item, then the one at `j`.
                let mut acc: Option<X> = None;
                for (k, it) in items.iter().enumerate() {
                    let v = self.node(*it)?;
                    let x = self.coerce(v, ty).x;
                    acc = Some(match acc {
                        None => x,
                        Some(prev) => {
                            let is = self.b.ins().icmp_imm_s(IntCC::Equal, j, k as i64);
                            let a = Self::parts(&prev);
                            let b = Self::parts(&x);
                            if a.len() != b.len() {
                                return Err("list items of different shapes".into());
                            }
                            let m: Vec<Value> = a
                                .iter()
                                .zip(&b)
                                .map(|(p, q)| self.b.ins().select(is, *q, *p))
                                .collect();
                            match &prev {
                                X::I(_) => X::I(m[0]),
                                X::F(_) => X::F(m[0]),
                                X::B(_) => X::B(m[0]),
                                X::P4(_) => X::P4([m[0], m[1], m[2], m[3]]),
                                _ => return Err("a list literal of non-values".into()),
                            }
                        }
                    });
                }
                acc.ok_or_else(|| "an item of an empty list".to_string())
            }
            Lst::Scal { sid, a, .. } => {
                let plan = self.plan();
                let info = &plan.scalars[*sid as usize];
                let table = self.sload(I64, off!(scalars));
                let base = self.b.ins().load(I64, fl(), table, (*sid as i32) * 8);
                let at = self.b.ins().iadd(*a, j);
                Ok(match col_repr(info.ty) {
                    Some(sh) => self.load_col(base, at, &sh),
                    None => self.str_at(base, at),
                })
            }
            Lst::Nest { sid, a, .. } => {
                let (x, y) = self.inner_range(*sid, *a, j);
                Ok(X::L(Lst::Scal {
                    sid: *sid,
                    a: x,
                    b: y,
                }))
            }
            Lst::Mem { pos, parts } => {
                // Every member, then the one at `j`.
                let items: Vec<X> = parts
                    .iter()
                    .map(|p| self.access(p, *pos))
                    .collect::<R<_>>()?;
                let mut acc = items.first().cloned().ok_or("an item of an empty tuple")?;
                for (k, it) in items.iter().enumerate().skip(1) {
                    let is = self.b.ins().icmp_imm_s(IntCC::Equal, j, k as i64);
                    let a = Self::parts(&acc);
                    let b = Self::parts(it);
                    if a.len() != b.len() {
                        return Err("tuple members of different shapes".into());
                    }
                    let m: Vec<Value> = a
                        .iter()
                        .zip(&b)
                        .map(|(x, y)| self.b.ins().select(is, *y, *x))
                        .collect();
                    acc = match &acc {
                        X::I(_) => X::I(m[0]),
                        X::F(_) => X::F(m[0]),
                        X::B(_) => X::B(m[0]),
                        X::P4(_) => X::P4([m[0], m[1], m[2], m[3]]),
                        X::S(..) => X::S(m[0], m[1]),
                        _ => return Err("a tuple member list of elements".into()),
                    };
                }
                Ok(acc)
            }
        }
    }

    /// The value range of inner list `a + j` of list-of-lists branch `sid`.
    fn inner_range(&mut self, sid: u32, a: Value, j: Value) -> (Value, Value) {
        let t = self.sload(I64, off!(scalar_inner));
        let inner = self.b.ins().load(I64, fl(), t, (sid as i32) * 8);
        let k = self.b.ins().iadd(a, j);
        let o = self.b.ins().imul_imm_s(k, 4);
        let at = self.b.ins().iadd(inner, o);
        let x = self.b.ins().load(types::I32, fl(), at, 0);
        let y = self.b.ins().load(types::I32, fl(), at, 4);
        (self.b.ins().uextend(I64, x), self.b.ins().uextend(I64, y))
    }

    /// Calls `body` with each item of a list, in order.
    fn for_items(&mut self, l: &Lst, mut body: impl FnMut(&mut Self, X) -> R<()>) -> R<()> {
        match l {
            Lst::Mem { pos, parts } => {
                for p in parts {
                    let x = self.access(p, *pos)?;
                    body(self, x)?;
                }
                Ok(())
            }
            _ => {
                let n = self.list_len(l);
                let l = l.clone();
                self.for_n(n, |s, j, _| {
                    let x = s.list_item(&l, j)?;
                    body(s, x)
                })
            }
        }
    }

    fn p4_member(&mut self, m: P4Member, v: [Value; 4]) -> Value {
        let [px, py, pz, e] = v;
        match m {
            P4Member::Px => px,
            P4Member::Py => py,
            P4Member::Pz => pz,
            P4Member::E => e,
            P4Member::Pt => {
                let a = self.b.ins().fmul(px, px);
                let b = self.b.ins().fmul(py, py);
                let s = self.b.ins().fadd(a, b);
                self.b.ins().sqrt(s)
            }
            P4Member::Mass => {
                let ee = self.b.ins().fmul(e, e);
                let a = self.b.ins().fmul(px, px);
                let b = self.b.ins().fmul(py, py);
                let c = self.b.ins().fmul(pz, pz);
                let ab = self.b.ins().fadd(a, b);
                let p2 = self.b.ins().fadd(ab, c);
                let m2 = self.b.ins().fsub(ee, p2);
                let zero = self.b.ins().f64const(0.0);
                let ge = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, m2, zero);
                let r = self.b.ins().sqrt(m2);
                let n = self.b.ins().fneg(m2);
                let rn = self.b.ins().sqrt(n);
                let rn = self.b.ins().fneg(rn);
                self.b.ins().select(ge, r, rn)
            }
            P4Member::Eta | P4Member::Phi => {
                let op = if m == P4Member::Eta { 0 } else { 1 };
                self.p4fn(op, v, v)
            }
        }
    }

    /// A four-vector function through `cb_p4fn` (vectors passed in stack slots).
    fn p4fn(&mut self, op: i64, a: [Value; 4], b: [Value; 4]) -> Value {
        let slot = self
            .b
            .create_sized_stack_slot(cranelift_codegen::ir::StackSlotData::new(
                cranelift_codegen::ir::StackSlotKind::ExplicitSlot,
                64,
                3,
            ));
        for k in 0..4 {
            self.b.ins().stack_store(I64, a[k], slot, (k * 8) as i32);
            self.b
                .ins()
                .stack_store(I64, b[k], slot, (32 + k * 8) as i32);
        }
        let pa = self.b.ins().stack_addr(I64, slot, 0);
        let pb = self.b.ins().stack_addr(I64, slot, 32);
        let o = self.iconst(op);
        self.call(self.u.imp.p4fn, &[o, pa, pb])[0]
    }

    fn unary(&mut self, op: UnOp, a: NodeId, opt: bool) -> R<Val> {
        let x = self.node(a)?;
        Ok(match (op, &x.x) {
            (UnOp::Not, X::B(b)) => {
                let nb = self.b.ins().bxor_imm_s(*b, 1);
                match x.p {
                    None => Val::new(X::B(nb)),
                    // Absent: absent when the result may be, else true.
                    Some(p) if opt => Val {
                        x: X::B(nb),
                        p: Some(p),
                    },
                    Some(p) => {
                        let t = self.bconst(true);
                        Val::new(X::B(self.b.ins().select(p, nb, t)))
                    }
                }
            }
            (UnOp::Neg, X::I(i)) => Val {
                x: X::I(self.b.ins().ineg(*i)),
                p: x.p,
            },
            (UnOp::Neg, X::F(f)) => Val {
                x: X::F(self.b.ins().fneg(*f)),
                p: x.p,
            },
            (UnOp::Neg, X::P4(v)) => {
                let mut r = *v;
                for c in r.iter_mut() {
                    *c = self.b.ins().fneg(*c);
                }
                Val {
                    x: X::P4(r),
                    p: x.p,
                }
            }
            (UnOp::BitNot, X::I(i)) => Val {
                x: X::I(self.b.ins().bnot(*i)),
                p: x.p,
            },
            (op, x) => return Err(format!("`{op:?}` of {x:?}")),
        })
    }

    fn binary(&mut self, op: BinOp, a: NodeId, b: NodeId, ty: &Type) -> R<Val> {
        use BinOp::*;
        match op {
            And | Or => {
                let x = self.node(a)?;
                let tx = self.truth(&x);
                // Short-circuit: `b` only when `a` does not decide.
                let decide = if op == And {
                    self.b.ins().bxor_imm_s(tx, 1)
                } else {
                    tx
                };
                let res = Type::Bool;
                return self.branch(
                    decide,
                    &res,
                    |s| Ok(Val::new(X::B(s.bconst(op == Or)))),
                    |s| {
                        let y = s.node(b)?;
                        Ok(Val::new(X::B(s.truth(&y))))
                    },
                );
            }
            Coalesce => {
                let x = self.node(a)?;
                let Some(px) = x.p else {
                    return Ok(x);
                };
                return self.branch(px, ty, |_| Ok(Val { x: x.x, p: None }), |s| s.node(b));
            }
            _ => {}
        }
        let x = self.node(a)?;
        let y = self.node(b)?;
        let p = self.and_p(x.p, y.p);
        if op.is_comparison() {
            let c = match (&x.x, &y.x) {
                (X::S(pa, la), X::S(pb, lb)) => match op {
                    Eq | Ne => {
                        let r = self.call(self.u.imp.streq, &[*pa, *la, *pb, *lb])[0];
                        let r = self.b.ins().ireduce(I8, r);
                        if op == Ne {
                            self.b.ins().bxor_imm_s(r, 1)
                        } else {
                            r
                        }
                    }
                    _ => self.bconst(false),
                },
                (X::B(p1), X::B(q1)) => match op {
                    Eq => self.b.ins().icmp(IntCC::Equal, *p1, *q1),
                    Ne => self.b.ins().icmp(IntCC::NotEqual, *p1, *q1),
                    _ => self.bconst(false),
                },
                // Element identity: every leaf (tree element index) equal.
                (X::E(pa), X::E(pb)) => {
                    let w = match self.plan().nodes[a.0 as usize].ty.unwrap_optional().0 {
                        Type::Element(el) => width(el),
                        _ => 1,
                    };
                    let (pa, pb) = (*pa, *pb);
                    // Lexicographic over the leaves (positions), from the last one back:
                    // lt = a_k < b_k or (a_k = b_k and lt of the rest), eq likewise.
                    let mut eq = self.bconst(true);
                    let mut lt = self.bconst(false);
                    for k in (0..i64::from(w)).rev() {
                        let ia = self.b.ins().iadd_imm_s(pa, k);
                        let ib = self.b.ins().iadd_imm_s(pb, k);
                        let la = self.idx_load(ia);
                        let lb = self.idx_load(ib);
                        let same = self.b.ins().icmp(IntCC::Equal, la, lb);
                        let less = self.b.ins().icmp(IntCC::UnsignedLessThan, la, lb);
                        let carried = self.b.ins().band(same, lt);
                        lt = self.b.ins().bor(less, carried);
                        eq = self.b.ins().band(eq, same);
                    }
                    let le = self.b.ins().bor(lt, eq);
                    match op {
                        Eq => eq,
                        Ne => self.b.ins().bxor_imm_s(eq, 1),
                        Lt => lt,
                        Le => le,
                        Gt => self.b.ins().bxor_imm_s(le, 1),
                        _ => self.b.ins().bxor_imm_s(lt, 1),
                    }
                }
                (X::I(i), X::I(j)) => {
                    let cc = match op {
                        Eq => IntCC::Equal,
                        Ne => IntCC::NotEqual,
                        Lt => IntCC::SignedLessThan,
                        Le => IntCC::SignedLessThanOrEqual,
                        Gt => IntCC::SignedGreaterThan,
                        _ => IntCC::SignedGreaterThanOrEqual,
                    };
                    self.b.ins().icmp(cc, *i, *j)
                }
                (X::I(_) | X::F(_), X::I(_) | X::F(_)) => {
                    let cc = match op {
                        Eq => FloatCC::Equal,
                        Ne => FloatCC::NotEqual,
                        Lt => FloatCC::LessThan,
                        Le => FloatCC::LessThanOrEqual,
                        Gt => FloatCC::GreaterThan,
                        _ => FloatCC::GreaterThanOrEqual,
                    };
                    let (u, v) = (self.as_f(&x.x), self.as_f(&y.x));
                    self.b.ins().fcmp(cc, u, v)
                }
                (l, r) => return Err(format!("a comparison of {l:?} with {r:?}")),
            };
            let c = match p {
                Some(p) => self.b.ins().band(c, p),
                None => c,
            };
            return Ok(Val::new(X::B(c)));
        }
        let x2 = match (&x.x, &y.x) {
            (X::P4(u), X::P4(v)) => match op {
                Add => X::P4(self.p4_add(*u, *v, false)),
                Sub => X::P4(self.p4_add(*u, *v, true)),
                _ => return Err(format!("`{op:?}` of four-vectors")),
            },
            // A four-vector scaled by a number, component by component (as `ops::p4_scale`).
            (X::P4(u), k @ (X::I(_) | X::F(_))) | (k @ (X::I(_) | X::F(_)), X::P4(u))
                if matches!(op, Mul | Div) =>
            {
                let kf = self.as_f(k);
                let mut r = *u;
                for c in r.iter_mut() {
                    *c = if op == Div {
                        self.b.ins().fdiv(*c, kf)
                    } else {
                        self.b.ins().fmul(*c, kf)
                    };
                }
                X::P4(r)
            }
            (X::I(i), X::I(j)) => {
                let (i, j) = (*i, *j);
                match op {
                    Add => X::I(self.b.ins().iadd(i, j)),
                    Sub => X::I(self.b.ins().isub(i, j)),
                    Mul => X::I(self.b.ins().imul(i, j)),
                    Div => {
                        let (u, v) = (self.as_f(&x.x), self.as_f(&y.x));
                        X::F(self.b.ins().fdiv(u, v))
                    }
                    BitAnd => X::I(self.b.ins().band(i, j)),
                    BitOr => X::I(self.b.ins().bor(i, j)),
                    BitXor => X::I(self.b.ins().bxor(i, j)),
                    Rem => {
                        let nz = self.b.ins().icmp_imm_s(IntCC::NotEqual, j, 0);
                        let one = self.iconst(1);
                        let d = self.b.ins().select(nz, j, one);
                        let r = self.b.ins().srem(i, d);
                        let p2 = self.and_p(p, Some(nz));
                        return Ok(Val { x: X::I(r), p: p2 });
                    }
                    Shl | Shr => {
                        let ok = self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, j, 64);
                        let r = if op == Shl {
                            self.b.ins().ishl(i, j)
                        } else {
                            self.b.ins().sshr(i, j)
                        };
                        let p2 = self.and_p(p, Some(ok));
                        return Ok(Val { x: X::I(r), p: p2 });
                    }
                    _ => return Err(format!("`{op:?}` of integers")),
                }
            }
            (X::I(_) | X::F(_), X::I(_) | X::F(_)) => {
                let (u, v) = (self.as_f(&x.x), self.as_f(&y.x));
                match op {
                    Add => X::F(self.b.ins().fadd(u, v)),
                    Sub => X::F(self.b.ins().fsub(u, v)),
                    Mul => X::F(self.b.ins().fmul(u, v)),
                    Div => X::F(self.b.ins().fdiv(u, v)),
                    Rem => {
                        let zero = self.b.ins().f64const(0.0);
                        let nz = self.b.ins().fcmp(FloatCC::NotEqual, v, zero);
                        let r = self.call(self.u.imp.fmod, &[u, v])[0];
                        let p2 = self.and_p(p, Some(nz));
                        return Ok(Val { x: X::F(r), p: p2 });
                    }
                    _ => return Err(format!("`{op:?}` of numbers")),
                }
            }
            (l, r) => return Err(format!("`{op:?}` of {l:?} and {r:?}")),
        };
        Ok(Val { x: x2, p })
    }

    fn builtin(&mut self, f: Builtin, args: &[NodeId], ty: &Type) -> R<Val> {
        let int_result = matches!(ty.unwrap_optional().0, Type::Int);
        Ok(match f {
            Builtin::Math1(m) => {
                let x = self.node(args[0])?;
                let r = match (m, &x.x) {
                    (Math1::Abs, X::I(i)) => {
                        let n = self.b.ins().ineg(*i);
                        let lt = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, *i, 0);
                        X::I(self.b.ins().select(lt, n, *i))
                    }
                    (Math1::Abs, _) => {
                        let v = self.as_f(&x.x);
                        X::F(self.b.ins().fabs(v))
                    }
                    (Math1::Sqrt, _) => {
                        let v = self.as_f(&x.x);
                        X::F(self.b.ins().sqrt(v))
                    }
                    _ => {
                        let v = self.as_f(&x.x);
                        let k = self.iconst(super::math_index(m));
                        X::F(self.call(self.u.imp.math1, &[k, v])[0])
                    }
                };
                Val { x: r, p: x.p }
            }
            Builtin::Pow | Builtin::Atan2 => {
                let x = self.node(args[0])?;
                let y = self.node(args[1])?;
                let (u, v) = (self.as_f(&x.x), self.as_f(&y.x));
                let id = if f == Builtin::Pow {
                    self.u.imp.pow
                } else {
                    self.u.imp.atan2
                };
                let r = self.call(id, &[u, v])[0];
                Val {
                    x: X::F(r),
                    p: self.and_p(x.p, y.p),
                }
            }
            Builtin::MinN | Builtin::MaxN => {
                let max = f == Builtin::MaxN;
                let mut acc = self.node(args[0])?;
                for a in &args[1..] {
                    let y = self.node(*a)?;
                    let p = self.and_p(acc.p, y.p);
                    let x = self.min_max(max, &acc.x, &y.x);
                    acc = Val { x, p };
                }
                if !int_result && let X::I(_) = acc.x {
                    acc.x = X::F(self.as_f(&acc.x));
                }
                acc
            }
            Builtin::ListMin
            | Builtin::ListMax
            | Builtin::ListMean
            | Builtin::ListSum
            | Builtin::ListProd => {
                let l = self.node(args[0])?;
                let X::L(l) = l.x else {
                    return Err("a reduction of a non-list".into());
                };
                self.reduce(f, &l, ty)?
            }
            Builtin::Count => {
                let c = self.node(args[0])?;
                match &c.x {
                    X::C(_, len) => Val::new(X::I(*len)),
                    X::L(l) => {
                        let l = l.clone();
                        Val::new(X::I(self.list_len(&l)))
                    }
                    _ => return Err("`count` of a non-collection".into()),
                }
            }
            Builtin::ToInt => {
                let x = self.node(args[0])?;
                match &x.x {
                    X::I(_) => x,
                    X::F(v) => {
                        let v = *v;
                        let pv = x.p.unwrap_or_else(|| self.bconst(true));
                        let st = self.st;
                        let callee = self.u.imp.to_int;
                        let r =
                            self.fallible_call(pv, Sh::I, callee, &[st, v], Fault::ToInt, Some(v))?;
                        Val { x: r.x, p: x.p }
                    }
                    other => return Err(format!("`int` of {other:?}")),
                }
            }
            Builtin::ToFloat => {
                let x = self.node(args[0])?;
                Val {
                    x: X::F(self.as_f(&x.x)),
                    p: x.p,
                }
            }
            Builtin::PtEtaPhiM | Builtin::PxPyPzE => {
                let mut c = Vec::new();
                let mut p = None;
                for a in args {
                    let x = self.node(*a)?;
                    p = self.and_p(p, x.p);
                    c.push(self.as_f(&x.x));
                }
                let c = [c[0], c[1], c[2], c[3]];
                let v = if f == Builtin::PtEtaPhiM {
                    self.polar(c)
                } else {
                    c
                };
                Val { x: X::P4(v), p }
            }
            Builtin::Mt2 => {
                let slot =
                    self.b
                        .create_sized_stack_slot(cranelift_codegen::ir::StackSlotData::new(
                            cranelift_codegen::ir::StackSlotKind::ExplicitSlot,
                            14 * 8,
                            3,
                        ));
                let mut p = None;
                for (k, &arg) in args.iter().take(3).enumerate() {
                    let v = self.node(arg)?;
                    let X::P4(c) = v.x else {
                        return Err("mt2 of non-four-vectors".into());
                    };
                    for (j, x) in c.iter().enumerate() {
                        self.b
                            .ins()
                            .stack_store(I64, *x, slot, ((4 * k + j) * 8) as i32);
                    }
                    p = self.and_p(p, v.p);
                }
                for k in 0..2 {
                    let v = self.node(args[3 + k])?;
                    let x = self.as_f(&v.x);
                    self.b
                        .ins()
                        .stack_store(I64, x, slot, ((12 + k) * 8) as i32);
                    p = self.and_p(p, v.p);
                }
                let ptr = self.b.ins().stack_addr(I64, slot, 0);
                let r = self.call(self.u.imp.mt2, &[ptr])[0];
                Val { x: X::F(r), p }
            }
            Builtin::DeltaR | Builtin::DeltaPhi | Builtin::DeltaEta | Builtin::Mt => {
                let a = self.node(args[0])?;
                let b = self.node(args[1])?;
                let (X::P4(u), X::P4(v)) = (&a.x, &b.x) else {
                    return Err("ΔR of non-four-vectors".into());
                };
                let op = match f {
                    Builtin::DeltaR => 2,
                    Builtin::DeltaPhi => 3,
                    Builtin::DeltaEta => 4,
                    _ => 5,
                };
                let r = self.p4fn(op, *u, *v);
                Val {
                    x: X::F(r),
                    p: self.and_p(a.p, b.p),
                }
            }
        })
    }

    /// `ops::min_max`.
    fn min_max(&mut self, max: bool, x: &X, y: &X) -> X {
        if let (X::I(a), X::I(b)) = (x, y) {
            return X::I(if max {
                self.b.ins().smax(*a, *b)
            } else {
                self.b.ins().smin(*a, *b)
            });
        }
        let (a, b) = (self.as_f(x), self.as_f(y));
        let better = if max {
            self.b.ins().fcmp(FloatCC::GreaterThan, b, a)
        } else {
            self.b.ins().fcmp(FloatCC::LessThan, b, a)
        };
        let pick = self.b.ins().select(better, b, a);
        let nan = self.b.ins().fcmp(FloatCC::Unordered, a, b);
        let q = self.b.ins().f64const(f64::NAN);
        X::F(self.b.ins().select(nan, q, pick))
    }

    /// `sum`, `min`, `max`, `mean` of a list's items, as `eval::Frame::reduce`.
    fn reduce(&mut self, f: Builtin, l: &Lst, ty: &Type) -> R<Val> {
        let mut acc = Acc::new(self, f, ty);
        self.for_items(l, |s, x| {
            let v = Val::new(x);
            acc.add(s, &v);
            Ok(())
        })?;
        acc.finish(self)
    }

    fn keyed(&mut self, op: KeyedOp, coll: NodeId, key: NodeId, ty: &Type) -> R<Val> {
        let c = self.node(coll)?;
        let X::C(start, len) = c.x else {
            return Err("a keyed operation on a non-collection".into());
        };
        let w = self.u.widths[coll.0 as usize];
        match op {
            KeyedOp::Any | KeyedOp::All => {
                let want = op == KeyedOp::Any;
                let r = self.b.declare_var(I8);
                let init = self.bconst(!want);
                self.b.def_var(r, init);
                self.for_n(len, |s, e, exit| {
                    let v = s.in_element(start, e, w, key)?;
                    let t = s.truth(&v);
                    let hit = if want { t } else { s.b.ins().bxor_imm_s(t, 1) };
                    let cont = s.b.create_block();
                    let set = s.b.create_block();
                    s.b.ins().brif(hit, set, &[], cont, &[]);
                    s.b.switch_to_block(set);
                    let wv = s.bconst(want);
                    s.b.def_var(r, wv);
                    s.b.ins().jump(exit, &[]);
                    s.b.switch_to_block(cont);
                    Ok(())
                })?;
                Ok(Val::new(X::B(self.b.use_var(r))))
            }
            KeyedOp::Sum | KeyedOp::Prod | KeyedOp::Min | KeyedOp::Max => {
                let f = match op {
                    KeyedOp::Sum => Builtin::ListSum,
                    KeyedOp::Prod => Builtin::ListProd,
                    KeyedOp::Min => Builtin::ListMin,
                    _ => Builtin::ListMax,
                };
                let mut acc = Acc::new(self, f, ty);
                self.for_n(len, |s, e, _| {
                    let v = s.in_element(start, e, w, key)?;
                    acc.add(s, &v);
                    Ok(())
                })?;
                acc.finish(self)
            }
            KeyedOp::ArgMax | KeyedOp::ArgMin => {
                let max = op == KeyedOp::ArgMax;
                let found = self.b.declare_var(I8);
                let best_k = self.b.declare_var(F64);
                let best_e = self.b.declare_var(I64);
                let f0 = self.bconst(false);
                let k0 = self.b.ins().f64const(0.0);
                let e0 = self.iconst(0);
                self.b.def_var(found, f0);
                self.b.def_var(best_k, k0);
                self.b.def_var(best_e, e0);
                self.for_n(len, |s, e, _| {
                    let v = s.in_element(start, e, w, key)?;
                    // Absent keys are NaN, and NaN keys never win.
                    let k = s.key_or_nan(&v);
                    let fd = s.b.use_var(found);
                    let bk = s.b.use_var(best_k);
                    let better = if max {
                        s.b.ins().fcmp(FloatCC::GreaterThan, k, bk)
                    } else {
                        s.b.ins().fcmp(FloatCC::LessThan, k, bk)
                    };
                    let notnan = s.b.ins().fcmp(FloatCC::Ordered, k, k);
                    let first = s.b.ins().bxor_imm_s(fd, 1);
                    let take = s.b.ins().bor(first, better);
                    let take = s.b.ins().band(take, notnan);
                    let nk = s.b.ins().select(take, k, bk);
                    let be = s.b.use_var(best_e);
                    let ne = s.b.ins().select(take, e, be);
                    let nf = s.b.ins().bor(fd, take);
                    s.b.def_var(best_k, nk);
                    s.b.def_var(best_e, ne);
                    s.b.def_var(found, nf);
                    Ok(())
                })?;
                let e = self.b.use_var(best_e);
                let pos = self.elem_pos(start, e, w);
                let p = self.b.use_var(found);
                Ok(Val {
                    x: X::E(pos),
                    p: Some(p),
                })
            }
            KeyedOp::Sort | KeyedOp::SortDesc => {
                let desc = op == KeyedOp::SortDesc;
                let k0 = self.sload(I64, off!(keys_len));
                self.for_n(len, |s, e, _| {
                    let v = s.in_element(start, e, w, key)?;
                    let k = s.key_or_nan(&v);
                    s.push_key(k, e);
                    Ok(())
                })?;
                let st = self.st;
                let d = self.iconst(i64::from(desc));
                self.call(self.u.imp.sort, &[st, k0, len, d]);
                let total = self.b.ins().imul_imm_s(len, i64::from(w));
                let out = self.reserve(total);
                let end = self.b.ins().iadd(out, total);
                self.set_idx_len(end);
                self.for_n(len, |s, j, _| {
                    let kel = s.sload(I64, off!(kel));
                    let at = s.b.ins().iadd(k0, j);
                    let o = s.b.ins().imul_imm_s(at, 4);
                    let a = s.b.ins().iadd(kel, o);
                    let e = s.b.ins().load(types::I32, fl(), a, 0);
                    let e = s.b.ins().uextend(I64, e);
                    let from = s.elem_pos(start, e, w);
                    let to = s.elem_pos(out, j, w);
                    s.copy_leaves(from, to, w);
                    Ok(())
                })?;
                self.sstore(k0, off!(keys_len));
                Ok(Val::new(X::C(out, len)))
            }
        }
    }

    fn push_key(&mut self, k: Value, e: Value) {
        let len = self.sload(I64, off!(keys_len));
        let need = self.b.ins().iadd_imm_s(len, 1);
        self.ensure(need, off!(keys_cap), off!(grow_keys));
        let keys = self.sload(I64, off!(keys));
        let o = self.b.ins().imul_imm_s(len, 8);
        let a = self.b.ins().iadd(keys, o);
        self.b.ins().store(fl(), k, a, 0);
        let kel = self.sload(I64, off!(kel));
        let o = self.b.ins().imul_imm_s(len, 4);
        let a = self.b.ins().iadd(kel, o);
        let e32 = self.b.ins().ireduce(types::I32, e);
        self.b.ins().store(fl(), e32, a, 0);
        self.sstore(need, off!(keys_len));
    }

    /// Nested loops over k-subsets i0 < i1 < ... (lexicographic), appending each tuple.
    fn combos(
        &mut self,
        start: Value,
        len: Value,
        w: u32,
        k: usize,
        picks: &mut Vec<Value>,
        count: Variable,
    ) -> R<()> {
        if picks.len() == k {
            let m = self.iconst(i64::from(w) * k as i64);
            let to = self.reserve(m);
            for (t, &p) in picks.iter().enumerate() {
                let from = self.elem_pos(start, p, w);
                let dst = self.b.ins().iadd_imm_s(to, i64::from(w) * t as i64);
                self.copy_leaves(from, dst, w);
            }
            let end = self.b.ins().iadd(to, m);
            self.set_idx_len(end);
            let c = self.b.use_var(count);
            let c1 = self.b.ins().iadd_imm_s(c, 1);
            self.b.def_var(count, c1);
            return Ok(());
        }
        let lo = match picks.last() {
            Some(p) => self.b.ins().iadd_imm_s(*p, 1),
            None => self.iconst(0),
        };
        // i from lo to len - (k - picks.len()) inclusive: n = len - lo - (k - depth - 1).
        let rest = (k - picks.len() - 1) as i64;
        let hi = self.b.ins().iadd_imm_s(len, -rest);
        let n = self.b.ins().isub(hi, lo);
        self.for_n(n, |s, i, _| {
            let p = s.b.ins().iadd(lo, i);
            picks.push(p);
            let r = s.combos(start, len, w, k, picks, count);
            picks.pop();
            r
        })
    }

    /// Every ordering of `k` distinct elements: nested loops over 0..len that skip an index
    /// already picked (lexicographic in the picks, as the interpreter).
    fn perms(
        &mut self,
        start: Value,
        len: Value,
        w: u32,
        k: usize,
        picks: &mut Vec<Value>,
        count: Variable,
    ) -> R<()> {
        if picks.len() == k {
            // The tuple is written as `combos` writes one.
            return self.combos(start, len, w, k, picks, count);
        }
        self.for_n(len, |s, i, _| {
            let mut fresh = s.bconst(true);
            for &p in picks.iter() {
                let other = s.b.ins().icmp(IntCC::NotEqual, i, p);
                fresh = s.b.ins().band(fresh, other);
            }
            let mut picks2 = picks.clone();
            picks2.push(i);
            s.when(fresh, |s| s.perms(start, len, w, k, &mut picks2, count))
        })
    }

    // ---- steps ----

    /// The nominal weight of this context into `State::w` (1 for data); absent: a fault.
    fn event_weight(&mut self) -> R<()> {
        let plan = self.plan();
        let is_data = self.sload(I64, off!(is_data));
        let one = self.b.ins().f64const(1.0);
        self.sstore(one, off!(w));
        let mc = self.b.ins().icmp_imm_s(IntCC::Equal, is_data, 0);
        let weights = plan.weights.clone();
        self.when(mc, |s| {
            let mut w: Option<Value> = None;
            for node in weights {
                let v = s.node(node)?;
                if let Some(p) = v.p {
                    let absent = s.b.ins().bxor_imm_s(p, 1);
                    s.when(absent, |s| {
                        s.fault(Fault::AbsentWeight);
                        Ok(())
                    })?;
                }
                let x = s.as_f(&v.x);
                w = Some(match w {
                    None => x,
                    Some(acc) => s.b.ins().fmul(acc, x),
                });
            }
            let w = w.unwrap_or_else(|| s.b.ins().f64const(1.0));
            s.sstore(w, off!(w));
            Ok(())
        })
    }

    /// Makes the fill weights of this context known (once per event and context).
    fn ensure_weights(&mut self) -> R<()> {
        let Some(wk) = self.wk else {
            return Err("a fill outside an event".into());
        };
        let known = self.b.use_var(wk);
        let unknown = self.b.ins().bxor_imm_s(known, 1);
        let plan = self.plan();
        let ctx = self.ctx;
        self.when(unknown, |s| {
            if ctx > 0 {
                s.event_weight()?;
            } else {
                let is_data = s.sload(I64, off!(is_data));
                let mc = s.b.ins().icmp_imm_s(IntCC::Equal, is_data, 0);
                s.when(mc, |s| {
                    for (vi, var) in plan.variations.iter().enumerate() {
                        let VariationKind::Weight(node) = var.kind else {
                            continue;
                        };
                        let on = s.sload(I64, off!(wvar_on));
                        let on = s.b.ins().load(I8, fl(), on, vi as i32);
                        s.when(on, |s| {
                            let v = s.node(node)?;
                            if let Some(p) = v.p {
                                let absent = s.b.ins().bxor_imm_s(p, 1);
                                s.when(absent, |s| {
                                    s.fault(Fault::AbsentVariationWeight);
                                    Ok(())
                                })?;
                            }
                            let x = s.as_f(&v.x);
                            let fac = s.sload(I64, off!(fac));
                            s.b.ins().store(fl(), x, fac, (vi * 8) as i32);
                            Ok(())
                        })?;
                    }
                    Ok(())
                })?;
            }
            let t = s.bconst(true);
            s.b.def_var(wk, t);
            Ok(())
        })
    }

    /// (kind, bits) of a fill value: 0 absent, 1 int, 2 float.
    fn fill_bits(&mut self, v: &Val, axis: i32) -> R<(Value, Value)> {
        let (kind, bits) = match &v.x {
            X::S(ptr, len) => {
                let o = off!(sx) + 16 * axis;
                self.sstore(*ptr, o);
                self.sstore(*len, o + 8);
                (3, *ptr)
            }
            X::I(i) => (1, *i),
            X::B(b) => (1, self.b.ins().uextend(I64, *b)),
            X::F(f) => (2, self.b.ins().bitcast(I64, MemFlagsData::new(), *f)),
            other => return Err(format!("a fill of {other:?}")),
        };
        let k = self.iconst(kind);
        let k = match v.p {
            Some(p) => {
                let z = self.iconst(0);
                self.b.ins().select(p, k, z)
            }
            None => k,
        };
        Ok((k, bits))
    }

    fn step(&mut self, step: Step) -> R<()> {
        let plan = self.plan();
        let st = self.st;
        let ctx = self.iconst(self.ctx as i64);
        match step {
            Step::Cut { .. } | Step::Require(_) | Step::Scale(_) => {}
            // An `only` block: its steps run when its guard (a per-sample bool) holds.
            Step::Only(k) => {
                let g = self.node(plan.onlys[k].guard)?;
                let t = self.truth(&g);
                let (body, exit) = (self.b.create_block(), self.b.create_block());
                self.b.ins().brif(t, body, &[], exit, &[]);
                self.b.switch_to_block(body);
                self.only_exits.push(exit);
            }
            Step::EndOnly => {
                let exit = self
                    .only_exits
                    .pop()
                    .ok_or("the end of an `only` block without its start")?;
                self.b.ins().jump(exit, &[]);
                self.b.switch_to_block(exit);
            }
            Step::Fill(h) => {
                let spec = &plan.hists[h];
                let hv = self.iconst(h as i64);
                let weight = spec.weight;
                let none = self.b.ins().f64const(0.0);
                let has = self.iconst(i64::from(weight.is_some()));
                match spec.values.as_slice() {
                    [x] => {
                        let v = self.node(*x)?;
                        // A profile's averaged value, evaluated after the position.
                        let vy = match spec.profile {
                            Some(p) => Some(self.node(p)?),
                            None => None,
                        };
                        let is_list = matches!(v.x, X::L(_))
                            || vy.as_ref().is_some_and(|y| matches!(y.x, X::L(_)));
                        if is_list {
                            // An absent list is one absent value.
                            let mut present = self.bconst(true);
                            for o in std::iter::once(&v).chain(vy.as_ref()) {
                                if let (X::L(_), Some(p)) = (&o.x, o.p) {
                                    present = self.b.ins().band(present, p);
                                }
                            }
                            let (t, e, join) = (
                                self.b.create_block(),
                                self.b.create_block(),
                                self.b.create_block(),
                            );
                            self.b.ins().brif(present, t, &[], e, &[]);
                            self.b.switch_to_block(t);
                            self.fill_list(h, v, vy, weight)?;
                            self.b.ins().jump(join, &[]);
                            self.b.switch_to_block(e);
                            let z = self.iconst(0);
                            self.sstore(z, off!(pv));
                            self.call(self.u.imp.fill1, &[st, hv, ctx, z, z, none, has]);
                            self.b.ins().jump(join, &[]);
                            self.b.switch_to_block(join);
                        } else {
                            let (k, bits) = self.fill_bits(&v, 0)?;
                            let mut present = self.b.ins().icmp_imm_s(IntCC::NotEqual, k, 0);
                            if let Some(vy) = &vy {
                                let (ky, by) = self.fill_bits(vy, 1)?;
                                let py = self.b.ins().icmp_imm_s(IntCC::NotEqual, ky, 0);
                                present = self.b.ins().band(present, py);
                                self.sstore(ky, off!(pv));
                                self.sstore(by, off!(pv) + 8);
                            }
                            let w = self.fill_weight(present, h, weight, none)?;
                            self.call(self.u.imp.fill1, &[st, hv, ctx, k, bits, w, has]);
                        }
                    }
                    [x, y] => {
                        let vx = self.node(*x)?;
                        let vy = self.node(*y)?;
                        let vz = match spec.profile {
                            Some(p) => Some(self.node(p)?),
                            None => None,
                        };
                        let (kx, bx) = self.fill_bits(&vx, 0)?;
                        let (ky, by) = self.fill_bits(&vy, 1)?;
                        let a = self.b.ins().icmp_imm_s(IntCC::NotEqual, kx, 0);
                        let b = self.b.ins().icmp_imm_s(IntCC::NotEqual, ky, 0);
                        let mut both = self.b.ins().band(a, b);
                        if let Some(vz) = &vz {
                            let (kz, bz) = self.fill_bits(vz, 2)?;
                            let c = self.b.ins().icmp_imm_s(IntCC::NotEqual, kz, 0);
                            both = self.b.ins().band(both, c);
                            self.sstore(kz, off!(pv));
                            self.sstore(bz, off!(pv) + 8);
                        }
                        let w = self.fill_weight(both, h, weight, none)?;
                        self.call(self.u.imp.fill2, &[st, hv, ctx, kx, bx, ky, by, w, has]);
                    }
                    [x, y, z] => {
                        let vx = self.node(*x)?;
                        let vy = self.node(*y)?;
                        let vz = self.node(*z)?;
                        let (kx, bx) = self.fill_bits(&vx, 0)?;
                        let (ky, by) = self.fill_bits(&vy, 1)?;
                        let (kz, bz) = self.fill_bits(&vz, 2)?;
                        let a = self.b.ins().icmp_imm_s(IntCC::NotEqual, kx, 0);
                        let b = self.b.ins().icmp_imm_s(IntCC::NotEqual, ky, 0);
                        let c = self.b.ins().icmp_imm_s(IntCC::NotEqual, kz, 0);
                        let ab = self.b.ins().band(a, b);
                        let all = self.b.ins().band(ab, c);
                        let w = self.fill_weight(all, h, weight, none)?;
                        self.sstore(kz, off!(fz));
                        self.sstore(bz, off!(fz) + 8);
                        self.call(self.u.imp.fill3, &[st, hv, ctx, kx, bx, ky, by, w, has]);
                    }
                    _ => return Err("histograms of more than three axes".into()),
                }
            }
            Step::Count(c) => {
                let spec = &plan.counters[c];
                let cv = self.iconst(c as i64);
                let go = match spec.when {
                    Some(w) => {
                        let v = self.node(w)?;
                        self.truth(&v)
                    }
                    None => self.bconst(true),
                };
                self.when(go, |s| {
                    s.ensure_weights()?;
                    s.call(s.u.imp.count, &[st, cv, ctx]);
                    Ok(())
                })?;
            }
            // Skims take nominal outputs only, which live in context slot 0.
            Step::Skim(_) if self.ctx != 0 => {}
            Step::Skim(k) => {
                let spec = plan.skims[k].clone();
                let kv = self.iconst(k as i64);
                let take = self.call(self.u.imp.skim_begin, &[st, kv, ctx])[0];
                self.when(take, |s| {
                    s.ensure_weights()?;
                    let mut col = 0i64;
                    for (gi, g) in spec.groups.iter().enumerate() {
                        for c in &g.columns {
                            let v = s.node(c.value)?;
                            if let Some(p) = v.p {
                                let absent = s.b.ins().bxor_imm_s(p, 1);
                                s.when(absent, |s| {
                                    let kv = s.iconst(k as i64);
                                    let cv = s.iconst(col);
                                    s.sstore(kv, off!(err_aux));
                                    s.sstore(cv, off!(err_aux2));
                                    s.fault(Fault::AbsentSkimValue);
                                    Ok(())
                                })?;
                            }
                            let cv = s.iconst(col);
                            match v.x {
                                X::L(l) => {
                                    let n = s.list_len(&l);
                                    let gv = s.iconst(gi as i64);
                                    s.call(s.u.imp.skim_len, &[st, gv, n]);
                                    s.for_n(n, |s, j, _| {
                                        let x = s.list_item(&l, j)?;
                                        let (kind, bits) = s.fill_bits(&Val::new(x), 0)?;
                                        s.call(s.u.imp.skim_value, &[st, cv, kind, bits]);
                                        Ok(())
                                    })?;
                                }
                                x => {
                                    let (kind, bits) = s.fill_bits(&Val { x, p: None }, 0)?;
                                    s.call(s.u.imp.skim_value, &[st, cv, kind, bits]);
                                }
                            }
                            col += 1;
                        }
                    }
                    let kv = s.iconst(k as i64);
                    s.call(s.u.imp.skim_end, &[st, kv, ctx]);
                    Ok(())
                })?;
            }
            Step::Collect(c) => {
                let spec = &plan.collects[c];
                let cv = self.iconst(c as i64);
                let take = self.call(self.u.imp.collect_begin, &[st, cv, ctx])[0];
                let values = spec.values.clone();
                self.when(take, |s| {
                    for (k, v) in values.iter().enumerate() {
                        let v = s.node(*v)?;
                        let zero = s.iconst(0);
                        let (tag, bits, len) = match &v.x {
                            X::I(i) => (1, *i, zero),
                            X::F(f) => (2, s.b.ins().bitcast(I64, MemFlagsData::new(), *f), zero),
                            X::B(b) => (3, s.b.ins().uextend(I64, *b), zero),
                            X::S(p, l) => (4, *p, *l),
                            _ => (0, zero, zero),
                        };
                        let t = s.iconst(tag);
                        let t = match v.p {
                            Some(p) => {
                                let z = s.iconst(0);
                                s.b.ins().select(p, t, z)
                            }
                            None => t,
                        };
                        let row = s.sload(I64, off!(row));
                        s.b.ins().store(fl(), t, row, (k * 24) as i32);
                        s.b.ins().store(fl(), bits, row, (k * 24 + 8) as i32);
                        s.b.ins().store(fl(), len, row, (k * 24 + 16) as i32);
                    }
                    s.call(s.u.imp.collect_row, &[st, cv, ctx]);
                    Ok(())
                })?;
            }
        }
        Ok(())
    }

    /// Region `r`'s weight `w` (simulation only): multiplies `State::scale`; absent: a fault.
    fn region_weight(&mut self, r: usize, w: NodeId) -> R<()> {
        let is_data = self.sload(I64, off!(is_data));
        let mc = self.b.ins().icmp_imm_s(IntCC::Equal, is_data, 0);
        self.when(mc, |s| {
            let v = s.node(w)?;
            if let Some(p) = v.p {
                let absent = s.b.ins().bxor_imm_s(p, 1);
                s.when(absent, |s| {
                    let rv = s.iconst(r as i64);
                    s.sstore(rv, off!(err_aux));
                    s.fault(Fault::AbsentRegionWeight);
                    Ok(())
                })?;
            }
            let x = match &v.x {
                X::I(_) | X::F(_) | X::B(_) => s.as_f(&v.x),
                other => return Err(format!("a region weight of {other:?}")),
            };
            let old = s.sload(F64, off!(scale));
            let new = s.b.ins().fmul(old, x);
            s.sstore(new, off!(scale));
            Ok(())
        })
    }

    /// When a value is filled (`present`): the fill weights made known, and histogram `h`'s own
    /// weight (else `none`).
    fn fill_weight(
        &mut self,
        present: Value,
        h: usize,
        weight: Option<NodeId>,
        none: Value,
    ) -> R<Value> {
        let wv = self.b.declare_var(F64);
        self.b.def_var(wv, none);
        self.when(present, |s| {
            s.ensure_weights()?;
            if let Some(w) = weight {
                let x = s.hist_weight_number(h, w)?;
                s.b.def_var(wv, x);
            }
            Ok(())
        })?;
        Ok(self.b.use_var(wv))
    }

    /// Histogram `h`'s own weight `w` as a number; absent: a fault.
    fn hist_weight_number(&mut self, h: usize, w: NodeId) -> R<Value> {
        let v = self.node(w)?;
        if let Some(p) = v.p {
            let absent = self.b.ins().bxor_imm_s(p, 1);
            self.when(absent, |s| {
                let hv = s.iconst(h as i64);
                s.sstore(hv, off!(err_aux));
                s.fault(Fault::AbsentHistWeight);
                Ok(())
            })?;
        }
        match &v.x {
            X::I(_) | X::F(_) | X::B(_) => Ok(self.as_f(&v.x)),
            other => Err(format!("a histogram weight of {other:?}")),
        }
    }

    /// Fills histogram `h` once per item of the list among position `x` and a profile's
    /// averaged value `y` (both lists: item by item, of equal lengths; a list against a value:
    /// the value with each item). Lists are present; a value may be absent (each fill skipped).
    /// When something is filled: the fill weights and the histogram's own weight (a number, or a
    /// list with one item per fill) first, as the interpreter.
    fn fill_list(&mut self, h: usize, x: Val, y: Option<Val>, weight: Option<NodeId>) -> R<()> {
        let st = self.st;
        let ctx = self.iconst(self.ctx as i64);
        let hv = self.iconst(h as i64);
        let has = self.iconst(i64::from(weight.is_some()));
        // (kind, bits) of a value that is not a list, computed once.
        let one = |s: &mut Self, v: &Val, axis: i32| -> R<Option<(Value, Value)>> {
            match v.x {
                X::L(_) => Ok(None),
                _ => s.fill_bits(v, axis).map(Some),
            }
        };
        let xk = one(self, &x, 0)?;
        let yk = match &y {
            Some(y) => one(self, y, 1)?,
            None => None,
        };
        let (n, lx, ly) = match (&x.x, y.as_ref().map(|y| &y.x)) {
            (X::L(lx), Some(X::L(ly))) => {
                let n = self.list_len(lx);
                let m = self.list_len(ly);
                let bad = self.b.ins().icmp(IntCC::NotEqual, m, n);
                self.when(bad, |s| {
                    let hv = s.iconst(h as i64);
                    s.sstore(hv, off!(err_aux));
                    s.sstore(m, off!(err_aux2));
                    let nf = s.b.ins().fcvt_from_sint(F64, n);
                    s.sstore(nf, off!(err_val));
                    s.fault(Fault::ProfileCount);
                    Ok(())
                })?;
                (n, Some(lx.clone()), Some(ly.clone()))
            }
            (X::L(lx), _) => (self.list_len(lx), Some(lx.clone()), None),
            (_, Some(X::L(ly))) => (self.list_len(ly), None, Some(ly.clone())),
            _ => return Err("a list fill without a list".into()),
        };
        // Whether the values that are not lists are present.
        let mut present = self.bconst(true);
        for (k, _) in xk.iter().chain(yk.iter()) {
            let p = self.b.ins().icmp_imm_s(IntCC::NotEqual, *k, 0);
            present = self.b.ins().band(present, p);
        }
        let some = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, n, 0);
        let any = self.b.ins().band(some, present);
        // The item's (kind, bits) of the position, and the averaged value into `State::pv`.
        let item = |s: &mut Self, j: Value| -> R<(Value, Value)> {
            let (k, bits) = match (&lx, xk) {
                (Some(l), _) => {
                    let v = s.list_item(l, j)?;
                    s.fill_bits(&Val::new(v), 0)?
                }
                (None, Some(kb)) => kb,
                (None, None) => return Err("a list fill without a position".into()),
            };
            let yb = match (&ly, yk) {
                (Some(l), _) => {
                    let v = s.list_item(l, j)?;
                    Some(s.fill_bits(&Val::new(v), 1)?)
                }
                (None, kb) => kb,
            };
            if let Some((ky, by)) = yb {
                s.sstore(ky, off!(pv));
                s.sstore(by, off!(pv) + 8);
            }
            Ok((k, bits))
        };
        self.when(any, |s| {
            s.ensure_weights()?;
            // The weight: per event, or per element.
            enum W {
                None,
                One(Value),
                List(Lst),
            }
            let w = match weight {
                None => W::None,
                Some(w) => {
                    let v = s.node(w)?;
                    match v.x {
                        X::L(wl) => {
                            if let Some(p) = v.p {
                                let absent = s.b.ins().bxor_imm_s(p, 1);
                                s.when(absent, |s| {
                                    let hv = s.iconst(h as i64);
                                    s.sstore(hv, off!(err_aux));
                                    s.fault(Fault::AbsentHistWeight);
                                    Ok(())
                                })?;
                            }
                            let m = s.list_len(&wl);
                            let bad = s.b.ins().icmp(IntCC::NotEqual, m, n);
                            s.when(bad, |s| {
                                let hv = s.iconst(h as i64);
                                s.sstore(hv, off!(err_aux));
                                s.sstore(m, off!(err_aux2));
                                let nf = s.b.ins().fcvt_from_sint(F64, n);
                                s.sstore(nf, off!(err_val));
                                s.fault(Fault::HistWeightCount);
                                Ok(())
                            })?;
                            W::List(wl)
                        }
                        _ => W::One(s.hist_weight_number(h, w)?),
                    }
                }
            };
            s.for_n(n, |s, j, _| {
                let (k, bits) = item(s, j)?;
                let wj = match &w {
                    W::None => s.b.ins().f64const(0.0),
                    W::One(x) => *x,
                    W::List(wl) => {
                        let x = s.list_item(wl, j)?;
                        s.as_f(&x)
                    }
                };
                s.call(s.u.imp.fill1, &[st, hv, ctx, k, bits, wj, has]);
                Ok(())
            })
        })?;
        // A value that is not a list is absent: every fill is skipped (the hook counts them).
        let skip = self.b.ins().bxor_imm_s(present, 1);
        let skip = self.b.ins().band(some, skip);
        self.when(skip, |s| {
            s.for_n(n, |s, j, _| {
                let (k, bits) = item(s, j)?;
                let none = s.b.ins().f64const(0.0);
                s.call(s.u.imp.fill1, &[st, hv, ctx, k, bits, none, has]);
                Ok(())
            })
        })
    }

    /// One event in this context: weights, cuts, outputs, regions.
    fn event_body(&mut self) -> R<()> {
        let plan = self.plan();
        let st = self.st;
        let wk = self.b.declare_var(I8);
        let f = self.bconst(false);
        self.b.def_var(wk, f);
        self.wk = Some(wk);
        let cutflow = self.ctx == 0;
        if cutflow {
            self.event_weight()?;
            self.call(self.u.imp.begin, &[st]);
        }
        let done = self.b.create_block();
        let mut ncut = 0i64;
        for step in &plan.top {
            if let Step::Cut { cond, .. } = step {
                let v = self.node(*cond)?;
                let t = self.truth(&v);
                let go = self.b.create_block();
                self.b.ins().brif(t, go, &[], done, &[]);
                self.b.switch_to_block(go);
                ncut += 1;
                if cutflow {
                    let r = self.iconst(-1);
                    let k = self.iconst(ncut);
                    self.call(self.u.imp.cut, &[st, r, k]);
                }
            } else {
                self.step(*step)?;
            }
        }
        let one = self.b.ins().f64const(1.0);
        for (r, region) in plan.regions.iter().enumerate() {
            let next = self.b.create_block();
            let mut k = 0i64;
            self.sstore(one, off!(scale));
            for step in &region.steps {
                match *step {
                    Step::Cut { cond, .. } | Step::Require(cond) => {
                        let v = self.node(cond)?;
                        let t = self.truth(&v);
                        let go = self.b.create_block();
                        self.b.ins().brif(t, go, &[], next, &[]);
                        self.b.switch_to_block(go);
                        if cutflow && matches!(step, Step::Cut { .. }) {
                            let rv = self.iconst(r as i64);
                            let kv = self.iconst(k);
                            self.call(self.u.imp.cut, &[st, rv, kv]);
                        }
                        if matches!(step, Step::Cut { .. }) {
                            k += 1;
                        }
                    }
                    Step::Scale(w) => self.region_weight(r, w)?,
                    _ => self.step(*step)?,
                }
            }
            self.b.ins().jump(next, &[]);
            self.b.switch_to_block(next);
        }
        self.sstore(one, off!(scale));
        self.b.ins().jump(done, &[]);
        self.b.switch_to_block(done);
        Ok(())
    }

    /// Per event: the collections' first elements, a new stamp, empty arenas.
    fn begin_event(&mut self, ev: Value) {
        self.sstore(ev, off!(ev));
        let s = self.sload(I64, off!(stamp));
        let s1 = self.b.ins().iadd_imm_s(s, 1);
        self.sstore(s1, off!(stamp));
        let z = self.iconst(0);
        self.sstore(z, off!(idx_len));
        self.sstore(z, off!(keys_len));
        let ncoll = self.plan().collections.len();
        let offs = self.sload(I64, off!(colls));
        let first = self.sload(I64, off!(first));
        let o = self.b.ins().imul_imm_s(ev, 4);
        for c in 0..ncoll {
            let base = self.b.ins().load(I64, fl(), offs, (c * 8) as i32);
            let at = self.b.ins().iadd(base, o);
            let a = self.b.ins().load(types::I32, fl(), at, 0);
            let a = self.b.ins().uextend(I64, a);
            self.b.ins().store(fl(), a, first, (c * 8) as i32);
        }
    }

    fn chunk_body(&mut self) -> R<()> {
        let n = self.sload(I64, off!(entries));
        let nctx = self.u.nctx;
        let st = self.st;
        self.for_n(n, |s, ev, _| {
            // Events outside a luminosity mask are not analysed at all.
            let skipv = s.b.declare_var(I8);
            let no = s.bconst(false);
            s.b.def_var(skipv, no);
            let table = s.sload(I64, off!(skip));
            let has = s.b.ins().icmp_imm_s(IntCC::NotEqual, table, 0);
            s.when(has, |s| {
                let at = s.b.ins().iadd(table, ev);
                let v = s.b.ins().load(I8, fl(), at, 0);
                s.b.def_var(skipv, v);
                Ok(())
            })?;
            let skipped = s.b.use_var(skipv);
            let go = s.b.ins().icmp_imm_s(IntCC::Equal, skipped, 0);
            s.when(go, |s| s.event_all(ev, nctx, st))
        })
    }

    /// One event: a new stamp, then every context the sample runs.
    fn event_all(&mut self, ev: Value, nctx: usize, st: Value) -> R<()> {
        self.begin_event(ev);
        for k in 0..nctx {
            let f = self.u.func(Func::Event(k))?;
            let on = self.sload(I64, off!(ctx_on));
            let on = self.b.ins().load(I8, fl(), on, k as i32);
            self.when(on, |s| {
                let r = s.call(f, &[st]);
                s.check(r[0]);
                Ok(())
            })?;
        }
        Ok(())
    }

    /// The replacement column of replacement `j` of the variation in slot `slot`.
    fn rep_body(&mut self, slot: usize, j: usize) -> R<()> {
        let plan = self.plan();
        let v = self.u.kinematic[slot - 1];
        let VariationKind::Kinematic(reps) = &plan.variations[v].kind else {
            return Err("a replacement of a weight variation".into());
        };
        let rep = reps[j].clone();
        let info = &plan.fields[rep.field.0 as usize];
        let coll = info.coll;
        let want = col_repr(info.ty).ok_or("a replaced string field")?;
        let n = self.sload(I64, off!(entries));
        let out = self.b.declare_var(I64);
        let z = self.iconst(0);
        self.b.def_var(out, z);
        self.for_n(n, |s, ev, _| {
            s.begin_event(ev);
            let offs = s.sload(I64, off!(colls));
            let base = s.b.ins().load(I64, fl(), offs, (coll.0 as i32) * 8);
            let o = s.b.ins().imul_imm_s(ev, 4);
            let at = s.b.ins().iadd(base, o);
            let a = s.b.ins().load(types::I32, fl(), at, 0);
            let b = s.b.ins().load(types::I32, fl(), at, 4);
            let m = s.b.ins().isub(b, a);
            let m = s.b.ins().uextend(I64, m);
            s.for_n(m, |s, i, _| {
                let one = s.iconst(1);
                let pos = s.reserve(one);
                s.idx_store(pos, i);
                let end = s.b.ins().iadd_imm_s(pos, 1);
                s.set_idx_len(end);
                s.scopes.push(pos);
                let v = s.node(rep.value);
                s.scopes.pop();
                let v = v?;
                if let Some(p) = v.p {
                    let absent = s.b.ins().bxor_imm_s(p, 1);
                    s.when(absent, |s| {
                        s.sstore(i, off!(err_aux));
                        s.fault(Fault::AbsentReplacement);
                        Ok(())
                    })?;
                }
                let k = s.b.use_var(out);
                let dst = s.sload(I64, off!(rep_out));
                match (&want, &v.x) {
                    (Sh::F, X::F(_) | X::I(_)) => {
                        let f = s.as_f(&v.x);
                        let o = s.b.ins().imul_imm_s(k, 8);
                        let a = s.b.ins().iadd(dst, o);
                        s.b.ins().store(fl(), f, a, 0);
                    }
                    (Sh::I, X::I(x)) => {
                        let o = s.b.ins().imul_imm_s(k, 8);
                        let a = s.b.ins().iadd(dst, o);
                        s.b.ins().store(fl(), *x, a, 0);
                    }
                    (Sh::B, X::B(x)) => {
                        let a = s.b.ins().iadd(dst, k);
                        s.b.ins().store(fl(), *x, a, 0);
                    }
                    (w, x) => return Err(format!("a replacement of {x:?} for a {w:?} field")),
                }
                let k1 = s.b.ins().iadd_imm_s(k, 1);
                s.b.def_var(out, k1);
                Ok(())
            })
        })
    }
}

/// The static shape of a list value (what a definition slot holds).
#[derive(Clone, Debug)]
enum ListShape {
    Proj { width: u32, access: Access },
    Lit(Vec<NodeId>, Type),
    Map { width: u32, key: NodeId },
    Scal(u32),
    Nest(u32),
    Mem(Vec<Access>),
}

/// The item type of a list type.
fn list_item_type(t: &Type) -> Type {
    match t.unwrap_optional().0 {
        Type::List(i) => (**i).clone(),
        other => other.clone(),
    }
}

/// A running `reduce` (sum, min, max, mean), as `eval::Frame::reduce`.
struct Acc {
    f: Builtin,
    int_result: bool,
    p4_result: bool,
    n: Variable,
    isum: Variable,
    fsum: Variable,
    fprod: Variable,
    p4: [Variable; 4],
    ext: Variable,
    ext_i: Variable,
    has: Variable,
    is_int: Option<bool>,
    /// Whether the items are four-vectors.
    is_p4: bool,
}

impl Acc {
    fn new(s: &mut Fx, f: Builtin, ty: &Type) -> Acc {
        let b = &mut s.b;
        let mk = |b: &mut FunctionBuilder, t: CType| b.declare_var(t);
        let n = mk(b, I64);
        let isum = mk(b, I64);
        let fsum = mk(b, F64);
        let fprod = mk(b, F64);
        let p4 = [mk(b, F64), mk(b, F64), mk(b, F64), mk(b, F64)];
        let ext = mk(b, F64);
        let ext_i = mk(b, I64);
        let has = mk(b, I8);
        let zi = b.ins().iconst(I64, 0);
        let zf = b.ins().f64const(0.0);
        let z8 = b.ins().iconst(I8, 0);
        for v in [n, isum, ext_i] {
            b.def_var(v, zi);
        }
        for v in [fsum, ext] {
            b.def_var(v, zf);
        }
        let one = b.ins().f64const(1.0);
        b.def_var(fprod, one);
        for v in p4 {
            b.def_var(v, zf);
        }
        b.def_var(has, z8);
        Acc {
            f,
            int_result: matches!(ty.unwrap_optional().0, Type::Int),
            p4_result: matches!(ty.unwrap_optional().0, Type::P4),
            n,
            isum,
            fsum,
            fprod,
            p4,
            ext,
            ext_i,
            has,
            is_int: None,
            is_p4: false,
        }
    }

    fn add(&mut self, s: &mut Fx, v: &Val) {
        // Absent items are left out: the update is selected by presence.
        let p = v.p;
        let b = &mut s.b;
        let sel = |b: &mut FunctionBuilder, var: Variable, new: Value| {
            let old = b.use_var(var);
            let x = match p {
                Some(p) => b.ins().select(p, new, old),
                None => new,
            };
            b.def_var(var, x);
        };
        match &v.x {
            X::P4(c) => {
                self.is_int = Some(false);
                self.is_p4 = true;
                for (var, x) in self.p4.iter().zip(c) {
                    let old = b.use_var(*var);
                    let nv = b.ins().fadd(old, *x);
                    sel(b, *var, nv);
                }
            }
            X::I(i) => {
                self.is_int = Some(true);
                let old = b.use_var(self.isum);
                let ni = b.ins().iadd(old, *i);
                sel(b, self.isum, ni);
                let f = b.ins().fcvt_from_sint(F64, *i);
                let old = b.use_var(self.fsum);
                let nf = b.ins().fadd(old, f);
                sel(b, self.fsum, nf);
                let old = b.use_var(self.fprod);
                let np = b.ins().fmul(old, f);
                sel(b, self.fprod, np);
                // min/max on integers
                let has = b.use_var(self.has);
                let e = b.use_var(self.ext_i);
                let m = if self.f == Builtin::ListMax {
                    b.ins().smax(e, *i)
                } else {
                    b.ins().smin(e, *i)
                };
                let m = b.ins().select(has, m, *i);
                sel(b, self.ext_i, m);
            }
            X::F(x) => {
                self.is_int = Some(false);
                let old = b.use_var(self.fsum);
                let nf = b.ins().fadd(old, *x);
                sel(b, self.fsum, nf);
                let old = b.use_var(self.fprod);
                let np = b.ins().fmul(old, *x);
                sel(b, self.fprod, np);
                let has = b.use_var(self.has);
                let e = b.use_var(self.ext);
                let better = if self.f == Builtin::ListMax {
                    b.ins().fcmp(FloatCC::GreaterThan, *x, e)
                } else {
                    b.ins().fcmp(FloatCC::LessThan, *x, e)
                };
                let pick = b.ins().select(better, *x, e);
                let nan = b.ins().fcmp(FloatCC::Unordered, e, *x);
                let q = b.ins().f64const(f64::NAN);
                let m = b.ins().select(nan, q, pick);
                let m = b.ins().select(has, m, *x);
                sel(b, self.ext, m);
            }
            X::B(x) => {
                // Booleans are not numbers: left out (as `V::num` does).
                let _ = x;
                return;
            }
            _ => return,
        }
        let one = b.ins().iconst(I8, 1);
        sel(b, self.has, one);
        let n = b.use_var(self.n);
        let n1 = b.ins().iadd_imm_s(n, 1);
        sel(b, self.n, n1);
    }

    fn finish(&self, s: &mut Fx) -> R<Val> {
        let b = &mut s.b;
        Ok(match self.f {
            Builtin::ListSum if self.p4_result || self.is_p4 => {
                Val::new(X::P4(self.p4.map(|v| b.use_var(v))))
            }
            Builtin::ListSum if self.int_result => Val::new(X::I(b.use_var(self.isum))),
            Builtin::ListSum => Val::new(X::F(b.use_var(self.fsum))),
            Builtin::ListProd => Val::new(X::F(b.use_var(self.fprod))),
            Builtin::ListMean => {
                let n = b.use_var(self.n);
                let nf = b.ins().fcvt_from_sint(F64, n);
                let sum = b.use_var(self.fsum);
                let m = b.ins().fdiv(sum, nf);
                let has = b.use_var(self.has);
                Val {
                    x: X::F(m),
                    p: Some(has),
                }
            }
            Builtin::ListMin | Builtin::ListMax => {
                let has = b.use_var(self.has);
                let x = if self.is_int == Some(true) {
                    let i = b.use_var(self.ext_i);
                    if self.int_result {
                        X::I(i)
                    } else {
                        X::F(b.ins().fcvt_from_sint(F64, i))
                    }
                } else if self.int_result {
                    return Err("an integer extremum of non-integers".into());
                } else {
                    X::F(b.use_var(self.ext))
                };
                Val { x, p: Some(has) }
            }
            _ => return Err("a reduction".into()),
        })
    }
}

/// Compiles `plan` into whole-event kernels, or says which construct is not compiled yet.
pub fn compile(plan: &Plan, hooks: &Hooks, want_clif: bool) -> Result<EventKernels, String> {
    let t0 = std::time::Instant::now();
    let mut fb = settings::builder();
    let set = |fb: &mut settings::Builder, k: &str, v: &str| {
        fb.set(k, v)
            .map_err(|e| format!("cranelift setting {k}={v}: {e}"))
    };
    set(&mut fb, "opt_level", "speed")?;
    set(&mut fb, "use_colocated_libcalls", "false")?;
    set(&mut fb, "is_pic", "false")?;
    let isa = cranelift_native::builder()
        .map_err(|e| format!("no Cranelift back end for this machine: {e}"))?
        .finish(settings::Flags::new(fb))
        .map_err(|e| format!("cranelift ISA: {e}"))?;
    let mut jb = JITBuilder::with_isa(isa, default_libcall_names());
    let symbols: [(&str, *const u8); 24] = [
        ("ev_streq", cb_streq as *const u8),
        ("ev_math1", cb_math1 as *const u8),
        ("ev_pow", cb_pow as *const u8),
        ("ev_atan2", cb_atan2 as *const u8),
        ("ev_fmod", cb_fmod as *const u8),
        ("ev_to_int", cb_to_int as *const u8),
        ("ev_polar", cb_polar as *const u8),
        ("ev_p4fn", cb_p4fn as *const u8),
        ("ev_mt2", cb_mt2 as *const u8),
        ("ev_random", cb_random as *const u8),
        ("ev_sort", cb_sort as *const u8),
        ("ev_begin", hooks.begin as *const u8),
        ("ev_cut", hooks.cut as *const u8),
        ("ev_fill1", hooks.fill1 as *const u8),
        ("ev_fill2", hooks.fill2 as *const u8),
        ("ev_fill3", hooks.fill3 as *const u8),
        ("ev_count", hooks.count as *const u8),
        ("ev_collect_begin", hooks.collect_begin as *const u8),
        ("ev_collect_row", hooks.collect_row as *const u8),
        ("ev_correction", hooks.correction as *const u8),
        ("ev_skim_begin", hooks.skim_begin as *const u8),
        ("ev_skim_value", hooks.skim_value as *const u8),
        ("ev_skim_len", hooks.skim_len as *const u8),
        ("ev_skim_end", hooks.skim_end as *const u8),
    ];
    for (n, p) in symbols {
        jb.symbol(n, p);
    }
    let mut module = JITModule::new(jb);
    let cc = module.isa().default_call_conv();
    let sig = |params: &[CType], ret: Option<CType>| {
        let mut s = Signature::new(cc);
        for p in params {
            s.params.push(AbiParam::new(*p));
        }
        if let Some(r) = ret {
            s.returns.push(AbiParam::new(r));
        }
        s
    };
    let err = |e: cranelift_module::ModuleError| format!("cranelift: {e}");
    let mut import = |name: &str, s: Signature| {
        module
            .declare_function(name, Linkage::Import, &s)
            .map_err(err)
    };
    let imp = Imports {
        math1: import("ev_math1", sig(&[I64, F64], Some(F64)))?,
        pow: import("ev_pow", sig(&[F64, F64], Some(F64)))?,
        atan2: import("ev_atan2", sig(&[F64, F64], Some(F64)))?,
        fmod: import("ev_fmod", sig(&[F64, F64], Some(F64)))?,
        to_int: import("ev_to_int", sig(&[I64, F64], Some(I64)))?,
        polar: import("ev_polar", sig(&[I64, F64, F64, F64, F64], None))?,
        p4fn: import("ev_p4fn", sig(&[I64, I64, I64], Some(F64)))?,
        mt2: import("ev_mt2", sig(&[I64], Some(F64)))?,
        random: import("ev_random", sig(&[I64, I64, I64, I64, F64, F64], Some(F64)))?,
        sort: import("ev_sort", sig(&[I64, I64, I64, I64], None))?,
        streq: import("ev_streq", sig(&[I64, I64, I64, I64], Some(I64)))?,
        begin: import("ev_begin", sig(&[I64], None))?,
        cut: import("ev_cut", sig(&[I64, I64, I64], None))?,
        fill1: import("ev_fill1", sig(&[I64, I64, I64, I64, I64, F64, I64], None))?,
        correction: import("ev_correction", sig(&[I64, I64, I64], Some(I64)))?,
        fill2: import(
            "ev_fill2",
            sig(&[I64, I64, I64, I64, I64, I64, I64, F64, I64], None),
        )?,
        fill3: import(
            "ev_fill3",
            sig(&[I64, I64, I64, I64, I64, I64, I64, F64, I64], None),
        )?,
        count: import("ev_count", sig(&[I64, I64, I64], None))?,
        collect_begin: import("ev_collect_begin", sig(&[I64, I64, I64], Some(I64)))?,
        collect_row: import("ev_collect_row", sig(&[I64, I64, I64], None))?,
        skim_begin: import("ev_skim_begin", sig(&[I64, I64, I64], Some(I64)))?,
        skim_value: import("ev_skim_value", sig(&[I64, I64, I64, I64], None))?,
        skim_len: import("ev_skim_len", sig(&[I64, I64, I64], None))?,
        skim_end: import("ev_skim_end", sig(&[I64, I64, I64], None))?,
        grow_idx_sig: sig(&[I64, I64], Some(I64)),
    };
    let kinematic: Vec<usize> = plan.kinematic().collect();
    let widths = plan.element_widths();
    let site_keys = crate::runtime::random::site_keys(plan);
    let mut u = Unit {
        plan,
        module,
        imp,
        ids: HashMap::new(),
        todo: Vec::new(),
        kernel_sig: sig(&[I64], Some(I64)),
        widths,
        site_keys,
        nctx: kinematic.len() + 1,
        kinematic,
        strings: Vec::new(),
    };
    let chunk_id = u.func(Func::Chunk)?;
    let mut rep_ids: Vec<Vec<FuncId>> = Vec::new();
    for (k, &v) in u.kinematic.clone().iter().enumerate() {
        let n = match &plan.variations[v].kind {
            VariationKind::Kinematic(r) => r.len(),
            VariationKind::Weight(_) => 0,
        };
        rep_ids.push(
            (0..n)
                .map(|j| u.func(Func::Rep(k + 1, j)))
                .collect::<R<_>>()?,
        );
    }
    let frontend = u.module.isa().frontend_config();
    let mut fctx = FunctionBuilderContext::new();
    let mut ctx = u.module.make_context();
    let mut clif = Vec::new();
    let mut functions = 0;
    while let Some(f) = u.todo.pop() {
        let id = u.ids[&f];
        ctx.func.signature = u.kernel_sig.clone();
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            let st = b.block_params(entry)[0];
            let status = b.declare_var(I64);
            let zero = b.ins().iconst(I64, 0);
            b.def_var(status, zero);
            let fail = b.create_block();
            let fctx_ctx = match f {
                Func::Chunk => 0,
                Func::Event(k) | Func::Def(k, _) => k,
                Func::Rep(..) => 0,
            };
            let mut fx = Fx {
                u: &mut u,
                b,
                st,
                ctx: fctx_ctx,
                scopes: Vec::new(),
                status,
                fail,
                refs: HashMap::new(),
                wk: None,
                only_exits: Vec::new(),
            };
            match f {
                Func::Chunk => fx.chunk_body()?,
                Func::Event(_) => fx.event_body()?,
                Func::Def(_, d) => fx.def_body(d)?,
                Func::Rep(slot, j) => fx.rep_body(slot, j)?,
            }
            let z = fx.b.ins().iconst(I64, 0);
            fx.b.ins().return_(&[z]);
            fx.b.switch_to_block(fail);
            let s = fx.b.use_var(status);
            fx.b.ins().return_(&[s]);
            fx.b.seal_all_blocks();
            fx.b.finalize(frontend);
        }
        if want_clif {
            clif.push((format!("{f:?}"), ctx.func.display().to_string()));
        }
        u.module
            .define_function(id, &mut ctx)
            .map_err(|e| match e {
                cranelift_module::ModuleError::Compilation(c) => {
                    format!("cranelift could not compile {f:?}: {c:?}")
                }
                e => format!("cranelift: {e}"),
            })?;
        u.module.clear_context(&mut ctx);
        functions += 1;
    }
    u.module.finalize_definitions().map_err(err)?;
    let get = |m: &JITModule, id: FuncId| -> KernelFn {
        let p = m.get_finalized_function(id);
        // Safety: every function was declared with `kernel_sig`: fn(*mut State) -> i64.
        unsafe { std::mem::transmute::<*const u8, KernelFn>(p) }
    };
    let chunk = get(&u.module, chunk_id);
    let reps = rep_ids
        .iter()
        .map(|v| v.iter().map(|id| get(&u.module, *id)).collect())
        .collect();
    Ok(EventKernels {
        chunk,
        reps,
        def_bytes: u.nctx * plan.defs.len() * SLOT,
        kinematic: u.kinematic.clone(),
        compile_time: t0.elapsed(),
        functions,
        clif,
        _strings: std::mem::take(&mut u.strings),
        _module: super::JitCode(Some(u.module)),
    })
}

//! Cranelift kernels (first step of `anac run` part 2): native code for the scalar expression
//! trees of a plan — object selections (`Jet where pt > 30 and abs(eta) < 2.4`), keys, cut and
//! fill expressions on numbers and booleans — called by the interpreter in place of walking them.
//!
//! Input: an optimised [`Plan`]. Output: [`Kernels`], one native function per compilable node
//! that is worth it (two or more operations). A node is compilable when it and everything under it
//! is a number or a boolean that is never absent: constants, fields of the current elements,
//! per-event scalar branches, `xsec`/`nevts`, arithmetic and bit operations that cannot be absent,
//! comparisons, `and`/`or`/`not`, `if`, and the math builtins. Everything else (collections,
//! four-vectors, absent values, strings, definitions) stays with the interpreter.
//!
//! Invariants: a kernel computes exactly what the interpreter computes (the same `ir::ops`
//! semantics: wrapping integers, IEEE floats without fused multiply-add, libm functions called
//! through the same Rust functions); kernels read memory only through the [`Env`] the
//! interpreter fills for the current event, whose pointers it keeps valid for the call; no kernel
//! can fail or unwind. `anac run --interpret` runs without them.

pub mod event;

use std::collections::HashMap;

use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{AbiParam, InstBuilder, MemFlagsData, Type as CType, Value, types};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module, default_libcall_names};

use crate::io::schema::{ScalarType, Shape};
use crate::ir::ops::{self, Num};
use crate::ir::{Access, Builtin, Math1, NodeId, NodeKind, Plan, SampleValue};
use crate::sema::{Type, Value as SValue};
use crate::syntax::ast::{BinOp, UnOp};

/// What a kernel reads, filled by the interpreter for the current event and context. `repr(C)`:
/// kernels load its fields at fixed offsets.
#[repr(C)]
#[derive(Debug)]
pub struct Env {
    /// Per field of the plan: the data of its column in the current context (f64, i64 or bool).
    pub fields: *const *const u8,
    /// Per collection: the position of the current event's first element in its columns.
    pub coll_first: *const u32,
    /// Per per-event branch: its data (f64, i64 or bool), indexed by the event.
    pub scalars: *const *const u8,
    /// The interpreter's element arena and scope stack (arena starts), innermost last.
    pub idx: *const u32,
    pub elems: *const u32,
    pub n_elems: u64,
    pub ev: u64,
    pub xsec: f64,
    pub nevts: f64,
    pub sumw: f64,
}

impl Default for Env {
    fn default() -> Self {
        Env {
            fields: std::ptr::null(),
            coll_first: std::ptr::null(),
            scalars: std::ptr::null(),
            idx: std::ptr::null(),
            elems: std::ptr::null(),
            n_elems: 0,
            ev: 0,
            xsec: 0.0,
            nevts: 0.0,
            sumw: 0.0,
        }
    }
}

/// The representation of a kernel's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repr {
    I,
    F,
    B,
}

/// A compiled node: a function of the environment returning the value's bits (an `f64`'s bits,
/// an `i64`, or 0/1).
#[derive(Clone, Copy)]
pub struct Kernel {
    pub f: extern "C" fn(*const Env) -> i64,
    pub repr: Repr,
}

/// The compiled kernels of a plan. Keeps the JIT memory alive; dropping it frees the code.
pub struct Kernels {
    /// Per node of the plan.
    pub by_node: Vec<Option<Kernel>>,
    /// Time spent compiling.
    pub compile_time: std::time::Duration,
    _module: JitCode,
}

/// Compiled code, freed on drop. Whoever holds the function pointers holds this, and calls
/// them only while they borrow it.
pub(crate) struct JitCode(pub(crate) Option<JITModule>);

impl Drop for JitCode {
    fn drop(&mut self) {
        if let Some(m) = self.0.take() {
            // Safety: every function pointer into this module lives in the struct that owns
            // this `JitCode` and is dropped with it.
            unsafe { m.free_memory() };
        }
    }
}

// Kernels are plain functions of their argument; sharing them between threads is safe.
unsafe impl Send for Kernels {}
unsafe impl Sync for Kernels {}

impl std::fmt::Debug for Kernels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.by_node.iter().filter(|k| k.is_some()).count();
        write!(f, "Kernels({n} compiled)")
    }
}

// ---- call-outs: libm functions through the same Rust code the interpreter uses -------------

extern "C" fn cb_math1(op: i64, x: f64) -> f64 {
    // `op` is an index into MATH1_ORDER written by `Gen::call`.
    let m = MATH1_ORDER.get(op as usize).copied().unwrap_or(Math1::Abs);
    ops::math1(m, Num::F(x)).f()
}

extern "C" fn cb_pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

extern "C" fn cb_atan2(y: f64, x: f64) -> f64 {
    y.atan2(x)
}

pub(crate) const MATH1_ORDER: [Math1; 18] = [
    Math1::Abs,
    Math1::Sqrt,
    Math1::Exp,
    Math1::Log,
    Math1::Log10,
    Math1::Sin,
    Math1::Cos,
    Math1::Tan,
    Math1::Asin,
    Math1::Acos,
    Math1::Atan,
    Math1::Sinh,
    Math1::Cosh,
    Math1::Tanh,
    Math1::Floor,
    Math1::Ceil,
    Math1::Round,
    Math1::NormalQuantile,
];

pub(crate) fn math_index(m: Math1) -> i64 {
    MATH1_ORDER.iter().position(|x| *x == m).unwrap_or(0) as i64
}

// ---- which nodes compile --------------------------------------------------------------------

fn repr_of(t: &Type) -> Option<Repr> {
    match t {
        Type::Int => Some(Repr::I),
        Type::Float => Some(Repr::F),
        Type::Bool => Some(Repr::B),
        _ => None,
    }
}

fn scalar_repr(t: ScalarType) -> Option<Repr> {
    match t {
        ScalarType::F32 | ScalarType::F64 => Some(Repr::F),
        ScalarType::Bool => Some(Repr::B),
        ScalarType::Str => None,
        _ => Some(Repr::I),
    }
}

/// Per node: whether it compiles, and how many operations its tree has.
fn analyse(plan: &Plan) -> Vec<Option<usize>> {
    let mut ok: Vec<Option<usize>> = vec![None; plan.nodes.len()];
    for i in 0..plan.nodes.len() {
        let node = &plan.nodes[i];
        if repr_of(&node.ty).is_none() {
            continue;
        }
        let sub = |id: &NodeId| ok[id.0 as usize];
        let size = match &node.kind {
            NodeKind::Const(SValue::Int(_) | SValue::Float(_) | SValue::Bool(_)) => Some(0),
            // `sample.is_data` is left to the interpreter on this fallback path.
            NodeKind::SampleValue(SampleValue::IsData | SampleValue::Test(_)) => None,
            NodeKind::SampleValue(_) => Some(0),
            NodeKind::Scalar(s) => {
                let info = &plan.scalars[s.0 as usize];
                (info.shape == Shape::Scalar && scalar_repr(info.ty).is_some()).then_some(0)
            }
            NodeKind::Field {
                access: Access::Field { field, .. },
                ..
            } => scalar_repr(plan.fields[field.0 as usize].ty).map(|_| 1),
            NodeKind::Unary { a, .. } => sub(a).map(|n| n + 1),
            NodeKind::Binary { op, a, b } => match op {
                BinOp::Coalesce | BinOp::Rem | BinOp::Shl | BinOp::Shr => None,
                _ => [sub(a), sub(b)]
                    .into_iter()
                    .sum::<Option<usize>>()
                    .map(|n| n + 1),
            },
            NodeKind::If {
                cond,
                then,
                otherwise,
            } => [sub(cond), sub(then), sub(otherwise)]
                .into_iter()
                .sum::<Option<usize>>()
                .map(|n| n + 1),
            NodeKind::Call {
                func:
                    Builtin::Math1(_)
                    | Builtin::Pow
                    | Builtin::Atan2
                    | Builtin::MinN
                    | Builtin::MaxN
                    | Builtin::ToFloat,
                args,
            } => args.iter().map(sub).sum::<Option<usize>>().map(|n| n + 1),
            _ => None,
        };
        ok[i] = size;
    }
    ok
}

// ---- code generation ------------------------------------------------------------------------

struct Gen<'a, 'b> {
    plan: &'a Plan,
    b: FunctionBuilder<'b>,
    env: Value,
    math1: cranelift_codegen::ir::FuncRef,
    pow: cranelift_codegen::ir::FuncRef,
    atan2: cranelift_codegen::ir::FuncRef,
}

const PTR: CType = types::I64;

fn flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

impl Gen<'_, '_> {
    fn env_field(&mut self, offset: usize, ty: CType) -> Value {
        self.b.ins().load(ty, flags(), self.env, offset as i32)
    }

    /// Loads element `i` (an i64 index) of a column of representation `r` at `base`.
    fn load_col(&mut self, base: Value, i: Value, r: Repr) -> (Value, Repr) {
        let size = if r == Repr::B { 1 } else { 8 };
        let off = self.b.ins().imul_imm_s(i, size);
        let addr = self.b.ins().iadd(base, off);
        match r {
            Repr::F => (self.b.ins().load(types::F64, flags(), addr, 0), Repr::F),
            Repr::I => (self.b.ins().load(types::I64, flags(), addr, 0), Repr::I),
            Repr::B => (self.b.ins().load(types::I8, flags(), addr, 0), Repr::B),
        }
    }

    fn as_float(&mut self, v: (Value, Repr)) -> Value {
        match v.1 {
            Repr::F => v.0,
            Repr::I => self.b.ins().fcvt_from_sint(types::F64, v.0),
            Repr::B => {
                let w = self.b.ins().uextend(types::I64, v.0);
                self.b.ins().fcvt_from_sint(types::F64, w)
            }
        }
    }

    /// The value of node `id` (compilable by `analyse`).
    fn node(&mut self, id: NodeId) -> Option<(Value, Repr)> {
        let plan = self.plan;
        let node = &plan.nodes[id.0 as usize];
        let want = repr_of(&node.ty).unwrap_or(Repr::F);
        let v = match &node.kind {
            NodeKind::Const(SValue::Int(i)) => (self.b.ins().iconst(types::I64, *i), Repr::I),
            NodeKind::Const(SValue::Float(x)) => (self.b.ins().f64const(*x), Repr::F),
            NodeKind::Const(SValue::Bool(x)) => {
                (self.b.ins().iconst(types::I8, i64::from(*x)), Repr::B)
            }
            NodeKind::SampleValue(which) => {
                let off = match which {
                    SampleValue::Xsec => std::mem::offset_of!(Env, xsec),
                    SampleValue::Nevts => std::mem::offset_of!(Env, nevts),
                    SampleValue::Sumw => std::mem::offset_of!(Env, sumw),
                    SampleValue::IsData | SampleValue::Test(_) => return None,
                };
                (self.env_field(off, types::F64), Repr::F)
            }
            NodeKind::Scalar(s) => {
                let info = &plan.scalars[s.0 as usize];
                let r = scalar_repr(info.ty).unwrap_or(Repr::F);
                let table = self.env_field(std::mem::offset_of!(Env, scalars), PTR);
                let base = self.b.ins().load(PTR, flags(), table, (s.0 as i32) * 8);
                let ev = self.env_field(std::mem::offset_of!(Env, ev), types::I64);
                self.load_col(base, ev, r)
            }
            NodeKind::Field {
                depth,
                access: Access::Field { leaf, field },
            } => {
                let info = &plan.fields[field.0 as usize];
                let r = scalar_repr(info.ty).unwrap_or(Repr::F);
                // element start = elems[n_elems - 1 - depth]; index = idx[start + leaf]
                let elems = self.env_field(std::mem::offset_of!(Env, elems), PTR);
                let n = self.env_field(std::mem::offset_of!(Env, n_elems), types::I64);
                let k = self.b.ins().iadd_imm_s(n, -1 - i64::from(*depth));
                let k4 = self.b.ins().imul_imm_s(k, 4);
                let at = self.b.ins().iadd(elems, k4);
                let start = self.b.ins().load(types::I32, flags(), at, 0);
                let start = self.b.ins().uextend(types::I64, start);
                let pos = self.b.ins().iadd_imm_s(start, i64::from(*leaf));
                let idx = self.env_field(std::mem::offset_of!(Env, idx), PTR);
                let p4 = self.b.ins().imul_imm_s(pos, 4);
                let at = self.b.ins().iadd(idx, p4);
                let i = self.b.ins().load(types::I32, flags(), at, 0);
                let i = self.b.ins().uextend(types::I64, i);
                let firsts = self.env_field(std::mem::offset_of!(Env, coll_first), PTR);
                let first =
                    self.b
                        .ins()
                        .load(types::I32, flags(), firsts, (info.coll.0 as i32) * 4);
                let first = self.b.ins().uextend(types::I64, first);
                let row = self.b.ins().iadd(first, i);
                let table = self.env_field(std::mem::offset_of!(Env, fields), PTR);
                let base = self.b.ins().load(PTR, flags(), table, (field.0 as i32) * 8);
                self.load_col(base, row, r)
            }
            NodeKind::Unary { op, a } => {
                let x = self.node(*a)?;
                match (op, x.1) {
                    (UnOp::Not, _) => (self.b.ins().bxor_imm_s(x.0, 1), Repr::B),
                    (UnOp::Neg, Repr::I) => (self.b.ins().ineg(x.0), Repr::I),
                    (UnOp::Neg, _) => {
                        let f = self.as_float(x);
                        (self.b.ins().fneg(f), Repr::F)
                    }
                    (UnOp::BitNot, _) => (self.b.ins().bnot(x.0), Repr::I),
                }
            }
            NodeKind::Binary { op, a, b } => {
                let x = self.node(*a)?;
                let y = self.node(*b)?;
                self.binary(*op, x, y)
            }
            NodeKind::If {
                cond,
                then,
                otherwise,
            } => {
                // Pure operands: evaluate both and select.
                let c = self.node(*cond)?;
                let t = self.node(*then)?;
                let e = self.node(*otherwise)?;
                let (t, e, r) = if t.1 == e.1 {
                    (t.0, e.0, t.1)
                } else {
                    (self.as_float(t), self.as_float(e), Repr::F)
                };
                (self.b.ins().select(c.0, t, e), r)
            }
            NodeKind::Call { func, args } => self.call(*func, args)?,
            _ => return None,
        };
        // Integers mixed with floats are floats (as `eval::promote`).
        Some(if want == Repr::F && v.1 != Repr::F {
            (self.as_float(v), Repr::F)
        } else {
            v
        })
    }

    fn binary(&mut self, op: BinOp, x: (Value, Repr), y: (Value, Repr)) -> (Value, Repr) {
        use BinOp::*;
        let ints = x.1 != Repr::F && y.1 != Repr::F;
        match op {
            And => (self.b.ins().band(x.0, y.0), Repr::B),
            Or => (self.b.ins().bor(x.0, y.0), Repr::B),
            Eq | Ne | Lt | Le | Gt | Ge => {
                let v = if ints {
                    let cc = match op {
                        Eq => IntCC::Equal,
                        Ne => IntCC::NotEqual,
                        Lt => IntCC::SignedLessThan,
                        Le => IntCC::SignedLessThanOrEqual,
                        Gt => IntCC::SignedGreaterThan,
                        _ => IntCC::SignedGreaterThanOrEqual,
                    };
                    self.b.ins().icmp(cc, x.0, y.0)
                } else {
                    let cc = match op {
                        Eq => FloatCC::Equal,
                        Ne => FloatCC::NotEqual,
                        Lt => FloatCC::LessThan,
                        Le => FloatCC::LessThanOrEqual,
                        Gt => FloatCC::GreaterThan,
                        _ => FloatCC::GreaterThanOrEqual,
                    };
                    let (a, b) = (self.as_float(x), self.as_float(y));
                    self.b.ins().fcmp(cc, a, b)
                };
                (v, Repr::B)
            }
            BitAnd => (self.b.ins().band(x.0, y.0), Repr::I),
            BitOr => (self.b.ins().bor(x.0, y.0), Repr::I),
            BitXor => (self.b.ins().bxor(x.0, y.0), Repr::I),
            Add | Sub | Mul if ints => {
                let v = match op {
                    Add => self.b.ins().iadd(x.0, y.0),
                    Sub => self.b.ins().isub(x.0, y.0),
                    _ => self.b.ins().imul(x.0, y.0),
                };
                (v, Repr::I)
            }
            _ => {
                let (a, b) = (self.as_float(x), self.as_float(y));
                let v = match op {
                    Add => self.b.ins().fadd(a, b),
                    Sub => self.b.ins().fsub(a, b),
                    Mul => self.b.ins().fmul(a, b),
                    _ => self.b.ins().fdiv(a, b),
                };
                (v, Repr::F)
            }
        }
    }

    fn call(&mut self, func: Builtin, args: &[NodeId]) -> Option<(Value, Repr)> {
        Some(match func {
            Builtin::Math1(m) => {
                let x = self.node(args[0])?;
                match (m, x.1) {
                    (Math1::Abs, Repr::I) => {
                        let neg = self.b.ins().ineg(x.0);
                        let lt = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, x.0, 0);
                        (self.b.ins().select(lt, neg, x.0), Repr::I)
                    }
                    (Math1::Abs, _) => {
                        let f = self.as_float(x);
                        (self.b.ins().fabs(f), Repr::F)
                    }
                    (Math1::Sqrt, _) => {
                        let f = self.as_float(x);
                        (self.b.ins().sqrt(f), Repr::F)
                    }
                    _ => {
                        let f = self.as_float(x);
                        let k = self.b.ins().iconst(types::I64, math_index(m));
                        let c = self.b.ins().call(self.math1, &[k, f]);
                        (self.b.inst_results(c)[0], Repr::F)
                    }
                }
            }
            Builtin::Pow | Builtin::Atan2 => {
                let x = self.node(args[0])?;
                let y = self.node(args[1])?;
                let (a, b) = (self.as_float(x), self.as_float(y));
                let f = if func == Builtin::Pow {
                    self.pow
                } else {
                    self.atan2
                };
                let c = self.b.ins().call(f, &[a, b]);
                (self.b.inst_results(c)[0], Repr::F)
            }
            Builtin::MinN | Builtin::MaxN => {
                let max = func == Builtin::MaxN;
                let mut acc = self.node(args[0])?;
                for a in &args[1..] {
                    let y = self.node(*a)?;
                    acc = self.min_max(max, acc, y);
                }
                acc
            }
            Builtin::ToFloat => {
                let x = self.node(args[0])?;
                (self.as_float(x), Repr::F)
            }
            _ => return None,
        })
    }

    /// `ops::min_max`: integers compare as integers; floats propagate NaN, else the larger
    /// (smaller) with the first kept on ties.
    fn min_max(&mut self, max: bool, x: (Value, Repr), y: (Value, Repr)) -> (Value, Repr) {
        if x.1 != Repr::F && y.1 != Repr::F {
            let v = if max {
                self.b.ins().smax(x.0, y.0)
            } else {
                self.b.ins().smin(x.0, y.0)
            };
            return (v, Repr::I);
        }
        let (a, b) = (self.as_float(x), self.as_float(y));
        let better = if max {
            self.b.ins().fcmp(FloatCC::GreaterThan, b, a)
        } else {
            self.b.ins().fcmp(FloatCC::LessThan, b, a)
        };
        let pick = self.b.ins().select(better, b, a);
        let nan = self.b.ins().fcmp(FloatCC::Unordered, a, b);
        let qnan = self.b.ins().f64const(f64::NAN);
        (self.b.ins().select(nan, qnan, pick), Repr::F)
    }
}

/// Compiles the kernels of `plan`.
pub fn compile(plan: &Plan) -> Result<Kernels, String> {
    compile_inner(plan, None)
}

/// Compiles the kernels of `plan` and returns the Cranelift IR (CLIF) of each, by node
/// (`anac ir --asm`).
pub fn compile_with_clif(plan: &Plan) -> Result<(Kernels, Vec<(usize, String)>), String> {
    let mut clif = Vec::new();
    let k = compile_inner(plan, Some(&mut clif))?;
    Ok((k, clif))
}

fn compile_inner(
    plan: &Plan,
    mut clif: Option<&mut Vec<(usize, String)>>,
) -> Result<Kernels, String> {
    let t0 = std::time::Instant::now();
    let sizes = analyse(plan);
    // A node is worth a kernel when its tree has two operations or more and it is not only a
    // part of a larger compiled tree that is always evaluated through its parent... every
    // compilable node may also be reached on its own (nodes are shared), so each gets one.
    let targets: Vec<usize> = (0..plan.nodes.len())
        .filter(|&i| sizes[i].is_some_and(|n| n >= 2))
        .collect();
    let mut by_node: Vec<Option<Kernel>> = vec![None; plan.nodes.len()];
    if targets.is_empty() {
        return Ok(Kernels {
            by_node,
            compile_time: t0.elapsed(),
            _module: JitCode(None),
        });
    }
    let mut flag_builder = settings::builder();
    let set = |fb: &mut settings::Builder, k: &str, v: &str| {
        fb.set(k, v)
            .map_err(|e| format!("cranelift setting {k}={v}: {e}"))
    };
    set(&mut flag_builder, "opt_level", "speed")?;
    set(&mut flag_builder, "use_colocated_libcalls", "false")?;
    set(&mut flag_builder, "is_pic", "false")?;
    let isa = cranelift_native::builder()
        .map_err(|e| format!("no Cranelift back end for this machine: {e}"))?
        .finish(settings::Flags::new(flag_builder))
        .map_err(|e| format!("cranelift ISA: {e}"))?;
    let mut jb = JITBuilder::with_isa(isa, default_libcall_names());
    jb.symbol("anac_math1", cb_math1 as *const u8);
    jb.symbol("anac_pow", cb_pow as *const u8);
    jb.symbol("anac_atan2", cb_atan2 as *const u8);
    let mut module = JITModule::new(jb);
    let call_conv = module.isa().default_call_conv();
    let sig = |params: &[CType], ret: CType| {
        let mut s = cranelift_codegen::ir::Signature::new(call_conv);
        for p in params {
            s.params.push(AbiParam::new(*p));
        }
        s.returns.push(AbiParam::new(ret));
        s
    };
    let err = |e: cranelift_module::ModuleError| format!("cranelift: {e}");
    let math1_id = module
        .declare_function(
            "anac_math1",
            Linkage::Import,
            &sig(&[types::I64, types::F64], types::F64),
        )
        .map_err(err)?;
    let pow_id = module
        .declare_function(
            "anac_pow",
            Linkage::Import,
            &sig(&[types::F64, types::F64], types::F64),
        )
        .map_err(err)?;
    let atan2_id = module
        .declare_function(
            "anac_atan2",
            Linkage::Import,
            &sig(&[types::F64, types::F64], types::F64),
        )
        .map_err(err)?;
    let kernel_sig = sig(&[PTR], types::I64);
    let frontend = module.isa().frontend_config();
    let mut fctx = FunctionBuilderContext::new();
    let mut ctx = module.make_context();
    let mut ids: HashMap<usize, (FuncId, Repr)> = HashMap::new();
    for &i in &targets {
        let id = module
            .declare_function(&format!("node{i}"), Linkage::Local, &kernel_sig)
            .map_err(err)?;
        ctx.func.signature = kernel_sig.clone();
        let repr;
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            b.seal_block(entry);
            let env = b.block_params(entry)[0];
            let math1 = module.declare_func_in_func(math1_id, b.func);
            let pow = module.declare_func_in_func(pow_id, b.func);
            let atan2 = module.declare_func_in_func(atan2_id, b.func);
            let mut g = Gen {
                plan,
                b,
                env,
                math1,
                pow,
                atan2,
            };
            let (v, r) = g.node(NodeId(i as u32)).ok_or_else(|| {
                format!("internal: node %{i} was admitted for compilation but has no kernel")
            })?;
            repr = r;
            let bits = match r {
                Repr::F => g.b.ins().bitcast(types::I64, MemFlagsData::new(), v),
                Repr::I => v,
                Repr::B => g.b.ins().uextend(types::I64, v),
            };
            g.b.ins().return_(&[bits]);
            g.b.finalize(frontend);
        }
        if let Some(out) = clif.as_deref_mut() {
            out.push((i, ctx.func.display().to_string()));
        }
        module.define_function(id, &mut ctx).map_err(err)?;
        module.clear_context(&mut ctx);
        ids.insert(i, (id, repr));
    }
    module.finalize_definitions().map_err(err)?;
    for (i, (id, repr)) in ids {
        let ptr = module.get_finalized_function(id);
        // Safety: `ptr` is a finalized function with the signature `fn(*const Env) -> i64`
        // declared above, valid until `module` is freed (with `Kernels`).
        let f: extern "C" fn(*const Env) -> i64 = unsafe { std::mem::transmute(ptr) };
        by_node[i] = Some(Kernel { f, repr });
    }
    Ok(Kernels {
        by_node,
        compile_time: t0.elapsed(),
        _module: JitCode(Some(module)),
    })
}

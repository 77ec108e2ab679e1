//! Running a unit's chunks through the whole-event kernels (`codegen::event`).
//!
//! Input: a loaded [`Chunk`] and the compiled [`EventKernels`]. Output: the unit's accumulators
//! filled exactly as the interpreter fills them (same events, same order, same arithmetic).
//! This module owns the kernels' [`State`] and its buffers, points it at each chunk's columns,
//! computes the kinematic replacement columns with the replacement kernels, runs the chunk
//! kernel, and implements the [`Hooks`] the kernels call to fill histograms, counters, event
//! lists and the cutflow.
//!
//! Invariants: the state's pointers are valid for the whole kernel call (the chunk is not
//! touched while a kernel runs; buffers move only inside the `grow` call-outs, which update the
//! state); a hook never panics across the kernel's frames (indices come from the plan the
//! kernels were compiled from).

use super::accum::{CVal, FillVal, HistAcc, cell, flat};
use super::columns::{Chunk, Data};
use super::engine::{RunErrorKind, UnitResult};
use super::eval::SampleCtx;
use super::units::{Job, OutKind};
use crate::codegen::event::{EventKernels, Fault, Hooks, State};
use crate::io::schema::ScalarType;
use crate::ir::ops::Num;
use crate::ir::{NodeKind, Plan, VariationKind};
use crate::sema::Type;

/// The hooks handed to the compiler.
pub const HOOKS: Hooks = Hooks {
    begin: hook_begin,
    cut: hook_cut,
    fill1: hook_fill1,
    fill2: hook_fill2,
    fill3: hook_fill3,
    count: hook_count,
    collect_begin: hook_collect_begin,
    collect_row: hook_collect_row,
    correction: hook_correction,
    skim_begin: hook_skim_begin,
    skim_value: hook_skim_value,
    skim_len: hook_skim_len,
    skim_end: hook_skim_end,
};

/// What the hooks and the `grow` call-outs reach through `State::host`.
struct Host {
    plan: *const Plan,
    res: *mut UnitResult,
    /// Per context slot: (output index, weight variation).
    targets: Vec<Vec<(usize, Option<usize>)>>,
    idx: Vec<u32>,
    keys: Vec<f64>,
    kel: Vec<u32>,
    /// Why the last correction call failed (`Fault::Correction`).
    correction_error: Option<String>,
    /// The skim row being built: per column its values, per group its list length.
    skim_values: Vec<Vec<FillVal<'static>>>,
    skim_lens: Vec<u32>,
}

/// A unit's kernel state and buffers.
pub struct Native<'k> {
    k: &'k EventKernels,
    state: Box<State>,
    host: Box<Host>,
    defs: Vec<u64>,
    first: Vec<u64>,
    fac: Vec<f64>,
    row: Vec<u64>,
    fields: Vec<*const u8>,
    scalars: Vec<*const u8>,
    scalar_offs: Vec<*const u32>,
    scalar_inner: Vec<*const u32>,
    colls: Vec<*const u32>,
    ctx_on: Vec<u8>,
    wvar_on: Vec<u8>,
    /// Per `Plan::sample_tests`: whether it holds for this job's sample.
    sample_tests: Vec<u8>,
    /// Four-vector caches per context slot and collection, and their pointer table.
    p4c: Vec<Vec<u64>>,
    /// (offsets, bytes) of each string column, which the pointer tables point at.
    str_desc: Vec<[*const u8; 2]>,
    p4c_ptrs: Vec<*mut u64>,
    /// Per job context (1-based, `job.kinematic` order): the kernels' context slot.
    slots: Vec<usize>,
}

/// An error met by a kernel: kind, message, entry.
pub type NativeError = (RunErrorKind, String, Option<u64>);

extern "C" fn grow_idx(st: *mut State, need: u64) -> u64 {
    // Safety: `st` is the state of a running kernel; its host is a live `Host`.
    let s = unsafe { &mut *st };
    let h = unsafe { &mut *(s.host as *mut Host) };
    if need > u32::MAX as u64 {
        return 1;
    }
    let n = (need as usize).max(h.idx.len() * 2).max(1024);
    h.idx.resize(n, 0);
    s.idx = h.idx.as_mut_ptr();
    s.idx_cap = n as u64;
    0
}

extern "C" fn grow_keys(st: *mut State, need: u64) -> u64 {
    // Safety: as `grow_idx`.
    let s = unsafe { &mut *st };
    let h = unsafe { &mut *(s.host as *mut Host) };
    if need > u32::MAX as u64 {
        return 1;
    }
    let n = (need as usize).max(h.keys.len() * 2).max(256);
    h.keys.resize(n, 0.0);
    h.kel.resize(n, 0);
    s.keys = h.keys.as_mut_ptr();
    s.kel = h.kel.as_mut_ptr();
    s.keys_cap = n as u64;
    0
}

/// The host, result and plan of a running kernel's state.
///
/// Safety: only called from hooks, while `run_chunk` holds the unit result and the plan.
unsafe fn parts<'a>(st: *mut State) -> (&'a State, &'a mut Host, &'a mut UnitResult, &'a Plan) {
    unsafe {
        let s = &*st;
        let h = &mut *(s.host as *mut Host);
        let res = &mut *h.res;
        let plan = &*h.plan;
        (s, h, res, plan)
    }
}

/// The fill weight of a target: the context's event weight, times a variation's factor, times
/// the current region's weights (as the interpreter, in that order).
fn weight(s: &State, factor: Option<usize>) -> f64 {
    let w = match factor {
        None => s.w,
        // Safety: `fac` has one entry per variation of the plan.
        Some(v) => s.w * unsafe { *s.fac.add(v) },
    };
    w * s.scale
}

/// A fill weight times the histogram's own weight, when it has one (as the interpreter).
fn with_hist_weight(w: f64, hw: f64, has: i64) -> f64 {
    if has != 0 { w * hw } else { w }
}

extern "C" fn hook_begin(st: *mut State) {
    // Safety: see `parts`.
    let (s, _, res, _) = unsafe { parts(st) };
    res.max_weight = res.max_weight.max(s.w.abs());
    let row = &mut res.cutflow.common[0];
    row.0 += 1;
    row.1 += s.w;
}

extern "C" fn hook_cut(st: *mut State, region: i64, k: i64) {
    // Safety: see `parts`.
    let (s, _, res, _) = unsafe { parts(st) };
    let row = if region < 0 {
        res.cutflow.common.get_mut(k as usize)
    } else {
        res.cutflow
            .regions
            .get_mut(region as usize)
            .and_then(|r| r.get_mut(k as usize))
    };
    if let Some(row) = row {
        row.0 += 1;
        row.1 += s.w;
    }
}

/// A fill value; strings are (pointer, length) in `State::sx` at the axis.
fn fill_val(s: &State, axis: usize, kind: i64, bits: i64) -> Option<FillVal<'_>> {
    match kind {
        1 => Some(FillVal::I(bits)),
        2 => Some(FillVal::F(f64::from_bits(bits as u64))),
        // Safety: the kernel stored the bytes' pointer and length of a live column or constant.
        3 => Some(FillVal::S(unsafe {
            std::slice::from_raw_parts(s.sx[2 * axis] as *const u8, s.sx[2 * axis + 1] as usize)
        })),
        _ => None,
    }
}

/// A profile's averaged value for histogram `h`, from `State::pv`: `Some(None)` for a histogram,
/// `None` when absent.
fn profile_of(s: &State, plan: &Plan, h: usize) -> Option<Option<f64>> {
    if plan.hists[h].profile.is_none() {
        return Some(None);
    }
    match s.pv[0] {
        1 => Some(Some(s.pv[1] as f64)),
        2 => Some(Some(f64::from_bits(s.pv[1] as u64))),
        _ => None,
    }
}

/// One fill of weight `w` in `cell` (a profile's with value `y`), as the interpreter's.
fn fill_acc(acc: &mut HistAcc, cell: usize, w: f64, y: Option<f64>, nan: bool) {
    match y {
        Some(y) => acc.add_profile(cell, w, y),
        None => acc.add(cell, w),
    }
    acc.nan += (nan || y.is_some_and(f64::is_nan)) as u64;
}

extern "C" fn hook_fill1(
    st: *mut State,
    h: i64,
    ctx: i64,
    kind: i64,
    bits: i64,
    hw: f64,
    has: i64,
) {
    // Safety: see `parts`.
    let (s, host, res, plan) = unsafe { parts(st) };
    let h = h as usize;
    let targets = &host.targets[ctx as usize];
    let (Some(v), Some(y)) = (fill_val(s, 0, kind, bits), profile_of(s, plan, h)) else {
        for &(o, _) in targets {
            res.outputs[o].hists[h].skipped += 1;
        }
        return;
    };
    let (c, nan) = cell(&plan.hists[h].axes[0].kind, v);
    for &(o, f) in targets {
        let acc = &mut res.outputs[o].hists[h];
        fill_acc(acc, c, with_hist_weight(weight(s, f), hw, has), y, nan);
    }
}

#[allow(clippy::too_many_arguments)]
extern "C" fn hook_fill2(
    st: *mut State,
    h: i64,
    ctx: i64,
    kx: i64,
    bx: i64,
    ky: i64,
    by: i64,
    hw: f64,
    has: i64,
) {
    // Safety: see `parts`.
    let (s, host, res, plan) = unsafe { parts(st) };
    let h = h as usize;
    let targets = &host.targets[ctx as usize];
    let (Some(x), Some(y), Some(z)) = (
        fill_val(s, 0, kx, bx),
        fill_val(s, 1, ky, by),
        profile_of(s, plan, h),
    ) else {
        for &(o, _) in targets {
            res.outputs[o].hists[h].skipped += 1;
        }
        return;
    };
    let spec = &plan.hists[h];
    let (cx, nx) = cell(&spec.axes[0].kind, x);
    let (cy, ny) = cell(&spec.axes[1].kind, y);
    let at = flat(&spec.axes, &[cx, cy]);
    for &(o, f) in targets {
        let acc = &mut res.outputs[o].hists[h];
        fill_acc(
            acc,
            at,
            with_hist_weight(weight(s, f), hw, has),
            z,
            nx || ny,
        );
    }
}

#[allow(clippy::too_many_arguments)]
extern "C" fn hook_fill3(
    st: *mut State,
    h: i64,
    ctx: i64,
    kx: i64,
    bx: i64,
    ky: i64,
    by: i64,
    hw: f64,
    has: i64,
) {
    // Safety: see `parts`.
    let (s, host, res, plan) = unsafe { parts(st) };
    let h = h as usize;
    let targets = &host.targets[ctx as usize];
    let (Some(x), Some(y), Some(z)) = (
        fill_val(s, 0, kx, bx),
        fill_val(s, 1, ky, by),
        fill_val(s, 2, s.fz[0], s.fz[1]),
    ) else {
        for &(o, _) in targets {
            res.outputs[o].hists[h].skipped += 1;
        }
        return;
    };
    let spec = &plan.hists[h];
    let (cx, nx) = cell(&spec.axes[0].kind, x);
    let (cy, ny) = cell(&spec.axes[1].kind, y);
    let (cz, nz) = cell(&spec.axes[2].kind, z);
    let at = flat(&spec.axes, &[cx, cy, cz]);
    for &(o, f) in targets {
        let acc = &mut res.outputs[o].hists[h];
        acc.add(at, with_hist_weight(weight(s, f), hw, has));
        acc.nan += (nx || ny || nz) as u64;
    }
}

extern "C" fn hook_count(st: *mut State, c: i64, ctx: i64) {
    // Safety: see `parts`.
    let (s, host, res, _) = unsafe { parts(st) };
    for &(o, f) in &host.targets[ctx as usize] {
        res.outputs[o].counters[c as usize].add(weight(s, f));
    }
}

extern "C" fn hook_correction(st: *mut State, node: i64, bits: *const u64) -> i64 {
    // Safety: see `parts` (no accumulator is touched here).
    let (host, plan) = unsafe {
        let h = &mut *((*st).host as *mut Host);
        let plan = &*h.plan;
        (h, plan)
    };
    let NodeKind::Correction { corr, args } = &plan.nodes[node as usize].kind else {
        host.correction_error = Some(format!("node %{node} is not a correction call"));
        return 0;
    };
    let mut num = |k: usize| -> Result<Option<Num>, String> {
        // Safety: the kernel stored every numeric argument's bits at its slot.
        let b = unsafe { bits.add(k).read() };
        let int = *plan.nodes[args[k].0 as usize].ty.unwrap_optional().0 == Type::Int;
        Ok(Some(if int {
            Num::I(b as i64)
        } else {
            Num::F(f64::from_bits(b))
        }))
    };
    match super::correct::evaluate(plan, *corr, args, &mut num) {
        Ok(Some(x)) => {
            // Safety: `st` is the state the kernel was called with.
            unsafe { (*st).p4tmp[0] = x };
            1
        }
        Ok(None) => {
            host.correction_error = Some("a correction input was absent".into());
            0
        }
        Err(m) => {
            host.correction_error = Some(m);
            0
        }
    }
}

extern "C" fn hook_skim_begin(st: *mut State, k: i64, ctx: i64) -> i64 {
    // Safety: see `parts`.
    let (_, host, _, plan) = unsafe { parts(st) };
    let spec = &plan.skims[k as usize];
    let cols: usize = spec.groups.iter().map(|g| g.columns.len()).sum();
    let nominal = ctx == 0 && host.targets[0].iter().any(|&(_, f)| f.is_none());
    if host.skim_values.len() < cols {
        host.skim_values.resize(cols, Vec::new());
    }
    for v in &mut host.skim_values[..cols] {
        v.clear();
    }
    host.skim_lens.clear();
    host.skim_lens.resize(spec.groups.len(), 0);
    i64::from(nominal)
}

extern "C" fn hook_skim_value(st: *mut State, col: i64, kind: i64, bits: i64) {
    // Safety: see `parts`.
    let (_, host, _, _) = unsafe { parts(st) };
    let v = match kind {
        2 => FillVal::F(f64::from_bits(bits as u64)),
        _ => FillVal::I(bits),
    };
    host.skim_values[col as usize].push(v);
}

extern "C" fn hook_skim_len(st: *mut State, g: i64, n: i64) {
    // Safety: see `parts`.
    let (_, host, _, _) = unsafe { parts(st) };
    host.skim_lens[g as usize] = n as u32;
}

extern "C" fn hook_skim_end(st: *mut State, k: i64, _ctx: i64) {
    // Safety: see `parts`.
    let (s, host, res, plan) = unsafe { parts(st) };
    let k = k as usize;
    let spec = &plan.skims[k];
    let w = weight(s, None);
    for &(o, f) in &host.targets[0] {
        if f.is_some() {
            continue;
        }
        let acc = &mut res.outputs[o].skims[k];
        acc.weight.push(w);
        let mut col = 0;
        for (gi, g) in spec.groups.iter().enumerate() {
            if g.counter.is_some() {
                acc.lengths[gi].push(host.skim_lens[gi]);
            }
            for data in acc.columns[gi].iter_mut() {
                for v in &host.skim_values[col] {
                    // The kernels pass each column the kind lowering gave it.
                    let taken = data.push(*v);
                    debug_assert!(taken, "a skimmed value of the wrong kind");
                }
                col += 1;
            }
        }
    }
}

extern "C" fn hook_collect_begin(st: *mut State, c: i64, ctx: i64) -> i64 {
    // Safety: see `parts`.
    let (_, host, res, plan) = unsafe { parts(st) };
    let c = c as usize;
    let spec = &plan.collects[c];
    let targets = &host.targets[ctx as usize];
    let full = targets.iter().all(|&(o, _)| {
        spec.max
            .is_some_and(|m| res.outputs[o].collects[c].rows.len() >= m)
    });
    for &(o, _) in targets {
        res.outputs[o].collects[c].seen += 1;
    }
    i64::from(!full)
}

extern "C" fn hook_collect_row(st: *mut State, c: i64, ctx: i64) {
    // Safety: see `parts`.
    let (s, host, res, plan) = unsafe { parts(st) };
    let c = c as usize;
    let spec = &plan.collects[c];
    let n = spec.values.len();
    // Safety: the kernel wrote `n` (tag, bits, length) triples into `row`, sized for the
    // widest list; strings point at live column bytes or constants.
    let words = unsafe { std::slice::from_raw_parts(s.row, 3 * n) };
    let row: Vec<CVal> = words
        .chunks(3)
        .map(|p| match p[0] {
            1 => CVal::I(p[1] as i64),
            2 => CVal::F(f64::from_bits(p[1])),
            3 => CVal::B(p[1] != 0),
            4 => CVal::S(
                String::from_utf8_lossy(unsafe {
                    std::slice::from_raw_parts(p[1] as *const u8, p[2] as usize)
                })
                .into(),
            ),
            _ => CVal::Null,
        })
        .collect();
    for &(o, _) in &host.targets[ctx as usize] {
        let acc = &mut res.outputs[o].collects[c];
        if spec.max.is_none_or(|m| acc.rows.len() < m) {
            acc.rows.push(row.clone());
        }
    }
}

impl<'k> Native<'k> {
    pub fn new(plan: &Plan, job: &Job, k: &'k EventKernels) -> Self {
        let nslots = k.kinematic.len() + 1;
        let slot_of = |v: usize| 1 + k.kinematic.iter().position(|&x| x == v).unwrap_or(0);
        let slots: Vec<usize> = job.kinematic.iter().map(|&v| slot_of(v)).collect();
        let mut targets = vec![Vec::new(); nslots];
        let mut wvar_on = vec![0u8; plan.variations.len()];
        for (o, out) in job.outputs.iter().enumerate() {
            match out.kind {
                OutKind::Nominal => targets[0].push((o, None)),
                OutKind::Weight(v) => {
                    if let VariationKind::Weight(_) = plan.variations[v].kind {
                        targets[0].push((o, Some(v)));
                        wvar_on[v] = 1;
                    }
                }
                OutKind::Kinematic { ctx, .. } => targets[slots[ctx - 1]].push((o, None)),
            }
        }
        let mut ctx_on = vec![0u8; nslots];
        ctx_on[0] = 1;
        for &s in &slots {
            ctx_on[s] = 1;
        }
        let row_len = plan
            .collects
            .iter()
            .map(|c| c.values.len())
            .max()
            .unwrap_or(0);
        let host = Box::new(Host {
            plan,
            res: std::ptr::null_mut(),
            targets,
            idx: Vec::new(),
            keys: Vec::new(),
            kel: Vec::new(),
            correction_error: None,
            skim_values: Vec::new(),
            skim_lens: Vec::new(),
        });
        let state = Box::new(State {
            fields: std::ptr::null(),
            scalars: std::ptr::null(),
            scalar_offs: std::ptr::null(),
            scalar_inner: std::ptr::null(),
            colls: std::ptr::null(),
            first: std::ptr::null_mut(),
            entries: 0,
            skip: std::ptr::null(),
            first_entry: 0,
            ev: 0,
            stamp: 0,
            ctx_on: std::ptr::null(),
            wvar_on: std::ptr::null(),
            is_data: u64::from(job.is_data),
            sample_tests: std::ptr::null(),
            xsec: 0.0,
            nevts: 0.0,
            sumw: 0.0,
            file_key: 0,
            defs: std::ptr::null_mut(),
            idx: std::ptr::null_mut(),
            idx_len: 0,
            idx_cap: 0,
            keys: std::ptr::null_mut(),
            kel: std::ptr::null_mut(),
            keys_len: 0,
            keys_cap: 0,
            w: 1.0,
            scale: 1.0,
            fac: std::ptr::null_mut(),
            row: std::ptr::null_mut(),
            rep_out: std::ptr::null_mut(),
            rep_len: 0,
            err_code: 0,
            err_val: 0.0,
            err_aux: 0,
            err_aux2: 0,
            p4tmp: [0.0; 4],
            sx: [0; 6],
            fz: [0; 2],
            pv: [0; 2],
            p4c: std::ptr::null(),
            host: std::ptr::null_mut(),
            grow_idx,
            grow_keys,
        });
        Native {
            k,
            state,
            host,
            defs: vec![0; k.def_bytes / 8],
            first: vec![0; plan.collections.len()],
            fac: vec![0.0; plan.variations.len()],
            row: vec![0; 3 * row_len],
            str_desc: Vec::new(),
            fields: Vec::new(),
            scalars: Vec::new(),
            scalar_offs: Vec::new(),
            scalar_inner: Vec::new(),
            colls: Vec::new(),
            ctx_on,
            wvar_on,
            sample_tests: plan
                .sample_tests
                .iter()
                .map(|t| u8::from(t.holds(&job.process, &job.variation)))
                .collect(),
            p4c: vec![Vec::new(); nslots * plan.collections.len()],
            p4c_ptrs: Vec::new(),
            slots,
        }
    }

    /// Points the state at the chunk's columns and at this object's buffers.
    fn bind(&mut self, plan: &Plan, ch: &Chunk, job_kinematic: &[usize]) {
        let ptr = |d: &Data| d.as_ptr();
        let nf = plan.fields.len();
        let nslots = self.k.kinematic.len() + 1;
        // String columns: the tables point at their (offsets, bytes) descriptor.
        self.str_desc.clear();
        for d in ch.fields[..nf].iter().chain(&ch.scalars).map(|c| &c.data) {
            if let Data::S { offsets, bytes } = d {
                self.str_desc
                    .push([offsets.as_ptr() as *const u8, bytes.as_ptr()]);
            }
        }
        let mut descs = self.str_desc.iter();
        let mut ptr = |d: &Data| -> *const u8 {
            match d {
                Data::S { .. } => descs
                    .next()
                    .map_or(std::ptr::null(), |x| x.as_ptr() as *const u8),
                d => ptr(d),
            }
        };
        self.fields.clear();
        for c in &ch.fields[..nf] {
            let p = ptr(&c.data);
            self.fields.push(p);
        }
        for _ in 1..nslots {
            self.fields.extend_from_within(0..nf);
        }
        // Replacement columns, in the chunk's order: job variations, then their replacements.
        let mut extra = nf;
        for (j, &v) in job_kinematic.iter().enumerate() {
            if let VariationKind::Kinematic(reps) = &plan.variations[v].kind {
                for r in reps {
                    if let Some(c) = ch.fields.get(extra) {
                        self.fields[self.slots[j] * nf + r.field.0 as usize] = ptr(&c.data);
                    }
                    extra += 1;
                }
            }
        }
        self.scalars.clear();
        for c in &ch.scalars {
            let p = ptr(&c.data);
            self.scalars.push(p);
        }
        self.scalar_offs.clear();
        self.scalar_offs.extend(ch.scalars.iter().map(|c| {
            if c.offsets.is_empty() {
                std::ptr::null()
            } else {
                c.offsets.as_ptr()
            }
        }));
        self.scalar_inner.clear();
        self.scalar_inner.extend(ch.scalars.iter().map(|c| {
            if c.inner.is_empty() {
                std::ptr::null()
            } else {
                c.inner.as_ptr()
            }
        }));
        self.colls.clear();
        self.colls.extend(ch.colls.iter().map(|c| c.as_ptr()));
        // Four-vector caches: room for the chunk's largest event (stamps stay: they only grow).
        let nc = ch.colls.len();
        self.p4c_ptrs.clear();
        for (k, cache) in self.p4c.iter_mut().enumerate() {
            if plan.collections[k % nc].p4.is_some() {
                let offs = &ch.colls[k % nc];
                let most = offs.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0) as usize;
                if cache.len() < 5 * most {
                    cache.resize(5 * most, 0);
                }
            }
            self.p4c_ptrs.push(cache.as_mut_ptr());
        }
        let s = &mut *self.state;
        s.fields = self.fields.as_ptr();
        s.scalars = self.scalars.as_ptr();
        s.scalar_offs = self.scalar_offs.as_ptr();
        s.scalar_inner = self.scalar_inner.as_ptr();
        s.colls = self.colls.as_ptr();
        s.p4c = self.p4c_ptrs.as_ptr();
        s.first = self.first.as_mut_ptr();
        s.entries = ch.entries as u64;
        s.first_entry = ch.first_entry;
        s.ctx_on = self.ctx_on.as_ptr();
        s.sample_tests = self.sample_tests.as_ptr();
        s.wvar_on = self.wvar_on.as_ptr();
        s.defs = self.defs.as_mut_ptr() as *mut u8;
        s.fac = self.fac.as_mut_ptr();
        s.row = self.row.as_mut_ptr();
        s.idx = self.host.idx.as_mut_ptr();
        s.idx_cap = self.host.idx.len() as u64;
        s.keys = self.host.keys.as_mut_ptr();
        s.kel = self.host.kel.as_mut_ptr();
        s.keys_cap = self.host.keys.len() as u64;
        s.host = (&mut *self.host) as *mut Host as *mut std::ffi::c_void;
    }

    fn fault(&self, plan: &Plan, status: i64, what: Option<(usize, usize)>) -> NativeError {
        let s = &*self.state;
        let entry = Some(s.first_entry + s.ev);
        match Fault::from_status(status) {
            Some(Fault::ToInt) => (
                RunErrorKind::Eval,
                format!("`int` of {} has no integer value", s.err_val),
                entry,
            ),
            Some(Fault::AbsentWeight) => (
                RunErrorKind::AbsentWeight,
                "a weight factor is absent for this event".into(),
                entry,
            ),
            Some(Fault::AbsentVariationWeight) => (
                RunErrorKind::AbsentWeight,
                "a variation's weight factor is absent for this event".into(),
                entry,
            ),
            Some(Fault::AbsentReplacement) => {
                let (coll, field) = what.map_or(("?".into(), "?".into()), |(c, f)| {
                    (
                        plan.collections[c].name.clone(),
                        plan.fields[f].name.clone(),
                    )
                });
                (
                    RunErrorKind::Eval,
                    format!(
                        "the replacement of `{coll}.{field}` has no value (Absent) for element {}",
                        s.err_aux
                    ),
                    entry,
                )
            }
            Some(Fault::AbsentHistWeight) => (
                RunErrorKind::AbsentWeight,
                format!(
                    "the weight of histogram `{}` is absent for this event",
                    plan.hists
                        .get(s.err_aux as usize)
                        .map_or("?", |h| h.name.as_str())
                ),
                entry,
            ),
            Some(Fault::AbsentSkimValue) => (
                RunErrorKind::Eval,
                format!(
                    "skim `{}`: a skimmed value is absent for this event",
                    plan.skims
                        .get(s.err_aux as usize)
                        .map_or("?", |k| k.name.as_str())
                ),
                entry,
            ),
            Some(Fault::AbsentRegionWeight) => (
                RunErrorKind::AbsentWeight,
                format!(
                    "a weight of region `{}` is absent for this event",
                    plan.regions
                        .get(s.err_aux as usize)
                        .map_or("?", |r| r.name.as_str())
                ),
                entry,
            ),
            Some(Fault::HistWeightCount) => (
                RunErrorKind::Eval,
                format!(
                    "histogram `{}`: {} weights for {} values",
                    plan.hists
                        .get(s.err_aux as usize)
                        .map_or("?", |h| h.name.as_str()),
                    s.err_aux2,
                    s.err_val
                ),
                entry,
            ),
            Some(Fault::ProfileCount) => (
                RunErrorKind::Eval,
                format!(
                    "profile `{}`: {} values for {} positions",
                    plan.hists
                        .get(s.err_aux as usize)
                        .map_or("?", |h| h.name.as_str()),
                    s.err_aux2,
                    s.err_val
                ),
                entry,
            ),
            Some(Fault::Correction) => (
                RunErrorKind::Eval,
                self.host
                    .correction_error
                    .clone()
                    .unwrap_or_else(|| "a correction failed".into()),
                entry,
            ),
            Some(Fault::Memory) => (
                RunErrorKind::Eval,
                "an event needs more than 4 billion collection elements".into(),
                entry,
            ),
            None => (
                RunErrorKind::Eval,
                format!("internal error: a native kernel returned status {status}"),
                entry,
            ),
        }
    }

    /// Computes the chunk's replacement columns and runs its events, filling `res`.
    pub(super) fn run_chunk(
        &mut self,
        plan: &Plan,
        job: &Job,
        ch: &mut Chunk,
        sample: &SampleCtx,
        res: &mut UnitResult,
        skip: Option<&[u8]>,
    ) -> Result<(), NativeError> {
        {
            let s = &mut *self.state;
            s.xsec = sample.xsec;
            s.nevts = sample.nevts;
            s.sumw = sample.sumw;
            s.file_key = sample.file_key;
        }
        self.host.res = res;
        // Replacement columns: sized first, then written by their kernels in the nominal context.
        let base = plan.fields.len();
        let reps: Vec<(usize, usize, crate::ir::FieldId)> = job
            .kinematic
            .iter()
            .enumerate()
            .flat_map(|(j, &v)| match &plan.variations[v].kind {
                VariationKind::Kinematic(r) => r
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (self.slots[j], i, x.field))
                    .collect::<Vec<_>>(),
                VariationKind::Weight(_) => Vec::new(),
            })
            .collect();
        ch.extra_fields(base, reps.len());
        for (j, &(slot, i, field)) in reps.iter().enumerate() {
            let info = &plan.fields[field.0 as usize];
            let coll = info.coll.0 as usize;
            let total = ch.colls[coll][ch.entries] as usize;
            let mut col = std::mem::take(&mut ch.fields[base + j]);
            let out: *mut u8 = match info.ty {
                ScalarType::F32 | ScalarType::F64 => {
                    let mut v = match std::mem::take(&mut col.data) {
                        Data::F(v) => v,
                        _ => Vec::new(),
                    };
                    v.clear();
                    v.resize(total, 0.0);
                    col.data = Data::F(v);
                    match &mut col.data {
                        Data::F(v) => v.as_mut_ptr() as *mut u8,
                        _ => unreachable!("just set"),
                    }
                }
                ScalarType::Bool => {
                    col.data = Data::B(vec![false; total]);
                    match &mut col.data {
                        Data::B(v) => v.as_mut_ptr() as *mut u8,
                        _ => unreachable!("just set"),
                    }
                }
                _ => {
                    col.data = Data::I(vec![0; total]);
                    match &mut col.data {
                        Data::I(v) => v.as_mut_ptr() as *mut u8,
                        _ => unreachable!("just set"),
                    }
                }
            };
            col.offsets.clear();
            col.offsets.extend_from_slice(&ch.colls[coll]);
            self.bind(plan, ch, &[]);
            self.state.rep_out = out;
            self.state.rep_len = total as u64;
            let f = self.k.reps[slot - 1][i];
            let st = f(&mut *self.state);
            ch.fields[base + j] = col;
            if st != 0 {
                return Err(self.fault(plan, st, Some((coll, field.0 as usize))));
            }
        }
        self.bind(plan, ch, &job.kinematic);
        // Safety of the pointer: `skip` has one byte per event of the chunk and outlives the call.
        self.state.skip = skip.map_or(std::ptr::null(), |s| s.as_ptr());
        let st = (self.k.chunk)(&mut *self.state);
        self.state.skip = std::ptr::null();
        self.host.res = std::ptr::null_mut();
        if st != 0 {
            return Err(self.fault(plan, st, None));
        }
        Ok(())
    }
}

//! Evaluating a `NodeKind::Correction` call, shared by the interpreter and the native kernels'
//! call-out: string inputs come from the call's constant nodes, numbers from the caller; an
//! absent number makes the result absent; an evaluation error (an input outside a binning with
//! `flow: error`, a category with no entry and no default) is a run error naming the correction.

use crate::corrections::{INLINE_INPUTS, Value};
use crate::ir::ops::Num;
use crate::ir::{NodeId, NodeKind, Plan};
use crate::sema::Value as SValue;

/// Evaluates correction `corr` of `plan` on `args` (the call's argument nodes); `num(k)` gives
/// the value of numeric argument `k` (`None`: absent).
pub fn evaluate(
    plan: &Plan,
    corr: u32,
    args: &[NodeId],
    num: &mut dyn FnMut(usize) -> Result<Option<Num>, String>,
) -> Result<Option<f64>, String> {
    let bound = &plan.corrections[corr as usize];
    let mut inline = [Value::Real(0.0); INLINE_INPUTS];
    let mut spill: Vec<Value> = Vec::new();
    let vals: &mut [Value] = if args.len() <= INLINE_INPUTS {
        &mut inline[..args.len()]
    } else {
        spill.resize(args.len(), Value::Real(0.0));
        &mut spill
    };
    // Every numeric argument is evaluated (as the kernels do) before an absent one makes the
    // result absent: an argument that raises raises in both engines.
    let mut absent = false;
    for (k, a) in args.iter().enumerate() {
        vals[k] = match &plan.nodes[a.0 as usize].kind {
            NodeKind::Const(SValue::Str(s)) => Value::Str(s),
            _ => match num(k)? {
                None => {
                    absent = true;
                    Value::Real(0.0)
                }
                Some(Num::I(i)) => Value::Int(i),
                Some(Num::F(f)) => Value::Real(f),
            },
        };
    }
    if absent {
        return Ok(None);
    }
    bound.corr.evaluate(vals).map(Some).map_err(|e| {
        format!(
            "correction `{}` (\"{}\" from \"{}\"): {e}",
            bound.name, bound.key, bound.file
        )
    })
}

//! Rewrites of a [`Plan`], one per file, run in a fixed order by [`optimize`]:
//!
//! 1. `fold` — constant folding with the language's own numeric semantics (`ir::ops`);
//! 2. `prune` — drops definitions and nodes no output needs, and with them every branch that
//!    no cut, fill, weight or variation reads (column pruning);
//! 3. `share` — marks, per kinematic variation, the definitions that do not depend on a replaced
//!    field, so the interpreter reuses their nominal value instead of recomputing them.
//!
//! Each pass keeps the plan's invariants (children before parents, resolved accesses).

mod fold;
mod prune;
mod share;

use crate::ir::Plan;

/// Runs every pass in order.
pub fn optimize(mut plan: Plan) -> Plan {
    fold::run(&mut plan);
    let mut plan = prune::run(plan);
    share::run(&mut plan);
    plan
}

//! Sharing between the nominal analysis and kinematic variations: for each kinematic variation,
//! a definition whose value cannot depend on a replaced field is marked shared, and the
//! interpreter then takes its nominal value instead of recomputing it. (Weight variations share
//! everything: they only multiply the nominal weight at fills.)
//!
//! A node depends on a field when it reads it (directly, or through a four-vector made from it)
//! or when one of its children or the definitions it uses does.

use crate::ir::*;

pub fn run(plan: &mut Plan) {
    let kinematic: Vec<usize> = plan.kinematic().collect();
    let mut shared = Vec::new();
    for v in kinematic {
        let VariationKind::Kinematic(reps) = &plan.variations[v].kind else {
            continue;
        };
        let replaced: Vec<FieldId> = reps.iter().map(|r| r.field).collect();
        let reads = |a: &Access| -> bool {
            let mut hit = false;
            visit(a, &mut |x| match x {
                Access::Field { field, .. } => hit |= replaced.contains(field),
                Access::P4 { coll, .. } => {
                    if let Some((_, ids)) = &plan.collections[coll.0 as usize].p4 {
                        hit |= ids.iter().any(|f| replaced.contains(f));
                    }
                }
                _ => {}
            });
            hit
        };
        // Children come before parents and definitions before their uses: one forward pass.
        let mut dep = vec![false; plan.nodes.len()];
        let mut def_dep = vec![false; plan.defs.len()];
        for i in 0..plan.nodes.len() {
            let id = NodeId(i as u32);
            let own = match &plan.node(id).kind {
                NodeKind::Field { access, .. }
                | NodeKind::Member { access, .. }
                | NodeKind::Project { access, .. } => reads(access),
                NodeKind::Def(d) => def_dep[d.0 as usize],
                _ => false,
            };
            dep[i] = own || plan.children(id).iter().any(|c| dep[c.0 as usize]);
            for (d, def) in plan.defs.iter().enumerate() {
                if def.node == id {
                    def_dep[d] = dep[i];
                }
            }
        }
        shared.push(def_dep.iter().map(|d| !d).collect());
    }
    plan.shared = shared;
}

fn visit(a: &Access, f: &mut dyn FnMut(&Access)) {
    f(a);
    for x in a.parts() {
        visit(x, f);
    }
}

//! Column pruning and dead-definition removal: keeps only the nodes reachable from the plan's
//! roots (cuts, fills, weights, counters, collects, variations), the definitions they use, and
//! the fields, branches and collections those read. A collection's four-vector fields are kept
//! only when some node reads its `p4`. Ids are renumbered; the arena order is preserved, so
//! children still come before parents.

use std::collections::BTreeSet;

use crate::ir::*;

pub fn run(plan: Plan) -> Plan {
    let n = plan.nodes.len();
    let mut reach = vec![false; n];
    let mut defs_used = BTreeSet::new();
    let mut stack = plan.roots();
    while let Some(id) = stack.pop() {
        if std::mem::replace(&mut reach[id.0 as usize], true) {
            continue;
        }
        if let NodeKind::Def(d) = plan.node(id).kind {
            defs_used.insert(d.0);
            stack.push(plan.defs[d.0 as usize].node);
        }
        stack.extend(plan.children(id));
    }

    // What the reachable nodes read.
    let mut fields = BTreeSet::new();
    let mut scalars = BTreeSet::new();
    let mut colls = BTreeSet::new();
    let mut p4s = BTreeSet::new();
    let note = |a: &Access, fields: &mut BTreeSet<u32>, p4s: &mut BTreeSet<u32>| {
        walk_access(a, &mut |x| match x {
            Access::Field { field, .. } => {
                fields.insert(field.0);
            }
            Access::P4 { coll, .. } => {
                p4s.insert(coll.0);
            }
            _ => {}
        })
    };
    for (i, node) in plan.nodes.iter().enumerate() {
        if !reach[i] {
            continue;
        }
        match &node.kind {
            NodeKind::Scalar(s) => {
                scalars.insert(s.0);
            }
            NodeKind::Collection(c) => {
                colls.insert(c.0);
            }
            NodeKind::Field { access, .. }
            | NodeKind::Member { access, .. }
            | NodeKind::Project { access, .. } => note(access, &mut fields, &mut p4s),
            _ => {}
        }
    }
    for v in &plan.variations {
        if let VariationKind::Kinematic(reps) = &v.kind {
            fields.extend(reps.iter().map(|r| r.field.0));
        }
    }
    for &c in &p4s {
        if let Some((_, ids)) = &plan.collections[c as usize].p4 {
            fields.extend(ids.iter().map(|f| f.0));
        }
    }
    for &f in &fields {
        colls.insert(plan.fields[f as usize].coll.0);
    }

    let remap = |set: &BTreeSet<u32>, len: usize| {
        let mut m = vec![u32::MAX; len];
        for (new, &old) in set.iter().enumerate() {
            m[old as usize] = new as u32;
        }
        m
    };
    let maps = Maps {
        node: {
            let mut m = vec![u32::MAX; n];
            let mut k = 0;
            for (i, r) in reach.iter().enumerate() {
                if *r {
                    m[i] = k;
                    k += 1;
                }
            }
            m
        },
        def: remap(&defs_used, plan.defs.len()),
        field: remap(&fields, plan.fields.len()),
        scalar: remap(&scalars, plan.scalars.len()),
        coll: remap(&colls, plan.collections.len()),
    };

    let nodes = plan
        .nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| reach[*i])
        .map(|(_, node)| Node {
            kind: maps.kind(&node.kind),
            ty: node.ty.clone(),
        })
        .collect();
    let defs = defs_used
        .iter()
        .map(|&d| {
            let d = &plan.defs[d as usize];
            Def {
                name: d.name.clone(),
                node: maps.n(d.node),
                region: d.region.clone(),
            }
        })
        .collect();
    let collections = colls
        .iter()
        .map(|&c| {
            let mut info = plan.collections[c as usize].clone();
            info.p4 = match (p4s.contains(&c), info.p4) {
                (true, Some((k, ids))) => Some((k, ids.map(|f| maps.f(f)))),
                _ => None,
            };
            info
        })
        .collect();
    let new_fields = fields
        .iter()
        .map(|&f| {
            let mut info = plan.fields[f as usize].clone();
            info.coll = maps.c(info.coll);
            info
        })
        .collect();
    let new_scalars = scalars
        .iter()
        .map(|&s| plan.scalars[s as usize].clone())
        .collect();
    let steps = |steps: &[Step]| -> Vec<Step> {
        steps
            .iter()
            .map(|s| match *s {
                Step::Cut { index, cond } => Step::Cut {
                    index,
                    cond: maps.n(cond),
                },
                Step::Require(cond) => Step::Require(maps.n(cond)),
                Step::Scale(w) => Step::Scale(maps.n(w)),
                other => other,
            })
            .collect()
    };
    Plan {
        nodes,
        defs,
        collections,
        fields: new_fields,
        scalars: new_scalars,
        weights: plan.weights.iter().map(|w| maps.n(*w)).collect(),
        top: steps(&plan.top),
        regions: plan
            .regions
            .iter()
            .map(|r| Region {
                name: r.name.clone(),
                steps: steps(&r.steps),
            })
            .collect(),
        hists: plan
            .hists
            .iter()
            .map(|h| HistSpec {
                values: h.values.iter().map(|v| maps.n(*v)).collect(),
                weight: h.weight.map(|w| maps.n(w)),
                profile: h.profile.map(|p| maps.n(p)),
                ..h.clone()
            })
            .collect(),
        counters: plan
            .counters
            .iter()
            .map(|c| CounterSpec {
                when: c.when.map(|w| maps.n(w)),
                ..c.clone()
            })
            .collect(),
        collects: plan
            .collects
            .iter()
            .map(|c| CollectSpec {
                values: c.values.iter().map(|v| maps.n(*v)).collect(),
                ..c.clone()
            })
            .collect(),
        skims: plan
            .skims
            .iter()
            .map(|k| SkimSpec {
                groups: k
                    .groups
                    .iter()
                    .map(|g| SkimGroup {
                        counter: g.counter.clone(),
                        columns: g
                            .columns
                            .iter()
                            .map(|c| SkimColumn {
                                value: maps.n(c.value),
                                ..c.clone()
                            })
                            .collect(),
                    })
                    .collect(),
                ..k.clone()
            })
            .collect(),
        variations: plan
            .variations
            .iter()
            .map(|v| Variation {
                kind: match &v.kind {
                    VariationKind::Weight(f) => VariationKind::Weight(maps.n(*f)),
                    VariationKind::Kinematic(reps) => VariationKind::Kinematic(
                        reps.iter()
                            .map(|r| Replacement {
                                field: maps.f(r.field),
                                value: maps.n(r.value),
                            })
                            .collect(),
                    ),
                },
                ..v.clone()
            })
            .collect(),
        onlys: plan
            .onlys
            .iter()
            .map(|o| OnlySpec {
                guard: maps.n(o.guard),
                ..o.clone()
            })
            .collect(),
        shared: Vec::new(),
        ..plan
    }
}

fn walk_access(a: &Access, f: &mut dyn FnMut(&Access)) {
    f(a);
    for x in a.parts() {
        walk_access(x, f);
    }
}

struct Maps {
    node: Vec<u32>,
    def: Vec<u32>,
    field: Vec<u32>,
    scalar: Vec<u32>,
    coll: Vec<u32>,
}

impl Maps {
    fn n(&self, id: NodeId) -> NodeId {
        NodeId(self.node[id.0 as usize])
    }

    fn f(&self, id: FieldId) -> FieldId {
        FieldId(self.field[id.0 as usize])
    }

    fn c(&self, id: CollId) -> CollId {
        CollId(self.coll[id.0 as usize])
    }

    fn access(&self, a: &Access) -> Access {
        match a {
            Access::Field { leaf, field } => Access::Field {
                leaf: *leaf,
                field: self.f(*field),
            },
            Access::P4 { leaf, coll } => Access::P4 {
                leaf: *leaf,
                coll: self.c(*coll),
            },
            Access::Members(v) => Access::Members(v.iter().map(|x| self.access(x)).collect()),
            Access::P4Sum(v) => Access::P4Sum(v.iter().map(|x| self.access(x)).collect()),
            Access::Union { leaf, parts, ty } => Access::Union {
                leaf: *leaf,
                parts: parts.iter().map(|x| self.access(x)).collect(),
                ty: ty.clone(),
            },
            Access::Tag { leaf } => Access::Tag { leaf: *leaf },
        }
    }

    fn kind(&self, k: &NodeKind) -> NodeKind {
        let n = |id: &NodeId| self.n(*id);
        match k {
            NodeKind::Const(_) | NodeKind::SampleValue(_) | NodeKind::Elem { .. } => k.clone(),
            NodeKind::Scalar(s) => NodeKind::Scalar(ScalarId(self.scalar[s.0 as usize])),
            NodeKind::Def(d) => NodeKind::Def(DefId(self.def[d.0 as usize])),
            NodeKind::Field { depth, access } => NodeKind::Field {
                depth: *depth,
                access: self.access(access),
            },
            NodeKind::Member { base, access } => NodeKind::Member {
                base: n(base),
                access: self.access(access),
            },
            NodeKind::P4Member { base, member } => NodeKind::P4Member {
                base: n(base),
                member: *member,
            },
            NodeKind::Project { coll, access } => NodeKind::Project {
                coll: n(coll),
                access: self.access(access),
            },
            NodeKind::TupleMember {
                base,
                offset,
                width,
            } => NodeKind::TupleMember {
                base: n(base),
                offset: *offset,
                width: *width,
            },
            NodeKind::Unary { op, a } => NodeKind::Unary { op: *op, a: n(a) },
            NodeKind::Binary { op, a, b } => NodeKind::Binary {
                op: *op,
                a: n(a),
                b: n(b),
            },
            NodeKind::If {
                cond,
                then,
                otherwise,
            } => NodeKind::If {
                cond: n(cond),
                then: n(then),
                otherwise: n(otherwise),
            },
            NodeKind::Call { func, args } => NodeKind::Call {
                func: *func,
                args: args.iter().map(n).collect(),
            },
            NodeKind::Collection(c) => NodeKind::Collection(self.c(*c)),
            NodeKind::Where { coll, cond } => NodeKind::Where {
                coll: n(coll),
                cond: n(cond),
            },
            NodeKind::Keyed { op, coll, key } => NodeKind::Keyed {
                op: *op,
                coll: n(coll),
                key: n(key),
            },
            NodeKind::Combinations { coll, k, ordered } => NodeKind::Combinations {
                coll: n(coll),
                k: *k,
                ordered: *ordered,
            },
            NodeKind::Pairs { a, b } => NodeKind::Pairs { a: n(a), b: n(b) },
            NodeKind::Slice {
                coll,
                lo,
                hi,
                lo_end,
                hi_end,
            } => NodeKind::Slice {
                coll: n(coll),
                lo: lo.as_ref().map(n),
                hi: hi.as_ref().map(n),
                lo_end: *lo_end,
                hi_end: *hi_end,
            },
            NodeKind::ListLit { items } => NodeKind::ListLit {
                items: items.iter().map(n).collect(),
            },
            NodeKind::InElement { elem, key } => NodeKind::InElement {
                elem: n(elem),
                key: n(key),
            },
            NodeKind::Map { coll, key } => NodeKind::Map {
                coll: n(coll),
                key: n(key),
            },
            NodeKind::Union { colls } => NodeKind::Union {
                colls: colls.iter().map(n).collect(),
            },
            NodeKind::Index {
                base,
                index,
                from_end,
            } => NodeKind::Index {
                base: n(base),
                index: n(index),
                from_end: *from_end,
            },
            NodeKind::Random { dist, a, b, site } => NodeKind::Random {
                dist: *dist,
                a: n(a),
                b: n(b),
                site: site.clone(),
            },
            NodeKind::Correction { corr, args } => NodeKind::Correction {
                corr: *corr,
                args: args.iter().map(n).collect(),
            },
        }
    }
}

//! The textual form of a plan (`anac ir`): columns, definitions, nodes, steps, variations.
//!
//! One node per line, `%N = op args : type`, in arena order (children first), so the text reads
//! top to bottom like the evaluation.

use std::fmt::{self, Write};

use super::*;

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "plan {} (tree {})", self.name, self.tree)?;
        writeln!(f, "branches: {}", self.branches().join(", "))?;
        for (i, c) in self.collections.iter().enumerate() {
            let fields: Vec<&str> = self
                .fields
                .iter()
                .filter(|x| x.coll.0 as usize == i)
                .map(|x| x.name.as_str())
                .collect();
            writeln!(
                f,
                "collection #{i} {} (length: {}) fields [{}]{}",
                c.name,
                c.length,
                fields.join(", "),
                if c.p4.is_some() { " p4" } else { "" }
            )?;
        }
        for (i, s) in self.scalars.iter().enumerate() {
            writeln!(f, "scalar #{i} {} ({:?}, {:?})", s.branch, s.ty, s.shape)?;
        }
        for (i, c) in self.corrections.iter().enumerate() {
            writeln!(
                f,
                "correction #{i} {} = {:?} from {:?} (xxh64 {:016x})",
                c.name, c.key, c.file, c.xxh64
            )?;
        }
        writeln!(f, "nodes:")?;
        for (i, n) in self.nodes.iter().enumerate() {
            writeln!(f, "  %{i} = {} : {}", self.kind_text(&n.kind), n.ty)?;
        }
        for (i, d) in self.defs.iter().enumerate() {
            let r = d
                .region
                .as_deref()
                .map_or(String::new(), |r| format!(" [{r}]"));
            let shared: Vec<String> = self
                .kinematic()
                .zip(&self.shared)
                .filter(|(_, s)| s.get(i).copied().unwrap_or(false))
                .map(|(v, _)| self.variations[v].name.clone())
                .collect();
            let s = if shared.is_empty() {
                String::new()
            } else {
                format!("  (nominal value reused by {})", shared.join(", "))
            };
            writeln!(f, "def ${i} {}{r} = %{}{s}", d.name, d.node.0)?;
        }
        for w in &self.weights {
            writeln!(f, "weight %{}", w.0)?;
        }
        writeln!(f, "common selection:")?;
        self.steps(f, &self.top)?;
        for r in &self.regions {
            writeln!(f, "region {}:", r.name)?;
            self.steps(f, &r.steps)?;
        }
        for v in &self.variations {
            let only = if v.processes.is_empty() {
                String::new()
            } else {
                format!(" on {}", v.processes.join(", "))
            };
            match &v.kind {
                VariationKind::Weight(n) => {
                    writeln!(f, "vary {}{only}: weight × %{}", v.name, n.0)?
                }
                VariationKind::Kinematic(reps) => {
                    let r: Vec<String> = reps
                        .iter()
                        .map(|r| {
                            let fi = &self.fields[r.field.0 as usize];
                            let c = &self.collections[fi.coll.0 as usize].name;
                            format!("{c}.{} := %{}", fi.name, r.value.0)
                        })
                        .collect();
                    writeln!(f, "vary {}{only}: {}", v.name, r.join(", "))?
                }
            }
        }
        for d in &self.derives {
            writeln!(f, "derive {} = {:?}", d.name, d.expr)?;
        }
        Ok(())
    }
}

impl Plan {
    fn steps(&self, f: &mut fmt::Formatter<'_>, steps: &[Step]) -> fmt::Result {
        let mut depth = 0usize;
        for s in steps {
            if matches!(s, Step::EndOnly) {
                depth = depth.saturating_sub(1);
            }
            write!(f, "{}", "  ".repeat(depth))?;
            match *s {
                Step::Cut { index, cond } => {
                    writeln!(f, "  cut {:?} %{}", self.cuts[index].label, cond.0)?
                }
                Step::Fill(h) => {
                    let h = &self.hists[h];
                    let v: Vec<String> = h.values.iter().map(|n| format!("%{}", n.0)).collect();
                    let w = h
                        .weight
                        .map_or(String::new(), |w| format!(" weight %{}", w.0));
                    let p = h
                        .profile
                        .map_or(String::new(), |p| format!(" mean %{}", p.0));
                    writeln!(f, "  fill {} ({}){p}{w} {:?}", h.name, v.join(", "), h.axes)?
                }
                Step::Count(c) => {
                    let c = &self.counters[c];
                    let when = c.when.map_or(String::new(), |w| format!(" when %{}", w.0));
                    writeln!(f, "  counter {}{when}", c.name)?
                }
                Step::Collect(c) => {
                    let c = &self.collects[c];
                    let v: Vec<String> = c.values.iter().map(|n| format!("%{}", n.0)).collect();
                    writeln!(f, "  collect {} ({}) max {:?}", c.name, v.join(", "), c.max)?
                }
                Step::Skim(k) => {
                    let k = &self.skims[k];
                    let v: Vec<String> = k
                        .groups
                        .iter()
                        .flat_map(|g| g.columns.iter())
                        .map(|c| format!("{}=%{}", c.branch, c.value.0))
                        .collect();
                    writeln!(f, "  skim {} ({})", k.name, v.join(", "))?
                }
                Step::Require(cond) => writeln!(f, "  require %{}", cond.0)?,
                Step::Scale(w) => writeln!(f, "  weight %{}", w.0)?,
                Step::Only(k) => {
                    let o = &self.onlys[k];
                    writeln!(f, "  only {} (%{}) {{", o.targets.join(", "), o.guard.0)?;
                    depth += 1;
                }
                Step::EndOnly => writeln!(f, "  }}")?,
            }
        }
        Ok(())
    }

    fn access_text(&self, a: &Access) -> String {
        match a {
            Access::Field { leaf, field } => {
                let fi = &self.fields[field.0 as usize];
                format!("[{leaf}].{}", fi.name)
            }
            Access::P4 { leaf, .. } => format!("[{leaf}].p4"),
            Access::Members(v) => {
                let parts: Vec<String> = v.iter().map(|x| self.access_text(x)).collect();
                format!("members({})", parts.join(", "))
            }
            Access::P4Sum(v) => {
                let parts: Vec<String> = v.iter().map(|x| self.access_text(x)).collect();
                format!("p4sum({})", parts.join(", "))
            }
            Access::Union { leaf, parts, .. } => {
                let parts: Vec<String> = parts.iter().map(|x| self.access_text(x)).collect();
                format!("[{leaf}].source ? ({})", parts.join(" | "))
            }
            Access::Tag { leaf } => format!("[{leaf}].source"),
        }
    }

    fn kind_text(&self, k: &NodeKind) -> String {
        let n = |id: &NodeId| format!("%{}", id.0);
        let mut s = String::new();
        let _ = match k {
            NodeKind::Const(v) => match v {
                Value::Str(x) => write!(s, "const {x:?}"),
                v => write!(s, "const {v}"),
            },
            NodeKind::Scalar(i) => write!(s, "branch {}", self.scalars[i.0 as usize].branch),
            NodeKind::SampleValue(v) => write!(s, "sample {v:?}"),
            NodeKind::Def(d) => write!(s, "def ${} ({})", d.0, self.defs[d.0 as usize].name),
            NodeKind::Elem { depth } => write!(s, "elem^{depth}"),
            NodeKind::Field { depth, access } => {
                write!(s, "elem^{depth}{}", self.access_text(access))
            }
            NodeKind::Member { base, access } => {
                write!(s, "{}{}", n(base), self.access_text(access))
            }
            NodeKind::P4Member { base, member } => write!(s, "{}.{member:?}", n(base)),
            NodeKind::Project { coll, access } => {
                write!(s, "project {} {}", n(coll), self.access_text(access))
            }
            NodeKind::TupleMember {
                base,
                offset,
                width,
            } => write!(s, "member {} leaves {offset}..{}", n(base), offset + width),
            NodeKind::Unary { op, a } => write!(s, "{} {}", op.symbol(), n(a)),
            NodeKind::Binary { op, a, b } => write!(s, "{} {} {}", n(a), op.symbol(), n(b)),
            NodeKind::If {
                cond,
                then,
                otherwise,
            } => write!(s, "if {} then {} else {}", n(cond), n(then), n(otherwise)),
            NodeKind::Call { func, args } => {
                let a: Vec<String> = args.iter().map(n).collect();
                write!(s, "{func:?}({})", a.join(", "))
            }
            NodeKind::Collection(c) => {
                write!(s, "collection {}", self.collections[c.0 as usize].name)
            }
            NodeKind::Where { coll, cond } => write!(s, "{} where {}", n(coll), n(cond)),
            NodeKind::Keyed { op, coll, key } => write!(s, "{op:?}({}, {})", n(coll), n(key)),
            NodeKind::Combinations { coll, k, ordered } => {
                let f = if *ordered {
                    "permutations"
                } else {
                    "combinations"
                };
                write!(s, "{f}({}, {k})", n(coll))
            }
            NodeKind::Pairs { a, b } => write!(s, "pairs({}, {})", n(a), n(b)),
            NodeKind::Slice { coll, lo, hi, .. } => {
                let b = |x: &Option<NodeId>| x.as_ref().map(&n).unwrap_or_default();
                write!(s, "{}[{}:{}]", n(coll), b(lo), b(hi))
            }
            NodeKind::Map { coll, key } => write!(s, "list({}, {})", n(coll), n(key)),
            NodeKind::InElement { elem, key } => write!(s, "in({}, {})", n(elem), n(key)),
            NodeKind::ListLit { items } => {
                let v: Vec<String> = items.iter().map(n).collect();
                write!(s, "[{}]", v.join(", "))
            }
            NodeKind::Union { colls } => {
                let v: Vec<String> = colls.iter().map(n).collect();
                write!(s, "union({})", v.join(", "))
            }
            NodeKind::Index { base, index, .. } => write!(s, "{}[{}]", n(base), n(index)),
            NodeKind::Correction { corr, args } => {
                let a: Vec<String> = args.iter().map(n).collect();
                write!(s, "correction #{corr}({})", a.join(", "))
            }
            NodeKind::Random { dist, a, b, site } => write!(
                s,
                "{dist:?}({}, {}) site {}#{}{}",
                n(a),
                n(b),
                site.statement,
                site.ordinal,
                site.variation
                    .as_deref()
                    .map_or(String::new(), |v| format!(" in {v}"))
            ),
        };
        s
    }
}

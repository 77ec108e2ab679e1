//! Lowering: a checked analysis (AST + `sema::Checked` + the tree schema) → a [`Plan`].
//!
//! Every name is replaced by what sema resolved it to (a definition, a field access resolved
//! against the static element type of its scope, a branch, a sample value); every `vary` becomes
//! one [`Variation`] per concrete variation with its `for` value substituted; axes get their
//! folded constants. Lowering assumes sema reported no errors and had a schema: anything else is
//! a [`LowerError`] (an internal error, never a user-facing panic).

use std::collections::HashMap;

use super::*;
use crate::io::schema::{CollectionLayout, TreeSchema};
use crate::sema::{Checked, Elem, Resolution, SymbolKind};
use crate::syntax::ast::{self, DArg, DExprKind, DOp, Expr, ExprId, ExprKind, StmtKind, VaryBody};

/// Lowering met something sema should have rejected (or a schema it was not checked against).
#[derive(Debug, Clone, thiserror::Error)]
#[error("internal error while lowering the analysis: {0}")]
pub struct LowerError(pub String);

type R<T> = Result<T, LowerError>;

fn err<T>(msg: impl Into<String>) -> R<T> {
    Err(LowerError(msg.into()))
}

/// Lowers a checked analysis (with its source text) against the schema it was checked with.
pub fn lower(file: &ast::File, source: &str, checked: &Checked, schema: &TreeSchema) -> R<Plan> {
    let mut l = Lower {
        source,
        checked,
        schema,
        plan: Plan {
            name: file
                .analysis_name()
                .map_or("analysis".to_string(), |(n, _)| n.to_string()),
            tree: file
                .tree_name()
                .map_or(String::new(), |(t, _)| t.to_string()),
            nodes: Vec::new(),
            defs: Vec::new(),
            collections: Vec::new(),
            fields: Vec::new(),
            scalars: Vec::new(),
            weights: Vec::new(),
            top: Vec::new(),
            regions: Vec::new(),
            hists: Vec::new(),
            counters: Vec::new(),
            collects: Vec::new(),
            skims: Vec::new(),
            cuts: Vec::new(),
            variations: Vec::new(),
            derives: Vec::new(),
            corrections: checked.corrections.clone(),
            output: checked.output.clone(),
            lumi: checked.lumi,
            shared: Vec::new(),
            sample_tests: Vec::new(),
            onlys: Vec::new(),
        },
        elems: Vec::new(),
        defs: HashMap::new(),
        loop_value: None,
        site: None,
        interned: HashMap::new(),
        derived: HashMap::new(),
        only: None,
    };
    let mut weights = 0;
    // Per region: the steps a region built on it starts with.
    let mut entries: HashMap<String, Vec<Step>> = HashMap::new();
    for (index, stmt) in file.stmts.iter().enumerate() {
        match &stmt.kind {
            StmtKind::Vary(v) => l.vary(v, index)?,
            StmtKind::Derive { name, value } => {
                let expr = dexpr(value)?;
                l.plan.derives.push(DeriveSpec {
                    name: name.name.clone(),
                    expr,
                });
            }
            StmtKind::Region { name, from, body } => {
                // A region built on another first requires what that one requires (its cuts,
                // without cutflow rows) and takes its weights, in their order.
                let mut steps: Vec<Step> = match from {
                    Some(p) => entries
                        .get(&p.name)
                        .cloned()
                        .ok_or_else(|| LowerError(format!("no region `{}` above", p.name)))?,
                    None => Vec::new(),
                };
                for s in body {
                    l.stmt(s, Some(&name.name), &mut steps, &mut weights)?;
                }
                let entry = steps
                    .iter()
                    .filter_map(|s| match *s {
                        Step::Cut { cond, .. } | Step::Require(cond) => Some(Step::Require(cond)),
                        Step::Scale(w) => Some(Step::Scale(w)),
                        // A weight inside an `only` block stays inside it.
                        Step::Only(k) => Some(Step::Only(k)),
                        Step::EndOnly => Some(Step::EndOnly),
                        _ => None,
                    })
                    .collect();
                entries.insert(name.name.clone(), entry);
                l.plan.regions.push(Region {
                    name: name.name.clone(),
                    steps,
                });
            }
            _ => {
                let mut steps = std::mem::take(&mut l.plan.top);
                l.stmt(stmt, None, &mut steps, &mut weights)?;
                l.plan.top = steps;
            }
        }
    }
    Ok(l.plan)
}

/// The random-call site being lowered: the statement key and the ordinals of its calls.
struct Site {
    statement: String,
    ordinals: HashMap<ExprId, u32>,
    variation: Option<String>,
}

struct Lower<'a> {
    source: &'a str,
    checked: &'a Checked,
    schema: &'a TreeSchema,
    plan: Plan,
    /// Static element types of the scopes being lowered, innermost last.
    elems: Vec<Elem>,
    /// Symbol index → definition.
    defs: HashMap<u32, DefId>,
    /// The value of a `vary` family's `for` variable while lowering that member.
    loop_value: Option<Value>,
    site: Option<Site>,
    /// Structurally equal nodes share one id (so e.g. `jets[0]` in two places is one node).
    interned: HashMap<String, NodeId>,
    /// Derived fields (`let Jet.x = VALUE`): (collection, name) → VALUE.
    derived: HashMap<(String, String), Expr>,
    /// The `only` block being lowered (index into `Plan::onlys`).
    only: Option<usize>,
}

impl Lower<'_> {
    fn push(&mut self, kind: NodeKind, ty: Type) -> NodeId {
        // Nodes that read the element scope or draw random numbers are never shared.
        let key = match &kind {
            NodeKind::Random { .. } => None,
            k => Some(format!("{k:?}:{ty:?}:{}", self.elems.len())),
        };
        if let Some(k) = &key
            && let Some(&id) = self.interned.get(k)
        {
            return id;
        }
        let id = NodeId(self.plan.nodes.len() as u32);
        self.plan.nodes.push(Node { kind, ty });
        if let Some(k) = key {
            self.interned.insert(k, id);
        }
        id
    }

    fn ty(&self, e: &Expr) -> R<Type> {
        match self.checked.type_of(e.id) {
            Some(Type::Unknown) | Some(Type::Error) | None => err(format!(
                "expression at {}..{} has no checked type",
                e.span.start, e.span.end
            )),
            Some(t) => Ok(t.clone()),
        }
    }

    /// An `only` block's guard: whether the sample is one of `targets` (`data`, `simulation`,
    /// process names), from the per-sample values `sample.is_data` and `sample.process == P`.
    fn only_guard(&mut self, targets: &[ast::Ident]) -> NodeId {
        let mut guard: Option<NodeId> = None;
        for t in targets {
            let is_data = || NodeKind::SampleValue(SampleValue::IsData);
            let one = match t.name.as_str() {
                "data" => self.push(is_data(), Type::Bool),
                "simulation" => {
                    let a = self.push(is_data(), Type::Bool);
                    self.push(NodeKind::Unary { op: UnOp::Not, a }, Type::Bool)
                }
                p => {
                    let test = SampleTest {
                        variation: false,
                        name: p.to_string(),
                        negate: false,
                    };
                    let k = match self.plan.sample_tests.iter().position(|x| *x == test) {
                        Some(k) => k,
                        None => {
                            self.plan.sample_tests.push(test);
                            self.plan.sample_tests.len() - 1
                        }
                    };
                    self.push(
                        NodeKind::SampleValue(SampleValue::Test(k as u32)),
                        Type::Bool,
                    )
                }
            };
            guard = Some(match guard {
                None => one,
                Some(a) => self.push(
                    NodeKind::Binary {
                        op: BinOp::Or,
                        a,
                        b: one,
                    },
                    Type::Bool,
                ),
            });
        }
        guard.unwrap_or_else(|| self.push(NodeKind::Const(Value::Bool(false)), Type::Bool))
    }

    fn begin_site(&mut self, statement: String, exprs: &[&Expr], variation: Option<String>) {
        let mut ordinals = HashMap::new();
        for e in exprs {
            collect_randoms(e, &mut ordinals);
        }
        self.site = Some(Site {
            statement,
            ordinals,
            variation,
        });
    }

    fn stmt(
        &mut self,
        s: &ast::Stmt,
        region: Option<&str>,
        steps: &mut Vec<Step>,
        weights: &mut usize,
    ) -> R<()> {
        let region_name = region.unwrap_or("all").to_string();
        let mut prefix = region.map_or(String::new(), |r| format!("{r}/"));
        // Two `only` blocks may each define a `let` of one name: their random draws differ.
        if let Some(k) = self.only {
            prefix.push_str(&format!("only{k}/"));
        }
        match &s.kind {
            StmtKind::Const { .. } | StmtKind::Correction { .. } | StmtKind::Table(_) => {}
            StmtKind::DerivedField { coll, name, value } => {
                self.derived
                    .insert((coll.name.clone(), name.name.clone()), value.clone());
            }
            StmtKind::Object { name, value } | StmtKind::Let { name, value } => {
                let kind = if matches!(s.kind, StmtKind::Object { .. }) {
                    "object"
                } else {
                    "let"
                };
                self.begin_site(format!("{kind}:{prefix}{}", name.name), &[value], None);
                let node = self.expr(value)?;
                let sym = self
                    .checked
                    .symbols
                    .iter()
                    .position(|x| x.span == name.span)
                    .ok_or_else(|| LowerError(format!("no symbol for `{}`", name.name)))?;
                let id = DefId(self.plan.defs.len() as u32);
                self.plan.defs.push(Def {
                    name: name.name.clone(),
                    node,
                    region: region.map(str::to_string),
                });
                self.defs.insert(sym as u32, id);
            }
            StmtKind::Cut { label, cond } => {
                self.begin_site(format!("cut:{}", label.value), &[cond], None);
                let cond = self.expr(cond)?;
                let index = self.plan.cuts.len();
                self.plan.cuts.push(CutInfo {
                    label: label.value.clone(),
                    region: region.map(str::to_string),
                });
                steps.push(Step::Cut { index, cond });
            }
            StmtKind::Weight { value } => {
                self.begin_site(format!("weight:{weights}"), &[value], None);
                *weights += 1;
                let w = self.expr(value)?;
                // A region's weight applies to that region's fills; a top-level one to all.
                if region.is_some() {
                    steps.push(Step::Scale(w));
                } else if let Some(k) = self.only {
                    // In an `only` block: the factor for the block's samples, 1 for the others
                    // (decided per sample, before the factor is evaluated).
                    let ty = self.ty(value)?;
                    let one = match ty.unwrap_optional().0 {
                        Type::Int => Value::Int(1),
                        _ => Value::Float(1.0),
                    };
                    let otherwise = self.push(NodeKind::Const(one), ty.unwrap_optional().0.clone());
                    let guarded = self.push(
                        NodeKind::If {
                            cond: self.plan.onlys[k].guard,
                            then: w,
                            otherwise,
                        },
                        ty,
                    );
                    self.plan.onlys[k].weights.push(self.plan.weights.len());
                    self.plan.weights.push(guarded);
                } else {
                    self.plan.weights.push(w);
                }
            }
            StmtKind::Hist(h) => {
                let exprs: Vec<&Expr> = h.fills.iter().chain(&h.profile).chain(&h.weight).collect();
                self.begin_site(format!("hist:{prefix}{}", h.name.name), &exprs, None);
                let mut values = Vec::new();
                for f in &h.fills {
                    values.push(self.expr(f)?);
                }
                // Evaluation order: the axes' values, the averaged value, the weight.
                let profile = h.profile.as_ref().map(|p| self.expr(p)).transpose()?;
                let weight = h.weight.as_ref().map(|w| self.expr(w)).transpose()?;
                let mut axes = Vec::new();
                for a in &h.axes {
                    axes.push(self.axis(a)?);
                }
                steps.push(Step::Fill(self.plan.hists.len()));
                self.plan.hists.push(HistSpec {
                    name: h.name.name.clone(),
                    region: region_name,
                    values,
                    weight,
                    axes,
                    profile,
                });
            }
            StmtKind::Counter { name, when } => {
                let exprs: Vec<&Expr> = when.iter().collect();
                self.begin_site(format!("counter:{prefix}{}", name.name), &exprs, None);
                let when = when.as_ref().map(|w| self.expr(w)).transpose()?;
                steps.push(Step::Count(self.plan.counters.len()));
                self.plan.counters.push(CounterSpec {
                    name: name.name.clone(),
                    region: region_name,
                    when,
                });
            }
            StmtKind::Collect { name, values, max } => {
                let exprs: Vec<&Expr> = values.iter().collect();
                self.begin_site(format!("collect:{prefix}{}", name.name), &exprs, None);
                let mut nodes = Vec::new();
                for v in values {
                    nodes.push(self.expr(v)?);
                }
                let max = match max {
                    None => None,
                    Some(m) => match self.checked.values.get(&m.id) {
                        Some(Value::Int(n)) if *n >= 1 => Some(*n as usize),
                        _ => return err("collect bound is not a positive constant"),
                    },
                };
                steps.push(Step::Collect(self.plan.collects.len()));
                let columns = values
                    .iter()
                    .map(|v| {
                        self.source
                            .get(v.span.start..v.span.end)
                            .unwrap_or("?")
                            .to_string()
                    })
                    .collect();
                self.plan.collects.push(CollectSpec {
                    name: name.name.clone(),
                    region: region_name,
                    values: nodes,
                    columns,
                    max,
                });
            }
            // Functions are inlined at their calls; their statement computes nothing.
            StmtKind::Function { .. } => {}
            StmtKind::Skim { name, items } => {
                let exprs: Vec<&Expr> = items.iter().map(|i| &i.value).collect();
                self.begin_site(format!("skim:{prefix}{}", name.name), &exprs, None);
                let mut groups = Vec::new();
                for item in items {
                    groups.push(self.skim_group(item)?);
                }
                steps.push(Step::Skim(self.plan.skims.len()));
                self.plan.skims.push(SkimSpec {
                    name: name.name.clone(),
                    region: region_name,
                    groups,
                });
            }
            StmtKind::Only { targets, body } => {
                let guard = self.only_guard(targets);
                let k = self.plan.onlys.len();
                self.plan.onlys.push(OnlySpec {
                    targets: targets.iter().map(|t| t.name.clone()).collect(),
                    guard,
                    weights: Vec::new(),
                });
                steps.push(Step::Only(k));
                self.only = Some(k);
                for b in body {
                    self.stmt(b, region, steps, weights)?;
                }
                self.only = None;
                steps.push(Step::EndOnly);
            }
            StmtKind::Region { .. } | StmtKind::Vary(_) | StmtKind::Derive { .. } => {
                return err("nested region, vary or derive");
            }
        }
        self.site = None;
        Ok(())
    }

    fn axis(&self, a: &ast::Axis) -> R<AxisSpec> {
        let vals: Vec<&Value> = a
            .args
            .iter()
            .map(|e| {
                self.checked
                    .values
                    .get(&e.id)
                    .ok_or_else(|| LowerError("axis argument is not constant".into()))
            })
            .collect::<R<_>>()?;
        let num = |v: &Value| v.as_f64().ok_or_else(|| LowerError("axis bound".into()));
        let int = |v: &Value| match v {
            Value::Int(i) => Ok(*i),
            _ => err("integer axis bound"),
        };
        let kind = match (a.kind.name.as_str(), vals.as_slice()) {
            ("regular", [n, lo, hi]) => AxisKind::Regular {
                n: usize::try_from(int(n)?).map_err(|_| LowerError("bins".into()))?,
                low: num(lo)?,
                high: num(hi)?,
            },
            ("variable", edges) => {
                AxisKind::Variable(edges.iter().map(|v| num(v)).collect::<R<_>>()?)
            }
            ("integer", [lo, hi]) => AxisKind::Integer {
                low: int(lo)?,
                high: int(hi)?,
            },
            ("category", cats) if cats.iter().all(|v| matches!(v, Value::Str(_))) => {
                AxisKind::StrCategory(cats.iter().map(|v| v.to_string()).collect())
            }
            ("category", cats) => {
                AxisKind::IntCategory(cats.iter().map(|v| int(v)).collect::<R<_>>()?)
            }
            (k, _) => return err(format!("axis `{k}`")),
        };
        Ok(AxisSpec {
            kind,
            label: a.label.as_ref().map_or(String::new(), |l| l.value.clone()),
        })
    }

    fn vary(&mut self, v: &ast::Vary, index: usize) -> R<()> {
        let infos: Vec<_> = self
            .checked
            .variations
            .iter()
            .filter(|x| x.stmt == index)
            .cloned()
            .collect();
        for info in infos {
            self.loop_value = info.index.clone();
            let base = match info.direction {
                Direction::Up => info.name.strip_suffix("_up").unwrap_or(&info.name),
                Direction::Down => info.name.strip_suffix("_down").unwrap_or(&info.name),
                Direction::Single => &info.name,
            }
            .to_string();
            let kind = match &v.body {
                VaryBody::Kinematic(reps) => {
                    let exprs: Vec<&Expr> = reps.iter().map(|r| &r.value).collect();
                    self.begin_site(format!("vary:{base}"), &exprs, Some(info.name.clone()));
                    let mut out = Vec::new();
                    for r in reps {
                        let coll = r.collection.name.clone();
                        let field = self.field_id(&coll, &r.field.name)?;
                        self.elems.push(Elem::Tree(coll));
                        let value = self.expr(&r.value);
                        self.elems.pop();
                        out.push(Replacement {
                            field,
                            value: value?,
                        });
                    }
                    VariationKind::Kinematic(out)
                }
                VaryBody::WeightUpDown { up, down } => {
                    self.begin_site(format!("vary:{base}"), &[up, down], None);
                    let e = if info.direction == Direction::Down {
                        down
                    } else {
                        up
                    };
                    VariationKind::Weight(self.expr(e)?)
                }
                VaryBody::Weight(e) => {
                    self.begin_site(format!("vary:{base}"), &[e], None);
                    VariationKind::Weight(self.expr(e)?)
                }
            };
            self.plan.variations.push(Variation {
                name: info.name.clone(),
                processes: info.processes.clone(),
                kind,
                direction: info.direction,
            });
        }
        self.loop_value = None;
        self.site = None;
        Ok(())
    }

    // ---- columns ---------------------------------------------------------------------------

    fn coll_id(&mut self, name: &str) -> R<CollId> {
        if let Some(i) = self.plan.collections.iter().position(|c| c.name == name) {
            return Ok(CollId(i as u32));
        }
        let c = self
            .schema
            .collection(name)
            .ok_or_else(|| LowerError(format!("collection `{name}` is not in the schema")))?;
        let (length, counter) = match &c.layout {
            CollectionLayout::Counter { branch } => (branch.clone(), true),
            CollectionLayout::Vector => match c.fields.first() {
                Some(f) => (f.branch.clone(), false),
                None => return err(format!("collection `{name}` has no fields")),
            },
        };
        self.plan.collections.push(CollInfo {
            name: name.to_string(),
            length,
            counter,
            p4: None,
        });
        Ok(CollId(self.plan.collections.len() as u32 - 1))
    }

    fn field_id(&mut self, coll: &str, name: &str) -> R<FieldId> {
        let c = self.coll_id(coll)?;
        if let Some(i) = self
            .plan
            .fields
            .iter()
            .position(|f| f.coll == c && f.name == name)
        {
            return Ok(FieldId(i as u32));
        }
        let f = self
            .schema
            .collection(coll)
            .and_then(|s| s.field(name))
            .ok_or_else(|| LowerError(format!("field `{coll}.{name}` is not in the schema")))?;
        self.plan.fields.push(FieldInfo {
            coll: c,
            name: name.to_string(),
            branch: f.branch.clone(),
            ty: f.ty,
        });
        Ok(FieldId(self.plan.fields.len() as u32 - 1))
    }

    /// The collection's four-vector fields, registered on first use.
    fn p4_of(&mut self, coll: &str) -> R<CollId> {
        let c = self.coll_id(coll)?;
        if self.plan.collections[c.0 as usize].p4.is_some() {
            return Ok(c);
        }
        let schema = self
            .schema
            .collection(coll)
            .ok_or_else(|| LowerError(format!("collection `{coll}`")))?;
        let find = |names: &[&str]| {
            schema
                .fields
                .iter()
                .find(|f| names.contains(&f.name.to_ascii_lowercase().as_str()))
                .map(|f| f.name.clone())
        };
        let polar = [
            find(&["pt"]),
            find(&["eta"]),
            find(&["phi"]),
            find(&["mass", "m"]),
        ];
        let cart = [find(&["px"]), find(&["py"]), find(&["pz"]), find(&["e"])];
        let (kind, names) = if polar.iter().all(Option::is_some) {
            (P4Kind::PtEtaPhiM, polar)
        } else if cart.iter().all(Option::is_some) {
            (P4Kind::PxPyPzE, cart)
        } else {
            return err(format!("collection `{coll}` has no four-vector fields"));
        };
        let mut ids = [FieldId(0); 4];
        for (slot, n) in ids.iter_mut().zip(names.iter().flatten()) {
            *slot = self.field_id(coll, n)?;
        }
        self.plan.collections[c.0 as usize].p4 = Some((kind, ids));
        Ok(c)
    }

    fn scalar_id(&mut self, name: &str) -> R<ScalarId> {
        if let Some(i) = self.plan.scalars.iter().position(|s| s.branch == name) {
            return Ok(ScalarId(i as u32));
        }
        let b = self
            .schema
            .branch(name)
            .ok_or_else(|| LowerError(format!("branch `{name}` is not in the schema")))?;
        self.plan.scalars.push(ScalarInfo {
            branch: b.branch.clone(),
            ty: b.ty,
            shape: b.shape,
        });
        Ok(ScalarId(self.plan.scalars.len() as u32 - 1))
    }

    /// How field `name` of an element of static type `elem` is read, its leaves from `leaf`.
    fn access(&mut self, elem: &Elem, name: &str, leaf: u32) -> R<Access> {
        match elem {
            Elem::Tree(c) => {
                let stored = self
                    .schema
                    .collection(c)
                    .is_some_and(|s| s.field(name).is_some());
                if name == "p4" && !stored {
                    let coll = self.p4_of(c)?;
                    Ok(Access::P4 { leaf, coll })
                } else {
                    Ok(Access::Field {
                        leaf,
                        field: self.field_id(c, name)?,
                    })
                }
            }
            Elem::Combo(e, k) => {
                let w = width(e);
                let parts = (0..*k as u32)
                    .map(|i| self.access(e, name, leaf + i * w))
                    .collect::<R<Vec<_>>>()?;
                Ok(if name == "p4" {
                    Access::P4Sum(parts)
                } else {
                    Access::Members(parts)
                })
            }
            Elem::Pair(a, b) => {
                if name != "p4" {
                    return err(format!("a pair has no field `{name}`"));
                }
                let pa = self.access(a, "p4", leaf)?;
                let pb = self.access(b, "p4", leaf + width(a))?;
                Ok(Access::P4Sum(vec![pa, pb]))
            }
            Elem::Opaque(c) => err(format!("collection `{c}` has no schema")),
            Elem::Union(sources) => {
                let ty = crate::sema::types::union_field(sources, name, Some(self.schema))
                    .ok_or_else(|| LowerError(format!("a union has no common field `{name}`")))?;
                let parts = sources
                    .iter()
                    .map(|c| self.access(&Elem::Tree(c.clone()), name, leaf + 1))
                    .collect::<R<Vec<_>>>()?;
                Ok(Access::Union { leaf, parts, ty })
            }
        }
    }

    // ---- expressions -----------------------------------------------------------------------

    fn constant(&mut self, v: Value) -> NodeId {
        let ty = match &v {
            Value::Int(_) => Type::Int,
            Value::Float(_) => Type::Float,
            Value::Bool(_) => Type::Bool,
            Value::Str(_) => Type::Str,
        };
        self.push(NodeKind::Const(v), ty)
    }

    /// The branches of one skimmed value (layout: `sema::skim`).
    fn skim_group(&mut self, item: &ast::SkimItem) -> R<SkimGroup> {
        use crate::io::schema::ScalarType as S;
        use crate::sema::skim::{SkimShape, item_name, shape};
        let name = item_name(item).ok_or_else(|| LowerError("unnamed skim value".into()))?;
        let ty = self.ty(&item.value)?;
        let computed = |t: &Type| match t {
            Type::Int => Ok(S::I64),
            Type::Float => Ok(S::F64),
            Type::Bool => Ok(S::Bool),
            t => err(format!("skimmed {t}")),
        };
        let value = self.expr(&item.value)?;
        Ok(match shape(&ty, Some(self.schema)).map_err(LowerError)? {
            SkimShape::Scalar(t) => SkimGroup {
                counter: None,
                columns: vec![SkimColumn {
                    branch: name,
                    value,
                    ty: computed(&t)?,
                }],
            },
            SkimShape::List(t) => SkimGroup {
                counter: Some(format!("n{name}")),
                columns: vec![SkimColumn {
                    branch: name,
                    value,
                    ty: computed(&t)?,
                }],
            },
            SkimShape::Collection(fields) => {
                let Type::Collection(el) = ty.unwrap_optional().0.clone() else {
                    return err("skimmed collection");
                };
                let mut columns = Vec::new();
                for (field, st) in fields {
                    let access = self.access(&el, &field, 0)?;
                    let ft = match crate::sema::types::field_type(&el, &field, Some(self.schema)) {
                        Some(t) => t,
                        None => return err(format!("skimmed field `{field}`")),
                    };
                    let proj = self.push(
                        NodeKind::Project {
                            coll: value,
                            access,
                        },
                        Type::List(Box::new(ft)),
                    );
                    columns.push(SkimColumn {
                        branch: format!("{name}_{field}"),
                        value: proj,
                        ty: st,
                    });
                }
                SkimGroup {
                    counter: Some(format!("n{name}")),
                    columns,
                }
            }
        })
    }

    fn expr(&mut self, e: &Expr) -> R<NodeId> {
        let ty = self.ty(e)?;
        if let Some(v) = self.checked.values.get(&e.id)
            && matches!(ty, Type::Int | Type::Float | Type::Bool | Type::Str)
        {
            return Ok(self.constant(v.clone()));
        }
        let kind = match &e.kind {
            ExprKind::Int(i) => NodeKind::Const(Value::Int(*i)),
            ExprKind::Float(f) => NodeKind::Const(Value::Float(*f)),
            ExprKind::Bool(b) => NodeKind::Const(Value::Bool(*b)),
            ExprKind::Str(s) => NodeKind::Const(Value::Str(s.clone())),
            ExprKind::Name(n) => self.name(e, n)?,
            ExprKind::Unary { op, operand } => NodeKind::Unary {
                op: *op,
                a: self.expr(operand)?,
            },
            ExprKind::Binary { .. }
                if let Some(Resolution::SampleTest {
                    variation,
                    name,
                    negate,
                }) = self.checked.resolutions.get(&e.id) =>
            {
                let t = SampleTest {
                    variation: *variation,
                    name: name.clone(),
                    negate: *negate,
                };
                let k = match self.plan.sample_tests.iter().position(|x| *x == t) {
                    Some(k) => k,
                    None => {
                        self.plan.sample_tests.push(t);
                        self.plan.sample_tests.len() - 1
                    }
                };
                NodeKind::SampleValue(SampleValue::Test(k as u32))
            }
            ExprKind::Binary { op, lhs, rhs } => NodeKind::Binary {
                op: *op,
                a: self.expr(lhs)?,
                b: self.expr(rhs)?,
            },
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => NodeKind::If {
                cond: self.expr(cond)?,
                then: self.expr(then)?,
                otherwise: self.expr(otherwise)?,
            },
            ExprKind::Named { collection, .. } => return self.expr(collection),
            // An inlined function: its body's copy (the arguments are there, as `Arg`s).
            ExprKind::Inline { body, .. } => return self.expr(body),
            ExprKind::Arg { value } => return self.expr(value),
            ExprKind::List(items) => NodeKind::ListLit {
                items: items.iter().map(|x| self.expr(x)).collect::<R<Vec<_>>>()?,
            },
            ExprKind::Slice { base, lo, hi } => {
                let coll = self.expr(base)?;
                let mut bound = |b: &Option<Box<Expr>>| -> R<(Option<NodeId>, bool)> {
                    match b {
                        None => Ok((None, false)),
                        Some(b) => {
                            let end = matches!(self.checked.values.get(&b.id), Some(Value::Int(_)));
                            Ok((Some(self.expr(b)?), end))
                        }
                    }
                };
                let (lo, lo_end) = bound(lo)?;
                let (hi, hi_end) = bound(hi)?;
                NodeKind::Slice {
                    coll,
                    lo,
                    hi,
                    lo_end,
                    hi_end,
                }
            }
            ExprKind::Where { collection, cond } => {
                let coll = self.expr(collection)?;
                let el = self.coll_elem(collection)?;
                let cond = self.scoped(el, cond)?;
                NodeKind::Where { coll, cond }
            }
            // A derived field of an element (`jets[0].x`) or of each element (`jets.x`).
            ExprKind::Field { base, .. }
                if let Some(Resolution::DerivedField { coll, name, .. }) =
                    self.checked.resolutions.get(&e.id) =>
            {
                let b = self.expr(base)?;
                let key = self.derived_key(coll, name)?;
                match self.ty(base)?.unwrap_optional().0 {
                    Type::Collection(_) => NodeKind::Map { coll: b, key },
                    _ => NodeKind::InElement { elem: b, key },
                }
            }
            // A branch whose name has a dot (`rec.x`), resolved by sema as a whole.
            ExprKind::Field { name, .. } if self.checked.resolutions.contains_key(&e.id) => {
                self.name(e, &name.name)?
            }
            ExprKind::Field { base, name } => {
                let bt = self.ty(base)?;
                let b = self.expr(base)?;
                if let Type::List(item) = bt.unwrap_optional().0
                    && **item == Type::P4
                {
                    return self.p4_list_member(b, &name.name);
                }
                match bt.unwrap_optional().0 {
                    Type::P4 => NodeKind::P4Member {
                        base: b,
                        member: P4Member::parse(&name.name)
                            .ok_or_else(|| LowerError(format!("p4 member `{}`", name.name)))?,
                    },
                    Type::Element(el) => NodeKind::Member {
                        base: b,
                        access: self.access(&el.clone(), &name.name, 0)?,
                    },
                    Type::Collection(el) => NodeKind::Project {
                        coll: b,
                        access: self.access(&el.clone(), &name.name, 0)?,
                    },
                    t => return err(format!("field `{}` of {t}", name.name)),
                }
            }
            ExprKind::Index { base, index } => {
                let bt = self.ty(base)?;
                let b = self.expr(base)?;
                match bt.unwrap_optional().0 {
                    Type::Element(el) if el.is_tuple() => {
                        let Some(Value::Int(i)) = self.checked.values.get(&index.id) else {
                            return err("tuple member index is not constant");
                        };
                        let (offset, w) = member_leaves(el, *i as usize)
                            .ok_or_else(|| LowerError("tuple member".into()))?;
                        NodeKind::TupleMember {
                            base: b,
                            offset,
                            width: w,
                        }
                    }
                    _ => NodeKind::Index {
                        base: b,
                        index: self.expr(index)?,
                        // Only a constant index counts from the end.
                        from_end: matches!(self.checked.values.get(&index.id), Some(Value::Int(_))),
                    },
                }
            }
            ExprKind::Call { args, .. }
                if let Some(crate::sema::Resolution::Symbol(id)) =
                    self.checked.resolutions.get(&e.id)
                    && let Some(crate::sema::SymbolKind::Correction(Some(corr))) =
                        self.checked.symbol(*id).map(|s| &s.kind) =>
            {
                let corr = *corr as u32;
                let args = args.iter().map(|a| self.expr(a)).collect::<R<Vec<_>>>()?;
                NodeKind::Correction { corr, args }
            }
            ExprKind::Call { func, args } => self.call(e, &func.name, args)?,
        };
        Ok(self.push(kind, ty))
    }

    /// The value of derived field `coll.name`, lowered with one more element scope (the element
    /// it is read from).
    fn derived_key(&mut self, coll: &str, name: &str) -> R<NodeId> {
        let value = self
            .derived
            .get(&(coll.to_string(), name.to_string()))
            .cloned()
            .ok_or_else(|| LowerError(format!("derived field `{coll}.{name}` not lowered")))?;
        self.scoped(Elem::Tree(coll.to_string()), &value)
    }

    /// `LIST.member` of a list of four-vectors made per element (`pairs.p4`, `list(c, p4)`):
    /// the member per element, a list over the same collection.
    fn p4_list_member(&mut self, list: NodeId, name: &str) -> R<NodeId> {
        let member =
            P4Member::parse(name).ok_or_else(|| LowerError(format!("p4 member `{name}`")))?;
        let mut node = list;
        while let NodeKind::Def(d) = &self.plan.nodes[node.0 as usize].kind {
            node = self.plan.defs[d.0 as usize].node;
        }
        let (coll, item) = match self.plan.nodes[node.0 as usize].kind.clone() {
            NodeKind::Project { coll, access } => (coll, Err(access)),
            NodeKind::Map { coll, key } => (coll, Ok(key)),
            k => return err(format!("a four-vector member of a list made by {k:?}")),
        };
        let el = match self.plan.nodes[coll.0 as usize].ty.unwrap_optional().0 {
            Type::Collection(el) => el.clone(),
            t => return err(format!("a list over {t}")),
        };
        self.elems.push(el);
        let p4 = match item {
            Ok(key) => key,
            Err(access) => self.push(NodeKind::Field { depth: 0, access }, Type::P4),
        };
        let m = self.push(NodeKind::P4Member { base: p4, member }, Type::Float);
        self.elems.pop();
        Ok(self.push(
            NodeKind::Map { coll, key: m },
            Type::List(Box::new(Type::Float)),
        ))
    }

    /// Lowers `e` with an element of type `el` in scope.
    fn scoped(&mut self, el: Elem, e: &Expr) -> R<NodeId> {
        self.elems.push(el);
        let r = self.expr(e);
        self.elems.pop();
        r
    }

    fn coll_elem(&self, e: &Expr) -> R<Elem> {
        match self.ty(e)? {
            Type::Collection(el) => Ok(el),
            t => err(format!("expected a collection, found {t}")),
        }
    }

    fn name(&mut self, e: &Expr, n: &str) -> R<NodeKind> {
        let res = self
            .checked
            .resolutions
            .get(&e.id)
            .ok_or_else(|| LowerError(format!("unresolved name `{n}`")))?;
        Ok(match res {
            Resolution::Symbol(id) => {
                let sym = self
                    .checked
                    .symbol(*id)
                    .ok_or_else(|| LowerError(format!("symbol `{n}`")))?;
                match &sym.kind {
                    SymbolKind::Const(Some(v)) => NodeKind::Const(v.clone()),
                    SymbolKind::Let | SymbolKind::Object => NodeKind::Def(
                        *self
                            .defs
                            .get(&id.0)
                            .ok_or_else(|| LowerError(format!("definition `{n}` not lowered")))?,
                    ),
                    k => return err(format!("`{n}` ({k:?}) used as a value")),
                }
            }
            Resolution::Field { name, depth } => {
                let el = self
                    .elems
                    .len()
                    .checked_sub(1 + depth)
                    .and_then(|i| self.elems.get(i))
                    .cloned()
                    .ok_or_else(|| LowerError(format!("field `{name}` outside its scope")))?;
                NodeKind::Field {
                    depth: *depth as u32,
                    access: self.access(&el, name, 0)?,
                }
            }
            Resolution::Element { depth } => NodeKind::Elem {
                depth: *depth as u32,
            },
            Resolution::Collection(c) => NodeKind::Collection(self.coll_id(c)?),
            Resolution::Branch(b) => NodeKind::Scalar(self.scalar_id(b)?),
            Resolution::SampleValue(v) => NodeKind::SampleValue(match v.as_str() {
                "xsec" => SampleValue::Xsec,
                "nevts" => SampleValue::Nevts,
                "sumw" => SampleValue::Sumw,
                "is_data" => SampleValue::IsData,
                _ => return err(format!("sample value `{v}`")),
            }),
            Resolution::Lumi => NodeKind::Const(Value::Float(
                self.checked.lumi.ok_or_else(|| LowerError("lumi".into()))?,
            )),
            Resolution::SampleTest { .. } => return err(format!("`{n}` as a value")),
            Resolution::DerivedField { coll, name, depth } => {
                let el = self
                    .elems
                    .len()
                    .checked_sub(1 + depth)
                    .and_then(|i| self.elems.get(i))
                    .cloned()
                    .ok_or_else(|| LowerError(format!("field `{name}` outside its scope")))?;
                let elem = self.push(
                    NodeKind::Elem {
                        depth: *depth as u32,
                    },
                    Type::Element(el),
                );
                let key = self.derived_key(coll, name)?;
                NodeKind::InElement { elem, key }
            }
            Resolution::LoopVar(_) => NodeKind::Const(
                self.loop_value
                    .clone()
                    .ok_or_else(|| LowerError(format!("`{n}` outside its vary family")))?,
            ),
        })
    }

    /// A four-vector operand: a P4 as is, an element through its `p4` field.
    fn p4_arg(&mut self, a: &Expr) -> R<NodeId> {
        let t = self.ty(a)?;
        let node = self.expr(a)?;
        let (inner, optional) = t.unwrap_optional();
        match inner {
            Type::Element(el) => {
                let access = self.access(&el.clone(), "p4", 0)?;
                let ty = if optional {
                    Type::P4.optional()
                } else {
                    Type::P4
                };
                Ok(self.push(NodeKind::Member { base: node, access }, ty))
            }
            _ => Ok(node),
        }
    }

    fn call(&mut self, e: &Expr, name: &str, args: &[Expr]) -> R<NodeKind> {
        let lower_all = |l: &mut Self| args.iter().map(|a| l.expr(a)).collect::<R<Vec<_>>>();
        if let Some(m) = Math1::parse(name) {
            return Ok(NodeKind::Call {
                func: Builtin::Math1(m),
                args: lower_all(self)?,
            });
        }
        let keyed = |op| -> Option<KeyedOp> { Some(op) };
        let kop = match name {
            "sort" => keyed(KeyedOp::Sort),
            "sort_desc" => keyed(KeyedOp::SortDesc),
            "argmax" => keyed(KeyedOp::ArgMax),
            "argmin" => keyed(KeyedOp::ArgMin),
            "any" => keyed(KeyedOp::Any),
            "all" => keyed(KeyedOp::All),
            "sum" if args.len() == 2 => keyed(KeyedOp::Sum),
            "prod" if args.len() == 2 => keyed(KeyedOp::Prod),
            "min" | "max"
                if args.len() == 2
                    && matches!(self.checked.type_of(args[0].id), Some(Type::Collection(_))) =>
            {
                keyed(if name == "min" {
                    KeyedOp::Min
                } else {
                    KeyedOp::Max
                })
            }
            _ => None,
        };
        if let Some(op) = kop {
            let coll = self.expr(&args[0])?;
            let el = self.coll_elem(&args[0])?;
            let key = self.scoped(el, &args[1])?;
            return Ok(NodeKind::Keyed { op, coll, key });
        }
        let func = match (name, args.len()) {
            ("pow", _) => Builtin::Pow,
            ("atan2", _) => Builtin::Atan2,
            ("min", 1) => Builtin::ListMin,
            ("max", 1) => Builtin::ListMax,
            ("min", _) => Builtin::MinN,
            ("max", _) => Builtin::MaxN,
            ("mean", _) => Builtin::ListMean,
            ("sum", _) => Builtin::ListSum,
            ("prod", _) => Builtin::ListProd,
            ("count", _) => Builtin::Count,
            ("int", _) => Builtin::ToInt,
            ("float", _) => Builtin::ToFloat,
            ("ptetaphim", _) => Builtin::PtEtaPhiM,
            ("pxpypze", _) => Builtin::PxPyPzE,
            ("delta_r" | "delta_phi" | "delta_eta" | "mt", _) => {
                let a = self.p4_arg(&args[0])?;
                let b = self.p4_arg(&args[1])?;
                let func = match name {
                    "delta_r" => Builtin::DeltaR,
                    "delta_phi" => Builtin::DeltaPhi,
                    "delta_eta" => Builtin::DeltaEta,
                    _ => Builtin::Mt,
                };
                return Ok(NodeKind::Call {
                    func,
                    args: vec![a, b],
                });
            }
            ("mt2", n) => {
                let a = self.p4_arg(&args[0])?;
                let b = self.p4_arg(&args[1])?;
                let met = self.p4_arg(&args[2])?;
                let chia = match args.get(3) {
                    Some(e) => self.expr(e)?,
                    None => self.constant(Value::Float(0.0)),
                };
                let chib = if n == 5 { self.expr(&args[4])? } else { chia };
                return Ok(NodeKind::Call {
                    func: Builtin::Mt2,
                    args: vec![a, b, met, chia, chib],
                });
            }
            ("first", 1) => {
                let base = self.expr(&args[0])?;
                let index = self.constant(Value::Int(0));
                return Ok(NodeKind::Index {
                    base,
                    index,
                    from_end: true,
                });
            }
            ("combinations" | "permutations", 2) => {
                let coll = self.expr(&args[0])?;
                let Some(Value::Int(k)) = self.checked.values.get(&args[1].id) else {
                    return err("combinations size is not constant");
                };
                return Ok(NodeKind::Combinations {
                    coll,
                    k: *k as u32,
                    ordered: name == "permutations",
                });
            }
            ("list", 2) => {
                let coll = self.expr(&args[0])?;
                let el = self.coll_elem(&args[0])?;
                let key = self.scoped(el, &args[1])?;
                return Ok(NodeKind::Map { coll, key });
            }
            ("union", _) => {
                return Ok(NodeKind::Union {
                    colls: lower_all(self)?,
                });
            }
            ("is_from", 2) => {
                // The element's source position equals the named collection's.
                let t = self.ty(&args[0])?;
                let (Type::Element(Elem::Union(sources)), optional) =
                    (t.unwrap_optional().0.clone(), t.unwrap_optional().1)
                else {
                    return err("is_from of a non-union element");
                };
                let ExprKind::Name(c) = &args[1].kind else {
                    return err("is_from without a collection name");
                };
                let k = sources
                    .iter()
                    .position(|s| s == c)
                    .ok_or_else(|| LowerError(format!("`{c}` is not a source of the union")))?;
                let base = self.expr(&args[0])?;
                let ty = if optional {
                    Type::Int.optional()
                } else {
                    Type::Int
                };
                let tag = self.push(
                    NodeKind::Member {
                        base,
                        access: Access::Tag { leaf: 0 },
                    },
                    ty,
                );
                let k = self.constant(Value::Int(k as i64));
                return Ok(NodeKind::Binary {
                    op: BinOp::Eq,
                    a: tag,
                    b: k,
                });
            }
            ("pairs", 2) => {
                return Ok(NodeKind::Pairs {
                    a: self.expr(&args[0])?,
                    b: self.expr(&args[1])?,
                });
            }
            ("normal" | "uniform", 2) => {
                let a = self.expr(&args[0])?;
                let b = self.expr(&args[1])?;
                let site = self
                    .site
                    .as_ref()
                    .ok_or_else(|| LowerError("random number outside a statement".into()))?;
                let ordinal = *site
                    .ordinals
                    .get(&e.id)
                    .ok_or_else(|| LowerError("random call without an ordinal".into()))?;
                return Ok(NodeKind::Random {
                    dist: if name == "normal" {
                        Dist::Normal
                    } else {
                        Dist::Uniform
                    },
                    a,
                    b,
                    site: RandomSite {
                        statement: site.statement.clone(),
                        ordinal,
                        variation: site.variation.clone(),
                        element: self.elems.last().map(|e| e.roots()[0].to_string()),
                    },
                });
            }
            (n, k) => return err(format!("builtin `{n}` with {k} argument(s)")),
        };
        Ok(NodeKind::Call {
            func,
            args: lower_all(self)?,
        })
    }
}

/// Number of tree-element leaves of an element (1 for a tree element, k·w for a combination).
pub fn width(el: &Elem) -> u32 {
    match el {
        Elem::Tree(_) | Elem::Opaque(_) => 1,
        Elem::Combo(e, k) => *k as u32 * width(e),
        Elem::Pair(a, b) => width(a) + width(b),
        // (source position, element)
        Elem::Union(_) => 2,
    }
}

/// (first leaf, width) of member `i` of a tuple element.
fn member_leaves(el: &Elem, i: usize) -> Option<(u32, u32)> {
    match el {
        Elem::Combo(e, k) if i < *k => Some((i as u32 * width(e), width(e))),
        Elem::Pair(a, _) if i == 0 => Some((0, width(a))),
        Elem::Pair(a, b) if i == 1 => Some((width(a), width(b))),
        _ => None,
    }
}

/// Numbers the `normal`/`uniform` calls of an expression in source order.
fn collect_randoms(e: &Expr, out: &mut HashMap<ExprId, u32>) {
    if let ExprKind::Call { func, .. } = &e.kind
        && matches!(func.name.as_str(), "normal" | "uniform")
    {
        let n = out.len() as u32;
        out.insert(e.id, n);
    }
    match &e.kind {
        ExprKind::Unary { operand, .. } => collect_randoms(operand, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            collect_randoms(lhs, out);
            collect_randoms(rhs, out);
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            collect_randoms(cond, out);
            collect_randoms(then, out);
            collect_randoms(otherwise, out);
        }
        ExprKind::Named { collection, .. } => collect_randoms(collection, out),
        ExprKind::Where { collection, cond } => {
            collect_randoms(collection, out);
            collect_randoms(cond, out);
        }
        ExprKind::Field { base, .. } => collect_randoms(base, out),
        ExprKind::Index { base, index } => {
            collect_randoms(base, out);
            collect_randoms(index, out);
        }
        ExprKind::Call { args, .. } | ExprKind::List(args) => {
            for a in args {
                collect_randoms(a, out);
            }
        }
        // What is lowered of an inlined call is its body's copy (arguments hold no draws).
        ExprKind::Inline { body, .. } => collect_randoms(body, out),
        ExprKind::Slice { base, lo, hi } => {
            collect_randoms(base, out);
            for b in lo.iter().chain(hi) {
                collect_randoms(b, out);
            }
        }
        ExprKind::Arg { value } => collect_randoms(value, out),
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::Str(_)
        | ExprKind::Name(_) => {}
    }
}

fn dexpr(e: &ast::DExpr) -> R<DExpr> {
    Ok(match &e.kind {
        DExprKind::Number(x) => DExpr::Number(*x),
        DExprKind::Ref { process, variation } => DExpr::Ref {
            process: process.name.clone(),
            variation: variation
                .as_ref()
                .map_or("nominal".to_string(), |v| v.name.clone()),
        },
        DExprKind::Neg(x) => DExpr::Neg(Box::new(dexpr(x)?)),
        DExprKind::Binary { op, lhs, rhs } => {
            let (a, b) = (Box::new(dexpr(lhs)?), Box::new(dexpr(rhs)?));
            match op {
                DOp::Add => DExpr::Add(a, b),
                DOp::Sub => DExpr::Sub(a, b),
                DOp::Mul => DExpr::Mul(a, b),
                DOp::Div => DExpr::Div(a, b),
            }
        }
        DExprKind::Call { func, args } => match (func.name.as_str(), args.as_slice()) {
            ("normalize", [DArg::Expr(x)]) => DExpr::Normalize(Box::new(dexpr(x)?)),
            ("efficiency", [DArg::Str(a), DArg::Str(b)]) => DExpr::Efficiency {
                passed: a.value.clone(),
                reference: b.value.clone(),
            },
            (f, _) => return err(format!("derive function `{f}`")),
        },
    })
}

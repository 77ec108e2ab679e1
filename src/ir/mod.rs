//! The analysis as a plan over columns: what to read, what to compute per event, what to fill.
//!
//! Input: a checked analysis (`sema::Checked` plus its AST), lowered by [`lower`]. Output: a
//! [`Plan`] that the passes rewrite (`crate::passes`), the reference interpreter runs
//! (`crate::runtime`) and the JIT compiles (part 2).
//!
//! Shape of a plan:
//! - **Columns**: the branches to read ([`Plan::branches`]) and the tree collections built from
//!   them ([`Plan::collections`], each with the fields used, [`FieldInfo`]).
//! - **Nodes**: one arena of typed expression nodes ([`Node`]). Definitions (`let`, `object`) are
//!   [`Def`]s: a node evaluated at most once per event and variation. Element scopes (`where`,
//!   keys, `vary` replacements) push the current element; [`NodeKind::Field`] reads a field of the
//!   element `depth` scopes out.
//! - **Steps**: the ordered top-level cuts and fills ([`Step`]), then the regions, each a list of
//!   steps evaluated for events that pass every top-level cut.
//! - **Variations**: kinematic ones replace fields ([`Replacement`]), weight ones multiply the
//!   nominal weight by a factor node; both refer to the same nodes as the nominal analysis.
//!
//! Invariants: every node's children have smaller ids (the arena is in evaluation order); types
//! are sema's, never `Unknown` or `Error` (lowering requires a schema and no errors); every
//! [`NodeKind::Field`] access was resolved against the static element type of its scope.

mod lower;
pub mod mt2;
pub mod ops;
mod print;

pub use lower::{LowerError, lower, width};

use crate::sema::{Direction, OutputTemplate, Type, Value};
use crate::syntax::ast::{BinOp, UnOp};

/// Index of a node in [`Plan::nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// Index of a definition in [`Plan::defs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DefId(pub u32);

/// Index of a field in [`Plan::fields`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldId(pub u32);

/// Index of a tree collection in [`Plan::collections`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CollId(pub u32);

/// Index of a per-event branch in [`Plan::scalars`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScalarId(pub u32);

#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    pub tree: String,
    pub nodes: Vec<Node>,
    pub defs: Vec<Def>,
    pub collections: Vec<CollInfo>,
    pub fields: Vec<FieldInfo>,
    /// Per-event branches read as values (`MET_pt`, `genWeight`, fixed arrays, lone lists).
    pub scalars: Vec<ScalarInfo>,
    /// Weight factors, in source order; their product is the event weight (simulation only).
    pub weights: Vec<NodeId>,
    pub top: Vec<Step>,
    pub regions: Vec<Region>,
    pub hists: Vec<HistSpec>,
    pub counters: Vec<CounterSpec>,
    pub collects: Vec<CollectSpec>,
    pub skims: Vec<SkimSpec>,
    /// Every cut label in source order (common cuts, then each region's), for the cutflow.
    pub cuts: Vec<CutInfo>,
    pub variations: Vec<Variation>,
    pub derives: Vec<DeriveSpec>,
    /// Corrections bound by `correction` statements (`NodeKind::Correction::corr` indexes it).
    pub corrections: Vec<crate::sema::BoundCorrection>,
    pub output: OutputTemplate,
    pub lumi: Option<f64>,
    /// Set by `passes::share`: per kinematic variation (index into `variations`), per def,
    /// whether the def's value is the nominal one (it does not depend on a replaced field).
    pub shared: Vec<Vec<bool>>,
    /// The `sample.process == "..."` tests (`SampleValue::Test` indexes it).
    pub sample_tests: Vec<SampleTest>,
    /// The `only` blocks (`Step::Only` indexes it).
    pub onlys: Vec<OnlySpec>,
}

/// Which columns of a plan a sample reads (see [`Plan::needed_columns`]): per collection, per
/// field, per per-event branch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NeededColumns {
    pub colls: Vec<bool>,
    pub fields: Vec<bool>,
    pub scalars: Vec<bool>,
}

fn mark_access(a: &Access, fields: &mut [bool], colls: &mut [bool]) {
    match a {
        Access::Field { field, .. } => fields[field.0 as usize] = true,
        Access::P4 { coll, .. } => colls[coll.0 as usize] = true,
        Access::Tag { .. } => {}
        Access::Members(_) | Access::P4Sum(_) | Access::Union { .. } => {
            for p in a.parts() {
                mark_access(p, fields, colls);
            }
        }
    }
}

/// Per output of a plan: the `only` block it stands in (see [`Plan::output_blocks`]).
#[derive(Debug, Clone, Default)]
pub struct OutputBlocks {
    pub hists: Vec<Option<usize>>,
    pub counters: Vec<Option<usize>>,
    pub collects: Vec<Option<usize>>,
    pub skims: Vec<Option<usize>>,
}

/// An `only` block: its steps run for the samples it names only.
#[derive(Debug, Clone, PartialEq)]
pub struct OnlySpec {
    /// As written: `data`, `simulation` or process names (any of them).
    pub targets: Vec<String>,
    /// Whether the sample is one of the targets: a bool made of `SampleValue::IsData` and
    /// `SampleValue::Test` nodes, the same for every event of a sample.
    pub guard: NodeId,
    /// Indices into `Plan::weights` of the block's top-level `weight` statements: each is
    /// `if guard then FACTOR else 1`.
    pub weights: Vec<usize>,
}

impl OnlySpec {
    /// Whether the block runs for a sample of `process` (real data when `is_data`); the value
    /// `guard` has for that sample.
    pub fn holds(&self, process: &str, is_data: bool) -> bool {
        self.targets.iter().any(|t| match t.as_str() {
            "data" => is_data,
            "simulation" => !is_data,
            p => p == process,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Node {
    pub kind: NodeKind,
    pub ty: Type,
}

/// What a node computes. Children are node ids; element-scoped children (`cond`, `key`) are
/// evaluated once per element with that element pushed.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    Const(Value),
    /// A per-event branch.
    Scalar(ScalarId),
    /// `xsec` or `nevts` of the sample being run.
    SampleValue(SampleValue),
    /// A definition's value.
    Def(DefId),
    /// The element `depth` scopes out (`it`).
    Elem {
        depth: u32,
    },
    /// A field of the element `depth` scopes out (a bare name inside `where`).
    Field {
        depth: u32,
        access: Access,
    },
    /// A field of an element value (`jets[0].pt`, `it.p4`); absent when `base` is.
    Member {
        base: NodeId,
        access: Access,
    },
    /// A four-vector member (`.pt`, `.mass`, ...).
    P4Member {
        base: NodeId,
        member: P4Member,
    },
    /// `c.f`: the list of a field over a collection's elements.
    Project {
        coll: NodeId,
        access: Access,
    },
    /// The `i`-th member of a tuple element (`it[0]`): `width` leaves starting at `offset`.
    TupleMember {
        base: NodeId,
        offset: u32,
        width: u32,
    },
    Unary {
        op: UnOp,
        a: NodeId,
    },
    Binary {
        op: BinOp,
        a: NodeId,
        b: NodeId,
    },
    If {
        cond: NodeId,
        then: NodeId,
        otherwise: NodeId,
    },
    Call {
        func: Builtin,
        args: Vec<NodeId>,
    },
    /// A tree collection, all of its elements.
    Collection(CollId),
    Where {
        coll: NodeId,
        cond: NodeId,
    },
    /// A per-element operation with a key or condition evaluated in the element's scope.
    Keyed {
        op: KeyedOp,
        coll: NodeId,
        key: NodeId,
    },
    /// `combinations(coll, k)`: k-tuples i0 < i1 < ...; with `ordered`, `permutations(coll, k)`:
    /// every ordering of distinct elements, lexicographic in (i0, i1, ...).
    Combinations {
        coll: NodeId,
        k: u32,
        ordered: bool,
    },
    Pairs {
        a: NodeId,
        b: NodeId,
    },
    /// `[a, b, ...]`: a list of the items' values.
    ListLit {
        items: Vec<NodeId>,
    },
    /// `key` evaluated with element `elem` in scope (a derived field of one element, `let
    /// Jet.x = ...` read as `jets[0].x` or a bare `x`); absent when `elem` is.
    InElement {
        elem: NodeId,
        key: NodeId,
    },
    /// `list(coll, key)`: `key` for each element of `coll` (evaluated with the element in scope),
    /// a list; also a projection chained through four-vectors (`pairs.p4.mass`).
    Map {
        coll: NodeId,
        key: NodeId,
    },
    /// `coll[lo:hi]`: the elements from `lo` (default 0) to `hi` (default all, excluded), bounds
    /// clamped into the collection; a constant negative bound counts from the end (`*_end`).
    Slice {
        coll: NodeId,
        lo: Option<NodeId>,
        hi: Option<NodeId>,
        lo_end: bool,
        hi_end: bool,
    },
    /// `union(a, b, ...)`: the elements of `a`, then those of `b`, ...; each element is two
    /// leaves, (source position, element).
    Union {
        colls: Vec<NodeId>,
    },
    /// `c[i]` or `list[i]`; absent out of range. A negative index counts from the end when it is
    /// a constant (`jets[-1]`, `from_end`); an index computed per event that is negative is
    /// absent (NanoAOD's `-1` for "no match" in `Muon_jetIdx`).
    Index {
        base: NodeId,
        index: NodeId,
        from_end: bool,
    },
    /// A correctionlib correction (`Plan::corrections[corr]`) of one argument per declared
    /// input: string inputs are `Const` string nodes; absent when a numeric argument is.
    Correction {
        corr: u32,
        args: Vec<NodeId>,
    },
    /// `normal(a, b)` / `uniform(a, b)`, keyed by [`RandomSite`].
    Random {
        dist: Dist,
        a: NodeId,
        b: NodeId,
        site: RandomSite,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleValue {
    Xsec,
    Nevts,
    /// The sum of generator weights of the sample's files (`genEventSumw` of their `Runs` trees).
    Sumw,
    /// `sample.is_data`: whether the sample is real data (`is_data: true` in the samples file).
    IsData,
    /// `sample.process == "NAME"` and the like: the test `Plan::sample_tests[k]`.
    Test(u32),
}

/// `sample.process == "NAME"` (`variation`: `sample.variation`; `negate`: `!=`), a bool that is
/// the same for every event of a sample.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SampleTest {
    pub variation: bool,
    pub name: String,
    pub negate: bool,
}

impl SampleTest {
    /// Its value for the sample `process`/`variation`.
    pub fn holds(&self, process: &str, variation: &str) -> bool {
        let v = if self.variation { variation } else { process };
        (v == self.name) != self.negate
    }
}

impl Access {
    /// The accesses this one is made of (a tuple's members, a union's sources).
    pub fn parts(&self) -> &[Access] {
        match self {
            Access::Members(v) | Access::P4Sum(v) | Access::Union { parts: v, .. } => v,
            Access::Field { .. } | Access::P4 { .. } | Access::Tag { .. } => &[],
        }
    }
}

/// How a field is read from an element (resolved from the element's static type).
#[derive(Debug, Clone, PartialEq)]
pub enum Access {
    /// A stored field of the tree-collection element at leaf `leaf`.
    Field { leaf: u32, field: FieldId },
    /// The four-vector of the tree-collection element at leaf `leaf`.
    P4 { leaf: u32, coll: CollId },
    /// A tuple's field: the list of its members' values.
    Members(Vec<Access>),
    /// A tuple's four-vector: the sum of its members' four-vectors, in member order.
    P4Sum(Vec<Access>),
    /// A field of a union element (leaves `leaf`: the source's position in the union, `leaf +
    /// 1`: the element): `parts[source]` reads it from that source, converted to `ty` (ints of
    /// one source become floats when another source's field is a float).
    Union {
        leaf: u32,
        parts: Vec<Access>,
        ty: Type,
    },
    /// Which source of a union the element at leaf `leaf` comes from (an int, in argument order).
    Tag { leaf: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum P4Member {
    Pt,
    Eta,
    Phi,
    Mass,
    E,
    Px,
    Py,
    Pz,
}

impl P4Member {
    pub fn parse(name: &str) -> Option<P4Member> {
        Some(match name {
            "pt" => P4Member::Pt,
            "eta" => P4Member::Eta,
            "phi" => P4Member::Phi,
            "mass" => P4Member::Mass,
            "e" => P4Member::E,
            "px" => P4Member::Px,
            "py" => P4Member::Py,
            "pz" => P4Member::Pz,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyedOp {
    Sort,
    SortDesc,
    ArgMax,
    ArgMin,
    Any,
    All,
    /// `sum(c, expr)`.
    Sum,
    /// `prod(c, expr)`.
    Prod,
    /// `min(c, expr)`, `max(c, expr)`: the smallest / largest value (absent when none).
    Min,
    Max,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dist {
    Normal,
    Uniform,
}

/// The part of a random number's key fixed by the analysis: the defining statement, the call's
/// ordinal in it, and the variation name for draws inside a `vary` replacement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RandomSite {
    /// `let:NAME`, `weight:K`, `vary:NAME`, ...
    pub statement: String,
    pub ordinal: u32,
    pub variation: Option<String>,
    /// The tree collection of the innermost element in scope (whose index joins the key), or
    /// `None` for a per-event draw.
    pub element: Option<String>,
}

/// Builtin functions (names as in the language).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    Math1(Math1),
    Pow,
    Atan2,
    /// `min(a, b, ...)` / `max(a, b, ...)` of numbers.
    MinN,
    MaxN,
    /// `min(list)`, `max(list)`, `mean(list)`, `sum(list)`: absent (min, max, mean) when empty.
    ListMin,
    ListMax,
    ListMean,
    ListSum,
    /// `prod(list)`: the product of the numbers (a float; 1 when empty).
    ListProd,
    /// `count(c)` of a collection or a list.
    Count,
    /// `int(x)` (truncates; an error when not finite or out of range), `float(x)`.
    ToInt,
    ToFloat,
    PtEtaPhiM,
    PxPyPzE,
    DeltaR,
    DeltaPhi,
    /// `delta_eta(a, b)`: η_a − η_b.
    DeltaEta,
    /// `mt(a, b)`: √(2 pT_a pT_b (1 − cos Δφ)).
    Mt,
    /// `mt2(a, b, met, χa, χb)` (lowering fills in absent masses): the stransverse mass.
    Mt2,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Math1 {
    Abs,
    Sqrt,
    Exp,
    Log,
    Log10,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Floor,
    Ceil,
    Round,
    NormalQuantile,
}

impl Math1 {
    pub fn parse(name: &str) -> Option<Math1> {
        use Math1::*;
        Some(match name {
            "abs" => Abs,
            "sqrt" => Sqrt,
            "exp" => Exp,
            "log" => Log,
            "log10" => Log10,
            "sin" => Sin,
            "cos" => Cos,
            "tan" => Tan,
            "asin" => Asin,
            "acos" => Acos,
            "atan" => Atan,
            "sinh" => Sinh,
            "cosh" => Cosh,
            "tanh" => Tanh,
            "floor" => Floor,
            "ceil" => Ceil,
            "round" => Round,
            "normal_quantile" => NormalQuantile,
            _ => return None,
        })
    }
}

/// A named per-event value (`let`) or collection (`object`).
#[derive(Debug, Clone)]
pub struct Def {
    pub name: String,
    pub node: NodeId,
    /// The region it was defined in (`None`: top level).
    pub region: Option<String>,
}

/// A tree collection the analysis uses.
#[derive(Debug, Clone)]
pub struct CollInfo {
    pub name: String,
    /// The branch giving the per-event length: the counter (`nJet`), or for `std::vector`
    /// collections one of its fields (the length is the fields' common length).
    pub length: String,
    /// Whether `length` is a counter (an integer per event) rather than a vector field.
    pub counter: bool,
    /// Fields making its four-vector, when it has one: (pt, eta, phi, mass) or (px, py, pz, e).
    pub p4: Option<(P4Kind, [FieldId; 4])>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum P4Kind {
    PtEtaPhiM,
    PxPyPzE,
}

/// One field of a tree collection: a jagged branch.
#[derive(Debug, Clone)]
pub struct FieldInfo {
    pub coll: CollId,
    pub name: String,
    pub branch: String,
    pub ty: crate::io::schema::ScalarType,
}

/// A per-event branch.
#[derive(Debug, Clone)]
pub struct ScalarInfo {
    pub branch: String,
    pub ty: crate::io::schema::ScalarType,
    pub shape: crate::io::schema::Shape,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A cut: the event stops here unless `cond` holds. `index` is into [`Plan::cuts`].
    Cut {
        index: usize,
        cond: NodeId,
    },
    Fill(usize),
    Count(usize),
    Collect(usize),
    /// A `skim`: the event's values appended to the skim's tree (nominal outputs only).
    Skim(usize),
    /// A cut of the region this one builds on (`region R from P`): the event leaves the region
    /// unless `cond` holds; no cutflow row (the cut has its row in `P`).
    Require(NodeId),
    /// A region's `weight`: multiplies the weight of the region's fills below it (simulation
    /// only); the cutflow keeps the common event weight.
    Scale(NodeId),
    /// The start of `only` block `Plan::onlys[k]`: unless its guard holds for the sample, the
    /// steps up to the matching `EndOnly` are skipped (they are fills; blocks hold no cuts).
    Only(usize),
    /// The end of the innermost `only` block.
    EndOnly,
}

#[derive(Debug, Clone)]
pub struct Region {
    pub name: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub struct CutInfo {
    pub label: String,
    /// `None` for a common (top-level) cut.
    pub region: Option<String>,
}

#[derive(Debug, Clone)]
pub struct HistSpec {
    pub name: String,
    /// `all` for top-level histograms.
    pub region: String,
    /// One value per axis.
    pub values: Vec<NodeId>,
    /// The histogram's own weight factor (`hist h = x weight W in ...`): a number, or for a list
    /// fill a list with one factor per filled element.
    pub weight: Option<NodeId>,
    pub axes: Vec<AxisSpec>,
    /// A profile's averaged value (`profile p = VALUE by X in ...`): a number, or for a 1-D
    /// profile a list (one value per filled element); `None` for a histogram.
    pub profile: Option<NodeId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AxisSpec {
    pub kind: AxisKind,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AxisKind {
    Regular {
        n: usize,
        low: f64,
        high: f64,
    },
    Variable(Vec<f64>),
    /// One bin per integer in `[low, high)`.
    Integer {
        low: i64,
        high: i64,
    },
    IntCategory(Vec<i64>),
    StrCategory(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct CounterSpec {
    pub name: String,
    pub region: String,
    pub when: Option<NodeId>,
}

#[derive(Debug, Clone)]
pub struct CollectSpec {
    pub name: String,
    pub region: String,
    pub values: Vec<NodeId>,
    /// The source text of each value (column names of the event list).
    pub columns: Vec<String>,
    /// Keep the first `max` events in input order (`None`: all).
    pub max: Option<usize>,
}

/// A `skim`: the branches written per event, grouped by shape.
#[derive(Debug, Clone)]
pub struct SkimSpec {
    pub name: String,
    pub region: String,
    pub groups: Vec<SkimGroup>,
}

/// Branches written together: one per-event value (`counter: None`), or lists of one length
/// per event whose length is written to the branch `counter` (a list; a collection's fields).
#[derive(Debug, Clone)]
pub struct SkimGroup {
    pub counter: Option<String>,
    pub columns: Vec<SkimColumn>,
}

#[derive(Debug, Clone)]
pub struct SkimColumn {
    pub branch: String,
    /// A per-event value (no counter) or a list (with one).
    pub value: NodeId,
    /// The type written: the stored field's own for a collection's fields; `I64`, `F64` or
    /// `Bool` for computed values.
    pub ty: crate::io::schema::ScalarType,
}

/// One concrete variation of a `vary` statement.
#[derive(Debug, Clone)]
pub struct Variation {
    pub name: String,
    /// Processes it applies to (empty: every simulated process).
    pub processes: Vec<String>,
    pub kind: VariationKind,
    pub direction: Direction,
}

#[derive(Debug, Clone)]
pub enum VariationKind {
    /// Replace fields of tree collections, per element, before anything else is computed.
    Kinematic(Vec<Replacement>),
    /// Multiply the nominal event weight by a factor.
    Weight(NodeId),
}

#[derive(Debug, Clone)]
pub struct Replacement {
    pub field: FieldId,
    /// Evaluated per element of the field's collection, with that element in scope.
    pub value: NodeId,
}

/// A `derive` statement.
#[derive(Debug, Clone)]
pub struct DeriveSpec {
    pub name: String,
    pub expr: DExpr,
}

/// Histogram arithmetic after the run (or an efficiency from cutflow counts).
#[derive(Debug, Clone, PartialEq)]
pub enum DExpr {
    Number(f64),
    /// A process's histogram of one variation (`nominal` when none is written).
    Ref {
        process: String,
        variation: String,
    },
    Neg(Box<DExpr>),
    Add(Box<DExpr>, Box<DExpr>),
    Sub(Box<DExpr>, Box<DExpr>),
    Mul(Box<DExpr>, Box<DExpr>),
    Div(Box<DExpr>, Box<DExpr>),
    Normalize(Box<DExpr>),
    /// Count after cut `passed` over count after cut `reference`, per sample.
    Efficiency {
        passed: String,
        reference: String,
    },
}

impl Plan {
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// Per node: the element width (leaves per element) of collection- and element-typed
    /// nodes, else 0.
    pub fn element_widths(&self) -> Vec<u32> {
        self.nodes
            .iter()
            .map(|n| match n.ty.unwrap_optional().0 {
                Type::Collection(e) | Type::Element(e) => width(e),
                _ => 0,
            })
            .collect()
    }

    /// The branches the plan reads, sorted and without duplicates.
    pub fn branches(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .collections
            .iter()
            .map(|c| c.length.clone())
            .chain(self.fields.iter().map(|f| f.branch.clone()))
            .chain(self.scalars.iter().map(|s| s.branch.clone()))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The `only` block (index into `onlys`) each histogram, counter and event list stands in,
    /// if any: (per `hists`, per `counters`, per `collects`).
    pub fn output_blocks(&self) -> OutputBlocks {
        let mut out = OutputBlocks {
            hists: vec![None; self.hists.len()],
            counters: vec![None; self.counters.len()],
            collects: vec![None; self.collects.len()],
            skims: vec![None; self.skims.len()],
        };
        let steps = self
            .top
            .iter()
            .chain(self.regions.iter().flat_map(|r| r.steps.iter()));
        let mut open: Vec<usize> = Vec::new();
        for s in steps {
            let at = open.last().copied();
            match *s {
                Step::Only(k) => open.push(k),
                Step::EndOnly => {
                    open.pop();
                }
                Step::Fill(h) => out.hists[h] = at,
                Step::Count(c) => out.counters[c] = at,
                Step::Collect(c) => out.collects[c] = at,
                Step::Skim(k) => out.skims[k] = at,
                Step::Cut { .. } | Step::Require(_) | Step::Scale(_) => {}
            }
        }
        out
    }

    /// The columns a sample of `process` (real data when `is_data`) may read: everything
    /// except what only `only` blocks that do not run for it use. Conservative: a collection
    /// used at all needs every field of it the plan reads, and a field its collection.
    pub fn needed_columns(&self, process: &str, is_data: bool) -> NeededColumns {
        // A weight of an `only` block not run for this sample is 1 without reading its factor.
        let mut stack: Vec<NodeId> = self
            .weights
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                !self
                    .onlys
                    .iter()
                    .any(|o| o.weights.contains(i) && !o.holds(process, is_data))
            })
            .map(|(_, w)| *w)
            .collect();
        let mut fields = vec![false; self.fields.len()];
        for v in &self.variations {
            match &v.kind {
                VariationKind::Kinematic(reps) => {
                    for r in reps {
                        fields[r.field.0 as usize] = true;
                        stack.push(r.value);
                    }
                }
                VariationKind::Weight(f) => stack.push(*f),
            }
        }
        let lists = std::iter::once(&self.top).chain(self.regions.iter().map(|r| &r.steps));
        for steps in lists {
            let mut skip = 0u32;
            for s in steps {
                match *s {
                    Step::Only(_) if skip > 0 => skip += 1,
                    Step::EndOnly if skip > 0 => skip -= 1,
                    _ if skip > 0 => {}
                    Step::Only(k) => {
                        if self.onlys[k].holds(process, is_data) {
                            stack.push(self.onlys[k].guard);
                        } else {
                            skip = 1;
                        }
                    }
                    Step::EndOnly => {}
                    Step::Cut { cond, .. } | Step::Require(cond) | Step::Scale(cond) => {
                        stack.push(cond)
                    }
                    Step::Fill(h) => {
                        stack.extend(self.hists[h].values.iter().copied());
                        stack.extend(self.hists[h].weight);
                    }
                    Step::Count(c) => stack.extend(self.counters[c].when),
                    Step::Collect(c) => stack.extend(self.collects[c].values.iter().copied()),
                    Step::Skim(k) => stack.extend(
                        self.skims[k]
                            .groups
                            .iter()
                            .flat_map(|g| g.columns.iter().map(|c| c.value)),
                    ),
                }
            }
        }
        let mut colls = vec![false; self.collections.len()];
        let mut scalars = vec![false; self.scalars.len()];
        let mut seen = vec![false; self.nodes.len()];
        while let Some(id) = stack.pop() {
            let Some(done) = seen.get_mut(id.0 as usize) else {
                continue;
            };
            if *done {
                continue;
            }
            *done = true;
            match &self.node(id).kind {
                NodeKind::Scalar(s) => scalars[s.0 as usize] = true,
                NodeKind::Collection(c) => colls[c.0 as usize] = true,
                NodeKind::Def(d) => stack.push(self.defs[d.0 as usize].node),
                NodeKind::Field { access, .. }
                | NodeKind::Member { access, .. }
                | NodeKind::Project { access, .. } => {
                    mark_access(access, &mut fields, &mut colls);
                }
                _ => {}
            }
            stack.extend(self.children(id));
        }
        for (f, info) in self.fields.iter().enumerate() {
            if fields[f] {
                colls[info.coll.0 as usize] = true;
            }
        }
        for (f, info) in self.fields.iter().enumerate() {
            if colls[info.coll.0 as usize] {
                fields[f] = true;
            }
        }
        NeededColumns {
            colls,
            fields,
            scalars,
        }
    }

    /// Indices of the kinematic variations.
    pub fn kinematic(&self) -> impl Iterator<Item = usize> + '_ {
        self.variations
            .iter()
            .enumerate()
            .filter(|(_, v)| matches!(v.kind, VariationKind::Kinematic(_)))
            .map(|(i, _)| i)
    }

    /// Every node the statements use (directly), the roots of the graph.
    pub fn roots(&self) -> Vec<NodeId> {
        let mut r: Vec<NodeId> = self.weights.clone();
        let steps = self
            .top
            .iter()
            .chain(self.regions.iter().flat_map(|r| r.steps.iter()));
        for s in steps {
            match *s {
                Step::Cut { cond, .. } | Step::Require(cond) | Step::Scale(cond) => r.push(cond),
                Step::Fill(h) => {
                    r.extend(self.hists[h].values.iter().copied());
                    r.extend(self.hists[h].profile);
                    r.extend(self.hists[h].weight);
                }
                Step::Count(c) => r.extend(self.counters[c].when),
                Step::Collect(c) => r.extend(self.collects[c].values.iter().copied()),
                Step::Skim(k) => r.extend(
                    self.skims[k]
                        .groups
                        .iter()
                        .flat_map(|g| g.columns.iter().map(|c| c.value)),
                ),
                Step::Only(k) => r.push(self.onlys[k].guard),
                Step::EndOnly => {}
            }
        }
        for v in &self.variations {
            match &v.kind {
                VariationKind::Kinematic(reps) => r.extend(reps.iter().map(|x| x.value)),
                VariationKind::Weight(f) => r.push(*f),
            }
        }
        r
    }

    /// The direct children of a node (element-scoped ones included; definitions not followed).
    pub fn children(&self, id: NodeId) -> Vec<NodeId> {
        match &self.node(id).kind {
            NodeKind::Const(_)
            | NodeKind::Scalar(_)
            | NodeKind::SampleValue(_)
            | NodeKind::Def(_)
            | NodeKind::Elem { .. }
            | NodeKind::Field { .. }
            | NodeKind::Collection(_) => vec![],
            NodeKind::Member { base, .. }
            | NodeKind::P4Member { base, .. }
            | NodeKind::TupleMember { base, .. } => vec![*base],
            NodeKind::Project { coll, .. } => vec![*coll],
            NodeKind::Unary { a, .. } => vec![*a],
            NodeKind::Binary { a, b, .. } => vec![*a, *b],
            NodeKind::If {
                cond,
                then,
                otherwise,
            } => vec![*cond, *then, *otherwise],
            NodeKind::Call { args, .. } => args.clone(),
            NodeKind::Where { coll, cond } => vec![*coll, *cond],
            NodeKind::Keyed { coll, key, .. } => vec![*coll, *key],
            NodeKind::Combinations { coll, .. } => vec![*coll],
            NodeKind::Union { colls } => colls.clone(),
            NodeKind::Map { coll, key } => vec![*coll, *key],
            NodeKind::ListLit { items } => items.clone(),
            NodeKind::InElement { elem, key } => vec![*elem, *key],
            NodeKind::Slice { coll, lo, hi, .. } => {
                std::iter::once(*coll).chain(*lo).chain(*hi).collect()
            }
            NodeKind::Pairs { a, b } => vec![*a, *b],
            NodeKind::Index { base, index, .. } => vec![*base, *index],
            NodeKind::Random { a, b, .. } => vec![*a, *b],
            NodeKind::Correction { args, .. } => args.clone(),
        }
    }
}

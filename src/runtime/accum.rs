//! Accumulators: weighted histograms, counters, event lists and cutflows, and their exact merge.
//!
//! Histograms keep the sum of weights and of squared weights per bin, flow bins included, flat in
//! UHI order: per axis `[underflow, bins..., overflow]` (regular, variable, integer) or
//! `[categories..., overflow]` (category); 2-D is x-major. Merging adds bin by bin; partials are
//! merged in plan order, so a result is the same whatever the scheduling.
//!
//! Bin rules (docs/language.md, "Numerics"): regular: z = (x − low)/(high − low), bin
//! floor(z·n), z < 0 underflow, z ≥ 1 overflow; variable: edges[i] ≤ x < edges[i+1]; integer:
//! floor(x) − low; category: the equal value, else overflow; NaN goes to the overflow bin.

use crate::ir::{AxisKind, AxisSpec, HistSpec};
use serde::Serialize;

/// A value to put on an axis.
#[derive(Debug, Clone, Copy)]
pub enum FillVal<'a> {
    I(i64),
    F(f64),
    S(&'a [u8]),
}

/// Number of cells of an axis, flow bins included.
pub fn extent(a: &AxisKind) -> usize {
    match a {
        AxisKind::Regular { n, .. } => n + 2,
        AxisKind::Variable(e) => e.len() + 1,
        AxisKind::Integer { low, high } => (high - low) as usize + 2,
        AxisKind::IntCategory(c) => c.len() + 1,
        AxisKind::StrCategory(c) => c.len() + 1,
    }
}

/// The cell of `v` on axis `a`, and whether `v` was NaN.
pub fn cell(a: &AxisKind, v: FillVal) -> (usize, bool) {
    let x = match v {
        FillVal::I(i) => i as f64,
        FillVal::F(f) => f,
        FillVal::S(s) => {
            return match a {
                AxisKind::StrCategory(c) => (
                    c.iter().position(|k| k.as_bytes() == s).unwrap_or(c.len()),
                    false,
                ),
                _ => (extent(a) - 1, false),
            };
        }
    };
    if x.is_nan() {
        return (extent(a) - 1, true);
    }
    let c = match a {
        AxisKind::Regular { n, low, high } => {
            let z = (x - low) / (high - low);
            if z < 0.0 {
                0
            } else if z >= 1.0 {
                n + 1
            } else {
                // z < 1 but z·n can round up to n: that value is still in the last bin.
                ((z * *n as f64) as usize).min(n - 1) + 1
            }
        }
        AxisKind::Variable(e) => {
            if x < e[0] {
                0
            } else {
                e.partition_point(|edge| *edge <= x)
            }
        }
        AxisKind::Integer { low, high } => {
            let n = (high - low) as usize;
            let k = match v {
                FillVal::I(i) => i.wrapping_sub(*low) as i128,
                _ => (x.floor() - *low as f64) as i128,
            };
            if k < 0 {
                0
            } else if k >= n as i128 {
                n + 1
            } else {
                k as usize + 1
            }
        }
        AxisKind::IntCategory(c) => match v {
            FillVal::I(i) => c.iter().position(|k| *k == i).unwrap_or(c.len()),
            _ => c.iter().position(|k| *k as f64 == x).unwrap_or(c.len()),
        },
        AxisKind::StrCategory(c) => c.len(),
    };
    (c, false)
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistAcc {
    pub sumw: Vec<f64>,
    pub sumw2: Vec<f64>,
    /// A profile's Σw·y and Σw·y² per bin (y the averaged value); empty for a histogram.
    pub sumwy: Vec<f64>,
    pub sumwy2: Vec<f64>,
    /// Fills skipped because a value was absent.
    pub skipped: u64,
    /// Values that were NaN (put in the overflow bin).
    pub nan: u64,
    /// Number of fills (entries).
    pub entries: u64,
}

impl HistAcc {
    pub fn new(spec: &HistSpec) -> Self {
        let n: usize = spec.axes.iter().map(|a| extent(&a.kind)).product();
        let p = if spec.profile.is_some() { n } else { 0 };
        HistAcc {
            sumw: vec![0.0; n],
            sumw2: vec![0.0; n],
            sumwy: vec![0.0; p],
            sumwy2: vec![0.0; p],
            skipped: 0,
            nan: 0,
            entries: 0,
        }
    }

    pub fn add(&mut self, cell: usize, w: f64) {
        self.sumw[cell] += w;
        self.sumw2[cell] += w * w;
        self.entries += 1;
    }

    /// A profile's fill: weight `w` and averaged value `y` in `cell` (as ROOT's `TProfile::Fill`:
    /// Σw·y gets w·y, Σw·y² gets (w·y)·y). The interpreter and the kernels' hooks both call this.
    pub fn add_profile(&mut self, cell: usize, w: f64, y: f64) {
        self.add(cell, w);
        let wy = w * y;
        self.sumwy[cell] += wy;
        self.sumwy2[cell] += wy * y;
    }

    pub fn merge(&mut self, o: &HistAcc) {
        for (mine, theirs) in [
            (&mut self.sumw, &o.sumw),
            (&mut self.sumw2, &o.sumw2),
            (&mut self.sumwy, &o.sumwy),
            (&mut self.sumwy2, &o.sumwy2),
        ] {
            for (a, b) in mine.iter_mut().zip(theirs) {
                *a += b;
            }
        }
        self.skipped += o.skipped;
        self.nan += o.nan;
        self.entries += o.entries;
    }
}

/// A profile's averaged value as a number (`FillVal::I` for ints and bools); `None` when it is
/// absent or not a number.
pub fn profile_y(v: Option<FillVal>) -> Option<f64> {
    match v? {
        FillVal::I(i) => Some(i as f64),
        FillVal::F(x) => Some(x),
        FillVal::S(_) => None,
    }
}

/// The flat cell of a fill of any number of axes.
pub fn flat(axes: &[AxisSpec], cells: &[usize]) -> usize {
    // Row-major, the last axis fastest (as the UHI JSON's nested lists).
    cells
        .iter()
        .zip(axes)
        .fold(0, |at, (c, a)| at * extent(&a.kind) + c)
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CounterAcc {
    pub events: u64,
    pub sumw: f64,
    pub sumw2: f64,
}

impl CounterAcc {
    pub fn add(&mut self, w: f64) {
        self.events += 1;
        self.sumw += w;
        self.sumw2 += w * w;
    }

    pub fn merge(&mut self, o: &CounterAcc) {
        self.events += o.events;
        self.sumw += o.sumw;
        self.sumw2 += o.sumw2;
    }
}

/// One collected value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CVal {
    Null,
    I(i64),
    F(f64),
    B(bool),
    S(String),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct CollectAcc {
    pub rows: Vec<Vec<CVal>>,
    /// Events that reached the statement (collected or not).
    pub seen: u64,
}

impl CollectAcc {
    /// Appends the rows of a later partial, keeping the first `max`.
    pub fn merge(&mut self, o: &CollectAcc, max: Option<usize>) {
        let room = max.map_or(usize::MAX, |m| m.saturating_sub(self.rows.len()));
        self.rows.extend(o.rows.iter().take(room).cloned());
        self.seen += o.seen;
    }
}

/// One skimmed column's values, flattened over events.
#[derive(Debug, Clone, PartialEq)]
pub enum SkimData {
    I(Vec<i64>),
    F(Vec<f64>),
    B(Vec<bool>),
}

impl SkimData {
    pub fn new(ty: crate::io::schema::ScalarType) -> SkimData {
        use crate::io::schema::ScalarType as S;
        match ty {
            S::Bool => SkimData::B(Vec::new()),
            t if t.is_float() => SkimData::F(Vec::new()),
            _ => SkimData::I(Vec::new()),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            SkimData::I(v) => v.len(),
            SkimData::F(v) => v.len(),
            SkimData::B(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends one value, converted to the column's kind. `false`: a kind the column cannot take
    /// (sema and lowering give each column the kind of its values).
    #[must_use]
    pub fn push(&mut self, v: FillVal) -> bool {
        match (self, v) {
            (SkimData::I(c), FillVal::I(i)) => c.push(i),
            (SkimData::F(c), FillVal::F(x)) => c.push(x),
            (SkimData::F(c), FillVal::I(i)) => c.push(i as f64),
            (SkimData::B(c), FillVal::I(i)) => c.push(i != 0),
            _ => return false,
        }
        true
    }

    fn append(&mut self, o: &SkimData) {
        match (self, o) {
            (SkimData::I(a), SkimData::I(b)) => a.extend_from_slice(b),
            (SkimData::F(a), SkimData::F(b)) => a.extend_from_slice(b),
            (SkimData::B(a), SkimData::B(b)) => a.extend_from_slice(b),
            // Partials of one plan have the same column kinds.
            _ => debug_assert!(false, "skim partials of different column kinds"),
        }
    }
}

/// A skim's rows so far: the weight per event, and per group its lengths (list groups) and
/// columns.
#[derive(Debug, Clone, PartialEq)]
pub struct SkimAcc {
    pub weight: Vec<f64>,
    /// Per group: the length of each event's lists (empty for a per-event group).
    pub lengths: Vec<Vec<u32>>,
    /// Per group, per column.
    pub columns: Vec<Vec<SkimData>>,
}

impl SkimAcc {
    pub fn new(spec: &crate::ir::SkimSpec) -> SkimAcc {
        SkimAcc {
            weight: Vec::new(),
            lengths: vec![Vec::new(); spec.groups.len()],
            columns: spec
                .groups
                .iter()
                .map(|g| g.columns.iter().map(|c| SkimData::new(c.ty)).collect())
                .collect(),
        }
    }

    /// Events written.
    pub fn events(&self) -> usize {
        self.weight.len()
    }

    /// Appends a later partial's events after this one's.
    pub fn merge(&mut self, o: &SkimAcc) {
        self.weight.extend_from_slice(&o.weight);
        for (a, b) in self.lengths.iter_mut().zip(&o.lengths) {
            a.extend_from_slice(b);
        }
        for (ga, gb) in self.columns.iter_mut().zip(&o.columns) {
            for (a, b) in ga.iter_mut().zip(gb) {
                a.append(b);
            }
        }
    }
}

/// Everything filled for one output variation of a sample.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSet {
    pub hists: Vec<HistAcc>,
    pub counters: Vec<CounterAcc>,
    pub collects: Vec<CollectAcc>,
    /// Filled for nominal outputs only; empty skims elsewhere.
    pub skims: Vec<SkimAcc>,
}

impl OutputSet {
    pub fn new(plan: &crate::ir::Plan) -> Self {
        OutputSet {
            hists: plan.hists.iter().map(HistAcc::new).collect(),
            counters: vec![CounterAcc::default(); plan.counters.len()],
            collects: vec![CollectAcc::default(); plan.collects.len()],
            skims: plan.skims.iter().map(SkimAcc::new).collect(),
        }
    }

    pub fn merge(&mut self, o: &OutputSet, plan: &crate::ir::Plan) {
        for (a, b) in self.hists.iter_mut().zip(&o.hists) {
            a.merge(b);
        }
        for (a, b) in self.counters.iter_mut().zip(&o.counters) {
            a.merge(b);
        }
        for ((a, b), spec) in self
            .collects
            .iter_mut()
            .zip(&o.collects)
            .zip(&plan.collects)
        {
            a.merge(b, spec.max);
        }
        for (a, b) in self.skims.iter_mut().zip(&o.skims) {
            a.merge(b);
        }
    }
}

/// Raw and weighted event counts after each cut: `common[0]` is every event, `common[k]` after
/// the k-th top-level cut; per region, after each of its cuts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cutflow {
    pub common: Vec<(u64, f64)>,
    pub regions: Vec<Vec<(u64, f64)>>,
}

impl Cutflow {
    pub fn new(plan: &crate::ir::Plan) -> Self {
        let common = plan.cuts.iter().filter(|c| c.region.is_none()).count();
        Cutflow {
            common: vec![(0, 0.0); common + 1],
            regions: plan
                .regions
                .iter()
                .map(|r| {
                    let n = r
                        .steps
                        .iter()
                        .filter(|s| matches!(s, crate::ir::Step::Cut { .. }))
                        .count();
                    vec![(0, 0.0); n]
                })
                .collect(),
        }
    }

    pub fn merge(&mut self, o: &Cutflow) {
        let add = |a: &mut Vec<(u64, f64)>, b: &Vec<(u64, f64)>| {
            for (x, y) in a.iter_mut().zip(b) {
                x.0 += y.0;
                x.1 += y.1;
            }
        };
        add(&mut self.common, &o.common);
        for (a, b) in self.regions.iter_mut().zip(&o.regions) {
            add(a, b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_bins_follow_the_documented_rule() {
        let a = AxisKind::Regular {
            n: 25,
            low: 50.0,
            high: 550.0,
        };
        assert_eq!(cell(&a, FillVal::F(49.9)).0, 0);
        assert_eq!(cell(&a, FillVal::F(50.0)).0, 1);
        assert_eq!(cell(&a, FillVal::F(69.999)).0, 1);
        assert_eq!(cell(&a, FillVal::F(70.0)).0, 2);
        assert_eq!(cell(&a, FillVal::F(549.9999999)).0, 25);
        assert_eq!(cell(&a, FillVal::F(550.0)).0, 26);
        assert_eq!(cell(&a, FillVal::F(f64::NAN)), (26, true));
        assert_eq!(cell(&a, FillVal::F(f64::NEG_INFINITY)).0, 0);
    }

    #[test]
    fn variable_integer_and_category_axes() {
        let v = AxisKind::Variable(vec![0.0, 1.0, 3.0]);
        assert_eq!(extent(&v), 4);
        assert_eq!(cell(&v, FillVal::F(-1.0)).0, 0);
        assert_eq!(cell(&v, FillVal::F(0.0)).0, 1);
        assert_eq!(cell(&v, FillVal::F(2.9)).0, 2);
        assert_eq!(cell(&v, FillVal::F(3.0)).0, 3);
        let i = AxisKind::Integer { low: -2, high: 3 };
        assert_eq!(extent(&i), 7);
        assert_eq!(cell(&i, FillVal::I(-3)).0, 0);
        assert_eq!(cell(&i, FillVal::I(-2)).0, 1);
        assert_eq!(cell(&i, FillVal::I(2)).0, 5);
        assert_eq!(cell(&i, FillVal::I(3)).0, 6);
        let c = AxisKind::StrCategory(vec!["GG".into(), "GT".into()]);
        assert_eq!(cell(&c, FillVal::S(b"GT")).0, 1);
        assert_eq!(cell(&c, FillVal::S(b"TT")).0, 2);
        let k = AxisKind::IntCategory(vec![-1, 1]);
        assert_eq!(cell(&k, FillVal::I(1)).0, 1);
        assert_eq!(cell(&k, FillVal::I(0)).0, 2);
    }
}

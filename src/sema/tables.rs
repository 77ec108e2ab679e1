//! `table` statements: binned lookups written in the analysis.
//!
//! Input: a [`Table`] (variables, bin edges per variable, one value per bin, a flow rule).
//! Output: a bound correction (`Checked::corrections`) and a symbol, so a call `NAME(x, y)` is
//! checked, lowered and run exactly as a correctionlib correction's call (one IR node,
//! `NodeKind::Correction`, one evaluator). The table is turned into the correctionlib document
//! it stands for (a `binning`, or a `multibinning` for several variables, with its `flow`) and
//! read by anac's own correctionlib reader; the bound correction names the table by its line.

use std::sync::Arc;

use super::binning::INVALID_BINNING;
use super::check::Checker;
use super::types::Type;
use super::value::Value;
use super::{BoundCorrection, CorrRef, SymbolKind};
use crate::corrections::CorrectionSet;
use crate::diagnostics::Span;
use crate::syntax::ast::{Expr, Table, TableEdges, TableFlow};

/// At most this many bins per table (a generated edge list stays small).
const MAX_TABLE_BINS: usize = 1 << 20;

impl Checker<'_> {
    pub(super) fn table_stmt(&mut self, t: &Table) {
        let mut ok = true;
        if super::builtins::ALL.contains(&t.name.name.as_str()) {
            self.error(
                super::stmts::DUPLICATE_NAME,
                t.name.span,
                format!("`{}` is a builtin function", t.name.name),
                "a builtin's name",
            )
            .help = Some("give the table another name".into());
            return;
        }
        for (i, p) in t.params.iter().enumerate() {
            if t.params[..i].iter().any(|q| q.name == p.name) {
                self.error(
                    super::stmts::DUPLICATE_NAME,
                    p.span,
                    format!("variable `{}` is listed twice", p.name),
                    "listed again",
                );
                ok = false;
            }
        }
        // One `edges` line per variable, in the variables' order.
        let mut edges: Vec<Vec<f64>> = Vec::new();
        for (i, a) in t.axes.iter().enumerate() {
            match t.params.get(i) {
                Some(p) if p.name == a.var.name => {}
                Some(p) => {
                    self.error(
                        INVALID_BINNING,
                        a.var.span,
                        format!(
                            "edges for `{}` where those of `{}` come",
                            a.var.name, p.name
                        ),
                        "not the next variable",
                    )
                    .help =
                        Some("give one `edges` line per variable, in the order of `(...)`".into());
                    ok = false;
                }
                None => {
                    self.error(
                        INVALID_BINNING,
                        a.var.span,
                        format!(
                            "`{}` is not a variable of table `{}`",
                            a.var.name, t.name.name
                        ),
                        "no such variable",
                    );
                    ok = false;
                }
            }
            match self.table_edges(&a.edges, a.var.span) {
                Some(e) => edges.push(e),
                None => ok = false,
            }
        }
        if t.axes.len() < t.params.len() {
            let missing = &t.params[t.axes.len()];
            self.error(
                INVALID_BINNING,
                missing.span,
                format!(
                    "table `{}` gives no edges for `{}`",
                    t.name.name, missing.name
                ),
                "no `edges` line",
            );
            ok = false;
        }
        let mut values = Vec::with_capacity(t.values.len());
        for v in &t.values {
            match self.table_number(v, "a table value") {
                Some(x) => values.push(x),
                None => ok = false,
            }
        }
        let flow = match &t.flow {
            None | Some(TableFlow::Error) => serde_json::json!("error"),
            Some(TableFlow::Clamp) => serde_json::json!("clamp"),
            Some(TableFlow::Wrap) => serde_json::json!("wrap"),
            Some(TableFlow::Default(e)) => match self.table_number(e, "a table's flow value") {
                Some(x) => serde_json::json!(x),
                None => {
                    ok = false;
                    serde_json::Value::Null
                }
            },
        };
        if ok {
            let bins = edges
                .iter()
                .try_fold(1usize, |n, e| n.checked_mul(e.len() - 1))
                .filter(|n| *n <= MAX_TABLE_BINS);
            match bins {
                Some(n) if n == values.len() => {}
                Some(n) => {
                    let shape: Vec<String> =
                        edges.iter().map(|e| (e.len() - 1).to_string()).collect();
                    self.error(
                        INVALID_BINNING,
                        t.name.span,
                        format!(
                            "table `{}` has {} values for {n} bins ({})",
                            t.name.name,
                            values.len(),
                            shape.join(" × ")
                        ),
                        "values and bins disagree",
                    )
                    .help = Some(
                        "one value per bin, the last variable's bins fastest: all bins of the \
                         last variable for the first bin of the first, then the next"
                            .into(),
                    );
                    ok = false;
                }
                None => {
                    self.error(
                        INVALID_BINNING,
                        t.name.span,
                        format!(
                            "table `{}` has more than {MAX_TABLE_BINS} bins",
                            t.name.name
                        ),
                        "too many bins",
                    );
                    ok = false;
                }
            }
        }
        if !self.check_new_name_pub(&t.name) {
            return;
        }
        let bound = if ok {
            self.bind_table(t, &edges, &values, flow)
        } else {
            None
        };
        self.define(&t.name, SymbolKind::Correction(bound), Type::Error);
    }

    /// The correctionlib document of a checked table, read back as a bound correction.
    fn bind_table(
        &mut self,
        t: &Table,
        edges: &[Vec<f64>],
        values: &[f64],
        flow: serde_json::Value,
    ) -> Option<usize> {
        let inputs: Vec<serde_json::Value> = t
            .params
            .iter()
            .map(|p| serde_json::json!({"name": p.name, "type": "real", "description": ""}))
            .collect();
        let names: Vec<&str> = t.params.iter().map(|p| p.name.as_str()).collect();
        let data = if edges.len() == 1 {
            serde_json::json!({"nodetype": "binning", "input": names[0], "edges": edges[0],
                               "content": values, "flow": flow})
        } else {
            serde_json::json!({"nodetype": "multibinning", "inputs": names, "edges": edges,
                               "content": values, "flow": flow})
        };
        let doc = serde_json::json!({
            "schema_version": 2,
            "corrections": [{
                "name": t.name.name, "version": 1, "inputs": inputs,
                "output": {"name": "value", "type": "real", "description": ""},
                "data": data,
            }],
        });
        let text = doc.to_string();
        let corr = CorrectionSet::from_json(&text)
            .ok()
            .and_then(|set| set.correction(&t.name.name).cloned());
        let Some(corr) = corr else {
            self.error(
                INVALID_BINNING,
                t.span,
                format!("table `{}` could not be built", t.name.name),
                "this table",
            );
            return None;
        };
        let (line, _) = self.source.line_col(t.span.start);
        let index = self.out.corrections.len();
        self.out.corrections.push(BoundCorrection {
            name: t.name.name.clone(),
            key: t.name.name.clone(),
            file: format!("table on line {line}"),
            xxh64: xxhash_rust::xxh64::xxh64(text.as_bytes(), 0),
            corr: CorrRef::Single(Arc::new(corr)),
        });
        Some(index)
    }

    /// A constant number; `None` after reporting why not.
    fn table_number(&mut self, e: &Expr, what: &str) -> Option<f64> {
        let (t, v) = self.expr(e);
        match v.as_ref().and_then(Value::as_f64) {
            Some(x) if x.is_finite() && matches!(v, Some(Value::Int(_) | Value::Float(_))) => {
                Some(x)
            }
            Some(x) => {
                self.error(
                    INVALID_BINNING,
                    e.span,
                    format!("{what} must be finite, found {x}"),
                    "not finite",
                );
                None
            }
            None if t == Type::Error => None,
            None => {
                self.error(
                    super::builtins::NOT_CONSTANT,
                    e.span,
                    format!("{what} must be a constant number"),
                    "not a constant number",
                );
                None
            }
        }
    }

    /// A table's bin edges: listed, or generated by `range(lo, hi, step)` / `logspace(lo, hi,
    /// n)`; at least two, strictly increasing.
    fn table_edges(&mut self, e: &TableEdges, at: Span) -> Option<Vec<f64>> {
        let edges = match e {
            TableEdges::List(xs) => {
                let mut out = Vec::with_capacity(xs.len());
                let mut ok = true;
                for x in xs {
                    match self.table_number(x, "a bin edge") {
                        Some(v) => out.push(v),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                out
            }
            TableEdges::Generated { func, args } => {
                let mut nums = Vec::new();
                for a in args {
                    nums.push(self.table_number(a, "an argument of the edges")?);
                }
                let generated = match (func.name.as_str(), nums.as_slice()) {
                    ("range", [lo, hi, step]) => range_edges(*lo, *hi, *step),
                    ("logspace", [lo, hi, n]) => logspace_edges(*lo, *hi, *n),
                    ("range" | "logspace", _) => Err(format!(
                        "`{}` takes three numbers: {}",
                        func.name,
                        if func.name == "range" {
                            "(low, high, step)"
                        } else {
                            "(low, high, bins)"
                        }
                    )),
                    (other, _) => Err(format!(
                        "edges are a list `[...]`, `range(low, high, step)` or `logspace(low, \
                         high, bins)`, not `{other}(...)`"
                    )),
                };
                match generated {
                    Ok(v) => v,
                    Err(m) => {
                        self.error(INVALID_BINNING, func.span, m, "cannot make these edges");
                        return None;
                    }
                }
            }
        };
        if edges.len() < 2 || edges.windows(2).any(|w| w[0] >= w[1]) {
            self.error(
                INVALID_BINNING,
                at,
                "bin edges must be at least two numbers, strictly increasing".into(),
                "these edges",
            );
            return None;
        }
        Some(edges)
    }
}

/// `range(lo, hi, step)`: lo, lo + step, ... up to hi, which must be reached to within 1e-9 of
/// a step.
fn range_edges(lo: f64, hi: f64, step: f64) -> Result<Vec<f64>, String> {
    // The arguments are finite (checked as constants).
    if step <= 0.0 || hi <= lo {
        return Err("`range(low, high, step)` needs low < high and step > 0".into());
    }
    let n = ((hi - lo) / step).round();
    if (lo + n * step - hi).abs() > 1e-9 * step || n > MAX_TABLE_BINS as f64 {
        return Err(format!(
            "`range({lo}, {hi}, {step})`: the steps do not end at {hi}"
        ));
    }
    let n = n as usize;
    Ok((0..=n)
        .map(|k| if k == n { hi } else { lo + k as f64 * step })
        .collect())
}

/// `logspace(lo, hi, n)`: n bins equally wide in log(x) from lo to hi (both > 0).
fn logspace_edges(lo: f64, hi: f64, n: f64) -> Result<Vec<f64>, String> {
    if lo <= 0.0 || hi <= lo || n.fract() != 0.0 || !(1.0..=MAX_TABLE_BINS as f64).contains(&n) {
        return Err(
            "`logspace(low, high, bins)` needs 0 < low < high and a whole number of bins".into(),
        );
    }
    let n = n as usize;
    let (a, b) = (lo.ln(), hi.ln());
    Ok((0..=n)
        .map(|k| match k {
            0 => lo,
            k if k == n => hi,
            k => (a + (b - a) * k as f64 / n as f64).exp(),
        })
        .collect())
}

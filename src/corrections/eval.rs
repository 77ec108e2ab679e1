//! The compiled form of a correction and its evaluation.
//!
//! A correction compiles to a [`Tree`]: a flat arena of [`Node`]s linked by `u32` indices, plus
//! the parsed formulas. Evaluation walks from the root in a loop (lookups continue with the
//! chosen child); only `Transform` (rule, then content) and formulas recurse, and their depth is
//! bounded at load time. Nothing allocates unless an error is reported.
//!
//! Bin lookup copies correctionlib 2.9 exactly, including its corner cases:
//! - non-uniform edges: bin `i` is `[e_i, e_{i+1})` (`std::upper_bound`); the last edge and NaN
//!   count as overflow;
//! - uniform edges: out of range is `v < low || v >= high` (so NaN is "in range"), otherwise the
//!   bin is `(size_t)(n * ((v - low) / (high - low)))`. That product can round up to `n`, which
//!   selects the slot after the last bin (the flow content, or 0.0 when flow is not a content
//!   node); NaN converts to 2^63 on x86-64, which a `Binning` turns back into bin 0 (the pointer
//!   arithmetic wraps) and a `MultiBinning` adds, wrapping, to its flat index (an odd stride makes
//!   the index invalid: an error);
//! - `wrap` maps `v` to `low + frac((v - low) / (high - low)) * (high - low)` for non-uniform
//!   edges (an infinite or NaN value, or one rounded onto the upper edge, is an error) and uses
//!   `frac(norm)` for uniform edges (infinite values become NaN, see above);
//! - `clamp` sends underflow to the first and overflow to the last bin.

use super::error::{EvalError, show_f64};
use super::formula::Expr;
use super::prng::{Distribution, Seed, draw};

/// Index of a node in a [`Tree`].
pub(crate) type NodeId = u32;

/// One argument of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// A real number (an `Int` given for a real input is converted).
    Real(f64),
    /// An integer.
    Int(i64),
    /// A string (for string-typed category inputs).
    Str(&'a str),
}

impl Value<'_> {
    /// The schema name of the value's type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Real(_) => "real",
            Value::Int(_) => "int",
            Value::Str(_) => "string",
        }
    }
}

/// The declared type of an input or output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarType {
    /// `"real"`: a double.
    Real,
    /// `"int"`: a 64-bit integer.
    Int,
    /// `"string"`.
    Str,
}

impl VarType {
    /// The schema spelling: `real`, `int` or `string`.
    pub fn name(self) -> &'static str {
        match self {
            VarType::Real => "real",
            VarType::Int => "int",
            VarType::Str => "string",
        }
    }
}

/// A declared input or output of a correction.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSpec {
    /// The name, unique among a correction's inputs.
    pub name: String,
    /// The declared type.
    pub ty: VarType,
    /// The description (empty when the file has none).
    pub description: String,
}

/// What a binning does with values outside its edges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Clamp,
    Error,
    Wrap,
    /// Evaluate the flow content node (stored after the bins).
    Content,
}

/// Bin edges of one axis.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Edges {
    Uniform {
        n: usize,
        low: f64,
        high: f64,
    },
    /// Strictly increasing, at least two.
    NonUniform(Vec<f64>),
}

impl Edges {
    pub(crate) fn nbins(&self) -> usize {
        match self {
            Edges::Uniform { n, .. } => *n,
            Edges::NonUniform(e) => e.len() - 1,
        }
    }
}

/// One axis of a multi-binning.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    pub input: usize,
    pub stride: usize,
    pub edges: Edges,
}

/// A compiled content node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Const(f64),
    /// `content` has `nbins + 1` entries: the last is the flow content (or a 0.0 constant when
    /// the flow is not a content node, which correctionlib also keeps there).
    Binning {
        input: usize,
        edges: Edges,
        flow: Flow,
        content: Vec<NodeId>,
    },
    /// `content` is row-major (last axis fastest), followed by the flow content if any.
    MultiBinning {
        axes: Vec<Axis>,
        flow: Flow,
        content: Vec<NodeId>,
    },
    /// Keys sorted.
    CategoryInt {
        input: usize,
        keys: Vec<(i64, NodeId)>,
        default: Option<NodeId>,
    },
    /// Keys sorted.
    CategoryStr {
        input: usize,
        keys: Vec<(String, NodeId)>,
        default: Option<NodeId>,
    },
    /// `expr` indexes [`Tree::formulas`].
    Formula {
        expr: u32,
        params: Vec<f64>,
    },
    Transform {
        input: usize,
        rule: NodeId,
        content: NodeId,
    },
    HashPrng {
        inputs: Vec<usize>,
        dist: Distribution,
    },
}

/// A compiled correction body.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    pub formulas: Vec<Expr>,
    pub root: NodeId,
}

/// Why a value has no bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinFail {
    Below,
    Above,
    Wrap,
}

/// What `(size_t)x` gives on x86-64 (the platform correctionlib's wheels run on): truncation in
/// range, 2^63 for NaN and values that do not fit.
fn x86_f64_to_u64(x: f64) -> u64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    const INDEFINITE: u64 = 1 << 63;
    if x < TWO63 {
        if x >= -TWO63 {
            x as i64 as u64
        } else {
            INDEFINITE
        }
    } else if x.is_nan() {
        INDEFINITE
    } else {
        let y = x - TWO63;
        let low = if y < TWO63 {
            y as i64 as u64
        } else {
            INDEFINITE
        };
        low ^ INDEFINITE
    }
}

/// What `(int64_t)std::round(x)` gives on x86-64: `i64::MIN` for NaN and out-of-range values.
pub(crate) fn x86_round_to_i64(x: f64) -> i64 {
    const TWO63: f64 = 9_223_372_036_854_775_808.0;
    let r = x.round();
    if (-TWO63..TWO63).contains(&r) {
        r as i64
    } else {
        i64::MIN
    }
}

/// The bin index of `value` as correctionlib computes it (`size_t` semantics, see the module
/// documentation). `nbins` means "the slot after the last bin".
pub(crate) fn find_bin(value: f64, edges: &Edges, flow: Flow) -> Result<u64, BinFail> {
    match edges {
        Edges::Uniform { n, low, high } => {
            let n = *n;
            if value < *low || value >= *high {
                match flow {
                    Flow::Content => return Ok(n as u64),
                    Flow::Clamp => return Ok(if value < *low { 0 } else { n as u64 - 1 }),
                    Flow::Wrap => {}
                    Flow::Error => {
                        return Err(if value < *low {
                            BinFail::Below
                        } else {
                            BinFail::Above
                        });
                    }
                }
            }
            let mut norm = (value - low) / (high - low);
            if flow == Flow::Wrap {
                norm -= norm.floor();
            }
            Ok(x86_f64_to_u64(n as f64 * norm))
        }
        Edges::NonUniform(e) => {
            let (Some(&low), Some(&high)) = (e.first(), e.last()) else {
                return Err(BinFail::Wrap);
            };
            let mut v = value;
            if flow == Flow::Wrap {
                let mut norm = (v - low) / (high - low);
                norm -= norm.floor();
                v = low + norm * (high - low);
            }
            // std::upper_bound: the first edge with `v < edge` (NaN: none, so overflow).
            let k = e.partition_point(|&edge| edge <= v || v.is_nan());
            let nbins = e.len() as u64 - 1;
            if k == 0 {
                match flow {
                    Flow::Content => Ok(nbins),
                    Flow::Error => Err(BinFail::Below),
                    Flow::Wrap => Err(BinFail::Wrap),
                    Flow::Clamp => Ok(0),
                }
            } else if k == e.len() {
                match flow {
                    Flow::Content => Ok(nbins),
                    Flow::Error => Err(BinFail::Above),
                    Flow::Wrap => Err(BinFail::Wrap),
                    Flow::Clamp => Ok(nbins - 1),
                }
            } else {
                Ok(k as u64 - 1)
            }
        }
    }
}

fn bin_error(fail: BinFail, inputs: &[InputSpec], input: usize, v: f64) -> EvalError {
    let name = inputs
        .get(input)
        .map_or("?", |s| s.name.as_str())
        .to_string();
    let value = show_f64(v);
    match fail {
        BinFail::Below => EvalError::OutOfRange {
            input: name,
            value,
            side: "below",
        },
        BinFail::Above => EvalError::OutOfRange {
            input: name,
            value,
            side: "above",
        },
        BinFail::Wrap => EvalError::WrapFailed { input: name, value },
    }
}

fn real(v: Option<&Value<'_>>) -> Result<f64, EvalError> {
    match v {
        Some(Value::Real(x)) => Ok(*x),
        Some(Value::Int(i)) => Ok(*i as f64),
        Some(Value::Str(_)) | None => Err(EvalError::Internal("binning input is not numeric")),
    }
}

fn child(content: &[NodeId], idx: u64) -> Result<NodeId, EvalError> {
    usize::try_from(idx)
        .ok()
        .and_then(|i| content.get(i).copied())
        .ok_or(EvalError::Internal("bin index past the content"))
}

impl Tree {
    /// Evaluates with checked, converted arguments. `vals` is modified by `Transform` nodes
    /// during the call and restored before returning.
    pub(crate) fn eval(
        &self,
        inputs: &[InputSpec],
        vals: &mut [Value<'_>],
    ) -> Result<f64, EvalError> {
        self.eval_node(self.root, inputs, vals)
    }

    fn eval_node(
        &self,
        start: NodeId,
        inputs: &[InputSpec],
        vals: &mut [Value<'_>],
    ) -> Result<f64, EvalError> {
        let mut id = start;
        loop {
            let node = self
                .nodes
                .get(id as usize)
                .ok_or(EvalError::Internal("node index out of range"))?;
            id = match node {
                Node::Const(v) => return Ok(*v),
                Node::Binning {
                    input,
                    edges,
                    flow,
                    content,
                } => {
                    let v = real(vals.get(*input))?;
                    let idx =
                        find_bin(v, edges, *flow).map_err(|f| bin_error(f, inputs, *input, v))?;
                    // Index 2^63 (NaN on a uniform axis) wraps around to the first bin.
                    child(content, if idx == 1 << 63 { 0 } else { idx })?
                }
                Node::MultiBinning {
                    axes,
                    flow,
                    content,
                } => self.multibin(axes, *flow, content, inputs, vals)?,
                Node::CategoryInt {
                    input,
                    keys,
                    default,
                } => {
                    let Some(Value::Int(k)) = vals.get(*input) else {
                        return Err(EvalError::Internal("category input is not an int"));
                    };
                    match keys.binary_search_by_key(k, |(key, _)| *key) {
                        Ok(i) => keys[i].1,
                        Err(_) => default.ok_or_else(|| EvalError::MissingCategory {
                            input: inputs[*input].name.clone(),
                            value: k.to_string(),
                        })?,
                    }
                }
                Node::CategoryStr {
                    input,
                    keys,
                    default,
                } => {
                    let Some(Value::Str(k)) = vals.get(*input) else {
                        return Err(EvalError::Internal("category input is not a string"));
                    };
                    match keys.binary_search_by(|(key, _)| key.as_str().cmp(k)) {
                        Ok(i) => keys[i].1,
                        Err(_) => default.ok_or_else(|| EvalError::MissingCategory {
                            input: inputs[*input].name.clone(),
                            value: format!("{k:?}"),
                        })?,
                    }
                }
                Node::Formula { expr, params } => {
                    let f = self
                        .formulas
                        .get(*expr as usize)
                        .ok_or(EvalError::Internal("formula index out of range"))?;
                    return f
                        .eval(vals, params)
                        .ok_or(EvalError::Internal("formula operand is not a real input"));
                }
                Node::Transform {
                    input,
                    rule,
                    content,
                } => {
                    let new = self.eval_node(*rule, inputs, vals)?;
                    let slot = vals
                        .get_mut(*input)
                        .ok_or(EvalError::Internal("transform input out of range"))?;
                    let old = *slot;
                    *slot = match old {
                        Value::Real(_) => Value::Real(new),
                        Value::Int(_) => Value::Int(x86_round_to_i64(new)),
                        Value::Str(_) => {
                            return Err(EvalError::Internal("transform of a string input"));
                        }
                    };
                    let result = self.eval_node(*content, inputs, vals);
                    if let Some(slot) = vals.get_mut(*input) {
                        *slot = old;
                    }
                    return result;
                }
                Node::HashPrng { inputs: used, dist } => {
                    let mut seed = Seed::new();
                    for &i in used {
                        seed.push(match vals.get(i) {
                            Some(Value::Real(v)) => v.to_bits(),
                            Some(Value::Int(v)) => *v as u64,
                            Some(Value::Str(_)) | None => {
                                return Err(EvalError::Internal("hashprng input is a string"));
                            }
                        });
                    }
                    return Ok(draw(*dist, seed.finish()));
                }
            };
        }
    }

    fn multibin(
        &self,
        axes: &[Axis],
        flow: Flow,
        content: &[NodeId],
        inputs: &[InputSpec],
        vals: &[Value<'_>],
    ) -> Result<NodeId, EvalError> {
        let mut idx: u64 = 0;
        let mut wild: Option<(usize, f64)> = None;
        for axis in axes {
            let v = real(vals.get(axis.input))?;
            let local =
                find_bin(v, &axis.edges, flow).map_err(|f| bin_error(f, inputs, axis.input, v))?;
            if local == axis.edges.nbins() as u64 {
                // correctionlib returns its last content entry: the flow content, or the last
                // bin when the flow is not a content node.
                return content
                    .last()
                    .copied()
                    .ok_or(EvalError::Internal("empty multibinning"));
            }
            if local >= 1 << 63 {
                wild = Some((axis.input, v));
            }
            idx = idx.wrapping_add(local.wrapping_mul(axis.stride as u64));
        }
        match usize::try_from(idx).ok().and_then(|i| content.get(i)) {
            Some(&c) => Ok(c),
            None => {
                let (input, v) = wild.unwrap_or((axes.first().map_or(0, |a| a.input), f64::NAN));
                Err(EvalError::BadIndex {
                    input: inputs
                        .get(input)
                        .map_or("?", |s| s.name.as_str())
                        .to_string(),
                    value: show_f64(v),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nu(edges: &[f64]) -> Edges {
        Edges::NonUniform(edges.to_vec())
    }

    #[test]
    fn non_uniform_edges_are_lower_inclusive() {
        let e = nu(&[0.0, 1.0, 2.0, 3.0]);
        assert_eq!(find_bin(0.0, &e, Flow::Error), Ok(0));
        assert_eq!(find_bin(1.0, &e, Flow::Error), Ok(1));
        assert_eq!(find_bin(0.999_999_999_999_999_9, &e, Flow::Error), Ok(0));
        assert_eq!(find_bin(3.0, &e, Flow::Error), Err(BinFail::Above));
        assert_eq!(find_bin(-0.0, &e, Flow::Error), Ok(0));
        assert_eq!(find_bin(f64::NAN, &e, Flow::Error), Err(BinFail::Above));
        assert_eq!(find_bin(f64::NAN, &e, Flow::Clamp), Ok(2));
        assert_eq!(find_bin(-1.0, &e, Flow::Clamp), Ok(0));
        assert_eq!(find_bin(3.0, &e, Flow::Content), Ok(3));
        assert_eq!(find_bin(-1.0, &e, Flow::Content), Ok(3));
        assert_eq!(find_bin(3.5, &e, Flow::Wrap), Ok(0));
        assert_eq!(find_bin(-0.5, &e, Flow::Wrap), Ok(2));
        assert_eq!(find_bin(f64::INFINITY, &e, Flow::Wrap), Err(BinFail::Wrap));
    }

    #[test]
    fn uniform_edges_follow_the_size_t_conversion() {
        let e = Edges::Uniform {
            n: 3,
            low: 0.0,
            high: 3.0,
        };
        assert_eq!(find_bin(0.0, &e, Flow::Error), Ok(0));
        assert_eq!(find_bin(1.0, &e, Flow::Error), Ok(1));
        assert_eq!(find_bin(3.0, &e, Flow::Error), Err(BinFail::Above));
        assert_eq!(find_bin(3.0, &e, Flow::Clamp), Ok(2));
        assert_eq!(find_bin(-1.0, &e, Flow::Content), Ok(3));
        assert_eq!(find_bin(f64::NAN, &e, Flow::Error), Ok(1 << 63));
        assert_eq!(find_bin(f64::INFINITY, &e, Flow::Wrap), Ok(1 << 63));
        assert_eq!(find_bin(4.5, &e, Flow::Wrap), Ok(1));
        // (v - low) / (high - low) rounds to 1 just below `high`: the slot after the last bin.
        let e = Edges::Uniform {
            n: 10,
            low: -1.0,
            high: 0.3,
        };
        let v = 0.3f64.next_down();
        assert_eq!(
            find_bin(v, &e, Flow::Clamp),
            Ok(x86_f64_to_u64(10.0 * ((v + 1.0) / 1.3)))
        );
    }

    #[test]
    fn x86_conversions() {
        assert_eq!(x86_f64_to_u64(f64::NAN), 1 << 63);
        assert_eq!(x86_f64_to_u64(2.9), 2);
        assert_eq!(x86_f64_to_u64(1e30), 0);
        assert_eq!(x86_round_to_i64(2.5), 3);
        assert_eq!(x86_round_to_i64(-2.5), -3);
        assert_eq!(x86_round_to_i64(f64::NAN), i64::MIN);
        assert_eq!(x86_round_to_i64(1e300), i64::MIN);
    }
}

//! Compilation of content nodes (binning, multi-binning, category, formula, formula reference,
//! transform, hashprng) into the flat [`Tree`](super::eval::Tree) arena, with validation; part
//! of the schema layer (see `schema.rs` for the document-level checks and the path helpers).

use super::error::LoadError;
use super::eval::{Axis, Edges, Flow, InputSpec, Node, NodeId, VarType};
use super::formula::Expr;
use super::json::{Json, Number};
use super::prng::Distribution;
use super::schema::{
    Members, NULL_HELP, Path, integer, number, numbers, object, opt, opt_array, req, req_array,
    req_str, suggest,
};

/// Deepest nesting of content nodes (the JSON depth limit bounds it already; this guards the
/// recursion of the conversion independently).
const MAX_NODE_DEPTH: usize = super::MAX_JSON_DEPTH;

/// Node types anac knows, for suggestions.
const NODE_TYPES: &[&str] = &[
    "binning",
    "multibinning",
    "category",
    "formula",
    "formularef",
    "transform",
    "hashprng",
];

/// Compiles the content nodes of one correction.
pub(super) struct Builder<'a> {
    pub inputs: &'a [InputSpec],
    pub nodes: Vec<Node>,
    pub formulas: Vec<Expr>,
    /// Generic formulas: formula index and highest parameter index used.
    pub generic: Vec<(u32, Option<usize>)>,
}

impl Builder<'_> {
    fn push(&mut self, node: Node, path: &Path) -> Result<NodeId, LoadError> {
        let id = NodeId::try_from(self.nodes.len())
            .map_err(|_| path.err("more than 2^32 content nodes in one correction"))?;
        self.nodes.push(node);
        Ok(id)
    }

    /// The index of the input named by `v`, which must not have one of the `forbidden` types.
    fn input(
        &self,
        v: &Json,
        path: &Path,
        node: &str,
        allowed: &[VarType],
    ) -> Result<usize, LoadError> {
        let Json::String(name) = v else {
            return Err(path.err(format!("expected an input name, found {}", v.type_name())));
        };
        let Some(idx) = self.inputs.iter().position(|i| &i.name == name) else {
            let names: Vec<&str> = self.inputs.iter().map(|i| i.name.as_str()).collect();
            let mut e = path.err(format!(
                "`{name}` is not an input of this correction (inputs: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            ));
            if let Some(h) = suggest(name, &names) {
                e = e.with_help(h);
            }
            return Err(e);
        };
        let ty = self.inputs[idx].ty;
        if !allowed.contains(&ty) {
            let ok: Vec<&str> = allowed.iter().map(|t| t.name()).collect();
            return Err(path.err(format!(
                "{node} needs an input of type {}, but `{name}` is {}",
                ok.join(" or "),
                ty.name()
            )));
        }
        Ok(idx)
    }

    pub(super) fn content(
        &mut self,
        v: &Json,
        path: &Path,
        depth: usize,
    ) -> Result<NodeId, LoadError> {
        if depth > MAX_NODE_DEPTH {
            return Err(path.err(format!(
                "content nodes nested deeper than {MAX_NODE_DEPTH} levels"
            )));
        }
        let m = match v {
            Json::Number(n) => return self.push(Node::Const(n.as_f64()), path),
            Json::Object(_) => object(v, path, "a content node")?,
            Json::Null => {
                return Err(path
                    .err("expected a number or a content node, found null")
                    .with_help(NULL_HELP));
            }
            other => {
                return Err(path.err(format!(
                    "expected a number or a content node, found {}",
                    other.type_name()
                )));
            }
        };
        let kind = req_str(m, path, "nodetype")?;
        match kind {
            "binning" => self.binning(m, path, depth),
            "multibinning" => self.multibinning(m, path, depth),
            "category" => self.category(m, path, depth),
            "formula" => {
                let (expr, _) = self.formula_expr(m, path, false)?;
                let params = numbers(opt_array(m, path, "parameters")?, &path.key("parameters"))?;
                self.push(Node::Formula { expr, params }, path)
            }
            "formularef" => self.formula_ref(m, path),
            "transform" => {
                let input = self.input(
                    req(m, path, "input")?,
                    &path.key("input"),
                    "a transform",
                    &[VarType::Real, VarType::Int],
                )?;
                let rule = self.content(req(m, path, "rule")?, &path.key("rule"), depth + 1)?;
                let content =
                    self.content(req(m, path, "content")?, &path.key("content"), depth + 1)?;
                self.push(
                    Node::Transform {
                        input,
                        rule,
                        content,
                    },
                    path,
                )
            }
            "hashprng" => self.hashprng(m, path),
            "lwtnn" => Err(LoadError::unsupported(
                path.key("nodetype").render(),
                "LWTNN neural-network nodes are not supported by anac",
            )),
            other => {
                let mut e = path
                    .key("nodetype")
                    .err(format!("unknown node type `{other}`"));
                e.help =
                    Some(suggest(other, NODE_TYPES).unwrap_or_else(|| {
                        format!("the node types are {}", NODE_TYPES.join(", "))
                    }));
                Err(e)
            }
        }
    }

    fn flow(
        &mut self,
        m: &Members,
        path: &Path,
        depth: usize,
    ) -> Result<(Flow, Option<NodeId>), LoadError> {
        let p = path.key("flow");
        match req(m, path, "flow")? {
            Json::String(s) => match s.as_str() {
                "clamp" => Ok((Flow::Clamp, None)),
                "error" => Ok((Flow::Error, None)),
                "wrap" => Ok((Flow::Wrap, None)),
                other => Err(p
                    .err(format!("unknown flow `{other}`"))
                    .with_help("flow is `clamp`, `error`, `wrap` or a content node")),
            },
            v => Ok((Flow::Content, Some(self.content(v, &p, depth + 1)?))),
        }
    }

    fn binning(&mut self, m: &Members, path: &Path, depth: usize) -> Result<NodeId, LoadError> {
        let input = self.input(
            req(m, path, "input")?,
            &path.key("input"),
            "a binning",
            &[VarType::Real, VarType::Int],
        )?;
        let edges = edges(req(m, path, "edges")?, &path.key("edges"))?;
        let items = req_array(m, path, "content")?;
        let cpath = path.key("content");
        if items.len() != edges.nbins() {
            return Err(cpath.err(format!(
                "{} content entries for {} bins",
                items.len(),
                edges.nbins()
            )));
        }
        let mut content = Vec::with_capacity(items.len() + 1);
        for (i, item) in items.iter().enumerate() {
            content.push(self.content(item, &cpath.index(i), depth + 1)?);
        }
        let (flow, default) = self.flow(m, path, depth)?;
        let default = match default {
            Some(d) => d,
            None => self.push(Node::Const(0.0), path)?,
        };
        content.push(default);
        self.push(
            Node::Binning {
                input,
                edges,
                flow,
                content,
            },
            path,
        )
    }

    fn multibinning(
        &mut self,
        m: &Members,
        path: &Path,
        depth: usize,
    ) -> Result<NodeId, LoadError> {
        let names = req_array(m, path, "inputs")?;
        let all_edges = req_array(m, path, "edges")?;
        let (ipath, epath) = (path.key("inputs"), path.key("edges"));
        if names.is_empty() {
            return Err(ipath.err("a multibinning needs at least one input"));
        }
        if names.len() != all_edges.len() {
            return Err(epath.err(format!(
                "{} edge lists for {} inputs",
                all_edges.len(),
                names.len()
            )));
        }
        let mut axes = Vec::with_capacity(names.len());
        for (i, (name, e)) in names.iter().zip(all_edges).enumerate() {
            let input = self.input(
                name,
                &ipath.index(i),
                "a multibinning",
                &[VarType::Real, VarType::Int],
            )?;
            let edges = edges(e, &epath.index(i))?;
            axes.push(Axis {
                input,
                stride: 0,
                edges,
            });
        }
        let mut stride: usize = 1;
        for axis in axes.iter_mut().rev() {
            axis.stride = stride;
            stride = stride
                .checked_mul(axis.edges.nbins())
                .ok_or_else(|| epath.err("the number of bins overflows"))?;
        }
        let items = req_array(m, path, "content")?;
        let cpath = path.key("content");
        if items.len() != stride {
            return Err(cpath.err(format!("{} content entries for {stride} bins", items.len())));
        }
        let mut content = Vec::with_capacity(items.len() + 1);
        for (i, item) in items.iter().enumerate() {
            content.push(self.content(item, &cpath.index(i), depth + 1)?);
        }
        let (flow, default) = self.flow(m, path, depth)?;
        content.extend(default);
        self.push(
            Node::MultiBinning {
                axes,
                flow,
                content,
            },
            path,
        )
    }

    fn category(&mut self, m: &Members, path: &Path, depth: usize) -> Result<NodeId, LoadError> {
        let input = self.input(
            req(m, path, "input")?,
            &path.key("input"),
            "a category",
            &[VarType::Int, VarType::Str],
        )?;
        let is_str = self.inputs[input].ty == VarType::Str;
        let cpath = path.key("content");
        let mut ints: Vec<(i64, NodeId)> = Vec::new();
        let mut strs: Vec<(String, NodeId)> = Vec::new();
        for (i, item) in req_array(m, path, "content")?.iter().enumerate() {
            let p = cpath.index(i);
            let im = object(item, &p, "a category item {key, value}")?;
            let kpath = p.key("key");
            let key = req(im, &p, "key")?;
            let value = self.content(req(im, &p, "value")?, &p.key("value"), depth + 1)?;
            match (key, is_str) {
                (Json::String(s), true) => {
                    if strs.iter().any(|(k, _)| k == s) {
                        return Err(kpath.err(format!("duplicate category key {s:?}")));
                    }
                    strs.push((s.clone(), value));
                }
                (Json::Number(Number::Int(k)), false) => {
                    if ints.iter().any(|(o, _)| o == k) {
                        return Err(kpath.err(format!("duplicate category key {k}")));
                    }
                    ints.push((*k, value));
                }
                (other, _) => {
                    return Err(kpath.err(format!(
                        "the category input `{}` is {}, but this key is {}",
                        self.inputs[input].name,
                        self.inputs[input].ty.name(),
                        other.type_name()
                    )));
                }
            }
        }
        let default = match opt(m, "default") {
            None => None,
            Some(d) => Some(self.content(d, &path.key("default"), depth + 1)?),
        };
        let node = if is_str {
            strs.sort_by(|a, b| a.0.cmp(&b.0));
            Node::CategoryStr {
                input,
                keys: strs,
                default,
            }
        } else {
            ints.sort_by_key(|(k, _)| *k);
            Node::CategoryInt {
                input,
                keys: ints,
                default,
            }
        };
        self.push(node, path)
    }

    /// Parses a formula object's expression and binds its variables; returns the formula index
    /// and its highest parameter index. A non-generic formula's parameter indices are checked
    /// against its own `parameters`; a generic one's against each `FormulaRef`.
    pub(super) fn formula_expr(
        &mut self,
        m: &Members,
        path: &Path,
        generic: bool,
    ) -> Result<(u32, Option<usize>), LoadError> {
        let text = req_str(m, path, "expression")?;
        let xpath = path.key("expression");
        match req_str(m, path, "parser")? {
            "TFormula" => {}
            "numexpr" => {
                return Err(LoadError::unsupported(
                    path.key("parser").render(),
                    "numexpr formulas are not supported (correctionlib does not evaluate them either)",
                ));
            }
            other => {
                return Err(path
                    .key("parser")
                    .err(format!("unknown formula parser `{other}`"))
                    .with_help("the parser is `TFormula`"));
            }
        }
        let vpath = path.key("variables");
        let mut map = Vec::new();
        for (i, v) in req_array(m, path, "variables")?.iter().enumerate() {
            map.push(self.input(v, &vpath.index(i), "a formula", &[VarType::Real])?);
        }
        let mut expr = Expr::parse(text).map_err(|e| {
            xpath
                .err(format!("cannot parse formula {text:?}: {}", e.message))
                .with_help(format!(
                    "at character {} of the expression; correctionlib's TFormula subset has \
                     numbers, x y z t x[i], [i] parameters, + - * / ^, comparisons, && ||, \
                     and the functions log log10 exp erf sqrt abs cos sin tan acos asin atan \
                     cosh sinh tanh acosh asinh atanh atan2 pow max min",
                    e.offset + 1
                ))
        })?;
        if let Some(k) = expr.max_variable()
            && k >= map.len()
        {
            return Err(xpath.err(format!(
                "the formula uses variable {} but declares {} variables",
                match k {
                    0 => "x".to_string(),
                    1 => "y".to_string(),
                    2 => "z".to_string(),
                    3 => "t".to_string(),
                    _ => format!("x[{k}]"),
                },
                map.len()
            )));
        }
        expr.bind_variables(&map);
        let max_param = expr.max_parameter();
        if !generic {
            let n = opt_array(m, path, "parameters")?.len();
            if let Some(k) = max_param
                && k >= n
            {
                return Err(xpath.err(format!(
                    "the formula uses parameter [{k}] but has {n} parameters"
                )));
            }
        }
        let idx = u32::try_from(self.formulas.len())
            .map_err(|_| path.err("too many formulas in one correction"))?;
        self.formulas.push(expr);
        Ok((idx, max_param))
    }

    fn formula_ref(&mut self, m: &Members, path: &Path) -> Result<NodeId, LoadError> {
        let ipath = path.key("index");
        let index = integer(req(m, path, "index")?, &ipath)?;
        let Some(&(expr, max_param)) = usize::try_from(index)
            .ok()
            .and_then(|i| self.generic.get(i))
        else {
            return Err(ipath.err(format!(
                "index {index} is out of range: the correction has {} generic formulas",
                self.generic.len()
            )));
        };
        let ppath = path.key("parameters");
        let params = numbers(req_array(m, path, "parameters")?, &ppath)?;
        if let Some(k) = max_param
            && k >= params.len()
        {
            return Err(ppath.err(format!(
                "generic formula {index} uses parameter [{k}] but {} parameters are given",
                params.len()
            )));
        }
        self.push(Node::Formula { expr, params }, path)
    }

    fn hashprng(&mut self, m: &Members, path: &Path) -> Result<NodeId, LoadError> {
        let ipath = path.key("inputs");
        let mut inputs = Vec::new();
        for (i, v) in req_array(m, path, "inputs")?.iter().enumerate() {
            inputs.push(self.input(
                v,
                &ipath.index(i),
                "a hashprng",
                &[VarType::Real, VarType::Int],
            )?);
        }
        let dist = match req_str(m, path, "distribution")? {
            "stdflat" => Distribution::StdFlat,
            "stdnormal" => Distribution::StdNormal,
            "normal" => Distribution::Normal,
            other => {
                return Err(path
                    .key("distribution")
                    .err(format!("unknown distribution `{other}`"))
                    .with_help("the distributions are `stdflat`, `stdnormal` and `normal`"));
            }
        };
        self.push(Node::HashPrng { inputs, dist }, path)
    }
}

fn edge(v: &Json, path: &Path) -> Result<f64, LoadError> {
    match v {
        Json::Number(n) => {
            let x = n.as_f64();
            if x.is_nan() {
                return Err(path.err("NaN is not a valid bin edge"));
            }
            Ok(x)
        }
        Json::String(s) => match s.as_str() {
            "inf" | "+inf" => Ok(f64::INFINITY),
            "-inf" => Ok(f64::NEG_INFINITY),
            other => Err(path
                .err(format!("invalid edge {other:?}"))
                .with_help("an edge is a number, \"inf\", \"+inf\" or \"-inf\"")),
        },
        Json::Null => Err(path
            .err("expected a bin edge, found null")
            .with_help(NULL_HELP)),
        other => Err(path.err(format!("expected a bin edge, found {}", other.type_name()))),
    }
}

fn edges(v: &Json, path: &Path) -> Result<Edges, LoadError> {
    match v {
        Json::Array(items) => {
            if items.len() < 2 {
                return Err(path.err(format!(
                    "{} edges: at least two are needed (one bin)",
                    items.len()
                )));
            }
            let mut out: Vec<f64> = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let x = edge(item, &path.index(i))?;
                if let Some(&prev) = out.last()
                    && prev >= x
                {
                    return Err(path.index(i).err(format!(
                        "edges are not strictly increasing: edge {} is {prev}, edge {i} is {x}",
                        i - 1
                    )));
                }
                out.push(x);
            }
            Ok(Edges::NonUniform(out))
        }
        Json::Object(_) => {
            let m = object(v, path, "uniform edges {n, low, high}")?;
            let npath = path.key("n");
            let n = integer(req(m, path, "n")?, &npath)?;
            if !(1..=i64::from(u32::MAX)).contains(&n) {
                return Err(npath.err(format!(
                    "the number of bins must be between 1 and 2^32-1, not {n}"
                )));
            }
            let low = number(req(m, path, "low")?, &path.key("low"))?;
            let high = number(req(m, path, "high")?, &path.key("high"))?;
            if !low.is_finite() || !high.is_finite() || low >= high {
                return Err(path.err(format!(
                    "uniform edges need finite low < high, got low = {low}, high = {high}"
                )));
            }
            let n = usize::try_from(n).map_err(|_| npath.err("too many bins"))?;
            Ok(Edges::Uniform { n, low, high })
        }
        other => Err(path.err(format!(
            "expected an array of edges or uniform edges {{n, low, high}}, found {}",
            other.type_name()
        ))),
    }
}

//! Schema-v2 validation and compilation: a parsed JSON document becomes [`Correction`]s and
//! [`CompoundCorrection`]s, or a [`LoadError`] naming the JSON path of the first problem.
//!
//! The checks are those correctionlib's evaluator makes when it loads a file, plus some it does
//! not make (duplicate category keys, duplicate input names, NaN edges, a `FormulaRef` with too
//! few parameters, mismatched input types in a compound correction), which are errors here
//! rather than undefined or surprising behaviour at evaluation time. Two things correctionlib
//! rejects are accepted: integer-valued bin edges written without a decimal point, and integer
//! category keys beyond 32 bits.

use std::sync::Arc;

use super::error::LoadError;
use super::eval::{InputSpec, Tree, VarType};
use super::json::Json;
use super::nodes::Builder;
use super::{CompoundCorrection, Correction, UpdateOp};

/// A JSON path as a linked list on the stack; rendered only for errors.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

impl<'a> Path<'a> {
    pub(crate) const ROOT: Path<'static> = Path {
        parent: None,
        seg: Seg::Root,
    };

    pub(super) fn key(&'a self, k: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Key(k),
        }
    }

    pub(super) fn index(&'a self, i: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Index(i),
        }
    }

    pub(crate) fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut p = Some(self);
        while let Some(q) = p {
            segs.push(q.seg);
            p = q.parent;
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root => {}
                Seg::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    pub(super) fn err(&self, message: impl Into<String>) -> LoadError {
        LoadError::schema(self.render(), message)
    }
}

pub(super) type Members = [(String, Json)];

pub(super) fn object<'j>(v: &'j Json, path: &Path, what: &str) -> Result<&'j Members, LoadError> {
    let Json::Object(m) = v else {
        return Err(path.err(format!(
            "expected {what} (an object), found {}",
            v.type_name()
        )));
    };
    for (i, (k, _)) in m.iter().enumerate() {
        if m[..i].iter().any(|(k2, _)| k2 == k) {
            return Err(path.key(k).err(format!("duplicate field `{k}`")));
        }
    }
    Ok(m)
}

fn get<'j>(m: &'j Members, key: &str) -> Option<&'j Json> {
    m.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

pub(super) fn req<'j>(m: &'j Members, path: &Path, key: &str) -> Result<&'j Json, LoadError> {
    get(m, key).ok_or_else(|| path.err(format!("missing required field `{key}`")))
}

pub(super) fn req_str<'j>(m: &'j Members, path: &Path, key: &str) -> Result<&'j str, LoadError> {
    match req(m, path, key)? {
        Json::String(s) => Ok(s),
        other => Err(path
            .key(key)
            .err(format!("expected a string, found {}", other.type_name()))),
    }
}

pub(super) fn req_array<'j>(
    m: &'j Members,
    path: &Path,
    key: &str,
) -> Result<&'j [Json], LoadError> {
    match req(m, path, key)? {
        Json::Array(a) => Ok(a),
        other => Err(path
            .key(key)
            .err(format!("expected an array, found {}", other.type_name()))),
    }
}

/// An optional field; absent and `null` are both "not given".
pub(super) fn opt<'j>(m: &'j Members, key: &str) -> Option<&'j Json> {
    get(m, key).filter(|v| **v != Json::Null)
}

fn opt_str(m: &Members, path: &Path, key: &str) -> Result<String, LoadError> {
    match opt(m, key) {
        None => Ok(String::new()),
        Some(Json::String(s)) => Ok(s.clone()),
        Some(other) => Err(path
            .key(key)
            .err(format!("expected a string, found {}", other.type_name()))),
    }
}

pub(super) fn opt_array<'j>(
    m: &'j Members,
    path: &Path,
    key: &str,
) -> Result<&'j [Json], LoadError> {
    match opt(m, key) {
        None => Ok(&[]),
        Some(Json::Array(a)) => Ok(a),
        Some(other) => Err(path
            .key(key)
            .err(format!("expected an array, found {}", other.type_name()))),
    }
}

pub(super) fn number(v: &Json, path: &Path) -> Result<f64, LoadError> {
    match v {
        Json::Number(n) => Ok(n.as_f64()),
        Json::Null => Err(path
            .err("expected a number, found null")
            .with_help(NULL_HELP)),
        other => Err(path.err(format!("expected a number, found {}", other.type_name()))),
    }
}

pub(super) fn integer(v: &Json, path: &Path) -> Result<i64, LoadError> {
    match v {
        Json::Number(n) => n
            .as_i64()
            .ok_or_else(|| path.err(format!("expected an integer, found {}", n.as_f64()))),
        other => Err(path.err(format!("expected an integer, found {}", other.type_name()))),
    }
}

pub(super) fn numbers(items: &[Json], path: &Path) -> Result<Vec<f64>, LoadError> {
    items
        .iter()
        .enumerate()
        .map(|(i, v)| number(v, &path.index(i)))
        .collect()
}

pub(super) const NULL_HELP: &str = "pydantic writes infinite and NaN numbers as null; write them as \
                         Infinity/NaN (json.dumps does) or use finite values";

pub(super) fn suggest(word: &str, choices: &[&str]) -> Option<String> {
    choices
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

fn var_type(v: &Json, path: &Path) -> Result<VarType, LoadError> {
    match v {
        Json::String(s) => match s.as_str() {
            "real" => Ok(VarType::Real),
            "int" => Ok(VarType::Int),
            "string" => Ok(VarType::Str),
            other => Err(path
                .err(format!("unknown type `{other}`"))
                .with_help("the types are `real`, `int` and `string`")),
        },
        other => Err(path.err(format!("expected a type name, found {}", other.type_name()))),
    }
}

fn variable(v: &Json, path: &Path) -> Result<InputSpec, LoadError> {
    let m = object(v, path, "a variable {name, type}")?;
    Ok(InputSpec {
        name: req_str(m, path, "name")?.to_string(),
        ty: var_type(req(m, path, "type")?, &path.key("type"))?,
        description: opt_str(m, path, "description")?,
    })
}

fn variables(items: &[Json], path: &Path) -> Result<Vec<InputSpec>, LoadError> {
    let mut out: Vec<InputSpec> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let p = path.index(i);
        let var = variable(item, &p)?;
        if out.iter().any(|o| o.name == var.name) {
            return Err(p
                .key("name")
                .err(format!("duplicate input name `{}`", var.name)));
        }
        out.push(var);
    }
    Ok(out)
}

fn output(m: &Members, path: &Path) -> Result<InputSpec, LoadError> {
    let p = path.key("output");
    let out = variable(req(m, path, "output")?, &p)?;
    if out.ty != VarType::Real {
        return Err(p
            .key("type")
            .err(format!("outputs must be real, not {}", out.ty.name())));
    }
    Ok(out)
}

/// A compiled correction set: description, corrections, compound corrections.
pub(crate) type Compiled = (String, Vec<Arc<Correction>>, Vec<CompoundCorrection>);

/// Validates and compiles a whole correction set document.
pub(crate) fn correction_set(doc: &Json) -> Result<Compiled, LoadError> {
    let root = Path::ROOT;
    let m = object(doc, &root, "a correction set")?;
    let version_path = root.key("schema_version");
    let version = integer(req(m, &root, "schema_version")?, &version_path)?;
    if version != 2 {
        return Err(version_path
            .err(format!("schema version {version} is not supported"))
            .with_help("anac reads correctionlib schema version 2"));
    }
    let description = opt_str(m, &root, "description")?;
    let cpath = root.key("corrections");
    let mut corrections: Vec<Arc<Correction>> = Vec::new();
    for (i, item) in req_array(m, &root, "corrections")?.iter().enumerate() {
        let p = cpath.index(i);
        let c = correction(item, &p)?;
        if corrections.iter().any(|o| o.name == c.name) {
            return Err(p
                .key("name")
                .err(format!("duplicate correction name `{}`", c.name)));
        }
        corrections.push(Arc::new(c));
    }
    let kpath = root.key("compound_corrections");
    let mut compound: Vec<CompoundCorrection> = Vec::new();
    for (i, item) in opt_array(m, &root, "compound_corrections")?
        .iter()
        .enumerate()
    {
        let p = kpath.index(i);
        let c = compound_correction(item, &p, &corrections)?;
        if compound.iter().any(|o| o.name == c.name) {
            return Err(p
                .key("name")
                .err(format!("duplicate compound correction name `{}`", c.name)));
        }
        compound.push(c);
    }
    Ok((description, corrections, compound))
}

fn correction(v: &Json, path: &Path) -> Result<Correction, LoadError> {
    let m = object(v, path, "a correction")?;
    let name = req_str(m, path, "name")?.to_string();
    let description = opt_str(m, path, "description")?;
    let version = integer(req(m, path, "version")?, &path.key("version"))?;
    let inputs = variables(req_array(m, path, "inputs")?, &path.key("inputs"))?;
    let output = output(m, path)?;
    let mut b = Builder {
        inputs: &inputs,
        nodes: Vec::new(),
        formulas: Vec::new(),
        generic: Vec::new(),
    };
    let gpath = path.key("generic_formulas");
    for (i, item) in opt_array(m, path, "generic_formulas")?.iter().enumerate() {
        let p = gpath.index(i);
        let fm = object(item, &p, "a formula")?;
        let (expr, max_param) = b.formula_expr(fm, &p, true)?;
        b.generic.push((expr, max_param));
    }
    let root = b.content(req(m, path, "data")?, &path.key("data"), 0)?;
    let tree = Tree {
        nodes: b.nodes,
        formulas: b.formulas,
        root,
    };
    Ok(Correction {
        name,
        description,
        version,
        inputs,
        output,
        tree,
    })
}

fn update_op(v: &Json, path: &Path, allow_last: bool) -> Result<UpdateOp, LoadError> {
    let Json::String(s) = v else {
        return Err(path.err(format!("expected an operator, found {}", v.type_name())));
    };
    match s.as_str() {
        "+" => Ok(UpdateOp::Add),
        "*" => Ok(UpdateOp::Multiply),
        "/" => Ok(UpdateOp::Divide),
        "last" if allow_last => Ok(UpdateOp::Last),
        other => Err(path
            .err(format!("unknown operator `{other}`"))
            .with_help(if allow_last {
                "the operators are `+`, `*`, `/` and `last`"
            } else {
                "the operators are `+`, `*` and `/`"
            })),
    }
}

fn compound_correction(
    v: &Json,
    path: &Path,
    corrections: &[Arc<Correction>],
) -> Result<CompoundCorrection, LoadError> {
    let m = object(v, path, "a compound correction")?;
    let name = req_str(m, path, "name")?.to_string();
    let description = opt_str(m, path, "description")?;
    let inputs = variables(req_array(m, path, "inputs")?, &path.key("inputs"))?;
    let output = output(m, path)?;
    let upath = path.key("inputs_update");
    let mut inputs_update = Vec::new();
    for (i, item) in req_array(m, path, "inputs_update")?.iter().enumerate() {
        let p = upath.index(i);
        let Json::String(u) = item else {
            return Err(p.err(format!(
                "expected an input name, found {}",
                item.type_name()
            )));
        };
        let Some(idx) = inputs.iter().position(|s| &s.name == u) else {
            return Err(p.err(format!("`{u}` is not an input of this compound correction")));
        };
        if inputs[idx].ty != VarType::Real {
            return Err(p.err(format!("updated input `{u}` must be real")));
        }
        inputs_update.push(idx);
    }
    let input_op = update_op(req(m, path, "input_op")?, &path.key("input_op"), false)?;
    let output_op = update_op(req(m, path, "output_op")?, &path.key("output_op"), true)?;
    let spath = path.key("stack");
    let mut stack = Vec::new();
    for (i, item) in req_array(m, path, "stack")?.iter().enumerate() {
        let p = spath.index(i);
        let Json::String(cname) = item else {
            return Err(p.err(format!(
                "expected a correction name, found {}",
                item.type_name()
            )));
        };
        let Some(corr) = corrections.iter().find(|c| &c.name == cname) else {
            let names: Vec<&str> = corrections.iter().map(|c| c.name.as_str()).collect();
            let mut e = p.err(format!("no correction named `{cname}` in this set"));
            if let Some(h) = suggest(cname, &names) {
                e = e.with_help(h);
            }
            return Err(e);
        };
        let mut map = Vec::new();
        for ci in &corr.inputs {
            let Some(idx) = inputs.iter().position(|s| s.name == ci.name) else {
                return Err(p.err(format!(
                    "correction `{cname}` needs input `{}`, which this compound correction \
                     does not declare",
                    ci.name
                )));
            };
            if inputs[idx].ty != ci.ty {
                return Err(p.err(format!(
                    "correction `{cname}` declares input `{}` as {}, this compound correction \
                     as {}",
                    ci.name,
                    ci.ty.name(),
                    inputs[idx].ty.name()
                )));
            }
            map.push(idx);
        }
        stack.push((Arc::clone(corr), map));
    }
    Ok(CompoundCorrection {
        name,
        description,
        inputs,
        output,
        inputs_update,
        input_op,
        output_op,
        stack,
    })
}

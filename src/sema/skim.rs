//! `skim NAME = (ITEM, ...)`: which values a skim writes and under which branch names.
//!
//! Input: the statement's items. Output: diagnostics for values a tree cannot hold (absent
//! values, strings, four-vectors, tuples) and for branch names that are missing or collide.
//! The branch layout itself ([`branches`]) is shared with the lowering, so `anac check` refuses
//! exactly what `anac run` could not write.
//!
//! Layout: a number or bool is one branch; a list `NAME` is a counter `nNAME` and an array
//! `NAME`; a collection `NAME` is a counter `nNAME` and an array `NAME_FIELD` per stored field
//! (NanoAOD's own layout, so anac reads a skim back as the collection it was). Every skim also
//! has the branch `event_weight` (not `weight`, a keyword an analysis of the skim could not name).

use super::check::Checker;
use super::types::{Elem, Type, union_field};
use crate::diagnostics::{Code, Span};
use crate::io::schema::{ScalarType, TreeSchema};
use crate::syntax::ast::{self, ExprKind};

/// A skimmed value a tree cannot hold: absent, a string, a four-vector, a tuple, an element.
pub const SKIM_VALUE: Code = Code("anac::sema::skim-value");
/// A skimmed expression with no name of its own, or two branches of one skim with one name.
pub const SKIM_NAME: Code = Code("anac::sema::skim-name");

/// The branch every skim adds: the event weight its histograms are filled with.
pub const WEIGHT_BRANCH: &str = "event_weight";

/// What one item writes.
#[derive(Debug, Clone, PartialEq)]
pub enum SkimShape {
    /// One value per event.
    Scalar(Type),
    /// A list: counter `n{name}` and array `{name}`.
    List(Type),
    /// A collection: counter `n{name}` and `{name}_{field}` per field, with the field's type.
    Collection(Vec<(String, ScalarType)>),
}

/// The branch name an item gets: its own (`ht = HT`), a bare name (`HT`), or a projection's
/// path with underscores (`jets.pt` → `jets_pt`). `None`: the expression needs a name.
pub fn item_name(item: &ast::SkimItem) -> Option<String> {
    if let Some(n) = &item.name {
        return Some(n.name.clone());
    }
    fn path(e: &ast::Expr) -> Option<String> {
        match &e.kind {
            ExprKind::Name(n) => Some(n.clone()),
            ExprKind::Field { base, name } => Some(format!("{}_{}", path(base)?, name.name)),
            _ => None,
        }
    }
    path(&item.value)
}

/// The stored fields of a collection's elements, in schema order, or why it cannot be skimmed.
pub fn collection_fields(
    elem: &Elem,
    schema: Option<&TreeSchema>,
) -> Result<Vec<(String, ScalarType)>, String> {
    let schema = schema.ok_or("no schema")?;
    let fields: Vec<(String, ScalarType)> = match elem {
        Elem::Tree(c) => schema
            .collection(c)
            .ok_or_else(|| format!("no collection `{c}`"))?
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.ty))
            .collect(),
        Elem::Union(sources) => {
            let first = schema
                .collection(&sources[0])
                .ok_or_else(|| format!("no collection `{}`", sources[0]))?;
            first
                .fields
                .iter()
                .filter_map(|f| {
                    let t = union_field(sources, &f.name, Some(schema))?;
                    let st = match t {
                        Type::Float if !f.ty.is_float() => ScalarType::F64,
                        _ => f.ty,
                    };
                    Some((f.name.clone(), st))
                })
                .collect()
        }
        Elem::Opaque(_) => return Err("no schema".into()),
        Elem::Combo(..) | Elem::Pair(..) => {
            return Err("its elements are tuples of elements, not elements with fields".into());
        }
    };
    if let Some((f, _)) = fields.iter().find(|(_, t)| *t == ScalarType::Str) {
        return Err(format!(
            "its field `{f}` is a string, which anac's tree writer cannot write"
        ));
    }
    Ok(fields)
}

/// What `t` writes, or why it cannot be skimmed.
pub fn shape(t: &Type, schema: Option<&TreeSchema>) -> Result<SkimShape, String> {
    let plain = |t: &Type| t.is_numeric() || t.is_boolish() || *t == Type::Unknown;
    match t {
        Type::Optional(_) => Err(format!(
            "a skimmed value must be present in every event, and this is {t}"
        )),
        Type::List(inner) if plain(inner) => Ok(SkimShape::List((**inner).clone())),
        Type::Collection(el) => collection_fields(el, schema).map(SkimShape::Collection),
        t if plain(t) => Ok(SkimShape::Scalar(t.clone())),
        Type::Str => {
            Err("strings cannot be skimmed: anac's tree writer has no string branches".into())
        }
        t => Err(format!(
            "a skim writes numbers, bools, lists of them and collections, not {t}"
        )),
    }
}

/// The branches of one item, in write order.
pub fn branches(name: &str, shape: &SkimShape) -> Vec<String> {
    match shape {
        SkimShape::Scalar(_) => vec![name.to_string()],
        SkimShape::List(_) => vec![format!("n{name}"), name.to_string()],
        SkimShape::Collection(fields) => std::iter::once(format!("n{name}"))
            .chain(fields.iter().map(|(f, _)| format!("{name}_{f}")))
            .collect(),
    }
}

impl Checker<'_> {
    pub(super) fn skim_stmt(&mut self, items: &[ast::SkimItem]) {
        // Branch name → the item that made it (`None`: the `event_weight` every skim has).
        let mut taken: Vec<(String, Option<Span>)> = vec![(WEIGHT_BRANCH.to_string(), None)];
        for item in items {
            let (t, _) = self.expr(&item.value);
            if t == Type::Error {
                continue;
            }
            let shape = match shape(&t, self.env.schema) {
                Ok(s) => s,
                // No schema: a collection's fields are unknown; its own name is still checked.
                Err(why) if why == "no schema" => SkimShape::Scalar(Type::Unknown),
                Err(why) => {
                    let d = self.error(
                        SKIM_VALUE,
                        item.value.span,
                        format!("this value cannot be skimmed: {why}"),
                        &format!("this is {t}"),
                    );
                    d.help = Some(match t {
                        Type::Optional(_) => {
                            "give a value for the events where it is absent: `EXPR ?? -1`".into()
                        }
                        _ => "skim numbers: a field (`jets.pt`), a component (`z.mass`) or a \
                              collection of tree elements (`jets`)"
                            .into(),
                    });
                    continue;
                }
            };
            let Some(name) = item_name(item) else {
                self.error(
                    SKIM_NAME,
                    item.value.span,
                    "this skimmed value needs a branch name".into(),
                    "no name of its own",
                )
                .help = Some("name it: `NAME = EXPR`".into());
                continue;
            };
            let span = item.name.as_ref().map_or(item.value.span, |n| n.span);
            for b in branches(&name, &shape) {
                if let Some((_, first)) = taken.iter().find(|(n, _)| *n == b) {
                    let first = *first;
                    let d = self.error(
                        SKIM_NAME,
                        span,
                        format!("the skim already has a branch `{b}`"),
                        "gives a second branch of that name",
                    );
                    match first {
                        None => {
                            d.help = Some(format!(
                                "every skim has the branch `{WEIGHT_BRANCH}`; rename this value"
                            ))
                        }
                        Some(f) => {
                            d.labels.push(crate::diagnostics::Label {
                                span: f,
                                message: "first made here".into(),
                                primary: false,
                            });
                            d.help = Some("rename one of them: `NAME = EXPR`".into());
                        }
                    }
                    break;
                }
                taken.push((b, Some(span)));
            }
        }
    }
}

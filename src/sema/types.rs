//! The types of `.ana` values, and what fields each element kind has.
//!
//! Input: schema collections (or none). Output: [`Type`]s as sema infers them. Invariant:
//! `Type::Error` only appears after a diagnostic was reported for the expression it stands for,
//! so it is accepted everywhere silently (one mistake, one message).

use std::fmt;

use crate::io::schema::{ScalarType, TreeSchema};

/// The static type of an expression (see "Types" in docs/syntax-spec.md).
#[derive(Debug, Clone, PartialEq)]
pub enum Type {
    Bool,
    Int,
    Float,
    Str,
    /// A four-vector.
    P4,
    /// A value from the tree whose type is not known because no schema was available. Accepted
    /// where a number, a bool or a collection is needed, so checking can go on.
    Unknown,
    /// A collection of elements (a tree collection, an object, `combinations(...)`).
    Collection(Elem),
    /// One element of a collection (`it`, `c[0]` after unwrapping).
    Element(Elem),
    /// A field projection `c.f`: one value per element.
    List(Box<Type>),
    /// A value that may be absent (`c[i]`, `argmax`, `min` of a list).
    Optional(Box<Type>),
    /// Stands for an expression already reported as wrong.
    Error,
}

/// What an element is: it says which fields it has.
#[derive(Debug, Clone, PartialEq)]
pub enum Elem {
    /// An element of the tree collection with this name (fields from the schema).
    Tree(String),
    /// An element of a tree collection the schema cannot describe (no schema given).
    Opaque(String),
    /// A k-tuple from `combinations(c, k)`.
    Combo(Box<Elem>, usize),
    /// An (a, b) pair from `pairs(a, b)`.
    Pair(Box<Elem>, Box<Elem>),
    /// An element of `union(a, b, ...)`: an element of one of these tree collections (in
    /// argument order), with the fields they have in common.
    Union(Vec<String>),
}

impl Elem {
    /// The tree collection this element's values come from (for variation tracking).
    pub fn roots(&self) -> Vec<&str> {
        match self {
            Elem::Tree(n) | Elem::Opaque(n) => vec![n.as_str()],
            Elem::Union(ns) => ns.iter().map(String::as_str).collect(),
            Elem::Combo(e, _) => e.roots(),
            Elem::Pair(a, b) => {
                let mut r = a.roots();
                r.extend(b.roots());
                r
            }
        }
    }

    /// The i-th member of a tuple element.
    pub fn member(&self, i: usize) -> Option<Elem> {
        match self {
            Elem::Combo(e, k) if i < *k => Some((**e).clone()),
            Elem::Pair(a, _) if i == 0 => Some((**a).clone()),
            Elem::Pair(_, b) if i == 1 => Some((**b).clone()),
            _ => None,
        }
    }

    /// Whether the element's fields are unknown (built from a collection without schema).
    pub fn is_opaque(&self) -> bool {
        match self {
            Elem::Tree(_) | Elem::Union(_) => false,
            Elem::Opaque(_) => true,
            Elem::Combo(e, _) => e.is_opaque(),
            Elem::Pair(a, b) => a.is_opaque() || b.is_opaque(),
        }
    }

    pub fn is_tuple(&self) -> bool {
        matches!(self, Elem::Combo(..) | Elem::Pair(..))
    }
}

/// The language type of a branch element type.
pub fn scalar(t: ScalarType) -> Type {
    match t {
        ScalarType::Bool => Type::Bool,
        ScalarType::F32 | ScalarType::F64 => Type::Float,
        ScalarType::Str => Type::Str,
        _ => Type::Int,
    }
}

/// Whether a list of field names makes a four-vector (pt/eta/phi/mass or px/py/pz/e).
pub fn has_four_vector<'a>(fields: impl Iterator<Item = &'a str>) -> bool {
    let names: Vec<String> = fields.map(str::to_ascii_lowercase).collect();
    let has = |n: &str| names.iter().any(|f| f == n);
    (has("pt") && has("eta") && has("phi") && (has("mass") || has("m")))
        || (has("px") && has("py") && has("pz") && has("e"))
}

/// Members of a four-vector.
pub const P4_MEMBERS: &[&str] = &["pt", "eta", "phi", "mass", "e", "px", "py", "pz"];

/// The type of field `name` of an element, or `None` when it has no such field.
pub fn field_type(elem: &Elem, name: &str, schema: Option<&TreeSchema>) -> Option<Type> {
    match elem {
        Elem::Tree(c) => {
            let coll = schema?.collection(c)?;
            if let Some(f) = coll.field(name) {
                return Some(scalar(f.ty));
            }
            (name == "p4" && has_four_vector(coll.fields.iter().map(|f| f.name.as_str())))
                .then_some(Type::P4)
        }
        Elem::Opaque(_) => Some(if name == "p4" {
            Type::P4
        } else {
            Type::Unknown
        }),
        Elem::Combo(e, _) => {
            if name == "p4" {
                return (field_type(e, "p4", schema)? == Type::P4).then_some(Type::P4);
            }
            Some(Type::List(Box::new(field_type(e, name, schema)?)))
        }
        Elem::Pair(a, b) => (name == "p4"
            && field_type(a, "p4", schema)? == Type::P4
            && field_type(b, "p4", schema)? == Type::P4)
            .then_some(Type::P4),
        Elem::Union(sources) => union_field(sources, name, schema),
    }
}

/// A field every source of a union has: its type when the sources agree, a float when they mix
/// ints and floats, `None` otherwise.
pub fn union_field(sources: &[String], name: &str, schema: Option<&TreeSchema>) -> Option<Type> {
    let mut common: Option<Type> = None;
    for s in sources {
        let t = field_type(&Elem::Tree(s.clone()), name, schema)?;
        common = Some(match common {
            None => t,
            Some(c) if c == t => c,
            Some(c)
                if matches!(c, Type::Int | Type::Float) && matches!(t, Type::Int | Type::Float) =>
            {
                Type::Float
            }
            Some(_) => return None,
        });
    }
    common
}

/// Field names of an element with their types, for "did you mean" and "available" lists.
pub fn field_names(elem: &Elem, schema: Option<&TreeSchema>) -> Vec<(String, String)> {
    match elem {
        Elem::Tree(c) => {
            let Some(coll) = schema.and_then(|s| s.collection(c)) else {
                return Vec::new();
            };
            let mut v: Vec<(String, String)> = coll
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.ty.cpp_name().to_string()))
                .collect();
            if has_four_vector(coll.fields.iter().map(|f| f.name.as_str())) {
                v.push(("p4".to_string(), "four-vector".to_string()));
            }
            v
        }
        Elem::Combo(e, _) => field_names(e, schema),
        Elem::Union(sources) => {
            let Some(first) = sources.first() else {
                return Vec::new();
            };
            field_names(&Elem::Tree(first.clone()), schema)
                .into_iter()
                .filter(|(n, _)| union_field(sources, n, schema).is_some())
                .map(|(n, _)| {
                    let t =
                        union_field(sources, &n, schema).map_or(String::new(), |t| t.to_string());
                    (n, t)
                })
                .collect()
        }
        _ => vec![("p4".to_string(), "four-vector".to_string())],
    }
}

impl Type {
    /// Strips one `Optional`, saying whether there was one.
    pub fn unwrap_optional(&self) -> (&Type, bool) {
        match self {
            Type::Optional(t) => (t, true),
            t => (t, false),
        }
    }

    pub fn optional(self) -> Type {
        match self {
            Type::Optional(_) | Type::Error => self,
            t => Type::Optional(Box::new(t)),
        }
    }

    /// A number (or something that may be one).
    pub fn is_numeric(&self) -> bool {
        matches!(
            self.unwrap_optional().0,
            Type::Int | Type::Float | Type::Unknown | Type::Error
        )
    }

    pub fn is_boolish(&self) -> bool {
        matches!(
            self.unwrap_optional().0,
            Type::Bool | Type::Unknown | Type::Error
        )
    }
}

impl fmt::Display for Elem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Elem::Tree(n) | Elem::Opaque(n) => write!(f, "{n}"),
            Elem::Combo(e, k) => write!(f, "{k}-combination of {e}"),
            Elem::Pair(a, b) => write!(f, "pair of ({a}, {b})"),
            Elem::Union(ns) => write!(f, "{}", ns.join(" ∪ ")),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => write!(f, "bool"),
            Type::Int => write!(f, "int"),
            Type::Float => write!(f, "float"),
            Type::Str => write!(f, "string"),
            Type::P4 => write!(f, "four-vector"),
            Type::Unknown => write!(f, "unknown (no schema)"),
            Type::Collection(e) => write!(f, "collection of {e}"),
            Type::Element(e) => write!(f, "element of {e}"),
            Type::List(t) => write!(f, "list of {t}"),
            Type::Optional(t) => write!(f, "optional {t}"),
            Type::Error => write!(f, "(error)"),
        }
    }
}

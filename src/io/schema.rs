//! What an analysis sees of a tree: collections with typed fields, and per-event branches.
//!
//! Built by the ROOT reader from a file's branches (`io::root::schema`) and consumed by semantic
//! analysis for name and type checks. Plain data, no I/O, so sema can be tested with hand-made
//! schemas.
//!
//! Grouping rules (the reader applies them):
//! - NanoAOD style: counter `nX` (or `NX`, any integer scalar named `n`+prefix) and arrays `X_f[nX]`
//!   → collection `X` with fields `f`.
//! - `std::vector<T>` / `ROOT::VecOps::RVec<T>` branches sharing a prefix before the first `_`
//!   (`jet_pt`, `jet_eta`) → collection `jet`; its size is the vectors' common length.
//! - everything else is a per-event branch (scalar, fixed-size array, or a lone list).

use serde::Serialize;

/// Element type of a branch, as stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ScalarType {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    /// `char*` or `std::string`.
    Str,
}

impl ScalarType {
    pub fn is_float(self) -> bool {
        matches!(self, ScalarType::F32 | ScalarType::F64)
    }

    pub fn is_integer(self) -> bool {
        !matches!(
            self,
            ScalarType::F32 | ScalarType::F64 | ScalarType::Bool | ScalarType::Str
        )
    }

    /// The name a physicist knows it by (C++ spelling).
    pub fn cpp_name(self) -> &'static str {
        match self {
            ScalarType::Bool => "bool",
            ScalarType::I8 => "int8_t",
            ScalarType::U8 => "uint8_t",
            ScalarType::I16 => "int16_t",
            ScalarType::U16 => "uint16_t",
            ScalarType::I32 => "int32_t",
            ScalarType::U32 => "uint32_t",
            ScalarType::I64 => "int64_t",
            ScalarType::U64 => "uint64_t",
            ScalarType::F32 => "float",
            ScalarType::F64 => "double",
            ScalarType::Str => "string",
        }
    }
}

/// How many values a branch holds per entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// One value per entry.
    Scalar,
    /// Exactly `n` values per entry (`fix3[3]`).
    Fixed(usize),
    /// A variable number of values per entry (counter array, std::vector, RVec).
    Jagged,
    /// A list of lists per entry (`std::vector<std::vector<T>>`).
    Jagged2,
}

/// One field of a collection, or one per-event branch.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldSchema {
    /// Name in the language: `pt` for `Jet_pt` inside collection `Jet`; the branch name for
    /// per-event branches.
    pub name: String,
    /// Full branch name in the file.
    pub branch: String,
    pub ty: ScalarType,
    pub shape: Shape,
}

/// How a collection's length is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionLayout {
    /// A counter branch (`nJet`) gives the length; fields are `T[nJet]` arrays.
    Counter { branch: String },
    /// Fields are `std::vector<T>` (or RVec) of equal length.
    Vector,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CollectionSchema {
    pub name: String,
    pub layout: CollectionLayout,
    /// Fields sorted by name; each has `shape == Jagged`.
    pub fields: Vec<FieldSchema>,
}

impl CollectionSchema {
    pub fn field(&self, name: &str) -> Option<&FieldSchema> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A branch the schema cannot expose, with the reason (shown by `inspect`, used in "unknown
/// branch" hints so a user learns why a name they see in the file is not available).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unsupported {
    pub branch: String,
    pub type_name: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreeSchema {
    pub tree: String,
    pub entries: u64,
    pub collections: Vec<CollectionSchema>,
    /// Per-event branches (scalars, fixed arrays, lone lists), sorted by name. Counter branches
    /// of collections appear here too (`nJet` is a valid per-event integer).
    pub branches: Vec<FieldSchema>,
    pub unsupported: Vec<Unsupported>,
}

impl TreeSchema {
    pub fn collection(&self, name: &str) -> Option<&CollectionSchema> {
        self.collections.iter().find(|c| c.name == name)
    }

    pub fn branch(&self, name: &str) -> Option<&FieldSchema> {
        self.branches.iter().find(|b| b.name == name)
    }
}

impl TreeSchema {
    /// What a friend named `name` would collide with in this (main) tree, in words: a branch or
    /// collection of that name, or branches `name.x` (a leaf list's leaves, a split object's
    /// members), which the language writes exactly as a friend's branches.
    pub fn friend_clash(&self, name: &str) -> Option<String> {
        if self.collection(name).is_some() {
            return Some(format!("the tree's collection `{name}`"));
        }
        if self.branch(name).is_some() {
            return Some(format!("the tree's branch `{name}`"));
        }
        let prefix = format!("{name}.");
        self.branches
            .iter()
            .find(|b| b.name.starts_with(&prefix))
            .map(|b| format!("the tree's branch `{}` (written `{}`)", b.branch, b.name))
    }

    /// Adds the branches of friend tree `name`: every branch `X` of `friend` becomes the
    /// per-event value `name.X` (whose `branch` is also `name.X`: the runtime reads `X` from the
    /// friend). A friend's collections are not joined to this tree's: each of their fields is
    /// a per-event list `name.Jet_pt` beside the friend's counter `name.nJet`. A friend branch
    /// whose own name has a dot cannot be written after the friend's name: it is listed as
    /// unsupported, as are the friend's own unsupported branches. Call [`Self::friend_clash`]
    /// first.
    pub fn join_friend(&mut self, name: &str, friend: &TreeSchema) {
        let fields = friend
            .collections
            .iter()
            .flat_map(|c| c.fields.iter())
            .chain(friend.branches.iter());
        for f in fields {
            let joined = format!("{name}.{}", f.branch);
            if f.branch.contains('.') {
                self.unsupported.push(Unsupported {
                    branch: joined,
                    type_name: f.ty.cpp_name().to_string(),
                    reason: format!(
                        "a branch of friend `{name}` whose name has a dot cannot be written \
                         after the friend's name"
                    ),
                });
                continue;
            }
            self.branches.push(FieldSchema {
                name: joined.clone(),
                branch: joined,
                ty: f.ty,
                shape: f.shape,
            });
        }
        for u in &friend.unsupported {
            self.unsupported.push(Unsupported {
                branch: format!("{name}.{}", u.branch),
                type_name: u.type_name.clone(),
                reason: u.reason.clone(),
            });
        }
        self.branches.sort_by(|a, b| a.name.cmp(&b.name));
        self.branches.dedup_by(|a, b| a.name == b.name);
    }
}

/// The friend a joined branch name (`calib.Jet_pt`) reads, and the branch in the friend's tree
/// (`Jet_pt`); `None` for the main tree's own branches. Unambiguous because a friend's name is
/// never a prefix of the main tree's branches ([`TreeSchema::friend_clash`]).
pub fn friend_branch<'n>(friends: &[&str], joined: &'n str) -> Option<(usize, &'n str)> {
    friends.iter().enumerate().find_map(|(i, f)| {
        joined
            .strip_prefix(f)
            .and_then(|rest| rest.strip_prefix('.'))
            .map(|rest| (i, rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(name: &str, ty: ScalarType, shape: Shape) -> FieldSchema {
        FieldSchema {
            name: name.into(),
            branch: name.into(),
            ty,
            shape,
        }
    }

    fn tree(branches: Vec<FieldSchema>, collections: Vec<CollectionSchema>) -> TreeSchema {
        TreeSchema {
            tree: "t".into(),
            entries: 10,
            collections,
            branches,
            unsupported: vec![],
        }
    }

    #[test]
    fn a_friend_cannot_take_a_branch_collection_or_dotted_prefix_of_the_main_tree() {
        let jet = CollectionSchema {
            name: "Jet".into(),
            layout: CollectionLayout::Counter {
                branch: "nJet".into(),
            },
            fields: vec![FieldSchema {
                name: "pt".into(),
                branch: "Jet_pt".into(),
                ty: ScalarType::F32,
                shape: Shape::Jagged,
            }],
        };
        let main = tree(
            vec![
                b("nJet", ScalarType::U32, Shape::Scalar),
                b("evt.x", ScalarType::F32, Shape::Scalar),
            ],
            vec![jet.clone()],
        );
        assert!(main.friend_clash("Jet").unwrap().contains("collection"));
        assert!(main.friend_clash("nJet").unwrap().contains("branch `nJet`"));
        assert!(main.friend_clash("evt").unwrap().contains("`evt.x`"));
        assert_eq!(main.friend_clash("ev"), None);
        assert_eq!(main.friend_clash("calib"), None);

        // The friend's collection fields and counter become per-event values `calib.X`; a
        // dotted friend branch cannot be written and is listed as unsupported.
        let friend = tree(
            vec![
                b("nJet", ScalarType::I32, Shape::Scalar),
                b("ht", ScalarType::F64, Shape::Scalar),
                b("rec.a", ScalarType::F32, Shape::Scalar),
            ],
            vec![jet],
        );
        let mut joined = main.clone();
        joined.join_friend("calib", &friend);
        let names: Vec<(&str, Shape)> = joined
            .branches
            .iter()
            .map(|b| (b.name.as_str(), b.shape))
            .collect();
        assert_eq!(
            names,
            [
                ("calib.Jet_pt", Shape::Jagged),
                ("calib.ht", Shape::Scalar),
                ("calib.nJet", Shape::Scalar),
                ("evt.x", Shape::Scalar),
                ("nJet", Shape::Scalar),
            ]
        );
        assert_eq!(joined.collections, main.collections);
        assert_eq!(joined.unsupported.len(), 1);
        assert_eq!(joined.unsupported[0].branch, "calib.rec.a");
        assert_eq!(
            friend_branch(&["calib"], "calib.Jet_pt"),
            Some((0, "Jet_pt"))
        );
        assert_eq!(friend_branch(&["calib"], "calibx.a"), None);
        assert_eq!(friend_branch(&["calib"], "evt.x"), None);
    }
}

//! An RNTuple's fields as an analysis sees them ([`TreeSchema`], the same shape as the
//! equivalent TTree's), and a description for `anac inspect`.
//!
//! Mapping (every `branch` string is a name `read_into` accepts):
//! - scalars, strings, fixed-size arrays, lists and lists of lists at the top level are
//!   per-event branches named after the field; records are flattened into `record.field`
//!   (recursively);
//! - `std::vector<record>` `X` (or RVec, or any collection of records) → collection `X`
//!   (layout Vector) with fields `y` read as `X.y`;
//! - NanoAOD, as RNTupleImporter writes it (ROOT 6.40): each counter-sized set of arrays
//!   becomes a hidden untyped collection `_collectionN` of records (`_0`) holding the leaves
//!   `X_f`; the importer adds projected top-level fields `X_f`
//!   (`ROOT::VecOps::RVec<T>`) and `nX` (`ROOT::RNTupleCardinality<std::uint32_t>`). As for the
//!   TTree, lists `X_f` with an integer per-event field `nX` become collection `X` (layout
//!   Counter `nX`) with fields `f`; other lists `p_f` sharing a prefix become collection `p`
//!   (layout Vector), as `std::vector` branches do in a TTree;
//! - the importer's hidden `_collectionN` fields are left out (their data is reachable through
//!   the projected fields); fields the reader cannot read go to `unsupported` with the reason.

use super::decode::{encoding, type_name};
use super::meta::{FLAG_PROJECTED, Meta, ROLE_COLLECTION, ROLE_RECORD};
use super::read::{Node, node, resolve};
use crate::io::schema::{
    CollectionLayout, CollectionSchema, FieldSchema, Shape, TreeSchema, Unsupported,
};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;

/// Top-level fields that are the importer's hidden collections: untyped, named `_...`, and the
/// source of projected fields.
fn hidden(meta: &Meta) -> HashSet<u32> {
    let mut sources = HashSet::new();
    for f in &meta.fields {
        if let Some(mut s) = f.source {
            // Up to the top-level ancestor (bounded: parents were checked for cycles).
            for _ in 0..meta.fields.len() {
                let p = meta.fields[s as usize].parent;
                if p == s {
                    break;
                }
                s = p;
            }
            sources.insert(s);
        }
    }
    sources
        .into_iter()
        .filter(|&s| {
            let f = &meta.fields[s as usize];
            f.name.starts_with('_') && f.type_name.is_empty()
        })
        .collect()
}

struct Acc {
    branches: Vec<FieldSchema>,
    record_collections: Vec<CollectionSchema>,
    unsupported: Vec<Unsupported>,
}

impl Acc {
    fn unsupported(&mut self, meta: &Meta, name: &str, id: u32, reason: String) {
        self.unsupported.push(Unsupported {
            branch: name.to_string(),
            type_name: meta.fields[id as usize].type_name.clone(),
            reason,
        });
    }

    /// Adds the field `id`, reached by `name`: records are flattened, collections of records
    /// at the top become collections, anything else is one per-event branch.
    fn add(&mut self, meta: &Meta, name: &str, id: u32, top: bool, depth: usize) {
        if depth > 64 {
            self.unsupported(meta, name, id, "nested too deeply".to_string());
            return;
        }
        let f = &meta.fields[id as usize];
        if f.role == ROLE_RECORD {
            for &c in &f.children {
                let sub = format!("{name}.{}", meta.fields[c as usize].name);
                self.add(meta, &sub, c, false, depth + 1);
            }
            return;
        }
        if top
            && f.role == ROLE_COLLECTION
            && let Ok(Node::Collection(child)) = node(meta, id)
            && meta.fields[child as usize].role == ROLE_RECORD
        {
            self.record_collection(meta, name, child);
            return;
        }
        match resolve(meta, name) {
            Ok(p) => match p.shape() {
                Ok(shape) => self.branches.push(FieldSchema {
                    name: name.to_string(),
                    branch: name.to_string(),
                    ty: p.ty(),
                    shape,
                }),
                Err(e) => self.unsupported(meta, name, id, e.0),
            },
            Err(super::read::Resolve::NotFound(w)) => self.unsupported(meta, name, id, w),
            Err(super::read::Resolve::Bad(e)) => self.unsupported(meta, name, id, e.0),
        }
    }

    /// A collection of records `name`: its (flattened) subfields that read as one list per
    /// entry are the collection's fields; others are listed as unsupported.
    fn record_collection(&mut self, meta: &Meta, name: &str, record: u32) {
        let mut fields = Vec::new();
        let mut stack: Vec<(String, u32)> = meta.fields[record as usize]
            .children
            .iter()
            .rev()
            .map(|&c| (meta.fields[c as usize].name.clone(), c))
            .collect();
        let mut guard = 0;
        while let Some((sub, id)) = stack.pop() {
            guard += 1;
            if guard > meta.fields.len() {
                break;
            }
            let f = &meta.fields[id as usize];
            if f.role == ROLE_RECORD {
                for &c in f.children.iter().rev() {
                    stack.push((format!("{sub}.{}", meta.fields[c as usize].name), c));
                }
                continue;
            }
            let branch = format!("{name}.{sub}");
            match resolve(meta, &branch) {
                Ok(p) => match p.shape() {
                    Ok(Shape::Jagged) => fields.push(FieldSchema {
                        name: sub,
                        branch,
                        ty: p.ty(),
                        shape: Shape::Jagged,
                    }),
                    Ok(shape) => self.branches.push(FieldSchema {
                        name: branch.clone(),
                        branch,
                        ty: p.ty(),
                        shape,
                    }),
                    Err(e) => self.unsupported(meta, &branch, id, e.0),
                },
                Err(super::read::Resolve::NotFound(w)) => self.unsupported(meta, &branch, id, w),
                Err(super::read::Resolve::Bad(e)) => self.unsupported(meta, &branch, id, e.0),
            }
        }
        if !fields.is_empty() {
            self.record_collections.push(CollectionSchema {
                name: name.to_string(),
                layout: CollectionLayout::Vector,
                fields,
            });
        }
    }
}

pub(crate) fn schema_of(meta: &Meta, key: &str) -> TreeSchema {
    let hide = hidden(meta);
    let mut acc = Acc {
        branches: Vec::new(),
        record_collections: Vec::new(),
        unsupported: Vec::new(),
    };
    for (i, f) in meta.fields.iter().enumerate() {
        let id = i as u32;
        if !f.is_top(id) || hide.contains(&id) {
            continue;
        }
        acc.add(meta, &f.name, id, true, 0);
    }
    // Group top-level lists as the TTree reader groups its branches.
    let counters: HashSet<String> = acc
        .branches
        .iter()
        .filter(|b| b.shape == Shape::Scalar && b.ty.is_integer() && !b.name.contains('.'))
        .map(|b| b.name.clone())
        .collect();
    let mut collections: BTreeMap<String, CollectionSchema> = BTreeMap::new();
    let mut vectors: BTreeMap<String, Vec<FieldSchema>> = BTreeMap::new();
    let mut branches = Vec::new();
    for b in std::mem::take(&mut acc.branches) {
        let split = (b.shape == Shape::Jagged && !b.name.contains('.'))
            .then(|| b.name.split_once('_'))
            .flatten()
            .filter(|(p, f)| !p.is_empty() && !f.is_empty())
            .map(|(p, f)| (p.to_string(), f.to_string()));
        let Some((prefix, field)) = split else {
            branches.push(b);
            continue;
        };
        let counter = ["n", "N"]
            .iter()
            .map(|n| format!("{n}{prefix}"))
            .find(|c| counters.contains(c));
        let field_schema = FieldSchema {
            name: field,
            ..b.clone()
        };
        match counter {
            Some(counter) => {
                collections
                    .entry(prefix.clone())
                    .or_insert_with(|| CollectionSchema {
                        name: prefix.clone(),
                        layout: CollectionLayout::Counter { branch: counter },
                        fields: Vec::new(),
                    })
                    .fields
                    .push(field_schema);
            }
            None => vectors.entry(prefix).or_default().push(field_schema),
        }
    }
    for c in acc.record_collections {
        if collections.contains_key(&c.name) || vectors.contains_key(&c.name) {
            // Name taken: its fields stay per-event lists.
            for f in c.fields {
                branches.push(FieldSchema {
                    name: f.branch.clone(),
                    ..f
                });
            }
        } else {
            collections.insert(c.name.clone(), c);
        }
    }
    for (prefix, fields) in vectors {
        if collections.contains_key(&prefix) {
            for f in fields {
                branches.push(FieldSchema {
                    name: f.branch.clone(),
                    ..f
                });
            }
        } else {
            collections.insert(
                prefix.clone(),
                CollectionSchema {
                    name: prefix,
                    layout: CollectionLayout::Vector,
                    fields,
                },
            );
        }
    }
    let mut collections: Vec<CollectionSchema> = collections.into_values().collect();
    for c in &mut collections {
        c.fields.sort_by(|a, b| a.name.cmp(&b.name));
    }
    branches.sort_by(|a, b| a.name.cmp(&b.name));
    acc.unsupported.sort_by(|a, b| a.branch.cmp(&b.branch));
    TreeSchema {
        tree: key.to_string(),
        entries: meta.entries,
        collections,
        branches,
        unsupported: acc.unsupported,
    }
}

fn role_name(role: u16) -> &'static str {
    match role {
        0 => "leaf",
        1 => "collection",
        2 => "record",
        3 => "variant",
        4 => "streamer",
        _ => "unknown",
    }
}

/// Fields, columns, clusters and pages, for `anac inspect`.
pub(crate) fn describe(meta: &Meta, key: &str) -> String {
    let mut s = String::new();
    let v = meta.anchor.version;
    let _ = writeln!(
        s,
        "RNTuple `{key}` (`{}`): {} entries, {} clusters, format {}.{}.{}.{}, written by {}",
        meta.name,
        meta.entries,
        meta.clusters.len(),
        v[0],
        v[1],
        v[2],
        v[3],
        if meta.writer.is_empty() {
            "an unknown writer"
        } else {
            &meta.writer
        }
    );
    if !meta.description.is_empty() {
        let _ = writeln!(s, "  description: {}", meta.description);
    }
    // Dotted paths from the top-level field (parents were checked to form no cycle).
    let paths: Vec<String> = (0..meta.fields.len())
        .map(|i| {
            let mut path = meta.fields[i].name.clone();
            let (mut cur, mut at) = (i as u32, meta.fields[i].parent);
            let mut guard = 0;
            while at != cur && guard < meta.fields.len() {
                path = format!("{}.{path}", meta.fields[at as usize].name);
                cur = at;
                at = meta.fields[at as usize].parent;
                guard += 1;
            }
            path
        })
        .collect();
    let _ = writeln!(s, "fields ({}):", meta.fields.len());
    for (i, f) in meta.fields.iter().enumerate() {
        let path = &paths[i];
        let ty = if f.type_name.is_empty() {
            "(untyped)"
        } else {
            &f.type_name
        };
        let mut extra = String::new();
        if !f.type_alias.is_empty() {
            let _ = write!(extra, " alias {}", f.type_alias);
        }
        if f.repetition > 0 {
            let _ = write!(extra, " [{}]", f.repetition);
        }
        if f.flags & FLAG_PROJECTED != 0
            && let Some(src) = f.source
        {
            let _ = write!(extra, " projected from field {src}");
        }
        let _ = writeln!(s, "  #{i} {path}: {ty} ({}){extra}", role_name(f.role));
    }
    let _ = writeln!(s, "columns ({}):", meta.columns.len());
    for (i, c) in meta.columns.iter().enumerate() {
        let (pages, bytes) =
            meta.clusters
                .iter()
                .fold((0usize, 0u64), |(p, b), cl| match cl.columns.get(i) {
                    Some(cp) => (
                        p + cp.pages.len(),
                        b + cp.pages.iter().map(|pg| pg.size).sum::<u64>(),
                    ),
                    None => (p, b),
                });
        let enc = match encoding(c) {
            Ok(e) => {
                let mut t = Vec::new();
                if e.split {
                    t.push("split");
                }
                if e.zigzag {
                    t.push("zigzag");
                }
                if e.delta {
                    t.push("delta");
                }
                if t.is_empty() {
                    "plain".to_string()
                } else {
                    t.join("+")
                }
            }
            Err(_) => "unsupported".to_string(),
        };
        let field = paths.get(c.field as usize).map_or("?", String::as_str);
        let deferred = if c.first_element > 0 {
            format!(", deferred from element {}", c.first_element)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "  #{i} field `{field}` (#{}): {} ({} bits, {enc}), representation {}{deferred}, \
             {pages} pages, {bytes} bytes",
            c.field,
            type_name(c.ty),
            c.bits,
            c.repr
        );
    }
    let _ = writeln!(s, "clusters ({}):", meta.clusters.len());
    for (i, c) in meta.clusters.iter().enumerate() {
        let pages: usize = c.columns.iter().map(|cp| cp.pages.len()).sum();
        let bytes: u64 = c
            .columns
            .iter()
            .flat_map(|cp| cp.pages.iter().map(|p| p.size))
            .fold(0, |a: u64, b| a.saturating_add(b));
        let _ = writeln!(
            s,
            "  #{i} entries {}..{}: {pages} pages, {bytes} bytes",
            c.first_entry,
            c.first_entry + c.entries
        );
    }
    s
}

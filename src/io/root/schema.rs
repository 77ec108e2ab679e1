//! Groups a tree's branches into what an analysis sees (`crate::io::schema::TreeSchema`), by the
//! rules documented in `src/io/schema.rs`: counter + `X_f[nX]` arrays and `prefix_f` vectors
//! become collections; everything else is a per-event branch; unreadable branches are listed
//! with their reason.

use super::tree::Tree;
use crate::io::schema::{
    CollectionLayout, CollectionSchema, FieldSchema, Shape, TreeSchema, Unsupported,
};
use std::collections::BTreeMap;

pub(crate) fn schema_of(tree: &Tree) -> TreeSchema {
    let mut collections: BTreeMap<String, CollectionSchema> = BTreeMap::new();
    let mut vectors: BTreeMap<String, Vec<FieldSchema>> = BTreeMap::new();
    let mut branches = Vec::new();
    let mut unsupported = Vec::new();
    for b in tree.branches() {
        let kind = match &b.kind {
            Ok(k) => k,
            Err(reason) => {
                unsupported.push(Unsupported {
                    branch: b.name.clone(),
                    type_name: b.type_name.clone(),
                    reason: reason.clone(),
                });
                continue;
            }
        };
        let field = |name: &str| FieldSchema {
            name: name.to_string(),
            branch: b.name.clone(),
            ty: kind.ty,
            shape: kind.shape,
        };
        if let Some(counter) = &kind.counter {
            // `nJet` / `NJet` → prefix `Jet`; the array must be named `Jet_<field>`.
            let prefix = counter
                .strip_prefix('n')
                .or_else(|| counter.strip_prefix('N'))
                .filter(|p| !p.is_empty());
            let field_name = prefix.and_then(|p| {
                b.name
                    .strip_prefix(p)
                    .and_then(|r| r.strip_prefix('_'))
                    .filter(|f| !f.is_empty())
            });
            if let (Some(p), Some(f)) = (prefix, field_name) {
                let c = collections
                    .entry(p.to_string())
                    .or_insert_with(|| CollectionSchema {
                        name: p.to_string(),
                        layout: CollectionLayout::Counter {
                            branch: counter.clone(),
                        },
                        fields: Vec::new(),
                    });
                if c.layout
                    == (CollectionLayout::Counter {
                        branch: counter.clone(),
                    })
                {
                    c.fields.push(field(f));
                    continue;
                }
            }
            branches.push(field(&b.name));
        } else if kind.shape == Shape::Jagged {
            match b.name.split_once('_') {
                Some((p, f)) if !p.is_empty() && !f.is_empty() => {
                    vectors.entry(p.to_string()).or_default().push(field(f));
                }
                _ => branches.push(field(&b.name)),
            }
        } else {
            branches.push(field(&b.name));
        }
    }
    for (prefix, fields) in vectors {
        if collections.contains_key(&prefix) {
            // A counter collection owns the name; the vectors stay per-event lists.
            for f in fields {
                let name = f.branch.clone();
                branches.push(FieldSchema { name, ..f });
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
    TreeSchema {
        tree: tree.name().to_string(),
        entries: tree.entries(),
        collections,
        branches,
        unsupported,
    }
}

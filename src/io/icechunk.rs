//! `anac merge DIR --icechunk REPO`: the merged histograms as Zarr v3 arrays in an icechunk
//! repository (built only with the `icechunk` Cargo feature).
//!
//! Layout, one group per histogram of the analysis (`REGION/HIST`, `all/HIST` for top-level
//! ones) holding two sibling arrays, `sumw` and `sumw2`, of shape
//! `[processes, variations, cells of axis 1, (cells of axis 2)]` in float64 (cells include the
//! flow bins, as in `histograms.json`). A (process, variation) pair that has no histogram is NaN:
//! the arrays' fill value, never written. The group's attributes list the processes, the
//! variations, the pairs present with their output names, and the axes in UHI form.
//!
//! Repositories are made in icechunk's format 1, which icechunk 1.x (the newest release for
//! Python 3.11) and 2.x both read; an existing repository is used in the format it has.
//!
//! Every export is one commit on the branch `main` that replaces the whole tree; its metadata
//! lists the finished work units (and the missing ones of a `--partial` merge), so the
//! repository's history says which work each version contains.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::{Value as J, json};

use crate::ir::Plan;
use crate::runtime::accum::extent;
use crate::runtime::results::{NamedHist, Results};

/// What the commit records besides the histograms.
pub struct CommitInfo {
    /// Ids of the work units the histograms contain.
    pub units_done: Vec<String>,
    /// Ids of planned units that are not in it (a `--partial` merge).
    pub units_missing: Vec<String>,
    /// Free-form provenance (analysis, store identity, anac version).
    pub provenance: J,
}

/// One histogram of the plan with all its (process, variation) instances.
struct Group<'a> {
    path: String,
    spec: usize,
    hists: Vec<&'a NamedHist>,
}

/// Groups the results by histogram of the plan, in plan order.
fn groups<'a>(plan: &Plan, results: &'a Results) -> Vec<Group<'a>> {
    let mut out: Vec<Group> = Vec::new();
    for h in &results.hists {
        match out.iter_mut().find(|g| g.spec == h.spec) {
            Some(g) => g.hists.push(h),
            None => {
                let spec = &plan.hists[h.spec];
                out.push(Group {
                    path: format!("{}/{}", spec.region, spec.name),
                    spec: h.spec,
                    hists: vec![h],
                });
            }
        }
    }
    out
}

/// Distinct values in first-seen order.
fn distinct<'a>(xs: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = Vec::new();
    for x in xs {
        if !v.contains(&x) {
            v.push(x);
        }
    }
    v
}

/// The Zarr v3 metadata of one float64 array, chunked one (process, variation) pair a chunk.
fn array_meta(shape: &[usize], dims: &[String], attrs: J) -> J {
    let mut chunk = shape.to_vec();
    chunk[0] = 1;
    chunk[1] = 1;
    json!({
        "zarr_format": 3,
        "node_type": "array",
        "shape": shape,
        "data_type": "float64",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": "NaN",
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
        "dimension_names": dims,
        "attributes": attrs,
    })
}

/// Every key and value of the export: Zarr metadata documents and chunks.
fn documents(plan: &Plan, results: &Results) -> Vec<(String, Vec<u8>)> {
    let mut docs = Vec::new();
    let group = |attrs: J| {
        serde_json::to_vec(&json!({"zarr_format": 3, "node_type": "group", "attributes": attrs}))
            .expect("JSON of strings and numbers serializes")
    };
    docs.push((
        "zarr.json".to_string(),
        group(json!({"analysis": plan.name, "writer": "anac"})),
    ));
    let mut regions: Vec<&str> = Vec::new();
    for g in groups(plan, results) {
        let spec = &plan.hists[g.spec];
        if !regions.contains(&spec.region.as_str()) {
            regions.push(&spec.region);
            docs.push((format!("{}/zarr.json", spec.region), group(json!({}))));
        }
        let processes = distinct(g.hists.iter().map(|h| h.process.as_str()));
        let variations = distinct(g.hists.iter().map(|h| h.variation.as_str()));
        let cells: Vec<usize> = spec.axes.iter().map(|a| extent(&a.kind)).collect();
        let mut shape = vec![processes.len(), variations.len()];
        shape.extend(&cells);
        let mut dims = vec!["process".to_string(), "variation".to_string()];
        // Unique names (labels may repeat or be "process"); the labels are in `axes`.
        dims.extend((0..spec.axes.len()).map(|i| format!("axis{i}")));
        let pairs: Vec<J> = g
            .hists
            .iter()
            .map(|h| json!({"process": h.process, "variation": h.variation, "name": h.name}))
            .collect();
        let attrs = json!({
            "hist": spec.name,
            "region": spec.region,
            "processes": processes,
            "variations": variations,
            "pairs": pairs,
            "axes": spec.axes.iter().map(crate::io::outputs::uhi_axis).collect::<Vec<_>>(),
            "flow": "each axis has its underflow and overflow cells, as in histograms.json",
        });
        docs.push((format!("{}/zarr.json", g.path), group(attrs)));
        // A profile also holds its Σw·y and Σw·y² (y the averaged value).
        let arrays: &[(&str, usize, &str)] = if spec.profile.is_some() {
            &[
                ("sumw", 0, "sum of weights"),
                ("sumw2", 1, "sum of squared weights"),
                ("sumwy", 2, "sum of weight times the averaged value"),
                (
                    "sumwy2",
                    3,
                    "sum of weight times the averaged value squared",
                ),
            ]
        } else {
            &[
                ("sumw", 0, "sum of weights"),
                ("sumw2", 1, "sum of squared weights"),
            ]
        };
        for &(array, pick, contents) in arrays {
            let meta = array_meta(&shape, &dims, json!({ "contents": contents }));
            docs.push((
                format!("{}/{array}/zarr.json", g.path),
                serde_json::to_vec(&meta).expect("JSON of strings and numbers serializes"),
            ));
            for h in &g.hists {
                let p = processes
                    .iter()
                    .position(|x| *x == h.process)
                    .expect("listed");
                let v = variations
                    .iter()
                    .position(|x| *x == h.variation)
                    .expect("listed");
                let values = [&h.sumw, &h.sumw2, &h.sumwy, &h.sumwy2][pick];
                let bytes: Vec<u8> = values.iter().flat_map(|x| x.to_le_bytes()).collect();
                let zeros = "/0".repeat(cells.len());
                docs.push((format!("{}/{array}/c/{p}/{v}{zeros}", g.path), bytes));
            }
        }
    }
    docs
}

/// Commits the merged histograms to the icechunk repository at `repo` (made when missing) on
/// the branch `main`; returns the new snapshot id.
pub fn export(
    repo: &Path,
    plan: &Plan,
    results: &Results,
    info: &CommitInfo,
) -> Result<String, String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the I/O runtime: {e}"))?;
    let docs = documents(plan, results);
    let message = format!(
        "anac merge: {} histograms from {} work units{}",
        results.hists.len(),
        info.units_done.len(),
        if info.units_missing.is_empty() {
            String::new()
        } else {
            format!(" ({} missing: partial)", info.units_missing.len())
        }
    );
    let mut props: BTreeMap<String, J> = BTreeMap::new();
    props.insert("anac_version".into(), json!(env!("CARGO_PKG_VERSION")));
    props.insert("units_done".into(), json!(info.units_done));
    props.insert("units_missing".into(), json!(info.units_missing));
    props.insert("partial".into(), json!(!info.units_missing.is_empty()));
    props.insert("provenance".into(), info.provenance.clone());
    rt.block_on(async move {
        std::fs::create_dir_all(repo)
            .map_err(|e| format!("cannot make `{}`: {e}", repo.display()))?;
        let storage = icechunk::new_local_filesystem_storage(repo)
            .await
            .map_err(|e| {
                format!(
                    "cannot open `{}` as icechunk storage: {}",
                    repo.display(),
                    e.kind()
                )
            })?;
        let repository = icechunk::Repository::open_or_create(storage)
            .spec_version(icechunk::format::format_constants::SpecVersionBin::V1)
            .execute()
            .await
            .map_err(|e| {
                format!(
                    "`{}` is not an icechunk repository anac can use: {}",
                    repo.display(),
                    e.kind()
                )
            })?;
        let session = repository.writable_session("main").await.map_err(|e| {
            format!(
                "cannot open the branch `main` of `{}`: {}",
                repo.display(),
                e.kind()
            )
        })?;
        let session = Arc::new(tokio::sync::RwLock::new(session));
        let store = icechunk::Store::from_session(Arc::clone(&session)).await;
        let werr = |e: icechunk::store::StoreError| {
            format!("cannot write to `{}`: {}", repo.display(), e.kind())
        };
        store.clear().await.map_err(werr)?;
        for (key, bytes) in docs {
            store
                .set(&key, bytes::Bytes::from(bytes))
                .await
                .map_err(werr)?;
        }
        drop(store);
        let mut session = session.write().await;
        let id = session
            .commit(message)
            .properties(props)
            .allow_empty(true)
            .execute()
            .await
            .map_err(|e| format!("cannot commit to `{}`: {}", repo.display(), e.kind()))?;
        Ok(id.to_string())
    })
}

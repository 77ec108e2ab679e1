//! The results folder of `anac run`: `histograms.root`, `histograms.json` (UHI),
//! `cutflow.json`, `events.json` and `provenance.json`.
//!
//! Invariants: everything is written to a temporary folder beside the target and renamed into
//! place only when complete, so a half-written result never appears under the target's name. A
//! target that anac wrote before (it holds the marker file) is replaced: moved aside, then
//! removed; any other existing path is refused unless `force`. The histogram files depend only
//! on the results (fixed ROOT timestamp, UUID hashed from the contents, sorted keys), so the same
//! results give the same bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value as J, json};

use crate::io::root::write::{
    Axis as RAxis, AxisEdges, Hist1D, Hist2D, Hist3D, Profile1D, Profile2D, RootWriter,
};
use crate::ir::{AxisKind, HistSpec, Plan};
use crate::runtime::accum::extent;
use crate::runtime::results::{NamedHist, Results};

/// The file that marks a folder as anac's results.
pub const MARKER: &str = ".anac-results";

/// Files of a results folder, ready to write.
pub struct Outputs {
    pub files: Vec<(String, Vec<u8>)>,
}

/// Why the results could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("`{0}` exists and was not written by anac; use --force to replace it")]
    Exists(PathBuf),
    #[error("cannot write `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the ROOT file: {0}")]
    Root(String),
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `outputs` (plus `histograms.root`, made from `results`) as the folder `dir`.
pub fn write_dir(
    dir: &Path,
    plan: &Plan,
    results: &Results,
    outputs: &Outputs,
    force: bool,
) -> Result<(), OutputError> {
    let ours = dir.join(MARKER).is_file();
    if dir.exists() && !ours && !force {
        return Err(OutputError::Exists(dir.to_path_buf()));
    }
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("results")
        .to_string();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if parent.exists() && !parent.is_dir() {
        let e = std::io::Error::new(std::io::ErrorKind::NotADirectory, "it is not a folder");
        return Err(io_err(&parent)(e));
    }
    std::fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    let tmp = parent.join(format!(".{name}.anac-tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    std::fs::create_dir(&tmp).map_err(io_err(&tmp))?;
    let written = (|| {
        for (file, bytes) in &outputs.files {
            let p = tmp.join(file);
            if let Some(dir) = p.parent() {
                std::fs::create_dir_all(dir).map_err(io_err(dir))?;
            }
            std::fs::write(&p, bytes).map_err(io_err(&p))?;
        }
        write_root(&tmp.join("histograms.root"), plan, results)?;
        if !results.skims.is_empty() {
            write_skims(&tmp.join("skims.root"), plan, results)?;
        }
        let m = tmp.join(MARKER);
        std::fs::write(&m, b"written by anac run\n").map_err(io_err(&m))?;
        Ok(())
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if dir.exists() {
        let old = parent.join(format!(".{name}.anac-old-{}", std::process::id()));
        std::fs::rename(dir, &old).map_err(io_err(dir))?;
        std::fs::rename(&tmp, dir).map_err(io_err(dir))?;
        let removed = if old.is_dir() {
            std::fs::remove_dir_all(&old)
        } else {
            std::fs::remove_file(&old)
        };
        removed.map_err(io_err(&old))?;
    } else {
        std::fs::rename(&tmp, dir).map_err(io_err(dir))?;
    }
    Ok(())
}

/// One axis in UHI form.
pub(crate) fn uhi_axis(a: &crate::ir::AxisSpec) -> J {
    let meta = json!({"name": "", "label": a.label});
    match &a.kind {
        AxisKind::Regular { n, low, high } => json!({
            "type": "regular", "lower": low, "upper": high, "bins": n,
            "underflow": true, "overflow": true, "circular": false, "metadata": meta,
        }),
        AxisKind::Integer { low, high } => json!({
            "type": "regular", "lower": low, "upper": high,
            "bins": high - low, "underflow": true, "overflow": true, "circular": false,
            "writer_info": {"boost-histogram": {"orig_type": "Integer"}}, "metadata": meta,
        }),
        AxisKind::Variable(e) => json!({
            "type": "variable", "edges": e, "underflow": true, "overflow": true,
            "circular": false, "metadata": meta,
        }),
        AxisKind::IntCategory(c) => json!({
            "type": "category_int", "categories": c, "flow": true, "metadata": meta,
        }),
        AxisKind::StrCategory(c) => json!({
            "type": "category_str", "categories": c, "flow": true, "metadata": meta,
        }),
    }
}

/// Flat cells as nested lists (x-major), as UHI stores them.
fn nested(spec: &HistSpec, v: &[f64]) -> J {
    let flat = |xs: &[f64]| J::Array(xs.iter().map(|x| num(*x)).collect());
    match spec.axes.as_slice() {
        [_, y] => {
            let ey = extent(&y.kind);
            J::Array(v.chunks(ey).map(flat).collect())
        }
        [_, y, z] => {
            let (ey, ez) = (extent(&y.kind), extent(&z.kind));
            J::Array(
                v.chunks(ey * ez)
                    .map(|plane| J::Array(plane.chunks(ez).map(flat).collect()))
                    .collect(),
            )
        }
        _ => flat(v),
    }
}

/// `histograms.json`: every histogram in UHI's JSON form, keyed by output name (sorted).
pub fn histograms_json(plan: &Plan, results: &Results) -> Vec<u8> {
    let mut map = BTreeMap::new();
    for h in &results.hists {
        let spec = &plan.hists[h.spec];
        let storage = if spec.profile.is_some() {
            let (means, variances) = profile_moments(h);
            json!({
                "type": "weighted_mean",
                "sum_of_weights": nested(spec, &h.sumw),
                "sum_of_weights_squared": nested(spec, &h.sumw2),
                "values": nested(spec, &means),
                "variances": nested(spec, &variances),
            })
        } else {
            json!({
                "type": "weighted",
                "values": nested(spec, &h.sumw),
                "variances": nested(spec, &h.sumw2),
            })
        };
        map.insert(
            h.name.clone(),
            json!({
                "uhi_schema": 1,
                "writer_info": {"anac": {"version": env!("CARGO_PKG_VERSION")}},
                "axes": spec.axes.iter().map(uhi_axis).collect::<Vec<_>>(),
                "storage": storage,
                "metadata": {
                    "name": h.name, "hist": spec.name, "region": spec.region,
                    "process": h.process, "variation": h.variation,
                },
            }),
        );
    }
    pretty(&J::Object(map.into_iter().collect()))
}

/// A profile's mean and variance of its averaged value per bin, as UHI's `weighted_mean` storage
/// holds them: mean Σwy/Σw (0 for a bin with Σw = 0, as ROOT and boost-histogram report it) and
/// the sample variance (Σwy² − (Σwy)²/Σw) / (Σw − Σw²/Σw) (NaN where that divides by zero, e.g. a
/// bin with one fill).
pub fn profile_moments(h: &NamedHist) -> (Vec<f64>, Vec<f64>) {
    let mut means = Vec::with_capacity(h.sumw.len());
    let mut vars = Vec::with_capacity(h.sumw.len());
    for i in 0..h.sumw.len() {
        let (w, w2, wy, wy2) = (h.sumw[i], h.sumw2[i], h.sumwy[i], h.sumwy2[i]);
        means.push(if w == 0.0 { 0.0 } else { wy / w });
        let d = w - w2 / w;
        vars.push(if w == 0.0 || d == 0.0 {
            f64::NAN
        } else {
            (wy2 - wy * wy / w) / d
        });
    }
    (means, vars)
}

/// Pretty JSON with a final newline. (Serializing a `serde_json::Value` into memory cannot
/// fail: its keys are strings and non-finite numbers were already turned into `null`.)
pub fn pretty(v: &J) -> Vec<u8> {
    let mut out = Vec::new();
    if serde_json::to_writer_pretty(&mut out, v).is_ok() {
        out.push(b'\n');
    }
    out
}

/// A float for JSON: finite numbers as numbers, others as the strings "nan", "inf", "-inf"
/// (JSON has no non-finite numbers; a `null` would hide them).
pub fn num(x: f64) -> J {
    if x.is_finite() {
        json!(x)
    } else if x.is_nan() {
        json!("nan")
    } else if x > 0.0 {
        json!("inf")
    } else {
        json!("-inf")
    }
}

/// `cutflow.json`: per sample the raw and weighted counts after every cut (common, then per
/// region), the counters, and the efficiencies.
pub fn cutflow_json(plan: &Plan, results: &Results) -> Vec<u8> {
    let common: Vec<&str> = plan
        .cuts
        .iter()
        .filter(|c| c.region.is_none())
        .map(|c| c.label.as_str())
        .collect();
    let row =
        |label: &str, r: (u64, f64)| json!({"cut": label, "events": r.0, "weighted": num(r.1)});
    let samples: Vec<J> = results
        .cutflows
        .iter()
        .map(|(p, v, cf)| {
            let mut rows = vec![row("all events", cf.common[0])];
            rows.extend(common.iter().zip(&cf.common[1..]).map(|(l, r)| row(l, *r)));
            let regions: serde_json::Map<String, J> = plan
                .regions
                .iter()
                .zip(&cf.regions)
                .map(|(reg, counts)| {
                    let labels = plan
                        .cuts
                        .iter()
                        .filter(|c| c.region.as_deref() == Some(&reg.name));
                    (
                        reg.name.clone(),
                        J::Array(labels.zip(counts).map(|(c, r)| row(&c.label, *r)).collect()),
                    )
                })
                .collect();
            json!({"process": p, "variation": v, "cuts": rows, "regions": regions})
        })
        .collect();
    let counters: BTreeMap<&str, J> = results
        .counters
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                json!({"process": c.process, "variation": c.variation, "events": c.value.events,
                       "sumw": num(c.value.sumw), "sumw2": num(c.value.sumw2)}),
            )
        })
        .collect();
    let mut effs: BTreeMap<&str, Vec<J>> = BTreeMap::new();
    for e in &results.efficiencies {
        effs.entry(e.name.as_str()).or_default().push(json!({
            "process": e.process, "variation": e.variation, "passed": e.passed,
            "total": e.total, "efficiency": num(e.ratio), "weighted": num(e.weighted_ratio),
            "interval": [num(e.interval.0), num(e.interval.1)],
            "interval_method": "Clopper-Pearson, 68.27 %, raw counts",
        }));
    }
    pretty(&json!({"samples": samples, "counters": counters, "efficiencies": effs}))
}

/// `events.json`: the `collect` lists, keyed by output name.
pub fn events_json(plan: &Plan, results: &Results) -> Vec<u8> {
    let map: BTreeMap<&str, J> = results
        .collects
        .iter()
        .map(|c| {
            let spec = &plan.collects[c.spec];
            let rows: Vec<J> = c
                .value
                .rows
                .iter()
                .map(|r| {
                    J::Array(
                        r.iter()
                            .map(|v| match v {
                                crate::runtime::accum::CVal::F(x) => num(*x),
                                other => json!(other),
                            })
                            .collect(),
                    )
                })
                .collect();
            (
                c.name.as_str(),
                json!({"process": c.process, "variation": c.variation,
                       "columns": spec.columns, "max": spec.max,
                       "events_reaching": c.value.seen,
                       "rows": rows}),
            )
        })
        .collect();
    pretty(&json!(map))
}

/// A ROOT axis for an anac axis (category axes become labelled bins).
fn root_axis(a: &crate::ir::AxisSpec) -> RAxis {
    let (edges, labels) = match &a.kind {
        AxisKind::Regular { n, low, high } => (
            AxisEdges::Regular {
                n: *n,
                low: *low,
                high: *high,
            },
            Vec::new(),
        ),
        AxisKind::Integer { low, high } => (
            AxisEdges::Regular {
                n: (high - low) as usize,
                low: *low as f64,
                high: *high as f64,
            },
            Vec::new(),
        ),
        AxisKind::Variable(e) => (AxisEdges::Variable(e.clone()), Vec::new()),
        AxisKind::IntCategory(c) => (
            AxisEdges::Regular {
                n: c.len(),
                low: 0.0,
                high: c.len() as f64,
            },
            c.iter().map(|x| x.to_string()).collect(),
        ),
        AxisKind::StrCategory(c) => (
            AxisEdges::Regular {
                n: c.len(),
                low: 0.0,
                high: c.len() as f64,
            },
            c.clone(),
        ),
    };
    RAxis {
        edges,
        title: a.label.clone(),
        labels,
    }
}

/// Maps an axis cell (UHI order) to ROOT's bin index: category axes have no underflow cell.
fn root_bin(a: &AxisKind, cell: usize) -> usize {
    match a {
        AxisKind::IntCategory(_) | AxisKind::StrCategory(_) => cell + 1,
        _ => cell,
    }
}

/// Writes `skims.root`: one tree per skim and sample (nominal selection), in sorted name order:
/// the branch `weight`, then each group's counter (`Int_t`) and columns.
fn write_skims(path: &Path, plan: &Plan, results: &Results) -> Result<(), OutputError> {
    use crate::io::root::write::{Branch, BranchData, Column, Tree};
    use crate::io::schema::ScalarType as S;
    use crate::runtime::accum::SkimData;
    let mut sorted: Vec<&crate::runtime::results::NamedSkim> = results.skims.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut seed = Vec::new();
    for k in &sorted {
        seed.extend_from_slice(k.name.as_bytes());
        for x in &k.value.weight {
            seed.extend_from_slice(&x.to_le_bytes());
        }
    }
    let rerr = |e: crate::io::root::write::WriteError| OutputError::Root(e.to_string());
    let mut w = RootWriter::create_reproducible(path, &seed).map_err(rerr)?;
    for k in sorted {
        let spec = &plan.skims[k.spec];
        let acc = &k.value;
        let mut branches = vec![Branch {
            name: crate::sema::skim::WEIGHT_BRANCH.to_string(),
            data: BranchData::Scalar(Column::F64(acc.weight.clone())),
        }];
        for (gi, g) in spec.groups.iter().enumerate() {
            if let Some(counter) = &g.counter {
                let counts = acc.lengths[gi]
                    .iter()
                    .map(|n| i32::try_from(*n))
                    .collect::<Result<Vec<i32>, _>>()
                    .map_err(|_| {
                        OutputError::Root(format!(
                            "skim `{}`: an event has more than 2^31 values in `{counter}`",
                            k.name
                        ))
                    })?;
                branches.push(Branch {
                    name: counter.clone(),
                    data: BranchData::Scalar(Column::I32(counts)),
                });
            }
            for (c, data) in g.columns.iter().zip(&acc.columns[gi]) {
                let column = match (data, c.ty) {
                    (SkimData::B(v), _) => Column::Bool(v.clone()),
                    (SkimData::F(v), S::F32) => Column::F32(v.iter().map(|x| *x as f32).collect()),
                    (SkimData::F(v), _) => Column::F64(v.clone()),
                    (SkimData::I(v), S::I8) => Column::I8(v.iter().map(|x| *x as i8).collect()),
                    (SkimData::I(v), S::U8) => Column::U8(v.iter().map(|x| *x as u8).collect()),
                    (SkimData::I(v), S::I16) => Column::I16(v.iter().map(|x| *x as i16).collect()),
                    (SkimData::I(v), S::U16) => Column::U16(v.iter().map(|x| *x as u16).collect()),
                    (SkimData::I(v), S::I32) => Column::I32(v.iter().map(|x| *x as i32).collect()),
                    (SkimData::I(v), S::U32) => Column::U32(v.iter().map(|x| *x as u32).collect()),
                    (SkimData::I(v), S::U64) => Column::U64(v.iter().map(|x| *x as u64).collect()),
                    (SkimData::I(v), _) => Column::I64(v.clone()),
                };
                let data = match &g.counter {
                    None => BranchData::Scalar(column),
                    Some(counter) => BranchData::Counted {
                        counter: counter.clone(),
                        values: column,
                    },
                };
                branches.push(Branch {
                    name: c.branch.clone(),
                    data,
                });
            }
        }
        w.write_tree(&Tree {
            name: k.name.clone(),
            title: format!("skim {} of {} ({})", spec.name, k.process, k.variation),
            branches,
            cluster_size: 0,
        })
        .map_err(rerr)?;
    }
    w.finish().map_err(rerr)?;
    Ok(())
}

/// Writes `histograms.root`: one TH1D/TH2D/TH3D per histogram, in sorted name order.
fn write_root(path: &Path, plan: &Plan, results: &Results) -> Result<(), OutputError> {
    let mut sorted: Vec<&NamedHist> = results.hists.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut seed = Vec::new();
    for h in &sorted {
        seed.extend_from_slice(h.name.as_bytes());
        for x in h
            .sumw
            .iter()
            .chain(&h.sumw2)
            .chain(&h.sumwy)
            .chain(&h.sumwy2)
        {
            seed.extend_from_slice(&x.to_le_bytes());
        }
    }
    let rerr = |e: crate::io::root::write::WriteError| OutputError::Root(e.to_string());
    let mut w = RootWriter::create_reproducible(path, &seed).map_err(rerr)?;
    for h in sorted {
        let spec = &plan.hists[h.spec];
        let title = spec.name.clone();
        match spec.axes.as_slice() {
            [x] if spec.profile.is_some() => {
                let (sumwy, sumwy2) = (root_1d(x, &h.sumwy), root_1d(x, &h.sumwy2));
                let (sumw, sumw2) = (root_1d(x, &h.sumw), root_1d(x, &h.sumw2));
                let dims = [root_cells(&x.kind)];
                let (tsumw, tsumw2) = in_range(&sumw, &sumw2, &dims);
                let (tsumwy, tsumwy2) = in_range(&sumwy, &sumwy2, &dims);
                w.write_profile1d(&Profile1D {
                    hist: Hist1D {
                        name: h.name.clone(),
                        title,
                        x: root_axis(x),
                        sumw: sumwy,
                        sumw2: sumwy2,
                        entries: h.entries as f64,
                        tsumw,
                        tsumw2,
                        tsumwx: 0.0,
                        tsumwx2: 0.0,
                    },
                    bin_entries: sumw,
                    bin_sumw2: sumw2,
                    tsumwy,
                    tsumwy2,
                })
                .map_err(rerr)?;
            }
            [x, y] if spec.profile.is_some() => {
                let (sumwz, sumwz2) = (root_2d(x, y, &h.sumwy), root_2d(x, y, &h.sumwy2));
                let (sumw, sumw2) = (root_2d(x, y, &h.sumw), root_2d(x, y, &h.sumw2));
                let dims = [root_cells(&x.kind), root_cells(&y.kind)];
                let (tsumw, tsumw2) = in_range(&sumw, &sumw2, &dims);
                let (tsumwz, tsumwz2) = in_range(&sumwz, &sumwz2, &dims);
                w.write_profile2d(&Profile2D {
                    hist: Hist2D {
                        name: h.name.clone(),
                        title,
                        x: root_axis(x),
                        y: root_axis(y),
                        sumw: sumwz,
                        sumw2: sumwz2,
                        entries: h.entries as f64,
                        tsumw,
                        tsumw2,
                        tsumwx: 0.0,
                        tsumwx2: 0.0,
                        tsumwy: 0.0,
                        tsumwy2: 0.0,
                        tsumwxy: 0.0,
                    },
                    bin_entries: sumw,
                    bin_sumw2: sumw2,
                    tsumwz,
                    tsumwz2,
                })
                .map_err(rerr)?;
            }
            [x] => {
                let n = extent(&x.kind);
                let mut sumw = vec![0.0; root_cells(&x.kind)];
                let mut sumw2 = sumw.clone();
                for c in 0..n {
                    sumw[root_bin(&x.kind, c)] = h.sumw[c];
                    sumw2[root_bin(&x.kind, c)] = h.sumw2[c];
                }
                let (tsumw, tsumw2) = in_range(&sumw, &sumw2, &[root_cells(&x.kind)]);
                w.write_hist1d(&Hist1D {
                    name: h.name.clone(),
                    title,
                    x: root_axis(x),
                    sumw,
                    sumw2,
                    entries: h.entries as f64,
                    tsumw,
                    tsumw2,
                    tsumwx: 0.0,
                    tsumwx2: 0.0,
                })
                .map_err(rerr)?;
            }
            [x, y] => {
                let (nx, ny) = (extent(&x.kind), extent(&y.kind));
                let (rx, ry) = (root_cells(&x.kind), root_cells(&y.kind));
                let mut sumw = vec![0.0; rx * ry];
                let mut sumw2 = sumw.clone();
                for i in 0..nx {
                    for j in 0..ny {
                        let at = root_bin(&x.kind, i) + rx * root_bin(&y.kind, j);
                        sumw[at] = h.sumw[i * ny + j];
                        sumw2[at] = h.sumw2[i * ny + j];
                    }
                }
                let (tsumw, tsumw2) = in_range(&sumw, &sumw2, &[rx, ry]);
                w.write_hist2d(&Hist2D {
                    name: h.name.clone(),
                    title,
                    x: root_axis(x),
                    y: root_axis(y),
                    sumw,
                    sumw2,
                    entries: h.entries as f64,
                    tsumw,
                    tsumw2,
                    tsumwx: 0.0,
                    tsumwx2: 0.0,
                    tsumwy: 0.0,
                    tsumwy2: 0.0,
                    tsumwxy: 0.0,
                })
                .map_err(rerr)?;
            }
            [x, y, z] => {
                let (nx, ny, nz) = (extent(&x.kind), extent(&y.kind), extent(&z.kind));
                let (rx, ry, rz) = (
                    root_cells(&x.kind),
                    root_cells(&y.kind),
                    root_cells(&z.kind),
                );
                let mut sumw = vec![0.0; rx * ry * rz];
                let mut sumw2 = sumw.clone();
                for i in 0..nx {
                    for j in 0..ny {
                        for k in 0..nz {
                            let at = root_bin(&x.kind, i)
                                + rx * (root_bin(&y.kind, j) + ry * root_bin(&z.kind, k));
                            let from = (i * ny + j) * nz + k;
                            sumw[at] = h.sumw[from];
                            sumw2[at] = h.sumw2[from];
                        }
                    }
                }
                let (tsumw, tsumw2) = in_range(&sumw, &sumw2, &[rx, ry, rz]);
                w.write_hist3d(&Hist3D {
                    name: h.name.clone(),
                    title,
                    x: root_axis(x),
                    y: root_axis(y),
                    z: root_axis(z),
                    sumw,
                    sumw2,
                    entries: h.entries as f64,
                    tsumw,
                    tsumw2,
                })
                .map_err(rerr)?;
            }
            other => {
                return Err(OutputError::Root(format!(
                    "histogram {}: {} axes (ROOT histograms have up to three)",
                    h.name,
                    other.len()
                )));
            }
        }
    }
    w.finish().map_err(rerr)
}

/// Cells of a 1-D accumulator (UHI order) in ROOT's bin order.
fn root_1d(x: &crate::ir::AxisSpec, v: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; root_cells(&x.kind)];
    for (c, val) in v.iter().enumerate() {
        out[root_bin(&x.kind, c)] = *val;
    }
    out
}

/// Cells of a 2-D accumulator (UHI order, x-major) in ROOT's bin order (x fastest).
fn root_2d(x: &crate::ir::AxisSpec, y: &crate::ir::AxisSpec, v: &[f64]) -> Vec<f64> {
    let (rx, ry) = (root_cells(&x.kind), root_cells(&y.kind));
    let ny = extent(&y.kind);
    let mut out = vec![0.0; rx * ry];
    for (c, val) in v.iter().enumerate() {
        let (i, j) = (c / ny, c % ny);
        out[root_bin(&x.kind, i) + rx * root_bin(&y.kind, j)] = *val;
    }
    out
}

/// ROOT's cell count of an axis (bins plus two flow bins).
fn root_cells(a: &AxisKind) -> usize {
    match a {
        AxisKind::IntCategory(c) => c.len() + 2,
        AxisKind::StrCategory(c) => c.len() + 2,
        _ => extent(a),
    }
}

/// Sum of weights and of squared weights over the in-range cells (ROOT's fTsumw, fTsumw2).
fn in_range(sumw: &[f64], sumw2: &[f64], dims: &[usize]) -> (f64, f64) {
    let inside = |i: usize| match dims {
        [n] => i > 0 && i < n - 1,
        [nx, ny] => {
            let (ix, iy) = (i % nx, i / nx);
            ix > 0 && ix < nx - 1 && iy > 0 && iy < ny - 1
        }
        [nx, ny, nz] => {
            let (ix, iy, iz) = (i % nx, (i / nx) % ny, i / (nx * ny));
            ix > 0 && ix < nx - 1 && iy > 0 && iy < ny - 1 && iz > 0 && iz < nz - 1
        }
        _ => false,
    };
    let mut a = 0.0;
    let mut b = 0.0;
    for i in 0..sumw.len() {
        if inside(i) {
            a += sumw[i];
            b += sumw2[i];
        }
    }
    (a, b)
}

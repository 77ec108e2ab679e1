//! Plots of a results folder, made from `histograms.json` and `provenance.json` alone (so
//! `anac plot DIR` re-makes what `anac run` wrote): per (region, histogram) a stack of the
//! simulated processes with data (or, without data, the first derived histogram such as
//! pseudodata) as points and a data/prediction ratio panel; per kinematic variation, the nominal
//! prediction against the varied one with their ratio. PNG and SVG, drawn by `io::canvas` with an
//! embedded font. 1-D histograms on regular, variable, integer and category axes are plotted
//! (a category axis with one labelled unit bin per category); a 2-D histogram is drawn as a heat
//! map of the simulated processes' sum, with a colour bar. A 1-D profile is drawn as each
//! process's mean per bin with its error, side by side (means do not stack).

use serde_json::Value;

use super::canvas::{Anchor, BLACK, Canvas, GREY, Rgb};

const W: u32 = 800;
const H: u32 = 700;
const LEFT: f32 = 95.0;
const RIGHT: f32 = 770.0;
const TOP: f32 = 50.0;
const SPLIT: f32 = 480.0;
const BOTTOM: f32 = 630.0;

const PALETTE: [Rgb; 8] = [
    Rgb(87, 144, 252),
    Rgb(248, 156, 32),
    Rgb(228, 37, 54),
    Rgb(150, 74, 139),
    Rgb(156, 156, 161),
    Rgb(122, 33, 221),
    Rgb(63, 144, 218),
    Rgb(255, 169, 14),
];

/// One 1-D histogram read back: in-range bin edges and contents/variances (flow bins dropped).
struct H1 {
    edges: Vec<f64>,
    /// A category axis' labels (its bins are then unit bins 0, 1, ...).
    cats: Option<Vec<String>>,
    values: Vec<f64>,
    variances: Vec<f64>,
    label: String,
}

/// One axis of a UHI histogram: in-range edges, category names, flow bins before and after.
struct Axis {
    edges: Vec<f64>,
    cats: Option<Vec<String>>,
    under: usize,
    over: usize,
    label: String,
}

fn read_axis(a: &Value) -> Option<Axis> {
    let flag = |k: &str| usize::from(a[k] == true);
    let (edges, cats, under, over) = match a["type"].as_str()? {
        // Categories: one unit bin each, plus an overflow bin ("other") but no underflow.
        "category_str" | "category_int" => {
            let names: Vec<String> = a["categories"]
                .as_array()?
                .iter()
                .map(|c| match c {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            let edges = (0..=names.len()).map(|i| i as f64).collect();
            (edges, Some(names), 0, flag("flow"))
        }
        "regular" => {
            let (lo, hi, n) = (
                a["lower"].as_f64()?,
                a["upper"].as_f64()?,
                a["bins"].as_u64()?,
            );
            let edges = (0..=n)
                .map(|i| lo + (hi - lo) * i as f64 / n as f64)
                .collect();
            (edges, None, flag("underflow"), flag("overflow"))
        }
        "variable" => {
            let edges = a["edges"]
                .as_array()?
                .iter()
                .filter_map(Value::as_f64)
                .collect();
            (edges, None, flag("underflow"), flag("overflow"))
        }
        _ => return None,
    };
    Some(Axis {
        edges,
        cats,
        under,
        over,
        label: a["metadata"]["label"].as_str().unwrap_or("").to_string(),
    })
}

fn numbers(v: &Value) -> Option<Vec<f64>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_f64().or(Some(f64::NAN)))
        .collect()
}

fn read_h1(h: &Value) -> Option<H1> {
    let [a] = h["axes"].as_array()?.as_slice() else {
        return None;
    };
    let a = read_axis(a)?;
    let values = numbers(&h["storage"]["values"])?;
    let variances = numbers(&h["storage"]["variances"])?;
    let n = a.edges.len().checked_sub(1)?;
    let total = a.under + n + a.over;
    if values.len() != total || variances.len() != total {
        return None;
    }
    Some(H1 {
        values: values[a.under..a.under + n].to_vec(),
        variances: variances[a.under..a.under + n].to_vec(),
        edges: a.edges,
        cats: a.cats,
        label: a.label,
    })
}

/// A 1-D profile read back: in-range edges, and per bin the mean and its error (none where the
/// bin is empty or its error undefined).
struct P1 {
    edges: Vec<f64>,
    cats: Option<Vec<String>>,
    mean: Vec<Option<(f64, f64)>>,
    label: String,
}

/// The mean's error is `sqrt(variance · Σw²) / Σw` (hist's and ROOT's error of the mean).
fn read_p1(h: &Value) -> Option<P1> {
    let [a] = h["axes"].as_array()?.as_slice() else {
        return None;
    };
    let a = read_axis(a)?;
    let st = &h["storage"];
    let (sw, sw2) = (
        numbers(&st["sum_of_weights"])?,
        numbers(&st["sum_of_weights_squared"])?,
    );
    let (mean, var) = (numbers(&st["values"])?, numbers(&st["variances"])?);
    let n = a.edges.len().checked_sub(1)?;
    let total = a.under + n + a.over;
    if [sw.len(), sw2.len(), mean.len(), var.len()] != [total; 4] {
        return None;
    }
    let at = |i: usize| {
        let k = a.under + i;
        (sw[k] > 0.0 && mean[k].is_finite()).then(|| {
            let e = (var[k] * sw2[k]).sqrt() / sw[k];
            (mean[k], if e.is_finite() { e } else { 0.0 })
        })
    };
    Some(P1 {
        mean: (0..n).map(at).collect(),
        edges: a.edges,
        cats: a.cats,
        label: a.label,
    })
}

/// Per process, the mean per bin as points with error bars, side by side within each bin.
fn profile_plot(procs: &[(String, P1)], region: &str, lumi: Option<f64>) -> Option<Canvas> {
    let (_, first) = procs.first()?;
    let edges = &first.edges;
    let nb = edges.len() - 1;
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for (_, p) in procs {
        if p.edges != *edges {
            return None;
        }
        for (m, e) in p.mean.iter().flatten() {
            lo = lo.min(m - e);
            hi = hi.max(m + e);
        }
    }
    if !(lo.is_finite() && hi.is_finite()) {
        return None;
    }
    let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
    let f = Frame {
        x0: edges[0],
        x1: edges[nb],
        y0: lo - 0.1 * span,
        y1: hi + 0.45 * span,
        top: TOP,
        bottom: BOTTOM,
        left: LEFT,
        right: RIGHT,
    };
    let mut c = Canvas::new(W, H);
    let k_all = procs.len() as f64;
    for (k, (_, p)) in procs.iter().enumerate() {
        let col = PALETTE[k % PALETTE.len()];
        for (i, m) in p.mean.iter().enumerate() {
            let Some((m, e)) = m else { continue };
            let w = edges[i + 1] - edges[i];
            let x = edges[i] + w * (k as f64 + 0.5) / k_all;
            let x = f.px(x);
            c.line(vec![(x, f.py(m - e)), (x, f.py(m + e))], col, 1.5);
            c.dot(x, f.py(*m), 3.5, col);
        }
    }
    axes(&mut c, &f, true, "mean", first.cats.as_deref());
    let entries: Vec<(String, Option<Rgb>)> = procs
        .iter()
        .enumerate()
        .map(|(k, (p, _))| (p.clone(), Some(PALETTE[k % PALETTE.len()])))
        .collect();
    legend(&mut c, &entries);
    labels(&mut c, region, lumi);
    c.text(RIGHT, BOTTOM + 45.0, 16.0, &first.label, Anchor::End, false);
    Some(c)
}

/// A 2-D histogram read back: both axes and the in-range contents, `values[ix][iy]`.
struct H2 {
    x: Axis,
    y: Axis,
    values: Vec<Vec<f64>>,
}

fn read_h2(h: &Value) -> Option<H2> {
    let [ax, ay] = h["axes"].as_array()?.as_slice() else {
        return None;
    };
    let (x, y) = (read_axis(ax)?, read_axis(ay)?);
    // UHI writes an N-D storage as nested lists (x outer), flow bins included.
    let mut flat = Vec::new();
    for row in h["storage"]["values"].as_array()? {
        flat.extend(numbers(row)?);
    }
    let (nx, ny) = (x.edges.len().checked_sub(1)?, y.edges.len().checked_sub(1)?);
    let ext_y = y.under + ny + y.over;
    if flat.len() != (x.under + nx + x.over) * ext_y {
        return None;
    }
    // Cells are x-major (cell = ix * extent(y) + iy).
    let values = (0..nx)
        .map(|ix| {
            (0..ny)
                .map(|iy| flat[(ix + x.under) * ext_y + iy + y.under])
                .collect()
        })
        .collect();
    Some(H2 { x, y, values })
}

/// A perceptual colour scale (dark blue → green → yellow) for t in [0, 1].
fn heat(t: f64) -> Rgb {
    const STOPS: [(f64, [f64; 3]); 5] = [
        (0.0, [68.0, 1.0, 84.0]),
        (0.25, [59.0, 82.0, 139.0]),
        (0.5, [33.0, 145.0, 140.0]),
        (0.75, [94.0, 201.0, 98.0]),
        (1.0, [253.0, 231.0, 37.0]),
    ];
    let t = t.clamp(0.0, 1.0);
    let k = STOPS.iter().position(|s| s.0 >= t).unwrap_or(4).max(1);
    let (t0, c0) = STOPS[k - 1];
    let (t1, c1) = STOPS[k];
    let u = if t1 > t0 { (t - t0) / (t1 - t0) } else { 0.0 };
    let mix = |i: usize| (c0[i] + (c1[i] - c0[i]) * u).round() as u8;
    Rgb(mix(0), mix(1), mix(2))
}

/// The sum of the simulated processes of a 2-D histogram as a heat map with a colour bar.
fn heat_map(h: &H2, region: &str, lumi: Option<f64>) -> Canvas {
    let right = RIGHT - 70.0;
    let (nx, ny) = (h.x.edges.len() - 1, h.y.edges.len() - 1);
    let f = Frame {
        x0: h.x.edges[0],
        x1: h.x.edges[nx],
        y0: h.y.edges[0],
        y1: h.y.edges[ny],
        top: TOP,
        bottom: BOTTOM,
        left: LEFT,
        right,
    };
    let vmax = h
        .values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let mut c = Canvas::new(W, H);
    for ix in 0..nx {
        for iy in 0..ny {
            let v = h.values[ix][iy];
            if v > 0.0 && v.is_finite() && vmax > 0.0 {
                let (x0, x1) = (f.px(h.x.edges[ix]), f.px(h.x.edges[ix + 1]));
                let (y1, y0) = (f.py(h.y.edges[iy]), f.py(h.y.edges[iy + 1]));
                c.rect(x0, y0, x1, y1, heat(v / vmax));
            }
        }
    }
    axes(&mut c, &f, true, &h.y.label, None);
    // The x axis' categories, if any, label their bins.
    if let Some(cats) = &h.x.cats {
        for (i, name) in cats.iter().enumerate() {
            c.text(
                f.px(i as f64 + 0.5),
                BOTTOM + 38.0,
                12.0,
                name,
                Anchor::Middle,
                false,
            );
        }
    }
    c.text(right, BOTTOM + 50.0, 16.0, &h.x.label, Anchor::End, false);
    // Colour bar: 0 at the bottom, the largest bin at the top.
    let (bx0, bx1) = (right + 15.0, right + 35.0);
    let steps = 64;
    for k in 0..steps {
        let y0 = BOTTOM - (k + 1) as f32 * (BOTTOM - TOP) / steps as f32;
        let y1 = BOTTOM - k as f32 * (BOTTOM - TOP) / steps as f32;
        c.rect(bx0, y0, bx1, y1, heat((k as f64 + 0.5) / steps as f64));
    }
    let top_label = if vmax >= 100.0 {
        format!("{vmax:.0}")
    } else if vmax >= 10.0 {
        format!("{vmax:.1}")
    } else if vmax >= 1.0 {
        format!("{vmax:.2}")
    } else {
        format!("{vmax:.3e}")
    };
    c.text(bx1 + 8.0, TOP - 4.0, 12.0, &top_label, Anchor::End, false);
    c.text(bx1, BOTTOM + 16.0, 12.0, "0", Anchor::End, false);
    labels_at(&mut c, region, lumi, right);
    c
}

fn nice_step(range: f64, target: usize) -> f64 {
    let raw = range / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let nice = if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

fn fmt_tick(x: f64, step: f64) -> String {
    if step >= 1.0 || x == 0.0 {
        format!("{}", (x * 1e6).round() / 1e6)
    } else {
        let digits = (-step.log10().floor()) as usize;
        format!("{x:.digits$}")
    }
}

#[derive(Clone, Copy)]
struct Frame {
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
    top: f32,
    bottom: f32,
    left: f32,
    right: f32,
}

impl Frame {
    fn px(&self, x: f64) -> f32 {
        self.left + ((x - self.x0) / (self.x1 - self.x0)) as f32 * (self.right - self.left)
    }
    fn py(&self, y: f64) -> f32 {
        let t = ((y - self.y0) / (self.y1 - self.y0)).clamp(-0.05, 1.05);
        self.bottom - t as f32 * (self.bottom - self.top)
    }
}

/// The frame, ticks and tick labels of one panel.
fn axes(c: &mut Canvas, f: &Frame, x_labels: bool, y_title: &str, cats: Option<&[String]>) {
    c.line(
        vec![
            (f.left, f.top),
            (f.right, f.top),
            (f.right, f.bottom),
            (f.left, f.bottom),
            (f.left, f.top),
        ],
        BLACK,
        1.2,
    );
    // A category axis: one tick and label per category, at the bin's centre.
    if let Some(cats) = cats {
        for (i, name) in cats.iter().enumerate() {
            let p = f.px(i as f64 + 0.5);
            c.line(vec![(p, f.bottom), (p, f.bottom - 8.0)], BLACK, 1.0);
            if x_labels {
                c.text(p, f.bottom + 20.0, 14.0, name, Anchor::Middle, false);
            }
        }
    }
    let xs = nice_step(f.x1 - f.x0, 8);
    let mut x = (f.x0 / xs).ceil() * xs;
    while cats.is_none() && x <= f.x1 + 1e-9 * xs {
        let p = f.px(x);
        c.line(vec![(p, f.bottom), (p, f.bottom - 8.0)], BLACK, 1.0);
        if x_labels {
            c.text(
                p,
                f.bottom + 20.0,
                14.0,
                &fmt_tick(x, xs),
                Anchor::Middle,
                false,
            );
        }
        x += xs;
    }
    let ys = nice_step(f.y1 - f.y0, 6);
    let mut y = (f.y0 / ys).ceil() * ys;
    while y <= f.y1 + 1e-9 * ys {
        let p = f.py(y);
        c.line(vec![(LEFT, p), (LEFT + 8.0, p)], BLACK, 1.0);
        c.text(
            LEFT - 6.0,
            p + 5.0,
            14.0,
            &fmt_tick(y, ys),
            Anchor::End,
            false,
        );
        y += ys;
    }
    c.text(25.0, f.top, 16.0, y_title, Anchor::End, true);
}

fn step_line(c: &mut Canvas, f: &Frame, edges: &[f64], v: &[f64], color: Rgb, width: f32) {
    let mut pts = Vec::new();
    for (i, y) in v.iter().enumerate() {
        pts.push((f.px(edges[i]), f.py(*y)));
        pts.push((f.px(edges[i + 1]), f.py(*y)));
    }
    c.line(pts, color, width);
}

fn points(c: &mut Canvas, f: &Frame, edges: &[f64], v: &[f64], err: &[f64]) {
    for i in 0..v.len() {
        // Points outside the panel are not drawn (no value pinned to an edge).
        if !v[i].is_finite() || v[i] < f.y0 || v[i] > f.y1 {
            continue;
        }
        let x = f.px(0.5 * (edges[i] + edges[i + 1]));
        c.line(
            vec![(x, f.py(v[i] - err[i])), (x, f.py(v[i] + err[i]))],
            BLACK,
            1.5,
        );
        c.dot(x, f.py(v[i]), 3.5, BLACK);
    }
}

fn labels(c: &mut Canvas, region: &str, lumi: Option<f64>) {
    labels_at(c, region, lumi, RIGHT);
}

/// The title and the luminosity, the latter ending at `right`.
fn labels_at(c: &mut Canvas, region: &str, lumi: Option<f64>, right: f32) {
    c.text(
        LEFT,
        TOP - 12.0,
        18.0,
        &format!("anac   {region}"),
        Anchor::Start,
        false,
    );
    if let Some(l) = lumi {
        c.text(
            right,
            TOP - 12.0,
            16.0,
            &format!("{} pb^{{-1}}", (l * 1000.0).round() / 1000.0),
            Anchor::End,
            false,
        );
    }
}

fn legend(c: &mut Canvas, entries: &[(String, Option<Rgb>)]) {
    let mut y = TOP + 22.0;
    for (name, color) in entries {
        match color {
            Some(col) => c.rect(RIGHT - 200.0, y - 11.0, RIGHT - 180.0, y + 1.0, *col),
            None => c.dot(RIGHT - 190.0, y - 5.0, 4.0, BLACK),
        }
        c.text(RIGHT - 172.0, y, 14.0, name, Anchor::Start, false);
        y += 20.0;
    }
}

fn ratio_panel(
    c: &mut Canvas,
    f: &Frame,
    edges: &[f64],
    (num, var, den): (&[f64], &[f64], &[f64]),
    cats: Option<&[String]>,
) {
    let rf = Frame {
        y0: 0.5,
        y1: 1.5,
        top: SPLIT + 10.0,
        bottom: BOTTOM,
        ..*f
    };
    axes(c, &rf, true, "ratio", cats);
    c.line(vec![(LEFT, rf.py(1.0)), (RIGHT, rf.py(1.0))], GREY, 1.0);
    let r: Vec<f64> = num
        .iter()
        .zip(den)
        .map(|(n, d)| if *d > 0.0 { n / d } else { f64::NAN })
        .collect();
    let e: Vec<f64> = var
        .iter()
        .zip(den)
        .map(|(v, d)| if *d > 0.0 { v.sqrt() / d } else { 0.0 })
        .collect();
    points(c, &rf, edges, &r, &e);
}

fn finish(c: Canvas, stem: &str, out: &mut Vec<(String, Vec<u8>)>) {
    out.push((format!("plots/{stem}.svg"), c.svg().into_bytes()));
    if let Some(png) = c.png() {
        out.push((format!("plots/{stem}.png"), png));
    }
}

/// Every plot of a results folder, as (relative path, bytes).
pub fn make(hists: &Value, prov: &Value) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let Some(all) = hists.as_object() else {
        return out;
    };
    let samples = prov["samples"].as_array().cloned().unwrap_or_default();
    let process_order: Vec<String> = {
        let mut v: Vec<String> = Vec::new();
        for s in &samples {
            if let Some(p) = s["process"].as_str()
                && !v.iter().any(|x| x == p)
            {
                v.push(p.to_string());
            }
        }
        v
    };
    let is_data = |p: &str| {
        samples
            .iter()
            .any(|s| s["process"] == p && s["is_data"] == true)
    };
    let lumi = prov["lumi"].as_f64();
    let kinematic: Vec<String> = prov["kinematic_variations"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    // (region, hist) groups in first-seen order; profiles apart (means do not stack).
    let mut groups: Vec<(String, String)> = Vec::new();
    let mut profiles: Vec<(String, String)> = Vec::new();
    for h in all.values() {
        if h["storage"]["type"] == "weighted_mean" {
            let m = &h["metadata"];
            let key = (
                m["region"].as_str().unwrap_or("").to_string(),
                m["hist"].as_str().unwrap_or("").to_string(),
            );
            if !profiles.contains(&key) {
                profiles.push(key);
            }
            continue;
        }
        let m = &h["metadata"];
        let key = (
            m["region"].as_str().unwrap_or("").to_string(),
            m["hist"].as_str().unwrap_or("").to_string(),
        );
        if !groups.contains(&key) {
            groups.push(key);
        }
    }
    for (region, hist) in profiles {
        let procs: Vec<(String, P1)> = process_order
            .iter()
            .filter_map(|p| {
                all.values()
                    .find(|h| {
                        let m = &h["metadata"];
                        m["region"] == region.as_str()
                            && m["hist"] == hist.as_str()
                            && m["process"] == p.as_str()
                            && m["variation"] == "nominal"
                    })
                    .and_then(read_p1)
                    .map(|h| (p.clone(), h))
            })
            .collect();
        if let Some(c) = profile_plot(&procs, &region, lumi) {
            finish(c, &format!("{region}_{hist}"), &mut out);
        }
    }
    for (region, hist) in groups {
        let pick = |process: &str, variation: &str| -> Option<H1> {
            all.values()
                .find(|h| {
                    let m = &h["metadata"];
                    m["region"] == region.as_str()
                        && m["hist"] == hist.as_str()
                        && m["process"] == process
                        && m["variation"] == variation
                })
                .and_then(read_h1)
        };
        // A 2-D histogram: the simulated processes summed, as a heat map.
        let pick2 = |process: &str| -> Option<H2> {
            all.values()
                .find(|h| {
                    let m = &h["metadata"];
                    m["region"] == region.as_str()
                        && m["hist"] == hist.as_str()
                        && m["process"] == process
                        && m["variation"] == "nominal"
                })
                .and_then(read_h2)
        };
        let mut sum2: Option<H2> = None;
        for p in process_order.iter().filter(|p| !is_data(p)) {
            if let Some(h) = pick2(p) {
                match &mut sum2 {
                    None => sum2 = Some(h),
                    Some(acc) if acc.values.len() == h.values.len() => {
                        for (a, b) in acc.values.iter_mut().zip(&h.values) {
                            for (x, y) in a.iter_mut().zip(b) {
                                *x += y;
                            }
                        }
                    }
                    Some(_) => {}
                }
            }
        }
        if let Some(h) = sum2 {
            finish(
                heat_map(&h, &region, lumi),
                &format!("{region}_{hist}"),
                &mut out,
            );
            continue;
        }
        let mc: Vec<(String, H1)> = process_order
            .iter()
            .filter(|p| !is_data(p))
            .filter_map(|p| pick(p, "nominal").map(|h| (p.clone(), h)))
            .collect();
        let Some((_, first)) = mc.first() else {
            continue;
        };
        let edges = first.edges.clone();
        let cats = first.cats.clone();
        let cats = cats.as_deref();
        let nb = edges.len() - 1;
        // Points: data, else the first derived histogram (e.g. pseudodata).
        let data: Vec<H1> = process_order
            .iter()
            .filter(|p| is_data(p))
            .filter_map(|p| pick(p, "nominal"))
            .collect();
        let (points_name, pts) = if !data.is_empty() {
            let mut v = vec![0.0; nb];
            let mut e = vec![0.0; nb];
            for d in &data {
                for i in 0..nb {
                    v[i] += d.values[i];
                    e[i] += d.variances[i];
                }
            }
            ("data".to_string(), Some((v, e)))
        } else {
            let derived = all.values().find(|h| {
                let m = &h["metadata"];
                m["region"] == region.as_str()
                    && m["hist"] == hist.as_str()
                    && m["process"]
                        .as_str()
                        .is_some_and(|p| !process_order.iter().any(|x| x == p))
            });
            match derived.and_then(|h| {
                let name = h["metadata"]["process"].as_str()?.to_string();
                read_h1(h).map(|x| (name, x))
            }) {
                Some((name, h)) => (name, Some((h.values, h.variances))),
                None => (String::new(), None),
            }
        };
        // The stack.
        let mut cum = vec![vec![0.0; nb]];
        for (_, h) in &mc {
            let prev = cum.last().cloned().unwrap_or_default();
            cum.push(prev.iter().zip(&h.values).map(|(a, b)| a + b).collect());
        }
        let total = cum.last().cloned().unwrap_or_default();
        let mut ymax = total.iter().copied().fold(0.0, f64::max);
        if let Some((v, e)) = &pts {
            for i in 0..nb {
                ymax = ymax.max(v[i] + e[i].sqrt());
            }
        }
        let f = Frame {
            x0: edges[0],
            x1: edges[nb],
            y0: 0.0,
            y1: if ymax > 0.0 { ymax * 1.45 } else { 1.0 },
            top: TOP,
            bottom: SPLIT,
            left: LEFT,
            right: RIGHT,
        };
        let mut c = Canvas::new(W, H);
        for (k, (_, _)) in mc.iter().enumerate() {
            let col = PALETTE[k % PALETTE.len()];
            for i in 0..nb {
                if cum[k + 1][i] > cum[k][i] {
                    c.rect(
                        f.px(edges[i]),
                        f.py(cum[k + 1][i]),
                        f.px(edges[i + 1]),
                        f.py(cum[k][i]),
                        col,
                    );
                }
            }
        }
        step_line(&mut c, &f, &edges, &total, BLACK, 1.0);
        if let Some((v, e)) = &pts {
            let err: Vec<f64> = e.iter().map(|x| x.sqrt()).collect();
            points(&mut c, &f, &edges, v, &err);
        }
        axes(&mut c, &f, false, "events", cats);
        let mut entries: Vec<(String, Option<Rgb>)> = Vec::new();
        if pts.is_some() {
            entries.push((points_name.clone(), None));
        }
        for (k, (p, _)) in mc.iter().enumerate().rev() {
            entries.push((p.clone(), Some(PALETTE[k % PALETTE.len()])));
        }
        legend(&mut c, &entries);
        labels(&mut c, &region, lumi);
        if let Some((v, e)) = &pts {
            ratio_panel(&mut c, &f, &edges, (v, e, &total), cats);
        } else {
            let flat = vec![1.0; nb];
            ratio_panel(&mut c, &f, &edges, (&flat, &vec![0.0; nb], &flat), cats);
        }
        c.text(RIGHT, BOTTOM + 45.0, 16.0, &first.label, Anchor::End, false);
        finish(c, &format!("{region}_{hist}"), &mut out);

        // Kinematic variations: the summed prediction, nominal against varied.
        for var in &kinematic {
            let varied: Vec<(H1, H1)> = process_order
                .iter()
                .filter(|p| !is_data(p))
                .filter_map(|p| Some((pick(p, "nominal")?, pick(p, var)?)))
                .collect();
            if varied.is_empty() {
                continue;
            }
            let mut nom = vec![0.0; nb];
            let mut alt = vec![0.0; nb];
            let mut alt_var = vec![0.0; nb];
            for (n, a) in &varied {
                for i in 0..nb {
                    nom[i] += n.values[i];
                    alt[i] += a.values[i];
                    alt_var[i] += a.variances[i];
                }
            }
            let ymax = nom.iter().chain(&alt).copied().fold(0.0, f64::max);
            let f = Frame {
                y1: if ymax > 0.0 { ymax * 1.35 } else { 1.0 },
                ..f
            };
            let mut c = Canvas::new(W, H);
            step_line(&mut c, &f, &edges, &nom, BLACK, 2.0);
            step_line(&mut c, &f, &edges, &alt, PALETTE[2], 2.0);
            axes(&mut c, &f, false, "events", cats);
            legend(
                &mut c,
                &[
                    ("nominal".to_string(), Some(BLACK)),
                    (var.clone(), Some(PALETTE[2])),
                ],
            );
            labels(&mut c, &region, lumi);
            ratio_panel(&mut c, &f, &edges, (&alt, &alt_var, &nom), cats);
            c.text(RIGHT, BOTTOM + 45.0, 16.0, &first.label, Anchor::End, false);
            finish(c, &format!("{region}_{hist}__{var}"), &mut out);
        }
    }
    out
}

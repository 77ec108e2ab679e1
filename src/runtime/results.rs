//! The merged results of a run, named: every histogram, counter and event list per (process,
//! variation) under its output name, the cutflows, and the `derive` results computed from them.
//!
//! Derived histograms: sums and differences add variances; a factor k scales contents by k and
//! variances by k²; a product of histograms propagates errors to first order
//! (var = b²·var_a + a²·var_b); `normalize` divides by the sum of the in-range contents (flow
//! bins are scaled too). Efficiencies are count ratios per sample with a Clopper–Pearson
//! interval (68.27 %) on the raw counts.

use crate::ir::{DExpr, HistSpec, Plan};
use crate::sema::{OutputPart, OutputTemplate};

use super::accum::{CollectAcc, CounterAcc, Cutflow, SkimAcc};
use super::engine::JobResult;
use super::units::Job;

/// One output histogram.
#[derive(Debug, Clone)]
pub struct NamedHist {
    pub name: String,
    /// Index into `Plan::hists`.
    pub spec: usize,
    pub process: String,
    pub variation: String,
    pub sumw: Vec<f64>,
    pub sumw2: Vec<f64>,
    /// A profile's Σw·y and Σw·y² per bin; empty for a histogram.
    pub sumwy: Vec<f64>,
    pub sumwy2: Vec<f64>,
    pub entries: u64,
    /// Fills skipped because the value was absent, and NaN values put in the overflow bin.
    pub skipped: u64,
    pub nan: u64,
    /// A `derive` result.
    pub derived: bool,
}

#[derive(Debug, Clone)]
pub struct NamedCounter {
    pub name: String,
    pub process: String,
    pub variation: String,
    pub value: CounterAcc,
}

#[derive(Debug, Clone)]
pub struct NamedCollect {
    pub name: String,
    /// Index into `Plan::collects`.
    pub spec: usize,
    pub process: String,
    pub variation: String,
    pub value: CollectAcc,
}

/// A skim of one sample (nominal selection), named `{region}_{skim}_{process}[_{variation}]`.
#[derive(Debug, Clone)]
pub struct NamedSkim {
    pub name: String,
    /// Index into `Plan::skims`.
    pub spec: usize,
    pub process: String,
    pub variation: String,
    pub value: SkimAcc,
}

#[derive(Debug, Clone)]
pub struct Efficiency {
    pub name: String,
    pub process: String,
    pub variation: String,
    pub passed: u64,
    pub total: u64,
    pub ratio: f64,
    pub weighted_ratio: f64,
    pub interval: (f64, f64),
}

#[derive(Debug, Clone)]
pub struct Results {
    pub hists: Vec<NamedHist>,
    pub counters: Vec<NamedCounter>,
    pub collects: Vec<NamedCollect>,
    pub skims: Vec<NamedSkim>,
    /// Per job: (process, variation, cutflow).
    pub cutflows: Vec<(String, String, Cutflow)>,
    pub efficiencies: Vec<Efficiency>,
}

/// A skim tree's name: `{region}_{skim}_{process}`, then `_{variation}` for a sample variation
/// (whatever the analysis' `output` template: skim names are unique per region, so these are
/// unique).
pub fn skim_name(region: &str, skim: &str, process: &str, variation: &str) -> String {
    let mut n = format!("{region}_{skim}_{process}");
    if variation != "nominal" {
        n.push('_');
        n.push_str(variation);
    }
    n
}

/// Renders the output-name template.
pub fn output_name(
    t: &OutputTemplate,
    region: &str,
    hist: &str,
    process: &str,
    var: &str,
) -> String {
    fn walk(parts: &[OutputPart], out: &mut String, v: [&str; 4], nominal: bool) {
        for p in parts {
            match p {
                OutputPart::Text(s) => out.push_str(s),
                OutputPart::Placeholder(n) => out.push_str(match n.as_str() {
                    "region" => v[0],
                    "hist" => v[1],
                    "process" => v[2],
                    _ => v[3],
                }),
                OutputPart::NonNominal(inner) => {
                    if !nominal {
                        walk(inner, out, v, nominal);
                    }
                }
            }
        }
    }
    let mut out = String::new();
    walk(
        &t.parts,
        &mut out,
        [region, hist, process, var],
        var == "nominal",
    );
    out
}

/// Names everything and computes the derived results.
pub fn assemble(plan: &Plan, jobs: &[Job], results: &[JobResult]) -> Result<Results, String> {
    let mut out = Results {
        hists: Vec::new(),
        counters: Vec::new(),
        collects: Vec::new(),
        skims: Vec::new(),
        cutflows: Vec::new(),
        efficiencies: Vec::new(),
    };
    // Outputs of an `only` block are absent (not empty) for the samples it does not run for:
    // an empty histogram would read as "no event passed".
    let blocks = plan.output_blocks();
    let absent = |block: Option<usize>, job: &Job| {
        block.is_some_and(|k| !plan.onlys[k].holds(&job.process, job.is_data))
    };
    for (job, r) in jobs.iter().zip(results) {
        for (ov, set) in job.outputs.iter().zip(&r.outputs) {
            let name = |region: &str, n: &str| {
                output_name(&plan.output, region, n, &job.process, &ov.name)
            };
            for (h, acc) in set.hists.iter().enumerate() {
                if absent(blocks.hists[h], job) {
                    continue;
                }
                let spec = &plan.hists[h];
                out.hists.push(NamedHist {
                    name: name(&spec.region, &spec.name),
                    spec: h,
                    process: job.process.clone(),
                    variation: ov.name.clone(),
                    sumw: acc.sumw.clone(),
                    sumw2: acc.sumw2.clone(),
                    sumwy: acc.sumwy.clone(),
                    sumwy2: acc.sumwy2.clone(),
                    entries: acc.entries,
                    skipped: acc.skipped,
                    nan: acc.nan,
                    derived: false,
                });
            }
            for (c, acc) in set.counters.iter().enumerate() {
                if absent(blocks.counters[c], job) {
                    continue;
                }
                let spec = &plan.counters[c];
                out.counters.push(NamedCounter {
                    name: name(&spec.region, &spec.name),
                    process: job.process.clone(),
                    variation: ov.name.clone(),
                    value: acc.clone(),
                });
            }
            for (c, acc) in set.collects.iter().enumerate() {
                if absent(blocks.collects[c], job) {
                    continue;
                }
                let spec = &plan.collects[c];
                out.collects.push(NamedCollect {
                    name: name(&spec.region, &spec.name),
                    spec: c,
                    process: job.process.clone(),
                    variation: ov.name.clone(),
                    value: acc.clone(),
                });
            }
            if matches!(ov.kind, super::units::OutKind::Nominal) {
                for (k, acc) in set.skims.iter().enumerate() {
                    if absent(blocks.skims[k], job) {
                        continue;
                    }
                    let spec = &plan.skims[k];
                    out.skims.push(NamedSkim {
                        name: skim_name(&spec.region, &spec.name, &job.process, &ov.name),
                        spec: k,
                        process: job.process.clone(),
                        variation: ov.name.clone(),
                        value: acc.clone(),
                    });
                }
            }
        }
        out.cutflows.push((
            job.process.clone(),
            job.variation.clone(),
            r.cutflow.clone(),
        ));
    }
    for d in &plan.derives {
        if let DExpr::Efficiency { passed, reference } = &d.expr {
            for (job, r) in jobs.iter().zip(results) {
                let (p, pw) = cut_count(plan, &r.cutflow, passed)?;
                let (t, tw) = cut_count(plan, &r.cutflow, reference)?;
                out.efficiencies.push(Efficiency {
                    name: d.name.clone(),
                    process: job.process.clone(),
                    variation: job.variation.clone(),
                    passed: p,
                    total: t,
                    ratio: p as f64 / t as f64,
                    weighted_ratio: pw / tw,
                    interval: clopper_pearson(p, t),
                });
            }
            continue;
        }
        // Profiles are means, not counts: `derive` arithmetic is for histograms only.
        for (h, spec) in plan.hists.iter().enumerate() {
            if spec.profile.is_some() {
                continue;
            }
            // A histogram of an `only` block that some process it refers to does not have:
            // the derived one is absent too.
            if let Some(k) = blocks.hists[h] {
                let mut procs = Vec::new();
                ref_processes(&d.expr, &mut procs);
                let missing = procs.iter().any(|p| {
                    jobs.iter()
                        .filter(|j| j.process == *p)
                        .any(|j| !plan.onlys[k].holds(&j.process, j.is_data))
                });
                if missing {
                    continue;
                }
            }
            let (sumw, sumw2) = match derive(&d.expr, h, spec, &out.hists)? {
                D::Hist(a, b) => (a, b),
                D::Num(_) => return Err(format!("derive `{}` has no histogram", d.name)),
            };
            out.hists.push(NamedHist {
                name: output_name(&plan.output, &spec.region, &spec.name, &d.name, "nominal"),
                spec: h,
                process: d.name.clone(),
                variation: "nominal".into(),
                sumw,
                sumw2,
                sumwy: Vec::new(),
                sumwy2: Vec::new(),
                entries: 0,
                skipped: 0,
                nan: 0,
                derived: true,
            });
        }
    }
    Ok(out)
}

/// The processes a derived expression refers to.
fn ref_processes<'e>(e: &'e DExpr, out: &mut Vec<&'e str>) {
    match e {
        DExpr::Number(_) | DExpr::Efficiency { .. } => {}
        DExpr::Ref { process, .. } => out.push(process),
        DExpr::Neg(x) | DExpr::Normalize(x) => ref_processes(x, out),
        DExpr::Add(a, b) | DExpr::Sub(a, b) | DExpr::Mul(a, b) | DExpr::Div(a, b) => {
            ref_processes(a, out);
            ref_processes(b, out);
        }
    }
}

/// Raw and weighted count after the cut labelled `label`.
fn cut_count(plan: &Plan, cf: &Cutflow, label: &str) -> Result<(u64, f64), String> {
    let all = plan
        .cuts
        .iter()
        .map(|c| (c.region.as_deref(), c.label.as_str()));
    let i = match crate::sema::resolve_cut(all, label) {
        crate::sema::CutRef::Found(i) => i,
        _ => return Err(format!("no single cut labelled {label:?}")),
    };
    let cut = &plan.cuts[i];
    let row = match &cut.region {
        None => {
            let k = plan.cuts[..i].iter().filter(|c| c.region.is_none()).count();
            cf.common[k + 1]
        }
        Some(r) => {
            let ri = plan
                .regions
                .iter()
                .position(|x| &x.name == r)
                .ok_or_else(|| format!("no region {r}"))?;
            let k = plan.cuts[..i]
                .iter()
                .filter(|c| c.region.as_ref() == Some(r))
                .count();
            cf.regions[ri][k]
        }
    };
    Ok(row)
}

enum D {
    Num(f64),
    Hist(Vec<f64>, Vec<f64>),
}

fn derive(e: &DExpr, h: usize, spec: &HistSpec, hists: &[NamedHist]) -> Result<D, String> {
    let bin = |a: D, b: D, f: &dyn Fn(f64, f64, f64, f64) -> (f64, f64)| -> D {
        match (a, b) {
            (D::Num(x), D::Num(y)) => D::Num(f(x, 0.0, y, 0.0).0),
            (D::Hist(c, v), D::Num(y)) => {
                let (c, v) = c.iter().zip(&v).map(|(c, v)| f(*c, *v, y, 0.0)).unzip();
                D::Hist(c, v)
            }
            (D::Num(x), D::Hist(c, v)) => {
                let (c, v) = c.iter().zip(&v).map(|(c, v)| f(x, 0.0, *c, *v)).unzip();
                D::Hist(c, v)
            }
            (D::Hist(c1, v1), D::Hist(c2, v2)) => {
                let (c, v) = (0..c1.len()).map(|i| f(c1[i], v1[i], c2[i], v2[i])).unzip();
                D::Hist(c, v)
            }
        }
    };
    Ok(match e {
        DExpr::Number(x) => D::Num(*x),
        DExpr::Ref { process, variation } => {
            let found = hists.iter().find(|x| {
                !x.derived && x.spec == h && &x.process == process && &x.variation == variation
            });
            match found {
                Some(x) => D::Hist(x.sumw.clone(), x.sumw2.clone()),
                None => return Err(format!("no histogram of {process}:{variation}")),
            }
        }
        DExpr::Neg(x) => match derive(x, h, spec, hists)? {
            D::Num(x) => D::Num(-x),
            D::Hist(c, v) => D::Hist(c.iter().map(|x| -x).collect(), v),
        },
        DExpr::Add(a, b) => bin(
            derive(a, h, spec, hists)?,
            derive(b, h, spec, hists)?,
            &|x, vx, y, vy| (x + y, vx + vy),
        ),
        DExpr::Sub(a, b) => bin(
            derive(a, h, spec, hists)?,
            derive(b, h, spec, hists)?,
            &|x, vx, y, vy| (x - y, vx + vy),
        ),
        DExpr::Mul(a, b) => bin(
            derive(a, h, spec, hists)?,
            derive(b, h, spec, hists)?,
            &|x, vx, y, vy| (x * y, y * y * vx + x * x * vy),
        ),
        DExpr::Div(a, b) => bin(
            derive(a, h, spec, hists)?,
            derive(b, h, spec, hists)?,
            &|x, vx, y, vy| {
                // Only `hist / number` passes sema; the general first-order form covers it.
                let q = x / y;
                (q, (vx + q * q * vy) / (y * y))
            },
        ),
        DExpr::Normalize(x) => match derive(x, h, spec, hists)? {
            D::Num(x) => D::Num(x),
            D::Hist(c, v) => {
                let s: f64 = (0..c.len())
                    .filter(|&i| !is_flow(spec, i))
                    .map(|i| c[i])
                    .sum();
                D::Hist(
                    c.iter().map(|x| x / s).collect(),
                    v.iter().map(|x| x / (s * s)).collect(),
                )
            }
        },
        DExpr::Efficiency { .. } => return Err("efficiency inside histogram arithmetic".into()),
    })
}

/// Whether cell `i` of an axis extent is a flow bin.
pub fn is_flow(spec: &HistSpec, flat: usize) -> bool {
    use super::accum::extent;
    let ext: Vec<usize> = spec.axes.iter().map(|a| extent(&a.kind)).collect();
    let idx: Vec<usize> = match ext.as_slice() {
        [_] => vec![flat],
        [_, ey] => vec![flat / ey, flat % ey],
        _ => vec![],
    };
    idx.iter().zip(&spec.axes).zip(&ext).any(|((&i, a), &e)| {
        let category = matches!(
            a.kind,
            crate::ir::AxisKind::IntCategory(_) | crate::ir::AxisKind::StrCategory(_)
        );
        i == e - 1 || (!category && i == 0)
    })
}

/// The Clopper–Pearson central interval (68.27 %) for `k` successes in `n` trials.
pub fn clopper_pearson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let alpha = 1.0 - 0.682_689_492_137_085_9;
    let (k, n) = (k as f64, n as f64);
    let lo = if k == 0.0 {
        0.0
    } else {
        beta_quantile(alpha / 2.0, k, n - k + 1.0)
    };
    let hi = if k == n {
        1.0
    } else {
        beta_quantile(1.0 - alpha / 2.0, k + 1.0, n - k)
    };
    (lo, hi)
}

/// The p-quantile of Beta(a, b), by bisection on the regularized incomplete beta function.
fn beta_quantile(p: f64, a: f64, b: f64) -> f64 {
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if incomplete_beta(a, b, mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-15 {
            break;
        }
    }
    0.5 * (lo + hi)
}

/// I_x(a, b), the regularized incomplete beta function, by its continued fraction (evaluated
/// with the modified Lentz method) on the side where it converges fast.
pub fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front =
        libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..1000 {
        let m = m as f64;
        // Even step.
        let num = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / guard(1.0 + num * d);
        c = guard(1.0 + num / c);
        h *= d * c;
        // Odd step.
        let num = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / guard(1.0 + num * d);
        c = guard(1.0 + num / c);
        let delta = d * c;
        h *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_beta_known_values() {
        // I_x(1, 1) = x; I_x(2, 1) = x²; I_0.5(a, a) = 0.5.
        assert!((incomplete_beta(1.0, 1.0, 0.3) - 0.3).abs() < 1e-14);
        assert!((incomplete_beta(2.0, 1.0, 0.3) - 0.09).abs() < 1e-14);
        assert!((incomplete_beta(7.0, 7.0, 0.5) - 0.5).abs() < 1e-14);
    }

    #[test]
    fn clopper_pearson_matches_reference_values() {
        // scipy.stats.beta.ppf(alpha/2, 5, 6) and beta.ppf(1 - alpha/2, 6, 5); the interval is
        // symmetric for k = n/2.
        let (lo, hi) = clopper_pearson(5, 10);
        assert!((lo - 0.3048178830085313).abs() < 1e-12, "{lo}");
        assert!((hi - 0.6951821169914687).abs() < 1e-12, "{hi}");
        assert!((lo + hi - 1.0).abs() < 1e-12);
        assert_eq!(clopper_pearson(0, 10).0, 0.0);
        assert_eq!(clopper_pearson(10, 10).1, 1.0);
        // k = 0: the upper limit solves (1 - p)^n = alpha/2.
        let (_, hi) = clopper_pearson(0, 10);
        let alpha = 1.0 - 0.6826894921370859;
        assert!((hi - (1.0 - (alpha / 2.0f64).powf(0.1))).abs() < 1e-12);
    }
}

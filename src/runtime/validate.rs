//! Validation of results against a reference in the AGC's format (`{name: {edges, contents,
//! variances?}}`, flow bins included), as the AGC validates an implementation.
//!
//! Rule: edges must be equal (to 1e-12 relative); contents bin by bin to a relative tolerance;
//! where bins differ, a group of neighbouring differing bins passes when the group's sums agree to
//! the tolerance and every difference is at most k × the largest single-event weight of the
//! histogram's sample (an event that crossed an edge through float rounding). Variances are
//! compared, with the same rule (weights squared), only when the reference has them.

use serde_json::Value;

/// One histogram of either side: edges (x axis) and flat contents with flow bins.
#[derive(Debug, Clone)]
pub struct RefHist {
    pub edges: Vec<f64>,
    pub contents: Vec<f64>,
    pub variances: Option<Vec<f64>>,
}

/// What was found for one histogram.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// Missing on our side.
    Missing,
    /// Different binning.
    Edges(String),
    /// A failing bin or group: (first bin, last bin, ours, reference).
    Bins {
        what: &'static str,
        first: usize,
        last: usize,
        ours: f64,
        reference: f64,
    },
    /// A group that passes only as an edge migration: (first, last, largest difference).
    Migration {
        first: usize,
        last: usize,
        diff: f64,
    },
}

/// Parses the AGC reference form.
pub fn parse_reference(v: &Value) -> Result<Vec<(String, RefHist)>, String> {
    let obj = v
        .as_object()
        .ok_or("the reference must be a JSON object of histograms")?;
    let nums = |x: &Value, what: &str, name: &str| -> Result<Vec<f64>, String> {
        x.as_array()
            .ok_or_else(|| format!("`{name}`: `{what}` is not a list"))?
            .iter()
            .map(|n| {
                n.as_f64()
                    .ok_or_else(|| format!("`{name}`: `{what}` holds a non-number {n}"))
            })
            .collect()
    };
    let mut out = Vec::new();
    for (name, h) in obj {
        let edges = nums(&h["edges"], "edges", name)?;
        let contents = nums(&h["contents"], "contents", name)?;
        let variances = match h.get("variances") {
            Some(x) => Some(nums(x, "variances", name)?),
            None => None,
        };
        if contents.len() != edges.len() + 1 {
            return Err(format!(
                "`{name}`: {} contents for {} edges (flow bins included, {} expected)",
                contents.len(),
                edges.len(),
                edges.len() + 1
            ));
        }
        out.push((
            name.clone(),
            RefHist {
                edges,
                contents,
                variances,
            },
        ));
    }
    Ok(out)
}

/// The 1-D histograms of anac's `histograms.json` in the reference form (2-D and category
/// histograms have no edges list in that form and are left out).
pub fn from_results(v: &Value) -> Vec<(String, RefHist)> {
    let Some(obj) = v.as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, h) in obj {
        // A profile holds means, not counts: it is not compared with a reference histogram.
        if h["storage"]["type"] == "weighted_mean" {
            continue;
        }
        let axes = h["axes"].as_array().map_or(&[][..], |a| a.as_slice());
        let [axis] = axes else { continue };
        let edges: Vec<f64> = match axis["type"].as_str() {
            Some("regular") => {
                let (Some(lo), Some(hi), Some(n)) = (
                    axis["lower"].as_f64(),
                    axis["upper"].as_f64(),
                    axis["bins"].as_u64(),
                ) else {
                    continue;
                };
                (0..=n)
                    .map(|i| lo + (hi - lo) * i as f64 / n as f64)
                    .collect()
            }
            Some("variable") => axis["edges"]
                .as_array()
                .map(|e| e.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default(),
            _ => continue,
        };
        let flat = |x: &Value| -> Vec<f64> {
            x.as_array()
                .map(|a| a.iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect())
                .unwrap_or_default()
        };
        out.push((
            name.clone(),
            RefHist {
                edges,
                contents: flat(&h["storage"]["values"]),
                variances: Some(flat(&h["storage"]["variances"])),
            },
        ));
    }
    out
}

fn close(a: f64, b: f64, rtol: f64) -> bool {
    a == b || (a - b).abs() <= rtol * a.abs().max(b.abs())
}

/// Compares one histogram. `event_weight` is the largest single-event weight of its sample.
pub fn compare(
    ours: &RefHist,
    reference: &RefHist,
    rtol: f64,
    k: f64,
    event_weight: f64,
) -> Vec<Finding> {
    let mut found = Vec::new();
    if ours.edges.len() != reference.edges.len()
        || ours
            .edges
            .iter()
            .zip(&reference.edges)
            .any(|(a, b)| !close(*a, *b, 1e-12))
    {
        found.push(Finding::Edges(format!(
            "{} edges from {:?} to {:?}, reference {} edges from {:?} to {:?}",
            ours.edges.len(),
            ours.edges.first(),
            ours.edges.last(),
            reference.edges.len(),
            reference.edges.first(),
            reference.edges.last()
        )));
        return found;
    }
    let mut pairs = vec![(
        "contents",
        &ours.contents,
        &reference.contents,
        event_weight,
    )];
    if let (Some(a), Some(b)) = (&ours.variances, &reference.variances) {
        pairs.push(("variances", a, b, event_weight * event_weight));
    }
    for (what, a, b, unit) in pairs {
        let n = a.len().min(b.len());
        let mut i = 0;
        while i < n {
            if close(a[i], b[i], rtol) {
                i += 1;
                continue;
            }
            // A run of neighbouring differing bins.
            let first = i;
            while i < n && !close(a[i], b[i], rtol) {
                i += 1;
            }
            let last = i - 1;
            let (sa, sb): (f64, f64) = (a[first..=last].iter().sum(), b[first..=last].iter().sum());
            let diff = (first..=last)
                .map(|j| (a[j] - b[j]).abs())
                .fold(0.0, f64::max);
            if close(sa, sb, rtol.max(1e-12)) && diff <= k * unit * (1.0 + 1e-9) {
                found.push(Finding::Migration { first, last, diff });
            } else {
                found.push(Finding::Bins {
                    what,
                    first,
                    last,
                    ours: sa,
                    reference: sb,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(c: &[f64]) -> RefHist {
        RefHist {
            edges: (0..c.len() - 1).map(|i| i as f64).collect(),
            contents: c.to_vec(),
            variances: None,
        }
    }

    #[test]
    fn equal_histograms_pass_and_an_edge_migration_is_reported_as_one() {
        let a = h(&[0.0, 2.0, 3.0, 0.0]);
        assert!(compare(&a, &a, 1e-6, 1.0, 1.0).is_empty());
        // One event of weight 1 moved from bin 1 to bin 2.
        let b = h(&[0.0, 1.0, 4.0, 0.0]);
        assert_eq!(
            compare(&a, &b, 1e-6, 1.0, 1.0),
            vec![Finding::Migration {
                first: 1,
                last: 2,
                diff: 1.0
            }]
        );
        // Two events moved: beyond k = 1.
        let c = h(&[0.0, 0.0, 5.0, 0.0]);
        assert!(matches!(
            compare(&a, &c, 1e-6, 1.0, 1.0)[0],
            Finding::Bins { .. }
        ));
        // A lost event is not a migration.
        let d = h(&[0.0, 2.0, 2.0, 0.0]);
        assert!(matches!(
            compare(&a, &d, 1e-6, 1.0, 1.0)[0],
            Finding::Bins { .. }
        ));
    }
}

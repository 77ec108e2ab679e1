//! Reproducible random numbers: a counter-based generator.
//!
//! A draw is a pure function of its key: (file identity = xxh64 of the TFile UUID and the tree
//! name; entry number; the element's tree collection and index, for draws in a per-element
//! scope; the call site = defining statement and the call's ordinal in it; the variation name,
//! for draws inside a `vary` replacement). The key's words are mixed with the SplitMix64
//! finaliser into 64 bits; the top 53 give u in (0, 1). Nothing depends on paths, chunking,
//! threads or the order of evaluation.

use crate::ir::RandomSite;

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output function: a bijective 64-bit mixer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The file part of the key: the TFile UUID and the tree name.
pub fn file_key(uuid: &[u8; 16], tree: &str) -> u64 {
    let mut bytes = uuid.to_vec();
    bytes.extend_from_slice(tree.as_bytes());
    xxhash_rust::xxh64::xxh64(&bytes, 0)
}

/// The fixed part of the key of a call site.
pub fn site_key(site: &RandomSite) -> u64 {
    let text = format!(
        "{}\u{0}{}\u{0}{}\u{0}{}",
        site.statement,
        site.ordinal,
        site.variation.as_deref().unwrap_or(""),
        site.element.as_deref().unwrap_or("")
    );
    xxhash_rust::xxh64::xxh64(text.as_bytes(), 0)
}

/// u in (0, 1) for one draw.
/// Per node of `plan`: the site key of random nodes (else 0).
pub fn site_keys(plan: &crate::ir::Plan) -> Vec<u64> {
    plan.nodes
        .iter()
        .map(|n| match &n.kind {
            crate::ir::NodeKind::Random { site, .. } => site_key(site),
            _ => 0,
        })
        .collect()
}

pub fn uniform01(file: u64, entry: u64, element: Option<u32>, site: u64) -> f64 {
    let mut h = mix(file ^ GOLDEN);
    h = mix(h ^ entry.wrapping_add(GOLDEN));
    h = mix(h ^ element.map_or(u64::MAX, u64::from));
    h = mix(h ^ site);
    ((h >> 11) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_depend_on_every_part_of_the_key() {
        let f = file_key(&[7; 16], "Events");
        let base = uniform01(f, 10, Some(2), 99);
        assert_eq!(base, uniform01(f, 10, Some(2), 99));
        assert_ne!(base, uniform01(f, 11, Some(2), 99));
        assert_ne!(base, uniform01(f, 10, Some(3), 99));
        assert_ne!(base, uniform01(f, 10, None, 99));
        assert_ne!(base, uniform01(f, 10, Some(2), 98));
        assert_ne!(
            base,
            uniform01(file_key(&[7; 16], "Other"), 10, Some(2), 99)
        );
        assert!(base > 0.0 && base < 1.0);
    }

    #[test]
    fn uniform_draws_look_uniform() {
        let f = file_key(&[1; 16], "t");
        let n = 100_000;
        let mean: f64 = (0..n).map(|i| uniform01(f, i, None, 5)).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.005, "mean {mean}");
        let below = (0..n).filter(|&i| uniform01(f, i, None, 5) < 0.1).count();
        assert!((below as f64 / n as f64 - 0.1).abs() < 0.005);
    }
}

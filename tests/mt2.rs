//! MT2 (`mt2(a, b, met, ...)`, `src/ir/mt2.rs`) against PyPI `mt2` 1.3.1 on 1,200 configurations
//! of six kinds (massless or massive visible systems and invisible particles), from the committed
//! golden file `tests/golden/mt2/mt2_golden.json` and the script that made it. Where that
//! implementation is imprecise (everything massless, MT2 small next to the momenta) the golden
//! file carries a brute-force minimisation instead.

use serde_json::Value;

#[test]
fn mt2_equals_the_lester_nachman_implementation() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/mt2/mt2_golden.json"
    );
    let golden: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("golden file"))
        .expect("golden JSON");
    let cases = golden["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 1200);
    let (mut pypi, mut brute) = (0, 0);
    let mut worst: f64 = 0.0;
    for c in cases {
        let a: Vec<f64> = c["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|v| v.as_f64().expect("a number"))
            .collect();
        let ours = anac::ir::mt2::mt2(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);
        let scale = a[0].hypot(a[1].hypot(a[2]))
            + a[3].hypot(a[4].hypot(a[5]))
            + a[6].hypot(a[7])
            + a[8]
            + a[9];
        match c.get("brute").and_then(Value::as_f64) {
            // Nelder–Mead's own precision: 1e-6 of the momentum scale.
            Some(b) => {
                assert!(
                    (ours - b).abs() <= 1e-6 * scale,
                    "{a:?}: ours {ours}, brute force {b}"
                );
                brute += 1;
            }
            None => {
                let r = c["pypi"].as_f64().expect("pypi");
                let rel = (ours - r).abs() / r.abs();
                assert!(rel <= 1e-6, "{a:?}: ours {ours}, mt2 {r} ({rel:e})");
                worst = worst.max(rel);
                pypi += 1;
            }
        }
    }
    assert!(
        pypi > 1000 && brute > 20,
        "{pypi} vs mt2, {brute} vs brute force"
    );
    eprintln!("{pypi} cases equal mt2 to {worst:.1e} relative; {brute} equal the brute force");
}

#[test]
fn mt2_edge_cases() {
    use anac::ir::mt2::mt2;
    // Nothing missing, massless: 0; the lower bound max(ma + χa, mb + χb) when unbalanced.
    assert_eq!(
        mt2(0.0, 10.0, 0.0, 0.0, -10.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        0.0
    );
    let v = mt2(5.0, 10.0, 0.0, 5.0, -10.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    assert!((v - 5.0).abs() < 1e-9, "{v}");
    let v = mt2(5.0, 10.0, 0.0, 5.0, -10.0, 0.0, 0.0, 0.0, 50.0, 50.0);
    assert!(v >= 55.0 && v - 55.0 < 1e-9, "{v}");
    // Symmetric under exchanging the two sides.
    let x = mt2(3.0, 40.0, 10.0, 7.0, -20.0, 30.0, 15.0, -60.0, 0.0, 0.0);
    let y = mt2(7.0, -20.0, 30.0, 3.0, 40.0, 10.0, 15.0, -60.0, 0.0, 0.0);
    assert!((x - y).abs() <= 1e-12 * x, "{x} vs {y}");
    assert!(mt2(f64::NAN, 1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0).is_nan());
    assert!(mt2(0.0, 1.0, 0.0, 0.0, 1.0, 0.0, f64::INFINITY, 0.0, 0.0, 0.0).is_nan());
}

//! The numeric semantics of the language, in one place: what `+`, `%`, `abs`, a comparison or a
//! four-vector member compute. Constant folding (`passes::fold`), the interpreter and the JIT's
//! call-outs all use these functions, so a folded constant equals the value computed at run time.
//!
//! Decisions (documented in docs/language.md, "Numerics"):
//! - floats are f64 (float32 branches are widened exactly); integers are i64 (unsigned 64-bit
//!   branches are reinterpreted, which only matters above 2^63);
//! - integer `+ - *` wrap on overflow (two's complement), `/` is always a float division,
//!   `%` by zero is absent (for integers and floats), `%` keeps the sign of the dividend;
//! - shifts by a negative amount or by 64 or more are absent;
//! - `min`/`max` of numbers propagate NaN.

use crate::syntax::ast::BinOp;

/// A number: the language's `int` or `float`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Num {
    I(i64),
    F(f64),
}

impl Num {
    pub fn f(self) -> f64 {
        match self {
            Num::I(i) => i as f64,
            Num::F(x) => x,
        }
    }
}

/// An arithmetic or bit operation; `None` when the result is absent (`%` by zero, bad shift).
/// `int_result` is the node's type: integer operations only when both operands are integers.
pub fn arith(op: BinOp, a: Num, b: Num) -> Option<Num> {
    use BinOp::*;
    if let (Num::I(x), Num::I(y)) = (a, b) {
        return match op {
            Add => Some(Num::I(x.wrapping_add(y))),
            Sub => Some(Num::I(x.wrapping_sub(y))),
            Mul => Some(Num::I(x.wrapping_mul(y))),
            Div => Some(Num::F(x as f64 / y as f64)),
            Rem => (y != 0).then(|| Num::I(x.wrapping_rem(y))),
            BitAnd => Some(Num::I(x & y)),
            BitOr => Some(Num::I(x | y)),
            BitXor => Some(Num::I(x ^ y)),
            Shl => (0..64).contains(&y).then(|| Num::I(x << y)),
            Shr => (0..64).contains(&y).then(|| Num::I(x >> y)),
            _ => None,
        };
    }
    let (x, y) = (a.f(), b.f());
    Some(Num::F(match op {
        Add => x + y,
        Sub => x - y,
        Mul => x * y,
        Div => x / y,
        Rem if y == 0.0 => return None,
        Rem => x % y,
        _ => return None,
    }))
}

/// A numeric comparison (integers compare exactly; mixed operands as f64). NaN compares false
/// except with `!=`.
pub fn compare(op: BinOp, a: Num, b: Num) -> bool {
    use BinOp::*;
    if let (Num::I(x), Num::I(y)) = (a, b) {
        return match op {
            Eq => x == y,
            Ne => x != y,
            Lt => x < y,
            Le => x <= y,
            Gt => x > y,
            Ge => x >= y,
            _ => false,
        };
    }
    let (x, y) = (a.f(), b.f());
    match op {
        Eq => x == y,
        Ne => x != y,
        Lt => x < y,
        Le => x <= y,
        Gt => x > y,
        Ge => x >= y,
        _ => false,
    }
}

/// One-argument math functions. `abs` of an integer stays an integer (wrapping at i64::MIN).
pub fn math1(m: super::Math1, x: Num) -> Num {
    use super::Math1::*;
    if let (Abs, Num::I(i)) = (m, x) {
        return Num::I(i.wrapping_abs());
    }
    let x = x.f();
    Num::F(match m {
        Abs => x.abs(),
        Sqrt => x.sqrt(),
        Exp => x.exp(),
        Log => x.ln(),
        Log10 => x.log10(),
        Sin => x.sin(),
        Cos => x.cos(),
        Tan => x.tan(),
        Asin => x.asin(),
        Acos => x.acos(),
        Atan => x.atan(),
        Sinh => x.sinh(),
        Cosh => x.cosh(),
        Tanh => x.tanh(),
        Floor => x.floor(),
        Ceil => x.ceil(),
        Round => x.round(),
        NormalQuantile => normal_quantile(x),
    })
}

/// `min`/`max` of two numbers; integers stay integers, NaN propagates.
pub fn min_max(max: bool, a: Num, b: Num) -> Num {
    if let (Num::I(x), Num::I(y)) = (a, b) {
        return Num::I(if max { x.max(y) } else { x.min(y) });
    }
    let (x, y) = (a.f(), b.f());
    if x.is_nan() || y.is_nan() {
        return Num::F(f64::NAN);
    }
    Num::F(if (max && y > x) || (!max && y < x) {
        y
    } else {
        x
    })
}

/// `int(x)`: truncation toward zero; `None` when `x` is not finite or outside the i64 range.
pub fn to_int(x: Num) -> Option<i64> {
    match x {
        Num::I(i) => Some(i),
        Num::F(f) => {
            let t = f.trunc();
            // 2^63 is exact in f64: the range is [-2^63, 2^63).
            let lim = 9_223_372_036_854_775_808.0_f64;
            (-lim..lim).contains(&t).then_some(t as i64)
        }
    }
}

/// Φ⁻¹(p): the standard normal quantile. 0 → −∞, 1 → +∞, outside [0, 1] or NaN → NaN.
/// A rational approximation (Acklam) is refined by Halley steps on Φ computed from `erfc`, which
/// converges to within an ulp or two of the exact quantile.
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() || !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p > 0.5 {
        // Upper half by symmetry, computed from the exactly representable 1 - p when p > 0.5.
        return -normal_quantile(1.0 - p);
    }
    // Starting point: P. J. Acklam's rational approximation (relative error below 1.2e-9), so
    // that one or two Halley steps reach full precision.
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239e0,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838e0,
        -2.549732539343734e0,
        4.374664141464968e0,
        2.938163982698783e0,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996e0,
        3.754408661907416e0,
    ];
    let mut x = if p < 0.02425 {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    };
    for _ in 0..8 {
        let cdf = 0.5 * libm::erfc(-x / std::f64::consts::SQRT_2);
        let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
        if pdf == 0.0 {
            break;
        }
        let u = (cdf - p) / pdf;
        // Halley's step for Φ(x) = p: Φ'' = -x φ.
        let step = u / (1.0 + 0.5 * x * u);
        x -= step;
        if step.abs() <= 1e-16 * x.abs().max(1e-300) {
            break;
        }
    }
    x
}

/// A four-vector in Cartesian components (px, py, pz, E), f64.
pub type P4 = [f64; 4];

/// From (pt, eta, phi, m): px = pt cos φ, py = pt sin φ, pz = pt sinh η, E = sqrt(p² + m²) with
/// p = pt cosh η.
pub fn p4_from_polar(pt: f64, eta: f64, phi: f64, m: f64) -> P4 {
    let p = pt * eta.cosh();
    [
        pt * phi.cos(),
        pt * phi.sin(),
        pt * eta.sinh(),
        (p * p + m * m).sqrt(),
    ]
}

pub fn p4_add(a: P4, b: P4) -> P4 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
}

pub fn p4_sub(a: P4, b: P4) -> P4 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]]
}

/// A member of a four-vector: pt = sqrt(px² + py²), η = asinh(pz / pt) (0 or ±∞ when pt = 0),
/// φ = atan2(py, px), mass = sqrt(E² − p²), negative (−sqrt(p² − E²)) for space-like vectors.
pub fn p4_member(m: super::P4Member, v: P4) -> f64 {
    use super::P4Member::*;
    let [px, py, pz, e] = v;
    match m {
        Px => px,
        Py => py,
        Pz => pz,
        E => e,
        Pt => (px * px + py * py).sqrt(),
        Phi => py.atan2(px),
        Eta => {
            let pt = (px * px + py * py).sqrt();
            if pt == 0.0 {
                if pz == 0.0 {
                    0.0
                } else {
                    f64::INFINITY.copysign(pz)
                }
            } else {
                (pz / pt).asinh()
            }
        }
        Mass => {
            let m2 = e * e - (px * px + py * py + pz * pz);
            if m2 >= 0.0 { m2.sqrt() } else { -(-m2).sqrt() }
        }
    }
}

/// φ(a) − φ(b) wrapped into (−π, π].
pub fn delta_phi(a: P4, b: P4) -> f64 {
    use std::f64::consts::PI;
    let d = p4_member(super::P4Member::Phi, a) - p4_member(super::P4Member::Phi, b);
    if d > PI {
        d - 2.0 * PI
    } else if d <= -PI {
        d + 2.0 * PI
    } else {
        d
    }
}

/// sqrt(Δη² + Δφ²).
pub fn delta_r(a: P4, b: P4) -> f64 {
    let deta = p4_member(super::P4Member::Eta, a) - p4_member(super::P4Member::Eta, b);
    let dphi = delta_phi(a, b);
    (deta * deta + dphi * dphi).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantile_matches_known_values() {
        // Φ⁻¹ values from the literature (e.g. 0.975 → 1.959963984540054).
        let cases = [
            (0.5, 0.0),
            (0.975, 1.959963984540054),
            (0.025, -1.959963984540054),
            (0.8413447460685429, 1.0),
            (1e-10, -6.361340902404056),
            (0.0005, -3.290526731491926),
        ];
        for (p, want) in cases {
            let got = normal_quantile(p);
            assert!(
                (got - want).abs() <= 1e-13 * want.abs().max(1.0),
                "Φ⁻¹({p}) = {got}, want {want}"
            );
        }
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        assert!(normal_quantile(1.5).is_nan());
    }

    #[test]
    fn integer_remainder_and_shifts() {
        assert_eq!(arith(BinOp::Rem, Num::I(-7), Num::I(3)), Some(Num::I(-1)));
        assert_eq!(arith(BinOp::Rem, Num::I(7), Num::I(0)), None);
        assert_eq!(arith(BinOp::Rem, Num::F(7.0), Num::F(0.0)), None);
        assert_eq!(arith(BinOp::Shl, Num::I(1), Num::I(64)), None);
        assert_eq!(
            arith(BinOp::Add, Num::I(i64::MAX), Num::I(1)),
            Some(Num::I(i64::MIN))
        );
        assert_eq!(arith(BinOp::Div, Num::I(1), Num::I(2)), Some(Num::F(0.5)));
    }

    #[test]
    fn four_vector_members() {
        let v = p4_from_polar(50.0, 0.5, 1.0, 10.0);
        assert!((p4_member(super::super::P4Member::Pt, v) - 50.0).abs() < 1e-12);
        assert!((p4_member(super::super::P4Member::Eta, v) - 0.5).abs() < 1e-12);
        assert!((p4_member(super::super::P4Member::Mass, v) - 10.0).abs() < 1e-9);
        let space_like = [3.0, 0.0, 0.0, 1.0];
        assert!((p4_member(super::super::P4Member::Mass, space_like) + 8f64.sqrt()).abs() < 1e-12);
    }
}

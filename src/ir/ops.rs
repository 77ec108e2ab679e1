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
/// M. J. Wichura's rational approximations (Algorithm AS 241, PPND16, Applied Statistics 37,
/// 1988), relative error about 1e-16: one polynomial ratio in the centre, one of sqrt(−ln r) in
/// each of two tail ranges. Polynomials are evaluated in Horner form, highest power first.
// The coefficients are written as published (more digits than an f64 holds).
#[allow(clippy::excessive_precision)]
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
    fn horner(c: &[f64; 8], x: f64) -> f64 {
        c.iter().rev().fold(0.0, |acc, &k| acc * x + k)
    }
    // Coefficients from the lowest power up.
    const A: [f64; 8] = [
        3.387_132_872_796_366_608,
        1.331_416_678_917_843_774_5e2,
        1.971_590_950_306_551_442_7e3,
        1.373_169_376_550_946_112_5e4,
        4.592_195_393_154_987_145_7e4,
        6.726_577_092_700_870_085_3e4,
        3.343_057_558_358_812_810_5e4,
        2.509_080_928_730_122_672_7e3,
    ];
    const B: [f64; 8] = [
        1.0,
        4.231_333_070_160_091_125_2e1,
        6.871_870_074_920_579_083e2,
        5.394_196_021_424_751_107_7e3,
        2.121_379_430_158_659_586_7e4,
        3.930_789_580_009_271_061e4,
        2.872_908_573_572_194_267_4e4,
        5.226_495_278_852_854_561e3,
    ];
    const C: [f64; 8] = [
        1.423_437_110_749_683_577_34,
        4.630_337_846_156_545_295_9,
        5.769_497_221_460_691_405_5,
        3.647_848_324_763_204_605_04,
        1.270_458_252_452_368_382_58,
        2.417_807_251_774_506_117_7e-1,
        2.272_384_498_926_918_458_33e-2,
        7.745_450_142_783_414_076_4e-4,
    ];
    const D: [f64; 8] = [
        1.0,
        2.053_191_626_637_758_821_87,
        1.676_384_830_183_803_849_4,
        6.897_673_349_851_000_045_5e-1,
        1.481_039_764_274_800_745_9e-1,
        1.519_866_656_361_645_719_66e-2,
        5.475_938_084_995_344_946e-4,
        1.050_750_071_644_416_843_24e-9,
    ];
    const E: [f64; 8] = [
        6.657_904_643_501_103_777_2,
        5.463_784_911_164_114_369_9,
        1.784_826_539_917_291_335_8,
        2.965_605_718_285_048_912_3e-1,
        2.653_218_952_657_612_309_3e-2,
        1.242_660_947_388_078_438_6e-3,
        2.711_555_568_743_487_578_15e-5,
        2.010_334_399_292_288_132_65e-7,
    ];
    const F: [f64; 8] = [
        1.0,
        5.998_322_065_558_879_376_9e-1,
        1.369_298_809_227_358_053_1e-1,
        1.487_536_129_085_061_485_25e-2,
        7.868_691_311_456_132_591e-4,
        1.846_318_317_510_054_681_8e-5,
        1.421_511_758_316_445_888_7e-7,
        2.044_263_103_389_939_785_64e-15,
    ];
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * horner(&A, r) / horner(&B, r);
    }
    // The tail: r = min(p, 1 − p), exact for p > 0.5.
    let r = if q < 0.0 { p } else { 1.0 - p };
    let r = (-r.ln()).sqrt();
    let x = if r <= 5.0 {
        let r = r - 1.6;
        horner(&C, r) / horner(&D, r)
    } else {
        let r = r - 5.0;
        horner(&E, r) / horner(&F, r)
    };
    if q < 0.0 { -x } else { x }
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

/// A four-vector times a number (`div`: divided by it), component by component.
pub fn p4_scale(a: P4, k: f64, div: bool) -> P4 {
    if div {
        [a[0] / k, a[1] / k, a[2] / k, a[3] / k]
    } else {
        [a[0] * k, a[1] * k, a[2] * k, a[3] * k]
    }
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

/// η_a − η_b.
pub fn delta_eta(a: P4, b: P4) -> f64 {
    p4_member(super::P4Member::Eta, a) - p4_member(super::P4Member::Eta, b)
}

/// The transverse mass of two massless transverse momenta: √(2 pT_a pT_b (1 − cos Δφ)).
pub fn mt(a: P4, b: P4) -> f64 {
    let (pa, pb) = (
        p4_member(super::P4Member::Pt, a),
        p4_member(super::P4Member::Pt, b),
    );
    (2.0 * pa * pb * (1.0 - delta_phi(a, b).cos())).sqrt()
}

/// MT2 of visible four-vectors `a`, `b` (their masses and transverse momenta), the missing
/// transverse momentum of `met` and invisible masses `chia`, `chib` (see `ir::mt2`).
pub fn mt2(a: P4, b: P4, met: P4, chia: f64, chib: f64) -> f64 {
    let ma = p4_member(super::P4Member::Mass, a);
    let mb = p4_member(super::P4Member::Mass, b);
    super::mt2::mt2(ma, a[0], a[1], mb, b[0], b[1], met[0], met[1], chia, chib)
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

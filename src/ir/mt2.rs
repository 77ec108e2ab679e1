//! MT2, the stransverse mass (Lester & Summers 1999; the definition the Lester–Nachman
//! bisection computes): for two visible systems `a`, `b` (mass and transverse momentum), the
//! missing transverse momentum `p` and the invisible masses `χa`, `χb`,
//!
//!   MT2² = min over qa + qb = p of max(mT²(a, qa; χa), mT²(b, qb; χb)),
//!   mT²(a, q; χ) = ma² + χ² + 2 (Ea Eq − a·q),  Ea = √(ma² + |a|²),  Eq = √(χ² + |q|²).
//!
//! How: each mT² is convex in the invisible momentum, so by the minimax theorem
//! MT2² = max over t ∈ [0, 1] of h(t), h(t) = min over q of t·mT²(a, q) + (1 − t)·mT²(b, p − q),
//! and h is concave. The outer maximum is found by golden-section search on t; each inner
//! minimum by Newton's method with backtracking, after checking the two points where a massless
//! invisible particle's mT² has a kink (its momentum zero), where Newton cannot converge. Both
//! searches stop on floating-point resolution, so the result is as precise as the arithmetic.
//!
//! Invariants: the result is ≥ max(ma + χa, mb + χb) (MT2's lower bound, returned exactly in
//! the unbalanced case); non-finite inputs give NaN; negative masses count as their absolute
//! value (a four-vector with E² < p² has a "negative mass" by convention).

/// One side: visible mass, transverse momentum and its transverse energy, invisible mass.
#[derive(Clone, Copy)]
struct Side {
    m2: f64,
    px: f64,
    py: f64,
    e: f64,
    chi: f64,
}

impl Side {
    fn new(m: f64, px: f64, py: f64, chi: f64) -> Side {
        let m2 = m * m;
        Side {
            m2,
            px,
            py,
            e: (m2 + px * px + py * py).sqrt(),
            chi: chi.abs(),
        }
    }

    /// mT² with invisible momentum (qx, qy).
    fn mt2(&self, qx: f64, qy: f64) -> f64 {
        let eq = (self.chi * self.chi + qx * qx + qy * qy).sqrt();
        self.m2 + self.chi * self.chi + 2.0 * (self.e * eq - self.px * qx - self.py * qy)
    }

    /// Gradient and Hessian (xx, xy, yy) of mT² at (qx, qy); None at a massless kink.
    fn derivs(&self, qx: f64, qy: f64) -> Option<([f64; 2], [f64; 3])> {
        let eq2 = self.chi * self.chi + qx * qx + qy * qy;
        if eq2 <= 0.0 {
            return None;
        }
        let eq = eq2.sqrt();
        let k = 2.0 * self.e / eq;
        let g = [k * qx - 2.0 * self.px, k * qy - 2.0 * self.py];
        let k3 = k / eq2;
        let h = [k - k3 * qx * qx, -k3 * qx * qy, k - k3 * qy * qy];
        Some((g, h))
    }
}

/// MT2 of visible systems `(ma, ax, ay)` and `(mb, bx, by)`, missing momentum `(px, py)` and
/// invisible masses `chia`, `chib`.
#[allow(clippy::too_many_arguments)]
pub fn mt2(
    ma: f64,
    ax: f64,
    ay: f64,
    mb: f64,
    bx: f64,
    by: f64,
    px: f64,
    py: f64,
    chia: f64,
    chib: f64,
) -> f64 {
    let all = [ma, ax, ay, mb, bx, by, px, py, chia, chib];
    if all.iter().any(|x| !x.is_finite()) {
        return f64::NAN;
    }
    let a = Side::new(ma.abs(), ax, ay, chia);
    let b = Side::new(mb.abs(), bx, by, chib);
    // Everything massless and p in the cone of a and b (p = λa + μb, λ, μ ≥ 0): each invisible
    // particle can move along its visible partner, and MT2 is exactly 0.
    if a.m2 == 0.0 && b.m2 == 0.0 && a.chi == 0.0 && b.chi == 0.0 {
        let det = ax * by - ay * bx;
        let in_cone = if det != 0.0 {
            let lambda = (px * by - py * bx) / det;
            let mu = (ax * py - ay * px) / det;
            lambda >= 0.0 && mu >= 0.0
        } else {
            // a ∥ b: p must lie along one of them.
            let along = |x: f64, y: f64| x * py - y * px == 0.0 && x * px + y * py >= 0.0;
            along(ax, ay) || along(bx, by)
        };
        if in_cone {
            return 0.0;
        }
    }
    let mut q = [0.5 * px, 0.5 * py];
    let h = |t: f64, q: &mut [f64; 2]| inner(&a, &b, px, py, t, q);
    // Golden-section search for the maximum of the concave h on [0, 1].
    let r = 0.5 * (5f64.sqrt() - 1.0);
    let (mut lo, mut hi) = (0.0f64, 1.0f64);
    let mut x1 = hi - r * (hi - lo);
    let mut x2 = lo + r * (hi - lo);
    let mut f1 = h(x1, &mut q);
    let mut f2 = h(x2, &mut q);
    let mut best = f1.max(f2).max(h(0.0, &mut q)).max(h(1.0, &mut q));
    for _ in 0..200 {
        // h is smooth at its maximum, so an error δ in t costs ~δ² in h: 1e-10 is plenty.
        if hi - lo <= 1e-10 {
            break;
        }
        if f1 < f2 {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + r * (hi - lo);
            f2 = h(x2, &mut q);
        } else {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - r * (hi - lo);
            f1 = h(x1, &mut q);
        }
        best = best.max(f1).max(f2);
    }
    // The lower bound holds exactly; rounding in h must not take the result below it.
    let floor = (a.m2.sqrt() + a.chi).max(b.m2.sqrt() + b.chi);
    best.max(0.0).sqrt().max(floor)
}

/// min over q of t·mT²(a, q) + (1 − t)·mT²(b, p − q); `q` is the start and gets the minimiser.
fn inner(a: &Side, b: &Side, px: f64, py: f64, t: f64, q: &mut [f64; 2]) -> f64 {
    let s = 1.0 - t;
    let f = |qx: f64, qy: f64| t * a.mt2(qx, qy) + s * b.mt2(px - qx, py - qy);
    // Kinks of massless invisible particles: q = 0 (a) and q = p (b). One is the minimiser when
    // zero lies in the subdifferential there.
    if a.chi == 0.0 && t > 0.0 {
        // At q = 0: t·2(Ea u − a) − s·∇b(p) = 0 with |u| ≤ 1.
        if let Some((gb, _)) = b.derivs(px, py) {
            let ux = (s * gb[0] / (2.0 * t) + a.px) / a.e;
            let uy = (s * gb[1] / (2.0 * t) + a.py) / a.e;
            if ux * ux + uy * uy <= 1.0 {
                *q = [0.0, 0.0];
                return f(0.0, 0.0);
            }
        }
    }
    if b.chi == 0.0 && s > 0.0 {
        // At q = p (b's momentum zero): t·∇a(p) − s·2(Eb u − b) = 0 with |u| ≤ 1.
        if let Some((ga, _)) = a.derivs(px, py) {
            let ux = (b.px + t * ga[0] / (2.0 * s)) / b.e;
            let uy = (b.py + t * ga[1] / (2.0 * s)) / b.e;
            if ux * ux + uy * uy <= 1.0 {
                *q = [px, py];
                return f(px, py);
            }
        }
    }
    if a.chi == 0.0 && b.chi == 0.0 && t > 0.0 && s > 0.0 {
        return massless_inner(a, b, px, py, t, q, &f);
    }
    // Newton's method from a generic point; where it stalls at a kink that is not the minimiser
    // (Newton steps near a massless cone's tip are as small as the distance to it), step off
    // the kink along the steepest descent direction (the least subgradient), and go on.
    // A cold start each time: the previous t's minimiser may have run off towards infinity (a
    // massless visible system's mT² is smallest far along its direction).
    *q = [0.5 * px, 0.5 * py];
    let scale = a.e + b.e + px.abs() + py.abs() + a.chi + b.chi;
    let near = 1e-6 * scale;
    let mut cur = newton(a, b, px, py, t, q, &f);
    for _ in 0..8 {
        let kink = if a.chi == 0.0 && t > 0.0 && q[0].hypot(q[1]) < near {
            // At q = 0 the subdifferential is the disk at −2t·a − s·∇b(p) of radius 2t·Ea.
            b.derivs(px, py).map(|(gb, _)| {
                (
                    [0.0, 0.0],
                    [-2.0 * t * a.px - s * gb[0], -2.0 * t * a.py - s * gb[1]],
                    2.0 * t * a.e,
                )
            })
        } else if b.chi == 0.0 && s > 0.0 && (px - q[0]).hypot(py - q[1]) < near {
            // At q = p: the disk at t·∇a(p) + 2s·b of radius 2s·Eb.
            a.derivs(px, py).map(|(ga, _)| {
                (
                    [px, py],
                    [t * ga[0] + 2.0 * s * b.px, t * ga[1] + 2.0 * s * b.py],
                    2.0 * s * b.e,
                )
            })
        } else {
            None
        };
        let Some((at, c, radius)) = kink else { break };
        let at_value = f(at[0], at[1]);
        let cn = c[0].hypot(c[1]);
        if cn <= radius {
            *q = at;
            return at_value;
        }
        let d = [-c[0] / cn, -c[1] / cn];
        let (alpha, v) = line_min(|x| f(at[0] + x * d[0], at[1] + x * d[1]), at_value, scale);
        if v >= cur {
            break;
        }
        *q = [at[0] + alpha * d[0], at[1] + alpha * d[1]];
        cur = newton(a, b, px, py, t, q, &f).min(v);
    }
    cur
}

/// The inner minimum when both invisible particles are massless, in closed form. With
/// r = p − q, a stationary point has t·Ea·q̂ − s·Eb·r̂ = t·a − s·b =: w: the point t·Ea·q̂ lies on
/// the circle of radius t·Ea about 0 and on the circle of radius s·Eb about w (two solutions at
/// most), and then p = |q|·q̂ + |r|·r̂ gives the lengths, valid when both are positive. The
/// objective is convex, so the smallest of these and the two kinks (q = 0, q = p) is the minimum.
fn massless_inner(
    a: &Side,
    b: &Side,
    px: f64,
    py: f64,
    t: f64,
    q: &mut [f64; 2],
    f: &dyn Fn(f64, f64) -> f64,
) -> f64 {
    let s = 1.0 - t;
    let mut best = f(0.0, 0.0);
    *q = [0.0, 0.0];
    let at_p = f(px, py);
    if at_p < best {
        best = at_p;
        *q = [px, py];
    }
    let (wx, wy) = (t * a.px - s * b.px, t * a.py - s * b.py);
    let (r1, r2) = (t * a.e, s * b.e);
    let d2 = wx * wx + wy * wy;
    let d = d2.sqrt();
    if d == 0.0 || d > r1 + r2 || d < (r1 - r2).abs() {
        return best;
    }
    // Circle-circle intersection: along w at distance x from 0, ± h across.
    let x = (d2 + r1 * r1 - r2 * r2) / (2.0 * d);
    let h = (r1 * r1 - x * x).max(0.0).sqrt();
    let (ex, ey) = (wx / d, wy / d);
    for sign in [1.0, -1.0] {
        let (cx, cy) = (x * ex - sign * h * ey, x * ey + sign * h * ex);
        let (u1x, u1y) = (cx / r1, cy / r1);
        let (u2x, u2y) = ((cx - wx) / r2, (cy - wy) / r2);
        // p = ρ1·u1 + ρ2·u2.
        let det = u1x * u2y - u1y * u2x;
        if det == 0.0 || !det.is_finite() {
            continue;
        }
        let rho1 = (px * u2y - py * u2x) / det;
        let rho2 = (u1x * py - u1y * px) / det;
        if rho1 > 0.0 && rho2 > 0.0 {
            let (qx, qy) = (rho1 * u1x, rho1 * u1y);
            let v = f(qx, qy);
            if v < best {
                best = v;
                *q = [qx, qy];
            }
        }
    }
    best
}

/// Damped Newton for the smooth part of the inner problem; returns the value at `q`.
fn newton(
    a: &Side,
    b: &Side,
    px: f64,
    py: f64,
    t: f64,
    q: &mut [f64; 2],
    f: &dyn Fn(f64, f64) -> f64,
) -> f64 {
    let s = 1.0 - t;
    let scale = a.e + b.e + px.abs() + py.abs() + a.chi + b.chi;
    let mut cur = f(q[0], q[1]);
    for _ in 0..200 {
        let (Some((ga, ha)), Some((gb, hb))) =
            (a.derivs(q[0], q[1]), b.derivs(px - q[0], py - q[1]))
        else {
            break;
        };
        // ∇_q of the objective: t ∇a(q) − s ∇b(p − q); the Hessian adds both.
        let g = [t * ga[0] - s * gb[0], t * ga[1] - s * gb[1]];
        let hxx = t * ha[0] + s * hb[0];
        let hxy = t * ha[1] + s * hb[1];
        let hyy = t * ha[2] + s * hb[2];
        let det = hxx * hyy - hxy * hxy;
        // Newton step; steepest descent where the Hessian is (nearly) singular — a massless
        // system's mT² is linear along rays from its kink — or where the Newton step fails.
        let newton_ok = det > 1e-12 * (hxx * hyy).abs() && det.is_finite();
        let steepest = [-g[0], -g[1]];
        let mut tries: [Option<[f64; 2]>; 2] = [None, Some(steepest)];
        if newton_ok {
            tries[0] = Some([
                -(hyy * g[0] - hxy * g[1]) / det,
                -(hxx * g[1] - hxy * g[0]) / det,
            ]);
        }
        let mut moved = false;
        let mut converged = false;
        for d in tries.into_iter().flatten() {
            let slope = g[0] * d[0] + g[1] * d[1];
            // Not a descent direction (or NaN): try the next one.
            if slope.is_nan() || slope >= 0.0 {
                continue;
            }
            // A full Newton step that gains less than the objective's rounding: the last one.
            converged = d != steepest && -slope <= 1e-15 * cur.abs();
            // Backtracking (Armijo) line search; steepest descent starts from a step the size
            // of the problem.
            let norm = d[0].hypot(d[1]);
            let mut step = if d == steepest {
                (scale / norm).min(1e300)
            } else {
                1.0
            };
            for _ in 0..120 {
                let (nx, ny) = (q[0] + step * d[0], q[1] + step * d[1]);
                let v = f(nx, ny);
                if v <= cur + 1e-4 * step * slope {
                    if v < cur {
                        *q = [nx, ny];
                        cur = v;
                        moved = true;
                    }
                    break;
                }
                step *= 0.5;
            }
            if moved {
                break;
            }
        }
        if !moved || converged {
            break;
        }
    }
    cur
}

/// The minimum over x ≥ 0 of a convex `g` with `g(0) = g0`: bracketed by doubling from
/// `1e-9 · scale`, then golden-section search. Returns (x, g(x)).
fn line_min(g: impl Fn(f64) -> f64, g0: f64, scale: f64) -> (f64, f64) {
    let mut x = 1e-9 * scale.max(f64::MIN_POSITIVE);
    let (mut lo, mut best_x, mut best) = (0.0, 0.0, g0);
    let mut hi = x;
    for _ in 0..200 {
        let v = g(x);
        if v >= best {
            hi = x;
            break;
        }
        lo = best_x;
        best_x = x;
        best = v;
        x *= 2.0;
        hi = x;
    }
    let r = 0.5 * (5f64.sqrt() - 1.0);
    let mut x1 = hi - r * (hi - lo);
    let mut x2 = lo + r * (hi - lo);
    let (mut f1, mut f2) = (g(x1), g(x2));
    for _ in 0..200 {
        if hi - lo <= 1e-15 * hi {
            break;
        }
        if f1 < f2 {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - r * (hi - lo);
            f1 = g(x1);
        } else {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + r * (hi - lo);
            f2 = g(x2);
        }
    }
    for (xx, v) in [(x1, f1), (x2, f2)] {
        if v < best {
            best = v;
            best_x = xx;
        }
    }
    (best_x, best)
}

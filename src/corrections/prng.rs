//! The deterministic random numbers of correctionlib's `HashPRNG` node, bit for bit.
//!
//! correctionlib 2.9 does, per evaluation:
//! 1. lay the selected inputs out as little-endian 64-bit words (an integer input as its
//!    two's-complement bits, a real input as its IEEE-754 bits) and hash them with XXH64, seed 0;
//! 2. seed a `pcg32_oneseq` generator (PCG XSH-RR 64/32, the default single-stream increment)
//!    with that hash;
//! 3. draw:
//!    - `stdflat`: `std::uniform_real_distribution<double>(0, 1)` of libstdc++, i.e.
//!      `generate_canonical<double, 53>`: two 32-bit draws `a`, `b`, `(a + b·2^32) / 2^64`
//!      (the sum rounded to double), clamped below 1;
//!    - `stdnormal`: a fresh `std::normal_distribution<double>(0, 1)` of libstdc++: Marsaglia's
//!      polar method on two canonical draws, returning the second coordinate;
//!    - `normal`: the polar method on `ldexp(draw, -31) - 1`, returning the first coordinate.

use xxhash_rust::xxh64::Xxh64;

const MULTIPLIER: u64 = 6_364_136_223_846_793_005;
const INCREMENT: u64 = 1_442_695_040_888_963_407;

/// PCG32 with the default stream (pcg-cpp's `pcg32_oneseq`): 64-bit LCG state, XSH-RR output of
/// the state before each step.
#[derive(Debug, Clone)]
pub(crate) struct Pcg32 {
    state: u64,
}

impl Pcg32 {
    /// Seeds as pcg-cpp does: the state is the seed plus the increment, advanced once.
    pub(crate) fn new(seed: u64) -> Self {
        Pcg32 {
            state: seed
                .wrapping_add(INCREMENT)
                .wrapping_mul(MULTIPLIER)
                .wrapping_add(INCREMENT),
        }
    }

    /// The next 32 random bits.
    pub(crate) fn next_u32(&mut self) -> u32 {
        let old = self.state;
        self.state = old.wrapping_mul(MULTIPLIER).wrapping_add(INCREMENT);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        let rot = (old >> 59) as u32;
        xorshifted.rotate_right(rot)
    }

    /// libstdc++'s `generate_canonical<double, 53>` for a 32-bit generator.
    pub(crate) fn canonical(&mut self) -> f64 {
        let low = f64::from(self.next_u32());
        let high = f64::from(self.next_u32());
        let sum = low + high * 4_294_967_296.0;
        let r = sum / 18_446_744_073_709_551_616.0;
        if r >= 1.0 {
            1.0 - f64::EPSILON / 2.0
        } else {
            r
        }
    }
}

/// The three distributions of the `HashPRNG` node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Distribution {
    /// Uniform on [0, 1).
    StdFlat,
    /// Standard normal, via libstdc++'s `std::normal_distribution` (deprecated in correctionlib).
    StdNormal,
    /// Standard normal, via correctionlib's own polar method.
    Normal,
}

/// Hashes the seed words (see the module documentation).
pub(crate) struct Seed(Xxh64);

impl Seed {
    pub(crate) fn new() -> Self {
        Seed(Xxh64::new(0))
    }

    pub(crate) fn push(&mut self, word: u64) {
        self.0.update(&word.to_le_bytes());
    }

    pub(crate) fn finish(&self) -> u64 {
        self.0.digest()
    }
}

/// Draws one value of `dist` from a generator seeded with `seed`.
pub(crate) fn draw(dist: Distribution, seed: u64) -> f64 {
    let mut g = Pcg32::new(seed);
    match dist {
        Distribution::StdFlat => g.canonical() * 1.0 + 0.0,
        Distribution::StdNormal => loop {
            let x = 2.0 * g.canonical() - 1.0;
            let y = 2.0 * g.canonical() - 1.0;
            let r2 = x * x + y * y;
            if r2 > 1.0 || r2 == 0.0 {
                continue;
            }
            let mult = (-2.0 * r2.ln() / r2).sqrt();
            break y * mult * 1.0 + 0.0;
        },
        Distribution::Normal => loop {
            let u = libm::ldexp(f64::from(g.next_u32()), -31) - 1.0;
            let v = libm::ldexp(f64::from(g.next_u32()), -31) - 1.0;
            let s = u * u + v * v;
            if s >= 1.0 || s == 0.0 {
                continue;
            }
            break u * (-2.0 * s.ln() / s).sqrt();
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_correctionlib() {
        // From correctionlib 2.9.0: hashprng over (x: real, n: int) with (1.5, 7).
        let mut s = Seed::new();
        s.push(1.5f64.to_bits());
        s.push(7u64);
        let seed = s.finish();
        assert_eq!(draw(Distribution::StdFlat, seed), 0.3600047919720503);
        assert_eq!(draw(Distribution::StdNormal, seed), 0.8675047348087617);
        assert_eq!(draw(Distribution::Normal, seed), 0.6432386472630874);
    }
}

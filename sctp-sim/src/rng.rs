//! The simulator's random numbers: xoshiro256** seeded through splitmix64.
//!
//! Written here rather than taken from `rand`: the simulator needs a few
//! dozen lines, a stream that never changes between crate versions (a
//! trace hash must stay comparable across builds), and cheap independent
//! sub-streams per link and per flow.

/// One step of splitmix64: a good 64-bit mixing function, used to seed
/// generators and to derive payload patterns from message ids.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A deterministic xoshiro256** generator.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole sequence is decided by `seed`.
    pub fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut s = [0u64; 4];
        for word in &mut s {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            *word = splitmix64(x);
        }
        // xoshiro's one forbidden state is all zeros; splitmix64 of four
        // consecutive inputs cannot produce it, but keep the promise local.
        if s == [0; 4] {
            s[0] = 1;
        }
        Rng { s }
    }

    /// A generator for the sub-stream named `label` of `seed`: the same
    /// pair always gives the same stream, different labels unrelated ones.
    pub fn derive(seed: u64, label: u64) -> Self {
        Rng::new(splitmix64(seed ^ splitmix64(label)))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p` (0 never draws, so a disabled impairment
    /// does not shift the stream of an enabled one).
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.unit() < p
    }

    /// A uniform integer in `0..n` (0 when `n` is 0), by Lemire's
    /// multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A uniform integer in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.below(hi - lo + 1)
    }

    /// An exponentially distributed number with the given mean.
    pub fn exponential(&mut self, mean: f64) -> f64 {
        // 1 - unit() is in (0, 1], so the logarithm is finite.
        -mean * (1.0 - self.unit()).ln()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_labels_differ() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let mut c = Rng::derive(7, 1);
        let mut d = Rng::derive(7, 2);
        assert_ne!(c.next_u64(), d.next_u64());
    }

    #[test]
    fn unit_and_below_stay_in_range_with_the_right_mean() {
        let mut r = Rng::new(42);
        let n = 200_000;
        let mut sum = 0.0;
        for _ in 0..n {
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            sum += u;
            assert!(r.below(10) < 10);
            let x = r.between(5, 7);
            assert!((5..=7).contains(&x));
        }
        let mean = sum / f64::from(n);
        assert!((mean - 0.5).abs() < 0.005, "mean {mean}");
        let exp_mean: f64 = (0..n).map(|_| r.exponential(3.0)).sum::<f64>() / f64::from(n);
        assert!((exp_mean - 3.0).abs() < 0.05, "exponential mean {exp_mean}");
    }
}

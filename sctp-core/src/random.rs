//! Randomness comes in from the caller (DESIGN.md §1): the association
//! never reads an OS source itself.

/// A source of random bytes for verification tags, initial TSNs and the
/// cookie secret (RFC 9260 §5.1.3 and §5.3.1 ask for unpredictable
/// values). The async adapter gives the OS generator; the simulator a
/// seeded one.
pub trait RandomSource: Send {
    /// Fills `buf` with random bytes.
    fn fill_bytes(&mut self, buf: &mut [u8]);
}

/// A seeded xorshift64* generator: deterministic, for tests and the
/// simulator. Not cryptographically secure: a real endpoint must use an
/// OS-backed [`RandomSource`], or its tags and cookie secret can be guessed.
#[derive(Clone, Debug)]
pub struct SeededRandom {
    state: u64,
}

impl SeededRandom {
    /// A generator that always yields the same sequence for `seed`.
    pub fn new(seed: u64) -> Self {
        // Mix the seed so that nearby seeds give unrelated sequences, and
        // keep the state non-zero (xorshift's one fixed point).
        let mixed = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0xd1b5_4a32_d192_ed03;
        SeededRandom {
            state: mixed.max(1),
        }
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

impl RandomSource for SeededRandom {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// A random u32 that is not zero (a verification tag of 0 is reserved for
/// INIT, RFC 9260 §5.3.1).
pub(crate) fn nonzero_u32(random: &mut dyn RandomSource) -> u32 {
    loop {
        let mut b = [0u8; 4];
        random.fill_bytes(&mut b);
        let v = u32::from_le_bytes(b);
        if v != 0 {
            return v;
        }
    }
}

/// A random u32 (initial TSNs may be any value).
pub(crate) fn any_u32(random: &mut dyn RandomSource) -> u32 {
    let mut b = [0u8; 4];
    random.fill_bytes(&mut b);
    u32::from_le_bytes(b)
}

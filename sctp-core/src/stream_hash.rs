//! A cheap hasher for maps keyed by stream id.

use std::hash::Hasher;

/// Hashes a stream id with one multiplication and a fold instead of
/// SipHash: a peer can name at most 65 536 streams (fewer once the
/// association's inbound count is enforced), so the worst it can do by
/// choosing colliding ids is a few dozen probes per lookup, and the hash
/// is on the path of every ordered message.
#[derive(Default)]
pub(crate) struct StreamIdHasher(u64);

impl Hasher for StreamIdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u16(&mut self, n: u16) {
        self.0 = u64::from(n);
    }

    fn finish(&self) -> u64 {
        let h = self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        h ^ (h >> 32)
    }
}

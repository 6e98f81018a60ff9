//! The operating system's random generator as sctp-core's
//! [`RandomSource`].

use sctp_core::RandomSource;

/// Random bytes from the operating system (`getrandom`), for the
/// verification tags, initial TSNs and cookie secret that RFC 9260
/// §5.1.3 and §5.3.1 want unpredictable.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRandom;

impl RandomSource for OsRandom {
    fn fill_bytes(&mut self, buf: &mut [u8]) {
        // The OS generator does not fail on the platforms Tokio runs on;
        // if it ever did, carrying on with guessable tags would be worse
        // than stopping.
        getrandom::fill(buf).expect("the operating system's random generator failed");
    }
}

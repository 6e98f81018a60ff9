//! The state cookie (RFC 9260 §5.1.3): everything the server needs to
//! build the association, sent to the client in the INIT ACK and echoed
//! back, authenticated with HMAC-SHA256 under a secret only the server
//! knows, so the server keeps no state for an INIT.
//!
//! Layout (all big-endian), followed by a 32-byte MAC over it:
//!
//! ```text
//! version(1) my_tag(4) peer_tag(4) my_tsn(4) peer_tsn(4) peer_a_rwnd(4)
//! outbound_streams(2) inbound_streams(2) created_ms(8) lifetime_ms(4)
//! local_tie_tag(4) peer_tie_tag(4) peer_zero_checksum(1) peer_reconfig(1)
//! peer_pr_sctp(1) peer_idata(1)
//! ```

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::Duration;

type HmacSha256 = Hmac<Sha256>;

const VERSION: u8 = 5;
const BODY_LEN: usize = 49;
const MAC_LEN: usize = 32;
/// Length of every cookie this crate makes.
pub(crate) const COOKIE_LEN: usize = BODY_LEN + MAC_LEN;

/// What the cookie carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CookieContents {
    /// Our verification tag: what the peer puts in its packets.
    pub(crate) my_tag: u32,
    /// The peer's verification tag: what we put in ours.
    pub(crate) peer_tag: u32,
    pub(crate) my_initial_tsn: u32,
    pub(crate) peer_initial_tsn: u32,
    pub(crate) peer_a_rwnd: u32,
    /// Negotiated stream counts (RFC 9260 §5.1.1).
    pub(crate) outbound_streams: u16,
    pub(crate) inbound_streams: u16,
    /// When the cookie was made, in milliseconds since the endpoint's epoch.
    pub(crate) created_ms: u64,
    /// Valid.Cookie.Life in milliseconds.
    pub(crate) lifetime_ms: u32,
    /// The tie-tags (RFC 9260 §5.2.1, §5.2.2): the tags of the association
    /// that existed when the cookie was made, 0 when there was none. They
    /// let a COOKIE ECHO be told apart as a restart (§5.2.4 A).
    pub(crate) local_tie_tag: u32,
    pub(crate) peer_tie_tag: u32,
    /// The peer's INIT announced zero checksum with the DTLS method
    /// (RFC 9653 §5.1).
    pub(crate) peer_zero_checksum: bool,
    /// The peer's INIT listed RE-CONFIG among its Supported Extensions
    /// (RFC 6525 §5: stream reset).
    pub(crate) peer_reconfig: bool,
    /// The peer's INIT announced FORWARD TSN (RFC 3758 §3.1): messages to
    /// it may be partially reliable.
    pub(crate) peer_pr_sctp: bool,
    /// The peer's INIT listed I-DATA (RFC 8260 §2.2): messages may be
    /// interleaved.
    pub(crate) peer_idata: bool,
}

/// Why a received cookie is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CookieError {
    /// Wrong length, version or MAC: discarded silently (RFC 9260 §5.1.5 step 2).
    Invalid,
    /// Authentic but expired (RFC 9260 §5.1.5 step 3): answered with a
    /// Stale Cookie error carrying how late it is.
    Stale {
        /// How long ago the cookie expired.
        staleness: Duration,
        /// The peer's tag from the (authentic) cookie, to address the error.
        peer_tag: u32,
    },
}

impl CookieContents {
    /// The cookie bytes, MAC included.
    pub(crate) fn seal(&self, secret: &[u8; 32]) -> Vec<u8> {
        let mut out = Vec::with_capacity(COOKIE_LEN);
        out.push(VERSION);
        out.extend_from_slice(&self.my_tag.to_be_bytes());
        out.extend_from_slice(&self.peer_tag.to_be_bytes());
        out.extend_from_slice(&self.my_initial_tsn.to_be_bytes());
        out.extend_from_slice(&self.peer_initial_tsn.to_be_bytes());
        out.extend_from_slice(&self.peer_a_rwnd.to_be_bytes());
        out.extend_from_slice(&self.outbound_streams.to_be_bytes());
        out.extend_from_slice(&self.inbound_streams.to_be_bytes());
        out.extend_from_slice(&self.created_ms.to_be_bytes());
        out.extend_from_slice(&self.lifetime_ms.to_be_bytes());
        out.extend_from_slice(&self.local_tie_tag.to_be_bytes());
        out.extend_from_slice(&self.peer_tie_tag.to_be_bytes());
        out.push(u8::from(self.peer_zero_checksum));
        out.push(u8::from(self.peer_reconfig));
        out.push(u8::from(self.peer_pr_sctp));
        out.push(u8::from(self.peer_idata));
        debug_assert_eq!(out.len(), BODY_LEN);
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(&out);
        out.extend_from_slice(&mac.finalize().into_bytes());
        out
    }

    /// Checks a cookie's MAC and age (RFC 9260 §5.1.5 steps 1 to 3).
    pub(crate) fn open(cookie: &[u8], secret: &[u8; 32], now_ms: u64) -> Result<Self, CookieError> {
        if cookie.len() != COOKIE_LEN || cookie[0] != VERSION {
            return Err(CookieError::Invalid);
        }
        let (body, tag) = cookie.split_at(BODY_LEN);
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(body);
        // Constant-time comparison, so the MAC cannot be found byte by byte.
        mac.verify_slice(tag).map_err(|_| CookieError::Invalid)?;
        let u32_at =
            |at: usize| u32::from_be_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
        let u16_at = |at: usize| u16::from_be_bytes([body[at], body[at + 1]]);
        let mut created = [0u8; 8];
        created.copy_from_slice(&body[25..33]);
        let contents = CookieContents {
            my_tag: u32_at(1),
            peer_tag: u32_at(5),
            my_initial_tsn: u32_at(9),
            peer_initial_tsn: u32_at(13),
            peer_a_rwnd: u32_at(17),
            outbound_streams: u16_at(21),
            inbound_streams: u16_at(23),
            created_ms: u64::from_be_bytes(created),
            lifetime_ms: u32_at(33),
            local_tie_tag: u32_at(37),
            peer_tie_tag: u32_at(41),
            peer_zero_checksum: body[45] != 0,
            peer_reconfig: body[46] != 0,
            peer_pr_sctp: body[47] != 0,
            peer_idata: body[48] != 0,
        };
        // RFC 9260 §5.1.5 step 3: a cookie older than its lifetime is stale.
        let expires = contents
            .created_ms
            .saturating_add(u64::from(contents.lifetime_ms));
        if now_ms > expires {
            return Err(CookieError::Stale {
                staleness: Duration::from_millis(now_ms - expires),
                peer_tag: contents.peer_tag,
            });
        }
        Ok(contents)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents() -> CookieContents {
        CookieContents {
            my_tag: 1,
            peer_tag: 2,
            my_initial_tsn: 3,
            peer_initial_tsn: 4,
            peer_a_rwnd: 5,
            outbound_streams: 6,
            inbound_streams: 7,
            created_ms: 1000,
            lifetime_ms: 60_000,
            local_tie_tag: 8,
            peer_tie_tag: 9,
            peer_zero_checksum: true,
            peer_reconfig: false,
            peer_pr_sctp: true,
            peer_idata: true,
        }
    }

    #[test]
    fn a_sealed_cookie_opens_with_its_secret_only() {
        let secret = [7u8; 32];
        let cookie = contents().seal(&secret);
        assert_eq!(cookie.len(), COOKIE_LEN);
        assert_eq!(CookieContents::open(&cookie, &secret, 2000), Ok(contents()));
        assert_eq!(
            CookieContents::open(&cookie, &[8u8; 32], 2000),
            Err(CookieError::Invalid)
        );
    }

    #[test]
    fn any_flipped_bit_invalidates_the_cookie() {
        // RFC 9260 §5.1.5 step 2: the MAC covers every field.
        let secret = [7u8; 32];
        let cookie = contents().seal(&secret);
        for i in 0..cookie.len() * 8 {
            let mut bad = cookie.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert_eq!(
                CookieContents::open(&bad, &secret, 2000),
                Err(CookieError::Invalid)
            );
        }
        assert_eq!(
            CookieContents::open(&cookie[..10], &secret, 0),
            Err(CookieError::Invalid)
        );
    }

    #[test]
    fn an_expired_cookie_is_stale_by_how_late_it_is() {
        // RFC 9260 §5.1.5 step 3 and §3.3.10.3.
        let secret = [7u8; 32];
        let cookie = contents().seal(&secret);
        assert!(CookieContents::open(&cookie, &secret, 61_000).is_ok());
        assert_eq!(
            CookieContents::open(&cookie, &secret, 61_250),
            Err(CookieError::Stale {
                staleness: Duration::from_millis(250),
                peer_tag: 2,
            })
        );
    }
}

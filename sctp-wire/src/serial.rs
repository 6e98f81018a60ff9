//! Protocol numbers as newtypes, with RFC 1982 serial-number arithmetic for
//! the ones that wrap around (RFC 9260 §1.6).

use std::cmp::Ordering;
use std::fmt;

macro_rules! serial_number {
    ($(#[$meta:meta])* $name:ident($int:ty, $signed:ty)) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub $int);

        impl $name {
            /// The number `n` steps after this one, wrapping around.
            #[inline]
            pub fn wrapping_add(self, n: $int) -> Self {
                $name(self.0.wrapping_add(n))
            }

            /// The number `n` steps before this one, wrapping around.
            #[inline]
            pub fn wrapping_sub(self, n: $int) -> Self {
                $name(self.0.wrapping_sub(n))
            }

            /// The next number, wrapping around.
            #[inline]
            pub fn next(self) -> Self {
                self.wrapping_add(1)
            }

            /// Signed distance from `self` to `later` in serial arithmetic:
            /// positive when `later` comes after `self`. Exact whenever the
            /// two are less than half the number space apart.
            #[inline]
            pub fn distance_to(self, later: Self) -> $signed {
                later.0.wrapping_sub(self.0) as $signed
            }

            /// RFC 1982 comparison. `None` when the two are exactly half the
            /// number space apart, where the order is undefined.
            #[inline]
            pub fn serial_cmp(self, other: Self) -> Option<Ordering> {
                let d = other.distance_to(self);
                if d == <$signed>::MIN {
                    None
                } else {
                    Some(d.cmp(&0))
                }
            }

            /// `self` comes strictly before `other` (RFC 1982 "less than").
            #[inline]
            pub fn is_before(self, other: Self) -> bool {
                self.serial_cmp(other) == Some(Ordering::Less)
            }

            /// `self` comes strictly after `other` (RFC 1982 "greater than").
            #[inline]
            pub fn is_after(self, other: Self) -> bool {
                self.serial_cmp(other) == Some(Ordering::Greater)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl From<$int> for $name {
            fn from(v: $int) -> Self {
                $name(v)
            }
        }
    };
}

serial_number!(
    /// Transmission sequence number (RFC 9260 §3.3.1), 32-bit serial arithmetic.
    Tsn(u32, i32)
);
serial_number!(
    /// Stream sequence number (RFC 9260 §3.3.1), 16-bit serial arithmetic.
    Ssn(u16, i16)
);
serial_number!(
    /// Message identifier of I-DATA (RFC 8260 §2.1), 32-bit serial arithmetic.
    Mid(u32, i32)
);
serial_number!(
    /// Fragment sequence number of I-DATA (RFC 8260 §2.1), 32-bit serial arithmetic.
    Fsn(u32, i32)
);

/// Stream identifier (RFC 9260 §3.3.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct StreamId(pub u16);

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StreamId({})", self.0)
    }
}

impl From<u16> for StreamId {
    fn from(v: u16) -> Self {
        StreamId(v)
    }
}

/// Payload protocol identifier (RFC 9260 §3.3.1), with the values WebRTC
/// data channels use (RFC 8831 §8, RFC 8832 §8.1).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ppid(pub u32);

impl Ppid {
    /// Data channel establishment protocol (DCEP).
    pub const DCEP: Ppid = Ppid(50);
    /// WebRTC string message.
    pub const STRING: Ppid = Ppid(51);
    /// WebRTC binary message.
    pub const BINARY: Ppid = Ppid(53);
    /// WebRTC empty string message.
    pub const STRING_EMPTY: Ppid = Ppid(56);
    /// WebRTC empty binary message.
    pub const BINARY_EMPTY: Ppid = Ppid(57);
}

impl fmt::Display for Ppid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Ppid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ppid({})", self.0)
    }
}

impl From<u32> for Ppid {
    fn from(v: u32) -> Self {
        Ppid(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsn_comparison_wraps_around() {
        // RFC 9260 §1.6: TSNs use serial number arithmetic with SERIAL_BITS = 32.
        let max = Tsn(u32::MAX);
        assert!(max.is_before(Tsn(0)));
        assert!(Tsn(0).is_after(max));
        assert_eq!(max.next(), Tsn(0));
        assert_eq!(max.distance_to(Tsn(4)), 5);
        assert_eq!(Tsn(4).distance_to(max), -5);
        assert_eq!(Tsn(0).serial_cmp(Tsn(1 << 31)), None);
        assert_eq!(Tsn(7).serial_cmp(Tsn(7)), Some(Ordering::Equal));
    }

    #[test]
    fn ssn_comparison_wraps_around() {
        // RFC 9260 §1.6: SSNs use serial number arithmetic with SERIAL_BITS = 16.
        assert!(Ssn(65535).is_before(Ssn(0)));
        assert!(Ssn(10).is_after(Ssn(65530)));
        assert!(!Ssn(0).is_after(Ssn(32768)));
        assert!(!Ssn(0).is_before(Ssn(32768)));
        assert_eq!(Ssn(65535).wrapping_add(2), Ssn(1));
    }
}

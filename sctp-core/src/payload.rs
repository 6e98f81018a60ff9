//! The user data of a received message, as the fragments it arrived in.

use bytes::{Buf, Bytes, BytesMut};
use std::collections::VecDeque;
use std::fmt;

/// The user data of a received message: the payloads of the DATA chunks
/// that carried it (RFC 9260 §6.9), in order, each a slice of the datagram
/// it arrived in. Nothing is copied on the way from the datagram to the
/// application: a message that fit in one packet is one [`Bytes`], and a
/// fragmented one is a list of them.
///
/// Read it as a [`Buf`] (for example [`Buf::copy_to_slice`] into the
/// application's buffer, the only copy), walk [`fragments`](Self::fragments),
/// or join it into one contiguous [`Bytes`] with
/// [`into_bytes`](Self::into_bytes) (free for an unfragmented message).
///
/// ```
/// use bytes::{Buf, Bytes};
/// use sctp_core::Payload;
///
/// let payload = Payload::from(Bytes::from_static(b"hello"));
/// assert_eq!(payload.len(), 5);
/// assert_eq!(payload, b"hello"[..]);
/// assert_eq!(payload.into_bytes(), "hello");
/// ```
#[derive(Clone, Default)]
pub struct Payload {
    parts: Parts,
}

#[derive(Clone)]
enum Parts {
    /// One fragment (or the rest of a partly read message).
    One(Bytes),
    /// Several fragments and their total length; none is empty.
    Many {
        fragments: VecDeque<Bytes>,
        len: usize,
    },
}

impl Default for Parts {
    fn default() -> Self {
        Parts::One(Bytes::new())
    }
}

impl Payload {
    /// A payload made of `fragments`, in order. Empty fragments are left
    /// out.
    pub(crate) fn from_fragments(mut fragments: VecDeque<Bytes>) -> Self {
        fragments.retain(|f| !f.is_empty());
        match fragments.len() {
            0 => Payload::default(),
            1 => Payload {
                parts: Parts::One(fragments.pop_front().unwrap_or_default()),
            },
            _ => {
                let len = fragments.iter().map(Bytes::len).sum();
                Payload {
                    parts: Parts::Many { fragments, len },
                }
            }
        }
    }

    /// Its bytes and how many fragments (received chunks) hold them.
    #[inline]
    pub(crate) fn len_and_fragments(&self) -> (usize, usize) {
        match &self.parts {
            Parts::One(b) => (b.len(), usize::from(!b.is_empty())),
            Parts::Many { fragments, len } => (*len, fragments.len()),
        }
    }

    /// Bytes of user data not yet read.
    pub fn len(&self) -> usize {
        match &self.parts {
            Parts::One(b) => b.len(),
            Parts::Many { len, .. } => *len,
        }
    }

    /// Whether no user data is left.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The fragments, in order.
    pub fn fragments(&self) -> impl Iterator<Item = &Bytes> {
        let (one, many) = match &self.parts {
            Parts::One(b) => (Some(b), None),
            Parts::Many { fragments, .. } => (None, Some(fragments.iter())),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    /// The user data as one contiguous buffer: the fragment itself when
    /// there is one, else the fragments copied into a new buffer.
    pub fn into_bytes(self) -> Bytes {
        match self.parts {
            Parts::One(b) => b,
            Parts::Many { fragments, len } => {
                let mut buf = BytesMut::with_capacity(len);
                for f in &fragments {
                    buf.extend_from_slice(f);
                }
                buf.freeze()
            }
        }
    }
}

impl From<Bytes> for Payload {
    fn from(bytes: Bytes) -> Self {
        Payload {
            parts: Parts::One(bytes),
        }
    }
}

impl Buf for Payload {
    fn remaining(&self) -> usize {
        self.len()
    }

    fn chunk(&self) -> &[u8] {
        match &self.parts {
            Parts::One(b) => b,
            Parts::Many { fragments, .. } => fragments.front().map_or(&[], |f| f),
        }
    }

    fn advance(&mut self, mut cnt: usize) {
        assert!(
            cnt <= self.len(),
            "cannot advance {cnt} bytes past the {} left",
            self.len()
        );
        match &mut self.parts {
            Parts::One(b) => b.advance(cnt),
            Parts::Many { fragments, len } => {
                *len -= cnt;
                while cnt > 0 {
                    let Some(front) = fragments.front_mut() else {
                        break;
                    };
                    if cnt < front.len() {
                        front.advance(cnt);
                        break;
                    }
                    cnt -= front.len();
                    fragments.pop_front();
                }
            }
        }
    }
}

impl PartialEq<[u8]> for Payload {
    fn eq(&self, other: &[u8]) -> bool {
        if self.len() != other.len() {
            return false;
        }
        let mut rest = other;
        self.fragments().all(|f| {
            let (head, tail) = rest.split_at(f.len());
            rest = tail;
            head == &f[..]
        })
    }
}

impl PartialEq<&[u8]> for Payload {
    fn eq(&self, other: &&[u8]) -> bool {
        *self == **other
    }
}

impl PartialEq<Bytes> for Payload {
    fn eq(&self, other: &Bytes) -> bool {
        *self == other[..]
    }
}

impl PartialEq for Payload {
    fn eq(&self, other: &Payload) -> bool {
        if self.len() != other.len() {
            return false;
        }
        let (mut a, mut b) = (self.clone(), other.clone());
        while a.has_remaining() {
            let n = a.chunk().len().min(b.chunk().len());
            if a.chunk()[..n] != b.chunk()[..n] {
                return false;
            }
            a.advance(n);
            b.advance(n);
        }
        true
    }
}

impl Eq for Payload {}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payload")
            .field("len", &self.len())
            .field("fragments", &self.fragments().count())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(data: &[u8], sizes: &[usize]) -> Payload {
        let mut fragments = VecDeque::new();
        let mut at = 0;
        for &n in sizes {
            fragments.push_back(Bytes::copy_from_slice(&data[at..at + n]));
            at += n;
        }
        Payload::from_fragments(fragments)
    }

    #[test]
    fn fragments_read_as_one_buffer() {
        let data: Vec<u8> = (0..100u8).collect();
        let p = split(&data, &[30, 0, 50, 20]);
        assert_eq!(p.len(), 100);
        assert_eq!(p.fragments().count(), 3, "the empty fragment is left out");
        assert_eq!(p, data[..]);
        assert_eq!(p, split(&data, &[1, 99]), "equal whatever the cut");
        assert_ne!(p, split(&data, &[50]));
        let mut out = [0u8; 100];
        p.clone().copy_to_slice(&mut out);
        assert_eq!(out[..], data[..]);
        assert_eq!(p.into_bytes(), data);
    }

    #[test]
    fn advancing_across_fragments_keeps_the_rest() {
        let data: Vec<u8> = (0..60u8).collect();
        let mut p = split(&data, &[10, 20, 30]);
        p.advance(25);
        assert_eq!(p.len(), 35);
        assert_eq!(p.chunk(), &data[25..30]);
        assert_eq!(p, data[25..]);
        assert_eq!(p.copy_to_bytes(35), data[25..]);
        assert!(p.is_empty());
    }

    #[test]
    fn a_single_fragment_is_handed_out_without_copying() {
        let b = Bytes::from(vec![7u8; 64]);
        let p = split(&b, &[64]);
        let ptr = p.fragments().next().unwrap().as_ptr();
        assert_eq!(p.into_bytes().as_ptr(), ptr);
        let p = Payload::from(b.clone());
        assert_eq!(p.into_bytes().as_ptr(), b.as_ptr());
    }
}

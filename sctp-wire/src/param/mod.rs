//! Parameters carried by INIT, INIT ACK, HEARTBEAT and RE-CONFIG chunks
//! (RFC 9260 §3.2.1, <https://www.rfc-editor.org/rfc/rfc9260#section-3.2.1>).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Parameter Type         |       Parameter Length        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! \                                                               \
//! /                        Parameter Value                        /
//! \                                                               \
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The Parameter Length counts the 4-byte header and the value but not the
//! padding to a multiple of four that follows it. The TLV stage
//! ([`RawTlv`]) checks the length against the enclosing chunk;
//! [`Param::decode`] then checks it against the parameter's layout.
//!
//! | Type     | Parameter                            | Defined in        | Module       |
//! |----------|--------------------------------------|-------------------|--------------|
//! | 1        | Heartbeat Info                       | RFC 9260 §3.3.5   | here         |
//! | 5, 6, 11 | IPv4, IPv6, Host Name Address        | RFC 9260 §3.3.2.1 | `address`    |
//! | 7, 8     | State Cookie, Unrecognized Parameter | RFC 9260 §3.3.3.1 | `cookie`     |
//! | 9        | Cookie Preservative                  | RFC 9260 §3.3.2.1 | `cookie`     |
//! | 12       | Supported Address Types              | RFC 9260 §3.3.2.1 | `address`    |
//! | 13–18    | Stream re-configuration              | RFC 6525 §4       | `reconfig`   |
//! | 0x8001   | Zero Checksum Acceptable             | RFC 9653 §4       | `extensions` |
//! | 0x8005   | Padding                              | RFC 4820 §4       | `extensions` |
//! | 0x8008   | Supported Extensions                 | RFC 5061 §4.2.7   | `extensions` |
//! | 0xC000   | Forward-TSN-Supported                | RFC 3758 §3.1     | `extensions` |
//!
//! ## Parameters this crate does not recognise
//!
//! Every other type decodes to [`Param::Unknown`], type and value kept,
//! including types [`ParamType`] names but the codec does not interpret
//! (ECN Capable 0x8000; the AUTH parameters Random, Chunk List and
//! Requested HMAC Algorithm, 0x8002–0x8004, which usrsctp sends; Adaptation
//! Layer Indication 0xC006). What to do with one is the association's
//! call, read from the two upper bits of its type:
//! [`Param::unrecognized_action`] returns it for an `Unknown` parameter
//! (it is [`ParamType::unrecognized_action`] of the type). Reported
//! parameters go back in an INIT ACK as [`Param::unrecognized_parameter`]
//! or in an ERROR as
//! [`ErrorCause::unrecognized_parameters`](crate::ErrorCause::unrecognized_parameters)
//! (RFC 9260 §3.2.2).
//!
//! An `Unknown` built with a type this crate recognises encodes as given
//! but decodes as the typed variant; [`Param::recognizes`] tells them apart.

mod address;
pub(crate) mod check;
mod cookie;
mod extensions;
mod reconfig;

pub use extensions::EDMID_DTLS;
pub use reconfig::ReconfigResult;

use crate::error::{Element, WireError};
use crate::serial::{StreamId, Tsn};
use crate::tlv::{put_tlv_header, Encode, PackedList, RawTlv, RawTlvs};
use crate::types::{ChunkType, ParamType, UnrecognizedAction};
use bytes::{BufMut, Bytes, BytesMut};
use check::Site;
use std::net::{Ipv4Addr, Ipv6Addr};

/// A decoded parameter.
///
/// Opaque values (cookies, heartbeat information, padding, whole TLVs
/// reported back) are slices of the received datagram, never copies.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Param {
    /// Heartbeat Information (type 1), opaque to the receiver, which echoes
    /// it in HEARTBEAT ACK (RFC 9260 §3.3.5).
    HeartbeatInfo(Bytes),
    /// IPv4 Address (type 5): an address of the sender, in INIT or INIT ACK
    /// (RFC 9260 §3.3.2.1).
    Ipv4Address(Ipv4Addr),
    /// IPv6 Address (type 6): an address of the sender, in INIT or INIT ACK
    /// (RFC 9260 §3.3.2.1).
    Ipv6Address(Ipv6Addr),
    /// State Cookie (type 7) of an INIT ACK, echoed unchanged in COOKIE ECHO
    /// (RFC 9260 §3.3.3.1).
    StateCookie(Bytes),
    /// Unrecognized Parameter (type 8) of an INIT ACK: a whole parameter of
    /// the INIT (header, length and value) the peer did not recognise
    /// (RFC 9260 §3.3.3.1). Read it with [`Param::decode_list`].
    UnrecognizedParameter(Bytes),
    /// Cookie Preservative (type 9): the INIT sender asks for a cookie that
    /// lives longer, after a Stale Cookie error (RFC 9260 §3.3.2.1).
    CookiePreservative {
        /// Suggested Cookie Life-Span Increment, in milliseconds.
        lifespan_increment_ms: u32,
    },
    /// Host Name Address (type 11), the host name as received. RFC 9260
    /// §3.3.2.1 no longer supports it: an INIT carrying one is answered by
    /// an ABORT with an Unresolvable Address error cause.
    HostNameAddress(Bytes),
    /// Supported Address Types (type 12): the address parameter types the
    /// sender can use (RFC 9260 §3.3.2.1).
    SupportedAddressTypes(PackedList<ParamType>),
    /// Outgoing SSN Reset Request (type 13, RFC 6525 §4.1): the sender
    /// resets these outgoing streams, or all of them when the list is empty.
    OutgoingSsnResetRequest {
        /// Re-configuration Request Sequence Number of this request.
        request_seq: u32,
        /// Re-configuration Response Sequence Number: the request from the
        /// peer that this one answers, if any.
        response_seq: u32,
        /// Sender's Last Assigned TSN: the receiver resets once every TSN up
        /// to this one has arrived.
        sender_last_tsn: Tsn,
        /// The streams to reset; empty means all.
        streams: PackedList<StreamId>,
    },
    /// Incoming SSN Reset Request (type 14, RFC 6525 §4.2): the sender asks
    /// the peer to reset these of its outgoing streams, or all when empty.
    IncomingSsnResetRequest {
        /// Re-configuration Request Sequence Number of this request.
        request_seq: u32,
        /// The streams to reset; empty means all.
        streams: PackedList<StreamId>,
    },
    /// SSN/TSN Reset Request (type 15, RFC 6525 §4.3): reset every stream
    /// and the TSNs in both directions.
    SsnTsnResetRequest {
        /// Re-configuration Request Sequence Number of this request.
        request_seq: u32,
    },
    /// Re-configuration Response (type 16, RFC 6525 §4.4).
    ReconfigResponse {
        /// The Re-configuration Request Sequence Number answered.
        response_seq: u32,
        /// What became of the request.
        result: ReconfigResult,
        /// Sender's Next TSN and Receiver's Next TSN, present together or
        /// not at all, in answers to an SSN/TSN Reset Request.
        next_tsns: Option<(Tsn, Tsn)>,
    },
    /// Add Outgoing Streams Request (type 17, RFC 6525 §4.5).
    AddOutgoingStreams {
        /// Re-configuration Request Sequence Number of this request.
        request_seq: u32,
        /// Number of outgoing streams the sender adds.
        new_streams: u16,
    },
    /// Add Incoming Streams Request (type 18, RFC 6525 §4.6).
    AddIncomingStreams {
        /// Re-configuration Request Sequence Number of this request.
        request_seq: u32,
        /// Number of incoming streams the sender asks the peer to add.
        new_streams: u16,
    },
    /// Zero Checksum Acceptable (type 0x8001, RFC 9653 §4).
    ZeroChecksumAcceptable {
        /// Error Detection Method Identifier; [`EDMID_DTLS`] for DTLS.
        edmid: u32,
    },
    /// Padding (type 0x8005, RFC 4820 §4); the receiver ignores the bytes.
    Padding(Bytes),
    /// Supported Extensions (type 0x8008, RFC 5061 §4.2.7): chunk types
    /// the sender supports.
    SupportedExtensions(PackedList<ChunkType>),
    /// Forward-TSN-Supported (type 0xC000, RFC 3758 §3.1): the sender
    /// supports PR-SCTP.
    ForwardTsnSupported,
    /// A parameter of a type this crate does not know, kept whole.
    Unknown {
        /// The parameter type; its upper bits give the action (RFC 9260 §3.2.1).
        kind: ParamType,
        /// The value after the 4-byte header.
        value: Bytes,
    },
}

impl Param {
    /// The parameter type.
    pub fn param_type(&self) -> ParamType {
        match self {
            Param::HeartbeatInfo(_) => ParamType::HEARTBEAT_INFO,
            Param::Ipv4Address(_) => ParamType::IPV4_ADDRESS,
            Param::Ipv6Address(_) => ParamType::IPV6_ADDRESS,
            Param::StateCookie(_) => ParamType::STATE_COOKIE,
            Param::UnrecognizedParameter(_) => ParamType::UNRECOGNIZED_PARAMETER,
            Param::CookiePreservative { .. } => ParamType::COOKIE_PRESERVATIVE,
            Param::HostNameAddress(_) => ParamType::HOST_NAME_ADDRESS,
            Param::SupportedAddressTypes(_) => ParamType::SUPPORTED_ADDRESS_TYPES,
            Param::OutgoingSsnResetRequest { .. } => ParamType::OUTGOING_SSN_RESET_REQUEST,
            Param::IncomingSsnResetRequest { .. } => ParamType::INCOMING_SSN_RESET_REQUEST,
            Param::SsnTsnResetRequest { .. } => ParamType::SSN_TSN_RESET_REQUEST,
            Param::ReconfigResponse { .. } => ParamType::RECONFIGURATION_RESPONSE,
            Param::AddOutgoingStreams { .. } => ParamType::ADD_OUTGOING_STREAMS_REQUEST,
            Param::AddIncomingStreams { .. } => ParamType::ADD_INCOMING_STREAMS_REQUEST,
            Param::ZeroChecksumAcceptable { .. } => ParamType::ZERO_CHECKSUM_ACCEPTABLE,
            Param::Padding(_) => ParamType::PADDING,
            Param::SupportedExtensions(_) => ParamType::SUPPORTED_EXTENSIONS,
            Param::ForwardTsnSupported => ParamType::FORWARD_TSN_SUPPORTED,
            Param::Unknown { kind, .. } => *kind,
        }
    }

    /// Whether [`Param::decode`] gives parameters of this type a variant of
    /// their own; all other types decode to [`Param::Unknown`].
    pub fn recognizes(kind: ParamType) -> bool {
        matches!(
            kind,
            ParamType::HEARTBEAT_INFO
                | ParamType::IPV4_ADDRESS
                | ParamType::IPV6_ADDRESS
                | ParamType::STATE_COOKIE
                | ParamType::UNRECOGNIZED_PARAMETER
                | ParamType::COOKIE_PRESERVATIVE
                | ParamType::HOST_NAME_ADDRESS
                | ParamType::SUPPORTED_ADDRESS_TYPES
                | ParamType::OUTGOING_SSN_RESET_REQUEST
                | ParamType::INCOMING_SSN_RESET_REQUEST
                | ParamType::SSN_TSN_RESET_REQUEST
                | ParamType::RECONFIGURATION_RESPONSE
                | ParamType::ADD_OUTGOING_STREAMS_REQUEST
                | ParamType::ADD_INCOMING_STREAMS_REQUEST
                | ParamType::ZERO_CHECKSUM_ACCEPTABLE
                | ParamType::PADDING
                | ParamType::SUPPORTED_EXTENSIONS
                | ParamType::FORWARD_TSN_SUPPORTED
        )
    }

    /// For a [`Param::Unknown`], what RFC 9260 §3.2.1 asks the receiver to
    /// do with it, read from the two upper bits of its type (stop or skip,
    /// and whether to report it); `None` for a recognised parameter.
    pub fn unrecognized_action(&self) -> Option<UnrecognizedAction> {
        match self {
            Param::Unknown { kind, .. } => Some(kind.unrecognized_action()),
            _ => None,
        }
    }

    /// An Unrecognized Parameter (type 8) reporting `param` whole, for an
    /// INIT ACK (RFC 9260 §3.2.2, §3.3.3.1). Copies the parameter.
    pub fn unrecognized_parameter(param: &Param) -> Param {
        Param::UnrecognizedParameter(param.to_bytes())
    }

    /// Decodes one parameter cut out by the TLV stage.
    ///
    /// A value whose length does not fit the type's layout is a
    /// [`WireError::BadLength`] (or [`WireError::TooShort`] below a
    /// minimum) naming the parameter and its offset.
    pub fn decode(raw: RawTlv) -> Result<Param, WireError> {
        let kind = ParamType(raw.kind);
        let site = Site {
            element: Element::Param(kind),
            offset: raw.offset,
        };
        let v = raw.value;
        Ok(match kind {
            ParamType::HEARTBEAT_INFO => Param::HeartbeatInfo(v),
            ParamType::IPV4_ADDRESS => Param::Ipv4Address(address::decode_ipv4(&v, site)?),
            ParamType::IPV6_ADDRESS => Param::Ipv6Address(address::decode_ipv6(&v, site)?),
            ParamType::STATE_COOKIE => Param::StateCookie(v),
            ParamType::UNRECOGNIZED_PARAMETER => Param::UnrecognizedParameter(v),
            ParamType::COOKIE_PRESERVATIVE => cookie::decode_cookie_preservative(&v, site)?,
            ParamType::HOST_NAME_ADDRESS => Param::HostNameAddress(v),
            ParamType::SUPPORTED_ADDRESS_TYPES => {
                Param::SupportedAddressTypes(address::decode_supported_address_types(&v, site)?)
            }
            ParamType::OUTGOING_SSN_RESET_REQUEST => reconfig::decode_outgoing(&v, site)?,
            ParamType::INCOMING_SSN_RESET_REQUEST => reconfig::decode_incoming(&v, site)?,
            ParamType::SSN_TSN_RESET_REQUEST => reconfig::decode_ssn_tsn(&v, site)?,
            ParamType::RECONFIGURATION_RESPONSE => reconfig::decode_response(&v, site)?,
            ParamType::ADD_OUTGOING_STREAMS_REQUEST => {
                reconfig::decode_add_streams(&v, site, true)?
            }
            ParamType::ADD_INCOMING_STREAMS_REQUEST => {
                reconfig::decode_add_streams(&v, site, false)?
            }
            ParamType::ZERO_CHECKSUM_ACCEPTABLE => extensions::decode_zero_checksum(&v, site)?,
            ParamType::PADDING => Param::Padding(v),
            // RFC 5061 §4.2.7: one byte per chunk type, so any length fits.
            ParamType::SUPPORTED_EXTENSIONS => {
                Param::SupportedExtensions(PackedList::from_exact_bytes(v))
            }
            ParamType::FORWARD_TSN_SUPPORTED => extensions::decode_forward_tsn_supported(&v, site)?,
            _ => Param::Unknown { kind, value: v },
        })
    }

    /// Decodes the run of parameters in `buf`, whose first byte sits at
    /// `base` in the packet. Parameters are padded to four bytes between
    /// each other; the last may omit its padding.
    pub fn decode_list(buf: Bytes, base: usize) -> Result<Vec<Param>, WireError> {
        RawTlvs::params(buf, base)
            .map(|raw| raw.and_then(Param::decode))
            .collect()
    }

    /// Length of the value after the 4-byte header.
    fn value_len(&self) -> usize {
        match self {
            Param::HeartbeatInfo(v)
            | Param::StateCookie(v)
            | Param::UnrecognizedParameter(v)
            | Param::HostNameAddress(v)
            | Param::Padding(v)
            | Param::Unknown { value: v, .. } => v.len(),
            Param::Ipv4Address(_) => 4,
            Param::Ipv6Address(_) => 16,
            Param::CookiePreservative { .. }
            | Param::SsnTsnResetRequest { .. }
            | Param::ZeroChecksumAcceptable { .. } => 4,
            Param::SupportedAddressTypes(list) => list.byte_len(),
            Param::OutgoingSsnResetRequest { streams, .. } => 12 + streams.byte_len(),
            Param::IncomingSsnResetRequest { streams, .. } => 4 + streams.byte_len(),
            Param::ReconfigResponse { next_tsns, .. } => {
                if next_tsns.is_some() {
                    16
                } else {
                    8
                }
            }
            Param::AddOutgoingStreams { .. } | Param::AddIncomingStreams { .. } => 8,
            Param::SupportedExtensions(list) => list.byte_len(),
            Param::ForwardTsnSupported => 0,
        }
    }

    /// Appends the value after the 4-byte header.
    fn encode_value(&self, buf: &mut BytesMut) {
        match self {
            Param::HeartbeatInfo(v)
            | Param::StateCookie(v)
            | Param::UnrecognizedParameter(v)
            | Param::HostNameAddress(v)
            | Param::Padding(v)
            | Param::Unknown { value: v, .. } => buf.put_slice(v),
            Param::Ipv4Address(a) => buf.put_slice(&a.octets()),
            Param::Ipv6Address(a) => buf.put_slice(&a.octets()),
            Param::CookiePreservative {
                lifespan_increment_ms,
            } => buf.put_u32(*lifespan_increment_ms),
            Param::SupportedAddressTypes(list) => buf.put_slice(list.as_bytes()),
            Param::OutgoingSsnResetRequest {
                request_seq,
                response_seq,
                sender_last_tsn,
                streams,
            } => {
                buf.put_u32(*request_seq);
                buf.put_u32(*response_seq);
                buf.put_u32(sender_last_tsn.0);
                buf.put_slice(streams.as_bytes());
            }
            Param::IncomingSsnResetRequest {
                request_seq,
                streams,
            } => {
                buf.put_u32(*request_seq);
                buf.put_slice(streams.as_bytes());
            }
            Param::SsnTsnResetRequest { request_seq } => buf.put_u32(*request_seq),
            Param::ReconfigResponse {
                response_seq,
                result,
                next_tsns,
            } => {
                buf.put_u32(*response_seq);
                buf.put_u32(result.0);
                if let Some((sender_next, receiver_next)) = next_tsns {
                    buf.put_u32(sender_next.0);
                    buf.put_u32(receiver_next.0);
                }
            }
            Param::AddOutgoingStreams {
                request_seq,
                new_streams,
            }
            | Param::AddIncomingStreams {
                request_seq,
                new_streams,
            } => {
                buf.put_u32(*request_seq);
                buf.put_u16(*new_streams);
                // RFC 6525 §4.5, §4.6: Reserved, sent as 0.
                buf.put_u16(0);
            }
            Param::ZeroChecksumAcceptable { edmid } => buf.put_u32(*edmid),
            Param::SupportedExtensions(list) => buf.put_slice(list.as_bytes()),
            Param::ForwardTsnSupported => {}
        }
    }
}

impl Encode for Param {
    fn encoded_len(&self) -> usize {
        4 + self.value_len()
    }

    fn encode(&self, buf: &mut BytesMut) {
        put_tlv_header(buf, self.param_type().0, self.encoded_len());
        self.encode_value(buf);
    }
}

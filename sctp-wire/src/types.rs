//! Type codes of chunks, parameters and error causes, and the action the
//! upper bits of an unrecognized type ask for (RFC 9260 §3.2, §3.2.1).

use std::fmt;

/// What to do with a chunk or parameter whose type is not recognized,
/// read from the two highest-order bits of its type.
///
/// RFC 9260 §3.2 (chunks) and §3.2.1 (parameters) give the same four
/// actions; for a chunk "stop" means dropping the rest of the packet, for
/// a parameter it means not processing the rest of the chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnrecognizedAction {
    /// `00`: stop processing and discard silently.
    Stop,
    /// `01`: stop processing and report the type in an ERROR (or INIT ACK).
    StopAndReport,
    /// `10`: skip this element and continue.
    Skip,
    /// `11`: skip this element, continue, and report it.
    SkipAndReport,
}

impl UnrecognizedAction {
    fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0b00 => UnrecognizedAction::Stop,
            0b01 => UnrecognizedAction::StopAndReport,
            0b10 => UnrecognizedAction::Skip,
            _ => UnrecognizedAction::SkipAndReport,
        }
    }

    /// Whether processing goes on past the unrecognized element.
    pub fn skips(self) -> bool {
        matches!(
            self,
            UnrecognizedAction::Skip | UnrecognizedAction::SkipAndReport
        )
    }

    /// Whether the element is reported back to the peer.
    pub fn reports(self) -> bool {
        matches!(
            self,
            UnrecognizedAction::StopAndReport | UnrecognizedAction::SkipAndReport
        )
    }
}

macro_rules! type_code {
    (
        $(#[$meta:meta])*
        $name:ident($int:ty) { $( $(#[$cmeta:meta])* $konst:ident = $val:expr, $label:expr; )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $int);

        impl $name {
            $( $(#[$cmeta])* pub const $konst: $name = $name($val); )*

            /// The name the RFCs give this type, if it is one this crate knows.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $val => Some($label), )*
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(name) => write!(f, "{name} ({})", self.0),
                    None => write!(f, "type {:#x}", self.0),
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(self, f)
            }
        }

        impl From<$int> for $name {
            fn from(v: $int) -> Self {
                $name(v)
            }
        }
    };
}

type_code! {
    /// A chunk type (RFC 9260 §3.2, IANA "Chunk Types").
    ChunkType(u8) {
        /// Payload data (RFC 9260 §3.3.1).
        DATA = 0, "DATA";
        /// Initiation (RFC 9260 §3.3.2).
        INIT = 1, "INIT";
        /// Initiation acknowledgement (RFC 9260 §3.3.3).
        INIT_ACK = 2, "INIT ACK";
        /// Selective acknowledgement (RFC 9260 §3.3.4).
        SACK = 3, "SACK";
        /// Heartbeat request (RFC 9260 §3.3.5).
        HEARTBEAT = 4, "HEARTBEAT";
        /// Heartbeat acknowledgement (RFC 9260 §3.3.6).
        HEARTBEAT_ACK = 5, "HEARTBEAT ACK";
        /// Abort (RFC 9260 §3.3.7).
        ABORT = 6, "ABORT";
        /// Shutdown (RFC 9260 §3.3.8).
        SHUTDOWN = 7, "SHUTDOWN";
        /// Shutdown acknowledgement (RFC 9260 §3.3.9).
        SHUTDOWN_ACK = 8, "SHUTDOWN ACK";
        /// Operation error (RFC 9260 §3.3.10).
        ERROR = 9, "ERROR";
        /// State cookie echo (RFC 9260 §3.3.11).
        COOKIE_ECHO = 10, "COOKIE ECHO";
        /// Cookie acknowledgement (RFC 9260 §3.3.12).
        COOKIE_ACK = 11, "COOKIE ACK";
        /// ECN echo (RFC 9260 Appendix A); decoded as an unknown chunk.
        ECNE = 12, "ECNE";
        /// Congestion window reduced (RFC 9260 Appendix A); decoded as an unknown chunk.
        CWR = 13, "CWR";
        /// Shutdown complete (RFC 9260 §3.3.13).
        SHUTDOWN_COMPLETE = 14, "SHUTDOWN COMPLETE";
        /// Authentication (RFC 4895); decoded as an unknown chunk.
        AUTH = 15, "AUTH";
        /// Interleaved data (RFC 8260 §2.1).
        I_DATA = 64, "I-DATA";
        /// Address configuration acknowledgement (RFC 5061); decoded as an unknown chunk.
        ASCONF_ACK = 128, "ASCONF ACK";
        /// Stream re-configuration (RFC 6525 §3.1).
        RE_CONFIG = 130, "RE-CONFIG";
        /// Padding (RFC 4820 §3).
        PAD = 132, "PAD";
        /// Forward cumulative TSN (RFC 3758 §3.2).
        FORWARD_TSN = 192, "FORWARD TSN";
        /// Address configuration change (RFC 5061); decoded as an unknown chunk.
        ASCONF = 193, "ASCONF";
        /// Interleaved forward cumulative TSN (RFC 8260 §2.3.1).
        I_FORWARD_TSN = 194, "I-FORWARD TSN";
    }
}

impl ChunkType {
    /// RFC 9260 §3.2: the action the two highest bits ask for when this
    /// type is not recognized.
    pub fn unrecognized_action(self) -> UnrecognizedAction {
        UnrecognizedAction::from_bits(self.0 >> 6)
    }
}

type_code! {
    /// A parameter type (RFC 9260 §3.2.1, IANA "Chunk Parameter Types").
    ParamType(u16) {
        /// Heartbeat information (RFC 9260 §3.3.5).
        HEARTBEAT_INFO = 1, "Heartbeat Info";
        /// IPv4 address (RFC 9260 §3.3.2.1).
        IPV4_ADDRESS = 5, "IPv4 Address";
        /// IPv6 address (RFC 9260 §3.3.2.1).
        IPV6_ADDRESS = 6, "IPv6 Address";
        /// State cookie (RFC 9260 §3.3.3.1).
        STATE_COOKIE = 7, "State Cookie";
        /// Unrecognized parameter (RFC 9260 §3.3.3.1).
        UNRECOGNIZED_PARAMETER = 8, "Unrecognized Parameter";
        /// Cookie preservative (RFC 9260 §3.3.2.1).
        COOKIE_PRESERVATIVE = 9, "Cookie Preservative";
        /// Host name address, no longer supported (RFC 9260 §3.3.2.1).
        HOST_NAME_ADDRESS = 11, "Host Name Address";
        /// Supported address types (RFC 9260 §3.3.2.1).
        SUPPORTED_ADDRESS_TYPES = 12, "Supported Address Types";
        /// Outgoing SSN reset request (RFC 6525 §4.1).
        OUTGOING_SSN_RESET_REQUEST = 13, "Outgoing SSN Reset Request";
        /// Incoming SSN reset request (RFC 6525 §4.2).
        INCOMING_SSN_RESET_REQUEST = 14, "Incoming SSN Reset Request";
        /// SSN/TSN reset request (RFC 6525 §4.3).
        SSN_TSN_RESET_REQUEST = 15, "SSN/TSN Reset Request";
        /// Re-configuration response (RFC 6525 §4.4).
        RECONFIGURATION_RESPONSE = 16, "Re-configuration Response";
        /// Add outgoing streams request (RFC 6525 §4.5).
        ADD_OUTGOING_STREAMS_REQUEST = 17, "Add Outgoing Streams Request";
        /// Add incoming streams request (RFC 6525 §4.6).
        ADD_INCOMING_STREAMS_REQUEST = 18, "Add Incoming Streams Request";
        /// ECN capable (RFC 9260 Appendix A); decoded as an unknown parameter.
        ECN_CAPABLE = 0x8000, "ECN Capable";
        /// Zero checksum acceptable (RFC 9653 §4).
        ZERO_CHECKSUM_ACCEPTABLE = 0x8001, "Zero Checksum Acceptable";
        /// Random (RFC 4895); decoded as an unknown parameter.
        RANDOM = 0x8002, "Random";
        /// Chunk list (RFC 4895); decoded as an unknown parameter.
        CHUNK_LIST = 0x8003, "Chunk List";
        /// Requested HMAC algorithm (RFC 4895); decoded as an unknown parameter.
        HMAC_ALGORITHM = 0x8004, "Requested HMAC Algorithm";
        /// Padding (RFC 4820 §4).
        PADDING = 0x8005, "Padding";
        /// Supported extensions (RFC 5061 §4.2.7).
        SUPPORTED_EXTENSIONS = 0x8008, "Supported Extensions";
        /// Forward-TSN supported (RFC 3758 §3.1).
        FORWARD_TSN_SUPPORTED = 0xC000, "Forward-TSN-Supported";
        /// Adaptation layer indication (RFC 5061); decoded as an unknown parameter.
        ADAPTATION_LAYER_INDICATION = 0xC006, "Adaptation Layer Indication";
    }
}

impl ParamType {
    /// RFC 9260 §3.2.1: the action the two highest bits ask for when this
    /// type is not recognized.
    pub fn unrecognized_action(self) -> UnrecognizedAction {
        UnrecognizedAction::from_bits((self.0 >> 14) as u8)
    }
}

type_code! {
    /// An error cause code (RFC 9260 §3.3.10, IANA "Error Cause Codes").
    CauseCode(u16) {
        /// Invalid stream identifier (RFC 9260 §3.3.10.1).
        INVALID_STREAM_IDENTIFIER = 1, "Invalid Stream Identifier";
        /// Missing mandatory parameter (RFC 9260 §3.3.10.2).
        MISSING_MANDATORY_PARAMETER = 2, "Missing Mandatory Parameter";
        /// Stale cookie (RFC 9260 §3.3.10.3).
        STALE_COOKIE = 3, "Stale Cookie";
        /// Out of resource (RFC 9260 §3.3.10.4).
        OUT_OF_RESOURCE = 4, "Out of Resource";
        /// Unresolvable address (RFC 9260 §3.3.10.5).
        UNRESOLVABLE_ADDRESS = 5, "Unresolvable Address";
        /// Unrecognized chunk type (RFC 9260 §3.3.10.6).
        UNRECOGNIZED_CHUNK_TYPE = 6, "Unrecognized Chunk Type";
        /// Invalid mandatory parameter (RFC 9260 §3.3.10.7).
        INVALID_MANDATORY_PARAMETER = 7, "Invalid Mandatory Parameter";
        /// Unrecognized parameters (RFC 9260 §3.3.10.8).
        UNRECOGNIZED_PARAMETERS = 8, "Unrecognized Parameters";
        /// No user data (RFC 9260 §3.3.10.9).
        NO_USER_DATA = 9, "No User Data";
        /// Cookie received while shutting down (RFC 9260 §3.3.10.10).
        COOKIE_RECEIVED_WHILE_SHUTTING_DOWN = 10, "Cookie Received While Shutting Down";
        /// Restart of an association with new addresses (RFC 9260 §3.3.10.11).
        RESTART_WITH_NEW_ADDRESSES = 11, "Restart of an Association with New Addresses";
        /// User-initiated abort (RFC 9260 §3.3.10.12).
        USER_INITIATED_ABORT = 12, "User-Initiated Abort";
        /// Protocol violation (RFC 9260 §3.3.10.13).
        PROTOCOL_VIOLATION = 13, "Protocol Violation";
    }
}

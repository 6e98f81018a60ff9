//! The pair bench's transfer through sctp-proto 0.10 (the sans-IO SCTP of
//! webrtc-rs, whose speed issue 4 quotes for scale), set up like ours:
//! two associations on one thread, 1200-byte packets, 1 MiB receive
//! buffer, at most 1 MiB queued by the sender, no loss. Its handshake is
//! skipped with SNAP tokens; it costs nothing against 64 MiB either way.

use bytes::Bytes;
use sctp_proto::{
    generate_snap_token, Association, AssociationHandle, ClientConfig, DatagramEvent, Endpoint,
    EndpointConfig, Payload, PayloadProtocolIdentifier, TransportConfig,
};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// User data per DATA chunk for 1200-byte packets: the packet less the
/// common header (12 bytes) and the DATA chunk header (16).
const MAX_PAYLOAD: u32 = 1200 - 28;

/// The most bytes the sender keeps queued, as our pair's send buffer.
const SEND_BUFFER: usize = 1 << 20;

/// The stream both sides use.
const STREAM: u16 = 0;

struct Side {
    endpoint: Endpoint,
    association: Association,
    handle: AssociationHandle,
    addr: SocketAddr,
}

impl Side {
    fn new(port: u16, local: Bytes, remote: Bytes, peer: SocketAddr) -> Side {
        let mut config = EndpointConfig::new();
        config.max_payload_size(MAX_PAYLOAD);
        let mut endpoint = Endpoint::new(Arc::new(config), None);
        let (handle, mut association) = endpoint
            .connect(ClientConfig::new().with_snap(local, remote), peer)
            .expect("sctp-proto connects");
        association
            .open_stream(STREAM, PayloadProtocolIdentifier::Binary)
            .expect("stream opens");
        Side {
            endpoint,
            association,
            handle,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    /// Hands `peer` every datagram this side has to send; whether any.
    fn send_to(&mut self, peer: &mut Side, now: Instant) -> bool {
        let mut moved = false;
        loop {
            while let Some(event) = self.association.poll_endpoint_event() {
                if let Some(event) = self.endpoint.handle_event(self.handle, event) {
                    self.association.handle_event(event);
                }
            }
            while self.association.poll().is_some() {}
            let Some(transmit) = self
                .association
                .poll_transmit(now)
                .or_else(|| self.endpoint.poll_transmit())
            else {
                return moved;
            };
            if let Payload::RawEncode(datagrams) = transmit.payload {
                for datagram in datagrams {
                    let from = self.addr;
                    if let Some((_, DatagramEvent::AssociationEvent(event))) =
                        peer.endpoint.handle(now, from, None, None, datagram)
                    {
                        peer.association.handle_event(event);
                    }
                    moved = true;
                }
            }
        }
    }
}

/// Sends `total` bytes as messages of `size` bytes; returns the bytes read.
pub(crate) fn transfer(total: usize, size: usize) -> usize {
    let transport = TransportConfig::default();
    let token_a = generate_snap_token(&transport).expect("token");
    let token_z = generate_snap_token(&transport).expect("token");
    let (addr_a, addr_z) = (
        SocketAddr::from(([127, 0, 0, 1], 5000)),
        SocketAddr::from(([127, 0, 0, 1], 5001)),
    );
    let mut a = Side::new(5000, token_a.clone(), token_z.clone(), addr_z);
    let mut z = Side::new(5001, token_z, token_a, addr_a);
    #[allow(clippy::disallowed_methods)] // the run's epoch; time is virtual after it
    let mut now = Instant::now();
    let message = Bytes::from(vec![0x5a; size]);
    let (mut sent, mut read) = (0, 0);
    while read < total {
        let mut stream = a.association.stream(STREAM).expect("stream");
        while sent < total && stream.buffered_amount().expect("stream") < SEND_BUFFER {
            stream
                .write_sctp(&message, PayloadProtocolIdentifier::Binary)
                .expect("write");
            sent += size;
        }
        let mut moved = false;
        while a.send_to(&mut z, now) | z.send_to(&mut a, now) {
            moved = true;
        }
        let mut stream = z.association.stream(STREAM).expect("stream");
        while let Some(message) = stream.read().expect("read") {
            read += message.len();
        }
        if !moved {
            // Only timers (the delayed SACK) can move things on.
            now = a
                .association
                .poll_timeout()
                .into_iter()
                .chain(z.association.poll_timeout())
                .min()
                .unwrap_or(now + Duration::from_millis(1));
            a.association.handle_timeout(now);
            z.association.handle_timeout(now);
        }
    }
    read
}

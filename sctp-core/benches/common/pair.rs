//! The in-memory pair of issue 4's bench, shared by `benches/pair.rs` and
//! `examples/pair_transfer.rs`: two associations on one thread, 1200-byte
//! MTU, no loss.

use bytes::Bytes;
use sctp_core::{Association, Config, SeededRandom, SendError, State};
use sctp_wire::Ppid;
use std::time::{Duration, Instant};

fn config(zero_checksum: bool) -> Config {
    Config {
        zero_checksum,
        mtu: 1200,
        max_message_size: 64 * 1024,
        // The buffers are the defaults (1 MiB each, pion's receive buffer
        // size) that users get. The received datagrams stay in memory
        // until read, so larger buffers make the transfer a walk through
        // cold memory: 4 MiB ones cost 17-27 % of the speed on this machine.
        heartbeat_interval: None,
        ..Config::default()
    }
}

/// Moves packets both ways until neither side has anything to send.
fn exchange(a: &mut Association, z: &mut Association, now: Instant) -> bool {
    let mut moved = false;
    loop {
        let mut any = false;
        while let Some(d) = a.poll_transmit(now) {
            z.handle_datagram(now, d);
            any = true;
        }
        while let Some(d) = z.poll_transmit(now) {
            a.handle_datagram(now, d);
            any = true;
        }
        if !any {
            return moved;
        }
        moved = true;
    }
}

/// Sends `total` bytes as messages of `size` bytes; returns the bytes read.
pub(crate) fn transfer(total: usize, size: usize, zero_checksum: bool) -> usize {
    #[allow(clippy::disallowed_methods)] // the run's epoch; time is virtual after it
    let mut now = Instant::now();
    let mut a = Association::client(config(zero_checksum), now, Box::new(SeededRandom::new(1)));
    let mut z = Association::server(config(zero_checksum), now, Box::new(SeededRandom::new(2)));
    exchange(&mut a, &mut z, now);
    assert_eq!(a.state(), State::Established);
    let message = Bytes::from(vec![0x5a; size]);
    let (mut sent, mut read) = (0, 0);
    while read < total {
        while sent < total {
            match a.send(now, 0, Ppid::BINARY, false, message.clone()) {
                Ok(()) => sent += size,
                Err(SendError::BufferFull { .. }) => break,
                Err(e) => panic!("{e}"),
            }
        }
        let moved = exchange(&mut a, &mut z, now);
        while let Some(m) = z.read() {
            read += m.payload.len();
        }
        if !moved {
            // Only timers (the delayed SACK) can move things on.
            now = a
                .poll_timeout()
                .into_iter()
                .chain(z.poll_timeout())
                .min()
                .unwrap_or(now + Duration::from_millis(1));
            a.handle_timeout(now);
            z.handle_timeout(now);
        }
    }
    read
}

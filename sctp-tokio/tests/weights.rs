//! Stream weights for the weighted-fair-queueing scheduler (RFC 8260
//! §3.6), set on a `Stream`.

mod common;

use common::{config, connected};
use sctp_tokio::{Config, Ppid, Scheduler};
use std::num::NonZeroU16;

fn weight(n: u16) -> NonZeroU16 {
    NonZeroU16::new(n).unwrap()
}

#[tokio::test]
async fn a_stream_takes_a_weight_under_weighted_fair_queueing() {
    let wfq = Config {
        scheduler: Scheduler::WeightedFair,
        ..config()
    };
    let (client, _server) = connected(wfq, config()).await;
    let stream = client.open_stream(1, Ppid::BINARY).unwrap();
    assert_eq!(stream.weight().get(), 1);
    stream.set_weight(weight(3)).unwrap();
    assert_eq!(stream.weight().get(), 3);
    // Another stream keeps its own.
    let other = client.open_stream(2, Ppid::BINARY).unwrap();
    assert_eq!(other.weight().get(), 1);
}

#[tokio::test]
async fn other_schedulers_ignore_weights() {
    let (client, _server) = connected(config(), config()).await;
    let stream = client.open_stream(1, Ppid::BINARY).unwrap();
    stream.set_weight(weight(5)).unwrap();
    assert_eq!(stream.weight().get(), 1, "FCFS has no use for it");
}

#[tokio::test]
async fn a_closed_association_refuses_a_weight() {
    let (client, _server) = connected(config(), config()).await;
    let stream = client.open_stream(1, Ppid::BINARY).unwrap();
    client.abort("done");
    client.closed().await;
    assert!(stream.set_weight(weight(2)).is_err());
}

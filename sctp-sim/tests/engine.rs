//! The engine end to end: real associations over simulated links, the
//! same seed giving the same trace hash, and the invariant checker
//! passing clean runs and failing broken ones.

use sctp_sim::{RunFailure, RunReport, Scenario, Simulation};
use std::time::Instant;

fn base() -> Instant {
    #[allow(clippy::disallowed_methods)]
    Instant::now()
}

fn run(text: &str, seed: Option<u64>) -> RunReport {
    let mut scenario = Scenario::from_toml("test", text).expect("parses");
    if let Some(seed) = seed {
        scenario.seed = seed;
    }
    Simulation::new(scenario.compile().expect("valid"), base()).run(&mut |_| {})
}

const IMPAIRED: &str = r#"
    name = "impaired"
    duration_ms = 60000
    [[links]]
    name = "l"
    forward = { bandwidth_mbps = 20, delay_ms = 10, jitter_ms = 2, queue_bytes = 40000, loss = { bernoulli = { p = 0.02 } }, reorder = { probability = 0.05, extra_delay_ms = 4 }, duplicate = 0.01, corrupt = 0.01 }
    [[associations]]
    name = "messages"
    link = "l"
    config = { rto_min_ms = 100, rto_initial_ms = 300 }
    workload = { kind = "messages", count = 1500, size = { uniform = { min = 16, max = 3000 } }, streams = 4, unordered_share = 0.3 }
"#;

#[test]
fn the_same_seed_gives_a_bit_identical_run_and_another_seed_another() {
    let a = run(IMPAIRED, Some(7));
    let b = run(IMPAIRED, Some(7));
    let c = run(IMPAIRED, Some(8));
    assert!(a.passed(), "{:?}", a.failure);
    assert!(c.passed(), "{:?}", c.failure);
    assert_eq!(a.trace_hash, b.trace_hash);
    assert_eq!(a.trace_records, b.trace_records);
    assert_eq!(a, b, "every figure of the report repeats");
    assert_ne!(a.trace_hash, c.trace_hash);
    // The impairments were exercised and survived.
    let f = &a.links[0].forward;
    assert!(
        f.lost > 0 && f.reordered > 0 && f.duplicated > 0 && f.corrupted > 0,
        "{f:?}"
    );
    assert_eq!(a.flows[0].messages_delivered, 1500);
    assert!(a.flows[0].retransmissions > 0);
    assert_eq!(
        a.flows[0].corrupted_caught,
        a.links[0].forward.corrupted + a.links[0].reverse.corrupted
    );
}

#[test]
fn a_clean_bulk_transfer_fills_the_link() {
    let r = run(
        r#"
        name = "clean"
        duration_ms = 20000
        [[links]]
        name = "l"
        forward = { bandwidth_mbps = 10, delay_ms = 5, queue_bytes = 100000 }
        [[associations]]
        name = "bulk"
        link = "l"
        workload = { kind = "bulk", bytes = 3000000, message_size = 1000 }
        "#,
        None,
    );
    assert!(r.passed(), "{:?}", r.failure);
    let f = &r.flows[0];
    assert_eq!(f.bytes_delivered, 3_000_000);
    let util = f.utilisation().expect("finite link");
    // Headers (12 + 16 bytes per ~1150 of data) and slow start keep it
    // below 1; anything under 80 % would mean the sender idles.
    assert!((0.8..1.0).contains(&util), "utilisation {util}");
    // Both sides closed gracefully.
    assert!(f
        .closed
        .iter()
        .all(|c| c.as_ref().is_some_and(|(_, r)| r == "shut down")));
}

#[test]
fn a_flow_given_too_little_time_fails_as_unfinished() {
    let r = run(
        r#"
        name = "short"
        duration_ms = 500
        [[links]]
        name = "l"
        forward = { bandwidth_mbps = 1, delay_ms = 5 }
        [[associations]]
        name = "bulk"
        link = "l"
        workload = { kind = "bulk", bytes = 1000000 }
        "#,
        None,
    );
    match r.failure {
        Some(RunFailure::Violation(v)) => {
            let text = v.to_string();
            assert!(text.contains("never delivered"), "{text}");
            assert_eq!(v.flow, "bulk");
        }
        other => panic!("expected a violation, got {other:?}"),
    }
}

#[test]
fn an_unscripted_close_is_a_violation() {
    // The link dies for good: the client gives up retransmitting.
    let r = run(
        r#"
        name = "dead"
        duration_ms = 600000
        [[links]]
        name = "l"
        forward = { delay_ms = 5, outages = [{ start_ms = 200, end_ms = 600000 }] }
        [[associations]]
        name = "bulk"
        link = "l"
        config = { rto_max_ms = 2000, max_retrans = 3 }
        workload = { kind = "messages", count = 100, size = { fixed = 100 }, interval_ms = { fixed = 10 } }
        "#,
        None,
    );
    let text = r.failure.map(|f| f.to_string()).unwrap_or_default();
    assert!(
        text.contains("closed unexpectedly: peer unreachable"),
        "{text}"
    );
}

#[test]
fn codel_keeps_the_bloated_queue_short_without_breaking_delivery() {
    let scenario = |aqm: &str| {
        format!(
            r#"
            name = "bloat"
            duration_ms = 60000
            [[links]]
            name = "l"
            forward = {{ bandwidth_mbps = 2, delay_ms = 15, queue_bytes = 400000, aqm = {aqm} }}
            [[associations]]
            name = "upload"
            link = "l"
            config = {{ rto_min_ms = 200, rto_initial_ms = 500 }}
            workload = {{ kind = "bulk", bytes = 2000000 }}
            "#
        )
    };
    let tail = run(&scenario("\"drop_tail\""), None);
    let codel = run(
        &scenario("{ codel = { target_ms = 5, interval_ms = 100 } }"),
        None,
    );
    assert!(tail.passed(), "{:?}", tail.failure);
    assert!(codel.passed(), "{:?}", codel.failure);
    let p99 = |r: &RunReport| r.flows[0].queue_delay_ms.expect("measured").p99;
    assert!(p99(&tail) > 500.0, "drop-tail p99 {}", p99(&tail));
    assert!(p99(&codel) < p99(&tail) / 4.0, "CoDel p99 {}", p99(&codel));
    assert!(codel.links[0].forward.aqm_drops > 0);
    assert_eq!(tail.links[0].forward.aqm_drops, 0);
    // The goodput barely suffers.
    let g = |r: &RunReport| r.flows[0].goodput_bps.expect("measured");
    assert!(g(&codel) > 0.8 * g(&tail), "{} vs {}", g(&codel), g(&tail));
}

/// The chunk types of a packet.
fn chunk_types(packet: &bytes::Bytes) -> Vec<sctp_wire::ChunkType> {
    use sctp_wire::{ChecksumCheck, Packet};
    match Packet::decode(packet.clone(), ChecksumCheck::Skip) {
        Ok(p) => p.raw_chunks().flatten().map(|c| c.kind).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn a_tap_can_drop_chosen_packets_and_the_association_recovers() {
    use sctp_wire::ChunkType;
    let scenario = Scenario::from_toml(
        "tap",
        r#"
        name = "tap"
        duration_ms = 60000
        [[links]]
        name = "l"
        forward = { bandwidth_mbps = 10, delay_ms = 10 }
        [[associations]]
        name = "a"
        link = "l"
        config = { rto_min_ms = 100, rto_initial_ms = 300 }
        workload = { kind = "bulk", bytes = 100000 }
        "#,
    )
    .expect("parses");
    let mut cookie_echoes = 0;
    let mut data = 0;
    let mut dropped = Vec::new();
    let report = Simulation::new(scenario.compile().expect("valid"), base())
        .with_tap(|p| {
            let types = chunk_types(p.packet);
            // The first COOKIE ECHO and the third DATA packet are lost.
            if types.contains(&ChunkType::COOKIE_ECHO) {
                cookie_echoes += 1;
                if cookie_echoes == 1 {
                    dropped.push(p.at);
                    return false;
                }
            }
            if types.contains(&ChunkType::DATA) {
                data += 1;
                if data == 3 {
                    dropped.push(p.at);
                    return false;
                }
            }
            true
        })
        .run(&mut |_| {});
    assert!(report.passed(), "{:?}", report.failure);
    assert_eq!(
        cookie_echoes, 2,
        "the COOKIE ECHO went again after T1-cookie"
    );
    assert_eq!(dropped.len(), 2);
    // T1-cookie is RTO.Initial: the second COOKIE ECHO leaves 300 ms later.
    assert!(report.flows[0].retransmissions >= 1);
    assert_eq!(report.flows[0].bytes_delivered, 100_000);
}

#[test]
fn a_pcap_capture_of_a_run_holds_every_packet_sent() {
    use sctp_sim::pcap::PcapWriter;
    let scenario = Scenario::from_toml("pcap", IMPAIRED).expect("parses");
    let mut pcap = PcapWriter::new(Vec::new()).expect("in memory");
    let mut error = None;
    let report = Simulation::new(scenario.compile().expect("valid"), base())
        .with_tap(|p| {
            if let Err(e) = pcap.packet(p.at, p.flow, p.from, p.packet) {
                error.get_or_insert(e);
            }
            true
        })
        .run(&mut |_| {});
    assert!(error.is_none());
    assert!(report.passed(), "{:?}", report.failure);
    let offered = report.links[0].forward.offered + report.links[0].reverse.offered;
    assert_eq!(pcap.packets(), offered);
}

#[test]
fn a_held_link_causes_spurious_retransmissions_but_no_duplicate_delivery() {
    let r = run(
        r#"
        name = "hold"
        duration_ms = 60000
        [[links]]
        name = "l"
        forward = { bandwidth_mbps = 10, delay_ms = 10, queue_bytes = 100000, holds = [{ start_ms = 500, end_ms = 2500 }] }
        [[associations]]
        name = "a"
        link = "l"
        config = { rto_min_ms = 100, rto_initial_ms = 300 }
        workload = { kind = "messages", count = 2000, size = { fixed = 500 }, interval_ms = { fixed = 1 } }
        "#,
        None,
    );
    assert!(r.passed(), "{:?}", r.failure);
    assert!(r.links[0].forward.held > 0 && r.links[0].reverse.held > 0);
    // T3 fired during the hold; the originals arrived after all, so the
    // receiver saw the same TSNs twice and delivered each message once.
    assert!(r.flows[0].t3_expiries > 0);
    assert!(r.flows[0].duplicate_tsns > 0);
    assert_eq!(r.flows[0].messages_delivered, 2000);
}

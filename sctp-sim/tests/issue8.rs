//! Issue 8, the simulator's proof: BBR beside the RFC 9260 controller in
//! the committed scenarios `bbr-1bdp`, `bbr-loss-1pct`, `bbr-deep-buffer`,
//! `fairness-two-flows` and `tail-loss-probe`.
//!
//! CI runs the debug build on two cores, so the tests below shorten the
//! bulk transfers (and the fairness test scales its link down) and say
//! what the full-length run gives. The full-length runs are the
//! `#[ignore]`d tests at the end: `cargo xtask sim --issue8` runs them in
//! release mode (under a minute) and prints their figures.
//!
//! "Steady state" is the mean delivery rate (user bytes, from the time
//! series) over a window after Startup or slow start and before either
//! flow finishes; the report's own `util` column covers the whole
//! transfer, start included.

use sctp_sim::report::{FlowReport, RunReport};
use sctp_sim::workload::WorkloadSpec;
use sctp_sim::{Scenario, Simulation, Tapped};
use sctp_wire::{ChecksumCheck, ChunkType, Packet};
use std::path::Path;
use std::time::Instant;

/// The committed scenario `scenarios/{name}.toml`.
fn scenario(name: &str) -> Scenario {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"));
    Scenario::load(&path).expect("the scenario file parses")
}

fn base() -> Instant {
    #[allow(clippy::disallowed_methods)] // the epoch of virtual time
    Instant::now()
}

/// Runs `s`, showing every packet sent to `tap`; every invariant must hold.
fn run_tapped(s: &Scenario, tap: impl FnMut(&Tapped<'_>) -> bool) -> RunReport {
    let report = Simulation::new(s.compile().expect("compiles"), base())
        .with_tap(tap)
        .run(&mut |_| {});
    assert!(
        report.passed(),
        "{}: {}",
        s.name,
        report
            .failure
            .as_ref()
            .map(|f| f.to_string())
            .unwrap_or_default()
    );
    report
}

fn run(s: &Scenario) -> RunReport {
    run_tapped(s, |_| true)
}

/// Every bulk workload of `s` moves `bytes` instead.
fn with_bulk_bytes(mut s: Scenario, bytes: u64) -> Scenario {
    for a in &mut s.associations {
        if let WorkloadSpec::Bulk { bytes: b, .. } = &mut a.workload {
            *b = bytes;
        }
    }
    s
}

fn flow<'r>(r: &'r RunReport, name: &str) -> &'r FlowReport {
    r.flows
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no flow `{name}`"))
}

/// Mean delivery rate in Mbit/s over the samples in `(from_s, to_s]`.
fn mean_mbps(f: &FlowReport, from_s: f64, to_s: f64) -> f64 {
    let window: Vec<f64> = f
        .series
        .iter()
        .filter(|p| p.t > from_s && p.t <= to_s)
        .map(|p| p.delivery_mbps)
        .collect();
    assert!(!window.is_empty(), "{}: no samples in the window", f.name);
    assert!(
        f.completion_s.is_none_or(|done| done >= to_s),
        "{} finished at {:?}, inside the window",
        f.name,
        f.completion_s
    );
    window.iter().sum::<f64>() / window.len() as f64
}

/// Goodput over `(from_s, to_s]` as a share of the link's capacity.
fn steady_utilisation(f: &FlowReport, from_s: f64, to_s: f64) -> f64 {
    let capacity_mbps = f.capacity_bps.expect("a finite link") as f64 / 1e6;
    mean_mbps(f, from_s, to_s) / capacity_mbps
}

/// Jain's fairness index: (Σx)² / (n·Σx²), 1 when all are equal.
fn jain(x: &[f64]) -> f64 {
    let sum: f64 = x.iter().sum();
    let squares: f64 = x.iter().map(|v| v * v).sum();
    sum * sum / (x.len() as f64 * squares)
}

/// Mathis et al. (1997): a Reno flow losing a share `p` of its packets
/// gets about MSS/RTT × 1.22/√p, in Mbit/s.
fn mathis_mbps(mss_bytes: f64, rtt_s: f64, p: f64) -> f64 {
    mss_bytes * 8.0 / rtt_s * 1.22 / p.sqrt() / 1e6
}

/// Issue 8 (1): one BDP of buffer, no random loss; both controllers
/// above 90 % in steady state. Full length (200 MB each, steady state
/// 5-15 s): RFC 9260 97.5 %, BBR 96.6 %; whole transfer 95 % each.
fn check_one_bdp(r: &RunReport, window: (f64, f64)) {
    for name in ["rfc9260", "bbr"] {
        let util = steady_utilisation(flow(r, name), window.0, window.1);
        println!("bbr-1bdp: {name} steady-state utilisation {util:.3}");
        assert!(util > 0.9, "{name}: {util}");
    }
    // BBR keeps the queue short; RFC 9260 fills and drains it.
    let (bbr, rfc) = (flow(r, "bbr"), flow(r, "rfc9260"));
    let (bq, rq) = (
        bbr.queue_delay_ms.expect("queued").p50,
        rfc.queue_delay_ms.expect("queued").p50,
    );
    assert!(
        bq < 5.0 && rq > 10.0,
        "queue p50: bbr {bq} ms, rfc9260 {rq} ms"
    );
}

#[test]
fn one_bdp_buffer_both_above_90_percent_and_bbr_paces() {
    // 30 MB each (done at 2.9 s); the steady state is 1.5-2.5 s: RFC 9260
    // 97.5 %, BBR 96.7 %.
    let s = with_bulk_bytes(scenario("bbr-1bdp"), 30_000_000);
    let bbr = s
        .associations
        .iter()
        .position(|a| a.cc == "bbr")
        .expect("a BBR flow");
    // Send times of the DATA packets after Startup, per flow.
    let mut sent: [Vec<u64>; 2] = [Vec::new(), Vec::new()];
    let report = run_tapped(&s, |p| {
        let data = Packet::decode(p.packet.clone(), ChecksumCheck::Skip)
            .is_ok_and(|d| d.raw_chunks().flatten().any(|c| c.kind == ChunkType::DATA));
        if data && p.at > 1_500_000_000 {
            sent[usize::from(p.flow == bbr)].push(p.at);
        }
        true
    });
    check_one_bdp(&report, (1.5, 2.5));
    // Pacing: BBR's packets leave one by one at about the link rate (a
    // 1128-byte packet takes 90 µs at 100 Mbit/s); the SACK-clocked RFC
    // 9260 sender sends two at once for each SACK of two.
    let back_to_back = |times: &[u64]| {
        let pairs = times.windows(2).filter(|w| w[1] == w[0]).count();
        pairs as f64 / times.len() as f64
    };
    let (rfc, paced) = (back_to_back(&sent[0]), back_to_back(&sent[1]));
    println!("bbr-1bdp: packets sent back to back: rfc9260 {rfc:.3}, bbr {paced:.3}");
    assert!(paced < 0.01, "BBR sent {paced} of its packets back to back");
    assert!(rfc > 0.3, "RFC 9260 sent {rfc} of its packets back to back");
}

/// Issue 8 (2): 1 % random loss; BBR above 85 % in steady state, RFC
/// 9260 within a factor of two of Mathis et al. (2.68 Mbit/s). Full
/// length (BBR 200 MB, steady state 5-15 s): BBR 91.6 % (91 % over the
/// whole transfer); RFC 9260 2.91 Mbit/s, 1.08 × the prediction.
fn check_loss(r: &RunReport, window: (f64, f64)) {
    let util = steady_utilisation(flow(r, "bbr"), window.0, window.1);
    println!("bbr-loss-1pct: bbr steady-state utilisation {util:.3}");
    assert!(util > 0.85, "bbr: {util}");
    // One 1100-byte message per packet; 40 ms of propagation and a queue
    // that random loss keeps empty.
    let predicted = mathis_mbps(1100.0, 0.040, 0.01);
    assert!((predicted - 2.68).abs() < 0.01, "{predicted}");
    let rfc = flow(r, "rfc9260").goodput_bps.expect("finished") / 1e6;
    println!("bbr-loss-1pct: rfc9260 {rfc:.2} Mbit/s, Mathis {predicted:.2} Mbit/s");
    assert!(
        rfc > predicted / 2.0 && rfc < predicted * 2.0,
        "rfc9260 {rfc} Mbit/s against {predicted}"
    );
}

#[test]
fn one_percent_loss_bbr_above_85_percent_rfc9260_as_mathis_predicts() {
    // BBR moves 60 MB (done at 5.5 s; steady state 1.5-5 s: 96 %; under
    // loss the in-order delivery comes in bursts, and a second is too short
    // a window); RFC 9260 keeps its 8 MB, which take it 22 s.
    let mut s = scenario("bbr-loss-1pct");
    for a in &mut s.associations {
        if let (WorkloadSpec::Bulk { bytes, .. }, "bbr") = (&mut a.workload, a.cc.as_str()) {
            *bytes = 60_000_000;
        }
    }
    check_loss(&run(&s), (1.5, 5.0));
}

/// Issue 8 (3): ten BDP of buffer; BBR's median queueing delay under
/// half the base RTT (20 ms), RFC 9260 fills the buffer (5 MB: 400 ms at
/// 100 Mbit/s). Full length: BBR p50 1.1 ms; RFC 9260 p50 290 ms, p99
/// 399.8 ms, 2404 packets dropped at the full queue.
fn check_deep_buffer(r: &RunReport) {
    let bbr = flow(r, "bbr").queue_delay_ms.expect("queued");
    let rfc = flow(r, "rfc9260").queue_delay_ms.expect("queued");
    println!(
        "bbr-deep-buffer: queueing delay p50 bbr {:.1} ms, rfc9260 {:.1} ms (p99 {:.1} ms)",
        bbr.p50, rfc.p50, rfc.p99
    );
    assert!(bbr.p50 < 20.0, "bbr queue p50 {} ms", bbr.p50);
    assert!(rfc.p99 > 0.95 * 400.0, "rfc9260 queue p99 {} ms", rfc.p99);
    let link = |name: &str| {
        r.links
            .iter()
            .find(|l| l.name == name)
            .expect("link")
            .forward
    };
    assert!(
        link("rfc9260-path").queue_drops > 0,
        "the buffer overflowed"
    );
    assert_eq!(link("bbr-path").queue_drops, 0);
}

#[test]
fn deep_buffer_bbr_keeps_the_queue_short_rfc9260_fills_it() {
    // 30 MB each: RFC 9260 p50 194 ms, p99 399.8 ms; BBR p50 1.6 ms.
    let s = with_bulk_bytes(scenario("bbr-deep-buffer"), 30_000_000);
    check_deep_buffer(&run(&s));
}

/// Issue 8 (4): Jain's index of the two flows of each controller, over
/// their delivery rates in the ten seconds after the first thirty (the
/// second flow starts 1 s after the first). Full length (100 Mbit/s,
/// 320 MB each): RFC 9260 0.980, BBR 0.977.
fn check_fairness(r: &RunReport) {
    for pair in [["rfc9260-a", "rfc9260-b"], ["bbr-a", "bbr-b"]] {
        let rates: Vec<f64> = pair
            .iter()
            .map(|name| mean_mbps(flow(r, name), 30.0, 40.0))
            .collect();
        let index = jain(&rates);
        println!("fairness-two-flows: {pair:?} 30-40 s {rates:.1?} Mbit/s, Jain {index:.3}");
        assert!(index > 0.9, "{pair:?}: {rates:?}, Jain {index}");
    }
}

#[test]
fn two_flows_of_one_controller_share_fairly_after_30_seconds() {
    // The link scaled down tenfold (10 Mbit/s, the same 40 ms RTT, a
    // 50 kB queue: still one BDP) and 30 MB per flow, so that the flows
    // still run at 40 s: RFC 9260 0.997, BBR 0.999.
    let mut s = scenario("fairness-two-flows");
    for l in &mut s.links {
        l.forward.bandwidth_mbps = Some(10.0);
        l.forward.queue_bytes = Some(50_000);
    }
    check_fairness(&run(&with_bulk_bytes(s, 30_000_000)));
}

/// Issue 8 (6): the last packets of a burst are lost. RACK-TLP's probe
/// recovers them after about two SRTTs; the three-miss rule has nothing
/// to count and waits for T3-rtx (RTO.Min 1 s).
#[test]
fn a_lost_tail_is_recovered_by_the_probe_long_before_the_rto() {
    let r = run(&scenario("tail-loss-probe"));
    for l in &r.links {
        assert!(
            l.forward.outage_drops > 0,
            "{}: the tail was not hit",
            l.name
        );
    }
    let (three, rack) = (flow(&r, "three-misses"), flow(&r, "rack-tlp"));
    let (t3, tlp) = (
        three.completion_s.expect("done"),
        rack.completion_s.expect("done"),
    );
    println!(
        "tail-loss-probe: three misses done at {t3:.2} s ({} T3), RACK-TLP at {tlp:.2} s ({} T3)",
        three.t3_expiries, rack.t3_expiries
    );
    assert!(three.t3_expiries >= 1);
    assert_eq!(rack.t3_expiries, 0);
    // The tail was sent at 0.33 s: RACK-TLP is done within 0.2 s more,
    // the three-miss rule a second later.
    assert!(tlp < 0.6, "RACK-TLP done at {tlp} s");
    assert!(t3 - tlp > 0.8, "three misses {t3} s, RACK-TLP {tlp} s");
}

#[test]
#[ignore = "full length, release mode: cargo xtask sim --issue8"]
fn full_length_one_bdp() {
    let r = run(&scenario("bbr-1bdp"));
    check_one_bdp(&r, (5.0, 15.0));
    for f in &r.flows {
        assert!(f.utilisation().expect("finite") > 0.9, "{}", f.name);
    }
}

#[test]
#[ignore = "full length, release mode: cargo xtask sim --issue8"]
fn full_length_one_percent_loss() {
    check_loss(&run(&scenario("bbr-loss-1pct")), (5.0, 15.0));
}

#[test]
#[ignore = "full length, release mode: cargo xtask sim --issue8"]
fn full_length_deep_buffer() {
    let r = run(&scenario("bbr-deep-buffer"));
    check_deep_buffer(&r);
    assert!(flow(&r, "rfc9260").queue_delay_ms.expect("queued").p50 > 200.0);
}

#[test]
#[ignore = "full length, release mode: cargo xtask sim --issue8"]
fn full_length_fairness() {
    check_fairness(&run(&scenario("fairness-two-flows")));
}

//! The shortened soak: 20 000 messages through the hostile link with no
//! invariant violation (`sctp-sim soak` runs a million).

use sctp_sim::suite;
use std::time::Instant;

#[test]
fn twenty_thousand_messages_survive_the_hostile_link() {
    #[allow(clippy::disallowed_methods)]
    let base = Instant::now();
    let report = suite::run(&suite::soak(20_000, 1), base, &mut |_| {}).expect("valid");
    assert!(
        report.passed(),
        "{}",
        report.failure.map(|f| f.to_string()).unwrap_or_default()
    );
    let f = &report.flows[0];
    assert_eq!((f.messages_sent, f.messages_delivered), (20_000, 20_000));
    let l = &report.links[0];
    for s in [l.forward, l.reverse] {
        assert!(s.lost > 0 && s.reordered > 0 && s.duplicated > 0, "{s:?}");
    }
    // The outage hit the data (the receiver, hearing nothing, sends
    // nothing back while it lasts).
    assert!(
        l.forward.outage_drops > 0 && l.forward.corrupted > 0,
        "{:?}",
        l.forward
    );
    assert!(
        f.completion_s.is_some_and(|t| t > 6.0),
        "{:?}",
        f.completion_s
    );
    assert_eq!(
        f.corrupted_caught,
        l.forward.corrupted + l.reverse.corrupted
    );
}

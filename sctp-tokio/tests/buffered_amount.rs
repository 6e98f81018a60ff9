//! Per-stream buffered amounts, their low threshold, its callback and its
//! awaitable form, over UDP on loopback.

mod common;

use common::{config, connected, eventually, pattern};
use sctp_tokio::{Config, Ppid};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[tokio::test]
async fn each_stream_counts_its_own_bytes_until_acknowledged() {
    let (client, server) = connected(config(), config()).await;
    let busy = client.open_stream(1, Ppid(53)).unwrap();
    let idle = client.open_stream(2, Ppid(53)).unwrap();
    for i in 0..20 {
        busy.write(&pattern(i, 10_000)).await.unwrap();
    }
    // The writes found room and did not wait, so on this one-threaded
    // runtime the driver has not run yet: all of it is queued.
    assert_eq!(busy.buffered_amount(), 200_000);
    assert_eq!(idle.buffered_amount(), 0);
    let acknowledged = eventually(Duration::from_secs(5), || busy.buffered_amount() == 0).await;
    assert!(
        acknowledged,
        "{} bytes still buffered",
        busy.buffered_amount()
    );
    let incoming = server.accept_stream().await.unwrap();
    assert_eq!(incoming.stream_identifier(), 1);
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_falling_buffered_amount_calls_back_and_wakes_the_waiter() {
    // A small receive buffer and nobody reading: the writer's data stays
    // buffered until the reader starts.
    let receiver = Config {
        max_receive_buffer: 64 * 1024,
        ..config()
    };
    let (client, server) = connected(config(), receiver).await;
    let stream = Arc::new(client.open_stream(3, Ppid(53)).unwrap());
    let threshold = 32 * 1024;
    stream.set_buffered_amount_low_threshold(threshold);
    assert_eq!(stream.buffered_amount_low_threshold(), threshold);
    // The callback reads the stream's own figure: it runs outside the
    // lock (a `Weak`, so the callback does not keep the stream alive).
    let seen = Arc::new(Mutex::new(Vec::new()));
    {
        let (seen, weak) = (Arc::clone(&seen), Arc::downgrade(&stream));
        stream.on_buffered_amount_low(move || {
            if let Some(stream) = weak.upgrade() {
                seen.lock().unwrap().push(stream.buffered_amount());
            }
        });
    }
    // Already low: no wait.
    stream.buffered_amount_low().await.unwrap();
    for i in 0..60 {
        stream.write(&pattern(i, 10_000)).await.unwrap();
    }
    let waiter = {
        let stream = Arc::clone(&stream);
        tokio::spawn(async move { stream.buffered_amount_low().await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(stream.buffered_amount() > threshold);
    assert!(
        !waiter.is_finished(),
        "woke with {} bytes buffered",
        stream.buffered_amount()
    );
    assert!(seen.lock().unwrap().is_empty());

    // The reader drains the stream: the amount falls through the threshold.
    let incoming = server.accept_stream().await.unwrap();
    let mut buf = vec![0u8; 10_000];
    for i in 0..60 {
        let n = incoming.read(&mut buf).await.unwrap();
        assert!(buf[..n] == pattern(i, 10_000)[..]);
    }
    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("the waiter wakes")
        .unwrap()
        .unwrap();
    assert!(stream.buffered_amount() <= threshold);
    let called = eventually(Duration::from_secs(5), || !seen.lock().unwrap().is_empty()).await;
    assert!(called, "no callback");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "one fall, one call: {seen:?}");
    assert!(seen[0] <= threshold, "{seen:?}");
    client.close().await.unwrap();
}

#[tokio::test]
async fn a_closing_association_fails_the_waiter_that_still_has_bytes_buffered() {
    let receiver = Config {
        max_receive_buffer: 16 * 1024,
        ..config()
    };
    let (client, server) = connected(config(), receiver).await;
    let stream = client.open_stream(0, Ppid(53)).unwrap();
    for i in 0..20 {
        stream.write(&pattern(i, 8_000)).await.unwrap();
    }
    let calls = Arc::new(AtomicUsize::new(0));
    {
        let calls = Arc::clone(&calls);
        stream.on_buffered_amount_low(move || {
            calls.fetch_add(1, Ordering::Relaxed);
        });
    }
    server.abort("enough");
    let result = tokio::time::timeout(Duration::from_secs(5), stream.buffered_amount_low())
        .await
        .expect("the waiter hears of the abort");
    assert!(result.is_err(), "{result:?}");
    assert_eq!(calls.load(Ordering::Relaxed), 0);
}

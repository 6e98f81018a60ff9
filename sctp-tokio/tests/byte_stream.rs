//! `StreamIo`: a stream as `AsyncRead` + `AsyncWrite`, over UDP on
//! loopback.

mod common;

use common::{config, connected, pattern};
use sctp_tokio::{Config, Error, Ppid};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn copy_of_a_few_mib_there_and_back_is_byte_exact() {
    let (client, server) = connected(config(), config()).await;
    let data = pattern(42, 3 * 1024 * 1024 + 17);
    let stream = client.open_stream(7, Ppid(53)).unwrap();
    // The server learns of the stream from its first message.
    stream.write(b"hi").await.unwrap();
    let incoming = server.accept_stream().await.unwrap();
    let mut greeting = [0u8; 2];
    incoming.read(&mut greeting).await.unwrap();

    // The server echoes the byte stream with `tokio::io::copy` and closes
    // its side when the client's ends.
    let echo = tokio::spawn(async move {
        let (mut rx, mut tx) = tokio::io::split(incoming.into_io());
        let copied = tokio::io::copy(&mut rx, &mut tx).await.unwrap();
        tx.shutdown().await.unwrap();
        copied
    });
    let (mut rx, mut tx) = tokio::io::split(stream.into_io());
    let send = {
        let data = data.clone();
        tokio::spawn(async move {
            let copied = tokio::io::copy(&mut &data[..], &mut tx).await.unwrap();
            // Shutdown is the stream close: the end goes after the data.
            tx.shutdown().await.unwrap();
            copied
        })
    };
    let mut back = Vec::new();
    rx.read_to_end(&mut back).await.unwrap();
    assert_eq!(send.await.unwrap(), data.len() as u64);
    assert_eq!(echo.await.unwrap(), data.len() as u64);
    assert_eq!(back.len(), data.len());
    assert!(back == data, "the echo differs");
    client.close().await.unwrap();
}

#[tokio::test]
async fn writes_are_cut_into_messages_and_wait_for_buffer_space() {
    let max_message = 16 * 1024;
    let send_buffer = 64 * 1024;
    let sender = Config {
        max_message_size: max_message,
        send_buffer_size: send_buffer,
        ..config()
    };
    let receiver = Config {
        max_receive_buffer: 128 * 1024,
        ..config()
    };
    let (client, server) = connected(sender, receiver).await;
    let client = std::sync::Arc::new(client);
    let data = pattern(9, 2 * 1024 * 1024);
    let mut io = client.open_stream(1, Ppid(53)).unwrap().into_io();
    let writer = {
        let data = data.clone();
        tokio::spawn(async move {
            io.write_all(&data).await.unwrap();
            io.shutdown().await.unwrap();
        })
    };
    // Nobody reads: the writer stalls with no more than the send buffer
    // queued, instead of buffering the 2 MiB.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!writer.is_finished(), "2 MiB written with nobody reading");
    let buffered = client.transfer_stats().unwrap().buffered;
    assert!(buffered <= send_buffer, "{buffered} bytes queued");

    // Read as messages: none is larger than the sender's maximum.
    let incoming = server.accept_stream().await.unwrap();
    let mut received = Vec::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        match incoming.read(&mut buf).await {
            Ok(n) => {
                assert!(n <= max_message, "a message of {n} bytes");
                received.extend_from_slice(&buf[..n]);
            }
            Err(Error::EndOfStream) => break,
            Err(e) => panic!("{e}"),
        }
    }
    writer.await.unwrap();
    assert!(received == data, "the bytes differ");
}

#[tokio::test]
async fn a_closed_association_reads_as_the_end_and_writes_fail() {
    let (client, server) = connected(config(), config()).await;
    let stream = client.open_stream(2, Ppid(51)).unwrap();
    stream.write(b"last words").await.unwrap();
    let mut theirs = server.accept_stream().await.unwrap().into_io();
    client.close().await.unwrap();
    // A graceful shutdown delivered everything: the end of the bytes.
    let mut got = Vec::new();
    theirs.read_to_end(&mut got).await.unwrap();
    assert_eq!(got, b"last words");
    let e = theirs.write_all(b"too late").await.unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    assert!(matches!(
        e.into_inner().unwrap().downcast::<Error>().as_deref(),
        Ok(Error::Closed)
    ));
}

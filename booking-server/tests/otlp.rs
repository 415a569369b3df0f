//! With the `otlp` feature, request spans reach an OTLP/HTTP collector on
//! loopback: `cargo test -p booking-server --features otlp --test otlp`.
//! (No collector written by others runs here; the receiver below accepts
//! what the OpenTelemetry exporter sends and checks it is an OTLP protobuf
//! export naming our service and the request.)
#![cfg(feature = "otlp")]

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Read one HTTP request; answer 200 with an empty OTLP response.
async fn one_request(listener: &TcpListener) -> (String, Vec<u8>) {
    let (mut sock, _) = listener.accept().await.expect("accept");
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head, body_start) = loop {
        let n = sock.read(&mut chunk).await.expect("read");
        assert!(n > 0, "the exporter closed early");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break (String::from_utf8_lossy(&buf[..i]).to_string(), i + 4);
        }
    };
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    while buf.len() < body_start + len {
        let n = sock.read(&mut chunk).await.expect("read body");
        assert!(n > 0);
        buf.extend_from_slice(&chunk[..n]);
    }
    sock.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n",
    )
    .await
    .expect("answer");
    (head, buf[body_start..body_start + len].to_vec())
}

#[tokio::test]
async fn request_spans_are_exported_over_otlp_http() {
    let collector = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let endpoint = format!("http://{}", collector.local_addr().expect("addr"));
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        l.local_addr().expect("addr").port()
    };
    let dir = std::env::temp_dir().join(format!("booking-otlp-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_booking-server"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env(
            "BOOKING_DATABASE_URL",
            format!("sqlite://{}/otlp.db?mode=rwc", dir.display()),
        )
        .env(
            "BOOKING_JWT_SECRET",
            "otlp-test-secret-otlp-test-secret-otlp",
        )
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("server");
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..200 {
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "the server did not start");
    let r = http
        .get(format!("{base}/api/v1/rooms"))
        .send()
        .await
        .expect("rooms");
    assert_eq!(r.status(), 401);
    let (head, body) = tokio::time::timeout(Duration::from_secs(20), one_request(&collector))
        .await
        .expect("an export within 20 s");
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("post /v1/traces "), "{head}");
    assert!(
        head.contains("content-type: application/x-protobuf"),
        "{head}"
    );
    let text = String::from_utf8_lossy(&body);
    assert!(
        text.contains("booking-server"),
        "service.name in the resource"
    );
    assert!(text.contains("request"), "the request span");
    server.kill().await.expect("stop");
    let _ = std::fs::remove_dir_all(&dir);
}

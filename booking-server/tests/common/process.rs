//! The server binary as its own process: start, wait until ready, kill.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Client;

/// A server process, killed (SIGKILL) and reaped when dropped.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// `booking-server serve` on `url` and 127.0.0.1:`port`, signing tokens
/// with `secret`.
pub fn spawn(url: &str, port: u16, secret: &str) -> Proc {
    Proc(
        Command::new(env!("CARGO_BIN_EXE_booking-server"))
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                url,
            ])
            .env("BOOKING_JWT_SECRET", secret)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn server"),
    )
}

pub async fn wait_ready(http: &Client, base: &str) {
    for _ in 0..150 {
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{base} did not become ready");
}

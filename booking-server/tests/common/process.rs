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
    spawn_with(url, port, secret, &[])
}

/// [`spawn`] with more environment variables.
pub fn spawn_with(url: &str, port: u16, secret: &str, env: &[(&str, &str)]) -> Proc {
    Proc(
        Command::new(env!("CARGO_BIN_EXE_booking-server"))
            .envs(env.iter().copied())
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

/// `booking-server create-admin` on `url` with the password on stdin.
pub fn create_admin(url: &str, email: &str, password: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_booking-server"))
        .args(["create-admin", "--email", email, "--password-stdin"])
        .args(["--database-url", url])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("create-admin");
    if let Some(mut stdin) = child.stdin.take() {
        std::io::Write::write_all(&mut stdin, password.as_bytes()).expect("password");
    }
    assert!(child.wait().expect("wait").success());
}

/// Log in over the API; the access token.
pub async fn login(http: &Client, base: &str, email: &str, password: &str) -> String {
    let v: serde_json::Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("token");
    v["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

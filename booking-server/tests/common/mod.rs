//! Shared by the HTTP test files: a real server on an ephemeral port, and
//! Python's csv module as an independent CSV reader.
#![allow(dead_code)]

pub mod api;
pub mod process;
pub mod receiver;
pub mod web;

use booking_server::config::Config;
use booking_server::state::AppState;
use serde_json::Value;

/// A running server; it stops when this is dropped.
pub struct Running {
    pub base: String,
    pub state: AppState,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// Open the state for `config` and serve it on 127.0.0.1 with an ephemeral port.
pub async fn spawn(config: Config) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    spawn_on(listener, config).await
}

/// Serve `config` on a listener the caller bound (to know the URL first).
pub async fn spawn_on(listener: tokio::net::TcpListener, config: Config) -> Running {
    let state = AppState::open(config).await.expect("state");
    serve_state(listener, state).await
}

/// Serve a state the caller built (e.g. with a controllable clock).
pub async fn spawn_state(state: AppState) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    serve_state(listener, state).await
}

async fn serve_state(listener: tokio::net::TcpListener, state: AppState) -> Running {
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let st = state.clone();
    tokio::spawn(async move {
        let _ = booking_server::serve_on(listener, st, async {
            let _ = stopped.await;
        })
        .await;
    });
    Running {
        base,
        state,
        _stop: stop,
    }
}

/// Parse `text` with Python's `csv.DictReader`; the rows as JSON objects.
pub fn python_csv(text: &str) -> Value {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import csv, sys, json; print(json.dumps(list(csv.DictReader(sys.stdin))))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python");
    assert!(out.status.success(), "python's csv module rejected: {text}");
    serde_json::from_slice(&out.stdout).expect("json")
}

/// `on_every_backend!(a, b)`: a test per case `cases::a`, run on SQLite and,
/// when reachable, PostgreSQL.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                for backend in booking_store::testing::backends() {
                    eprintln!("-- {backend:?}");
                    cases::$name(backend).await;
                }
            }
        )+
    };
}

//! A webhook receiver written with the Standard Webhooks library
//! (scripts/interop/webhook_receiver.py), run on loopback.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The Python with the integration peers (`standardwebhooks`, `mcp`):
/// `BOOKING_INTEGRATIONS_VENV` (set by the test command) or `python3`.
pub fn python() -> Option<PathBuf> {
    let candidate = std::env::var_os("BOOKING_INTEGRATIONS_VENV")
        .map(|v| PathBuf::from(v).join("bin/python"))
        .unwrap_or_else(|| PathBuf::from("python3"));
    let ok = Command::new(&candidate)
        .args(["-c", "import standardwebhooks, mcp"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(candidate);
    }
    assert!(
        std::env::var("BOOKING_INTEROP").as_deref() != Ok("required"),
        "python standardwebhooks and mcp are required (BOOKING_INTEROP=required); \
         set BOOKING_INTEGRATIONS_VENV"
    );
    eprintln!("python standardwebhooks/mcp not installed: skipped");
    None
}

/// A running receiver; killed when dropped.
pub struct Receiver {
    child: Child,
    dir: PathBuf,
    pub url: String,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Receiver {
    pub fn start(python: &Path) -> Receiver {
        let dir = std::env::temp_dir().join(format!("webhook-rx-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/interop/webhook_receiver.py");
        let child = Command::new(python)
            .arg(script)
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("receiver");
        let started = Instant::now();
        let port = loop {
            if let Ok(p) = std::fs::read_to_string(dir.join("port")) {
                break p;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "receiver did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Receiver {
            child,
            url: format!("http://127.0.0.1:{}/hook", port.trim()),
            dir,
        }
    }

    /// The secrets deliveries are checked against (index = position).
    pub fn secrets(&self, secrets: &[&str]) {
        std::fs::write(self.dir.join("secrets"), secrets.join("\n")).expect("secrets");
    }

    /// The status the receiver answers with.
    pub fn answer(&self, status: u16) {
        std::fs::write(self.dir.join("status"), status.to_string()).expect("status");
    }

    /// Every delivery received so far, oldest first.
    pub fn deliveries(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.join("deliveries.jsonl"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Wait (up to `secs`) until `done` holds for the deliveries.
    pub async fn wait_for(&self, secs: u64, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let until = Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.deliveries();
            if done(&got) {
                return got;
            }
            assert!(
                Instant::now() < until,
                "receiver did not get what was expected in {secs} s; got {got:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

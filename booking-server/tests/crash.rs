//! #20: no acknowledged booking is lost when the server is killed (SIGKILL)
//! while writers share commits: every booking answered 201 before the kill
//! is there after a restart, on SQLite and PostgreSQL.

use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use booking_store::testing::{TestDb, backends};
use chrono::{Duration, SecondsFormat, Utc};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

mod common;
use common::api::room_json;
use common::process;

const SECRET: &str = "crash-test-secret-crash-test-secret";
const PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_bookings_survive_kill_9() {
    for backend in backends() {
        eprintln!("-- {backend:?}");
        let db = TestDb::create(backend).await;
        process::create_admin(&db.url, "admin@example.com", PASSWORD);
        let http = Client::new();
        let port = process::free_port();
        let base = format!("http://127.0.0.1:{port}");
        let server = process::spawn(&db.url, port, SECRET);
        process::wait_ready(&http, &base).await;
        let login: Value = http
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"email": "admin@example.com", "password": PASSWORD}))
            .send()
            .await
            .expect("login")
            .json()
            .await
            .expect("token");
        let token = login["access_token"].as_str().expect("token").to_string();
        let room: Value = http
            .post(format!("{base}/api/v1/rooms"))
            .bearer_auth(&token)
            .json(&room_json("Crash", false))
            .send()
            .await
            .expect("room")
            .json()
            .await
            .expect("room json");
        let room = room["id"].as_str().expect("room id").to_string();

        // Sixteen writers book distinct 15-minute slots until the kill.
        let acked = Arc::new(Mutex::new(Vec::<String>::new()));
        let first = (Utc::now() + Duration::days(1))
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc();
        let mut writers = Vec::new();
        for w in 0..16i64 {
            let (http, base, token, room, acked) = (
                http.clone(),
                base.clone(),
                token.clone(),
                room.clone(),
                acked.clone(),
            );
            writers.push(tokio::spawn(async move {
                for n in 0.. {
                    let start = first + Duration::minutes(15 * (n * 16 + w));
                    let body = json!({"room_id": room, "title": "load", "attendees": 2,
                        "start": start.to_rfc3339_opts(SecondsFormat::Secs, true),
                        "end": (start + Duration::minutes(15)).to_rfc3339_opts(SecondsFormat::Secs, true)});
                    let sent = http
                        .post(format!("{base}/api/v1/bookings"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await;
                    let Ok(resp) = sent else { return };
                    if resp.status() != StatusCode::CREATED {
                        return;
                    }
                    let Ok(b) = resp.json::<Value>().await else { return };
                    if let Some(id) = b["id"].as_str() {
                        acked.lock().expect("lock").push(id.to_string());
                    }
                }
            }));
        }
        let until = Instant::now() + StdDuration::from_millis(1500);
        while Instant::now() < until {
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
        drop(server); // SIGKILL, mid-load
        for w in writers {
            let _ = w.await;
        }
        let acked = acked.lock().expect("lock").clone();
        assert!(
            acked.len() >= 50,
            "only {} bookings before the kill",
            acked.len()
        );

        let server = process::spawn(&db.url, port, SECRET);
        process::wait_ready(&http, &base).await;
        let mut missing = Vec::new();
        for id in &acked {
            let r = http
                .get(format!("{base}/api/v1/bookings/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .expect("get");
            if r.status() != StatusCode::OK {
                missing.push(id.clone());
            }
        }
        assert!(
            missing.is_empty(),
            "{} of {} acknowledged bookings lost: {missing:?}",
            missing.len(),
            acked.len()
        );
        drop(server);
    }
}

//! Live updates over Server-Sent Events: in one process (SQLite and
//! PostgreSQL), across two server processes on one PostgreSQL database, and
//! reconnection with Last-Event-ID.

use std::time::{Duration as StdDuration, Instant};

use booking_core::{
    AccountState, Actor, BookingRequest, BusinessHours, Role, RoomCategory, RoomPolicy, RoomSpec,
};
use booking_server::auth::hash_password;
use booking_server::config::Config;
use booking_store::testing::{Backend, TestDb, backends};
use chrono::{Duration, Utc};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

mod common;
use common::process;

const PASSWORD: &str = "correct horse battery";
const SECRET: &str = "live-test-secret-live-test-secret-xx";

/// Reads SSE events from a streaming response.
struct Sse {
    resp: reqwest::Response,
    buf: String,
}

impl Sse {
    async fn open(http: &Client, base: &str, token: &str, last_id: Option<i64>) -> Sse {
        let mut req = http.get(format!("{base}/api/v1/events")).bearer_auth(token);
        if let Some(id) = last_id {
            req = req.header("last-event-id", id.to_string());
        }
        let resp = req.send().await.expect("sse");
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap_or("")
                .starts_with("text/event-stream")
        );
        Sse {
            resp,
            buf: String::new(),
        }
    }

    /// The next event (id, data), or None after `within`.
    async fn next(&mut self, within: StdDuration) -> Option<(i64, Value)> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut id = None;
                let mut data = None;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data = serde_json::from_str(v.trim()).ok();
                    }
                }
                if let (Some(id), Some(data)) = (id, data) {
                    return Some((id, data));
                }
                continue; // keep-alive comment
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            match tokio::time::timeout(left, self.resp.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }
}

async fn login(http: &Client, base: &str, email: &str) -> String {
    let v: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    v["access_token"].as_str().expect("token").to_string()
}

fn room_spec() -> RoomSpec {
    RoomSpec {
        name: "Live".into(),
        category: RoomCategory::Meeting,
        capacity: 6,
        floor: None,
        location: String::new(),
        amenities: Default::default(),
        time_zone: "UTC".into(),
        active: true,
        policy: RoomPolicy {
            business_hours: BusinessHours::always(),
            ..RoomPolicy::default()
        },
    }
}

fn request(room: booking_core::RoomId, hours: i64) -> BookingRequest {
    let start = (Utc::now() + Duration::days(1))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .expect("t")
        .and_utc()
        + Duration::hours(hours);
    BookingRequest {
        room_id: room,
        title: format!("Live {hours}"),
        purpose: String::new(),
        attendees: 2,
        start,
        end: start + Duration::minutes(30),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_permitted_clients_and_survive_reconnects() {
    for backend in backends() {
        eprintln!("-- {backend:?}");
        in_process(backend).await;
    }
}

/// On a server that has been idle past the pump's five-second poll, the
/// first change after a client connects still reaches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_change_after_an_idle_spell_arrives() {
    let db = TestDb::create(Backend::Sqlite).await;
    let running = common::spawn({
        let mut c = Config::default();
        c.database.url = db.url.clone().into();
        c.auth.jwt_secret = Some(SECRET.into());
        c
    })
    .await;
    let svc = &running.state.svc;
    let hash = hash_password(PASSWORD).expect("hash");
    let admin = Actor::from(
        svc.create_user(
            "admin@example.com",
            "A",
            Role::SuperAdmin,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("u"),
    );
    let room = svc.create_room(&admin, room_spec()).await.expect("room");
    // Changes while nobody listens, then a quiet spell longer than the poll.
    svc.book(&admin, request(room.id, 1)).await.expect("book");
    tokio::time::sleep(StdDuration::from_millis(5_500)).await;
    let http = Client::new();
    let token = login(&http, &running.base, "admin@example.com").await;
    let mut sse = Sse::open(&http, &running.base, &token, None).await;
    let b = svc.book(&admin, request(room.id, 2)).await.expect("book");
    let (_, data) = sse
        .next(StdDuration::from_secs(3))
        .await
        .expect("the first change arrives");
    assert_eq!(data["booking"]["id"], json!(b.id.to_string()));
}

async fn in_process(b: Backend) {
    let db = TestDb::create(b).await;
    let running = common::spawn({
        let mut c = Config::default();
        c.database.url = db.url.clone().into();
        c.auth.jwt_secret = Some(SECRET.into());
        c
    })
    .await;
    let (base, state) = (running.base.clone(), running.state.clone());
    let hash = hash_password(PASSWORD).expect("hash");
    let svc = &state.svc;
    let admin = Actor::from(
        svc.create_user(
            "admin@example.com",
            "A",
            Role::SuperAdmin,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("u"),
    );
    let alice = Actor::from(
        svc.create_user(
            "alice@example.com",
            "A",
            Role::User,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("u"),
    );
    let eve = Actor::from(
        svc.create_user(
            "eve@example.com",
            "E",
            Role::User,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("u"),
    );
    let room = svc.create_room(&admin, room_spec()).await.expect("room");
    let http = Client::new();
    let (a_tok, e_tok) = (
        login(&http, &base, "alice@example.com").await,
        login(&http, &base, "eve@example.com").await,
    );

    let r = http
        .get(format!("{base}/api/v1/events"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a token is required");

    let mut alice_sse = Sse::open(&http, &base, &a_tok, None).await;
    let mut eve_sse = Sse::open(&http, &base, &e_tok, None).await;
    let b1 = svc.book(&alice, request(room.id, 9)).await.expect("book");
    let (id1, ev) = alice_sse
        .next(StdDuration::from_secs(3))
        .await
        .expect("alice sees her booking");
    assert_eq!(ev["kind"], "created");
    assert_eq!(ev["booking"]["id"], json!(b1.id.to_string()));
    // Eve does not see Alice's booking: her first event is her own.
    let b2 = svc.book(&eve, request(room.id, 11)).await.expect("book");
    let (_, ev) = eve_sse
        .next(StdDuration::from_secs(3))
        .await
        .expect("eve sees hers");
    assert_eq!(
        ev["booking"]["id"],
        json!(b2.id.to_string()),
        "only permitted events"
    );

    // Alice drops off; two changes happen; she reconnects with Last-Event-ID.
    drop(alice_sse);
    svc.cancel(&alice, b1.id, None).await.expect("cancel");
    let b3 = svc.book(&alice, request(room.id, 13)).await.expect("book");
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    let mut again = Sse::open(&http, &base, &a_tok, Some(id1)).await;
    let (_, e1) = again
        .next(StdDuration::from_secs(3))
        .await
        .expect("missed 1");
    let (_, e2) = again
        .next(StdDuration::from_secs(3))
        .await
        .expect("missed 2");
    assert_eq!(
        (e1["kind"].as_str(), e1["booking"]["id"].clone()),
        (Some("cancelled"), json!(b1.id.to_string()))
    );
    assert_eq!(e2["booking"]["id"], json!(b3.id.to_string()));
    drop(running);
}

/// Two server processes on one PostgreSQL database: a booking made on A
/// reaches an SSE client of B within one second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_events_through_postgres() {
    if !backends().contains(&Backend::Postgres) {
        return;
    }
    let db = TestDb::create(Backend::Postgres).await;
    let store = db.store().await;
    let svc =
        booking_core::BookingService::new(store, std::sync::Arc::new(booking_core::SystemClock));
    let hash = hash_password(PASSWORD).expect("hash");
    let admin = svc
        .create_user(
            "admin@example.com",
            "A",
            Role::SuperAdmin,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("u");
    let room = svc
        .create_room(&Actor::from(admin), room_spec())
        .await
        .expect("room");

    let (pa, pb) = (process::free_port(), process::free_port());
    let _a = process::spawn(&db.url, pa, SECRET);
    let _b = process::spawn(&db.url, pb, SECRET);
    let (base_a, base_b) = (
        format!("http://127.0.0.1:{pa}"),
        format!("http://127.0.0.1:{pb}"),
    );
    let http = Client::new();
    process::wait_ready(&http, &base_a).await;
    process::wait_ready(&http, &base_b).await;
    let token = login(&http, &base_a, "admin@example.com").await;
    let mut on_b = Sse::open(&http, &base_b, &token, None).await;
    tokio::time::sleep(StdDuration::from_millis(200)).await;

    let req = request(room.id, 10);
    let sent = Instant::now();
    let r = http
        .post(format!("{base_a}/api/v1/bookings"))
        .bearer_auth(&token)
        .json(&json!({"room_id": room.id.to_string(), "title": req.title, "attendees": 2, "start": req.start, "end": req.end}))
        .send()
        .await
        .expect("book on A");
    assert_eq!(r.status(), StatusCode::CREATED);
    let booked: Value = r.json().await.expect("json");
    let (_, ev) = on_b
        .next(StdDuration::from_secs(1))
        .await
        .expect("event on B within 1 s");
    assert_eq!(ev["booking"]["id"], booked["id"]);
    eprintln!("A → B latency: {:?}", sent.elapsed());
}

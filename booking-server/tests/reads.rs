//! #20: the room list, free slots and find-a-room are answered from kept,
//! pre-serialised answers — with an ETag, 304 and compression — and never
//! stale: every change shows at once, whichever process made it, and one
//! person's answer is never served to another.

use std::io::Read as _;
use std::sync::Arc;

use booking_core::{BookingRequest, BookingService, Role, RoomId, SystemClock};
use booking_store::testing::{Backend, backends};
use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

mod common;
use common::api::*;

struct Got {
    status: StatusCode,
    etag: String,
    encoding: String,
    body: Vec<u8>,
}

impl Got {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

async fn get(s: &Server, path: &str, token: &str, headers: &[(&str, &str)]) -> Got {
    let mut req = s.http.get(format!("{}{path}", s.base)).bearer_auth(token);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("send");
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (status, etag, encoding) = (resp.status(), header("etag"), header("content-encoding"));
    let body = resp.bytes().await.expect("body").to_vec();
    Got {
        status,
        etag,
        encoding,
        body,
    }
}

fn names(rooms: &Value) -> Vec<String> {
    let mut n: Vec<String> = rooms
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["name"].as_str().expect("name").to_string())
        .collect();
    n.sort();
    n
}

/// The same database, opened by another program (as the Python binding
/// or a second server would).
async fn other_process(s: &Server) -> BookingService {
    let store = booking_store::open(s.db_url()).await.expect("open store");
    BookingService::new(store, Arc::new(SystemClock))
}

fn free_starts(slots: &Value) -> Vec<String> {
    slots
        .as_array()
        .expect("slots")
        .iter()
        .map(|s| s["start"].as_str().expect("start").to_string())
        .collect()
}

fn covers(slots: &Value, h: i64) -> bool {
    let (start, end) = slot(h);
    slots.as_array().expect("slots").iter().any(|s| {
        let from: chrono::DateTime<Utc> = s["start"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("start");
        let to: chrono::DateTime<Utc> =
            s["end"].as_str().and_then(|t| t.parse().ok()).expect("end");
        from <= start && to >= end
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_answers_follow_every_change() {
    for backend in backends() {
        eprintln!("-- {backend:?}");
        follow_every_change(backend).await;
    }
}

async fn follow_every_change(backend: Backend) {
    let s = server(backend, |_| {}).await;
    let admin = s.user("admin@example.com", Role::SuperAdmin).await;
    let alice = s.user("alice@example.com", Role::User).await;
    let (admin_t, alice_t) = (s.login(&admin.email).await, s.login(&alice.email).await);
    let room = s.create_room(&admin_t, "Atlas", false).await;

    // The list, then the same again: 304 with the ETag, no body.
    let first = get(&s, "/api/v1/rooms", &alice_t, &[]).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(names(&first.json()), ["Atlas"]);
    assert!(first.etag.starts_with('"'), "ETag {:?}", first.etag);
    let again = get(
        &s,
        "/api/v1/rooms",
        &alice_t,
        &[("if-none-match", &first.etag)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());

    // Compressed forms carry the same JSON.
    for (coding, decode) in [
        ("gzip", gunzip as fn(&[u8]) -> Vec<u8>),
        ("br", unbrotli as fn(&[u8]) -> Vec<u8>),
    ] {
        let z = get(
            &s,
            "/api/v1/rooms",
            &alice_t,
            &[("accept-encoding", coding)],
        )
        .await;
        assert_eq!(z.encoding, coding);
        assert_eq!(decode(&z.body), first.body, "{coding} decodes to the JSON");
    }

    // A rename through the API shows at once, with a new ETag.
    let (st, body) = s
        .call(
            Method::PUT,
            &format!("/api/v1/rooms/{room}"),
            Some(&admin_t),
            Some(room_json("Atlas Hall", false)),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let renamed = get(
        &s,
        "/api/v1/rooms",
        &alice_t,
        &[("if-none-match", &first.etag)],
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(names(&renamed.json()), ["Atlas Hall"]);
    assert_ne!(renamed.etag, first.etag);

    // A room made by another program on the same database shows at once.
    let other = other_process(&s).await;
    let boss = booking_core::Actor::from(admin.clone());
    let mut spec =
        booking_core::RoomSpec::from(&other.get_room(room_id(&room)).await.expect("room"));
    spec.name = "Borealis".into();
    other
        .create_room(&boss, spec)
        .await
        .expect("room elsewhere");
    let listed = get(&s, "/api/v1/rooms", &alice_t, &[]).await;
    assert_eq!(names(&listed.json()), ["Atlas Hall", "Borealis"]);

    // Free slots: a booking over the API, then one by the other program,
    // each gone from the next answer.
    let day = slot(0).0.date_naive();
    let path = format!("/api/v1/rooms/{room}/availability?date={day}");
    let before = get(&s, &path, &alice_t, &[]).await.json();
    assert!(covers(&before, 10) && covers(&before, 12), "{before}");
    let (st, body) = s
        .call(
            Method::POST,
            "/api/v1/bookings",
            Some(&alice_t),
            Some(booking_json(&room, 10, 2)),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let after_api = get(&s, &path, &alice_t, &[]).await.json();
    assert!(!covers(&after_api, 10), "10:00 still free: {after_api}");
    let (start, end) = slot(12);
    other
        .book(
            &booking_core::Actor::from(alice.clone()),
            BookingRequest {
                room_id: room_id(&room),
                title: "Elsewhere".into(),
                purpose: String::new(),
                attendees: 2,
                start,
                end,
            },
        )
        .await
        .expect("booked elsewhere");
    let after_other = get(&s, &path, &alice_t, &[]).await.json();
    assert!(!covers(&after_other, 12), "12:00 still free: {after_other}");
    assert_ne!(free_starts(&after_api), free_starts(&after_other));
}

/// Who may book a room differs between people: the answer kept for the
/// administrator must not be served to an employee asking the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_room_answers_are_per_person() {
    let s = server(Backend::Sqlite, |_| {}).await;
    let admin = s.user("admin@example.com", Role::SuperAdmin).await;
    let alice = s.user("alice@example.com", Role::User).await;
    let (admin_t, alice_t) = (s.login(&admin.email).await, s.login(&alice.email).await);
    s.create_room(&admin_t, "Open", false).await;
    let mut board = room_json("Boardroom", false);
    board["policy"]["allowed_roles"] = json!(["super_admin"]);
    let (st, body) = s
        .call(Method::POST, "/api/v1/rooms", Some(&admin_t), Some(board))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let (start, end) = slot(9);
    let path = format!(
        "/api/v1/find-room?start={}&end={}&capacity=2",
        start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let found = |v: &Value| {
        let mut n: Vec<String> = v
            .as_array()
            .expect("matches")
            .iter()
            .map(|m| m["room"]["name"].as_str().unwrap_or_default().to_string())
            .collect();
        n.sort();
        n
    };
    let for_admin = get(&s, &path, &admin_t, &[]).await;
    assert_eq!(found(&for_admin.json()), ["Boardroom", "Open"]);
    let for_alice = get(&s, &path, &alice_t, &[]).await;
    assert_eq!(found(&for_alice.json()), ["Open"]);
    // Her ETag is not the administrator's either.
    let cross = get(&s, &path, &alice_t, &[("if-none-match", &for_admin.etag)]).await;
    assert_eq!(cross.status, StatusCode::OK);
}

fn room_id(id: &str) -> RoomId {
    RoomId(Uuid::parse_str(id).expect("room id"))
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .expect("gzip");
    out
}

fn unbrotli(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::BrotliDecompress(&mut &b[..], &mut out).expect("brotli");
    out
}

//! Webhooks (#23), checked by a receiver written with the Standard Webhooks
//! library: every booking and order change arrives signed, in order per
//! booking, on SQLite and PostgreSQL; a rotated secret overlaps; a failing
//! receiver is retried and then disabled (its owner told); private
//! addresses are refused by default; a kill -9 mid-delivery loses nothing.

use std::collections::BTreeSet;

use booking_core::Role;
use booking_store::testing::{Backend, TestDb, backends};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod common;
use common::api::*;
use common::receiver::{Receiver, python};

fn loopback_allowed(c: &mut booking_server::config::Config) {
    c.webhooks.denied_networks.clear();
    c.webhooks.retry_base_ms = 50;
    c.webhooks.timeout_secs = 3;
}

fn types(got: &[Value]) -> Vec<String> {
    got.iter()
        .map(|d| d["body"]["type"].as_str().unwrap_or("?").to_string())
        .collect()
}

on_every_backend!(
    every_change_arrives_signed_and_in_order,
    a_failing_receiver_is_retried_then_disabled,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_addresses_are_refused_by_default() {
    let srv = server(Backend::Sqlite, |_| {}).await;
    srv.user("sa@example.com", Role::SuperAdmin).await;
    let sa = srv.login("sa@example.com").await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://[::1]/",
        "http://169.254.169.254/latest",
        "http://localhost/x",
    ] {
        let (s, body) = srv
            .call(
                Method::POST,
                "/api/v1/webhooks",
                Some(&sa),
                Some(json!({"url": url})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert_eq!(body["field"], "/url", "{body}");
    }
    let (s, body) = srv
        .call(
            Method::POST,
            "/api/v1/webhooks",
            Some(&sa),
            Some(json!({"url": "https://hooks.example.com/in", "kinds": ["created", "exploded"]})),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "/kinds", "{body}");
    // A user may not register one; a room admin only for a room they manage.
    srv.user("u@example.com", Role::User).await;
    let u = srv.login("u@example.com").await;
    let (s, _) = srv
        .call(
            Method::POST,
            "/api/v1/webhooks",
            Some(&u),
            Some(json!({"url": "https://hooks.example.com/in"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

mod cases {
    use super::*;

    pub async fn every_change_arrives_signed_and_in_order(b: Backend) {
        let Some(py) = python() else { return };
        let rx = Receiver::start(&py);
        let other_rx = Receiver::start(&py);
        let srv = server(b, loopback_allowed).await;
        srv.user("sa@example.com", Role::SuperAdmin).await;
        let alice_user = srv.user("alice@example.com", Role::User).await;
        let sa = srv.login("sa@example.com").await;
        let alice = srv.login("alice@example.com").await;
        let room = srv.create_room(&sa, "Hall", true).await;
        let elsewhere = srv.create_room(&sa, "Annex", false).await;

        let (s, ep) = srv
            .call(
                Method::POST,
                "/api/v1/webhooks",
                Some(&sa),
                Some(json!({"url": rx.url, "description": "ERP", "room_id": room})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{ep}");
        let secret = ep["secret"].as_str().expect("secret").to_string();
        assert!(secret.starts_with("whsec_"));
        rx.secrets(&[&secret]);
        // Another endpoint for another room hears nothing of this room.
        let (s, other) = srv
            .call(
                Method::POST,
                "/api/v1/webhooks",
                Some(&sa),
                Some(json!({"url": other_rx.url, "room_id": elsewhere, "kinds": ["cancelled"]})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{other}");
        other_rx.secrets(&[other["secret"].as_str().expect("secret")]);

        // Pending, approved, an order, then cancelled (which cancels the order).
        let (s, booking) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&alice),
                Some(booking_json(&room, 10, 4)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{booking}");
        let id = booking["id"].as_str().expect("id").to_string();
        for (path, body) in [
            (format!("/api/v1/bookings/{id}/approve"), json!({})),
            (
                format!("/api/v1/bookings/{id}/orders"),
                json!({"kind": "catering", "priority": "medium", "cost_centre": "CC-1",
                       "items": [{"name": "Coffee", "quantity": 4, "unit_cost_cents": 250}]}),
            ),
            (
                format!("/api/v1/bookings/{id}/cancel"),
                json!({"reason": "moved"}),
            ),
        ] {
            let token = if path.ends_with("approve") {
                &sa
            } else {
                &alice
            };
            let (s, v) = srv.call(Method::POST, &path, Some(token), Some(body)).await;
            assert!(s.is_success(), "{path}: {s} {v}");
        }
        let got = rx.wait_for(20, |d| d.len() >= 5).await;
        let kinds = types(&got);
        assert_eq!(
            kinds,
            [
                "booking.created",
                "booking.approved",
                "order.changed",
                "booking.cancelled",
                "order.changed"
            ],
            "in the order they happened: {got:#?}"
        );
        for d in &got {
            assert_eq!(d["verified_with"], json!([0]), "signature: {d}");
            assert_eq!(d["body"]["data"]["booking_id"], id.as_str());
        }
        // The booking as the API returns it.
        assert_eq!(got[0]["body"]["data"]["booking"]["status"], "pending");
        assert_eq!(got[1]["body"]["data"]["booking"]["status"], "approved");
        assert_eq!(got[0]["body"]["data"]["booking"]["title"], "Planning");
        assert_eq!(got[2]["body"]["data"]["order"]["status"], "pending");
        assert_eq!(got[4]["body"]["data"]["order"]["status"], "cancelled");
        assert_eq!(
            got[4]["body"]["data"]["order"]["notice"],
            "booking cancelled"
        );
        let ids: BTreeSet<&str> = got.iter().filter_map(|d| d["id"].as_str()).collect();
        assert_eq!(ids.len(), 5, "a webhook-id per message");
        assert!(other_rx.deliveries().is_empty(), "room filter");

        // The delivery log.
        let ep_id = ep["id"].as_str().expect("id");
        let (s, log) = srv
            .call(
                Method::GET,
                &format!("/api/v1/webhooks/{ep_id}/deliveries"),
                Some(&sa),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let log = log.as_array().expect("log");
        assert_eq!(log.len(), 5, "{log:?}");
        assert!(log.iter().all(|d| d["state"] == "delivered"
            && d["last_status"] == 204
            && d["attempts"] == 1
            && d["last_latency_ms"].is_number()));

        // Rotation: both secrets sign during the overlap.
        let (s, rotated) = srv
            .call(
                Method::POST,
                &format!("/api/v1/webhooks/{ep_id}/rotate-secret"),
                Some(&sa),
                Some(json!({"overlap_hours": 1})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{rotated}");
        let new_secret = rotated["secret"].as_str().expect("secret");
        assert_ne!(new_secret, secret);
        rx.secrets(&[new_secret, &secret]);
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&alice),
                Some(booking_json(&room, 14, 2)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let got = rx.wait_for(20, |d| d.len() >= 6).await;
        assert_eq!(got[5]["verified_with"], json!([0, 1]), "{}", got[5]);

        // Redelivery sends the same message again.
        let first = log.last().expect("oldest")["id"].as_i64().expect("id");
        let (s, again) = srv
            .call(
                Method::POST,
                &format!("/api/v1/webhooks/{ep_id}/deliveries/{first}/redeliver"),
                Some(&sa),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{again}");
        let got = rx.wait_for(20, |d| d.len() >= 7).await;
        assert_eq!(got[6]["id"], got[0]["id"], "same webhook-id");
        assert_eq!(got[6]["body"], got[0]["body"], "same body");

        // A program embedding the core on the same database (as the Python
        // and C bindings do) books too: the server's webhook hears of it.
        let embedded = booking_core::BookingService::new(
            booking_store::open(srv.db_url()).await.expect("store"),
            std::sync::Arc::new(booking_core::SystemClock),
        );
        let (start, end) = slot(16);
        let made = embedded
            .book(
                &booking_core::Actor::from(alice_user.clone()),
                booking_core::BookingRequest {
                    room_id: room.parse().expect("room id"),
                    title: "From a binding".into(),
                    purpose: String::new(),
                    attendees: 2,
                    start,
                    end,
                },
            )
            .await
            .expect("embedded booking");
        let got = rx
            .wait_for(20, |d| {
                d.iter()
                    .any(|d| d["body"]["data"]["booking"]["title"] == "From a binding")
            })
            .await;
        let last = got.last().expect("delivery");
        assert_eq!(last["body"]["data"]["booking_id"], made.id.to_string());
        assert_eq!(last["verified_with"], json!([0, 1]));

        // Every change is audited.
        let (_, audit) = srv
            .call(Method::GET, "/api/v1/audit?entity=webhook", Some(&sa), None)
            .await;
        let actions: BTreeSet<&str> = audit
            .as_array()
            .expect("audit")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        for a in [
            "webhook.create",
            "webhook.rotate_secret",
            "webhook.redeliver",
        ] {
            assert!(actions.contains(a), "{a} in {actions:?}");
        }
    }

    pub async fn a_failing_receiver_is_retried_then_disabled(b: Backend) {
        let Some(py) = python() else { return };
        let rx = Receiver::start(&py);
        rx.answer(500);
        let srv = server(b, |c| {
            loopback_allowed(c);
            c.webhooks.max_failures = 3;
        })
        .await;
        srv.user("sa@example.com", Role::SuperAdmin).await;
        let sa = srv.login("sa@example.com").await;
        let room = srv.create_room(&sa, "Hall", false).await;
        let (s, ep) = srv
            .call(
                Method::POST,
                "/api/v1/webhooks",
                Some(&sa),
                Some(json!({"url": rx.url, "kinds": ["created"]})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{ep}");
        rx.secrets(&[ep["secret"].as_str().expect("secret")]);
        let ep_id = ep["id"].as_str().expect("id").to_string();
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&sa),
                Some(booking_json(&room, 9, 2)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);

        // Three attempts of the same message, then the endpoint is off.
        let got = rx.wait_for(20, |d| d.len() >= 3).await;
        assert!(
            got.iter().all(|d| d["id"] == got[0]["id"]),
            "retries: {got:#?}"
        );
        let mut endpoint = Value::Null;
        for _ in 0..100 {
            endpoint = srv
                .call(
                    Method::GET,
                    &format!("/api/v1/webhooks/{ep_id}"),
                    Some(&sa),
                    None,
                )
                .await
                .1;
            if endpoint["enabled"] == false {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(endpoint["enabled"], false, "{endpoint}");
        assert!(
            endpoint["disabled_reason"]
                .as_str()
                .is_some_and(|r| r.contains("3 failed") && r.contains("500")),
            "{endpoint}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(rx.deliveries().len(), 3, "nothing is sent once disabled");
        let (_, log) = srv
            .call(
                Method::GET,
                &format!("/api/v1/webhooks/{ep_id}/deliveries"),
                Some(&sa),
                None,
            )
            .await;
        assert_eq!(log[0]["state"], "pending", "{log}");
        assert_eq!(log[0]["last_status"], 500);
        assert_eq!(log[0]["last_response"], r#"{"status": 500}"#);
        // The owner is told by mail, and the log says so.
        let mails = srv.state.store.outbox_messages(20).await.expect("outbox");
        assert!(
            mails.iter().any(|(kind, m)| kind == "webhook_disabled"
                && String::from_utf8_lossy(m).contains("sa@example.com")),
            "a notice to the owner"
        );
        let (_, audit) = srv
            .call(Method::GET, "/api/v1/audit?entity=webhook", Some(&sa), None)
            .await;
        assert!(
            audit
                .as_array()
                .expect("audit")
                .iter()
                .any(|e| e["action"] == "webhook.auto_disable"),
            "{audit}"
        );

        // Fixed and enabled again: the waiting delivery goes out.
        rx.answer(204);
        let (s, v) = srv
            .call(
                Method::POST,
                &format!("/api/v1/webhooks/{ep_id}/enable"),
                Some(&sa),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["failures"], 0);
        let got = rx
            .wait_for(20, |d| d.last().is_some_and(|d| d["status"] == 204))
            .await;
        assert_eq!(got.last().expect("last")["id"], got[0]["id"]);
    }
}

/// kill -9 while deliveries are being retried, then a restart: every
/// booking's `created` event still reaches the receiver (answered 2xx).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_mid_delivery_loses_no_event() {
    let Some(py) = python() else { return };
    for backend in backends() {
        eprintln!("-- {backend:?}");
        let rx = Receiver::start(&py);
        rx.answer(503);
        let db = TestDb::create(backend).await;
        let http = reqwest::Client::new();
        let port = common::process::free_port();
        let base = format!("http://127.0.0.1:{port}");
        let env = [
            ("BOOKING_WEBHOOK_DENIED_NETWORKS", "none"),
            ("BOOKING_WEBHOOK_TIMEOUT_SECS", "1"),
            ("BOOKING_WEBHOOK_RETRY_BASE_MS", "100"),
            ("BOOKING_WEBHOOK_MAX_FAILURES", "0"),
        ];
        let secret = "webhook-kill-secret-webhook-kill-secret";
        common::process::create_admin(&db.url, "admin@example.com", PASSWORD);
        let server = common::process::spawn_with(&db.url, port, secret, &env);
        common::process::wait_ready(&http, &base).await;
        let token = common::process::login(&http, &base, "admin@example.com", PASSWORD).await;
        let call = |m: Method, path: &str, body: Value| {
            http.request(m, format!("{base}/api/v1{path}"))
                .bearer_auth(&token)
                .json(&body)
                .send()
        };
        let room: Value = call(Method::POST, "/rooms", room_json("Kill", false))
            .await
            .expect("room")
            .json()
            .await
            .expect("json");
        let room = room["id"].as_str().expect("room").to_string();
        let ep: Value = call(
            Method::POST,
            "/webhooks",
            json!({"url": rx.url, "kinds": ["created"]}),
        )
        .await
        .expect("endpoint")
        .json()
        .await
        .expect("json");
        rx.secrets(&[ep["secret"].as_str().expect("secret")]);
        let mut booked = BTreeSet::new();
        for h in 0..20 {
            let r = call(Method::POST, "/bookings", booking_json(&room, h, 1))
                .await
                .expect("book");
            assert_eq!(r.status(), StatusCode::CREATED);
            let v: Value = r.json().await.expect("json");
            booked.insert(v["id"].as_str().expect("id").to_string());
        }
        // Attempts are under way (and refused): kill the server now.
        rx.wait_for(20, |d| d.len() >= 3).await;
        drop(server);
        rx.answer(204);
        let server = common::process::spawn_with(&db.url, port, secret, &env);
        common::process::wait_ready(&http, &base).await;
        let got = rx
            .wait_for(60, |d| {
                let accepted: BTreeSet<&str> = d
                    .iter()
                    .filter(|d| d["status"] == 204)
                    .filter_map(|d| d["body"]["data"]["booking_id"].as_str())
                    .collect();
                booked.iter().all(|b| accepted.contains(b.as_str()))
            })
            .await;
        assert!(got.iter().all(|d| d["verified_with"] == json!([0])));
        drop(server);
    }
}

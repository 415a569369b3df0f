//! Personal access tokens and the MCP endpoint (#23): an MCP client written
//! by others (the official Python SDK) lists the tools, books, meets the
//! structured conflict, retries with the same idempotency key without
//! booking twice — on SQLite and PostgreSQL. Read-only tokens read only;
//! revoked tokens stop at once.

use std::process::Command;

use booking_core::Role;
use booking_core::store::BookingFilter;
use booking_store::testing::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod common;
use common::api::*;
use common::receiver::python;

async fn token(srv: &Server, jwt: &str, scope: &str) -> (String, String) {
    let (s, v) = srv
        .call(
            Method::POST,
            "/api/v1/me/tokens",
            Some(jwt),
            Some(json!({"name": format!("assistant {scope}"), "scope": scope})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let secret = v["token"].as_str().expect("token").to_string();
    assert!(secret.starts_with("bkp_"), "{secret}");
    (v["id"].as_str().expect("id").to_string(), secret)
}

on_every_backend!(an_mcp_client_books_once_and_meets_the_conflict);

mod cases {
    use super::*;

    pub async fn an_mcp_client_books_once_and_meets_the_conflict(b: Backend) {
        let Some(py) = python() else { return };
        let srv = server(b, |_| {}).await;
        srv.user("sa@example.com", Role::SuperAdmin).await;
        let alice = srv.user("alice@example.com", Role::User).await;
        let sa = srv.login("sa@example.com").await;
        srv.create_room(&sa, "Blue", false).await;
        srv.create_room(&sa, "Green", false).await;
        let jwt = srv.login("alice@example.com").await;
        let (_, rw) = token(&srv, &jwt, "read_write").await;
        let (_, ro) = token(&srv, &jwt, "read").await;
        let (start, end) = slot(10);

        let out = Command::new(&py)
            .arg(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../scripts/interop/mcp_client.py"),
            )
            .args([
                format!("{}/mcp", srv.base),
                rw,
                ro,
                start.to_rfc3339(),
                end.to_rfc3339(),
            ])
            .output()
            .expect("python");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "MCP client failed:\n{stderr}");
        let seen: Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(seen["server"], "booking-server");
        assert_eq!(seen["conflict"]["rule"], "no_overlap", "{seen}");

        // Exactly one booking was made, by Alice, audited as her.
        let list = srv
            .state
            .svc
            .list_bookings(&BookingFilter {
                organizer_id: Some(alice.id),
                ..BookingFilter::default()
            })
            .await
            .expect("list");
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(
            list[0].id.to_string(),
            seen["booking"].as_str().expect("id")
        );
        assert_eq!(list[0].title, "Assistant's sync");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_tokens_act_as_their_owner_within_their_scope() {
    let srv = server(Backend::Sqlite, |_| {}).await;
    srv.user("sa@example.com", Role::SuperAdmin).await;
    srv.user("bob@example.com", Role::User).await;
    let sa = srv.login("sa@example.com").await;
    let room = srv.create_room(&sa, "Blue", false).await;
    let jwt = srv.login("bob@example.com").await;
    let (ro_id, ro) = token(&srv, &jwt, "read").await;
    let (rw_id, rw) = token(&srv, &jwt, "read_write").await;

    // Read-only: reads, and nothing else.
    let (s, _) = srv
        .call(Method::GET, "/api/v1/rooms", Some(&ro), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = srv
        .call(
            Method::POST,
            "/api/v1/bookings",
            Some(&ro),
            Some(booking_json(&room, 9, 2)),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.contains("read-only"))
    );
    // Read-write: books as Bob.
    let (s, v) = srv
        .call(
            Method::POST,
            "/api/v1/bookings",
            Some(&rw),
            Some(booking_json(&room, 9, 2)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, me) = srv.call(Method::GET, "/api/v1/me", Some(&rw), None).await;
    assert_eq!(me["email"], "bob@example.com");
    // A token may not make more tokens.
    let (s, _) = srv
        .call(
            Method::POST,
            "/api/v1/me/tokens",
            Some(&rw),
            Some(json!({"name": "x", "scope": "read"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Listed without secrets, with last use.
    let (_, list) = srv
        .call(Method::GET, "/api/v1/me/tokens", Some(&jwt), None)
        .await;
    let list = list.as_array().expect("list");
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|t| t.get("token").is_none()));
    assert!(
        list.iter()
            .any(|t| t["id"] == rw_id.as_str() && t["last_used_at"].is_string())
    );
    // Only SHA-256 is stored.
    let stored = srv
        .state
        .store
        .access_tokens_of(booking_core::UserId(
            me["id"].as_str().expect("id").parse().expect("uuid"),
        ))
        .await
        .expect("tokens");
    assert_eq!(stored.len(), 2);

    // Revoked: refused at once, on the API and on /mcp.
    let (s, _) = srv
        .call(
            Method::DELETE,
            &format!("/api/v1/me/tokens/{ro_id}"),
            Some(&jwt),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = srv
        .call(Method::GET, "/api/v1/rooms", Some(&ro), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let r = srv
        .http
        .post(format!("{}/mcp", srv.base))
        .bearer_auth(&ro)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .expect("mcp");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("www-authenticate"));

    // The endpoint speaks JSON-RPC: no token, GET, garbage, unknown method.
    let r = srv
        .http
        .post(format!("{}/mcp", srv.base))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .expect("mcp");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = srv
        .http
        .get(format!("{}/mcp", srv.base))
        .bearer_auth(&rw)
        .send()
        .await
        .expect("mcp");
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let rpc = |body: &'static str| {
        srv.http
            .post(format!("{}/mcp", srv.base))
            .bearer_auth(&rw)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    // A page on another site may not drive it (DNS rebinding).
    let r = srv
        .http
        .post(format!("{}/mcp", srv.base))
        .bearer_auth(&rw)
        .header("origin", "https://evil.example")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .expect("mcp");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = rpc("{not json").await.expect("mcp");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["error"]["code"], -32700);
    let v: Value = rpc(r#"{"jsonrpc": "2.0", "id": 7, "method": "server/discover"}"#)
        .await
        .expect("mcp")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (v["id"].clone(), v["error"]["code"].clone()),
        (json!(7), json!(-32601))
    );
    let r = rpc(r#"{"jsonrpc": "2.0", "method": "notifications/initialized"}"#)
        .await
        .expect("mcp");
    assert_eq!(r.status(), StatusCode::ACCEPTED);

    // An idempotency key whose call died is taken over after a minute.
    {
        use booking_server::tables::Idempotency;
        let bob = booking_core::UserId(me["id"].as_str().expect("id").parse().expect("uuid"));
        let store = &srv.state.store;
        let now = chrono::Utc::now();
        let reserve = |at| store.reserve_idempotency_key(bob, "retry-1", at);
        assert_eq!(reserve(now).await.expect("db"), Idempotency::Reserved);
        assert_eq!(reserve(now).await.expect("db"), Idempotency::InFlight);
        let later = now + chrono::Duration::minutes(2);
        assert_eq!(
            reserve(later).await.expect("db"),
            Idempotency::Reserved,
            "taken over"
        );
    }

    // Creating and revoking tokens is audited.
    let (_, audit) = srv
        .call(
            Method::GET,
            "/api/v1/audit?entity=access_token",
            Some(&sa),
            None,
        )
        .await;
    let actions: Vec<&str> = audit
        .as_array()
        .expect("audit")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "token.create").count(),
        2,
        "{actions:?}"
    );
    assert!(actions.contains(&"token.revoke"));
}

/// #22 at the MCP door: an assistant's AI books in their manager's name
/// (`for_email`) once the manager allows it; before that it is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assistant_books_for_their_manager_over_mcp() {
    let srv = server(Backend::Sqlite, |_| {}).await;
    srv.user("sa@example.com", Role::SuperAdmin).await;
    let alice = srv.user("alice@example.com", Role::User).await;
    let bob = srv.user("bob@example.com", Role::User).await;
    let sa = srv.login("sa@example.com").await;
    let room = srv.create_room(&sa, "Blue", false).await;
    let (a, b) = (
        srv.login("alice@example.com").await,
        srv.login("bob@example.com").await,
    );
    let (_, rw) = token(&srv, &b, "read_write").await;
    let (start, end) = slot(9);
    let call = || {
        srv.http
            .post(format!("{}/mcp", srv.base))
            .bearer_auth(&rw)
            .json(
                &json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
                "name": "book", "arguments": {
                    "room_id": room, "title": "Board prep", "attendees": 2,
                    "start": start, "end": end, "for_email": "alice@example.com",
                }}}),
            )
            .send()
    };
    let refused: Value = call().await.expect("mcp").json().await.expect("json");
    assert_eq!(refused["result"]["isError"], true, "{refused}");
    let (s, _) = srv
        .call(
            Method::POST,
            "/api/v1/me/delegates",
            Some(&a),
            Some(json!({"email": "bob@example.com"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let made: Value = call().await.expect("mcp").json().await.expect("json");
    assert_eq!(made["result"]["isError"], false, "{made}");
    let booking = &made["result"]["structuredContent"]["booking"];
    assert_eq!(booking["organizer_id"], json!(alice.id.to_string()));
    assert_eq!(booking["booked_by"], json!(bob.id.to_string()));
}

//! Answers a client can act on (#16 items 11–13): a database outage is 503
//! with `Retry-After`, a body of the wrong shape names the field (a JSON
//! pointer) and what was expected, and 405 says which methods are allowed.

use booking_core::Role;
use booking_store::testing::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod common;
use common::api::*;

on_every_backend!(
    type_errors_name_the_field,
    method_not_allowed_says_allow,
    a_database_outage_is_503
);

mod cases {
    use super::*;

    async fn booking_with(srv: &Server, token: &str, body: Value) -> (StatusCode, Value) {
        srv.call(Method::POST, "/api/v1/bookings", Some(token), Some(body))
            .await
    }

    pub async fn type_errors_name_the_field(b: Backend) {
        let srv = server(b, |_| {}).await;
        srv.user("admin@example.com", Role::SuperAdmin).await;
        srv.user("user@example.com", Role::User).await;
        let admin = srv.login("admin@example.com").await;
        let user = srv.login("user@example.com").await;
        let room = srv.create_room(&admin, "Board", false).await;
        let good = booking_json(&room, 10, 2);
        let with = |key: &str, v: Value| {
            let mut b = good.clone();
            b[key] = v;
            b
        };
        let without = |key: &str| {
            let mut b = good.clone();
            b.as_object_mut().expect("object").remove(key);
            b
        };
        for (body, field, words) in [
            (
                with("attendees", json!(-1)),
                "/attendees",
                "a whole number from 1 to 100000, found -1",
            ),
            (
                with("attendees", json!("six")),
                "/attendees",
                "a whole number",
            ),
            (without("title"), "/title", "required"),
            (with("title", Value::Null), "/title", "a string"),
            (with("room_id", json!("nope")), "/room_id", "a UUID"),
            (with("start", json!("tomorrow")), "/start", "RFC 3339"),
            (with("title", json!("")), "/title", "at least 1 character"),
        ] {
            let (s, p) = booking_with(&srv, &user, body.clone()).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{body} → {p}");
            assert_eq!(p["field"], field, "{body} → {p}");
            let detail = p["detail"].as_str().unwrap_or_default();
            assert!(detail.starts_with(field), "{p}");
            assert!(detail.contains(words), "{body} → {p}");
        }
        // Nested: a business-hours entry of a room.
        let mut r = room_json("Nested", false);
        r["policy"]["business_hours"][3]["open"] = json!(9);
        let (s, p) = srv
            .call(Method::POST, "/api/v1/rooms", Some(&admin), Some(r))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
        assert_eq!(p["field"], "/policy/business_hours/3/open", "{p}");
        // Not JSON at all: says where it broke.
        let resp = srv
            .http
            .post(format!("{}/api/v1/bookings", srv.base))
            .bearer_auth(&user)
            .header("content-type", "application/json")
            .body("{\"title\": ")
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        let p: Value = resp.json().await.expect("json");
        assert!(
            p["detail"]
                .as_str()
                .is_some_and(|d| d.contains("not valid JSON")),
            "{p}"
        );
        // A query parameter of the wrong type names the parameter.
        let (s, p) = srv
            .call(
                Method::GET,
                "/api/v1/rooms?min_capacity=abc",
                Some(&user),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
        assert!(
            p["detail"]
                .as_str()
                .is_some_and(|d| d.contains("min_capacity")),
            "{p}"
        );
        // Nothing was booked by any of these.
        assert!(
            srv.state
                .svc
                .list_bookings(&Default::default())
                .await
                .expect("list")
                .is_empty()
        );
    }

    pub async fn method_not_allowed_says_allow(b: Backend) {
        let srv = server(b, |_| {}).await;
        for (method, path, allow) in [
            (Method::DELETE, "/api/v1/rooms", "GET, HEAD, POST"),
            (
                Method::POST,
                "/api/v1/rooms/6d1f3c3e-0000-0000-0000-000000000000",
                "DELETE, GET, HEAD, PUT",
            ),
            (Method::POST, "/healthz", "GET, HEAD"),
            (Method::PUT, "/ical/me.ics", "GET, HEAD"),
            (Method::DELETE, "/book", "GET, HEAD, POST"),
            (Method::GET, "/logout", "POST"),
        ] {
            let resp = srv
                .http
                .request(method.clone(), format!("{}{path}", srv.base))
                .send()
                .await
                .expect("send");
            assert_eq!(
                resp.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert_eq!(
                resp.headers().get("allow").and_then(|v| v.to_str().ok()),
                Some(allow),
                "{method} {path}"
            );
        }
    }

    /// PostgreSQL goes away (its database cannot be reached) and comes back.
    pub async fn a_database_outage_is_503(b: Backend) {
        if b != Backend::Postgres {
            eprintln!("a database outage is simulated on PostgreSQL only");
            return;
        }
        let srv = server(b, |c| c.database.acquire_timeout_secs = 2).await;
        srv.user("user@example.com", Role::User).await;
        let user = srv.login("user@example.com").await;
        let url = srv.db_url();
        let name = url.rsplit('/').next().expect("name").to_string();
        let away = format!("{name}_away");
        let admin_url = url.replace(&format!("/{name}"), "/postgres");
        let rename = async |from: &str, to: &str| {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&admin_url)
                .await
                .expect("admin");
            for _ in 0..50 {
                sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()")
                    .bind(from)
                    .execute(&mut c)
                    .await
                    .expect("terminate");
                let renamed = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "ALTER DATABASE {from} RENAME TO {to}"
                )))
                .execute(&mut c)
                .await;
                if renamed.is_ok() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("cannot rename {from}");
        };
        rename(&name, &away).await;
        for (method, path, token, body) in [
            (Method::GET, "/api/v1/rooms", Some(user.as_str()), None),
            (
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": "user@example.com", "password": PASSWORD})),
            ),
        ] {
            let mut req = srv
                .http
                .request(method.clone(), format!("{}{path}", srv.base));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            if let Some(b) = body {
                req = req.json(&b);
            }
            let resp = req.send().await.expect("send");
            assert_eq!(
                resp.status(),
                StatusCode::SERVICE_UNAVAILABLE,
                "{method} {path}"
            );
            assert!(
                resp.headers().contains_key("retry-after"),
                "{path} {:?}",
                resp.headers()
            );
            let p: Value = resp.json().await.expect("problem");
            assert_eq!(
                p["detail"], "database unavailable; try again shortly",
                "{p}"
            );
        }
        // CalDAV too: 503 — not 401 (a client would ask for a new password)
        // and never an empty calendar (a syncing client would delete).
        let r = srv
            .http
            .request(
                Method::from_bytes(b"PROPFIND").expect("m"),
                format!("{}/dav/rooms/", srv.base),
            )
            .basic_auth("user@example.com", Some(PASSWORD))
            .header("depth", "1")
            .send()
            .await
            .expect("propfind");
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(r.headers().contains_key("retry-after"));
        let ready = srv
            .http
            .get(format!("{}/readyz", srv.base))
            .send()
            .await
            .expect("readyz");
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        rename(&away, &name).await;
        let (s, _) = srv
            .call(Method::GET, "/api/v1/rooms", Some(&user), None)
            .await;
        assert_eq!(s, StatusCode::OK, "the server recovers by itself");
    }
}

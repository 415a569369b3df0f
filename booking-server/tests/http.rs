//! The real server over HTTP on an ephemeral port, on SQLite and PostgreSQL.

use std::time::Duration as StdDuration;

use booking_core::{Role, RoomId};
use booking_store::testing::Backend;
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::json;

mod common;
use common::api::*;

on_every_backend!(
    role_matrix,
    conflicts_rules_and_problem_documents,
    lockout_after_failed_logins,
    token_expiry_refresh_and_logout,
    domain_restriction_and_account_approval,
    audit_log_records_state_changes,
    openapi_health_metrics_and_headers,
    series_check_in_and_waitlist,
    analytics_roles_json_and_csv,
    procurement_over_http,
    cors_is_configurable,
    control_characters_are_refused,
    bodies_are_capped,
    room_bookings_are_masked_for_others,
    failed_sign_ins_are_limited,
);

mod cases {
    use super::*;

    pub async fn role_matrix(b: Backend) {
        let srv = server(b, |_| {}).await;
        srv.user("admin@example.com", Role::SuperAdmin).await;
        let ra = srv.user("ra@example.com", Role::RoomAdmin).await;
        srv.user("buyer@example.com", Role::ProcurementOfficer)
            .await;
        srv.user("user@example.com", Role::User).await;
        let admin = srv.login("admin@example.com").await;
        let room_admin = srv.login("ra@example.com").await;
        let buyer = srv.login("buyer@example.com").await;
        let user = srv.login("user@example.com").await;

        // Only super_admin creates rooms.
        for t in [&room_admin, &buyer, &user] {
            let (s, p) = srv
                .call(
                    Method::POST,
                    "/api/v1/rooms",
                    Some(t),
                    Some(room_json("X", false)),
                )
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
        }
        let board = srv.create_room(&admin, "Board", true).await;
        let other = srv.create_room(&admin, "Other", true).await;

        // Assign Board to the room admin.
        let (s, _) = srv
            .call(
                Method::PATCH,
                &format!("/api/v1/users/{}", ra.id),
                Some(&admin),
                Some(json!({"assigned_rooms": [board]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = srv
            .call(
                Method::PUT,
                &format!("/api/v1/rooms/{board}"),
                Some(&room_admin),
                Some(room_json("Board 2", true)),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "room_admin manages an assigned room");
        let (s, _) = srv
            .call(
                Method::PUT,
                &format!("/api/v1/rooms/{other}"),
                Some(&room_admin),
                Some(room_json("Mine", true)),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "not an assigned room");
        let (s, _) = srv
            .call(
                Method::DELETE,
                &format!("/api/v1/rooms/{other}"),
                Some(&buyer),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "procurement cannot manage rooms");
        let (s, _) = srv
            .call(Method::GET, "/api/v1/users", Some(&room_admin), None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // Approval workflow.
        let (s, b1) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&user),
                Some(booking_json(&board, 9, 4)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b1}");
        assert_eq!(b1["status"], "pending");
        let (s, b2) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&user),
                Some(booking_json(&other, 9, 4)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let id1 = b1["id"].as_str().expect("id");
        let id2 = b2["id"].as_str().expect("id");
        for t in [&user, &buyer] {
            let (s, p) = srv
                .call(
                    Method::POST,
                    &format!("/api/v1/bookings/{id1}/approve"),
                    Some(t),
                    Some(json!({})),
                )
                .await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
        }
        let (s, _) = srv
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{id2}/approve"),
                Some(&room_admin),
                Some(json!({})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "room_admin of another room");
        let (s, q) = srv
            .call(Method::GET, "/api/v1/approvals", Some(&room_admin), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(q.as_array().map(Vec::len), Some(1), "{q}");
        let (s, a) = srv
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{id1}/approve"),
                Some(&room_admin),
                Some(json!({"reason": "ok"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(a["status"], "approved");
        let (s, r) = srv
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{id2}/reject"),
                Some(&admin),
                Some(json!({"reason": "maintenance"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(r["status"], "rejected");
        assert_eq!(r["decision_reason"], "maintenance");
        let (s, _) = srv
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{id1}/approve"),
                Some(&admin),
                Some(json!({})),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "already approved");
        // Users see their own bookings, not others'.
        let (s, mine) = srv
            .call(Method::GET, "/api/v1/bookings/mine", Some(&user), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(mine.as_array().map(Vec::len), Some(2));
        srv.user("eve@example.com", Role::User).await;
        let eve = srv.login("eve@example.com").await;
        let (s, _) = srv
            .call(
                Method::GET,
                &format!("/api/v1/bookings/{id1}"),
                Some(&eve),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = srv
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{id1}/cancel"),
                Some(&eve),
                Some(json!({})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, c) = srv
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{id1}/cancel"),
                Some(&user),
                Some(json!({})),
            )
            .await;
        assert_eq!(
            (s, c["status"].as_str()),
            (StatusCode::OK, Some("cancelled"))
        );
    }

    pub async fn conflicts_rules_and_problem_documents(b: Backend) {
        let srv = server(b, |_| {}).await;
        srv.user("admin@example.com", Role::SuperAdmin).await;
        srv.user("user@example.com", Role::User).await;
        let admin = srv.login("admin@example.com").await;
        let user = srv.login("user@example.com").await;
        let room = srv.create_room(&admin, "R", false).await;

        let (s, first) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&user),
                Some(booking_json(&room, 10, 4)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(first["status"], "approved");
        let (s, p) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&admin),
                Some(booking_json(&room, 10, 2)),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{p}");
        assert_eq!(p["rule"], "no_overlap");
        assert_eq!(p["conflict"]["booking_id"], first["id"]);
        assert_eq!(p["status"], 409);

        let (s, p) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&user),
                Some(booking_json(&room, 12, 7)),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["rule"], "capacity");
        assert_eq!(p["detail"], "7 attendees exceed the room capacity of 6");

        let (st, en) = slot(12);
        let (s, p) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&user),
                Some(
                    json!({"room_id": room, "title": "x", "attendees": 1, "start": en, "end": st}),
                ),
            )
            .await;
        assert_eq!(
            (s, p["rule"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("end_after_start"))
        );

        let unknown = RoomId::new_random();
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&user),
                Some(booking_json(&unknown.to_string(), 12, 2)),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, p) = srv
            .call(
                Method::POST,
                "/api/v1/rooms",
                Some(&admin),
                Some(
                    json!({"name": "Z", "category": "meeting", "capacity": 0, "time_zone": "UTC"}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "capacity 0: {p}");
        let mut bad_tz = room_json("Tz", false);
        bad_tz["time_zone"] = json!("Mars/Base");
        let (s, p) = srv
            .call(Method::POST, "/api/v1/rooms", Some(&admin), Some(bad_tz))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(
            p["detail"]
                .as_str()
                .is_some_and(|d| d.contains("unknown time zone")),
            "{p}"
        );

        // Bad JSON, unknown route, wrong method: all problem documents (checked in `call`).
        let resp = srv
            .http
            .post(format!("{}/api/v1/bookings", srv.base))
            .bearer_auth(&user)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("send");
        assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
        assert_eq!(resp.headers()["content-type"], "application/problem+json");
        let (s, _) = srv
            .call(Method::GET, "/api/v1/nowhere", Some(&user), None)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = srv
            .call(Method::DELETE, "/api/v1/bookings/mine", Some(&user), None)
            .await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
        let (s, _) = srv
            .call(Method::GET, "/api/v1/bookings/mine", None, None)
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);

        // Availability and find-a-room reflect the booking.
        let date = slot(0).0.date_naive();
        let (s, slots) = srv
            .call(
                Method::GET,
                &format!("/api/v1/rooms/{room}/availability?date={date}"),
                Some(&user),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(slots.as_array().map(Vec::len), Some(2), "{slots}");
        let (st, en) = slot(10);
        let q = format!(
            "/api/v1/find-room?start={}&end={}&capacity=2",
            st.to_rfc3339(),
            en.to_rfc3339()
        )
        .replace('+', "%2B");
        let (s, found) = srv.call(Method::GET, &q, Some(&user), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            found.as_array().map(Vec::len),
            Some(0),
            "room is busy: {found}"
        );
        // Moving the booking frees 10:00.
        let id = first["id"].as_str().expect("id");
        let (ns, ne) = slot(15);
        let (s, moved) = srv
            .call(
                Method::PATCH,
                &format!("/api/v1/bookings/{id}"),
                Some(&user),
                Some(json!({"start": ns, "end": ne})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{moved}");
        assert_eq!(moved["sequence"], 1);
        let (s, found) = srv.call(Method::GET, &q, Some(&user), None).await;
        assert_eq!(
            (s, found.as_array().map(Vec::len)),
            (StatusCode::OK, Some(1))
        );
    }

    pub async fn lockout_after_failed_logins(b: Backend) {
        let srv = server(b, |c| {
            c.auth.lockout_attempts = 3;
            c.auth.lockout_minutes = 10;
        })
        .await;
        srv.user("user@example.com", Role::User).await;
        let wrong = json!({"email": "user@example.com", "password": "not the password"});
        for _ in 0..3 {
            let (s, p) = srv
                .call(
                    Method::POST,
                    "/api/v1/auth/login",
                    None,
                    Some(wrong.clone()),
                )
                .await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{p}");
        }
        let right = json!({"email": "user@example.com", "password": PASSWORD});
        let (s, p) = srv
            .call(Method::POST, "/api/v1/auth/login", None, Some(right))
            .await;
        assert_eq!(s.as_u16(), 423, "locked even with the right password: {p}");
        assert!(
            p["detail"].as_str().is_some_and(|d| d.contains("locked")),
            "{p}"
        );
        // Unknown accounts get the same answer as wrong passwords.
        let (s, p) = srv
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": "nobody@example.com", "password": "x"})),
            )
            .await;
        assert_eq!(
            (s, p["detail"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("wrong e-mail or password"))
        );
    }

    pub async fn token_expiry_refresh_and_logout(b: Backend) {
        let srv = server(b, |c| c.auth.access_token_ttl_secs = 1).await;
        srv.user("user@example.com", Role::User).await;
        let (s, pair) = srv
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": "user@example.com", "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let access = pair["access_token"].as_str().expect("access").to_string();
        let refresh = pair["refresh_token"].as_str().expect("refresh").to_string();
        let (s, me) = srv
            .call(Method::GET, "/api/v1/me", Some(&access), None)
            .await;
        assert_eq!(
            (s, me["email"].as_str()),
            (StatusCode::OK, Some("user@example.com"))
        );
        // A refresh token is not an access token.
        let (s, _) = srv
            .call(Method::GET, "/api/v1/me", Some(&refresh), None)
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        tokio::time::sleep(StdDuration::from_millis(2100)).await;
        let (s, p) = srv
            .call(Method::GET, "/api/v1/me", Some(&access), None)
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(
            p["detail"].as_str().is_some_and(|d| d.contains("expired")),
            "{p}"
        );

        let (s, pair2) = srv
            .call(
                Method::POST,
                "/api/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": refresh})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{pair2}");
        let access2 = pair2["access_token"].as_str().expect("access").to_string();
        let refresh2 = pair2["refresh_token"]
            .as_str()
            .expect("refresh")
            .to_string();
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": refresh})),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::UNAUTHORIZED,
            "a used refresh token is revoked"
        );
        let (s, _) = srv
            .call(Method::GET, "/api/v1/me", Some(&access2), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/auth/logout",
                Some(&access2),
                Some(json!({"refresh_token": refresh2})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, p) = srv
            .call(Method::GET, "/api/v1/me", Some(&access2), None)
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(
            p["detail"].as_str().is_some_and(|d| d.contains("revoked")),
            "{p}"
        );
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": refresh2})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);

        // Password change: the old password stops working.
        let access3 = srv.login("user@example.com").await;
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/me/password",
                Some(&access3),
                Some(json!({"current_password": "wrong", "new_password": "a much longer secret"})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/me/password",
                Some(&access3),
                Some(json!({"current_password": PASSWORD, "new_password": "a much longer secret"})),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": "user@example.com", "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }

    pub async fn domain_restriction_and_account_approval(b: Backend) {
        let srv = server(b, |c| {
            c.auth.allowed_email_domains = vec!["example.com".into(), "partner.example".into()];
            c.auth.approval_email_domains = vec!["partner.example".into()];
        })
        .await;
        srv.user("admin@example.com", Role::SuperAdmin).await;
        let admin = srv.login("admin@example.com").await;
        let reg =
            |email: &str| json!({"email": email, "password": PASSWORD, "display_name": "New"});
        let (s, p) = srv
            .call(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(reg("mallory@evil.test")),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert!(
            p["detail"]
                .as_str()
                .is_some_and(|d| d.contains("example.com")),
            "{p}"
        );
        let (s, u) = srv
            .call(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(reg("Carol@Example.com")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{u}");
        assert_eq!(
            (u["active"].as_bool(), u["role"].as_str()),
            (Some(true), Some("user"))
        );
        assert_eq!(u["email"], "carol@example.com");
        srv.login("carol@example.com").await;
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(reg("carol@example.com")),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "duplicate");
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(
                    json!({"email": "short@example.com", "password": "short", "display_name": "S"}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "weak password");

        let (s, dave) = srv
            .call(
                Method::POST,
                "/api/v1/auth/register",
                None,
                Some(reg("dave@partner.example")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(dave["active"], false);
        let login = json!({"email": "dave@partner.example", "password": PASSWORD});
        let (s, p) = srv
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(login.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "awaiting approval: {p}");
        let (s, _) = srv
            .call(
                Method::PATCH,
                &format!("/api/v1/users/{}", dave["id"].as_str().expect("id")),
                Some(&admin),
                Some(json!({"active": true})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = srv
            .call(Method::POST, "/api/v1/auth/login", None, Some(login))
            .await;
        assert_eq!(s, StatusCode::OK);
    }

    pub async fn audit_log_records_state_changes(b: Backend) {
        let srv = server(b, |_| {}).await;
        srv.user("admin@example.com", Role::SuperAdmin).await;
        let user = srv.user("user@example.com", Role::User).await;
        let admin = srv.login("admin@example.com").await;
        let token = srv.login("user@example.com").await;
        let room = srv.create_room(&admin, "R", false).await;
        let (s, bk) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&token),
                Some(booking_json(&room, 9, 2)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let id = bk["id"].as_str().expect("id");
        let (s, _) = srv
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{id}/cancel"),
                Some(&token),
                Some(json!({"reason": "moved"})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);

        let (s, _) = srv
            .call(Method::GET, "/api/v1/audit", Some(&token), None)
            .await;
        assert_eq!(
            s,
            StatusCode::FORBIDDEN,
            "only super_admin reads the audit log"
        );
        let (s, log) = srv
            .call(
                Method::GET,
                &format!("/api/v1/audit?entity=booking&entity_id={id}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let entries = log.as_array().expect("array");
        let actions: Vec<_> = entries
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(actions, ["booking.cancel", "booking.create"]);
        let cancel = &entries[0];
        assert_eq!(cancel["actor_id"], json!(user.id.to_string()));
        assert_eq!(cancel["actor_ip"], "127.0.0.1");
        assert_eq!(cancel["before"]["status"], "approved");
        assert_eq!(cancel["after"]["status"], "cancelled");
        let (s, log) = srv
            .call(Method::GET, "/api/v1/audit?entity=room", Some(&admin), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(log[0]["action"], "room.create");
    }

    pub async fn openapi_health_metrics_and_headers(b: Backend) {
        let srv = server(b, |_| {}).await;
        let (s, spec) = srv.call(Method::GET, "/api/openapi.json", None, None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(
            spec["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3."))
        );
        for path in [
            "/bookings",
            "/rooms/{id}/availability",
            "/find-room",
            "/auth/login",
            "/audit",
        ] {
            assert!(spec["paths"][path].is_object(), "{path} documented");
        }
        let post = &spec["paths"]["/bookings"]["post"]["responses"];
        for code in ["201", "400", "401", "403", "404", "409", "422", "500"] {
            assert!(post[code].is_object(), "POST /bookings documents {code}");
        }
        assert!(post["409"]["content"]["application/problem+json"].is_object());

        let resp = srv
            .http
            .get(format!("{}/api/docs", srv.base))
            .send()
            .await
            .expect("docs");
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            resp.text().await.expect("html").contains("swagger"),
            "Swagger UI"
        );

        let resp = srv
            .http
            .get(format!("{}/healthz", srv.base))
            .header("x-request-id", "abc-123")
            .send()
            .await
            .expect("h");
        assert_eq!(resp.status(), StatusCode::OK);
        let h = resp.headers();
        assert_eq!(h["x-request-id"], "abc-123");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["x-frame-options"], "DENY");
        assert!(h.contains_key("content-security-policy"));
        let (s, _) = srv.call(Method::GET, "/readyz", None, None).await;
        assert_eq!(s, StatusCode::OK);

        srv.user("admin@example.com", Role::SuperAdmin).await;
        let admin = srv.login("admin@example.com").await;
        let room = srv.create_room(&admin, "R", false).await;
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&admin),
                Some(booking_json(&room, 9, 2)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let text = srv
            .http
            .get(format!("{}/metrics", srv.base))
            .send()
            .await
            .expect("m")
            .text()
            .await
            .expect("t");
        assert!(
            text.contains(
                r#"http_requests_total{method="POST",route="/api/v1/bookings",status="201"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(
                r#"http_request_duration_seconds_bucket{route="/api/v1/bookings",le="+Inf"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"bookings{status="approved"} 1"#), "{text}");
        // The outbox, for alerts on mail that does not leave.
        assert!(
            text.contains(r#"mail_outbox_messages{state="pending"} "#),
            "{text}"
        );
    }

    pub async fn series_check_in_and_waitlist(b: Backend) {
        let srv = server(b, |_| {}).await;
        srv.user("admin@example.com", Role::SuperAdmin).await;
        srv.user("user@example.com", Role::User).await;
        srv.user("other@example.com", Role::User).await;
        srv.user("officer@example.com", Role::ProcurementOfficer)
            .await;
        let admin = srv.login("admin@example.com").await;
        let user = srv.login("user@example.com").await;
        let other = srv.login("other@example.com").await;
        let officer = srv.login("officer@example.com").await;
        let room = srv.create_room(&admin, "R", false).await;
        let day = slot(0).0.date_naive();

        // Block the 3rd occurrence, then book a daily series of 10 at 09:00 UTC.
        let third = day + Duration::days(2);
        let third_start = third.and_hms_opt(9, 0, 0).expect("t").and_utc();
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&other),
                Some(json!({"room_id": room, "title": "x", "attendees": 1,
                "start": third_start, "end": third_start + Duration::minutes(30)})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let series = json!({"room_id": room, "title": "Standup", "attendees": 3, "duration_minutes": 30,
            "local_start": format!("{day}T09:00:00"), "rrule": "FREQ=DAILY;COUNT=10"});
        let (s, out) = srv
            .call(
                Method::POST,
                "/api/v1/series",
                Some(&user),
                Some(series.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{out}");
        assert_eq!(out["booked"].as_array().map(Vec::len), Some(9));
        assert_eq!(out["skipped"][0]["rule"], "no_overlap");
        assert_eq!(out["skipped"][0]["start"], json!(third_start.to_rfc3339()));
        let sid = out["series"]["id"].as_str().expect("id").to_string();
        let (s, detail) = srv
            .call(
                Method::GET,
                &format!("/api/v1/series/{sid}"),
                Some(&user),
                None,
            )
            .await;
        assert_eq!(
            (s, detail["occurrences"].as_array().map(Vec::len)),
            (StatusCode::OK, Some(9))
        );
        let (s, _) = srv
            .call(
                Method::GET,
                &format!("/api/v1/series/{sid}"),
                Some(&other),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // Officers may see any booking, so any series too.
        let (s, seen) = srv
            .call(
                Method::GET,
                &format!("/api/v1/series/{sid}"),
                Some(&officer),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{seen}");
        // Changing someone else's series is refused whole, as cancelling it is.
        let (s, p) = srv
            .call(
                Method::PATCH,
                &format!("/api/v1/series/{sid}"),
                Some(&other),
                Some(json!({"scope": "all", "title": "Hijacked"})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
        let (s, p) = srv
            .call(
                Method::POST,
                &format!("/api/v1/series/{sid}/cancel"),
                Some(&other),
                Some(json!({"scope": "all"})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{p}");

        // The same series again conflicts everywhere: declined, 409 naming the dates.
        let (s, p) = srv
            .call(Method::POST, "/api/v1/series", Some(&other), Some(series))
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{p}");
        assert_eq!(p["rule"], "series_conflicts");
        assert_eq!(p["skipped"].as_array().map(Vec::len), Some(10));
        let (s, p) = srv
            .call(Method::POST, "/api/v1/series", Some(&user), Some(json!({"room_id": room, "title": "x", "attendees": 1,
                "duration_minutes": 30, "local_start": format!("{day}T12:00:00"), "rrule": "FREQ=HOURLY"})))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");

        // This-and-following from the 6th occurrence.
        let from = detail["occurrences"][5]["occurrence_start"].clone();
        let (s, ch) = srv
            .call(
                Method::POST,
                &format!("/api/v1/series/{sid}/cancel"),
                Some(&user),
                Some(json!({"scope": "this_and_following", "from": from})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{ch}");
        assert_eq!(ch["changed"].as_array().map(Vec::len), Some(4));

        // Waitlist for the taken third slot, promoted when it is cancelled.
        let taken = json!({"room_id": room, "title": "wait", "attendees": 1, "start": third_start,
            "end": third_start + Duration::minutes(30)});
        let (s, w) = srv
            .call(Method::POST, "/api/v1/waitlist", Some(&user), Some(taken))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{w}");
        let (_, mine) = srv
            .call(Method::GET, "/api/v1/bookings/mine", Some(&other), None)
            .await;
        let blocker = mine[0]["id"].as_str().expect("id").to_string();
        let (s, _) = srv
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{blocker}/cancel"),
                Some(&other),
                Some(json!({})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, list) = srv
            .call(Method::GET, "/api/v1/waitlist/mine", Some(&user), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(list[0]["active"], false);
        assert!(list[0]["booking_id"].is_string(), "{list}");
        // Live updates call it what it is (#17 item 8), not `created`.
        let promoted = list[0]["booking_id"].as_str().expect("booked");
        let kinds: Vec<String> = srv
            .state
            .store
            .events_since(0, 10_000)
            .await
            .expect("events")
            .into_iter()
            .filter(|e| e.booking_id.to_string() == promoted)
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["waitlist_booked"]);

        // Check-in is only possible near the start: now is days before.
        let first = detail["occurrences"][0]["id"]
            .as_str()
            .expect("id")
            .to_string();
        let (s, p) = srv
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{first}/check-in"),
                Some(&user),
                Some(json!({})),
            )
            .await;
        assert_eq!(
            (s, p["rule"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("check_in_window"))
        );
    }

    pub async fn analytics_roles_json_and_csv(b: Backend) {
        let srv = server(b, |_| {}).await;
        srv.user("admin@example.com", Role::SuperAdmin).await;
        let ra = srv.user("ra@example.com", Role::RoomAdmin).await;
        srv.user("buyer@example.com", Role::ProcurementOfficer)
            .await;
        srv.user("user@example.com", Role::User).await;
        let admin = srv.login("admin@example.com").await;
        let room_admin = srv.login("ra@example.com").await;
        let buyer = srv.login("buyer@example.com").await;
        let user = srv.login("user@example.com").await;
        let r1 = srv.create_room(&admin, "Room, \"One\"", false).await;
        srv.create_room(&admin, "Two", false).await;
        let (s, _) = srv
            .call(
                Method::PATCH,
                &format!("/api/v1/users/{}", ra.id),
                Some(&admin),
                Some(json!({"assigned_rooms": [r1]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&user),
                Some(booking_json(&r1, 9, 3)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let day = slot(0).0;
        let range = format!(
            "from={}&to={}",
            day.to_rfc3339(),
            (day + Duration::days(1)).to_rfc3339()
        )
        .replace('+', "%2B");

        let (s, _) = srv
            .call(
                Method::GET,
                &format!("/api/v1/analytics/utilisation?{range}"),
                Some(&user),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "plain users get no analytics");
        let (s, rows) = srv
            .call(
                Method::GET,
                &format!("/api/v1/analytics/utilisation?{range}"),
                Some(&admin),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            rows.as_array().map(Vec::len),
            Some(2),
            "two rooms, one day: {rows}"
        );
        let (_, rows) = srv
            .call(
                Method::GET,
                &format!("/api/v1/analytics/utilisation?{range}"),
                Some(&room_admin),
                None,
            )
            .await;
        assert_eq!(
            rows.as_array().map(Vec::len),
            Some(1),
            "a room admin sees their room"
        );
        assert_eq!(rows[0]["booked_minutes"], 60);
        assert_eq!(rows[0]["available_minutes"], 1440);
        let (s, _) = srv
            .call(
                Method::GET,
                &format!("/api/v1/analytics/heatmap?{range}"),
                Some(&room_admin),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, heat) = srv
            .call(
                Method::GET,
                &format!("/api/v1/analytics/heatmap?{range}"),
                Some(&buyer),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(heat[0]["hour"], 9);

        // CSV opens with Python's csv module, quoting intact.
        for path in ["utilisation.csv", "rooms.csv", "heatmap.csv"] {
            let resp = srv
                .http
                .get(format!("{}/api/v1/analytics/{path}?{range}", srv.base))
                .bearer_auth(&admin)
                .send()
                .await
                .expect("csv");
            assert_eq!(resp.status(), StatusCode::OK);
            assert!(
                resp.headers()["content-type"]
                    .to_str()
                    .unwrap_or("")
                    .starts_with("text/csv")
            );
            let text = resp.text().await.expect("text");
            let parsed = common::python_csv(&text);
            assert!(
                !parsed.as_array().map(Vec::is_empty).unwrap_or(true),
                "{path}: {text}"
            );
            if path == "rooms.csv" {
                let names: Vec<&str> = parsed
                    .as_array()
                    .expect("rows")
                    .iter()
                    .filter_map(|r| r["room_name"].as_str())
                    .collect();
                assert!(names.contains(&"Room, \"One\""), "{names:?}");
                assert_eq!(parsed[0]["bookings"], "1", "busiest first");
            }
        }
    }

    pub async fn procurement_over_http(b: Backend) {
        let srv = server(b, |_| {}).await;
        srv.user("admin@example.com", Role::SuperAdmin).await;
        srv.user("buyer@example.com", Role::ProcurementOfficer)
            .await;
        srv.user("user@example.com", Role::User).await;
        srv.user("eve@example.com", Role::User).await;
        let admin = srv.login("admin@example.com").await;
        let buyer = srv.login("buyer@example.com").await;
        let user = srv.login("user@example.com").await;
        let eve = srv.login("eve@example.com").await;
        let room = srv.create_room(&admin, "R", false).await;
        let (_, bk) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&user),
                Some(booking_json(&room, 9, 4)),
            )
            .await;
        let bid = bk["id"].as_str().expect("id").to_string();
        let body = json!({"kind": "catering", "priority": "high", "cost_centre": "CC-1, Sales",
                          "items": [{"name": "Lunch \"deluxe\"", "quantity": 4, "unit_cost_cents": 1250}]});
        let (s, _) = srv
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{bid}/orders"),
                Some(&eve),
                Some(body.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "only the organizer orders");
        let (s, o) = srv
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{bid}/orders"),
                Some(&user),
                Some(body),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{o}");
        assert_eq!(
            (o["status"].as_str(), o["estimated_cost_cents"].as_u64()),
            (Some("pending"), Some(5000))
        );
        let oid = o["id"].as_str().expect("id").to_string();
        let (s, _) = srv
            .call(
                Method::POST,
                &format!("/api/v1/orders/{oid}/advance"),
                Some(&user),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, a) = srv
            .call(
                Method::POST,
                &format!("/api/v1/orders/{oid}/advance"),
                Some(&buyer),
                None,
            )
            .await;
        assert_eq!(
            (s, a["status"].as_str()),
            (StatusCode::OK, Some("approved"))
        );
        let (_, mine) = srv
            .call(Method::GET, "/api/v1/orders", Some(&user), None)
            .await;
        assert_eq!(mine.as_array().map(Vec::len), Some(1));
        let (_, theirs) = srv
            .call(Method::GET, "/api/v1/orders", Some(&eve), None)
            .await;
        assert_eq!(theirs.as_array().map(Vec::len), Some(0));
        let (s, _) = srv
            .call(Method::GET, "/api/v1/orders/report", Some(&user), None)
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, rep) = srv
            .call(Method::GET, "/api/v1/orders/report", Some(&buyer), None)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            (rep[0]["kind"].as_str(), rep[0]["orders"].as_u64()),
            (Some("catering"), Some(1))
        );

        // Cancelling the booking cancels the order with a notice.
        let (s, _) = srv
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{bid}/cancel"),
                Some(&user),
                Some(json!({})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, o) = srv
            .call(
                Method::GET,
                &format!("/api/v1/orders/{oid}"),
                Some(&user),
                None,
            )
            .await;
        assert_eq!(
            (o["status"].as_str(), o["notice"].as_str()),
            (Some("cancelled"), Some("booking cancelled"))
        );
        // A cancelled order cannot advance: a state conflict (409), as docs/API.md says.
        let (s, p) = srv
            .call(
                Method::POST,
                &format!("/api/v1/orders/{oid}/advance"),
                Some(&buyer),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{p}");

        // The export opens with Python's csv module, quoting intact.
        let text = srv
            .http
            .get(format!("{}/api/v1/orders.csv", srv.base))
            .bearer_auth(&buyer)
            .send()
            .await
            .expect("csv")
            .text()
            .await
            .expect("text");
        let rows = common::python_csv(&text);
        assert_eq!(rows[0]["item"], "Lunch \"deluxe\"");
        assert_eq!(rows[0]["cost_centre"], "CC-1, Sales");
        assert_eq!(rows[0]["status"], "cancelled");
    }

    /// A NUL (or another control character) in a text field is bad input
    /// naming the field, on both databases alike (PostgreSQL cannot store NUL).
    pub async fn control_characters_are_refused(b: Backend) {
        let srv = server(b, |_| {}).await;
        srv.user("admin@example.com", Role::SuperAdmin).await;
        let admin = srv.login("admin@example.com").await;
        let room = srv.create_room(&admin, "R", false).await;
        let (start, end) = slot(1);
        for (field, title, purpose) in [
            ("title", "nul\u{0}byte", ""),
            ("purpose", "ok", "bell\u{7}"),
        ] {
            let (s, p) = srv
                .call(
                    Method::POST,
                    "/api/v1/bookings",
                    Some(&admin),
                    Some(json!({"room_id": room, "title": title, "purpose": purpose,
                        "attendees": 1, "start": start, "end": end})),
                )
                .await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
            assert!(p["detail"].as_str().unwrap_or("").contains(field), "{p}");
        }
        // Line breaks and tabs in a purpose are text, not control.
        let (s, p) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&admin),
                Some(
                    json!({"room_id": room, "title": "Plan", "purpose": "agenda:\n\t1. budget",
                    "attendees": 1, "start": start, "end": end}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
        let mut bad_room = room_json("x", false);
        bad_room["name"] = json!("Room\u{0}1");
        let (s, p) = srv
            .call(Method::POST, "/api/v1/rooms", Some(&admin), Some(bad_room))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
        assert!(p["detail"].as_str().unwrap_or("").contains("name"), "{p}");
        let (s, p) = srv
            .call(Method::GET, "/api/v1/audit?entity=a%00", Some(&admin), None)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
        assert!(p["detail"].as_str().unwrap_or("").contains("entity"), "{p}");
        let (s, p) = srv
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": "admin@example.com\u{0}", "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    }

    /// A body over the limit is refused with 413 before it is read whole,
    /// with or without a Content-Length, and nothing is booked.
    pub async fn bodies_are_capped(b: Backend) {
        let srv = server(b, |c| c.server.max_body_kb = 64).await;
        srv.user("admin@example.com", Role::SuperAdmin).await;
        let admin = srv.login("admin@example.com").await;
        let room = srv.create_room(&admin, "R", false).await;
        let (start, end) = slot(1);
        let json =
            json!({"room_id": room, "title": "Padded", "attendees": 1, "start": start, "end": end})
                .to_string();
        let padded = format!("{}{json}", " ".repeat(100 * 1024));
        let r = srv
            .http
            .post(format!("{}/api/v1/bookings", srv.base))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(padded.clone())
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        // The same without a Content-Length (chunked), over a raw connection.
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = srv.base.trim_start_matches("http://").to_string();
        let mut conn = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        let head = format!(
            "POST /api/v1/bookings HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {admin}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        conn.write_all(head.as_bytes()).await.expect("head");
        for chunk in padded.as_bytes().chunks(8192) {
            let piece = format!("{:x}\r\n", chunk.len());
            if conn.write_all(piece.as_bytes()).await.is_err()
                || conn.write_all(chunk).await.is_err()
                || conn.write_all(b"\r\n").await.is_err()
            {
                break;
            }
        }
        let _ = conn.write_all(b"0\r\n\r\n").await;
        let mut answer = vec![0u8; 512];
        let n = conn.read(&mut answer).await.expect("answer");
        let answer = String::from_utf8_lossy(&answer[..n]);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        let (_, mine) = srv
            .call(Method::GET, "/api/v1/bookings/mine", Some(&admin), None)
            .await;
        assert_eq!(mine.as_array().map(Vec::len), Some(0), "nothing booked");
        // An early refusal (no token) of a request whose body was not read
        // says it closes the connection, so keep-alive clients do not reuse it.
        let mut conn = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        let body = " ".repeat(32 * 1024);
        let req = format!(
            "POST /api/v1/bookings HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(req.as_bytes()).await.expect("send");
        let mut answer = vec![0u8; 2048];
        let n = conn.read(&mut answer).await.expect("answer");
        let answer = String::from_utf8_lossy(&answer[..n]).to_ascii_lowercase();
        assert!(answer.starts_with("http/1.1 401"), "{answer}");
        assert!(answer.contains("\r\nconnection: close\r\n"), "{answer}");
        // Under the limit the same booking is made.
        let (s, p) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&admin),
                Some(serde_json::from_str(&json).expect("json")),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{p}");
    }

    /// Others' bookings in a room list are busy blocks: title masked as the
    /// room's feed privacy masks it, purpose and people removed.
    pub async fn room_bookings_are_masked_for_others(b: Backend) {
        let srv = server(b, |_| {}).await;
        srv.user("admin@example.com", Role::SuperAdmin).await;
        srv.user("owner@example.com", Role::User).await;
        srv.user("other@example.com", Role::User).await;
        let admin = srv.login("admin@example.com").await;
        let owner = srv.login("owner@example.com").await;
        let other = srv.login("other@example.com").await;
        let open = srv.create_room(&admin, "Open", false).await;
        let private = srv.create_room(&admin, "Private", false).await;
        let mut policy = srv
            .call(
                Method::GET,
                &format!("/api/v1/rooms/{private}/policy"),
                Some(&admin),
                None,
            )
            .await
            .1;
        policy["feed_hides_details"] = json!(true);
        let (s, p) = srv
            .call(
                Method::PUT,
                &format!("/api/v1/rooms/{private}/policy"),
                Some(&admin),
                Some(policy),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{p}");
        for room in [&open, &private] {
            let mut body = booking_json(room, 2, 2);
            body["title"] = json!("Merger talks");
            body["purpose"] = json!("secret");
            let (s, p) = srv
                .call(Method::POST, "/api/v1/bookings", Some(&owner), Some(body))
                .await;
            assert_eq!(s, StatusCode::CREATED, "{p}");
        }
        let list = |room: &str, token: &str| {
            let (room, token) = (room.to_string(), token.to_string());
            let srv = &srv;
            async move {
                let (s, v) = srv
                    .call(
                        Method::GET,
                        &format!("/api/v1/rooms/{room}/bookings"),
                        Some(&token),
                        None,
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{v}");
                v[0].clone()
            }
        };
        let seen = list(&private, &other).await;
        assert_eq!(seen["title"], "Busy", "{seen}");
        assert_eq!(seen["purpose"], "", "{seen}");
        assert_ne!(
            seen["organizer_id"],
            json!(
                srv.state
                    .store
                    .get_user_by_email("owner@example.com")
                    .await
                    .expect("q")
                    .expect("u")
                    .id
                    .to_string()
            )
        );
        assert!(seen["start"].is_string() && seen["status"].is_string());
        let seen = list(&open, &other).await;
        assert_eq!(
            seen["title"], "Merger talks",
            "the room's feeds show titles"
        );
        assert_eq!(seen["purpose"], "", "{seen}");
        for token in [&owner, &admin] {
            let seen = list(&private, token).await;
            assert_eq!(
                (seen["title"].as_str(), seen["purpose"].as_str()),
                (Some("Merger talks"), Some("secret"))
            );
        }
    }

    /// Failed sign-ins are limited per address and per account (429 with
    /// Retry-After); X-Forwarded-For names the address only when trusted.
    pub async fn failed_sign_ins_are_limited(b: Backend) {
        let srv = server(b, |c| {
            c.auth.login_failures_per_ip = 5;
            c.auth.login_failures_per_account = 3;
            c.auth.lockout_attempts = 100;
        })
        .await;
        srv.user("alice@example.com", Role::User).await;
        let login = |email: &str, password: &str, from: Option<&str>| {
            let mut req = srv
                .http
                .post(format!("{}/api/v1/auth/login", srv.base))
                .json(&json!({"email": email, "password": password}));
            if let Some(ip) = from {
                req = req.header("x-forwarded-for", ip);
            }
            req.send()
        };
        // Guesses at five different accounts from one address: the sixth is 429.
        for n in 0..5 {
            let r = login(&format!("nobody{n}@example.com"), "guess-guess", None)
                .await
                .expect("send");
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        let r = login("nobody9@example.com", "guess-guess", None)
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let wait: u64 = r.headers()["retry-after"]
            .to_str()
            .expect("h")
            .parse()
            .expect("secs");
        assert!((1..=300).contains(&wait), "{wait}");
        // X-Forwarded-For is not trusted by default: still the same address.
        let r = login("alice@example.com", PASSWORD, Some("203.0.113.9"))
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);

        let srv2 = server(b, |c| {
            c.auth.login_failures_per_ip = 50;
            c.auth.login_failures_per_account = 3;
            c.auth.lockout_attempts = 100;
            c.server.trust_forwarded_for = true;
        })
        .await;
        srv2.user("alice@example.com", Role::User).await;
        let login2 = |password: &str, ip: &str| {
            srv2.http
                .post(format!("{}/api/v1/auth/login", srv2.base))
                .header("x-forwarded-for", ip)
                .json(&json!({"email": "alice@example.com", "password": password}))
                .send()
        };
        for n in 0..3 {
            let r = login2("wrong-password", &format!("198.51.100.{n}"))
                .await
                .expect("send");
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
        // The account is used up, whichever address guesses next.
        let r = login2("wrong-password", "198.51.100.77")
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }

    pub async fn cors_is_configurable(b: Backend) {
        let srv = server(b, |c| {
            c.server.cors_origins = vec!["https://portal.example".into()]
        })
        .await;
        let preflight = |origin: &'static str| {
            srv.http
                .request(Method::OPTIONS, format!("{}/api/v1/rooms", srv.base))
                .header("origin", origin)
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", "authorization")
                .send()
        };
        let ok = preflight("https://portal.example")
            .await
            .expect("preflight");
        assert_eq!(
            ok.headers()["access-control-allow-origin"],
            "https://portal.example"
        );
        let other = preflight("https://evil.example").await.expect("preflight");
        assert!(
            !other.headers().contains_key("access-control-allow-origin"),
            "other origins get no CORS grant"
        );
        // Without configuration there is no CORS at all.
        let plain = server(b, |_| {}).await;
        let r = plain
            .http
            .get(format!("{}/healthz", plain.base))
            .header("origin", "https://portal.example")
            .send()
            .await
            .expect("get");
        assert!(!r.headers().contains_key("access-control-allow-origin"));
    }
}

//! Requests from guests (#22), over HTTP on SQLite and PostgreSQL: only
//! rooms whose policy takes guests; the rules are checked when the request
//! is sent; nothing reaches the approvers before the guest confirms the
//! link mailed to them; the confirmation makes a pending booking (once);
//! sending is rate limited.

use booking_core::Role;
use booking_store::testing::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod common;
use common::api::*;

on_every_backend!(a_guest_asks_confirms_and_waits_for_approval);

fn guest(room: &str, email: &str, h: i64) -> Value {
    let (start, end) = slot(h);
    json!({
        "room_id": room, "name": "Gerda Guest", "email": email,
        "title": "Choir rehearsal", "attendees": 4, "start": start, "end": end,
    })
}

/// The link token of the newest confirmation mailed to `to`.
async fn token_for(srv: &Server, to: &str) -> Option<String> {
    let mails = srv.state.store.outbox_messages(100).await.expect("outbox");
    mails
        .iter()
        .filter(|(kind, m)| {
            kind == "guest_confirm" && String::from_utf8_lossy(m).contains(&format!("To: {to}"))
        })
        .filter_map(|(_, m)| booking_email::text_of(m))
        .filter_map(|text| {
            let at = text.find("/guest/")? + "/guest/".len();
            Some(
                text[at..]
                    .chars()
                    .take_while(|c| c.is_ascii_hexdigit())
                    .collect(),
            )
        })
        .next_back()
}

mod cases {
    use super::*;

    pub async fn a_guest_asks_confirms_and_waits_for_approval(b: Backend) {
        let srv = server(b, |_| {}).await;
        srv.user("sa@example.com", Role::SuperAdmin).await;
        let sa = srv.login("sa@example.com").await;
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/rooms",
                Some(&sa),
                Some(room_json("Hall", false)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let room = v["id"].as_str().expect("id").to_string();

        // Not a room for guests (yet): refused, and its form is not there.
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/guest-requests",
                None,
                Some(guest(&room, "g@example.org", 9)),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let page = srv
            .http
            .get(format!("{}/rooms/{room}/request", srv.base))
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), StatusCode::NOT_FOUND);

        let mut policy = room_json("Hall", false)["policy"].clone();
        policy["guest_requests"] = json!(true);
        let (s, v) = srv
            .call(
                Method::PUT,
                &format!("/api/v1/rooms/{room}/policy"),
                Some(&sa),
                Some(policy),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let page = srv
            .http
            .get(format!("{}/rooms/{room}/request", srv.base))
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), StatusCode::OK);
        assert!(
            page.text()
                .await
                .expect("html")
                .contains("Send the request")
        );

        // The rules are checked at once: a bad address, a taken slot.
        let mut bad = guest(&room, "not an address", 9);
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/guest-requests",
                None,
                Some(bad.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["field"], "/email");
        bad["email"] = json!("g@example.org");
        bad["attendees"] = json!(500);
        let (s, v) = srv
            .call(Method::POST, "/api/v1/guest-requests", None, Some(bad))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["rule"], "capacity");

        // Sent: a link goes to the guest, nothing is booked yet.
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/guest-requests",
                None,
                Some(guest(&room, "G@Example.org", 9)),
            )
            .await;
        assert_eq!(s, StatusCode::ACCEPTED, "{v}");
        let token = token_for(&srv, "g@example.org")
            .await
            .expect("a confirmation link");
        assert_eq!(token.len(), 64);
        let (_, list) = srv
            .call(
                Method::GET,
                &format!("/api/v1/rooms/{room}/bookings"),
                Some(&sa),
                None,
            )
            .await;
        assert_eq!(list, json!([]), "nothing before the confirmation");
        // Opening the link (as a mail scanner does) changes nothing either.
        let page = srv
            .http
            .get(format!("{}/guest/{token}", srv.base))
            .send()
            .await
            .expect("page");
        assert_eq!(page.status(), StatusCode::OK);
        let (_, list) = srv
            .call(
                Method::GET,
                &format!("/api/v1/rooms/{room}/bookings"),
                Some(&sa),
                None,
            )
            .await;
        assert_eq!(list, json!([]));

        // Confirmed: a pending booking of the guest; approvers are told.
        booking_server::mail::notify_once(&srv.state)
            .await
            .expect("cursor");
        let (s, booking) = srv
            .call(
                Method::POST,
                "/api/v1/guest-requests/confirm",
                None,
                Some(json!({"token": token})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{booking}");
        assert_eq!(booking["status"], "pending");
        let (s, again) = srv
            .call(
                Method::POST,
                "/api/v1/guest-requests/confirm",
                None,
                Some(json!({"token": token})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(
            again["id"], booking["id"],
            "a second confirmation books nothing more"
        );
        let (_, list) = srv
            .call(
                Method::GET,
                &format!("/api/v1/rooms/{room}/bookings"),
                Some(&sa),
                None,
            )
            .await;
        assert_eq!(list.as_array().map(Vec::len), Some(1));
        booking_server::mail::notify_once(&srv.state)
            .await
            .expect("notify");
        let mails = srv.state.store.outbox_messages(100).await.expect("outbox");
        assert!(
            mails.iter().any(|(kind, m)| kind == "approval_request"
                && String::from_utf8_lossy(m).contains("To: sa@example.com")),
            "the approver is asked"
        );
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/guest-requests/confirm",
                None,
                Some(json!({"token": "0".repeat(64)})),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
        let (_, audit) = srv
            .call(
                Method::GET,
                "/api/v1/audit?entity=guest_request",
                Some(&sa),
                None,
            )
            .await;
        assert!(
            audit.to_string().contains("guest_request.create"),
            "{audit}"
        );

        // Three requests an hour per address.
        let mut statuses = Vec::new();
        for h in [11, 12, 13] {
            let (s, _) = srv
                .call(
                    Method::POST,
                    "/api/v1/guest-requests",
                    None,
                    Some(guest(&room, "g@example.org", h)),
                )
                .await;
            statuses.push(s);
        }
        assert_eq!(
            statuses,
            [
                StatusCode::ACCEPTED,
                StatusCode::ACCEPTED,
                StatusCode::TOO_MANY_REQUESTS
            ]
        );
    }
}

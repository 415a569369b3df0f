//! Rooms that go together (#22), over HTTP on SQLite and PostgreSQL:
//! a hall made of two parts (booking one holds the other), and several
//! rooms booked for one meeting — all or none, one answer naming every
//! taken room, one invitation naming every room, cancelled together.

use booking_core::Role;
use booking_store::testing::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod common;
use common::api::*;

on_every_backend!(a_hall_and_its_parts, several_rooms_all_or_none);

mod cases {
    use super::*;

    async fn room(srv: &Server, sa: &str, name: &str) -> String {
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/rooms",
                Some(sa),
                Some(room_json(name, false)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_str().expect("id").to_string()
    }

    fn group(rooms: &[&str], h: i64) -> Value {
        let (start, end) = slot(h);
        json!({
            "rooms": rooms.iter().map(|r| json!({"room_id": r, "attendees": 4})).collect::<Vec<_>>(),
            "title": "Two-site planning", "start": start, "end": end,
        })
    }

    pub async fn a_hall_and_its_parts(b: Backend) {
        let srv = server(b, |_| {}).await;
        srv.user("sa@example.com", Role::SuperAdmin).await;
        srv.user("alice@example.com", Role::User).await;
        let sa = srv.login("sa@example.com").await;
        let alice = srv.login("alice@example.com").await;
        let hall = room(&srv, &sa, "Hall").await;
        let a = room(&srv, &sa, "Hall A").await;
        let b2 = room(&srv, &sa, "Hall B").await;
        let parts = format!("/api/v1/rooms/{hall}/parts");

        // One part is not a division; people cannot link rooms.
        let (s, v) = srv
            .call(Method::PUT, &parts, Some(&sa), Some(json!({"parts": [a]})))
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["field"], "/parts");
        let (s, _) = srv
            .call(
                Method::PUT,
                &parts,
                Some(&alice),
                Some(json!({"parts": [a, b2]})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        let (s, v) = srv
            .call(
                Method::PUT,
                &parts,
                Some(&sa),
                Some(json!({"parts": [a, b2]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        let (_, v) = srv
            .call(
                Method::GET,
                &format!("/api/v1/rooms/{a}/parts"),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(v["part_of"], json!([hall]));

        // The hall's free slots are asked for (and kept) before a part is booked.
        let hall_slots = format!(
            "/api/v1/rooms/{hall}/availability?date={}",
            slot(10).0.date_naive()
        );
        let (s, _) = srv.call(Method::GET, &hall_slots, Some(&alice), None).await;
        assert_eq!(s, StatusCode::OK);

        // A part booked: the hall is taken, the other part is not.
        let (s, in_a) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&alice),
                Some(booking_json(&a, 10, 2)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{in_a}");
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&alice),
                Some(booking_json(&hall, 10, 2)),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["rule"], "no_overlap");
        assert_eq!(v["conflict"]["booking_id"], in_a["id"]);
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&alice),
                Some(booking_json(&b2, 10, 2)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (_, slots) = srv.call(Method::GET, &hall_slots, Some(&alice), None).await;
        let (start, end) = slot(10);
        assert!(
            !slots.as_array().expect("slots").iter().any(|s| {
                s["start"]
                    .as_str()
                    .and_then(|x| x.parse::<chrono::DateTime<chrono::Utc>>().ok())
                    < Some(end)
                    && s["end"]
                        .as_str()
                        .and_then(|x| x.parse::<chrono::DateTime<chrono::Utc>>().ok())
                        > Some(start)
            }),
            "the hall is not offered while its parts are booked: {slots}"
        );
        // Its free/busy (Outlook's scheduling assistant) shows the part's time.
        let (_, token) = srv
            .call(Method::GET, "/api/v1/me/feed-token", Some(&alice), None)
            .await;
        let token = token["token"].as_str().expect("feed token");
        let fb = srv
            .http
            .get(format!(
                "{}/ical/rooms/{hall}/freebusy.ics?token={token}&start={}&end={}",
                srv.base,
                (start - chrono::Duration::hours(2))
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                (end + chrono::Duration::hours(2))
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ))
            .send()
            .await
            .expect("freebusy")
            .text()
            .await
            .expect("text");
        let stamp = start.format("%Y%m%dT%H%M%SZ").to_string();
        assert!(
            fb.lines()
                .any(|l| l.starts_with("FREEBUSY") && l.contains(&stamp)),
            "{fb}"
        );
    }

    pub async fn several_rooms_all_or_none(b: Backend) {
        let srv = server(b, |_| {}).await;
        srv.user("sa@example.com", Role::SuperAdmin).await;
        srv.user("alice@example.com", Role::User).await;
        srv.user("bob@example.com", Role::User).await;
        let sa = srv.login("sa@example.com").await;
        let alice = srv.login("alice@example.com").await;
        let bob = srv.login("bob@example.com").await;
        let x = room(&srv, &sa, "Berlin").await;
        let y = room(&srv, &sa, "Lisbon").await;
        let z = room(&srv, &sa, "Catering").await;
        booking_server::mail::notify_once(&srv.state)
            .await
            .expect("cursor");

        // Bob holds Lisbon and Catering at 10: Alice's three rooms are
        // refused in one answer naming both, and nothing is written.
        let mut taken = Vec::new();
        for r in [&y, &z] {
            let (s, v) = srv
                .call(
                    Method::POST,
                    "/api/v1/bookings",
                    Some(&bob),
                    Some(booking_json(r, 10, 2)),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
            taken.push(v["id"].clone());
        }
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/booking-groups",
                Some(&alice),
                Some(group(&[&x, &y, &z], 10)),
            )
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{v}");
        assert_eq!(v["rule"], "no_overlap");
        let named: Vec<&Value> = v["taken"]
            .as_array()
            .expect("taken")
            .iter()
            .map(|t| &t["booking_id"])
            .collect();
        assert_eq!(named.len(), 2, "{v}");
        assert!(taken.iter().all(|t| named.contains(&t)), "{v}");
        let (_, mine) = srv
            .call(Method::GET, "/api/v1/bookings/mine", Some(&alice), None)
            .await;
        assert_eq!(mine, json!([]), "nothing was booked");

        // A room named twice, or one room alone, is refused as input.
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/booking-groups",
                Some(&alice),
                Some(group(&[&x, &x], 12)),
            )
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{v}");
        assert_eq!(v["field"], "/rooms");

        // At 12 all three are free: one group of three bookings.
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/booking-groups",
                Some(&alice),
                Some(group(&[&x, &y, &z], 12)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let id = v["id"].as_str().expect("id").to_string();
        let bookings = v["bookings"].as_array().expect("bookings").clone();
        assert_eq!(bookings.len(), 3);
        assert!(
            bookings
                .iter()
                .all(|b| b["group_id"] == json!(id) && b["status"] == "approved")
        );
        let (s, _) = srv
            .call(
                Method::GET,
                &format!("/api/v1/booking-groups/{id}"),
                Some(&bob),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "not Bob's meeting");

        // One invitation, naming every room.
        booking_server::mail::notify_once(&srv.state)
            .await
            .expect("notify");
        let mails = srv.state.store.outbox_messages(50).await.expect("outbox");
        let invites: Vec<String> = mails
            .iter()
            // Quoted-printable: soft line breaks go, "=3D" is "=".
            .map(|(_, m)| {
                String::from_utf8_lossy(m)
                    .replace("=\r\n", "")
                    .replace("=3D", "=")
            })
            .filter(|m| m.contains("To: alice@example.com") && m.contains("Two-site planning"))
            .collect();
        assert_eq!(invites.len(), 1, "one message for the three rooms");
        assert_eq!(
            invites[0].matches("CUTYPE=ROOM").count(),
            3,
            "{}",
            invites[0]
        );

        // Cancelling one room cancels the meeting's rooms.
        let one = bookings[1]["id"].as_str().expect("id");
        let (s, _) = srv
            .call(
                Method::POST,
                &format!("/api/v1/bookings/{one}/cancel"),
                Some(&alice),
                Some(json!({})),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (_, v) = srv
            .call(
                Method::GET,
                &format!("/api/v1/booking-groups/{id}"),
                Some(&alice),
                None,
            )
            .await;
        assert!(
            v["bookings"]
                .as_array()
                .expect("bookings")
                .iter()
                .all(|b| b["status"] == "cancelled"),
            "{v}"
        );
    }
}

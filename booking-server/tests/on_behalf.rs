//! Booking on behalf of someone (#22), on SQLite and PostgreSQL: a person
//! lets an assistant book for them; the booking is theirs (their rules,
//! their list) and names the booker; a room's admin books for anyone in that
//! room; nobody else may; both people are told; revoking stops it.

use booking_core::Role;
use booking_store::testing::Backend;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod common;
use common::api::*;

on_every_backend!(an_assistant_books_for_their_manager);

fn for_whom(room: &str, h: i64, person: &str) -> Value {
    let mut b = booking_json(room, h, 2);
    b["on_behalf_of"] = json!(person);
    b
}

mod cases {
    use super::*;

    pub async fn an_assistant_books_for_their_manager(b: Backend) {
        let srv = server(b, |_| {}).await;
        let sa_user = srv.user("sa@example.com", Role::SuperAdmin).await;
        let alice = srv.user("alice@example.com", Role::User).await;
        srv.user("bob@example.com", Role::User).await;
        let carol = srv.user("carol@example.com", Role::User).await;
        let mut ra = srv.user("ra@example.com", Role::RoomAdmin).await;
        let sa = srv.login("sa@example.com").await;
        // One open booking per person in the hall.
        let mut hall = room_json("Hall", false);
        hall["policy"]["max_active_bookings_per_user"] = json!(1);
        let (s, v) = srv
            .call(Method::POST, "/api/v1/rooms", Some(&sa), Some(hall))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let hall = v["id"].as_str().expect("id").to_string();
        ra.assigned_rooms.insert(hall.parse().expect("id"));
        srv.state
            .svc
            .update_user(&booking_core::Actor::from(sa_user), ra)
            .await
            .expect("assign");
        let (a, bob, c, ra) = (
            srv.login("alice@example.com").await,
            srv.login("bob@example.com").await,
            srv.login("carol@example.com").await,
            srv.login("ra@example.com").await,
        );
        let alice_id = alice.id.to_string();
        // Notifications start from here.
        booking_server::mail::notify_once(&srv.state)
            .await
            .expect("cursor");

        // Not allowed until Alice says so.
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&bob),
                Some(for_whom(&hall, 9, &alice_id)),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/me/delegates",
                Some(&a),
                Some(json!({"email": "bob@example.com"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        let bob_id = v["id"].as_str().expect("id").to_string();
        let (_, principals) = srv
            .call(Method::GET, "/api/v1/me/principals", Some(&bob), None)
            .await;
        assert_eq!(principals[0]["email"], "alice@example.com");

        // Bob books for Alice: hers, made by him.
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&bob),
                Some(for_whom(&hall, 9, &alice_id)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["organizer_id"], alice_id.as_str());
        assert_eq!(v["booked_by"], bob_id.as_str());
        let made = v["id"].as_str().expect("id").to_string();
        let (_, mine) = srv
            .call(Method::GET, "/api/v1/bookings/mine", Some(&a), None)
            .await;
        assert_eq!(mine.as_array().map(Vec::len), Some(1));
        let (_, bobs) = srv
            .call(Method::GET, "/api/v1/bookings/mine", Some(&bob), None)
            .await;
        assert_eq!(bobs, json!([]), "the booking is Alice's, not Bob's");
        // Alice's rules count: her one open booking in the hall is used.
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&bob),
                Some(for_whom(&hall, 11, &alice_id)),
            )
            .await;
        assert_eq!(
            (s, v["rule"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("user_limit"))
        );
        // The audit log names the booker.
        let (_, audit) = srv
            .call(
                Method::GET,
                &format!("/api/v1/audit?entity=booking&entity_id={made}"),
                Some(&sa),
                None,
            )
            .await;
        assert_eq!(audit[0]["action"], "booking.create", "{audit}");
        assert_eq!(audit[0]["actor_id"], bob_id.as_str(), "{audit}");

        // The room's admin books for anyone in it; Carol for nobody.
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&ra),
                Some(for_whom(&hall, 13, &carol.id.to_string())),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["organizer_id"], carol.id.to_string());
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&c),
                Some(for_whom(&hall, 15, &alice_id)),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        // Both Alice and Bob are told of the booking.
        booking_server::mail::notify_once(&srv.state)
            .await
            .expect("notify");
        let mails = srv.state.store.outbox_messages(50).await.expect("outbox");
        let to = |who: &str| {
            mails.iter().any(|(kind, m)| {
                kind == "created" && String::from_utf8_lossy(m).contains(&format!("To: {who}"))
            })
        };
        assert!(to("alice@example.com"), "the organizer is told");
        assert!(to("bob@example.com"), "the booker is told");

        // Revoked: Bob may no longer.
        let (s, _) = srv
            .call(
                Method::DELETE,
                &format!("/api/v1/me/delegates/{bob_id}"),
                Some(&a),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (_, left) = srv
            .call(Method::GET, "/api/v1/me/delegates", Some(&a), None)
            .await;
        assert_eq!(left, json!([]));
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&bob),
                Some(for_whom(&hall, 17, &alice_id)),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
}

//! Closures (#22) over HTTP, on SQLite and PostgreSQL: a booking into a
//! closed time is refused with rule `closed` and the reason, through every
//! path (single, series, waitlist, a move); a closure over existing bookings
//! lists them first (dry run) and cancels them with the reason when asked;
//! closed times leave free slots, find-a-room, feeds and free/busy; only the
//! right admins close, and every change is audited.

use booking_core::Role;
use booking_store::testing::Backend;
use chrono::{Duration, SecondsFormat, Utc};
use reqwest::{Method, StatusCode};
use serde_json::json;

mod common;
use common::api::*;

on_every_backend!(closures_refuse_bookings_and_show_as_busy);

fn rfc(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

mod cases {
    use super::*;

    pub async fn closures_refuse_bookings_and_show_as_busy(b: Backend) {
        let srv = server(b, |_| {}).await;
        let sa_user = srv.user("sa@example.com", Role::SuperAdmin).await;
        let mut ra = srv.user("ra@example.com", Role::RoomAdmin).await;
        srv.user("alice@example.com", Role::User).await;
        let sa = srv.login("sa@example.com").await;
        let alice = srv.login("alice@example.com").await;
        let hall = srv.create_room(&sa, "Hall", false).await;
        let annex = srv.create_room(&sa, "Annex", false).await;
        ra.assigned_rooms.insert(hall.parse().expect("id"));
        srv.state
            .svc
            .update_user(&booking_core::Actor::from(sa_user), ra)
            .await
            .expect("assign");
        let ra_token = srv.login("ra@example.com").await;

        // Alice holds 10:00 in the hall on the day the hall will close.
        let (s10, e10) = slot(10);
        let (s, held) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&alice),
                Some(booking_json(&hall, 10, 2)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{held}");
        let held_id = held["id"].as_str().expect("id").to_string();

        let day_start = s10 - Duration::hours(10);
        let closure = |existing: &str, dry: bool| {
            json!({"scope": {"kind": "room", "room_id": hall}, "start": rfc(day_start),
                   "end": rfc(day_start + Duration::hours(24)), "reason": "Floor polishing",
                   "existing_bookings": existing, "dry_run": dry})
        };
        // Rights: a user may not close; a room admin not a whole location.
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/closures",
                Some(&alice),
                Some(closure("keep", true)),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/closures",
                Some(&ra_token),
                Some(
                    json!({"scope": {"kind": "location", "location": "HQ"}, "start": rfc(day_start),
                            "end": rfc(day_start + Duration::hours(1)), "reason": "x"}),
                ),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        // A bad scope names the field.
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/closures",
                Some(&sa),
                Some(
                    json!({"scope": {"kind": "floor", "location": "HQ"}, "start": rfc(day_start),
                            "end": rfc(day_start + Duration::hours(1)), "reason": "x"}),
                ),
            )
            .await;
        assert_eq!(
            (s, v["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some("/scope/floor"))
        );

        // A dry run lists Alice's booking and makes nothing.
        let (s, preview) = srv
            .call(
                Method::POST,
                "/api/v1/closures",
                Some(&ra_token),
                Some(closure("cancel", true)),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{preview}");
        assert_eq!(preview["affected"][0]["id"], held_id.as_str());
        assert!(preview.get("closure").is_none());
        let (_, list) = srv
            .call(Method::GET, "/api/v1/closures", Some(&alice), None)
            .await;
        assert_eq!(list, json!([]));
        let (_, still) = srv
            .call(
                Method::GET,
                &format!("/api/v1/bookings/{held_id}"),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(still["status"], "approved", "a dry run cancels nothing");

        // Made, cancelling what is there: Alice's booking is cancelled with the reason.
        let (s, made) = srv
            .call(
                Method::POST,
                "/api/v1/closures",
                Some(&ra_token),
                Some(closure("cancel", false)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{made}");
        assert_eq!(made["cancelled"][0]["id"], held_id.as_str());
        let closure_id = made["closure"]["id"].as_str().expect("id").to_string();
        let (_, gone) = srv
            .call(
                Method::GET,
                &format!("/api/v1/bookings/{held_id}"),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(gone["status"], "cancelled");
        assert_eq!(
            gone["decision_reason"],
            "the room is closed: Floor polishing"
        );

        // Every way into the closed day is refused with rule `closed`.
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&alice),
                Some(booking_json(&hall, 14, 2)),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["rule"], "closed");
        assert!(
            v["detail"]
                .as_str()
                .is_some_and(|d| d.contains("Floor polishing")),
            "{v}"
        );
        let (s, v) = srv
            .call(
                Method::POST,
                "/api/v1/waitlist",
                Some(&alice),
                Some(booking_json(&hall, 14, 2)),
            )
            .await;
        assert_eq!(
            (s, v["rule"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("closed"))
        );
        // A daily series over eleven days skips the closed one.
        let local = (s10 - Duration::days(1)).naive_utc();
        let (s, series) = srv
            .call(
                Method::POST,
                "/api/v1/series",
                Some(&alice),
                Some(json!({"room_id": hall, "title": "Daily", "attendees": 2,
                            "local_start": local.format("%Y-%m-%dT%H:%M:%S").to_string(),
                            "duration_minutes": 30, "rrule": "FREQ=DAILY;COUNT=11"})),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{series}");
        assert_eq!(
            series["booked"].as_array().map(Vec::len),
            Some(10),
            "{series}"
        );
        assert_eq!(series["skipped"][0]["rule"], "closed");
        // Moving a booking into it is refused too.
        let (_, annex_booking) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&alice),
                Some(booking_json(&hall, 30, 2)),
            )
            .await;
        let (s, v) = srv
            .call(
                Method::PATCH,
                &format!(
                    "/api/v1/bookings/{}",
                    annex_booking["id"].as_str().expect("id")
                ),
                Some(&alice),
                Some(json!({"start": rfc(s10), "end": rfc(e10)})),
            )
            .await;
        assert_eq!(
            (s, v["rule"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("closed"))
        );
        // The annex stays open.
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&alice),
                Some(booking_json(&annex, 10, 2)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);

        // Closed times are not free: slots, find-a-room, free/busy, the feed.
        let date = s10.date_naive();
        let (_, slots) = srv
            .call(
                Method::GET,
                &format!("/api/v1/rooms/{hall}/availability?date={date}"),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(slots.as_array().map(Vec::len), Some(0), "{slots}");
        let (_, found) = srv
            .call(
                Method::GET,
                &format!(
                    "/api/v1/find-room?start={}&end={}",
                    rfc(s10 + Duration::hours(5)),
                    rfc(e10 + Duration::hours(5))
                ),
                Some(&alice),
                None,
            )
            .await;
        let names: Vec<&str> = found
            .as_array()
            .expect("rooms")
            .iter()
            .filter_map(|m| m["room"]["name"].as_str())
            .collect();
        assert_eq!(names, ["Annex"], "{found}");
        let (_, token) = srv
            .call(Method::GET, "/api/v1/me/feed-token", Some(&alice), None)
            .await;
        let token = token["token"].as_str().expect("feed token");
        let feed = srv
            .http
            .get(format!("{}/ical/rooms/{hall}.ics?token={token}", srv.base))
            .send()
            .await
            .expect("feed")
            .text()
            .await
            .expect("text");
        assert!(feed.contains("SUMMARY:Closed: Floor polishing"), "{feed}");
        let fb = srv
            .http
            .get(format!(
                "{}/ical/rooms/{hall}/freebusy.ics?token={token}&start={}&end={}",
                srv.base,
                rfc(day_start),
                rfc(day_start + Duration::hours(24))
            ))
            .send()
            .await
            .expect("freebusy")
            .text()
            .await
            .expect("text");
        assert!(fb.contains("FREEBUSY"), "{fb}");

        // Reopened: the slot can be booked again; both changes are audited.
        let (s, _) = srv
            .call(
                Method::DELETE,
                &format!("/api/v1/closures/{closure_id}"),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = srv
            .call(
                Method::DELETE,
                &format!("/api/v1/closures/{closure_id}"),
                Some(&ra_token),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&alice),
                Some(booking_json(&hall, 14, 2)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (_, audit) = srv
            .call(Method::GET, "/api/v1/audit?entity=closure", Some(&sa), None)
            .await;
        let actions: Vec<&str> = audit
            .as_array()
            .expect("audit")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(actions, ["closure.delete", "closure.create"]);
    }
}

/// A holiday for every room, repeating every year: Christmas Day is closed
/// everywhere, the day after is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeating_closure_of_every_room() {
    let srv = server(Backend::Sqlite, |_| {}).await;
    srv.user("sa@example.com", Role::SuperAdmin).await;
    srv.user("u@example.com", Role::User).await;
    let sa = srv.login("sa@example.com").await;
    let u = srv.login("u@example.com").await;
    let room = srv.create_room(&sa, "Blue", false).await;
    // Every day from two days ahead, 12:00–13:00 UTC (lunch), five times.
    let (start, _) = slot(12);
    let (s, v) = srv
        .call(
            Method::POST,
            "/api/v1/closures",
            Some(&sa),
            Some(json!({"scope": {"kind": "everywhere"}, "start": rfc(start),
                        "end": rfc(start + Duration::hours(1)), "rrule": "FREQ=DAILY;COUNT=5",
                        "time_zone": "Europe/Berlin", "reason": "Lunch"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    for (days, expect) in [
        (0, StatusCode::UNPROCESSABLE_ENTITY),
        (3, StatusCode::UNPROCESSABLE_ENTITY),
        (6, StatusCode::CREATED),
    ] {
        let mut body = booking_json(&room, 12, 2);
        body["start"] = json!(rfc(start + Duration::days(days)));
        body["end"] = json!(rfc(start + Duration::days(days) + Duration::minutes(30)));
        let (s, v) = srv
            .call(Method::POST, "/api/v1/bookings", Some(&u), Some(body))
            .await;
        assert_eq!(s, expect, "day +{days}: {v}");
    }
}

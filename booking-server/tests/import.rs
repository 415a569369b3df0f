//! Import (#22) over HTTP, on SQLite and PostgreSQL: rooms from CSV and
//! bookings from an iCalendar export; the dry run names every refused line
//! (field or rule, conflicts with bookings already there and between events
//! of the file) and writes nothing; the real run books through every rule.

use booking_core::Role;
use booking_store::testing::Backend;
use chrono::{Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::Value;

mod common;
use common::api::*;

on_every_backend!(rooms_and_bookings_are_imported_after_a_dry_run);

async fn post(srv: &Server, token: &str, path: &str, body: String) -> (StatusCode, Value) {
    let r = srv
        .http
        .post(format!("{}/api/v1{path}", srv.base))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(body)
        .send()
        .await
        .expect("send");
    let status = r.status();
    (status, r.json().await.expect("json"))
}

fn outcomes(report: &Value) -> Vec<String> {
    report["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            format!(
                "{} {} {}",
                l["outcome"].as_str().unwrap_or("?"),
                l["field"].as_str().or(l["rule"].as_str()).unwrap_or("-"),
                l["item"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

fn stamp(t: chrono::DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

mod cases {
    use super::*;

    pub async fn rooms_and_bookings_are_imported_after_a_dry_run(b: Backend) {
        let srv = server(b, |_| {}).await;
        srv.user("sa@example.com", Role::SuperAdmin).await;
        srv.user("bob@example.com", Role::User).await;
        let sa = srv.login("sa@example.com").await;
        let bob = srv.login("bob@example.com").await;

        let csv = "name,category,capacity,floor,location,amenities,time_zone,approval_required\n\
                   Cedar,meeting,8,1,Annex,projector;screen,UTC,no\n\
                   \"Oak, large\",conference,many,2,Annex,,UTC,no\n\
                   Pine,training,20,,Annex,,Mars/Base,yes\n\
                   Birch,boardroom,12,3,Annex,video,UTC,yes\n";
        // Only super admins import.
        let (s, _) = post(&srv, &bob, "/import/rooms?dry_run=true", csv.into()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, dry) = post(&srv, &sa, "/import/rooms?dry_run=true", csv.into()).await;
        assert_eq!(s, StatusCode::OK, "{dry}");
        assert_eq!(
            outcomes(&dry),
            [
                "ok - Cedar",
                "refused capacity Oak, large",
                "refused time_zone Pine",
                "ok - Birch"
            ]
        );
        let (_, rooms) = srv
            .call(Method::GET, "/api/v1/rooms", Some(&sa), None)
            .await;
        assert_eq!(rooms, serde_json::json!([]), "a dry run creates nothing");
        let (s, done) = post(&srv, &sa, "/import/rooms", csv.into()).await;
        assert_eq!(s, StatusCode::OK, "{done}");
        assert_eq!(
            (done["created"].as_u64(), done["refused"].as_u64()),
            (Some(2), Some(2))
        );
        let (_, rooms) = srv
            .call(Method::GET, "/api/v1/rooms", Some(&sa), None)
            .await;
        let cedar = rooms
            .as_array()
            .expect("rooms")
            .iter()
            .find(|r| r["name"] == "Cedar")
            .expect("Cedar");
        assert_eq!(
            cedar["amenities"],
            serde_json::json!(["projector", "screen"])
        );
        assert_eq!(cedar["floor"], 1);
        let cedar_id = cedar["id"].as_str().expect("id").to_string();
        // The imported rooms open on weekdays 07–20 (the default policy):
        // open Cedar around the clock for the bookings below.
        let mut room = cedar.clone();
        room["policy"] = room_json("x", false)["policy"].clone();
        for k in ["id", "active", "deleted_at", "created_at", "updated_at"] {
            room.as_object_mut().expect("obj").remove(k);
        }
        let (s, v) = srv
            .call(
                Method::PUT,
                &format!("/api/v1/rooms/{cedar_id}"),
                Some(&sa),
                Some(room),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");

        // Bob already holds 10:00 in Cedar.
        let (s, _) = srv
            .call(
                Method::POST,
                "/api/v1/bookings",
                Some(&bob),
                Some(booking_json(&cedar_id, 10, 2)),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (t9, _) = slot(9);
        let ev = |uid: &str,
                  title: &str,
                  location: &str,
                  start: chrono::DateTime<Utc>,
                  mins: i64,
                  extra: &str| {
            format!(
                "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:{title}\r\n\
                 LOCATION:{location}\r\nORGANIZER:mailto:bob@example.com\r\nDTSTART:{}\r\nDTEND:{}\r\n{extra}END:VEVENT\r\n",
                stamp(start),
                stamp(start + Duration::minutes(mins))
            )
        };
        let ics = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//old system//EN\r\n{}{}{}{}{}{}END:VCALENDAR\r\n",
            ev("a@old", "Standup", "Cedar", t9, 30, ""),
            ev(
                "b@old",
                "Review",
                "cedar",
                t9 + Duration::minutes(60),
                30,
                ""
            ),
            ev(
                "c@old",
                "Overlap",
                "Cedar",
                t9 + Duration::minutes(15),
                30,
                ""
            ),
            ev("d@old", "Lost", "Atlantis", t9, 30, ""),
            ev(
                "e@old",
                "Weekly",
                "Cedar",
                t9 + Duration::hours(4),
                60,
                "RRULE:FREQ=WEEKLY;COUNT=3\r\n"
            ),
            ev(
                "f@old",
                "Old",
                "Cedar",
                Utc::now() - Duration::days(30),
                60,
                ""
            ),
        );
        let (s, dry) = post(&srv, &sa, "/import/bookings?dry_run=true", ics.clone()).await;
        assert_eq!(s, StatusCode::OK, "{dry}");
        assert_eq!(
            outcomes(&dry),
            [
                "ok - Standup (a@old)",
                "refused no_overlap Review (b@old)",
                "refused start Overlap (c@old)",
                "refused location Lost (d@old)",
                "ok - Weekly (e@old)",
                "skipped - Old (f@old)"
            ],
            "{dry}"
        );
        assert!(
            dry["lines"][2]["detail"]
                .as_str()
                .is_some_and(|d| d.contains("a@old"))
        );
        assert!(
            dry["lines"][4]["detail"]
                .as_str()
                .is_some_and(|d| d.contains("3 of 3"))
        );
        let (_, mine) = srv
            .call(Method::GET, "/api/v1/bookings/mine", Some(&bob), None)
            .await;
        assert_eq!(
            mine.as_array().map(Vec::len),
            Some(1),
            "a dry run books nothing"
        );

        let (s, done) = post(&srv, &sa, "/import/bookings", ics).await;
        assert_eq!(s, StatusCode::OK, "{done}");
        assert_eq!(
            outcomes(&done),
            [
                "created - Standup (a@old)",
                "refused no_overlap Review (b@old)",
                "refused no_overlap Overlap (c@old)",
                "refused location Lost (d@old)",
                "created - Weekly (e@old)",
                "skipped - Old (f@old)"
            ],
            "{done}"
        );
        // Booked as Bob (the ORGANIZER), with every rule applied.
        let (_, mine) = srv
            .call(
                Method::GET,
                &format!(
                    "/api/v1/bookings/mine?to={}",
                    (Utc::now() + Duration::days(30))
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
                Some(&bob),
                None,
            )
            .await;
        let titles: Vec<&str> = mine
            .as_array()
            .expect("mine")
            .iter()
            .filter_map(|b| b["title"].as_str())
            .collect();
        assert_eq!(
            titles.iter().filter(|t| **t == "Weekly").count(),
            3,
            "{titles:?}"
        );
        assert!(titles.contains(&"Standup"));
        let (_, audit) = srv
            .call(Method::GET, "/api/v1/audit?entity=import", Some(&sa), None)
            .await;
        let actions: Vec<&str> = audit
            .as_array()
            .expect("audit")
            .iter()
            .filter_map(|e| e["action"].as_str())
            .collect();
        assert_eq!(actions, ["import.bookings", "import.rooms"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_files_are_named() {
    let srv = server(Backend::Sqlite, |_| {}).await;
    srv.user("sa@example.com", Role::SuperAdmin).await;
    let sa = srv.login("sa@example.com").await;
    let (s, v) = post(&srv, &sa, "/import/rooms", "just,some\nwords,here\n".into()).await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("/csv")),
        "{v}"
    );
    let (s, v) = post(&srv, &sa, "/import/bookings", "not a calendar".into()).await;
    assert_eq!(
        (s, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("/calendar")),
        "{v}"
    );
}

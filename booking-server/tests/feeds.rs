//! iCalendar feeds over HTTP: tokens and rotation, RFC 5545 output (CRLF,
//! folding, VTIMEZONE, series with RRULE/EXDATE/RECURRENCE-ID, SEQUENCE,
//! STATUS), ETag/304, VFREEBUSY; and parsers written by others.

use booking_core::{
    AccountState, Actor, BookingChanges, BookingRequest, BusinessHours, Role, RoomCategory,
    RoomPolicy, RoomSpec, SeriesRequest,
};
use booking_server::auth::hash_password;
use booking_server::config::Config;
use booking_store::testing::{Backend, TestDb, backends};
use std::sync::Arc;

use booking_core::FixedClock;
use booking_server::state::AppState;
use chrono::{Duration, TimeZone, Utc};
use reqwest::{Client, StatusCode};
use serde_json::Value;

mod common;

const PASSWORD: &str = "correct horse battery";

/// Our own lint: CRLF everywhere, no bare LF, no line over 75 octets.
fn lint(ics: &str) {
    assert!(ics.ends_with("\r\n"), "ends with CRLF");
    assert!(!ics.replace("\r\n", "").contains('\n'), "bare LF");
    assert!(!ics.replace("\r\n", "").contains('\r'), "bare CR");
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
}

fn unfold(ics: &str) -> String {
    ics.replace("\r\n ", "")
}

/// Python peers (icalendar, vobject with validation, recurring-ical-events)
/// via scripts/interop/occurrences.py: what each said of `ics`, as JSON.
/// Skipped with a notice when they are not installed, unless
/// `BOOKING_INTEROP=required` (the test command sets it once it installed them).
fn python_peers(ics: &str) -> Option<serde_json::Value> {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/interop/occurrences.py");
    let ok = std::process::Command::new("python3")
        .args(["-c", "import icalendar, vobject, recurring_ical_events"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        if std::env::var("BOOKING_INTEROP").as_deref() == Ok("required") {
            panic!(
                "python icalendar/vobject/recurring_ical_events are required (BOOKING_INTEROP=required)"
            );
        }
        eprintln!("python iCalendar peers not installed: skipped");
        return None;
    }
    let file = std::env::temp_dir().join(format!("feed-{}.ics", uuid::Uuid::new_v4()));
    std::fs::write(&file, ics).expect("write");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(&file)
        .args(["2020-01-01", "2030-01-01"])
        .output()
        .expect("python");
    let _ = std::fs::remove_file(&file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("json from occurrences.py"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_are_correct_icalendar() {
    for b in backends() {
        eprintln!("-- {b:?}");
        run(b).await;
    }
}

async fn run(b: Backend) {
    let db = TestDb::create(b).await;
    let srv = common::spawn({
        let mut c = Config::default();
        c.database.url = db.url.clone().into();
        c.auth.jwt_secret = Some("feeds-secret-feeds-secret-feeds-secret".into());
        c
    })
    .await;
    let svc = &srv.state.svc;
    let hash = hash_password(PASSWORD).expect("hash");
    let admin = Actor::from(
        svc.create_user(
            "admin@example.com",
            "A",
            Role::SuperAdmin,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("u"),
    );
    let alice = Actor::from(
        svc.create_user(
            "alice@example.com",
            "Alice",
            Role::User,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("u"),
    );
    let room = svc
        .create_room(
            &admin,
            RoomSpec {
                name: "Café Überraschung, the long-named boardroom with a view".into(),
                category: RoomCategory::Boardroom,
                capacity: 10,
                floor: Some(3),
                location: "HQ".into(),
                amenities: Default::default(),
                time_zone: "Europe/Berlin".into(),
                active: true,
                policy: RoomPolicy {
                    booking_window_days: 365,
                    business_hours: BusinessHours::always(),
                    ..RoomPolicy::default()
                },
            },
        )
        .await
        .expect("room");
    let start = (Utc::now() + Duration::days(2)).date_naive();
    let single_start = start.and_hms_opt(13, 0, 0).expect("t").and_utc();
    let single = svc
        .book(
            &alice,
            BookingRequest {
                room_id: room.id,
                title: "Budget; review, Q4 \\ final".into(),
                purpose: String::new(),
                attendees: 4,
                start: single_start,
                end: single_start + Duration::hours(1),
            },
        )
        .await
        .expect("single");
    let series = svc
        .book_series(
            &alice,
            SeriesRequest {
                room_id: room.id,
                title: "Weekly sync".into(),
                purpose: String::new(),
                attendees: 3,
                local_start: start.and_hms_opt(9, 0, 0).expect("t"),
                duration_minutes: 30,
                rrule: "FREQ=WEEKLY;COUNT=30".into(),
            },
        )
        .await
        .expect("series");
    // Cancel the 3rd occurrence, move the 5th by an hour.
    svc.cancel(&alice, series.booked[2].id, None)
        .await
        .expect("cancel");
    let moved = &series.booked[4];
    svc.update_booking(
        &alice,
        moved.id,
        BookingChanges {
            start: Some(moved.start + Duration::hours(1)),
            end: Some(moved.end + Duration::hours(1)),
            ..Default::default()
        },
    )
    .await
    .expect("move");

    let http = Client::new();
    let login: Value = http
        .post(format!("{}/api/v1/auth/login", srv.base))
        .json(&serde_json::json!({"email": "alice@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = login["access_token"].as_str().expect("token").to_string();
    let feed: Value = http
        .get(format!("{}/api/v1/me/feed-token", srv.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("feed token")
        .json()
        .await
        .expect("json");
    let ft = feed["token"].as_str().expect("ft").to_string();
    let room_url = format!("{}/ical/rooms/{}.ics?token={ft}", srv.base, room.id);

    // Making the token on first use is a change: audited once; reading it again is not.
    let again: Value = http
        .get(format!("{}/api/v1/me/feed-token", srv.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("feed token")
        .json()
        .await
        .expect("json");
    assert_eq!(
        again["token"], feed["token"],
        "the same token the second time"
    );
    let made = srv
        .state
        .store
        .list_audit(&booking_core::store::AuditFilter {
            entity_id: Some(alice.id.to_string()),
            limit: 50,
            ..Default::default()
        })
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "user.feed_token")
        .count();
    assert_eq!(made, 1, "the token's creation is in the audit log, once");

    // Without or with a wrong token: nothing.
    let r = http
        .get(format!("{}/ical/rooms/{}.ics", srv.base, room.id))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = http
        .get(format!(
            "{}/ical/me.ics?token=wrong-token-wrong-token",
            srv.base
        ))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = http.get(&room_url).send().await.expect("feed");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/calendar; charset=utf-8");
    let tag = r.headers()["etag"].to_str().expect("etag").to_string();
    let ics = r.text().await.expect("text");
    lint(&ics);
    let flat = unfold(&ics);
    for needle in [
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n",
        "REFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n",
        "X-PUBLISHED-TTL:PT15M\r\n",
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n",
        "SUMMARY:Budget\\; review\\, Q4 \\\\ final\r\n",
        "LOCATION:Café Überraschung\\, the long-named boardroom with a view\\, floor 3\r\n",
        "STATUS:CONFIRMED\r\n",
        "X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\n",
        "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY\r\n",
        "RRULE:FREQ=WEEKLY;UNTIL=",
        "EXDATE;TZID=Europe/Berlin:",
        "RECURRENCE-ID;TZID=Europe/Berlin:",
    ] {
        assert!(flat.contains(needle), "missing {needle:?} in\n{flat}");
    }
    assert!(
        flat.contains(&format!("UID:{}@", single.id)),
        "stable UID per booking"
    );
    assert!(
        flat.contains(&format!("UID:{}@", series.series.id)),
        "series UID"
    );
    assert_eq!(
        flat.matches("BEGIN:VEVENT").count(),
        3,
        "single + series master + one override"
    );
    let cancelled_local = series.booked[2]
        .start
        .with_timezone(&chrono_tz::Europe::Berlin)
        .format("%Y%m%dT%H%M%S")
        .to_string();
    assert!(
        flat.contains(&cancelled_local),
        "the cancelled date is an EXDATE"
    );

    // 304 while nothing changed; a change bumps SEQUENCE and the ETag.
    let r = http
        .get(&room_url)
        .header("if-none-match", &tag)
        .send()
        .await
        .expect("feed");
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    svc.update_booking(
        &alice,
        single.id,
        BookingChanges {
            title: Some("Budget review".into()),
            ..Default::default()
        },
    )
    .await
    .expect("rename");
    let r = http
        .get(&room_url)
        .header("if-none-match", &tag)
        .send()
        .await
        .expect("feed");
    assert_eq!(r.status(), StatusCode::OK);
    let flat = unfold(&r.text().await.expect("text"));
    let ev = flat
        .split("BEGIN:VEVENT")
        .find(|e| e.contains(&single.id.to_string()))
        .expect("single event");
    assert!(ev.contains("SEQUENCE:1\r\n"), "{ev}");
    svc.cancel(&alice, single.id, None)
        .await
        .expect("cancel single");
    let flat = unfold(
        &http
            .get(&room_url)
            .send()
            .await
            .expect("feed")
            .text()
            .await
            .expect("text"),
    );
    let ev = flat
        .split("BEGIN:VEVENT")
        .find(|e| e.contains(&single.id.to_string()))
        .expect("single event");
    assert!(
        ev.contains("STATUS:CANCELLED\r\n") && ev.contains("SEQUENCE:2\r\n"),
        "{ev}"
    );

    // My feed and the all-rooms feed.
    for url in [
        feed["my_bookings_url"].as_str(),
        feed["all_rooms_url"].as_str(),
    ] {
        let url = url
            .expect("url")
            .replace("http://127.0.0.1:8080", &srv.base);
        let r = http.get(&url).send().await.expect("feed");
        assert_eq!(r.status(), StatusCode::OK, "{url}");
        let ics = r.text().await.expect("text");
        lint(&ics);
        if let Some(out) = python_peers(&ics) {
            assert_eq!(out["icalendar"], "ok", "{out}");
            assert_eq!(out["vobject"], "ok", "{out}");
        }
    }

    // Free/busy.
    let r = http
        .get(format!(
            "{}/ical/rooms/{}/freebusy.ics?token={ft}",
            srv.base, room.id
        ))
        .send()
        .await
        .expect("fb");
    assert_eq!(r.status(), StatusCode::OK);
    let fb = unfold(&r.text().await.expect("text"));
    assert!(
        fb.contains("BEGIN:VFREEBUSY") && fb.contains("FREEBUSY;FBTYPE=BUSY:"),
        "{fb}"
    );
    // Outlook's Internet Free/Busy URL for the room's address says the same.
    let address = booking_server::mail::room_address(&room, &srv.state.config.mail.room_domain);
    let vfb = |who: &str, token: &str| {
        http.get(format!("{}/freebusy/{who}.vfb?token={token}", srv.base))
            .send()
    };
    let r = vfb(&address, &ft).await.expect("vfb");
    assert_eq!(r.status(), StatusCode::OK);
    let by_address = unfold(&r.text().await.expect("text"));
    let busy = |ics: &str| -> Vec<String> {
        ics.lines()
            .filter(|l| l.starts_with("FREEBUSY"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(busy(&by_address), busy(&fb), "{by_address}");
    let local = address.split('@').next().expect("local part");
    assert_eq!(vfb(local, &ft).await.expect("vfb").status(), StatusCode::OK);
    assert_eq!(
        vfb(&address, "wrong-token").await.expect("vfb").status(),
        StatusCode::NOT_FOUND,
        "not public: the token is needed"
    );
    assert_eq!(
        vfb("nobody@nowhere.example", &ft)
            .await
            .expect("vfb")
            .status(),
        StatusCode::NOT_FOUND
    );

    // Rotating the token: the old URL stops working.
    let rotated: Value = http
        .post(format!("{}/api/v1/me/feed-token", srv.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("rotate")
        .json()
        .await
        .expect("json");
    assert_ne!(rotated["token"], feed["token"]);
    assert_eq!(
        http.get(&room_url).send().await.expect("feed").status(),
        StatusCode::NOT_FOUND
    );
    let new_url = format!(
        "{}/ical/rooms/{}.ics?token={}",
        srv.base,
        room.id,
        rotated["token"].as_str().expect("t")
    );
    assert_eq!(
        http.get(&new_url).send().await.expect("feed").status(),
        StatusCode::OK
    );
}

/// A feed kept in memory and brought up to date from changes is the same,
/// byte for byte, as one rendered from scratch by a server keeping nothing;
/// changes made by another process (a second server on the same database)
/// show up; a change elsewhere keeps the feed's ETag.
/// #17: the feed window (31 days back to 366 days ahead, whole UTC days)
/// at its edges: a booking that starts before the window and ends inside it
/// is in; on the day the window rolls over the one that ended before the new
/// start drops out and one starting on the new last day comes in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_window_at_its_edges() {
    for b in backends() {
        eprintln!("-- {b:?}");
        window_edges(b).await;
    }
}

async fn window_edges(b: Backend) {
    let db = TestDb::create(b).await;
    let mut state = AppState::open({
        let mut c = Config::default();
        c.database.url = db.url.clone().into();
        c.auth.jwt_secret = Some("feeds-secret-feeds-secret-feeds-secret".into());
        c
    })
    .await
    .expect("state");
    let at = |y, m, d, h, min| {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0)
            .single()
            .expect("t")
    };
    let clock = Arc::new(FixedClock::new(at(2026, 2, 1, 8, 0)));
    state.svc = state.svc.clone().with_clock(clock.clone());
    let srv = common::spawn_state(state).await;
    let svc = &srv.state.svc;
    let hash = hash_password(PASSWORD).expect("hash");
    let admin = Actor::from(
        svc.create_user(
            "admin@example.com",
            "A",
            Role::SuperAdmin,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("u"),
    );
    let alice = Actor::from(
        svc.create_user(
            "alice@example.com",
            "Alice",
            Role::User,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("u"),
    );
    let room = svc
        .create_room(
            &admin,
            RoomSpec {
                name: "Window".into(),
                category: RoomCategory::Meeting,
                capacity: 4,
                floor: None,
                location: String::new(),
                amenities: Default::default(),
                // New York: the evening there is past midnight UTC, so a
                // booking can span the window's (UTC) edge within its day.
                time_zone: "America/New_York".into(),
                active: true,
                policy: RoomPolicy {
                    booking_window_days: 800,
                    business_hours: BusinessHours::always(),
                    ..RoomPolicy::default()
                },
            },
        )
        .await
        .expect("room");
    let book = async |title: &str, start, end| {
        svc.book(
            &alice,
            BookingRequest {
                room_id: room.id,
                title: title.into(),
                purpose: String::new(),
                attendees: 1,
                start,
                end,
            },
        )
        .await
        .expect(title)
    };
    // Booked while it was still ahead (1 February); times in UTC (New York
    // is UTC-5 then): 18:00–20:00 and 18:30–19:30 local.
    book(
        "Across the start",
        at(2026, 2, 6, 23, 0),
        at(2026, 2, 7, 1, 0),
    )
    .await;
    book(
        "Over midnight",
        at(2026, 2, 7, 23, 30),
        at(2026, 2, 8, 0, 30),
    )
    .await;
    book("Last day", at(2027, 3, 11, 23, 0), at(2027, 3, 11, 23, 30)).await;
    book("Day after", at(2027, 3, 12, 0, 0), at(2027, 3, 12, 0, 30)).await;
    let token = format!("tok{}", uuid::Uuid::new_v4().simple());
    srv.state
        .store
        .set_feed_token(alice.id, &token)
        .await
        .expect("token");
    let http = Client::new();
    let titles = async || -> Vec<String> {
        let ics = http
            .get(format!(
                "{}/ical/rooms/{}.ics?token={token}",
                srv.base, room.id
            ))
            .send()
            .await
            .expect("feed")
            .text()
            .await
            .expect("text");
        let mut t: Vec<String> = unfold(&ics)
            .lines()
            .filter_map(|l| l.strip_prefix("SUMMARY:"))
            .map(str::to_string)
            .collect();
        t.sort();
        t
    };
    // 10 March 10:00: the window is 7 Feb 00:00 – 12 Mar 2027 00:00.
    clock.set(at(2026, 3, 10, 10, 0));
    assert_eq!(
        titles().await,
        ["Across the start", "Last day", "Over midnight"]
    );
    // One second before midnight nothing has changed …
    clock.set(at(2026, 3, 10, 23, 59) + Duration::seconds(59));
    assert_eq!(
        titles().await,
        ["Across the start", "Last day", "Over midnight"]
    );
    // … at midnight the window is 8 Feb – 13 Mar 2027.
    clock.set(at(2026, 3, 11, 0, 0));
    assert_eq!(titles().await, ["Day after", "Last day", "Over midnight"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kept_feeds_match_fresh_renderings() {
    for b in backends() {
        eprintln!("-- {b:?}");
        kept_feeds(b).await;
    }
}

async fn kept_feeds(b: Backend) {
    let db = TestDb::create(b).await;
    let config = {
        let mut c = Config::default();
        c.database.url = db.url.clone().into();
        c.auth.jwt_secret = Some("feeds-secret-feeds-secret-feeds-secret".into());
        c
    };
    let kept = common::spawn(config.clone()).await;
    let fresh = common::spawn({
        let mut c = config;
        c.server.feed_cache_mb = 0;
        c
    })
    .await;
    // Changes go through the other server's service: another process.
    let svc = &fresh.state.svc;
    let admin = Actor::from(
        svc.create_user(
            "admin@example.com",
            "A",
            Role::SuperAdmin,
            None,
            AccountState::Active,
        )
        .await
        .expect("u"),
    );
    fresh
        .state
        .store
        .set_feed_token(admin.id, "kept-feed-token-0123456789abcdef")
        .await
        .expect("token");
    let spec = |name: &str| RoomSpec {
        name: name.into(),
        category: RoomCategory::Meeting,
        capacity: 10,
        floor: Some(2),
        location: "HQ".into(),
        amenities: Default::default(),
        time_zone: "Europe/Berlin".into(),
        active: true,
        policy: RoomPolicy {
            booking_window_days: 800,
            business_hours: BusinessHours::always(),
            ..RoomPolicy::default()
        },
    };
    let room = svc.create_room(&admin, spec("Pine")).await.expect("room");
    let other = svc.create_room(&admin, spec("Oak")).await.expect("room");
    let day = (Utc::now() + Duration::days(3)).date_naive();
    let mut singles = Vec::new();
    for h in 8..12 {
        let start = day.and_hms_opt(h, 0, 0).expect("t").and_utc();
        singles.push(
            svc.book(
                &admin,
                BookingRequest {
                    room_id: room.id,
                    title: format!("Meeting {h}"),
                    purpose: String::new(),
                    attendees: 2,
                    start,
                    end: start + Duration::minutes(30),
                },
            )
            .await
            .expect("book"),
        );
    }
    let series = svc
        .book_series(
            &admin,
            SeriesRequest {
                room_id: room.id,
                title: "Stand-up".into(),
                purpose: String::new(),
                attendees: 3,
                local_start: day.and_hms_opt(16, 0, 0).expect("t"),
                duration_minutes: 15,
                rrule: "FREQ=DAILY;COUNT=10".into(),
            },
        )
        .await
        .expect("series");

    let http = Client::new();
    let path = format!(
        "/ical/rooms/{}.ics?token=kept-feed-token-0123456789abcdef",
        room.id
    );
    let get = |base: String| {
        let http = http.clone();
        let path = path.clone();
        async move {
            let r = http.get(format!("{base}{path}")).send().await.expect("get");
            assert_eq!(r.status(), StatusCode::OK);
            let tag = r.headers()["etag"].to_str().expect("etag").to_string();
            (tag, r.text().await.expect("body"))
        }
    };
    // Both servers' view; the kept one must equal the fresh one.
    let check = |what: &'static str| {
        let (kept, fresh) = (kept.base.clone(), fresh.base.clone());
        let get = &get;
        async move {
            let (tag, body) = get(kept).await;
            let (_, reference) = get(fresh).await;
            assert_eq!(
                body, reference,
                "{what}: kept feed differs from a fresh rendering"
            );
            lint(&body);
            (tag, body)
        }
    };
    let (tag0, body) = check("first").await;
    assert!(body.contains("SUMMARY:Meeting 8"));
    // Served again from memory: same tag and body.
    assert_eq!(check("again").await.0, tag0);
    assert_eq!(
        (kept.state.feeds.stats().full, kept.state.feeds.stats().kept),
        (1, 1)
    );
    // Calendar clients that accept compression get the same text, smaller.
    for coding in ["gzip", "br"] {
        let r = http
            .get(format!("{}{path}", kept.base))
            .header("accept-encoding", coding)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-encoding"], coding);
        assert_eq!(r.headers()["vary"], "accept-encoding");
        assert_eq!(r.headers()["etag"].to_str().expect("etag"), tag0);
        let z = r.bytes().await.expect("body");
        let mut text = Vec::new();
        match coding {
            "gzip" => {
                std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&z[..]), &mut text)
                    .expect("gunzip");
            }
            _ => brotli::BrotliDecompress(&mut &z[..], &mut text).expect("unbrotli"),
        }
        assert_eq!(String::from_utf8(text).expect("utf-8"), body, "{coding}");
        assert!(
            z.len() < body.len() / 2,
            "{coding}: {} of {}",
            z.len(),
            body.len()
        );
    }

    // A change in another room keeps this feed's ETag (and a 304).
    let elsewhere = day.and_hms_opt(8, 0, 0).expect("t").and_utc();
    svc.book(
        &admin,
        BookingRequest {
            room_id: other.id,
            title: "Elsewhere".into(),
            purpose: String::new(),
            attendees: 2,
            start: elsewhere,
            end: elsewhere + Duration::minutes(30),
        },
    )
    .await
    .expect("book elsewhere");
    let r = http
        .get(format!("{}{path}", kept.base))
        .header("if-none-match", &tag0)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    // Renamed by another process: new ETag, new text, old tag no longer 304.
    svc.update_booking(
        &admin,
        singles[0].id,
        BookingChanges {
            title: Some("Renamed elsewhere".into()),
            ..Default::default()
        },
    )
    .await
    .expect("rename");
    let before = kept.state.feeds.stats();
    let (tag1, body) = check("renamed").await;
    let after = kept.state.feeds.stats();
    assert_eq!(
        (after.caught_up - before.caught_up, after.full - before.full),
        (1, 0),
        "one change is merged in, not the whole feed read again"
    );
    assert_ne!(tag1, tag0);
    assert!(body.contains("SUMMARY:Renamed elsewhere") && !body.contains("SUMMARY:Meeting 8"));
    let r = http
        .get(format!("{}{path}", kept.base))
        .header("if-none-match", &tag0)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);

    // An occurrence cancelled: the series gets an EXDATE.
    svc.cancel(&admin, series.booked[4].id, None)
        .await
        .expect("cancel");
    let (_, body) = check("occurrence cancelled").await;
    assert!(body.contains("EXDATE;TZID=Europe/Berlin:"));

    // A booking moved out of the window leaves the feed.
    let far = (Utc::now() + Duration::days(500))
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .expect("t")
        .and_utc();
    svc.update_booking(
        &admin,
        singles[1].id,
        BookingChanges {
            start: Some(far),
            end: Some(far + Duration::minutes(30)),
            ..Default::default()
        },
    )
    .await
    .expect("move far");
    let (_, body) = check("moved out").await;
    assert!(!body.contains("SUMMARY:Meeting 9"));

    // A single cancelled, a new one booked, several changes at once.
    svc.cancel(&admin, singles[2].id, None)
        .await
        .expect("cancel");
    let start = day.and_hms_opt(13, 0, 0).expect("t").and_utc();
    svc.book(
        &admin,
        BookingRequest {
            room_id: room.id,
            title: "Late addition".into(),
            purpose: "Agenda".into(),
            attendees: 2,
            start,
            end: start + Duration::minutes(45),
        },
    )
    .await
    .expect("book");
    let (_, body) = check("cancelled and added").await;
    assert!(body.contains("SUMMARY:Late addition") && body.contains("STATUS:CANCELLED"));

    // The room renamed: every event's LOCATION follows.
    svc.update_room(&admin, room.id, spec("Pine (renovated)"))
        .await
        .expect("rename room");
    let (_, body) = check("room renamed").await;
    assert!(body.contains("LOCATION:Pine (renovated)\\, floor 2"));
    assert!(!body.contains("LOCATION:Pine\\, floor 2"));
    let stats = kept.state.feeds.stats();
    assert!(stats.bytes > 0, "the feed is kept");
    assert_eq!(stats.full, 1, "every change was merged in: {stats:?}");
}

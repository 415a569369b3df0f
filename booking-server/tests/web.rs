//! The web app over HTTP, as a browser without JavaScript uses it: sessions,
//! CSRF, the booking form's answers, masking on the board, approvals.
//! (The Chromium tests in scripts/e2e drive the same pages with a real browser.)

mod common;

use common::web::{PASSWORD, browser, csrf_of, set_cookies, sign_in};

use std::collections::BTreeSet;

use booking_core::{
    AccountState, Actor, BookingRequest, BusinessHours, Role, RoomCategory, RoomPolicy, RoomSpec,
    User,
};
use booking_server::auth::hash_password;
use booking_server::config::Config;
use booking_store::testing::{Backend, TestDb};
use chrono::{Datelike, Duration, NaiveTime, Utc, Weekday};
use reqwest::StatusCode;
use reqwest::redirect::Policy;

struct World {
    srv: common::Running,
    _db: TestDb,
    alice: User,
    bob: User,
    room: booking_core::Room,
    private: booking_core::Room,
    /// A weekday some days ahead, as YYYY-MM-DD.
    day: String,
}

async fn world_with(mut config: Config) -> World {
    let db = TestDb::create(Backend::Sqlite).await;
    config.database.url = db.url.clone().into();
    config.auth.jwt_secret = Some("web-test-secret-web-test-secret-web".into());
    let srv = common::spawn(config).await;
    let svc = &srv.state.svc;
    let hash = hash_password(PASSWORD).expect("hash");
    let root = svc
        .create_user(
            "root@example.com",
            "Root",
            Role::SuperAdmin,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("root");
    let alice = svc
        .create_user(
            "alice@example.com",
            "Alice",
            Role::User,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("alice");
    let bob = svc
        .create_user(
            "bob@example.com",
            "Bob",
            Role::User,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("bob");
    let open = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("time");
    let spec = |name: &str, hides: bool| RoomSpec {
        name: name.into(),
        category: RoomCategory::Meeting,
        capacity: 6,
        floor: Some(1),
        location: "HQ".into(),
        amenities: ["screen".to_string()].into_iter().collect(),
        time_zone: "Europe/Berlin".into(),
        active: true,
        policy: RoomPolicy {
            business_hours: BusinessHours::weekdays(open(7), open(20)),
            feed_hides_details: hides,
            approval_required: hides,
            ..RoomPolicy::default()
        },
    };
    let actor = Actor::from(root.clone());
    let room = svc
        .create_room(&actor, spec("Huddle", false))
        .await
        .expect("room");
    let private = svc
        .create_room(&actor, spec("Exec suite", true))
        .await
        .expect("room");
    let admin = svc
        .create_user(
            "admin@example.com",
            "Admin",
            Role::RoomAdmin,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("admin");
    svc.update_user(
        &actor,
        User {
            assigned_rooms: BTreeSet::from([private.id]),
            ..admin
        },
    )
    .await
    .expect("assign");
    let mut d = Utc::now().date_naive() + Duration::days(3);
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d += Duration::days(1);
    }
    World {
        srv,
        _db: db,
        alice,
        bob,
        room,
        private,
        day: d.to_string(),
    }
}

async fn world() -> World {
    world_with(Config::default()).await
}

#[tokio::test]
async fn pages_need_a_session_and_come_back_after_signing_in() {
    let w = world().await;
    let base = &w.srv.base;
    let http = browser();
    let path = format!("/board?date={}", w.day);
    let r = http
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("board");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert_eq!(to, format!("/login?next=%2Fboard%3Fdate%3D{}", w.day));

    let page = http
        .get(format!("{base}{to}"))
        .send()
        .await
        .expect("login page");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(
        html.contains(&format!(r#"name="next" value="/board?date={}""#, w.day)),
        "{html}"
    );
    let csrf = csrf_of(&html);

    // A form without the token of this browser's sign-in page is refused.
    let r = browser()
        .post(format!("{base}/login"))
        .form(&[
            ("email", "alice@example.com"),
            ("password", PASSWORD),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .expect("foreign form");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        set_cookies(&r)
            .iter()
            .all(|c| !c.starts_with("bk_session="))
    );

    // A wrong password: 401 with the e-mail kept in the form.
    let r = http
        .post(format!("{base}/login"))
        .form(&[
            ("email", "alice@example.com"),
            ("password", "wrong password!"),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .expect("wrong");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    let html = r.text().await.expect("html");
    assert!(
        html.contains("wrong e-mail or password") && html.contains(r#"value="alice@example.com""#)
    );

    let next = format!("/board?date={}", w.day);
    let r = http
        .post(format!("{base}/login"))
        .form(&[
            ("email", "alice@example.com"),
            ("password", PASSWORD),
            ("csrf", csrf.as_str()),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], next.as_str());
    let cookie = set_cookies(&r)
        .into_iter()
        .find(|c| c.starts_with("bk_session="))
        .expect("session cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let page = http
        .get(format!("{base}{next}"))
        .send()
        .await
        .expect("board");
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    let html = page.text().await.expect("html");
    assert!(html.contains("Huddle") && html.contains("Alice"));

    // Somewhere else after sign-in is never followed.
    for evil in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
    ] {
        let page = http
            .get(format!("{base}/login"))
            .send()
            .await
            .expect("page");
        let csrf = csrf_of(&page.text().await.expect("html"));
        let r = http
            .post(format!("{base}/login"))
            .form(&[
                ("email", "alice@example.com"),
                ("password", PASSWORD),
                ("csrf", csrf.as_str()),
                ("next", evil),
            ])
            .send()
            .await
            .expect("login");
        assert_eq!(r.headers()["location"], "/board", "{evil}");
    }

    // A cookie that is not ours (or expired) sends the person to sign in again.
    let stale = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    let r = stale
        .get(format!("{base}/my"))
        .header("cookie", "bk_session=eyJhbGciOiJIUzI1NiJ9.e30.bad")
        .send()
        .await
        .expect("stale");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?next=%2Fmy&expired=1");
}

#[tokio::test]
async fn the_session_cookie_is_secure_behind_https() {
    let w = world_with({
        let mut c = Config::default();
        c.server.public_url = "https://rooms.example.com".into();
        c
    })
    .await;
    let http = browser();
    let base = &w.srv.base;
    let html = http
        .get(format!("{base}/login"))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    let r = http
        .post(format!("{base}/login"))
        .header("cookie", format!("bk_login={}", csrf_of(&html)))
        .form(&[
            ("email", "alice@example.com"),
            ("password", PASSWORD),
            ("csrf", &csrf_of(&html)),
        ])
        .send()
        .await
        .expect("login");
    let cookie = set_cookies(&r)
        .into_iter()
        .find(|c| c.starts_with("bk_session="))
        .expect("cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test]
async fn forms_need_the_token_and_refusals_keep_what_was_typed() {
    let w = world().await;
    let base = &w.srv.base;
    let (http, csrf) = sign_in(base, "alice@example.com").await;
    let room = w.room.id.to_string();
    let form = |csrf: &str, title: &str, start: &str| {
        vec![
            ("csrf", csrf.to_string()),
            ("room", room.clone()),
            ("date", w.day.clone()),
            ("start", start.to_string()),
            ("end", "11:00".to_string()),
            ("tz", "Europe/Berlin".to_string()),
            ("title", title.to_string()),
            ("attendees", "3".to_string()),
            ("purpose", "kept purpose".to_string()),
            ("intent", "book".to_string()),
        ]
    };
    // Without the token (as a foreign site's form would post): refused, nothing booked.
    let r = http
        .post(format!("{base}/book"))
        .form(&form("forged", "Forged", "10:00"))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("expired or came from another site")
    );
    let none = w
        .srv
        .state
        .svc
        .list_bookings(&Default::default())
        .await
        .expect("list");
    assert!(none.is_empty());

    let r = http
        .post(format!("{base}/book"))
        .form(&form(&csrf, "Planning", "10:00"))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(to.starts_with("/my?flash="), "{to}");
    let my = http
        .get(format!("{base}{to}"))
        .send()
        .await
        .expect("my")
        .text()
        .await
        .expect("html");
    assert!(
        my.contains("Booked Huddle") && my.contains("10:00–11:00"),
        "{my}"
    );
    let booked = w
        .srv
        .state
        .svc
        .list_bookings(&Default::default())
        .await
        .expect("list");
    assert_eq!(booked.len(), 1);
    assert_eq!(booked[0].organizer_id, w.alice.id);
    assert_eq!(
        booked[0].start.format("%H:%M").to_string(),
        "09:00",
        "10:00 in Berlin is 09:00 UTC in winter"
    );

    // The same slot: 409, the server's message (time in the form's zone, the rule), the typed text kept.
    let r = http
        .post(format!("{base}/book"))
        .form(&form(&csrf, "Second try", "10:30"))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let html = r.text().await.expect("html");
    for want in [
        "That time is taken.",
        "no_overlap",
        r#"value="Second try""#,
        "kept purpose",
        r#"value="10:30""#,
        "Join the waitlist",
    ] {
        assert!(html.contains(want), "{want} in {html}");
    }
    assert!(
        html.contains("10:00–11:00 (Europe/Berlin)"),
        "conflict time in the viewer's zone: {html}"
    );

    // A field that cannot be read is named.
    let mut bad = form(&csrf, "Bad", "10:00");
    bad[2].1 = "3.12.2026".into();
    let r = http
        .post(format!("{base}/book"))
        .form(&bad)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .expect("html")
            .contains("date: give a date as YYYY-MM-DD")
    );

    // A flash message cannot be made up by a link.
    let r = http
        .get(format!("{base}/my?flash=You+won+a+prize"))
        .send()
        .await
        .expect("my");
    assert!(!r.text().await.expect("html").contains("You won a prize"));

    // Signing out revokes the session: the old cookie no longer works.
    let r = http
        .post(format!("{base}/logout"))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("logout");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = http.get(format!("{base}/my")).send().await.expect("my");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_board_masks_others_bookings_as_the_room_feed_does() {
    let w = world().await;
    let base = &w.srv.base;
    let svc = &w.srv.state.svc;
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().expect("tz");
    let date = chrono::NaiveDate::parse_from_str(&w.day, "%Y-%m-%d").expect("day");
    let at = |h| {
        booking_core::rules::local_to_utc(tz, date.and_hms_opt(h, 0, 0).expect("t")).expect("utc")
    };
    for (room, title) in [(&w.private, "Secret merger"), (&w.room, "Open standup")] {
        svc.book(
            &Actor::from(w.bob.clone()),
            BookingRequest {
                room_id: room.id,
                title: title.into(),
                purpose: String::new(),
                attendees: 2,
                start: at(9),
                end: at(10),
            },
        )
        .await
        .expect("book");
    }
    let board = format!("{base}/board?date={}&tz=Europe%2FBerlin", w.day);
    let (alice, _) = sign_in(base, "alice@example.com").await;
    let html = alice
        .get(&board)
        .send()
        .await
        .expect("board")
        .text()
        .await
        .expect("html");
    assert!(!html.contains("Secret merger"), "hidden from others");
    assert!(
        html.contains("Busy") && html.contains("Open standup"),
        "{html}"
    );
    for (who, sees) in [("bob@example.com", true), ("admin@example.com", true)] {
        let (http, _) = sign_in(base, who).await;
        let html = http
            .get(&board)
            .send()
            .await
            .expect("board")
            .text()
            .await
            .expect("html");
        assert_eq!(html.contains("Secret merger"), sees, "{who}");
    }
    // Filters: capacity above every room lists none.
    let html = alice
        .get(format!("{board}&capacity=50"))
        .send()
        .await
        .expect("board")
        .text()
        .await
        .expect("html");
    assert!(html.contains("No room matches these filters.") && !html.contains("Huddle"));
    // The week view links each day and still masks.
    let html = alice
        .get(format!("{board}&view=week"))
        .send()
        .await
        .expect("week")
        .text()
        .await
        .expect("html");
    assert!(html.contains("Open standup") && !html.contains("Secret merger"));
}

#[tokio::test]
async fn approvals_are_decided_only_by_the_rooms_approvers() {
    let w = world().await;
    let base = &w.srv.base;
    let svc = &w.srv.state.svc;
    let tz: chrono_tz::Tz = "Europe/Berlin".parse().expect("tz");
    let date = chrono::NaiveDate::parse_from_str(&w.day, "%Y-%m-%d").expect("day");
    let at = |h| {
        booking_core::rules::local_to_utc(tz, date.and_hms_opt(h, 0, 0).expect("t")).expect("utc")
    };
    let b = svc
        .book(
            &Actor::from(w.alice.clone()),
            BookingRequest {
                room_id: w.private.id,
                title: "Needs a yes".into(),
                purpose: "quarterly".into(),
                attendees: 4,
                start: at(14),
                end: at(15),
            },
        )
        .await
        .expect("book");
    assert_eq!(b.status, booking_core::BookingStatus::Pending);

    let (bob, bob_csrf) = sign_in(base, "bob@example.com").await;
    let r = bob
        .get(format!("{base}/approvals"))
        .send()
        .await
        .expect("queue");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = bob
        .post(format!("{base}/approvals/{}/approve", b.id))
        .form(&[("csrf", bob_csrf.as_str())])
        .send()
        .await
        .expect("approve");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        svc.get_booking(b.id).await.expect("b").status,
        booking_core::BookingStatus::Pending
    );

    let (admin, csrf) = sign_in(base, "admin@example.com").await;
    let html = admin
        .get(format!("{base}/approvals"))
        .send()
        .await
        .expect("queue")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains("Needs a yes")
            && html.contains("alice@example.com")
            && html.contains("quarterly"),
        "{html}"
    );
    let one = admin
        .get(format!("{base}/approvals/{}", b.id))
        .send()
        .await
        .expect("one");
    assert_eq!(one.status(), StatusCode::OK);
    let r = admin
        .post(format!("{base}/approvals/{}/reject", b.id))
        .form(&[
            ("csrf", csrf.as_str()),
            ("reason", "board meeting that day"),
            ("back", "one"),
        ])
        .send()
        .await
        .expect("reject");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let after = svc.get_booking(b.id).await.expect("b");
    assert_eq!(after.status, booking_core::BookingStatus::Rejected);
    assert_eq!(
        after.decision_reason.as_deref(),
        Some("board meeting that day")
    );
    let entries = w
        .srv
        .state
        .store
        .list_audit(&booking_core::store::AuditFilter {
            entity_id: Some(b.id.to_string()),
            limit: 100,
            ..Default::default()
        })
        .await
        .expect("audit");
    assert!(
        entries.iter().any(|e| e.action == "booking.reject"),
        "audited"
    );
}

//! The web app's admin, procurement, dashboard and door display pages over
//! HTTP: who may open what, forms that refuse with the field and the rule,
//! and door display tokens that show one room only, stop when revoked and
//! leave an audit trail. (scripts/e2e/admin.test.mjs drives the same pages
//! in Chromium.)

mod common;

use std::collections::BTreeSet;

use booking_core::store::AuditFilter;
use booking_core::{
    AccountState, Actor, BookingRequest, BusinessHours, CoreError, Role, Room, RoomCategory,
    RoomListing, RoomPolicy, RoomSpec, User,
};
use booking_server::auth::hash_password;
use booking_server::config::Config;
use booking_store::testing::{Backend, TestDb};
use chrono::{Duration, Utc};
use common::web::{PASSWORD, browser, csrf_of, sign_in};
use reqwest::StatusCode;

struct World {
    srv: common::Running,
    _db: TestDb,
    root: Actor,
    alice: User,
    /// Managed by the room admin `admin@example.com`.
    mine: Room,
    /// Not managed by them.
    other: Room,
}

async fn world() -> World {
    let db = TestDb::create(Backend::Sqlite).await;
    let config = {
        let mut c = Config::default();
        c.database.url = db.url.clone().into();
        c.auth.jwt_secret = Some("web-admin-secret-web-admin-secret-web".into());
        c
    };
    let srv = common::spawn(config).await;
    let svc = &srv.state.svc;
    let hash = hash_password(PASSWORD).expect("hash");
    let user = |email: &'static str, name: &'static str, role| {
        let hash = hash.clone();
        async move {
            svc.create_user(email, name, role, Some(&hash), AccountState::Active)
                .await
                .expect("user")
        }
    };
    let root = Actor::from(user("root@example.com", "Root", Role::SuperAdmin).await);
    let alice = user("alice@example.com", "Alice", Role::User).await;
    let admin = user("admin@example.com", "Admin", Role::RoomAdmin).await;
    user("buyer@example.com", "Buyer", Role::ProcurementOfficer).await;
    let spec = |name: &str| RoomSpec {
        name: name.into(),
        category: RoomCategory::Meeting,
        capacity: 6,
        floor: None,
        location: "HQ".into(),
        amenities: Default::default(),
        time_zone: "Europe/Berlin".into(),
        active: true,
        policy: RoomPolicy {
            business_hours: BusinessHours::always(),
            ..RoomPolicy::default()
        },
    };
    let mine = svc.create_room(&root, spec("Mine")).await.expect("room");
    let other = svc.create_room(&root, spec("Other")).await.expect("room");
    svc.update_user(
        &root,
        User {
            assigned_rooms: BTreeSet::from([mine.id]),
            ..admin
        },
    )
    .await
    .expect("assign");
    World {
        srv,
        _db: db,
        root,
        alice,
        mine,
        other,
    }
}

async fn status_of(http: &reqwest::Client, url: String) -> StatusCode {
    http.get(url).send().await.expect("get").status()
}

#[tokio::test]
async fn each_role_opens_only_its_own_pages() {
    let w = world().await;
    let base = &w.srv.base;
    let (alice, _) = sign_in(base, "alice@example.com").await;
    for path in [
        "/admin/rooms",
        "/admin/users",
        "/admin/audit",
        "/orders",
        "/dashboard",
    ] {
        assert_eq!(
            status_of(&alice, format!("{base}{path}")).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let (admin, _) = sign_in(base, "admin@example.com").await;
    for path in [
        "/admin/users",
        "/admin/audit",
        "/orders",
        "/admin/rooms/new",
    ] {
        assert_eq!(
            status_of(&admin, format!("{base}{path}")).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let rooms = admin
        .get(format!("{base}/admin/rooms"))
        .send()
        .await
        .expect("rooms");
    assert_eq!(rooms.status(), StatusCode::OK);
    let html = rooms.text().await.expect("html");
    assert!(
        html.contains(">Mine</a>") && !html.contains(">Other</a>"),
        "{html}"
    );
    let other = format!("{base}/admin/rooms/{}", w.other.id);
    assert_eq!(status_of(&admin, other).await, StatusCode::FORBIDDEN);
    assert_eq!(
        status_of(&admin, format!("{base}/dashboard")).await,
        StatusCode::OK
    );
    let (buyer, _) = sign_in(base, "buyer@example.com").await;
    assert_eq!(
        status_of(&buyer, format!("{base}/orders")).await,
        StatusCode::OK
    );
    assert_eq!(
        status_of(&buyer, format!("{base}/admin/rooms")).await,
        StatusCode::FORBIDDEN
    );
    // Not signed in: to the sign-in page.
    assert_eq!(
        status_of(&browser(), format!("{base}/admin/rooms")).await,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_room_form_names_the_field_and_keeps_what_was_typed() {
    let w = world().await;
    let base = &w.srv.base;
    let (http, _) = sign_in(base, "root@example.com").await;
    let page = http
        .get(format!("{base}/admin/rooms/new"))
        .send()
        .await
        .expect("form");
    let csrf = csrf_of(&page.text().await.expect("html"));
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("name", "Lab <1>"),
        ("category", "meeting"),
        ("capacity", "many"),
        ("time_zone", "Europe/Berlin"),
        ("booking_window_days", "30"),
        ("min_duration_minutes", "15"),
        ("max_duration_minutes", "120"),
        ("buffer_before_minutes", "0"),
        ("buffer_after_minutes", "0"),
        ("series_max_conflicts", "5"),
        ("series_max_conflict_percent", "10"),
        ("allowed_roles", "user"),
        ("open_0", "08:00"),
        ("close_0", "18:00"),
    ];
    let r = http
        .post(format!("{base}/admin/rooms/new"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.expect("html");
    assert!(
        html.contains("<code>capacity</code></a>: give the number of seats"),
        "{html}"
    );
    assert!(
        html.contains(r#"value="Lab &#60;1&#62;""#) || html.contains(r#"value="Lab &lt;1&gt;""#),
        "typed name kept, escaped"
    );
    // The service's own rules come back the same way: an unknown zone.
    form[3] = ("capacity", "4");
    form[4] = ("time_zone", "Mars/Olympus");
    let r = http
        .post(format!("{base}/admin/rooms/new"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("html").contains("Mars/Olympus"));
    assert_eq!(
        w.srv
            .state
            .svc
            .list_rooms(RoomListing::WithDeleted)
            .await
            .expect("rooms")
            .len(),
        2,
        "nothing saved"
    );
    // Without the CSRF token nothing happens either.
    form[0] = ("csrf", "forged");
    form[4] = ("time_zone", "Europe/Berlin");
    let r = http
        .post(format!("{base}/admin/rooms/new"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    form[0] = ("csrf", &csrf);
    let r = http
        .post(format!("{base}/admin/rooms/new"))
        .form(&form)
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let rooms = w
        .srv
        .state
        .svc
        .list_rooms(RoomListing::WithDeleted)
        .await
        .expect("rooms");
    let lab = rooms.iter().find(|r| r.name == "Lab <1>").expect("created");
    assert_eq!(lab.policy.booking_window_days, 30);
    assert!(lab.policy.business_hours.0[0].is_some() && lab.policy.business_hours.0[1].is_none());
}

#[tokio::test]
async fn door_display_tokens_show_one_room_stop_when_revoked_and_are_audited() {
    let w = world().await;
    let base = &w.srv.base;
    let state = &w.srv.state;
    let (admin, csrf) = sign_in(base, "admin@example.com").await;
    // Not for a room they do not manage.
    let r = admin
        .post(format!("{base}/admin/rooms/{}/displays", w.other.id))
        .form(&[("csrf", csrf.as_str()), ("label", "Hall")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        state
            .store
            .room_displays(w.other.id)
            .await
            .expect("list")
            .is_empty()
    );
    let r = admin
        .post(format!("{base}/admin/rooms/{}/displays", w.mine.id))
        .form(&[("csrf", csrf.as_str()), ("label", "Door")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("html");
    let at = html.find("/display/").expect("the link is shown");
    let link = html[at..].split('"').next().expect("link").to_string();
    let token = link.split("token=").nth(1).expect("token").to_string();
    assert_eq!(token.len(), 64);

    let http = browser();
    let page = http
        .get(format!("{base}{link}"))
        .send()
        .await
        .expect("display");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("<h1>Mine</h1>") && html.contains(">Free<"),
        "{html}"
    );
    assert!(
        html.contains("<svg role=\"img\" aria-label=\"QR code"),
        "a QR code"
    );
    // The token is for this room only, and nothing to the API.
    let elsewhere = format!("{base}/display/{}?token={token}", w.other.id);
    assert_eq!(status_of(&http, elsewhere).await, StatusCode::UNAUTHORIZED);
    let api = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("api");
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    let wrong = format!("{base}/display/{}?token={}", w.mine.id, "0".repeat(64));
    assert_eq!(status_of(&http, wrong).await, StatusCode::UNAUTHORIZED);

    // Book 15 minutes at the door: it belongs to the door account, not the admin.
    let r = http
        .post(format!("{base}/display/{}/book", w.mine.id))
        .form(&[("token", token.as_str()), ("minutes", "15")])
        .send()
        .await
        .expect("book");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let booked = state
        .svc
        .list_bookings(&booking_core::store::BookingFilter {
            room_id: Some(w.mine.id),
            ..Default::default()
        })
        .await
        .expect("list");
    assert_eq!(booked.len(), 1);
    let door = state
        .svc
        .get_user(booked[0].organizer_id)
        .await
        .expect("door user");
    assert!(
        door.email.ends_with("@displays.invalid") && door.role == Role::User,
        "{door:?}"
    );
    let refused = http
        .post(format!("{base}/display/{}/book", w.mine.id))
        .form(&[("token", token.as_str()), ("minutes", "45")])
        .send()
        .await
        .expect("book");
    let to = refused.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(to.contains("err=minutes"), "{to}");

    // Revoked: page, actions and live stream refuse.
    let grant = state
        .store
        .room_displays(w.mine.id)
        .await
        .expect("list")
        .remove(0);
    let r = admin
        .post(format!("{base}/admin/displays/{}/revoke", grant.id))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .expect("revoke");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        status_of(&http, format!("{base}{link}")).await,
        StatusCode::UNAUTHORIZED
    );
    let live = format!("{base}/display/{}/live?token={token}", w.mine.id);
    assert_eq!(status_of(&http, live).await, StatusCode::UNAUTHORIZED);
    let r = http
        .post(format!("{base}/display/{}/book", w.mine.id))
        .form(&[("token", token.as_str()), ("minutes", "15")])
        .send()
        .await
        .expect("book");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let log = state
        .svc
        .audit_log(
            &w.root,
            &AuditFilter {
                entity: Some("display".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .expect("audit");
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["display.revoke", "display.create"]);
}

#[tokio::test]
async fn a_door_offers_walk_up_bookings_only_where_its_rules_allow_them() {
    let w = world().await;
    let state = &w.srv.state;
    let admin = &w.root;
    let (_, token) = booking_server::displays::create(state, admin, w.other.id, "Door")
        .await
        .expect("display");
    let page = |token: String| {
        let url = format!("{}/display/{}?token={token}", w.srv.base, w.other.id);
        async move {
            browser()
                .get(url)
                .send()
                .await
                .expect("page")
                .text()
                .await
                .expect("html")
        }
    };
    let open = page(token.clone()).await;
    assert!(
        open.contains(r#"value="15""#) && !open.contains("no-walk-up"),
        "{open}"
    );
    // Only admins may book it now: the door (an employee's account) offers nothing.
    let room = state.svc.get_room(w.other.id).await.expect("room");
    let mut spec = RoomSpec::from(&room);
    spec.policy.allowed_roles = [Role::RoomAdmin, Role::SuperAdmin].into();
    state
        .svc
        .update_room(admin, room.id, spec)
        .await
        .expect("update");
    let closed = page(token).await;
    assert!(
        !closed.contains(r#"name="minutes""#) && closed.contains("no-walk-up"),
        "{closed}"
    );
}

#[tokio::test]
async fn a_door_checks_in_only_to_its_own_rooms_bookings() {
    let w = world().await;
    let svc = &w.srv.state.svc;
    let alice = Actor::from(w.alice.clone());
    let start = Utc::now() + Duration::minutes(5);
    let b = svc
        .book(
            &alice,
            BookingRequest {
                room_id: w.other.id,
                title: "Sync".into(),
                purpose: String::new(),
                attendees: 2,
                start,
                end: start + Duration::minutes(30),
            },
        )
        .await
        .expect("book");
    let err = svc
        .check_in_at_door(&w.root, w.mine.id, b.id)
        .await
        .expect_err("another room's door");
    assert!(matches!(err, CoreError::Forbidden(_)), "{err:?}");
    let done = svc
        .check_in_at_door(&w.root, w.other.id, b.id)
        .await
        .expect("its own door");
    assert!(done.checked_in_at.is_some());
}

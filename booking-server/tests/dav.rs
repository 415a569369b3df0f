//! CalDAV read access under /dav/ (our protocol checks on SQLite and
//! PostgreSQL), and the calendar peers others wrote, on one running server:
//! Python icalendar / vobject / recurring-ical-events, ical.js and node-ical,
//! Evolution's libical, the Python `caldav` client, vdirsyncer and
//! caldav-server-tester. All parsers must agree on the occurrences of a
//! series that crosses a DST change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use booking_core::{
    AccountState, Actor, BookingChanges, BookingRequest, BookingStatus, BusinessHours, Role,
    RoomCategory, RoomPolicy, RoomSpec, SeriesRequest,
};
use booking_server::auth::hash_password;
use booking_server::config::Config;
use booking_store::testing::{Backend, TestDb, backends};
use chrono::{Duration, NaiveDate, Utc};
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

mod common;

const PASSWORD: &str = "correct horse battery";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn required() -> bool {
    std::env::var("BOOKING_INTEROP").as_deref() == Ok("required")
}

/// Skip (or, in CI, fail) when a peer is missing.
fn peer_missing(what: &str) {
    assert!(
        !required(),
        "{what} is required (BOOKING_INTEROP=required) but not installed"
    );
    eprintln!("{what} not installed: skipped");
}

struct Fixture {
    srv: common::Running,
    room: booking_core::Room,
    series_id: booking_core::SeriesId,
    alice: Actor,
    feed_token: String,
    _db: TestDb,
}

async fn fixture(b: Backend) -> Fixture {
    let db = TestDb::create(b).await;
    let srv = common::spawn({
        let mut c = Config::default();
        c.database.url = db.url.clone().into();
        c.auth.jwt_secret = Some("dav-secret-dav-secret-dav-secret-dav".into());
        c.server.public_url = "http://booking.test".into();
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
                name: "Blue room".into(),
                category: RoomCategory::Meeting,
                capacity: 8,
                floor: Some(2),
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
    // Weekly at 09:00 Berlin for 30 weeks: crosses the spring DST change
    // (and the autumn one when the tests run in spring).
    let start = (Utc::now() + Duration::days(2)).date_naive();
    let series = svc
        .book_series(
            &alice,
            SeriesRequest {
                room_id: room.id,
                title: "Weekly sync".into(),
                purpose: "Standing meeting".into(),
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
    let single_start = start.and_hms_opt(13, 0, 0).expect("t").and_utc();
    svc.book(
        &alice,
        BookingRequest {
            room_id: room.id,
            title: "One-off".into(),
            purpose: String::new(),
            attendees: 2,
            start: single_start,
            end: single_start + Duration::hours(1),
        },
    )
    .await
    .expect("single");
    let feed_token = srv
        .state
        .store
        .feed_token(alice.id)
        .await
        .expect("token")
        .unwrap_or_default();
    let feed_token = if feed_token.is_empty() {
        let t = format!("tok{}", uuid::Uuid::new_v4().simple());
        srv.state
            .store
            .set_feed_token(alice.id, &t)
            .await
            .expect("set");
        t
    } else {
        feed_token
    };
    Fixture {
        srv,
        room,
        series_id: series.series.id,
        alice,
        feed_token,
        _db: db,
    }
}

fn dav(http: &Client, method: &str, url: &str) -> reqwest::RequestBuilder {
    http.request(Method::from_bytes(method.as_bytes()).expect("method"), url)
        .basic_auth("alice@example.com", Some(PASSWORD))
}

async fn xml(resp: reqwest::Response, want: StatusCode) -> String {
    let status = resp.status();
    let body = resp.text().await.expect("body");
    assert_eq!(status, want, "{body}");
    body
}

/// (href, property local name → text) of every response in a multistatus.
fn responses(body: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let doc = roxmltree::Document::parse(body).expect("well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name(("DAV:", "response")))
        .map(|r| {
            let href = r
                .children()
                .find(|c| c.has_tag_name(("DAV:", "href")))
                .and_then(|h| h.text())
                .unwrap_or("")
                .to_string();
            let mut props = BTreeMap::new();
            for ps in r
                .children()
                .filter(|c| c.has_tag_name(("DAV:", "propstat")))
            {
                let ok = ps
                    .children()
                    .find(|c| c.has_tag_name(("DAV:", "status")))
                    .and_then(|s| s.text())
                    .is_some_and(|s| s.contains(" 200 "));
                if !ok {
                    continue;
                }
                for p in ps
                    .descendants()
                    .filter(|n| n.has_tag_name(("DAV:", "prop")))
                    .flat_map(|p| p.children().filter(|c| c.is_element()))
                {
                    let text: String = p
                        .descendants()
                        .filter(|d| d.is_text())
                        .filter_map(|d| d.text())
                        .collect::<Vec<_>>()
                        .join("");
                    let inner: Vec<&str> = p
                        .children()
                        .filter(|c| c.is_element())
                        .map(|c| c.tag_name().name())
                        .collect();
                    let v = if text.trim().is_empty() {
                        inner.join(",")
                    } else {
                        text
                    };
                    props.insert(p.tag_name().name().to_string(), v);
                }
            }
            (href, props)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caldav_read_access() {
    for b in backends() {
        eprintln!("-- {b:?}");
        protocol(b).await;
    }
}

async fn protocol(b: Backend) {
    let f = fixture(b).await;
    let base = &f.srv.base;
    let http = Client::new();
    let room_url = format!("{base}/dav/rooms/{}/", f.room.id);

    // No credentials: 401 with a Basic challenge. Wrong password: 401.
    let r = http
        .request(
            Method::from_bytes(b"PROPFIND").expect("m"),
            format!("{base}/dav/"),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let challenge = r
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(challenge.starts_with("Basic realm="), "{challenge}");
    let r = http
        .request(
            Method::from_bytes(b"PROPFIND").expect("m"),
            format!("{base}/dav/"),
        )
        .basic_auth("alice@example.com", Some("wrong password"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Discovery: well-known → /dav/ → principal → calendar home → rooms.
    let r = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{base}/.well-known/caldav"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::MOVED_PERMANENTLY);
    assert_eq!(r.headers()["location"], "/dav/");
    let body = xml(
        dav(&http, "PROPFIND", &format!("{base}/dav/"))
            .header("depth", "0")
            .body(r#"<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>"#)
            .send()
            .await
            .expect("send"),
        StatusCode::MULTI_STATUS,
    )
    .await;
    let principal = responses(&body)[0].1["current-user-principal"].clone();
    assert_eq!(principal, format!("/dav/principals/{}/", f.alice.id));
    let body = xml(
        dav(&http, "PROPFIND", &format!("{base}{principal}"))
            .header("depth", "0")
            .body(r#"<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-home-set/><c:calendar-user-address-set/><d:nonsense/></d:prop></d:propfind>"#)
            .send()
            .await
            .expect("send"),
        StatusCode::MULTI_STATUS,
    )
    .await;
    let (_, props) = &responses(&body)[0];
    assert_eq!(props["calendar-home-set"], "/dav/rooms/");
    assert_eq!(
        props["calendar-user-address-set"],
        "mailto:alice@example.com"
    );
    assert!(
        body.contains("404 Not Found"),
        "unknown props are 404: {body}"
    );
    // Someone else's principal is not readable.
    let r = dav(
        &http,
        "PROPFIND",
        &format!("{base}/dav/principals/{}/", uuid::Uuid::new_v4()),
    )
    .header("depth", "0")
    .send()
    .await
    .expect("send");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Sync tokens have one-second resolution: let the fixture's second pass.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let calendars_body = r#"<d:propfind xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:resourcetype/><d:displayname/><cs:getctag/><d:sync-token/><c:supported-calendar-component-set/><d:current-user-privilege-set/></d:prop></d:propfind>"#;
    let body = xml(
        dav(&http, "PROPFIND", &format!("{base}/dav/rooms/"))
            .header("depth", "1")
            .body(calendars_body)
            .send()
            .await
            .expect("send"),
        StatusCode::MULTI_STATUS,
    )
    .await;
    let listed = responses(&body);
    assert_eq!(listed.len(), 2, "home and one room: {body}");
    let (href, cal) = &listed[1];
    assert_eq!(href, &format!("/dav/rooms/{}/", f.room.id));
    assert_eq!(cal["displayname"], "Blue room");
    assert_eq!(cal["resourcetype"], "collection,calendar");
    assert_eq!(cal["current-user-privilege-set"], "privilege,privilege");
    assert!(body.contains("<C:comp name=\"VEVENT\"/>"));
    let ctag = cal["getctag"].clone();
    let token = cal["sync-token"].clone();
    // The home listing (one grouped query) and the calendar itself agree.
    let body = xml(
        dav(&http, "PROPFIND", &room_url)
            .header("depth", "0")
            .body(calendars_body)
            .send()
            .await
            .expect("send"),
        StatusCode::MULTI_STATUS,
    )
    .await;
    assert_eq!(responses(&body)[0].1["getctag"], ctag);
    assert_eq!(responses(&body)[0].1["sync-token"], token);

    // Depth 1 on the calendar: the series is one object, the single another.
    let body = xml(
        dav(&http, "PROPFIND", &room_url)
            .header("depth", "1")
            .body(r#"<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:getcontenttype/></d:prop></d:propfind>"#)
            .send()
            .await
            .expect("send"),
        StatusCode::MULTI_STATUS,
    )
    .await;
    let objects: Vec<_> = responses(&body).into_iter().skip(1).collect();
    assert_eq!(objects.len(), 2, "{body}");
    let series_href = format!("/dav/rooms/{}/{}.ics", f.room.id, f.series_id);
    assert!(objects.iter().any(|(h, _)| h == &series_href), "{body}");
    assert!(
        objects
            .iter()
            .all(|(_, p)| p["getcontenttype"].starts_with("text/calendar"))
    );

    // GET one object: a whole VCALENDAR with the zone, the rule and overrides.
    let r = dav(&http, "GET", &format!("{base}{series_href}"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);
    let etag = r.headers()["etag"].to_str().expect("etag").to_string();
    let ics = r.text().await.expect("text");
    let cal = calcard::icalendar::ICalendar::parse(&ics).expect("calcard reads it");
    let count = |t: calcard::icalendar::ICalendarComponentType| {
        cal.components
            .iter()
            .filter(|c| c.component_type == t)
            .count()
    };
    assert_eq!(
        count(calcard::icalendar::ICalendarComponentType::VEvent),
        2,
        "master and the moved occurrence: {ics}"
    );
    assert_eq!(
        count(calcard::icalendar::ICalendarComponentType::VTimezone),
        1
    );
    assert!(ics.contains("RRULE:FREQ=WEEKLY") && ics.contains("EXDATE;TZID=Europe/Berlin"));
    let r = dav(&http, "GET", &format!("{base}{series_href}"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    // calendar-query with a time range: only what overlaps it.
    let single_day = (Utc::now() + Duration::days(2)).date_naive();
    let q = |from: NaiveDate, to: NaiveDate| {
        format!(
            r#"<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="{}T000000Z" end="{}T000000Z"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"#,
            from.format("%Y%m%d"),
            to.format("%Y%m%d")
        )
    };
    let body = xml(
        dav(&http, "REPORT", &room_url)
            .header("depth", "1")
            .body(q(single_day, single_day + Duration::days(1)))
            .send()
            .await
            .expect("send"),
        StatusCode::MULTI_STATUS,
    )
    .await;
    let found = responses(&body);
    assert_eq!(found.len(), 2, "single and series on that day: {body}");
    assert!(
        found
            .iter()
            .all(|(_, p)| p["calendar-data"].starts_with("BEGIN:VCALENDAR"))
    );
    let far = single_day + Duration::days(400);
    let body = xml(
        dav(&http, "REPORT", &room_url)
            .body(q(far, far + Duration::days(1)))
            .send()
            .await
            .expect("send"),
        StatusCode::MULTI_STATUS,
    )
    .await;
    assert!(responses(&body).is_empty(), "{body}");

    // multiget: known hrefs answered, unknown ones 404.
    let missing = format!("/dav/rooms/{}/{}.ics", f.room.id, uuid::Uuid::new_v4());
    let body = xml(
        dav(&http, "REPORT", &room_url)
            .body(format!(r#"<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop><d:href>{series_href}</d:href><d:href>{missing}</d:href></c:calendar-multiget>"#))
            .send()
            .await
            .expect("send"),
        StatusCode::MULTI_STATUS,
    )
    .await;
    let got = responses(&body);
    assert_eq!(got[0].1["getetag"], etag);
    assert!(
        body.contains("<D:href>") && body.contains("404 Not Found"),
        "{body}"
    );

    // sync-collection: nothing changed since the token → no members.
    let sync = |token: &str| {
        format!(
            r#"<d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>"#
        )
    };
    let body = xml(
        dav(&http, "REPORT", &room_url)
            .body(sync(""))
            .send()
            .await
            .expect("send"),
        StatusCode::MULTI_STATUS,
    )
    .await;
    assert_eq!(responses(&body).len(), 2, "initial sync lists all: {body}");

    // A change: the ctag moves, a sync from the old token lists just it.
    let svc = &f.srv.state.svc;
    let single = svc
        .list_bookings(&booking_core::store::BookingFilter {
            room_id: Some(f.room.id),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_iter()
        .find(|b| b.series_id.is_none())
        .expect("single");
    svc.cancel(&f.alice, single.id, None).await.expect("cancel");
    let body = xml(
        dav(&http, "REPORT", &room_url)
            .body(sync(&token))
            .send()
            .await
            .expect("send"),
        StatusCode::MULTI_STATUS,
    )
    .await;
    let changed = responses(&body);
    assert_eq!(changed.len(), 1, "{body}");
    assert_eq!(
        changed[0].0,
        format!("/dav/rooms/{}/{}.ics", f.room.id, single.id)
    );
    let body = xml(
        dav(&http, "PROPFIND", &room_url)
            .header("depth", "0")
            .body(calendars_body)
            .send()
            .await
            .expect("send"),
        StatusCode::MULTI_STATUS,
    )
    .await;
    assert_ne!(responses(&body)[0].1["getctag"], ctag, "ctag changes");
    let ctag = responses(&body)[0].1["getctag"].clone();
    assert_ne!(ctag, "", "ctag listed");
    // The room renamed, twice in quick succession (timestamps keep seconds,
    // so the second rename usually lands in the same second): the ctag
    // follows each.
    let admin = Actor::from(
        svc.create_user(
            "ops@example.com",
            "Ops",
            Role::SuperAdmin,
            None,
            AccountState::Active,
        )
        .await
        .expect("admin"),
    );
    let mut ctag = ctag;
    for name in ["Blue room (east)", "Blue room (west)"] {
        let r = &f.room;
        svc.update_room(
            &admin,
            r.id,
            RoomSpec {
                name: name.into(),
                category: r.category,
                capacity: r.capacity,
                floor: r.floor,
                location: r.location.clone(),
                amenities: r.amenities.clone(),
                time_zone: r.time_zone.name().into(),
                active: r.active,
                policy: r.policy.clone(),
            },
        )
        .await
        .expect("rename room");
        let body = xml(
            dav(&http, "PROPFIND", &room_url)
                .header("depth", "0")
                .body(calendars_body)
                .send()
                .await
                .expect("send"),
            StatusCode::MULTI_STATUS,
        )
        .await;
        let now = responses(&body)[0].1["getctag"].clone();
        assert_ne!(now, ctag, "ctag follows the room ({name})");
        ctag = now;
    }
    let r = dav(&http, "REPORT", &room_url)
        .body(sync("http://elsewhere/token"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.expect("t").contains("valid-sync-token"));

    // Writes are refused with a DAV error saying why; nothing changes.
    for method in ["PUT", "DELETE", "MKCALENDAR", "PROPPATCH", "POST"] {
        let r = dav(&http, method, &format!("{base}{series_href}"))
            .body("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
            .send()
            .await
            .expect("send");
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method}");
        let text = r.text().await.expect("t");
        assert!(
            text.contains("need-privileges") && text.contains("read-only"),
            "{text}"
        );
    }
    let r = dav(&http, "GET", &format!("{base}{series_href}"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::OK);

    // Bad XML is a 400 that says so; an unsupported report is refused.
    let r = dav(&http, "REPORT", &room_url)
        .body("<broken")
        .send()
        .await
        .expect("s");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("t").contains("not well-formed"));
    let r = dav(&http, "REPORT", &room_url)
        .body(r#"<d:expand-property xmlns:d="DAV:"/>"#)
        .send()
        .await
        .expect("s");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A free-busy-query needs its time-range (RFC 4791 §7.10).
    let r = dav(&http, "REPORT", &room_url)
        .body(r#"<c:free-busy-query xmlns:c="urn:ietf:params:xml:ns:caldav"/>"#)
        .send()
        .await
        .expect("s");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // The calendar token works as an app password; after rotation it does not.
    let app = |secret: &str| {
        http.request(
            Method::from_bytes(b"PROPFIND").expect("m"),
            format!("{base}/dav/"),
        )
        .header("depth", "0")
        .basic_auth("alice@example.com", Some(secret))
    };
    let r = app(&f.feed_token).send().await.expect("s");
    assert_eq!(r.status(), StatusCode::MULTI_STATUS);
    f.srv
        .state
        .store
        .set_feed_token(
            f.alice.id,
            &format!("rotated{}", uuid::Uuid::new_v4().simple()),
        )
        .await
        .expect("rotate");
    let r = app(&f.feed_token).send().await.expect("s");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Repeated wrong passwords lock the account, for CalDAV as for the API:
    // then even the right password gets 403 saying so.
    // The rotated token above was the first failure since the last
    // successful sign-in; the fifth locks.
    for _ in 0..4 {
        let r = app("not the password").send().await.expect("s");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = app(PASSWORD).send().await.expect("s");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.expect("t").contains("locked"));

    // OPTIONS advertises calendar-access.
    let r = http
        .request(Method::OPTIONS, format!("{base}/dav/"))
        .send()
        .await
        .expect("s");
    assert!(
        r.headers()["dav"]
            .to_str()
            .expect("dav")
            .contains("calendar-access")
    );
}

// ---------------------------------------------------------------------------
// Peers written by others, on one server (SQLite: they test our output, not
// the storage).

/// #17 items 1–4: a calendar-query keeps to the component it names, a
/// cancelled occurrence matches no time range, collections cannot be made
/// (403, as documented), and what the calendar advertises works: the
/// free-busy-query REPORT and scheduling (`calendar-auto-schedule`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caldav_answers_what_it_advertises() {
    for b in backends() {
        eprintln!("-- {b:?}");
        advertised(b).await;
    }
}

async fn advertised(b: Backend) {
    let f = fixture(b).await;
    let base = &f.srv.base;
    let http = Client::new();
    let room_url = format!("{base}/dav/rooms/{}/", f.room.id);
    let day = (Utc::now() + Duration::days(2)).date_naive();
    let query = |comp: &str, from: NaiveDate, to: NaiveDate| {
        format!(
            r#"<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="{comp}"><c:time-range start="{}T000000Z" end="{}T000000Z"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"#,
            from.format("%Y%m%d"),
            to.format("%Y%m%d")
        )
    };
    let report = async |body: String| {
        responses(
            &xml(
                dav(&http, "REPORT", &room_url)
                    .header("depth", "1")
                    .body(body)
                    .send()
                    .await
                    .expect("send"),
                StatusCode::MULTI_STATUS,
            )
            .await,
        )
    };
    let one_day = Duration::days(1);
    // 1. The single and the series are on `day`; VTODOs there are none.
    assert_eq!(report(query("VEVENT", day, day + one_day)).await.len(), 2);
    assert!(report(query("VTODO", day, day + one_day)).await.is_empty());
    assert!(
        report(query("VJOURNAL", day, day + one_day))
            .await
            .is_empty()
    );
    // 2. The third weekly occurrence is cancelled: nothing is left that day,
    //    while the second week still matches.
    let third = day + Duration::days(14);
    assert!(
        report(query("VEVENT", third, third + one_day))
            .await
            .is_empty(),
        "a cancelled occurrence matches no time range"
    );
    let second = day + Duration::days(7);
    assert_eq!(
        report(query("VEVENT", second, second + one_day))
            .await
            .len(),
        1
    );

    // 3. Making collections is refused with 403 wherever it is tried.
    for (method, url) in [
        ("MKCALENDAR", format!("{base}/dav/rooms/new-calendar/")),
        ("MKCOL", format!("{base}/dav/rooms/other/")),
        ("MKCALENDAR", format!("{room_url}inner/")),
    ] {
        let r = dav(&http, method, &url).send().await.expect("send");
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {url}");
        let body = r.text().await.expect("body");
        assert!(body.contains("need-privileges"), "{body}");
    }
    let r = dav(&http, "GET", &format!("{base}/dav/nothing/here"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let p: Value = r.json().await.expect("problem");
    let detail = p["detail"].as_str().expect("detail");
    assert_eq!(detail, detail.trim(), "no stray newline: {detail:?}");

    // #16 item 1: another user sees the series' title (the room does not
    // hide details) but not its purpose; the organizer sees both.
    let hash = hash_password(PASSWORD).expect("hash");
    f.srv
        .state
        .svc
        .create_user(
            "bob@example.com",
            "Bob",
            Role::User,
            Some(&hash),
            AccountState::Active,
        )
        .await
        .expect("bob");
    let object = format!("{room_url}{}.ics", f.series_id);
    let as_bob = http
        .get(&object)
        .basic_auth("bob@example.com", Some(PASSWORD))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(as_bob.contains("SUMMARY:Weekly sync"), "{as_bob}");
    assert!(
        !as_bob.contains("Standing meeting"),
        "no purpose for others: {as_bob}"
    );
    let as_alice = dav(&http, "GET", &object)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(
        as_alice.contains("DESCRIPTION:Standing meeting"),
        "{as_alice}"
    );

    // 4. free-busy-query: busy periods of the first two weeks.
    let fb = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="{}T000000Z" end="{}T000000Z"/></C:free-busy-query>"#,
        day.format("%Y%m%d"),
        (day + Duration::days(8)).format("%Y%m%d")
    );
    let r = dav(&http, "REPORT", &room_url)
        .header("depth", "1")
        .body(fb)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .is_ok_and(|c| c.starts_with("text/calendar")),
        "{:?}",
        r.headers()
    );
    let ics = r.text().await.expect("body");
    assert!(ics.contains("BEGIN:VFREEBUSY"), "{ics}");
    let busy = ics
        .lines()
        .filter(|l| l.starts_with("FREEBUSY;FBTYPE=BUSY:"))
        .count();
    assert_eq!(busy, 3, "two occurrences and the single: {ics}");
    // The calendar says so, and the server says it schedules.
    let r = dav(&http, "OPTIONS", &room_url).send().await.expect("send");
    let dav_header = r.headers()["dav"].to_str().expect("dav").to_string();
    assert!(
        dav_header.contains("calendar-auto-schedule"),
        "{dav_header}"
    );
    let body = xml(
        dav(&http, "PROPFIND", &room_url)
            .header("depth", "0")
            .body(r#"<d:propfind xmlns:d="DAV:"><d:prop><d:supported-report-set/></d:prop></d:propfind>"#)
            .send()
            .await
            .expect("send"),
        StatusCode::MULTI_STATUS,
    )
    .await;
    assert!(body.contains("free-busy-query"), "{body}");
}

fn run_json(cmd: &mut Command) -> Value {
    let out = cmd.output().expect("run peer");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{cmd:?}: {e}: {stdout}"))
}

/// A program of the CalDAV clients' virtualenv (`BOOKING_CALDAV_VENV`, kept
/// apart because caldav replaces urllib3), or from PATH.
fn caldav_tool(name: &str) -> String {
    match std::env::var("BOOKING_CALDAV_VENV") {
        Ok(venv) if !venv.is_empty() => format!("{venv}/bin/{name}"),
        _ => name.to_string(),
    }
}

fn has_python_modules(python: &str, modules: &str) -> bool {
    Command::new(python)
        .args(["-c", &format!("import {modules}")])
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calendar_peers_agree() {
    let f = fixture(Backend::Sqlite).await;
    let base = f.srv.base.clone();
    let svc = &f.srv.state.svc;
    let http = Client::new();
    let feed_url = format!("{base}/ical/rooms/{}.ics?token={}", f.room.id, f.feed_token);
    let ics = http
        .get(&feed_url)
        .send()
        .await
        .expect("feed")
        .text()
        .await
        .expect("text");
    let dir = std::env::temp_dir().join(format!("peers-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("room.ics");
    std::fs::write(&file, &ics).expect("write");

    // What the server holds: the live occurrences of the series, in UTC.
    let mut expected: Vec<String> = svc
        .list_bookings(&booking_core::store::BookingFilter {
            series_id: Some(f.series_id),
            ..Default::default()
        })
        .await
        .expect("list")
        .into_iter()
        .filter(|b| b.status == BookingStatus::Approved)
        .map(|b| b.start.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .collect();
    expected.sort();
    assert_eq!(expected.len(), 29, "30 minus the cancelled one");
    let uid = format!("{}@booking.test", f.series_id);
    let from = (Utc::now() - Duration::days(40))
        .format("%Y-%m-%d")
        .to_string();
    let to = (Utc::now() + Duration::days(400))
        .format("%Y-%m-%d")
        .to_string();
    let script = |name: &str| repo().join("scripts/interop").join(name);
    let occurrences = |v: &Value, key: &str| -> Vec<String> {
        v[key][&uid]
            .as_array()
            .unwrap_or_else(|| panic!("no occurrences for {uid} in {v}"))
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    };
    let mut agreed = Vec::new();

    // Python: icalendar, vobject (validate=True), recurring-ical-events.
    if has_python_modules("python3", "icalendar, vobject, recurring_ical_events") {
        let v = run_json(Command::new("python3").arg(script("occurrences.py")).args([
            &file.display().to_string(),
            &from,
            &to,
        ]));
        assert_eq!(v["icalendar"], "ok", "{v}");
        assert_eq!(v["vobject"], "ok", "{v}");
        assert_eq!(
            occurrences(&v, "recurring_ical_events"),
            expected,
            "recurring-ical-events"
        );
        agreed.push("recurring-ical-events");
    } else {
        peer_missing("python icalendar/vobject/recurring_ical_events");
    }

    // ical.js (Thunderbird's parser) and node-ical.
    if script("node_modules/ical.js").exists() {
        let v = run_json(Command::new("node").arg(script("occurrences.mjs")).args([
            &file.display().to_string(),
            &from,
            &to,
        ]));
        assert_eq!(v["ical.js"], "ok", "{v}");
        assert!(
            v["node-ical"].as_str().is_some_and(|s| s.starts_with("ok")),
            "{v}"
        );
        assert_eq!(occurrences(&v, "occurrences"), expected, "ical.js");
        agreed.push("ical.js");
    } else {
        peer_missing("npm ical.js (npm ci --prefix scripts/interop)");
    }

    // Evolution's libical through GObject introspection (Debian's python3).
    if has_python_modules(
        "/usr/bin/python3",
        "gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib",
    ) {
        let v = run_json(
            Command::new("/usr/bin/python3")
                .arg(script("occurrences_libical.py"))
                .args([&file.display().to_string(), &from, &to]),
        );
        assert_eq!(v["parsed"], true, "{v}");
        assert_eq!(v["restriction_check"], true, "{v}");
        assert_eq!(v["errors"], serde_json::json!([]), "{v}");
        assert_eq!(occurrences(&v, "occurrences"), expected, "libical");
        agreed.push("libical");
    } else {
        peer_missing("libical (gir1.2-ical-3.0 + python3-gi)");
    }
    eprintln!("occurrence lists agree across DST: {agreed:?}");

    // The Python caldav client lists and searches the room calendar.
    if has_python_modules(&caldav_tool("python3"), "caldav") {
        let v = run_json(
            Command::new(caldav_tool("python3"))
                .arg(script("caldav_client.py"))
                .args([
                    &format!("{base}/dav/"),
                    "alice@example.com",
                    PASSWORD,
                    "Blue room",
                ])
                .args([&from, &to]),
        );
        assert_eq!(v["calendars"], serde_json::json!(["Blue room"]), "{v}");
        assert_eq!(v["objects"], 2, "series + single: {v}");
        assert_eq!(v["found_on_first_day"], 2, "{v}");
        let mut expanded: Vec<String> = v["expanded"][&uid]
            .as_array()
            .expect("expanded")
            .iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect();
        expanded.sort();
        assert_eq!(expanded, expected, "caldav client expansion");
    } else {
        peer_missing("python caldav");
    }

    // vdirsyncer syncs the room feed (http storage) into a folder.
    if Command::new(caldav_tool("vdirsyncer"))
        .arg("--version")
        .output()
        .is_ok()
    {
        let out = Command::new("bash")
            .env("VDIRSYNCER", caldav_tool("vdirsyncer"))
            .arg(script("vdirsyncer-sync.sh"))
            .args([&feed_url, &dir.join("vdir").display().to_string()])
            .output()
            .expect("vdirsyncer");
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}");
        let items: Vec<String> = std::fs::read_dir(dir.join("vdir/items/feed"))
            .expect("synced folder")
            .filter_map(|e| e.ok())
            .map(|e| std::fs::read_to_string(e.path()).expect("item"))
            .collect();
        assert_eq!(items.len(), 2, "one item per UID: {text}");
        // vdirsyncer renames UIDs it finds unsafe for file names, but keeps a
        // series' master and its overrides together in one item.
        assert!(
            items.iter().any(|i| i.contains("RRULE:FREQ=WEEKLY")
                && i.contains("RECURRENCE-ID")
                && i.contains("SUMMARY:Weekly sync")),
            "{items:?}"
        );
    } else {
        peer_missing("vdirsyncer");
    }

    // caldav-server-tester: the read features we claim are reported fully
    // supported; the write features are reported unsupported (read-only).
    if Command::new(caldav_tool("caldav-server-tester"))
        .arg("--version")
        .output()
        .is_ok()
    {
        let v = run_json(
            Command::new(caldav_tool("caldav-server-tester"))
                .args(["--caldav-url", &format!("{base}/dav/")])
                .args([
                    "--caldav-user",
                    "alice@example.com",
                    "--caldav-pass",
                    PASSWORD,
                ])
                .args(["--caldav-calendar", "Blue room", "--format", "json"])
                .args(["--run-checks", "CheckGetCurrentUserPrincipal"])
                .args(["--run-checks", "CheckWWWAuthenticate"])
                .args(["--run-checks", "CheckPropfindAllprop"])
                .args(["--run-checks", "CheckMakeDeleteCalendar"]),
        );
        let features = &v["features"];
        // The JSON lists features whose support differs from "full".
        for claimed in [
            "get-current-user-principal",
            "auth.www-authenticate",
            "auth.www-authenticate.usable-scheme",
            "propfind",
            "propfind.allprop",
            "propfind.allprop.resourcetype",
            "propfind.principal-depth-1",
        ] {
            let support = features[claimed]["support"].as_str().unwrap_or("full");
            assert_eq!(support, "full", "{claimed}: {v}");
        }
        assert_eq!(features["create-calendar"]["support"], "unsupported", "{v}");
        // #17: every check it has, then what the server answered: the writes
        // it tries (to make test events, calendars, properties) are refused
        // with 403 — never 404 — and nothing at all is a 5xx. (Its run ends
        // in an error of its own once writes are refused; only the server's
        // answers count here.)
        let _ = Command::new(caldav_tool("caldav-server-tester"))
            .args(["--caldav-url", &format!("{base}/dav/")])
            .args([
                "--caldav-user",
                "alice@example.com",
                "--caldav-pass",
                PASSWORD,
            ])
            .args(["--caldav-calendar", "Blue room", "--format", "json"])
            .output()
            .expect("caldav-server-tester");
        let metrics = Client::new()
            .get(format!("{base}/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        let mut writes = 0;
        for line in metrics
            .lines()
            .filter(|l| l.starts_with("http_requests_total{") && l.contains("route=\"/dav"))
        {
            let field = |k: &str| {
                line.split(&format!("{k}=\""))
                    .nth(1)
                    .and_then(|r| r.split('"').next())
                    .unwrap_or_default()
                    .to_string()
            };
            let (method, status) = (field("method"), field("status"));
            assert!(
                !status.starts_with('5'),
                "a 5xx from the DAV server: {line}"
            );
            if ["PUT", "DELETE", "MKCALENDAR", "MKCOL", "PROPPATCH"].contains(&method.as_str()) {
                writes += 1;
                assert_eq!(status, "403", "a refused write must be 403: {line}");
            }
        }
        assert!(writes > 0, "the tester tried writes: {metrics}");
    } else {
        peer_missing("caldav-server-tester");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

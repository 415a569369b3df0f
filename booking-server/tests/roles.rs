//! The role table of docs/API.md, checked over every operation of the
//! OpenAPI document and every kind of caller (#16): anonymous, the user who
//! owns the thing, another user, the room admin of the room, a room admin of
//! another room, a procurement officer, a super admin.
//!
//! Each cell gets fresh things to act on (a booking, a series, an order, …)
//! and a fresh token, so no call depends on an earlier one. A row per
//! operation; an operation of the document without a row fails the test.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};

use booking_core::{Role, User};
use booking_store::testing::Backend;
use chrono::{Duration, SecondsFormat, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

mod common;
use common::api::*;

on_every_backend!(every_operation_for_every_role);

/// Callers, in the order of each row's expectation string.
const CALLERS: [&str; 7] = [
    "anonymous",
    "owner (user)",
    "other user",
    "room admin of this room",
    "room admin of another room",
    "procurement officer",
    "super admin",
];

/// What a thing the operation acts on must be, made fresh for each call.
#[derive(Clone, Copy, PartialEq)]
enum Fx {
    Nothing,
    /// A booking of the owner in the room (which needs approval: pending).
    Booking,
    /// A series (of one) of the owner in the room.
    Series,
    /// An order of the owner on a fresh booking.
    Order,
    /// The owner waiting for a slot another user holds.
    Waitlist,
    /// A room the room admin manages.
    Room,
    /// The same, soft-deleted.
    DeletedRoom,
    /// A webhook endpoint the room admin registered for the room.
    Webhook,
    /// A personal access token of the owner.
    Token,
    /// A closure of the room, made by its room admin.
    Closure,
}

/// `y` 2xx, `a` 401, `n` 403, `f` 404, `4` another 4xx (allowed, but the
/// request itself is refused: a rule, a state, a bad body).
struct Row {
    method: &'static str,
    path: &'static str,
    fx: Fx,
    body: Option<&'static str>,
    expect: &'static str,
}

const fn row(
    method: &'static str,
    path: &'static str,
    fx: Fx,
    body: Option<&'static str>,
    expect: &'static str,
) -> Row {
    Row {
        method,
        path,
        fx,
        body,
        expect,
    }
}

use Fx::*;

const ORDER: &str = r#"{"kind": "catering", "priority": "medium", "cost_centre": "CC-1", "items": [{"name": "Coffee", "quantity": 4, "unit_cost_cents": 250}]}"#;

#[rustfmt::skip]
const ROWS: &[Row] = &[
    //   method   path                                    fixture      body                                                       anon,own,oth,ra,rb,po,sa
    row("POST",   "/auth/register",                       Nothing,     Some(r#"{"email": "{uniq}@example.com", "password": "a long enough passphrase", "display_name": "New"}"#), "yyyyyyy"),
    row("GET",    "/auth/providers",                      Nothing,     None,                                                      "yyyyyyy"),
    row("POST",   "/auth/login",                          Nothing,     Some(r#"{"email": "login@example.com", "password": "{password}"}"#), "yyyyyyy"),
    row("POST",   "/auth/refresh",                        Nothing,     Some(r#"{"refresh_token": "{refresh}"}"#),                  "ayyyyyy"),
    row("POST",   "/auth/logout",                         Nothing,     Some(r#"{}"#),                                             "ayyyyyy"),
    row("GET",    "/me",                                  Nothing,     None,                                                      "ayyyyyy"),
    row("POST",   "/me/password",                         Nothing,     Some(r#"{"current_password": "{password}", "new_password": "{password}"}"#), "ayyyyyy"),
    row("POST",   "/chat/link-code",                      Nothing,     None,                                                      "ayyyyyy"),
    row("GET",    "/me/feed-token",                       Nothing,     None,                                                      "ayyyyyy"),
    row("POST",   "/me/feed-token",                       Nothing,     None,                                                      "ayyyyyy"),
    row("GET",    "/users",                               Nothing,     None,                                                      "annnnny"),
    row("POST",   "/users",                               Nothing,     Some(r#"{"email": "{uniq}@example.com", "display_name": "N", "password": "a long enough passphrase", "role": "user"}"#), "annnnny"),
    row("GET",    "/users/{other}",                       Nothing,     None,                                                      "anynnny"),
    row("PATCH",  "/users/{other}",                       Nothing,     Some(r#"{"active": true}"#),                               "annnnny"),
    row("GET",    "/audit",                               Nothing,     None,                                                      "annnnny"),
    row("GET",    "/rooms",                               Nothing,     None,                                                      "ayyyyyy"),
    row("POST",   "/rooms",                               Nothing,     Some("{room_json}"),                                       "annnnny"),
    row("GET",    "/rooms/{room}",                        Room,        None,                                                      "ayyyyyy"),
    row("PUT",    "/rooms/{room}",                        Room,        Some("{room_json}"),                                       "annynny"),
    row("DELETE", "/rooms/{room}",                        Room,        None,                                                      "annynny"),
    row("POST",   "/rooms/{room}/restore",                DeletedRoom, None,                                                      "annynny"),
    row("GET",    "/rooms/{room}/policy",                 Room,        None,                                                      "ayyyyyy"),
    row("PUT",    "/rooms/{room}/policy",                 Room,        Some("{policy_json}"),                                     "annynny"),
    row("GET",    "/rooms/{room}/parts",                  Room,        None,                                                      "ayyyyyy"),
    row("PUT",    "/rooms/{room}/parts",                  Room,        Some(r#"{"parts": []}"#),                                  "annynny"),
    row("GET",    "/quotas",                              Nothing,     None,                                                      "ayyyyyy"),
    row("GET",    "/amenities",                           Nothing,     None,                                                      "ayyyyyy"),
    row("GET",    "/rooms/{room}/availability?date={date}", Room,      None,                                                      "ayyyyyy"),
    row("GET",    "/rooms/{room}/bookings",               Booking,     None,                                                      "ayyyyyy"),
    row("POST",   "/bookings",                            Nothing,     Some(r#"{"room_id": "{room}", "title": "T", "attendees": 2, "start": "{start}", "end": "{end}"}"#), "ayyyyyy"),
    row("GET",    "/bookings/mine",                       Nothing,     None,                                                      "ayyyyyy"),
    row("GET",    "/approvals",                           Nothing,     None,                                                      "annyyny"),
    row("POST",   "/booking-groups",                      Room,        Some(r#"{"rooms": [{"room_id": "{room}", "attendees": 2}, {"room_id": "{room}", "attendees": 2}], "title": "T", "start": "{start}", "end": "{end}"}"#), "a444444"),
    row("GET",    "/booking-groups/{booking}",            Booking,     None,                                                      "affffff"),
    row("POST",   "/booking-groups/{booking}/cancel",     Booking,     Some(r#"{}"#),                                             "affffff"),
    row("POST",   "/guest-requests",                      Room,        Some(r#"{"room_id": "{room}", "name": "G", "email": "g@example.org", "title": "T", "attendees": 2, "start": "{start}", "end": "{end}"}"#), "nnnnnnn"),
    row("POST",   "/guest-requests/confirm",              Nothing,     Some(r#"{"token": "nope"}"#),                              "fffffff"),
    row("GET",    "/bookings/{booking}",                  Booking,     None,                                                      "aynynyy"),
    row("PATCH",  "/bookings/{booking}",                  Booking,     Some(r#"{"title": "Renamed"}"#),                           "aynynny"),
    row("POST",   "/bookings/{booking}/cancel",           Booking,     Some(r#"{}"#),                                             "aynynny"),
    row("POST",   "/bookings/{booking}/approve",          Booking,     Some(r#"{}"#),                                             "annynny"),
    row("POST",   "/bookings/{booking}/reject",           Booking,     Some(r#"{"reason": "no"}"#),                               "annynny"),
    row("GET",    "/find-room?start={start}&end={end}",   Nothing,     None,                                                      "ayyyyyy"),
    row("POST",   "/series",                              Nothing,     Some(r#"{"room_id": "{room}", "title": "S", "attendees": 2, "local_start": "{local_start}", "duration_minutes": 30, "rrule": "FREQ=DAILY;COUNT=1"}"#), "ayyyyyy"),
    row("GET",    "/series/{series}",                     Series,      None,                                                      "aynynyy"),
    row("PATCH",  "/series/{series}",                     Series,      Some(r#"{"scope": "all", "title": "Renamed"}"#),           "aynynny"),
    row("POST",   "/series/{series}/cancel",              Series,      Some(r#"{"scope": "all"}"#),                               "aynynny"),
    row("POST",   "/bookings/{booking}/check-in",         Booking,     Some(r#"{}"#),                                             "a4n4nn4"),
    row("POST",   "/waitlist",                            Waitlist,    Some(r#"{"room_id": "{room}", "title": "W", "attendees": 1, "start": "{taken_start}", "end": "{taken_end}"}"#), "ayyyyyy"),
    row("GET",    "/waitlist/mine",                       Nothing,     None,                                                      "ayyyyyy"),
    row("DELETE", "/waitlist/{waitlist}",                 Waitlist,    None,                                                      "aynnnnn"),
    row("GET",    "/analytics/utilisation?from={from}&to={to}", Nothing, None,                                                    "annyyyy"),
    row("GET",    "/analytics/utilisation.csv?from={from}&to={to}", Nothing, None,                                                "annyyyy"),
    row("GET",    "/analytics/heatmap?from={from}&to={to}", Nothing,   None,                                                      "annnnyy"),
    row("GET",    "/analytics/heatmap.csv?from={from}&to={to}", Nothing, None,                                                    "annnnyy"),
    row("GET",    "/analytics/rooms?from={from}&to={to}", Nothing,     None,                                                      "annyyyy"),
    row("GET",    "/analytics/rooms.csv?from={from}&to={to}", Nothing, None,                                                      "annyyyy"),
    row("POST",   "/bookings/{booking}/orders",           Booking,     Some(ORDER),                                               "aynnnyy"),
    row("GET",    "/orders",                              Nothing,     None,                                                      "ayyyyyy"),
    row("GET",    "/orders/{order}",                      Order,       None,                                                      "aynnnyy"),
    row("POST",   "/orders/{order}/advance",              Order,       None,                                                      "annnnyy"),
    row("POST",   "/orders/{order}/cancel",               Order,       Some(r#"{}"#),                                             "aynnnyy"),
    row("GET",    "/orders/report?from={from}&to={to}",   Nothing,     None,                                                      "annnnyy"),
    row("GET",    "/orders/report.csv?from={from}&to={to}", Nothing,   None,                                                      "annnnyy"),
    row("GET",    "/orders.csv",                          Nothing,     None,                                                      "annnnyy"),
    row("POST",   "/mail/inbound",                        Nothing,     Some("not a mail"),                                        "annnnn4"),
    row("GET",    "/me/tokens",                           Nothing,     None,                                                      "ayyyyyy"),
    row("POST",   "/me/tokens",                           Nothing,     Some(r#"{"name": "script", "scope": "read"}"#),             "ayyyyyy"),
    row("DELETE", "/me/tokens/{token}",                   Token,       None,                                                      "ayfffff"),
    row("GET",    "/webhooks",                            Nothing,     None,                                                      "annyyny"),
    row("POST",   "/webhooks",                            Nothing,     Some(WEBHOOK),                                             "anny4ny"),
    row("GET",    "/webhooks/{webhook}",                  Webhook,     None,                                                      "annynny"),
    row("PUT",    "/webhooks/{webhook}",                  Webhook,     Some(WEBHOOK),                                             "annynny"),
    row("DELETE", "/webhooks/{webhook}",                  Webhook,     None,                                                      "annynny"),
    row("POST",   "/webhooks/{webhook}/enable",           Webhook,     None,                                                      "annynny"),
    row("POST",   "/webhooks/{webhook}/disable",          Webhook,     None,                                                      "annynny"),
    row("POST",   "/webhooks/{webhook}/rotate-secret",    Webhook,     Some(r#"{}"#),                                             "annynny"),
    row("GET",    "/webhooks/{webhook}/deliveries",       Webhook,     None,                                                      "annynny"),
    row("POST",   "/webhooks/{webhook}/deliveries/0/redeliver", Webhook, None,                                                    "annfnnf"),
    row("GET",    "/me/delegates",                        Nothing,     None,                                                      "ayyyyyy"),
    row("POST",   "/me/delegates",                        Nothing,     Some(r#"{"email": "other@example.com"}"#),                 "ay4yyyy"),
    row("DELETE", "/me/delegates/{other}",                Nothing,     None,                                                      "ayfyyyy"),
    row("GET",    "/me/principals",                       Nothing,     None,                                                      "ayyyyyy"),
    row("GET",    "/closures",                            Nothing,     None,                                                      "ayyyyyy"),
    row("POST",   "/closures",                            Nothing,     Some(CLOSURE),                                             "annynny"),
    row("DELETE", "/closures/{closure}",                  Closure,     None,                                                      "annynny"),
    row("POST",   "/import/rooms",                        Nothing,     Some("name,capacity,time_zone"),                          "annnnny"),
    row("POST",   "/import/bookings",                     Nothing,     Some("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"), "annnnny"),
];

/// The room closed for one slot of its own (nothing else is booked then).
const CLOSURE: &str = r#"{"scope": {"kind": "room", "room_id": "{room}"}, "start": "{start}", "end": "{end}", "reason": "Maintenance"}"#;

const WEBHOOK: &str =
    r#"{"url": "https://hooks.example.com/in", "room_id": "{room}", "kinds": ["created"]}"#;

/// Writes that change no state worth an audit entry: signing in and
/// renewing a session.
const UNAUDITED: &[&str] = &["/auth/login", "/auth/refresh"];

struct World {
    srv: Server,
    /// owner, other, room admin (this room), room admin (other room), officer, super admin
    people: Vec<User>,
    room: String,
    slots: AtomicU32,
}

impl World {
    /// The id of the newest audit entry (0 when there is none).
    async fn newest_audit(&self, sa: &booking_core::Actor) -> i64 {
        let filter = booking_core::store::AuditFilter {
            limit: 1,
            ..Default::default()
        };
        let newest = self
            .srv
            .state
            .svc
            .audit_log(sa, &filter)
            .await
            .expect("audit");
        newest.first().map_or(0, |e| e.id)
    }

    fn token(&self, caller: usize) -> Option<(String, String)> {
        let user = self.people.get(caller.checked_sub(1)?)?;
        let pair = self.srv.state.issue_tokens(user).expect("tokens");
        Some((pair.access_token, pair.refresh_token))
    }

    fn owner(&self) -> String {
        self.token(1).expect("owner").0
    }

    /// A slot of its own for every booking made here: half an hour on the
    /// days ahead (the test rooms are open around the clock).
    fn slot(&self) -> (chrono::DateTime<Utc>, chrono::DateTime<Utc>) {
        let n = i64::from(self.slots.fetch_add(1, Ordering::Relaxed));
        let day = (Utc::now() + Duration::days(1 + n / 40)).date_naive();
        let start = day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
            + Duration::minutes(30 * (4 + n % 40));
        (start, start + Duration::minutes(30))
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> Value {
        let (s, v) = self
            .srv
            .call(
                Method::POST,
                &format!("/api/v1{path}"),
                Some(token),
                Some(body),
            )
            .await;
        assert!(s.is_success(), "fixture {path}: {s} {v}");
        v
    }

    async fn booking(&self, room: &str) -> Value {
        let (start, end) = self.slot();
        self.post(
            &self.owner(),
            "/bookings",
            json!({"room_id": room, "title": "Owner's", "purpose": "private", "attendees": 2, "start": start, "end": end}),
        )
        .await
    }

    /// A room the room admin (people[2]) manages, besides the main one.
    async fn managed_room(&self) -> String {
        let admin = self.token(6).expect("admin").0;
        let room = self
            .post(
                &admin,
                "/rooms",
                room_json(&format!("R{}", uuid::Uuid::new_v4()), true),
            )
            .await["id"]
            .as_str()
            .expect("id")
            .to_string();
        let mut ra = self
            .srv
            .state
            .svc
            .get_user(self.people[2].id)
            .await
            .expect("ra");
        ra.assigned_rooms.insert(room.parse().expect("room id"));
        self.srv
            .state
            .svc
            .update_user(&booking_core::Actor::from(self.people[5].clone()), ra)
            .await
            .expect("assign");
        room
    }

    /// Make the row's thing; the placeholders it fills.
    async fn fixture(&self, fx: Fx) -> Vec<(&'static str, String)> {
        let mut out = vec![("room", self.room.clone())];
        match fx {
            Nothing => {}
            Booking => out.push(("booking", id(&self.booking(&self.room).await))),
            Series => {
                let (start, _) = self.slot();
                let v = self
                    .post(
                        &self.owner(),
                        "/series",
                        json!({"room_id": self.room, "title": "Weekly", "attendees": 2, "duration_minutes": 30,
                               "local_start": start.naive_utc(), "rrule": "FREQ=DAILY;COUNT=1"}),
                    )
                    .await;
                out.push((
                    "series",
                    v["series"]["id"].as_str().expect("series").to_string(),
                ));
            }
            Order => {
                let b = id(&self.booking(&self.room).await);
                let o = self
                    .post(
                        &self.owner(),
                        &format!("/bookings/{b}/orders"),
                        serde_json::from_str(ORDER).expect("order"),
                    )
                    .await;
                out.push(("order", id(&o)));
            }
            Waitlist => {
                let (start, end) = self.slot();
                let other = self.token(2).expect("other").0;
                self.post(
                    &other,
                    "/bookings",
                    json!({"room_id": self.room, "title": "Taken", "attendees": 1, "start": start, "end": end}),
                )
                .await;
                let w = self
                    .post(
                        &self.owner(),
                        "/waitlist",
                        json!({"room_id": self.room, "title": "Waiting", "attendees": 1, "start": start, "end": end}),
                    )
                    .await;
                out.push(("waitlist", id(&w)));
                // A second taken slot for POST /waitlist by the caller.
                let (start, end) = self.slot();
                self.post(
                    &other,
                    "/bookings",
                    json!({"room_id": self.room, "title": "Taken", "attendees": 1, "start": start, "end": end}),
                )
                .await;
                out.push(("taken_start", start.to_rfc3339()));
                out.push(("taken_end", end.to_rfc3339()));
            }
            Webhook => {
                let admin = self.token(3).expect("room admin").0;
                let body = WEBHOOK.replace("{room}", &self.room);
                let v = self
                    .post(
                        &admin,
                        "/webhooks",
                        serde_json::from_str(&body).expect("json"),
                    )
                    .await;
                out.push(("webhook", id(&v)));
            }
            Closure => {
                let admin = self.token(3).expect("room admin").0;
                let (start, end) = self.slot();
                let v = self
                    .post(
                        &admin,
                        "/closures",
                        json!({"scope": {"kind": "room", "room_id": self.room}, "start": start,
                               "end": end, "reason": "Maintenance"}),
                    )
                    .await;
                out.push((
                    "closure",
                    v["closure"]["id"].as_str().expect("id").to_string(),
                ));
            }
            Token => {
                let v = self
                    .post(
                        &self.owner(),
                        "/me/tokens",
                        json!({"name": "t", "scope": "read"}),
                    )
                    .await;
                out.push(("token", id(&v)));
            }
            Room | DeletedRoom => {
                let room = self.managed_room().await;
                if fx == DeletedRoom {
                    let admin = self.token(6).expect("admin").0;
                    let (s, v) = self
                        .srv
                        .call(
                            Method::DELETE,
                            &format!("/api/v1/rooms/{room}"),
                            Some(&admin),
                            None,
                        )
                        .await;
                    assert!(s.is_success(), "{v}");
                }
                out[0].1 = room;
            }
        }
        out
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

fn outcome(s: StatusCode) -> char {
    match s.as_u16() {
        200..=299 => 'y',
        401 => 'a',
        403 => 'n',
        404 => 'f',
        400..=499 => '4',
        _ => '!',
    }
}

mod cases {
    use super::*;

    pub async fn every_operation_for_every_role(b: Backend) {
        // Loopback webhook URLs are allowed here (see WEBHOOK).
        let srv = server(b, |c| c.webhooks.denied_networks.clear()).await;
        let mut people = vec![];
        for (email, role) in [
            ("owner@example.com", Role::User),
            ("other@example.com", Role::User),
            ("ra@example.com", Role::RoomAdmin),
            ("rb@example.com", Role::RoomAdmin),
            ("po@example.com", Role::ProcurementOfficer),
            ("sa@example.com", Role::SuperAdmin),
        ] {
            people.push(srv.user(email, role).await);
        }
        srv.user("login@example.com", Role::User).await;
        let sa = booking_core::Actor::from(people[5].clone());
        let world = World {
            srv,
            people,
            room: String::new(),
            slots: AtomicU32::new(0),
        };
        let admin_token = world.token(6).expect("sa").0;
        let room = world.srv.create_room(&admin_token, "Main", true).await;
        let other_room = world.srv.create_room(&admin_token, "Elsewhere", true).await;
        for (who, room) in [(2, &room), (3, &other_room)] {
            let mut u = world.people[who].clone();
            u.assigned_rooms.insert(room.parse().expect("id"));
            world
                .srv
                .state
                .svc
                .update_user(&sa, u)
                .await
                .expect("assign");
        }
        let world = World { room, ..world };

        // Every operation of the document has a row.
        let spec: Value = world
            .srv
            .http
            .get(format!("{}/api/openapi.json", world.srv.base))
            .send()
            .await
            .expect("spec")
            .json()
            .await
            .expect("json");
        let documented: BTreeSet<String> = spec["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(p, ops)| {
                ops.as_object()
                    .expect("ops")
                    .keys()
                    .map(move |m| format!("{} {p}", m.to_ascii_uppercase()))
            })
            .collect();
        let rows: BTreeSet<String> = ROWS
            .iter()
            .map(|r| {
                let path = r.path.split('?').next().unwrap_or(r.path);
                let path = path
                    .replace("{room}", "{id}")
                    .replace("{booking}", "{id}")
                    .replace("{series}", "{id}")
                    .replace("{order}", "{id}")
                    .replace("{waitlist}", "{id}")
                    .replace("{webhook}", "{id}")
                    .replace("{token}", "{id}")
                    .replace("{closure}", "{id}")
                    .replace("/deliveries/0/", "/deliveries/{delivery}/")
                    .replace("{other}", "{id}");
                format!("{} {path}", r.method)
            })
            .collect();
        let missing: Vec<&String> = documented.difference(&rows).collect();
        assert!(missing.is_empty(), "operations without a row: {missing:?}");

        let from = Utc::now().date_naive();
        let to = from + Duration::days(60);
        let mut wrong = vec![];
        let mut unaudited = vec![];
        for r in ROWS {
            let mut got = String::new();
            for (caller, _) in CALLERS.iter().enumerate() {
                let mut fill = world.fixture(r.fx).await;
                let (start, end) = world.slot();
                let tokens = world.token(caller);
                let n = world.slots.load(Ordering::Relaxed);
                fill.extend([
                    ("other", world.people[1].id.to_string()),
                    ("uniq", format!("u{n}-{}", uuid::Uuid::new_v4().simple())),
                    ("password", PASSWORD.to_string()),
                    (
                        "refresh",
                        tokens.as_ref().map(|t| t.1.clone()).unwrap_or_default(),
                    ),
                    ("start", start.to_rfc3339_opts(SecondsFormat::Secs, true)),
                    ("end", end.to_rfc3339_opts(SecondsFormat::Secs, true)),
                    (
                        "local_start",
                        start.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string(),
                    ),
                    ("date", start.date_naive().to_string()),
                    ("from", format!("{from}T00:00:00Z")),
                    ("to", format!("{to}T00:00:00Z")),
                    (
                        "room_json",
                        room_json(&format!("Room {n}"), true).to_string(),
                    ),
                    ("policy_json", room_json("p", true)["policy"].to_string()),
                ]);
                let subst = |t: &str| {
                    let mut t = t.to_string();
                    for (k, v) in &fill {
                        t = t.replace(&format!("{{{k}}}"), v);
                    }
                    t
                };
                let path = format!("/api/v1{}", subst(r.path));
                let mut req = world.srv.http.request(
                    Method::from_bytes(r.method.as_bytes()).expect("method"),
                    format!("{}{path}", world.srv.base),
                );
                if let Some((access, _)) = &tokens {
                    req = req.bearer_auth(access);
                }
                if let Some(body) = r.body {
                    req = req
                        .header("content-type", "application/json")
                        .body(subst(body));
                }
                let before = world.newest_audit(&sa).await;
                let resp = req.send().await.expect("send");
                let status = resp.status();
                let c = outcome(status);
                // The service is the only way state changes, and every
                // change is audited: a write that succeeded left an entry.
                if c == 'y' && r.method != "GET" && !UNAUDITED.contains(&r.path) {
                    let after = world.newest_audit(&sa).await;
                    if after <= before {
                        unaudited.push(format!("{} {path} as {}", r.method, CALLERS[caller]));
                    }
                }
                got.push(c);
                if c == '!' || (c != r.expect.chars().nth(caller).unwrap_or('?') && c == '4') {
                    let text = resp.text().await.unwrap_or_default();
                    wrong.push(format!(
                        "{} {path} as {}: {status} {text}",
                        r.method, CALLERS[caller]
                    ));
                }
            }
            if got != r.expect {
                wrong.push(format!(
                    "{} {}: expected {} got {got}",
                    r.method, r.path, r.expect
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} cells differ:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
        assert!(
            unaudited.is_empty(),
            "{} successful writes left no audit entry:\n{}",
            unaudited.len(),
            unaudited.join("\n")
        );
    }
}

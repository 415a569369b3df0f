//! CalDAV read access (RFC 4791) under `/dav/`, for clients that prefer it
//! to subscribing to a feed (Thunderbird, Apple Calendar, DAVx⁵, Evolution).
//!
//! ```text
//! /dav/                         root: current-user-principal
//! /dav/principals/{user}/       principal: calendar-home-set, address
//! /dav/rooms/                   calendar home: one calendar per room
//! /dav/rooms/{room}/            a room's calendar (ctag, sync-token)
//! /dav/rooms/{room}/{id}.ics    one booking, or one series with overrides
//! ```
//!
//! Sign-in is HTTP Basic with the account's e-mail and either its password
//! or its calendar token (the "app password" shown by
//! `GET /api/v1/me/feed-token`; rotating it revokes it here too). Calendars
//! are read-only: writes get `403` with a `DAV:need-privileges` body. The
//! one write is RFC 6638 scheduling: an organizer POSTs an iTIP REQUEST or
//! CANCEL naming rooms to `/dav/principals/{user}/outbox/` and the rooms
//! answer in the `schedule-response`, exactly as they answer e-mail.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use base64::Engine as _;
use booking_calendar::dav::{
    self, CALDAV, CALSERVER, DAV, PropName, PropRequest, Report, Response as DavResponse, Value,
};
use booking_core::store::{BookingFilter, BookingsVersion, VersionScope};
use booking_core::{Booking, Room, RoomId, RoomListing, User};
use chrono::{DateTime, Utc};
use poem::http::{HeaderValue, StatusCode};
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use crate::ical::{Feed, Sight, bookings, etag, host, render, rooms_map, sight_for, window};
use crate::state::AppState;

const REALM: &str = "Basic realm=\"Room booking CalDAV\", charset=\"UTF-8\"";
const ALLOW: &str = "OPTIONS, GET, HEAD, PROPFIND, REPORT";
/// Methods that would change something.
const WRITES: [&str; 11] = [
    "PUT",
    "DELETE",
    "POST",
    "PROPPATCH",
    "MKCOL",
    "MKCALENDAR",
    "MOVE",
    "COPY",
    "LOCK",
    "UNLOCK",
    "ACL",
];
const READ_ONLY: &str = "This calendar server is read-only: book through the API, chat, or by inviting the room's calendar address";

/// The resource a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resource {
    Root,
    Principals,
    Principal(String),
    /// `/dav/principals/{user}/outbox/` (or `inbox/`): iTIP is POSTed here.
    Schedule(String),
    Home,
    Calendar(RoomId),
    Object(RoomId, String),
}

fn resolve(path: &str) -> Option<Resource> {
    let rest = path.strip_prefix("/dav")?;
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => Some(Resource::Root),
        ["principals"] => Some(Resource::Principals),
        ["principals", id] => Some(Resource::Principal((*id).to_string())),
        ["principals", id, "outbox" | "inbox"] => Some(Resource::Schedule((*id).to_string())),
        ["rooms"] => Some(Resource::Home),
        ["rooms", room] => room.parse().ok().map(Resource::Calendar),
        ["rooms", room, file] => {
            let id = file.strip_suffix(".ics")?;
            Some(Resource::Object(room.parse().ok()?, id.to_string()))
        }
        _ => None,
    }
}

fn xml_response(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/xml; charset=utf-8")
        .body(body)
}

fn multistatus(responses: &[DavResponse], sync_token: Option<&str>) -> Response {
    xml_response(
        StatusCode::MULTI_STATUS,
        dav::multistatus(responses, sync_token),
    )
}

fn error(status: StatusCode, ns: &str, condition: &str, message: &str) -> Response {
    xml_response(status, dav::error_body(ns, condition, message))
}

fn unauthorized(message: &str) -> Response {
    Response::builder()
        .status(StatusCode::UNAUTHORIZED)
        .header("www-authenticate", REALM)
        .content_type("text/plain; charset=utf-8")
        .body(message.to_string())
}

/// HTTP Basic: e-mail plus password or calendar token.
async fn authenticate(state: &AppState, req: &Request) -> Result<User, Response> {
    let Some(header) = req.header("authorization") else {
        return Err(unauthorized(
            "sign in with your e-mail and password (or calendar token)",
        ));
    };
    let decoded = header
        .strip_prefix("Basic ")
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let Some((email, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Err(unauthorized("malformed Basic credentials"));
    };
    // The calendar token is high-entropy: a lookup, no password hashing.
    if secret.len() >= 16
        && let Ok(Some(user)) = state.store.user_by_feed_token(secret).await
        && user.email.eq_ignore_ascii_case(email.trim())
        && user.active
    {
        return Ok(user);
    }
    match state
        .login(email, secret, crate::auth::client_ip(req).as_deref())
        .await
    {
        Ok(user) => Ok(user),
        Err(e) if e.status() == 423 || e.status() == 403 => Err(error(
            StatusCode::FORBIDDEN,
            DAV,
            "need-privileges",
            e.detail(),
        )),
        // Not a wrong password: a client must not ask for a new one.
        Err(
            e @ (crate::error::ApiError::Unavailable(..)
            | crate::error::ApiError::TooManyRequests(..)),
        ) => Err(poem::IntoResponse::into_response(e)),
        Err(_) => Err(unauthorized("wrong e-mail or password")),
    }
}

fn depth(req: &Request) -> u8 {
    match req.header("depth").map(str::trim) {
        Some("0") => 0,
        // "1" and "infinity" (treated as 1: the tree is two levels deep).
        _ => 1,
    }
}

fn principal_href(user: &User) -> String {
    format!("/dav/principals/{}/", user.id)
}

fn collection() -> Value {
    Value::Xml("<D:collection/>".into())
}

fn privileges() -> Value {
    Value::Xml(
        "<D:privilege><D:read/></D:privilege><D:privilege><C:read-free-busy/></D:privilege>".into(),
    )
}

fn common(user: &User) -> Vec<(PropName, Value)> {
    vec![
        (
            PropName::new(DAV, "current-user-principal"),
            Value::Href(principal_href(user)),
        ),
        (
            PropName::new(DAV, "principal-collection-set"),
            Value::Href("/dav/principals/".into()),
        ),
        (
            PropName::new(DAV, "current-user-privilege-set"),
            privileges(),
        ),
    ]
}

fn root_props(user: &User) -> Vec<(PropName, Value)> {
    let mut p = vec![
        (PropName::new(DAV, "resourcetype"), collection()),
        (
            PropName::new(DAV, "displayname"),
            Value::Text("Room booking".into()),
        ),
    ];
    p.extend(common(user));
    p
}

fn principal_props(user: &User) -> Vec<(PropName, Value)> {
    let mut p = vec![
        (
            PropName::new(DAV, "resourcetype"),
            Value::Xml("<D:collection/><D:principal/>".into()),
        ),
        (
            PropName::new(DAV, "displayname"),
            Value::Text(user.display_name.clone()),
        ),
        (
            PropName::new(DAV, "principal-URL"),
            Value::Href(principal_href(user)),
        ),
        (
            PropName::new(CALDAV, "calendar-home-set"),
            Value::Href("/dav/rooms/".into()),
        ),
        (
            PropName::new(CALDAV, "calendar-user-address-set"),
            Value::Href(format!("mailto:{}", user.email)),
        ),
        (
            PropName::new(CALDAV, "schedule-outbox-URL"),
            Value::Href(format!("{}outbox/", principal_href(user))),
        ),
        (
            PropName::new(CALDAV, "schedule-inbox-URL"),
            Value::Href(format!("{}inbox/", principal_href(user))),
        ),
    ];
    p.extend(common(user));
    p
}

fn home_props(user: &User) -> Vec<(PropName, Value)> {
    let mut p = vec![
        (PropName::new(DAV, "resourcetype"), collection()),
        (
            PropName::new(DAV, "displayname"),
            Value::Text("Rooms".into()),
        ),
    ];
    p.extend(common(user));
    p
}

/// The sync-token of a room calendar: a URI holding a second up to which
/// every change has been seen; a later sync lists what changed after it.
fn sync_token(state: &AppState, room: RoomId, since: i64) -> String {
    format!("{}/dav/sync/{room}/{since}", state.config.public_url)
}

fn parse_sync_token(state: &AppState, room: RoomId, token: &str) -> Option<i64> {
    token
        .strip_prefix(&format!("{}/dav/sync/{room}/", state.config.public_url))?
        .parse()
        .ok()
}

struct CalendarVersion {
    ctag: String,
    since: i64,
}

async fn calendar_version(state: &AppState, room: RoomId, viewer: &User) -> CalendarVersion {
    let (from, to) = window(state);
    let v = state
        .store
        .bookings_version(VersionScope::Room(room), from, to)
        .await
        .unwrap_or_default();
    let rooms = room_writes(state).await;
    version_tag(state, room, viewer, v, rooms)
}

/// Room writes so far: in every ctag, so a room renamed within the second
/// of its last change (timestamps keep seconds) still changes it.
async fn room_writes(state: &AppState) -> i64 {
    state
        .store
        .change_stamp(VersionScope::All)
        .await
        .map(|s| s.room_writes)
        .unwrap_or_default()
}

/// Every room's version in one query (for listing the calendar home); a
/// room without bookings gets the same version its own query would give.
async fn all_calendar_versions(
    state: &AppState,
    rooms: &[Room],
    viewer: &User,
) -> HashMap<RoomId, CalendarVersion> {
    let (from, to) = window(state);
    let store = &state.store;
    let mut found: HashMap<RoomId, BookingsVersion> = store
        .room_versions(from, to)
        .await
        .unwrap_or_default()
        .into_iter()
        .collect();
    let writes = room_writes(state).await;
    let mut out = HashMap::new();
    // Rooms without bookings all have the version of an empty set (the
    // room id is part of the tag): ask for it once.
    let mut empty: Option<BookingsVersion> = None;
    for room in rooms {
        let v = match found.remove(&room.id) {
            Some(v) => v,
            None => match empty {
                Some(v) => v,
                None => {
                    let v = store
                        .bookings_version(VersionScope::Room(room.id), from, to)
                        .await
                        .unwrap_or_default();
                    empty = Some(v);
                    v
                }
            },
        };
        out.insert(room.id, version_tag(state, room.id, viewer, v, writes));
    }
    out
}

fn version_tag(
    state: &AppState,
    room: RoomId,
    viewer: &User,
    v: BookingsVersion,
    room_writes: i64,
) -> CalendarVersion {
    let (from, _) = window(state);
    CalendarVersion {
        ctag: etag(format!(
            "{room}|{}|{}|{v:?}|{room_writes}",
            viewer.id,
            from.date_naive()
        )),
        // Changes carry whole seconds: while the current second may still
        // see changes, hand out the one before, so none is ever missed
        // (a sync may repeat a few; clients just fetch them again).
        since: v
            .last_change
            .max(v.rooms_change)
            .map_or(0, |t| t.timestamp())
            .min(state.svc.now().timestamp() - 1),
    }
}

fn calendar_props(
    state: &AppState,
    room: &Room,
    user: &User,
    v: CalendarVersion,
) -> Vec<(PropName, Value)> {
    let mut p = vec![
        (
            PropName::new(DAV, "resourcetype"),
            Value::Xml("<D:collection/><C:calendar/>".into()),
        ),
        (PropName::new(DAV, "displayname"), Value::Text(room.name.clone())),
        (
            PropName::new(CALDAV, "calendar-description"),
            Value::Text(describe(room)),
        ),
        (
            PropName::new(CALDAV, "supported-calendar-component-set"),
            Value::Xml("<C:comp name=\"VEVENT\"/>".into()),
        ),
        (
            PropName::new(CALDAV, "supported-calendar-data"),
            Value::Xml("<C:calendar-data content-type=\"text/calendar\" version=\"2.0\"/>".into()),
        ),
        (
            PropName::new(DAV, "supported-report-set"),
            Value::Xml(
                "<D:supported-report><D:report><C:calendar-query/></D:report></D:supported-report>\
                 <D:supported-report><D:report><C:free-busy-query/></D:report></D:supported-report>\
                 <D:supported-report><D:report><C:calendar-multiget/></D:report></D:supported-report>\
                 <D:supported-report><D:report><D:sync-collection/></D:report></D:supported-report>"
                    .into(),
            ),
        ),
        (PropName::new(CALSERVER, "getctag"), Value::Text(v.ctag.clone())),
        (PropName::new(DAV, "getetag"), Value::Text(v.ctag)),
        (
            PropName::new(DAV, "sync-token"),
            Value::Text(sync_token(state, room.id, v.since)),
        ),
        (
            PropName::new(CALDAV, "calendar-timezone-id"),
            Value::Text(room.time_zone.name().to_string()),
        ),
    ];
    p.extend(common(user));
    p
}

fn describe(room: &Room) -> String {
    let mut s = room.name.clone();
    if let Some(f) = room.floor {
        let _ = write!(s, ", floor {f}");
    }
    let _ = write!(s, ", {} seats", room.capacity);
    s
}

/// A room's calendar objects: single bookings by id, series by series id.
fn objects(list: Vec<Booking>) -> BTreeMap<String, Vec<Booking>> {
    let mut out: BTreeMap<String, Vec<Booking>> = BTreeMap::new();
    for b in list {
        let key = b
            .series_id
            .map_or_else(|| b.id.to_string(), |s| s.to_string());
        out.entry(key).or_default().push(b);
    }
    out
}

fn object_etag(room: &Room, sight: Option<Sight>, group: &[Booking]) -> String {
    let mut key = format!("{}|{}|{sight:?}", room.id, room.updated_at.timestamp());
    for b in group {
        let _ = write!(
            key,
            "|{}:{}:{}:{}",
            b.id,
            b.sequence,
            b.status.as_str(),
            b.updated_at.timestamp()
        );
    }
    etag(&key)
}

/// Whether an object has an instance in `range` (RFC 4791 §9.9): a single
/// booking by its times (whatever its status), a series by its live
/// occurrences only (a cancelled one is an EXDATE, no instance).
fn overlaps(group: &[Booking], range: (Option<DateTime<Utc>>, Option<DateTime<Utc>>)) -> bool {
    let series = group.iter().any(|b| b.series_id.is_some());
    group
        .iter()
        .filter(|b| !series || b.status.is_blocking())
        .any(|b| range.0.is_none_or(|s| b.end > s) && range.1.is_none_or(|e| b.start < e))
}

/// Everything needed to answer for one room calendar.
struct RoomCalendar {
    room: Room,
    rooms: std::collections::HashMap<RoomId, Room>,
    objects: BTreeMap<String, Vec<Booking>>,
}

/// A room calendar, `None` for no such (active) room. When the database
/// cannot be read the answer is a 503 to send — never an empty calendar,
/// which a syncing client would take as "everything was deleted".
async fn load_calendar(state: &AppState, room: RoomId) -> Result<Option<RoomCalendar>, Response> {
    let rooms = rooms_map(state).await.map_err(|e| unavailable(&e))?;
    let Some(room) = rooms.get(&room).filter(|r| r.active).cloned() else {
        return Ok(None);
    };
    let list = bookings(
        state,
        BookingFilter {
            room_id: Some(room.id),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| unavailable(&e))?;
    Ok(Some(RoomCalendar {
        room,
        rooms,
        objects: objects(list),
    }))
}

/// 503 with `Retry-After` (a database outage); anything else is a 500.
fn unavailable(e: &booking_core::CoreError) -> Response {
    if matches!(e, booking_core::CoreError::Store(s) if s.is_unavailable()) {
        tracing::warn!(error = %e, "CalDAV: database unavailable");
        Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .header(
                "retry-after",
                crate::error::UNAVAILABLE_RETRY_SECS.to_string(),
            )
            .content_type("text/plain; charset=utf-8")
            .body("database unavailable; try again shortly")
    } else {
        server_error(&e.to_string())
    }
}

impl RoomCalendar {
    fn href(&self, key: &str) -> String {
        format!("/dav/rooms/{}/{key}.ics", self.room.id)
    }

    async fn object_response(
        &self,
        state: &AppState,
        user: &User,
        key: &str,
        req: &PropRequest,
    ) -> DavResponse {
        let href = self.href(key);
        let Some(group) = self.objects.get(key) else {
            return DavResponse {
                href,
                status: Some(404),
                ..DavResponse::default()
            };
        };
        let sight = sight_for(Some(user.clone()));
        let hidden = group.iter().map(|b| sight(&self.room, b)).min();
        let mut props = vec![
            (PropName::new(DAV, "resourcetype"), Value::Empty),
            (
                PropName::new(DAV, "getcontenttype"),
                Value::Text("text/calendar; charset=utf-8; component=VEVENT".into()),
            ),
            (
                PropName::new(DAV, "getetag"),
                Value::Text(object_etag(&self.room, hidden, group)),
            ),
        ];
        let wants_data =
            matches!(req, PropRequest::Props(p) if p.iter().any(|n| n.is(CALDAV, "calendar-data")));
        if wants_data {
            let data = self.render(state, user, group).await;
            props.push((PropName::new(CALDAV, "calendar-data"), Value::Text(data)));
        }
        DavResponse::for_request(href, req, props)
    }

    async fn render(&self, state: &AppState, user: &User, group: &[Booking]) -> String {
        let sight = sight_for(Some(user.clone()));
        let feed = Feed {
            name: self.room.name.clone(),
            rooms: &self.rooms,
            host: host(state),
            sight: &sight,
            closed: Vec::new(),
        };
        render(state, &feed, group.to_vec()).await
    }
}

/// `/dav/` and everything below it; also `/.well-known/caldav`.
#[handler]
pub async fn endpoint(state: Data<&AppState>, req: &Request, body: Body) -> Response {
    let method = req.method().as_str().to_ascii_uppercase();
    let path = req.uri().path().to_string();
    if path.starts_with("/.well-known/caldav") {
        return Response::builder()
            .status(StatusCode::MOVED_PERMANENTLY)
            .header("location", "/dav/")
            .finish();
    }
    if method == "OPTIONS" {
        return Response::builder()
            .header("dav", "1, 3, calendar-access, calendar-auto-schedule")
            .header("allow", ALLOW)
            .finish();
    }
    let user = match authenticate(&state, req).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let resource = resolve(&path);
    // Nothing is made, changed or removed over DAV (scheduling aside), at
    // any path: 403, as the privileges say, never 404.
    let schedules = method == "POST" && matches!(resource, Some(Resource::Schedule(_)));
    if WRITES.contains(&method.as_str()) && !schedules {
        return error(StatusCode::FORBIDDEN, DAV, "need-privileges", READ_ONLY);
    }
    let Some(resource) = resource else {
        return not_found(&path);
    };
    let body = match body.into_bytes_limit(dav::MAX_BODY).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                DAV,
                "max-resource-size",
                "request body too large",
            );
        }
    };
    let resp = match method.as_str() {
        "GET" | "HEAD" => get(&state, &user, &resource, req).await,
        "PROPFIND" => propfind(&state, &user, &resource, depth(req), &body).await,
        "REPORT" => report(&state, &user, &resource, &body).await,
        "POST" if matches!(resource, Resource::Schedule(_)) => {
            schedule(&state, &user, &resource, &body).await
        }
        _ => Response::builder()
            .status(StatusCode::METHOD_NOT_ALLOWED)
            .header("allow", ALLOW)
            .content_type("text/plain; charset=utf-8")
            .body(format!(
                "{method} is not supported here; allowed: {ALLOW}\n"
            )),
    };
    if method == "HEAD" {
        let (parts, _) = resp.into_parts();
        return Response::from_parts(parts, Body::empty());
    }
    resp
}

/// RFC 6638 scheduling: the organizer POSTs an iTIP REQUEST or CANCEL that
/// names rooms; each room answers at once in the `schedule-response` (and
/// by e-mail, as for any invitation).
async fn schedule(state: &AppState, user: &User, resource: &Resource, body: &str) -> Response {
    let Resource::Schedule(id) = resource else {
        return not_found("/dav/");
    };
    if *id != user.id.to_string() {
        return error(
            StatusCode::FORBIDDEN,
            DAV,
            "need-privileges",
            "you can only schedule from your own outbox",
        );
    }
    let inv = match booking_calendar::itip::parse_invitation(body) {
        Ok(i) => i,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                CALDAV,
                "valid-calendar-data",
                &e.to_string(),
            );
        }
    };
    if !inv.organizer.email.eq_ignore_ascii_case(&user.email) {
        return error(
            StatusCode::FORBIDDEN,
            CALDAV,
            "organizer-allowed",
            "the ORGANIZER must be your own address",
        );
    }
    let outcomes = match crate::mail::process(state, &inv).await {
        Ok(o) => o,
        Err(crate::mail::InboundError::NoRoom(example)) => {
            return error(
                StatusCode::FORBIDDEN,
                CALDAV,
                "recipient-permissions",
                &format!("no room of ours is invited (room addresses look like {example})"),
            );
        }
        Err(e) => return server_error(&e.to_string()),
    };
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<C:schedule-response xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">",
    );
    for o in outcomes {
        let status = match o.partstat.as_deref() {
            Some("DECLINED") => "3.8;Declined",
            _ => "2.0;Success",
        };
        let _ = write!(
            xml,
            "<C:response><C:recipient><D:href>mailto:{}</D:href></C:recipient><C:request-status>{status}</C:request-status>",
            dav::escape(&o.address)
        );
        if let Some(p) = &o.partstat {
            let mut reason = o.reason.clone().unwrap_or_default();
            if !o.declined.is_empty() {
                let dates: Vec<String> = o
                    .declined
                    .iter()
                    .map(|d| d.start.format("%Y-%m-%d %H:%M UTC").to_string())
                    .collect();
                reason = format!("{reason} declined dates: {}", dates.join(", "))
                    .trim()
                    .to_string();
            }
            let _ = write!(
                xml,
                "<D:responsedescription>{} {}</D:responsedescription>",
                dav::escape(p),
                dav::escape(&reason)
            );
        }
        xml.push_str("</C:response>");
    }
    xml.push_str("</C:schedule-response>\n");
    xml_response(StatusCode::OK, xml)
}

fn not_found(path: &str) -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .content_type("text/plain; charset=utf-8")
        .body(format!("no calendar resource at {path}"))
}

fn bad_request(message: &str) -> Response {
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .content_type("text/plain; charset=utf-8")
        .body(message.to_string())
}

async fn get(state: &AppState, user: &User, resource: &Resource, req: &Request) -> Response {
    let (room, key) = match resource {
        Resource::Object(room, key) => (*room, Some(key.as_str())),
        Resource::Calendar(room) => (*room, None),
        _ => {
            return Response::builder()
                .content_type("text/plain; charset=utf-8")
                .body("CalDAV server for room calendars: point your calendar app at this URL.\n");
        }
    };
    let cal = match load_calendar(state, room).await {
        Ok(Some(cal)) => cal,
        Ok(None) => return not_found(req.uri().path()),
        Err(r) => return r,
    };
    let (body, tag) = match key {
        Some(key) => {
            let Some(group) = cal.objects.get(key) else {
                return not_found(req.uri().path());
            };
            let sight = sight_for(Some(user.clone()));
            let hidden = group.iter().map(|b| sight(&cal.room, b)).min();
            (
                cal.render(state, user, group).await,
                object_etag(&cal.room, hidden, group),
            )
        }
        None => {
            let all: Vec<Booking> = cal.objects.values().flatten().cloned().collect();
            let v = calendar_version(state, room, user).await;
            (cal.render(state, user, &all).await, v.ctag)
        }
    };
    if let Some(r) = crate::ical::not_modified(req, Some(&tag)) {
        return r;
    }
    let mut r = Response::builder()
        .content_type("text/calendar; charset=utf-8")
        .body(body);
    if let Ok(v) = HeaderValue::from_str(&tag) {
        r.headers_mut().insert("etag", v);
    }
    r
}

async fn propfind(
    state: &AppState,
    user: &User,
    resource: &Resource,
    depth: u8,
    body: &str,
) -> Response {
    let req = match dav::parse_propfind(body) {
        Ok(r) => r,
        Err(e) => return bad_request(&e.to_string()),
    };
    let mut out = Vec::new();
    match resource {
        Resource::Root => {
            out.push(DavResponse::for_request(
                "/dav/".into(),
                &req,
                root_props(user),
            ));
            if depth > 0 {
                out.push(DavResponse::for_request(
                    principal_href(user),
                    &req,
                    principal_props(user),
                ));
                out.push(DavResponse::for_request(
                    "/dav/rooms/".into(),
                    &req,
                    home_props(user),
                ));
            }
        }
        Resource::Principals => {
            out.push(DavResponse::for_request(
                "/dav/principals/".into(),
                &req,
                home_props(user),
            ));
            if depth > 0 {
                out.push(DavResponse::for_request(
                    principal_href(user),
                    &req,
                    principal_props(user),
                ));
            }
        }
        Resource::Principal(id) => {
            if *id != user.id.to_string() {
                return error(
                    StatusCode::FORBIDDEN,
                    DAV,
                    "need-privileges",
                    "you can only read your own principal",
                );
            }
            out.push(DavResponse::for_request(
                principal_href(user),
                &req,
                principal_props(user),
            ));
        }
        Resource::Schedule(id) => {
            if *id != user.id.to_string() {
                return error(
                    StatusCode::FORBIDDEN,
                    DAV,
                    "need-privileges",
                    "not your outbox",
                );
            }
            let mut props = vec![(
                PropName::new(DAV, "resourcetype"),
                Value::Xml("<D:collection/><C:schedule-outbox/>".into()),
            )];
            props.extend(common(user));
            out.push(DavResponse::for_request(
                format!("{}outbox/", principal_href(user)),
                &req,
                props,
            ));
        }
        Resource::Home => {
            out.push(DavResponse::for_request(
                "/dav/rooms/".into(),
                &req,
                home_props(user),
            ));
            if depth > 0 {
                let rooms = match state.svc.list_rooms(RoomListing::Current).await {
                    Ok(r) => r,
                    Err(e) => return unavailable(&e),
                };
                let rooms: Vec<Room> = rooms.into_iter().filter(|r| r.active).collect();
                let mut versions = all_calendar_versions(state, &rooms, user).await;
                for room in &rooms {
                    out.push(DavResponse::for_request(
                        format!("/dav/rooms/{}/", room.id),
                        &req,
                        calendar_props(
                            state,
                            room,
                            user,
                            versions.remove(&room.id).unwrap_or_else(|| {
                                version_tag(state, room.id, user, BookingsVersion::default(), 0)
                            }),
                        ),
                    ));
                }
            }
        }
        Resource::Calendar(room) => {
            let cal = match load_calendar(state, *room).await {
                Ok(Some(cal)) => cal,
                Ok(None) => return not_found(&format!("/dav/rooms/{room}/")),
                Err(r) => return r,
            };
            out.push(DavResponse::for_request(
                format!("/dav/rooms/{room}/"),
                &req,
                calendar_props(
                    state,
                    &cal.room,
                    user,
                    calendar_version(state, cal.room.id, user).await,
                ),
            ));
            if depth > 0 {
                for key in cal.objects.keys() {
                    out.push(cal.object_response(state, user, key, &req).await);
                }
            }
        }
        Resource::Object(room, key) => {
            let cal = match load_calendar(state, *room).await {
                Ok(Some(cal)) => cal,
                Ok(None) => return not_found(&format!("/dav/rooms/{room}/{key}.ics")),
                Err(r) => return r,
            };
            if !cal.objects.contains_key(key) {
                return not_found(&cal.href(key));
            }
            out.push(cal.object_response(state, user, key, &req).await);
        }
    }
    multistatus(&out, None)
}

fn server_error(message: &str) -> Response {
    tracing::error!(error = message, "CalDAV request failed");
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .content_type("text/plain; charset=utf-8")
        .body("internal error; see the server log\n")
}

/// `free-busy-query`: the room's busy periods as a VFREEBUSY (RFC 4791 §7.10).
async fn free_busy(state: &AppState, room: &Room, range: dav::TimeRange) -> Response {
    let now = state.svc.now();
    let from = range.0.unwrap_or(now);
    let to = range.1.unwrap_or(from + chrono::Duration::days(31));
    if to <= from || to - from > chrono::Duration::days(366) {
        return bad_request("the time-range must end after it starts, at most 366 days later");
    }
    let busy = match crate::ical::room_busy(state, room.id, from, to).await {
        Ok(b) => b,
        Err(e) => return unavailable(&e),
    };
    let body = booking_calendar::freebusy(
        crate::ical::PRODID,
        &format!("freebusy-{}@{}", room.id, crate::ical::host(state)),
        &room.name,
        from,
        to,
        &busy,
        now,
    );
    Response::builder()
        .status(StatusCode::OK)
        .content_type("text/calendar; charset=utf-8")
        .body(body)
}

async fn report(state: &AppState, user: &User, resource: &Resource, body: &str) -> Response {
    let report = match dav::parse_report(body) {
        Ok(r) => r,
        Err(e @ dav::DavError::UnsupportedReport(_)) => {
            return error(
                StatusCode::FORBIDDEN,
                DAV,
                "supported-report",
                &e.to_string(),
            );
        }
        Err(e) => return bad_request(&e.to_string()),
    };
    let room = match resource {
        Resource::Calendar(room) | Resource::Object(room, _) => *room,
        _ => {
            return error(
                StatusCode::FORBIDDEN,
                DAV,
                "supported-report",
                "REPORT is supported on room calendars (/dav/rooms/{room}/)",
            );
        }
    };
    let cal = match load_calendar(state, room).await {
        Ok(Some(cal)) => cal,
        Ok(None) => return not_found(&format!("/dav/rooms/{room}/")),
        Err(r) => return r,
    };
    let mut out = Vec::new();
    match report {
        Report::CalendarQuery {
            props,
            range,
            component,
        } => {
            // Room calendars hold events only.
            if component.as_deref().is_some_and(|c| c != "VEVENT") {
                return multistatus(&out, None);
            }
            for (key, group) in &cal.objects {
                if range.is_none_or(|r| overlaps(group, r)) {
                    out.push(cal.object_response(state, user, key, &props).await);
                }
            }
            multistatus(&out, None)
        }
        Report::FreeBusy { range } => free_busy(state, &cal.room, range).await,
        Report::Multiget { props, hrefs } => {
            for href in hrefs {
                // Hrefs may be absolute URLs; only the path matters.
                let path = href
                    .split_once("://")
                    .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
                    .unwrap_or(&href);
                match resolve(path) {
                    Some(Resource::Object(r, key)) if r == room => {
                        let mut resp = cal.object_response(state, user, &key, &props).await;
                        resp.href = href.clone();
                        out.push(resp);
                    }
                    _ => out.push(DavResponse {
                        href,
                        status: Some(404),
                        ..DavResponse::default()
                    }),
                }
            }
            multistatus(&out, None)
        }
        Report::SyncCollection { props, token } => {
            let since = if token.is_empty() {
                None
            } else {
                match parse_sync_token(state, room, &token) {
                    Some(t) => Some(t),
                    None => {
                        return error(
                            StatusCode::FORBIDDEN,
                            DAV,
                            "valid-sync-token",
                            "unknown sync-token; sync again from scratch",
                        );
                    }
                }
            };
            let v = calendar_version(state, room, user).await;
            // A room change (name, floor) changes every object.
            let room_changed = since.is_some_and(|s| cal.room.updated_at.timestamp() > s);
            for (key, group) in &cal.objects {
                let changed = since.is_none_or(|s| {
                    room_changed || group.iter().any(|b| b.updated_at.timestamp() > s)
                });
                if changed {
                    out.push(cal.object_response(state, user, key, &props).await);
                }
            }
            multistatus(&out, Some(&sync_token(state, room, v.since)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve() {
        let room = RoomId::new_random();
        assert_eq!(resolve("/dav"), Some(Resource::Root));
        assert_eq!(resolve("/dav/"), Some(Resource::Root));
        assert_eq!(resolve("/dav/rooms/"), Some(Resource::Home));
        assert_eq!(
            resolve(&format!("/dav/rooms/{room}/")),
            Some(Resource::Calendar(room))
        );
        assert_eq!(
            resolve(&format!("/dav/rooms/{room}/abc.ics")),
            Some(Resource::Object(room, "abc".into()))
        );
        assert_eq!(resolve("/dav/rooms/not-a-uuid/"), None);
        assert_eq!(resolve(&format!("/dav/rooms/{room}/abc")), None);
        assert_eq!(resolve("/dav/elsewhere/x/y/z"), None);
    }
}

//! iCalendar feeds that Outlook, Google, Apple and Thunderbird subscribe to:
//! per room, per user ("my bookings") and all rooms, plus VFREEBUSY.
//!
//! Access is by the user's secret feed token (`?token=`), which they can
//! rotate; a room may also publish its feed without a token. Series are one
//! VEVENT with RRULE and EXDATE (dates not booked or cancelled) plus a
//! RECURRENCE-ID override for every occurrence that differs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use booking_calendar::{Writer, freebusy, local_stamp, utc_stamp};
use booking_core::store::{BookingFilter, VersionScope};
use booking_core::{Booking, BookingStatus, Room, RoomId, SeriesId, User, UserId};
use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use poem::http::{HeaderValue, StatusCode};
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

use crate::error::problem_response;
use crate::state::AppState;

const PRODID: &str = "-//Room booking//booking-server//EN";
/// How often clients should refresh.
const REFRESH: &str = "PT15M";

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    token: Option<String>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

fn status_text(s: BookingStatus) -> &'static str {
    match s {
        BookingStatus::Approved => "CONFIRMED",
        BookingStatus::Pending => "TENTATIVE",
        BookingStatus::Rejected | BookingStatus::Cancelled => "CANCELLED",
    }
}

/// FNV-1a: a stable content hash for ETags.
pub(crate) fn etag(body: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"{h:016x}\"")
}

/// The validator of a feed, computed without rendering it: which feed, for
/// whom, the day its window starts, and the version of the bookings and
/// rooms in it. Weak, because DTSTAMP differs between renderings.
pub(crate) async fn feed_tag(
    state: &AppState,
    scope: VersionScope,
    feed: &str,
    viewer: Option<UserId>,
) -> Option<String> {
    let (from, to) = window(state);
    let v = state
        .svc
        .store()
        .bookings_version(scope, from, to)
        .await
        .ok()?;
    let key = format!("{feed}|{viewer:?}|{}|{v:?}", from.date_naive());
    Some(format!("W/{}", etag(&key)))
}

/// `304 Not Modified` when the client already has this version.
pub(crate) fn not_modified(req: &Request, tag: Option<&str>) -> Option<Response> {
    let tag = tag?;
    let bare = tag.trim_start_matches("W/");
    let hit = req.header("if-none-match").is_some_and(|v| {
        v.split(',')
            .any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == bare)
    });
    if !hit {
        return None;
    }
    let mut r = Response::builder()
        .status(StatusCode::NOT_MODIFIED)
        .finish();
    if let Ok(v) = HeaderValue::from_str(tag) {
        r.headers_mut().insert("etag", v);
    }
    Some(r)
}

fn calendar_response(req: &Request, tag: Option<String>, body: String) -> Response {
    // Without a version (database trouble), fall back to hashing the body.
    let tag = tag.unwrap_or_else(|| etag(&body));
    if let Some(r) = not_modified(req, Some(&tag)) {
        return r;
    }
    let mut r = Response::builder()
        .content_type("text/calendar; charset=utf-8")
        .header("cache-control", "private, max-age=300")
        .body(body);
    if let Ok(v) = HeaderValue::from_str(&tag) {
        r.headers_mut().insert("etag", v);
    }
    r
}

fn not_found() -> Response {
    problem_response(
        StatusCode::NOT_FOUND,
        "no such feed, or the token is wrong or was rotated".into(),
    )
}

pub(crate) async fn token_user(state: &AppState, token: Option<&str>) -> Option<User> {
    let token = token?.trim();
    if token.len() < 16 {
        return None;
    }
    state
        .svc
        .store()
        .user_by_feed_token(token)
        .await
        .ok()
        .flatten()
}

pub(crate) struct Feed<'a> {
    pub name: String,
    pub rooms: &'a HashMap<RoomId, Room>,
    pub host: String,
    /// Hide titles and organizers for this viewer, per room.
    pub hide: &'a (dyn Fn(&Room, &Booking) -> bool + Send + Sync),
}

/// Render `bookings` (all of them, any status, so cancellations propagate).
pub(crate) async fn render(state: &AppState, feed: &Feed<'_>, bookings: Vec<Booking>) -> String {
    let now = state.svc.now();
    let mut w = Writer::new();
    w.begin("VCALENDAR")
        .line("VERSION:2.0")
        .text("PRODID", PRODID)
        .line("CALSCALE:GREGORIAN")
        .text("X-WR-CALNAME", &feed.name)
        .line(&format!("REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}"))
        .line(&format!("X-PUBLISHED-TTL:{REFRESH}"));
    // One VTIMEZONE per zone used, covering the years of the events.
    let mut zones: BTreeMap<String, (Tz, i32, i32)> = BTreeMap::new();
    for b in &bookings {
        if let Some(room) = feed.rooms.get(&b.room_id) {
            let tz = room.time_zone;
            let (y0, y1) = (b.start.year().min(now.year()), b.end.year().max(now.year()));
            let e = zones.entry(tz.name().to_string()).or_insert((tz, y0, y1));
            e.1 = e.1.min(y0);
            e.2 = e.2.max(y1);
        }
    }
    for (tz, y0, y1) in zones.values() {
        w.vtimezone(*tz, *y0, *y1);
    }
    let (singles, series): (Vec<Booking>, Vec<Booking>) =
        bookings.into_iter().partition(|b| b.series_id.is_none());
    for b in &singles {
        if let Some(room) = feed.rooms.get(&b.room_id) {
            vevent(
                &mut w,
                feed,
                room,
                b,
                &format!("{}@{}", b.id, feed.host),
                Recurrence::Single,
                now,
            );
        }
    }
    let mut by_series: BTreeMap<SeriesId, Vec<Booking>> = BTreeMap::new();
    for b in series {
        if let Some(id) = b.series_id {
            by_series.entry(id).or_default().push(b);
        }
    }
    for (id, occ) in by_series {
        series_events(state, &mut w, feed, id, occ, now).await;
    }
    w.end("VCALENDAR");
    w.finish()
}

fn location(room: &Room) -> String {
    match room.floor {
        Some(f) => format!("{}, floor {f}", room.name),
        None => room.name.clone(),
    }
}

/// How a VEVENT relates to a series.
enum Recurrence<'a> {
    Single,
    /// The series master: its rule and the dates it leaves out.
    Master {
        rule: &'a str,
        exdates: &'a [DateTime<Utc>],
    },
    /// One occurrence that differs from the master.
    Override {
        recurrence_id: DateTime<Utc>,
    },
}

fn vevent(
    w: &mut Writer,
    feed: &Feed<'_>,
    room: &Room,
    b: &Booking,
    uid: &str,
    recurrence: Recurrence<'_>,
    now: DateTime<Utc>,
) {
    let tz = room.time_zone;
    let hide = (feed.hide)(room, b);
    w.begin("VEVENT").text("UID", uid).utc("DTSTAMP", now);
    match recurrence {
        Recurrence::Master { rule, exdates } => {
            w.local("DTSTART", b.start, tz).local("DTEND", b.end, tz);
            w.line(&format!("RRULE:{rule}"));
            if !exdates.is_empty() {
                let list: Vec<String> = exdates.iter().map(|d| local_stamp(*d, tz)).collect();
                w.line(&format!("EXDATE;TZID={}:{}", tz.name(), list.join(",")));
            }
        }
        Recurrence::Override { recurrence_id } => {
            w.line(&format!(
                "RECURRENCE-ID;TZID={}:{}",
                tz.name(),
                local_stamp(recurrence_id, tz)
            ));
            w.local("DTSTART", b.start, tz).local("DTEND", b.end, tz);
        }
        Recurrence::Single => {
            w.local("DTSTART", b.start, tz).local("DTEND", b.end, tz);
        }
    }
    w.text("SUMMARY", if hide { "Busy" } else { &b.title })
        .text("LOCATION", &location(room))
        .line(&format!("STATUS:{}", status_text(b.status)))
        .line(&format!("SEQUENCE:{}", b.sequence))
        .utc("CREATED", b.created_at)
        .utc("LAST-MODIFIED", b.updated_at)
        .line("TRANSP:OPAQUE");
    if !hide && !b.purpose.is_empty() {
        w.text("DESCRIPTION", &b.purpose);
    }
    w.end("VEVENT");
}

/// A series: master with RRULE (cut at its last occurrence) and EXDATE for
/// every rule date without a live occurrence; overrides for moved or
/// otherwise different occurrences.
async fn series_events(
    state: &AppState,
    w: &mut Writer,
    feed: &Feed<'_>,
    id: SeriesId,
    occ: Vec<Booking>,
    now: DateTime<Utc>,
) {
    let Ok(series) = state.svc.get_series(id).await else {
        return;
    };
    let Some(room) = feed.rooms.get(&series.room_id) else {
        return;
    };
    let tz = room.time_zone;
    let originals: BTreeSet<DateTime<Utc>> =
        occ.iter().filter_map(|b| b.occurrence_start).collect();
    let (Some(first), Some(last)) = (originals.first().copied(), originals.last().copied()) else {
        return;
    };
    // The rule, bounded to the occurrences that exist: no COUNT, UNTIL at the last.
    let mut parts: Vec<&str> = series
        .rrule
        .split(';')
        .filter(|p| !p.starts_with("COUNT=") && !p.starts_with("UNTIL="))
        .collect();
    let until = format!("UNTIL={}", utc_stamp(last));
    parts.push(&until);
    let rule = parts.join(";");
    let expanded = booking_core::recurrence::expand(
        &rule,
        tz,
        first.with_timezone(&tz).naive_local(),
        series.duration_minutes,
        first,
        last + Duration::seconds(1),
    )
    .map(|e| e.occurrences)
    .unwrap_or_default();
    let live: BTreeMap<DateTime<Utc>, &Booking> = occ
        .iter()
        .filter(|b| b.status.is_blocking())
        .filter_map(|b| b.occurrence_start.map(|o| (o, b)))
        .collect();
    let exdates: Vec<DateTime<Utc>> = expanded
        .iter()
        .map(|o| o.start)
        .filter(|s| !live.contains_key(s))
        .collect();
    let Some(template) = live.values().next().copied().or_else(|| occ.first()) else {
        return;
    };
    let uid = format!("{id}@{}", feed.host);
    let master = Booking {
        start: first,
        end: first + Duration::minutes(i64::from(series.duration_minutes)),
        title: series.title.clone(),
        sequence: occ.iter().map(|b| b.sequence).max().unwrap_or(0),
        ..template.clone()
    };
    vevent(
        w,
        feed,
        room,
        &master,
        &uid,
        Recurrence::Master {
            rule: &rule,
            exdates: &exdates,
        },
        now,
    );
    for b in live.values() {
        let differs = b.start != b.occurrence_start.unwrap_or(b.start)
            || b.end - b.start != master.end - master.start
            || b.title != master.title
            || b.status != master.status;
        if differs {
            vevent(
                w,
                feed,
                room,
                b,
                &uid,
                Recurrence::Override {
                    recurrence_id: b.occurrence_start.unwrap_or(b.start),
                },
                now,
            );
        }
    }
}

pub(crate) fn host(state: &AppState) -> String {
    state
        .config
        .public_url
        .split("://")
        .nth(1)
        .unwrap_or("booking")
        .split(['/', ':'])
        .next()
        .unwrap_or("booking")
        .to_string()
}

pub(crate) async fn rooms_map(state: &AppState) -> Option<HashMap<RoomId, Room>> {
    let rooms = state.svc.list_rooms(true).await.ok()?;
    Some(rooms.into_iter().map(|r| (r.id, r)).collect())
}

pub(crate) fn window(state: &AppState) -> (DateTime<Utc>, DateTime<Utc>) {
    let now = state.svc.now();
    (now - Duration::days(31), now + Duration::days(366))
}

pub(crate) async fn bookings(state: &AppState, filter: BookingFilter) -> Vec<Booking> {
    let (from, to) = window(state);
    state
        .svc
        .list_bookings(&BookingFilter {
            from: Some(from),
            to: Some(to),
            limit: Some(20_000),
            ..filter
        })
        .await
        .unwrap_or_default()
}

pub(crate) fn hides_for(viewer: Option<User>) -> impl Fn(&Room, &Booking) -> bool + Send + Sync {
    move |room: &Room, b: &Booking| {
        room.policy.feed_hides_details
            && !viewer
                .as_ref()
                .is_some_and(|u| u.id == b.organizer_id || u.manages_room(room.id))
    }
}

/// `GET /ical/rooms/{room}.ics?token=T`
#[handler]
pub async fn room_feed(
    state: Data<&AppState>,
    req: &Request,
    Path(file): Path<String>,
    Query(q): Query<FeedQuery>,
) -> Response {
    let Some(Ok(room_id)) = file.strip_suffix(".ics").map(|id| id.parse::<RoomId>()) else {
        return not_found();
    };
    // Cheap checks first: one room, the token, the version — a 304 needs no more.
    let Ok(room) = state.svc.get_room(room_id).await else {
        return not_found();
    };
    let viewer = token_user(&state, q.token.as_deref()).await;
    if viewer.is_none() && !room.policy.public_feed {
        return not_found();
    }
    let tag = feed_tag(
        &state,
        VersionScope::Room(room_id),
        "room",
        viewer.as_ref().map(|u| u.id),
    )
    .await;
    if let Some(r) = not_modified(req, tag.as_deref()) {
        return r;
    }
    let Some(rooms) = rooms_map(&state).await else {
        return problem_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable".into(),
        );
    };
    let list = bookings(
        &state,
        BookingFilter {
            room_id: Some(room_id),
            ..Default::default()
        },
    )
    .await;
    let hide = hides_for(viewer);
    let feed = Feed {
        name: room.name.clone(),
        rooms: &rooms,
        host: host(&state),
        hide: &hide,
    };
    let body = render(&state, &feed, list).await;
    calendar_response(req, tag, body)
}

/// `GET /ical/me.ics?token=T`: the token owner's bookings.
#[handler]
pub async fn my_feed(
    state: Data<&AppState>,
    req: &Request,
    Query(q): Query<FeedQuery>,
) -> Response {
    let Some(user) = token_user(&state, q.token.as_deref()).await else {
        return not_found();
    };
    let tag = feed_tag(
        &state,
        VersionScope::Organizer(user.id),
        "me",
        Some(user.id),
    )
    .await;
    if let Some(r) = not_modified(req, tag.as_deref()) {
        return r;
    }
    let Some(rooms) = rooms_map(&state).await else {
        return problem_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable".into(),
        );
    };
    let list = bookings(
        &state,
        BookingFilter {
            organizer_id: Some(user.id),
            ..Default::default()
        },
    )
    .await;
    let name = format!("My bookings ({})", user.email);
    let hide = hides_for(Some(user));
    let feed = Feed {
        name,
        rooms: &rooms,
        host: host(&state),
        hide: &hide,
    };
    let body = render(&state, &feed, list).await;
    calendar_response(req, tag, body)
}

/// `GET /ical/all.ics?token=T`: every room.
#[handler]
pub async fn all_feed(
    state: Data<&AppState>,
    req: &Request,
    Query(q): Query<FeedQuery>,
) -> Response {
    let Some(user) = token_user(&state, q.token.as_deref()).await else {
        return not_found();
    };
    let tag = feed_tag(&state, VersionScope::All, "all", Some(user.id)).await;
    if let Some(r) = not_modified(req, tag.as_deref()) {
        return r;
    }
    let Some(rooms) = rooms_map(&state).await else {
        return problem_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable".into(),
        );
    };
    let list = bookings(&state, BookingFilter::default()).await;
    let hide = hides_for(Some(user));
    let feed = Feed {
        name: "All rooms".into(),
        rooms: &rooms,
        host: host(&state),
        hide: &hide,
    };
    let body = render(&state, &feed, list).await;
    calendar_response(req, tag, body)
}

/// `GET /ical/rooms/{room}/freebusy.ics?token=T&start=…&end=…`
#[handler]
pub async fn room_freebusy(
    state: Data<&AppState>,
    req: &Request,
    Path(room): Path<String>,
    Query(q): Query<FeedQuery>,
) -> Response {
    let Ok(room_id) = room.parse::<RoomId>() else {
        return not_found();
    };
    let Ok(room) = state.svc.get_room(room_id).await else {
        return not_found();
    };
    if token_user(&state, q.token.as_deref()).await.is_none() && !room.policy.public_feed {
        return not_found();
    }
    let now = state.svc.now();
    let from = q.start.unwrap_or(now);
    let to = q.end.unwrap_or(from + Duration::days(31));
    if to <= from || to - from > Duration::days(366) {
        return problem_response(
            StatusCode::BAD_REQUEST,
            "end must be after start, at most 366 days later".into(),
        );
    }
    let busy: Vec<(DateTime<Utc>, DateTime<Utc>)> =
        match state.svc.store().occupancies(Some(room_id), from, to).await {
            Ok(o) => o
                .into_iter()
                .map(|(_, o)| (o.start.max(from), o.end.min(to)))
                .collect(),
            Err(_) => {
                return problem_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database unavailable".into(),
                );
            }
        };
    let body = freebusy(
        PRODID,
        &format!("freebusy-{room_id}@{}", host(&state)),
        &room.name,
        from,
        to,
        &busy,
        now,
    );
    calendar_response(req, None, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_are_stable_and_quoted() {
        assert_eq!(etag("a"), etag("a"));
        assert_ne!(etag("a"), etag("b"));
        assert!(etag("x").starts_with('"') && etag("x").ends_with('"'));
    }
}

//! Serving feeds and free/busy over HTTP: feed tokens, ETags and 304s,
//! kept copies caught up from the change log, the handlers.

use std::sync::Arc;

use booking_calendar::freebusy;
use booking_core::store::{BookingFilter, BookingsVersion, ChangeStamp, VersionScope};
use booking_core::{Booking, BookingStatus, Room, RoomId, RoomListing, User};
use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use poem::http::{HeaderValue, StatusCode};
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use crate::compressed::Encoding;
use crate::error::problem_response;
use crate::feed_cache::{FeedKey, Outcome, Parts, Served, Viewer};
use crate::state::AppState;

use super::PRODID;
use super::render::{
    FEED_LIMIT, Feed, host, render_parts, rooms_map, sight_for, window, window_filter,
};

#[derive(Debug, Deserialize)]
pub struct FeedQuery {
    token: Option<String>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
}

/// FNV-1a: a stable content hash for ETags.
pub(crate) fn etag(body: impl AsRef<[u8]>) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in body.as_ref() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("\"{h:016x}\"")
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

/// A kept feed: compressed when the client accepts it (calendar clients
/// poll large feeds; iCalendar text shrinks about tenfold).
fn feed_response(req: &Request, served: &Served) -> Response {
    let (body, coding) = served.body.encoded(Encoding::accepted(req));
    let mut r = calendar_response(req, served.tag.clone(), body);
    r.headers_mut()
        .insert("vary", HeaderValue::from_static("accept-encoding"));
    if let Some(coding) = coding
        && r.status() == StatusCode::OK
    {
        r.headers_mut()
            .insert("content-encoding", HeaderValue::from_static(coding));
    }
    r
}

fn calendar_response(req: &Request, tag: String, body: impl Into<poem::Body>) -> Response {
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
    state.store.user_by_feed_token(token).await.ok().flatten()
}

/// A feed to serve: which bookings, for whom, under what name.
struct FeedSpec {
    scope: VersionScope,
    name: String,
    viewer: Option<User>,
}

fn unavailable() -> Response {
    problem_response(
        StatusCode::SERVICE_UNAVAILABLE,
        "database unavailable; try again".into(),
    )
}

/// The ETag of a feed at `stamp`. Weak: the same stamp gives the same
/// events, but the bytes are not promised across releases.
fn feed_tag(key: &FeedKey, stamp: &ChangeStamp) -> String {
    format!("W/{}", etag(format!("{key:?}|{stamp:?}")))
}

/// Serve a feed: `304` when the client has the current change stamp (one
/// key lookup), the kept body when nothing changed, otherwise bring the
/// kept rendering up to date (see [`crate::feed_cache`]). The stamp is
/// read before the bookings, so a body is never older than its ETag says.
async fn serve_feed(state: &AppState, req: &Request, spec: FeedSpec) -> Response {
    let (from, to) = window(state);
    let store = &state.store;
    let Ok(stamp) = store.change_stamp(spec.scope).await else {
        return unavailable();
    };
    let key = FeedKey {
        scope: spec.scope,
        viewer: spec.viewer.as_ref().map(Viewer::of),
        day: from.date_naive(),
    };
    let tag = feed_tag(&key, &stamp);
    if let Some(r) = not_modified(req, Some(&tag)) {
        return r;
    }
    if let Some(kept) = state.feeds.get(&key, &stamp) {
        state.feeds.record(Outcome::Kept);
        return feed_response(req, &kept);
    }
    // What changed since the kept rendering (with nothing kept: every
    // booking of the window), the version to check the merge against, and
    // the rooms (unless unchanged): independent reads, at once.
    let kept = state.feeds.parts(&key);
    let bookings = match &kept {
        Some((was, _)) => BookingFilter {
            changed_since: was.last_change,
            limit: Some(FEED_LIMIT),
            ..spec.scope.filter()
        },
        None => window_filter(spec.scope.filter(), (from, to)),
    };
    let known_rooms = kept
        .as_ref()
        .and_then(|(_, p)| p.rooms.as_ref())
        .filter(|(at, _)| *at == stamp.room_writes)
        .map(|(_, map)| map.clone());
    let rooms_reread = known_rooms.is_none();
    let (current, rooms, read) = tokio::join!(
        store.bookings_version(spec.scope, from, to),
        async {
            match known_rooms {
                Some(map) => Some(map),
                None => rooms_map(state).await.ok().map(Arc::new),
            }
        },
        state.svc.list_bookings(&bookings)
    );
    let (Ok(current), Some(rooms), Ok(read)) = (current, rooms, read) else {
        return unavailable();
    };
    let read = match kept {
        Some((_, parts)) => Read::Changes(parts, read),
        None => Read::All(read),
    };
    let Ok((mut parts, version, outcome)) =
        catch_up(state, spec.scope, read, rooms_reread, &current, (from, to)).await
    else {
        return unavailable();
    };
    parts.rooms = Some((stamp.room_writes, rooms.clone()));
    let sight = sight_for(spec.viewer);
    let host = host(state);
    let closed = crate::ical_closures::events(state, spec.scope, &rooms, from, to, &host).await;
    let feed = Feed {
        name: spec.name,
        rooms: &rooms,
        host,
        sight: &sight,
        closed,
    };
    let body = Bytes::from(render_parts(state, &feed, &mut parts).await);
    let served = Served::new(tag, body);
    state.feeds.record(outcome);
    state
        .feeds
        .put(key, (stamp, version), served.clone(), parts);
    feed_response(req, &served)
}

/// What was read of a feed's bookings alongside its version.
enum Read {
    /// The kept rendering's parts and the bookings changed since.
    Changes(Parts, Vec<Booking>),
    /// Every booking of the window (nothing was kept).
    All(Vec<Booking>),
}

/// The feed's bookings as of now, with their version: the kept ones with
/// those changed since merged in, when that adds up to the database's
/// version; otherwise all of them read afresh.
async fn catch_up(
    state: &AppState,
    scope: VersionScope,
    read: Read,
    rooms_reread: bool,
    current: &BookingsVersion,
    window: (DateTime<Utc>, DateTime<Utc>),
) -> Result<(Parts, BookingsVersion, Outcome), booking_core::CoreError> {
    let all = match read {
        Read::All(all) => all,
        Read::Changes(mut parts, changed) => {
            if rooms_reread {
                parts.forget_events();
            }
            // Changes carry the time they were made; re-reading the last
            // instant already seen is harmless (a merge replaces).
            for b in changed {
                parts.merge(b, window.0, window.1);
            }
            let now = parts.version(current);
            if now == *current {
                return Ok((parts, now, Outcome::CaughtUp));
            }
            state
                .svc
                .list_bookings(&window_filter(scope.filter(), window))
                .await?
        }
    };
    let parts = Parts::new(all);
    let version = parts.version(current);
    Ok((parts, version, Outcome::Full))
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
    let spec = FeedSpec {
        scope: VersionScope::Room(room_id),
        name: room.name,
        viewer,
    };
    serve_feed(&state, req, spec).await
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
    let spec = FeedSpec {
        scope: VersionScope::Organizer(user.id),
        name: format!("My bookings ({})", user.email),
        viewer: Some(user),
    };
    serve_feed(&state, req, spec).await
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
    let spec = FeedSpec {
        scope: VersionScope::All,
        name: "All rooms".into(),
        viewer: Some(user),
    };
    serve_feed(&state, req, spec).await
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
    freebusy_answer(&state, req, &room, &q).await
}

/// Outlook's Internet Free/Busy URL, one per room address:
/// `/freebusy/blue-room@rooms.example.com.vfb` (Outlook's template
/// `…/freebusy/%NAME%@%SERVER%.vfb`; the bare `%NAME%` works too).
#[handler]
pub async fn mailbox_freebusy(
    state: Data<&AppState>,
    req: &Request,
    Path(file): Path<String>,
    Query(q): Query<FeedQuery>,
) -> Response {
    let Some(mailbox) = file.strip_suffix(".vfb") else {
        return not_found();
    };
    let mailbox = mailbox.to_ascii_lowercase();
    let domain = &state.config.mail.room_domain;
    let Ok(rooms) = state.svc.list_rooms(RoomListing::Current).await else {
        return not_found();
    };
    let Some(room) = rooms.into_iter().find(|r| {
        let address = crate::mail::room_address(r, domain);
        address == mailbox || address.split('@').next() == Some(mailbox.as_str())
    }) else {
        return not_found();
    };
    freebusy_answer(&state, req, &room, &q).await
}

/// A room's VFREEBUSY for the query's range (default: the next 31 days),
/// to a token holder or anyone where the room's feed is public.
async fn freebusy_answer(state: &AppState, req: &Request, room: &Room, q: &FeedQuery) -> Response {
    if token_user(state, q.token.as_deref()).await.is_none() && !room.policy.public_feed {
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
    let busy = match room_busy(state, room.id, from, to).await {
        Ok(mut b) => match crate::ical_closures::busy(state, room, from, to).await {
            Ok(closed) => {
                b.extend(closed);
                b.sort_by_key(|b| (b.start, b.end));
                b
            }
            Err(e) => return crate::error::ApiError::from(e).into_response(),
        },
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let body = freebusy(
        PRODID,
        &format!("freebusy-{}@{}", room.id, host(state)),
        &room.name,
        from,
        to,
        &busy,
        now,
    );
    let tag = etag(&body);
    calendar_response(req, tag, body)
}

/// A room's busy periods within `[from, to)`: the held time (buffers
/// included) of approved bookings, and of pending ones as tentative — its
/// own and those of the rooms linked to it (a divisible hall and its parts).
pub async fn room_busy(
    state: &AppState,
    room: RoomId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<booking_calendar::Busy>, booking_core::CoreError> {
    let mut list = Vec::new();
    let linked = state.svc.room_links().await?.sharing(room);
    for r in std::iter::once(room).chain(linked) {
        list.extend(
            state
                .svc
                .list_bookings(&booking_core::store::BookingFilter {
                    room_id: Some(r),
                    statuses: vec![BookingStatus::Pending, BookingStatus::Approved],
                    from: Some(from - Duration::days(1)),
                    to: Some(to + Duration::days(1)),
                    ..Default::default()
                })
                .await?,
        );
    }
    let mut busy: Vec<booking_calendar::Busy> = list
        .iter()
        .filter(|b| b.held_end > from && b.held_start < to)
        .map(|b| booking_calendar::Busy {
            start: b.held_start.max(from),
            end: b.held_end.min(to),
            tentative: b.status == BookingStatus::Pending,
        })
        .collect();
    busy.sort_by_key(|b| (b.start, b.end));
    Ok(busy)
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

//! A room calendar: its objects (one booking, or a series with its
//! overrides), their ETags, and the ctag and sync-token that change with it.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use booking_calendar::dav::{CALDAV, DAV, PropName, PropRequest, Response as DavResponse, Value};
use booking_core::store::{BookingFilter, BookingsVersion, VersionScope};
use booking_core::{Booking, Room, RoomId, User};
use chrono::{DateTime, Utc};
use poem::Response;

use crate::ical::{Feed, Sight, bookings, etag, host, render, rooms_map, sight_for, window};
use crate::state::AppState;

use super::*;

/// The sync-token of a room calendar: a URI holding a second up to which
/// every change has been seen; a later sync lists what changed after it.
pub(super) fn sync_token(state: &AppState, room: RoomId, since: i64) -> String {
    format!("{}/dav/sync/{room}/{since}", state.config.server.public_url)
}

pub(super) fn parse_sync_token(state: &AppState, room: RoomId, token: &str) -> Option<i64> {
    token
        .strip_prefix(&format!(
            "{}/dav/sync/{room}/",
            state.config.server.public_url
        ))?
        .parse()
        .ok()
}

pub(super) struct CalendarVersion {
    pub(super) ctag: String,
    pub(super) since: i64,
}

pub(super) async fn calendar_version(
    state: &AppState,
    room: RoomId,
    viewer: &User,
) -> CalendarVersion {
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
pub(super) async fn room_writes(state: &AppState) -> i64 {
    state
        .store
        .change_stamp(VersionScope::All)
        .await
        .map(|s| s.room_writes)
        .unwrap_or_default()
}

/// Every room's version in one query (for listing the calendar home); a
/// room without bookings gets the same version its own query would give.
pub(super) async fn all_calendar_versions(
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

pub(super) fn version_tag(
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

/// A room's calendar objects: single bookings by id, series by series id.
pub(super) fn objects(list: Vec<Booking>) -> BTreeMap<String, Vec<Booking>> {
    let mut out: BTreeMap<String, Vec<Booking>> = BTreeMap::new();
    for b in list {
        let key = b
            .series_id
            .map_or_else(|| b.id.to_string(), |s| s.to_string());
        out.entry(key).or_default().push(b);
    }
    out
}

pub(super) fn object_etag(room: &Room, sight: Option<Sight>, group: &[Booking]) -> String {
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
pub(super) fn overlaps(
    group: &[Booking],
    range: (Option<DateTime<Utc>>, Option<DateTime<Utc>>),
) -> bool {
    let series = group.iter().any(|b| b.series_id.is_some());
    group
        .iter()
        .filter(|b| !series || b.status.is_blocking())
        .any(|b| range.0.is_none_or(|s| b.end > s) && range.1.is_none_or(|e| b.start < e))
}

/// Everything needed to answer for one room calendar.
pub(super) struct RoomCalendar {
    pub(super) room: Room,
    pub(super) rooms: std::collections::HashMap<RoomId, Room>,
    pub(super) objects: BTreeMap<String, Vec<Booking>>,
}

/// A room calendar, `None` for no such (active) room. When the database
/// cannot be read the answer is a 503 to send — never an empty calendar,
/// which a syncing client would take as "everything was deleted".
pub(super) async fn load_calendar(
    state: &AppState,
    room: RoomId,
) -> Result<Option<RoomCalendar>, Response> {
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

impl RoomCalendar {
    pub(super) fn href(&self, key: &str) -> String {
        format!("/dav/rooms/{}/{key}.ics", self.room.id)
    }

    pub(super) async fn object_response(
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

    pub(super) async fn render(&self, state: &AppState, user: &User, group: &[Booking]) -> String {
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

//! The iCalendar text of feeds: one VEVENT per booking, one per series
//! (RRULE, EXDATE, RECURRENCE-ID overrides), as much of each as its viewer
//! may see.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use booking_calendar::{Writer, local_stamp, utc_stamp};
use booking_core::store::BookingFilter;
use booking_core::{Booking, BookingStatus, Room, RoomId, RoomListing, SeriesId, User};
use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;

use crate::feed_cache::{Kept, Parts};
use crate::state::AppState;

use super::PRODID;

/// At most this many bookings in one feed.
pub(super) const FEED_LIMIT: u32 = 20_000;

/// How often clients should refresh.
const REFRESH: &str = "PT15M";

fn status_text(s: BookingStatus) -> &'static str {
    match s {
        BookingStatus::Approved => "CONFIRMED",
        BookingStatus::Pending => "TENTATIVE",
        BookingStatus::Rejected | BookingStatus::Cancelled => "CANCELLED",
    }
}

pub(crate) struct Feed<'a> {
    pub name: String,
    pub rooms: &'a HashMap<RoomId, Room>,
    pub host: String,
    /// Hide titles and organizers for this viewer, per room.
    pub sight: &'a (dyn Fn(&Room, &Booking) -> Sight + Send + Sync),
    /// Rendered VEVENTs of closed times (see `ical_closures`).
    pub closed: Vec<String>,
}

/// Render `bookings` (all of them, any status, so cancellations propagate).
pub(crate) async fn render(state: &AppState, feed: &Feed<'_>, bookings: Vec<Booking>) -> String {
    let mut parts = Parts::new(bookings);
    render_parts(state, feed, &mut parts).await
}

/// Render the bookings in `parts`, reusing the event texts it holds and
/// keeping the ones it renders. Singles come first in start order, then
/// each series (master and overrides).
pub(crate) async fn render_parts(state: &AppState, feed: &Feed<'_>, parts: &mut Parts) -> String {
    let now = state.svc.now();
    let Parts { events, series, .. } = parts;
    let mut texts: Vec<Arc<str>> = Vec::with_capacity(events.len());
    let mut by_series: BTreeMap<SeriesId, Vec<&Booking>> = BTreeMap::new();
    // One VTIMEZONE per zone used, covering the years of the events.
    let mut zones: BTreeMap<&str, (Tz, i32, i32)> = BTreeMap::new();
    for Kept { booking: b, text } in events.values_mut() {
        let b: &Booking = b;
        let Some(room) = feed.rooms.get(&b.room_id) else {
            continue;
        };
        let tz = room.time_zone;
        let (y0, y1) = (b.start.year().min(now.year()), b.end.year().max(now.year()));
        let e = zones.entry(tz.name()).or_insert((tz, y0, y1));
        e.1 = e.1.min(y0);
        e.2 = e.2.max(y1);
        match b.series_id {
            Some(id) => by_series.entry(id).or_default().push(b),
            None => texts.push(
                text.get_or_insert_with(|| single_event(feed, room, b).into())
                    .clone(),
            ),
        }
    }
    for (id, occ) in by_series {
        let text = match series.get(&id) {
            Some(t) => t.clone(),
            None => {
                let t: Arc<str> = series_events(state, feed, id, &occ).await.into();
                series.insert(id, t.clone());
                t
            }
        };
        texts.push(text);
    }
    let size: usize = texts.iter().map(|t| t.len()).sum();
    let mut w = Writer::with_capacity(size + 4096);
    w.begin("VCALENDAR")
        .line("VERSION:2.0")
        .text("PRODID", PRODID)
        .line("CALSCALE:GREGORIAN")
        .text("X-WR-CALNAME", &feed.name)
        .line(&format!("REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}"))
        .line(&format!("X-PUBLISHED-TTL:{REFRESH}"));
    for (tz, y0, y1) in zones.values() {
        w.vtimezone(*tz, *y0, *y1);
    }
    for t in &texts {
        w.append(t);
    }
    for t in &feed.closed {
        w.append(t);
    }
    w.end("VCALENDAR");
    w.finish()
}

/// The VEVENT of a booking outside any series.
fn single_event(feed: &Feed<'_>, room: &Room, b: &Booking) -> String {
    let mut w = Writer::with_capacity(512);
    vevent(
        &mut w,
        feed,
        room,
        b,
        &format!("{}@{}", b.id, feed.host),
        Recurrence::Single,
    );
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
) {
    let tz = room.time_zone;
    let sight = (feed.sight)(room, b);
    let hide = sight == Sight::Busy;
    // Without a METHOD, DTSTAMP is when the event last changed in the
    // store (RFC 5545 3.8.7.2): the same text for the same version.
    w.begin("VEVENT")
        .text("UID", uid)
        .utc("DTSTAMP", b.updated_at);
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
        .value("STATUS", status_text(b.status))
        .value("SEQUENCE", b.sequence)
        .utc("CREATED", b.created_at)
        .utc("LAST-MODIFIED", b.updated_at)
        .line("TRANSP:OPAQUE");
    let busy = booking_calendar::itip::outlook_busy(status_text(b.status));
    w.value("X-MICROSOFT-CDO-BUSYSTATUS", busy)
        .value("X-MICROSOFT-CDO-INTENDEDSTATUS", busy);
    if sight == Sight::Full && !b.purpose.is_empty() {
        w.text("DESCRIPTION", &b.purpose);
    }
    w.end("VEVENT");
}

/// A series: master with RRULE (cut at its last occurrence) and EXDATE for
/// every rule date without a live occurrence; overrides for moved or
/// otherwise different occurrences. Empty if the series is gone.
async fn series_events(
    state: &AppState,
    feed: &Feed<'_>,
    id: SeriesId,
    occ: &[&Booking],
) -> String {
    let mut w = Writer::with_capacity(1024);
    let Ok(series) = state.svc.get_series(id).await else {
        return String::new();
    };
    let Some(room) = feed.rooms.get(&series.room_id) else {
        return String::new();
    };
    let tz = room.time_zone;
    let originals: BTreeSet<DateTime<Utc>> =
        occ.iter().filter_map(|b| b.occurrence_start).collect();
    let (Some(first), Some(last)) = (originals.first().copied(), originals.last().copied()) else {
        return String::new();
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
        .copied()
        .filter(|b| b.status.is_blocking())
        .filter_map(|b| b.occurrence_start.map(|o| (o, b)))
        .collect();
    let exdates: Vec<DateTime<Utc>> = expanded
        .iter()
        .map(|o| o.start)
        .filter(|s| !live.contains_key(s))
        .collect();
    let Some(template) = live.values().next().or_else(|| occ.first()).copied() else {
        return String::new();
    };
    let uid = format!("{id}@{}", feed.host);
    let master = Booking {
        start: first,
        end: first + Duration::minutes(i64::from(series.duration_minutes)),
        title: series.title.clone(),
        sequence: occ.iter().map(|b| b.sequence).max().unwrap_or(0),
        updated_at: occ
            .iter()
            .map(|b| b.updated_at)
            .max()
            .unwrap_or(template.updated_at),
        ..template.clone()
    };
    vevent(
        &mut w,
        feed,
        room,
        &master,
        &uid,
        Recurrence::Master {
            rule: &rule,
            exdates: &exdates,
        },
    );
    for b in live.values() {
        let differs = b.start != b.occurrence_start.unwrap_or(b.start)
            || b.end - b.start != master.end - master.start
            || b.title != master.title
            || b.status != master.status;
        if differs {
            vevent(
                &mut w,
                feed,
                room,
                b,
                &uid,
                Recurrence::Override {
                    recurrence_id: b.occurrence_start.unwrap_or(b.start),
                },
            );
        }
    }
    w.finish()
}

pub(crate) fn host(state: &AppState) -> String {
    state
        .config
        .server
        .public_url
        .split("://")
        .nth(1)
        .unwrap_or("booking")
        .split(['/', ':'])
        .next()
        .unwrap_or("booking")
        .to_string()
}

pub(crate) async fn rooms_map(
    state: &AppState,
) -> Result<HashMap<RoomId, Room>, booking_core::CoreError> {
    let rooms = state.svc.list_rooms(RoomListing::WithDeleted).await?;
    Ok(rooms.into_iter().map(|r| (r.id, r)).collect())
}

/// What feeds and CalDAV show: from 31 days before today to 366 days after
/// it, in whole UTC days, so what a feed holds changes with the bookings
/// and rooms (and once a day), not with every second.
pub(crate) fn window(state: &AppState) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = state
        .svc
        .now()
        .date_naive()
        .and_time(chrono::NaiveTime::MIN)
        .and_utc();
    (today - Duration::days(31), today + Duration::days(367))
}

/// `filter` narrowed to the bookings `window` shows (any status, so
/// cancellations propagate), at most [`FEED_LIMIT`].
pub(crate) fn window_filter(
    filter: BookingFilter,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
) -> BookingFilter {
    BookingFilter {
        from: Some(from),
        to: Some(to),
        limit: Some(FEED_LIMIT),
        ..filter
    }
}

pub(crate) async fn bookings(
    state: &AppState,
    filter: BookingFilter,
) -> Result<Vec<Booking>, booking_core::CoreError> {
    state
        .svc
        .list_bookings(&window_filter(filter, window(state)))
        .await
}

/// How much of a booking a feed or calendar shows its viewer — the same
/// rule as the API's ([`booking_core::rules::may_see_details`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Sight {
    /// "Busy" only: the room hides details from this viewer.
    Busy,
    /// The title, not the purpose.
    Title,
    /// Everything: the viewer's own booking, a room they manage, an officer.
    Full,
}

pub(crate) fn sight_for(viewer: Option<User>) -> impl Fn(&Room, &Booking) -> Sight + Send + Sync {
    move |room: &Room, b: &Booking| match &viewer {
        Some(u) if booking_core::rules::may_see_details(u, b) => Sight::Full,
        _ if room.policy.feed_hides_details => Sight::Busy,
        _ => Sight::Title,
    }
}

//! The booking form: one booking or a series, with a preview of the series'
//! dates and optional order lines. A refused booking shows the service's own
//! message beside the form, which keeps everything that was typed.

use askama::Template;
use booking_core::procurement::OrderKind;
use booking_core::recurrence;
use booking_core::{
    BookingStatus, CoreError, GroupRequest, Room, RoomListing, RoomShare, RuleViolation,
    SeriesRequest,
};
use chrono::{DateTime, Duration, DurationRound, Utc};
use chrono_tz::Tz;
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::board::viewer_zone;
use super::grid::STEP_MINUTES;
use super::page::{Chrome, core_error_page, explain, flash_redirect, render};
use super::session::{Posted, Viewer};
use super::{text, time};
use crate::state::AppState;

mod fields;

use fields::FieldError;
pub use fields::{BookForm, REPEATS};

/// A refusal shown beside the form.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub message: String,
    /// The rule's name, when a rule refused it.
    pub rule: Option<String>,
    /// The slot is taken: offer the waitlist.
    pub taken: bool,
    /// When the conflicting booking holds the room, in the form's zone.
    pub when: Option<String>,
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookPage {
    c: Chrome,
    f: BookForm,
    rooms: Vec<(String, String, bool)>,
    zones: Vec<String>,
    repeats: &'static [(&'static str, &'static str)],
    kinds: Vec<&'static str>,
    refusal: Option<Refusal>,
    preview: Option<Vec<String>>,
    preview_note: String,
}

async fn bookable_rooms(state: &AppState) -> Result<Vec<Room>, CoreError> {
    Ok(state
        .svc
        .list_rooms(RoomListing::Current)
        .await?
        .into_iter()
        .filter(Room::is_bookable)
        .collect())
}

fn show(
    c: Chrome,
    status: StatusCode,
    f: BookForm,
    rooms: &[Room],
    refusal: Option<Refusal>,
    preview: Option<(Vec<String>, String)>,
) -> Response {
    let (preview, preview_note) = match preview {
        Some((p, n)) => (Some(p), n),
        None => (None, String::new()),
    };
    let view = BookPage {
        c,
        rooms: rooms
            .iter()
            .map(|r| {
                let id = r.id.to_string();
                let selected = id == f.room;
                (id, format!("{} ({} seats)", r.name, r.capacity), selected)
            })
            .collect(),
        zones: time::zone_choices(rooms.iter().map(|r| r.time_zone).chain([f.zone()])),
        f,
        repeats: REPEATS,
        kinds: OrderKind::ALL.iter().map(|k| k.as_str()).collect(),
        refusal,
        preview,
        preview_note,
    };
    render(status, &view)
}

#[derive(Debug, Deserialize)]
pub struct FormQuery {
    room: Option<String>,
    date: Option<String>,
    tz: Option<String>,
    /// Start, in minutes from the start of `date` in `tz` (the board's columns).
    m: Option<i64>,
    /// End, in minutes from the start of `date`.
    until: Option<i64>,
    start: Option<String>,
    end: Option<String>,
    title: Option<String>,
    attendees: Option<String>,
}

/// `GET /book`: the form, filled from the board's slot (or a drag across slots).
#[handler]
pub async fn form(
    state: Data<&AppState>,
    req: &Request,
    viewer: Viewer,
    Query(q): Query<FormQuery>,
) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_BOOK, "board");
    let rooms = match bookable_rooms(&state).await {
        Ok(r) => r,
        Err(e) => return core_error_page(c, e),
    };
    let tz = viewer_zone(&state, req, q.tz.as_deref());
    let now = state.svc.now();
    let date = q
        .date
        .as_deref()
        .and_then(|d| time::parse_date("date", d).ok())
        .unwrap_or_else(|| time::today(tz, now));
    let day_start = time::day_start(tz, date);
    let fmt = |t: DateTime<Utc>| t.with_timezone(&tz).format("%H:%M").to_string();
    let (start, end) = match q.m {
        Some(m) => {
            let s = day_start + Duration::minutes(m.clamp(0, 25 * 60));
            let e = match q.until {
                Some(u) if u > m => day_start + Duration::minutes(u.min(25 * 60)),
                _ => s + Duration::minutes(STEP_MINUTES),
            };
            // The form is per local date: a slot after midnight moves the date.
            (s, e)
        }
        None => {
            // The next full hour (on the asked date), one hour long.
            let next = now.duration_trunc(Duration::hours(1)).unwrap_or(now) + Duration::hours(1);
            let s = if q.date.is_some() {
                let t = next.with_timezone(&tz).time();
                time::local_instant(tz, date, t, "start").unwrap_or(next)
            } else {
                next
            };
            (s, s + Duration::hours(1))
        }
    };
    let f = BookForm {
        room: q.room.unwrap_or_default(),
        date: start.with_timezone(&tz).date_naive().to_string(),
        start: q.start.unwrap_or_else(|| fmt(start)),
        end: q.end.unwrap_or_else(|| fmt(end)),
        tz: tz.name().to_string(),
        title: q.title.unwrap_or_default(),
        attendees: q.attendees.unwrap_or_else(|| "1".into()),
        ..BookForm::default()
    };
    show(c, StatusCode::OK, f, &rooms, None, None)
}

/// The series' dates as the form would book them, for the preview.
fn preview_dates(
    rooms: &[Room],
    f: &BookForm,
    now: DateTime<Utc>,
) -> Result<(Vec<String>, String), FieldError> {
    let req = f.request()?;
    let rule = f.rrule()?.unwrap_or_default();
    let room = rooms
        .iter()
        .find(|r| r.id == req.room_id)
        .ok_or_else(|| "room: choose a room".to_string())?;
    let window_end = now + Duration::days(i64::from(room.policy.booking_window_days));
    let minutes = u32::try_from((req.end - req.start).num_minutes().max(1)).unwrap_or(1);
    let local_start = req.start.with_timezone(&room.time_zone).naive_local();
    let exp = recurrence::expand(&rule, room.time_zone, local_start, minutes, now, window_end)
        .map_err(|e| e.to_string())?;
    let tz = f.zone();
    let dates = exp
        .occurrences
        .iter()
        .map(|o| time::range(tz, o.start, o.end))
        .collect();
    let note = if exp.trimmed {
        format!(
            "The series goes on past the booking window of {} days; only these dates can be booked now.",
            room.policy.booking_window_days
        )
    } else {
        String::new()
    };
    Ok((dates, note))
}

fn refusal_of(err: CoreError, tz: Tz) -> (StatusCode, Refusal) {
    let when = match &err {
        CoreError::Rule(RuleViolation::Conflict { start, end, .. }) => {
            Some(time::range(tz, *start, *end))
        }
        _ => None,
    };
    let rule = match &err {
        CoreError::Rule(v) => Some(v.rule().to_string()),
        CoreError::SeriesDeclined(_) => Some("series_conflicts".to_string()),
        _ => None,
    };
    // One room taken: offer its waitlist (not for several rooms at once).
    let taken = matches!(err, CoreError::Rule(RuleViolation::Conflict { .. }));
    let (status, message) = explain(err);
    (
        status,
        Refusal {
            message,
            rule,
            taken,
            when,
        },
    )
}

fn invalid(message: FieldError) -> Option<Refusal> {
    Some(Refusal {
        message,
        rule: None,
        taken: false,
        when: None,
    })
}

/// `POST /book`: book, book a series, or preview a series' dates.
#[handler]
pub async fn submit(state: Data<&AppState>, p: Posted<BookForm>) -> Response {
    let Posted { viewer, form: f } = p;
    let c = Chrome::new(&viewer, text::TITLE_BOOK, "board");
    let rooms = match bookable_rooms(&state).await {
        Ok(r) => r,
        Err(e) => return core_error_page(c, e),
    };
    let now = state.svc.now();
    let (req, rule, order) = match (f.request(), f.rrule(), f.order()) {
        (Ok(r), Ok(rule), Ok(o)) => (r, rule, o),
        (Err(m), _, _) | (_, Err(m), _) | (_, _, Err(m)) => {
            return show(c, StatusCode::BAD_REQUEST, f, &rooms, invalid(m), None);
        }
    };
    let tz = f.zone();
    if f.intent == "preview" && rule.is_none() {
        let m = "repeat: choose how often the booking repeats to preview its dates".to_string();
        return show(c, StatusCode::BAD_REQUEST, f, &rooms, invalid(m), None);
    }
    let also = match f.also() {
        Ok(a) => a,
        Err(m) => return show(c, StatusCode::BAD_REQUEST, f, &rooms, invalid(m), None),
    };
    if !also.is_empty() {
        if rule.is_some() || !f.for_email.trim().is_empty() {
            let m = "also1: more rooms go with a single booking of your own (no repeat, not for \
                     someone else)"
                .to_string();
            return show(c, StatusCode::BAD_REQUEST, f, &rooms, invalid(m), None);
        }
        let group = GroupRequest {
            rooms: std::iter::once(req.room_id)
                .chain(also)
                .map(|room_id| RoomShare {
                    room_id,
                    attendees: req.attendees,
                })
                .collect(),
            title: req.title,
            purpose: req.purpose,
            start: req.start,
            end: req.end,
        };
        return match state.svc.book_rooms(&viewer.actor, group).await {
            Ok(group) => {
                let list = group.bookings;
                let names: Vec<&str> = list
                    .iter()
                    .filter_map(|b| rooms.iter().find(|r| r.id == b.room_id))
                    .map(|r| r.name.as_str())
                    .collect();
                let first = list.first().map(|b| b.id.to_string()).unwrap_or_default();
                let msg = format!("Booked together: {}.", names.join(", "));
                flash_redirect(&state, "/my", &first, &msg)
            }
            Err(e) => {
                let (status, r) = refusal_of(e, tz);
                show(c, status, f, &rooms, Some(r), None)
            }
        };
    }
    let Some(rule) = rule else {
        let when = time::range(tz, req.start, req.end);
        let made = match f.for_email.trim() {
            "" => state.svc.book(&viewer.actor, req).await,
            email => match state.store.get_user_by_email(email).await {
                Ok(Some(person)) => state.svc.book_for(&viewer.actor, person.id, req).await,
                Ok(None) => {
                    let m = format!("for_email: no account has the address {email:?}");
                    return show(c, StatusCode::BAD_REQUEST, f, &rooms, invalid(m), None);
                }
                Err(e) => Err(e.into()),
            },
        };
        return match made {
            Ok(b) => {
                let room = rooms
                    .iter()
                    .find(|r| r.id == b.room_id)
                    .map_or("", |r| r.name.as_str());
                let mut msg = text::booked(room, &when, b.status == BookingStatus::Pending);
                if let Some(order) = order
                    && let Err(e) = state.svc.place_order(&viewer.actor, b.id, order).await
                {
                    msg.push_str(&format!(" The order was not placed: {}", explain(e).1));
                }
                flash_redirect(&state, "/my", &b.id.to_string(), &msg)
            }
            Err(e) => {
                let (status, r) = refusal_of(e, tz);
                show(c, status, f, &rooms, Some(r), None)
            }
        };
    };
    if !f.for_email.trim().is_empty() {
        let m =
            "for_email: a series is booked for yourself; book single dates for others".to_string();
        return show(c, StatusCode::BAD_REQUEST, f, &rooms, invalid(m), None);
    }
    if f.intent == "preview" {
        return match preview_dates(&rooms, &f, now) {
            Ok(p) => show(c, StatusCode::OK, f, &rooms, None, Some(p)),
            Err(m) => show(c, StatusCode::BAD_REQUEST, f, &rooms, invalid(m), None),
        };
    }
    let Some(room) = rooms.iter().find(|r| r.id == req.room_id) else {
        return show(
            c,
            StatusCode::BAD_REQUEST,
            f,
            &rooms,
            invalid("room: choose a room".into()),
            None,
        );
    };
    let series = SeriesRequest {
        room_id: req.room_id,
        title: req.title,
        purpose: req.purpose,
        attendees: req.attendees,
        local_start: req.start.with_timezone(&room.time_zone).naive_local(),
        duration_minutes: u32::try_from((req.end - req.start).num_minutes().max(0)).unwrap_or(0),
        rrule: rule,
    };
    match state.svc.book_series(&viewer.actor, series).await {
        Ok(out) => {
            let mut msg = format!("Booked {} dates of the series.", out.booked.len());
            if !out.skipped.is_empty() {
                let skipped: Vec<String> = out
                    .skipped
                    .iter()
                    .map(|s| format!("{} ({})", time::range(tz, s.start, s.end), s.violation))
                    .collect();
                msg.push_str(&format!(" Not booked: {}.", skipped.join("; ")));
            }
            flash_redirect(&state, &format!("/series/{}", out.series.id), "", &msg)
        }
        Err(e) => {
            let (status, r) = refusal_of(e, tz);
            show(c, status, f, &rooms, Some(r), None)
        }
    }
}

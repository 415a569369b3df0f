//! The booking form: one booking or a series, with a preview of the series'
//! dates and optional order lines. A refused booking shows the service's own
//! message beside the form, which keeps everything that was typed.

use askama::Template;
use booking_core::procurement::{OrderItem, OrderKind, OrderRequest, Priority};
use booking_core::recurrence;
use booking_core::{
    BookingRequest, BookingStatus, CoreError, GroupRequest, Room, RoomId, RoomListing, RoomShare,
    RuleViolation, SeriesRequest,
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

/// How often a series repeats, as the form offers it.
pub const REPEATS: &[(&str, &str)] = &[
    ("", "Does not repeat"),
    ("daily", "Every day"),
    ("weekdays", "Every weekday (Monday to Friday)"),
    ("weekly", "Every week"),
    ("monthly", "Every month"),
];

/// Everything the form holds, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct BookForm {
    pub room: String,
    pub date: String,
    pub start: String,
    pub end: String,
    pub tz: String,
    pub title: String,
    pub attendees: String,
    pub purpose: String,
    pub repeat: String,
    pub count: String,
    pub until: String,
    pub order_kind: String,
    pub item1: String,
    pub qty1: String,
    pub item2: String,
    pub qty2: String,
    pub item3: String,
    pub qty3: String,
    pub cost_centre: String,
    pub notes: String,
    pub intent: String,
    /// Book for this person (their e-mail): someone who lets the viewer
    /// book for them, or anyone in a room the viewer manages.
    pub for_email: String,
    /// More rooms for the same meeting (booked all or none).
    pub also1: String,
    pub also2: String,
    pub also3: String,
}

/// A form field that cannot be read: the message names the field.
type FieldError = String;

impl BookForm {
    pub fn zone(&self) -> Tz {
        time::zone(Some(&self.tz), Tz::UTC)
    }

    pub fn room_id(&self) -> Result<RoomId, FieldError> {
        self.room
            .trim()
            .parse()
            .map_err(|_| "room: choose a room".to_string())
    }

    /// Start and end as instants.
    pub fn interval(&self) -> Result<(DateTime<Utc>, DateTime<Utc>), FieldError> {
        let tz = self.zone();
        let date = time::parse_date("date", &self.date)?;
        let start =
            time::local_instant(tz, date, time::parse_time("start", &self.start)?, "start")?;
        let end_time = time::parse_time("end", &self.end)?;
        // Until 00:00 means until midnight; any other end before the start is
        // left for the rules to refuse (a typo must not become a 23-hour booking).
        let end_date = if end_time == chrono::NaiveTime::MIN {
            date.succ_opt().unwrap_or(date)
        } else {
            date
        };
        let end = time::local_instant(tz, end_date, end_time, "end")?;
        Ok((start, end))
    }

    pub fn attendee_count(&self) -> Result<u32, FieldError> {
        match self.attendees.trim() {
            "" => Ok(1),
            n => n
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| {
                    format!("attendees: give a whole number from 1 to 100000 (got {n:?})")
                }),
        }
    }

    pub fn request(&self) -> Result<BookingRequest, FieldError> {
        let (start, end) = self.interval()?;
        Ok(BookingRequest {
            room_id: self.room_id()?,
            title: self.title.trim().to_string(),
            purpose: self.purpose.trim().to_string(),
            attendees: self.attendee_count()?,
            start,
            end,
        })
    }

    /// The other rooms chosen for the same meeting.
    pub fn also(&self) -> Result<Vec<RoomId>, FieldError> {
        [
            ("also1", &self.also1),
            ("also2", &self.also2),
            ("also3", &self.also3),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| {
            v.trim()
                .parse()
                .map_err(|_| format!("{k}: choose a room from the list"))
        })
        .collect()
    }

    /// The RRULE of the chosen repetition, if any.
    pub fn rrule(&self) -> Result<Option<String>, FieldError> {
        let freq = match self.repeat.as_str() {
            "" => return Ok(None),
            "daily" => "FREQ=DAILY",
            "weekdays" => "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "weekly" => "FREQ=WEEKLY",
            "monthly" => "FREQ=MONTHLY",
            other => {
                return Err(format!(
                    "repeat: {other:?} is not one of the offered choices"
                ));
            }
        };
        if !self.until.trim().is_empty() {
            let until = time::parse_date("until", &self.until)?;
            let (_, end) = time::day_bounds(self.zone(), until);
            let last = end - Duration::seconds(1);
            return Ok(Some(format!(
                "{freq};UNTIL={}",
                last.format("%Y%m%dT%H%M%SZ")
            )));
        }
        let count = match self.count.trim() {
            "" => 10,
            n => n
                .parse::<u32>()
                .ok()
                .filter(|n| (2..=u32::from(recurrence::MAX_OCCURRENCES)).contains(n))
                .ok_or_else(|| {
                    format!(
                        "count: give how many times, from 2 to {} (got {n:?})",
                        recurrence::MAX_OCCURRENCES
                    )
                })?,
        };
        Ok(Some(format!("{freq};COUNT={count}")))
    }

    /// The order typed into the form, if any line has an item.
    pub fn order(&self) -> Result<Option<OrderRequest>, FieldError> {
        let lines = [
            (&self.item1, &self.qty1, 1),
            (&self.item2, &self.qty2, 2),
            (&self.item3, &self.qty3, 3),
        ];
        let mut items = Vec::new();
        for (name, qty, n) in lines {
            if name.trim().is_empty() {
                continue;
            }
            let quantity =
                match qty.trim() {
                    "" => 1,
                    q => q.parse::<u32>().ok().filter(|q| *q >= 1).ok_or_else(|| {
                        format!("quantity {n}: give a whole number of at least 1")
                    })?,
                };
            items.push(OrderItem {
                name: name.trim().to_string(),
                quantity,
                unit_cost_cents: 0,
            });
        }
        if items.is_empty() {
            return Ok(None);
        }
        let kind = self
            .order_kind
            .parse::<OrderKind>()
            .map_err(|_| "order kind: choose what kind of order this is".to_string())?;
        Ok(Some(OrderRequest {
            kind,
            items,
            priority: Priority::Medium,
            cost_centre: self.cost_centre.trim().to_string(),
            notes: self.notes.trim().to_string(),
        }))
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn form(start: &str, end: &str) -> BookForm {
        BookForm {
            room: RoomId::new_random().to_string(),
            date: "2027-01-13".into(),
            start: start.into(),
            end: end.into(),
            tz: "Europe/Berlin".into(),
            title: "  Planning ".into(),
            ..BookForm::default()
        }
    }

    #[test]
    fn the_form_reads_local_times_and_names_bad_fields() {
        let r = form("09:00", "10:30").request().expect("request");
        assert_eq!(r.start.to_rfc3339(), "2027-01-13T08:00:00+00:00");
        assert_eq!((r.end - r.start).num_minutes(), 90);
        assert_eq!((r.title.as_str(), r.attendees), ("Planning", 1));
        let midnight = form("23:00", "00:00").request().expect("request");
        assert_eq!((midnight.end - midnight.start).num_minutes(), 60);
        let backwards = form("10:00", "09:00").request().expect("left to the rules");
        assert!(backwards.end < backwards.start);
        let mut f = form("09:00", "10:00");
        f.attendees = "-3".into();
        assert!(f.request().expect_err("bad").starts_with("attendees:"));
        f = form("9 o'clock", "10:00");
        assert!(f.request().expect_err("bad").starts_with("start:"));
        f = form("09:00", "10:00");
        f.room = "nope".into();
        assert!(f.request().expect_err("bad").starts_with("room:"));
    }

    #[test]
    fn repeats_become_rrules() {
        let mut f = form("09:00", "10:00");
        assert_eq!(f.rrule(), Ok(None));
        f.repeat = "weekdays".into();
        f.count = "5".into();
        assert_eq!(
            f.rrule(),
            Ok(Some("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;COUNT=5".into()))
        );
        f.repeat = "weekly".into();
        f.until = "2027-02-10".into();
        // The end of that day in Berlin, in UTC as RFC 5545 wants with TZID starts.
        assert_eq!(
            f.rrule(),
            Ok(Some("FREQ=WEEKLY;UNTIL=20270210T225959Z".into()))
        );
        f.until.clear();
        f.count = "1".into();
        assert!(
            f.rrule()
                .expect_err("one is not a series")
                .starts_with("count:")
        );
        f.repeat = "hourly".into();
        assert!(f.rrule().expect_err("not offered").starts_with("repeat:"));
    }

    #[test]
    fn order_lines_need_a_kind_and_whole_quantities() {
        let mut f = form("09:00", "10:00");
        assert_eq!(f.order(), Ok(None));
        f.item1 = "Coffee".into();
        f.qty1 = "12".into();
        assert!(f.order().expect_err("no kind").starts_with("order kind:"));
        f.order_kind = "catering".into();
        let o = f.order().expect("order").expect("some");
        assert_eq!(
            (o.items[0].name.as_str(), o.items[0].quantity),
            ("Coffee", 12)
        );
        f.qty1 = "0".into();
        assert!(f.order().expect_err("zero").starts_with("quantity 1:"));
    }
}

//! Moving from another system: rooms from a CSV file, bookings from an
//! iCalendar export. A dry run reports, line by line, what would be made and
//! which rule would refuse what (bookings in the file that overlap each other
//! included) and writes nothing; the real run makes each line through the
//! service, so every rule applies and every booking is audited, and one
//! refused line does not stop the others. Super admins only.

use std::collections::{BTreeSet, HashMap};

use booking_calendar::itip::{CalendarEvent, parse_events};
use booking_core::{
    Actor, BookingRequest, CoreError, InputError, Role, RoomCategory, RoomId, RoomListing,
    RoomPolicy, RoomSpec, SeriesRequest,
};
use chrono::{DateTime, Duration, Utc};

use crate::state::AppState;

/// What became of one line (a CSV row, or a calendar event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Made (real run).
    Created,
    /// Would be made (dry run).
    Ok,
    /// A rule or a field refused it.
    Refused,
    /// Left out on purpose (in the past, a changed occurrence).
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Ok => "ok",
            Self::Refused => "refused",
            Self::Skipped => "skipped",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Line {
    /// CSV row number (the header is 1), or the event's position (1-based).
    pub line: usize,
    /// The room's name, or the event's title and UID.
    pub item: String,
    pub outcome: Outcome,
    pub field: Option<String>,
    /// The refusing rule's name, if a rule refused it.
    pub rule: Option<String>,
    pub detail: String,
    /// What was made (room, booking or series id).
    pub id: Option<String>,
}

/// The whole report.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub dry_run: bool,
    pub lines: Vec<Line>,
}

impl Report {
    pub fn count(&self, o: Outcome) -> usize {
        self.lines.iter().filter(|l| l.outcome == o).count()
    }

    fn refused(&mut self, line: usize, item: String, err: CoreError) {
        let (field, rule) = match &err {
            CoreError::Input(i) => (Some(i.field().to_string()), None),
            CoreError::Rule(v) => (None, Some(v.rule().to_string())),
            _ => (None, None),
        };
        let detail = crate::error::ApiError::from(err).detail().to_string();
        self.lines.push(Line {
            line,
            item,
            outcome: Outcome::Refused,
            field,
            rule,
            detail,
            id: None,
        });
    }

    fn done(&mut self, line: usize, item: String, detail: String, id: Option<String>) {
        let outcome = if self.dry_run {
            Outcome::Ok
        } else {
            Outcome::Created
        };
        self.lines.push(Line {
            line,
            item,
            outcome,
            field: None,
            rule: None,
            detail,
            id,
        });
    }

    fn skipped(&mut self, line: usize, item: String, detail: &str) {
        self.lines.push(Line {
            line,
            item,
            outcome: Outcome::Skipped,
            field: None,
            rule: None,
            detail: detail.into(),
            id: None,
        });
    }
}

fn super_admin(actor: &Actor) -> Result<(), CoreError> {
    if actor.role == Role::SuperAdmin {
        Ok(())
    } else {
        Err(CoreError::RoleDenied {
            role: actor.role,
            action: "import rooms and bookings",
        })
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> CoreError {
    InputError::Invalid {
        field,
        reason: reason.into(),
    }
    .into()
}

/// The columns a room file has (a header row names them, in any order).
pub const ROOM_COLUMNS: &[&str] = &[
    "name",
    "category",
    "capacity",
    "floor",
    "location",
    "amenities",
    "time_zone",
    "approval_required",
];

fn room_spec(row: &HashMap<String, String>) -> Result<RoomSpec, CoreError> {
    let get = |k: &str| row.get(k).map(|v| v.trim()).unwrap_or_default();
    let category: RoomCategory = match get("category") {
        "" => RoomCategory::Meeting,
        c => c.to_ascii_lowercase().parse().map_err(|_| {
            invalid(
                "category",
                format!("{c:?}: meeting, conference, boardroom, training, auditorium or other"),
            )
        })?,
    };
    let capacity = get("capacity")
        .parse()
        .map_err(|_| invalid("capacity", "a whole number of seats"))?;
    let floor = match get("floor") {
        "" => None,
        f => Some(
            f.parse()
                .map_err(|_| invalid("floor", "a whole number, or empty"))?,
        ),
    };
    let approval_required = match get("approval_required").to_ascii_lowercase().as_str() {
        "" | "no" | "false" | "0" => false,
        "yes" | "true" | "1" => true,
        other => {
            return Err(invalid(
                "approval_required",
                format!("{other:?}: yes or no"),
            ));
        }
    };
    Ok(RoomSpec {
        name: get("name").to_string(),
        category,
        capacity,
        floor,
        location: get("location").to_string(),
        amenities: get("amenities")
            .split(';')
            .map(|a| a.trim().to_ascii_lowercase())
            .filter(|a| !a.is_empty())
            .collect::<BTreeSet<_>>(),
        time_zone: get("time_zone").to_string(),
        active: true,
        policy: RoomPolicy {
            approval_required,
            ..RoomPolicy::default()
        },
    })
}

/// Import rooms from CSV text (a header row, then one room a row).
pub async fn rooms(
    state: &AppState,
    actor: &Actor,
    text: &str,
    dry_run: bool,
) -> Result<Report, CoreError> {
    super_admin(actor)?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| invalid("csv", format!("the header row cannot be read: {e}")))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    for need in ["name", "capacity", "time_zone"] {
        if !headers.iter().any(|h| h == need) {
            return Err(invalid(
                "csv",
                format!(
                    "the header row needs a {need:?} column (columns: {})",
                    ROOM_COLUMNS.join(", ")
                ),
            ));
        }
    }
    let mut report = Report {
        dry_run,
        lines: Vec::new(),
    };
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                report.refused(line, String::new(), invalid("csv", e.to_string()));
                continue;
            }
        };
        let row: HashMap<String, String> = headers
            .iter()
            .cloned()
            .zip(record.iter().map(str::to_string))
            .collect();
        let name = row.get("name").cloned().unwrap_or_default();
        let checked =
            room_spec(&row).and_then(|spec| spec.validate().map(|_| spec).map_err(Into::into));
        match (checked, dry_run) {
            (Err(e), _) => report.refused(line, name, e),
            (Ok(_), true) => report.done(line, name, "would be created".into(), None),
            (Ok(spec), false) => match state.svc.create_room(actor, spec).await {
                Ok(room) => report.done(line, name, "created".into(), Some(room.id.to_string())),
                Err(e) => report.refused(line, name, e),
            },
        }
    }
    if !dry_run {
        audit(state, actor, "import.rooms", &report).await?;
    }
    Ok(report)
}

async fn audit(
    state: &AppState,
    actor: &Actor,
    action: &str,
    report: &Report,
) -> Result<(), CoreError> {
    state
        .svc
        .audit(
            Some(actor),
            action,
            "import",
            None,
            None,
            Some(serde_json::json!({
                "created": report.count(Outcome::Created),
                "refused": report.count(Outcome::Refused),
                "skipped": report.count(Outcome::Skipped),
            })),
        )
        .await
}

/// Import bookings from an iCalendar export. Each event's room is the one
/// its LOCATION names (or `default_room`); its organizer the account of
/// its ORGANIZER's address (or the importer). Recurring events become
/// series; changed occurrences and past events are skipped.
pub async fn bookings(
    state: &AppState,
    actor: &Actor,
    text: &str,
    dry_run: bool,
    default_room: Option<RoomId>,
) -> Result<Report, CoreError> {
    super_admin(actor)?;
    let events = parse_events(text)
        .map_err(|e| invalid("calendar", format!("not an iCalendar file: {e}")))?;
    let rooms = state.svc.list_rooms(RoomListing::Current).await?;
    let mut report = Report {
        dry_run,
        lines: Vec::new(),
    };
    // Intervals this file already takes, per room (dry run: they clash too).
    let mut taken = Taken::new();
    let now = state.svc.now();
    for (i, ev) in events.into_iter().enumerate() {
        let line = i + 1;
        let ev = match ev {
            Ok(ev) => ev,
            Err(e) => {
                report.refused(line, String::new(), invalid("calendar", e.to_string()));
                continue;
            }
        };
        let item = format!("{} ({})", ev.summary, ev.uid);
        if ev.recurrence_id.is_some() {
            report.skipped(
                line,
                item,
                "a changed occurrence of a recurring event: change it after the import",
            );
            continue;
        }
        if ev.rrule.is_none() && ev.end <= now {
            report.skipped(line, item, "in the past");
            continue;
        }
        let location = ev.location.trim();
        let room = rooms
            .iter()
            .find(|r| !location.is_empty() && r.name.eq_ignore_ascii_case(location))
            .or_else(|| default_room.and_then(|d| rooms.iter().find(|r| r.id == d)));
        let Some(room) = room else {
            report.refused(
                line,
                item,
                invalid("location", format!("no room is named {location:?}; name one, or choose a room for events without")),
            );
            continue;
        };
        let organizer = match state.store.get_user_by_email(&ev.organizer.email).await? {
            Some(u) if u.active && !ev.organizer.email.is_empty() => Actor::from(u),
            _ => actor.clone(),
        };
        let result = match &ev.rrule {
            None => one(state, &organizer, room.id, &ev, dry_run, &mut taken).await,
            Some(rule) => series(state, &organizer, room, &ev, rule, dry_run).await,
        };
        match result {
            Ok((detail, id)) => report.done(line, item, detail, id),
            Err(e) => report.refused(line, item, e),
        }
    }
    if !dry_run {
        audit(state, actor, "import.bookings", &report).await?;
    }
    Ok(report)
}

/// What the events read so far take, per room: start, end and UID.
type Taken = HashMap<RoomId, Vec<(DateTime<Utc>, DateTime<Utc>, String)>>;

fn request(room: RoomId, ev: &CalendarEvent) -> BookingRequest {
    let people = ev
        .attendees
        .iter()
        .filter(|a| a.cutype.is_empty() || a.cutype == "INDIVIDUAL")
        .count();
    BookingRequest {
        room_id: room,
        title: if ev.summary.trim().is_empty() {
            "Imported booking".into()
        } else {
            ev.summary.trim().chars().take(200).collect()
        },
        purpose: ev.description.chars().take(2000).collect(),
        attendees: u32::try_from(people.max(1)).unwrap_or(1),
        start: ev.start,
        end: ev.end,
    }
}

async fn one(
    state: &AppState,
    organizer: &Actor,
    room: RoomId,
    ev: &CalendarEvent,
    dry_run: bool,
    taken: &mut Taken,
) -> Result<(String, Option<String>), CoreError> {
    let req = request(room, ev);
    if !dry_run {
        let b = state.svc.book(organizer, req).await?;
        return Ok((
            format!("booked for {}", organizer.email),
            Some(b.id.to_string()),
        ));
    }
    state.svc.check_booking(organizer, &req).await?;
    let mine = taken.entry(room).or_default();
    if let Some((_, _, other)) = mine
        .iter()
        .find(|(s, e, _)| booking_core::rules::overlaps(*s, *e, req.start, req.end))
    {
        return Err(invalid(
            "start",
            format!("overlaps {other} earlier in this file"),
        ));
    }
    mine.push((req.start, req.end, ev.uid.clone()));
    Ok((format!("would be booked for {}", organizer.email), None))
}

async fn series(
    state: &AppState,
    organizer: &Actor,
    room: &booking_core::Room,
    ev: &CalendarEvent,
    rule: &str,
    dry_run: bool,
) -> Result<(String, Option<String>), CoreError> {
    let minutes = u32::try_from((ev.end - ev.start).num_minutes())
        .ok()
        .filter(|m| *m > 0)
        .ok_or_else(|| invalid("end", "a recurring event needs a length"))?;
    let req = request(room.id, ev);
    let local_start = ev.start.with_timezone(&room.time_zone).naive_local();
    if dry_run {
        let now = state.svc.now();
        let window_end = now + Duration::days(i64::from(room.policy.booking_window_days));
        let expansion = booking_core::recurrence::expand(
            rule,
            room.time_zone,
            local_start,
            minutes,
            now,
            window_end,
        )?;
        let total = expansion.occurrences.len();
        let mut refused = 0;
        for o in &expansion.occurrences {
            let one = BookingRequest {
                start: o.start,
                end: o.end,
                ..req.clone()
            };
            if state.svc.check_booking(organizer, &one).await.is_err() {
                refused += 1;
            }
        }
        return Ok((
            format!(
                "a series: {} of {total} dates can be booked now",
                total - refused
            ),
            None,
        ));
    }
    let outcome = state
        .svc
        .book_series(
            organizer,
            SeriesRequest {
                room_id: room.id,
                title: req.title,
                purpose: req.purpose,
                attendees: req.attendees,
                local_start,
                duration_minutes: minutes,
                rrule: rule.to_string(),
            },
        )
        .await?;
    Ok((
        format!(
            "a series: {} dates booked, {} skipped",
            outcome.booked.len(),
            outcome.skipped.len()
        ),
        Some(outcome.series.id.to_string()),
    ))
}

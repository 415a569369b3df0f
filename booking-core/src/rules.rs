//! Booking rules as pure functions. No I/O and no clock reads: `now` is passed in.
//!
//! Intervals are half-open `[start, end)`: 10:00–11:00 and 11:00–12:00 do not
//! conflict. Buffers widen the interval a booking *holds* the room:
//! `[start - buffer_before, end + buffer_after)`; two bookings conflict when
//! their held intervals overlap.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::Serialize;
use thiserror::Error;

use crate::domain::{
    Booking, BookingId, BookingStatus, DayHours, Occupancy, Role, Room, RoomId, RoomPolicy, User,
};

/// A broken booking rule, naming the rule and the offending values.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum RuleViolation {
    #[error("end ({end}) must be after start ({start})")]
    /// The end is not after the start.
    EndNotAfterStart {
        /// When it starts (UTC).
        start: DateTime<Utc>,
        /// When it ends (UTC).
        end: DateTime<Utc>,
    },
    #[error("start ({start}) is in the past (now is {now})")]
    /// The booking starts in the past.
    InThePast {
        /// When it would start.
        start: DateTime<Utc>,
        /// Now.
        now: DateTime<Utc>,
    },
    #[error(
        "start ({start}) is beyond the booking window of {window_days} days (latest start {latest})"
    )]
    /// Too far ahead for the room.
    OutsideBookingWindow {
        /// When it would start.
        start: DateTime<Utc>,
        /// The latest start allowed now.
        latest: DateTime<Utc>,
        /// How many days ahead the room can be booked.
        window_days: u32,
    },
    #[error("duration of {minutes} minutes is below the minimum of {min_minutes} minutes")]
    /// Shorter than the room allows.
    TooShort {
        /// Its length.
        minutes: i64,
        /// The shortest allowed.
        min_minutes: u32,
    },
    #[error("duration of {minutes} minutes exceeds the maximum of {max_minutes} minutes")]
    /// Longer than the room allows.
    TooLong {
        /// Its length.
        minutes: i64,
        /// The longest allowed.
        max_minutes: u32,
    },
    #[error("{local_start} to {local_end} ({time_zone}) is outside business hours ({hours})")]
    /// Outside the room's business hours.
    OutsideBusinessHours {
        /// Local start.
        local_start: NaiveDateTime,
        /// Local end.
        local_end: NaiveDateTime,
        /// The room's time zone.
        time_zone: String,
        /// "08:00-18:00" or "closed on Sat".
        hours: String,
    },
    #[error("{attendees} attendees exceed the room capacity of {capacity}")]
    /// More attendees than seats.
    OverCapacity {
        /// Attendees asked for.
        attendees: u32,
        /// Seats.
        capacity: u32,
    },
    #[error("at least one attendee is required")]
    /// A booking needs at least one attendee.
    NoAttendees,
    #[error("room {room_id} is not active")]
    /// The room does not take bookings.
    RoomInactive {
        /// The room.
        room_id: RoomId,
    },
    #[error(
        "the room is already booked from {start} to {end} (booking {booking_id}, buffers included)"
    )]
    /// Another booking holds the room then.
    Conflict {
        /// The booking in the way.
        booking_id: BookingId,
        /// Its held start.
        start: DateTime<Utc>,
        /// Its held end.
        end: DateTime<Utc>,
    },
    /// Several rooms booked together, some of them taken: every one named.
    #[error("{} of the rooms are already booked then: {}", taken.len(), taken_list(taken))]
    RoomsTaken {
        /// The rooms taken, with what holds them.
        taken: Vec<TakenRoom>,
    },
    #[error("you already have {active} active bookings in this room (limit {max})")]
    /// The person holds as many open bookings in the room as it allows.
    UserLimitReached {
        /// Open bookings they hold.
        active: u32,
        /// The room's limit.
        max: u32,
    },
    #[error("role {role} may not book this room")]
    /// The room does not take bookings from this role.
    RoleNotAllowed {
        /// The role.
        role: Role,
    },
    #[error("{scope} quota per {period} reached: {detail}")]
    /// A booking quota would be exceeded.
    QuotaExceeded {
        /// "room" or "global".
        scope: String,
        /// The quota's period.
        period: crate::domain::QuotaPeriod,
        /// Which quota, and by how much.
        detail: String,
    },
    #[error("the room is closed from {start} to {end}: {reason}")]
    /// The room is closed then.
    Closed {
        /// Why it is closed.
        reason: String,
        /// Start of the closure (UTC).
        start: DateTime<Utc>,
        /// End of the closure (UTC).
        end: DateTime<Utc>,
    },
    #[error("check-in for this booking is open from {opens} to {closes}")]
    /// Check-in is not open now.
    CheckInClosed {
        /// When check-in opens.
        opens: DateTime<Utc>,
        /// When check-in closes.
        closes: DateTime<Utc>,
    },
}

impl RuleViolation {
    /// The machine-readable rule name.
    pub fn rule(&self) -> &'static str {
        match self {
            RuleViolation::EndNotAfterStart { .. } => "end_after_start",
            RuleViolation::InThePast { .. } => "not_in_past",
            RuleViolation::OutsideBookingWindow { .. } => "booking_window",
            RuleViolation::TooShort { .. } => "min_duration",
            RuleViolation::TooLong { .. } => "max_duration",
            RuleViolation::OutsideBusinessHours { .. } => "business_hours",
            RuleViolation::OverCapacity { .. } => "capacity",
            RuleViolation::NoAttendees => "attendees",
            RuleViolation::RoomInactive { .. } => "room_active",
            RuleViolation::Conflict { .. } | RuleViolation::RoomsTaken { .. } => "no_overlap",
            RuleViolation::UserLimitReached { .. } => "user_limit",
            RuleViolation::RoleNotAllowed { .. } => "role_allowed",
            RuleViolation::QuotaExceeded { .. } => "quota",
            RuleViolation::CheckInClosed { .. } => "check_in_window",
            RuleViolation::Closed { .. } => "closed",
        }
    }
}

/// A room of several booked together that is taken: the booking in the way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TakenRoom {
    /// The room.
    pub room_id: RoomId,
    /// Its name.
    pub room_name: String,
    /// The booking that holds it.
    pub booking_id: BookingId,
    /// Its held start.
    pub start: DateTime<Utc>,
    /// Its held end.
    pub end: DateTime<Utc>,
}

fn taken_list(taken: &[TakenRoom]) -> String {
    taken
        .iter()
        .map(|t| {
            format!(
                "{} from {} to {} (booking {})",
                t.room_name, t.start, t.end, t.booking_id
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The rules for several rooms booked together, all or none: each room's
/// per-user limit and overlaps against its snapshot (`checks`: the room,
/// the occupancies near the request, the user's active bookings there).
/// Every taken room is named in one answer.
pub fn check_rooms_together(
    checks: &[(&Room, &[Occupancy], u32)],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<(), RuleViolation> {
    let mut taken = Vec::new();
    for (room, existing, active) in checks {
        match check_against_existing(&room.policy, start, end, existing, *active, None) {
            Ok(()) => {}
            Err(RuleViolation::Conflict {
                booking_id,
                start,
                end,
            }) => taken.push(TakenRoom {
                room_id: room.id,
                room_name: room.name.clone(),
                booking_id,
                start,
                end,
            }),
            Err(other) => return Err(other),
        }
    }
    if taken.is_empty() {
        Ok(())
    } else {
        Err(RuleViolation::RoomsTaken { taken })
    }
}

/// The interval a booking of `[start, end)` holds the room, buffers included.
pub fn held_interval(
    policy: &RoomPolicy,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        start - Duration::minutes(i64::from(policy.buffer_before_minutes)),
        end + Duration::minutes(i64::from(policy.buffer_after_minutes)),
    )
}

/// Half-open overlap test.
pub fn overlaps<T: PartialOrd>(a_start: T, a_end: T, b_start: T, b_end: T) -> bool {
    a_start < b_end && b_start < a_end
}

/// First occupancy in `existing` that overlaps `[start, end)`, skipping `ignore`.
pub fn find_conflict(
    existing: &[Occupancy],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    ignore: Option<BookingId>,
) -> Option<&Occupancy> {
    existing
        .iter()
        .filter(|o| Some(o.booking_id) != ignore)
        .find(|o| overlaps(o.start, o.end, start, end))
}

/// Sorted occupancies of one room with O(log n) conflict checks.
///
/// Relies on the invariant the store guarantees: blocking occupancies of one
/// room never overlap each other, so sorting by start also sorts by end.
#[derive(Debug, Default, Clone)]
pub struct ConflictIndex {
    sorted: Vec<Occupancy>,
}

impl ConflictIndex {
    /// Build from non-overlapping occupancies in any order.
    pub fn new(mut occupancies: Vec<Occupancy>) -> Self {
        occupancies.sort_by_key(|o| o.start);
        Self {
            sorted: occupancies,
        }
    }

    /// How many occupancies.
    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    /// The occupancy overlapping `[start, end)`, if any.
    pub fn conflict(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Option<&Occupancy> {
        // Everything at or after `idx` starts at or after `end`: no overlap.
        let idx = self.sorted.partition_point(|o| o.start < end);
        // The latest one starting before `end` has the greatest end of all of them.
        let candidate = self.sorted[..idx].last()?;
        (candidate.end > start).then_some(candidate)
    }

    /// Insert if free; returns the conflicting occupancy otherwise.
    pub fn try_insert(&mut self, occ: Occupancy) -> Result<(), Occupancy> {
        if let Some(c) = self.conflict(occ.start, occ.end) {
            return Err(*c);
        }
        let idx = self.sorted.partition_point(|o| o.start < occ.start);
        self.sorted.insert(idx, occ);
        Ok(())
    }

    /// The occupancies, by start.
    pub fn iter(&self) -> impl Iterator<Item = &Occupancy> {
        self.sorted.iter()
    }
}

/// Everything the rules need to judge one booking request.
#[derive(Debug, Clone, Copy)]
pub struct RuleInput<'a> {
    /// The room.
    pub room: &'a Room,
    /// Who books.
    pub actor: &'a User,
    /// Start (UTC).
    pub start: DateTime<Utc>,
    /// End (UTC).
    pub end: DateTime<Utc>,
    /// Attendees.
    pub attendees: u32,
    /// Now.
    pub now: DateTime<Utc>,
}

/// Rules that need no knowledge of other bookings, in the order users expect
/// to hear about them.
pub fn check_static(input: &RuleInput<'_>) -> Result<(), RuleViolation> {
    let RuleInput {
        room,
        actor,
        start,
        end,
        attendees,
        now,
    } = *input;
    let policy = &room.policy;
    if end <= start {
        return Err(RuleViolation::EndNotAfterStart { start, end });
    }
    if !room.is_bookable() {
        return Err(RuleViolation::RoomInactive { room_id: room.id });
    }
    if !policy.allowed_roles.contains(&actor.role) {
        return Err(RuleViolation::RoleNotAllowed { role: actor.role });
    }
    if start < now {
        return Err(RuleViolation::InThePast { start, now });
    }
    let latest = now + Duration::days(i64::from(policy.booking_window_days));
    if start > latest {
        return Err(RuleViolation::OutsideBookingWindow {
            start,
            latest,
            window_days: policy.booking_window_days,
        });
    }
    let minutes = (end - start).num_minutes();
    if minutes < i64::from(policy.min_duration_minutes) {
        return Err(RuleViolation::TooShort {
            minutes,
            min_minutes: policy.min_duration_minutes,
        });
    }
    if minutes > i64::from(policy.max_duration_minutes) {
        return Err(RuleViolation::TooLong {
            minutes,
            max_minutes: policy.max_duration_minutes,
        });
    }
    check_business_hours(policy, room.time_zone, start, end)?;
    if attendees == 0 {
        return Err(RuleViolation::NoAttendees);
    }
    if attendees > room.capacity {
        return Err(RuleViolation::OverCapacity {
            attendees,
            capacity: room.capacity,
        });
    }
    Ok(())
}

/// Rules that depend on other bookings: the per-user limit and overlaps.
/// `existing` holds blocking occupancies of the room near the request;
/// `ignore` is the booking being changed, if any.
pub fn check_against_existing(
    policy: &RoomPolicy,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    existing: &[Occupancy],
    user_active_bookings: u32,
    ignore: Option<BookingId>,
) -> Result<(), RuleViolation> {
    if let Some(max) = policy.max_active_bookings_per_user
        && ignore.is_none()
        && user_active_bookings >= max
    {
        return Err(RuleViolation::UserLimitReached {
            active: user_active_bookings,
            max,
        });
    }
    let (held_start, held_end) = held_interval(policy, start, end);
    if let Some(c) = find_conflict(existing, held_start, held_end, ignore) {
        return Err(RuleViolation::Conflict {
            booking_id: c.booking_id,
            start: c.start,
            end: c.end,
        });
    }
    Ok(())
}

/// The local opening window of `date` in UTC, if the room is open that day.
pub fn business_window(
    policy: &RoomPolicy,
    tz: Tz,
    date: NaiveDate,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let hours = policy.business_hours.for_weekday(date.weekday())?;
    let open = local_to_utc(tz, date.and_time(hours.open))?;
    let close = if hours.closes_at_midnight() {
        local_to_utc(tz, date.succ_opt()?.and_time(chrono::NaiveTime::MIN))?
    } else {
        local_to_utc(tz, date.and_time(hours.close))?
    };
    Some((open, close))
}

/// How far opening hours that close at `close` on `date` run on without a
/// gap: through following days that open exactly when the previous closed,
/// as far as `until` needs (bounded: bookings are far shorter than a month).
fn continuous_close(
    policy: &RoomPolicy,
    tz: Tz,
    date: NaiveDate,
    mut close: DateTime<Utc>,
    until: DateTime<Utc>,
) -> DateTime<Utc> {
    let mut day = date;
    for _ in 0..31 {
        if until <= close {
            break;
        }
        let Some(next) = day.succ_opt() else { break };
        match business_window(policy, tz, next) {
            Some((open, c)) if open == close => {
                close = c;
                day = next;
            }
            _ => break,
        }
    }
    close
}

/// Resolve a local wall-clock time to UTC. In a DST gap the time does not
/// exist (returns `None`); in a fold the earlier instant is taken.
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

fn describe_hours(day: Weekday, hours: Option<DayHours>) -> String {
    match hours {
        None => format!("closed on {day}"),
        Some(h) if h.closes_at_midnight() => format!("{}-24:00", h.open.format("%H:%M")),
        Some(h) => format!("{}-{}", h.open.format("%H:%M"), h.close.format("%H:%M")),
    }
}

/// The booking must lie inside the opening hours of its local start day.
/// Where a day is open until midnight and the next one opens at midnight (a
/// room open around the clock, a night shift), the hours run on: a booking
/// may cross midnight there.
pub fn check_business_hours(
    policy: &RoomPolicy,
    tz: Tz,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<(), RuleViolation> {
    let local_start = start.with_timezone(&tz).naive_local();
    let local_end = end.with_timezone(&tz).naive_local();
    let date = local_start.date();
    let inside = business_window(policy, tz, date).is_some_and(|(open, close)| {
        start >= open && end <= continuous_close(policy, tz, date, close, end)
    });
    if inside {
        return Ok(());
    }
    let day = date.weekday();
    Err(RuleViolation::OutsideBusinessHours {
        local_start,
        local_end,
        time_zone: tz.name().to_string(),
        hours: describe_hours(day, policy.business_hours.for_weekday(day)),
    })
}

/// Status a new booking starts in.
pub fn initial_status(policy: &RoomPolicy) -> BookingStatus {
    if policy.approval_required {
        BookingStatus::Pending
    } else {
        BookingStatus::Approved
    }
}

/// Whether a status change is allowed by the workflow.
pub fn transition_allowed(from: BookingStatus, to: BookingStatus) -> bool {
    use BookingStatus::*;
    matches!(
        (from, to),
        (Pending, Approved) | (Pending, Rejected) | (Pending, Cancelled) | (Approved, Cancelled)
    )
}

/// Only super_admin, or a room_admin assigned to the room, may approve or reject.
pub fn can_decide(actor: &User, room: RoomId) -> bool {
    actor.manages_room(room)
}

/// Organizers may cancel their own bookings; approvers of the room may cancel any.
pub fn can_cancel(actor: &User, organizer: crate::domain::UserId, room: RoomId) -> bool {
    actor.id == organizer || actor.manages_room(room)
}

/// May `viewer` see what a booking is about (title, purpose, people)? Its
/// organizer, approvers of its room and procurement officers may.
pub fn may_see_details(viewer: &User, b: &Booking) -> bool {
    may_see_bookings_of(viewer, b.organizer_id, b.room_id)
}

/// The same for everything of `organizer` in `room` (a series, say).
pub fn may_see_bookings_of(viewer: &User, organizer: crate::domain::UserId, room: RoomId) -> bool {
    viewer.id == organizer
        || viewer.manages_room(room)
        || viewer.role == crate::domain::Role::ProcurementOfficer
}

/// The title of `b` as `viewer` may see it: the title, or "Busy" where the
/// room's policy hides details from those who may not see them.
pub fn visible_title<'a>(viewer: &User, room: &Room, b: &'a Booking) -> &'a str {
    if room.policy.feed_hides_details && !may_see_details(viewer, b) {
        "Busy"
    } else {
        &b.title
    }
}

/// What `viewer` may know of `b` in `room`: all of it, or a busy block —
/// times and status, the title as the room's feeds show it ("Busy" where
/// they hide details), no purpose, no organizer, approver or reason.
pub fn as_seen_by(viewer: &User, room: &Room, b: Booking) -> Booking {
    if may_see_details(viewer, &b) {
        return b;
    }
    Booking {
        title: visible_title(viewer, room, &b).to_string(),
        purpose: String::new(),
        organizer_id: crate::domain::UserId(uuid::Uuid::nil()),
        approver_id: None,
        decision_reason: None,
        ..b
    }
}

#[cfg(test)]
mod tests;

//! Domain types: rooms, policies, users, bookings. Plain data, no I/O.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;

use crate::email::Email;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::enums::string_enum;
use crate::input::InputError;

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh random identifier.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

id_type!(
    /// Identifies a room.
    RoomId
);
id_type!(
    /// Identifies a booking (one occurrence).
    BookingId
);
id_type!(
    /// Identifies a user account.
    UserId
);
id_type!(
    /// Identifies a recurring series of bookings.
    SeriesId
);
id_type!(
    /// Identifies a waitlist entry.
    WaitlistId
);
id_type!(
    /// Identifies a procurement order.
    OrderId
);
id_type!(
    /// Identifies a closure (a period when rooms are closed).
    ClosureId
);

string_enum!(
    /// What kind of room this is.
    RoomCategory {
        Conference => "conference",
        Meeting => "meeting",
        Boardroom => "boardroom",
        Training => "training",
        Auditorium => "auditorium",
    }
);

string_enum!(
    /// A user's role. `RoomAdmin` acts only on the rooms assigned to them.
    Role {
        User => "user",
        RoomAdmin => "room_admin",
        ProcurementOfficer => "procurement_officer",
        SuperAdmin => "super_admin",
    }
);

string_enum!(
    /// Lifecycle of a booking. Pending and approved bookings hold the room.
    BookingStatus {
        Pending => "pending",
        Approved => "approved",
        Rejected => "rejected",
        Cancelled => "cancelled",
    }
);

impl BookingStatus {
    /// Whether a booking in this status keeps others out of the room.
    pub fn is_blocking(self) -> bool {
        matches!(self, BookingStatus::Pending | BookingStatus::Approved)
    }
}

/// Parse an IANA time zone name ("Europe/Berlin").
pub fn parse_time_zone(name: &str) -> Result<Tz, InputError> {
    name.parse::<Tz>()
        .map_err(|_| InputError::UnknownTimeZone(name.to_string()))
}

/// A meeting room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Room {
    /// Its identifier.
    pub id: RoomId,
    /// Its name (unique among current rooms).
    pub name: String,
    /// What kind of room.
    pub category: RoomCategory,
    /// Seats.
    pub capacity: u32,
    /// Floor number, if the building has floors.
    pub floor: Option<i32>,
    /// Building or site.
    pub location: String,
    /// Equipment it has (e.g. "projector").
    pub amenities: BTreeSet<String>,
    /// IANA time zone its local times are in.
    pub time_zone: Tz,
    /// Whether it can be booked (an inactive room is kept but refuses bookings).
    pub active: bool,
    /// When it was soft-deleted, if it was.
    pub deleted_at: Option<DateTime<Utc>>,
    /// Its booking rules.
    pub policy: RoomPolicy,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Room {
    /// Whether the room has every amenity in `wanted` (case-insensitive).
    pub fn has_amenities<'a>(&self, wanted: impl IntoIterator<Item = &'a String>) -> bool {
        wanted.into_iter().all(|w| {
            self.amenities
                .iter()
                .any(|a| a.eq_ignore_ascii_case(w.trim()))
        })
    }

    /// Whether the room can be booked at all (active and not deleted).
    pub fn is_bookable(&self) -> bool {
        self.active && self.deleted_at.is_none()
    }
}

/// Input for creating or replacing a room's descriptive fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomSpec {
    /// Its name.
    pub name: String,
    /// What kind of room.
    pub category: RoomCategory,
    /// Seats.
    pub capacity: u32,
    /// Floor number, if the building has floors.
    pub floor: Option<i32>,
    /// Building or site.
    pub location: String,
    /// Equipment it has (e.g. "projector").
    pub amenities: BTreeSet<String>,
    /// IANA zone name, e.g. "Europe/Berlin".
    pub time_zone: String,
    /// Whether it can be booked.
    pub active: bool,
    /// Booking rules of the room.
    pub policy: RoomPolicy,
}

/// The spec that would make `r` as it is now (to change a few fields of it).
impl From<&Room> for RoomSpec {
    fn from(r: &Room) -> Self {
        Self {
            name: r.name.clone(),
            category: r.category,
            capacity: r.capacity,
            floor: r.floor,
            location: r.location.clone(),
            amenities: r.amenities.clone(),
            time_zone: r.time_zone.name().to_string(),
            active: r.active,
            policy: r.policy.clone(),
        }
    }
}

pub use crate::input::refuse_control_characters;

impl RoomSpec {
    /// Check the fields and resolve the time zone.
    pub fn validate(&self) -> Result<Tz, InputError> {
        if self.name.trim().is_empty() {
            return Err(InputError::Empty("name"));
        }
        refuse_control_characters("name", &self.name)?;
        refuse_control_characters("location", &self.location)?;
        for a in &self.amenities {
            refuse_control_characters("amenities", a)?;
        }
        if self.name.chars().count() > 200 {
            return Err(InputError::TooLong {
                field: "name",
                max: 200,
            });
        }
        if self.capacity == 0 {
            return Err(InputError::ZeroCapacity);
        }
        self.policy.validate()?;
        parse_time_zone(&self.time_zone)
    }
}

/// Opening hours of one weekday in the room's local time. `close` of 00:00
/// means midnight at the end of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayHours {
    /// Opening time (local).
    pub open: NaiveTime,
    /// Closing time (local); 00:00 means midnight at the end of the day.
    pub close: NaiveTime,
}

impl DayHours {
    /// Hours from `open` to `close`.
    pub fn new(open: NaiveTime, close: NaiveTime) -> Self {
        Self { open, close }
    }

    /// Whether `close` means the end of the day (24:00).
    pub fn closes_at_midnight(&self) -> bool {
        self.close == NaiveTime::MIN
    }
}

/// Business hours for each weekday, Monday first. `None` = closed that day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessHours(pub [Option<DayHours>; 7]);

impl BusinessHours {
    /// The same hours Monday to Friday, closed at the weekend.
    pub fn weekdays(open: NaiveTime, close: NaiveTime) -> Self {
        let d = Some(DayHours::new(open, close));
        Self([d, d, d, d, d, None, None])
    }

    /// Open around the clock, every day.
    pub fn always() -> Self {
        Self([Some(DayHours::new(NaiveTime::MIN, NaiveTime::MIN)); 7])
    }

    /// The hours of a weekday, or `None` when closed that day.
    pub fn for_weekday(&self, day: Weekday) -> Option<DayHours> {
        self.0[day.num_days_from_monday() as usize]
    }
}

/// Longest booking any policy may allow (7 days).
pub const MAX_BOOKING_MINUTES: u32 = 7 * 24 * 60;
/// Longest buffer on either side of a booking (1 day).
pub const MAX_BUFFER_MINUTES: u32 = 24 * 60;
/// Upper bound of the interval any booking holds; stores use it to bound range scans.
pub const MAX_HELD_MINUTES: i64 = (MAX_BOOKING_MINUTES + 2 * MAX_BUFFER_MINUTES) as i64;

/// Check-in: the organizer (or anyone with the room's code) confirms the
/// meeting between `opens_minutes_before` start and `release_after_minutes`
/// after it; without check-in the booking is released as a no-show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInPolicy {
    /// How many minutes before the start check-in opens.
    pub opens_minutes_before: u32,
    /// Minutes after the start without a check-in before the room is released (0: never).
    pub release_after_minutes: u32,
    /// Code shown in the room for check-in by anyone present.
    pub room_code: Option<String>,
}

string_enum!(
    /// The period a quota counts over (in the room's time zone; weeks start Monday).
    QuotaPeriod {
        Day => "day",
        Week => "week",
        Month => "month",
    }
);

/// At most `max_bookings` bookings and/or `max_minutes` booked minutes per user
/// and period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    /// The period the quota counts over.
    pub period: QuotaPeriod,
    /// At most this many bookings in the period.
    pub max_bookings: Option<u32>,
    /// At most this many booked minutes in the period.
    pub max_minutes: Option<u32>,
}

/// The booking rules of one room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoomPolicy {
    /// How far ahead bookings may start, in days.
    pub booking_window_days: u32,
    /// Shortest booking, in minutes.
    pub min_duration_minutes: u32,
    /// Longest booking, in minutes.
    pub max_duration_minutes: u32,
    /// When the room can be booked (in its time zone).
    pub business_hours: BusinessHours,
    /// Time the room is held before each booking (set-up).
    pub buffer_before_minutes: u32,
    /// Time the room is held after each booking (clean-up).
    pub buffer_after_minutes: u32,
    /// `true`: bookings start pending until an approver decides.
    pub approval_required: bool,
    /// Upper bound on a user's pending + approved future bookings in this room.
    pub max_active_bookings_per_user: Option<u32>,
    /// Roles that may book this room.
    pub allowed_roles: BTreeSet<Role>,
    /// A recurring series is declined when more than this many occurrences
    /// cannot be booked...
    pub series_max_conflicts: u32,
    /// ...or when more than this percentage of them cannot.
    pub series_max_conflict_percent: u32,
    /// No-show protection; `None` = no check-in needed.
    pub check_in: Option<CheckInPolicy>,
    /// Per-user limits in this room.
    pub quotas: Vec<Quota>,
    /// The room's calendar feed may be read without a token.
    pub public_feed: bool,
    /// Feeds show "Busy" instead of titles and organizers.
    pub feed_hides_details: bool,
    /// People without an account may ask for the room on its public request
    /// form; their requests always wait for an approver.
    pub guest_requests: bool,
}

impl Default for RoomPolicy {
    fn default() -> Self {
        let h = |hh| NaiveTime::from_hms_opt(hh, 0, 0).unwrap_or(NaiveTime::MIN);
        Self {
            booking_window_days: 90,
            min_duration_minutes: 15,
            max_duration_minutes: 8 * 60,
            business_hours: BusinessHours::weekdays(h(7), h(20)),
            buffer_before_minutes: 0,
            buffer_after_minutes: 0,
            approval_required: false,
            max_active_bookings_per_user: None,
            allowed_roles: Role::ALL.iter().copied().collect(),
            series_max_conflicts: 5,
            series_max_conflict_percent: 10,
            check_in: None,
            quotas: Vec::new(),
            public_feed: false,
            feed_hides_details: false,
            guest_requests: false,
        }
    }
}

impl RoomPolicy {
    /// Check the policy is coherent (positive durations, min ≤ max, known hours).
    pub fn validate(&self) -> Result<(), InputError> {
        if self.booking_window_days == 0 {
            return Err(InputError::Invalid {
                field: "booking_window_days",
                reason: "must be at least 1".into(),
            });
        }
        if self.min_duration_minutes == 0 {
            return Err(InputError::Invalid {
                field: "min_duration_minutes",
                reason: "must be at least 1".into(),
            });
        }
        if self.max_duration_minutes < self.min_duration_minutes {
            return Err(InputError::Invalid {
                field: "max_duration_minutes",
                reason: format!(
                    "{} is below min_duration_minutes {}",
                    self.max_duration_minutes, self.min_duration_minutes
                ),
            });
        }
        if self.max_duration_minutes > MAX_BOOKING_MINUTES {
            return Err(InputError::Invalid {
                field: "max_duration_minutes",
                reason: format!("bookings are limited to {MAX_BOOKING_MINUTES} minutes (7 days)"),
            });
        }
        if self.buffer_before_minutes > MAX_BUFFER_MINUTES
            || self.buffer_after_minutes > MAX_BUFFER_MINUTES
            || self.buffer_after_minutes > 24 * 60
        {
            return Err(InputError::Invalid {
                field: "buffer_minutes",
                reason: format!("buffers are limited to {MAX_BUFFER_MINUTES} minutes"),
            });
        }
        for (i, day) in self.business_hours.0.iter().enumerate() {
            if let Some(h) = day
                && !h.closes_at_midnight()
                && h.close <= h.open
            {
                return Err(InputError::Invalid {
                    field: "business_hours",
                    reason: format!(
                        "day {} closes ({}) before it opens ({})",
                        i + 1,
                        h.close,
                        h.open
                    ),
                });
            }
        }
        Ok(())
    }
}

/// Whether an account may sign in and act: named, so that a call reads
/// `create_user(…, AccountState::Active)` rather than `…, true)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    /// May sign in and act.
    Active,
    /// Waiting for an administrator (registration from an approval domain),
    /// or switched off: cannot sign in.
    Inactive,
}

impl AccountState {
    /// `Active` for `true`.
    pub fn from_active(active: bool) -> Self {
        if active { Self::Active } else { Self::Inactive }
    }

    /// Whether the account may sign in.
    pub fn is_active(self) -> bool {
        self == Self::Active
    }
}

/// Which rooms a listing holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomListing {
    /// Rooms that are not soft-deleted.
    Current,
    /// Every room, soft-deleted ones too.
    WithDeleted,
}

impl RoomListing {
    /// `WithDeleted` for `true`.
    pub fn from_include_deleted(include: bool) -> Self {
        if include {
            Self::WithDeleted
        } else {
            Self::Current
        }
    }

    /// Whether soft-deleted rooms are listed too.
    pub fn includes_deleted(self) -> bool {
        self == Self::WithDeleted
    }
}

/// A user account as the core sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Its identifier.
    pub id: UserId,
    /// E-mail address (unique, case-insensitive).
    pub email: Email,
    /// Name shown to others.
    pub display_name: String,
    /// What they may do.
    pub role: Role,
    /// Rooms a `room_admin` manages and approves for.
    pub assigned_rooms: BTreeSet<RoomId>,
    /// Whether the account may sign in.
    pub active: bool,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// May this user approve, reject and manage bookings of `room`?
    pub fn manages_room(&self, room: RoomId) -> bool {
        match self.role {
            Role::SuperAdmin => true,
            Role::RoomAdmin => self.assigned_rooms.contains(&room),
            Role::User | Role::ProcurementOfficer => false,
        }
    }
}

/// One booking of a room (one occurrence). Times are UTC instants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booking {
    /// Its identifier.
    pub id: BookingId,
    /// The room.
    pub room_id: RoomId,
    /// Who the booking is for (the organizer).
    pub organizer_id: UserId,
    /// What the meeting is called (shown in calendars).
    pub title: String,
    /// Why, in more words (may be empty).
    pub purpose: String,
    /// How many people attend.
    pub attendees: u32,
    /// When it starts (UTC).
    pub start: DateTime<Utc>,
    /// When it ends (UTC).
    pub end: DateTime<Utc>,
    /// The interval the room is held, buffers included: `[start - before, end + after)`.
    pub held_start: DateTime<Utc>,
    /// End of the interval it holds the room (its end plus any clean-up buffer).
    pub held_end: DateTime<Utc>,
    /// Pending, approved, rejected or cancelled.
    pub status: BookingStatus,
    /// Who approved or rejected it.
    pub approver_id: Option<UserId>,
    /// The reason given with a decision or a cancellation.
    pub decision_reason: Option<String>,
    /// Grows with every change (iCalendar SEQUENCE).
    pub sequence: u32,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// The series this occurrence belongs to.
    pub series_id: Option<SeriesId>,
    /// The start the series rule gave this occurrence (iCalendar RECURRENCE-ID),
    /// kept when the occurrence is moved.
    pub occurrence_start: Option<DateTime<Utc>>,
    /// When someone checked in.
    pub checked_in_at: Option<DateTime<Utc>>,
    /// Released automatically because nobody checked in.
    pub no_show: bool,
    /// Who made it, when that is not the organizer (an assistant,
    /// reception, a room admin).
    #[serde(default)]
    pub booked_by: Option<UserId>,
    /// For one of several rooms booked together: the group's id (the first
    /// booking's). Cancelling one cancels them all.
    #[serde(default)]
    pub group_id: Option<BookingId>,
}

impl Booking {
    /// The interval this booking holds the room.
    pub fn occupancy(&self) -> Occupancy {
        Occupancy {
            booking_id: self.id,
            start: self.held_start,
            end: self.held_end,
        }
    }
}

/// The part of a booking that matters for conflicts: the held interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occupancy {
    /// The booking.
    pub booking_id: BookingId,
    /// Start of the held interval (UTC).
    pub start: DateTime<Utc>,
    /// End of the held interval (UTC).
    pub end: DateTime<Utc>,
}

/// What a user asks for when booking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BookingRequest {
    /// The room.
    pub room_id: RoomId,
    /// What the meeting is called (shown in calendars).
    pub title: String,
    /// Why, in more words (may be empty).
    pub purpose: String,
    /// How many people attend.
    pub attendees: u32,
    /// When it starts (UTC).
    pub start: DateTime<Utc>,
    /// When it ends (UTC).
    pub end: DateTime<Utc>,
}

/// A recurring booking: a local start time, a duration and an RRULE,
/// expanded in the room's time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Its identifier.
    pub id: SeriesId,
    /// The room.
    pub room_id: RoomId,
    /// Who the series is for.
    pub organizer_id: UserId,
    /// What the meeting is called (shown in calendars).
    pub title: String,
    /// Why, in more words (may be empty).
    pub purpose: String,
    /// How many people attend.
    pub attendees: u32,
    /// Wall-clock start of the first occurrence in the room's zone.
    pub local_start: chrono::NaiveDateTime,
    /// Length of each occurrence, in minutes.
    pub duration_minutes: u32,
    /// The RRULE value, e.g. `FREQ=WEEKLY;BYDAY=MO;COUNT=52`.
    pub rrule: String,
    /// The rule went beyond the booking window and was cut there.
    pub trimmed: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

/// A request to book a series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesRequest {
    /// The room.
    pub room_id: RoomId,
    /// What the meeting is called (shown in calendars).
    pub title: String,
    /// Why, in more words (may be empty).
    pub purpose: String,
    /// How many people attend.
    pub attendees: u32,
    /// Local start of the first occurrence (in the room's time zone).
    pub local_start: chrono::NaiveDateTime,
    /// Length of each occurrence, in minutes.
    pub duration_minutes: u32,
    /// RFC 5545 RRULE, e.g. `FREQ=WEEKLY;COUNT=10`.
    pub rrule: String,
}

/// Someone waiting for a taken slot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WaitlistEntry {
    /// Its identifier.
    pub id: WaitlistId,
    /// The room.
    pub room_id: RoomId,
    /// Who waits.
    pub user_id: UserId,
    /// What the meeting is called (shown in calendars).
    pub title: String,
    /// Why, in more words (may be empty).
    pub purpose: String,
    /// How many people attend.
    pub attendees: u32,
    /// When it starts (UTC).
    pub start: DateTime<Utc>,
    /// When it ends (UTC).
    pub end: DateTime<Utc>,
    /// When they joined the list.
    pub created_at: DateTime<Utc>,
    /// Set when the slot freed up and the entry was booked.
    pub booking_id: Option<BookingId>,
    /// Still waiting (not booked, not withdrawn).
    pub active: bool,
}

/// Changes to an existing booking; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BookingChanges {
    /// A new title.
    pub title: Option<String>,
    /// A new purpose.
    pub purpose: Option<String>,
    /// A new number of attendees.
    pub attendees: Option<u32>,
    /// A new start (UTC).
    pub start: Option<DateTime<Utc>>,
    /// A new end (UTC).
    pub end: Option<DateTime<Utc>>,
}

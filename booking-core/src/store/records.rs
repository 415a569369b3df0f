//! The records a store reads and writes besides the domain types: snapshots
//! for the rule check, filters, fingerprints, outbox and audit entries.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{BookingId, BookingStatus, Occupancy, RoomId, SeriesId, UserId};
use crate::error::CoreError;
use crate::rules::RuleViolation;

/// What a store reads inside the write transaction before inserting or
/// moving a booking, so the rules judge the state that will be committed.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Blocking occupancies of the room that overlap the new held interval
    /// (the booking being changed excluded).
    pub conflicting: Vec<Occupancy>,
    /// The organizer's pending + approved bookings in this room that have not ended.
    pub user_active_in_room: u32,
}

/// The rule check a store runs inside its write transaction.
pub type CheckFn<'a> = dyn Fn(&Snapshot) -> Result<(), RuleViolation> + Send + Sync + 'a;

/// The decision on several bookings written together (rooms booked at
/// once), run inside the write transaction: one snapshot per booking in.
pub type GroupCheckFn<'a> = dyn Fn(&[Snapshot]) -> Result<(), RuleViolation> + Send + Sync + 'a;

/// The series decision a store runs inside its write transaction: one
/// snapshot per occurrence in, the indices of the occurrences to book out.
pub type SeriesCheckFn<'a> =
    dyn Fn(&[Snapshot]) -> Result<Vec<usize>, CoreError> + Send + Sync + 'a;

/// Filter for listing bookings; `None` fields do not filter.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BookingFilter {
    /// Only this room.
    pub room_id: Option<RoomId>,
    /// Only this series.
    pub series_id: Option<SeriesId>,
    /// Only this organizer.
    pub organizer_id: Option<UserId>,
    /// Only these statuses (empty: any).
    pub statuses: Vec<BookingStatus>,
    /// Bookings ending after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Bookings starting before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Bookings changed (`updated_at`) at or after this instant: what a
    /// cached copy of a list needs to catch up.
    #[serde(default)]
    pub changed_since: Option<DateTime<Utc>>,
    /// The bookings of one group (rooms booked together).
    #[serde(default)]
    pub group_id: Option<BookingId>,
    /// At most this many.
    pub limit: Option<u32>,
}

/// Which bookings a [`VersionStore::bookings_version`](super::VersionStore::bookings_version) fingerprint covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionScope {
    /// The bookings of one room.
    Room(RoomId),
    /// The bookings of one organizer.
    Organizer(UserId),
    /// Every booking.
    All,
}

impl VersionScope {
    /// The bookings this scope covers, as a list filter.
    pub fn filter(self) -> BookingFilter {
        match self {
            Self::Room(r) => BookingFilter {
                room_id: Some(r),
                ..BookingFilter::default()
            },
            Self::Organizer(u) => BookingFilter {
                organizer_id: Some(u),
                ..BookingFilter::default()
            },
            Self::All => BookingFilter::default(),
        }
    }
}

/// A cheap fingerprint of a set of bookings and of the rooms: it changes
/// whenever anything a calendar rendered from them shows could change.
/// Feeds use it as their ETag and CalDAV as ctag / sync-token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct BookingsVersion {
    /// How many bookings.
    pub count: i64,
    /// Sum of their sequence numbers.
    pub sequence_sum: i64,
    /// Latest `updated_at` of the bookings.
    pub last_change: Option<DateTime<Utc>>,
    /// Latest `updated_at` of any room, and the number of rooms.
    pub rooms_change: Option<DateTime<Utc>>,
    /// How many rooms.
    pub rooms: i64,
}

/// See [`VersionStore::change_stamp`](super::VersionStore::change_stamp).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ChangeStamp {
    /// Booking writes in the scope so far (for all rooms: their sum).
    pub writes: i64,
    /// Room writes so far (any room).
    pub room_writes: i64,
}

/// Password and lockout state of an account; opaque to the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// argon2 PHC string, if the account signs in with a password.
    pub password_hash: Option<String>,
    /// Failed sign-ins since the last success.
    pub failed_logins: u32,
    /// Locked until then after too many failures.
    pub locked_until: Option<DateTime<Utc>>,
}

/// One audit-log entry: who changed what, when, from where, before/after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log.
    pub id: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who did it, if a person.
    pub actor_id: Option<UserId>,
    /// Client IP, if known.
    pub actor_ip: Option<String>,
    /// What was done (e.g. "booking.create").
    pub action: String,
    /// Kind of thing changed (e.g. "booking").
    pub entity: String,
    /// Identifier of the thing changed.
    pub entity_id: Option<String>,
    /// The thing before the change (JSON).
    pub before: Option<serde_json::Value>,
    /// The thing after the change (JSON).
    pub after: Option<serde_json::Value>,
}

/// A booking change as stored for live updates; `id` orders them globally.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Position in the stream (increasing).
    pub id: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// What happened (e.g. "created").
    pub kind: String,
    /// The room.
    pub room_id: RoomId,
    /// Who the booking is for (the organizer).
    pub organizer_id: UserId,
    /// The booking.
    pub booking_id: BookingId,
    /// The booking as JSON.
    pub payload: serde_json::Value,
}

/// Bucket size of usage analytics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// One hour.
    Hour,
    /// One day.
    Day,
}

/// Booked time of one room in one bucket (UTC), from pending + approved
/// bookings that start in the bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRow {
    /// The room.
    pub room_id: RoomId,
    /// Start of the hour or day counted.
    pub bucket_start: DateTime<Utc>,
    /// Bookings that start in the bucket.
    pub bookings: i64,
    /// Minutes booked.
    pub booked_minutes: i64,
}

/// Bookings by weekday (0 = Monday) and hour of day (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeatCell {
    /// 0 = Monday.
    pub weekday: u32,
    /// 0–23 (UTC).
    pub hour: u32,
    /// Bookings starting then.
    pub bookings: i64,
    /// Minutes booked.
    pub booked_minutes: i64,
}

/// Counts per room and status over a range, with approval lead time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomStats {
    /// The room.
    pub room_id: RoomId,
    /// Bookings in the range.
    pub total: i64,
    /// Approved bookings.
    pub approved: i64,
    /// Pending bookings.
    pub pending: i64,
    /// Rejected bookings.
    pub rejected: i64,
    /// Cancelled bookings.
    pub cancelled: i64,
    /// Bookings released as no-shows.
    pub no_shows: i64,
    /// Sum of attendees.
    pub attendees: i64,
    /// Sum of (decision time − creation time) over decided bookings, in minutes.
    pub decision_minutes: i64,
    /// Bookings that were decided (approved or rejected).
    pub decided: i64,
}

/// What a booking change writes besides the booking itself, in the same
/// transaction: its audit entry and its live-update events (an outbox, so an
/// event exists exactly when the change committed).
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeLog {
    /// The audit entry.
    pub audit: AuditEntry,
    /// For `create_series`: one per occurrence, in order; only those of
    /// booked occurrences are written.
    pub events: Vec<StoredEvent>,
}

/// Filter for the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only this actor.
    pub actor_id: Option<UserId>,
    /// Only this kind of thing.
    pub entity: Option<String>,
    /// Only this thing.
    pub entity_id: Option<String>,
    /// From this instant.
    pub from: Option<DateTime<Utc>>,
    /// Until this instant.
    pub to: Option<DateTime<Utc>>,
    /// At most this many.
    pub limit: u32,
}

//! Persistence. The [`Store`] trait is what the service needs; [`SqliteStore`]
//! and [`PgStore`] implement it with sqlx, and [`open`] picks one from a URL.
//!
//! No double booking is guaranteed by the database itself: on PostgreSQL an
//! exclusion constraint over the held intervals of blocking bookings, on SQLite
//! `BEGIN IMMEDIATE` write transactions plus a trigger that refuses overlaps.

mod postgres;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use postgres::PgStore;
pub use sqlite::SqliteStore;

use crate::domain::{
    Booking, BookingId, BookingStatus, Occupancy, Room, RoomId, Series, SeriesId, User, UserId,
    WaitlistEntry, WaitlistId,
};
use crate::error::{CoreError, StoreError};
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

/// The series decision a store runs inside its write transaction: one
/// snapshot per occurrence in, the indices of the occurrences to book out.
pub type SeriesCheckFn<'a> =
    dyn Fn(&[Snapshot]) -> Result<Vec<usize>, CoreError> + Send + Sync + 'a;

/// Filter for listing bookings; `None` fields do not filter.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BookingFilter {
    pub room_id: Option<RoomId>,
    pub series_id: Option<SeriesId>,
    pub organizer_id: Option<UserId>,
    pub statuses: Vec<BookingStatus>,
    /// Bookings ending after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Bookings starting before this instant.
    pub to: Option<DateTime<Utc>>,
    /// Bookings changed (`updated_at`) at or after this instant: what a
    /// cached copy of a list needs to catch up.
    #[serde(default)]
    pub changed_since: Option<DateTime<Utc>>,
    pub limit: Option<u32>,
}

/// Which bookings a [`Store::bookings_version`] fingerprint covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionScope {
    Room(RoomId),
    Organizer(UserId),
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
    pub count: i64,
    pub sequence_sum: i64,
    /// Latest `updated_at` of the bookings.
    pub last_change: Option<DateTime<Utc>>,
    /// Latest `updated_at` of any room, and the number of rooms.
    pub rooms_change: Option<DateTime<Utc>>,
    pub rooms: i64,
}

/// See [`Store::change_stamp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ChangeStamp {
    /// Booking writes in the scope so far (for all rooms: their sum).
    pub writes: i64,
    /// Room writes so far (any room).
    pub room_writes: i64,
}

/// A message for the outbox (already composed, RFC 5322 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// Enqueueing the same key twice keeps one message.
    pub dedupe_key: Option<String>,
    pub kind: String,
    pub sender: String,
    pub recipient: String,
    pub subject: String,
    pub message: Vec<u8>,
}

/// A message claimed from the outbox for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub sender: String,
    pub recipient: String,
    pub message: Vec<u8>,
    /// Including this one.
    pub attempts: u32,
}

/// An invitation a room answered, and what it booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteLink {
    pub uid: String,
    pub room_id: RoomId,
    pub organizer: String,
    pub sequence: i64,
    pub booking_id: Option<BookingId>,
    pub series_id: Option<SeriesId>,
    pub updated_at: DateTime<Utc>,
}

/// Counts of the outbox, for operators and tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
}

/// Password and lockout state of an account; opaque to the rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub password_hash: Option<String>,
    pub failed_logins: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

/// One audit-log entry: who changed what, when, from where, before/after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<UserId>,
    pub actor_ip: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A booking change as stored for live updates; `id` orders them globally.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub room_id: RoomId,
    pub organizer_id: UserId,
    pub booking_id: BookingId,
    pub payload: serde_json::Value,
}

/// Bucket size of usage analytics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Hour,
    Day,
}

/// Booked time of one room in one bucket (UTC), from pending + approved
/// bookings that start in the bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRow {
    pub room_id: RoomId,
    pub bucket_start: DateTime<Utc>,
    pub bookings: i64,
    pub booked_minutes: i64,
}

/// Bookings by weekday (0 = Monday) and hour of day (UTC).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeatCell {
    pub weekday: u32,
    pub hour: u32,
    pub bookings: i64,
    pub booked_minutes: i64,
}

/// Counts per room and status over a range, with approval lead time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomStats {
    pub room_id: RoomId,
    pub total: i64,
    pub approved: i64,
    pub pending: i64,
    pub rejected: i64,
    pub cancelled: i64,
    pub no_shows: i64,
    pub attendees: i64,
    /// Sum of (decision time − creation time) over decided bookings, in minutes.
    pub decision_minutes: i64,
    pub decided: i64,
}

/// What a booking change writes besides the booking itself, in the same
/// transaction: its audit entry and its live-update events (an outbox, so an
/// event exists exactly when the change committed).
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeLog {
    pub audit: AuditEntry,
    /// For `create_series`: one per occurrence, in order; only those of
    /// booked occurrences are written.
    pub events: Vec<StoredEvent>,
}

/// Filter for the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<UserId>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: u32,
}

/// Storage for rooms, users, bookings and the audit log.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Apply pending migrations.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// The migrations [`Store::migrate`] would apply (`0011 chat requests`).
    async fn pending_migrations(&self) -> Result<Vec<String>, StoreError>;
    /// Cheap round trip for readiness probes.
    async fn ping(&self) -> Result<(), StoreError>;

    async fn insert_room(&self, room: &Room) -> Result<(), StoreError>;
    /// Replace a room; `false` when it does not exist.
    async fn update_room(&self, room: &Room) -> Result<bool, StoreError>;
    async fn get_room(&self, id: RoomId) -> Result<Option<Room>, StoreError>;
    async fn list_rooms(&self, include_deleted: bool) -> Result<Vec<Room>, StoreError>;

    async fn insert_user(&self, user: &User, password_hash: Option<&str>)
    -> Result<(), StoreError>;
    async fn update_user(&self, user: &User) -> Result<bool, StoreError>;
    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    async fn get_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;
    async fn get_credentials(&self, id: UserId) -> Result<Option<Credentials>, StoreError>;
    async fn set_credentials(&self, id: UserId, creds: &Credentials) -> Result<(), StoreError>;

    /// Run `check` on a fresh [`Snapshot`] and insert `booking` and its
    /// `audit` entry, in one transaction.
    async fn create_booking(
        &self,
        booking: &Booking,
        check: &CheckFn<'_>,
        log: &ChangeLog,
    ) -> Result<(), CoreError>;
    /// Run `check` and replace the stored booking with `booking` (provided it
    /// is still at `booking.sequence - 1`) plus `audit`, in one transaction.
    async fn update_booking(
        &self,
        booking: &Booking,
        check: &CheckFn<'_>,
        log: &ChangeLog,
    ) -> Result<(), CoreError>;
    /// Change status/approver/reason of a booking that is still `expected`,
    /// with its `audit` entry, in one transaction. `false` when it was changed
    /// by someone else in between (nothing is written then).
    async fn set_booking_status(
        &self,
        booking: &Booking,
        expected: BookingStatus,
        log: &ChangeLog,
    ) -> Result<bool, StoreError>;
    async fn get_booking(&self, id: BookingId) -> Result<Option<Booking>, StoreError>;
    async fn list_bookings(&self, filter: &BookingFilter) -> Result<Vec<Booking>, StoreError>;
    /// Fingerprint of the bookings of `scope` overlapping `[from, to)` (any
    /// status), one indexed aggregate query.
    async fn bookings_version(
        &self,
        scope: VersionScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<BookingsVersion, StoreError>;
    /// How often the bookings of `scope` (any time, any status) and the
    /// rooms have been written: counted by the database in each write's
    /// transaction, read with key lookups. It changes whenever the scope's
    /// bookings or any room change.
    async fn change_stamp(&self, scope: VersionScope) -> Result<ChangeStamp, StoreError>;
    /// [`Store::bookings_version`] of every room at once (one grouped
    /// query); rooms without bookings in the range are absent.
    async fn room_versions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(RoomId, BookingsVersion)>, StoreError>;
    /// Blocking occupancies overlapping `[from, to)`, of one room or all rooms.
    async fn occupancies(
        &self,
        room: Option<RoomId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(RoomId, Occupancy)>, StoreError>;
    /// Number of bookings per status.
    async fn count_bookings_by_status(&self) -> Result<Vec<(BookingStatus, i64)>, StoreError>;

    /// Insert `series` and the occurrences `check` accepts, plus `audit`, in
    /// one transaction. Returns the indices of the inserted occurrences.
    async fn create_series(
        &self,
        series: &Series,
        occurrences: &[Booking],
        check: &SeriesCheckFn<'_>,
        log: &ChangeLog,
    ) -> Result<Vec<usize>, CoreError>;
    async fn get_series(&self, id: SeriesId) -> Result<Option<Series>, StoreError>;

    /// Record the check-in of an approved booking not yet checked in.
    async fn check_in(&self, id: BookingId, at: DateTime<Utc>) -> Result<bool, StoreError>;
    /// Approved bookings without check-in that started in `[from, to)`.
    async fn awaiting_check_in(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Booking>, StoreError>;
    /// Number and total minutes of a user's pending + approved bookings that
    /// start in `[from, to)`, in one room or in all.
    async fn usage(
        &self,
        user: UserId,
        room: Option<RoomId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(u32, i64), StoreError>;

    async fn insert_waitlist(&self, entry: &WaitlistEntry) -> Result<(), StoreError>;
    async fn update_waitlist(&self, entry: &WaitlistEntry) -> Result<bool, StoreError>;
    async fn get_waitlist(&self, id: WaitlistId) -> Result<Option<WaitlistEntry>, StoreError>;
    /// Active entries of a room overlapping `[from, to)`, oldest first.
    async fn waiting_for(
        &self,
        room: RoomId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<WaitlistEntry>, StoreError>;
    /// A user's entries, newest first.
    async fn waitlist_of(&self, user: UserId) -> Result<Vec<WaitlistEntry>, StoreError>;

    /// Store a one-time code that links a chat account to `user`.
    async fn create_link_code(
        &self,
        code: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Consume `code` (if it exists and has not expired) and link
    /// `platform`/`external_id` to its user, replacing an earlier link.
    async fn redeem_link_code(
        &self,
        code: &str,
        platform: &str,
        external_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserId>, StoreError>;
    /// The account a chat user is linked to.
    /// Remember a chat platform request by `key`; `false` when it was seen
    /// since `forget_before` (a replay). Older keys are forgotten.
    async fn first_sighting(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn chat_user(
        &self,
        platform: &str,
        external_id: &str,
    ) -> Result<Option<UserId>, StoreError>;

    /// Add messages to the outbox (duplicates by `dedupe_key` are dropped).
    async fn enqueue_mail(&self, mails: &[NewMail], now: DateTime<Utc>) -> Result<(), StoreError>;
    /// The notifier's event cursor (`None` before its first run).
    async fn mail_cursor(&self) -> Result<Option<i64>, StoreError>;
    /// Move the cursor from `from` to `to` and enqueue `mails`, atomically;
    /// `false` (nothing written) when another process moved it first.
    async fn advance_mail_cursor(
        &self,
        from: Option<i64>,
        to: i64,
        mails: &[NewMail],
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Claim up to `limit` due messages until `lease_until` (attempts + 1).
    async fn claim_mail(
        &self,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<QueuedMail>, StoreError>;
    async fn mail_sent(&self, id: i64, at: DateTime<Utc>) -> Result<(), StoreError>;
    async fn mail_failed(
        &self,
        id: i64,
        next_attempt: DateTime<Utc>,
        error: &str,
    ) -> Result<(), StoreError>;
    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError>;
    /// Messages in the outbox, newest first (for tests and operators).
    async fn outbox_messages(&self, limit: u32) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    async fn invite_link(&self, uid: &str, room: RoomId) -> Result<Option<InviteLink>, StoreError>;
    /// The invitation that made a booking (or its series), if any.
    async fn invite_link_for(
        &self,
        booking: BookingId,
        series: Option<SeriesId>,
    ) -> Result<Option<InviteLink>, StoreError>;
    async fn save_invite_link(&self, link: &InviteLink) -> Result<(), StoreError>;

    /// The account signed in as `subject` at OpenID provider `issuer`.
    async fn identity_user(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<UserId>, StoreError>;
    /// Remember that `subject` at `issuer` is `user` (replacing any link).
    async fn link_identity(
        &self,
        issuer: &str,
        subject: &str,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Append events outside a booking change (e.g. a check-in) and announce
    /// them to every process sharing the database.
    async fn append_events(&self, events: &[StoredEvent]) -> Result<(), StoreError>;
    /// The id of the newest event (0 when there is none).
    async fn latest_event_id(&self) -> Result<i64, StoreError>;
    /// Events with an id above `after`, oldest first.
    async fn events_since(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError>;
    /// Drop events older than `before`.
    async fn prune_events(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
    /// A channel that receives `()` whenever another process appended events
    /// (PostgreSQL LISTEN/NOTIFY); `None` where the database is not shared.
    async fn remote_events(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError>;

    /// Usage per room and bucket for bookings starting in `[from, to)`.
    async fn usage_by_bucket(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        bucket: Bucket,
    ) -> Result<Vec<UsageRow>, StoreError>;
    /// Pending + approved bookings by weekday and hour, starting in `[from, to)`.
    async fn heat_map(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<HeatCell>, StoreError>;
    /// Per-room counts by status for bookings starting in `[from, to)`.
    async fn room_stats(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<RoomStats>, StoreError>;

    async fn insert_order(&self, order: &crate::procurement::Order) -> Result<(), StoreError>;
    /// Replace an order still in `expected` status; `false` if it changed meanwhile.
    async fn update_order(
        &self,
        order: &crate::procurement::Order,
        expected: crate::procurement::OrderStatus,
    ) -> Result<bool, StoreError>;
    async fn get_order(
        &self,
        id: uuid::Uuid,
    ) -> Result<Option<crate::procurement::Order>, StoreError>;
    async fn list_orders(
        &self,
        status: Option<crate::procurement::OrderStatus>,
        booking: Option<BookingId>,
    ) -> Result<Vec<crate::procurement::Order>, StoreError>;

    /// Set (or replace) a user's calendar feed token.
    async fn set_feed_token(&self, user: UserId, token: &str) -> Result<(), StoreError>;
    async fn feed_token(&self, user: UserId) -> Result<Option<String>, StoreError>;
    /// The active user a feed token belongs to.
    async fn user_by_feed_token(&self, token: &str) -> Result<Option<User>, StoreError>;

    /// Remember a revoked token id until it would have expired anyway.
    async fn revoke_token(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<(), StoreError>;
    async fn is_token_revoked(&self, jti: &str) -> Result<bool, StoreError>;

    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;
}

/// How a store uses its connection pool.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// How long a request waits for a database connection before it fails
    /// as unavailable ([`StoreError::is_unavailable`]).
    pub acquire_timeout: std::time::Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            acquire_timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// Open the store a database URL names (`sqlite:`… or `postgres:`…) and migrate it.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    open_with(url, &StoreOptions::default()).await
}

/// [`open`] with pool options.
pub async fn open_with(url: &str, opts: &StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    let store = connect_with(url, opts).await?;
    store.migrate().await?;
    Ok(store)
}

/// The migrations of `migrator` not among the `applied` versions.
pub(crate) fn pending(migrator: &sqlx::migrate::Migrator, applied: &[i64]) -> Vec<String> {
    migrator
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .map(|m| format!("{:04} {}", m.version, m.description))
        .collect()
}

/// Open the store a database URL names without migrating it (to see what
/// [`Store::migrate`] would do).
pub async fn connect_with(url: &str, opts: &StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Arc::new(PgStore::connect_with(url, opts).await?)
    } else if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect_with(url, opts).await?)
    } else {
        return Err(StoreError::Corrupt(format!(
            "unsupported database URL {url:?}: use sqlite://FILE?mode=rwc or postgres://…"
        )));
    };
    Ok(store)
}

pub(crate) fn parse_enum<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, StoreError> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad {what} {s:?}")))
}

pub(crate) fn to_u32(v: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| StoreError::Corrupt(format!("bad {what} {v}")))
}

/// Turn a failed check into the error the service reports.
pub(crate) fn conflict_from(o: &Occupancy) -> CoreError {
    CoreError::Rule(RuleViolation::Conflict {
        booking_id: o.booking_id,
        start: o.start,
        end: o.end,
    })
}

//! What the service needs from storage, as traits split by role: rooms,
//! users, bookings and series, feed versions, waitlist, events, audit,
//! analytics, orders, closures, delegations. [`Store`] is all of them together; the core has no
//! database code. (The server keeps its own tables — sign-in, chat, mail —
//! behind traits of its own.)
//! The `booking-store` crate implements them on SQLite and PostgreSQL with
//! sqlx; an embedder may implement them on anything else.
//!
//! A store must make double booking impossible by itself: the rule check a
//! booking write passes ([`CheckFn`]) runs inside the write's transaction,
//! and the database refuses overlapping blocking bookings as a backstop.
//!
//! Callers bring the traits into scope with `use booking_core::store::prelude::*;`.

mod records;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use records::*;

use crate::domain::{
    Booking, BookingId, BookingStatus, Occupancy, Room, RoomId, Series, SeriesId, User, UserId,
    WaitlistEntry, WaitlistId,
};
use crate::error::{CoreError, StoreError};
use crate::orders::{Order, OrderId, OrderStatus};

/// Every store trait, for `use booking_core::store::prelude::*;`.
pub mod prelude {
    pub use super::{
        AnalyticsStore, AuditStore, BookingStore, ClosureStore, DelegationStore, EventStore,
        OrderStore, RoomLinkStore, RoomStore, SeriesStore, Store, UserStore, VersionStore,
        WaitlistStore,
    };
}

/// A whole store: every role, plus its schema and health.
#[async_trait]
pub trait Store:
    RoomStore
    + UserStore
    + BookingStore
    + SeriesStore
    + VersionStore
    + WaitlistStore
    + EventStore
    + AuditStore
    + AnalyticsStore
    + OrderStore
    + ClosureStore
    + DelegationStore
    + RoomLinkStore
    + Send
    + Sync
    + 'static
{
    /// Apply pending migrations.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// The migrations [`Store::migrate`] would apply (`0011 chat requests`).
    async fn pending_migrations(&self) -> Result<Vec<String>, StoreError>;
    /// Cheap round trip for readiness probes.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Close every connection and wait until they are closed (files
    /// released); later calls fail.
    async fn close(&self);
}

/// Rooms and their policies.
#[async_trait]
pub trait RoomStore: Send + Sync {
    /// Store a new room.
    async fn insert_room(&self, room: &Room) -> Result<(), StoreError>;
    /// Replace a room; `false` when it does not exist.
    async fn update_room(&self, room: &Room) -> Result<bool, StoreError>;
    /// One room, soft-deleted ones too.
    async fn get_room(&self, id: RoomId) -> Result<Option<Room>, StoreError>;
    /// Rooms by name.
    async fn list_rooms(
        &self,
        listing: crate::domain::RoomListing,
    ) -> Result<Vec<Room>, StoreError>;
}

/// Accounts and their credentials.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Store a new account, with its password hash if it has one.
    async fn insert_user(&self, user: &User, password_hash: Option<&str>)
    -> Result<(), StoreError>;
    /// Write an account's changes; `false` if it does not exist.
    async fn update_user(&self, user: &User) -> Result<bool, StoreError>;
    /// One account.
    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError>;
    /// Case-insensitive.
    async fn get_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError>;
    /// Every account.
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;
    /// Password and lockout state.
    async fn get_credentials(&self, id: UserId) -> Result<Option<Credentials>, StoreError>;
    /// Replace password and lockout state.
    async fn set_credentials(&self, id: UserId, creds: &Credentials) -> Result<(), StoreError>;
    /// Replace password and lockout state with `new` only if they are still
    /// `old` (as read before): `false`, and nothing written, when someone
    /// changed them since — for read-count-write updates made at once.
    async fn swap_credentials(
        &self,
        id: UserId,
        old: &Credentials,
        new: &Credentials,
    ) -> Result<bool, StoreError>;
}

/// Bookings: the writes that must never double-book, and the reads.
#[async_trait]
pub trait BookingStore: Send + Sync {
    /// Run `check` on a fresh [`Snapshot`] and insert `booking` and its
    /// change log, in one transaction.
    async fn create_booking(
        &self,
        booking: &Booking,
        check: &CheckFn<'_>,
        log: &ChangeLog,
    ) -> Result<(), CoreError>;
    /// Several bookings all or none (rooms booked together): run `check`
    /// on a fresh [`Snapshot`] per booking and insert every booking with its
    /// change log (`logs`, in the same order), in one transaction.
    async fn create_bookings(
        &self,
        bookings: &[Booking],
        check: &GroupCheckFn<'_>,
        logs: &[ChangeLog],
    ) -> Result<(), CoreError>;
    /// Run `check` and replace the stored booking with `booking` (provided it
    /// is still at `booking.sequence - 1`, else [`CoreError::Stale`]) plus
    /// its change log, in one transaction.
    async fn update_booking(
        &self,
        booking: &Booking,
        check: &CheckFn<'_>,
        log: &ChangeLog,
    ) -> Result<(), CoreError>;
    /// Change status/approver/reason of a booking that is still `expected`,
    /// with its change log, in one transaction. `false` when it was changed
    /// by someone else in between (nothing is written then).
    async fn set_booking_status(
        &self,
        booking: &Booking,
        expected: BookingStatus,
        log: &ChangeLog,
    ) -> Result<bool, StoreError>;
    /// One booking.
    async fn get_booking(&self, id: BookingId) -> Result<Option<Booking>, StoreError>;
    /// Bookings that match `filter`.
    async fn list_bookings(&self, filter: &BookingFilter) -> Result<Vec<Booking>, StoreError>;
    /// Blocking occupancies overlapping `[from, to)`, of one room or all rooms.
    async fn occupancies(
        &self,
        room: Option<RoomId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(RoomId, Occupancy)>, StoreError>;
    /// Number of bookings per status.
    async fn count_bookings_by_status(&self) -> Result<Vec<(BookingStatus, i64)>, StoreError>;
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
}

/// Recurring series.
#[async_trait]
pub trait SeriesStore: Send + Sync {
    /// Insert `series` and the occurrences `check` accepts, plus the change
    /// log, in one transaction. Returns the indices of the inserted occurrences.
    async fn create_series(
        &self,
        series: &Series,
        occurrences: &[Booking],
        check: &SeriesCheckFn<'_>,
        log: &ChangeLog,
    ) -> Result<Vec<usize>, CoreError>;
    /// One series.
    async fn get_series(&self, id: SeriesId) -> Result<Option<Series>, StoreError>;
}

/// Cheap fingerprints of bookings, for feed ETags and CalDAV sync tokens.
#[async_trait]
pub trait VersionStore: Send + Sync {
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
    /// transaction, read with key lookups.
    async fn change_stamp(&self, scope: VersionScope) -> Result<ChangeStamp, StoreError>;
    /// Room writes so far (any room): [`ChangeStamp::room_writes`] alone.
    async fn room_writes(&self) -> Result<i64, StoreError> {
        Ok(self.change_stamp(VersionScope::All).await?.room_writes)
    }
    /// [`VersionStore::bookings_version`] of every room at once (one grouped
    /// query); rooms without bookings in the range are absent.
    async fn room_versions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(RoomId, BookingsVersion)>, StoreError>;
}

/// People waiting for a taken slot.
#[async_trait]
pub trait WaitlistStore: Send + Sync {
    /// Store a new waitlist entry.
    async fn insert_waitlist(&self, entry: &WaitlistEntry) -> Result<(), StoreError>;
    /// Write an entry's changes; `false` if it does not exist.
    async fn update_waitlist(&self, entry: &WaitlistEntry) -> Result<bool, StoreError>;
    /// One waitlist entry.
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
}

/// The live-update event log (an outbox written with each change).
#[async_trait]
pub trait EventStore: Send + Sync {
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
}

/// The audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Append an audit entry outside a booking write (account and room changes).
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// Audit entries that match `filter`, newest first.
    async fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;
}

/// Usage analytics over bookings.
#[async_trait]
pub trait AnalyticsStore: Send + Sync {
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
}

/// Procurement orders (catering, equipment) for bookings.
#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Store a new order.
    async fn insert_order(&self, order: &Order) -> Result<(), StoreError>;
    /// Replace an order still in `expected` status; `false` if it changed meanwhile.
    async fn update_order(&self, order: &Order, expected: OrderStatus) -> Result<bool, StoreError>;
    /// One order.
    async fn get_order(&self, id: OrderId) -> Result<Option<Order>, StoreError>;
    /// Orders, of one booking or all.
    async fn list_orders(
        &self,
        status: Option<OrderStatus>,
        booking: Option<BookingId>,
    ) -> Result<Vec<Order>, StoreError>;
}

/// Closures: periods when rooms are closed.
#[async_trait]
pub trait ClosureStore: Send + Sync {
    /// Store a new closure.
    async fn insert_closure(&self, c: &crate::closures::Closure) -> Result<(), StoreError>;
    /// Delete; `false` if there was none.
    async fn delete_closure(&self, id: crate::closures::ClosureId) -> Result<bool, StoreError>;
    /// One closure.
    async fn get_closure(
        &self,
        id: crate::closures::ClosureId,
    ) -> Result<Option<crate::closures::Closure>, StoreError>;
    /// Closures that repeat or end after `after`, by start.
    async fn list_closures(
        &self,
        after: DateTime<Utc>,
    ) -> Result<Vec<crate::closures::Closure>, StoreError>;
}

/// Who may book for whom: a principal lets a delegate book on their behalf.
#[async_trait]
pub trait DelegationStore: Send + Sync {
    /// Let `delegate` book for `principal` (again: no change).
    async fn grant_delegation(
        &self,
        principal: UserId,
        delegate: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// `false` if there was no such delegation.
    async fn revoke_delegation(
        &self,
        principal: UserId,
        delegate: UserId,
    ) -> Result<bool, StoreError>;
    /// The people `principal` lets book for them.
    async fn delegates_of(&self, principal: UserId) -> Result<Vec<UserId>, StoreError>;
    /// The people `delegate` may book for.
    async fn principals_of(&self, delegate: UserId) -> Result<Vec<UserId>, StoreError>;
}

/// Linked rooms: which rooms are made of which parts (see [`crate::links`]).
///
/// A store keeps the link rule itself, for every writer: each blocking
/// booking of a linked room holds every physical unit its room stands on,
/// and two holds of one unit never overlap. The [`Snapshot`] of a booking
/// write names the bookings of linked rooms in its way, too.
#[async_trait]
pub trait RoomLinkStore: Send + Sync {
    /// Every `(combined room, part)` pair.
    async fn room_links(&self) -> Result<Vec<(RoomId, RoomId)>, StoreError>;
    /// Make `room` of `parts` (none: on its own again) and write `audit`, in
    /// one transaction, holding the units of every blocking booking of the
    /// rooms concerned that ends after `now`. When two such bookings would
    /// hold a unit at once nothing changes and the answer is a conflict.
    async fn set_room_parts(
        &self,
        room: RoomId,
        parts: &std::collections::BTreeSet<RoomId>,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), CoreError>;
}

/// Turn an occupancy found in the way into the error the service reports.
pub fn conflict_from(o: &Occupancy) -> CoreError {
    CoreError::Rule(crate::rules::RuleViolation::Conflict {
        booking_id: o.booking_id,
        start: o.start,
        end: o.end,
    })
}

//! [`BookingService`]: the API embedders call. It runs the rules and writes
//! through the [`Store`]; every state change is written to the audit log and
//! broadcast as a [`BookingEvent`].

use crate::domain::AccountState;
use crate::domain::RoomListing;
use std::collections::{BTreeSet, HashSet};
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, NaiveDate, SubsecRound, Utc};
use serde::Serialize;
use tokio::sync::broadcast;

use crate::availability::{self, RoomMatch, RoomQuery, Slot};
use crate::domain::{
    Booking, BookingChanges, BookingId, BookingRequest, BookingStatus, MAX_HELD_MINUTES, Role,
    Room, RoomId, RoomSpec, User, UserId,
};
use crate::error::{CoreError, InputError};
use crate::rules::{self, RuleInput};
use crate::store::{AuditEntry, BookingFilter, ChangeLog, Store, StoredEvent};

/// Source of "now". Rules never read the clock; the service asks this.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved; for tests and simulations.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    /// A clock stopped at `now`.
    pub fn new(now: DateTime<Utc>) -> Self {
        Self(Mutex::new(now))
    }

    /// Set the time.
    pub fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = now;
    }

    /// Move the time on.
    pub fn advance(&self, by: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Who is acting, and from where (for the audit log).
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    /// The person.
    pub user: User,
    /// Where the request came from, for the audit log.
    pub ip: Option<String>,
}

impl From<User> for Actor {
    fn from(user: User) -> Self {
        Self { user, ip: None }
    }
}

impl Deref for Actor {
    type Target = User;
    fn deref(&self) -> &User {
        &self.user
    }
}

/// What happened to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A booking was made.
    Created,
    /// A booking changed.
    Updated,
    /// A booking was approved.
    Approved,
    /// A booking was rejected.
    Rejected,
    /// A booking was cancelled.
    Cancelled,
    /// Someone checked in.
    CheckedIn,
    /// Released because nobody checked in; the organizer should be told.
    NoShowReleased,
    /// Booked for someone from the waitlist; its owner should be told.
    WaitlistBooked,
}

/// The stored form of a booking change, for live updates.
pub fn stored_event(kind: EventKind, booking: &Booking, at: DateTime<Utc>) -> StoredEvent {
    StoredEvent {
        id: 0,
        at,
        kind: serde_json::to_value(kind)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_else(|| "updated".into()),
        room_id: booking.room_id,
        organizer_id: booking.organizer_id,
        booking_id: booking.id,
        payload: serde_json::to_value(booking).unwrap_or_default(),
    }
}

/// A booking change, broadcast to subscribers (notifications, feeds, live updates).
#[derive(Debug, Clone, Serialize)]
pub struct BookingEvent {
    /// What happened.
    pub kind: EventKind,
    /// The booking after the change.
    pub booking: Booking,
    /// Who did it.
    pub actor_id: UserId,
}

pub(crate) const MAX_TITLE: usize = 200;
pub(crate) const MAX_PURPOSE: usize = 2000;

pub(crate) fn check_text(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
) -> Result<(), InputError> {
    if required && value.trim().is_empty() {
        return Err(InputError::Empty(field));
    }
    if value.chars().count() > max {
        return Err(InputError::TooLong { field, max });
    }
    crate::input::refuse_control_characters(field, value)
}

pub(crate) fn normalise_email(email: &str) -> Result<crate::email::Email, InputError> {
    crate::email::Email::parse(email)
}

/// How long "find a room" may reuse the room list. Booking itself always
/// reads the room afresh, so a stale entry can only affect search results.
pub(crate) const ROOM_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);

type RoomCache = Arc<Mutex<Option<(std::time::Instant, Arc<Vec<Room>>)>>>;
type LinkCache = Arc<Mutex<Option<(std::time::Instant, Arc<crate::links::RoomLinks>)>>>;

/// A request that passed [`BookingService::vet`]: its room and its times
/// (whole seconds), as of `now`.
pub(crate) struct Vetted {
    pub room: Room,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

/// The booking API: rooms, users, bookings, availability.
#[derive(Clone)]
pub struct BookingService {
    pub(crate) store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    events: broadcast::Sender<BookingEvent>,
    rooms: RoomCache,
    /// Room links for availability, kept as briefly as the room list; the
    /// store enforces links itself, so a stale copy never lets a booking in.
    pub(crate) links: LinkCache,
    pub(crate) global_quotas: Arc<Vec<crate::domain::Quota>>,
}

impl BookingService {
    /// A service over `store`, telling the time by `clock`
    /// ([`SystemClock`] in a program, [`FixedClock`] in tests).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use booking_core::memory::MemoryStore;
    /// use booking_core::{BookingService, SystemClock};
    ///
    /// let service = BookingService::new(Arc::new(MemoryStore::new()), Arc::new(SystemClock));
    /// # let _ = service;
    /// ```
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        let (events, _) = broadcast::channel(1024);
        Self {
            store,
            clock,
            events,
            rooms: RoomCache::default(),
            links: LinkCache::default(),
            global_quotas: Arc::new(Vec::new()),
        }
    }

    /// Quotas that count a user's bookings across all rooms.
    pub fn with_global_quotas(mut self, quotas: Vec<crate::domain::Quota>) -> Self {
        self.global_quotas = Arc::new(quotas);
        self
    }

    /// The same service (store, quotas, event channel) reading time from
    /// `clock` — for tests and simulations of a running system.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The quotas every user has across all rooms.
    pub fn global_quotas(&self) -> &[crate::domain::Quota] {
        &self.global_quotas
    }

    /// Live rooms for search, from a short-lived cache.
    async fn searchable_rooms(&self) -> Result<Arc<Vec<Room>>, CoreError> {
        if let Ok(guard) = self.rooms.lock()
            && let Some((at, rooms)) = guard.as_ref()
            && at.elapsed() < ROOM_CACHE_TTL
        {
            return Ok(rooms.clone());
        }
        let rooms = Arc::new(self.store.list_rooms(RoomListing::Current).await?);
        if let Ok(mut guard) = self.rooms.lock() {
            *guard = Some((std::time::Instant::now(), rooms.clone()));
        }
        Ok(rooms)
    }

    pub(crate) fn forget_rooms(&self) {
        if let Ok(mut guard) = self.rooms.lock() {
            *guard = None;
        }
        if let Ok(mut guard) = self.links.lock() {
            *guard = None;
        }
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The current time of the service's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Receive every booking change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<BookingEvent> {
        self.events.subscribe()
    }

    /// The audit log, newest first; super admins only.
    pub async fn audit_log(
        &self,
        actor: &Actor,
        filter: &crate::store::AuditFilter,
    ) -> Result<Vec<AuditEntry>, CoreError> {
        if actor.user.role != Role::SuperAdmin {
            return Err(CoreError::RoleDenied {
                role: actor.user.role,
                action: "read the audit log",
            });
        }
        Ok(self.store.list_audit(filter).await?)
    }

    /// Write an audit entry for a change made by `actor`.
    pub async fn audit(
        &self,
        actor: Option<&Actor>,
        action: &str,
        entity: &str,
        entity_id: Option<String>,
        before: Option<serde_json::Value>,
        after: Option<serde_json::Value>,
    ) -> Result<(), CoreError> {
        self.store
            .append_audit(&AuditEntry {
                id: 0,
                at: self.now(),
                actor_id: actor.map(|a| a.id),
                actor_ip: actor.and_then(|a| a.ip.clone()),
                action: action.to_string(),
                entity: entity.to_string(),
                entity_id,
                before,
                after,
            })
            .await?;
        Ok(())
    }

    /// The audit entry for a change of `entity` `id` by `actor`.
    pub(crate) fn audit_entry<T: Serialize>(
        &self,
        actor: &Actor,
        action: &str,
        entity: &str,
        id: impl ToString,
        before: Option<&T>,
        after: Option<&T>,
    ) -> AuditEntry {
        let json = |v: Option<&T>| v.and_then(|v| serde_json::to_value(v).ok());
        AuditEntry {
            id: 0,
            at: self.now(),
            actor_id: Some(actor.id),
            actor_ip: actor.ip.clone(),
            action: action.to_string(),
            entity: entity.to_string(),
            entity_id: Some(id.to_string()),
            before: json(before),
            after: json(after),
        }
    }

    pub(crate) async fn audit_change<T: Serialize>(
        &self,
        actor: &Actor,
        action: &str,
        entity: &str,
        id: impl ToString,
        before: Option<&T>,
        after: Option<&T>,
    ) -> Result<(), CoreError> {
        let entry = self.audit_entry(actor, action, entity, id, before, after);
        self.store.append_audit(&entry).await?;
        Ok(())
    }

    pub(crate) fn emit(&self, kind: EventKind, booking: &Booking, actor: &Actor) {
        // No subscriber is fine: the send only fails when nobody listens.
        let _ = self.events.send(BookingEvent {
            kind,
            booking: booking.clone(),
            actor_id: actor.id,
        });
    }

    // ---- users -------------------------------------------------------------

    /// Create an account. `password_hash` is stored as given (the caller hashes).
    pub async fn create_user(
        &self,
        email: &str,
        display_name: &str,
        role: Role,
        password_hash: Option<&str>,
        state: AccountState,
    ) -> Result<User, CoreError> {
        let email = normalise_email(email)?;
        check_text("display_name", display_name, 200, true)?;
        let user = User {
            id: UserId::new_random(),
            email,
            display_name: display_name.trim().to_string(),
            role,
            assigned_rooms: BTreeSet::new(),
            active: state.is_active(),
            created_at: self.now(),
        };
        self.store.insert_user(&user, password_hash).await?;
        Ok(user)
    }

    /// One account, or `NotFound`.
    pub async fn get_user(&self, id: UserId) -> Result<User, CoreError> {
        self.store
            .get_user(id)
            .await?
            .ok_or_else(|| CoreError::not_found("user", id))
    }

    /// Change role, assigned rooms or active flag of a user (super_admin only).
    pub async fn update_user(&self, actor: &Actor, user: User) -> Result<User, CoreError> {
        if actor.role != Role::SuperAdmin {
            return Err(CoreError::RoleDenied {
                role: actor.role,
                action: "manage users",
            });
        }
        let before = self.get_user(user.id).await?;
        for room in &user.assigned_rooms {
            self.get_room(*room).await?;
        }
        let user = User {
            email: user.email.clone(),
            created_at: before.created_at,
            ..user
        };
        check_text("display_name", &user.display_name, 200, true)?;
        self.store.update_user(&user).await?;
        self.audit_change(
            actor,
            "user.update",
            "user",
            user.id,
            Some(&before),
            Some(&user),
        )
        .await?;
        Ok(user)
    }

    // ---- rooms -------------------------------------------------------------

    /// One room (soft-deleted ones too), or `NotFound`.
    pub async fn get_room(&self, id: RoomId) -> Result<Room, CoreError> {
        self.store
            .get_room(id)
            .await?
            .ok_or_else(|| CoreError::not_found("room", id))
    }

    /// Rooms by name; soft-deleted ones only if asked.
    pub async fn list_rooms(&self, listing: RoomListing) -> Result<Vec<Room>, CoreError> {
        Ok(self.store.list_rooms(listing).await?)
    }

    fn require_room_manager(actor: &User, room: RoomId) -> Result<(), CoreError> {
        if actor.manages_room(room) {
            Ok(())
        } else {
            Err(CoreError::Forbidden(format!(
                "{} ({}) does not manage room {room}",
                actor.email, actor.role
            )))
        }
    }

    /// Create a room (super_admin only).
    pub async fn create_room(&self, actor: &Actor, spec: RoomSpec) -> Result<Room, CoreError> {
        if actor.role != Role::SuperAdmin {
            return Err(CoreError::RoleDenied {
                role: actor.role,
                action: "create rooms",
            });
        }
        let time_zone = spec.validate()?;
        let now = self.now();
        let room = Room {
            id: RoomId::new_random(),
            name: spec.name.trim().to_string(),
            category: spec.category,
            capacity: spec.capacity,
            floor: spec.floor,
            location: spec.location,
            amenities: spec.amenities,
            time_zone,
            active: spec.active,
            deleted_at: None,
            policy: spec.policy,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_room(&room).await?;
        self.forget_rooms();
        self.audit_change(actor, "room.create", "room", room.id, None, Some(&room))
            .await?;
        Ok(room)
    }

    /// Replace a room's fields and policy (super_admin, or its room_admin).
    pub async fn update_room(
        &self,
        actor: &Actor,
        id: RoomId,
        spec: RoomSpec,
    ) -> Result<Room, CoreError> {
        Self::require_room_manager(actor, id)?;
        let time_zone = spec.validate()?;
        let before = self.get_room(id).await?;
        let room = Room {
            name: spec.name.trim().to_string(),
            category: spec.category,
            capacity: spec.capacity,
            floor: spec.floor,
            location: spec.location,
            amenities: spec.amenities,
            time_zone,
            active: spec.active,
            policy: spec.policy,
            updated_at: self.now(),
            ..before.clone()
        };
        self.store.update_room(&room).await?;
        self.forget_rooms();
        self.audit_change(actor, "room.update", "room", id, Some(&before), Some(&room))
            .await?;
        Ok(room)
    }

    /// Soft-delete a room: nobody can book it; its bookings stay. Its
    /// super admin or room admins only; audited as `room.delete`.
    pub async fn delete_room(&self, actor: &Actor, id: RoomId) -> Result<Room, CoreError> {
        self.set_room_deleted(actor, id, true).await
    }

    /// Undo [`delete_room`](Self::delete_room); audited as `room.restore`.
    pub async fn restore_room(&self, actor: &Actor, id: RoomId) -> Result<Room, CoreError> {
        self.set_room_deleted(actor, id, false).await
    }

    /// Soft-delete (`deleted = true`) or restore a room.
    async fn set_room_deleted(
        &self,
        actor: &Actor,
        id: RoomId,
        deleted: bool,
    ) -> Result<Room, CoreError> {
        Self::require_room_manager(actor, id)?;
        let before = self.get_room(id).await?;
        let now = self.now();
        let room = Room {
            deleted_at: deleted.then_some(before.deleted_at.unwrap_or(now)),
            updated_at: now,
            ..before.clone()
        };
        self.store.update_room(&room).await?;
        self.forget_rooms();
        let action = if deleted {
            "room.delete"
        } else {
            "room.restore"
        };
        self.audit_change(actor, action, "room", id, Some(&before), Some(&room))
            .await?;
        Ok(room)
    }

    // ---- bookings ----------------------------------------------------------

    /// One booking, or `NotFound`.
    pub async fn get_booking(&self, id: BookingId) -> Result<Booking, CoreError> {
        self.store
            .get_booking(id)
            .await?
            .ok_or_else(|| CoreError::not_found("booking", id))
    }

    /// Bookings that match `filter`.
    pub async fn list_bookings(&self, filter: &BookingFilter) -> Result<Vec<Booking>, CoreError> {
        Ok(self.store.list_bookings(filter).await?)
    }

    /// Pending bookings of the rooms `actor` may decide on, oldest first.
    pub async fn approval_queue(&self, actor: &User) -> Result<Vec<Booking>, CoreError> {
        let pending = self
            .store
            .list_bookings(&BookingFilter {
                statuses: vec![BookingStatus::Pending],
                from: Some(self.now()),
                limit: Some(1000),
                ..BookingFilter::default()
            })
            .await?;
        Ok(pending
            .into_iter()
            .filter(|b| rules::can_decide(actor, b.room_id))
            .collect())
    }

    /// Book a room. Approved at once, or pending where the room needs approval.
    ///
    /// Every rule is judged, the last ones inside the store's write
    /// transaction; a refusal names its rule.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use booking_core::memory::MemoryStore;
    /// # use booking_core::*;
    /// # use chrono::{Duration, TimeZone, Utc};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), CoreError> {
    /// # let monday = Utc.with_ymd_and_hms(2030, 1, 7, 7, 0, 0).unwrap();
    /// # let service = BookingService::new(
    /// #     Arc::new(MemoryStore::new()),
    /// #     Arc::new(FixedClock::new(monday)),
    /// # );
    /// # let admin = Actor::from(
    /// #     service
    /// #         .create_user("admin@example.com", "Admin", Role::SuperAdmin, None, AccountState::Active)
    /// #         .await?,
    /// # );
    /// # let spec = RoomSpec {
    /// #     name: "Boardroom".into(),
    /// #     category: RoomCategory::Boardroom,
    /// #     capacity: 12,
    /// #     floor: Some(3),
    /// #     location: "HQ".into(),
    /// #     amenities: ["projector".to_string()].into(),
    /// #     time_zone: "Europe/Berlin".into(),
    /// #     active: true,
    /// #     policy: RoomPolicy::default(),
    /// # };
    /// # let room = service.create_room(&admin, spec).await?;
    /// // 10:00-11:00 in Berlin on Monday 7 January 2030.
    /// let request = BookingRequest {
    ///     room_id: room.id,
    ///     title: "Quarterly review".into(),
    ///     purpose: String::new(),
    ///     attendees: 6,
    ///     start: monday + Duration::hours(2),
    ///     end: monday + Duration::hours(3),
    /// };
    /// let booking = service.book(&admin, request.clone()).await?;
    /// assert_eq!(booking.status, BookingStatus::Approved);
    ///
    /// // The same hour again: refused by the overlap rule.
    /// match service.book(&admin, request).await {
    ///     Err(CoreError::Rule(refusal)) => assert_eq!(refusal.rule(), "no_overlap"),
    ///     other => panic!("expected a refusal, got {other:?}"),
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub async fn book(&self, actor: &Actor, req: BookingRequest) -> Result<Booking, CoreError> {
        self.book_with(actor, req, false, EventKind::Created).await
    }

    /// Like [`BookingService::book`], but the booking always waits for an
    /// approver (e.g. requested by someone the organisation does not know yet).
    pub async fn request_approval(
        &self,
        actor: &Actor,
        req: BookingRequest,
    ) -> Result<Booking, CoreError> {
        self.book_with(actor, req, true, EventKind::Created).await
    }

    /// Book; `kind` is how the change is announced (`waitlist_booked` when
    /// the waitlist books it).
    /// The checks a booking request passes before its write transaction:
    /// texts, the room, the static rules, closures and quotas.
    pub(crate) async fn vet(
        &self,
        actor: &Actor,
        req: &BookingRequest,
    ) -> Result<Vetted, CoreError> {
        check_text("title", &req.title, MAX_TITLE, true)?;
        check_text("purpose", &req.purpose, MAX_PURPOSE, false)?;
        let now = self.now();
        let room = self.get_room(req.room_id).await?;
        let (start, end) = (req.start.trunc_subsecs(0), req.end.trunc_subsecs(0));
        rules::check_static(&RuleInput {
            room: &room,
            actor,
            start,
            end,
            attendees: req.attendees,
            now,
        })?;
        self.check_open(&room, start, end).await?;
        self.check_quotas(actor.id, &room, &[(start, end)], None)
            .await?;
        Ok(Vetted {
            room,
            start,
            end,
            now,
        })
    }

    pub(crate) async fn book_with(
        &self,
        actor: &Actor,
        req: BookingRequest,
        force_pending: bool,
        kind: EventKind,
    ) -> Result<Booking, CoreError> {
        self.book_as(actor, actor, req, force_pending, kind).await
    }

    /// Book for `organizer`, made by `booker` (the same person, or someone
    /// allowed to book for them): the rules run as the organizer, the audit
    /// entry names the booker.
    pub(crate) async fn book_as(
        &self,
        booker: &Actor,
        organizer: &Actor,
        req: BookingRequest,
        force_pending: bool,
        kind: EventKind,
    ) -> Result<Booking, CoreError> {
        let Vetted {
            room,
            start,
            end,
            now,
        } = self.vet(organizer, &req).await?;
        let policy = room.policy.clone();
        let (held_start, held_end) = rules::held_interval(&policy, start, end);
        let booking = Booking {
            id: BookingId::new_random(),
            room_id: room.id,
            organizer_id: organizer.id,
            title: req.title.trim().to_string(),
            purpose: req.purpose,
            attendees: req.attendees,
            start,
            end,
            held_start,
            held_end,
            status: if force_pending {
                BookingStatus::Pending
            } else {
                rules::initial_status(&policy)
            },
            approver_id: None,
            decision_reason: None,
            sequence: 0,
            created_at: now,
            updated_at: now,
            series_id: None,
            occurrence_start: None,
            checked_in_at: None,
            no_show: false,
            booked_by: (booker.id != organizer.id).then_some(booker.id),
            group_id: None,
        };
        let audit = self.audit_entry(
            booker,
            "booking.create",
            "booking",
            booking.id,
            None,
            Some(&booking),
        );
        self.store
            .create_booking(
                &booking,
                &|snap| {
                    rules::check_against_existing(
                        &policy,
                        start,
                        end,
                        &snap.conflicting,
                        snap.user_active_in_room,
                        None,
                    )
                },
                &ChangeLog {
                    audit,
                    events: vec![stored_event(kind, &booking, now)],
                },
            )
            .await?;
        self.emit(kind, &booking, booker);
        Ok(booking)
    }

    /// Change a booking; moved bookings are re-checked by every rule.
    pub async fn update_booking(
        &self,
        actor: &Actor,
        id: BookingId,
        changes: BookingChanges,
    ) -> Result<Booking, CoreError> {
        let before = self.get_booking(id).await?;
        if !rules::can_cancel(actor, before.organizer_id, before.room_id) {
            return Err(CoreError::Forbidden(format!(
                "only the organizer or an approver of the room may change booking {id}"
            )));
        }
        if !before.status.is_blocking() {
            return Err(CoreError::InvalidTransition {
                from: before.status,
                to: before.status,
            });
        }
        if let Some(t) = &changes.title {
            check_text("title", t, MAX_TITLE, true)?;
        }
        if let Some(p) = &changes.purpose {
            check_text("purpose", p, MAX_PURPOSE, false)?;
        }
        let now = self.now();
        let room = self.get_room(before.room_id).await?;
        let start = changes.start.unwrap_or(before.start).trunc_subsecs(0);
        let end = changes.end.unwrap_or(before.end).trunc_subsecs(0);
        let attendees = changes.attendees.unwrap_or(before.attendees);
        let moved = start != before.start || end != before.end;
        if moved {
            rules::check_static(&RuleInput {
                room: &room,
                actor,
                start,
                end,
                attendees,
                now,
            })?;
        } else if attendees == 0 {
            return Err(rules::RuleViolation::NoAttendees.into());
        } else if attendees > room.capacity {
            return Err(rules::RuleViolation::OverCapacity {
                attendees,
                capacity: room.capacity,
            }
            .into());
        }
        if moved {
            self.check_open(&room, start, end).await?;
            self.check_quotas(actor.id, &room, &[(start, end)], Some(&before))
                .await?;
        }
        let policy = room.policy.clone();
        let (held_start, held_end) = rules::held_interval(&policy, start, end);
        // Moving a booking in an approval room needs a fresh approval,
        // unless the one moving it is an approver.
        let status = if moved && policy.approval_required && !actor.manages_room(room.id) {
            BookingStatus::Pending
        } else {
            before.status
        };
        let after = Booking {
            title: changes
                .title
                .map(|t| t.trim().to_string())
                .unwrap_or_else(|| before.title.clone()),
            purpose: changes.purpose.unwrap_or_else(|| before.purpose.clone()),
            attendees,
            start,
            end,
            held_start,
            held_end,
            status,
            sequence: before.sequence + 1,
            updated_at: now,
            ..before.clone()
        };
        let audit = self.audit_entry(
            actor,
            "booking.update",
            "booking",
            id,
            Some(&before),
            Some(&after),
        );
        self.store
            .update_booking(
                &after,
                &|snap| {
                    rules::check_against_existing(
                        &policy,
                        start,
                        end,
                        &snap.conflicting,
                        snap.user_active_in_room,
                        Some(id),
                    )
                },
                &ChangeLog {
                    audit,
                    events: vec![stored_event(EventKind::Updated, &after, now)],
                },
            )
            .await?;
        self.emit(EventKind::Updated, &after, actor);
        if moved {
            self.after_change(id, None, (before.room_id, before.start, before.end))
                .await;
        }
        Ok(after)
    }

    pub(crate) async fn transition(
        &self,
        actor: &Actor,
        id: BookingId,
        to: BookingStatus,
        reason: Option<String>,
    ) -> Result<Booking, CoreError> {
        if let Some(r) = &reason {
            check_text("reason", r, MAX_PURPOSE, false)?;
        }
        let before = self.get_booking(id).await?;
        let allowed = match to {
            BookingStatus::Cancelled => {
                rules::can_cancel(actor, before.organizer_id, before.room_id)
            }
            _ => rules::can_decide(actor, before.room_id),
        };
        if !allowed {
            return Err(CoreError::Forbidden(match to {
                BookingStatus::Cancelled => {
                    format!("only the organizer or an approver of the room may cancel booking {id}")
                }
                _ => format!(
                    "only a super_admin or a room_admin of this room may {} booking {id}",
                    if to == BookingStatus::Approved {
                        "approve"
                    } else {
                        "reject"
                    }
                ),
            }));
        }
        if !rules::transition_allowed(before.status, to) {
            return Err(CoreError::InvalidTransition {
                from: before.status,
                to,
            });
        }
        let after = Booking {
            status: to,
            approver_id: if to == BookingStatus::Cancelled {
                before.approver_id
            } else {
                Some(actor.id)
            },
            decision_reason: reason.or_else(|| before.decision_reason.clone()),
            sequence: before.sequence + 1,
            updated_at: self.now(),
            ..before.clone()
        };
        let (action, kind) = match to {
            BookingStatus::Approved => ("booking.approve", EventKind::Approved),
            BookingStatus::Rejected => ("booking.reject", EventKind::Rejected),
            _ => ("booking.cancel", EventKind::Cancelled),
        };
        let audit = self.audit_entry(actor, action, "booking", id, Some(&before), Some(&after));
        if !self
            .store
            .set_booking_status(
                &after,
                before.status,
                &ChangeLog {
                    audit,
                    events: vec![stored_event(kind, &after, after.updated_at)],
                },
            )
            .await?
        {
            return Err(CoreError::Stale(format!(
                "booking {id} changed while it was being {to}; reload and retry"
            )));
        }
        self.emit(kind, &after, actor);
        if !after.status.is_blocking() {
            let why = match to {
                BookingStatus::Rejected => "booking rejected",
                _ => "booking cancelled",
            };
            self.after_change(id, Some(why), (after.room_id, after.start, after.end))
                .await;
        }
        Ok(after)
    }

    /// Follow-ups of a committed change that freed or moved a slot: orders
    /// follow the booking and the freed time goes to the waitlist. The change
    /// itself stands whatever happens here, so failures are logged, not returned.
    pub(crate) async fn after_change(
        &self,
        id: BookingId,
        gone: Option<&str>,
        freed: (RoomId, DateTime<Utc>, DateTime<Utc>),
    ) {
        if let Err(e) = self.orders_follow_booking(id, gone).await {
            tracing::warn!(booking = %id, error = %e, "orders could not follow the booking");
        }
        if let Err(e) = self.promote_waitlist(freed.0, freed.1, freed.2).await {
            tracing::warn!(booking = %id, error = %e, "waitlist promotion failed");
        }
    }

    /// Cancel a booking (its organizer, or an approver of the room).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use booking_core::memory::MemoryStore;
    /// # use booking_core::*;
    /// # use chrono::{Duration, TimeZone, Utc};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), CoreError> {
    /// # let monday = Utc.with_ymd_and_hms(2030, 1, 7, 7, 0, 0).unwrap();
    /// # let service = BookingService::new(
    /// #     Arc::new(MemoryStore::new()),
    /// #     Arc::new(FixedClock::new(monday)),
    /// # );
    /// # let admin = Actor::from(
    /// #     service
    /// #         .create_user("admin@example.com", "Admin", Role::SuperAdmin, None, AccountState::Active)
    /// #         .await?,
    /// # );
    /// # let spec = RoomSpec {
    /// #     name: "Boardroom".into(),
    /// #     category: RoomCategory::Boardroom,
    /// #     capacity: 12,
    /// #     floor: Some(3),
    /// #     location: "HQ".into(),
    /// #     amenities: ["projector".to_string()].into(),
    /// #     time_zone: "Europe/Berlin".into(),
    /// #     active: true,
    /// #     policy: RoomPolicy::default(),
    /// # };
    /// # let room = service.create_room(&admin, spec).await?;
    /// let start = monday + Duration::hours(2);
    /// let request = BookingRequest {
    ///     room_id: room.id,
    ///     title: "Planning".into(),
    ///     purpose: String::new(),
    ///     attendees: 4,
    ///     start,
    ///     end: start + Duration::hours(1),
    /// };
    /// let booking = service.book(&admin, request.clone()).await?;
    /// let cancelled = service.cancel(&admin, booking.id, None).await?;
    /// assert_eq!(cancelled.status, BookingStatus::Cancelled);
    /// // The hour is free again.
    /// service.book(&admin, request).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn cancel(
        &self,
        actor: &Actor,
        id: BookingId,
        reason: Option<String>,
    ) -> Result<Booking, CoreError> {
        let cancelled = self
            .transition(actor, id, BookingStatus::Cancelled, reason.clone())
            .await?;
        // Rooms booked together are cancelled together.
        self.cancel_group_of(actor, &cancelled, reason).await?;
        Ok(cancelled)
    }

    /// Approve a pending booking (super_admin, or a room_admin of the room).
    pub async fn approve(
        &self,
        actor: &Actor,
        id: BookingId,
        reason: Option<String>,
    ) -> Result<Booking, CoreError> {
        self.transition(actor, id, BookingStatus::Approved, reason)
            .await
    }

    /// Reject a pending booking with a reason the organizer will see.
    pub async fn reject(
        &self,
        actor: &Actor,
        id: BookingId,
        reason: Option<String>,
    ) -> Result<Booking, CoreError> {
        self.transition(actor, id, BookingStatus::Rejected, reason)
            .await
    }

    // ---- availability ------------------------------------------------------

    /// Free slots of a room on a local date (in the room's time zone).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use booking_core::memory::MemoryStore;
    /// # use booking_core::*;
    /// # use chrono::{Duration, TimeZone, Utc};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), CoreError> {
    /// # let monday = Utc.with_ymd_and_hms(2030, 1, 7, 7, 0, 0).unwrap();
    /// # let service = BookingService::new(
    /// #     Arc::new(MemoryStore::new()),
    /// #     Arc::new(FixedClock::new(monday)),
    /// # );
    /// # let admin = Actor::from(
    /// #     service
    /// #         .create_user("admin@example.com", "Admin", Role::SuperAdmin, None, AccountState::Active)
    /// #         .await?,
    /// # );
    /// # let spec = RoomSpec {
    /// #     name: "Boardroom".into(),
    /// #     category: RoomCategory::Boardroom,
    /// #     capacity: 12,
    /// #     floor: Some(3),
    /// #     location: "HQ".into(),
    /// #     amenities: ["projector".to_string()].into(),
    /// #     time_zone: "Europe/Berlin".into(),
    /// #     active: true,
    /// #     policy: RoomPolicy::default(),
    /// # };
    /// # let room = service.create_room(&admin, spec).await?;
    /// let start = monday + Duration::hours(2); // 10:00 in Berlin
    /// let request = BookingRequest {
    ///     room_id: room.id,
    ///     title: "Stand-up".into(),
    ///     purpose: String::new(),
    ///     attendees: 4,
    ///     start,
    ///     end: start + Duration::hours(1),
    /// };
    /// service.book(&admin, request).await?;
    /// let date = chrono::NaiveDate::from_ymd_opt(2030, 1, 7).unwrap();
    /// let slots = service.free_slots(room.id, date).await?;
    /// // Free until 10:00 and again from 11:00, not in between.
    /// assert!(slots.iter().any(|s| s.end == start));
    /// assert!(slots.iter().any(|s| s.start == start + Duration::hours(1)));
    /// assert!(slots.iter().all(|s| s.end <= start || s.start >= start + Duration::hours(1)));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn free_slots(
        &self,
        room_id: RoomId,
        date: NaiveDate,
    ) -> Result<Vec<Slot>, CoreError> {
        let room = self.get_room(room_id).await?;
        if !room.is_bookable() {
            return Ok(Vec::new());
        }
        let Some((open, close)) = rules::business_window(&room.policy, room.time_zone, date) else {
            return Ok(Vec::new());
        };
        let margin = Duration::minutes(i64::from(
            room.policy
                .buffer_before_minutes
                .max(room.policy.buffer_after_minutes),
        ));
        let occ = self
            .occupancies_linked(room_id, open - margin, close + margin)
            .await?;
        let slots = availability::free_slots(&room, date, &occ, self.now());
        let closed =
            crate::closures::closed_intervals(&room, &self.closures_for(&room).await?, open, close);
        let min = Duration::minutes(i64::from(room.policy.min_duration_minutes));
        Ok(crate::closures::cut(slots, &closed, min))
    }

    /// Rooms `actor` could book for `query`, best fit first.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use booking_core::memory::MemoryStore;
    /// # use booking_core::*;
    /// # use chrono::{Duration, TimeZone, Utc};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), CoreError> {
    /// # let monday = Utc.with_ymd_and_hms(2030, 1, 7, 7, 0, 0).unwrap();
    /// # let service = BookingService::new(
    /// #     Arc::new(MemoryStore::new()),
    /// #     Arc::new(FixedClock::new(monday)),
    /// # );
    /// # let admin = Actor::from(
    /// #     service
    /// #         .create_user("admin@example.com", "Admin", Role::SuperAdmin, None, AccountState::Active)
    /// #         .await?,
    /// # );
    /// # let spec = RoomSpec {
    /// #     name: "Boardroom".into(),
    /// #     category: RoomCategory::Boardroom,
    /// #     capacity: 12,
    /// #     floor: Some(3),
    /// #     location: "HQ".into(),
    /// #     amenities: ["projector".to_string()].into(),
    /// #     time_zone: "Europe/Berlin".into(),
    /// #     active: true,
    /// #     policy: RoomPolicy::default(),
    /// # };
    /// # let room = service.create_room(&admin, spec).await?;
    /// use booking_core::availability::RoomQuery;
    /// let query = RoomQuery {
    ///     start: monday + Duration::hours(2),
    ///     end: monday + Duration::hours(3),
    ///     min_capacity: 8,
    ///     amenities: vec!["projector".into()],
    /// };
    /// let found = service.find_rooms(&admin.user, &query).await?;
    /// assert_eq!(found[0].room.name, "Boardroom");
    /// assert_eq!(found[0].spare_seats, 4);
    ///
    /// // More seats than any room has: nothing fits.
    /// let crowd = RoomQuery { min_capacity: 40, ..query };
    /// assert!(service.find_rooms(&admin.user, &crowd).await?.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn find_rooms(
        &self,
        actor: &User,
        query: &RoomQuery,
    ) -> Result<Vec<RoomMatch>, CoreError> {
        if query.end <= query.start {
            return Err(rules::RuleViolation::EndNotAfterStart {
                start: query.start,
                end: query.end,
            }
            .into());
        }
        if (query.end - query.start).num_minutes() > MAX_HELD_MINUTES {
            return Err(InputError::Invalid {
                field: "end",
                reason: "the search range is limited to 7 days".into(),
            }
            .into());
        }
        let rooms = self.searchable_rooms().await?;
        // Widen the scan by the largest buffer any room uses.
        let margin = Duration::minutes(i64::from(
            rooms
                .iter()
                .map(|r| {
                    r.policy
                        .buffer_before_minutes
                        .max(r.policy.buffer_after_minutes)
                })
                .max()
                .unwrap_or(0),
        ));
        let occ = self.room_links().await?.spread(
            self.store
                .occupancies(None, query.start - margin, query.end + margin)
                .await?,
        );
        let by_id: std::collections::HashMap<RoomId, &Room> =
            rooms.iter().map(|r| (r.id, r)).collect();
        let mut busy: HashSet<RoomId> = occ
            .iter()
            .filter(|(room_id, o)| {
                by_id.get(room_id).is_some_and(|room| {
                    let (s, e) = rules::held_interval(&room.policy, query.start, query.end);
                    rules::overlaps(s, e, o.start, o.end)
                })
            })
            .map(|(room_id, _)| *room_id)
            .collect();
        // Closed rooms are not free either.
        let closures = self.store.list_closures(self.now()).await?;
        busy.extend(
            rooms
                .iter()
                .filter(|r| {
                    crate::closures::check_open(r, &closures, query.start, query.end).is_err()
                })
                .map(|r| r.id),
        );
        Ok(availability::rank_rooms(
            rooms.iter(),
            &busy,
            query,
            actor,
            self.now(),
        ))
    }
}

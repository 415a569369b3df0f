//! A store that keeps everything in memory: every storage trait, behind one
//! lock, so writes are serialised and each rule check sees exactly the state
//! its write commits into.
//!
//! For tests, examples and prototypes of an embedding program — it keeps
//! nothing when the process ends, and its reads scan (fine for thousands of
//! bookings, not millions). `booking-store` is the store for real use, on
//! SQLite or PostgreSQL.
//!
//! ```
//! use std::sync::Arc;
//! use booking_core::memory::MemoryStore;
//! use booking_core::{BookingService, SystemClock};
//!
//! let service = BookingService::new(Arc::new(MemoryStore::new()), Arc::new(SystemClock));
//! # let _ = service;
//! ```

mod rest;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use crate::orders::{Order, OrderId, OrderStatus};
use crate::store::*;
use crate::*;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[derive(Default)]
struct Tables {
    rooms: BTreeMap<RoomId, Room>,
    users: BTreeMap<UserId, (User, Credentials)>,
    bookings: BTreeMap<BookingId, Booking>,
    series: BTreeMap<SeriesId, Series>,
    waitlist: Vec<WaitlistEntry>,
    events: Vec<StoredEvent>,
    audit: Vec<AuditEntry>,
    orders: BTreeMap<OrderId, Order>,
    closures: BTreeMap<crate::closures::ClosureId, crate::closures::Closure>,
    delegations: Vec<(UserId, UserId)>,
    /// (combined room, part)
    links: Vec<(RoomId, RoomId)>,
    /// Booking writes per room and per organizer, and room writes.
    writes: BTreeMap<(bool, uuid::Uuid), i64>,
    room_writes: i64,
}

/// Every table in memory, behind one lock (see the [module](self)).
#[derive(Default)]
pub struct MemoryStore(Mutex<Tables>);

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryStore")
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn tables(&self) -> Result<std::sync::MutexGuard<'_, Tables>, StoreError> {
        self.0
            .lock()
            .map_err(|_| StoreError::Corrupt("a writer panicked".into()))
    }
}

impl Tables {
    fn snapshot(&self, b: &Booking) -> Snapshot {
        let mine = |o: &&Booking| o.room_id == b.room_id && o.id != b.id && o.status.is_blocking();
        let linked =
            crate::links::RoomLinks::from_pairs(self.links.iter().copied()).sharing(b.room_id);
        let in_way = |o: &&Booking| {
            (o.room_id == b.room_id || linked.contains(&o.room_id))
                && o.id != b.id
                && o.status.is_blocking()
        };
        Snapshot {
            conflicting: self
                .bookings
                .values()
                .filter(in_way)
                .filter(|o| o.held_start < b.held_end && o.held_end > b.held_start)
                .map(|o| Occupancy {
                    booking_id: o.id,
                    start: o.held_start,
                    end: o.held_end,
                })
                .collect(),
            user_active_in_room: self
                .bookings
                .values()
                .filter(mine)
                .filter(|o| o.organizer_id == b.organizer_id && o.end > b.updated_at)
                .count() as u32,
        }
    }

    fn commit(&mut self, b: &Booking, log: &ChangeLog, events: &[StoredEvent]) {
        for key in [(true, b.room_id.0), (false, b.organizer_id.0)] {
            *self.writes.entry(key).or_default() += 1;
        }
        self.bookings.insert(b.id, b.clone());
        let id = self.audit.len() as i64 + 1;
        self.audit.push(AuditEntry {
            id,
            ..log.audit.clone()
        });
        for e in events {
            let id = self.events.len() as i64 + 1;
            self.events.push(StoredEvent { id, ..e.clone() });
        }
    }
}

#[async_trait]
impl RoomStore for MemoryStore {
    async fn insert_room(&self, room: &Room) -> Result<(), StoreError> {
        let mut t = self.tables()?;
        t.room_writes += 1;
        t.rooms.insert(room.id, room.clone());
        Ok(())
    }
    async fn update_room(&self, room: &Room) -> Result<bool, StoreError> {
        let mut t = self.tables()?;
        t.room_writes += 1;
        Ok(t.rooms.insert(room.id, room.clone()).is_some())
    }
    async fn get_room(&self, id: RoomId) -> Result<Option<Room>, StoreError> {
        Ok(self.tables()?.rooms.get(&id).cloned())
    }
    async fn list_rooms(&self, listing: RoomListing) -> Result<Vec<Room>, StoreError> {
        let t = self.tables()?;
        let mut rooms: Vec<Room> = t
            .rooms
            .values()
            .filter(|r| listing.includes_deleted() || r.deleted_at.is_none())
            .cloned()
            .collect();
        rooms.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(rooms)
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn insert_user(&self, user: &User, hash: Option<&str>) -> Result<(), StoreError> {
        let mut t = self.tables()?;
        let taken = t
            .users
            .values()
            .any(|(u, _)| u.email.eq_ignore_ascii_case(&user.email));
        if taken {
            return Err(StoreError::Duplicate(format!("user {}", user.email)));
        }
        let creds = Credentials {
            password_hash: hash.map(str::to_string),
            ..Credentials::default()
        };
        t.users.insert(user.id, (user.clone(), creds));
        Ok(())
    }
    async fn update_user(&self, user: &User) -> Result<bool, StoreError> {
        let mut t = self.tables()?;
        Ok(t.users
            .get_mut(&user.id)
            .map(|(u, _)| *u = user.clone())
            .is_some())
    }
    async fn get_user(&self, id: UserId) -> Result<Option<User>, StoreError> {
        Ok(self.tables()?.users.get(&id).map(|(u, _)| u.clone()))
    }
    async fn get_user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        let t = self.tables()?;
        let found = t
            .users
            .values()
            .find(|(u, _)| u.email.eq_ignore_ascii_case(email));
        Ok(found.map(|(u, _)| u.clone()))
    }
    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        Ok(self
            .tables()?
            .users
            .values()
            .map(|(u, _)| u.clone())
            .collect())
    }
    async fn get_credentials(&self, id: UserId) -> Result<Option<Credentials>, StoreError> {
        Ok(self.tables()?.users.get(&id).map(|(_, c)| c.clone()))
    }
    async fn set_credentials(&self, id: UserId, creds: &Credentials) -> Result<(), StoreError> {
        if let Some((_, c)) = self.tables()?.users.get_mut(&id) {
            *c = creds.clone();
        }
        Ok(())
    }
    async fn swap_credentials(
        &self,
        id: UserId,
        old: &Credentials,
        new: &Credentials,
    ) -> Result<bool, StoreError> {
        match self.tables()?.users.get_mut(&id) {
            Some((_, c)) if c == old => {
                *c = new.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[async_trait]
impl BookingStore for MemoryStore {
    async fn create_booking(
        &self,
        b: &Booking,
        check: &CheckFn<'_>,
        log: &ChangeLog,
    ) -> Result<(), CoreError> {
        let mut t = self.tables()?;
        check(&t.snapshot(b))?;
        t.commit(b, log, &log.events);
        Ok(())
    }
    async fn create_bookings(
        &self,
        bookings: &[Booking],
        check: &GroupCheckFn<'_>,
        logs: &[ChangeLog],
    ) -> Result<(), CoreError> {
        let mut t = self.tables()?;
        let snaps: Vec<Snapshot> = bookings.iter().map(|b| t.snapshot(b)).collect();
        check(&snaps)?;
        for (b, log) in bookings.iter().zip(logs) {
            t.commit(b, log, &log.events);
        }
        Ok(())
    }
    async fn update_booking(
        &self,
        b: &Booking,
        check: &CheckFn<'_>,
        log: &ChangeLog,
    ) -> Result<(), CoreError> {
        let mut t = self.tables()?;
        check(&t.snapshot(b))?;
        let current = t.bookings.get(&b.id).map(|o| o.sequence);
        if current != Some(b.sequence.wrapping_sub(1)) {
            return Err(CoreError::Stale(format!(
                "booking {} changed meanwhile",
                b.id
            )));
        }
        t.commit(b, log, &log.events);
        Ok(())
    }
    async fn set_booking_status(
        &self,
        b: &Booking,
        expected: BookingStatus,
        log: &ChangeLog,
    ) -> Result<bool, StoreError> {
        let mut t = self.tables()?;
        if t.bookings.get(&b.id).map(|o| o.status) != Some(expected) {
            return Ok(false);
        }
        t.commit(b, log, &log.events);
        Ok(true)
    }
    async fn get_booking(&self, id: BookingId) -> Result<Option<Booking>, StoreError> {
        Ok(self.tables()?.bookings.get(&id).cloned())
    }
    async fn list_bookings(&self, f: &BookingFilter) -> Result<Vec<Booking>, StoreError> {
        let t = self.tables()?;
        let mut list: Vec<Booking> = t
            .bookings
            .values()
            .filter(|b| f.room_id.is_none_or(|r| b.room_id == r))
            .filter(|b| f.series_id.is_none_or(|s| b.series_id == Some(s)))
            .filter(|b| f.organizer_id.is_none_or(|u| b.organizer_id == u))
            .filter(|b| f.statuses.is_empty() || f.statuses.contains(&b.status))
            .filter(|b| f.from.is_none_or(|t| b.end > t) && f.to.is_none_or(|t| b.start < t))
            .filter(|b| f.changed_since.is_none_or(|t| b.updated_at >= t))
            .filter(|b| f.group_id.is_none_or(|g| b.group_id == Some(g)))
            .cloned()
            .collect();
        list.sort_by_key(|b| (b.start, b.id));
        list.truncate(f.limit.unwrap_or(1000) as usize);
        Ok(list)
    }
    async fn occupancies(
        &self,
        room: Option<RoomId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(RoomId, Occupancy)>, StoreError> {
        let t = self.tables()?;
        let mut out: Vec<(RoomId, Occupancy)> = t
            .bookings
            .values()
            .filter(|b| b.status.is_blocking() && room.is_none_or(|r| b.room_id == r))
            .filter(|b| b.held_start < to && b.held_end > from)
            .map(|b| {
                let o = Occupancy {
                    booking_id: b.id,
                    start: b.held_start,
                    end: b.held_end,
                };
                (b.room_id, o)
            })
            .collect();
        out.sort_by_key(|(_, o)| o.start);
        Ok(out)
    }
    async fn count_bookings_by_status(&self) -> Result<Vec<(BookingStatus, i64)>, StoreError> {
        let t = self.tables()?;
        let mut n: BTreeMap<BookingStatus, i64> = BTreeMap::new();
        for b in t.bookings.values() {
            *n.entry(b.status).or_default() += 1;
        }
        Ok(n.into_iter().collect())
    }
    async fn check_in(&self, id: BookingId, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut t = self.tables()?;
        let Some(b) = t.bookings.get_mut(&id) else {
            return Ok(false);
        };
        if b.status != BookingStatus::Approved || b.checked_in_at.is_some() {
            return Ok(false);
        }
        b.checked_in_at = Some(at);
        Ok(true)
    }
    async fn awaiting_check_in(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Booking>, StoreError> {
        let t = self.tables()?;
        Ok(t.bookings
            .values()
            .filter(|b| b.status == BookingStatus::Approved && b.checked_in_at.is_none())
            .filter(|b| b.start >= from && b.start < to)
            .cloned()
            .collect())
    }
    async fn usage(
        &self,
        user: UserId,
        room: Option<RoomId>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<(u32, i64), StoreError> {
        let t = self.tables()?;
        let mine: Vec<&Booking> = t
            .bookings
            .values()
            .filter(|b| b.organizer_id == user && room.is_none_or(|r| b.room_id == r))
            .filter(|b| b.status.is_blocking() && b.start >= from && b.start < to)
            .collect();
        let minutes = mine.iter().map(|b| (b.end - b.start).num_minutes()).sum();
        Ok((mine.len() as u32, minutes))
    }
}

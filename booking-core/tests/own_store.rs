//! booking-core alone, with a store of the embedder's own: every storage
//! trait implemented in memory (no sqlx, no booking-store), and the service
//! running its rules over it. This is how a portal with its own persistence
//! plugs in; a real store must also keep the guarantees across processes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use booking_core::orders::{Order, OrderId, OrderStatus};
use booking_core::store::*;
use booking_core::*;
use chrono::{DateTime, NaiveTime, TimeZone, Utc};

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
    closures: BTreeMap<booking_core::closures::ClosureId, booking_core::closures::Closure>,
    delegations: Vec<(UserId, UserId)>,
    /// (combined room, part)
    links: Vec<(RoomId, RoomId)>,
    /// Booking writes per room and per organizer, and room writes.
    writes: BTreeMap<(bool, uuid::Uuid), i64>,
    room_writes: i64,
}

/// One lock over everything: writes are serialised, so a rule check sees
/// exactly the state its write commits into.
#[derive(Default)]
struct MemoryStore(Mutex<Tables>);

impl MemoryStore {
    fn tables(&self) -> Result<std::sync::MutexGuard<'_, Tables>, StoreError> {
        self.0
            .lock()
            .map_err(|_| StoreError::Corrupt("a writer panicked".into()))
    }
}

impl Tables {
    fn snapshot(&self, b: &Booking) -> Snapshot {
        let mine = |o: &&Booking| o.room_id == b.room_id && o.id != b.id && o.status.is_blocking();
        let linked = booking_core::links::RoomLinks::from_pairs(self.links.iter().copied())
            .sharing(b.room_id);
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

#[async_trait]
impl SeriesStore for MemoryStore {
    async fn create_series(
        &self,
        series: &Series,
        occurrences: &[Booking],
        check: &SeriesCheckFn<'_>,
        log: &ChangeLog,
    ) -> Result<Vec<usize>, CoreError> {
        let mut t = self.tables()?;
        let snaps: Vec<Snapshot> = occurrences.iter().map(|b| t.snapshot(b)).collect();
        let chosen = check(&snaps)?;
        t.series.insert(series.id, series.clone());
        for &i in &chosen {
            let events: Vec<StoredEvent> = log.events.get(i).cloned().into_iter().collect();
            t.commit(&occurrences[i], log, &events);
        }
        Ok(chosen)
    }
    async fn get_series(&self, id: SeriesId) -> Result<Option<Series>, StoreError> {
        Ok(self.tables()?.series.get(&id).cloned())
    }
}

#[async_trait]
impl VersionStore for MemoryStore {
    async fn bookings_version(
        &self,
        scope: VersionScope,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<BookingsVersion, StoreError> {
        let filter = BookingFilter {
            from: Some(from),
            to: Some(to),
            limit: Some(u32::MAX),
            ..scope.filter()
        };
        let list = self.list_bookings(&filter).await?;
        let t = self.tables()?;
        Ok(BookingsVersion {
            count: list.len() as i64,
            sequence_sum: list.iter().map(|b| i64::from(b.sequence)).sum(),
            last_change: list.iter().map(|b| b.updated_at).max(),
            rooms_change: t.rooms.values().map(|r| r.updated_at).max(),
            rooms: t.rooms.len() as i64,
        })
    }
    async fn change_stamp(&self, scope: VersionScope) -> Result<ChangeStamp, StoreError> {
        let t = self.tables()?;
        let writes = match scope {
            VersionScope::Room(r) => t.writes.get(&(true, r.0)).copied().unwrap_or(0),
            VersionScope::Organizer(u) => t.writes.get(&(false, u.0)).copied().unwrap_or(0),
            VersionScope::All => t.writes.iter().filter(|(k, _)| k.0).map(|(_, n)| n).sum(),
        };
        Ok(ChangeStamp {
            writes,
            room_writes: t.room_writes,
        })
    }
    async fn room_versions(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(RoomId, BookingsVersion)>, StoreError> {
        let rooms: Vec<RoomId> = self.tables()?.rooms.keys().copied().collect();
        let mut out = Vec::new();
        for r in rooms {
            let v = self
                .bookings_version(VersionScope::Room(r), from, to)
                .await?;
            if v.count > 0 {
                out.push((r, v));
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl WaitlistStore for MemoryStore {
    async fn insert_waitlist(&self, e: &WaitlistEntry) -> Result<(), StoreError> {
        self.tables()?.waitlist.push(e.clone());
        Ok(())
    }
    async fn update_waitlist(&self, e: &WaitlistEntry) -> Result<bool, StoreError> {
        let mut t = self.tables()?;
        let found = t.waitlist.iter_mut().find(|w| w.id == e.id);
        Ok(found.map(|w| *w = e.clone()).is_some())
    }
    async fn get_waitlist(&self, id: WaitlistId) -> Result<Option<WaitlistEntry>, StoreError> {
        Ok(self.tables()?.waitlist.iter().find(|w| w.id == id).cloned())
    }
    async fn waiting_for(
        &self,
        room: RoomId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<WaitlistEntry>, StoreError> {
        let t = self.tables()?;
        Ok(t.waitlist
            .iter()
            .filter(|w| w.room_id == room && w.active && w.start < to && w.end > from)
            .cloned()
            .collect())
    }
    async fn waitlist_of(&self, user: UserId) -> Result<Vec<WaitlistEntry>, StoreError> {
        let t = self.tables()?;
        Ok(t.waitlist
            .iter()
            .rev()
            .filter(|w| w.user_id == user)
            .cloned()
            .collect())
    }
}

#[async_trait]
impl EventStore for MemoryStore {
    async fn append_events(&self, events: &[StoredEvent]) -> Result<(), StoreError> {
        let mut t = self.tables()?;
        for e in events {
            let id = t.events.len() as i64 + 1;
            t.events.push(StoredEvent { id, ..e.clone() });
        }
        Ok(())
    }
    async fn latest_event_id(&self) -> Result<i64, StoreError> {
        Ok(self.tables()?.events.last().map_or(0, |e| e.id))
    }
    async fn events_since(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        let t = self.tables()?;
        Ok(t.events
            .iter()
            .filter(|e| e.id > after)
            .take(limit as usize)
            .cloned()
            .collect())
    }
    async fn prune_events(&self, _before: DateTime<Utc>) -> Result<u64, StoreError> {
        Ok(0)
    }
    async fn remote_events(&self) -> Result<Option<tokio::sync::mpsc::Receiver<()>>, StoreError> {
        Ok(None)
    }
}

#[async_trait]
impl AuditStore for MemoryStore {
    async fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        let mut t = self.tables()?;
        let id = t.audit.len() as i64 + 1;
        t.audit.push(AuditEntry {
            id,
            ..entry.clone()
        });
        Ok(())
    }
    async fn list_audit(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let t = self.tables()?;
        Ok(t.audit
            .iter()
            .rev()
            .filter(|e| f.actor_id.is_none_or(|a| e.actor_id == Some(a)))
            .filter(|e| f.entity.as_ref().is_none_or(|x| &e.entity == x))
            .filter(|e| f.entity_id.is_none() || f.entity_id == e.entity_id)
            .take(f.limit as usize)
            .cloned()
            .collect())
    }
}

/// This store keeps no analytics: the reports come back empty.
#[async_trait]
impl AnalyticsStore for MemoryStore {
    async fn usage_by_bucket(
        &self,
        _from: DateTime<Utc>,
        _to: DateTime<Utc>,
        _bucket: Bucket,
    ) -> Result<Vec<UsageRow>, StoreError> {
        Ok(vec![])
    }
    async fn heat_map(
        &self,
        _from: DateTime<Utc>,
        _to: DateTime<Utc>,
    ) -> Result<Vec<HeatCell>, StoreError> {
        Ok(vec![])
    }
    async fn room_stats(
        &self,
        _from: DateTime<Utc>,
        _to: DateTime<Utc>,
    ) -> Result<Vec<RoomStats>, StoreError> {
        Ok(vec![])
    }
}

#[async_trait]
impl RoomLinkStore for MemoryStore {
    async fn room_links(&self) -> Result<Vec<(RoomId, RoomId)>, StoreError> {
        Ok(self.tables()?.links.clone())
    }
    async fn set_room_parts(
        &self,
        room: RoomId,
        parts: &BTreeSet<RoomId>,
        _now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), CoreError> {
        let mut t = self.tables()?;
        t.links.retain(|(r, _)| *r != room);
        t.links.extend(parts.iter().map(|p| (room, *p)));
        t.audit.push(audit.clone());
        Ok(())
    }
}

#[async_trait]
impl DelegationStore for MemoryStore {
    async fn grant_delegation(
        &self,
        p: UserId,
        d: UserId,
        _at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut t = self.tables()?;
        if !t.delegations.contains(&(p, d)) {
            t.delegations.push((p, d));
        }
        Ok(())
    }
    async fn revoke_delegation(&self, p: UserId, d: UserId) -> Result<bool, StoreError> {
        let mut t = self.tables()?;
        let before = t.delegations.len();
        t.delegations.retain(|x| *x != (p, d));
        Ok(t.delegations.len() < before)
    }
    async fn delegates_of(&self, p: UserId) -> Result<Vec<UserId>, StoreError> {
        Ok(self
            .tables()?
            .delegations
            .iter()
            .filter(|x| x.0 == p)
            .map(|x| x.1)
            .collect())
    }
    async fn principals_of(&self, d: UserId) -> Result<Vec<UserId>, StoreError> {
        Ok(self
            .tables()?
            .delegations
            .iter()
            .filter(|x| x.1 == d)
            .map(|x| x.0)
            .collect())
    }
}

#[async_trait]
impl ClosureStore for MemoryStore {
    async fn insert_closure(&self, c: &booking_core::closures::Closure) -> Result<(), StoreError> {
        self.tables()?.closures.insert(c.id, c.clone());
        Ok(())
    }
    async fn delete_closure(
        &self,
        id: booking_core::closures::ClosureId,
    ) -> Result<bool, StoreError> {
        Ok(self.tables()?.closures.remove(&id).is_some())
    }
    async fn get_closure(
        &self,
        id: booking_core::closures::ClosureId,
    ) -> Result<Option<booking_core::closures::Closure>, StoreError> {
        Ok(self.tables()?.closures.get(&id).cloned())
    }
    async fn list_closures(
        &self,
        after: DateTime<Utc>,
    ) -> Result<Vec<booking_core::closures::Closure>, StoreError> {
        let mut list: Vec<_> = self
            .tables()?
            .closures
            .values()
            .filter(|c| c.end > after || c.rrule.is_some())
            .cloned()
            .collect();
        list.sort_by_key(|c| (c.start, c.id));
        Ok(list)
    }
}

#[async_trait]
impl OrderStore for MemoryStore {
    async fn insert_order(&self, order: &Order) -> Result<(), StoreError> {
        self.tables()?.orders.insert(order.id, order.clone());
        Ok(())
    }
    async fn update_order(&self, order: &Order, expected: OrderStatus) -> Result<bool, StoreError> {
        let mut t = self.tables()?;
        match t.orders.get_mut(&order.id) {
            Some(o) if o.status == expected => {
                *o = order.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn get_order(&self, id: OrderId) -> Result<Option<Order>, StoreError> {
        Ok(self.tables()?.orders.get(&id).cloned())
    }
    async fn list_orders(
        &self,
        status: Option<OrderStatus>,
        booking: Option<BookingId>,
    ) -> Result<Vec<Order>, StoreError> {
        let t = self.tables()?;
        Ok(t.orders
            .values()
            .filter(|o| status.is_none_or(|s| o.status == s))
            .filter(|o| booking.is_none_or(|b| o.booking_id == b))
            .cloned()
            .collect())
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        Ok(())
    }
    async fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        Ok(vec![])
    }
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
    async fn close(&self) {}
}

fn at(h: u32) -> DateTime<Utc> {
    // Monday 2026-03-02.
    Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0)
        .single()
        .expect("valid")
}

#[tokio::test]
async fn the_service_runs_its_rules_over_a_store_of_its_own() {
    let store = Arc::new(MemoryStore::default());
    let svc = BookingService::new(store.clone(), Arc::new(FixedClock::new(at(6))));
    let admin = Actor::from(
        svc.create_user(
            "admin@example.com",
            "Admin",
            Role::SuperAdmin,
            None,
            AccountState::Active,
        )
        .await
        .expect("admin"),
    );
    let alice = Actor::from(
        svc.create_user(
            "alice@example.com",
            "Alice",
            Role::User,
            None,
            AccountState::Active,
        )
        .await
        .expect("alice"),
    );
    let hours = |h| NaiveTime::from_hms_opt(h, 0, 0).expect("time");
    let room = svc
        .create_room(
            &admin,
            RoomSpec {
                name: "Boardroom".into(),
                category: RoomCategory::Boardroom,
                capacity: 8,
                floor: Some(3),
                location: "HQ".into(),
                amenities: BTreeSet::new(),
                time_zone: "Europe/Berlin".into(),
                active: true,
                policy: RoomPolicy {
                    business_hours: BusinessHours::weekdays(hours(8), hours(18)),
                    ..RoomPolicy::default()
                },
            },
        )
        .await
        .expect("room");
    let request = |title: &str, start, end| BookingRequest {
        room_id: room.id,
        title: title.into(),
        purpose: String::new(),
        attendees: 4,
        start,
        end,
    };

    let first = svc
        .book(&alice, request("Review", at(9), at(10)))
        .await
        .expect("book");
    assert_eq!(first.status, BookingStatus::Approved);

    // The rules hold over this store as over the real ones.
    let clash = svc.book(&admin, request("Clash", at(9), at(10))).await;
    assert!(
        matches!(&clash, Err(CoreError::Rule(RuleViolation::Conflict { booking_id, .. })) if *booking_id == first.id),
        "{clash:?}"
    );
    let too_big = svc
        .book(
            &alice,
            BookingRequest {
                attendees: 20,
                ..request("Big", at(11), at(12))
            },
        )
        .await;
    assert!(matches!(too_big, Err(CoreError::Rule(_))), "{too_big:?}");
    let night = svc.book(&alice, request("Late", at(20), at(21))).await;
    assert!(matches!(night, Err(CoreError::Rule(_))), "{night:?}");

    // Cancelling frees the slot; every change left an audit entry.
    svc.cancel(&alice, first.id, None).await.expect("cancel");
    svc.book(&admin, request("Now free", at(9), at(10)))
        .await
        .expect("free again");
    let audit = svc
        .audit_log(
            &admin,
            &AuditFilter {
                limit: 100,
                ..AuditFilter::default()
            },
        )
        .await
        .expect("audit");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    for action in ["room.create", "booking.create", "booking.cancel"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let free = svc
        .list_bookings(&BookingFilter {
            room_id: Some(room.id),
            statuses: vec![BookingStatus::Approved],
            ..BookingFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(free.len(), 1);
    assert_eq!(free[0].title, "Now free");
}

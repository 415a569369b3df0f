//! The storage traits of [`MemoryStore`] beyond rooms, people and bookings.

use super::*;

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
    async fn insert_closure(&self, c: &crate::closures::Closure) -> Result<(), StoreError> {
        self.tables()?.closures.insert(c.id, c.clone());
        Ok(())
    }
    async fn delete_closure(&self, id: crate::closures::ClosureId) -> Result<bool, StoreError> {
        Ok(self.tables()?.closures.remove(&id).is_some())
    }
    async fn get_closure(
        &self,
        id: crate::closures::ClosureId,
    ) -> Result<Option<crate::closures::Closure>, StoreError> {
        Ok(self.tables()?.closures.get(&id).cloned())
    }
    async fn list_closures(
        &self,
        after: DateTime<Utc>,
    ) -> Result<Vec<crate::closures::Closure>, StoreError> {
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

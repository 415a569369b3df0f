//! Linked rooms in the service: reading the links, making and undoing them
//! (audited as `room.link`), and availability that counts a booking in every
//! room it blocks. The rule is [`crate::links`]; the store enforces it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::domain::{BookingStatus, Occupancy, RoomId, RoomListing};
use crate::error::CoreError;
use crate::links::{self, RoomLinks};
use crate::service::{Actor, BookingService, ROOM_CACHE_TTL};
use crate::store::BookingFilter;

impl BookingService {
    /// Which rooms are made of which parts (kept for a few seconds, as the
    /// room list for search is; changes made here are seen at once).
    pub async fn room_links(&self) -> Result<Arc<RoomLinks>, CoreError> {
        if let Ok(guard) = self.links.lock()
            && let Some((at, links)) = guard.as_ref()
            && at.elapsed() < ROOM_CACHE_TTL
        {
            return Ok(links.clone());
        }
        let links = Arc::new(RoomLinks::from_pairs(self.store.room_links().await?));
        if let Ok(mut guard) = self.links.lock() {
            *guard = Some((std::time::Instant::now(), links.clone()));
        }
        Ok(links)
    }

    /// Make `room` of `parts` (a hall of A and B; none: a room on its own
    /// again). From then on booking the hall holds every part and booking a
    /// part holds the hall. Refused while current bookings of these rooms
    /// would hold a part at once (the answer names them). The actor must
    /// manage the room and every part; audited as `room.link`.
    pub async fn set_room_parts(
        &self,
        actor: &Actor,
        room_id: RoomId,
        parts: &[RoomId],
    ) -> Result<BTreeSet<RoomId>, CoreError> {
        let room = self.get_room(room_id).await?;
        let rooms: BTreeMap<RoomId, _> = self
            .store
            .list_rooms(RoomListing::WithDeleted)
            .await?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        // Fresh from the store: the check must see every link there is.
        let before = RoomLinks::from_pairs(self.store.room_links().await?);
        let parts = links::check_parts(&room, parts, &rooms, &before)?;
        let old = before.parts_of(room_id);
        for r in std::iter::once(&room_id).chain(&parts).chain(&old) {
            if !actor.manages_room(*r) {
                return Err(CoreError::Forbidden(format!(
                    "{} does not manage room {r}",
                    actor.email
                )));
            }
        }
        let after = before.with(room_id, &parts);
        let now = self.now();
        let mut current = Vec::new();
        for r in std::iter::once(room_id).chain(parts.iter().copied()) {
            current.extend(
                self.store
                    .list_bookings(&BookingFilter {
                        room_id: Some(r),
                        from: Some(now),
                        statuses: vec![BookingStatus::Pending, BookingStatus::Approved],
                        limit: Some(10_000),
                        ..Default::default()
                    })
                    .await?,
            );
        }
        if let Some((a, b)) = links::clashes(&after, &current).first() {
            let name = |id: RoomId| rooms.get(&id).map_or(id.to_string(), |r| r.name.clone());
            return Err(CoreError::WrongState(format!(
                "“{}” in {} and “{}” in {} overlap ({} – {}); cancel or move one before linking \
                 the rooms",
                a.title,
                name(a.room_id),
                b.title,
                name(b.room_id),
                a.start.max(b.start).format("%Y-%m-%d %H:%M UTC"),
                a.end.min(b.end).format("%Y-%m-%d %H:%M UTC"),
            )));
        }
        let audit = self.audit_entry(
            actor,
            "room.link",
            "room",
            room_id,
            Some(&serde_json::json!({ "parts": old })),
            Some(&serde_json::json!({ "parts": parts })),
        );
        self.store
            .set_room_parts(room_id, &parts, now, &audit)
            .await?;
        self.forget_rooms();
        Ok(parts)
    }

    /// Blocking occupancies of `room` over `[from, to)`, counting those of
    /// every room it is linked to (a part's bookings make the hall busy).
    pub(crate) async fn occupancies_linked(
        &self,
        room: RoomId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Occupancy>, CoreError> {
        let links = self.room_links().await?;
        let mut out: Vec<Occupancy> = Vec::new();
        for r in std::iter::once(room).chain(links.sharing(room)) {
            out.extend(
                self.store
                    .occupancies(Some(r), from, to)
                    .await?
                    .into_iter()
                    .map(|(_, o)| o),
            );
        }
        out.sort_by_key(|o| o.start);
        Ok(out)
    }
}

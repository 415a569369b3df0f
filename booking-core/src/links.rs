//! Linked (divisible) rooms: a hall that splits into A and B. The hall is a
//! *combined* room made of *parts*; every room stands on one or more
//! physical units — a combined room on its parts, any other room on itself —
//! and two rooms that share a unit cannot be held at once. Booking the hall
//! holds A and B; booking A holds the hall.
//!
//! This module is the pure rule: which links are allowed, which rooms a
//! booking in a room also blocks, and which current bookings would clash if
//! a link were made. The store enforces the same thing itself (a hold per
//! part, refused by the database when two overlap), so no writer can break
//! it under concurrency.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::{Booking, Occupancy, Room, RoomId};
use crate::error::InputError;
use crate::rules::overlaps;

/// The most parts one room may be made of.
pub const MAX_PARTS: usize = 16;

/// Every combined room and its parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomLinks {
    parts: BTreeMap<RoomId, BTreeSet<RoomId>>,
}

impl RoomLinks {
    /// From `(combined room, part)` pairs, as the store keeps them.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (RoomId, RoomId)>) -> Self {
        let mut parts: BTreeMap<RoomId, BTreeSet<RoomId>> = BTreeMap::new();
        for (room, part) in pairs {
            if room != part {
                parts.entry(room).or_default().insert(part);
            }
        }
        Self { parts }
    }

    /// No room is linked to another.
    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }

    /// The parts `room` is made of (empty when it is not combined).
    pub fn parts_of(&self, room: RoomId) -> BTreeSet<RoomId> {
        self.parts.get(&room).cloned().unwrap_or_default()
    }

    /// The combined rooms `room` is a part of.
    pub fn combined_of(&self, room: RoomId) -> BTreeSet<RoomId> {
        self.parts
            .iter()
            .filter(|(_, parts)| parts.contains(&room))
            .map(|(combined, _)| *combined)
            .collect()
    }

    /// The physical units `room` stands on: its parts, or itself.
    pub fn units(&self, room: RoomId) -> BTreeSet<RoomId> {
        match self.parts.get(&room) {
            Some(parts) if !parts.is_empty() => parts.clone(),
            _ => BTreeSet::from([room]),
        }
    }

    /// The other rooms a booking of `room` also blocks: every room that
    /// stands on one of its units (the parts of a hall; the hall, and the
    /// other halls sharing a part, of a part).
    pub fn sharing(&self, room: RoomId) -> BTreeSet<RoomId> {
        let units = self.units(room);
        let mut out: BTreeSet<RoomId> = units.iter().copied().collect();
        for (combined, parts) in &self.parts {
            if !parts.is_disjoint(&units) {
                out.insert(*combined);
            }
        }
        out.remove(&room);
        out
    }

    /// These links with `room` made of `parts` (none: on its own again).
    pub fn with(&self, room: RoomId, parts: &BTreeSet<RoomId>) -> Self {
        let mut next = self.clone();
        if parts.is_empty() {
            next.parts.remove(&room);
        } else {
            next.parts.insert(room, parts.clone());
        }
        next
    }

    /// Occupancies of rooms, each also counted in every room it blocks:
    /// what the rooms truly have free.
    pub fn spread(&self, occupancies: Vec<(RoomId, Occupancy)>) -> Vec<(RoomId, Occupancy)> {
        if self.is_empty() {
            return occupancies;
        }
        let mut out = Vec::with_capacity(occupancies.len());
        for (room, o) in occupancies {
            for other in self.sharing(room) {
                out.push((other, o));
            }
            out.push((room, o));
        }
        out
    }
}

/// Check that `room` may be made of `parts` given every room (`rooms`) and
/// the links there are; the parts, without repeats. An empty list unlinks.
pub fn check_parts(
    room: &Room,
    parts: &[RoomId],
    rooms: &BTreeMap<RoomId, Room>,
    links: &RoomLinks,
) -> Result<BTreeSet<RoomId>, InputError> {
    let invalid = |reason: String| InputError::Invalid {
        field: "parts",
        reason,
    };
    let set: BTreeSet<RoomId> = parts.iter().copied().collect();
    if set.is_empty() {
        return Ok(set);
    }
    if set.len() < 2 {
        return Err(invalid("a combined room has at least two parts".into()));
    }
    if set.len() > MAX_PARTS {
        return Err(invalid(format!("at most {MAX_PARTS} parts")));
    }
    if set.contains(&room.id) {
        return Err(invalid("a room cannot be a part of itself".into()));
    }
    if let Some(outer) = links.combined_of(room.id).into_iter().next() {
        let name = rooms
            .get(&outer)
            .map_or("another room", |r| r.name.as_str());
        return Err(invalid(format!(
            "{} is itself a part of {name}; parts cannot be split further",
            room.name
        )));
    }
    for part in &set {
        let Some(r) = rooms.get(part).filter(|r| r.deleted_at.is_none()) else {
            return Err(invalid(format!("room {part} does not exist")));
        };
        if !links.parts_of(*part).is_empty() {
            return Err(invalid(format!(
                "{} is made of parts itself; a part must be a single room",
                r.name
            )));
        }
    }
    Ok(set)
}

/// Pairs of current bookings (`bookings`, blocking ones) that would hold
/// one physical unit at once under `links`: why a link cannot be made yet.
pub fn clashes<'a>(links: &RoomLinks, bookings: &'a [Booking]) -> Vec<(&'a Booking, &'a Booking)> {
    let mut out = Vec::new();
    for (i, a) in bookings.iter().enumerate() {
        let blocks = links.sharing(a.room_id);
        for b in bookings.iter().skip(i + 1) {
            if a.status.is_blocking()
                && b.status.is_blocking()
                && blocks.contains(&b.room_id)
                && overlaps(a.held_start, a.held_end, b.held_start, b.held_end)
            {
                out.push((a, b));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn id(n: u8) -> RoomId {
        RoomId(Uuid::from_bytes([n; 16]))
    }

    fn hall() -> RoomLinks {
        RoomLinks::from_pairs([(id(1), id(2)), (id(1), id(3))])
    }

    #[test]
    fn a_hall_blocks_its_parts_and_a_part_blocks_the_hall() {
        let l = hall();
        assert_eq!(l.sharing(id(1)), BTreeSet::from([id(2), id(3)]));
        assert_eq!(l.sharing(id(2)), BTreeSet::from([id(1)]));
        assert_eq!(l.sharing(id(3)), BTreeSet::from([id(1)]));
        assert!(l.sharing(id(9)).is_empty());
    }

    #[test]
    fn two_halls_over_one_part_block_each_other() {
        let l = RoomLinks::from_pairs([
            (id(1), id(2)),
            (id(1), id(3)),
            (id(4), id(3)),
            (id(4), id(5)),
        ]);
        assert!(l.sharing(id(1)).contains(&id(4)));
        assert!(l.sharing(id(4)).contains(&id(1)));
        assert!(!l.sharing(id(2)).contains(&id(5)));
    }

    fn pairs() -> impl Strategy<Value = Vec<(u8, u8)>> {
        // Combined rooms 1..=4 over single rooms 10..=16.
        proptest::collection::vec((1u8..=4, 10u8..=16), 0..12)
    }

    proptest! {
        /// Blocking is mutual: if a booking in X keeps Y from being booked,
        /// one in Y keeps X from being booked.
        #[test]
        fn sharing_is_symmetric(p in pairs(), x in 1u8..=16, y in 1u8..=16) {
            let l = RoomLinks::from_pairs(p.into_iter().map(|(a, b)| (id(a), id(b))));
            prop_assert_eq!(l.sharing(id(x)).contains(&id(y)), l.sharing(id(y)).contains(&id(x)));
        }

        /// Two rooms block each other exactly when they stand on a common unit.
        #[test]
        fn sharing_is_a_common_unit(p in pairs(), x in 1u8..=16, y in 1u8..=16) {
            prop_assume!(x != y);
            let l = RoomLinks::from_pairs(p.into_iter().map(|(a, b)| (id(a), id(b))));
            let common = !l.units(id(x)).is_disjoint(&l.units(id(y)));
            prop_assert_eq!(l.sharing(id(x)).contains(&id(y)), common);
        }
    }
}

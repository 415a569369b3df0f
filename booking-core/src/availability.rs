//! Availability: free slots of a room, and "find me a room". Pure functions.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Occupancy, Room, RoomId, User};
use crate::rules::{self, RuleInput};

/// A free interval in which a booking can start and end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// Start of the free time (UTC).
    pub start: DateTime<Utc>,
    /// End of the free time (UTC).
    pub end: DateTime<Utc>,
}

impl Slot {
    /// Length in minutes.
    pub fn minutes(&self) -> i64 {
        (self.end - self.start).num_minutes()
    }
}

/// Free slots of `room` on local `date`: business hours minus the intervals
/// held by `occupancies` (buffers respected on both sides), minus the past,
/// keeping only slots at least the policy's minimum duration long.
pub fn free_slots(
    room: &Room,
    date: NaiveDate,
    occupancies: &[Occupancy],
    now: DateTime<Utc>,
) -> Vec<Slot> {
    let policy = &room.policy;
    let Some((open, close)) = rules::business_window(policy, room.time_zone, date) else {
        return Vec::new();
    };
    let before = Duration::minutes(i64::from(policy.buffer_before_minutes));
    let after = Duration::minutes(i64::from(policy.buffer_after_minutes));
    let min = Duration::minutes(i64::from(policy.min_duration_minutes));

    let mut held: Vec<&Occupancy> = occupancies
        .iter()
        .filter(|o| rules::overlaps(o.start, o.end, open - after, close + before))
        .collect();
    held.sort_by_key(|o| o.start);

    let mut slots = Vec::new();
    let mut cursor = open.max(now);
    for o in held {
        // A new booking must end `after` before this one is held...
        let gap_end = (o.start - after).min(close);
        if gap_end - cursor >= min {
            slots.push(Slot {
                start: cursor,
                end: gap_end,
            });
        }
        // ...and start `before` after it is released.
        cursor = cursor.max(o.end + before);
    }
    if close - cursor >= min {
        slots.push(Slot {
            start: cursor,
            end: close,
        });
    }
    slots
}

/// What someone looking for a room needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomQuery {
    /// Wanted from (UTC).
    pub start: DateTime<Utc>,
    /// Wanted until (UTC).
    pub end: DateTime<Utc>,
    /// At least this many seats.
    pub min_capacity: u32,
    /// Every one of these amenities.
    pub amenities: Vec<String>,
}

/// A room that fits a [`RoomQuery`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomMatch {
    /// The room.
    pub room: Room,
    /// Seats beyond what was asked for; smaller is a better fit.
    pub spare_seats: u32,
}

/// Rank `rooms` for `query`: only rooms where `actor` could book right now
/// (every static rule passes and the room is not in `busy`), best fit first
/// (smallest sufficient capacity, then name).
pub fn rank_rooms<'a>(
    rooms: impl IntoIterator<Item = &'a Room>,
    busy: &HashSet<RoomId>,
    query: &RoomQuery,
    actor: &User,
    now: DateTime<Utc>,
) -> Vec<RoomMatch> {
    let attendees = query.min_capacity.max(1);
    let mut matches: Vec<RoomMatch> = rooms
        .into_iter()
        .filter(|room| !busy.contains(&room.id))
        .filter(|room| room.has_amenities(&query.amenities))
        .filter(|room| {
            rules::check_static(&RuleInput {
                room,
                actor,
                start: query.start,
                end: query.end,
                attendees,
                now,
            })
            .is_ok()
        })
        .map(|room| RoomMatch {
            spare_seats: room.capacity - attendees,
            room: room.clone(),
        })
        .collect();
    matches.sort_by(|a, b| {
        a.spare_seats
            .cmp(&b.spare_seats)
            .then_with(|| a.room.name.cmp(&b.room.name))
    });
    matches
}

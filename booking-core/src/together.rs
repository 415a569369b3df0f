//! Several rooms in one booking: a meeting split over two sites, a hall
//! plus a catering room. One booking per room, written all or none in one
//! transaction; a conflict answer names every taken room
//! ([`rules::RuleViolation::RoomsTaken`]; a room taken by another process
//! between the check and the write is the database's plain conflict); the
//! bookings share a group id (the first one's) and cancelling one cancels
//! the others.

use chrono::{DateTime, Utc};

use crate::domain::{Booking, BookingId, BookingRequest, BookingStatus, RoomId};
use crate::error::{CoreError, InputError};
use crate::rules;
use crate::service::{Actor, BookingService, EventKind, Vetted, stored_event};
use crate::store::{BookingFilter, ChangeLog};

/// The most rooms one booking may take.
pub const MAX_ROOMS_TOGETHER: usize = 10;

/// One room of several booked together, with the people meeting there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomShare {
    /// The room.
    pub room_id: RoomId,
    /// How many people in it.
    pub attendees: u32,
}

/// What someone asks for when booking several rooms for one meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRequest {
    /// The rooms, with their attendees.
    pub rooms: Vec<RoomShare>,
    /// What the meeting is called (shown in calendars).
    pub title: String,
    /// Why, in more words (may be empty).
    pub purpose: String,
    /// When it starts (UTC).
    pub start: DateTime<Utc>,
    /// When it ends (UTC).
    pub end: DateTime<Utc>,
}

/// Rooms booked together: the group's id and one booking per room, in room
/// order.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingGroup {
    /// The group's id (its first booking's).
    pub id: BookingId,
    /// One booking per room.
    pub bookings: Vec<Booking>,
}

impl BookingService {
    /// Book every room of `req` for its time, title and purpose — all or
    /// none. Each room's rules apply to its booking (approval, buffers,
    /// limits, its attendees); when rooms are taken nothing is written and
    /// the answer names each.
    pub async fn book_rooms(
        &self,
        actor: &Actor,
        req: GroupRequest,
    ) -> Result<BookingGroup, CoreError> {
        let rooms = &req.rooms;
        let mut shares = rooms.clone();
        // Writes in room order, so two groups never wait on each other.
        shares.sort_by_key(|s| s.room_id);
        shares.dedup_by_key(|s| s.room_id);
        if shares.len() != rooms.len() {
            return Err(invalid("each room may be named once"));
        }
        if shares.len() < 2 {
            return Err(invalid(
                "name at least two rooms (book a single room on its own)",
            ));
        }
        if shares.len() > MAX_ROOMS_TOGETHER {
            return Err(invalid("at most 10 rooms can be booked together"));
        }
        let mut vetted: Vec<Vetted> = Vec::with_capacity(shares.len());
        for s in &shares {
            let one = BookingRequest {
                room_id: s.room_id,
                title: req.title.clone(),
                purpose: req.purpose.clone(),
                attendees: s.attendees,
                start: req.start,
                end: req.end,
            };
            vetted.push(self.vet(actor, &one).await?);
        }
        let group = BookingId::new_random();
        let bookings: Vec<Booking> = vetted
            .iter()
            .zip(&shares)
            .enumerate()
            .map(|(i, (v, s))| {
                let (held_start, held_end) = rules::held_interval(&v.room.policy, v.start, v.end);
                Booking {
                    id: if i == 0 {
                        group
                    } else {
                        BookingId::new_random()
                    },
                    room_id: v.room.id,
                    organizer_id: actor.id,
                    title: req.title.trim().to_string(),
                    purpose: req.purpose.clone(),
                    attendees: s.attendees,
                    start: v.start,
                    end: v.end,
                    held_start,
                    held_end,
                    status: rules::initial_status(&v.room.policy),
                    approver_id: None,
                    decision_reason: None,
                    sequence: 0,
                    created_at: v.now,
                    updated_at: v.now,
                    series_id: None,
                    occurrence_start: None,
                    checked_in_at: None,
                    no_show: false,
                    booked_by: None,
                    group_id: Some(group),
                }
            })
            .collect();
        let logs: Vec<ChangeLog> = bookings
            .iter()
            .map(|b| ChangeLog {
                audit: self.audit_entry(actor, "booking.create", "booking", b.id, None, Some(b)),
                events: vec![stored_event(EventKind::Created, b, b.created_at)],
            })
            .collect();
        let (start, end) = (bookings[0].start, bookings[0].end);
        self.store
            .create_bookings(
                &bookings,
                &|snaps| {
                    let checks: Vec<_> = vetted
                        .iter()
                        .zip(snaps)
                        .map(|(v, s)| (&v.room, s.conflicting.as_slice(), s.user_active_in_room))
                        .collect();
                    rules::check_rooms_together(&checks, start, end)
                },
                &logs,
            )
            .await?;
        for b in &bookings {
            self.emit(EventKind::Created, b, actor);
        }
        Ok(BookingGroup {
            id: group,
            bookings,
        })
    }

    /// The bookings of a group (rooms booked together), by room.
    pub async fn booking_group(&self, group: BookingId) -> Result<Vec<Booking>, CoreError> {
        let mut list = self
            .store
            .list_bookings(&BookingFilter {
                group_id: Some(group),
                ..BookingFilter::default()
            })
            .await?;
        if list.is_empty() {
            return Err(CoreError::not_found("booking group", group));
        }
        list.sort_by_key(|b| b.room_id);
        Ok(list)
    }

    /// Cancel the other bookings of `cancelled`'s group that are still
    /// held and that `actor` may cancel (each audited).
    pub(crate) async fn cancel_group_of(
        &self,
        actor: &Actor,
        cancelled: &Booking,
        reason: Option<String>,
    ) -> Result<(), CoreError> {
        let Some(group) = cancelled.group_id else {
            return Ok(());
        };
        for other in self.booking_group(group).await? {
            if other.id != cancelled.id
                && other.status.is_blocking()
                && rules::can_cancel(actor, other.organizer_id, other.room_id)
            {
                self.transition(actor, other.id, BookingStatus::Cancelled, reason.clone())
                    .await?;
            }
        }
        Ok(())
    }
}

fn invalid(reason: &str) -> CoreError {
    InputError::Invalid {
        field: "rooms",
        reason: reason.into(),
    }
    .into()
}

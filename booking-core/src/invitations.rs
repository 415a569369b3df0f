//! How a room answers a meeting invitation, as an Exchange room mailbox
//! does — the decisions alone, for any program that receives invitations
//! (the server's `mail::inbound` parses iCalendar, books through the
//! service with them and sends the REPLY; an embedder can do the same with
//! its own mail or calendar plumbing).
//!
//! An invitation is known by its UID. The first REQUEST books; a later one
//! with a higher SEQUENCE moves the booking (or one date of a series, named
//! by RECURRENCE-ID) or, when it changes a series, replaces it; a repeat of
//! a version already answered gets the same answer again. The room accepts
//! what is booked, answers tentatively while an approver decides, and
//! declines what the rules refuse.

use chrono::{DateTime, Utc};

use crate::domain::{Booking, BookingId, BookingStatus, SeriesId};
use crate::error::CoreError;

/// What the room answered before for an invitation (its UID).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    /// The SEQUENCE of the version it answered.
    pub sequence: i64,
    /// The booking it made (for a single event).
    pub booking_id: Option<BookingId>,
    /// The series it made (for a recurring one).
    pub series_id: Option<SeriesId>,
}

/// What the incoming version of an invitation asks of the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A version already answered: answer the same again, change nothing.
    Repeat {
        /// The booking answered before, if one.
        booking_id: Option<BookingId>,
        /// The series answered before, if one.
        series_id: Option<SeriesId>,
    },
    /// One date of a series moves: the occurrence that started at
    /// `occurrence_start`.
    MoveOccurrence {
        /// The series.
        series_id: SeriesId,
        /// When the moved occurrence started before.
        occurrence_start: DateTime<Utc>,
    },
    /// A single booking moves or changes.
    MoveBooking(BookingId),
    /// A series changes (or a single event became one): cancel what was
    /// booked, then book the new version.
    Replace {
        /// The series to cancel, if the old version was one.
        series_id: Option<SeriesId>,
        /// The booking to cancel, if the old version was one.
        booking_id: Option<BookingId>,
    },
    /// A new invitation: book it.
    Book,
}

/// What a REQUEST with `sequence` (and `recurrence_id` for one date of a
/// series; `repeats` when it carries a rule) asks, given what the room
/// answered before for its UID.
pub fn next_step(
    answered: Option<&Answered>,
    sequence: u32,
    recurrence_id: Option<DateTime<Utc>>,
    repeats: bool,
) -> Step {
    let Some(a) = answered else {
        return Step::Book;
    };
    match (a.series_id, a.booking_id, recurrence_id) {
        _ if i64::from(sequence) <= a.sequence && recurrence_id.is_none() => Step::Repeat {
            booking_id: a.booking_id,
            series_id: a.series_id,
        },
        (Some(series_id), _, Some(occurrence_start)) => Step::MoveOccurrence {
            series_id,
            occurrence_start,
        },
        (_, Some(id), _) if !repeats => Step::MoveBooking(id),
        _ => Step::Replace {
            series_id: a.series_id,
            booking_id: a.booking_id,
        },
    }
}

/// The room's answer to an invitation (the PARTSTAT of its REPLY).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomAnswer {
    /// Booked.
    Accepted,
    /// Held, but an approver still decides.
    Tentative,
    /// Refused (taken, closed, or against a rule).
    Declined,
}

/// The answer for what the invitation booked (`None`: nothing, e.g. every
/// date of a series was refused) and whether it repeats an answered version;
/// with the word the log and the mail use.
pub fn answer_for(booking: Option<&Booking>, repeat: bool) -> (RoomAnswer, &'static str) {
    match booking.map(|b| b.status) {
        Some(s) if !s.is_blocking() => (RoomAnswer::Declined, "declined"),
        Some(BookingStatus::Pending) if repeat => (RoomAnswer::Tentative, "unchanged"),
        Some(BookingStatus::Pending) => (RoomAnswer::Tentative, "pending approval"),
        _ if repeat => (RoomAnswer::Accepted, "unchanged"),
        _ => (RoomAnswer::Accepted, "booked"),
    }
}

/// Whether the service's refusal is the room declining the invitation (the
/// request broke a rule, named something unknown, or may not be made) rather
/// than a failure to retry.
pub fn declines(e: &CoreError) -> bool {
    matches!(
        e,
        CoreError::Rule(_)
            | CoreError::SeriesDeclined(_)
            | CoreError::Input(_)
            | CoreError::Forbidden(_)
            | CoreError::RoleDenied { .. }
            | CoreError::NotFound { .. }
    )
}

/// How many people an invitation brings to the room: those invited besides
/// rooms (at least the organizer), at most ten times the room's seats (so a
/// mailing list on the invitation does not overflow the number).
pub fn attendee_count(people: usize, capacity: u32) -> u32 {
    u32::try_from(people.max(1))
        .unwrap_or(u32::MAX)
        .min(capacity.max(1).saturating_mul(10))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, 0, 0)
            .single()
            .expect("valid")
    }

    fn single(seq: i64) -> Answered {
        Answered {
            sequence: seq,
            booking_id: Some(BookingId(uuid::Uuid::from_u128(1))),
            series_id: None,
        }
    }

    fn series(seq: i64) -> Answered {
        Answered {
            sequence: seq,
            booking_id: None,
            series_id: Some(SeriesId(uuid::Uuid::from_u128(2))),
        }
    }

    #[test]
    fn a_new_invitation_books() {
        assert_eq!(next_step(None, 0, None, false), Step::Book);
        assert_eq!(next_step(None, 3, Some(t(9)), true), Step::Book);
    }

    #[test]
    fn a_version_answered_before_is_answered_again() {
        let a = single(2);
        for seq in [0, 1, 2] {
            assert!(matches!(
                next_step(Some(&a), seq, None, false),
                Step::Repeat {
                    booking_id: Some(_),
                    ..
                }
            ));
        }
    }

    #[test]
    fn a_later_version_moves_a_single_booking_and_replaces_a_series() {
        assert_eq!(
            next_step(Some(&single(0)), 1, None, false),
            Step::MoveBooking(BookingId(uuid::Uuid::from_u128(1)))
        );
        // A single event that became a series is booked anew.
        assert!(matches!(
            next_step(Some(&single(0)), 1, None, true),
            Step::Replace {
                booking_id: Some(_),
                series_id: None
            }
        ));
        assert!(matches!(
            next_step(Some(&series(0)), 1, None, true),
            Step::Replace {
                series_id: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn one_date_of_a_series_moves_whatever_its_sequence() {
        assert_eq!(
            next_step(Some(&series(5)), 0, Some(t(9)), true),
            Step::MoveOccurrence {
                series_id: SeriesId(uuid::Uuid::from_u128(2)),
                occurrence_start: t(9),
            }
        );
    }

    #[test]
    fn attendees_are_at_least_one_and_at_most_ten_times_the_seats() {
        assert_eq!(attendee_count(0, 4), 1);
        assert_eq!(attendee_count(7, 4), 7);
        assert_eq!(attendee_count(500, 4), 40);
        assert_eq!(
            attendee_count(30, 0),
            10,
            "a room without seats counts as one"
        );
    }
}

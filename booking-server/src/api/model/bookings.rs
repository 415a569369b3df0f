//! Bookings, as the REST API shows and takes them.

use booking_core::{Booking, RoomId};
use chrono::{DateTime, Utc};
use poem_openapi::Object;
use uuid::Uuid;

use super::enums::StatusDto;

/// A booking request.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BookingIn {
    pub room_id: Uuid,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(default, validator(max_length = 2000))]
    pub purpose: String,
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub attendees: u32,
    /// RFC 3339 instant, e.g. 2026-12-01T09:00:00+01:00.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Book for this person (their account id): you must manage the room,
    /// or they must have let you book for them (`POST /me/delegates`).
    pub on_behalf_of: Option<Uuid>,
}

impl From<BookingIn> for booking_core::BookingRequest {
    fn from(b: BookingIn) -> Self {
        Self {
            room_id: RoomId(b.room_id),
            title: b.title,
            purpose: b.purpose,
            attendees: b.attendees,
            start: b.start,
            end: b.end,
        }
    }
}

/// Changes to a booking; absent fields stay as they are.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BookingPatch {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub purpose: Option<String>,
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub attendees: Option<u32>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
}

/// A booking.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BookingOut {
    pub id: Uuid,
    pub room_id: Uuid,
    pub organizer_id: Uuid,
    pub title: String,
    pub purpose: String,
    pub attendees: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub status: StatusDto,
    pub approver_id: Option<Uuid>,
    pub decision_reason: Option<String>,
    /// Grows with every change.
    pub sequence: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The series this occurrence belongs to.
    pub series_id: Option<Uuid>,
    /// The start the series rule gave this occurrence.
    pub occurrence_start: Option<DateTime<Utc>>,
    pub checked_in_at: Option<DateTime<Utc>>,
    /// Released automatically because nobody checked in.
    pub no_show: bool,
    /// Who made it, when not the organizer (an assistant, reception).
    pub booked_by: Option<Uuid>,
    /// For one of several rooms booked together: the group
    /// (`/booking-groups/{id}`); cancelling one cancels them all.
    pub group_id: Option<Uuid>,
}

impl From<Booking> for BookingOut {
    fn from(b: Booking) -> Self {
        Self {
            id: b.id.0,
            room_id: b.room_id.0,
            organizer_id: b.organizer_id.0,
            title: b.title,
            purpose: b.purpose,
            attendees: b.attendees,
            start: b.start,
            end: b.end,
            status: b.status.into(),
            approver_id: b.approver_id.map(|u| u.0),
            decision_reason: b.decision_reason,
            sequence: b.sequence,
            created_at: b.created_at,
            updated_at: b.updated_at,
            series_id: b.series_id.map(|s| s.0),
            occurrence_start: b.occurrence_start,
            checked_in_at: b.checked_in_at,
            no_show: b.no_show,
            booked_by: b.booked_by.map(|u| u.0),
            group_id: b.group_id.map(|g| g.0),
        }
    }
}

/// An optional reason for a decision or cancellation.
#[derive(Debug, Clone, Default, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ReasonIn {
    #[oai(validator(max_length = 2000))]
    pub reason: Option<String>,
}

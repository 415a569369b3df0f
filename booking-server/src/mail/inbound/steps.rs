//! Carrying out what an invitation asks of a room, as the core decided
//! ([`booking_core::invitations::next_step`]): book it, move it, replace it, or repeat
//! the answer already given.

use booking_calendar::itip::Invitation;
use booking_core::invitations::Step;
use booking_core::{
    Actor, Booking, BookingChanges, BookingRequest, CoreError, Room, SeriesRequest,
};

use crate::state::AppState;

/// What an invitation booked: the booking (the first of a series), the
/// series, whether it was a repeat of one already answered, and the dates of
/// a series that could not be booked.
type Booked = (
    Option<Booking>,
    Option<booking_core::SeriesId>,
    bool,
    Vec<booking_core::recurrence::Skipped>,
);

/// Carry out `step` for `room`. The outer error stops the invitation; the
/// inner one is the service refusing, which the room answers.
pub(super) async fn carry_out(
    state: &AppState,
    actor: &Actor,
    inv: &Invitation,
    room: &Room,
    step: Step,
    attendees: u32,
    force_pending: bool,
) -> Result<Result<Booked, CoreError>, CoreError> {
    let result = match step {
        Step::Repeat {
            booking_id,
            series_id,
        } => {
            let b = match booking_id {
                Some(b) => Some(state.svc.get_booking(b).await?),
                None => None,
            };
            Ok((b, series_id, true, Vec::new()))
        }
        Step::MoveOccurrence {
            series_id,
            occurrence_start,
        } => {
            let occ = state
                .svc
                .series_occurrences(series_id)
                .await?
                .into_iter()
                .find(|b| b.occurrence_start == Some(occurrence_start));
            match occ {
                Some(b) => state
                    .svc
                    .update_booking(
                        actor,
                        b.id,
                        BookingChanges {
                            start: Some(inv.start),
                            end: Some(inv.end),
                            ..Default::default()
                        },
                    )
                    .await
                    .map(|b| (Some(b), Some(series_id), false, Vec::new())),
                None => Err(CoreError::not_found("occurrence", occurrence_start)),
            }
        }
        Step::MoveBooking(id) => state
            .svc
            .update_booking(
                actor,
                id,
                BookingChanges {
                    start: Some(inv.start),
                    end: Some(inv.end),
                    title: Some(title(inv)),
                    attendees: Some(attendees),
                    ..Default::default()
                },
            )
            .await
            .map(|b| (Some(b), None, false, Vec::new())),
        Step::Replace {
            series_id,
            booking_id,
        } => {
            let why = Some("replaced by an updated invitation".to_string());
            if let Some(s) = series_id {
                state
                    .svc
                    .cancel_series(actor, s, booking_core::workflow::SeriesScope::All, why)
                    .await?;
            } else if let Some(b) = booking_id {
                state.svc.cancel(actor, b, why).await?;
            }
            book(state, actor, inv, room, attendees, force_pending).await
        }
        Step::Book => book(state, actor, inv, room, attendees, force_pending).await,
    };
    Ok(result)
}

/// The booking's title: the invitation's summary, or whose meeting it is.
pub(super) fn title(inv: &Invitation) -> String {
    let t = inv.summary.trim();
    if t.is_empty() {
        format!("Meeting of {}", inv.organizer.email)
    } else {
        t.chars().take(200).collect()
    }
}

/// Book `room` for the invitation: one booking, or a series when it repeats.
async fn book(
    state: &AppState,
    actor: &Actor,
    inv: &Invitation,
    room: &Room,
    attendees: u32,
    force_pending: bool,
) -> Result<Booked, CoreError> {
    match inv.rrule.as_deref() {
        None => {
            let req = BookingRequest {
                room_id: room.id,
                title: title(inv),
                purpose: inv.description.chars().take(2000).collect(),
                attendees,
                start: inv.start,
                end: inv.end,
            };
            let b = if force_pending {
                state.svc.request_approval(actor, req).await?
            } else {
                state.svc.book(actor, req).await?
            };
            Ok((Some(b), None, false, Vec::new()))
        }
        Some(rule) => {
            let minutes = u32::try_from((inv.end - inv.start).num_minutes()).unwrap_or(0);
            let out = state
                .svc
                .book_series(
                    actor,
                    SeriesRequest {
                        room_id: room.id,
                        title: title(inv),
                        purpose: inv.description.chars().take(2000).collect(),
                        attendees,
                        local_start: inv.start.with_timezone(&room.time_zone).naive_local(),
                        duration_minutes: minutes,
                        rrule: rule.to_string(),
                    },
                )
                .await?;
            Ok((
                out.booked.first().cloned(),
                Some(out.series.id),
                false,
                out.skipped,
            ))
        }
    }
}

//! Would a booking pass? Every rule a booking meets — the static rules,
//! closures, quotas, the per-person limit and the bookings already there —
//! checked without writing anything (an import's dry run, a form's preview).
//! The answer can go stale the moment it is given: only a real booking's
//! write transaction decides.

use crate::domain::{BookingRequest, BookingStatus};
use crate::error::CoreError;
use crate::rules;
use crate::service::{Actor, BookingService, Vetted};
use crate::store::BookingFilter;

impl BookingService {
    /// `Ok` if `actor` could book `req` now; otherwise the error the
    /// booking would get.
    pub async fn check_booking(
        &self,
        actor: &Actor,
        req: &BookingRequest,
    ) -> Result<(), CoreError> {
        let Vetted {
            room,
            start,
            end,
            now,
        } = self.vet(actor, req).await?;
        let (held_start, held_end) = rules::held_interval(&room.policy, start, end);
        let existing = self
            .occupancies_linked(room.id, held_start, held_end)
            .await?;
        let active = match room.policy.max_active_bookings_per_user {
            None => 0,
            Some(_) => {
                let mine = self
                    .list_bookings(&BookingFilter {
                        organizer_id: Some(actor.id),
                        room_id: Some(room.id),
                        from: Some(now),
                        statuses: vec![BookingStatus::Pending, BookingStatus::Approved],
                        ..BookingFilter::default()
                    })
                    .await?;
                u32::try_from(mine.len()).unwrap_or(u32::MAX)
            }
        };
        rules::check_against_existing(&room.policy, start, end, &existing, active, None)?;
        Ok(())
    }
}

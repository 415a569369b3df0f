//! Requests from guests: people without an account ask for a room on its
//! public request form, where the room's policy allows it
//! (`guest_requests`). The rule is here: only such rooms, every request
//! waits for an approver, and the guest is a person known by their e-mail
//! address (an account without a password is made the first time). Proving
//! the address (a confirmation link) and rate limits are the server's.

use crate::domain::{AccountState, Booking, BookingRequest, Role, User};
use crate::error::CoreError;
use crate::rules::RuleViolation;
use crate::service::{Actor, BookingService, EventKind, normalise_email};

impl BookingService {
    /// Check a guest's request without writing anything: the room takes
    /// guest requests and every rule passes (as a user would book it).
    pub async fn check_guest_request(&self, req: &BookingRequest) -> Result<(), CoreError> {
        self.guest_room(req).await?;
        let stand_in = Actor::from(User {
            id: crate::domain::UserId::new_random(),
            email: crate::email::Email::parse("guest@invalid.example")?,
            display_name: "Guest".into(),
            role: Role::User,
            assigned_rooms: Default::default(),
            active: true,
            created_at: self.now(),
        });
        self.check_booking(&stand_in, req).await
    }

    /// Book `req` for the guest with address `email` (whose control of the
    /// address was proven): always pending approval, audited as the guest.
    pub async fn book_as_guest(
        &self,
        email: &str,
        name: &str,
        ip: Option<String>,
        req: BookingRequest,
    ) -> Result<Booking, CoreError> {
        self.guest_room(&req).await?;
        let email = normalise_email(email)?;
        let user = match self.store.get_user_by_email(&email).await? {
            Some(u) => u,
            None => {
                self.create_user(&email, name, Role::User, None, AccountState::Active)
                    .await?
            }
        };
        if !user.active {
            return Err(CoreError::WrongState(format!(
                "{email} cannot make requests: the account is switched off"
            )));
        }
        let guest = Actor { user, ip };
        self.book_with(&guest, req, true, EventKind::Created).await
    }

    async fn guest_room(&self, req: &BookingRequest) -> Result<(), CoreError> {
        let room = self.get_room(req.room_id).await?;
        if !room.is_bookable() {
            return Err(RuleViolation::RoomInactive { room_id: room.id }.into());
        }
        if !room.policy.guest_requests {
            return Err(CoreError::Forbidden(format!(
                "{} does not take requests from guests",
                room.name
            )));
        }
        Ok(())
    }
}

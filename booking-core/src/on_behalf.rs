//! Booking for someone else: assistants and reception book in another
//! person's name. The organizer is that person — the rules (their role,
//! quotas, per-person limits) are theirs — and the booker is recorded on the
//! booking and in the audit log. Who may: the room's admins (and super
//! admins) for anyone, and whoever a person has let book for them
//! (a delegation, which that person grants and revokes; audited).

use crate::domain::{Booking, BookingRequest, User, UserId};
use crate::error::CoreError;
use crate::service::{Actor, BookingService, EventKind};

impl BookingService {
    /// Book `req` with `organizer` as the organizer, made by `actor`.
    pub async fn book_for(
        &self,
        actor: &Actor,
        organizer: UserId,
        req: BookingRequest,
    ) -> Result<Booking, CoreError> {
        if organizer == actor.id {
            return self.book(actor, req).await;
        }
        let person = self.get_user(organizer).await?;
        if !person.active {
            return Err(CoreError::WrongState(format!(
                "{} cannot have bookings: the account is not active",
                person.email
            )));
        }
        let delegated = self
            .store
            .principals_of(actor.id)
            .await?
            .contains(&organizer);
        if !(delegated || actor.manages_room(req.room_id)) {
            return Err(CoreError::Forbidden(format!(
                "{} has not let you book for them (and you do not manage this room)",
                person.email
            )));
        }
        let organizer = Actor {
            user: person,
            ip: actor.ip.clone(),
        };
        self.book_as(actor, &organizer, req, false, EventKind::Created)
            .await
    }

    /// Let `delegate` book for `actor`. Audited as `delegation.grant`.
    pub async fn grant_delegation(
        &self,
        actor: &Actor,
        delegate: UserId,
    ) -> Result<User, CoreError> {
        if delegate == actor.id {
            return Err(crate::error::InputError::Invalid {
                field: "delegate",
                reason: "you can book for yourself already".into(),
            }
            .into());
        }
        let person = self.get_user(delegate).await?;
        self.store
            .grant_delegation(actor.id, delegate, self.now())
            .await?;
        self.audit(
            Some(actor),
            "delegation.grant",
            "user",
            Some(actor.id.to_string()),
            None,
            Some(serde_json::json!({"delegate": delegate})),
        )
        .await?;
        Ok(person)
    }

    /// Stop `delegate` booking for `actor`. Audited as `delegation.revoke`.
    pub async fn revoke_delegation(
        &self,
        actor: &Actor,
        delegate: UserId,
    ) -> Result<(), CoreError> {
        if !self.store.revoke_delegation(actor.id, delegate).await? {
            return Err(CoreError::not_found("delegation", delegate));
        }
        self.audit(
            Some(actor),
            "delegation.revoke",
            "user",
            Some(actor.id.to_string()),
            Some(serde_json::json!({"delegate": delegate})),
            None,
        )
        .await
    }

    /// The people `user` lets book for them.
    pub async fn delegates_of(&self, user: UserId) -> Result<Vec<User>, CoreError> {
        let mut out = Vec::new();
        for id in self.store.delegates_of(user).await? {
            out.push(self.get_user(id).await?);
        }
        Ok(out)
    }

    /// The people `user` may book for.
    pub async fn principals_of(&self, user: UserId) -> Result<Vec<User>, CoreError> {
        let mut out = Vec::new();
        for id in self.store.principals_of(user).await? {
            out.push(self.get_user(id).await?);
        }
        Ok(out)
    }
}

//! Delegations: who may book for whom.

use async_trait::async_trait;
use booking_core::domain::UserId;
use booking_core::store::DelegationStore;
use chrono::{DateTime, Utc};

use crate::SqlStore;
use crate::backend::{SqlBackend, args};
use crate::error::StoreError;
use crate::rec::Rec;

#[async_trait]
impl<B: SqlBackend> DelegationStore for SqlStore<B> {
    async fn grant_delegation(
        &self,
        principal: UserId,
        delegate: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.run(
            "grant delegation",
            "INSERT INTO delegations (principal_id, delegate_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
            args![principal, delegate, at],
        )
        .await
    }

    async fn revoke_delegation(
        &self,
        principal: UserId,
        delegate: UserId,
    ) -> Result<bool, StoreError> {
        self.changed_one(
            "revoke delegation",
            "DELETE FROM delegations WHERE principal_id = $1 AND delegate_id = $2",
            args![principal, delegate],
        )
        .await
    }

    async fn delegates_of(&self, principal: UserId) -> Result<Vec<UserId>, StoreError> {
        self.all(
            "list delegates",
            "SELECT delegate_id AS id FROM delegations WHERE principal_id = $1 ORDER BY created_at",
            args![principal],
            |row| Ok(UserId(Rec::<B>::new(row).uuid("id")?)),
        )
        .await
    }

    async fn principals_of(&self, delegate: UserId) -> Result<Vec<UserId>, StoreError> {
        self.all(
            "list principals",
            "SELECT principal_id AS id FROM delegations WHERE delegate_id = $1 ORDER BY created_at",
            args![delegate],
            |row| Ok(UserId(Rec::<B>::new(row).uuid("id")?)),
        )
        .await
    }
}

//! Door display tokens: which tablet may show which room.

use async_trait::async_trait;
use booking_core::StoreError;
use booking_core::domain::{RoomId, UserId};
use booking_store::backend::{SqlBackend, args};
use booking_store::{Rec, SqlStore};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A door display's grant: one room, one door account, until revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayGrant {
    pub id: Uuid,
    pub room_id: RoomId,
    /// The account walk-up bookings made at the door belong to.
    pub door_user: UserId,
    pub label: String,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Server table of door display tokens (only their SHA-256 is stored).
#[async_trait]
pub trait DisplayStore: Send + Sync {
    async fn insert_display(
        &self,
        grant: &DisplayGrant,
        token_sha256: &str,
    ) -> Result<(), StoreError>;
    /// The grant a token's hash names, revoked or not.
    async fn display_by_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<DisplayGrant>, StoreError>;
    async fn get_display(&self, id: Uuid) -> Result<Option<DisplayGrant>, StoreError>;
    /// A room's displays, newest first.
    async fn room_displays(&self, room: RoomId) -> Result<Vec<DisplayGrant>, StoreError>;
    /// Revoke; `false` if it was already revoked or does not exist.
    async fn revoke_display(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError>;
}

const COLUMNS: &str = "SELECT id, room_id, door_user_id, label, created_by, created_at, revoked_at FROM display_tokens";

fn grant<B: SqlBackend>(row: &booking_store::backend::Row<B>) -> Result<DisplayGrant, StoreError> {
    let r = Rec::<B>::new(row);
    Ok(DisplayGrant {
        id: r.uuid("id")?,
        room_id: RoomId(r.uuid("room_id")?),
        door_user: UserId(r.uuid("door_user_id")?),
        label: r.text("label")?,
        created_by: UserId(r.uuid("created_by")?),
        created_at: r.time("created_at")?,
        revoked_at: r.opt_time("revoked_at")?,
    })
}

#[async_trait]
impl<B: SqlBackend> DisplayStore for SqlStore<B> {
    async fn insert_display(&self, g: &DisplayGrant, token_sha256: &str) -> Result<(), StoreError> {
        self.run(
            "create display token",
            "INSERT INTO display_tokens (id, room_id, door_user_id, token_sha256, label, \
             created_by, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![
                g.id,
                g.room_id,
                g.door_user,
                token_sha256,
                &g.label,
                g.created_by,
                g.created_at,
                g.revoked_at
            ],
        )
        .await
    }

    async fn display_by_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<DisplayGrant>, StoreError> {
        let q = format!("{COLUMNS} WHERE token_sha256 = $1");
        self.find(
            "find display token",
            sqlx::AssertSqlSafe(q),
            args![token_sha256],
            grant::<B>,
        )
        .await
    }

    async fn get_display(&self, id: Uuid) -> Result<Option<DisplayGrant>, StoreError> {
        let q = format!("{COLUMNS} WHERE id = $1");
        self.find(
            "read display token",
            sqlx::AssertSqlSafe(q),
            args![id],
            grant::<B>,
        )
        .await
    }

    async fn room_displays(&self, room: RoomId) -> Result<Vec<DisplayGrant>, StoreError> {
        let q = format!("{COLUMNS} WHERE room_id = $1 ORDER BY created_at DESC");
        self.all(
            "list display tokens",
            sqlx::AssertSqlSafe(q),
            args![room],
            grant::<B>,
        )
        .await
    }

    async fn revoke_display(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError> {
        self.changed_one(
            "revoke display token",
            "UPDATE display_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            args![at, id],
        )
        .await
    }
}

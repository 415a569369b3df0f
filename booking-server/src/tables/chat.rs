//! Chat platforms: link codes, linked accounts, requests already seen.

use async_trait::async_trait;
use booking_core::domain::UserId;
use chrono::{DateTime, Utc};

use booking_core::StoreError;
use booking_store::Rec;
use booking_store::SqlStore;
use booking_store::backend::{SqlBackend, args};
use booking_store::query::{commit, exec, fetch_opt};

/// Server tables for chat platforms: link codes, linked accounts, seen requests.
#[async_trait]
pub trait ChatStore: Send + Sync {
    /// Store a one-time code that links a chat account to `user`.
    async fn create_link_code(
        &self,
        code: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Consume `code` (if it exists and has not expired) and link
    /// `platform`/`external_id` to its user, replacing an earlier link.
    async fn redeem_link_code(
        &self,
        code: &str,
        platform: &str,
        external_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserId>, StoreError>;
    /// Remember a chat platform request by `key`; `false` when it was seen
    /// since `forget_before` (a replay). Older keys are forgotten.
    async fn first_sighting(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// The account a chat user is linked to.
    async fn chat_user(
        &self,
        platform: &str,
        external_id: &str,
    ) -> Result<Option<UserId>, StoreError>;
}

#[async_trait]
impl<B: SqlBackend> ChatStore for SqlStore<B> {
    async fn create_link_code(
        &self,
        code: &str,
        user: UserId,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.run(
            "create chat link code",
            "INSERT INTO chat_link_codes (code, user_id, expires_at) VALUES ($1, $2, $3)",
            args![code, user, expires_at],
        )
        .await
    }

    async fn redeem_link_code(
        &self,
        code: &str,
        platform: &str,
        external_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserId>, StoreError> {
        const OP: &str = "redeem chat link code";
        let mut tx = self.begin(OP, None).await?;
        let row = fetch_opt::<B>(
            &mut tx,
            OP,
            "DELETE FROM chat_link_codes WHERE code = $1 AND expires_at > $2 RETURNING user_id",
            args![code, now],
        )
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let user = UserId(Rec::<B>::new(&row).uuid("user_id")?);
        exec::<B>(
            &mut tx,
            OP,
            "INSERT INTO chat_links (platform, external_id, user_id, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (platform, external_id) \
             DO UPDATE SET user_id = excluded.user_id, created_at = excluded.created_at",
            args![platform, external_id, user, now],
        )
        .await?;
        commit::<B>(OP, tx).await?;
        Ok(Some(user))
    }

    async fn first_sighting(
        &self,
        key: &str,
        now: DateTime<Utc>,
        forget_before: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        const OP: &str = "remember chat request";
        let mut tx = self.begin(OP, None).await?;
        exec::<B>(
            &mut tx,
            OP,
            "DELETE FROM chat_requests WHERE seen_at < $1",
            args![forget_before],
        )
        .await?;
        let new = exec::<B>(
            &mut tx,
            OP,
            "INSERT INTO chat_requests (key, seen_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            args![key, now],
        )
        .await?
            == 1;
        commit::<B>(OP, tx).await?;
        Ok(new)
    }

    async fn chat_user(
        &self,
        platform: &str,
        external_id: &str,
    ) -> Result<Option<UserId>, StoreError> {
        let row = self
            .row(
                "find chat user",
                "SELECT user_id FROM chat_links WHERE platform = $1 AND external_id = $2",
                args![platform, external_id],
            )
            .await?;
        row.map(|row| Ok(UserId(Rec::<B>::new(&row).uuid("user_id")?)))
            .transpose()
    }
}

//! Personal access tokens (only their SHA-256 is stored) and the
//! idempotency keys of booking calls.

use async_trait::async_trait;
use booking_core::StoreError;
use booking_core::domain::{BookingId, UserId};
use booking_store::backend::{Row, SqlBackend, args};
use booking_store::{Rec, SqlStore};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// What a personal access token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenScope {
    /// Reads only: any call that changes something is refused.
    Read,
    /// Everything its owner may do.
    ReadWrite,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::ReadWrite => "read_write",
        }
    }
}

impl std::str::FromStr for TokenScope {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "read" => Ok(Self::Read),
            "read_write" => Ok(Self::ReadWrite),
            _ => Err(()),
        }
    }
}

/// A personal access token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub id: Uuid,
    pub user_id: UserId,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What an idempotency key stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// The key is new and now reserved for this call.
    Reserved,
    /// An earlier call with the key made this booking.
    Done(BookingId),
    /// An earlier call with the key is still running.
    InFlight,
}

/// The server's table of personal access tokens and idempotency keys.
#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_access_token(
        &self,
        token: &AccessToken,
        token_sha256: &str,
    ) -> Result<(), StoreError>;
    /// The token a hash names (revoked or not), and note that it was used.
    async fn use_access_token(
        &self,
        token_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AccessToken>, StoreError>;
    /// A person's tokens, newest first.
    async fn access_tokens_of(&self, user: UserId) -> Result<Vec<AccessToken>, StoreError>;
    /// Revoke one of `user`'s tokens; `false` if there is no such live token.
    async fn revoke_access_token(
        &self,
        user: UserId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Reserve `key` for `user`, or say what an earlier call did with it.
    async fn reserve_idempotency_key(
        &self,
        user: UserId,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Idempotency, StoreError>;
    /// The reserved call made `booking`.
    async fn complete_idempotency_key(
        &self,
        user: UserId,
        key: &str,
        booking: BookingId,
    ) -> Result<(), StoreError>;
    /// The reserved call failed: free the key so a retry runs again.
    async fn release_idempotency_key(&self, user: UserId, key: &str) -> Result<(), StoreError>;
    /// Forget keys made before `before`.
    async fn prune_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

const COLUMNS: &str = "SELECT id, user_id, name, scope, created_at, expires_at, last_used_at, \
     revoked_at FROM access_tokens";

fn token<B: SqlBackend>(row: &Row<B>) -> Result<AccessToken, StoreError> {
    let r = Rec::<B>::new(row);
    Ok(AccessToken {
        id: r.uuid("id")?,
        user_id: UserId(r.uuid("user_id")?),
        name: r.text("name")?,
        scope: r.parse("scope")?,
        created_at: r.time("created_at")?,
        expires_at: r.opt_time("expires_at")?,
        last_used_at: r.opt_time("last_used_at")?,
        revoked_at: r.opt_time("revoked_at")?,
    })
}

#[async_trait]
impl<B: SqlBackend> TokenStore for SqlStore<B> {
    async fn insert_access_token(
        &self,
        t: &AccessToken,
        token_sha256: &str,
    ) -> Result<(), StoreError> {
        self.run(
            "create access token",
            "INSERT INTO access_tokens (id, user_id, name, scope, token_sha256, created_at, \
             expires_at, last_used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            args![
                t.id,
                t.user_id,
                &t.name,
                t.scope.as_str(),
                token_sha256,
                t.created_at,
                t.expires_at,
                t.last_used_at,
                t.revoked_at
            ],
        )
        .await
    }

    async fn use_access_token(
        &self,
        token_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<AccessToken>, StoreError> {
        let q = format!("{COLUMNS} WHERE token_sha256 = $1");
        let found = self
            .find(
                "find access token",
                sqlx::AssertSqlSafe(q),
                args![token_sha256],
                token::<B>,
            )
            .await?;
        // Note the use at most once a minute: reads stay reads.
        if let Some(t) = &found
            && t.revoked_at.is_none()
            && t.last_used_at
                .is_none_or(|at| now - at > chrono::Duration::minutes(1))
        {
            self.run(
                "note access token use",
                "UPDATE access_tokens SET last_used_at = $1 WHERE id = $2",
                args![now, t.id],
            )
            .await?;
        }
        Ok(found)
    }

    async fn access_tokens_of(&self, user: UserId) -> Result<Vec<AccessToken>, StoreError> {
        let q = format!("{COLUMNS} WHERE user_id = $1 ORDER BY created_at DESC");
        self.all(
            "list access tokens",
            sqlx::AssertSqlSafe(q),
            args![user],
            token::<B>,
        )
        .await
    }

    async fn revoke_access_token(
        &self,
        user: UserId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.changed_one(
            "revoke access token",
            "UPDATE access_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 \
             AND revoked_at IS NULL",
            args![at, id, user],
        )
        .await
    }

    async fn reserve_idempotency_key(
        &self,
        user: UserId,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Idempotency, StoreError> {
        let inserted = self
            .write(
                "reserve idempotency key",
                "INSERT INTO idempotency_keys (user_id, key, booking_id, created_at) \
                 VALUES ($1, $2, NULL, $3) ON CONFLICT DO NOTHING",
                args![user, key, now],
            )
            .await?;
        if inserted == 1 {
            return Ok(Idempotency::Reserved);
        }
        // A reservation whose call died (a crash between reserving and
        // booking) is taken over after a minute, so retries do not wait forever.
        let taken_over = self
            .write(
                "take over idempotency key",
                "UPDATE idempotency_keys SET created_at = $3 WHERE user_id = $1 AND key = $2 \
                 AND booking_id IS NULL AND created_at < $4",
                args![user, key, now, now - chrono::Duration::minutes(1)],
            )
            .await?;
        if taken_over == 1 {
            return Ok(Idempotency::Reserved);
        }
        let row = self
            .row(
                "read idempotency key",
                "SELECT booking_id FROM idempotency_keys WHERE user_id = $1 AND key = $2",
                args![user, key],
            )
            .await?;
        Ok(
            match row
                .as_ref()
                .map(|r| Rec::<B>::new(r).opt_uuid("booking_id"))
                .transpose()?
                .flatten()
            {
                Some(b) => Idempotency::Done(BookingId(b)),
                None => Idempotency::InFlight,
            },
        )
    }

    async fn complete_idempotency_key(
        &self,
        user: UserId,
        key: &str,
        booking: BookingId,
    ) -> Result<(), StoreError> {
        self.run(
            "complete idempotency key",
            "UPDATE idempotency_keys SET booking_id = $3 WHERE user_id = $1 AND key = $2",
            args![user, key, booking],
        )
        .await
    }

    async fn release_idempotency_key(&self, user: UserId, key: &str) -> Result<(), StoreError> {
        self.run(
            "release idempotency key",
            "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 \
             AND booking_id IS NULL",
            args![user, key],
        )
        .await
    }

    async fn prune_idempotency_keys(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.write(
            "prune idempotency keys",
            "DELETE FROM idempotency_keys WHERE created_at < $1",
            args![before],
        )
        .await
    }
}

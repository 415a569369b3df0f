//! OpenID identities, revoked tokens and calendar feed tokens.

use async_trait::async_trait;
use booking_core::domain::{User, UserId};
use chrono::{DateTime, Utc};

use booking_core::StoreError;
use booking_store::Rec;
use booking_store::SqlStore;
use booking_store::backend::{SqlBackend, args};
use booking_store::users::{USER_COLUMNS, user};

/// How long a revocation is kept after its token's expiry.
const REVOCATION_GRACE: chrono::Duration = chrono::Duration::minutes(10);

/// The account behind a token (see [`SignInStore::session_account`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Account {
    /// The token was revoked (signed out).
    Revoked,
    /// The account no longer exists.
    Missing,
    /// The account, active or not.
    Found(User),
}

/// Server tables for signing in: OpenID identities, revoked tokens and
/// calendar feed tokens.
#[async_trait]
pub trait SignInStore: Send + Sync {
    /// The account signed in as `subject` at OpenID provider `issuer`.
    async fn identity_user(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<UserId>, StoreError>;
    /// Remember that `subject` at `issuer` is `user` (replacing any link).
    async fn link_identity(
        &self,
        issuer: &str,
        subject: &str,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Remember a revoked token id until it would have expired anyway.
    async fn revoke_token(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<(), StoreError>;
    async fn is_token_revoked(&self, jti: &str) -> Result<bool, StoreError>;
    /// Who a verified token of `user` with id `jti` signs in, in one
    /// round trip: what every authenticated request asks.
    async fn session_account(&self, user: UserId, jti: &str) -> Result<Account, StoreError>;
    /// Set (or replace) a user's calendar feed token.
    async fn set_feed_token(&self, user: UserId, token: &str) -> Result<(), StoreError>;
    async fn feed_token(&self, user: UserId) -> Result<Option<String>, StoreError>;
    /// The active user a feed token belongs to.
    async fn user_by_feed_token(&self, token: &str) -> Result<Option<User>, StoreError>;
}

#[async_trait]
impl<B: SqlBackend> SignInStore for SqlStore<B> {
    async fn identity_user(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<UserId>, StoreError> {
        let row = self
            .row(
                "find identity",
                "SELECT user_id FROM identities WHERE issuer = $1 AND subject = $2",
                args![issuer, subject],
            )
            .await?;
        row.map(|row| Ok(UserId(Rec::<B>::new(&row).uuid("user_id")?)))
            .transpose()
    }

    async fn link_identity(
        &self,
        issuer: &str,
        subject: &str,
        user: UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.run(
            "link identity",
            "INSERT INTO identities (issuer, subject, user_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (issuer, subject) DO UPDATE SET user_id = excluded.user_id",
            args![issuer, subject, user, at],
        )
        .await
    }

    async fn revoke_token(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        const OP: &str = "revoke token";
        self.run(
            OP,
            "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            args![jti, expires_at],
        )
        .await?;
        // Forget revocations only well after the token expired: expiry is
        // checked in whole seconds, and clocks of several instances differ.
        self.run(
            OP,
            "DELETE FROM revoked_tokens WHERE expires_at < $1",
            args![Utc::now() - REVOCATION_GRACE],
        )
        .await
    }

    async fn is_token_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        let row = self
            .row(
                "check revoked token",
                "SELECT jti FROM revoked_tokens WHERE jti = $1",
                args![jti],
            )
            .await?;
        Ok(row.is_some())
    }

    async fn session_account(&self, id: UserId, jti: &str) -> Result<Account, StoreError> {
        let q = format!(
            "SELECT *, EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $2) AS revoked \
             FROM (SELECT 1 AS one) AS o LEFT JOIN ({USER_COLUMNS} WHERE id = $1) AS u ON 1 = 1"
        );
        let read = async {
            let row = self
                .one(
                    "read session account",
                    sqlx::AssertSqlSafe(q),
                    args![id, jti],
                )
                .await?;
            let r = Rec::<B>::new(&row);
            Ok(if r.flag("revoked")? {
                Account::Revoked
            } else if r.opt_uuid("id")?.is_none() {
                Account::Missing
            } else {
                Account::Found(user::<B>(&row)?)
            })
        };
        // Asked on every request: kept while nothing is committed (a
        // revocation, a role change or a disabled account is a commit).
        self.unless_changed(format!("session {id} {jti}"), read)
            .await
    }

    async fn set_feed_token(&self, user: UserId, token: &str) -> Result<(), StoreError> {
        self.run(
            "set feed token",
            "UPDATE users SET feed_token = $1 WHERE id = $2",
            args![token, user],
        )
        .await
    }

    async fn feed_token(&self, user: UserId) -> Result<Option<String>, StoreError> {
        let row = self
            .row(
                "read feed token",
                "SELECT feed_token FROM users WHERE id = $1",
                args![user],
            )
            .await?;
        match row {
            Some(row) => Rec::<B>::new(&row).opt_text("feed_token"),
            None => Ok(None),
        }
    }

    async fn user_by_feed_token(&self, token: &str) -> Result<Option<User>, StoreError> {
        let q = format!("{USER_COLUMNS} WHERE feed_token = $1 AND active");
        self.find(
            "find user by feed token",
            sqlx::AssertSqlSafe(q),
            args![token],
            user::<B>,
        )
        .await
    }
}

//! Personal access tokens: long-lived bearer tokens for scripts and AI
//! assistants (MCP). Each acts as its owner with the owner's rights,
//! read-only or read-write; only its SHA-256 is stored; its owner lists and
//! revokes them. Creating and revoking are audited (`token.create`,
//! `token.revoke`).

use booking_core::{Actor, CoreError, InputError, User, UserId};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::state::AppState;
use crate::tables::{AccessToken, TokenScope};

/// Every personal access token starts with this, so it is recognised (and
/// found by secret scanners) at a glance.
pub const PREFIX: &str = "bkp_";

/// Whether a bearer token is a personal access token (not a JWT).
pub fn is_access_token(token: &str) -> bool {
    token.starts_with(PREFIX)
}

fn sha256_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn invalid(field: &'static str, reason: &str) -> CoreError {
    InputError::Invalid {
        field,
        reason: reason.into(),
    }
    .into()
}

/// A new token for `actor`: the record and the secret, shown once.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    name: &str,
    scope: TokenScope,
    expires_in_days: Option<u32>,
) -> Result<(AccessToken, String), CoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(invalid("name", "give a name of 1 to 100 characters"));
    }
    booking_core::refuse_control_characters("name", name)?;
    if expires_in_days.is_some_and(|d| d == 0 || d > 3650) {
        return Err(invalid("expires_in_days", "from 1 to 3650 days"));
    }
    let now = state.svc.now();
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!(
        "{PREFIX}{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let token = AccessToken {
        id: Uuid::new_v4(),
        user_id: actor.id,
        name: name.to_string(),
        scope,
        created_at: now,
        expires_at: expires_in_days.map(|d| now + Duration::days(d.into())),
        last_used_at: None,
        revoked_at: None,
    };
    state
        .store
        .insert_access_token(&token, &sha256_hex(&secret))
        .await?;
    state
        .svc
        .audit(
            Some(actor),
            "token.create",
            "access_token",
            Some(token.id.to_string()),
            None,
            Some(
                serde_json::json!({"name": token.name, "scope": scope.as_str(),
                                    "expires_at": token.expires_at}),
            ),
        )
        .await?;
    Ok((token, secret))
}

/// The actor's tokens, newest first.
pub async fn list(state: &AppState, actor: &Actor) -> Result<Vec<AccessToken>, CoreError> {
    Ok(state.store.access_tokens_of(actor.id).await?)
}

/// Revoke one of the actor's tokens; it stops working at once.
pub async fn revoke(state: &AppState, actor: &Actor, id: Uuid) -> Result<(), CoreError> {
    if !state
        .store
        .revoke_access_token(actor.id, id, state.svc.now())
        .await?
    {
        return Err(CoreError::not_found("access token", id));
    }
    state
        .svc
        .audit(
            Some(actor),
            "token.revoke",
            "access_token",
            Some(id.to_string()),
            None,
            None,
        )
        .await
}

/// Why a presented token does not sign anyone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Unknown,
    Revoked,
    Expired,
    AccountGone,
    AccountDisabled,
}

impl Refused {
    pub fn text(self) -> &'static str {
        match self {
            Self::Unknown => "invalid token",
            Self::Revoked => "this access token has been revoked",
            Self::Expired => "this access token has expired",
            Self::AccountGone => "account no longer exists",
            Self::AccountDisabled => "account is disabled or awaiting approval",
        }
    }
}

/// The account and token a presented secret stands for.
pub async fn authenticate(
    state: &AppState,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Result<(User, AccessToken), Refused>, CoreError> {
    if secret.len() != PREFIX.len() + 64 {
        return Ok(Err(Refused::Unknown));
    }
    let Some(token) = state
        .store
        .use_access_token(&sha256_hex(secret), now)
        .await?
    else {
        return Ok(Err(Refused::Unknown));
    };
    if token.revoked_at.is_some() {
        return Ok(Err(Refused::Revoked));
    }
    if token.expires_at.is_some_and(|e| e <= now) {
        return Ok(Err(Refused::Expired));
    }
    match state.store.get_user(UserId(token.user_id.0)).await? {
        None => Ok(Err(Refused::AccountGone)),
        Some(u) if !u.active => Ok(Err(Refused::AccountDisabled)),
        Some(u) => Ok(Ok((u, token))),
    }
}

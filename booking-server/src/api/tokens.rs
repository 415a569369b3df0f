//! Personal access tokens of the signed-in person: create (the secret is
//! shown once), list, revoke.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use crate::auth::BearerAuth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tables::{AccessToken, TokenScope};

pub struct TokensApi;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum TokenScopeDto {
    /// Reads only (GET); every change is refused with 403.
    Read,
    /// Everything its owner may do.
    ReadWrite,
}

impl From<TokenScopeDto> for TokenScope {
    fn from(s: TokenScopeDto) -> Self {
        match s {
            TokenScopeDto::Read => TokenScope::Read,
            TokenScopeDto::ReadWrite => TokenScope::ReadWrite,
        }
    }
}

impl From<TokenScope> for TokenScopeDto {
    fn from(s: TokenScope) -> Self {
        match s {
            TokenScope::Read => TokenScopeDto::Read,
            TokenScope::ReadWrite => TokenScopeDto::ReadWrite,
        }
    }
}

/// A new personal access token.
#[derive(Debug, Object)]
pub struct TokenIn {
    /// What it is for ("Claude", "nightly export"), 1–100 characters.
    pub name: String,
    pub scope: TokenScopeDto,
    /// Days until it stops working (1–3650); none: until revoked.
    pub expires_in_days: Option<u32>,
}

/// A personal access token (never its secret).
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct TokenOut {
    pub id: Uuid,
    pub name: String,
    pub scope: TokenScopeDto,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<AccessToken> for TokenOut {
    fn from(t: AccessToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            scope: t.scope.into(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A token just made, with its secret: shown this once.
#[derive(Debug, Object)]
pub struct TokenCreatedOut {
    /// Send it as `Authorization: Bearer <token>` (API, MCP).
    pub token: String,
    #[oai(flatten)]
    pub info: TokenOut,
}

#[derive(ApiResponse)]
pub enum TokenCreated {
    /// Made; copy `token` now, it is not shown again.
    #[oai(status = 201)]
    Created(Json<TokenCreatedOut>),
}

#[derive(ApiResponse)]
pub enum Revoked {
    /// Revoked: it stops working at once.
    #[oai(status = 204)]
    Done,
}

/// Personal access tokens may not make more of themselves.
fn interactive(auth: &BearerAuth) -> ApiResult<()> {
    if auth.0.is_access_token() {
        return Err(ApiError::forbidden(
            "sign in with your password or single sign-on to manage access tokens",
        ));
    }
    Ok(())
}

#[OpenApi(tag = "ApiTags::Accounts")]
impl TokensApi {
    /// Make a personal access token for scripts and AI assistants (MCP at
    /// `/mcp`). It acts as you, with your rights (`read`: reads only).
    #[oai(path = "/me/tokens", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<TokenIn>,
    ) -> ApiResult<TokenCreated> {
        interactive(&auth)?;
        let (t, secret) = crate::tokens::create(
            &state,
            &auth.0.actor,
            &body.0.name,
            body.0.scope.into(),
            body.0.expires_in_days,
        )
        .await?;
        Ok(TokenCreated::Created(Json(TokenCreatedOut {
            token: secret,
            info: t.into(),
        })))
    }

    /// My personal access tokens, newest first (revoked ones included).
    #[oai(path = "/me/tokens", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<Vec<TokenOut>>> {
        let list = crate::tokens::list(&state, &auth.0.actor).await?;
        Ok(Json(list.into_iter().map(Into::into).collect()))
    }

    /// Revoke one of my personal access tokens.
    #[oai(path = "/me/tokens/:id", method = "delete")]
    async fn revoke(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Revoked> {
        crate::tokens::revoke(&state, &auth.0.actor, id.0).await?;
        Ok(Revoked::Done)
    }
}

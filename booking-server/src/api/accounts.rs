//! Accounts: registration, sign-in, tokens, password change, and one's own
//! feed and chat links. Administering other accounts is in `users`.

use booking_core::{AccountState, Role};
use chrono::{DateTime, Utc};
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::model::UserOut;
use crate::auth::{
    BearerAuth, TokenPair, check_password_strength, client_ip, hash_password, verify_password,
};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Self-registration.
#[derive(Debug, Object)]
pub struct RegisterIn {
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: String,
    #[oai(validator(min_length = 1, max_length = 1024))]
    pub password: String,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub display_name: String,
}

/// Password login.
#[derive(Debug, Object)]
pub struct LoginIn {
    #[oai(validator(max_length = 254))]
    pub email: String,
    #[oai(validator(max_length = 1024))]
    pub password: String,
}

/// A refresh token to exchange or revoke.
#[derive(Debug, Object)]
pub struct RefreshIn {
    #[oai(validator(max_length = 4096))]
    pub refresh_token: String,
}

/// Logout; the refresh token, if given, is revoked too.
#[derive(Debug, Default, Object)]
pub struct LogoutIn {
    #[oai(validator(max_length = 4096))]
    pub refresh_token: Option<String>,
}

/// Password change.
#[derive(Debug, Object)]
pub struct PasswordIn {
    #[oai(validator(max_length = 1024))]
    pub current_password: String,
    #[oai(validator(max_length = 1024))]
    pub new_password: String,
}

/// Calendar feed URLs for subscriptions (Outlook, Google, Apple, Thunderbird).
#[derive(Debug, Object)]
pub struct FeedOut {
    pub token: String,
    /// Your bookings.
    pub my_bookings_url: String,
    /// Every room.
    pub all_rooms_url: String,
    /// Replace {room_id} with a room's id.
    pub room_url_template: String,
}

async fn new_feed_token(state: &AppState, user: booking_core::UserId) -> ApiResult<String> {
    use rand::RngCore;
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    state.store.set_feed_token(user, &token).await?;
    Ok(token)
}

impl AppState {
    /// `actor`'s calendar feed token, made (and audited) on first use.
    pub async fn feed_token_of(&self, actor: &booking_core::Actor) -> ApiResult<String> {
        match self.store.feed_token(actor.id).await? {
            Some(t) => Ok(t),
            None => self.rotate_feed_token(actor).await,
        }
    }

    /// A new feed token for `actor` (audited as `user.feed_token`, without
    /// the token); the old feed URLs stop working at once.
    pub async fn rotate_feed_token(&self, actor: &booking_core::Actor) -> ApiResult<String> {
        let token = new_feed_token(self, actor.id).await?;
        self.svc
            .audit(
                Some(actor),
                "user.feed_token",
                "user",
                Some(actor.id.to_string()),
                None,
                None,
            )
            .await?;
        Ok(token)
    }

    /// A one-time code (15 minutes) linking a chat account to `actor`
    /// (audited, without the code).
    pub async fn new_link_code(
        &self,
        actor: &booking_core::Actor,
    ) -> ApiResult<(String, DateTime<Utc>)> {
        let user = actor.id;
        let code: String = {
            use rand::Rng;
            let mut rng = rand::rng();
            (0..8)
                .map(|_| {
                    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
                    char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])
                })
                .collect()
        };
        let expires_at = self.svc.now() + chrono::Duration::minutes(15);
        self.store.create_link_code(&code, user, expires_at).await?;
        self.svc
            .audit(
                Some(actor),
                "chat.link_code",
                "user",
                Some(user.to_string()),
                None,
                serde_json::to_value(serde_json::json!({ "expires_at": expires_at })).ok(),
            )
            .await?;
        Ok((code, expires_at))
    }
}

fn feed_out(state: &AppState, token: String) -> FeedOut {
    let base = state.config.server.public_url.trim_end_matches('/');
    FeedOut {
        my_bookings_url: format!("{base}/ical/me.ics?token={token}"),
        all_rooms_url: format!("{base}/ical/all.ics?token={token}"),
        room_url_template: format!("{base}/ical/rooms/{{room_id}}.ics?token={token}"),
        token,
    }
}

/// A one-time chat link code.
#[derive(Debug, Object)]
pub struct LinkCodeOut {
    pub code: String,
    pub expires_at: DateTime<Utc>,
    pub instructions: String,
}

#[derive(ApiResponse)]
pub enum UserCreated {
    /// The account exists; `active` is false while it awaits approval.
    #[oai(status = 201)]
    Created(Json<UserOut>),
}

#[derive(ApiResponse)]
pub enum NoContent {
    /// Done.
    #[oai(status = 204)]
    Done,
}

pub struct AccountsApi;

/// The ways to sign in.
#[derive(Debug, Object)]
pub struct SignInOptions {
    /// `POST /api/v1/auth/login` accepts passwords.
    password_login: bool,
    providers: Vec<SignInProvider>,
}

/// A single sign-on provider.
#[derive(Debug, Object)]
pub struct SignInProvider {
    name: String,
    display_name: String,
    /// Open in a browser to sign in.
    login_url: String,
}

/// Hash a password off the runtime's threads (argon2 is deliberately slow).
pub(super) async fn hash_blocking(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)?
}

#[OpenApi(tag = "ApiTags::Accounts")]
impl AccountsApi {
    /// Register an account.
    ///
    /// Only allowed e-mail domains may register; some domains wait for an
    /// administrator's approval (the account is created inactive).
    #[oai(path = "/auth/register", method = "post")]
    async fn register(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<RegisterIn>,
    ) -> ApiResult<UserCreated> {
        if !state.config.auth.password_login {
            return Err(ApiError::forbidden(
                "password accounts are disabled here; sign in with single sign-on (GET /api/v1/auth/providers)",
            ));
        }
        let email = body.0.email.trim().to_ascii_lowercase();
        if !state.config.email_allowed(&email) {
            return Err(ApiError::forbidden(format!(
                "registration is limited to these e-mail domains: {}",
                state.config.auth.allowed_email_domains.join(", ")
            )));
        }
        check_password_strength(&body.0.password)?;
        let hash = hash_blocking(body.0.password).await?;
        let active = !state.config.needs_approval(&email);
        let user = state
            .svc
            .create_user(
                &email,
                &body.0.display_name,
                Role::User,
                Some(&hash),
                AccountState::from_active(active),
            )
            .await?;
        let actor = booking_core::Actor {
            user: user.clone(),
            ip: client_ip(req),
        };
        state
            .svc
            .audit(
                Some(&actor),
                "user.register",
                "user",
                Some(user.id.to_string()),
                None,
                serde_json::to_value(&user).ok(),
            )
            .await?;
        Ok(UserCreated::Created(Json(user.into())))
    }

    /// How to sign in: whether passwords are accepted, and the single
    /// sign-on providers with the URL that starts each (a browser follows
    /// it; the callback answers the same token pair as a password login).
    #[oai(path = "/auth/providers", method = "get")]
    async fn providers(&self, state: Data<&AppState>) -> Json<SignInOptions> {
        Json(SignInOptions {
            password_login: state.config.auth.password_login,
            providers: state
                .sso
                .configs()
                .iter()
                .map(|p| SignInProvider {
                    name: p.name.clone(),
                    display_name: p.display_name.clone(),
                    login_url: format!("/auth/oidc/{}/login", p.name),
                })
                .collect(),
        })
    }

    /// Log in with e-mail and password; returns a JWT access + refresh pair.
    ///
    /// After too many failed attempts the account is locked for a while (423).
    #[oai(path = "/auth/login", method = "post")]
    async fn login(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<LoginIn>,
    ) -> ApiResult<Json<TokenPair>> {
        let ip = crate::auth::client_ip(req);
        let user = state
            .login(&body.0.email, &body.0.password, ip.as_deref())
            .await?;
        Ok(Json(state.issue_tokens(&user)?))
    }

    /// Exchange a refresh token for a new pair; the old refresh token is revoked.
    #[oai(path = "/auth/refresh", method = "post")]
    async fn refresh(
        &self,
        state: Data<&AppState>,
        body: Json<RefreshIn>,
    ) -> ApiResult<Json<TokenPair>> {
        let (user, claims) = state.authenticate(&body.0.refresh_token, "refresh").await?;
        state.revoke(&claims).await?;
        Ok(Json(state.issue_tokens(&user)?))
    }

    /// Log out: revoke the access token (and the refresh token, if given).
    #[oai(path = "/auth/logout", method = "post")]
    async fn logout(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<LogoutIn>,
    ) -> ApiResult<NoContent> {
        state.sign_out(&auth.0.actor, &auth.0.claims).await?;
        if let Some(token) = &body.0.refresh_token {
            let claims = state.jwt.verify(token, "refresh")?;
            if claims.sub != auth.0.claims.sub {
                return Err(ApiError::forbidden(
                    "that refresh token belongs to someone else",
                ));
            }
            state.revoke(&claims).await?;
        }
        Ok(NoContent::Done)
    }

    /// The signed-in account.
    #[oai(path = "/me", method = "get")]
    async fn me(&self, auth: BearerAuth) -> ApiResult<Json<UserOut>> {
        Ok(Json(auth.0.actor.user.into()))
    }

    /// Change the signed-in account's password.
    #[oai(path = "/me/password", method = "post")]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<PasswordIn>,
    ) -> ApiResult<NoContent> {
        let store = &state.store;
        let id = auth.0.actor.id;
        let creds = store.get_credentials(id).await?.unwrap_or_default();
        let current = body.0.current_password;
        let stored = creds.password_hash.clone().unwrap_or_default();
        let ok = tokio::task::spawn_blocking(move || verify_password(&current, &stored))
            .await
            .map_err(ApiError::internal)?;
        if !ok {
            return Err(ApiError::forbidden("current password is wrong"));
        }
        check_password_strength(&body.0.new_password)?;
        let hash = hash_blocking(body.0.new_password).await?;
        state.svc.change_password(&auth.0.actor, &hash).await?;
        Ok(NoContent::Done)
    }

    /// A one-time code (valid 15 minutes) that links a chat account (Slack,
    /// Teams, Discord) to this account: send `link <code>` to the bot.
    #[oai(path = "/chat/link-code", method = "post", tag = "ApiTags::Accounts")]
    async fn link_code(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<LinkCodeOut>> {
        let (code, expires_at) = state.new_link_code(&auth.0.actor).await?;
        Ok(Json(LinkCodeOut {
            instructions: format!(
                "Send `link {code}` to the booking bot in Slack, Teams or Discord."
            ),
            code,
            expires_at,
        }))
    }

    /// Your calendar feed URLs (a secret token is created on first use).
    #[oai(path = "/me/feed-token", method = "get", tag = "ApiTags::Accounts")]
    async fn feed_token(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<FeedOut>> {
        let token = state.feed_token_of(&auth.0.actor).await?;
        Ok(Json(feed_out(&state, token)))
    }

    /// Rotate your feed token: the old feed URLs stop working at once.
    #[oai(path = "/me/feed-token", method = "post", tag = "ApiTags::Accounts")]
    async fn rotate_feed_token(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<FeedOut>> {
        let token = state.rotate_feed_token(&auth.0.actor).await?;
        Ok(Json(feed_out(&state, token)))
    }
}

//! Single sign-on with OpenID Connect providers (booking-sso does the
//! protocol; this module does the HTTP, the accounts and our tokens).
//!
//! ```text
//! GET /auth/login                       page listing the providers
//! GET /auth/oidc/{provider}/login       → 302 to the provider (PKCE, state, nonce)
//! GET /auth/oidc/{provider}/callback    ← code + state; answers our JWT pair
//! ```
//!
//! The state, nonce and PKCE verifier of a sign-in in progress travel in a
//! short-lived, signed, HttpOnly cookie, so any server process can finish
//! it. After the callback the person has an account: found by its
//! (issuer, subject) link, else linked to the local account with the same
//! e-mail when the provider says the address is verified, else created
//! just in time (allowed domains and approval domains apply). Role mappings
//! are applied at every sign-in when one matches.

use booking_core::{AccountState, Role, RoomListing, User};
use booking_sso::{ProviderConfig, SsoError};
use chrono::Utc;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::{Deserialize, Serialize};

use crate::error::{ApiError, ApiResult, problem_response};
use crate::state::AppState;

pub(crate) mod providers;

pub use providers::Sso;

const COOKIE: &str = "booking_oidc";
/// A sign-in must finish within this many seconds.
const PENDING_SECS: i64 = 600;

/// A sign-in in progress, kept in the signed cookie.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    typ: String,
    provider: String,
    state: String,
    nonce: String,
    verifier: String,
    exp: i64,
    /// Started from the web app: sign in there and go on to this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

fn redirect_uri(state: &AppState, provider: &str) -> String {
    format!(
        "{}/auth/oidc/{provider}/callback",
        state.config.server.public_url.trim_end_matches('/')
    )
}

fn error_response(e: ApiError) -> Response {
    problem_response(
        StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST),
        e.detail().to_string(),
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    /// A page of the web app to open after signing in (with a session
    /// cookie); without it the callback answers a JSON token pair.
    next: Option<String>,
}

/// `GET /auth/oidc/{provider}/login[?next=/page]`
#[handler]
pub async fn login(
    state: Data<&AppState>,
    Path(name): Path<String>,
    Query(q): Query<LoginQuery>,
) -> Response {
    let next = q.next.map(|n| crate::web::safe_next(Some(&n)));
    match start(&state, &name, next).await {
        Ok(r) => r,
        Err(e) => error_response(e),
    }
}

async fn start(state: &AppState, name: &str, next: Option<String>) -> ApiResult<Response> {
    let provider = state.sso.provider(name).await?;
    let begin = provider
        .start(&redirect_uri(state, name))
        .map_err(ApiError::internal)?;
    let pending = Pending {
        typ: "oidc-login".into(),
        provider: name.to_string(),
        state: begin.state,
        nonce: begin.nonce,
        verifier: begin.pkce_verifier,
        exp: Utc::now().timestamp() + PENDING_SECS,
        next,
    };
    let cookie = state.jwt.sign_any(&pending)?;
    let secure = if state.config.server.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    Ok(Response::builder()
        .status(StatusCode::FOUND)
        .header("location", begin.url)
        .header("cache-control", "no-store")
        .header(
            "set-cookie",
            format!(
                "{COOKIE}={cookie}; Path=/auth/oidc/{name}/; Max-Age={PENDING_SECS}; HttpOnly; SameSite=Lax{secure}"
            ),
        )
        .finish())
}

#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/oidc/{provider}/callback?code=…&state=…`
#[handler]
pub async fn callback(
    state: Data<&AppState>,
    req: &Request,
    Path(name): Path<String>,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let clear = format!("{COOKIE}=; Path=/auth/oidc/{name}/; Max-Age=0; HttpOnly; SameSite=Lax");
    let mut resp = match finish(&state, req, &name, q).await {
        Ok((user, Some(next))) => crate::web::signed_in(&state, req, &user, &next),
        Ok((user, None)) => match token_pair(&state, &user) {
            Ok(pair) => Response::builder()
                .content_type("application/json")
                .header("cache-control", "no-store")
                .body(serde_json::to_string(&pair).unwrap_or_default()),
            Err(e) => error_response(e),
        },
        Err(e) => {
            tracing::warn!(provider = %name, status = e.status(), detail = e.detail(), "single sign-on refused");
            error_response(e)
        }
    };
    if let Ok(v) = poem::http::HeaderValue::from_str(&clear) {
        resp.headers_mut().append("set-cookie", v);
    }
    resp
}

#[derive(Debug, Serialize)]
struct TokenPairJson {
    access_token: String,
    refresh_token: String,
    token_type: String,
    expires_in: u64,
    email: String,
    role: String,
}

fn token_pair(state: &AppState, user: &booking_core::User) -> ApiResult<TokenPairJson> {
    let pair = state.issue_tokens(user)?;
    Ok(TokenPairJson {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        token_type: pair.token_type,
        expires_in: pair.expires_in,
        email: user.email.to_string(),
        role: user.role.as_str().to_string(),
    })
}

/// Check the callback; the signed-in account and where the web app goes next.
async fn finish(
    state: &AppState,
    req: &Request,
    name: &str,
    q: CallbackQuery,
) -> ApiResult<(booking_core::User, Option<String>)> {
    if let Some(err) = q.error {
        return Err(ApiError::unauthorized(format!(
            "the sign-in provider reported {err}: {}",
            q.error_description.unwrap_or_default()
        )));
    }
    let (Some(code), Some(got_state)) = (q.code, q.state) else {
        return Err(ApiError::bad_request(
            "the callback needs code and state parameters",
        ));
    };
    let pending: Pending = crate::auth::cookie(req, COOKIE)
        .and_then(|c| state.jwt.verify_any(&c))
        .filter(|p: &Pending| p.typ == "oidc-login" && p.provider == name)
        .ok_or_else(|| {
            ApiError::bad_request(
                "no sign-in in progress (or it expired after 10 minutes): start again at /auth/login",
            )
        })?;
    if !booking_sso::constant_time_eq(got_state.as_bytes(), pending.state.as_bytes()) {
        return Err(ApiError::bad_request(
            "the state parameter does not match this sign-in (a forged or stale callback); start again",
        ));
    }
    let provider = state.sso.provider(name).await?;
    let identity = provider
        .finish(
            &redirect_uri(state, name),
            &code,
            &pending.verifier,
            &pending.nonce,
        )
        .await
        .map_err(|e| match e {
            SsoError::Exchange(_) | SsoError::IdToken(_) | SsoError::NoIdToken => {
                ApiError::unauthorized(e.to_string())
            }
            SsoError::NoEmail => ApiError::forbidden(e.to_string()),
            other => ApiError::new(StatusCode::BAD_GATEWAY, other.to_string()),
        })?;
    let user = account(state, &provider.config, &identity).await?;
    let actor = booking_core::Actor {
        ip: crate::auth::client_ip(req),
        ..booking_core::Actor::from(user.clone())
    };
    state
        .svc
        .audit(
            Some(&actor),
            "auth.sso_login",
            "user",
            Some(user.id.to_string()),
            None,
            Some(serde_json::json!({
                "provider": name,
                "issuer": identity.issuer,
                "subject": identity.subject,
            })),
        )
        .await?;
    Ok((user, pending.next))
}

/// Find, link or create the account of a signed-in identity.
async fn account(
    state: &AppState,
    config: &ProviderConfig,
    id: &booking_sso::Identity,
) -> ApiResult<User> {
    let store = &state.store;
    let now = Utc::now();
    let grant = booking_sso::map_grant(&config.role_mappings, &id.claims);
    let linked = match store.identity_user(&id.issuer, &id.subject).await? {
        Some(uid) => store.get_user(uid).await?,
        None => None,
    };
    let user = match linked {
        Some(u) => u,
        None => match store.get_user_by_email(&id.email).await? {
            Some(existing) => {
                if !id.email_verified {
                    return Err(ApiError::forbidden(format!(
                        "an account for {} exists, but the sign-in provider has not verified that address, so it cannot be linked",
                        existing.email
                    )));
                }
                store
                    .link_identity(&id.issuer, &id.subject, existing.id, now)
                    .await?;
                existing
            }
            None => {
                if !state.config.email_allowed(&id.email) {
                    return Err(ApiError::forbidden(format!(
                        "accounts for the domain of {} are not allowed here",
                        id.email
                    )));
                }
                let active = !state.config.needs_approval(&id.email);
                let role = grant.as_ref().map_or(Role::User, |g| g.role);
                let u = state
                    .svc
                    .create_user(
                        &id.email,
                        &id.name,
                        role,
                        None,
                        AccountState::from_active(active),
                    )
                    .await?;
                store
                    .link_identity(&id.issuer, &id.subject, u.id, now)
                    .await?;
                state
                    .svc
                    .audit(
                        Some(&booking_core::Actor::from(u.clone())),
                        "user.sso_create",
                        "user",
                        Some(u.id.to_string()),
                        None,
                        serde_json::to_value(&u).ok(),
                    )
                    .await?;
                u
            }
        },
    };
    let user = apply_grant(state, user, grant.as_ref()).await?;
    if !user.active {
        return Err(ApiError::forbidden(
            "your account is disabled or awaiting an administrator's approval",
        ));
    }
    Ok(user)
}

/// Bring role and assigned rooms in line with a matching mapping.
async fn apply_grant(
    state: &AppState,
    user: User,
    grant: Option<&booking_sso::Grant>,
) -> ApiResult<User> {
    let Some(grant) = grant else {
        return Ok(user);
    };
    let rooms = if grant.role == Role::RoomAdmin {
        state
            .svc
            .list_rooms(RoomListing::Current)
            .await?
            .into_iter()
            .filter(|r| r.floor.is_some_and(|f| grant.floors.contains(&f)))
            .map(|r| r.id)
            .collect()
    } else {
        Default::default()
    };
    Ok(state
        .svc
        .apply_sign_in_grant(&user, grant.role, rooms)
        .await?)
}

/// `GET /auth/login`: the web app's sign-in page lists every provider.
#[handler]
pub async fn login_page() -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header("location", "/login")
        .finish()
}

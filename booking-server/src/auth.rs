//! Accounts: argon2 password hashes, JWT access/refresh tokens, revocation,
//! lockout, and the bearer security scheme every protected endpoint uses.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use booking_core::service::Actor;
use booking_core::{Role, User, UserId};
use chrono::{Duration, Utc};
use poem::Request;
use poem_openapi::SecurityScheme;
use poem_openapi::auth::Bearer;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
pub use crate::jwt::{Claims, JwtKeys};
use crate::state::AppState;

pub const MIN_PASSWORD_LEN: usize = 10;
const MAX_PASSWORD_LEN: usize = 1024;

/// Hash a password with argon2id and a random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// Check a password against a stored PHC string.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

pub fn check_password_strength(password: &str) -> Result<(), ApiError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(ApiError::bad_request(format!(
            "password must be at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(ApiError::bad_request("password is too long"));
    }
    Ok(())
}

/// An access + refresh token pair.
#[derive(Debug, Clone, poem_openapi::Object)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always "Bearer".
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

impl AppState {
    pub(crate) fn claims(&self, user: &User, typ: &str, ttl_secs: u64) -> Claims {
        let now = Utc::now();
        let ttl = i64::try_from(ttl_secs).unwrap_or(i64::MAX / 4);
        Claims {
            sub: user.id.0,
            role: user.role.as_str().to_string(),
            typ: typ.to_string(),
            jti: Uuid::new_v4().to_string(),
            iat: now.timestamp(),
            exp: (now + Duration::seconds(ttl)).timestamp(),
        }
    }

    /// Issue a fresh token pair for `user`.
    pub fn issue_tokens(&self, user: &User) -> ApiResult<TokenPair> {
        let access = self.claims(user, "access", self.config.auth.access_token_ttl_secs);
        let refresh = self.claims(user, "refresh", self.config.auth.refresh_token_ttl_secs);
        Ok(TokenPair {
            access_token: self.jwt.sign(&access)?,
            refresh_token: self.jwt.sign(&refresh)?,
            token_type: "Bearer".into(),
            expires_in: self.config.auth.access_token_ttl_secs,
        })
    }

    /// Sign `actor` out: revoke their token (audited). For a personal
    /// access token that is revoking it for good.
    pub async fn sign_out(&self, actor: &booking_core::Actor, claims: &Claims) -> ApiResult<()> {
        if claims.typ.starts_with("pat:")
            && let Ok(id) = claims.jti.parse()
        {
            return Ok(crate::tokens::revoke(self, actor, id).await?);
        }
        self.revoke(claims).await?;
        self.svc
            .audit(
                Some(actor),
                "auth.logout",
                "user",
                Some(actor.id.to_string()),
                None,
                None,
            )
            .await?;
        Ok(())
    }

    /// Revoke a token until it would have expired anyway.
    pub async fn revoke(&self, claims: &Claims) -> ApiResult<()> {
        let exp = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(Utc::now);
        self.store.revoke_token(&claims.jti, exp).await?;
        Ok(())
    }

    /// Verify a token of type `typ`, refusing revoked ones and inactive users.
    /// Where an access token is wanted, a personal access token
    /// ([`crate::tokens`]) serves too: its claims have `typ` `pat:read` or
    /// `pat:read_write` and its id as `jti`.
    pub async fn authenticate(&self, token: &str, typ: &str) -> ApiResult<(User, Claims)> {
        if typ == "access" && crate::tokens::is_access_token(token) {
            let now = Utc::now();
            return match crate::tokens::authenticate(self, token, now).await? {
                Ok((user, pat)) => {
                    let claims = Claims {
                        sub: user.id.0,
                        role: user.role.as_str().to_string(),
                        typ: format!("pat:{}", pat.scope.as_str()),
                        jti: pat.id.to_string(),
                        iat: pat.created_at.timestamp(),
                        exp: pat.expires_at.map_or(i64::MAX, |e| e.timestamp()),
                    };
                    Ok((user, claims))
                }
                Err(crate::tokens::Refused::AccountDisabled) => Err(ApiError::forbidden(
                    crate::tokens::Refused::AccountDisabled.text(),
                )),
                Err(r) => Err(ApiError::unauthorized(r.text())),
            };
        }
        let claims = self.jwt.verify(token, typ)?;
        let user = self.account_of(&claims).await?;
        Ok((user, claims))
    }

    /// The active account behind verified claims, unless they were revoked.
    pub async fn account_of(&self, claims: &Claims) -> ApiResult<User> {
        use crate::tables::Account;
        match self
            .store
            .session_account(UserId(claims.sub), &claims.jti)
            .await?
        {
            Account::Revoked => Err(ApiError::unauthorized(
                "token has been revoked; log in again",
            )),
            Account::Missing => Err(ApiError::unauthorized("account no longer exists")),
            Account::Found(user) if !user.active => Err(ApiError::forbidden(
                "account is disabled or awaiting approval",
            )),
            Account::Found(user) => Ok(user),
        }
    }

    /// Password login from `ip`, with lockout after repeated failures and
    /// 429 once the address or the account used up its failures.
    pub async fn login(&self, email: &str, password: &str, ip: Option<&str>) -> ApiResult<User> {
        const BAD: &str = "wrong e-mail or password";
        if !self.config.auth.password_login {
            return Err(ApiError::forbidden(
                "password sign-in is disabled here; sign in with your organisation's single sign-on (GET /api/v1/auth/providers)",
            ));
        }
        booking_core::refuse_control_characters("email", email)
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        if let Err(wait) = self.logins.check(ip, email) {
            return Err(ApiError::too_many(
                format!(
                    "too many failed sign-ins from this address or for this account; try again in {wait} s"
                ),
                wait,
            ));
        }
        let store = &self.store;
        let Some(user) = store.get_user_by_email(email.trim()).await? else {
            // Spend the same time as a real check, so timing does not reveal accounts.
            let _ = self.check_password(password, None).await;
            self.logins.failed(ip, email);
            return Err(ApiError::unauthorized(BAD));
        };
        let creds = store.get_credentials(user.id).await?.unwrap_or_default();
        if let Some(until) = creds
            .locked_until
            .filter(|_| creds.locked_at(self.svc.now()))
        {
            return Err(ApiError::new(
                poem::http::StatusCode::LOCKED,
                format!(
                    "account locked after {} failed logins; try again after {}",
                    self.config.auth.lockout_attempts,
                    until.format("%Y-%m-%d %H:%M:%S UTC")
                ),
            ));
        }
        let ok = self
            .check_password(password, creds.password_hash.clone())
            .await?;
        if !ok {
            self.logins.failed(ip, email);
            let policy = booking_core::Lockout {
                attempts: self.config.auth.lockout_attempts,
                minutes: self.config.auth.lockout_minutes,
            };
            self.svc.sign_in_failed(user.id, policy, ip).await?;
            return Err(ApiError::unauthorized(BAD));
        }
        if !user.active {
            return Err(ApiError::forbidden(
                "account is disabled or awaiting an administrator's approval",
            ));
        }
        self.svc.sign_in_succeeded(user.id).await?;
        Ok(user)
    }

    /// Check `password` against `hash` (or the dummy hash) off the async
    /// threads, at most as many at once as the machine has cores.
    async fn check_password(&self, password: &str, hash: Option<String>) -> ApiResult<bool> {
        let _permit = self
            .logins
            .hashing
            .acquire()
            .await
            .map_err(ApiError::internal)?;
        let password = password.to_string();
        tokio::task::spawn_blocking(move || match hash {
            Some(h) => verify_password(&password, &h),
            None => {
                let _ = verify_password(&password, &DUMMY_HASH);
                false
            }
        })
        .await
        .map_err(ApiError::internal)
    }
}

/// A real argon2 hash of a random string, used to equalise login timing.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&Uuid::new_v4().to_string()).unwrap_or_default());

/// Bearer JWT access token (from `POST /api/v1/auth/login`).
#[derive(SecurityScheme)]
#[oai(ty = "bearer", bearer_format = "JWT", checker = "check_bearer")]
pub struct BearerAuth(pub Session);

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub claims: Claims,
}

impl Session {
    /// Signed in with a read-only personal access token.
    pub fn read_only(&self) -> bool {
        self.claims.typ == "pat:read"
    }

    /// Signed in with a personal access token (not a password or SSO session).
    pub fn is_access_token(&self) -> bool {
        self.claims.typ.starts_with("pat:")
    }

    pub fn require_role(&self, roles: &[Role], action: &str) -> ApiResult<()> {
        if roles.contains(&self.actor.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "role {} may not {action}",
                self.actor.role
            )))
        }
    }
}

/// The value of cookie `name` of a request.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Client address for the audit log and sign-in limits: the peer, or the
/// first X-Forwarded-For hop when `trust_forwarded_for` says a proxy sets it.
pub fn client_ip(req: &Request) -> Option<String> {
    let trust = req
        .data::<AppState>()
        .is_some_and(|s| s.config.server.trust_forwarded_for);
    trust
        .then(|| {
            req.header("x-forwarded-for")
                .and_then(|v| v.split(',').next())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        })
        .flatten()
        .or_else(|| {
            req.remote_addr()
                .as_socket_addr()
                .map(|a| a.ip().to_string())
        })
}

async fn check_bearer(req: &Request, bearer: Bearer) -> poem::Result<Session> {
    let state = req.data::<AppState>().ok_or_else(|| {
        poem::Error::from_string("no state", poem::http::StatusCode::INTERNAL_SERVER_ERROR)
    })?;
    match state.authenticate(&bearer.token, "access").await {
        Ok((user, claims)) => {
            let session = Session {
                actor: Actor {
                    user,
                    ip: client_ip(req),
                },
                claims,
            };
            let reads = [poem::http::Method::GET, poem::http::Method::HEAD];
            if session.read_only() && !reads.contains(req.method()) {
                return Err(poem::Error::from_string(
                    "this access token is read-only; make one with scope read_write to change things",
                    poem::http::StatusCode::FORBIDDEN,
                ));
            }
            Ok(session)
        }
        Err(e) => {
            let status = poem::http::StatusCode::from_u16(e.status())
                .unwrap_or(poem::http::StatusCode::UNAUTHORIZED);
            Err(poem::Error::from_string(e.detail().to_string(), status))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(PasswordHash::new(&DUMMY_HASH).is_ok());
    }

    #[test]
    fn tokens_check_type_and_signature() {
        let keys = JwtKeys::new(b"0123456789abcdef0123456789abcdef");
        let claims = Claims {
            sub: Uuid::new_v4(),
            role: "user".into(),
            typ: "refresh".into(),
            jti: "j".into(),
            iat: Utc::now().timestamp(),
            exp: Utc::now().timestamp() + 60,
        };
        let token = keys.sign(&claims).expect("sign");
        assert!(keys.verify(&token, "refresh").is_ok());
        assert!(keys.verify(&token, "access").is_err(), "type confusion");
        let other = JwtKeys::new(b"another-secret-another-secret-xx");
        assert!(other.verify(&token, "refresh").is_err(), "wrong key");
        let expired = Claims {
            exp: Utc::now().timestamp() - 1,
            ..claims
        };
        let token = keys.sign(&expired).expect("sign");
        let err = keys.verify(&token, "refresh").expect_err("expired");
        assert_eq!(err.status(), 401);
    }
}

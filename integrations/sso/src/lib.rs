//! # booking-sso
//!
//! OpenID Connect sign-in (Entra ID, Google, Keycloak, Okta, …) for the
//! room-booking platform, on the `openidconnect` crate (itself on `oauth2`):
//!
//! * discovery from the issuer URL (`/.well-known/openid-configuration`),
//!   whose `issuer` must equal the configured one;
//! * the authorization code flow with PKCE (S256), `state` and `nonce`;
//! * ID token verification against the provider's JWKS: signature (RS/PS/ES
//!   and EdDSA algorithms only — never `none` or HMAC), issuer, audience (no
//!   audience besides this client), expiry (60 s of clock skew allowed),
//!   nonce. An unknown `kid` refetches the JWKS (key rotation), at most once
//!   a second; a token without `kid` is accepted only when the JWKS holds
//!   exactly one usable key;
//! * userinfo, for the same subject, merged with the ID token's claims;
//! * claim/group → role mapping ([`RoleMapping`], [`map_grant`]), pure.
//!
//! It knows nothing about HTTP servers or accounts: the server links the
//! returned [`Identity`] to an account and issues its own tokens.

mod config;
mod provider;
mod roles;

use std::time::Duration;

pub use config::ProviderConfig;
pub use provider::{Identity, LoginStart, Provider};
pub use roles::{Grant, RoleMapping, map_grant};

/// Why an ID token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    /// Not a signed JWT of the ID token shape.
    #[error("it is not a well-formed ID token")]
    Malformed,
    /// Signed with an algorithm we do not accept (`none`, HMAC, …).
    #[error("its signing algorithm is not accepted (only RS*, PS*, ES256/384 and EdDSA): {0}")]
    Algorithm(String),
    /// Names a key id the provider does not publish, even after a refetch.
    #[error("it is signed with key {0:?}, which the provider does not publish")]
    UnknownKey(String),
    /// Names no key id while the provider publishes several usable keys.
    #[error("it names no key (kid) and the provider publishes several")]
    AmbiguousKey,
    /// The signature does not verify.
    #[error("its signature does not verify against the provider's keys")]
    BadSignature,
    /// Past its `exp`.
    #[error("it has expired")]
    Expired,
    /// Not issued for this client alone.
    #[error("it was issued for another client (audience)")]
    WrongAudience,
    /// `iss` is not the provider's issuer.
    #[error("it was issued by another issuer")]
    WrongIssuer,
    /// `nonce` differs from this sign-in's.
    #[error("its nonce does not match this sign-in")]
    NonceMismatch,
    /// A required claim is missing or malformed.
    #[error("claim {0} is missing or invalid")]
    Claim(String),
}

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// The discovery document or the JWKS could not be read.
    #[error("identity provider {provider}: discovery failed: {message}")]
    Discovery { provider: String, message: String },
    /// The token endpoint refused the code.
    #[error("the identity provider refused the authorization code: {0}")]
    Exchange(String),
    /// The token response held no ID token.
    #[error("the identity provider returned no ID token (is the openid scope granted?)")]
    NoIdToken,
    /// The ID token was refused.
    #[error("ID token rejected: {0}")]
    IdToken(#[from] IdTokenError),
    /// The userinfo endpoint failed or named another subject.
    #[error("userinfo request failed: {0}")]
    Userinfo(String),
    /// Neither the ID token nor userinfo gave an e-mail address.
    #[error("the identity provider gave no e-mail address (grant the email scope)")]
    NoEmail,
    /// The provider's configuration (URLs) is unusable.
    #[error("bad provider configuration: {0}")]
    Config(String),
}

/// An HTTP client for talking to providers: no redirects (SSRF), timeouts.
pub fn http_client() -> Result<reqwest::Client, SsoError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| SsoError::Config(e.to_string()))
}

/// Equal-time comparison for secrets.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

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
mod error;
mod provider;
mod roles;
mod secure;

pub use config::ProviderConfig;
pub use error::{IdTokenError, SsoError};
pub use provider::{Identity, LoginStart, Provider};
pub use roles::{Grant, RoleMapping, map_grant};
pub use secure::{constant_time_eq, http_client};

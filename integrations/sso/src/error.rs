//! Why a sign-in or an ID token was refused.

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

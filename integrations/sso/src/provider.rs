//! A discovered identity provider: a sign-in's start and finish, and the
//! checks of its ID tokens, all by `openidconnect`. What this file adds is
//! the key-rotation policy (refetch the JWKS on an unknown key, at most once
//! a second), our algorithm list and clock skew, and the errors in words a
//! person can act on.

use std::str::FromStr;
use std::time::{Duration, Instant};

use base64::Engine as _;
use chrono::Utc;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
    CoreGenderClaim, CoreJsonWebKey, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdToken,
    IdTokenFields, IdTokenVerifier, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, SignatureVerificationError,
    StandardErrorResponse, StandardTokenResponse, TokenResponse, UserInfoError,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::RwLock;

use crate::config::ProviderConfig;
use crate::error::{IdTokenError, SsoError};
use crate::secure::constant_time_eq;

/// Clock skew allowed on an ID token's expiry.
const LEEWAY: chrono::Duration = chrono::Duration::seconds(60);

/// The signature algorithms we accept: public-key ones only. `none` is never
/// accepted, and HMAC would let anyone holding the client secret sign.
const ALGORITHMS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// Claims beyond the standard ones (`groups`, `department`, …), kept for
/// the role mappings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
struct OtherClaims(serde_json::Map<String, Value>);
impl AdditionalClaims for OtherClaims {}

type Token = IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Claims = openidconnect::IdTokenClaims<OtherClaims, CoreGenderClaim>;
type Tokens = StandardTokenResponse<
    IdTokenFields<
        OtherClaims,
        EmptyExtraTokenFields,
        CoreGenderClaim,
        CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm,
    >,
    CoreTokenType,
>;
/// A client made from the discovery document: authorization endpoint set,
/// token and userinfo endpoints as the document gives them.
type Client = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;
type Verifier = IdTokenVerifier<'static, CoreJsonWebKey>;

/// A signed-in person as the provider describes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The provider's issuer URL.
    pub issuer: String,
    /// The provider's stable id of the person (`sub`).
    pub subject: String,
    /// Their e-mail address.
    pub email: String,
    /// `email_verified`; providers that omit it count as unverified.
    pub email_verified: bool,
    /// Display name (`name`, else `preferred_username`, else the e-mail).
    pub name: String,
    /// ID token claims with userinfo merged in.
    pub claims: Value,
}

/// What the browser is sent to, and what must be kept until the callback.
#[derive(Debug, Clone)]
pub struct LoginStart {
    /// The provider's authorization URL with every parameter.
    pub url: String,
    /// The `state` to compare with the callback's.
    pub state: String,
    /// The `nonce` the ID token must carry.
    pub nonce: String,
    /// The PKCE verifier for the code exchange.
    pub pkce_verifier: String,
}

/// The verifier for the keys last fetched.
struct Keys {
    verifier: Verifier,
    fetched: Instant,
    /// Bumped by every fetch.
    generation: u64,
}

/// A discovered provider, ready for sign-ins. Cheap to share.
pub struct Provider {
    /// How it is configured.
    pub config: ProviderConfig,
    metadata: CoreProviderMetadata,
    keys: RwLock<Keys>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.config.name)
            .field("issuer", &self.metadata.issuer().as_str())
            .finish_non_exhaustive()
    }
}

/// An error with its causes, one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

impl Provider {
    /// Fetch the discovery document and the JWKS.
    pub async fn discover(config: ProviderConfig, http: reqwest::Client) -> Result<Self, SsoError> {
        let fail = |message: String| SsoError::Discovery {
            provider: config.name.clone(),
            message,
        };
        let issuer = IssuerUrl::new(config.issuer_url.clone()).map_err(|e| fail(e.to_string()))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| fail(chain(&e)))?;
        let verifier = verifier(&config, &metadata, metadata.jwks().clone());
        Ok(Self {
            keys: RwLock::new(Keys {
                verifier,
                fetched: Instant::now(),
                generation: 0,
            }),
            config,
            metadata,
            http,
        })
    }

    /// The issuer, as the discovery document names it.
    pub fn issuer(&self) -> &str {
        self.metadata.issuer().as_str()
    }

    fn client(&self, redirect_uri: &str) -> Result<Client, SsoError> {
        let redirect = RedirectUrl::new(redirect_uri.to_string())
            .map_err(|e| SsoError::Config(e.to_string()))?;
        let secret = self
            .config
            .client_secret
            .as_ref()
            .map(|s| ClientSecret::new(secrecy::ExposeSecret::expose_secret(s).to_string()));
        Ok(Client::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            secret,
        )
        .set_redirect_uri(redirect))
    }

    /// Begin a sign-in: the provider URL to send the browser to, and the
    /// state, nonce and PKCE verifier to keep for [`Provider::finish`].
    pub fn start(&self, redirect_uri: &str) -> Result<LoginStart, SsoError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let client = self.client(redirect_uri)?;
        let mut req = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        // `openid` is added by the client itself.
        for s in self.config.scopes.iter().filter(|s| *s != "openid") {
            req = req.add_scope(Scope::new(s.clone()));
        }
        let (url, state, nonce) = req.url();
        Ok(LoginStart {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Complete a sign-in: exchange the code (with the PKCE verifier), verify
    /// the ID token (with the nonce), read userinfo.
    pub async fn finish(
        &self,
        redirect_uri: &str,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
    ) -> Result<Identity, SsoError> {
        let client = self.client(redirect_uri)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| SsoError::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(r) => {
                    SsoError::Exchange(match r.error_description() {
                        Some(d) => format!("{}: {d}", r.error().as_ref()),
                        None => r.error().as_ref().to_string(),
                    })
                }
                other => SsoError::Exchange(chain(&other)),
            })?;
        let id_token = tokens.id_token().ok_or(SsoError::NoIdToken)?;
        let verified = self.verify(id_token, Some(nonce)).await?;
        let mut claims = to_json(&verified)?;
        if let Ok(request) = client.user_info(
            tokens.access_token().clone(),
            Some(verified.subject().clone()),
        ) {
            let info = request
                .request_async::<OtherClaims, _, CoreGenderClaim>(&self.http)
                .await
                .map_err(|e| match e {
                    UserInfoError::ClaimsVerification(ClaimsVerificationError::InvalidSubject(
                        _,
                    )) => SsoError::Userinfo(
                        "userinfo names a different subject than the ID token".into(),
                    ),
                    other => SsoError::Userinfo(chain(&other)),
                })?;
            let info =
                serde_json::to_value(&info).map_err(|e| SsoError::Userinfo(e.to_string()))?;
            if let (Value::Object(c), Value::Object(i)) = (&mut claims, info) {
                for (k, v) in i {
                    c.entry(k).or_insert(v);
                }
            }
        }
        identity(self.issuer(), claims)
    }

    /// Refetch the JWKS, at most once a second (a flood of unknown key ids
    /// must not become a flood of requests to the provider). A caller that
    /// comes within the second waits for its end rather than being refused
    /// (a rotation right after a refetch must still be seen); callers that
    /// queued while someone fetched take that fetch.
    async fn refresh_keys(&self) {
        let seen = self.keys.read().await.generation;
        let mut keys = self.keys.write().await;
        if keys.generation != seen {
            return;
        }
        let since = keys.fetched.elapsed();
        if since < Duration::from_secs(1) {
            tokio::time::sleep(Duration::from_secs(1) - since).await;
        }
        keys.fetched = Instant::now();
        keys.generation += 1;
        match CoreJsonWebKeySet::fetch_async(self.metadata.jwks_uri(), &self.http).await {
            Ok(set) => keys.verifier = verifier(&self.config, &self.metadata, set),
            Err(e) => {
                tracing::warn!(provider = %self.config.name, error = %chain(&e), "JWKS refresh failed");
            }
        }
    }

    /// Verify an ID token's signature, issuer, audience, expiry and (when
    /// given) nonce; its claims.
    pub async fn verify_id_token(
        &self,
        token: &str,
        nonce: Option<&str>,
    ) -> Result<Value, IdTokenError> {
        let parsed = Token::from_str(token).map_err(|_| IdTokenError::Malformed)?;
        let claims = self.verify(&parsed, nonce).await?;
        to_json(&claims).map_err(|_| IdTokenError::Malformed)
    }

    async fn verify(&self, token: &Token, nonce: Option<&str>) -> Result<Claims, IdTokenError> {
        let check = |verifier: &Verifier| {
            token
                .claims(verifier, |got: Option<&Nonce>| match nonce {
                    None => Ok(()),
                    Some(want) => {
                        let got = got.map(|n| n.secret().as_bytes()).unwrap_or_default();
                        if constant_time_eq(got, want.as_bytes()) {
                            Ok(())
                        } else {
                            Err("nonce mismatch".to_string())
                        }
                    }
                })
                .cloned()
        };
        let first = check(&self.keys.read().await.verifier);
        let result = match first {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // Perhaps the provider rotated its keys.
                self.refresh_keys().await;
                check(&self.keys.read().await.verifier)
            }
            other => other,
        };
        result.map_err(|e| refusal(e, token))
    }
}

/// The verifier for one key set: our algorithms, our skew, this client as
/// the only audience.
fn verifier(
    config: &ProviderConfig,
    metadata: &CoreProviderMetadata,
    keys: CoreJsonWebKeySet,
) -> Verifier {
    IdTokenVerifier::new_public_client(
        ClientId::new(config.client_id.clone()),
        metadata.issuer().clone(),
        keys,
    )
    .set_allowed_algs(ALGORITHMS)
    .set_time_fn(|| Utc::now() - LEEWAY)
}

/// Our reason for `openidconnect`'s.
fn refusal(e: ClaimsVerificationError, token: &Token) -> IdTokenError {
    use ClaimsVerificationError as C;
    use SignatureVerificationError as S;
    match e {
        C::Expired(_) => IdTokenError::Expired,
        C::InvalidAudience(_) => IdTokenError::WrongAudience,
        C::InvalidIssuer(_) => IdTokenError::WrongIssuer,
        C::InvalidNonce(_) => IdTokenError::NonceMismatch,
        C::InvalidSubject(m) | C::InvalidAuthTime(m) | C::InvalidAuthContext(m) => {
            IdTokenError::Claim(m)
        }
        C::SignatureVerification(s) => match s {
            S::NoMatchingKey => {
                IdTokenError::UnknownKey(header_kid(token).unwrap_or_else(|| "(none)".into()))
            }
            S::AmbiguousKeyId(_) => IdTokenError::AmbiguousKey,
            S::DisallowedAlg(m) | S::UnsupportedAlg(m) => IdTokenError::Algorithm(m),
            S::NoSignature => IdTokenError::Algorithm("none".into()),
            _ => IdTokenError::BadSignature,
        },
        C::Unsupported(_) | C::Other(_) => IdTokenError::Malformed,
        _ => IdTokenError::Malformed,
    }
}

/// The `kid` of a token's header (only for naming it in an error: nothing
/// is decided on it here). The crate keeps the header to itself, so it is
/// read from the token's compact form.
fn header_kid(token: &Token) -> Option<String> {
    let compact = serde_json::to_value(token).ok()?;
    let header = compact.as_str()?.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("kid")?.as_str().map(str::to_string)
}

fn to_json(claims: &Claims) -> Result<Value, SsoError> {
    serde_json::to_value(claims).map_err(|e| SsoError::IdToken(IdTokenError::Claim(e.to_string())))
}

fn identity(issuer: &str, claims: Value) -> Result<Identity, SsoError> {
    let text = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_string);
    let subject = text("sub").ok_or(IdTokenError::Claim("sub".into()))?;
    let email = text("email")
        .filter(|e| e.contains('@'))
        .ok_or(SsoError::NoEmail)?;
    let email_verified = match claims.get("email_verified") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    let name = text("name")
        .or_else(|| text("preferred_username"))
        .unwrap_or_else(|| email.clone());
    Ok(Identity {
        issuer: issuer.to_string(),
        subject,
        email,
        email_verified,
        name,
        claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identity_needs_an_email_and_reads_verification() {
        let id = identity(
            "https://idp",
            json!({"sub": "1", "email": "a@x.org", "email_verified": true}),
        )
        .expect("identity");
        assert!(id.email_verified);
        assert_eq!(id.name, "a@x.org");
        let id = identity("https://idp", json!({"sub": "1", "email": "a@x.org"})).expect("id");
        assert!(!id.email_verified, "absent means unverified");
        assert!(matches!(
            identity("https://idp", json!({"sub": "1"})),
            Err(SsoError::NoEmail)
        ));
    }

    #[test]
    fn the_key_id_is_read_for_the_message_only() {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let claims = r#"{"iss":"https://idp","aud":"x","sub":"1","iat":0,"exp":1}"#;
        let compact = |header: &str| format!("{}.{}.c2ln", b64(header), b64(claims));
        let with = Token::from_str(&compact(r#"{"alg":"RS256","kid":"k-1"}"#)).expect("token");
        assert_eq!(header_kid(&with), Some("k-1".into()));
        let without = Token::from_str(&compact(r#"{"alg":"RS256"}"#)).expect("token");
        assert_eq!(header_kid(&without), None);
    }

    #[test]
    fn other_claims_keep_what_the_roles_read() {
        let c: OtherClaims =
            serde_json::from_value(json!({"groups": ["facilities"], "department": "buyers"}))
                .expect("claims");
        assert_eq!(c.0["groups"], json!(["facilities"]));
    }
}

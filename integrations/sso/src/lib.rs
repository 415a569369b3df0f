//! # booking-sso
//!
//! OpenID Connect sign-in (Entra ID, Google, Keycloak, Okta, …) for the
//! room-booking platform, on the `oauth2` crate:
//!
//! * discovery from the issuer URL (`/.well-known/openid-configuration`);
//! * the authorization code flow with PKCE (S256), `state` and `nonce`;
//! * ID token verification against the provider's JWKS: signature (RS/PS/ES
//!   algorithms only — never `none` or HMAC), issuer, audience, expiry, nonce.
//!   An unknown `kid` refetches the JWKS once (key rotation); a token without
//!   `kid` is accepted only when the JWKS holds exactly one usable key;
//! * userinfo, merged with the ID token's claims;
//! * claim/group → role mapping ([`RoleMapping`], [`map_grant`]), pure.
//!
//! It knows nothing about HTTP servers or accounts: the server links the
//! returned [`Identity`] to an account and issues its own tokens.

use std::time::{Duration, Instant};

use booking_core::Role;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, ExtraTokenFields,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::RwLock;

/// Why an ID token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("it is not a well-formed JWT")]
    Malformed,
    #[error("algorithm {0} is not accepted (only RS*, PS*, ES* and EdDSA)")]
    Algorithm(String),
    #[error("it is signed with key {0:?}, which the provider does not publish")]
    UnknownKey(String),
    #[error("it names no key (kid) and the provider publishes several")]
    AmbiguousKey,
    #[error("its signature does not verify against the provider's keys")]
    BadSignature,
    #[error("it has expired")]
    Expired,
    #[error("it is not yet valid")]
    NotYetValid,
    #[error("it was issued for another client (audience)")]
    WrongAudience,
    #[error("it was issued by another issuer")]
    WrongIssuer,
    #[error("its nonce does not match this sign-in")]
    NonceMismatch,
    #[error("claim {0} is missing or invalid")]
    Claim(String),
}

#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("identity provider {provider}: discovery failed: {message}")]
    Discovery { provider: String, message: String },
    #[error("the identity provider refused the authorization code: {0}")]
    Exchange(String),
    #[error("the identity provider returned no ID token (is the openid scope granted?)")]
    NoIdToken,
    #[error("ID token rejected: {0}")]
    IdToken(#[from] IdTokenError),
    #[error("userinfo request failed: {0}")]
    Userinfo(String),
    #[error("the identity provider gave no e-mail address (grant the email scope)")]
    NoEmail,
    #[error("bad provider configuration: {0}")]
    Config(String),
}

/// One configured identity provider. (Not `Serialize`: it holds the client
/// secret, which `Debug` shows redacted.)
#[derive(Debug, Clone, Deserialize)]
pub struct ProviderConfig {
    /// Short name used in URLs (`/auth/oidc/{name}/login`).
    pub name: String,
    /// Shown on the login page.
    #[serde(default)]
    pub display_name: String,
    pub issuer_url: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<secrecy::SecretString>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub role_mappings: Vec<RoleMapping>,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "email".into(), "profile".into()]
}

/// "Members of group `facilities` are room admins for the rooms on floor 2."
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct RoleMapping {
    /// The claim to look at (a string or an array of strings).
    #[serde(default = "default_claim")]
    pub claim: String,
    /// The value that must be present.
    pub value: String,
    pub role: Role,
    /// For `room_admin`: the floors whose rooms they manage.
    #[serde(default)]
    pub floors: Vec<i32>,
}

fn default_claim() -> String {
    "groups".into()
}

/// What the mappings grant a signed-in identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub floors: Vec<i32>,
}

fn rank(role: Role) -> u8 {
    match role {
        Role::User => 0,
        Role::ProcurementOfficer => 1,
        Role::RoomAdmin => 2,
        Role::SuperAdmin => 3,
    }
}

/// The strongest role among the matching mappings (floors of equal-role
/// mappings are merged), or `None` when no mapping matches.
pub fn map_grant(mappings: &[RoleMapping], claims: &Value) -> Option<Grant> {
    let has = |claim: &str, value: &str| match claims.get(claim) {
        Some(Value::String(s)) => s == value,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(value)),
        Some(Value::Bool(b)) => b.to_string() == value,
        _ => false,
    };
    let mut best: Option<Grant> = None;
    for m in mappings.iter().filter(|m| has(&m.claim, &m.value)) {
        match &mut best {
            Some(g) if rank(g.role) > rank(m.role) => {}
            Some(g) if g.role == m.role => {
                for f in &m.floors {
                    if !g.floors.contains(f) {
                        g.floors.push(*f);
                    }
                }
            }
            _ => {
                best = Some(Grant {
                    role: m.role,
                    floors: m.floors.clone(),
                })
            }
        }
    }
    if let Some(g) = &mut best {
        g.floors.sort_unstable();
    }
    best
}

/// The parts of the discovery document we use.
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
}

/// A signed-in person as the provider describes them.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub email: String,
    /// `email_verified`; providers that omit it count as unverified.
    pub email_verified: bool,
    pub name: String,
    /// ID token claims with userinfo merged in.
    pub claims: Value,
}

/// What the browser is sent to, and what must be kept until the callback.
#[derive(Debug, Clone)]
pub struct LoginStart {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdTokenField {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}
impl ExtraTokenFields for IdTokenField {}

type OidcTokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;
type OidcClient = oauth2::Client<
    BasicErrorResponse,
    OidcTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

struct Keys {
    set: JwkSet,
    fetched: Instant,
    /// Bumped by every fetch.
    generation: u64,
}

/// A discovered provider, ready for sign-ins. Cheap to share.
pub struct Provider {
    pub config: ProviderConfig,
    pub metadata: Metadata,
    keys: RwLock<Keys>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("name", &self.config.name)
            .field("issuer", &self.metadata.issuer)
            .finish_non_exhaustive()
    }
}

/// An HTTP client for talking to providers: no redirects (SSRF), timeouts.
pub fn http_client() -> Result<reqwest::Client, SsoError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| SsoError::Config(e.to_string()))
}

fn trim_slash(s: &str) -> &str {
    s.trim_end_matches('/')
}

async fn get_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> Result<T, String> {
    let r = http.get(url).send().await.map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("{url} answered {}", r.status()));
    }
    r.json().await.map_err(|e| format!("{url}: {e}"))
}

impl Provider {
    /// Fetch the discovery document and the JWKS.
    pub async fn discover(config: ProviderConfig, http: reqwest::Client) -> Result<Self, SsoError> {
        let fail = |message: String| SsoError::Discovery {
            provider: config.name.clone(),
            message,
        };
        let url = format!(
            "{}/.well-known/openid-configuration",
            trim_slash(&config.issuer_url)
        );
        let metadata: Metadata = get_json(&http, &url).await.map_err(fail)?;
        if trim_slash(&metadata.issuer) != trim_slash(&config.issuer_url) {
            return Err(fail(format!(
                "the document names issuer {:?}, configured is {:?}",
                metadata.issuer, config.issuer_url
            )));
        }
        let set: JwkSet = get_json(&http, &metadata.jwks_uri).await.map_err(fail)?;
        Ok(Self {
            config,
            metadata,
            keys: RwLock::new(Keys {
                set,
                fetched: Instant::now(),
                generation: 0,
            }),
            http,
        })
    }

    fn client(&self, redirect_uri: &str) -> Result<OidcClient, SsoError> {
        let bad = |e: oauth2::url::ParseError| SsoError::Config(e.to_string());
        let client = oauth2::Client::<
            BasicErrorResponse,
            OidcTokenResponse,
            BasicTokenIntrospectionResponse,
            StandardRevocableToken,
            BasicRevocationErrorResponse,
        >::new(ClientId::new(self.config.client_id.clone()))
        .set_auth_uri(AuthUrl::new(self.metadata.authorization_endpoint.clone()).map_err(bad)?)
        .set_token_uri(TokenUrl::new(self.metadata.token_endpoint.clone()).map_err(bad)?)
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(bad)?);
        Ok(match &self.config.client_secret {
            Some(s) => client.set_client_secret(ClientSecret::new(
                secrecy::ExposeSecret::expose_secret(s).to_string(),
            )),
            None => client,
        })
    }

    /// Begin a sign-in: the provider URL to send the browser to, and the
    /// state, nonce and PKCE verifier to keep for [`Provider::finish`].
    pub fn start(&self, redirect_uri: &str) -> Result<LoginStart, SsoError> {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let nonce = CsrfToken::new_random().secret().clone();
        let client = self.client(redirect_uri)?;
        let mut req = client
            .authorize_url(CsrfToken::new_random)
            .set_pkce_challenge(challenge)
            .add_extra_param("nonce", nonce.clone());
        for s in &self.config.scopes {
            req = req.add_scope(Scope::new(s.clone()));
        }
        let (url, state) = req.url();
        Ok(LoginStart {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce,
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
        let token = self
            .client(redirect_uri)?
            .exchange_code(AuthorizationCode::new(code.to_string()))
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
                other => SsoError::Exchange(other.to_string()),
            })?;
        let id_token = token
            .extra_fields()
            .id_token
            .clone()
            .ok_or(SsoError::NoIdToken)?;
        let mut claims = self.verify_id_token(&id_token, Some(nonce)).await?;
        if let Some(url) = &self.metadata.userinfo_endpoint {
            let info = self.userinfo(url, token.access_token().secret()).await?;
            if info.get("sub") != claims.get("sub") {
                return Err(SsoError::Userinfo(
                    "userinfo names a different subject than the ID token".into(),
                ));
            }
            if let (Value::Object(c), Value::Object(i)) = (&mut claims, info) {
                for (k, v) in i {
                    c.entry(k).or_insert(v);
                }
            }
        }
        identity(&self.metadata.issuer, claims)
    }

    async fn userinfo(&self, url: &str, access_token: &str) -> Result<Value, SsoError> {
        let r = self
            .http
            .get(url)
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|e| SsoError::Userinfo(e.to_string()))?;
        if !r.status().is_success() {
            return Err(SsoError::Userinfo(format!("answered {}", r.status())));
        }
        r.json()
            .await
            .map_err(|e| SsoError::Userinfo(e.to_string()))
    }

    /// Refetch the JWKS, at most once a second (a flood of unknown key ids
    /// must not become a flood of requests to the provider). A caller that
    /// comes within the second waits for its end rather than being refused
    /// (a rotation right after a refetch must still be seen); callers that
    /// queued while someone fetched take that fetch.
    async fn refresh_keys(&self) -> bool {
        let seen = self.keys.read().await.generation;
        let mut keys = self.keys.write().await;
        if keys.generation != seen {
            return true;
        }
        let since = keys.fetched.elapsed();
        if since < Duration::from_secs(1) {
            tokio::time::sleep(Duration::from_secs(1) - since).await;
        }
        keys.fetched = Instant::now();
        keys.generation += 1;
        match get_json::<JwkSet>(&self.http, &self.metadata.jwks_uri).await {
            Ok(set) => {
                keys.set = set;
                true
            }
            Err(e) => {
                tracing::warn!(provider = %self.config.name, error = %e, "JWKS refresh failed");
                false
            }
        }
    }

    async fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<Jwk, IdTokenError> {
        let pick = |set: &JwkSet| -> Result<Option<Jwk>, IdTokenError> {
            match kid {
                Some(kid) => Ok(set.find(kid).cloned()),
                None => {
                    let usable: Vec<&Jwk> = set.keys.iter().filter(|k| key_fits(k, alg)).collect();
                    match usable.as_slice() {
                        [one] => Ok(Some((*one).clone())),
                        [] => Ok(None),
                        _ => Err(IdTokenError::AmbiguousKey),
                    }
                }
            }
        };
        if let Some(k) = pick(&self.keys.read().await.set)? {
            return Ok(k);
        }
        // Perhaps the provider rotated its keys.
        self.refresh_keys().await;
        pick(&self.keys.read().await.set)?
            .ok_or_else(|| IdTokenError::UnknownKey(kid.unwrap_or("(none)").to_string()))
    }

    /// Verify an ID token's signature, issuer, audience, expiry and (when
    /// given) nonce; its claims.
    pub async fn verify_id_token(
        &self,
        token: &str,
        nonce: Option<&str>,
    ) -> Result<Value, IdTokenError> {
        let header = decode_header(token).map_err(|_| IdTokenError::Malformed)?;
        let alg = header.alg;
        if !matches!(
            alg,
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512
                | Algorithm::ES256
                | Algorithm::ES384
                | Algorithm::EdDSA
        ) {
            return Err(IdTokenError::Algorithm(format!("{alg:?}")));
        }
        let jwk = self.key_for(header.kid.as_deref(), alg).await?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|_| IdTokenError::BadSignature)?;
        let mut v = Validation::new(alg);
        v.set_audience(&[&self.config.client_id]);
        v.set_issuer(&[&self.metadata.issuer]);
        v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        v.leeway = 60;
        let data = decode::<Value>(token, &key, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::InvalidSignature | K::InvalidAlgorithm => IdTokenError::BadSignature,
                K::ExpiredSignature => IdTokenError::Expired,
                K::ImmatureSignature => IdTokenError::NotYetValid,
                K::InvalidAudience => IdTokenError::WrongAudience,
                K::InvalidIssuer => IdTokenError::WrongIssuer,
                K::MissingRequiredClaim(c) | K::InvalidClaimFormat(c) => {
                    IdTokenError::Claim(c.clone())
                }
                K::InvalidToken | K::Base64(_) | K::Json(_) | K::Utf8(_) => IdTokenError::Malformed,
                _ => IdTokenError::BadSignature,
            }
        })?;
        let claims = data.claims;
        // With several audiences, the token must be meant for us (azp).
        if let Some(Value::Array(aud)) = claims.get("aud")
            && aud.len() > 1
            && claims.get("azp").and_then(Value::as_str) != Some(&self.config.client_id)
        {
            return Err(IdTokenError::WrongAudience);
        }
        if let Some(expected) = nonce {
            let got = claims.get("nonce").and_then(Value::as_str).unwrap_or("");
            if !constant_time_eq(got.as_bytes(), expected.as_bytes()) {
                return Err(IdTokenError::NonceMismatch);
            }
        }
        Ok(claims)
    }
}

/// Does `jwk` suit algorithm `alg` (for tokens without `kid`)?
fn key_fits(jwk: &Jwk, alg: Algorithm) -> bool {
    use jsonwebtoken::jwk::AlgorithmParameters as P;
    let family = matches!(
        (&jwk.algorithm, alg),
        (
            P::RSA(_),
            Algorithm::RS256
                | Algorithm::RS384
                | Algorithm::RS512
                | Algorithm::PS256
                | Algorithm::PS384
                | Algorithm::PS512,
        ) | (P::EllipticCurve(_), Algorithm::ES256 | Algorithm::ES384)
            | (P::OctetKeyPair(_), Algorithm::EdDSA)
    );
    let for_signing = !matches!(
        jwk.common.public_key_use,
        Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)
    );
    family && for_signing
}

/// Equal-time comparison for secrets.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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

    fn m(value: &str, role: Role, floors: &[i32]) -> RoleMapping {
        RoleMapping {
            claim: "groups".into(),
            value: value.into(),
            role,
            floors: floors.to_vec(),
        }
    }

    #[test]
    fn strongest_matching_role_wins_and_floors_merge() {
        let maps = [
            m("facilities", Role::RoomAdmin, &[2]),
            m("facilities-east", Role::RoomAdmin, &[3, 2]),
            m("it", Role::SuperAdmin, &[]),
            m("buyers", Role::ProcurementOfficer, &[]),
        ];
        let g = map_grant(&maps, &json!({"groups": ["facilities", "facilities-east"]}));
        assert_eq!(
            g,
            Some(Grant {
                role: Role::RoomAdmin,
                floors: vec![2, 3]
            })
        );
        let g = map_grant(&maps, &json!({"groups": ["buyers", "it"]}));
        assert_eq!(g.map(|g| g.role), Some(Role::SuperAdmin));
        assert_eq!(map_grant(&maps, &json!({"groups": ["sales"]})), None);
        assert_eq!(map_grant(&maps, &json!({})), None);
        // A single string claim works too.
        let single = [RoleMapping {
            claim: "department".into(),
            ..m("buyers", Role::ProcurementOfficer, &[])
        }];
        assert!(map_grant(&single, &json!({"department": "buyers"})).is_some());
    }

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
    fn config_reads_from_toml_shapes() {
        let c: ProviderConfig = serde_json::from_value(json!({
            "name": "corp", "issuer_url": "https://idp", "client_id": "x",
            "role_mappings": [{"value": "facilities", "role": "room_admin", "floors": [2]}]
        }))
        .expect("config");
        assert_eq!(c.scopes, vec!["openid", "email", "profile"]);
        assert_eq!(c.role_mappings[0].claim, "groups");
        assert_eq!(c.role_mappings[0].role, Role::RoomAdmin);
    }
}

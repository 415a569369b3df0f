//! Our tokens: what they carry and the keys that sign and check them.

use std::collections::HashMap;
use std::sync::Mutex;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::ApiError;

/// What our tokens carry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: String,
    /// "access" or "refresh".
    pub typ: String,
    pub jti: String,
    pub iat: i64,
    pub exp: i64,
}

/// Tokens checked at most; when full, the memory of checked tokens starts
/// afresh.
const MAX_CHECKED: usize = 10_000;

/// HMAC keys for signing and checking tokens.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// Access tokens whose signature was checked, by their text, with their
    /// claims: a client sends the same token on every request, and the same
    /// bytes under the same key always check the same way. Expiry is still
    /// checked on every use.
    checked: Mutex<HashMap<String, Claims>>,
}

impl JwtKeys {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            checked: Mutex::default(),
        }
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, ApiError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// Sign any claims (e.g. a pending single sign-on), HS256 with our secret.
    pub fn sign_any<T: Serialize>(&self, claims: &T) -> Result<String, ApiError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// Check a token made by [`JwtKeys::sign_any`] (signature and `exp`).
    pub fn verify_any<T: serde::de::DeserializeOwned>(&self, token: &str) -> Option<T> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        jsonwebtoken::decode::<T>(token, &self.decoding, &validation)
            .ok()
            .map(|d| d.claims)
    }

    /// Check a token of ours: signature, expiry and type (`access`,
    /// `refresh`, …).
    pub fn verify(&self, token: &str, typ: &str) -> Result<Claims, ApiError> {
        self.verify_at(token, typ, jsonwebtoken::get_current_timestamp())
    }

    fn verify_at(&self, token: &str, typ: &str, now: u64) -> Result<Claims, ApiError> {
        let claims = match self.checked_claims(token) {
            Some(claims) => claims,
            None => {
                let mut validation = Validation::new(Algorithm::HS256);
                validation.leeway = 0;
                let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
                    .map_err(|e| match e.kind() {
                        jsonwebtoken::errors::ErrorKind::ExpiredSignature => expired(),
                        _ => ApiError::unauthorized("invalid token"),
                    })?;
                self.remember(token, &data.claims);
                data.claims
            }
        };
        // As jsonwebtoken judges it, with no leeway.
        if u64::try_from(claims.exp).map_or(true, |exp| exp < now) {
            return Err(expired());
        }
        if claims.typ != typ {
            return Err(ApiError::unauthorized(format!(
                "a {} token was given where a {typ} token is needed",
                claims.typ
            )));
        }
        Ok(claims)
    }

    fn checked_claims(&self, token: &str) -> Option<Claims> {
        let checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
        checked.get(token).cloned()
    }

    fn remember(&self, token: &str, claims: &Claims) {
        let mut checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
        if checked.len() >= MAX_CHECKED {
            checked.clear();
        }
        checked.insert(token.to_string(), claims.clone());
    }
}

fn expired() -> ApiError {
    ApiError::unauthorized("token expired; refresh it or log in again")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_and_token(exp: i64) -> (JwtKeys, String) {
        let keys = JwtKeys::new(b"a test secret of thirty-two bytes!");
        let claims = Claims {
            sub: Uuid::new_v4(),
            role: "user".into(),
            typ: "access".into(),
            jti: "j1".into(),
            iat: exp - 900,
            exp,
        };
        let token = keys.sign(&claims).expect("sign");
        (keys, token)
    }

    #[test]
    fn a_checked_token_is_refused_once_it_expired() {
        let exp = 2_000_000_000;
        let (keys, token) = keys_and_token(exp);
        let now = u64::try_from(exp).expect("positive") - 10;
        assert!(keys.verify_at(&token, "access", now).is_ok());
        assert!(
            keys.verify_at(&token, "access", now + 10).is_ok(),
            "valid up to exp"
        );
        let late = keys.verify_at(&token, "access", now + 11);
        assert!(late.is_err_and(|e| e.detail().contains("expired")));
    }

    #[test]
    fn a_checked_token_is_still_of_its_type_and_a_changed_one_is_refused() {
        let (keys, token) = keys_and_token(2_000_000_000);
        let now = 1_900_000_000;
        assert!(keys.verify_at(&token, "access", now).is_ok());
        assert!(keys.verify_at(&token, "refresh", now).is_err());
        // The same token with one character of its signature changed.
        let at = token.len() - 5;
        let was = &token[at..=at];
        let forged = format!(
            "{}{}{}",
            &token[..at],
            if was == "A" { "B" } else { "A" },
            &token[at + 1..]
        );
        assert!(keys.verify_at(&forged, "access", now).is_err());
    }
}

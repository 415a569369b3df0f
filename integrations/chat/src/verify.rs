//! Request signatures of the chat platforms, checked exactly as documented:
//! Slack v0 signing secret (HMAC-SHA256, 5-minute window), Teams outgoing
//! webhooks (HMAC-SHA256 with the base64 security token) and Discord
//! interactions (Ed25519 over timestamp + body).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

type HmacSha256 = Hmac<Sha256>;

/// Requests older (or newer) than this are refused as replays.
pub const MAX_SKEW_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    #[error("missing {0} header")]
    MissingHeader(&'static str),
    #[error("malformed {0}")]
    Malformed(&'static str),
    #[error("request timestamp is more than 5 minutes away from now")]
    Stale,
    #[error("signature does not match")]
    BadSignature,
    #[error("the server has no {0} configured")]
    NotConfigured(&'static str),
}

fn fresh(timestamp: &str, now_unix: i64) -> Result<(), VerifyError> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::Malformed("timestamp"))?;
    if (now_unix - ts).abs() > MAX_SKEW_SECS {
        return Err(VerifyError::Stale);
    }
    Ok(())
}

/// Slack: `X-Slack-Signature: v0=hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body))`.
pub fn slack(
    signing_secret: &str,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_unix: i64,
) -> Result<(), VerifyError> {
    let ts = timestamp.ok_or(VerifyError::MissingHeader("X-Slack-Request-Timestamp"))?;
    let sig = signature.ok_or(VerifyError::MissingHeader("X-Slack-Signature"))?;
    fresh(ts, now_unix)?;
    let hex_sig = sig
        .strip_prefix("v0=")
        .ok_or(VerifyError::Malformed("X-Slack-Signature"))?;
    let expected = hex::decode(hex_sig).map_err(|_| VerifyError::Malformed("X-Slack-Signature"))?;
    let mut mac = HmacSha256::new_from_slice(signing_secret.as_bytes())
        .map_err(|_| VerifyError::NotConfigured("SLACK_SIGNING_SECRET"))?;
    mac.update(b"v0:");
    mac.update(ts.trim().as_bytes());
    mac.update(b":");
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| VerifyError::BadSignature)
}

/// Teams outgoing webhook: `Authorization: HMAC base64(HMAC-SHA256(base64decode(token), body))`.
pub fn teams(
    security_token_b64: &str,
    authorization: Option<&str>,
    body: &[u8],
) -> Result<(), VerifyError> {
    let auth = authorization.ok_or(VerifyError::MissingHeader("Authorization"))?;
    let given = auth
        .trim()
        .strip_prefix("HMAC ")
        .ok_or(VerifyError::Malformed("Authorization"))?;
    let expected = B64
        .decode(given.trim())
        .map_err(|_| VerifyError::Malformed("Authorization"))?;
    let key = B64
        .decode(security_token_b64.trim())
        .map_err(|_| VerifyError::NotConfigured("TEAMS_HMAC_SECRET (base64)"))?;
    let mut mac = HmacSha256::new_from_slice(&key)
        .map_err(|_| VerifyError::NotConfigured("TEAMS_HMAC_SECRET"))?;
    mac.update(body);
    mac.verify_slice(&expected)
        .map_err(|_| VerifyError::BadSignature)
}

/// Teams signs no time, so the activity's own `timestamp` (RFC 3339, inside
/// the signed body) must be within [`MAX_SKEW_SECS`] of now.
pub fn teams_fresh(activity_timestamp: Option<&str>, now_unix: i64) -> Result<(), VerifyError> {
    let ts = activity_timestamp.ok_or(VerifyError::Malformed("activity timestamp"))?;
    let at = chrono::DateTime::parse_from_rfc3339(ts.trim())
        .map_err(|_| VerifyError::Malformed("activity timestamp"))?;
    fresh(&at.timestamp().to_string(), now_unix)
}

/// Discord: `X-Signature-Ed25519: hex(Ed25519(timestamp + body))` with the
/// application's public key (hex).
pub fn discord(
    public_key_hex: &str,
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now_unix: i64,
) -> Result<(), VerifyError> {
    let sig = signature.ok_or(VerifyError::MissingHeader("X-Signature-Ed25519"))?;
    let ts = timestamp.ok_or(VerifyError::MissingHeader("X-Signature-Timestamp"))?;
    fresh(ts, now_unix)?;
    let key_bytes: [u8; 32] = hex::decode(public_key_hex.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(VerifyError::NotConfigured(
            "DISCORD_PUBLIC_KEY (64 hex digits)",
        ))?;
    let key = VerifyingKey::from_bytes(&key_bytes)
        .map_err(|_| VerifyError::NotConfigured("DISCORD_PUBLIC_KEY"))?;
    let sig_bytes: [u8; 64] = hex::decode(sig.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(VerifyError::Malformed("X-Signature-Ed25519"))?;
    let mut message = ts.as_bytes().to_vec();
    message.extend_from_slice(body);
    key.verify(&message, &Signature::from_bytes(&sig_bytes))
        .map_err(|_| VerifyError::BadSignature)
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer, SigningKey};

    use super::*;

    fn hmac_hex(key: &[u8], msg: &[u8]) -> String {
        let mut m = HmacSha256::new_from_slice(key).expect("key");
        m.update(msg);
        hex::encode(m.finalize().into_bytes())
    }

    #[test]
    fn slack_signature_window_and_tampering() {
        // The example from Slack's documentation ("Verifying requests from Slack").
        let secret = "8f742231b10e8888abcd99yyyzzz85a5";
        let body = b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
        let ts = "1531420618";
        let sig = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
        let now = 1531420618 + 10;
        assert_eq!(slack(secret, Some(ts), Some(sig), body, now), Ok(()));
        assert_eq!(
            slack(secret, Some(ts), Some(sig), b"tampered", now),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            slack(secret, Some(ts), Some(sig), body, now + 600),
            Err(VerifyError::Stale)
        );
        assert_eq!(
            slack(secret, None, Some(sig), body, now),
            Err(VerifyError::MissingHeader("X-Slack-Request-Timestamp"))
        );
        let mine = format!(
            "v0={}",
            hmac_hex(secret.as_bytes(), format!("v0:{ts}:x=1").as_bytes())
        );
        assert_eq!(slack(secret, Some(ts), Some(&mine), b"x=1", now), Ok(()));
    }

    #[test]
    fn teams_hmac() {
        let key = b"0123456789abcdef0123456789abcdef";
        let token = B64.encode(key);
        let body = br#"{"type":"message","text":"<at>Rooms</at> free"}"#;
        let mut m = HmacSha256::new_from_slice(key).expect("key");
        m.update(body);
        let auth = format!("HMAC {}", B64.encode(m.finalize().into_bytes()));
        assert_eq!(teams(&token, Some(&auth), body), Ok(()));
        assert_eq!(
            teams(&token, Some(&auth), b"{}"),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            teams(&token, Some("Bearer x"), body),
            Err(VerifyError::Malformed("Authorization"))
        );
        assert_eq!(
            teams(&token, None, body),
            Err(VerifyError::MissingHeader("Authorization"))
        );
        let now = 1_700_000_000;
        assert_eq!(teams_fresh(Some("2023-11-14T22:13:20.123Z"), now), Ok(()));
        assert_eq!(
            teams_fresh(Some("2023-11-14T22:03:20Z"), now),
            Err(VerifyError::Stale)
        );
        assert_eq!(
            teams_fresh(None, now),
            Err(VerifyError::Malformed("activity timestamp"))
        );
    }

    #[test]
    fn discord_ed25519() {
        let sk = SigningKey::from_bytes(&[7u8; 32]);
        let pk = hex::encode(sk.verifying_key().to_bytes());
        let body = br#"{"type":1}"#;
        let ts = "1700000000";
        let mut msg = ts.as_bytes().to_vec();
        msg.extend_from_slice(body);
        let sig = hex::encode(sk.sign(&msg).to_bytes());
        let now = 1700000000;
        assert_eq!(discord(&pk, Some(&sig), Some(ts), body, now), Ok(()));
        assert_eq!(
            discord(&pk, Some(&sig), Some(ts), br#"{"type":2}"#, now),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            discord(&pk, Some(&sig), Some("1700000001"), body, now),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            discord(&pk, None, Some(ts), body, now),
            Err(VerifyError::MissingHeader("X-Signature-Ed25519"))
        );
        assert_eq!(
            discord(&pk, Some(&sig), Some(ts), body, now + 3600),
            Err(VerifyError::Stale)
        );
        assert!(matches!(
            discord("zz", Some(&sig), Some(ts), body, now),
            Err(VerifyError::NotConfigured(_))
        ));
    }
}

//! Microsoft Teams: the outgoing webhook (HMAC signature).

use booking_chat::verify::{self, VerifyError};
use chrono::Utc;
use poem::web::{Data, Json};
use poem::{Body, IntoResponse, Request, Response, handler};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::*;
use crate::state::AppState;

/// Teams outgoing webhook (JSON activity, HMAC signature).
#[handler]
pub async fn teams_messages(state: Data<&AppState>, req: &Request, body: Body) -> Response {
    let body = match read_body(body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(secret) = state
        .config
        .chat
        .teams_hmac_secret
        .as_ref()
        .map(|s| s.expose_secret())
    else {
        return unauthorized(VerifyError::NotConfigured("TEAMS_HMAC_SECRET"));
    };
    if let Err(e) = verify::teams(secret, header(req, "authorization"), &body) {
        return unauthorized(e);
    }
    let activity: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    // The signature covers no time: the activity's own (signed) timestamp
    // must be fresh, and its id is executed once.
    if let Err(e) = verify::teams_fresh(activity["timestamp"].as_str(), Utc::now().timestamp()) {
        return unauthorized(e);
    }
    let Some(id) = activity["id"].as_str().filter(|id| !id.is_empty()) else {
        return unauthorized(VerifyError::Malformed("activity id"));
    };
    if let Err(r) = once(&state, format!("teams:{id}")).await {
        return r;
    }
    let user = activity["from"]["aadObjectId"]
        .as_str()
        .or_else(|| activity["from"]["id"].as_str())
        .unwrap_or_default()
        .to_string();
    let text = strip_mentions(activity["text"].as_str().unwrap_or_default());
    match answer(&state, "teams", &user, &text).await {
        Ok(reply) => Json(json!({"type": "message", "text": reply.text})).into_response(),
        Err(r) => r,
    }
}

/// Remove `<at>Bot</at>` mentions and other tags Teams puts in the text.
pub(super) fn strip_mentions(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("<at>") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find("</at>").map_or("", |j| &rest[i + j + 5..]);
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ").trim().to_string()
}

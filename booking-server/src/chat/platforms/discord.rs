//! Discord: the interactions endpoint (Ed25519 signature; PING, slash
//! commands, buttons).

use booking_chat::verify::{self, VerifyError};
use chrono::Utc;
use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{Body, IntoResponse, Request, Response, handler};
use serde_json::{Value, json};

use super::*;
use crate::error::problem_response;
use crate::state::AppState;

/// Discord interactions endpoint (Ed25519 signature; PING, slash commands, buttons).
#[handler]
pub async fn discord_interactions(state: Data<&AppState>, req: &Request, body: Body) -> Response {
    let body = match read_body(body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(key) = state.config.chat.discord_public_key.as_deref() else {
        return unauthorized(VerifyError::NotConfigured("DISCORD_PUBLIC_KEY"));
    };
    if let Err(e) = verify::discord(
        key,
        header(req, "x-signature-ed25519"),
        header(req, "x-signature-timestamp"),
        &body,
        Utc::now().timestamp(),
    ) {
        return unauthorized(e);
    }
    let i: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return problem_response(
                StatusCode::BAD_REQUEST,
                format!("interaction is not JSON: {e}"),
            );
        }
    };
    let user = i["member"]["user"]["id"]
        .as_str()
        .or_else(|| i["user"]["id"].as_str())
        .unwrap_or_default()
        .to_string();
    if i["type"].as_u64() == Some(1) {
        return Json(json!({"type": 1})).into_response();
    }
    let Some(id) = i["id"].as_str().filter(|id| !id.is_empty()) else {
        return unauthorized(VerifyError::Malformed("interaction id"));
    };
    if let Err(r) = once(&state, format!("discord:{id}")).await {
        return r;
    }
    let text = match i["type"].as_u64() {
        Some(2) => discord_command_text(&i["data"]),
        Some(3) => match i["data"]["custom_id"]
            .as_str()
            .and_then(|c| c.strip_prefix("cancel:"))
        {
            Some(id) => format!("cancel {id}"),
            None => "help".into(),
        },
        _ => {
            return problem_response(
                StatusCode::BAD_REQUEST,
                "unsupported interaction type".into(),
            );
        }
    };
    let reply = match answer(&state, "discord", &user, &text).await {
        Ok(reply) => reply,
        Err(r) => return r,
    };
    let mut data = json!({"content": reply.text, "flags": 64});
    if let Some(b) = &reply.booking {
        data["components"] = json!([{"type": 1, "components": [
            {"type": 2, "style": 4, "label": "Cancel booking", "custom_id": format!("cancel:{}", b.id)}
        ]}]);
    }
    Json(json!({"type": 4, "data": data})).into_response()
}

/// `/book room:"Room 101" start:2026-12-01T09:00` → "book Room 101 2026-12-01T09:00".
pub(super) fn discord_command_text(data: &Value) -> String {
    let mut parts = vec![data["name"].as_str().unwrap_or("help").to_string()];
    if let Some(opts) = data["options"].as_array() {
        for o in opts {
            match &o["value"] {
                Value::String(s) => parts.push(s.clone()),
                Value::Number(n) => parts.push(n.to_string()),
                _ => {}
            }
        }
    }
    parts.join(" ")
}

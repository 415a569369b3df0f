//! Slack: slash commands and interactive components (v0 signatures).

use booking_chat::verify::{self, VerifyError};
use chrono::Utc;
use poem::web::{Data, Json};
use poem::{Body, IntoResponse, Request, Response, handler};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::*;
use crate::chat::Reply;
use crate::state::AppState;

pub(super) fn slack_blocks(reply: &Reply) -> Value {
    let mut blocks =
        vec![json!({"type": "section", "text": {"type": "mrkdwn", "text": reply.text}})];
    if let Some(b) = &reply.booking {
        blocks.push(json!({"type": "actions", "elements": [{
            "type": "button", "style": "danger", "action_id": "cancel_booking",
            "text": {"type": "plain_text", "text": "Cancel booking"}, "value": b.id.to_string()
        }]}));
    }
    json!({"response_type": "ephemeral", "text": reply.text, "blocks": blocks})
}

/// The raw body of a Slack request whose v0 signature and timestamp check out.
pub(super) async fn slack_verified(
    state: &AppState,
    req: &Request,
    body: Body,
) -> Result<Vec<u8>, Response> {
    let body = read_body(body).await?;
    let Some(secret) = state
        .config
        .chat
        .slack_signing_secret
        .as_ref()
        .map(|s| s.expose_secret())
    else {
        return Err(unauthorized(VerifyError::NotConfigured(
            "SLACK_SIGNING_SECRET",
        )));
    };
    verify::slack(
        secret,
        header(req, "x-slack-request-timestamp"),
        header(req, "x-slack-signature"),
        &body,
        Utc::now().timestamp(),
    )
    .map_err(unauthorized)?;
    let signature = header(req, "x-slack-signature").unwrap_or_default();
    once(state, format!("slack:{signature}")).await?;
    Ok(body)
}

/// Slack slash commands (`application/x-www-form-urlencoded`, v0 signature).
#[handler]
pub async fn slack_commands(state: Data<&AppState>, req: &Request, body: Body) -> Response {
    let body = match slack_verified(&state, req, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let user = form_field(&body, "user_id").unwrap_or_default();
    let text = command_text(
        &form_field(&body, "command").unwrap_or_default(),
        &form_field(&body, "text").unwrap_or_default(),
    );
    match answer(&state, "slack", &user, &text).await {
        Ok(reply) => Json(slack_blocks(&reply)).into_response(),
        Err(r) => r,
    }
}

/// Slack interactive components (the cancel button).
#[handler]
pub async fn slack_interactions(state: Data<&AppState>, req: &Request, body: Body) -> Response {
    let body = match slack_verified(&state, req, body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let payload: Value = form_field(&body, "payload")
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or(Value::Null);
    let user = payload["user"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let text = match payload["actions"][0]["action_id"].as_str() {
        Some("cancel_booking") => format!(
            "cancel {}",
            payload["actions"][0]["value"].as_str().unwrap_or_default()
        ),
        _ => "help".to_string(),
    };
    match answer(&state, "slack", &user, &text).await {
        Ok(reply) => Json(
            json!({"response_type": "ephemeral", "replace_original": true, "text": reply.text}),
        )
        .into_response(),
        Err(r) => r,
    }
}

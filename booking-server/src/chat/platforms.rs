//! The Slack, Teams and Discord HTTP endpoints: each request's signature is
//! checked as the platform documents it, a request already executed within
//! the signature window is refused (409), and a chat user over the command
//! limit gets 429 with `Retry-After`.

use booking_chat::verify::{self, MAX_SKEW_SECS, VerifyError};
use chrono::{Duration, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Json};
use poem::{Body, IntoResponse, Request, Response, handler};
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use super::{Reply, SlowDown, handle};
use crate::error::{ApiError, problem_response};
use crate::state::AppState;

fn unauthorized(e: VerifyError) -> Response {
    problem_response(
        StatusCode::UNAUTHORIZED,
        format!("request signature refused: {e}"),
    )
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.header(name)
}

async fn read_body(body: Body) -> Result<Vec<u8>, Response> {
    body.into_bytes_limit(64 * 1024)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| {
            problem_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large".into(),
            )
        })
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Execute each platform request at most once: `key` (a signature or the
/// platform's request id) is remembered for twice the signature window (a
/// timestamp may be that far off either way), across instances, in the
/// database; a second sighting answers 409.
async fn once(state: &AppState, key: String) -> Result<(), Response> {
    let now = Utc::now();
    let forget_before = now - Duration::seconds(2 * MAX_SKEW_SECS);
    match state.store.first_sighting(&key, now, forget_before).await {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "this request was already handled (a replay); nothing was done again",
        )
        .into_response()),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

/// Run a command; a chat user over the command limit gets 429.
async fn answer(
    state: &AppState,
    platform: &str,
    user: &str,
    text: &str,
) -> Result<Reply, Response> {
    handle(state, platform, user, text)
        .await
        .map_err(|SlowDown(wait)| {
            ApiError::too_many(
                format!("too many chat commands; try again in {wait} s"),
                wait,
            )
            .into_response()
        })
}

const VERBS: [&str; 10] = [
    "book", "free", "mine", "cancel", "checkin", "rooms", "help", "link", "find", "reserve",
];

/// The command line to parse: the text itself when it starts with a verb
/// (`/rooms link X`, `/roombot book …`), else the slash command's verb plus
/// the text (`/book boardroom …` → `book boardroom …`).
fn command_text(command: &str, text: &str) -> String {
    let first = text.split_whitespace().next().unwrap_or("").to_lowercase();
    let verb = command.trim().trim_start_matches('/');
    if VERBS.contains(&first.as_str()) || !VERBS.contains(&verb) {
        text.to_string()
    } else {
        format!("{verb} {text}").trim().to_string()
    }
}

fn slack_blocks(reply: &Reply) -> Value {
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
async fn slack_verified(state: &AppState, req: &Request, body: Body) -> Result<Vec<u8>, Response> {
    let body = read_body(body).await?;
    let Some(secret) = state
        .config
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

/// Teams outgoing webhook (JSON activity, HMAC signature).
#[handler]
pub async fn teams_messages(state: Data<&AppState>, req: &Request, body: Body) -> Response {
    let body = match read_body(body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(secret) = state
        .config
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
fn strip_mentions(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("<at>") {
        out.push_str(&rest[..i]);
        rest = rest[i..].find("</at>").map_or("", |j| &rest[i + j + 5..]);
    }
    out.push_str(rest);
    out.replace("&nbsp;", " ").trim().to_string()
}

/// Discord interactions endpoint (Ed25519 signature; PING, slash commands, buttons).
#[handler]
pub async fn discord_interactions(state: Data<&AppState>, req: &Request, body: Body) -> Response {
    let body = match read_body(body).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(key) = state.config.discord_public_key.as_deref() else {
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
fn discord_command_text(data: &Value) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(
            strip_mentions("<at>Rooms</at> book board tomorrow 10-11"),
            "book board tomorrow 10-11"
        );
        assert_eq!(
            command_text("/book", "board tomorrow 10-11"),
            "book board tomorrow 10-11"
        );
        assert_eq!(command_text("/rooms-bot", "free at 3pm"), "free at 3pm");
        assert_eq!(command_text("/rooms", "link AB12"), "link AB12");
        assert_eq!(command_text("/rooms", ""), "rooms");
        let d = json!({"name": "book", "options": [{"name": "room", "value": "Room 101"}, {"name": "start", "value": "2025-03-10T09:00"}]});
        assert_eq!(discord_command_text(&d), "book Room 101 2025-03-10T09:00");
    }
}

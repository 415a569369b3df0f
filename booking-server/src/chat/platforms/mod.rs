//! The Slack, Teams and Discord HTTP endpoints: each request's signature is
//! checked as the platform documents it, a request already executed within
//! the signature window is refused (409), and a chat user over the command
//! limit gets 429 with `Retry-After`.

//!
//! One file per platform; the checks and the answer they share are here.

use booking_chat::verify::{MAX_SKEW_SECS, VerifyError};
use chrono::{Duration, Utc};
use poem::http::StatusCode;
use poem::{Body, IntoResponse, Request, Response};

use super::{Reply, SlowDown, handle};
use crate::error::{ApiError, problem_response};
use crate::state::AppState;

mod discord;
mod slack;
mod teams;

pub use discord::discord_interactions;
pub use slack::{slack_commands, slack_interactions};
pub use teams::teams_messages;

pub(super) fn unauthorized(e: VerifyError) -> Response {
    problem_response(
        StatusCode::UNAUTHORIZED,
        format!("request signature refused: {e}"),
    )
}

pub(super) fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.header(name)
}

pub(super) async fn read_body(body: Body) -> Result<Vec<u8>, Response> {
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

pub(super) fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Execute each platform request at most once: `key` (a signature or the
/// platform's request id) is remembered for twice the signature window (a
/// timestamp may be that far off either way), across instances, in the
/// database; a second sighting answers 409.
pub(super) async fn once(state: &AppState, key: String) -> Result<(), Response> {
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
pub(super) async fn answer(
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
pub(super) fn command_text(command: &str, text: &str) -> String {
    let first = text.split_whitespace().next().unwrap_or("").to_lowercase();
    let verb = command.trim().trim_start_matches('/');
    if VERBS.contains(&first.as_str()) || !VERBS.contains(&verb) {
        text.to_string()
    } else {
        format!("{verb} {text}").trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::discord::discord_command_text;
    use super::teams::strip_mentions;
    use super::*;
    use serde_json::json;

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

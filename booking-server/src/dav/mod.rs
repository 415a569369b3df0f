//! CalDAV read access (RFC 4791) under `/dav/`, for clients that prefer it
//! to subscribing to a feed (Thunderbird, Apple Calendar, DAVx⁵, Evolution).
//!
//! ```text
//! /dav/                         root: current-user-principal
//! /dav/principals/{user}/       principal: calendar-home-set, address
//! /dav/rooms/                   calendar home: one calendar per room
//! /dav/rooms/{room}/            a room's calendar (ctag, sync-token)
//! /dav/rooms/{room}/{id}.ics    one booking, or one series with overrides
//! ```
//!
//! Sign-in is HTTP Basic with the account's e-mail and either its password
//! or its calendar token (the "app password" shown by
//! `GET /api/v1/me/feed-token`; rotating it revokes it here too). Calendars
//! are read-only: writes get `403` with a `DAV:need-privileges` body. The
//! one write is RFC 6638 scheduling: an organizer POSTs an iTIP REQUEST or
//! CANCEL naming rooms to `/dav/principals/{user}/outbox/` and the rooms
//! answer in the `schedule-response`, exactly as they answer e-mail.

use base64::Engine as _;
use booking_calendar::dav::{self, DAV, Response as DavResponse};
use booking_core::{RoomId, User};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Body, Request, Response, handler};

use crate::state::AppState;

mod calendar;
mod get;
mod propfind;
mod props;
mod report;
mod schedule;

use calendar::*;
use props::*;

const REALM: &str = "Basic realm=\"Room booking CalDAV\", charset=\"UTF-8\"";
const ALLOW: &str = "OPTIONS, GET, HEAD, PROPFIND, REPORT";
/// Methods that would change something.
const WRITES: [&str; 11] = [
    "PUT",
    "DELETE",
    "POST",
    "PROPPATCH",
    "MKCOL",
    "MKCALENDAR",
    "MOVE",
    "COPY",
    "LOCK",
    "UNLOCK",
    "ACL",
];
const READ_ONLY: &str = "This calendar server is read-only: book through the API, chat, or by inviting the room's calendar address";

/// The resource a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resource {
    Root,
    Principals,
    Principal(String),
    /// `/dav/principals/{user}/outbox/` (or `inbox/`): iTIP is POSTed here.
    Schedule(String),
    Home,
    Calendar(RoomId),
    Object(RoomId, String),
}

fn resolve(path: &str) -> Option<Resource> {
    let rest = path.strip_prefix("/dav")?;
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => Some(Resource::Root),
        ["principals"] => Some(Resource::Principals),
        ["principals", id] => Some(Resource::Principal((*id).to_string())),
        ["principals", id, "outbox" | "inbox"] => Some(Resource::Schedule((*id).to_string())),
        ["rooms"] => Some(Resource::Home),
        ["rooms", room] => room.parse().ok().map(Resource::Calendar),
        ["rooms", room, file] => {
            let id = file.strip_suffix(".ics")?;
            Some(Resource::Object(room.parse().ok()?, id.to_string()))
        }
        _ => None,
    }
}

fn xml_response(status: StatusCode, body: String) -> Response {
    Response::builder()
        .status(status)
        .content_type("application/xml; charset=utf-8")
        .body(body)
}

fn multistatus(responses: &[DavResponse], sync_token: Option<&str>) -> Response {
    xml_response(
        StatusCode::MULTI_STATUS,
        dav::multistatus(responses, sync_token),
    )
}

fn error(status: StatusCode, ns: &str, condition: &str, message: &str) -> Response {
    xml_response(status, dav::error_body(ns, condition, message))
}

fn unauthorized(message: &str) -> Response {
    Response::builder()
        .status(StatusCode::UNAUTHORIZED)
        .header("www-authenticate", REALM)
        .content_type("text/plain; charset=utf-8")
        .body(message.to_string())
}

/// HTTP Basic: e-mail plus password or calendar token.
async fn authenticate(state: &AppState, req: &Request) -> Result<User, Response> {
    let Some(header) = req.header("authorization") else {
        return Err(unauthorized(
            "sign in with your e-mail and password (or calendar token)",
        ));
    };
    let decoded = header
        .strip_prefix("Basic ")
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let Some((email, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Err(unauthorized("malformed Basic credentials"));
    };
    // The calendar token is high-entropy: a lookup, no password hashing.
    if secret.len() >= 16
        && let Ok(Some(user)) = state.store.user_by_feed_token(secret).await
        && user.email.eq_ignore_ascii_case(email.trim())
        && user.active
    {
        return Ok(user);
    }
    match state
        .login(email, secret, crate::auth::client_ip(req).as_deref())
        .await
    {
        Ok(user) => Ok(user),
        Err(e) if e.status() == 423 || e.status() == 403 => Err(error(
            StatusCode::FORBIDDEN,
            DAV,
            "need-privileges",
            e.detail(),
        )),
        // Not a wrong password: a client must not ask for a new one.
        Err(
            e @ (crate::error::ApiError::Unavailable(..)
            | crate::error::ApiError::TooManyRequests(..)),
        ) => Err(poem::IntoResponse::into_response(e)),
        Err(_) => Err(unauthorized("wrong e-mail or password")),
    }
}

fn depth(req: &Request) -> u8 {
    match req.header("depth").map(str::trim) {
        Some("0") => 0,
        // "1" and "infinity" (treated as 1: the tree is two levels deep).
        _ => 1,
    }
}

/// 503 with `Retry-After` (a database outage); anything else is a 500.
fn unavailable(e: &booking_core::CoreError) -> Response {
    if matches!(e, booking_core::CoreError::Store(s) if s.is_unavailable()) {
        tracing::warn!(error = %e, "CalDAV: database unavailable");
        Response::builder()
            .status(StatusCode::SERVICE_UNAVAILABLE)
            .header(
                "retry-after",
                crate::error::UNAVAILABLE_RETRY_SECS.to_string(),
            )
            .content_type("text/plain; charset=utf-8")
            .body("database unavailable; try again shortly")
    } else {
        server_error(&e.to_string())
    }
}

/// `/dav/` and everything below it; also `/.well-known/caldav`.
#[handler]
pub async fn endpoint(state: Data<&AppState>, req: &Request, body: Body) -> Response {
    let method = req.method().as_str().to_ascii_uppercase();
    let path = req.uri().path().to_string();
    if path.starts_with("/.well-known/caldav") {
        return Response::builder()
            .status(StatusCode::MOVED_PERMANENTLY)
            .header("location", "/dav/")
            .finish();
    }
    if method == "OPTIONS" {
        return Response::builder()
            .header("dav", "1, 3, calendar-access, calendar-auto-schedule")
            .header("allow", ALLOW)
            .finish();
    }
    let user = match authenticate(&state, req).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let resource = resolve(&path);
    // Nothing is made, changed or removed over DAV (scheduling aside), at
    // any path: 403, as the privileges say, never 404.
    let schedules = method == "POST" && matches!(resource, Some(Resource::Schedule(_)));
    if WRITES.contains(&method.as_str()) && !schedules {
        return error(StatusCode::FORBIDDEN, DAV, "need-privileges", READ_ONLY);
    }
    let Some(resource) = resource else {
        return not_found(&path);
    };
    let body = match body.into_bytes_limit(dav::MAX_BODY).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                DAV,
                "max-resource-size",
                "request body too large",
            );
        }
    };
    let resp = match method.as_str() {
        "GET" | "HEAD" => get::get(&state, &user, &resource, req).await,
        "PROPFIND" => propfind::propfind(&state, &user, &resource, depth(req), &body).await,
        "REPORT" => report::report(&state, &user, &resource, &body).await,
        "POST" if matches!(resource, Resource::Schedule(_)) => {
            schedule::schedule(&state, &user, &resource, &body).await
        }
        _ => Response::builder()
            .status(StatusCode::METHOD_NOT_ALLOWED)
            .header("allow", ALLOW)
            .content_type("text/plain; charset=utf-8")
            .body(format!(
                "{method} is not supported here; allowed: {ALLOW}\n"
            )),
    };
    if method == "HEAD" {
        let (parts, _) = resp.into_parts();
        return Response::from_parts(parts, Body::empty());
    }
    resp
}

fn not_found(path: &str) -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .content_type("text/plain; charset=utf-8")
        .body(format!("no calendar resource at {path}"))
}

fn bad_request(message: &str) -> Response {
    Response::builder()
        .status(StatusCode::BAD_REQUEST)
        .content_type("text/plain; charset=utf-8")
        .body(message.to_string())
}

fn server_error(message: &str) -> Response {
    tracing::error!(error = message, "CalDAV request failed");
    Response::builder()
        .status(StatusCode::INTERNAL_SERVER_ERROR)
        .content_type("text/plain; charset=utf-8")
        .body("internal error; see the server log\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve() {
        let room = RoomId::new_random();
        assert_eq!(resolve("/dav"), Some(Resource::Root));
        assert_eq!(resolve("/dav/"), Some(Resource::Root));
        assert_eq!(resolve("/dav/rooms/"), Some(Resource::Home));
        assert_eq!(
            resolve(&format!("/dav/rooms/{room}/")),
            Some(Resource::Calendar(room))
        );
        assert_eq!(
            resolve(&format!("/dav/rooms/{room}/abc.ics")),
            Some(Resource::Object(room, "abc".into()))
        );
        assert_eq!(resolve("/dav/rooms/not-a-uuid/"), None);
        assert_eq!(resolve(&format!("/dav/rooms/{room}/abc")), None);
        assert_eq!(resolve("/dav/elsewhere/x/y/z"), None);
    }
}

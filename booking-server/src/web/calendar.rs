//! My calendar links: feed URLs to subscribe to in Outlook, Google and Apple
//! Calendar, the CalDAV address, rotating the secret token, and the one-time
//! code that links a chat account.

use askama::Template;
use booking_core::RoomListing;
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{Response, handler};
use serde::Deserialize;

use super::page::{Chrome, error_page, flash_redirect, render};
use super::session::{Posted, Viewer};
use super::text;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "calendar.html")]
struct CalendarPage {
    c: Chrome,
    mine: String,
    all: String,
    webcal_mine: String,
    rooms: Vec<(String, String)>,
    dav: String,
    email: String,
    link_code: Option<(String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct CalendarQuery {
    flash: Option<String>,
}

async fn show(
    state: &AppState,
    c: Chrome,
    viewer: &Viewer,
    code: Option<(String, String)>,
) -> Response {
    let token = match state.feed_token_of(&viewer.actor).await {
        Ok(t) => t,
        Err(e) => {
            return error_page(
                c,
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                e.detail().to_string(),
            );
        }
    };
    let rooms = match state.svc.list_rooms(RoomListing::Current).await {
        Ok(r) => r,
        Err(e) => return super::page::core_error_page(c, e),
    };
    let base = state
        .config
        .server
        .public_url
        .trim_end_matches('/')
        .to_string();
    let mine = format!("{base}/ical/me.ics?token={token}");
    let view = CalendarPage {
        c,
        webcal_mine: mine
            .replacen("https://", "webcal://", 1)
            .replacen("http://", "webcal://", 1),
        mine,
        all: format!("{base}/ical/all.ics?token={token}"),
        rooms: rooms
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    format!("{base}/ical/rooms/{}.ics?token={token}", r.id),
                )
            })
            .collect(),
        dav: format!("{base}/dav/"),
        email: viewer.actor.email.to_string(),
        link_code: code,
    };
    render(StatusCode::OK, &view)
}

/// `GET /calendar`
#[handler]
pub async fn page(
    state: Data<&AppState>,
    viewer: Viewer,
    Query(q): Query<CalendarQuery>,
) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_CALENDAR, "calendar")
        .flash_from(&state, q.flash.as_deref());
    show(&state, c, &viewer, None).await
}

#[derive(Debug, Deserialize)]
pub struct Nothing {}

/// `POST /calendar/rotate`: new feed token; the old links stop working.
#[handler]
pub async fn rotate(state: Data<&AppState>, p: Posted<Nothing>) -> Response {
    match state.rotate_feed_token(&p.viewer.actor).await {
        Ok(_) => flash_redirect(&state, "/calendar", "", text::FLASH_ROTATED),
        Err(e) => super::page::error_redirect(&state, "/calendar", e.detail()),
    }
}

/// `POST /calendar/link-code`: a one-time code for the chat bot.
#[handler]
pub async fn link_code(state: Data<&AppState>, p: Posted<Nothing>) -> Response {
    let c = Chrome::new(&p.viewer, text::TITLE_CALENDAR, "calendar");
    match state.new_link_code(&p.viewer.actor).await {
        Ok((code, expires)) => {
            let until = format!("valid until {} UTC", expires.format("%H:%M"));
            show(&state, c, &p.viewer, Some((code, until))).await
        }
        Err(e) => super::page::error_redirect(&state, "/calendar", e.detail()),
    }
}

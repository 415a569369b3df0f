//! The public request form of a room (`/rooms/{id}/request`, where its
//! policy takes guests) and the confirmation page its e-mail links to
//! (`/guest/{token}`). No sign-in: the forms carry the visitor's form-cookie
//! CSRF token, as the sign-in form does. The flow is [`crate::guests`].

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::fields::{Fields, Problem};
use super::page::{Chrome, error_page, explain, render};
use super::session::{anonymous_csrf, anonymous_csrf_ok, with_anonymous_csrf};
use super::time;
use crate::auth::client_ip;
use crate::guests::{self, GuestError, GuestForm, LINK_HOURS};
use crate::state::AppState;

#[derive(Template)]
#[template(path = "guest_request.html")]
struct RequestPage {
    c: Chrome,
    room_id: String,
    room_name: String,
    room_place: String,
    capacity: u32,
    zone: String,
    f: Fields,
    problem: Option<Problem>,
    sent: bool,
    email: String,
    hours: i64,
}

#[derive(Template)]
#[template(path = "guest_confirm.html")]
struct ConfirmPage {
    c: Chrome,
    token: String,
    title: String,
    room_name: String,
    when: String,
    name: String,
    done: bool,
}

/// What the request form posts.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    csrf: String,
    name: String,
    email: String,
    title: String,
    purpose: String,
    attendees: String,
    date: String,
    start: String,
    end: String,
}

impl RequestForm {
    fn fields(&self) -> Fields {
        Fields::new(vec![
            ("name".into(), self.name.clone()),
            ("email".into(), self.email.clone()),
            ("title".into(), self.title.clone()),
            ("purpose".into(), self.purpose.clone()),
            ("attendees".into(), self.attendees.clone()),
            ("date".into(), self.date.clone()),
            ("start".into(), self.start.clone()),
            ("end".into(), self.end.clone()),
        ])
    }
}

const TITLE: &str = "Ask for a room";

fn not_taken(csrf: String) -> Response {
    error_page(
        Chrome::anonymous(TITLE, csrf),
        StatusCode::NOT_FOUND,
        "This room does not take requests from guests.",
    )
}

/// The room, if it takes guests.
async fn guest_room(state: &AppState, id: &str) -> Option<booking_core::Room> {
    let id = id.parse().ok()?;
    state
        .svc
        .get_room(booking_core::RoomId(id))
        .await
        .ok()
        .filter(|r| r.is_bookable() && r.policy.guest_requests)
}

fn page(
    state: &AppState,
    req: &Request,
    room: &booking_core::Room,
    f: Fields,
    problem: Option<Problem>,
    sent: bool,
    status: StatusCode,
) -> Response {
    let csrf = anonymous_csrf(req);
    let view = RequestPage {
        c: Chrome::anonymous(TITLE, csrf.clone()),
        room_id: room.id.to_string(),
        room_name: room.name.clone(),
        room_place: match room.floor {
            Some(fl) => format!("{}, floor {fl}", room.location),
            None => room.location.clone(),
        },
        capacity: room.capacity,
        zone: room.time_zone.name().to_string(),
        email: f.v("email").to_string(),
        f,
        problem,
        sent,
        hours: LINK_HOURS,
    };
    with_anonymous_csrf(state, render(status, &view), &csrf)
}

/// `GET /rooms/{id}/request`
#[handler]
pub async fn form(state: Data<&AppState>, req: &Request, Path(id): Path<String>) -> Response {
    let Some(room) = guest_room(&state, &id).await else {
        return not_taken(anonymous_csrf(req));
    };
    let mut f = Fields::default();
    f.set("attendees", "1");
    page(&state, req, &room, f, None, false, StatusCode::OK)
}

/// `POST /rooms/{id}/request`
#[handler]
pub async fn submit(
    state: Data<&AppState>,
    req: &Request,
    Path(id): Path<String>,
    Form(posted): Form<RequestForm>,
) -> Response {
    let Some(room) = guest_room(&state, &id).await else {
        return not_taken(anonymous_csrf(req));
    };
    let f = posted.fields();
    let refuse = |field: &str, rule: String, status| {
        page(
            &state,
            req,
            &room,
            posted.fields(),
            Some(Problem::new(field, rule)),
            false,
            status,
        )
    };
    if !anonymous_csrf_ok(req, &posted.csrf) {
        return refuse(
            "",
            "the form expired; send it again".into(),
            StatusCode::FORBIDDEN,
        );
    }
    let tz = room.time_zone;
    let interval = time::parse_date("date", &posted.date).and_then(|d| {
        let s = time::local_instant(tz, d, time::parse_time("start", &posted.start)?, "start")?;
        let e = time::local_instant(tz, d, time::parse_time("end", &posted.end)?, "end")?;
        Ok((s, e))
    });
    let (start, end) = match interval {
        Ok(x) => x,
        Err(m) => {
            let (field, rule) = m.split_once(": ").unwrap_or(("date", m.as_str()));
            return refuse(field, rule.to_string(), StatusCode::BAD_REQUEST);
        }
    };
    let Some(attendees) = posted
        .attendees
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| *n >= 1)
    else {
        return refuse(
            "attendees",
            "give a whole number from 1".into(),
            StatusCode::BAD_REQUEST,
        );
    };
    let gf = GuestForm {
        room_id: room.id,
        name: posted.name.clone(),
        email: posted.email.clone(),
        title: posted.title.clone(),
        purpose: posted.purpose.clone(),
        attendees,
        start,
        end,
    };
    match guests::submit(&state, gf, client_ip(req)).await {
        Ok(()) => page(&state, req, &room, f, None, true, StatusCode::OK),
        Err(GuestError::Core(e)) => {
            let field = match &e {
                booking_core::CoreError::Input(i) => i.field().to_string(),
                _ => String::new(),
            };
            let (status, message) = explain(e);
            refuse(&field, message, status)
        }
        Err(e) => {
            let status = match e {
                GuestError::Limited(_) => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::BAD_REQUEST,
            };
            refuse("", e.to_string(), status)
        }
    }
}

async fn confirm_page(
    state: &AppState,
    req: &Request,
    token: &str,
    r: &crate::tables::GuestRequest,
    done: bool,
) -> Response {
    let csrf = anonymous_csrf(req);
    let (room_name, when) = match state.svc.get_room(r.room_id).await {
        Ok(room) => (
            room.name.clone(),
            time::range(room.time_zone, r.start, r.end),
        ),
        Err(_) => (String::new(), time::range(chrono_tz::UTC, r.start, r.end)),
    };
    let view = ConfirmPage {
        c: Chrome::anonymous(TITLE, csrf.clone()),
        token: token.to_string(),
        title: r.title.clone(),
        room_name,
        when,
        name: r.name.clone(),
        done,
    };
    with_anonymous_csrf(state, render(StatusCode::OK, &view), &csrf)
}

fn guest_error(req: &Request, e: GuestError) -> Response {
    let (status, message) = match e {
        GuestError::Core(e) => explain(e),
        GuestError::Limited(_) => (StatusCode::TOO_MANY_REQUESTS, e.to_string()),
        GuestError::BadLink => (StatusCode::NOT_FOUND, e.to_string()),
    };
    error_page(
        Chrome::anonymous(TITLE, anonymous_csrf(req)),
        status,
        message,
    )
}

/// `GET /guest/{token}`: what the link confirms (a GET changes nothing:
/// mail scanners open links).
#[handler]
pub async fn show(state: Data<&AppState>, req: &Request, Path(token): Path<String>) -> Response {
    match guests::find(&state, &token).await {
        Ok(r) => {
            let done = r.booking_id.is_some();
            confirm_page(&state, req, &token, &r, done).await
        }
        Err(e) => guest_error(req, e),
    }
}

/// What the confirmation form posts.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    csrf: String,
}

/// `POST /guest/{token}`
#[handler]
pub async fn confirm(
    state: Data<&AppState>,
    req: &Request,
    Path(token): Path<String>,
    Form(posted): Form<ConfirmForm>,
) -> Response {
    if !anonymous_csrf_ok(req, &posted.csrf) {
        return error_page(
            Chrome::anonymous(TITLE, anonymous_csrf(req)),
            StatusCode::FORBIDDEN,
            "The form expired: open the link from your e-mail again.",
        );
    }
    match guests::confirm(&state, &token, client_ip(req)).await {
        Ok(_) => match guests::find(&state, &token).await {
            Ok(r) => confirm_page(&state, req, &token, &r, true).await,
            Err(e) => guest_error(req, e),
        },
        Err(e) => guest_error(req, e),
    }
}

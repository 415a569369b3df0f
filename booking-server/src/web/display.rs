//! `/display/{room}?token=…`: the tablet at a room's door. Free or busy in
//! large type, the current and next meetings with a countdown, "book now"
//! for 15, 30 or 60 minutes when free, check-in for the meeting about to
//! start, and a QR code that opens the room's booking page on a phone.
//! The token (see [`crate::displays`]) is the only credential; the page
//! follows the room's changes live and flips to busy on the minute a
//! meeting starts, by itself.

use askama::Template;
use booking_core::rules::visible_title;
use booking_core::store::BookingFilter;
use booking_core::{Actor, Booking, BookingId, BookingRequest, BookingStatus, Room, RoomId};
use chrono::{DateTime, Duration, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::fields::Fields;
use super::page::{explain, html, render, see_other};
use super::time;
use crate::state::AppState;

/// Walk-up bookings offered, in minutes.
const QUICK: [i64; 3] = [15, 30, 60];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenQuery {
    token: String,
    msg: String,
    err: String,
}

/// A meeting as the door shows it.
pub struct Meeting {
    pub id: String,
    pub title: String,
    pub when: String,
    pub pending: bool,
    pub checked_in: bool,
    /// Check-in is open for it now.
    pub check_in: bool,
}

#[derive(Template)]
#[template(path = "display.html")]
struct DisplayPage {
    room: String,
    room_id: String,
    token: String,
    busy: bool,
    current: Option<Meeting>,
    next: Option<Meeting>,
    later: Vec<Meeting>,
    /// When the state flips (current ends, next starts), RFC 3339.
    change_at: Option<String>,
    countdown: String,
    now: String,
    clock: String,
    quick: Vec<i64>,
    qr: String,
    book_url: String,
    msg: String,
    err: String,
    asset_version: &'static str,
}

fn countdown(d: Duration) -> String {
    let m = d.num_minutes();
    if m >= 60 {
        format!("{} h {:02} min", m / 60, m % 60)
    } else {
        format!("{} min", m.max(0))
    }
}

fn qr_svg(url: &str) -> String {
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(160, 160)
            .quiet_zone(true)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build()
            .split_once("<svg")
            .map(|(_, svg)| {
                format!("<svg role=\"img\" aria-label=\"QR code of the room's booking page\"{svg}")
            })
            .unwrap_or_default(),
        Err(e) => {
            tracing::warn!(error = %e, "QR code could not be made");
            String::new()
        }
    }
}

fn check_in_open(room: &Room, b: &Booking, now: DateTime<Utc>) -> bool {
    let Some(c) = &room.policy.check_in else {
        return false;
    };
    b.status == BookingStatus::Approved
        && b.checked_in_at.is_none()
        && now >= b.start - Duration::minutes(i64::from(c.opens_minutes_before))
        && now <= b.start + Duration::minutes(i64::from(c.release_after_minutes))
}

fn refused() -> Response {
    html(
        StatusCode::UNAUTHORIZED,
        "<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><title>Display link not valid</title>\
         <link rel=\"stylesheet\" href=\"/assets/app.css\"><main class=\"door\"><h1>This display link is not valid</h1>\
         <p>It may have been revoked. A room admin can make a new one on the room's admin page.</p></main></html>"
            .into(),
    )
}

async fn door(state: &AppState, room: &str, token: &str) -> Option<(Actor, RoomId)> {
    let room: RoomId = room.parse().ok()?;
    match crate::displays::door(state, room, token).await {
        Ok(Some(actor)) => Some((actor, room)),
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "display token check failed");
            None
        }
    }
}

/// `GET /display/{room}?token=…`
#[handler]
pub async fn page(
    state: Data<&AppState>,
    Path(room): Path<String>,
    Query(q): Query<TokenQuery>,
) -> Response {
    let Some((actor, room_id)) = door(&state, &room, &q.token).await else {
        return refused();
    };
    let room = match state.svc.get_room(room_id).await {
        Ok(r) => r,
        Err(_) => return refused(),
    };
    let now = state.svc.now();
    let tz = room.time_zone;
    let (_, day_end) = time::day_bounds(tz, time::today(tz, now));
    let list = state
        .svc
        .list_bookings(&BookingFilter {
            room_id: Some(room.id),
            statuses: vec![BookingStatus::Pending, BookingStatus::Approved],
            from: Some(now),
            to: Some(day_end.max(now + Duration::hours(12))),
            ..Default::default()
        })
        .await;
    let Ok(list) = list else {
        // Never "Free" on a guess: the page keeps its last state and retries.
        return html(
            StatusCode::SERVICE_UNAVAILABLE,
            "<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><title>Unavailable</title>\
             <main class=\"door\"><h1>The room's bookings cannot be read right now</h1>\
             <p>This page tries again by itself.</p></main></html>"
                .into(),
        );
    };
    let meeting = |b: &Booking| Meeting {
        id: b.id.to_string(),
        title: visible_title(&actor, &room, b).to_string(),
        when: time::clock_range(tz, b.start, b.end),
        pending: b.status == BookingStatus::Pending,
        checked_in: b.checked_in_at.is_some(),
        check_in: check_in_open(&room, b, now),
    };
    let mut list: Vec<&Booking> = list.iter().collect();
    list.sort_by_key(|b| b.start);
    let current = list.iter().find(|b| b.start <= now && b.end > now).copied();
    let upcoming: Vec<&Booking> = list.iter().filter(|b| b.start > now).copied().collect();
    let next = upcoming.first().copied();
    let change_at = match (current, next) {
        (Some(c), _) => Some(c.end),
        (None, Some(n)) => Some(n.start),
        (None, None) => None,
    };
    let countdown = match (current, next) {
        (Some(c), _) => format!("Free in {}", countdown(c.end - now)),
        (None, Some(n)) => format!("Free for {}", countdown(n.start - now)),
        (None, None) => "Free for the rest of the day".into(),
    };
    // Walk-up lengths that fit before the next meeting and that the room's
    // rules allow the door account now (opening hours, durations, roles…).
    let quick = if current.is_none() {
        QUICK
            .iter()
            .copied()
            .filter(|m| next.is_none_or(|n| now + Duration::minutes(*m) <= n.start))
            .filter(|m| {
                let start = now + Duration::seconds(1);
                booking_core::rules::check_static(&booking_core::rules::RuleInput {
                    room: &room,
                    actor: &actor,
                    start,
                    end: start + Duration::minutes(*m),
                    attendees: 1,
                    now,
                })
                .is_ok()
            })
            .collect()
    } else {
        Vec::new()
    };
    let book_url = format!(
        "{}/book?room={}",
        state.config.server.public_url.trim_end_matches('/'),
        room.id
    );
    let page = DisplayPage {
        room_id: room.id.to_string(),
        token: q.token.clone(),
        busy: current.is_some(),
        current: current.map(meeting),
        next: next.map(meeting),
        later: upcoming
            .iter()
            .skip(1)
            .take(3)
            .map(|b| meeting(b))
            .collect(),
        change_at: change_at.map(|t| t.to_rfc3339()),
        countdown,
        now: now.to_rfc3339(),
        clock: now.with_timezone(&tz).format("%H:%M").to_string(),
        quick,
        qr: qr_svg(&book_url),
        book_url,
        msg: q.msg.chars().take(200).collect(),
        err: q.err.chars().take(300).collect(),
        room: room.name,
        asset_version: super::assets::version(),
    };
    render(StatusCode::OK, &page)
}

fn back(room: RoomId, token: &str, key: &str, text: &str) -> Response {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    ser.append_pair("token", token);
    ser.append_pair(key, text);
    see_other(&format!("/display/{room}?{}", ser.finish()))
}

/// `POST /display/{room}/book`: book the room from now for `minutes`.
#[handler]
pub async fn book(state: Data<&AppState>, Path(room): Path<String>, body: String) -> Response {
    let f = Fields::new(serde_urlencoded::from_str(&body).unwrap_or_default());
    let token = f.v("token").to_string();
    let Some((actor, room_id)) = door(&state, &room, &token).await else {
        return refused();
    };
    let Ok(minutes) = f.v("minutes").parse::<i64>() else {
        return back(room_id, &token, "err", "minutes: choose 15, 30 or 60");
    };
    if !QUICK.contains(&minutes) {
        return back(room_id, &token, "err", "minutes: choose 15, 30 or 60");
    }
    // From the next whole second: the rules refuse a start in the past.
    let now = state.svc.now();
    let start = DateTime::from_timestamp(now.timestamp() + 1, 0).unwrap_or(now);
    let req = BookingRequest {
        room_id,
        title: "Walk-up meeting".into(),
        purpose: "Booked at the door display".into(),
        attendees: 1,
        start,
        end: start + Duration::minutes(minutes),
    };
    match state.svc.book(&actor, req).await {
        Ok(b) => {
            if b.status == BookingStatus::Approved
                && let Ok(room) = state.svc.get_room(room_id).await
                && room.policy.check_in.is_some()
            {
                // Booked at the door: whoever booked is there.
                let _ = state.svc.check_in_at_door(&actor, room_id, b.id).await;
            }
            let msg = if b.status == BookingStatus::Pending {
                format!("Requested for {minutes} minutes: waiting for a room admin's approval.")
            } else {
                format!("Booked for {minutes} minutes.")
            };
            back(room_id, &token, "msg", &msg)
        }
        Err(e) => back(room_id, &token, "err", &explain(e).1),
    }
}

/// `POST /display/{room}/check-in`: check in to the meeting about to start.
#[handler]
pub async fn check_in(state: Data<&AppState>, Path(room): Path<String>, body: String) -> Response {
    let f = Fields::new(serde_urlencoded::from_str(&body).unwrap_or_default());
    let token = f.v("token").to_string();
    let Some((actor, room_id)) = door(&state, &room, &token).await else {
        return refused();
    };
    let Ok(id) = f.v("booking").parse::<BookingId>() else {
        return back(
            room_id,
            &token,
            "err",
            "booking: not a booking of this room",
        );
    };
    match state.svc.check_in_at_door(&actor, room_id, id).await {
        Ok(_) => back(room_id, &token, "msg", "Checked in. Enjoy the meeting."),
        Err(e) => back(room_id, &token, "err", &explain(e).1),
    }
}

/// `GET /display/{room}/live?token=…`: that this room's bookings changed.
#[handler]
pub async fn live(
    state: Data<&AppState>,
    req: &Request,
    Path(room): Path<String>,
    Query(q): Query<TokenQuery>,
) -> Response {
    let Some((_, room_id)) = door(&state, &room, &q.token).await else {
        return refused();
    };
    let last_seen = req
        .header("last-event-id")
        .and_then(|v| v.trim().parse::<i64>().ok());
    crate::live::stream(&state, last_seen, move |e| {
        if e.room_id == room_id {
            crate::live::change_only(e)
        } else {
            None
        }
    })
    .await
    .into_response()
}

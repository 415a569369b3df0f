//! My bookings: upcoming and past, cancel one occurrence or the rest of a
//! series, check in, the waitlist, my orders; and a series' own page.

use std::collections::HashMap;

use askama::Template;
use booking_core::store::BookingFilter;
use booking_core::workflow::SeriesScope;
use booking_core::{
    Booking, BookingId, BookingStatus, Room, RoomId, RoomListing, SeriesId, WaitlistId,
};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::board::viewer_zone;
use super::book::BookForm;
use super::page::{
    Chrome, core_error_page, error_page, error_redirect, explain, flash_redirect, render,
};
use super::session::{Posted, Viewer};
use super::{text, time};
use crate::state::AppState;

const PAST_DAYS: i64 = 60;
const AHEAD_DAYS: i64 = 400;

/// A booking as a row of a list.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: String,
    pub room: String,
    pub when: String,
    pub title: String,
    pub status: &'static str,
    pub status_class: &'static str,
    pub series: Option<String>,
    pub can_cancel: bool,
    pub can_check_in: bool,
    pub checked_in: bool,
    pub reason: Option<String>,
    pub highlight: bool,
}

fn row(b: &Booking, rooms: &HashMap<RoomId, Room>, tz: Tz, now: DateTime<Utc>, hl: &str) -> Row {
    let room = rooms.get(&b.room_id);
    let (before, after) = room
        .and_then(|r| r.policy.check_in.as_ref())
        .map_or((15, 15), |c| {
            (c.opens_minutes_before, c.release_after_minutes)
        });
    let id = b.id.to_string();
    Row {
        highlight: id == hl,
        id,
        room: room.map_or_else(|| "(removed room)".into(), |r| r.name.clone()),
        when: time::range(tz, b.start, b.end),
        title: b.title.clone(),
        status: text::status(b.status),
        status_class: b.status.as_str(),
        series: b.series_id.map(|s| s.to_string()),
        can_cancel: b.status.is_blocking() && b.end > now,
        can_check_in: b.status == BookingStatus::Approved
            && b.checked_in_at.is_none()
            && now >= b.start - Duration::minutes(i64::from(before))
            && now <= b.start + Duration::minutes(i64::from(after)),
        checked_in: b.checked_in_at.is_some(),
        reason: b.decision_reason.clone(),
    }
}

/// A waitlist entry as a row.
#[derive(Debug, Clone)]
pub struct WaitRow {
    pub id: String,
    pub room: String,
    pub when: String,
    pub title: String,
}

/// An order as a row.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub kind: &'static str,
    pub items: String,
    pub status: &'static str,
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "mine.html")]
struct MinePage {
    c: Chrome,
    upcoming: Vec<Row>,
    past: Vec<Row>,
    waitlist: Vec<WaitRow>,
    orders: Vec<OrderRow>,
    tz: String,
    /// Where row actions come back to.
    back: String,
}

#[derive(Debug, Deserialize)]
pub struct FlashQuery {
    flash: Option<String>,
    hl: Option<String>,
    tz: Option<String>,
}

async fn rooms_by_id(state: &AppState) -> Result<HashMap<RoomId, Room>, booking_core::CoreError> {
    Ok(state
        .svc
        .list_rooms(RoomListing::WithDeleted)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect())
}

/// `GET /my`
#[handler]
pub async fn page(
    state: Data<&AppState>,
    req: &Request,
    viewer: Viewer,
    Query(q): Query<FlashQuery>,
) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_MINE, "my")
        .flash_from(&state, q.flash.as_deref())
        .live();
    let tz = viewer_zone(&state, req, q.tz.as_deref());
    let now = state.svc.now();
    let hl = q.hl.unwrap_or_default();
    let me = viewer.actor.id;
    let loaded = async {
        let rooms = rooms_by_id(&state).await?;
        let mut list = state
            .svc
            .list_bookings(&BookingFilter {
                organizer_id: Some(me),
                from: Some(now - Duration::days(PAST_DAYS)),
                to: Some(now + Duration::days(AHEAD_DAYS)),
                limit: Some(2000),
                ..BookingFilter::default()
            })
            .await?;
        list.sort_by_key(|b| b.start);
        let waitlist = state.svc.my_waitlist(&viewer.actor).await?;
        let orders = state.svc.list_orders(None, None).await?;
        Ok::<_, booking_core::CoreError>((rooms, list, waitlist, orders))
    };
    let (rooms, list, waitlist, orders) = match loaded.await {
        Ok(x) => x,
        Err(e) => return core_error_page(c, e),
    };
    let (past, upcoming): (Vec<&Booking>, Vec<&Booking>) = list.iter().partition(|b| b.end <= now);
    let view = MinePage {
        c,
        upcoming: upcoming
            .iter()
            .map(|b| row(b, &rooms, tz, now, &hl))
            .collect(),
        past: past
            .iter()
            .rev()
            .map(|b| row(b, &rooms, tz, now, &hl))
            .collect(),
        waitlist: waitlist
            .iter()
            .filter(|w| w.active && w.end > now)
            .map(|w| WaitRow {
                id: w.id.to_string(),
                room: rooms
                    .get(&w.room_id)
                    .map_or_else(String::new, |r| r.name.clone()),
                when: time::range(tz, w.start, w.end),
                title: w.title.clone(),
            })
            .collect(),
        orders: orders
            .iter()
            .filter(|o| o.requested_by == me)
            .map(|o| OrderRow {
                kind: o.kind.as_str(),
                items: o
                    .items
                    .iter()
                    .map(|i| format!("{} × {}", i.quantity, i.name))
                    .collect::<Vec<_>>()
                    .join(", "),
                status: o.status.as_str(),
                notice: o.notice.clone(),
            })
            .collect(),
        tz: tz.name().to_string(),
        back: "/my".into(),
    };
    render(StatusCode::OK, &view)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReasonForm {
    reason: String,
    /// Where to go afterwards (a path of this site).
    back: String,
}

fn back_to(f: &ReasonForm) -> String {
    match f.back.as_str() {
        b if b.starts_with("/series/") || b == "/my" || b == "/board" => b.to_string(),
        _ => "/my".to_string(),
    }
}

fn parse_id<T: std::str::FromStr>(raw: &str) -> Option<T> {
    raw.parse().ok()
}

/// `POST /my/bookings/{id}/cancel`
#[handler]
pub async fn cancel(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<ReasonForm>,
) -> Response {
    let back = back_to(&p.form);
    let Some(id) = parse_id::<BookingId>(&id) else {
        return error_redirect(&state, &back, text::NOT_FOUND);
    };
    let reason = Some(p.form.reason.trim().to_string()).filter(|r| !r.is_empty());
    match state.svc.cancel(&p.viewer.actor, id, reason).await {
        Ok(b) => flash_redirect(&state, &back, &b.id.to_string(), text::FLASH_CANCELLED),
        Err(e) => error_redirect(&state, &back, &explain(e).1),
    }
}

/// `POST /my/bookings/{id}/check-in`
#[handler]
pub async fn check_in(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<ReasonForm>,
) -> Response {
    let Some(id) = parse_id::<BookingId>(&id) else {
        return error_redirect(&state, "/my", text::NOT_FOUND);
    };
    match state.svc.check_in(&p.viewer.actor, id, None).await {
        Ok(b) => flash_redirect(&state, "/my", &b.id.to_string(), text::FLASH_CHECKED_IN),
        Err(e) => error_redirect(&state, "/my", &explain(e).1),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SeriesCancelForm {
    /// Cancel this occurrence and every later one; empty = the whole series.
    from: String,
    reason: String,
}

/// `POST /my/series/{id}/cancel`
#[handler]
pub async fn cancel_series(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<SeriesCancelForm>,
) -> Response {
    let Some(sid) = parse_id::<SeriesId>(&id) else {
        return error_redirect(&state, "/my", text::NOT_FOUND);
    };
    let back = format!("/series/{sid}");
    let scope = match parse_id::<BookingId>(&p.form.from) {
        None => SeriesScope::All,
        Some(bid) => match state.svc.get_booking(bid).await {
            Ok(b) if b.series_id == Some(sid) => {
                SeriesScope::FromOccurrence(b.occurrence_start.unwrap_or(b.start))
            }
            Ok(_) => return error_redirect(&state, &back, text::NOT_FOUND),
            Err(e) => return error_redirect(&state, &back, &explain(e).1),
        },
    };
    let reason = Some(p.form.reason.trim().to_string()).filter(|r| !r.is_empty());
    match state
        .svc
        .cancel_series(&p.viewer.actor, sid, scope, reason)
        .await
    {
        Ok(ch) => flash_redirect(
            &state,
            &back,
            "",
            &text::series_cancelled(ch.changed.len(), ch.failed.len()),
        ),
        Err(e) => error_redirect(&state, &back, &explain(e).1),
    }
}

/// `POST /my/waitlist`: queue for the slot the booking form asked for.
#[handler]
pub async fn join_waitlist(state: Data<&AppState>, p: Posted<BookForm>) -> Response {
    let req = match p.form.request() {
        Ok(r) => r,
        Err(m) => return error_redirect(&state, "/my", &m),
    };
    match state.svc.join_waitlist(&p.viewer.actor, req).await {
        Ok(_) => flash_redirect(&state, "/my", "", text::FLASH_WAITLIST_JOINED),
        Err(e) => error_redirect(&state, "/my", &explain(e).1),
    }
}

/// `POST /my/waitlist/{id}/leave`
#[handler]
pub async fn leave_waitlist(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<ReasonForm>,
) -> Response {
    let Some(id) = parse_id::<WaitlistId>(&id) else {
        return error_redirect(&state, "/my", text::NOT_FOUND);
    };
    match state.svc.leave_waitlist(&p.viewer.actor, id).await {
        Ok(_) => flash_redirect(&state, "/my", "", text::FLASH_WAITLIST_LEFT),
        Err(e) => error_redirect(&state, "/my", &explain(e).1),
    }
}

#[derive(Template)]
#[template(path = "series.html")]
struct SeriesPage {
    c: Chrome,
    id: String,
    title: String,
    room: String,
    rule: String,
    rows: Vec<Row>,
    can_cancel: bool,
    back: String,
}

/// `GET /series/{id}`: a series and its occurrences.
#[handler]
pub async fn series(
    state: Data<&AppState>,
    req: &Request,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_SERIES, "my").flash_from(&state, q.flash.as_deref());
    let Some(sid) = parse_id::<SeriesId>(&id) else {
        return error_page(c, StatusCode::NOT_FOUND, text::NOT_FOUND);
    };
    let tz = viewer_zone(&state, req, q.tz.as_deref());
    let now = state.svc.now();
    let loaded = async {
        let s = state.svc.get_series(sid).await?;
        let occ = state.svc.series_occurrences(sid).await?;
        let rooms = rooms_by_id(&state).await?;
        Ok::<_, booking_core::CoreError>((s, occ, rooms))
    };
    let (s, mut occ, rooms) = match loaded.await {
        Ok(x) => x,
        Err(e) => return core_error_page(c, e),
    };
    if !booking_core::rules::may_see_bookings_of(&viewer.actor, s.organizer_id, s.room_id) {
        return error_page(
            c,
            StatusCode::FORBIDDEN,
            format!("Series {sid} is not yours."),
        );
    }
    occ.sort_by_key(|b| b.start);
    let hl = q.hl.unwrap_or_default();
    let view = SeriesPage {
        c,
        id: sid.to_string(),
        back: format!("/series/{sid}"),
        title: s.title.clone(),
        room: rooms
            .get(&s.room_id)
            .map_or_else(String::new, |r| r.name.clone()),
        rule: s.rrule.clone(),
        can_cancel: booking_core::rules::can_cancel(&viewer.actor, s.organizer_id, s.room_id),
        rows: occ.iter().map(|b| row(b, &rooms, tz, now, &hl)).collect(),
    };
    render(StatusCode::OK, &view)
}

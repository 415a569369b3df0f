//! Approvals: the queue of pending bookings of the rooms the viewer approves
//! for (super admins: all), approve or reject with a reason, and a page per
//! booking (`/approvals/{id}`) that notification mails link to.

use std::collections::HashMap;

use askama::Template;
use booking_core::{Booking, BookingId, BookingStatus, Role, RoomListing, UserId};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::board::viewer_zone;
use super::page::{
    Chrome, core_error_page, error_page, error_redirect, explain, flash_redirect, render,
};
use super::session::{Posted, Viewer};
use super::{text, time};
use crate::state::AppState;

/// A pending booking as the approver sees it.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: String,
    pub room: String,
    pub when: String,
    pub title: String,
    pub purpose: String,
    pub attendees: u32,
    pub organizer: String,
    pub status: &'static str,
    pub open: bool,
    pub reason: Option<String>,
}

#[derive(Template)]
#[template(path = "approvals.html")]
struct QueuePage {
    c: Chrome,
    items: Vec<Pending>,
    single: bool,
}

#[derive(Debug, Deserialize)]
pub struct ApprovalsQuery {
    flash: Option<String>,
    tz: Option<String>,
}

fn may_approve(viewer: &Viewer) -> bool {
    matches!(viewer.actor.role, Role::RoomAdmin | Role::SuperAdmin)
}

async fn describe(
    state: &AppState,
    list: Vec<Booking>,
    tz: chrono_tz::Tz,
) -> Result<Vec<Pending>, booking_core::CoreError> {
    let rooms: HashMap<_, _> = state
        .svc
        .list_rooms(RoomListing::WithDeleted)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let mut names: HashMap<UserId, String> = HashMap::new();
    let mut out = Vec::with_capacity(list.len());
    for b in list {
        if let std::collections::hash_map::Entry::Vacant(slot) = names.entry(b.organizer_id) {
            let name = state
                .svc
                .get_user(b.organizer_id)
                .await
                .map(|u| format!("{} <{}>", u.display_name, u.email))
                .unwrap_or_else(|_| b.organizer_id.to_string());
            slot.insert(name);
        }
        out.push(Pending {
            id: b.id.to_string(),
            room: rooms.get(&b.room_id).cloned().unwrap_or_default(),
            when: time::range(tz, b.start, b.end),
            title: b.title,
            purpose: b.purpose,
            attendees: b.attendees,
            organizer: names.get(&b.organizer_id).cloned().unwrap_or_default(),
            status: text::status(b.status),
            open: b.status == BookingStatus::Pending,
            reason: b.decision_reason,
        });
    }
    Ok(out)
}

/// `GET /approvals`
#[handler]
pub async fn queue(
    state: Data<&AppState>,
    req: &Request,
    viewer: Viewer,
    Query(q): Query<ApprovalsQuery>,
) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_APPROVALS, "approvals")
        .flash_from(&state, q.flash.as_deref())
        .live();
    if !may_approve(&viewer) {
        return error_page(c, StatusCode::FORBIDDEN, text::NOT_APPROVER);
    }
    let tz = viewer_zone(&state, req, q.tz.as_deref());
    let items = match state.svc.approval_queue(&viewer.actor).await {
        Ok(list) => describe(&state, list, tz).await,
        Err(e) => Err(e),
    };
    match items {
        Ok(items) => render(
            StatusCode::OK,
            &QueuePage {
                c,
                items,
                single: false,
            },
        ),
        Err(e) => core_error_page(c, e),
    }
}

/// `GET /approvals/{id}`: one booking to decide on.
#[handler]
pub async fn one(
    state: Data<&AppState>,
    req: &Request,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<ApprovalsQuery>,
) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_APPROVALS, "approvals")
        .flash_from(&state, q.flash.as_deref())
        .live();
    let Ok(id) = id.parse::<BookingId>() else {
        return error_page(c, StatusCode::NOT_FOUND, text::NOT_FOUND);
    };
    let b = match state.svc.get_booking(id).await {
        Ok(b) => b,
        Err(e) => return core_error_page(c, e),
    };
    if !viewer.actor.manages_room(b.room_id) {
        return error_page(
            c,
            StatusCode::FORBIDDEN,
            "You do not approve bookings of this room.",
        );
    }
    let tz = viewer_zone(&state, req, q.tz.as_deref());
    match describe(&state, vec![b], tz).await {
        Ok(items) => render(
            StatusCode::OK,
            &QueuePage {
                c,
                items,
                single: true,
            },
        ),
        Err(e) => core_error_page(c, e),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    reason: String,
    /// "one" to come back to the booking's own page.
    back: String,
}

fn back(f: &DecisionForm, id: BookingId) -> String {
    if f.back == "one" {
        format!("/approvals/{id}")
    } else {
        "/approvals".to_string()
    }
}

/// Approve (`yes`) or reject a pending booking, then back to where the form was.
async fn decide(state: &AppState, id: &str, p: Posted<DecisionForm>, yes: bool) -> Response {
    let Ok(id) = id.parse::<BookingId>() else {
        return error_redirect(state, "/approvals", text::NOT_FOUND);
    };
    let to = back(&p.form, id);
    let reason = Some(p.form.reason.trim().to_string()).filter(|r| !r.is_empty());
    let (done, said) = if yes {
        (
            state.svc.approve(&p.viewer.actor, id, reason).await,
            text::FLASH_APPROVED,
        )
    } else {
        (
            state.svc.reject(&p.viewer.actor, id, reason).await,
            text::FLASH_REJECTED,
        )
    };
    match done {
        Ok(_) => flash_redirect(state, &to, "", said),
        Err(e) => error_redirect(state, &to, &explain(e).1),
    }
}

/// `POST /approvals/{id}/approve`
#[handler]
pub async fn approve(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<DecisionForm>,
) -> Response {
    decide(&state, &id, p, true).await
}

/// `POST /approvals/{id}/reject`
#[handler]
pub async fn reject(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<DecisionForm>,
) -> Response {
    decide(&state, &id, p, false).await
}

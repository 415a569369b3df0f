//! `/admin/rooms`: the rooms an admin manages; create (super admins), edit a
//! room with its whole policy, soft delete and restore, and the room's door
//! displays.

use askama::Template;
use booking_core::{Room, RoomId, RoomListing, RoomSpec};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Response, handler};
use serde::Deserialize;

use super::room_form::{self, View};
use super::{is_super, manages_rooms};
use crate::state::AppState;
use crate::tables::DisplayGrant;
use crate::web::fields::{Fields, Problem};
use crate::web::page::{
    Chrome, core_error_page, error_page, error_redirect, explain, flash_redirect, render,
};
use crate::web::session::{Posted, Viewer};
use crate::web::{text, time};

/// A room in the list.
pub struct RoomRow {
    pub id: String,
    pub name: String,
    pub category: &'static str,
    pub capacity: u32,
    pub location: String,
    pub zone: String,
    pub approval: bool,
    pub active: bool,
    pub deleted: bool,
}

#[derive(Template)]
#[template(path = "admin_rooms.html")]
struct ListPage {
    c: Chrome,
    rooms: Vec<RoomRow>,
    can_create: bool,
}

/// A door display token as its room's page lists it.
pub struct DisplayRow {
    pub id: String,
    pub label: String,
    pub created: String,
    pub revoked: Option<String>,
}

/// A token just made: its link, shown once.
pub struct NewDisplay {
    pub label: String,
    pub url: String,
}

#[derive(Template)]
#[template(path = "admin_room.html")]
struct FormPage {
    c: Chrome,
    f: Fields,
    v: View,
    problem: Option<Problem>,
    /// `None` for a new room.
    room_id: Option<String>,
    deleted: bool,
    zones: Vec<String>,
    displays: Vec<DisplayRow>,
    new_display: Option<NewDisplay>,
    links: super::room_parts::PartsView,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FlashQuery {
    pub flash: Option<String>,
}

fn row(r: Room) -> RoomRow {
    RoomRow {
        id: r.id.to_string(),
        category: text::category(r.category),
        capacity: r.capacity,
        zone: r.time_zone.name().to_string(),
        approval: r.policy.approval_required,
        active: r.active,
        deleted: r.deleted_at.is_some(),
        name: r.name,
        location: r.location,
    }
}

/// `GET /admin/rooms`
#[handler]
pub async fn list(state: Data<&AppState>, viewer: Viewer, Query(q): Query<FlashQuery>) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_ADMIN_ROOMS, "admin")
        .flash_from(&state, q.flash.as_deref());
    if !manages_rooms(&viewer) {
        return error_page(c, StatusCode::FORBIDDEN, text::NOT_ROOM_ADMIN);
    }
    match state.svc.list_rooms(RoomListing::WithDeleted).await {
        Ok(rooms) => {
            let rooms = rooms
                .into_iter()
                .filter(|r| viewer.actor.manages_room(r.id))
                .map(row)
                .collect();
            render(
                StatusCode::OK,
                &ListPage {
                    c,
                    rooms,
                    can_create: is_super(&viewer),
                },
            )
        }
        Err(e) => core_error_page(c, e),
    }
}

fn new_spec(state: &AppState) -> RoomSpec {
    RoomSpec {
        name: String::new(),
        category: booking_core::RoomCategory::Meeting,
        capacity: 6,
        floor: None,
        location: String::new(),
        amenities: Default::default(),
        time_zone: state.config.bookings.default_time_zone.clone(),
        active: true,
        policy: Default::default(),
    }
}

async fn displays(state: &AppState, room: RoomId, tz: chrono_tz::Tz) -> Vec<DisplayRow> {
    let grants: Vec<DisplayGrant> = state.store.room_displays(room).await.unwrap_or_default();
    grants
        .into_iter()
        .map(|g| DisplayRow {
            id: g.id.to_string(),
            label: g.label,
            created: time::stamp(tz, g.created_at),
            revoked: g.revoked_at.map(|t| time::stamp(tz, t)),
        })
        .collect()
}

struct Shown {
    f: Fields,
    problem: Option<Problem>,
    new_display: Option<NewDisplay>,
    status: StatusCode,
}

async fn show_form(state: &AppState, c: Chrome, room: Option<&Room>, s: Shown) -> Response {
    let zones = time::zone_choices(room.map(|r| r.time_zone));
    let (room_id, deleted, shown, links) = match room {
        Some(r) => (
            Some(r.id.to_string()),
            r.deleted_at.is_some(),
            displays(state, r.id, r.time_zone).await,
            super::room_parts::view(state, r).await,
        ),
        None => (None, false, Vec::new(), Default::default()),
    };
    render(
        s.status,
        &FormPage {
            c,
            v: View::of(&s.f),
            f: s.f,
            problem: s.problem,
            room_id,
            deleted,
            zones,
            displays: shown,
            new_display: s.new_display,
            links,
        },
    )
}

fn ok_form(f: Fields) -> Shown {
    Shown {
        f,
        problem: None,
        new_display: None,
        status: StatusCode::OK,
    }
}

/// `GET /admin/rooms/new`
#[handler]
pub async fn new_form(state: Data<&AppState>, viewer: Viewer) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_NEW_ROOM, "admin");
    if !is_super(&viewer) {
        return error_page(c, StatusCode::FORBIDDEN, "Only super admins create rooms.");
    }
    show_form(
        &state,
        c,
        None,
        ok_form(room_form::to_fields(&new_spec(&state))),
    )
    .await
}

fn refused(f: Fields, problem: Problem, status: StatusCode) -> Shown {
    Shown {
        f,
        problem: Some(problem),
        new_display: None,
        status,
    }
}

/// `POST /admin/rooms/new`
#[handler]
pub async fn create(state: Data<&AppState>, p: Posted<Vec<(String, String)>>) -> Response {
    let c = Chrome::new(&p.viewer, text::TITLE_NEW_ROOM, "admin");
    let f = Fields::new(p.form);
    let spec = match room_form::read(&f) {
        Ok(s) => s,
        Err(problem) => {
            return show_form(
                &state,
                c,
                None,
                refused(f, problem, StatusCode::UNPROCESSABLE_ENTITY),
            )
            .await;
        }
    };
    match state.svc.create_room(&p.viewer.actor, spec).await {
        Ok(room) => flash_redirect(
            &state,
            &format!("/admin/rooms/{}", room.id),
            "",
            text::FLASH_ROOM_SAVED,
        ),
        Err(e) => {
            let (status, msg) = explain(e);
            show_form(&state, c, None, refused(f, Problem::new("", msg), status)).await
        }
    }
}

async fn managed(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<Room, (StatusCode, String)> {
    let id: RoomId = id
        .parse()
        .map_err(|_| (StatusCode::NOT_FOUND, text::NOT_FOUND.to_string()))?;
    if !viewer.actor.manages_room(id) {
        return Err((StatusCode::FORBIDDEN, text::NOT_ROOM_ADMIN.to_string()));
    }
    state.svc.get_room(id).await.map_err(explain)
}

/// `GET /admin/rooms/{id}`
#[handler]
pub async fn edit_form(
    state: Data<&AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_ADMIN_ROOMS, "admin")
        .flash_from(&state, q.flash.as_deref());
    match managed(&state, &viewer, &id).await {
        Ok(room) => {
            let c = Chrome {
                title: room.name.clone(),
                ..c
            };
            let f = room_form::to_fields(&RoomSpec::from(&room));
            show_form(&state, c, Some(&room), ok_form(f)).await
        }
        Err((status, msg)) => error_page(c, status, msg),
    }
}

/// `POST /admin/rooms/{id}`
#[handler]
pub async fn update(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<Vec<(String, String)>>,
) -> Response {
    let c = Chrome::new(&p.viewer, text::TITLE_ADMIN_ROOMS, "admin");
    let room = match managed(&state, &p.viewer, &id).await {
        Ok(r) => r,
        Err((status, msg)) => return error_page(c, status, msg),
    };
    let c = Chrome {
        title: room.name.clone(),
        ..c
    };
    let f = Fields::new(p.form);
    let spec = match room_form::read(&f) {
        Ok(s) => s,
        Err(problem) => {
            return show_form(
                &state,
                c,
                Some(&room),
                refused(f, problem, StatusCode::UNPROCESSABLE_ENTITY),
            )
            .await;
        }
    };
    match state.svc.update_room(&p.viewer.actor, room.id, spec).await {
        Ok(room) => flash_redirect(
            &state,
            &format!("/admin/rooms/{}", room.id),
            "",
            text::FLASH_ROOM_SAVED,
        ),
        Err(e) => {
            let (status, msg) = explain(e);
            show_form(
                &state,
                c,
                Some(&room),
                refused(f, Problem::new("", msg), status),
            )
            .await
        }
    }
}

async fn set_deleted(
    state: &AppState,
    id: &str,
    p: Posted<Vec<(String, String)>>,
    deleted: bool,
) -> Response {
    let Ok(room) = id.parse::<RoomId>() else {
        return error_redirect(state, "/admin/rooms", text::NOT_FOUND);
    };
    let done = if deleted {
        state.svc.delete_room(&p.viewer.actor, room).await
    } else {
        state.svc.restore_room(&p.viewer.actor, room).await
    };
    match done {
        Ok(_) => flash_redirect(
            state,
            "/admin/rooms",
            "",
            if deleted {
                text::FLASH_ROOM_DELETED
            } else {
                text::FLASH_ROOM_RESTORED
            },
        ),
        Err(e) => error_redirect(state, "/admin/rooms", &explain(e).1),
    }
}

/// `POST /admin/rooms/{id}/delete`
#[handler]
pub async fn delete(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<Vec<(String, String)>>,
) -> Response {
    set_deleted(&state, &id, p, true).await
}

/// `POST /admin/rooms/{id}/restore`
#[handler]
pub async fn restore(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<Vec<(String, String)>>,
) -> Response {
    set_deleted(&state, &id, p, false).await
}

/// `POST /admin/rooms/{id}/displays`: a new door display token, its link
/// shown once on the room's page.
#[handler]
pub async fn add_display(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<Vec<(String, String)>>,
) -> Response {
    let c = Chrome::new(&p.viewer, text::TITLE_ADMIN_ROOMS, "admin");
    let room = match managed(&state, &p.viewer, &id).await {
        Ok(r) => r,
        Err((status, msg)) => return error_page(c, status, msg),
    };
    let c = Chrome {
        title: room.name.clone(),
        ..c
    };
    let label = Fields::new(p.form).v("label").to_string();
    match crate::displays::create(&state, &p.viewer.actor, room.id, &label).await {
        Ok((grant, token)) => {
            let url = format!(
                "{}/display/{}?token={token}",
                state.config.server.public_url.trim_end_matches('/'),
                room.id
            );
            let shown = Shown {
                f: room_form::to_fields(&RoomSpec::from(&room)),
                problem: None,
                new_display: Some(NewDisplay {
                    label: grant.label,
                    url,
                }),
                status: StatusCode::OK,
            };
            show_form(
                &state,
                c.ok("Display token made. Open its link on the tablet at the door."),
                Some(&room),
                shown,
            )
            .await
        }
        Err(e) => error_redirect(&state, &format!("/admin/rooms/{}", room.id), &explain(e).1),
    }
}

/// `POST /admin/displays/{id}/revoke`
#[handler]
pub async fn revoke_display(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<Vec<(String, String)>>,
) -> Response {
    let Ok(id) = id.parse::<uuid::Uuid>() else {
        return error_redirect(&state, "/admin/rooms", text::NOT_FOUND);
    };
    match crate::displays::revoke(&state, &p.viewer.actor, id).await {
        Ok(g) => flash_redirect(
            &state,
            &format!("/admin/rooms/{}", g.room_id),
            "",
            text::FLASH_DISPLAY_REVOKED,
        ),
        Err(e) => error_redirect(&state, "/admin/rooms", &explain(e).1),
    }
}

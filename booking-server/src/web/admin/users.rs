//! `/admin/users`: every account with its role; a super admin changes a
//! person's name, role, assigned rooms and whether the account is active.

use askama::Template;
use booking_core::{Role, RoomId, RoomListing, User, UserId};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Response, handler};

use super::is_super;
use super::rooms::FlashQuery;
use crate::state::AppState;
use crate::web::fields::{Fields, Problem};
use crate::web::page::{Chrome, core_error_page, error_page, explain, flash_redirect, render};
use crate::web::session::{Posted, Viewer};
use crate::web::text;

pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: &'static str,
    pub rooms: usize,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct ListPage {
    c: Chrome,
    users: Vec<UserRow>,
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct EditPage {
    c: Chrome,
    id: String,
    email: String,
    f: Fields,
    problem: Option<Problem>,
    roles: Vec<(String, String, bool)>,
    rooms: Vec<(String, String, bool)>,
}

/// `GET /admin/users`
#[handler]
pub async fn list(state: Data<&AppState>, viewer: Viewer, Query(q): Query<FlashQuery>) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_USERS, "users").flash_from(&state, q.flash.as_deref());
    if !is_super(&viewer) {
        return error_page(c, StatusCode::FORBIDDEN, text::NOT_SUPER_ADMIN);
    }
    match state.store.list_users().await {
        Ok(mut users) => {
            users.sort_by(|a, b| {
                a.display_name
                    .to_lowercase()
                    .cmp(&b.display_name.to_lowercase())
            });
            let users = users
                .into_iter()
                .map(|u| UserRow {
                    id: u.id.to_string(),
                    role: text::role(u.role),
                    rooms: u.assigned_rooms.len(),
                    active: u.active,
                    name: u.display_name,
                    email: u.email.into(),
                })
                .collect();
            render(StatusCode::OK, &ListPage { c, users })
        }
        Err(e) => core_error_page(c, e.into()),
    }
}

fn fields_of(u: &User) -> Fields {
    let mut f = Fields::default();
    f.set("display_name", &u.display_name);
    f.set("role", u.role.as_str());
    for r in &u.assigned_rooms {
        f.add("rooms", r.to_string());
    }
    if u.active {
        f.set("active", "on");
    }
    f
}

async fn show(
    state: &AppState,
    c: Chrome,
    u: &User,
    f: Fields,
    problem: Option<Problem>,
    status: StatusCode,
) -> Response {
    let rooms = match state.svc.list_rooms(RoomListing::Current).await {
        Ok(r) => r,
        Err(e) => return core_error_page(c, e),
    };
    let page = EditPage {
        id: u.id.to_string(),
        email: u.email.to_string(),
        roles: Role::ALL
            .iter()
            .map(|r| {
                (
                    r.as_str().to_string(),
                    text::role(*r).to_string(),
                    f.v("role") == r.as_str(),
                )
            })
            .collect(),
        rooms: rooms
            .into_iter()
            .map(|r| {
                let id = r.id.to_string();
                let on = f.has("rooms", &id);
                (id, r.name, on)
            })
            .collect(),
        c: Chrome {
            title: u.display_name.clone(),
            ..c
        },
        f,
        problem,
    };
    render(status, &page)
}

async fn target(state: &AppState, c: &Chrome, viewer: &Viewer, id: &str) -> Result<User, Response> {
    if !is_super(viewer) {
        return Err(error_page(
            c.clone(),
            StatusCode::FORBIDDEN,
            text::NOT_SUPER_ADMIN,
        ));
    }
    let Ok(id) = id.parse::<UserId>() else {
        return Err(error_page(
            c.clone(),
            StatusCode::NOT_FOUND,
            text::NOT_FOUND,
        ));
    };
    state
        .svc
        .get_user(id)
        .await
        .map_err(|e| core_error_page(c.clone(), e))
}

/// `GET /admin/users/{id}`
#[handler]
pub async fn edit_form(
    state: Data<&AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_USERS, "users").flash_from(&state, q.flash.as_deref());
    match target(&state, &c, &viewer, &id).await {
        Ok(u) => {
            let f = fields_of(&u);
            show(&state, c, &u, f, None, StatusCode::OK).await
        }
        Err(page) => page,
    }
}

fn read(f: &Fields, before: &User) -> Result<User, Problem> {
    let mut rooms = std::collections::BTreeSet::new();
    for r in f.all("rooms") {
        rooms.insert(
            r.parse::<RoomId>()
                .map_err(|_| Problem::new("rooms", "choose rooms from the list"))?,
        );
    }
    let role: Role = f.choice("role", "choose a role from the list")?;
    if role != Role::RoomAdmin && !rooms.is_empty() {
        return Err(Problem::new(
            "rooms",
            "only room admins have assigned rooms: choose the role Room admin, or untick the rooms",
        ));
    }
    Ok(User {
        display_name: f.v("display_name").to_string(),
        role,
        assigned_rooms: rooms,
        active: f.on("active"),
        ..before.clone()
    })
}

/// `POST /admin/users/{id}`
#[handler]
pub async fn update(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<Vec<(String, String)>>,
) -> Response {
    let c = Chrome::new(&p.viewer, text::TITLE_USERS, "users");
    let before = match target(&state, &c, &p.viewer, &id).await {
        Ok(u) => u,
        Err(page) => return page,
    };
    let f = Fields::new(p.form);
    let after = match read(&f, &before) {
        Ok(u) => u,
        Err(problem) => {
            return show(
                &state,
                c,
                &before,
                f,
                Some(problem),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    match state.svc.update_user(&p.viewer.actor, after).await {
        Ok(u) => flash_redirect(
            &state,
            &format!("/admin/users/{}", u.id),
            "",
            text::FLASH_USER_SAVED,
        ),
        Err(e) => {
            let (status, msg) = explain(e);
            show(&state, c, &before, f, Some(Problem::new("", msg)), status).await
        }
    }
}

//! `/admin/webhooks`: endpoints that receive every booking and order change
//! (super admins; room admins for their rooms) — register, change, rotate
//! the secret, enable or disable, delete — and each endpoint's delivery log
//! with redelivery. Every action goes through `crate::webhooks`, like the API.

use askama::Template;
use booking_core::{CoreError, RoomId, RoomListing};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Response, handler};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::manages_rooms;
use super::rooms::FlashQuery;
use crate::state::AppState;
use crate::tables::{Delivery, DeliveryState, Endpoint};
use crate::web::fields::{Fields, Problem};
use crate::web::page::{Chrome, core_error_page, error_page, error_redirect, explain};
use crate::web::page::{flash_redirect, render};
use crate::web::session::{Posted, Viewer};
use crate::web::text;
use crate::webhooks::{self, EndpointSpec, KINDS};

pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub description: String,
    pub kinds: String,
    pub room: String,
    pub enabled: bool,
    pub state: String,
}

pub struct DeliveryRow {
    pub id: i64,
    pub kind: String,
    pub created: String,
    pub state: &'static str,
    pub attempts: u32,
    pub answer: String,
    pub latency: String,
    pub redeliver: bool,
}

#[derive(Template)]
#[template(path = "admin_webhooks.html")]
struct ListPage {
    c: Chrome,
    endpoints: Vec<EndpointRow>,
    f: Fields,
    problem: Option<Problem>,
    kinds: Vec<(String, bool)>,
    rooms: Vec<(String, String, bool)>,
    /// Room admins must choose one of their rooms.
    room_required: bool,
}

#[derive(Template)]
#[template(path = "admin_webhook.html")]
struct DetailPage {
    c: Chrome,
    id: String,
    secret: String,
    previous_until: Option<String>,
    enabled: bool,
    disabled_reason: Option<String>,
    f: Fields,
    problem: Option<Problem>,
    kinds: Vec<(String, bool)>,
    rooms: Vec<(String, String, bool)>,
    room_required: bool,
    deliveries: Vec<DeliveryRow>,
}

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn kinds_text(kinds: &[String]) -> String {
    if kinds.is_empty() {
        "every change".into()
    } else {
        kinds.join(", ")
    }
}

fn delivery_row(d: Delivery) -> DeliveryRow {
    DeliveryRow {
        id: d.id,
        kind: d.new.kind,
        created: when(d.created_at),
        state: match d.state {
            DeliveryState::Pending if d.attempts == 0 => "Waiting",
            DeliveryState::Pending => "Retrying",
            DeliveryState::Delivered => "Delivered",
            DeliveryState::Failed => "Failed",
        },
        attempts: d.attempts,
        answer: match (d.last.status, d.last.error) {
            (Some(s), _) => format!(
                "HTTP {s} {}",
                d.last
                    .response
                    .unwrap_or_default()
                    .chars()
                    .take(120)
                    .collect::<String>()
            ),
            (None, Some(e)) => e,
            (None, None) => String::new(),
        },
        latency: d
            .last
            .latency_ms
            .map(|ms| format!("{ms} ms"))
            .unwrap_or_default(),
        redeliver: d.state != DeliveryState::Pending,
    }
}

fn fields_of(e: &Endpoint) -> Fields {
    let mut f = Fields::default();
    f.set("url", &e.url);
    f.set("description", &e.description);
    f.set(
        "room_id",
        e.room_id.map(|r| r.to_string()).unwrap_or_default(),
    );
    for k in &e.kinds {
        f.add("kinds", k.clone());
    }
    f
}

/// The form's choices: kinds ticked, rooms the viewer may pick.
async fn choices(
    state: &AppState,
    viewer: &Viewer,
    f: &Fields,
) -> Result<(Vec<(String, bool)>, Vec<(String, String, bool)>), CoreError> {
    let kinds = KINDS
        .iter()
        .map(|k| ((*k).to_string(), f.has("kinds", k)))
        .collect();
    let rooms = state
        .svc
        .list_rooms(RoomListing::Current)
        .await?
        .into_iter()
        .filter(|r| viewer.actor.manages_room(r.id))
        .map(|r| {
            let id = r.id.to_string();
            let on = f.v("room_id") == id;
            (id, r.name, on)
        })
        .collect();
    Ok((kinds, rooms))
}

fn spec_of(f: &Fields) -> Result<EndpointSpec, Problem> {
    let room_id = match f.v("room_id") {
        "" => None,
        r => Some(
            r.parse::<RoomId>()
                .map_err(|_| Problem::new("room_id", "choose a room from the list"))?,
        ),
    };
    Ok(EndpointSpec {
        url: f.v("url").to_string(),
        description: f.v("description").to_string(),
        kinds: f.all("kinds").map(str::to_string).collect(),
        room_id,
    })
}

/// A refused change as a problem beside the form: the field and the rule.
fn problem_of(e: CoreError) -> (StatusCode, Problem) {
    let field = match &e {
        CoreError::Input(i) => i.field().to_string(),
        _ => String::new(),
    };
    let (status, msg) = explain(e);
    (status, Problem::new(field, msg))
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    c: Chrome,
    f: Fields,
    problem: Option<Problem>,
    status: StatusCode,
) -> Response {
    let endpoints = match webhooks::list(state, &viewer.actor).await {
        Ok(e) => e,
        Err(e) => return core_error_page(c, e),
    };
    let (kinds, rooms) = match choices(state, viewer, &f).await {
        Ok(x) => x,
        Err(e) => return core_error_page(c, e),
    };
    let names: std::collections::HashMap<String, String> = rooms
        .iter()
        .map(|(id, name, _)| (id.clone(), name.clone()))
        .collect();
    let endpoints = endpoints
        .into_iter()
        .map(|e| EndpointRow {
            id: e.id.to_string(),
            room: e
                .room_id
                .map(|r| names.get(&r.to_string()).cloned().unwrap_or(r.to_string()))
                .unwrap_or_else(|| "All rooms".into()),
            kinds: kinds_text(&e.kinds),
            state: match (&e.enabled, &e.disabled_reason) {
                (true, _) if e.failures > 0 => format!("Failing ({} in a row)", e.failures),
                (true, _) => "Active".into(),
                (false, Some(r)) => format!("Disabled: {r}"),
                (false, None) => "Disabled".into(),
            },
            enabled: e.enabled,
            url: e.url,
            description: e.description,
        })
        .collect();
    let page = ListPage {
        c,
        endpoints,
        f,
        problem,
        kinds,
        rooms,
        room_required: !super::is_super(viewer),
    };
    render(status, &page)
}

/// `GET /admin/webhooks`
#[handler]
pub async fn list(state: Data<&AppState>, viewer: Viewer, Query(q): Query<FlashQuery>) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_WEBHOOKS, "webhooks")
        .flash_from(&state, q.flash.as_deref());
    if !manages_rooms(&viewer) {
        return error_page(c, StatusCode::FORBIDDEN, text::NOT_WEBHOOK_ADMIN);
    }
    list_page(&state, &viewer, c, Fields::default(), None, StatusCode::OK).await
}

/// `POST /admin/webhooks`: register an endpoint.
#[handler]
pub async fn create(state: Data<&AppState>, p: Posted<Vec<(String, String)>>) -> Response {
    let c = Chrome::new(&p.viewer, text::TITLE_WEBHOOKS, "webhooks");
    let f = Fields::new(p.form);
    let spec = match spec_of(&f) {
        Ok(s) => s,
        Err(problem) => {
            let s = StatusCode::UNPROCESSABLE_ENTITY;
            return list_page(&state, &p.viewer, c, f, Some(problem), s).await;
        }
    };
    match webhooks::create(&state, &p.viewer.actor, &spec).await {
        Ok(e) => flash_redirect(
            &state,
            &format!("/admin/webhooks/{}", e.id),
            "",
            text::FLASH_WEBHOOK_CREATED,
        ),
        Err(e) => {
            let (status, problem) = problem_of(e);
            list_page(&state, &p.viewer, c, f, Some(problem), status).await
        }
    }
}

async fn detail_page(
    state: &AppState,
    viewer: &Viewer,
    c: Chrome,
    e: Endpoint,
    f: Option<Fields>,
    problem: Option<Problem>,
    status: StatusCode,
) -> Response {
    let f = f.unwrap_or_else(|| fields_of(&e));
    let (kinds, rooms) = match choices(state, viewer, &f).await {
        Ok(x) => x,
        Err(err) => return core_error_page(c, err),
    };
    let deliveries = match webhooks::deliveries(state, &viewer.actor, e.id, None, 50).await {
        Ok(d) => d.into_iter().map(delivery_row).collect(),
        Err(err) => return core_error_page(c, err),
    };
    let page = DetailPage {
        c: Chrome {
            title: format!("Webhook {}", e.url),
            ..c
        },
        id: e.id.to_string(),
        secret: e.secret.expose_secret().to_string(),
        previous_until: e
            .previous_until
            .filter(|u| e.previous_secret.is_some() && *u > state.svc.now())
            .map(when),
        enabled: e.enabled,
        disabled_reason: e.disabled_reason,
        f,
        problem,
        kinds,
        rooms,
        room_required: !super::is_super(viewer),
        deliveries,
    };
    render(status, &page)
}

fn endpoint_id(id: &str) -> Option<Uuid> {
    id.parse().ok()
}

/// `GET /admin/webhooks/{id}`
#[handler]
pub async fn detail(
    state: Data<&AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<FlashQuery>,
) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_WEBHOOKS, "webhooks")
        .flash_from(&state, q.flash.as_deref());
    let Some(id) = endpoint_id(&id) else {
        return error_page(c, StatusCode::NOT_FOUND, text::NOT_FOUND);
    };
    match webhooks::get(&state, &viewer.actor, id).await {
        Ok(e) => detail_page(&state, &viewer, c, e, None, None, StatusCode::OK).await,
        Err(e) => core_error_page(c, e),
    }
}

/// `POST /admin/webhooks/{id}`: change URL, description, kinds, room.
#[handler]
pub async fn update(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<Vec<(String, String)>>,
) -> Response {
    let c = Chrome::new(&p.viewer, text::TITLE_WEBHOOKS, "webhooks");
    let Some(id) = endpoint_id(&id) else {
        return error_page(c, StatusCode::NOT_FOUND, text::NOT_FOUND);
    };
    let before = match webhooks::get(&state, &p.viewer.actor, id).await {
        Ok(e) => e,
        Err(e) => return core_error_page(c, e),
    };
    let f = Fields::new(p.form);
    let result = match spec_of(&f) {
        Ok(spec) => webhooks::update(&state, &p.viewer.actor, id, &spec)
            .await
            .map_err(problem_of),
        Err(problem) => Err((StatusCode::UNPROCESSABLE_ENTITY, problem)),
    };
    match result {
        Ok(_) => flash_redirect(
            &state,
            &format!("/admin/webhooks/{id}"),
            "",
            text::FLASH_WEBHOOK_SAVED,
        ),
        Err((status, problem)) => {
            detail_page(&state, &p.viewer, c, before, Some(f), Some(problem), status).await
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct Nothing {}

/// The one-button actions: `rotate`, `enable`, `disable`, `delete`.
#[handler]
pub async fn action(
    state: Data<&AppState>,
    Path((id, what)): Path<(String, String)>,
    p: Posted<Nothing>,
) -> Response {
    let here = format!("/admin/webhooks/{id}");
    let Some(id) = endpoint_id(&id) else {
        return error_redirect(&state, "/admin/webhooks", text::NOT_FOUND);
    };
    let actor = &p.viewer.actor;
    let (result, msg, to) = match what.as_str() {
        "rotate" => (
            webhooks::rotate_secret(&state, actor, id, webhooks::DEFAULT_OVERLAP_HOURS)
                .await
                .map(drop),
            text::FLASH_WEBHOOK_ROTATED,
            here.as_str(),
        ),
        "enable" => (
            webhooks::set_enabled(&state, actor, id, true)
                .await
                .map(|_| state.webhooks.notify_one()),
            text::FLASH_WEBHOOK_ENABLED,
            here.as_str(),
        ),
        "disable" => (
            webhooks::set_enabled(&state, actor, id, false)
                .await
                .map(drop),
            text::FLASH_WEBHOOK_DISABLED,
            here.as_str(),
        ),
        "delete" => (
            webhooks::delete(&state, actor, id).await,
            text::FLASH_WEBHOOK_DELETED,
            "/admin/webhooks",
        ),
        _ => return error_redirect(&state, &here, text::NOT_FOUND),
    };
    match result {
        Ok(()) => flash_redirect(&state, to, "", msg),
        Err(e) => error_redirect(&state, &here, &explain(e).1),
    }
}

/// `POST /admin/webhooks/{id}/deliveries/{delivery}/redeliver`
#[handler]
pub async fn redeliver(
    state: Data<&AppState>,
    Path((id, delivery)): Path<(String, i64)>,
    p: Posted<Nothing>,
) -> Response {
    let here = format!("/admin/webhooks/{id}");
    let Some(id) = endpoint_id(&id) else {
        return error_redirect(&state, "/admin/webhooks", text::NOT_FOUND);
    };
    match webhooks::redeliver(&state, &p.viewer.actor, id, delivery).await {
        Ok(_) => flash_redirect(&state, &here, "", text::FLASH_WEBHOOK_REDELIVER),
        Err(e) => error_redirect(&state, &here, &explain(e).1),
    }
}

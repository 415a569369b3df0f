//! `/admin/audit`: the audit log for super admins — who changed what, when,
//! from where — filtered by kind of record, record, person and dates.

use std::collections::HashMap;

use askama::Template;
use booking_core::store::AuditFilter;
use booking_core::{User, UserId};
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::is_super;
use crate::state::AppState;
use crate::web::board::viewer_zone;
use crate::web::page::{Chrome, core_error_page, error_page, render};
use crate::web::session::Viewer;
use crate::web::{text, time};

/// Kinds of record the log knows, for the filter.
const ENTITIES: &[&str] = &[
    "booking", "series", "room", "user", "order", "waitlist", "display", "chat",
];
/// Most entries one page shows.
const LIMIT: u32 = 200;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    entity: String,
    entity_id: String,
    actor: String,
    from: String,
    to: String,
}

pub struct EntryRow {
    pub at: String,
    pub actor: String,
    pub ip: String,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub change: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    c: Chrome,
    q: AuditQuery,
    entities: Vec<(String, bool)>,
    entries: Vec<EntryRow>,
    problem: Option<String>,
    zone: String,
    full: bool,
}

fn who(names: &HashMap<UserId, User>, id: Option<UserId>) -> String {
    match id {
        None => "the system".into(),
        Some(id) => names.get(&id).map_or_else(
            || id.to_string(),
            |u| format!("{} <{}>", u.display_name, u.email),
        ),
    }
}

fn change(e: &booking_core::store::AuditEntry) -> String {
    let v = e.after.as_ref().or(e.before.as_ref());
    let s = v.map(|v| v.to_string()).unwrap_or_default();
    if s.chars().count() > 600 {
        format!("{}…", s.chars().take(600).collect::<String>())
    } else {
        s
    }
}

/// `GET /admin/audit`
#[handler]
pub async fn page(
    state: Data<&AppState>,
    req: &Request,
    viewer: Viewer,
    Query(q): Query<AuditQuery>,
) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_AUDIT, "audit");
    if !is_super(&viewer) {
        return error_page(c, StatusCode::FORBIDDEN, text::NOT_SUPER_ADMIN);
    }
    let tz = viewer_zone(&state, req, None);
    let users: HashMap<UserId, User> = match state.store.list_users().await {
        Ok(list) => list.into_iter().map(|u| (u.id, u)).collect(),
        Err(e) => return core_error_page(c, e.into()),
    };
    let mut problem = None;
    let mut filter = AuditFilter {
        entity: Some(q.entity.trim().to_string()).filter(|s| !s.is_empty()),
        entity_id: Some(q.entity_id.trim().to_string()).filter(|s| !s.is_empty()),
        limit: LIMIT,
        ..Default::default()
    };
    let actor = q.actor.trim().to_lowercase();
    if !actor.is_empty() {
        match users.values().find(|u| u.email == actor) {
            Some(u) => filter.actor_id = Some(u.id),
            None => problem = Some(format!("actor: nobody has the e-mail address {actor}")),
        }
    }
    for (field, raw, end) in [("from", &q.from, false), ("to", &q.to, true)] {
        if raw.trim().is_empty() {
            continue;
        }
        match time::parse_date(field, raw) {
            Ok(d) => {
                let (start, next) = time::day_bounds(tz, d);
                if end {
                    filter.to = Some(next);
                } else {
                    filter.from = Some(start);
                }
            }
            Err(e) => problem = Some(e),
        }
    }
    let entries = if problem.is_some() {
        Vec::new()
    } else {
        match state.svc.audit_log(&viewer.actor, &filter).await {
            Ok(list) => list
                .iter()
                .map(|e| EntryRow {
                    at: time::stamp(tz, e.at),
                    actor: who(&users, e.actor_id),
                    ip: e.actor_ip.clone().unwrap_or_default(),
                    action: e.action.clone(),
                    entity: e.entity.clone(),
                    entity_id: e.entity_id.clone().unwrap_or_default(),
                    change: change(e),
                })
                .collect(),
            Err(e) => return core_error_page(c, e),
        }
    };
    let status = if problem.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let full = entries.len() == LIMIT as usize;
    render(
        status,
        &AuditPage {
            entities: ENTITIES
                .iter()
                .map(|e| (e.to_string(), q.entity == *e))
                .collect(),
            c,
            q,
            entries,
            problem,
            zone: tz.name().to_string(),
            full,
        },
    )
}

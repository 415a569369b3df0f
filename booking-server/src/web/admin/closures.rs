//! `/admin/closures`: close a room (room admins), a floor, a location or
//! every room (super admins) for a holiday or maintenance, once or
//! repeating; see first which bookings it falls on, and keep or cancel them
//! (their organizers are told the reason). Reopen by deleting.

use askama::Template;
use booking_core::closures::{Closure, ClosureId, ClosureScope, ClosureSpec};
use booking_core::{Booking, CoreError, ExistingBookings, RoomId, RoomListing};
use chrono::{NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Response, handler};

use super::manages_rooms;
use super::rooms::FlashQuery;
use crate::state::AppState;
use crate::web::fields::{Fields, Problem};
use crate::web::page::{Chrome, core_error_page, error_page, error_redirect, explain};
use crate::web::page::{flash_redirect, render};
use crate::web::session::{Posted, Viewer};
use crate::web::text;

pub struct ClosureRow {
    pub id: String,
    pub what: String,
    pub when: String,
    pub repeat: String,
    pub reason: String,
}

pub struct HitRow {
    pub room: String,
    pub when: String,
    pub title: String,
}

#[derive(Template)]
#[template(path = "admin_closures.html")]
struct ClosuresPage {
    c: Chrome,
    closures: Vec<ClosureRow>,
    rooms: Vec<(String, String, bool)>,
    can_close_all: bool,
    f: Fields,
    problem: Option<Problem>,
    /// Bookings the closure falls on (after a preview, or made and kept).
    hits: Option<Vec<HitRow>>,
}

fn local(t: chrono::DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

fn describe(c: &Closure, names: &std::collections::HashMap<RoomId, String>) -> String {
    match &c.scope {
        ClosureScope::Everywhere => "Every room".into(),
        ClosureScope::Location { location } => format!("Every room at {location}"),
        ClosureScope::Floor { location, floor } => format!("Floor {floor} at {location}"),
        ClosureScope::Room { room_id } => names.get(room_id).cloned().unwrap_or_default(),
    }
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    c: Chrome,
    f: Fields,
    problem: Option<Problem>,
    hits: Option<Vec<Booking>>,
    status: StatusCode,
) -> Response {
    let (closures, rooms) = match tokio::try_join!(
        state.svc.list_closures(),
        state.svc.list_rooms(RoomListing::Current)
    ) {
        Ok(x) => x,
        Err(e) => return core_error_page(c, e),
    };
    let names: std::collections::HashMap<RoomId, String> =
        rooms.iter().map(|r| (r.id, r.name.clone())).collect();
    let mut f = f;
    if f.v("time_zone").is_empty() {
        // The zone of the first room the viewer manages, as a start.
        let zone = rooms
            .iter()
            .find(|r| viewer.actor.manages_room(r.id))
            .map_or("UTC", |r| r.time_zone.name());
        f.set("time_zone", zone);
    }
    let page = ClosuresPage {
        closures: closures
            .iter()
            .map(|cl| ClosureRow {
                id: cl.id.to_string(),
                what: describe(cl, &names),
                when: format!(
                    "{} – {} ({})",
                    local(cl.start, cl.time_zone),
                    local(cl.end, cl.time_zone),
                    cl.time_zone.name()
                ),
                repeat: cl.rrule.clone().unwrap_or_else(|| "once".into()),
                reason: cl.reason.clone(),
            })
            .collect(),
        rooms: rooms
            .iter()
            .filter(|r| viewer.actor.manages_room(r.id))
            .map(|r| {
                let id = r.id.to_string();
                let on = f.v("room_id") == id;
                (id, r.name.clone(), on)
            })
            .collect(),
        can_close_all: super::is_super(viewer),
        hits: hits.map(|found| {
            found
                .into_iter()
                .map(|b| {
                    let tz = rooms
                        .iter()
                        .find(|r| r.id == b.room_id)
                        .map_or(chrono_tz::UTC, |r| r.time_zone);
                    HitRow {
                        room: names.get(&b.room_id).cloned().unwrap_or_default(),
                        when: format!("{} – {}", local(b.start, tz), local(b.end, tz)),
                        title: b.title,
                    }
                })
                .collect()
        }),
        c,
        f,
        problem,
    };
    render(status, &page)
}

/// `GET /admin/closures`
#[handler]
pub async fn list(state: Data<&AppState>, viewer: Viewer, Query(q): Query<FlashQuery>) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_CLOSURES, "closures")
        .flash_from(&state, q.flash.as_deref());
    if !manages_rooms(&viewer) {
        return error_page(c, StatusCode::FORBIDDEN, text::NOT_ROOM_ADMIN);
    }
    let mut f = Fields::default();
    f.set("scope", "room");
    f.set("existing", "keep");
    show(&state, &viewer, c, f, None, None, StatusCode::OK).await
}

fn instant(f: &Fields, k: &str, tz: Tz) -> Result<chrono::DateTime<Utc>, Problem> {
    let t = NaiveDateTime::parse_from_str(f.v(k), "%Y-%m-%dT%H:%M")
        .map_err(|_| Problem::new(k, "give a date and time"))?;
    tz.from_local_datetime(&t)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| Problem::new(k, "that time does not exist in this zone (a DST change)"))
}

fn spec_of(f: &Fields) -> Result<ClosureSpec, Problem> {
    let tz: Tz = f
        .v("time_zone")
        .parse()
        .map_err(|_| Problem::new("time_zone", "an IANA time zone such as Europe/Berlin"))?;
    let location = || match f.v("location") {
        "" => Err(Problem::new("location", "name the location")),
        l => Ok(l.to_string()),
    };
    let scope = match f.v("scope") {
        "everywhere" => ClosureScope::Everywhere,
        "location" => ClosureScope::Location {
            location: location()?,
        },
        "floor" => ClosureScope::Floor {
            location: location()?,
            floor: f.num("floor", "give the floor as a whole number")?,
        },
        _ => ClosureScope::Room {
            room_id: f
                .v("room_id")
                .parse()
                .map_err(|_| Problem::new("room_id", "choose a room"))?,
        },
    };
    let rrule = match (f.v("repeat"), f.v("count")) {
        ("" | "none", _) => None,
        (freq @ ("DAILY" | "WEEKLY" | "MONTHLY"), count) => {
            let n: u32 = count
                .parse()
                .map_err(|_| Problem::new("count", "how many times, as a whole number"))?;
            Some(format!("FREQ={freq};COUNT={n}"))
        }
        _ => return Err(Problem::new("repeat", "choose from the list")),
    };
    Ok(ClosureSpec {
        scope,
        start: instant(f, "start", tz)?,
        end: instant(f, "end", tz)?,
        rrule,
        time_zone: tz,
        reason: f.v("reason").to_string(),
    })
}

fn problem_of(e: CoreError) -> (StatusCode, Problem) {
    let field = match &e {
        CoreError::Input(i) => i.field().to_string(),
        _ => String::new(),
    };
    let (status, msg) = explain(e);
    (status, Problem::new(field, msg))
}

/// `POST /admin/closures`: preview (button `preview`) or close.
#[handler]
pub async fn create(state: Data<&AppState>, p: Posted<Vec<(String, String)>>) -> Response {
    let c = Chrome::new(&p.viewer, text::TITLE_CLOSURES, "closures");
    let f = Fields::new(p.form);
    let spec = match spec_of(&f) {
        Ok(s) => s,
        Err(problem) => {
            let s = StatusCode::UNPROCESSABLE_ENTITY;
            return show(&state, &p.viewer, c, f, Some(problem), None, s).await;
        }
    };
    let actor = &p.viewer.actor;
    if f.v("action") == "preview" {
        return match state.svc.preview_closure(actor, spec).await {
            Ok(hits) => show(&state, &p.viewer, c, f, None, Some(hits), StatusCode::OK).await,
            Err(e) => {
                let (status, problem) = problem_of(e);
                show(&state, &p.viewer, c, f, Some(problem), None, status).await
            }
        };
    }
    let existing = if f.v("existing") == "cancel" {
        ExistingBookings::Cancel
    } else {
        ExistingBookings::Keep
    };
    match state.svc.create_closure(actor, spec, existing).await {
        Ok(made) => {
            let msg = match (made.cancelled.len(), made.affected.len()) {
                (0, 0) => text::FLASH_CLOSED.to_string(),
                (0, kept) => format!(
                    "{} {kept} booking(s) in that time are kept.",
                    text::FLASH_CLOSED
                ),
                (n, _) => format!(
                    "{} {n} booking(s) in that time are cancelled; their organizers are told why.",
                    text::FLASH_CLOSED
                ),
            };
            flash_redirect(&state, "/admin/closures", "", &msg)
        }
        Err(e) => {
            let (status, problem) = problem_of(e);
            show(&state, &p.viewer, c, f, Some(problem), None, status).await
        }
    }
}

#[derive(Debug, serde::Deserialize)]
pub struct Nothing {}

/// `POST /admin/closures/{id}/delete`: reopen.
#[handler]
pub async fn delete(
    state: Data<&AppState>,
    Path(id): Path<String>,
    p: Posted<Nothing>,
) -> Response {
    let Ok(id) = id.parse::<ClosureId>() else {
        return error_redirect(&state, "/admin/closures", text::NOT_FOUND);
    };
    match state.svc.delete_closure(&p.viewer.actor, id).await {
        Ok(()) => flash_redirect(&state, "/admin/closures", "", text::FLASH_REOPENED),
        Err(e) => error_redirect(&state, "/admin/closures", &explain(e).1),
    }
}

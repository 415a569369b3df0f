//! `/dashboard`: utilisation per room, the weekday × hour heat map, no-show
//! rates and bookings by status over time — the analytics API's numbers for
//! the same range, as server-drawn SVG charts with their tables beside
//! them, and CSV downloads.

use std::collections::BTreeMap;

use askama::Template;
use booking_core::{Role, RoomId};
use chrono::{DateTime, Duration, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::board::viewer_zone;
use super::charts::{self, Bar};
use super::page::{Chrome, api_error_page, core_error_page, csv_download, error_page, render};
use super::session::Viewer;
use super::{text, time};
use crate::api::analytics::{
    csv_heat, csv_rooms, csv_utilisation, heat, scope, summaries, utilisation,
};
use crate::state::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RangeQuery {
    from: String,
    to: String,
}

/// A room's figures over the range.
pub struct RoomLine {
    pub name: String,
    pub booked_minutes: i64,
    pub available_minutes: i64,
    pub utilisation: String,
    pub bookings: i64,
    pub no_shows: i64,
    pub no_show_rate: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Chrome,
    from_date: String,
    to_date: String,
    from: String,
    to: String,
    zone: String,
    rooms: Vec<RoomLine>,
    use_svg: String,
    no_show_svg: String,
    heat_svg: Option<String>,
    heat_rows: Vec<(String, Vec<i64>)>,
    status_svg: String,
    statuses: Vec<booking_core::analytics::StatusDay>,
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The range the page shows: whole local days `from`..=`to` in the viewer's
/// zone (default: the last 30 days and the next 7).
fn range(
    q: &RangeQuery,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate), String> {
    let today = time::today(tz, now);
    let from = match q.from.trim() {
        "" => today - Duration::days(30),
        v => time::parse_date("from", v)?,
    };
    let to = match q.to.trim() {
        "" => today + Duration::days(7),
        v => time::parse_date("to", v)?,
    };
    if to < from {
        return Err("to: must not be before from".into());
    }
    Ok((from, to))
}

fn instants(
    tz: chrono_tz::Tz,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> (DateTime<Utc>, DateTime<Utc>) {
    (time::day_bounds(tz, from).0, time::day_bounds(tz, to).1)
}

fn may_see(v: &Viewer) -> bool {
    v.actor.role != Role::User
}

/// `GET /dashboard`
#[handler]
pub async fn page(
    state: Data<&AppState>,
    req: &Request,
    viewer: Viewer,
    Query(q): Query<RangeQuery>,
) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_DASHBOARD, "dashboard");
    if !may_see(&viewer) {
        return error_page(c, StatusCode::FORBIDDEN, text::NOT_ANALYST);
    }
    let tz = viewer_zone(&state, req, None);
    let (from_d, to_d) = match range(&q, tz, state.svc.now()) {
        Ok(r) => r,
        Err(e) => return error_page(c, StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let (from, to) = instants(tz, from_d, to_d);
    let actor = &viewer.actor;
    let use_rows = match utilisation(&state, actor, Some(from), Some(to), None).await {
        Ok(r) => r,
        Err(e) => return api_error_page(c, e),
    };
    let summaries = match summaries(&state, actor, Some(from), Some(to)).await {
        Ok(r) => r,
        Err(e) => return api_error_page(c, e),
    };
    let cells = if matches!(actor.role, Role::SuperAdmin | Role::ProcurementOfficer) {
        match heat(&state, actor, Some(from), Some(to)).await {
            Ok(h) => Some(h),
            Err(e) => return api_error_page(c, e),
        }
    } else {
        None
    };
    // The rooms the API's figures cover for this viewer.
    let rooms_seen = match scope(&state, actor).await {
        Ok(r) => r,
        Err(e) => return api_error_page(c, e),
    };
    let statuses = match state.svc.statuses_by_day(&rooms_seen, from, to).await {
        Ok(s) => s,
        Err(e) => return core_error_page(c, e),
    };

    // Utilisation over the whole range per room: the sums of the API's rows.
    let mut per_room: BTreeMap<RoomId, (String, i64, i64)> = BTreeMap::new();
    for r in &use_rows {
        let e = per_room
            .entry(r.room_id)
            .or_insert_with(|| (r.room_name.clone(), 0, 0));
        e.1 += r.booked_minutes;
        e.2 += r.available_minutes;
    }
    let mut rooms: Vec<RoomLine> = summaries
        .iter()
        .map(|s| {
            let (_, booked, available) = per_room.get(&s.room_id).cloned().unwrap_or_default();
            let share = if available > 0 {
                booked as f64 / available as f64
            } else {
                0.0
            };
            RoomLine {
                name: s.room_name.clone(),
                booked_minutes: booked,
                available_minutes: available,
                utilisation: percent(share),
                bookings: s.bookings,
                no_shows: s.no_shows,
                no_show_rate: percent(s.no_show_rate),
            }
        })
        .collect();
    rooms.sort_by(|a, b| a.name.cmp(&b.name));
    let use_svg = charts::bars(
        "Utilisation per room: share of opening hours booked",
        &rooms
            .iter()
            .map(|r| Bar {
                label: r.name.clone(),
                share: if r.available_minutes > 0 {
                    r.booked_minutes as f64 / r.available_minutes as f64
                } else {
                    0.0
                },
                figure: r.utilisation.clone(),
            })
            .collect::<Vec<_>>(),
    );
    let no_show_svg = charts::bars(
        "No-show rate per room: approved bookings released for want of a check-in",
        &summaries
            .iter()
            .map(|s| Bar {
                label: s.room_name.clone(),
                share: s.no_show_rate,
                figure: percent(s.no_show_rate),
            })
            .collect::<Vec<_>>(),
    );
    let heat_rows = cells.as_ref().map_or_else(Vec::new, |cells| {
        [
            "Monday",
            "Tuesday",
            "Wednesday",
            "Thursday",
            "Friday",
            "Saturday",
            "Sunday",
        ]
        .iter()
        .enumerate()
        .map(|(d, name)| {
            let hours = (0..24u32)
                .map(|h| {
                    cells
                        .iter()
                        .find(|c| c.weekday == d as u32 && c.hour == h)
                        .map_or(0, |c| c.bookings)
                })
                .collect();
            (name.to_string(), hours)
        })
        .collect()
    });
    let heat_svg = cells
        .as_ref()
        .map(|c| charts::heat("Bookings by weekday and hour (UTC)", c));
    let status_svg = charts::statuses("Bookings by status and day (UTC days)", &statuses);
    render(
        StatusCode::OK,
        &DashboardPage {
            c,
            from_date: from_d.to_string(),
            to_date: to_d.to_string(),
            from: from.to_rfc3339(),
            to: to.to_rfc3339(),
            zone: tz.name().to_string(),
            rooms,
            use_svg,
            no_show_svg,
            heat_svg,
            heat_rows,
            status_svg,
            statuses,
        },
    )
}

/// `GET /dashboard/{report}.csv`: the analytics API's CSV for the range.
#[handler]
pub async fn csv(
    state: Data<&AppState>,
    req: &Request,
    viewer: Viewer,
    Path(file): Path<String>,
    Query(q): Query<RangeQuery>,
) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_DASHBOARD, "dashboard");
    if !may_see(&viewer) {
        return error_page(c, StatusCode::FORBIDDEN, text::NOT_ANALYST);
    }
    let tz = viewer_zone(&state, req, None);
    let (from_d, to_d) = match range(&q, tz, state.svc.now()) {
        Ok(r) => r,
        Err(e) => return error_page(c, StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    let (from, to) = instants(tz, from_d, to_d);
    let actor = &viewer.actor;
    let body = match file.as_str() {
        "utilisation.csv" => utilisation(&state, actor, Some(from), Some(to), None)
            .await
            .map(csv_utilisation),
        "heatmap.csv" => heat(&state, actor, Some(from), Some(to))
            .await
            .map(csv_heat),
        "rooms.csv" => summaries(&state, actor, Some(from), Some(to))
            .await
            .map(csv_rooms),
        _ => return error_page(c, StatusCode::NOT_FOUND, text::NOT_FOUND),
    };
    match body {
        Ok(b) => csv_download(&file, b),
        Err(e) => api_error_page(c, e),
    }
}

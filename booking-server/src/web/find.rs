//! Find a room: time, duration, attendees and amenities in, the free rooms
//! the service ranks (best fit first) out, each bookable in one click.

use askama::Template;
use booking_core::RoomListing;
use booking_core::availability::RoomQuery;
use chrono::{Duration, DurationRound};
use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};

use super::board::viewer_zone;
use super::page::{Chrome, core_error_page, explain, render};
use super::session::Viewer;
use super::{text, time};
use crate::state::AppState;

const DURATIONS: &[u32] = &[15, 30, 45, 60, 90, 120, 180, 240, 480];

/// A free room, with the times the booking form needs.
#[derive(Debug, Clone)]
pub struct Found {
    pub id: String,
    pub name: String,
    pub meta: String,
    pub spare: u32,
    /// Booking it makes a request a room admin must approve.
    pub approval: bool,
}

#[derive(Template)]
#[template(path = "find.html")]
struct FindPage {
    c: Chrome,
    date: String,
    start: String,
    end: String,
    duration: u32,
    durations: &'static [u32],
    attendees: String,
    title: String,
    tz: String,
    zones: Vec<String>,
    amenities: Vec<(String, bool)>,
    searched: bool,
    when: String,
    found: Vec<Found>,
    problem: Option<String>,
}

/// `GET /find`: the search form, and its results once searched.
#[handler]
pub async fn page(state: Data<&AppState>, req: &Request, viewer: Viewer) -> Response {
    let c = Chrome::new(&viewer, text::TITLE_FIND, "find");
    let mut date = None;
    let mut start = None;
    let mut duration = 60u32;
    let mut attendees = String::from("1");
    let mut title = String::new();
    let mut tz_param = None;
    let mut wanted: Vec<String> = Vec::new();
    for (k, v) in form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes()) {
        let v = v.trim().to_string();
        match &*k {
            "date" if !v.is_empty() => date = Some(v),
            "start" if !v.is_empty() => start = Some(v),
            "duration" => duration = v.parse().unwrap_or(60),
            "attendees" => attendees = v,
            "title" => title = v,
            "tz" if !v.is_empty() => tz_param = Some(v),
            "amenity" if !v.is_empty() => wanted.push(v.to_ascii_lowercase()),
            _ => {}
        }
    }
    let tz = viewer_zone(&state, req, tz_param.as_deref());
    let now = state.svc.now();
    let rooms = match state.svc.list_rooms(RoomListing::Current).await {
        Ok(r) => r,
        Err(e) => return core_error_page(c, e),
    };
    let mut amenities: Vec<String> = rooms
        .iter()
        .flat_map(|r| r.amenities.iter().cloned())
        .collect();
    amenities.sort();
    amenities.dedup();
    let searched = date.is_some() && start.is_some();
    let next_hour = now.duration_trunc(Duration::hours(1)).unwrap_or(now) + Duration::hours(1);
    let date_s = date.unwrap_or_else(|| next_hour.with_timezone(&tz).date_naive().to_string());
    let start_s = start.unwrap_or_else(|| next_hour.with_timezone(&tz).format("%H:%M").to_string());
    let mut found = Vec::new();
    let mut problem = None;
    let mut when = String::new();
    let mut end_s = String::new();
    if searched {
        let parsed = time::parse_date("date", &date_s).and_then(|d| {
            let t = time::parse_time("start", &start_s)?;
            time::local_instant(tz, d, t, "start")
        });
        let seats = attendees.trim().parse::<u32>().ok().filter(|n| *n >= 1);
        match (parsed, seats) {
            (Err(m), _) => problem = Some(m),
            (_, None) => problem = Some("attendees: give a whole number of at least 1".into()),
            (Ok(s), Some(seats)) => {
                let e = s + Duration::minutes(i64::from(duration.max(1)));
                when = time::range(tz, s, e);
                end_s = e.with_timezone(&tz).format("%H:%M").to_string();
                let query = RoomQuery {
                    start: s,
                    end: e,
                    min_capacity: seats,
                    amenities: wanted.clone(),
                };
                match state.svc.find_rooms(&viewer.actor, &query).await {
                    Ok(list) => {
                        found = list
                            .into_iter()
                            .map(|m| Found {
                                id: m.room.id.to_string(),
                                meta: format!(
                                    "{} seats{} · {}",
                                    m.room.capacity,
                                    m.room
                                        .floor
                                        .map(|f| format!(" · floor {f}"))
                                        .unwrap_or_default(),
                                    m.room.category
                                ),
                                approval: m.room.policy.approval_required,
                                name: m.room.name,
                                spare: m.spare_seats,
                            })
                            .collect();
                    }
                    Err(e) => problem = Some(explain(e).1),
                }
            }
        }
    }
    let view = FindPage {
        c,
        date: date_s,
        start: start_s,
        end: end_s,
        duration,
        durations: DURATIONS,
        attendees,
        title: if title.is_empty() {
            "Meeting".into()
        } else {
            title
        },
        tz: tz.name().to_string(),
        zones: time::zone_choices(rooms.iter().map(|r| r.time_zone).chain([tz])),
        amenities: amenities
            .into_iter()
            .map(|a| {
                let on = wanted.contains(&a);
                (a, on)
            })
            .collect(),
        searched,
        when,
        found,
        problem: problem.clone(),
    };
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(status, &view)
}

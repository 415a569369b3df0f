//! The booking board page: rooms × time for a day or a week, in the viewer's
//! zone, with filters; the grid itself is built by [`super::grid`].

use askama::Template;
use booking_core::store::BookingFilter;
use booking_core::{BookingStatus, Room, RoomCategory, RoomListing};
use chrono::{Datelike, Duration};
use chrono_tz::Tz;
use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Request, Response, handler};

use super::grid::{Cell, DayGrid, Filters, GridInput, WeekGrid, day_grid, week_grid};
use super::page::{Chrome, core_error_page, render, see_other};
use super::session::{Viewer, cookie};
use super::{text, time};
use crate::state::AppState;

/// Most bookings one board reads.
const BOARD_LIMIT: u32 = 50_000;
pub const TZ_COOKIE: &str = "bk_tz";

/// The board's query string. Amenities repeat, so it is read by hand.
#[derive(Debug, Clone, Default)]
pub struct BoardQuery {
    pub week: bool,
    pub date: Option<String>,
    pub tz: Option<String>,
    pub filters: Filters,
    pub raw_capacity: String,
    pub raw_floor: String,
    pub raw_category: String,
}

impl BoardQuery {
    pub fn parse(query: &str) -> Self {
        let mut q = BoardQuery::default();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            let v = v.trim().to_string();
            match &*k {
                "view" => q.week = v == "week",
                "date" if !v.is_empty() => q.date = Some(v),
                "tz" if !v.is_empty() => q.tz = Some(v),
                "capacity" => {
                    q.filters.capacity = v.parse().ok().filter(|c| *c > 0);
                    q.raw_capacity = v;
                }
                "floor" => {
                    q.filters.floor = v.parse().ok();
                    q.raw_floor = v;
                }
                "category" => {
                    q.filters.category = v.parse().ok();
                    q.raw_category = v;
                }
                "amenity" if !v.is_empty() => q.filters.amenities.push(v.to_ascii_lowercase()),
                _ => {}
            }
        }
        q
    }
}

/// The viewer's zone: the picker, else the browser's (cookie), else the
/// server's default.
pub fn viewer_zone(state: &AppState, req: &Request, picked: Option<&str>) -> Tz {
    let fallback = time::zone(Some(&state.config.bookings.default_time_zone), Tz::UTC);
    let remembered = cookie(req, TZ_COOKIE).map(|c| c.replace("%2F", "/"));
    time::zone(picked.or(remembered.as_deref()), fallback)
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    c: Chrome,
    week: bool,
    date: String,
    prev: String,
    next: String,
    today: String,
    day_label: String,
    tz: String,
    zones: Vec<String>,
    day: Option<DayGrid>,
    weekly: Option<WeekGrid>,
    amenities: Vec<(String, bool)>,
    floors: Vec<(String, bool)>,
    categories: Vec<(&'static str, bool)>,
    capacity: String,
    /// The filter part of the query, for links that keep it.
    keep: String,
    empty: bool,
}

/// `GET /`: the board.
#[handler]
pub async fn home(_viewer: Viewer) -> Response {
    see_other("/board")
}

/// `GET /board`
#[handler]
pub async fn page(state: Data<&AppState>, req: &Request, viewer: Viewer) -> Response {
    let q = BoardQuery::parse(req.uri().query().unwrap_or(""));
    let tz = viewer_zone(&state, req, q.tz.as_deref());
    let now = state.svc.now();
    let c = Chrome::new(&viewer, text::TITLE_BOARD, "board").live();
    let date = match q.date.as_deref().map(|d| time::parse_date("date", d)) {
        None => time::today(tz, now),
        Some(Ok(d)) => d,
        Some(Err(m)) => return super::page::error_page(c, StatusCode::BAD_REQUEST, m),
    };
    let all_rooms = match state.svc.list_rooms(RoomListing::Current).await {
        Ok(r) => r,
        Err(e) => return core_error_page(c, e),
    };
    let rooms: Vec<Room> = all_rooms
        .iter()
        .filter(|r| r.is_bookable() && q.filters.matches(r))
        .cloned()
        .collect();
    let (from, to) = if q.week {
        let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
        (
            time::day_start(tz, monday),
            time::day_start(tz, monday + Duration::days(7)),
        )
    } else {
        time::day_bounds(tz, date)
    };
    let bookings = match state
        .svc
        .list_bookings(&BookingFilter {
            from: Some(from),
            to: Some(to),
            statuses: vec![BookingStatus::Pending, BookingStatus::Approved],
            limit: Some(BOARD_LIMIT),
            ..BookingFilter::default()
        })
        .await
    {
        Ok(b) => b,
        Err(e) => return core_error_page(c, e),
    };
    let input = GridInput {
        rooms: &rooms,
        bookings: &bookings,
        viewer: &viewer.actor.user,
        tz,
        date,
        now,
    };
    let step = if q.week { 7 } else { 1 };
    let mut amenities: Vec<String> = all_rooms
        .iter()
        .flat_map(|r| r.amenities.iter().cloned())
        .collect();
    amenities.sort();
    amenities.dedup();
    let mut floors: Vec<i32> = all_rooms.iter().filter_map(|r| r.floor).collect();
    floors.sort_unstable();
    floors.dedup();
    let mut keep = String::new();
    {
        let mut ser = form_urlencoded::Serializer::new(&mut keep);
        ser.append_pair("tz", tz.name());
        if !q.raw_capacity.is_empty() {
            ser.append_pair("capacity", &q.raw_capacity);
        }
        if !q.raw_floor.is_empty() {
            ser.append_pair("floor", &q.raw_floor);
        }
        if !q.raw_category.is_empty() {
            ser.append_pair("category", &q.raw_category);
        }
        for a in &q.filters.amenities {
            ser.append_pair("amenity", a);
        }
    }
    let view = BoardPage {
        c,
        week: q.week,
        date: date.to_string(),
        prev: (date - Duration::days(step)).to_string(),
        next: (date + Duration::days(step)).to_string(),
        today: time::today(tz, now).to_string(),
        day_label: if q.week {
            let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
            format!("Week of {}", monday.format("%a %-d %b %Y"))
        } else {
            date.format("%A %-d %B %Y").to_string()
        },
        tz: tz.name().to_string(),
        zones: time::zone_choices(all_rooms.iter().map(|r| r.time_zone).chain([tz])),
        empty: rooms.is_empty(),
        day: (!q.week).then(|| day_grid(&input)),
        weekly: q.week.then(|| week_grid(&input)),
        amenities: amenities
            .into_iter()
            .map(|a| {
                let on = q.filters.amenities.contains(&a);
                (a, on)
            })
            .collect(),
        floors: floors
            .into_iter()
            .map(|f| (f.to_string(), q.filters.floor == Some(f)))
            .collect(),
        categories: RoomCategory::ALL
            .iter()
            .map(|c| (c.as_str(), q.filters.category == Some(*c)))
            .collect(),
        capacity: q.raw_capacity,
        keep,
    };
    render(StatusCode::OK, &view)
}

/// `GET /live`: that bookings changed, for pages to refresh themselves.
#[handler]
pub async fn live(state: Data<&AppState>, req: &Request) -> Response {
    if state.viewer(req).await.is_err() {
        return crate::error::problem_response(
            StatusCode::UNAUTHORIZED,
            "sign in to follow live changes".into(),
        );
    }
    let last_seen = req
        .header("last-event-id")
        .and_then(|v| v.trim().parse::<i64>().ok());
    crate::live::stream(&state, last_seen, crate::live::change_only)
        .await
        .into_response()
}

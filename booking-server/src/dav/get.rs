//! `GET`/`HEAD` of a calendar object or a whole room calendar.

use booking_core::{Booking, User};
use poem::http::HeaderValue;
use poem::{Request, Response};

use crate::ical::sight_for;
use crate::state::AppState;

use super::*;

pub(super) async fn get(
    state: &AppState,
    user: &User,
    resource: &Resource,
    req: &Request,
) -> Response {
    let (room, key) = match resource {
        Resource::Object(room, key) => (*room, Some(key.as_str())),
        Resource::Calendar(room) => (*room, None),
        _ => {
            return Response::builder()
                .content_type("text/plain; charset=utf-8")
                .body("CalDAV server for room calendars: point your calendar app at this URL.\n");
        }
    };
    let cal = match load_calendar(state, room).await {
        Ok(Some(cal)) => cal,
        Ok(None) => return not_found(req.uri().path()),
        Err(r) => return r,
    };
    let (body, tag) = match key {
        Some(key) => {
            let Some(group) = cal.objects.get(key) else {
                return not_found(req.uri().path());
            };
            let sight = sight_for(Some(user.clone()));
            let hidden = group.iter().map(|b| sight(&cal.room, b)).min();
            (
                cal.render(state, user, group).await,
                object_etag(&cal.room, hidden, group),
            )
        }
        None => {
            let all: Vec<Booking> = cal.objects.values().flatten().cloned().collect();
            let v = calendar_version(state, room, user).await;
            (cal.render(state, user, &all).await, v.ctag)
        }
    };
    if let Some(r) = crate::ical::not_modified(req, Some(&tag)) {
        return r;
    }
    let mut r = Response::builder()
        .content_type("text/calendar; charset=utf-8")
        .body(body);
    if let Ok(v) = HeaderValue::from_str(&tag) {
        r.headers_mut().insert("etag", v);
    }
    r
}

//! `REPORT`: calendar-query, calendar-multiget, sync-collection and
//! free-busy-query.

use booking_calendar::dav::{self, DAV, Report, Response as DavResponse};
use booking_core::{Room, User};
use poem::Response;
use poem::http::StatusCode;

use crate::state::AppState;

use super::*;

/// `free-busy-query`: the room's busy periods as a VFREEBUSY (RFC 4791 §7.10).
pub(super) async fn free_busy(state: &AppState, room: &Room, range: dav::TimeRange) -> Response {
    let now = state.svc.now();
    let from = range.0.unwrap_or(now);
    let to = range.1.unwrap_or(from + chrono::Duration::days(31));
    if to <= from || to - from > chrono::Duration::days(366) {
        return bad_request("the time-range must end after it starts, at most 366 days later");
    }
    let busy = match crate::ical::room_busy(state, room.id, from, to).await {
        Ok(b) => b,
        Err(e) => return unavailable(&e),
    };
    let body = booking_calendar::freebusy(
        crate::ical::PRODID,
        &format!("freebusy-{}@{}", room.id, crate::ical::host(state)),
        &room.name,
        from,
        to,
        &busy,
        now,
    );
    Response::builder()
        .status(StatusCode::OK)
        .content_type("text/calendar; charset=utf-8")
        .body(body)
}

pub(super) async fn report(
    state: &AppState,
    user: &User,
    resource: &Resource,
    body: &str,
) -> Response {
    let report = match dav::parse_report(body) {
        Ok(r) => r,
        Err(e @ dav::DavError::UnsupportedReport(_)) => {
            return error(
                StatusCode::FORBIDDEN,
                DAV,
                "supported-report",
                &e.to_string(),
            );
        }
        Err(e) => return bad_request(&e.to_string()),
    };
    let room = match resource {
        Resource::Calendar(room) | Resource::Object(room, _) => *room,
        _ => {
            return error(
                StatusCode::FORBIDDEN,
                DAV,
                "supported-report",
                "REPORT is supported on room calendars (/dav/rooms/{room}/)",
            );
        }
    };
    let cal = match load_calendar(state, room).await {
        Ok(Some(cal)) => cal,
        Ok(None) => return not_found(&format!("/dav/rooms/{room}/")),
        Err(r) => return r,
    };
    let mut out = Vec::new();
    match report {
        Report::CalendarQuery {
            props,
            range,
            component,
        } => {
            // Room calendars hold events only.
            if component.as_deref().is_some_and(|c| c != "VEVENT") {
                return multistatus(&out, None);
            }
            for (key, group) in &cal.objects {
                if range.is_none_or(|r| overlaps(group, r)) {
                    out.push(cal.object_response(state, user, key, &props).await);
                }
            }
            multistatus(&out, None)
        }
        Report::FreeBusy { range } => free_busy(state, &cal.room, range).await,
        Report::Multiget { props, hrefs } => {
            for href in hrefs {
                // Hrefs may be absolute URLs; only the path matters.
                let path = href
                    .split_once("://")
                    .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
                    .unwrap_or(&href);
                match resolve(path) {
                    Some(Resource::Object(r, key)) if r == room => {
                        let mut resp = cal.object_response(state, user, &key, &props).await;
                        resp.href = href.clone();
                        out.push(resp);
                    }
                    _ => out.push(DavResponse {
                        href,
                        status: Some(404),
                        ..DavResponse::default()
                    }),
                }
            }
            multistatus(&out, None)
        }
        Report::SyncCollection { props, token } => {
            let since = if token.is_empty() {
                None
            } else {
                match parse_sync_token(state, room, &token) {
                    Some(t) => Some(t),
                    None => {
                        return error(
                            StatusCode::FORBIDDEN,
                            DAV,
                            "valid-sync-token",
                            "unknown sync-token; sync again from scratch",
                        );
                    }
                }
            };
            let v = calendar_version(state, room, user).await;
            // A room change (name, floor) changes every object.
            let room_changed = since.is_some_and(|s| cal.room.updated_at.timestamp() > s);
            for (key, group) in &cal.objects {
                let changed = since.is_none_or(|s| {
                    room_changed || group.iter().any(|b| b.updated_at.timestamp() > s)
                });
                if changed {
                    out.push(cal.object_response(state, user, key, &props).await);
                }
            }
            multistatus(&out, Some(&sync_token(state, room, v.since)))
        }
    }
}

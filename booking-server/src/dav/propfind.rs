//! `PROPFIND` on every resource.

use booking_calendar::dav::{self, DAV, PropName, Response as DavResponse, Value};
use booking_core::store::BookingsVersion;
use booking_core::{Room, RoomListing, User};
use poem::Response;
use poem::http::StatusCode;

use crate::state::AppState;

use super::*;

pub(super) async fn propfind(
    state: &AppState,
    user: &User,
    resource: &Resource,
    depth: u8,
    body: &str,
) -> Response {
    let req = match dav::parse_propfind(body) {
        Ok(r) => r,
        Err(e) => return bad_request(&e.to_string()),
    };
    let mut out = Vec::new();
    match resource {
        Resource::Root => {
            out.push(DavResponse::for_request(
                "/dav/".into(),
                &req,
                root_props(user),
            ));
            if depth > 0 {
                out.push(DavResponse::for_request(
                    principal_href(user),
                    &req,
                    principal_props(user),
                ));
                out.push(DavResponse::for_request(
                    "/dav/rooms/".into(),
                    &req,
                    home_props(user),
                ));
            }
        }
        Resource::Principals => {
            out.push(DavResponse::for_request(
                "/dav/principals/".into(),
                &req,
                home_props(user),
            ));
            if depth > 0 {
                out.push(DavResponse::for_request(
                    principal_href(user),
                    &req,
                    principal_props(user),
                ));
            }
        }
        Resource::Principal(id) => {
            if *id != user.id.to_string() {
                return error(
                    StatusCode::FORBIDDEN,
                    DAV,
                    "need-privileges",
                    "you can only read your own principal",
                );
            }
            out.push(DavResponse::for_request(
                principal_href(user),
                &req,
                principal_props(user),
            ));
        }
        Resource::Schedule(id) => {
            if *id != user.id.to_string() {
                return error(
                    StatusCode::FORBIDDEN,
                    DAV,
                    "need-privileges",
                    "not your outbox",
                );
            }
            let mut props = vec![(
                PropName::new(DAV, "resourcetype"),
                Value::Xml("<D:collection/><C:schedule-outbox/>".into()),
            )];
            props.extend(common(user));
            out.push(DavResponse::for_request(
                format!("{}outbox/", principal_href(user)),
                &req,
                props,
            ));
        }
        Resource::Home => {
            out.push(DavResponse::for_request(
                "/dav/rooms/".into(),
                &req,
                home_props(user),
            ));
            if depth > 0 {
                let rooms = match state.svc.list_rooms(RoomListing::Current).await {
                    Ok(r) => r,
                    Err(e) => return unavailable(&e),
                };
                let rooms: Vec<Room> = rooms.into_iter().filter(|r| r.active).collect();
                let mut versions = all_calendar_versions(state, &rooms, user).await;
                for room in &rooms {
                    out.push(DavResponse::for_request(
                        format!("/dav/rooms/{}/", room.id),
                        &req,
                        calendar_props(
                            state,
                            room,
                            user,
                            versions.remove(&room.id).unwrap_or_else(|| {
                                version_tag(state, room.id, user, BookingsVersion::default(), 0)
                            }),
                        ),
                    ));
                }
            }
        }
        Resource::Calendar(room) => {
            let cal = match load_calendar(state, *room).await {
                Ok(Some(cal)) => cal,
                Ok(None) => return not_found(&format!("/dav/rooms/{room}/")),
                Err(r) => return r,
            };
            out.push(DavResponse::for_request(
                format!("/dav/rooms/{room}/"),
                &req,
                calendar_props(
                    state,
                    &cal.room,
                    user,
                    calendar_version(state, cal.room.id, user).await,
                ),
            ));
            if depth > 0 {
                for key in cal.objects.keys() {
                    out.push(cal.object_response(state, user, key, &req).await);
                }
            }
        }
        Resource::Object(room, key) => {
            let cal = match load_calendar(state, *room).await {
                Ok(Some(cal)) => cal,
                Ok(None) => return not_found(&format!("/dav/rooms/{room}/{key}.ics")),
                Err(r) => return r,
            };
            if !cal.objects.contains_key(key) {
                return not_found(&cal.href(key));
            }
            out.push(cal.object_response(state, user, key, &req).await);
        }
    }
    multistatus(&out, None)
}

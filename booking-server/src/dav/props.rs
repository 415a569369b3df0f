//! The properties PROPFIND answers: of the root, a principal, the calendar
//! home and each room calendar.

use std::fmt::Write as _;

use booking_calendar::dav::{CALDAV, CALSERVER, DAV, PropName, Value};
use booking_core::{Room, User};

use crate::state::AppState;

use super::*;

pub(super) fn principal_href(user: &User) -> String {
    format!("/dav/principals/{}/", user.id)
}

pub(super) fn collection() -> Value {
    Value::Xml("<D:collection/>".into())
}

pub(super) fn privileges() -> Value {
    Value::Xml(
        "<D:privilege><D:read/></D:privilege><D:privilege><C:read-free-busy/></D:privilege>".into(),
    )
}

pub(super) fn common(user: &User) -> Vec<(PropName, Value)> {
    vec![
        (
            PropName::new(DAV, "current-user-principal"),
            Value::Href(principal_href(user)),
        ),
        (
            PropName::new(DAV, "principal-collection-set"),
            Value::Href("/dav/principals/".into()),
        ),
        (
            PropName::new(DAV, "current-user-privilege-set"),
            privileges(),
        ),
    ]
}

pub(super) fn root_props(user: &User) -> Vec<(PropName, Value)> {
    let mut p = vec![
        (PropName::new(DAV, "resourcetype"), collection()),
        (
            PropName::new(DAV, "displayname"),
            Value::Text("Room booking".into()),
        ),
    ];
    p.extend(common(user));
    p
}

pub(super) fn principal_props(user: &User) -> Vec<(PropName, Value)> {
    let mut p = vec![
        (
            PropName::new(DAV, "resourcetype"),
            Value::Xml("<D:collection/><D:principal/>".into()),
        ),
        (
            PropName::new(DAV, "displayname"),
            Value::Text(user.display_name.clone()),
        ),
        (
            PropName::new(DAV, "principal-URL"),
            Value::Href(principal_href(user)),
        ),
        (
            PropName::new(CALDAV, "calendar-home-set"),
            Value::Href("/dav/rooms/".into()),
        ),
        (
            PropName::new(CALDAV, "calendar-user-address-set"),
            Value::Href(format!("mailto:{}", user.email)),
        ),
        (
            PropName::new(CALDAV, "schedule-outbox-URL"),
            Value::Href(format!("{}outbox/", principal_href(user))),
        ),
        (
            PropName::new(CALDAV, "schedule-inbox-URL"),
            Value::Href(format!("{}inbox/", principal_href(user))),
        ),
    ];
    p.extend(common(user));
    p
}

pub(super) fn home_props(user: &User) -> Vec<(PropName, Value)> {
    let mut p = vec![
        (PropName::new(DAV, "resourcetype"), collection()),
        (
            PropName::new(DAV, "displayname"),
            Value::Text("Rooms".into()),
        ),
    ];
    p.extend(common(user));
    p
}

pub(super) fn calendar_props(
    state: &AppState,
    room: &Room,
    user: &User,
    v: CalendarVersion,
) -> Vec<(PropName, Value)> {
    let mut p = vec![
        (
            PropName::new(DAV, "resourcetype"),
            Value::Xml("<D:collection/><C:calendar/>".into()),
        ),
        (PropName::new(DAV, "displayname"), Value::Text(room.name.clone())),
        (
            PropName::new(CALDAV, "calendar-description"),
            Value::Text(describe(room)),
        ),
        (
            PropName::new(CALDAV, "supported-calendar-component-set"),
            Value::Xml("<C:comp name=\"VEVENT\"/>".into()),
        ),
        (
            PropName::new(CALDAV, "supported-calendar-data"),
            Value::Xml("<C:calendar-data content-type=\"text/calendar\" version=\"2.0\"/>".into()),
        ),
        (
            PropName::new(DAV, "supported-report-set"),
            Value::Xml(
                "<D:supported-report><D:report><C:calendar-query/></D:report></D:supported-report>\
                 <D:supported-report><D:report><C:free-busy-query/></D:report></D:supported-report>\
                 <D:supported-report><D:report><C:calendar-multiget/></D:report></D:supported-report>\
                 <D:supported-report><D:report><D:sync-collection/></D:report></D:supported-report>"
                    .into(),
            ),
        ),
        (PropName::new(CALSERVER, "getctag"), Value::Text(v.ctag.clone())),
        (PropName::new(DAV, "getetag"), Value::Text(v.ctag)),
        (
            PropName::new(DAV, "sync-token"),
            Value::Text(sync_token(state, room.id, v.since)),
        ),
        (
            PropName::new(CALDAV, "calendar-timezone-id"),
            Value::Text(room.time_zone.name().to_string()),
        ),
    ];
    p.extend(common(user));
    p
}

pub(super) fn describe(room: &Room) -> String {
    let mut s = room.name.clone();
    if let Some(f) = room.floor {
        let _ = write!(s, ", floor {f}");
    }
    let _ = write!(s, ", {} seats", room.capacity);
    s
}

//! `POST` to a principal's outbox: RFC 6638 scheduling, answered by the
//! rooms as e-mail invitations are.

use std::fmt::Write as _;

use booking_calendar::dav::{self, CALDAV, DAV};
use booking_core::User;
use poem::Response;
use poem::http::StatusCode;

use crate::state::AppState;

use super::*;

/// RFC 6638 scheduling: the organizer POSTs an iTIP REQUEST or CANCEL that
/// names rooms; each room answers at once in the `schedule-response` (and
/// by e-mail, as for any invitation).
pub(super) async fn schedule(
    state: &AppState,
    user: &User,
    resource: &Resource,
    body: &str,
) -> Response {
    let Resource::Schedule(id) = resource else {
        return not_found("/dav/");
    };
    if *id != user.id.to_string() {
        return error(
            StatusCode::FORBIDDEN,
            DAV,
            "need-privileges",
            "you can only schedule from your own outbox",
        );
    }
    let inv = match booking_calendar::itip::parse_invitation(body) {
        Ok(i) => i,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                CALDAV,
                "valid-calendar-data",
                &e.to_string(),
            );
        }
    };
    if !inv.organizer.email.eq_ignore_ascii_case(&user.email) {
        return error(
            StatusCode::FORBIDDEN,
            CALDAV,
            "organizer-allowed",
            "the ORGANIZER must be your own address",
        );
    }
    let outcomes = match crate::mail::process(state, &inv).await {
        Ok(o) => o,
        Err(crate::mail::InboundError::NoRoom(example)) => {
            return error(
                StatusCode::FORBIDDEN,
                CALDAV,
                "recipient-permissions",
                &format!("no room of ours is invited (room addresses look like {example})"),
            );
        }
        Err(e) => return server_error(&e.to_string()),
    };
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<C:schedule-response xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\">",
    );
    for o in outcomes {
        let status = match o.partstat.as_deref() {
            Some("DECLINED") => "3.8;Declined",
            _ => "2.0;Success",
        };
        let _ = write!(
            xml,
            "<C:response><C:recipient><D:href>mailto:{}</D:href></C:recipient><C:request-status>{status}</C:request-status>",
            dav::escape(&o.address)
        );
        if let Some(p) = &o.partstat {
            let mut reason = o.reason.clone().unwrap_or_default();
            if !o.declined.is_empty() {
                let dates: Vec<String> = o
                    .declined
                    .iter()
                    .map(|d| d.start.format("%Y-%m-%d %H:%M UTC").to_string())
                    .collect();
                reason = format!("{reason} declined dates: {}", dates.join(", "))
                    .trim()
                    .to_string();
            }
            let _ = write!(
                xml,
                "<D:responsedescription>{} {}</D:responsedescription>",
                dav::escape(p),
                dav::escape(&reason)
            );
        }
        xml.push_str("</C:response>");
    }
    xml.push_str("</C:schedule-response>\n");
    xml_response(StatusCode::OK, xml)
}

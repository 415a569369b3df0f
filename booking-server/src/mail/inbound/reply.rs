//! The room's reply to an invitation (an iTIP REPLY by mail), and the free
//! alternatives it offers when it declines.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use booking_calendar::itip::{self, Address, Invitation, PartStat};
use booking_core::availability::RoomQuery;
use booking_core::{CoreError, Room, User};

use super::outcome::Outcome;
use super::steps::title;
use crate::mail::{InboundError, PRODID, details, new_mail, room_address, span, when};
use crate::state::AppState;

/// "Free instead: …" — other rooms at the same time, and free times of
/// this room the same day.
pub(super) async fn alternatives(
    state: &AppState,
    user: &User,
    inv: &Invitation,
    room: &Room,
    attendees: u32,
) -> String {
    let mut lines = Vec::new();
    let query = RoomQuery {
        start: inv.start,
        end: inv.end,
        min_capacity: attendees,
        amenities: Vec::new(),
    };
    if let Ok(found) = state.svc.find_rooms(user, &query).await {
        for m in found.iter().filter(|m| m.room.id != room.id).take(3) {
            lines.push(format!(
                "{} ({} seats) is free at that time: invite {}",
                m.room.name,
                m.room.capacity,
                room_address(&m.room, &state.config.mail.room_domain)
            ));
        }
    }
    let day = inv.start.with_timezone(&room.time_zone).date_naive();
    let need = inv.end - inv.start;
    if let Ok(slots) = state.svc.free_slots(room.id, day).await {
        for s in slots
            .iter()
            .filter(|s| s.end - s.start >= need && s.start >= state.svc.now())
            .take(3)
        {
            lines.push(format!(
                "{} is free {}",
                room.name,
                when(s.start, s.end, room)
            ));
        }
    }
    if lines.is_empty() {
        String::new()
    } else {
        format!(". Free instead: {}", lines.join("; "))
    }
}

pub(super) async fn send_reply(
    state: &AppState,
    inv: &Invitation,
    room: &Room,
    address: &str,
    partstat: PartStat,
    o: &Outcome,
) -> Result<(), InboundError> {
    let room_addr = Address {
        email: address.to_string(),
        name: room.name.clone(),
        cutype: "ROOM".into(),
    };
    let declined: Vec<itip::DeclinedDate> = o
        .declined
        .iter()
        .map(|d| itip::DeclinedDate {
            start: d.start,
            end: d.end,
            reason: d.violation.to_string(),
        })
        .collect();
    let ics = itip::reply(
        inv,
        &room_addr,
        partstat,
        o.reason.as_deref(),
        &declined,
        PRODID,
        state.svc.now(),
    );
    let kind = match partstat {
        PartStat::Accepted => "reply_accepted",
        PartStat::Tentative => "reply_tentative",
        PartStat::Declined => "reply_declined",
    };
    let mut vars = BTreeMap::new();
    vars.insert("title", title(inv));
    vars.insert("room", room.name.clone());
    let mut text = details(&title(inv), room, inv.start, inv.end);
    for d in &o.declined {
        let _ = write!(
            text,
            "\nNot booked: {}: {}",
            span(d.start, d.end, room.time_zone),
            d.violation
        );
    }
    vars.insert("details", text);
    vars.insert("reason", o.reason.clone().unwrap_or_default());
    vars.insert("alternatives", String::new());
    let mail = new_mail(
        state,
        kind,
        address,
        &room.name,
        &inv.organizer.email,
        &vars,
        Some(("REPLY", &ics)),
        Some(format!(
            "reply:{}:{}:{}:{}",
            inv.uid,
            room.id,
            inv.sequence,
            partstat.as_str()
        )),
    )?;
    state
        .store
        .enqueue_mail(&[mail], state.svc.now())
        .await
        .map_err(CoreError::Store)?;
    Ok(())
}

//! Inbound: invitations (REQUEST, CANCEL, REPLY) to room addresses, and the
//! rooms' REPLYs.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use booking_calendar::itip::{self, Address, Invitation, Method, PartStat};
use booking_core::availability::RoomQuery;
use booking_core::invitations::{self, RoomAnswer, Step};
use booking_core::{
    Actor, Booking, BookingChanges, BookingRequest, CoreError, Role, Room, RoomListing,
    SeriesRequest, User,
};
use serde::Serialize;

use crate::state::AppState;

use super::*;

// ---------------------------------------------------------------------------
// Inbound

/// What happened for one room of an invitation.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub room: String,
    pub address: String,
    /// ACCEPTED, TENTATIVE or DECLINED (none for CANCEL).
    pub partstat: Option<String>,
    pub action: String,
    pub reason: Option<String>,
    pub booking_id: Option<String>,
    pub series_id: Option<String>,
    /// Dates of a recurring invitation that could not be booked (the rest
    /// was): declined one by one in the REPLY and named in the mail.
    pub declined: Vec<booking_core::recurrence::Skipped>,
}

/// Process one raw RFC 5322 message; replies go to the outbox.
pub async fn ingest(state: &AppState, raw: &[u8]) -> Result<Vec<Outcome>, InboundError> {
    let incoming = booking_email::read_calendar_part(raw)?;
    let inv = itip::parse_invitation(&incoming.calendar)?;
    process(state, &inv).await
}

/// Process a parsed invitation (also the CalDAV scheduling entry point).
pub async fn process(state: &AppState, inv: &Invitation) -> Result<Vec<Outcome>, InboundError> {
    let domain = &state.config.mail.room_domain;
    let rooms = state.svc.list_rooms(RoomListing::Current).await?;
    let targets: Vec<&Room> = rooms
        .iter()
        .filter(|r| {
            let addr = room_address(r, domain);
            inv.attendees.iter().any(|a| a.email == addr)
        })
        .collect();
    if targets.is_empty() {
        return Err(InboundError::NoRoom(format!("blue-room@{domain}")));
    }
    // Outlook leaves ORGANIZER out of REPLYs and some updates: the UID
    // tells whose invitation it is.
    let mut known = None;
    for room in &targets {
        if let Some(link) = state
            .store
            .invite_link(&inv.uid, room.id)
            .await
            .map_err(CoreError::Store)?
        {
            known = Some(link);
            break;
        }
    }
    let filled;
    let inv = if inv.organizer.email.is_empty() {
        let link = known
            .as_ref()
            .ok_or(InboundError::Itip(itip::ItipError::Missing("ORGANIZER")))?;
        filled = Invitation {
            organizer: Address {
                email: link.organizer.clone(),
                name: String::new(),
                cutype: "INDIVIDUAL".into(),
            },
            ..inv.clone()
        };
        &filled
    } else {
        inv
    };
    if inv.method == Method::Reply {
        // An answer to an invitation the room sent (or a copy of the room's
        // own): nothing to book; noted for an invitation we know.
        if known.is_none() {
            return Err(InboundError::Itip(itip::ItipError::Method(
                "REPLY for an invitation we do not know".into(),
            )));
        }
        return Ok(targets
            .iter()
            .map(|room| outcome(room, &room_address(room, domain), None, "reply noted"))
            .collect());
    }
    let organizer = match state.store.get_user_by_email(&inv.organizer.email).await {
        Ok(u) => u,
        Err(e) => return Err(CoreError::Store(e).into()),
    };
    let mut outcomes = Vec::new();
    for room in targets {
        let address = room_address(room, domain);
        let outcome = match inv.method {
            Method::Cancel => cancel(state, inv, room, organizer.as_ref()).await?,
            Method::Request => request(state, inv, room, &rooms, organizer.as_ref()).await?,
            Method::Reply => outcome(room, &address, None, "reply noted"),
        };
        if let Some(p) = &outcome.partstat {
            let partstat = match p.as_str() {
                "ACCEPTED" => PartStat::Accepted,
                "TENTATIVE" => PartStat::Tentative,
                _ => PartStat::Declined,
            };
            send_reply(state, inv, room, &address, partstat, &outcome).await?;
        }
        tracing::info!(
            uid = %inv.uid, room = %room.name, action = %outcome.action,
            partstat = ?outcome.partstat, reason = ?outcome.reason,
            "invitation processed"
        );
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

fn outcome(room: &Room, address: &str, partstat: Option<PartStat>, action: &str) -> Outcome {
    Outcome {
        room: room.name.clone(),
        address: address.to_string(),
        partstat: partstat.map(|p| p.as_str().to_string()),
        action: action.to_string(),
        reason: None,
        booking_id: None,
        series_id: None,
        declined: Vec::new(),
    }
}

async fn cancel(
    state: &AppState,
    inv: &Invitation,
    room: &Room,
    organizer: Option<&User>,
) -> Result<Outcome, InboundError> {
    let address = room_address(room, &state.config.mail.room_domain);
    let store = &state.store;
    let Some(link) = store
        .invite_link(&inv.uid, room.id)
        .await
        .map_err(CoreError::Store)?
    else {
        return Ok(outcome(
            room,
            &address,
            None,
            "unknown invitation; nothing to cancel",
        ));
    };
    let Some(user) = organizer.filter(|u| u.email == link.organizer) else {
        return Ok(outcome(
            room,
            &address,
            None,
            "ignored: not from the organizer",
        ));
    };
    let actor = Actor::from(user.clone());
    if let Some(series) = link.series_id {
        state
            .svc
            .cancel_series(
                &actor,
                series,
                booking_core::workflow::SeriesScope::All,
                Some("cancelled by the organizer's calendar".into()),
            )
            .await?;
    } else if let Some(b) = link.booking_id {
        let current = state.svc.get_booking(b).await?;
        if current.status.is_blocking() {
            state
                .svc
                .cancel(
                    &actor,
                    b,
                    Some("cancelled by the organizer's calendar".into()),
                )
                .await?;
        }
    }
    let mut o = outcome(room, &address, None, "cancelled");
    o.booking_id = link.booking_id.map(|b| b.to_string());
    o.series_id = link.series_id.map(|s| s.to_string());
    Ok(o)
}

fn human(e: &CoreError) -> String {
    match e {
        CoreError::Rule(v) => v.to_string(),
        CoreError::SeriesDeclined(d) => format!("too many dates of the series are not free ({d})"),
        other => other.to_string(),
    }
}

async fn request(
    state: &AppState,
    inv: &Invitation,
    room: &Room,
    rooms: &[Room],
    organizer: Option<&User>,
) -> Result<Outcome, InboundError> {
    let address = room_address(room, &state.config.mail.room_domain);
    let store = &state.store;
    let user = match organizer {
        Some(u) if u.active => u.clone(),
        Some(_) => {
            let mut o = outcome(room, &address, Some(PartStat::Declined), "declined");
            o.reason = Some("your account is disabled or awaiting approval".into());
            return Ok(o);
        }
        None => match state.config.mail.unknown_organizers {
            UnknownOrganizers::Decline => {
                let mut o = outcome(room, &address, Some(PartStat::Declined), "declined");
                o.reason = Some(format!(
                    "{} has no account with the room booking service; sign up at {} and invite the room again",
                    inv.organizer.email, state.config.server.public_url
                ));
                return Ok(o);
            }
            UnknownOrganizers::Pending => {
                if !state.config.email_allowed(&inv.organizer.email) {
                    let mut o = outcome(room, &address, Some(PartStat::Declined), "declined");
                    o.reason = Some("invitations from your domain are not accepted".into());
                    return Ok(o);
                }
                let name = if inv.organizer.name.is_empty() {
                    inv.organizer.email.clone()
                } else {
                    inv.organizer.name.clone()
                };
                state
                    .svc
                    .create_user_via("mail", &inv.organizer.email, &name, Role::User, None)
                    .await?
            }
        },
    };
    let actor = Actor::from(user.clone());
    let force_pending = organizer.is_none();
    // People invited besides rooms; at least the organizer.
    let people = inv
        .attendees
        .iter()
        .filter(|a| a.cutype != "ROOM" && a.cutype != "RESOURCE")
        .filter(|a| {
            !rooms
                .iter()
                .any(|r| room_address(r, &state.config.mail.room_domain) == a.email)
        })
        .count();
    let attendees = invitations::attendee_count(people, room.capacity);
    let link = store
        .invite_link(&inv.uid, room.id)
        .await
        .map_err(CoreError::Store)?;
    let answered = link.as_ref().map(|l| invitations::Answered {
        sequence: l.sequence,
        booking_id: l.booking_id,
        series_id: l.series_id,
    });
    let step = invitations::next_step(
        answered.as_ref(),
        inv.sequence,
        inv.recurrence_id,
        inv.rrule.is_some(),
    );
    let result: Result<Booked, CoreError> = match step {
        Step::Repeat {
            booking_id,
            series_id,
        } => {
            let b = match booking_id {
                Some(b) => Some(state.svc.get_booking(b).await?),
                None => None,
            };
            Ok((b, series_id, true, Vec::new()))
        }
        Step::MoveOccurrence {
            series_id,
            occurrence_start,
        } => {
            let occ = state
                .svc
                .series_occurrences(series_id)
                .await?
                .into_iter()
                .find(|b| b.occurrence_start == Some(occurrence_start));
            match occ {
                Some(b) => state
                    .svc
                    .update_booking(
                        &actor,
                        b.id,
                        BookingChanges {
                            start: Some(inv.start),
                            end: Some(inv.end),
                            ..Default::default()
                        },
                    )
                    .await
                    .map(|b| (Some(b), Some(series_id), false, Vec::new())),
                None => Err(CoreError::not_found("occurrence", occurrence_start)),
            }
        }
        Step::MoveBooking(id) => state
            .svc
            .update_booking(
                &actor,
                id,
                BookingChanges {
                    start: Some(inv.start),
                    end: Some(inv.end),
                    title: Some(title(inv)),
                    attendees: Some(attendees),
                    ..Default::default()
                },
            )
            .await
            .map(|b| (Some(b), None, false, Vec::new())),
        Step::Replace {
            series_id,
            booking_id,
        } => {
            let why = Some("replaced by an updated invitation".to_string());
            if let Some(s) = series_id {
                state
                    .svc
                    .cancel_series(&actor, s, booking_core::workflow::SeriesScope::All, why)
                    .await?;
            } else if let Some(b) = booking_id {
                state.svc.cancel(&actor, b, why).await?;
            }
            book(
                state,
                &actor,
                inv,
                room,
                inv.rrule.as_deref(),
                attendees,
                force_pending,
            )
            .await
        }
        Step::Book => {
            book(
                state,
                &actor,
                inv,
                room,
                inv.rrule.as_deref(),
                attendees,
                force_pending,
            )
            .await
        }
    };
    let mut o = match result {
        Ok((booking, series, repeat, declined)) => {
            let (answer, action) = invitations::answer_for(booking.as_ref(), repeat);
            let partstat = match answer {
                RoomAnswer::Accepted => PartStat::Accepted,
                RoomAnswer::Tentative => PartStat::Tentative,
                RoomAnswer::Declined => PartStat::Declined,
            };
            let mut o = outcome(room, &address, Some(partstat), action);
            if answer == RoomAnswer::Declined {
                o.reason = Some("this booking was cancelled or rejected".into());
            }
            o.booking_id = booking.as_ref().map(|b| b.id.to_string());
            o.series_id = series.map(|s| s.to_string());
            o.declined = declined;
            if !repeat {
                store
                    .save_invite_link(&crate::tables::InviteLink {
                        uid: inv.uid.clone(),
                        room_id: room.id,
                        organizer: user.email.to_string(),
                        sequence: i64::from(inv.sequence),
                        booking_id: if series.is_some() {
                            None
                        } else {
                            booking.as_ref().map(|b| b.id)
                        },
                        series_id: series,
                        updated_at: state.svc.now(),
                    })
                    .await
                    .map_err(CoreError::Store)?;
            }
            o
        }
        Err(e) if invitations::declines(&e) => {
            let mut o = outcome(room, &address, Some(PartStat::Declined), "declined");
            o.reason = Some(human(&e));
            o
        }
        Err(e) => return Err(e.into()),
    };
    if o.partstat.as_deref() == Some("DECLINED") && o.reason.is_some() {
        o.reason = Some(format!(
            "{}{}",
            o.reason.clone().unwrap_or_default(),
            alternatives(state, &user, inv, room, attendees).await
        ));
    }
    Ok(o)
}

/// What an invitation booked: the booking (the first of a series), the
/// series, whether it was a repeat of one already answered, and the dates of
/// a series that could not be booked.
type Booked = (
    Option<Booking>,
    Option<booking_core::SeriesId>,
    bool,
    Vec<booking_core::recurrence::Skipped>,
);

fn title(inv: &Invitation) -> String {
    let t = inv.summary.trim();
    if t.is_empty() {
        format!("Meeting of {}", inv.organizer.email)
    } else {
        t.chars().take(200).collect()
    }
}

async fn book(
    state: &AppState,
    actor: &Actor,
    inv: &Invitation,
    room: &Room,
    rule: Option<&str>,
    attendees: u32,
    force_pending: bool,
) -> Result<Booked, CoreError> {
    match rule {
        None => {
            let req = BookingRequest {
                room_id: room.id,
                title: title(inv),
                purpose: inv.description.chars().take(2000).collect(),
                attendees,
                start: inv.start,
                end: inv.end,
            };
            let b = if force_pending {
                state.svc.request_approval(actor, req).await?
            } else {
                state.svc.book(actor, req).await?
            };
            Ok((Some(b), None, false, Vec::new()))
        }
        Some(rule) => {
            let minutes = u32::try_from((inv.end - inv.start).num_minutes()).unwrap_or(0);
            let out = state
                .svc
                .book_series(
                    actor,
                    SeriesRequest {
                        room_id: room.id,
                        title: title(inv),
                        purpose: inv.description.chars().take(2000).collect(),
                        attendees,
                        local_start: inv.start.with_timezone(&room.time_zone).naive_local(),
                        duration_minutes: minutes,
                        rrule: rule.to_string(),
                    },
                )
                .await?;
            Ok((
                out.booked.first().cloned(),
                Some(out.series.id),
                false,
                out.skipped,
            ))
        }
    }
}

/// "Free instead: …" — other rooms at the same time, and free times of
/// this room the same day.
async fn alternatives(
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

async fn send_reply(
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

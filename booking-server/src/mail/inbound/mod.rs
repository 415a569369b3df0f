//! Inbound: invitations (REQUEST, CANCEL, REPLY) to room addresses, and the
//! rooms' REPLYs.

mod outcome;
mod reply;
mod steps;

use booking_calendar::itip::{self, Address, Invitation, Method, PartStat};
use booking_core::invitations::{self, RoomAnswer};
use booking_core::{Actor, CoreError, Role, Room, RoomListing, User};

use crate::state::AppState;

use super::*;
pub use outcome::Outcome;
use outcome::outcome;
use reply::{alternatives, send_reply};

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
    let result = steps::carry_out(state, &actor, inv, room, step, attendees, force_pending).await?;
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

//! What each chat command does, once the sender is known: one function per
//! command of the shared grammar ([`booking_chat::grammar::Command`]),
//! through the service as the linked person.

use booking_chat::grammar::{self, When};
use booking_core::availability::RoomQuery;
use booking_core::{Actor, Booking, BookingRequest, BookingStatus, CoreError, Room, RuleViolation};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::*;
use crate::state::AppState;

/// Who asks, and what every command needs.
pub(super) struct Ctx<'a> {
    pub state: &'a AppState,
    pub actor: &'a Actor,
    pub rooms: &'a [Room],
    pub now: DateTime<Utc>,
    pub tz: Tz,
}

/// `rooms`: every bookable room.
pub(super) fn rooms(c: &Ctx<'_>) -> Reply {
    let rooms = c.rooms;
    let lines: Vec<String> = rooms
        .iter()
        .filter(|r| r.active)
        .map(|r| format!("• {} — {} seats{}", where_(r), r.capacity, amenities(r)))
        .collect();
    Reply::text(if lines.is_empty() {
        "No rooms yet.".into()
    } else {
        lines.join("\n")
    })
}

/// `mine`: my upcoming bookings.
pub(super) async fn mine(c: &Ctx<'_>) -> Result<Reply, CoreError> {
    let (state, actor, rooms, now) = (c.state, c.actor, c.rooms, c.now);
    let mine = upcoming(state, actor.id, now).await?;
    if mine.is_empty() {
        return Ok(Reply::text("You have no upcoming bookings."));
    }
    let lines: Vec<String> = mine
        .iter()
        .filter_map(|b| {
            let room = rooms.iter().find(|r| r.id == b.room_id)?;
            Some(format!(
                "• `{}` {} — {} ({}, {})",
                short(b),
                fmt_slot(b, room),
                b.title,
                where_(room),
                b.status
            ))
        })
        .collect();
    Ok(Reply::text(lines.join("\n")))
}

/// `cancel <id>`: cancel one of my upcoming bookings by the start of its id.
pub(super) async fn cancel(c: &Ctx<'_>, booking: String) -> Result<Reply, CoreError> {
    let (state, svc, actor, now) = (c.state, &c.state.svc, c.actor, c.now);
    let mine = upcoming(state, actor.id, now).await?;
    let found: Vec<&Booking> = mine
        .iter()
        .filter(|b| b.id.to_string().starts_with(&booking))
        .collect();
    match found.as_slice() {
        [b] => {
            let c = svc
                .cancel(actor, b.id, Some("cancelled from chat".into()))
                .await?;
            Ok(Reply::text(format!(
                "Cancelled `{}` {}.",
                short(&c),
                c.title
            )))
        }
        [] => Ok(Reply::text(format!(
            "No upcoming booking of yours starts with `{booking}`; see `mine`."
        ))),
        _ => Ok(Reply::text(format!(
            "`{booking}` matches several bookings; give more of the id."
        ))),
    }
}

/// `checkin [code]`: check in to my booking that is on now.
pub(super) async fn check_in(c: &Ctx<'_>, code: Option<String>) -> Result<Reply, CoreError> {
    let (state, svc, actor, now) = (c.state, &c.state.svc, c.actor, c.now);
    let mine = upcoming(state, actor.id, now - Duration::hours(2)).await?;
    let next = mine
        .iter()
        .filter(|b| b.status == BookingStatus::Approved && b.end > now)
        .min_by_key(|b| (b.start - now).num_seconds().abs());
    match next {
        Some(b) => match svc.check_in(actor, b.id, code.as_deref()).await {
            Ok(c) => Ok(Reply::text(format!(
                "Checked in to {} — enjoy the meeting.",
                c.title
            ))),
            Err(CoreError::Rule(v)) => Ok(Reply::text(format!("Can't check in: {v}."))),
            Err(e) => Err(e),
        },
        None => Ok(Reply::text("You have no booking to check in to right now.")),
    }
}

/// `free [when] [for …] [people] [with …]`: rooms free then.
pub(super) async fn free(
    c: &Ctx<'_>,
    when: Option<When>,
    duration: Option<Duration>,
    people: Option<u32>,
    wanted: Vec<String>,
) -> Result<Reply, CoreError> {
    let (svc, actor, now, tz) = (&c.state.svc, c.actor, c.now, c.tz);
    let (start, end) = match when {
        Some(w) => match resolve(&w, duration, tz) {
            Ok(x) => x,
            Err(msg) => return Ok(Reply::text(msg)),
        },
        None => {
            let s = round_up_15(now);
            (s, s + duration.unwrap_or(Duration::hours(1)))
        }
    };
    let found = svc
        .find_rooms(
            actor,
            &RoomQuery {
                start,
                end,
                min_capacity: people.unwrap_or(1),
                amenities: wanted,
            },
        )
        .await?;
    if found.is_empty() {
        return Ok(Reply::text("No room is free then for that need."));
    }
    let lines: Vec<String> = found
        .iter()
        .take(8)
        .map(|m| {
            format!(
                "• {} — {} seats{}",
                where_(&m.room),
                m.room.capacity,
                amenities(&m.room)
            )
        })
        .collect();
    Ok(Reply::text(format!(
        "Free {}–{} UTC:\n{}",
        start.format("%a %d %b %H:%M"),
        end.format("%H:%M"),
        lines.join("\n")
    )))
}

/// `book [room] <when> …`: book the named room, or the best free one.
pub(super) async fn book(
    c: &Ctx<'_>,
    room: Option<String>,
    when: When,
    duration: Option<Duration>,
    people: Option<u32>,
    wanted: Vec<String>,
    title: Option<String>,
) -> Result<Reply, CoreError> {
    let (state, svc, actor, rooms, tz) = (c.state, &c.state.svc, c.actor, c.rooms, c.tz);
    let title = title
        .map(|t| capitalise(&t))
        .unwrap_or_else(|| "Meeting (booked from chat)".into());
    let room = match room {
        Some(name) => {
            let names: Vec<String> = rooms.iter().map(|r| r.name.clone()).collect();
            match grammar::match_room(&name, &names) {
                Ok(n) => rooms.iter().find(|r| r.name == n).cloned(),
                Err(cands) if cands.is_empty() => {
                    return Ok(Reply::text(format!(
                        "No room matches \"{name}\". Rooms: {}",
                        names.join(", ")
                    )));
                }
                Err(cands) => {
                    return Ok(Reply::text(format!("Which one: {}?", cands.join(" or "))));
                }
            }
        }
        None => None,
    };
    let room = match room {
        Some(r) => r,
        None => {
            // "book a room for 6 with a projector …": the best free one.
            let (start, end) = match resolve(&when, duration, tz) {
                Ok(x) => x,
                Err(msg) => return Ok(Reply::text(msg)),
            };
            let found = svc
                .find_rooms(
                    actor,
                    &RoomQuery {
                        start,
                        end,
                        min_capacity: people.unwrap_or(1),
                        amenities: wanted,
                    },
                )
                .await?;
            match found.into_iter().next() {
                Some(m) => m.room,
                None => {
                    return Ok(Reply::text(
                        "No room is free then for that need; try `free` with another time.",
                    ));
                }
            }
        }
    };
    let (start, end) = match resolve(&when, duration, room.time_zone) {
        Ok(x) => x,
        Err(msg) => return Ok(Reply::text(msg)),
    };
    let req = BookingRequest {
        room_id: room.id,
        title,
        purpose: String::new(),
        attendees: people.unwrap_or(1),
        start,
        end,
    };
    match svc.book(actor, req).await {
        Ok(b) => {
            let state_text = if b.status == BookingStatus::Pending {
                "pending approval"
            } else {
                "confirmed"
            };
            Ok(Reply {
                text: format!(
                    "Booked {} {} — {} ({state_text}). Id `{}`.",
                    where_(&room),
                    fmt_slot(&b, &room),
                    b.title,
                    short(&b)
                ),
                booking: Some(b),
            })
        }
        Err(CoreError::Rule(RuleViolation::Conflict { .. })) => Ok(Reply::text(
            conflict_help(state, actor, &room, start, end).await?,
        )),
        Err(CoreError::Rule(v)) => Ok(Reply::text(format!("Can't book {}: {v}.", room.name))),
        Err(CoreError::Forbidden(m)) => Ok(Reply::text(m)),
        Err(e) => Err(e),
    }
}

//! Chat bots: one executor for the shared command grammar ([`handle`]), the
//! Slack, Teams and Discord HTTP endpoints ([`platforms`]) and the limits on
//! both ([`limits`]).

pub mod limits;
mod platforms;

pub use platforms::{discord_interactions, slack_commands, slack_interactions, teams_messages};

use booking_chat::grammar::{self, Command, ParseError, When};
use booking_core::availability::RoomQuery;
use booking_core::store::BookingFilter;
use booking_core::{
    Actor, Booking, BookingRequest, BookingStatus, CoreError, Room, RoomListing, RuleViolation,
    User, UserId,
};
use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

use crate::state::AppState;

/// What the bot answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub text: String,
    /// A booking the reply is about (platforms add a cancel button).
    pub booking: Option<Booking>,
}

impl Reply {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            booking: None,
        }
    }
}

pub const HELP: &str = "Commands:\n\
• `book <room> <when> [for <duration>] [title]` — e.g. `book boardroom tomorrow 10:00-11:00 Planning`\n\
• `book a room for 6 with a projector tomorrow 10-11` — the best free room\n\
• `free [at <when>] [for <n> people] [with <amenity>]`\n\
• `mine` • `cancel <booking>` • `checkin [code]` • `rooms` • `help`\n\
Times like `today 14:00 for 30m`, `mon 9am`, `2026-12-01 09:00`, in the room's time zone.";

fn short(b: &Booking) -> String {
    b.id.to_string()[..8].to_string()
}

fn fmt_slot(b: &Booking, room: &Room) -> String {
    let tz = room.time_zone;
    let s = b.start.with_timezone(&tz);
    let e = b.end.with_timezone(&tz);
    format!(
        "{} {}–{} ({})",
        s.format("%a %d %b"),
        s.format("%H:%M"),
        e.format("%H:%M"),
        tz.name()
    )
}

fn where_(room: &Room) -> String {
    match room.floor {
        Some(f) => format!("{} (floor {f})", room.name),
        None => room.name.clone(),
    }
}

/// Resolve a wall-clock `When` in `tz` to UTC, with a default length of 1 hour.
fn resolve(
    when: &When,
    duration: Option<Duration>,
    tz: Tz,
) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let start =
        booking_core::rules::local_to_utc(tz, when.date.and_time(when.start)).ok_or_else(|| {
            format!(
                "{} {} does not exist in {} (clocks change)",
                when.date,
                when.start.format("%H:%M"),
                tz.name()
            )
        })?;
    let end = match (when.end, duration) {
        (Some(end), _) => booking_core::rules::local_to_utc(tz, when.date.and_time(end))
            .ok_or_else(|| format!("{} does not exist in {}", end.format("%H:%M"), tz.name()))?,
        (None, Some(d)) => start + d,
        (None, None) => start + Duration::hours(1),
    };
    Ok((start, end))
}

fn today_in(tz: Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// A chat user sent more commands than the limit allows: wait this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlowDown(pub u64);

/// Run one chat message for a platform user (counted against the chat
/// user's command limit).
pub async fn handle(
    state: &AppState,
    platform: &str,
    external_id: &str,
    text: &str,
) -> Result<Reply, SlowDown> {
    state
        .chat_limits
        .command(platform, external_id)
        .map_err(SlowDown)?;
    Ok(match run(state, platform, external_id, text).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, platform, "chat command failed");
            Reply::text("Something went wrong on our side; please try again.")
        }
    })
}

fn minutes(secs: u64) -> String {
    match secs.div_ceil(60) {
        1 => "1 minute".into(),
        n => format!("{n} minutes"),
    }
}

async fn run(
    state: &AppState,
    platform: &str,
    external_id: &str,
    text: &str,
) -> Result<Reply, CoreError> {
    let svc = &state.svc;
    let tz = state.config.default_tz();
    let now = svc.now();
    let cmd = match grammar::parse(text, today_in(tz, now)) {
        Ok(c) => c,
        Err(ParseError::Empty) => return Ok(Reply::text(HELP)),
        Err(e) => return Ok(Reply::text(format!("{e}\n\n{HELP}"))),
    };
    if let Command::Link { code } = &cmd {
        if let Err(wait) = state.chat_limits.may_link(platform, external_id) {
            return Ok(Reply::text(format!(
                "Too many wrong link codes; try again in {}.",
                minutes(wait)
            )));
        }
        return Ok(match link_chat(state, code, platform, external_id).await? {
            Some(u) => Reply::text(format!("Linked to {}. Try `help`.", u.email)),
            None => {
                state.chat_limits.link_missed(platform, external_id);
                Reply::text(
                    "That link code is unknown or expired; get a new one (POST /api/v1/chat/link-code).",
                )
            }
        });
    }
    if matches!(cmd, Command::Help) {
        return Ok(Reply::text(HELP));
    }
    let Some(user) = linked_user(state, platform, external_id).await? else {
        return Ok(Reply::text(
            "Your chat account is not linked yet. Get a one-time code from the booking app \
             (POST /api/v1/chat/link-code) and send `link <code>` here.",
        ));
    };
    let actor = Actor { user, ip: None };
    let rooms = svc.list_rooms(RoomListing::Current).await?;
    match cmd {
        Command::Help | Command::Link { .. } => Ok(Reply::text(HELP)),
        Command::Rooms => {
            let lines: Vec<String> = rooms
                .iter()
                .filter(|r| r.active)
                .map(|r| format!("• {} — {} seats{}", where_(r), r.capacity, amenities(r)))
                .collect();
            Ok(Reply::text(if lines.is_empty() {
                "No rooms yet.".into()
            } else {
                lines.join("\n")
            }))
        }
        Command::Mine => {
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
        Command::Cancel { booking } => {
            let mine = upcoming(state, actor.id, now).await?;
            let found: Vec<&Booking> = mine
                .iter()
                .filter(|b| b.id.to_string().starts_with(&booking))
                .collect();
            match found.as_slice() {
                [b] => {
                    let c = svc
                        .cancel(&actor, b.id, Some("cancelled from chat".into()))
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
        Command::CheckIn { code } => {
            let mine = upcoming(state, actor.id, now - Duration::hours(2)).await?;
            let next = mine
                .iter()
                .filter(|b| b.status == BookingStatus::Approved && b.end > now)
                .min_by_key(|b| (b.start - now).num_seconds().abs());
            match next {
                Some(b) => match svc.check_in(&actor, b.id, code.as_deref()).await {
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
        Command::Free {
            when,
            duration,
            people,
            amenities: wanted,
        } => {
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
                    &actor,
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
        Command::Book {
            room,
            when,
            duration,
            people,
            amenities: wanted,
            title,
        } => {
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
                            &actor,
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
            match svc.book(&actor, req).await {
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
                    conflict_help(state, &actor, &room, start, end).await?,
                )),
                Err(CoreError::Rule(v)) => {
                    Ok(Reply::text(format!("Can't book {}: {v}.", room.name)))
                }
                Err(CoreError::Forbidden(m)) => Ok(Reply::text(m)),
                Err(e) => Err(e),
            }
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

fn amenities(r: &Room) -> String {
    if r.amenities.is_empty() {
        String::new()
    } else {
        format!(
            ", {}",
            r.amenities.iter().cloned().collect::<Vec<_>>().join(", ")
        )
    }
}

fn round_up_15(t: DateTime<Utc>) -> DateTime<Utc> {
    let m = t.minute() as i64 % 15;
    let base =
        t - Duration::seconds(t.second() as i64) - Duration::nanoseconds(t.nanosecond() as i64);
    if m == 0 && t.second() == 0 {
        base
    } else {
        base + Duration::minutes(15 - m)
    }
}

/// On a conflict: the room's next free slots that day and other rooms free then.
async fn conflict_help(
    state: &AppState,
    actor: &Actor,
    room: &Room,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<String, CoreError> {
    let svc = &state.svc;
    let date = start.with_timezone(&room.time_zone).date_naive();
    let need = end - start;
    let slots: Vec<String> = svc
        .free_slots(room.id, date)
        .await?
        .into_iter()
        .filter(|s| s.end > start && s.end - s.start >= need)
        .take(3)
        .map(|s| {
            let tz = room.time_zone;
            format!(
                "{}–{}",
                s.start.with_timezone(&tz).format("%H:%M"),
                s.end.with_timezone(&tz).format("%H:%M")
            )
        })
        .collect();
    let others: Vec<String> = svc
        .find_rooms(
            &actor.user,
            &RoomQuery {
                start,
                end,
                min_capacity: 1,
                amenities: vec![],
            },
        )
        .await?
        .into_iter()
        .filter(|m| m.room.id != room.id)
        .take(3)
        .map(|m| m.room.name)
        .collect();
    let mut msg = format!("{} is taken then.", room.name);
    if !slots.is_empty() {
        msg.push_str(&format!(" Free later that day: {}.", slots.join(", ")));
    }
    if !others.is_empty() {
        msg.push_str(&format!(" Free at that time: {}.", others.join(", ")));
    }
    Ok(msg)
}

async fn linked_user(
    state: &AppState,
    platform: &str,
    external_id: &str,
) -> Result<Option<User>, CoreError> {
    let Some(id) = state.store.chat_user(platform, external_id).await? else {
        return Ok(None);
    };
    Ok(state.store.get_user(id).await?.filter(|u| u.active))
}

async fn upcoming(
    state: &AppState,
    user: UserId,
    from: DateTime<Utc>,
) -> Result<Vec<Booking>, CoreError> {
    state
        .svc
        .list_bookings(&BookingFilter {
            organizer_id: Some(user),
            from: Some(from),
            statuses: vec![BookingStatus::Pending, BookingStatus::Approved],
            limit: Some(50),
            ..BookingFilter::default()
        })
        .await
}

/// Redeem a one-time link `code` for the chat account `external_id` on
/// `platform`: the code's user, now linked (audited as `chat.link`), or
/// `None` when the code is unknown or expired.
async fn link_chat(
    state: &AppState,
    code: &str,
    platform: &str,
    external_id: &str,
) -> Result<Option<User>, CoreError> {
    let svc = &state.svc;
    let Some(id) = state
        .store
        .redeem_link_code(code, platform, external_id, svc.now())
        .await?
    else {
        return Ok(None);
    };
    let user = svc.get_user(id).await?;
    svc.audit(
        Some(&Actor::from(user.clone())),
        "chat.link",
        "user",
        Some(id.to_string()),
        None,
        Some(serde_json::json!({"platform": platform, "external_id": external_id})),
    )
    .await?;
    Ok(Some(user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        let t = DateTime::parse_from_rfc3339("2026-11-25T10:07:30Z")
            .expect("t")
            .with_timezone(&Utc);
        assert_eq!(round_up_15(t).to_rfc3339(), "2026-11-25T10:15:00+00:00");
        assert_eq!(minutes(1), "1 minute");
        assert_eq!(minutes(61), "2 minutes");
    }
}

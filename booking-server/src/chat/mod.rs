//! Chat bots: one executor for the shared command grammar ([`handle`]), the
//! Slack, Teams and Discord HTTP endpoints ([`platforms`]) and the limits on
//! both ([`limits`]).

mod commands;
pub mod limits;
mod platforms;

pub use platforms::{discord_interactions, slack_commands, slack_interactions, teams_messages};

use booking_chat::grammar::{self, Command, ParseError, When};
use booking_core::availability::RoomQuery;
use booking_core::store::BookingFilter;
use booking_core::{Actor, Booking, BookingStatus, CoreError, Room, RoomListing, User, UserId};
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
    let c = commands::Ctx {
        state,
        actor: &actor,
        rooms: &rooms,
        now,
        tz,
    };
    match cmd {
        Command::Help | Command::Link { .. } => Ok(Reply::text(HELP)),
        Command::Rooms => Ok(commands::rooms(&c)),
        Command::Mine => commands::mine(&c).await,
        Command::Cancel { booking } => commands::cancel(&c, booking).await,
        Command::CheckIn { code } => commands::check_in(&c, code).await,
        Command::Free {
            when,
            duration,
            people,
            amenities,
        } => commands::free(&c, when, duration, people, amenities).await,
        Command::Book {
            room,
            when,
            duration,
            people,
            amenities,
            title,
        } => commands::book(&c, room, when, duration, people, amenities, title).await,
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

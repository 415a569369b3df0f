//! E-mail: rooms answer invitations like an Exchange room mailbox, and
//! people get notifications and calendar invites for what they book.
//!
//! * Inbound ([`ingest`]): an iMIP message (RFC 6047) naming rooms as
//!   attendees is booked through the core rules; each room answers a REPLY
//!   (ACCEPTED / TENTATIVE / DECLINED with the reason and free alternatives).
//!   REQUEST with a higher SEQUENCE moves the booking, CANCEL cancels it.
//! * Outbound: a notifier turns booking events (written in the booking's own
//!   transaction) into messages in the persistent outbox, moving a cursor in
//!   the same database transaction; a sender drains the outbox over SMTP
//!   with retries and back-off. Nothing is sent inside a booking
//!   transaction, and a crash loses nothing.

use std::collections::BTreeMap;

use crate::tables::NewMail;
use booking_calendar::itip::{self};
use booking_core::{CoreError, Room};
use booking_email::{MailError, Outgoing, Templates};
use chrono::{DateTime, Utc};

use crate::state::AppState;

mod inbound;
mod outbound;

pub use inbound::{Outcome, ingest, process};
pub use outbound::{backoff, notify_once, remind_once, send_once, spawn};

const PRODID: &str = "-//Room booking//booking-server//EN";

pub use crate::config::UnknownOrganizers;

#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error("invitation: {0}")]
    Itip(#[from] itip::ItipError),
    #[error("the invitation names none of our rooms as attendee (room addresses look like {0})")]
    NoRoom(String),
    #[error(transparent)]
    Core(#[from] CoreError),
}

/// A room's address: its name as a slug at the room mail domain.
pub fn room_address(room: &Room, domain: &str) -> String {
    format!("{}@{domain}", slug(&room.name))
}

/// `"Café Überraschung, 3rd floor"` → `"caf-berraschung-3rd-floor"`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

fn host(state: &AppState) -> String {
    crate::ical::host(state)
}

fn templates(state: &AppState) -> Templates {
    Templates {
        dir: state.config.mail.templates_dir.clone(),
    }
}

pub(crate) fn when(b_start: DateTime<Utc>, b_end: DateTime<Utc>, room: &Room) -> String {
    span(b_start, b_end, room.time_zone)
}

/// `Wed 9 Dec 2026 09:00 – 10:00 (Europe/Berlin)`: one space between the
/// parts, whatever the day of the month.
fn span(start: DateTime<Utc>, end: DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    format!(
        "{} – {} ({})",
        start.with_timezone(&tz).format("%a %-d %b %Y %H:%M"),
        end.with_timezone(&tz).format("%H:%M"),
        tz.name()
    )
}

fn details(title: &str, room: &Room, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    let floor = room
        .floor
        .map(|f| format!(", floor {f}"))
        .unwrap_or_default();
    format!(
        "What: {title}\nWhere: {}{floor}\nWhen: {}",
        room.name,
        when(start, end, room)
    )
}

/// Put one composed message into the outbox.
#[allow(clippy::too_many_arguments)]
fn new_mail(
    state: &AppState,
    kind: &str,
    from: &str,
    from_name: &str,
    to: &str,
    vars: &BTreeMap<&str, String>,
    calendar: Option<(&str, &str)>,
    dedupe_key: Option<String>,
) -> Result<NewMail, MailError> {
    let r = templates(state).render(kind, vars)?;
    let message_id = format!("<{}@{}>", uuid::Uuid::new_v4(), host(state));
    let message = booking_email::compose(&Outgoing {
        from,
        from_name,
        to,
        subject: &r.subject,
        text: &r.text,
        html: &r.html,
        calendar,
        message_id: &message_id,
    })?;
    Ok(NewMail {
        dedupe_key,
        kind: kind.to_string(),
        sender: from.to_string(),
        recipient: to.to_string(),
        subject: r.subject,
        message,
    })
}

/// Queue a notice from the system to `to` (a built-in template `kind`, no
/// calendar part); a notice whose `dedupe_key` was queued already is dropped.
/// One that cannot be composed (a broken template file) is logged, not sent.
pub(crate) async fn queue_notice(
    state: &AppState,
    kind: &str,
    to: &str,
    vars: &[(&str, String)],
    dedupe_key: String,
) -> Result<(), CoreError> {
    let vars: BTreeMap<&str, String> = vars.iter().cloned().collect();
    let from = state.config.mail.from.clone();
    let mail = match new_mail(
        state,
        kind,
        &from,
        "Room booking",
        to,
        &vars,
        None,
        Some(dedupe_key),
    ) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!(error = %e, kind, "cannot compose a notice");
            return Ok(());
        }
    };
    state
        .store
        .enqueue_mail(&[mail], state.svc.now())
        .await
        .map_err(CoreError::Store)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn dates_have_one_space_between_their_parts() {
        let t = |d: u32, h: u32| {
            chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, d, h, 0, 0)
                .single()
                .expect("t")
        };
        assert_eq!(
            span(t(9, 8), t(9, 9), chrono_tz::Europe::Berlin),
            "Wed 9 Dec 2026 09:00 – 10:00 (Europe/Berlin)"
        );
        assert_eq!(
            span(t(23, 8), t(23, 9), chrono_tz::Europe::Berlin),
            "Wed 23 Dec 2026 09:00 – 10:00 (Europe/Berlin)"
        );
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Blue room"), "blue-room");
        assert_eq!(slug("  Board Room #2 (HQ) "), "board-room-2-hq");
        assert_eq!(slug("Café"), "caf");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff(0), Duration::seconds(5));
        assert_eq!(backoff(1), Duration::seconds(10));
        assert_eq!(backoff(30), Duration::seconds(3600));
    }
}

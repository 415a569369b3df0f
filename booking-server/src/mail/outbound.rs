//! Outbound: booking events and reminders become messages in the outbox;
//! the sender delivers them with retries.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use tokio::sync::broadcast;

use crate::tables::NewMail;
use booking_calendar::itip::{self, Address, EventInvite, Method};
use booking_core::store::{BookingFilter, StoredEvent};
use booking_core::{Booking, BookingStatus, CoreError, Role};
use booking_email::{MailError, SmtpSettings};
use chrono::{Duration, Utc};

use crate::state::AppState;

use super::*;

// ---------------------------------------------------------------------------
// Outbound: events → outbox

fn system_address(state: &AppState) -> Address {
    Address {
        email: state.config.mail.from.clone(),
        name: "Room booking".into(),
        cutype: "INDIVIDUAL".into(),
    }
}

/// The other rooms (and their bookings' states) of group `group`.
async fn group_rooms(
    state: &AppState,
    group: booking_core::BookingId,
    own: booking_core::BookingId,
) -> Vec<(booking_core::Room, BookingStatus)> {
    let mut out = Vec::new();
    for other in state.svc.booking_group(group).await.unwrap_or_default() {
        if other.id != own
            && let Ok(room) = state.svc.get_room(other.room_id).await
        {
            out.push((room, other.status));
        }
    }
    out
}

/// The messages one booking event causes.
async fn mails_for(state: &AppState, ev: &StoredEvent) -> Vec<NewMail> {
    let Ok(b) = serde_json::from_value::<Booking>(ev.payload.clone()) else {
        return Vec::new();
    };
    let store = &state.store;
    let (Ok(Some(user)), Ok(room)) = (
        store.get_user(b.organizer_id).await,
        state.svc.get_room(b.room_id).await,
    ) else {
        return Vec::new();
    };
    // Bookings made by invitation are answered by REPLY, not by invites.
    let from_invite = store
        .invite_link_for(b.id, b.series_id)
        .await
        .ok()
        .flatten()
        .is_some();
    let series = match b.series_id {
        Some(s) => state.svc.get_series(s).await.ok(),
        None => None,
    };
    // Rooms booked together make one invitation naming every room.
    let others = match b.group_id {
        Some(g) => group_rooms(state, g, b.id).await,
        None => Vec::new(),
    };
    let mut out = Vec::new();
    let mut vars = BTreeMap::new();
    vars.insert("title", b.title.clone());
    vars.insert("room", room.name.clone());
    vars.insert(
        "organizer",
        format!("{} <{}>", user.display_name, user.email),
    );
    vars.insert("start", when(b.start, b.end, &room));
    vars.insert("details", details(&b.title, &room, b.start, b.end));
    vars.insert(
        "reason",
        b.decision_reason
            .clone()
            .map(|r| format!("Reason: {r}"))
            .unwrap_or_default(),
    );
    // Approvers decide on the booking's page of the web app.
    vars.insert(
        "link",
        format!(
            "{}/approvals/{}",
            state.config.server.public_url.trim_end_matches('/'),
            b.id
        ),
    );
    let kind = match (ev.kind.as_str(), b.status) {
        ("created", BookingStatus::Pending) => "pending",
        ("created", _) => "created",
        ("updated", _) => "updated",
        ("approved", _) => "approved",
        ("rejected", _) => "rejected",
        ("cancelled", _) => "cancelled",
        ("no_show_released", _) => "no_show",
        ("waitlist_booked", _) => "waitlist",
        _ => return out,
    };
    let room_addr = Address {
        email: room_address(&room, &state.config.mail.room_domain),
        name: room.name.clone(),
        cutype: "ROOM".into(),
    };
    let attendee = Address {
        email: user.email.to_string(),
        name: user.display_name.clone(),
        cutype: "INDIVIDUAL".into(),
    };
    let organizer = system_address(state);
    let uid = match (b.series_id, b.group_id) {
        (Some(s), _) => format!("{s}@{}", host(state)),
        (None, Some(g)) => format!("{g}@{}", host(state)),
        (None, None) => format!("{}@{}", b.id, host(state)),
    };
    let mut location = match room.floor {
        Some(f) => format!("{}, floor {f}", room.name),
        None => room.name.clone(),
    };
    let other_rooms: Vec<Address> = others
        .iter()
        .map(|(r, _)| {
            location.push_str(&format!("; {}", r.name));
            Address {
                email: room_address(r, &state.config.mail.room_domain),
                name: r.name.clone(),
                cutype: "ROOM".into(),
            }
        })
        .collect();
    let any_pending = b.status == BookingStatus::Pending
        || others.iter().any(|(_, s)| *s == BookingStatus::Pending);
    // Series: the invite goes out once, at creation (with its RRULE).
    let later_series_change = b.series_id.is_some() && !matches!(kind, "created" | "pending");
    let calendar = if from_invite || later_series_change || kind == "no_show" {
        None
    } else {
        let method = if b.status.is_blocking() {
            Method::Request
        } else {
            Method::Cancel
        };
        let rule = series.as_ref().map(|s| s.rrule.clone());
        let inv = EventInvite {
            uid: &uid,
            sequence: b.sequence,
            summary: &b.title,
            description: &b.purpose,
            location: &location,
            start: b.start,
            end: b.end,
            zone: room.time_zone,
            rrule: rule.as_deref(),
            exdates: &[],
            organizer: &organizer,
            attendee: &attendee,
            room: &room_addr,
            other_rooms: &other_rooms,
            tentative: any_pending,
        };
        Some((
            if method == Method::Request {
                "REQUEST"
            } else {
                "CANCEL"
            },
            itip::invite(&inv, method, PRODID, state.svc.now()),
        ))
    };
    let from = state.config.mail.from.clone();
    // A series makes one event per occurrence: one message per series and
    // kind (and minute, for later changes), the outbox drops the rest.
    // Rooms booked together: one message for the new group and one for
    // its cancellation, whichever room's event comes first.
    let key = match (b.series_id, b.group_id) {
        (Some(sid), _) if matches!(kind, "created" | "pending") => format!("series:{sid}:{kind}"),
        (Some(sid), _) => format!("series:{sid}:{kind}:{}", ev.at.timestamp() / 60),
        (None, Some(g)) if matches!(kind, "created" | "pending") => format!("group:{g}:new"),
        (None, Some(g)) if kind == "cancelled" => format!("group:{g}:cancelled"),
        _ => format!("event:{}", ev.id),
    };
    if let Ok(m) = new_mail(
        state,
        kind,
        &from,
        "Room booking",
        &user.email,
        &vars,
        calendar.as_ref().map(|(m, c)| (*m, c.as_str())),
        Some(key.clone()),
    ) {
        out.push(m);
    }
    // Whoever booked it for the organizer hears of it too.
    if let Some(booker) = b.booked_by.filter(|id| *id != user.id)
        && let Ok(Some(booker)) = store.get_user(booker).await
        && let Ok(m) = new_mail(
            state,
            kind,
            &from,
            "Room booking",
            &booker.email,
            &vars,
            None,
            Some(format!("{key}:booker")),
        )
    {
        out.push(m);
    }
    // Approvers hear of new requests that wait for them.
    if kind == "pending"
        && let Ok(users) = store.list_users().await
    {
        for approver in users.iter().filter(|u| {
            u.active
                && u.id != user.id
                && (u.role == Role::SuperAdmin
                    || (u.role == Role::RoomAdmin && u.assigned_rooms.contains(&room.id)))
        }) {
            if let Ok(m) = new_mail(
                state,
                "approval_request",
                &from,
                "Room booking",
                &approver.email,
                &vars,
                None,
                Some(format!("{key}:approver:{}", approver.id)),
            ) {
                out.push(m);
            }
        }
    }
    out
}

/// Turn new events into outbox messages, moving the cursor with them in one
/// transaction (so with several server processes each event is mailed once).
pub async fn notify_once(state: &AppState) -> Result<usize, CoreError> {
    let store = &state.store;
    let cursor = match store.mail_cursor().await? {
        Some(c) => c,
        None => {
            // First start: begin at now, do not mail the past.
            let latest = store.latest_event_id().await?;
            store
                .advance_mail_cursor(None, latest, &[], state.svc.now())
                .await?;
            return Ok(0);
        }
    };
    let events = store.events_since(cursor, 200).await?;
    let Some(last) = events.last().map(|e| e.id) else {
        return Ok(0);
    };
    let mut mails = Vec::new();
    let mut series_seen = std::collections::BTreeSet::new();
    for ev in &events {
        // One message per series creation, not one per occurrence.
        if matches!(ev.kind.as_str(), "created")
            && let Some(s) = ev.payload.get("series_id").and_then(|v| v.as_str())
            && !series_seen.insert(s.to_string())
        {
            continue;
        }
        mails.extend(mails_for(state, ev).await);
    }
    let n = mails.len();
    store
        .advance_mail_cursor(Some(cursor), last, &mails, state.svc.now())
        .await?;
    Ok(n)
}

/// Reminders for approved bookings starting within the configured minutes.
pub async fn remind_once(state: &AppState) -> Result<usize, CoreError> {
    let minutes = i64::from(state.config.mail.reminder_minutes);
    if minutes == 0 {
        return Ok(0);
    }
    let now = state.svc.now();
    let list = state
        .svc
        .list_bookings(&BookingFilter {
            from: Some(now),
            to: Some(now + Duration::minutes(minutes)),
            statuses: vec![BookingStatus::Approved],
            limit: Some(5000),
            ..Default::default()
        })
        .await?;
    let mut mails = Vec::new();
    for b in list.iter().filter(|b| b.start >= now) {
        let store = &state.store;
        let (Ok(Some(user)), Ok(room)) = (
            store.get_user(b.organizer_id).await,
            state.svc.get_room(b.room_id).await,
        ) else {
            continue;
        };
        let mut vars = BTreeMap::new();
        vars.insert("title", b.title.clone());
        vars.insert("room", room.name.clone());
        vars.insert("start", when(b.start, b.end, &room));
        vars.insert("details", details(&b.title, &room, b.start, b.end));
        let from = state.config.mail.from.clone();
        if let Ok(m) = new_mail(
            state,
            "reminder",
            &from,
            "Room booking",
            &user.email,
            &vars,
            None,
            Some(format!("reminder:{}:{}", b.id, b.start.timestamp())),
        ) {
            mails.push(m);
        }
    }
    let n = mails.len();
    state
        .store
        .enqueue_mail(&mails, now)
        .await
        .map_err(CoreError::Store)?;
    Ok(n)
}

/// Back-off after `attempts` failures: 5 s, 10 s, 20 s … capped at 1 hour.
pub fn backoff(attempts: u32) -> Duration {
    let secs = 5i64.saturating_mul(1i64 << attempts.min(20));
    Duration::seconds(secs.min(3600))
}

/// Give up (and keep the message for an operator) after this many tries.
pub const MAX_ATTEMPTS: u32 = 25;

/// Send what is due; returns (sent, failed).
pub async fn send_once(
    state: &AppState,
    transport: &lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
) -> Result<(usize, usize), CoreError> {
    let store = &state.store;
    let now = Utc::now();
    // Claimed messages are leased for 2 minutes: a process that dies while
    // sending leaves them to be retried.
    let due = store
        .claim_mail(now, now + Duration::minutes(2), 20)
        .await
        .map_err(CoreError::Store)?;
    let (mut sent, mut failed) = (0, 0);
    for m in due {
        match booking_email::send(transport, &m.sender, &m.recipient, &m.message).await {
            Ok(()) => {
                store
                    .mail_sent(m.id, Utc::now())
                    .await
                    .map_err(CoreError::Store)?;
                sent += 1;
            }
            Err(e) => {
                failed += 1;
                let next = if m.attempts >= MAX_ATTEMPTS {
                    tracing::error!(id = m.id, to = %m.recipient, error = %e, "giving up on a message");
                    Utc::now() + Duration::days(36500)
                } else {
                    tracing::warn!(id = m.id, to = %m.recipient, attempt = m.attempts, error = %e, "delivery failed; will retry");
                    Utc::now() + backoff(m.attempts)
                };
                store
                    .mail_failed(m.id, next, &e.to_string())
                    .await
                    .map_err(CoreError::Store)?;
            }
        }
    }
    Ok((sent, failed))
}

/// Start the notifier, the reminder and the sender (when SMTP is set).
pub fn spawn(state: AppState) -> Result<Vec<tokio::task::JoinHandle<()>>, MailError> {
    let Some(url) = state
        .config
        .mail
        .smtp_url
        .as_ref()
        .map(|u| secrecy::ExposeSecret::expose_secret(u).to_string())
    else {
        return Ok(Vec::new());
    };
    let settings = SmtpSettings::from_url(&url, state.config.mail.smtp_ca_file.as_deref())?;
    let transport = Arc::new(settings.transport()?);
    let st = state.clone();
    let notifier = tokio::spawn(async move {
        let mut live = st.live.subscribe();
        loop {
            if let Err(e) = notify_once(&st).await {
                tracing::error!(error = %e, "mail notifier");
            }
            if let Err(e) = remind_once(&st).await {
                tracing::error!(error = %e, "mail reminders");
            }
            // The run above read every event so far: the wake-ups they
            // left are spent.
            while !matches!(
                live.try_recv(),
                Err(broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Closed)
            ) {}
            // Wake on a change, or poll (other processes, reminders).
            let _ = tokio::time::timeout(StdDuration::from_secs(2), live.recv()).await;
            // Gather a burst of changes into one run (each run writes the
            // cursor, and reads the reminders due).
            tokio::time::sleep(StdDuration::from_millis(50)).await;
        }
    });
    let st = state;
    let sender = tokio::spawn(async move {
        loop {
            match send_once(&st, &transport).await {
                Ok((sent, _)) if sent > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "mail sender"),
            }
            tokio::time::sleep(StdDuration::from_millis(500)).await;
        }
    });
    Ok(vec![notifier, sender])
}

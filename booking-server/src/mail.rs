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
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use booking_calendar::itip::{self, Address, EventInvite, Invitation, Method, PartStat};
use booking_core::availability::RoomQuery;
use booking_core::store::{BookingFilter, NewMail, StoredEvent};
use booking_core::{
    Actor, Booking, BookingChanges, BookingRequest, BookingStatus, CoreError, Role, Room,
    SeriesRequest, User,
};
use booking_email::{MailError, Outgoing, SmtpSettings, Templates};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::state::AppState;

const PRODID: &str = "-//Room booking//booking-server//EN";

/// What to do with invitations from addresses that have no account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownOrganizers {
    /// Answer DECLINED, saying how to get an account.
    Decline,
    /// Create an account and a booking that waits for an approver.
    Pending,
}

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
        dir: state.config.mail_templates_dir.clone(),
    }
}

fn when(b_start: DateTime<Utc>, b_end: DateTime<Utc>, room: &Room) -> String {
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
    let domain = &state.config.room_mail_domain;
    let rooms = state.svc.list_rooms(false).await?;
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
            .svc
            .store()
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
    let organizer = match state
        .svc
        .store()
        .get_user_by_email(&inv.organizer.email)
        .await
    {
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
    let address = room_address(room, &state.config.room_mail_domain);
    let store = state.svc.store();
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
    let address = room_address(room, &state.config.room_mail_domain);
    let store = state.svc.store();
    let user = match organizer {
        Some(u) if u.active => u.clone(),
        Some(_) => {
            let mut o = outcome(room, &address, Some(PartStat::Declined), "declined");
            o.reason = Some("your account is disabled or awaiting approval".into());
            return Ok(o);
        }
        None => match state.config.unknown_organizers {
            UnknownOrganizers::Decline => {
                let mut o = outcome(room, &address, Some(PartStat::Declined), "declined");
                o.reason = Some(format!(
                    "{} has no account with the room booking service; sign up at {} and invite the room again",
                    inv.organizer.email, state.config.public_url
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
    let attendees = u32::try_from(
        inv.attendees
            .iter()
            .filter(|a| a.cutype != "ROOM" && a.cutype != "RESOURCE")
            .filter(|a| {
                !rooms
                    .iter()
                    .any(|r| room_address(r, &state.config.room_mail_domain) == a.email)
            })
            .count()
            .max(1),
    )
    .unwrap_or(1)
    .min(room.capacity.max(1) * 10);
    let link = store
        .invite_link(&inv.uid, room.id)
        .await
        .map_err(CoreError::Store)?;
    let result: Result<Booked, CoreError> = match (&link, inv.rrule.as_deref()) {
        // A repeat of something already answered.
        (Some(l), _) if i64::from(inv.sequence) <= l.sequence && inv.recurrence_id.is_none() => {
            let b = match l.booking_id {
                Some(b) => Some(state.svc.get_booking(b).await?),
                None => None,
            };
            Ok((b, l.series_id, true, Vec::new()))
        }
        // One occurrence of a series changes.
        (
            Some(booking_core::store::InviteLink {
                series_id: Some(series),
                ..
            }),
            _,
        ) if inv.recurrence_id.is_some() => {
            let series = *series;
            let rid = inv.recurrence_id.unwrap_or(inv.start);
            let occ = state
                .svc
                .series_occurrences(series)
                .await?
                .into_iter()
                .find(|b| b.occurrence_start == Some(rid));
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
                    .map(|b| (Some(b), Some(series), false, Vec::new())),
                None => Err(CoreError::not_found("occurrence", rid)),
            }
        }
        // An update of a single booking: move it.
        (
            Some(booking_core::store::InviteLink {
                booking_id: Some(id),
                ..
            }),
            None,
        ) => {
            let id = *id;
            state
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
                .map(|b| (Some(b), None, false, Vec::new()))
        }
        // An update of a series (or a single that became one): replace it.
        (Some(l), rule) => {
            if let Some(s) = l.series_id {
                state
                    .svc
                    .cancel_series(
                        &actor,
                        s,
                        booking_core::workflow::SeriesScope::All,
                        Some("replaced by an updated invitation".into()),
                    )
                    .await?;
            } else if let Some(b) = l.booking_id {
                state
                    .svc
                    .cancel(&actor, b, Some("replaced by an updated invitation".into()))
                    .await?;
            }
            book(state, &actor, inv, room, rule, attendees, force_pending).await
        }
        (None, rule) => book(state, &actor, inv, room, rule, attendees, force_pending).await,
    };
    let mut o = match result {
        Ok((booking, series, repeat, declined)) => {
            let pending = booking
                .as_ref()
                .is_some_and(|b| b.status == BookingStatus::Pending);
            let gone = booking.as_ref().is_some_and(|b| !b.status.is_blocking());
            let (partstat, action) = if gone {
                (PartStat::Declined, "declined")
            } else if pending {
                (
                    PartStat::Tentative,
                    if repeat {
                        "unchanged"
                    } else {
                        "pending approval"
                    },
                )
            } else {
                (
                    PartStat::Accepted,
                    if repeat { "unchanged" } else { "booked" },
                )
            };
            let mut o = outcome(room, &address, Some(partstat), action);
            if gone {
                o.reason = Some("this booking was cancelled or rejected".into());
            }
            o.booking_id = booking.as_ref().map(|b| b.id.to_string());
            o.series_id = series.map(|s| s.to_string());
            o.declined = declined;
            if !repeat {
                store
                    .save_invite_link(&booking_core::store::InviteLink {
                        uid: inv.uid.clone(),
                        room_id: room.id,
                        organizer: user.email.clone(),
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
        Err(
            e @ (CoreError::Rule(_)
            | CoreError::SeriesDeclined(_)
            | CoreError::Input(_)
            | CoreError::Forbidden(_)
            | CoreError::RoleDenied { .. }
            | CoreError::NotFound { .. }),
        ) => {
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
                room_address(&m.room, &state.config.room_mail_domain)
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
        .svc
        .store()
        .enqueue_mail(&[mail], state.svc.now())
        .await
        .map_err(CoreError::Store)?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Outbound: events → outbox

fn system_address(state: &AppState) -> Address {
    Address {
        email: state.config.mail_from.clone(),
        name: "Room booking".into(),
        cutype: "INDIVIDUAL".into(),
    }
}

/// The messages one booking event causes.
async fn mails_for(state: &AppState, ev: &StoredEvent) -> Vec<NewMail> {
    let Ok(b) = serde_json::from_value::<Booking>(ev.payload.clone()) else {
        return Vec::new();
    };
    let store = state.svc.store();
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
            state.config.public_url.trim_end_matches('/'),
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
        email: room_address(&room, &state.config.room_mail_domain),
        name: room.name.clone(),
        cutype: "ROOM".into(),
    };
    let attendee = Address {
        email: user.email.clone(),
        name: user.display_name.clone(),
        cutype: "INDIVIDUAL".into(),
    };
    let organizer = system_address(state);
    let uid = match b.series_id {
        Some(s) => format!("{s}@{}", host(state)),
        None => format!("{}@{}", b.id, host(state)),
    };
    let location = match room.floor {
        Some(f) => format!("{}, floor {f}", room.name),
        None => room.name.clone(),
    };
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
            tentative: b.status == BookingStatus::Pending,
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
    let from = state.config.mail_from.clone();
    // A series makes one event per occurrence: one message per series and
    // kind (and minute, for later changes), the outbox drops the rest.
    let key = match b.series_id {
        Some(sid) if matches!(kind, "created" | "pending") => format!("series:{sid}:{kind}"),
        Some(sid) => format!("series:{sid}:{kind}:{}", ev.at.timestamp() / 60),
        None => format!("event:{}", ev.id),
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
    let store = state.svc.store();
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
    let minutes = i64::from(state.config.reminder_minutes);
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
        let store = state.svc.store();
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
        let from = state.config.mail_from.clone();
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
        .svc
        .store()
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
    let store = state.svc.store();
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
    let Some(url) = state.config.smtp_url.clone() else {
        return Ok(Vec::new());
    };
    let settings = SmtpSettings::from_url(&url, state.config.smtp_ca_file.as_deref())?;
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
            // Wake on a change, or poll (other processes, reminders).
            let _ = tokio::time::timeout(StdDuration::from_secs(2), live.recv()).await;
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

#[cfg(test)]
mod tests {
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

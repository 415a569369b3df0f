//! Requests from guests (people without an account) on a room's public
//! request form, where its policy allows (`guest_requests`):
//!
//! 1. The guest sends the form. Its rules are checked at once (nothing is
//!    booked yet); the request is kept and a confirmation link is mailed to
//!    the address given. Only the link token's SHA-256 is stored.
//! 2. The guest opens the link and confirms (a POST: mail scanners that
//!    fetch links change nothing). The request becomes a booking that waits
//!    for an approver, whose notification goes out as for any pending one.
//!
//! Sending is rate limited per address and per client IP, confirming per
//! IP; links expire after a day. Both steps are audited
//! (`guest_request.create`, `booking.create` by the guest).

use booking_core::{Booking, BookingRequest, CoreError, InputError, RoomId};
use chrono::Duration;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::state::AppState;
use crate::tables::GuestRequest;

pub(crate) mod error;
pub(crate) mod limits;

pub use error::GuestError;
pub use limits::{CONFIRMS_PER_IP_PER_HOUR, GuestLimits, PER_EMAIL_PER_HOUR, PER_IP_PER_HOUR};

/// How long a confirmation link works.
pub const LINK_HOURS: i64 = 24;
/// What a guest fills in.
#[derive(Debug, Clone)]
pub struct GuestForm {
    pub room_id: RoomId,
    pub name: String,
    pub email: String,
    pub title: String,
    pub purpose: String,
    pub attendees: u32,
    pub start: chrono::DateTime<chrono::Utc>,
    pub end: chrono::DateTime<chrono::Utc>,
}

impl GuestForm {
    fn request(&self) -> BookingRequest {
        BookingRequest {
            room_id: self.room_id,
            title: self.title.clone(),
            purpose: self.purpose.clone(),
            attendees: self.attendees,
            start: self.start,
            end: self.end,
        }
    }
}

fn sha256_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn invalid(field: &'static str, reason: &str) -> GuestError {
    GuestError::Core(
        InputError::Invalid {
            field,
            reason: reason.into(),
        }
        .into(),
    )
}

/// Step 1: check and keep the request, mail the confirmation link.
pub async fn submit(
    state: &AppState,
    form: GuestForm,
    ip: Option<String>,
) -> Result<(), GuestError> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(invalid("name", "give your name (1 to 200 characters)"));
    }
    booking_core::refuse_control_characters("name", name).map_err(CoreError::from)?;
    let email = form.email.trim().to_ascii_lowercase();
    let limits = &state.guest_limits;
    let ip_key = format!("ip:{}", ip.as_deref().unwrap_or("-"));
    let email_key = format!("email:{email}");
    limits
        .sent
        .check(&ip_key, PER_IP_PER_HOUR)
        .and_then(|()| limits.sent.check(&email_key, PER_EMAIL_PER_HOUR))
        .map_err(GuestError::Limited)?;
    let parts = email.split_once('@');
    if email.len() > 254
        || email.contains(char::is_whitespace)
        || !parts.is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
    {
        return Err(invalid("email", "give an e-mail address you can read now"));
    }
    state.svc.check_guest_request(&form.request()).await?;
    limits.sent.add(&ip_key);
    limits.sent.add(&email_key);
    let now = state.svc.now();
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let req = GuestRequest {
        id: Uuid::new_v4(),
        room_id: form.room_id,
        name: name.to_string(),
        email: email.clone(),
        title: form.title.trim().to_string(),
        purpose: form.purpose.clone(),
        attendees: form.attendees,
        start: form.start,
        end: form.end,
        ip: ip.clone(),
        created_at: now,
        expires_at: now + Duration::hours(LINK_HOURS),
        booking_id: None,
    };
    state
        .store
        .insert_guest_request(&req, &sha256_hex(&token))
        .await
        .map_err(CoreError::from)?;
    state
        .svc
        .audit(
            None,
            "guest_request.create",
            "guest_request",
            Some(req.id.to_string()),
            None,
            Some(serde_json::json!({
                "room_id": req.room_id, "email": req.email, "ip": ip,
                "start": req.start, "end": req.end,
            })),
        )
        .await?;
    let room = state.svc.get_room(form.room_id).await?;
    let link = format!(
        "{}/guest/{token}",
        state.config.server.public_url.trim_end_matches('/')
    );
    crate::mail::queue_notice(
        state,
        "guest_confirm",
        &email,
        &[
            ("name", req.name.clone()),
            ("room", room.name.clone()),
            ("title", req.title.clone()),
            ("start", crate::mail::when(req.start, req.end, &room)),
            ("link", link),
            ("hours", LINK_HOURS.to_string()),
        ],
        format!("guest-request:{}", req.id),
    )
    .await?;
    Ok(())
}

/// The request a link names, if it still works.
pub async fn find(state: &AppState, token: &str) -> Result<GuestRequest, GuestError> {
    let found = state
        .store
        .guest_request(&sha256_hex(token))
        .await
        .map_err(CoreError::from)?;
    match found {
        Some(r) if r.booking_id.is_some() || r.expires_at > state.svc.now() => Ok(r),
        _ => Err(GuestError::BadLink),
    }
}

/// Step 2: the guest confirms; the booking waits for an approver. A link
/// confirmed before answers the booking it made.
pub async fn confirm(
    state: &AppState,
    token: &str,
    ip: Option<String>,
) -> Result<Booking, GuestError> {
    let ip_key = format!("ip:{}", ip.as_deref().unwrap_or("-"));
    state
        .guest_limits
        .confirms
        .take(&ip_key, CONFIRMS_PER_IP_PER_HOUR)
        .map_err(GuestError::Limited)?;
    let r = find(state, token).await?;
    if let Some(id) = r.booking_id {
        return Ok(state.svc.get_booking(id).await?);
    }
    let req = BookingRequest {
        room_id: r.room_id,
        title: r.title.clone(),
        purpose: r.purpose.clone(),
        attendees: r.attendees,
        start: r.start,
        end: r.end,
    };
    let booking = state.svc.book_as_guest(&r.email, &r.name, ip, req).await?;
    if !state
        .store
        .confirm_guest_request(r.id, booking.id)
        .await
        .map_err(CoreError::from)?
    {
        // Confirmed twice at once: keep the first booking.
        state
            .svc
            .cancel(
                &booking_core::Actor::from(state.svc.get_user(booking.organizer_id).await?),
                booking.id,
                Some("confirmed twice".into()),
            )
            .await?;
        let first = find(state, token).await?.booking_id.unwrap_or(booking.id);
        return Ok(state.svc.get_booking(first).await?);
    }
    Ok(booking)
}

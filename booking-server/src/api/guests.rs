//! Requests from guests (no account): sent on a room's public request form
//! where its policy allows, confirmed by a link mailed to the guest, then
//! waiting for an approver. No credentials; rate limited.

use booking_core::RoomId;
use chrono::{DateTime, Utc};
use poem::Request;
use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::model::BookingOut;
use crate::auth::client_ip;
use crate::error::ApiResult;
use crate::guests::{self, GuestForm};
use crate::state::AppState;

pub struct GuestsApi;

/// A guest's request for a room.
#[derive(Debug, Object)]
pub struct GuestRequestIn {
    pub room_id: Uuid,
    /// The guest's name.
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: String,
    /// Where the confirmation link goes.
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: String,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(default, validator(max_length = 2000))]
    pub purpose: String,
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub attendees: u32,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// What happens next.
#[derive(Debug, Object)]
pub struct GuestRequestSent {
    pub message: String,
}

/// The link token from the confirmation message.
#[derive(Debug, Object)]
pub struct GuestConfirmIn {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub token: String,
}

#[derive(ApiResponse)]
pub enum Sent {
    /// Kept; a confirmation link was mailed to the address given.
    #[oai(status = 202)]
    Accepted(Json<GuestRequestSent>),
}

#[derive(ApiResponse)]
pub enum Confirmed {
    /// The request is a booking now, waiting for an approver.
    #[oai(status = 201)]
    Created(Json<BookingOut>),
}

#[OpenApi(tag = "ApiTags::Bookings")]
impl GuestsApi {
    /// Ask for a room without an account (where the room's policy allows
    /// guests). Nothing is booked until the link mailed to `email` is
    /// confirmed; the request is checked against the room's rules now.
    #[oai(path = "/guest-requests", method = "post")]
    async fn send(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<GuestRequestIn>,
    ) -> ApiResult<Sent> {
        let b = body.0;
        let form = GuestForm {
            room_id: RoomId(b.room_id),
            name: b.name,
            email: b.email,
            title: b.title,
            purpose: b.purpose,
            attendees: b.attendees,
            start: b.start,
            end: b.end,
        };
        guests::submit(&state, form, client_ip(req)).await?;
        Ok(Sent::Accepted(Json(GuestRequestSent {
            message: "Check your e-mail: confirm the request with the link we sent, and it goes \
                      to the room's approvers."
                .into(),
        })))
    }

    /// Confirm a guest request with the token of its link: it becomes a
    /// booking waiting for an approver (confirming again answers the same).
    #[oai(path = "/guest-requests/confirm", method = "post")]
    async fn confirm(
        &self,
        state: Data<&AppState>,
        req: &Request,
        body: Json<GuestConfirmIn>,
    ) -> ApiResult<Confirmed> {
        let b = guests::confirm(&state, &body.0.token, client_ip(req)).await?;
        Ok(Confirmed::Created(Json(b.into())))
    }
}

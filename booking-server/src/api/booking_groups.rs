//! Several rooms in one booking (a meeting split over two sites, a hall
//! plus a catering room): booked all or none, read and cancelled together.

use booking_core::{BookingId, GroupRequest, RoomId, RoomShare};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::model::{BookingOut, ReasonIn};
use crate::auth::BearerAuth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub struct BookingGroupsApi;

/// One of the rooms, and how many people meet there.
#[derive(Debug, Object)]
pub struct RoomShareIn {
    pub room_id: Uuid,
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub attendees: u32,
}

/// Several rooms for one meeting.
#[derive(Debug, Object)]
pub struct BookingGroupIn {
    /// Two to ten rooms, each named once.
    #[oai(validator(min_items = 2, max_items = 10))]
    pub rooms: Vec<RoomShareIn>,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub title: String,
    #[oai(default, validator(max_length = 2000))]
    pub purpose: String,
    /// RFC 3339 instant, e.g. 2026-12-01T09:00:00+01:00.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// Rooms booked together: one booking per room.
#[derive(Debug, Object)]
pub struct BookingGroupOut {
    /// The group's id (its first booking's).
    pub id: Uuid,
    pub bookings: Vec<BookingOut>,
}

#[derive(ApiResponse)]
pub enum GroupCreated {
    /// Every room is booked (each approved, or pending where its room needs
    /// approval).
    #[oai(status = 201)]
    Created(Json<BookingGroupOut>),
}

fn out(id: BookingId, list: Vec<booking_core::Booking>) -> BookingGroupOut {
    BookingGroupOut {
        id: id.0,
        bookings: list.into_iter().map(Into::into).collect(),
    }
}

#[OpenApi(tag = "ApiTags::Bookings")]
impl BookingGroupsApi {
    /// Book several rooms for one meeting — all or none. When rooms are
    /// taken nothing is booked and the 409 names every one (`taken`).
    #[oai(path = "/booking-groups", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<BookingGroupIn>,
    ) -> ApiResult<GroupCreated> {
        let b = body.0;
        let req = GroupRequest {
            rooms: b
                .rooms
                .iter()
                .map(|r| RoomShare {
                    room_id: RoomId(r.room_id),
                    attendees: r.attendees,
                })
                .collect(),
            title: b.title,
            purpose: b.purpose,
            start: b.start,
            end: b.end,
        };
        let group = state.svc.book_rooms(&auth.0.actor, req).await?;
        Ok(GroupCreated::Created(Json(out(group.id, group.bookings))))
    }

    /// The bookings of rooms booked together (their organizer, approvers of
    /// one of the rooms, procurement officers and super admins).
    #[oai(path = "/booking-groups/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<BookingGroupOut>> {
        let id = BookingId(id.0);
        let list = state.svc.booking_group(id).await?;
        if !list
            .iter()
            .any(|b| booking_core::rules::may_see_details(&auth.0.actor, b))
        {
            return Err(ApiError::forbidden(format!(
                "booking group {id} is not yours"
            )));
        }
        Ok(Json(out(id, list)))
    }

    /// Cancel every room of the group (its organizer; an approver cancels
    /// the rooms they manage).
    #[oai(path = "/booking-groups/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<ReasonIn>,
    ) -> ApiResult<Json<BookingGroupOut>> {
        let id = BookingId(id.0);
        let list = state.svc.booking_group(id).await?;
        let Some(first) = list.iter().find(|b| b.status.is_blocking()) else {
            return Ok(Json(out(id, list)));
        };
        state
            .svc
            .cancel(&auth.0.actor, first.id, body.0.reason)
            .await?;
        Ok(Json(out(id, state.svc.booking_group(id).await?)))
    }
}

//! Bookings: create, list mine, get, update, cancel, approve/reject, approval
//! queue, and "find a room".

use booking_core::availability::RoomQuery;
use booking_core::store::{BookingFilter, VersionScope};
use booking_core::{Booking, BookingChanges, BookingId, Role};
use chrono::{DateTime, Utc};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::cached::{CachedJson, Version};
use super::model::{BookingIn, BookingOut, BookingPatch, ReasonIn, RoomMatchOut, StatusDto};
use super::rooms::range;
use crate::auth::{BearerAuth, Session};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(ApiResponse)]
pub enum BookingCreated {
    /// Booked: `status` is approved, or pending where the room needs approval.
    #[oai(status = 201)]
    Created(Json<BookingOut>),
}

pub struct BookingsApi;

/// Organizer, approvers of the room, procurement officers and super_admins may see a booking.
fn may_see(session: &Session, b: &Booking) -> bool {
    booking_core::rules::may_see_details(&session.actor, b)
}

#[OpenApi(tag = "ApiTags::Bookings")]
impl BookingsApi {
    /// Book a room (for yourself, or `on_behalf_of` someone). 409 names the
    /// conflicting booking; 422 names the broken rule.
    #[oai(path = "/bookings", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<BookingIn>,
    ) -> ApiResult<BookingCreated> {
        let booking = match body.0.on_behalf_of {
            Some(person) => {
                state
                    .svc
                    .book_for(&auth.0.actor, booking_core::UserId(person), body.0.into())
                    .await?
            }
            None => state.svc.book(&auth.0.actor, body.0.into()).await?,
        };
        Ok(BookingCreated::Created(Json(booking.into())))
    }

    /// My bookings in a range (default: from yesterday, 31 days).
    #[oai(path = "/bookings/mine", method = "get")]
    async fn mine(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        /// Only these statuses (repeat the parameter).
        status: Query<Vec<StatusDto>>,
    ) -> ApiResult<Json<Vec<BookingOut>>> {
        let (from, to) = range(from.0, to.0, state.svc.now())?;
        let list = state
            .svc
            .list_bookings(&BookingFilter {
                organizer_id: Some(auth.0.actor.id),
                from: Some(from),
                to: Some(to),
                statuses: status.0.into_iter().map(Into::into).collect(),
                limit: Some(5000),
                ..BookingFilter::default()
            })
            .await?;
        Ok(Json(list.into_iter().map(Into::into).collect()))
    }

    /// Pending bookings of the rooms I may approve, oldest first.
    #[oai(path = "/approvals", method = "get")]
    async fn approvals(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<Vec<BookingOut>>> {
        auth.0
            .require_role(&[Role::SuperAdmin, Role::RoomAdmin], "approve bookings")?;
        let list = state.svc.approval_queue(&auth.0.actor).await?;
        Ok(Json(list.into_iter().map(Into::into).collect()))
    }

    /// One booking.
    #[oai(path = "/bookings/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<BookingOut>> {
        let b = state.svc.get_booking(BookingId(id.0)).await?;
        if !may_see(&auth.0, &b) {
            return Err(ApiError::forbidden(format!(
                "booking {} is not yours",
                id.0
            )));
        }
        Ok(Json(b.into()))
    }

    /// Change a booking; a move is re-checked by every rule.
    #[oai(path = "/bookings/:id", method = "patch")]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<BookingPatch>,
    ) -> ApiResult<Json<BookingOut>> {
        let p = body.0;
        let b = state
            .svc
            .update_booking(
                &auth.0.actor,
                BookingId(id.0),
                BookingChanges {
                    title: p.title,
                    purpose: p.purpose,
                    attendees: p.attendees,
                    start: p.start,
                    end: p.end,
                },
            )
            .await?;
        Ok(Json(b.into()))
    }

    /// Cancel a booking (its organizer, or an approver of the room).
    #[oai(path = "/bookings/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<ReasonIn>,
    ) -> ApiResult<Json<BookingOut>> {
        let b = state
            .svc
            .cancel(&auth.0.actor, BookingId(id.0), body.0.reason)
            .await?;
        Ok(Json(b.into()))
    }

    /// Approve a pending booking (super_admin, or a room_admin of the room).
    #[oai(path = "/bookings/:id/approve", method = "post")]
    async fn approve(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<ReasonIn>,
    ) -> ApiResult<Json<BookingOut>> {
        let b = state
            .svc
            .approve(&auth.0.actor, BookingId(id.0), body.0.reason)
            .await?;
        Ok(Json(b.into()))
    }

    /// Reject a pending booking with a reason the organizer sees.
    #[oai(path = "/bookings/:id/reject", method = "post")]
    async fn reject(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<ReasonIn>,
    ) -> ApiResult<Json<BookingOut>> {
        let b = state
            .svc
            .reject(&auth.0.actor, BookingId(id.0), body.0.reason)
            .await?;
        Ok(Json(b.into()))
    }

    /// Rooms free for a time range with enough seats and the wanted amenities,
    /// best fit (fewest spare seats) first.
    #[oai(path = "/find-room", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn find_room(
        &self,
        req: &Request,
        state: Data<&AppState>,
        auth: BearerAuth,
        start: Query<DateTime<Utc>>,
        end: Query<DateTime<Utc>>,
        /// Seats needed (default 1).
        #[oai(validator(maximum(value = "100000")))]
        capacity: Query<Option<u32>>,
        /// Required amenities (repeat the parameter).
        amenity: Query<Vec<String>>,
    ) -> ApiResult<CachedJson<Vec<RoomMatchOut>>> {
        let actor = &auth.0.actor;
        let query = RoomQuery {
            start: start.0,
            end: end.0,
            min_capacity: capacity.0.unwrap_or(1),
            amenities: amenity.0,
        };
        // Which rooms someone may book depends on their role and rooms; the
        // booking window and "not in the past" on the time.
        let key = format!(
            "find-room/{query:?}/{}/{}/{:?}",
            actor.id, actor.role, actor.assigned_rooms
        );
        let version = Version {
            stamp: state.store.change_stamp(VersionScope::All).await?,
            clock: state.svc.now().timestamp(),
        };
        let make = async {
            let found = state.svc.find_rooms(actor, &query).await?;
            Ok(found.into_iter().map(Into::into).collect())
        };
        state.reads.answer(req, key, version, make).await
    }
}

//! Rooms: list/filter, details, create/update/soft-delete/restore, policies,
//! amenities catalogue, availability and bookings of a room.

use std::collections::BTreeSet;

use booking_core::store::{BookingFilter, ChangeStamp, VersionScope};
use booking_core::{RoomListing, RoomPolicy, RoomSpec};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::cached::{CachedJson, Version, clock_for_day};
use super::model::{
    BookingOut, CategoryDto, PolicyDto, QuotaDto, RoomIn, RoomOut, SlotOut, room_id,
};
use crate::auth::BearerAuth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(ApiResponse)]
pub enum RoomCreated {
    /// The room was created.
    #[oai(status = 201)]
    Created(Json<RoomOut>),
}

/// Longest range a listing may cover.
pub const MAX_RANGE_DAYS: i64 = 366;

/// Resolve an optional `[from, to)` range: default the next 31 days.
pub fn range(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    let from = from.unwrap_or(now - Duration::days(1));
    let to = to.unwrap_or(from + Duration::days(31));
    if to <= from {
        return Err(ApiError::bad_request("`to` must be after `from`"));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(ApiError::bad_request(format!(
            "the range is limited to {MAX_RANGE_DAYS} days"
        )));
    }
    Ok((from, to))
}

pub struct RoomsApi;

#[OpenApi(tag = "ApiTags::Rooms")]
impl RoomsApi {
    /// List rooms, optionally filtered.
    #[oai(path = "/rooms", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        req: &Request,
        state: Data<&AppState>,
        auth: BearerAuth,
        /// Only rooms with at least this many seats.
        min_capacity: Query<Option<u32>>,
        /// Only rooms with every one of these amenities (repeat the parameter).
        amenity: Query<Vec<String>>,
        category: Query<Option<CategoryDto>>,
        floor: Query<Option<i32>>,
        /// Include soft-deleted rooms (room managers only see theirs).
        #[oai(default)]
        include_deleted: Query<bool>,
    ) -> ApiResult<CachedJson<Vec<RoomOut>>> {
        let actor = &auth.0.actor;
        let wanted: Vec<String> = amenity
            .0
            .iter()
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        // Deleted rooms are shown to those who manage them: then the answer
        // depends on who asks.
        let who = if include_deleted.0 {
            format!("{}/{}/{:?}", actor.id, actor.role, actor.assigned_rooms)
        } else {
            String::new()
        };
        let key = format!(
            "rooms?{:?}&{wanted:?}&{:?}&{:?}&{}&{who}",
            min_capacity.0, category.0, floor.0, include_deleted.0
        );
        let version = Version {
            stamp: ChangeStamp {
                writes: 0,
                room_writes: state.store.room_writes().await?,
            },
            clock: 0,
        };
        let make = async {
            let rooms = state
                .svc
                .list_rooms(booking_core::RoomListing::from_include_deleted(
                    include_deleted.0,
                ))
                .await?;
            Ok(rooms
                .into_iter()
                .filter(|r| r.deleted_at.is_none() || actor.manages_room(r.id))
                .filter(|r| min_capacity.0.is_none_or(|c| r.capacity >= c))
                .filter(|r| category.0.is_none_or(|c| r.category == c.into()))
                .filter(|r| floor.0.is_none_or(|f| r.floor == Some(f)))
                .filter(|r| r.has_amenities(&wanted))
                .map(Into::into)
                .collect())
        };
        state.reads.answer(req, key, version, make).await
    }

    /// Create a room (super_admin).
    #[oai(path = "/rooms", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<RoomIn>,
    ) -> ApiResult<RoomCreated> {
        let spec = body.0.into_spec(None)?;
        let room = state.svc.create_room(&auth.0.actor, spec).await?;
        Ok(RoomCreated::Created(Json(room.into())))
    }

    /// One room.
    #[oai(path = "/rooms/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<RoomOut>> {
        let room = state.svc.get_room(room_id(id.0)).await?;
        if room.deleted_at.is_some() && !auth.0.actor.manages_room(room.id) {
            return Err(ApiError::not_found(format!("room {} not found", id.0)));
        }
        Ok(Json(room.into()))
    }

    /// Replace a room's fields (super_admin, or its room_admin). Without
    /// `policy` the current policy is kept.
    #[oai(path = "/rooms/:id", method = "put")]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<RoomIn>,
    ) -> ApiResult<Json<RoomOut>> {
        let current = state.svc.get_room(room_id(id.0)).await?;
        let spec = body.0.into_spec(Some(current.policy))?;
        let room = state
            .svc
            .update_room(&auth.0.actor, room_id(id.0), spec)
            .await?;
        Ok(Json(room.into()))
    }

    /// Soft-delete a room; its bookings stay, new ones are refused.
    #[oai(path = "/rooms/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<RoomOut>> {
        let room = state.svc.delete_room(&auth.0.actor, room_id(id.0)).await?;
        Ok(Json(room.into()))
    }

    /// Restore a soft-deleted room.
    #[oai(path = "/rooms/:id/restore", method = "post")]
    async fn restore(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<RoomOut>> {
        let room = state.svc.restore_room(&auth.0.actor, room_id(id.0)).await?;
        Ok(Json(room.into()))
    }

    /// A room's booking policy.
    #[oai(path = "/rooms/:id/policy", method = "get")]
    async fn get_policy(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<PolicyDto>> {
        Ok(Json(state.svc.get_room(room_id(id.0)).await?.policy.into()))
    }

    /// Replace a room's booking policy (super_admin, or its room_admin).
    #[oai(path = "/rooms/:id/policy", method = "put")]
    async fn put_policy(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<PolicyDto>,
    ) -> ApiResult<Json<PolicyDto>> {
        let room = state.svc.get_room(room_id(id.0)).await?;
        let policy: RoomPolicy = body.0.try_into()?;
        let spec = RoomSpec {
            name: room.name,
            category: room.category,
            capacity: room.capacity,
            floor: room.floor,
            location: room.location,
            amenities: room.amenities,
            time_zone: room.time_zone.name().to_string(),
            active: room.active,
            policy,
        };
        let room = state
            .svc
            .update_room(&auth.0.actor, room_id(id.0), spec)
            .await?;
        Ok(Json(room.policy.into()))
    }

    /// Every amenity some live room has.
    #[oai(path = "/amenities", method = "get")]
    async fn amenities(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
    ) -> ApiResult<Json<Vec<String>>> {
        let rooms = state.svc.list_rooms(RoomListing::Current).await?;
        let all: BTreeSet<String> = rooms.into_iter().flat_map(|r| r.amenities).collect();
        Ok(Json(all.into_iter().collect()))
    }

    /// Quotas every user has across all rooms (`BOOKING_GLOBAL_QUOTAS`), on
    /// top of each room's own (its policy's `quotas`).
    #[oai(path = "/quotas", method = "get")]
    async fn global_quotas(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
    ) -> ApiResult<Json<Vec<QuotaDto>>> {
        Ok(Json(
            state
                .svc
                .global_quotas()
                .iter()
                .cloned()
                .map(Into::into)
                .collect(),
        ))
    }

    /// Free slots of a room on a date (in the room's time zone).
    #[oai(path = "/rooms/:id/availability", method = "get")]
    async fn availability(
        &self,
        req: &Request,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<Uuid>,
        /// Local date in the room's zone, e.g. 2026-12-01.
        date: Query<NaiveDate>,
    ) -> ApiResult<CachedJson<Vec<SlotOut>>> {
        let room = room_id(id.0);
        // A divisible room's slots change with its linked rooms' bookings too.
        let scope = if state.svc.room_links().await?.sharing(room).is_empty() {
            VersionScope::Room(room)
        } else {
            VersionScope::All
        };
        let version = Version {
            stamp: state.store.change_stamp(scope).await?,
            clock: clock_for_day(state.svc.now(), date.0),
        };
        let make = async {
            let slots = state.svc.free_slots(room, date.0).await?;
            Ok(slots.into_iter().map(Into::into).collect())
        };
        let key = format!("availability/{}/{}", id.0, date.0);
        state.reads.answer(req, key, version, make).await
    }

    /// Bookings of a room in a range (default: from yesterday, 31 days).
    #[oai(path = "/rooms/:id/bookings", method = "get")]
    async fn bookings(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
    ) -> ApiResult<Json<Vec<BookingOut>>> {
        let room = state.svc.get_room(room_id(id.0)).await?;
        let (from, to) = range(from.0, to.0, state.svc.now())?;
        let list = state
            .svc
            .list_bookings(&BookingFilter {
                room_id: Some(room.id),
                from: Some(from),
                to: Some(to),
                limit: Some(5000),
                ..BookingFilter::default()
            })
            .await?;
        // Others' bookings as busy blocks, masked as the room's feeds mask them.
        let viewer = &auth.0.actor.user;
        Ok(Json(
            list.into_iter()
                .map(|b| booking_core::rules::as_seen_by(viewer, &room, b).into())
                .collect(),
        ))
    }
}

//! Linked (divisible) rooms: which parts a combined room is made of. Booking
//! the hall holds every part; booking a part holds the hall.

use booking_core::RoomId;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::model::room_id;
use crate::auth::BearerAuth;
use crate::error::ApiResult;
use crate::state::AppState;

pub struct RoomPartsApi;

/// How a room is linked to others.
#[derive(Debug, Object)]
pub struct RoomPartsOut {
    /// The rooms this one is made of (empty: it is not divisible).
    pub parts: Vec<Uuid>,
    /// The combined rooms this one is a part of.
    pub part_of: Vec<Uuid>,
}

/// The parts a room is made of.
#[derive(Debug, Object)]
pub struct RoomPartsIn {
    /// At least two rooms that are not combined themselves; an empty list
    /// makes the room one on its own again.
    #[oai(validator(max_items = 16))]
    pub parts: Vec<Uuid>,
}

async fn parts_out(state: &AppState, id: RoomId) -> ApiResult<RoomPartsOut> {
    let links = state.svc.room_links().await?;
    Ok(RoomPartsOut {
        parts: links.parts_of(id).into_iter().map(|r| r.0).collect(),
        part_of: links.combined_of(id).into_iter().map(|r| r.0).collect(),
    })
}

#[OpenApi(tag = "ApiTags::Rooms")]
impl RoomPartsApi {
    /// The parts a room is made of, and the rooms it is a part of.
    #[oai(path = "/rooms/:id/parts", method = "get")]
    async fn get_parts(
        &self,
        state: Data<&AppState>,
        _auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<RoomPartsOut>> {
        let id = room_id(id.0);
        state.svc.get_room(id).await?;
        Ok(Json(parts_out(&state, id).await?))
    }

    /// Make a room of parts (a hall that splits into A and B), or unlink it
    /// with an empty list. Refused with 409 while current bookings of the
    /// rooms would overlap. For whoever manages the room and every part;
    /// audited as `room.link`.
    #[oai(path = "/rooms/:id/parts", method = "put")]
    async fn put_parts(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<RoomPartsIn>,
    ) -> ApiResult<Json<RoomPartsOut>> {
        let id = room_id(id.0);
        let parts: Vec<RoomId> = body.0.parts.into_iter().map(room_id).collect();
        state.svc.set_room_parts(&auth.0.actor, id, &parts).await?;
        Ok(Json(parts_out(&state, id).await?))
    }
}

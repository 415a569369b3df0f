//! Resources an assistant may read: the room list and my bookings, as the
//! API's JSON.

use booking_core::store::BookingFilter;
use chrono::Duration;
use poem_openapi::types::ToJSON;
use serde_json::{Value, json};

use super::RpcError;
use crate::api::model::{BookingOut, RoomOut};
use crate::auth::Session;
use crate::state::AppState;

const ROOMS: &str = "booking://rooms";
const MINE: &str = "booking://bookings/mine";

pub fn catalog() -> Vec<Value> {
    vec![
        json!({"uri": ROOMS, "name": "rooms", "title": "Rooms",
               "description": "Every room that can be booked: capacity, floor, amenities, time zone.",
               "mimeType": "application/json"}),
        json!({"uri": MINE, "name": "my-bookings", "title": "My bookings",
               "description": "My bookings from yesterday to 31 days ahead.",
               "mimeType": "application/json"}),
    ]
}

/// `resources/read`.
pub async fn read(state: &AppState, session: &Session, params: &Value) -> Result<Value, RpcError> {
    let uri = params
        .get("uri")
        .and_then(Value::as_str)
        .ok_or_else(|| RpcError::params("resources/read needs a uri"))?;
    let failed = |e: booking_core::CoreError| RpcError {
        code: -32603,
        message: e.to_string(),
    };
    let body: Vec<Value> = match uri {
        ROOMS => state
            .svc
            .list_rooms(booking_core::RoomListing::Current)
            .await
            .map_err(failed)?
            .into_iter()
            .filter_map(|r| RoomOut::from(r).to_json())
            .collect(),
        MINE => {
            let now = state.svc.now();
            state
                .svc
                .list_bookings(&BookingFilter {
                    organizer_id: Some(session.actor.id),
                    from: Some(now - Duration::days(1)),
                    to: Some(now + Duration::days(31)),
                    limit: Some(500),
                    ..BookingFilter::default()
                })
                .await
                .map_err(failed)?
                .into_iter()
                .filter_map(|b| BookingOut::from(b).to_json())
                .collect()
        }
        other => {
            // -32002: resource not found (the MCP specification's code).
            return Err(RpcError {
                code: -32002,
                message: format!("no resource {other:?}"),
            });
        }
    };
    Ok(json!({"contents": [{
        "uri": uri,
        "mimeType": "application/json",
        "text": Value::Array(body).to_string(),
    }]}))
}

//! What a delivery carries: one JSON shape for every kind, with the booking
//! (or order) as the API returns it, masked as the endpoint's owner may see
//! it. The same types describe the webhook in the OpenAPI document.

use booking_core::procurement::{ORDER_EVENT, Order};
use booking_core::store::StoredEvent;
use booking_core::{Booking, Room, User};
use chrono::{DateTime, Utc};
use poem_openapi::types::ToJSON;
use poem_openapi::{Object, Webhook, payload::Json};

use crate::api::model::BookingOut;
use crate::api::procurement::OrderOut;
use crate::tables::Endpoint;

/// The body of every webhook delivery (Standard Webhooks' `type`,
/// `timestamp`, `data`).
#[derive(Debug, Object)]
pub struct WebhookPayload {
    /// `booking.created`, `booking.updated`, `booking.approved`,
    /// `booking.rejected`, `booking.cancelled`, `booking.checked_in`,
    /// `booking.no_show_released`, `booking.waitlist_booked` or
    /// `order.changed`.
    #[oai(rename = "type")]
    pub kind: String,
    /// When the change happened.
    pub timestamp: DateTime<Utc>,
    pub data: WebhookData,
}

/// What changed.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct WebhookData {
    /// The event's id: grows with every change, the same on every endpoint.
    pub event_id: i64,
    /// The event kind an endpoint subscribes to (`created`, …, `order_changed`).
    pub kind: String,
    pub booking_id: uuid::Uuid,
    pub room_id: uuid::Uuid,
    /// The booking as `GET /bookings/{id}` returns it (for booking events).
    pub booking: Option<BookingOut>,
    /// The order as the procurement API returns it (for `order_changed`).
    pub order: Option<OrderOut>,
}

/// What receivers are sent, for the OpenAPI document's `webhooks`.
#[Webhook]
#[allow(dead_code)]
pub trait BookingWebhooks {
    /// A booking or order changed. Headers `webhook-id` (the same on every
    /// retry), `webhook-timestamp` (Unix seconds) and `webhook-signature`
    /// (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` with the endpoint's
    /// `whsec_` secret; two signatures while a rotated secret overlaps).
    /// Answer 2xx within the timeout; anything else is retried with back-off.
    #[oai(name = "booking-event", method = "post")]
    fn booking_event(&self, body: Json<WebhookPayload>);
}

/// Whether `e` wants `ev`: its kinds and room.
pub fn wants(e: &Endpoint, ev: &StoredEvent) -> bool {
    (e.kinds.is_empty() || e.kinds.contains(&ev.kind)) && e.room_id.is_none_or(|r| r == ev.room_id)
}

/// The body for `owner`'s endpoint, or `None` when the owner may not see
/// this room's events at all (or the event cannot be read).
pub fn body(owner: &User, room: &Room, ev: &StoredEvent) -> Option<String> {
    if !(owner.role == booking_core::Role::SuperAdmin || owner.manages_room(room.id)) {
        return None;
    }
    let (kind, booking, order) = if ev.kind == ORDER_EVENT {
        let o: Order = serde_json::from_value(ev.payload.clone()).ok()?;
        ("order.changed".to_string(), None, Some(OrderOut::from(o)))
    } else {
        let b: Booking = serde_json::from_value(ev.payload.clone()).ok()?;
        let b = booking_core::rules::as_seen_by(owner, room, b);
        (
            format!("booking.{}", ev.kind),
            Some(BookingOut::from(b)),
            None,
        )
    };
    let p = WebhookPayload {
        kind,
        timestamp: ev.at,
        data: WebhookData {
            event_id: ev.id,
            kind: ev.kind.clone(),
            booking_id: ev.booking_id.0,
            room_id: ev.room_id.0,
            booking,
            order,
        },
    };
    p.to_json().map(|v| v.to_string())
}

//! Webhook endpoints and their delivery log (super admins; room admins for
//! the rooms they manage). What receivers get is the `booking-event`
//! webhook of the OpenAPI document.

use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::ApiTags;
use crate::auth::BearerAuth;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::tables::{Delivery, Endpoint};
use crate::webhooks::{self, EndpointSpec};

pub struct WebhooksApi;

/// An endpoint to register or change.
#[derive(Debug, Object)]
pub struct EndpointIn {
    /// Where deliveries are POSTed (http or https; private addresses are
    /// refused unless the operator allows them).
    pub url: String,
    #[oai(default)]
    pub description: String,
    /// Event kinds to deliver: created, updated, approved, rejected,
    /// cancelled, checked_in, no_show_released, waitlist_booked,
    /// order_changed. Empty or absent: all of them.
    #[oai(default)]
    pub kinds: Vec<String>,
    /// Only this room's events (required for room admins).
    pub room_id: Option<Uuid>,
}

impl From<EndpointIn> for EndpointSpec {
    fn from(e: EndpointIn) -> Self {
        Self {
            url: e.url,
            description: e.description,
            kinds: e.kinds,
            room_id: e.room_id.map(booking_core::RoomId),
        }
    }
}

/// A registered endpoint.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EndpointOut {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub url: String,
    pub description: String,
    /// Empty: every kind.
    pub kinds: Vec<String>,
    pub room_id: Option<Uuid>,
    /// The signing secret (`whsec_…`), for verifying `webhook-signature`.
    pub secret: String,
    /// A rotated-out secret that still signs (a second signature) until then.
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    /// Failed attempts in a row.
    pub failures: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Endpoint> for EndpointOut {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id,
            owner_id: e.owner_id.0,
            url: e.url,
            description: e.description,
            kinds: e.kinds,
            room_id: e.room_id.map(|r| r.0),
            secret: e.secret.expose_secret().to_string(),
            previous_secret_until: e.previous_until.filter(|_| e.previous_secret.is_some()),
            enabled: e.enabled,
            disabled_reason: e.disabled_reason,
            failures: e.failures,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// One delivery and its latest attempt.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct DeliveryOut {
    pub id: i64,
    /// The `webhook-id` header, the same on every attempt.
    pub message_id: String,
    pub event_id: i64,
    pub kind: String,
    pub booking_id: Uuid,
    /// pending, delivered or failed (every attempt used up).
    pub state: String,
    pub attempts: u32,
    /// When it will be tried next (pending).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's HTTP status at the latest attempt.
    pub last_status: Option<u16>,
    pub last_latency_ms: Option<i64>,
    /// The start of the receiver's answer.
    pub last_response: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The body sent.
    pub body: String,
}

impl From<Delivery> for DeliveryOut {
    fn from(d: Delivery) -> Self {
        let pending = d.state == crate::tables::DeliveryState::Pending;
        Self {
            id: d.id,
            message_id: d.new.message_id,
            event_id: d.new.event_id,
            kind: d.new.kind,
            booking_id: d.new.booking_id.0,
            state: d.state.as_str().into(),
            attempts: d.attempts,
            next_attempt_at: pending.then_some(d.next_attempt_at),
            last_status: d.last.status,
            last_latency_ms: d.last.latency_ms,
            last_response: d.last.response,
            last_error: d.last.error,
            created_at: d.created_at,
            finished_at: d.finished_at,
            body: d.new.body,
        }
    }
}

/// How long the old secret keeps signing.
#[derive(Debug, Object)]
pub struct RotateIn {
    /// Hours (0–168, default 24).
    pub overlap_hours: Option<u32>,
}

#[derive(ApiResponse)]
pub enum Created {
    /// Registered: deliveries start with the next change.
    #[oai(status = 201)]
    Created(Json<EndpointOut>),
}

#[derive(ApiResponse)]
pub enum Deleted {
    /// Deleted, with its delivery log.
    #[oai(status = 204)]
    Done,
}

#[OpenApi(tag = "ApiTags::Webhooks")]
impl WebhooksApi {
    /// Endpoints I may manage (every one for super admins).
    #[oai(path = "/webhooks", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<Vec<EndpointOut>>> {
        let list = webhooks::list(&state, &auth.0.actor).await?;
        Ok(Json(list.into_iter().map(Into::into).collect()))
    }

    /// Register an endpoint; the answer carries its signing secret.
    #[oai(path = "/webhooks", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<EndpointIn>,
    ) -> ApiResult<Created> {
        let e = webhooks::create(&state, &auth.0.actor, &body.0.into()).await?;
        Ok(Created::Created(Json(e.into())))
    }

    #[oai(path = "/webhooks/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<EndpointOut>> {
        Ok(Json(
            webhooks::get(&state, &auth.0.actor, id.0).await?.into(),
        ))
    }

    /// Change an endpoint's URL, description, kinds and room.
    #[oai(path = "/webhooks/:id", method = "put")]
    async fn update(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<EndpointIn>,
    ) -> ApiResult<Json<EndpointOut>> {
        let e = webhooks::update(&state, &auth.0.actor, id.0, &body.0.into()).await?;
        Ok(Json(e.into()))
    }

    #[oai(path = "/webhooks/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Deleted> {
        webhooks::delete(&state, &auth.0.actor, id.0).await?;
        Ok(Deleted::Done)
    }

    /// Enable an endpoint: its failure count starts again and waiting
    /// deliveries go out.
    #[oai(path = "/webhooks/:id/enable", method = "post")]
    async fn enable(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<EndpointOut>> {
        let e = webhooks::set_enabled(&state, &auth.0.actor, id.0, true).await?;
        state.webhooks.notify_one();
        Ok(Json(e.into()))
    }

    /// Disable an endpoint: nothing is sent to it until it is enabled.
    #[oai(path = "/webhooks/:id/disable", method = "post")]
    async fn disable(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<EndpointOut>> {
        let e = webhooks::set_enabled(&state, &auth.0.actor, id.0, false).await?;
        Ok(Json(e.into()))
    }

    /// A new signing secret; the old one adds a second signature for
    /// `overlap_hours` so receivers can switch without missing a delivery.
    #[oai(path = "/webhooks/:id/rotate-secret", method = "post")]
    async fn rotate(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<RotateIn>,
    ) -> ApiResult<Json<EndpointOut>> {
        let hours = body
            .0
            .overlap_hours
            .unwrap_or(webhooks::DEFAULT_OVERLAP_HOURS);
        let e = webhooks::rotate_secret(&state, &auth.0.actor, id.0, hours).await?;
        Ok(Json(e.into()))
    }

    /// The delivery log, newest first (`before`: a delivery id, to page).
    #[oai(path = "/webhooks/:id/deliveries", method = "get")]
    async fn deliveries(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        before: Query<Option<i64>>,
        /// 1–200, default 50.
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<Vec<DeliveryOut>>> {
        let list =
            webhooks::deliveries(&state, &auth.0.actor, id.0, before.0, limit.0.unwrap_or(50))
                .await?;
        Ok(Json(list.into_iter().map(Into::into).collect()))
    }

    /// Send a delivered or failed delivery again (same `webhook-id` and body).
    #[oai(path = "/webhooks/:id/deliveries/:delivery/redeliver", method = "post")]
    async fn redeliver(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        delivery: Path<i64>,
    ) -> ApiResult<Json<DeliveryOut>> {
        let d = webhooks::redeliver(&state, &auth.0.actor, id.0, delivery.0).await?;
        Ok(Json(d.into()))
    }
}

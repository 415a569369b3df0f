//! Webhooks: admins register endpoints; every booking change (whichever
//! door it came through) and every order change is fanned out from the
//! events table — the same durable outbox as live updates and mail — into
//! one delivery per endpoint, signed the Standard Webhooks way and sent at
//! least once, in order per booking, with retries and back-off. An endpoint
//! that keeps failing is disabled and its owner told by mail.
//!
//! Registering, changing, rotating, enabling, deleting and redelivering are
//! audited (`webhook.*`), like every other change.

pub mod guard;
pub mod payload;
pub mod sign;
pub mod worker;

use booking_core::{Actor, CoreError, InputError, Role, RoomId};
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use uuid::Uuid;

use crate::state::AppState;
use crate::tables::{Delivery, Endpoint};

/// Every event kind an endpoint can ask for.
pub const KINDS: &[&str] = &[
    "created",
    "updated",
    "approved",
    "rejected",
    "cancelled",
    "checked_in",
    "no_show_released",
    "waitlist_booked",
    booking_core::procurement::ORDER_EVENT,
];

/// How long a rotated-out secret keeps signing unless told otherwise.
pub const DEFAULT_OVERLAP_HOURS: u32 = 24;

/// What an admin says about an endpoint.
#[derive(Debug, Clone, Default)]
pub struct EndpointSpec {
    pub url: String,
    pub description: String,
    /// Empty: every kind.
    pub kinds: Vec<String>,
    pub room_id: Option<RoomId>,
}

fn invalid(field: &'static str, reason: impl Into<String>) -> CoreError {
    InputError::Invalid {
        field,
        reason: reason.into(),
    }
    .into()
}

/// Super admins manage every endpoint; room admins their own, for a room
/// they manage.
fn may_manage(actor: &Actor, e: Option<&Endpoint>) -> Result<(), CoreError> {
    match actor.role {
        Role::SuperAdmin => Ok(()),
        Role::RoomAdmin if e.is_none_or(|e| e.owner_id == actor.id) => Ok(()),
        _ => Err(CoreError::Forbidden(
            "only super admins, and room admins for their rooms, manage webhooks".into(),
        )),
    }
}

async fn check_spec(
    state: &AppState,
    actor: &Actor,
    spec: &EndpointSpec,
) -> Result<EndpointSpec, CoreError> {
    let url = spec.url.trim();
    guard::check_url(url, &state.config.webhooks.deny_list()).map_err(|r| invalid("url", r))?;
    let description = spec.description.trim();
    if description.chars().count() > 200 {
        return Err(invalid("description", "at most 200 characters"));
    }
    booking_core::refuse_control_characters("description", description)?;
    let mut kinds = Vec::new();
    for k in &spec.kinds {
        let k = k.trim();
        if !KINDS.contains(&k) {
            return Err(invalid(
                "kinds",
                format!("{k:?} is not one of {}", KINDS.join(", ")),
            ));
        }
        if !kinds.iter().any(|have| have == k) {
            kinds.push(k.to_string());
        }
    }
    if let Some(room) = spec.room_id {
        state.svc.get_room(room).await?;
    }
    if actor.role == Role::RoomAdmin && !spec.room_id.is_some_and(|r| actor.manages_room(r)) {
        return Err(invalid(
            "room_id",
            "room admins register webhooks for one of the rooms they manage",
        ));
    }
    Ok(EndpointSpec {
        url: url.to_string(),
        description: description.to_string(),
        kinds,
        room_id: spec.room_id,
    })
}

async fn audit(
    state: &AppState,
    actor: Option<&Actor>,
    action: &str,
    id: Uuid,
    detail: serde_json::Value,
) -> Result<(), CoreError> {
    state
        .svc
        .audit(
            actor,
            action,
            "webhook",
            Some(id.to_string()),
            None,
            Some(detail),
        )
        .await
}

/// What the audit log keeps of an endpoint (never its secret).
fn summary(e: &Endpoint) -> serde_json::Value {
    serde_json::json!({
        "url": e.url, "kinds": e.kinds, "room_id": e.room_id, "enabled": e.enabled,
        "description": e.description,
    })
}

/// Register an endpoint; its secret is returned here and readable later by
/// whoever may manage it. Audited as `webhook.create`.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    spec: &EndpointSpec,
) -> Result<Endpoint, CoreError> {
    may_manage(actor, None)?;
    let spec = check_spec(state, actor, spec).await?;
    let now = state.svc.now();
    let e = Endpoint {
        id: Uuid::new_v4(),
        owner_id: actor.id,
        url: spec.url,
        description: spec.description,
        kinds: spec.kinds,
        room_id: spec.room_id,
        secret: SecretString::from(sign::new_secret()),
        previous_secret: None,
        previous_until: None,
        enabled: true,
        disabled_reason: None,
        failures: 0,
        created_at: now,
        updated_at: now,
    };
    state.store.insert_endpoint(&e).await?;
    audit(state, Some(actor), "webhook.create", e.id, summary(&e)).await?;
    Ok(e)
}

/// An endpoint the actor may manage.
pub async fn get(state: &AppState, actor: &Actor, id: Uuid) -> Result<Endpoint, CoreError> {
    let e = state
        .store
        .get_endpoint(id)
        .await?
        .ok_or_else(|| CoreError::not_found("webhook", id))?;
    may_manage(actor, Some(&e))?;
    Ok(e)
}

/// The endpoints the actor may manage.
pub async fn list(state: &AppState, actor: &Actor) -> Result<Vec<Endpoint>, CoreError> {
    may_manage(actor, None)?;
    let owner = (actor.role != Role::SuperAdmin).then_some(actor.id);
    Ok(state.store.list_endpoints(owner).await?)
}

async fn save(
    state: &AppState,
    actor: &Actor,
    action: &str,
    e: Endpoint,
) -> Result<Endpoint, CoreError> {
    if !state.store.update_endpoint(&e).await? {
        return Err(CoreError::not_found("webhook", e.id));
    }
    audit(state, Some(actor), action, e.id, summary(&e)).await?;
    Ok(e)
}

/// Change an endpoint's URL, description, kinds and room. Audited as
/// `webhook.update`.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    spec: &EndpointSpec,
) -> Result<Endpoint, CoreError> {
    let before = get(state, actor, id).await?;
    let spec = check_spec(state, actor, spec).await?;
    let e = Endpoint {
        url: spec.url,
        description: spec.description,
        kinds: spec.kinds,
        room_id: spec.room_id,
        updated_at: state.svc.now(),
        ..before
    };
    save(state, actor, "webhook.update", e).await
}

/// Enable (failures forgotten, waiting deliveries resume) or disable.
/// Audited as `webhook.enable` / `webhook.disable`.
pub async fn set_enabled(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    enabled: bool,
) -> Result<Endpoint, CoreError> {
    let before = get(state, actor, id).await?;
    let e = Endpoint {
        enabled,
        failures: 0,
        disabled_reason: (!enabled).then(|| format!("disabled by {}", actor.email)),
        updated_at: state.svc.now(),
        ..before
    };
    let action = if enabled {
        "webhook.enable"
    } else {
        "webhook.disable"
    };
    save(state, actor, action, e).await
}

/// A new secret; the old one keeps signing (a second signature) for
/// `overlap_hours`, so receivers can switch without losing a delivery.
/// Audited as `webhook.rotate_secret`.
pub async fn rotate_secret(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    overlap_hours: u32,
) -> Result<Endpoint, CoreError> {
    if overlap_hours > 24 * 7 {
        return Err(invalid("overlap_hours", "at most 168 (a week)"));
    }
    let before = get(state, actor, id).await?;
    let now = state.svc.now();
    let e = Endpoint {
        previous_until: (overlap_hours > 0).then(|| now + Duration::hours(overlap_hours.into())),
        previous_secret: (overlap_hours > 0).then(|| before.secret.clone()),
        secret: SecretString::from(sign::new_secret()),
        updated_at: now,
        ..before
    };
    save(state, actor, "webhook.rotate_secret", e).await
}

/// Delete an endpoint and its delivery log. Audited as `webhook.delete`.
pub async fn delete(state: &AppState, actor: &Actor, id: Uuid) -> Result<(), CoreError> {
    let e = get(state, actor, id).await?;
    state.store.delete_endpoint(id).await?;
    audit(state, Some(actor), "webhook.delete", id, summary(&e)).await
}

/// An endpoint's deliveries, newest first.
pub async fn deliveries(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<Delivery>, CoreError> {
    get(state, actor, id).await?;
    Ok(state
        .store
        .list_deliveries(id, before, limit.clamp(1, 200))
        .await?)
}

/// Send a finished delivery again (same id and body, a fresh signature).
/// Audited as `webhook.redeliver`.
pub async fn redeliver(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    delivery: i64,
) -> Result<Delivery, CoreError> {
    get(state, actor, id).await?;
    let d = state
        .store
        .get_delivery(delivery)
        .await?
        .filter(|d| d.new.endpoint_id == id)
        .ok_or_else(|| CoreError::not_found("delivery", delivery))?;
    if !state.store.redeliver(delivery, state.svc.now()).await? {
        return Err(CoreError::WrongState(
            "this delivery is still pending; it will be retried".into(),
        ));
    }
    audit(
        state,
        Some(actor),
        "webhook.redeliver",
        id,
        serde_json::json!({"delivery": delivery, "message_id": d.new.message_id}),
    )
    .await?;
    state.webhooks.notify_one();
    Ok(state.store.get_delivery(delivery).await?.unwrap_or(d))
}

/// The secrets that sign now: the current one, and a rotated-out one
/// still in its overlap.
pub fn signing_keys(e: &Endpoint, now: DateTime<Utc>) -> Vec<Vec<u8>> {
    use secrecy::ExposeSecret;
    let mut keys: Vec<Vec<u8>> = sign::key_of(e.secret.expose_secret()).into_iter().collect();
    if let (Some(prev), Some(until)) = (&e.previous_secret, e.previous_until)
        && until > now
        && let Some(k) = sign::key_of(prev.expose_secret())
    {
        keys.push(k);
    }
    keys
}

//! Door displays: room admins make a token for a tablet at a room's door; the
//! token shows that room's day, books it on the spot and checks people in —
//! nothing else. Only the token's SHA-256 is stored; revoking is immediate.
//! Walk-up bookings belong to a door account made with the token (no
//! password, so nobody signs in as it).

use booking_core::{Actor, CoreError, RoomId};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::state::AppState;
use crate::tables::DisplayGrant;

fn sha256_hex(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn may_manage(actor: &Actor, room: RoomId) -> Result<(), CoreError> {
    if actor.manages_room(room) {
        Ok(())
    } else {
        Err(CoreError::Forbidden(
            "only the room's admins and super admins manage its door displays".into(),
        ))
    }
}

/// A new token for a display at `room`'s door: the grant and the secret,
/// which is shown once. Audited as `display.create`.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    room: RoomId,
    label: &str,
) -> Result<(DisplayGrant, String), CoreError> {
    may_manage(actor, room)?;
    let room = state.svc.get_room(room).await?;
    let label = label.trim();
    let label = if label.is_empty() {
        "Door display"
    } else {
        label
    };
    if label.chars().count() > 100 {
        return Err(booking_core::InputError::Invalid {
            field: "label",
            reason: "at most 100 characters".into(),
        }
        .into());
    }
    let id = Uuid::new_v4();
    let door = state
        .svc
        .create_user_via(
            "display",
            &format!("door-{id}@displays.invalid"),
            &format!("{} door display", room.name),
            booking_core::Role::User,
            None,
        )
        .await?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let grant = DisplayGrant {
        id,
        room_id: room.id,
        door_user: door.id,
        label: label.to_string(),
        created_by: actor.id,
        created_at: state.svc.now(),
        revoked_at: None,
    };
    state
        .store
        .insert_display(&grant, &sha256_hex(&token))
        .await?;
    state
        .svc
        .audit(
            Some(actor),
            "display.create",
            "display",
            Some(id.to_string()),
            None,
            Some(serde_json::json!({"room_id": room.id, "label": label, "door_user": door.id})),
        )
        .await?;
    Ok((grant, token))
}

/// Revoke a display token: its page stops working at once. Audited as
/// `display.revoke`.
pub async fn revoke(state: &AppState, actor: &Actor, id: Uuid) -> Result<DisplayGrant, CoreError> {
    let grant = state
        .store
        .get_display(id)
        .await?
        .ok_or_else(|| CoreError::not_found("display", id))?;
    may_manage(actor, grant.room_id)?;
    let at = state.svc.now();
    if !state.store.revoke_display(id, at).await? {
        return Err(CoreError::WrongState(
            "this display token is already revoked".into(),
        ));
    }
    state
        .svc
        .audit(
            Some(actor),
            "display.revoke",
            "display",
            Some(id.to_string()),
            None,
            Some(serde_json::json!({"room_id": grant.room_id, "revoked_at": at})),
        )
        .await?;
    Ok(DisplayGrant {
        revoked_at: Some(at),
        ..grant
    })
}

/// The door account a live token for `room` acts as, or `None` (unknown,
/// revoked, another room's).
pub async fn door(state: &AppState, room: RoomId, token: &str) -> Result<Option<Actor>, CoreError> {
    if token.len() != 64 {
        return Ok(None);
    }
    let Some(grant) = state.store.display_by_token(&sha256_hex(token)).await? else {
        return Ok(None);
    };
    if grant.revoked_at.is_some() || grant.room_id != room {
        return Ok(None);
    }
    Ok(Some(Actor::from(
        state.svc.get_user(grant.door_user).await?,
    )))
}

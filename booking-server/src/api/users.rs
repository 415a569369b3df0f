//! User administration and the audit log (super_admin).

use booking_core::store::AuditFilter;
use booking_core::{AccountState, Role, User, UserId};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::accounts::{UserCreated, hash_blocking};
use super::model::{AuditOut, RoleDto, UserOut};
use crate::auth::{BearerAuth, check_password_strength};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// An account created by an administrator.
#[derive(Debug, Object)]
pub struct NewUserIn {
    #[oai(validator(min_length = 3, max_length = 254))]
    pub email: String,
    #[oai(validator(min_length = 1, max_length = 200))]
    pub display_name: String,
    #[oai(validator(min_length = 1, max_length = 1024))]
    pub password: String,
    pub role: RoleDto,
    #[oai(default)]
    pub assigned_rooms: Vec<Uuid>,
}

/// Changes to an account (super_admin).
#[derive(Debug, Object)]
pub struct UserPatch {
    #[oai(validator(min_length = 1, max_length = 200))]
    pub display_name: Option<String>,
    pub role: Option<RoleDto>,
    /// Replaces the rooms a room_admin manages.
    pub assigned_rooms: Option<Vec<Uuid>>,
    /// Activate (approve) or disable the account.
    pub active: Option<bool>,
}

pub struct UsersApi;

fn assigned(rooms: Vec<Uuid>) -> std::collections::BTreeSet<booking_core::RoomId> {
    rooms.into_iter().map(booking_core::RoomId).collect()
}

#[OpenApi(tag = "ApiTags::Users")]
impl UsersApi {
    /// All accounts (super_admin).
    #[oai(path = "/users", method = "get", tag = "ApiTags::Users")]
    async fn list_users(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<Vec<UserOut>>> {
        auth.0.require_role(&[Role::SuperAdmin], "list users")?;
        let users = state.store.list_users().await?;
        Ok(Json(users.into_iter().map(Into::into).collect()))
    }

    /// Create an account with any role (super_admin).
    #[oai(path = "/users", method = "post", tag = "ApiTags::Users")]
    async fn create_user(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<NewUserIn>,
    ) -> ApiResult<UserCreated> {
        auth.0.require_role(&[Role::SuperAdmin], "create users")?;
        check_password_strength(&body.0.password)?;
        let hash = hash_blocking(body.0.password).await?;
        let user = state
            .svc
            .create_user(
                &body.0.email,
                &body.0.display_name,
                body.0.role.into(),
                Some(&hash),
                AccountState::Active,
            )
            .await?;
        let user = if body.0.assigned_rooms.is_empty() {
            user
        } else {
            state
                .svc
                .update_user(
                    &auth.0.actor,
                    User {
                        assigned_rooms: assigned(body.0.assigned_rooms),
                        ..user
                    },
                )
                .await?
        };
        state
            .svc
            .audit(
                Some(&auth.0.actor),
                "user.create",
                "user",
                Some(user.id.to_string()),
                None,
                serde_json::to_value(&user).ok(),
            )
            .await?;
        Ok(UserCreated::Created(Json(user.into())))
    }

    /// One account (super_admin, or the account itself).
    #[oai(path = "/users/:id", method = "get", tag = "ApiTags::Users")]
    async fn get_user(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Json<UserOut>> {
        if auth.0.actor.id.0 != id.0 {
            auth.0
                .require_role(&[Role::SuperAdmin], "see other accounts")?;
        }
        Ok(Json(state.svc.get_user(UserId(id.0)).await?.into()))
    }

    /// Change role, assigned rooms, name or active flag (super_admin).
    /// Activating an account approves its registration.
    #[oai(path = "/users/:id", method = "patch", tag = "ApiTags::Users")]
    async fn update_user(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
        body: Json<UserPatch>,
    ) -> ApiResult<Json<UserOut>> {
        auth.0.require_role(&[Role::SuperAdmin], "manage users")?;
        let current = state.svc.get_user(UserId(id.0)).await?;
        if current.id == auth.0.actor.id
            && (body.0.role.is_some_and(|r| r != RoleDto::SuperAdmin)
                || body.0.active == Some(false))
        {
            return Err(ApiError::new(
                poem::http::StatusCode::CONFLICT,
                "you cannot demote or disable your own account",
            ));
        }
        let user = User {
            display_name: body.0.display_name.unwrap_or(current.display_name.clone()),
            role: body.0.role.map(Into::into).unwrap_or(current.role),
            assigned_rooms: body
                .0
                .assigned_rooms
                .map(assigned)
                .unwrap_or(current.assigned_rooms.clone()),
            active: body.0.active.unwrap_or(current.active),
            ..current
        };
        Ok(Json(
            state.svc.update_user(&auth.0.actor, user).await?.into(),
        ))
    }

    /// The audit log, newest first (super_admin).
    #[oai(path = "/audit", method = "get", tag = "ApiTags::Audit")]
    #[allow(clippy::too_many_arguments)]
    async fn audit(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        /// Entity type: room, booking, user.
        entity: Query<Option<String>>,
        entity_id: Query<Option<String>>,
        actor_id: Query<Option<Uuid>>,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        /// At most this many entries (default 100, max 1000).
        #[oai(validator(minimum(value = "1"), maximum(value = "1000")))]
        limit: Query<Option<u32>>,
    ) -> ApiResult<Json<Vec<AuditOut>>> {
        auth.0
            .require_role(&[Role::SuperAdmin], "read the audit log")?;
        for (field, v) in [("entity", &entity.0), ("entity_id", &entity_id.0)] {
            if let Some(v) = v {
                booking_core::refuse_control_characters(field, v)
                    .map_err(|e| ApiError::bad_request(e.to_string()))?;
            }
        }
        let entries = state
            .svc
            .audit_log(
                &auth.0.actor,
                &AuditFilter {
                    actor_id: actor_id.0.map(UserId),
                    entity: entity.0,
                    entity_id: entity_id.0,
                    from: from.0,
                    to: to.0,
                    limit: limit.0.unwrap_or(100),
                },
            )
            .await?;
        Ok(Json(entries.into_iter().map(Into::into).collect()))
    }
}

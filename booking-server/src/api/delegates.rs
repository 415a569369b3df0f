//! Who may book for me (assistants, reception), and for whom I may book.

use booking_core::UserId;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use uuid::Uuid;

use super::ApiTags;
use super::model::UserOut;
use crate::auth::BearerAuth;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

pub struct DelegatesApi;

/// Someone to let book for me.
#[derive(Debug, Object)]
pub struct DelegateIn {
    /// Their e-mail address (they need an account).
    pub email: String,
}

#[derive(ApiResponse)]
pub enum Granted {
    /// They may book for you now (`on_behalf_of` your id).
    #[oai(status = 201)]
    Created(Json<UserOut>),
}

#[derive(ApiResponse)]
pub enum Revoked {
    /// They may no longer book for you.
    #[oai(status = 204)]
    Done,
}

#[OpenApi(tag = "ApiTags::Accounts")]
impl DelegatesApi {
    /// The people I let book for me.
    #[oai(path = "/me/delegates", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<Vec<UserOut>>> {
        let list = state.svc.delegates_of(auth.0.actor.id).await?;
        Ok(Json(list.into_iter().map(Into::into).collect()))
    }

    /// Let someone book for me (an assistant, reception).
    #[oai(path = "/me/delegates", method = "post")]
    async fn grant(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Json<DelegateIn>,
    ) -> ApiResult<Granted> {
        let email = body.0.email.trim().to_string();
        let person = state
            .store
            .get_user_by_email(&email)
            .await?
            .ok_or_else(|| {
                ApiError::bad_field("/email", format!("no account has the address {email:?}"))
            })?;
        let person = state.svc.grant_delegation(&auth.0.actor, person.id).await?;
        Ok(Granted::Created(Json(person.into())))
    }

    /// Stop someone booking for me.
    #[oai(path = "/me/delegates/:id", method = "delete")]
    async fn revoke(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        id: Path<Uuid>,
    ) -> ApiResult<Revoked> {
        state
            .svc
            .revoke_delegation(&auth.0.actor, UserId(id.0))
            .await?;
        Ok(Revoked::Done)
    }

    /// The people who let me book for them.
    #[oai(path = "/me/principals", method = "get")]
    async fn principals(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
    ) -> ApiResult<Json<Vec<UserOut>>> {
        let list = state.svc.principals_of(auth.0.actor.id).await?;
        Ok(Json(list.into_iter().map(Into::into).collect()))
    }
}

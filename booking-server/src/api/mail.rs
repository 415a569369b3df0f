//! Inbound invitations over HTTP: for mail systems that POST messages
//! instead of piping them to `booking-server ingest-mail`.

use booking_core::Role;
use poem::web::Data;
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{Object, OpenApi};

use super::ApiTags;
use crate::auth::BearerAuth;
use crate::error::{ApiError, ApiResult};
use crate::mail::{InboundError, Outcome};
use crate::state::AppState;

pub struct MailApi;

/// What a room did with an invitation.
#[derive(Debug, Object)]
pub struct OutcomeOut {
    room: String,
    /// The room's calendar address.
    address: String,
    /// ACCEPTED, TENTATIVE or DECLINED (absent for a cancellation).
    partstat: Option<String>,
    action: String,
    reason: Option<String>,
    booking_id: Option<String>,
    series_id: Option<String>,
    /// Dates of a recurring invitation that were declined while the rest
    /// was booked, each with the rule that refused it.
    declined: Vec<crate::error::SkippedOccurrence>,
}

impl From<Outcome> for OutcomeOut {
    fn from(o: Outcome) -> Self {
        Self {
            room: o.room,
            address: o.address,
            partstat: o.partstat,
            action: o.action,
            reason: o.reason,
            booking_id: o.booking_id,
            series_id: o.series_id,
            declined: o.declined.iter().map(Into::into).collect(),
        }
    }
}

impl From<InboundError> for ApiError {
    fn from(e: InboundError) -> Self {
        match e {
            InboundError::Core(c) => ApiError::from(c),
            other => ApiError::new(
                poem::http::StatusCode::UNPROCESSABLE_ENTITY,
                other.to_string(),
            ),
        }
    }
}

#[OpenApi(tag = "ApiTags::Mail")]
impl MailApi {
    /// Deliver one invitation e-mail (the raw RFC 5322 message, e.g.
    /// `Content-Type: message/rfc822`). Each room named as attendee answers
    /// with an iMIP REPLY through the outbox; the outcomes are returned.
    /// super_admin only (the mail gateway's account).
    #[oai(path = "/mail/inbound", method = "post")]
    async fn inbound(
        &self,
        state: Data<&AppState>,
        auth: BearerAuth,
        body: Binary<Vec<u8>>,
    ) -> ApiResult<Json<Vec<OutcomeOut>>> {
        auth.0.require_role(&[Role::SuperAdmin], "deliver mail")?;
        let outcomes = crate::mail::ingest(&state, &body.0).await?;
        Ok(Json(outcomes.into_iter().map(Into::into).collect()))
    }
}

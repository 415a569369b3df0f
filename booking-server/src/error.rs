//! The one place where errors become HTTP: RFC 7807 `application/problem+json`.

use booking_core::{CoreError, RuleViolation, StoreError};
use poem::http::StatusCode;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object};

/// An RFC 7807 problem document.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Problem {
    /// URI reference naming the problem type.
    #[oai(rename = "type")]
    pub kind: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong in this case, for humans.
    pub detail: String,
    /// For invalid input: the field, as a JSON pointer into the request
    /// body (`/policy/business_hours/3/open`) or the parameter's name.
    pub field: Option<String>,
    /// For rule violations: the rule's machine-readable name.
    pub rule: Option<String>,
    /// For conflicts: the booking that holds the slot.
    pub conflict: Option<ConflictSlot>,
    /// For a declined series: the occurrences that could not be booked.
    pub skipped: Option<Vec<SkippedOccurrence>>,
    /// For several rooms booked together: every room that is taken, and
    /// the booking in its way.
    pub taken: Option<Vec<TakenRoomOut>>,
}

/// A room of several booked together that is taken then.
#[derive(Debug, Clone, Object)]
pub struct TakenRoomOut {
    pub room_id: uuid::Uuid,
    pub room_name: String,
    pub booking_id: uuid::Uuid,
    pub start: chrono::DateTime<chrono::Utc>,
    pub end: chrono::DateTime<chrono::Utc>,
}

/// An occurrence of a series that could not be booked, and the rule that refused it.
#[derive(Debug, Clone, Object)]
pub struct SkippedOccurrence {
    pub start: chrono::DateTime<chrono::Utc>,
    pub end: chrono::DateTime<chrono::Utc>,
    pub rule: String,
    pub detail: String,
}

impl From<&booking_core::recurrence::Skipped> for SkippedOccurrence {
    fn from(s: &booking_core::recurrence::Skipped) -> Self {
        Self {
            start: s.start,
            end: s.end,
            rule: s.violation.rule().to_string(),
            detail: s.violation.to_string(),
        }
    }
}

fn err_text(d: &booking_core::recurrence::SeriesDeclined) -> String {
    format!("series declined: {d}")
}

/// The slot that a conflicting booking holds (buffers included).
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ConflictSlot {
    pub booking_id: uuid::Uuid,
    pub start: chrono::DateTime<chrono::Utc>,
    pub end: chrono::DateTime<chrono::Utc>,
}

const PROBLEM: &str = "application/problem+json";

/// Every error response of the API.
#[derive(Debug, ApiResponse)]
#[oai(bad_request_handler = "from_poem_error")]
pub enum ApiError {
    /// The request is malformed (bad JSON, bad parameter, invalid value).
    #[oai(status = 400, content_type = "application/problem+json")]
    BadRequest(Json<Box<Problem>>),
    /// Missing, invalid or expired credentials.
    #[oai(status = 401, content_type = "application/problem+json")]
    Unauthorized(Json<Box<Problem>>),
    /// Authenticated, but not allowed to do this.
    #[oai(status = 403, content_type = "application/problem+json")]
    Forbidden(Json<Box<Problem>>),
    /// The resource does not exist.
    #[oai(status = 404, content_type = "application/problem+json")]
    NotFound(Json<Box<Problem>>),
    /// The slot is taken, the state changed, or the resource exists already.
    #[oai(status = 409, content_type = "application/problem+json")]
    Conflict(Json<Box<Problem>>),
    /// A booking rule refused the request; `rule` names it.
    #[oai(status = 422, content_type = "application/problem+json")]
    Unprocessable(Json<Box<Problem>>),
    /// The request body is not JSON (send `Content-Type: application/json`).
    #[oai(status = 415, content_type = "application/problem+json")]
    UnsupportedMediaType(Json<Box<Problem>>),
    /// The account is locked after too many failed logins.
    #[oai(status = 423, content_type = "application/problem+json")]
    Locked(Json<Box<Problem>>),
    /// Too many failed sign-ins from this address or for this account; try
    /// again after `Retry-After` seconds.
    #[oai(status = 429, content_type = "application/problem+json")]
    TooManyRequests(Json<Box<Problem>>, #[oai(header = "Retry-After")] u64),
    /// Something failed on the server; the log has details.
    #[oai(status = 500, content_type = "application/problem+json")]
    Internal(Json<Box<Problem>>),
    /// The database cannot be reached right now; try again after
    /// `Retry-After` seconds (nothing was changed).
    #[oai(status = 503, content_type = "application/problem+json")]
    Unavailable(Json<Box<Problem>>, #[oai(header = "Retry-After")] u64),
}

/// Seconds a client is asked to wait while the database is unavailable.
pub const UNAVAILABLE_RETRY_SECS: u64 = 5;

pub type ApiResult<T> = Result<T, ApiError>;

fn problem(status: StatusCode, detail: impl Into<String>) -> Problem {
    let title = status.canonical_reason().unwrap_or("Error").to_string();
    Problem {
        kind: format!(
            "https://booking.example/problems/{}",
            title.to_ascii_lowercase().replace(' ', "-")
        ),
        title,
        status: status.as_u16(),
        detail: detail.into(),
        field: None,
        rule: None,
        conflict: None,
        skipped: None,
        taken: None,
    }
}

impl ApiError {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::from_problem(problem(status, detail))
    }

    fn from_problem(p: Problem) -> Self {
        match p.status {
            400 => ApiError::BadRequest(Json(Box::new(p))),
            401 => ApiError::Unauthorized(Json(Box::new(p))),
            403 => ApiError::Forbidden(Json(Box::new(p))),
            404 => ApiError::NotFound(Json(Box::new(p))),
            409 => ApiError::Conflict(Json(Box::new(p))),
            422 => ApiError::Unprocessable(Json(Box::new(p))),
            415 => ApiError::UnsupportedMediaType(Json(Box::new(p))),
            423 => ApiError::Locked(Json(Box::new(p))),
            429 => ApiError::TooManyRequests(Json(Box::new(p)), 60),
            503 => ApiError::Unavailable(Json(Box::new(p)), UNAVAILABLE_RETRY_SECS),
            _ => ApiError::Internal(Json(Box::new(p))),
        }
    }

    /// The problem document of any variant.
    fn problem(&self) -> &Problem {
        match self {
            ApiError::BadRequest(p)
            | ApiError::Unauthorized(p)
            | ApiError::Forbidden(p)
            | ApiError::NotFound(p)
            | ApiError::Conflict(p)
            | ApiError::Unprocessable(p)
            | ApiError::UnsupportedMediaType(p)
            | ApiError::Locked(p)
            | ApiError::TooManyRequests(p, _)
            | ApiError::Unavailable(p, _)
            | ApiError::Internal(p) => &p.0,
        }
    }

    /// The human-readable explanation.
    pub fn detail(&self) -> &str {
        &self.problem().detail
    }

    /// 400 about one field (a JSON pointer into the body).
    pub fn bad_field(pointer: &str, detail: impl Into<String>) -> Self {
        let mut p = problem(StatusCode::BAD_REQUEST, detail);
        p.field = (!pointer.is_empty()).then(|| pointer.to_string());
        Self::from_problem(p)
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// 429 with `Retry-After: seconds`.
    pub fn too_many(detail: impl Into<String>, seconds: u64) -> Self {
        ApiError::TooManyRequests(
            Json(Box::new(problem(StatusCode::TOO_MANY_REQUESTS, detail))),
            seconds,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the server log",
        )
    }

    /// The problem document, as JSON (for answers that are not HTTP
    /// responses, e.g. MCP tool results).
    pub fn problem_json(&self) -> serde_json::Value {
        poem_openapi::types::ToJSON::to_json(self.problem()).unwrap_or_default()
    }

    pub fn status(&self) -> u16 {
        self.problem().status
    }
}

/// Errors raised by poem-openapi while parsing a request (bad JSON, bad
/// parameters, failed authentication) become problems too.
pub fn from_poem_error(err: poem::Error) -> ApiError {
    let status = err.status();
    let status = if status.is_client_error() || status == StatusCode::SERVICE_UNAVAILABLE {
        status
    } else {
        StatusCode::BAD_REQUEST
    };
    let mapped = match status.as_u16() {
        401 | 403 | 404 | 409 | 415 | 422 | 429 | 503 => status,
        _ => StatusCode::BAD_REQUEST,
    };
    ApiError::new(mapped, err.to_string())
}

impl From<CoreError> for ApiError {
    fn from(err: CoreError) -> Self {
        match err {
            CoreError::Input(e) => {
                let mut p = problem(StatusCode::BAD_REQUEST, e.to_string());
                p.field = Some(format!("/{}", e.field().replace('.', "/")));
                ApiError::from_problem(p)
            }
            CoreError::Rule(v) => {
                let (status, conflict) = match &v {
                    RuleViolation::Conflict {
                        booking_id,
                        start,
                        end,
                    } => (
                        StatusCode::CONFLICT,
                        Some(ConflictSlot {
                            booking_id: booking_id.0,
                            start: *start,
                            end: *end,
                        }),
                    ),
                    RuleViolation::RoomsTaken { .. } => (StatusCode::CONFLICT, None),
                    _ => (StatusCode::UNPROCESSABLE_ENTITY, None),
                };
                let mut p = problem(status, v.to_string());
                if let RuleViolation::RoomsTaken { taken } = &v {
                    p.taken = Some(
                        taken
                            .iter()
                            .map(|t| TakenRoomOut {
                                room_id: t.room_id.0,
                                room_name: t.room_name.clone(),
                                booking_id: t.booking_id.0,
                                start: t.start,
                                end: t.end,
                            })
                            .collect(),
                    );
                }
                p.rule = Some(v.rule().to_string());
                p.conflict = conflict;
                ApiError::from_problem(p)
            }
            CoreError::NotFound { .. } => ApiError::not_found(err.to_string()),
            CoreError::Forbidden(_) | CoreError::RoleDenied { .. } => {
                ApiError::forbidden(err.to_string())
            }
            CoreError::InvalidTransition { .. }
            | CoreError::WrongState(_)
            | CoreError::Stale(_)
            | CoreError::AlreadyExists(_) => ApiError::new(StatusCode::CONFLICT, err.to_string()),
            CoreError::SeriesDeclined(d) => {
                let mut p = problem(StatusCode::CONFLICT, err_text(&d));
                p.rule = Some("series_conflicts".into());
                p.skipped = Some(d.skipped.iter().map(Into::into).collect());
                ApiError::from_problem(p)
            }
            CoreError::Store(e) => ApiError::from(e),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Duplicate(what) => {
                ApiError::new(StatusCode::CONFLICT, format!("{what} already exists"))
            }
            other if other.is_unavailable() => {
                tracing::warn!(error = %other, "database unavailable");
                ApiError::Unavailable(
                    Json(Box::new(problem(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "database unavailable; try again shortly",
                    ))),
                    UNAVAILABLE_RETRY_SECS,
                )
            }
            other => ApiError::internal(other),
        }
    }
}

/// Render any poem error (404/405 from routing, panics caught upstream) as a problem.
pub fn problem_response(status: StatusCode, detail: String) -> poem::Response {
    let body = serde_json::json!({
        "type": problem(status, "").kind,
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    poem::Response::builder()
        .status(status)
        .content_type(PROBLEM)
        .body(body.to_string())
}

impl From<crate::guests::error::GuestError> for ApiError {
    fn from(err: crate::guests::error::GuestError) -> Self {
        use crate::guests::error::GuestError;
        match err {
            GuestError::Core(e) => e.into(),
            GuestError::Limited(secs) => ApiError::too_many(err.to_string(), secs),
            GuestError::BadLink => ApiError::not_found(err.to_string()),
        }
    }
}

//! Error types of the core, one enum per concern.

use thiserror::Error;

pub use crate::input::InputError;

use crate::domain::{BookingStatus, Role};
use crate::rules::RuleViolation;

/// Errors from a [`crate::store::Store`].
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database failed an operation (`op` names it, e.g. "insert room").
    #[error("{op} failed: {source}")]
    Backend {
        op: &'static str,
        /// See [`StoreError::is_unavailable`].
        unavailable: bool,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("unique constraint violated: {0}")]
    Duplicate(String),
}

/// Everything a [`crate::service::BookingService`] call can fail with.
#[derive(Debug, Error)]
pub enum CoreError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Rule(#[from] RuleViolation),
    #[error("{entity} {id} not found")]
    NotFound { entity: &'static str, id: String },
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("a booking that is {from} cannot become {to}")]
    InvalidTransition {
        from: BookingStatus,
        to: BookingStatus,
    },
    #[error("role {role} may not {action}")]
    RoleDenied { role: Role, action: &'static str },
    #[error("{0}")]
    Stale(String),
    #[error("series declined: {0}")]
    SeriesDeclined(Box<crate::recurrence::SeriesDeclined>),
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// The thing is in a state where this change is not possible (e.g. an
    /// order that was delivered cannot advance or be cancelled).
    #[error("{0}")]
    WrongState(String),
    #[error(transparent)]
    Store(StoreError),
}

impl StoreError {
    /// The database cannot be reached or used right now (connection refused
    /// or lost, no connection free in time, the server shutting down, the
    /// database missing or refusing our credentials, SQLite busy or unable
    /// to open its file): worth retrying later, not a fault of the request.
    /// The store that raised the error decides.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Backend {
                unavailable: true,
                ..
            }
        )
    }
}

impl From<StoreError> for CoreError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate(what) => CoreError::AlreadyExists(what),
            other => CoreError::Store(other),
        }
    }
}

impl CoreError {
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        CoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }
}

//! Error types of the core, one enum per concern.

use thiserror::Error;

use crate::domain::{BookingStatus, Role};
use crate::rules::RuleViolation;

/// Malformed input: the request itself is wrong, independent of the rules.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    #[error("unknown time zone {0:?}: use an IANA name such as \"Europe/Berlin\"")]
    UnknownTimeZone(String),
    #[error("capacity must be at least 1")]
    ZeroCapacity,
    #[error("{0} must not be empty")]
    Empty(&'static str),
    #[error("{field} is longer than {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("unknown {field} {value:?}; allowed: {}", allowed.join(", "))]
    UnknownValue {
        field: &'static str,
        value: String,
        allowed: Vec<&'static str>,
    },
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
}

/// Errors from a [`crate::store::Store`].
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
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

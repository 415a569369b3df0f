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
        /// The operation, e.g. "insert room".
        op: &'static str,
        /// See [`StoreError::is_unavailable`].
        unavailable: bool,
        #[source]
        /// What the database said.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    #[error("stored data is invalid: {0}")]
    /// Stored data that cannot be read back (a bad value, a missing row).
    Corrupt(String),
    #[error("unique constraint violated: {0}")]
    /// A unique constraint refused the write.
    Duplicate(String),
}

/// Everything a [`crate::service::BookingService`] call can fail with.
#[derive(Debug, Error)]
pub enum CoreError {
    #[error(transparent)]
    /// The input was malformed.
    Input(#[from] InputError),
    #[error(transparent)]
    /// A booking rule refused the request.
    Rule(#[from] RuleViolation),
    #[error("{entity} {id} not found")]
    /// Nothing with this id.
    NotFound {
        /// What was looked for (e.g. "room").
        entity: &'static str,
        /// The id that was not found.
        id: String,
    },
    #[error("forbidden: {0}")]
    /// The actor may not do this.
    Forbidden(String),
    #[error("a booking that is {from} cannot become {to}")]
    /// The booking cannot move from its status to the requested one.
    InvalidTransition {
        /// Its status now.
        from: BookingStatus,
        /// The status asked for.
        to: BookingStatus,
    },
    #[error("role {role} may not {action}")]
    /// The actor's role may not do this.
    RoleDenied {
        /// The role.
        role: Role,
        /// What was refused.
        action: &'static str,
    },
    #[error("{0}")]
    /// Someone else changed it first; reload and retry.
    Stale(String),
    #[error("series declined: {0}")]
    /// A series was refused as a whole (too many of its dates conflict).
    SeriesDeclined(Box<crate::recurrence::SeriesDeclined>),
    #[error("{0} already exists")]
    /// A thing with this key exists already.
    AlreadyExists(String),
    /// The thing is in a state where this change is not possible (e.g. an
    /// order that was delivered cannot advance or be cancelled).
    #[error("{0}")]
    WrongState(String),
    #[error(transparent)]
    /// The store failed.
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
    /// `NotFound` for `entity` `id`.
    pub fn not_found(entity: &'static str, id: impl ToString) -> Self {
        CoreError::NotFound {
            entity,
            id: id.to_string(),
        }
    }
}

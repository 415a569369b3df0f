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

impl InputError {
    /// The field of the request the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            InputError::UnknownTimeZone(_) => "time_zone",
            InputError::ZeroCapacity => "capacity",
            InputError::Empty(field)
            | InputError::TooLong { field, .. }
            | InputError::UnknownValue { field, .. }
            | InputError::Invalid { field, .. } => field,
        }
    }
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

impl StoreError {
    /// The database cannot be reached or used right now (connection refused
    /// or lost, no connection free in time, the server shutting down, the
    /// database missing or refusing our credentials, SQLite busy or unable
    /// to open its file): worth retrying later, not a fault of the request.
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(e) = self else {
            return false;
        };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(db) => {
                let code = db.code().unwrap_or_default();
                if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                    // BUSY, LOCKED, IOERR, FULL, CANTOPEN (extended codes keep
                    // the primary code in the low byte).
                    code.parse::<i32>()
                        .is_ok_and(|c| matches!(c & 0xff, 5 | 6 | 10 | 13 | 14))
                } else {
                    // PostgreSQL: 08 connection exception, 28 invalid
                    // authorization, 3D000 no such database, 53 insufficient
                    // resources, 57P01–03 shutting down / cannot connect now.
                    ["08", "28", "53", "57P0", "3D000"]
                        .iter()
                        .any(|p| code.starts_with(p))
                }
            }
            _ => false,
        }
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

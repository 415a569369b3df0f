//! Malformed input, independent of the rules; the leaf every module may use.

use thiserror::Error;

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

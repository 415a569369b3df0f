//! Malformed input, independent of the rules; the leaf every module may use.

use thiserror::Error;

/// Malformed input: the request itself is wrong, independent of the rules.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    #[error("unknown time zone {0:?}: use an IANA name such as \"Europe/Berlin\"")]
    /// Not an IANA time zone.
    UnknownTimeZone(String),
    #[error("capacity must be at least 1")]
    /// A room needs at least one seat.
    ZeroCapacity,
    #[error("{0} must not be empty")]
    /// A required text is empty (the field).
    Empty(&'static str),
    #[error("{field} is longer than {max} characters")]
    /// A text is longer than allowed.
    TooLong {
        /// The field.
        field: &'static str,
        /// The most characters it may have.
        max: usize,
    },
    #[error("unknown {field} {value:?}; allowed: {}", allowed.join(", "))]
    /// A value outside its list.
    UnknownValue {
        /// The field.
        field: &'static str,
        /// What was given.
        value: String,
        /// What is allowed.
        allowed: Vec<&'static str>,
    },
    #[error("invalid {field}: {reason}")]
    /// A value that breaks a rule of its field.
    Invalid {
        /// The field.
        field: &'static str,
        /// The rule it breaks.
        reason: String,
    },
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

/// Refuse control characters in a text field (line breaks and tabs are
/// text): they mean nothing to people, and PostgreSQL cannot store NUL.
pub fn refuse_control_characters(field: &'static str, value: &str) -> Result<(), InputError> {
    match value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        Some(c) => Err(InputError::Invalid {
            field,
            reason: format!("contains the control character U+{:04X}", u32::from(c)),
        }),
        None => Ok(()),
    }
}

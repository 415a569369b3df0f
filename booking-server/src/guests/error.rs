//! Why a guest step was refused.

use booking_core::CoreError;

/// Why a guest step was refused.
#[derive(Debug, thiserror::Error)]
pub enum GuestError {
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Too many requests: try again after this many seconds.
    #[error("too many requests; try again in {0} seconds")]
    Limited(u64),
    /// The link is unknown or expired.
    #[error("this confirmation link is unknown or has expired; send the request again")]
    BadLink,
}

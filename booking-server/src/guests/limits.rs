//! The rate limits of guest requests, in this process.

use std::time::Duration as StdDuration;

use crate::limits::Windows;

/// Requests sent per client IP, and per address, in an hour.
pub const PER_IP_PER_HOUR: u32 = 5;
pub const PER_EMAIL_PER_HOUR: u32 = 3;
/// Confirmation attempts per client IP in an hour.
pub const CONFIRMS_PER_IP_PER_HOUR: u32 = 20;

/// The hourly windows of the limits above, in this process.
pub struct GuestLimits {
    pub(super) sent: Windows,
    pub(super) confirms: Windows,
}

impl Default for GuestLimits {
    fn default() -> Self {
        Self {
            sent: Windows::new(StdDuration::from_secs(3600)),
            confirms: Windows::new(StdDuration::from_secs(3600)),
        }
    }
}

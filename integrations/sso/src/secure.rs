//! The HTTP client providers are reached with, and comparing secrets.

use std::time::Duration;

use crate::error::SsoError;

/// An HTTP client for talking to providers: no redirects (SSRF), timeouts.
pub fn http_client() -> Result<reqwest::Client, SsoError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| SsoError::Config(e.to_string()))
}

/// Equal-time comparison for secrets.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
